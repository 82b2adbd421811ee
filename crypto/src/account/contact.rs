//! A contact (docs/PROTOCOL.md §14.3): another account, pinned at first
//! use, with the newest device list verified for it. Sends go only to the
//! devices of that list.

use super::chain::{ListChange, advance};
use super::device_list::{DeviceEntry, DeviceList};
use super::heads::Heads;
use super::key::AccountKey;
use crate::error::{AccountError, Head};
use crate::identity::IdentityKey;
use crate::limits::HEADS_EVERY_MESSAGES;

/// A pinned account and its newest verified device list.
///
/// Not `Clone`: it carries the heads schedule; copies go through the
/// state formats.
pub struct Contact {
    pub(crate) list: DeviceList,
    /// Heads last put into a message to this contact, and messages since.
    pub(crate) sent: Option<Heads>,
    pub(crate) since_heads: u32,
    pub(crate) generation: u64,
}

impl Contact {
    /// Pins the account that signed `list` (trust on first use: compare the
    /// account safety number to confirm it).
    pub fn pin(list: DeviceList) -> Self {
        Self {
            list,
            sent: None,
            since_heads: 0,
            generation: 0,
        }
    }

    /// The pinned account.
    pub fn account(&self) -> &AccountKey {
        self.list.account()
    }

    /// The newest verified list.
    pub fn list(&self) -> &DeviceList {
        &self.list
    }

    /// Its head.
    pub fn head(&self) -> Head {
        self.list.head()
    }

    /// The devices to send to.
    pub fn devices(&self) -> &[DeviceEntry] {
        self.list.devices()
    }

    /// Whether `identity` is one of the account's devices.
    pub fn allows(&self, identity: &IdentityKey) -> bool {
        self.list.contains(identity)
    }

    /// Moves to a newer list: `chain` holds the lists after the held one,
    /// ascending (the held one may lead). Refuses another account
    /// (`WrongAccount`), an older version (`RolledBack`), a different list
    /// at the held version or one that does not chain (`Fork`: show it),
    /// and missing versions (`Gap`: fetch them). On error nothing changes.
    pub fn update(&mut self, chain: &[DeviceList]) -> Result<ListChange, AccountError> {
        let (newest, change) = advance(&self.list, chain)?;
        self.list = newest;
        Ok(change)
    }

    /// The heads to put into the next message to this contact, or `None`:
    /// they go out whenever either changed since they last went out, and
    /// at least every [`HEADS_EVERY_MESSAGES`] messages. `own` is the head
    /// of this device's own account list. Persist the contact after.
    pub fn heads_to_send(&mut self, own: Head) -> Option<Heads> {
        let heads = self.heads_due(own);
        self.message_sent(heads);
        heads
    }

    /// The heads the next message would carry, without counting a message
    /// (see [`heads_to_send`](Self::heads_to_send)).
    pub(crate) fn heads_due(&self, own: Head) -> Option<Heads> {
        let heads = Heads {
            sender: own,
            peer: self.head(),
        };
        let due =
            self.sent != Some(heads) || self.since_heads.saturating_add(1) >= HEADS_EVERY_MESSAGES;
        due.then_some(heads)
    }

    /// Counts one message sent, which carried `heads` (what
    /// [`heads_due`](Self::heads_due) returned for it).
    pub(crate) fn message_sent(&mut self, heads: Option<Heads>) {
        match heads {
            Some(h) => {
                self.sent = Some(h);
                self.since_heads = 0;
            }
            None => self.since_heads = self.since_heads.saturating_add(1),
        }
    }

    /// Safety number of this contact's account with one's own (stable
    /// while either side adds or removes devices).
    pub fn safety_number(
        &self,
        own: &AccountKey,
        own_id: &[u8],
        their_id: &[u8],
    ) -> crate::SafetyNumber {
        crate::SafetyNumber::for_accounts(own, own_id, self.account(), their_id)
    }
}

impl core::fmt::Debug for Contact {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Contact")
            .field("account", self.account())
            .field("head", &self.head())
            .field("devices", &self.devices().len())
            .finish()
    }
}
