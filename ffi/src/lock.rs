//! Mutex access that never panics (a poisoned lock, left by a panic on
//! another thread while holding it, is reported as an error, not
//! propagated), and the storage-key argument check every `seal`/`open` shares.

use std::sync::{Mutex, MutexGuard};

use qorgan::StorageKey;

use crate::error::QorganError;

pub(crate) fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, QorganError> {
    m.lock().map_err(|_| QorganError::Internal {
        reason: "object poisoned by an earlier failure".into(),
    })
}

/// The 32-byte key every `seal`/`open` takes, or `InvalidArgument`.
pub(crate) fn parse_storage_key(bytes: &[u8]) -> Result<StorageKey, QorganError> {
    let key: [u8; 32] = bytes.try_into().map_err(|_| QorganError::InvalidArgument {
        reason: format!("storage key must be 32 bytes, got {}", bytes.len()),
    })?;
    Ok(StorageKey::from_bytes(key))
}
