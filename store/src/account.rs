//! The account: one object for everything a device keeps, each operation
//! one SQLite transaction (docs/PROTOCOL.md §17).

use std::path::Path;

use qorgan::account::{Account as OwnAccount, AccountKey, Contact, DeviceList};
use qorgan::{IdentityKey, IdentityKeyPair, PreKeyStore, StorageKey, SystemRng};

use crate::StoreError;
use crate::anchor::Anchor;
use crate::db::{Db, Durability, Kind, Mailbox, Tx, read_mailbox};
use crate::limits::{KEM_PREKEY_TARGET, PREKEY_LOW_WATER, PREKEY_TARGET};
use crate::mail::{Event, Incoming, Outgoing};

/// How to open a store.
#[derive(Clone, Debug)]
pub struct Options {
    /// `synchronous` for SQLite.
    pub durability: Durability,
    /// The label of this device in a new account's device list.
    pub device_label: String,
    /// The caller's clock (seconds), for a new store's prekeys.
    pub now: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            durability: Durability::Normal,
            device_label: String::new(),
            now: 0,
        }
    }
}

/// A device's account store: identity, prekeys, account and contacts,
/// sessions, groups, the outbox and the inbox, in one SQLite file sealed
/// under the storage key. Several processes may open one file at once;
/// every operation re-reads what it needs inside its own transaction.
pub struct Account {
    pub(crate) db: Db,
    pub(crate) rng: SystemRng,
    pub(crate) anchor: Option<Box<dyn Anchor>>,
    identity: IdentityKey,
    account_key: AccountKey,
}

impl core::fmt::Debug for Account {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Account")
            .field("identity", &self.identity)
            .field("account", &self.account_key)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// Opens the store at `path` under `key`, creating it (a new identity,
    /// prekeys, and an account whose only device is this one) if the file
    /// is new or empty.
    pub fn open(path: &Path, key: &StorageKey, options: &Options) -> Result<Self, StoreError> {
        Self::open_with(path, key, options, None, false)
    }

    /// As [`open`](Self::open), with the app's copy of the counter: a file
    /// older than the anchor is refused ([`StoreError::RolledBack`]).
    pub fn open_anchored(
        path: &Path,
        key: &StorageKey,
        options: &Options,
        anchor: Box<dyn Anchor>,
    ) -> Result<Self, StoreError> {
        Self::open_with(path, key, options, Some(anchor), false)
    }

    /// Opens a store that [`open_anchored`](Self::open_anchored) reported
    /// as rolled back: every session is deleted (their ratchets may have
    /// moved on in the lost copy, and using them could repeat a message
    /// key or decrypt a message twice), the prekeys are rotated, every
    /// outbound group chain must rotate before its next message, and a
    /// [`Event::RolledBack`] is queued. Peers' next messages ask for
    /// healing; `heal` starts new sessions.
    pub fn open_rolled_back(
        path: &Path,
        key: &StorageKey,
        options: &Options,
        anchor: Box<dyn Anchor>,
    ) -> Result<Self, StoreError> {
        Self::open_with(path, key, options, Some(anchor), true)
    }

    fn open_with(
        path: &Path,
        key: &StorageKey,
        options: &Options,
        anchor: Option<Box<dyn Anchor>>,
        recover: bool,
    ) -> Result<Self, StoreError> {
        let mut rng = SystemRng::new().map_err(|_| StoreError::Rng)?;
        let (mut db, created) = Db::open(path, key, options.durability, &mut rng)?;
        // A store whose creation was interrupted (the schema committed, the
        // account not) is created now.
        let created = created || db.counter()? == 0;
        if anchor.is_some() {
            db.anchored()?;
        }
        if created {
            let label = options.device_label.clone();
            let now = options.now;
            db.write(&mut rng, |tx| create(tx, &label, now))?;
        }
        let counter = db.counter()?;
        let held = anchor.as_ref().and_then(|a| a.load());
        let rolled_back = held.filter(|a| *a > counter);
        if let (Some(a), false) = (rolled_back, recover) {
            return Err(StoreError::RolledBack {
                store: counter,
                anchor: a,
            });
        }
        let (identity, account_key) = db
            .write(&mut rng, |tx| {
                if let Some(a) = rolled_back {
                    crate::recover::reset(tx, counter, a, options.now)?;
                }
                let device = load_device(tx)?;
                let own = load_own(tx)?;
                Ok((*device.identity_key(), *own.account_key()))
            })?
            .0;
        let mut account = Self {
            db,
            rng,
            anchor,
            identity,
            account_key,
        };
        account.anchor_commit()?;
        Ok(account)
    }

