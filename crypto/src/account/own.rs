//! This device's account (docs/PROTOCOL.md §14.3, §14.4): the account key,
//! the newest device list, and which device this is.

use alloc::vec::Vec;
use rand_core::CryptoRng;

use super::chain::{ListChange, advance};
use super::device_list::{DeviceEntry, DeviceList};
use super::key::{AccountKey, AccountKeyPair};
use crate::error::{AccountError, Head};
use crate::identity::IdentityKey;

/// This device's account: the account key (on the devices trusted with
/// it, see [`Account::provision`]), the newest device list, and this
/// device. Only a holder of the account key can link or remove devices;
/// the server can do neither.
///
/// Not `Clone`: copies go through the state formats.
pub struct Account {
    pub(crate) account: AccountKey,
    pub(crate) key: Option<AccountKeyPair>,
    pub(crate) list: DeviceList,
    pub(crate) device: IdentityKey,
    pub(crate) generation: u64,
}

impl Account {
    /// A new account whose only device is `device`.
    pub fn create<R: CryptoRng + ?Sized>(
        rng: &mut R,
        device: &IdentityKey,
        label: &str,
    ) -> Result<Self, AccountError> {
        let key = AccountKeyPair::generate(rng);
        let list = DeviceList::first(&key, alloc::vec![DeviceEntry::new(*device, label)])?;
        Ok(Self {
            account: *key.public(),
            key: Some(key),
            list,
            device: *device,
            generation: 0,
        })
    }

    pub(crate) fn from_parts(
        key: Option<AccountKeyPair>,
        list: DeviceList,
        device: IdentityKey,
    ) -> Result<Self, AccountError> {
        if key.as_ref().is_some_and(|k| k.public() != list.account()) {
            return Err(AccountError::WrongAccount);
        }
        Ok(Self {
            account: *list.account(),
            key,
            list,
            device,
            generation: 0,
        })
    }

    /// The account key.
    pub fn account_key(&self) -> &AccountKey {
        &self.account
    }

    /// Whether this device holds the account key (can link and remove
    /// devices).
    pub fn holds_account_key(&self) -> bool {
        self.key.is_some()
    }

    /// The newest device list this device holds (publish it after a change).
    pub fn list(&self) -> &DeviceList {
        &self.list
    }

    /// Its head.
    pub fn head(&self) -> Head {
        self.list.head()
    }

    /// This device's identity.
    pub fn device(&self) -> &IdentityKey {
        &self.device
    }

    /// Whether this device is still listed (another device may have
    /// removed it).
    pub fn is_listed(&self) -> bool {
        self.list.contains(&self.device)
    }

    /// The account's other devices (they get a copy of what this one sends).
    pub fn other_devices(&self) -> Vec<DeviceEntry> {
        self.list
            .devices()
            .iter()
            .filter(|d| !d.identity.ct_eq(&self.device))
            .cloned()
            .collect()
    }

    /// Removes a device (a new list version, to publish). On error nothing
    /// changes.
    pub fn remove_device(&mut self, identity: &IdentityKey) -> Result<&DeviceList, AccountError> {
        self.list = self.list.without_device(self.key_pair()?, identity)?;
        Ok(&self.list)
    }

    /// Adds a device without linking it (the device must then receive the
    /// account key some other way; [`provision`](Self::provision) is the
    /// normal path).
    pub fn add_device(
        &mut self,
        identity: &IdentityKey,
        label: &str,
    ) -> Result<&DeviceList, AccountError> {
        self.list = self.list.with_device(self.key_pair()?, identity, label)?;
        Ok(&self.list)
    }

    /// Moves to a newer own list made by another device of this account,
    /// with the same refusals as [`Contact::update`](super::Contact::update).
    pub fn update(&mut self, chain: &[DeviceList]) -> Result<ListChange, AccountError> {
        let (newest, change) = advance(&self.list, chain)?;
        self.list = newest;
        Ok(change)
    }

    /// The account key, for what only the account signs (its device list,
    /// group rosters as an admin); `NoAccountKey` on a device that was
    /// linked without it.
    pub fn key_pair(&self) -> Result<&AccountKeyPair, AccountError> {
        self.key.as_ref().ok_or(AccountError::NoAccountKey)
    }
}

impl core::fmt::Debug for Account {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Account")
            .field("account", self.account_key())
            .field("head", &self.head())
            .field("device", &self.device)
            .field("secret", &"[redacted]")
            .finish()
    }
}
