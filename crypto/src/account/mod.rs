//! Accounts and devices (docs/PROTOCOL.md §14).
//!
//! A person is an **account**: an Ed25519 [`AccountKeyPair`] that signs a
//! [`DeviceList`], the only statement of which device identities are that
//! person's. Lists are versioned and chained by hash; the server stores
//! and relays them but cannot make one. A device pins each [`Contact`]'s
//! account at first use, keeps the newest verified list, refuses rollbacks
//! and reports forks, and sends only to listed devices ([`fanout`]). Two
//! users compare the heads of the lists they hold inside their encrypted
//! messages ([`Heads`], [`seal_envelope`]), which exposes an operator that
//! shows them different lists. New devices are linked by scanning a
//! [`LinkRequest`]'s code ([`Account::provision`]). Account safety numbers
//! ([`SafetyNumber::for_accounts`](crate::SafetyNumber::for_accounts)) do
//! not change when devices come and go.

mod chain;
mod contact;
mod device_list;
mod envelope;
mod fanout;
pub(crate) mod heads;
mod key;
mod link;
mod own;

pub use chain::ListChange;
pub use contact::Contact;
pub use device_list::{DeviceEntry, DeviceList, MAX_DEVICE_LIST_LEN};
pub use envelope::{Envelope, open_envelope, seal_envelope};
pub use fanout::{Delivery, Received, fanout, receive};
pub use heads::{Comparison, HeadReport, Heads};
pub use key::{ACCOUNT_KEY_LEN, AccountKey, AccountKeyPair};
pub use link::{LINK_CODE_LEN, LinkCode, LinkRequest};
pub use own::Account;

pub use crate::error::Head as ListHead;