    /// Runs one write transaction and records the new counter in the
    /// anchor.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let (out, counter) = self.db.write(&mut self.rng, f)?;
        if let Some(a) = &self.anchor {
            a.store(counter);
        }
        Ok(out)
    }

    fn anchor_commit(&mut self) -> Result<(), StoreError> {
        if let Some(a) = &self.anchor {
            a.store(self.db.counter()?);
        }
        Ok(())
    }

    /// This device's identity.
    pub fn identity(&self) -> &IdentityKey {
        &self.identity
    }

    /// This device's account key.
    pub fn account_key(&self) -> &AccountKey {
        &self.account_key
    }

    /// The store-wide counter (one more for every committed write): what
    /// an [`Anchor`] keeps.
    pub fn counter(&self) -> Result<u64, StoreError> {
        self.db.counter()
    }

    /// This account's newest device list, to publish.
    pub fn device_list(&mut self) -> Result<DeviceList, StoreError> {
        self.write(|tx| Ok(load_own(tx)?.list().clone()))
    }

    /// A bundle for the server to hand out (each one-time prekey once).
    pub fn bundle(&mut self) -> Result<Vec<u8>, StoreError> {
        self.write(|tx| {
            let mut device = load_device(tx)?;
            let bundle = device
                .bundle()
                .ok_or(StoreError::NotFound("signed prekey"))?
                .to_bytes();
            save_device(tx, &device)?;
            Ok(bundle)
        })
    }

    /// Whether the server should get new prekeys: some never went to it
    /// (a new store's first keys), fewer than [`PREKEY_LOW_WATER`]
    /// one-time prekeys are left, or a rotation is due.
    pub fn upload_due(&mut self, now: u64) -> Result<bool, StoreError> {
        self.write(|tx| {
            let device = load_device(tx)?;
            Ok(device.has_unpublished()
                || device.one_time_prekey_count() < PREKEY_LOW_WATER
                || device.needs_rotation(now))
        })
    }

    /// Tops the one-time prekeys up to [`PREKEY_TARGET`] (and the ML-KEM
    /// ones to [`KEM_PREKEY_TARGET`]), rotates what is due, and returns the
    /// signed incremental upload of what the server lacks (`None` if it
    /// lacks nothing). Committed before it returns: upload the bytes, and
    /// upload them again after a crash (uploads are idempotent).
    pub fn prekey_upload(&mut self, now: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.write(|tx| {
            let mut device = load_device(tx)?;
            let missing = PREKEY_TARGET.saturating_sub(device.one_time_prekey_count());
            if missing > 0 {
                device.generate_one_time_prekeys(tx.rng, missing);
            }
            let kem_missing = KEM_PREKEY_TARGET.saturating_sub(device.kem_one_time_prekey_count());
            if kem_missing > 0 {
                device.generate_kem_one_time_prekeys(tx.rng, kem_missing);
            }
            let upload = device.upload(tx.rng, now).map(|u| u.to_bytes());
            save_device(tx, &device)?;
            Ok(upload)
        })
    }

    /// Pins a contact from its device list (trust on first use; compare
    /// safety numbers), or moves a pinned one along `chain`. A device
    /// removed from a contact's list holds the current chain of every group
    /// the contact is in: each such chain must rotate before its next
    /// message.
    pub fn update_contact(&mut self, chain: &[DeviceList]) -> Result<(), StoreError> {
        let first = chain
            .first()
            .ok_or(StoreError::NotFound("device list"))?
            .clone();
        self.write(|tx| {
            let id = tx.key.index(b"contact", &first.account().to_bytes());
            let contact = match tx.get(Kind::Contact, &id)? {
                Some(plain) => {
                    let mut c = Contact::from_bytes(&plain)?;
                    let change = c.update(chain)?;
                    if !change.removed.is_empty() {
                        crate::groups::member_lost_devices(tx, c.account())?;
                    }
                    c
                }
                None => {
                    let mut c = Contact::pin(first.clone());
                    c.update(chain.get(1..).unwrap_or_default())?;
                    c
                }
            };
            tx.put(Kind::Contact, &id, &contact.to_bytes())?;
            // A roster or chain key from this contact may have waited for it.
            for e in crate::deferred::retry(tx, 0)? {
                tx.append(Mailbox::Events, &e.encode())?;
            }
            Ok(())
        })
    }

    /// The messages waiting to be sent (or sent again), oldest first.
    pub fn outbox(&self) -> Result<Vec<Outgoing>, StoreError> {
        read_mailbox(&self.db.conn, &self.db.key, Mailbox::Outbox)?
            .into_iter()
            .map(|(id, v)| Outgoing::decode(id, &v))
            .collect()
    }

    /// The server acknowledged an outgoing message: it leaves the outbox.
    pub fn mark_sent(&mut self, id: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            if tx.remove(Mailbox::Outbox, id)? {
                Ok(())
            } else {
                Err(StoreError::NotFound("outbox entry"))
            }
        })
    }

    /// The messages decrypted and not yet acknowledged, oldest first: after
    /// a crash, what the app has not saved yet.
    pub fn pending(&self) -> Result<Vec<Incoming>, StoreError> {
        crate::inbox::pending(&self.db.conn, &self.db.key)
    }

    /// The app saved an incoming message: it leaves the inbox, and a
    /// redelivery of it is recognised and dropped.
    pub fn ack(&mut self, id: i64) -> Result<(), StoreError> {
        self.write(|tx| crate::inbox::ack(tx, id))
    }

    /// What the app must be told, oldest first.
    pub fn events(&self) -> Result<Vec<(i64, Event)>, StoreError> {
        read_mailbox(&self.db.conn, &self.db.key, Mailbox::Events)?
            .into_iter()
            .map(|(id, v)| Ok((id, Event::decode(&v)?)))
            .collect()
    }

    /// The app has shown an event.
    pub fn dismiss(&mut self, id: i64) -> Result<(), StoreError> {
        self.write(|tx| {
            if tx.remove(Mailbox::Events, id)? {
                Ok(())
            } else {
                Err(StoreError::NotFound("event"))
            }
        })
    }
}

