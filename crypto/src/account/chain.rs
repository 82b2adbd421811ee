//! Moving from a held device list to a newer one (docs/PROTOCOL.md §14.3),
//! for contacts and for this device's own account alike.

use alloc::vec::Vec;

use super::device_list::{DeviceEntry, DeviceList};
use crate::error::{AccountError, Head};
use crate::limits::MAX_LIST_CHAIN;
use crate::versioned::{Versioned, WalkError, walk};

/// What an update changed: shown to the user ("Bob added a device").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListChange {
    /// The head held before.
    pub from: Head,
    /// The head held now.
    pub to: Head,
    /// Devices in the new list and not in the old one.
    pub added: Vec<DeviceEntry>,
    /// Devices in the old list and not in the new one.
    pub removed: Vec<DeviceEntry>,
}

impl ListChange {
    /// Whether nothing changed (the chain held only the list already held).
    pub fn is_empty(&self) -> bool {
        self.from == self.to
    }
}

/// Walks `chain` (ascending versions, the first one the held version or the
/// next) from `held`; returns the newest list and the change, or the first
/// reason to refuse. Pure: the caller commits.
pub(crate) fn advance(
    held: &DeviceList,
    chain: &[DeviceList],
) -> Result<(DeviceList, ListChange), AccountError> {
    if chain.len() > MAX_LIST_CHAIN {
        return Err(AccountError::InvalidList(
            "chain longer than MAX_LIST_CHAIN",
        ));
    }
    let newest = walk(held, chain, |_, _| Ok::<(), AccountError>(()))?;
    let in_list = |list: &DeviceList, d: &DeviceEntry| list.contains(&d.identity);
    let change = ListChange {
        from: held.head(),
        to: newest.head(),
        added: newest
            .devices()
            .iter()
            .filter(|d| !in_list(held, d))
            .cloned()
            .collect(),
        removed: held
            .devices()
            .iter()
            .filter(|d| !in_list(newest, d))
            .cloned()
            .collect(),
    };
    Ok((newest.clone(), change))
}

impl Versioned for DeviceList {
    fn head(&self) -> Head {
        DeviceList::head(self)
    }

    fn previous_hash(&self) -> [u8; 32] {
        self.previous().unwrap_or([0; 32])
    }

    fn same_chain(&self, other: &Self) -> bool {
        self.account() == other.account()
    }
}

impl From<WalkError> for AccountError {
    fn from(e: WalkError) -> Self {
        match e {
            WalkError::OtherChain => Self::WrongAccount,
            WalkError::RolledBack { held, offered } => Self::RolledBack { held, offered },
            WalkError::Fork { held, seen } => Self::Fork { held, seen },
            WalkError::Gap { from, to } => Self::Gap { from, to },
        }
    }
}
