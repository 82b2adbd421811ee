//! Mutex access that never panics: a poisoned lock (a panic on another
//! thread while holding it) is reported as an error, not propagated.

use std::sync::{Mutex, MutexGuard};

use crate::error::QorganError;

pub(crate) fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, QorganError> {
    m.lock().map_err(|_| QorganError::Internal {
        reason: "object poisoned by an earlier failure".into(),
    })
}

pub(crate) fn key32(bytes: &[u8], what: &'static str) -> Result<[u8; 32], QorganError> {
    bytes.try_into().map_err(|_| QorganError::InvalidArgument {
        reason: format!("{what} must be 32 bytes, got {}", bytes.len()),
    })
}