/// A new store's objects: the device (identity, prekeys), the account.
fn create(tx: &mut Tx<'_>, label: &str, now: u64) -> Result<(), StoreError> {
    let identity = IdentityKeyPair::generate(tx.rng);
    let mut device = PreKeyStore::new(tx.rng, identity, now);
    device.generate_one_time_prekeys(tx.rng, PREKEY_TARGET);
    device.generate_kem_one_time_prekeys(tx.rng, KEM_PREKEY_TARGET);
    let own = OwnAccount::create(tx.rng, device.identity_key(), label)?;
    save_device(tx, &device)?;
    tx.put(Kind::Account, &[], &own.to_bytes())
}

pub(crate) fn load_device(tx: &Tx<'_>) -> Result<PreKeyStore, StoreError> {
    let plain = tx
        .get(Kind::Device, &[])?
        .ok_or_else(|| StoreError::Corrupt("no device".into()))?;
    Ok(PreKeyStore::from_bytes(&plain)?)
}

pub(crate) fn save_device(tx: &mut Tx<'_>, device: &PreKeyStore) -> Result<(), StoreError> {
    tx.put(Kind::Device, &[], &device.to_bytes())
}

pub(crate) fn load_own(tx: &Tx<'_>) -> Result<OwnAccount, StoreError> {
    let plain = tx
        .get(Kind::Account, &[])?
        .ok_or_else(|| StoreError::Corrupt("no account".into()))?;
    Ok(OwnAccount::from_bytes(&plain)?)
}

/// The contact whose newest list names `device`, if any.
pub(crate) fn contact_of(tx: &Tx<'_>, device: &IdentityKey) -> Result<Option<Contact>, StoreError> {
    for (_, plain) in tx.all(Kind::Contact)? {
        let c = Contact::from_bytes(&plain)?;
        if c.allows(device) {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

/// The verified list naming `device`: this account's own, or a contact's.
pub(crate) fn list_of(tx: &Tx<'_>, device: &IdentityKey) -> Result<Option<DeviceList>, StoreError> {
    let own = load_own(tx)?;
    if own.list().contains(device) {
        return Ok(Some(own.list().clone()));
    }
    Ok(contact_of(tx, device)?.map(|c| c.list().clone()))
}
