//! Mutex access that never panics (a poisoned lock, left by a panic on
//! another thread while holding it, is reported as an error, not
//! propagated), and the argument checks every `seal`/`open` shares: the
//! storage key, and what the caller expects a sealed blob to be
//! ([`qorgan::Expected`]: its owner and lowest acceptable generation).

use std::sync::{Mutex, MutexGuard};

use qorgan::account::{ACCOUNT_KEY_LEN, AccountKey, DeviceList};
use qorgan::limits::MAX_GROUP_ID_LEN;
use qorgan::{IdentityKey, StateOwner, StorageKey};

use crate::account::ListHead;
use crate::error::QorganError;
use crate::integer::id_arg;

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

/// A group id of at most `MAX_GROUP_ID_LEN` bytes, or `InvalidArgument`.
pub(crate) fn check_group_id(group_id: &[u8]) -> Result<(), QorganError> {
    if group_id.len() > MAX_GROUP_ID_LEN {
        return Err(QorganError::InvalidArgument {
            reason: format!(
                "group id of {} bytes exceeds {MAX_GROUP_ID_LEN}",
                group_id.len()
            ),
        });
    }
    Ok(())
}

/// A standalone identity key (as `Device.identity_key` returns it).
pub(crate) fn parse_identity(bytes: &[u8]) -> Result<IdentityKey, QorganError> {
    Ok(IdentityKey::from_bytes(bytes)?)
}

/// The owner of a session's sealed state: its 32-byte session id, or
/// `InvalidArgument`.
pub(crate) fn session_owner(session_id: &[u8]) -> Result<StateOwner, QorganError> {
    let id: [u8; 32] = session_id
        .try_into()
        .map_err(|_| QorganError::InvalidArgument {
            reason: format!("session id must be 32 bytes, got {}", session_id.len()),
        })?;
    Ok(StateOwner::session(&id))
}

/// An account key (32 bytes, as `Account.account_key` returns it):
/// `InvalidArgument` for another length, `Malformed` for an invalid key.
pub(crate) fn parse_account_key(bytes: &[u8]) -> Result<AccountKey, QorganError> {
    let key: [u8; ACCOUNT_KEY_LEN] =
        bytes.try_into().map_err(|_| QorganError::InvalidArgument {
            reason: format!(
                "account key must be {ACCOUNT_KEY_LEN} bytes, got {}",
                bytes.len()
            ),
        })?;
    Ok(AccountKey::from_bytes(&key)?)
}

/// A list head as the crate takes it: `InvalidArgument` unless the hash is
/// 32 bytes.
pub(crate) fn parse_head(head: &ListHead) -> Result<qorgan::account::ListHead, QorganError> {
    let hash: [u8; 32] =
        head.hash
            .as_slice()
            .try_into()
            .map_err(|_| QorganError::InvalidArgument {
                reason: format!("list head hash must be 32 bytes, got {}", head.hash.len()),
            })?;
    Ok(qorgan::account::ListHead {
        version: id_arg(head.version),
        hash,
    })
}

/// Device lists as received (each decoded and verified), in order.
pub(crate) fn parse_chain(chain: &[Vec<u8>]) -> Result<Vec<DeviceList>, QorganError> {
    chain
        .iter()
        .map(|l| DeviceList::from_bytes(l).map_err(QorganError::from))
        .collect()
}
