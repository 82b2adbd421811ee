//! Accounts and devices (docs/PROTOCOL.md §14): this device's account and
//! its signed device list, pinned contacts, linking a new device by its
//! code, fan-out to every listed device, and the device-list heads that
//! expose an operator showing two people different lists.
//!
//! Lock order (no call holds two locks in another order, so concurrent
//! calls cannot deadlock): an `Account`, then a `Contact`, then the
//! `Session`s in the order of their addresses (`fanout` alone holds all
//! three kinds: account, contact, sessions; `receive` holds the account,
//! then the contact). `Account.provision` and `Account.safety_number` read
//! each contact under its own lock and release it before taking the
//! account's, and an object's generator is locked only after the object.

use std::sync::{Arc, Mutex};

use qorgan::account::{self as core, DeviceEntry, DeviceList, LinkCode};
use qorgan::{Expected, StateOwner, SystemRng};

use crate::device::{Device, SafetyNumber};
use crate::error::{Failure, QorganError};
use crate::integer::{from_id, id_arg};
use crate::lock::{lock, parse_account_key, parse_chain, parse_identity, parse_storage_key};
use crate::session::{Session, TakenSessions};

/// The head of a device list: its version and hash (SHA-256 over the
/// list, docs/PROTOCOL.md §14.2). What holders compare, and what a server
/// holds to check the next version (`verify_device_list_after`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListHead {
    /// The list's version (1 for an account's first list).
    pub version: i64,
    /// The list's hash (32 bytes).
    pub hash: Vec<u8>,
}

impl From<core::ListHead> for ListHead {
    fn from(h: core::ListHead) -> Self {
        Self {
            version: from_id(h.version),
            hash: h.hash.to_vec(),
        }
    }
}

/// One device of an account's list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfo {
    /// The device's identity key (standalone encoding, as
    /// `Device.identity_key` and `Session.remote_identity` return it).
    pub identity_key: Vec<u8>,
    /// The label the account gave it ("Asel's phone"; may be empty).
    pub label: String,
}

impl From<&DeviceEntry> for DeviceInfo {
    fn from(d: &DeviceEntry) -> Self {
        Self {
            identity_key: d.identity.to_bytes(),
            label: d.label.clone(),
        }
    }
}

fn device_infos(entries: &[DeviceEntry]) -> Vec<DeviceInfo> {
    entries.iter().map(DeviceInfo::from).collect()
}

/// What an update changed: show it ("Bob added a device: Bob's tablet").
/// `before` equal to `after` means nothing changed. (The crate's `from`
/// and `to`, renamed: `from` is a Python keyword.)
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListChange {
    /// The head held before.
    pub before: ListHead,
    /// The head held now.
    pub after: ListHead,
    /// Devices in the new list and not in the old one.
    pub added: Vec<DeviceInfo>,
    /// Devices in the old list and not in the new one.
    pub removed: Vec<DeviceInfo>,
}

impl From<core::ListChange> for ListChange {
    fn from(c: core::ListChange) -> Self {
        Self {
            before: c.from.into(),
            after: c.to.into(),
            added: device_infos(&c.added),
            removed: device_infos(&c.removed),
        }
    }
}

/// How a head carried by a message compares with the list held.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Comparison {
    /// The same list.
    Same,
    /// The message names a newer version: fetch the lists from the held
    /// version up to `seen` and `update` with them (which refuses them as
    /// a `Fork` if they do not chain).
    Newer {
        /// Held.
        held: ListHead,
        /// Named by the message.
        seen: ListHead,
    },
    /// The message names an older version: the sender has not caught up
    /// yet. Nothing to do.
    Older {
        /// Held.
        held: ListHead,
        /// Named by the message.
        seen: ListHead,
    },
    /// One version, two lists (both signed by the account key: a stolen
    /// key, or two devices changing the list at once), and the operator
    /// showed the two sides different ones. Show it to the user.
    Fork {
        /// Held.
        held: ListHead,
        /// Named by the message.
        seen: ListHead,
    },
}

impl From<core::Comparison> for Comparison {
    fn from(c: core::Comparison) -> Self {
        match c {
            core::Comparison::Same => Self::Same,
            core::Comparison::Newer { held, seen } => Self::Newer {
                held: held.into(),
                seen: seen.into(),
            },
            core::Comparison::Older { held, seen } => Self::Older {
                held: held.into(),
                seen: seen.into(),
            },
            core::Comparison::Fork { held, seen } => Self::Fork {
                held: held.into(),
                seen: seen.into(),
            },
        }
    }
}

/// What a receiver learns from the heads a message carried.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HeadReport {
    /// The sender's account list, against the one held for it.
    pub sender: Comparison,
    /// The sender's view of the conversation's other account (this
    /// account for a contact's message; the contact for a message from one
    /// of this account's other devices), against the one held.
    pub peer: Comparison,
    /// Whether either comparison is a `Fork`.
    pub fork: bool,
}

impl From<core::HeadReport> for HeadReport {
    fn from(r: core::HeadReport) -> Self {
        Self {
            fork: r.fork(),
            sender: r.sender.into(),
            peer: r.peer.into(),
        }
    }
}

/// A received message's body, and what its heads said.
#[derive(uniffi::Record)]
pub struct Received {
    /// The application's body.
    pub body: Vec<u8>,
    /// How the heads it carried compare with the lists held; `None` when
    /// it carried none (heads go out when they change, and at least every
    /// 32 messages).
    pub report: Option<HeadReport>,
}

/// Without the body, so that logging a result does not log the message.
impl std::fmt::Debug for Received {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Received")
            .field("len", &self.body.len())
            .field("report", &self.report)
            .finish()
    }
}

/// One device's outcome of a fan-out.
#[derive(Debug, uniffi::Record)]
pub struct Delivery {
    /// The device (standalone identity key encoding).
    pub identity_key: Vec<u8>,
    /// The ciphertext to send it, if it gets one.
    pub ciphertext: Option<Vec<u8>>,
    /// Why it gets nothing: `NotListed` (a session with a device in no
    /// verified list), `NoSession` (a listed device without a session), or
    /// the session's encrypt error.
    pub error: Option<Failure>,
}

impl From<core::Delivery> for Delivery {
    fn from(d: core::Delivery) -> Self {
        let identity_key = d.device.to_bytes();
        match d.result {
            Ok(c) => Self {
                identity_key,
                ciphertext: Some(c),
                error: None,
            },
            Err(e) => Self {
                identity_key,
                ciphertext: None,
                error: Some(QorganError::from(e).failure()),
            },
        }
    }
}

/// A new device's account and contacts, from its provisioning message.
#[derive(Debug, uniffi::Record)]
pub struct Provisioned {
    /// The account, with this device listed (and the account key if the
    /// linking device shared it).
    pub account: Arc<Account>,
    /// The contacts the linking device pinned, each with its newest list.
    pub contacts: Vec<Arc<Contact>>,
}

/// This device's account: the newest device list, this device's place in
/// it, and (on devices trusted with it) the account key that signs lists.
/// Only a device holding the account key can link or remove devices; the
/// server can do neither.
#[derive(Debug, uniffi::Object)]
pub struct Account {
    inner: Mutex<core::Account>,
    rng: Mutex<SystemRng>,
}

impl Account {
    fn wrap(account: core::Account) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap_with(account, SystemRng::new()?))
    }

    fn wrap_with(account: core::Account, rng: SystemRng) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(account),
            rng: Mutex::new(rng),
        })
    }

    /// The account key (public), read under the account's lock and
    /// released.
    pub(crate) fn public_key(&self) -> Result<core::AccountKey, QorganError> {
        Ok(*lock(&self.inner)?.account_key())
    }

    /// A copy of the newest own list, read under the account's lock and
    /// released (so that no other lock is taken while it is held).
    pub(crate) fn list_copy(&self) -> Result<DeviceList, QorganError> {
        Ok(lock(&self.inner)?.list().clone())
    }

    /// Runs `f` with the account key pair, under the account's lock:
    /// `NoAccountKey` on a device linked without it.
    pub(crate) fn with_key_pair<R>(
        &self,
        f: impl FnOnce(&core::AccountKeyPair) -> Result<R, QorganError>,
    ) -> Result<R, QorganError> {
        let account = lock(&self.inner)?;
        f(account.key_pair()?)
    }
}

#[uniffi::export]
impl Account {
    /// A new account whose only device is `device`, listed as `label` (at
    /// most 64 bytes of UTF-8), with a fresh account key. Publish
    /// `device_list()` and seal the account. Kotlin: pass a device that is
    /// still open.
    #[uniffi::constructor]
    pub fn create(device: &Device, label: String) -> Result<Arc<Self>, QorganError> {
        let mut rng = SystemRng::new()?;
        let account = core::Account::create(&mut rng, &device.public_identity()?, &label)?;
        Ok(Self::wrap_with(account, rng))
    }

    /// Restores an account sealed by [`Account::seal`]: the account
    /// `account_key` (32 bytes, [`Account::account_key`]) at
    /// `min_generation` (its [`Account::generation`] recorded after the
    /// last seal; 0 if none) or later. Another account's blob is refused
    /// with `WrongOwner`, an older one with `RolledBack`.
    #[uniffi::constructor]
    pub fn open(
        storage_key: Vec<u8>,
        sealed: Vec<u8>,
        account_key: Vec<u8>,
        min_generation: i64,
    ) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let owner = StateOwner::account(&parse_account_key(&account_key)?);
        let expected = Expected::new(owner, id_arg(min_generation));
        Self::wrap(core::Account::open(&key, &sealed, &expected)?)
    }

    /// The account encrypted under a 32-byte storage key (with the account
    /// key, if this device holds it), bound to the account key and to the
    /// next generation, which [`Account::generation`] then returns: record
    /// it with the blob and pass it to `open`.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let mut a = lock(&self.inner)?;
        Ok(a.seal(&mut *lock(&self.rng)?, &key))
    }

    /// The generation of the last `seal` or `open` (0 if neither): the
    /// `min_generation` to pass to `open` next time.
    pub fn generation(&self) -> Result<i64, QorganError> {
        Ok(from_id(lock(&self.inner)?.generation()))
    }

    /// Raises the generation to at least `generation` (the one recorded
    /// for this owner), so that the next `seal` is above it
    /// (docs/INTEGRATION.md).
    pub fn resume_generation(&self, generation: i64) -> Result<(), QorganError> {
        lock(&self.inner)?.resume_generation(id_arg(generation));
        Ok(())
    }

    /// The public account key (32 bytes): the owner of this account's
    /// sealed state and of its contacts' view of it. Not secret.
    pub fn account_key(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.account_key().to_bytes().to_vec())
    }

    /// The newest device list this device holds, signed: publish it
    /// through the server after every change (`provision`,
    /// `remove_device`).
    pub fn device_list(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.list().to_bytes())
    }

    /// The head of the newest list.
    pub fn head(&self) -> Result<ListHead, QorganError> {
        Ok(lock(&self.inner)?.head().into())
    }

    /// The account's devices, this one included (for a devices screen).
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, QorganError> {
        Ok(device_infos(lock(&self.inner)?.list().devices()))
    }

    /// Whether this device holds the account key (can link and remove
    /// devices).
    pub fn holds_account_key(&self) -> Result<bool, QorganError> {
        Ok(lock(&self.inner)?.holds_account_key())
    }

    /// Whether this device is still in the newest list (another device may
    /// have removed it: then stop sending and tell the user).
    pub fn is_listed(&self) -> Result<bool, QorganError> {
        Ok(lock(&self.inner)?.is_listed())
    }

    /// Removes a device (`identity_key`, standalone encoding): returns the
    /// new list, to publish. Needs the account key (`NoAccountKey`); a
    /// device not listed is `InvalidList`. On error nothing changes.
    /// Persist the account. A removed device that was given the account
    /// key keeps it: removing it does not take the key back.
    pub fn remove_device(&self, identity_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let identity = parse_identity(&identity_key)?;
        Ok(lock(&self.inner)?.remove_device(&identity)?.to_bytes())
    }

    /// Moves to a newer own list made by another device of this account:
    /// `chain` holds the lists after the held one, ascending (the held one
    /// may lead), as the server returned them. Refused, with nothing
    /// changed: `WrongAccount`, `ListRolledBack`, `Fork` (show it), `Gap`
    /// (fetch the missing versions). Persist the account after.
    pub fn update(&self, chain: Vec<Vec<u8>>) -> Result<ListChange, QorganError> {
        let chain = parse_chain(&chain)?;
        Ok(lock(&self.inner)?.update(&chain)?.into())
    }

    /// Links the device whose code was scanned (`link_code`, the text of
    /// its QR code): adds it to the list as `label` and returns the
    /// provisioning message to send it (through the server: only that
    /// device's link request can open it). The message carries the new
    /// list, the lists of `contacts` (at most 10 000) and, if
    /// `share_account_key`, the account key: share it only with devices
    /// that should link and remove devices. Needs the account key. Show
    /// `link_code_device(link_code)` (or the label the user typed) and ask
    /// for confirmation first. On error nothing changes; on success persist
    /// the account and publish `device_list()`. Kotlin: pass only contacts
    /// that are still open.
    pub fn provision(
        &self,
        link_code: String,
        label: String,
        contacts: Vec<Arc<Contact>>,
        share_account_key: bool,
    ) -> Result<Vec<u8>, QorganError> {
        let code = LinkCode::parse(&link_code).map_err(QorganError::from_link_code)?;
        // Copies of the contacts' lists, each read under its own lock: no
        // contact lock is held with the account's.
        let pinned = contacts
            .iter()
            .map(|c| Ok(core::Contact::pin(lock(&c.inner)?.list().clone())))
            .collect::<Result<Vec<_>, QorganError>>()?;
        let refs: Vec<&core::Contact> = pinned.iter().collect();
        let mut account = lock(&self.inner)?;
        let mut rng = lock(&self.rng)?;
        Ok(account.provision(&mut *rng, &code, &label, &refs, share_account_key)?)
    }

    /// The account safety number with `contact` (stable while either side
    /// adds or removes devices): `own_id` and `their_id` are the two
    /// users' stable ids (e.g. phone numbers or user names; may be empty),
    /// each side passing its own first. Compare it as `Device.safety_number`.
    /// Kotlin: pass a contact that is still open.
    pub fn safety_number(
        &self,
        own_id: Vec<u8>,
        contact: &Contact,
        their_id: Vec<u8>,
    ) -> Result<SafetyNumber, QorganError> {
        let own = *lock(&self.inner)?.account_key();
        let n = lock(&contact.inner)?.safety_number(&own, &own_id, &their_id);
        Ok(SafetyNumber {
            display: n.display_string(),
            scannable: n.scannable().to_vec(),
        })
    }
}

/// Another account: its account key, pinned at first use (confirm it by
/// comparing `Account.safety_number`), and its newest verified device list.
/// Sends go only to the devices of that list.
#[derive(Debug, uniffi::Object)]
pub struct Contact {
    inner: Mutex<core::Contact>,
}

impl Contact {
    /// Infallible (`seal` makes its own generator), so that nothing can
    /// fail after `LinkRequest.complete` has used the request.
    fn wrap(contact: core::Contact) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(contact),
        })
    }

    /// A copy of the contact's newest verified list, read under its lock
    /// and released.
    pub(crate) fn list_copy(&self) -> Result<DeviceList, QorganError> {
        Ok(lock(&self.inner)?.list().clone())
    }
}

#[uniffi::export]
impl Contact {
    /// Pins the account that signed `device_list` (as the server returned
    /// it; every signature is verified): trust on first use, until the
    /// users compare their account safety number. Persist the contact.
    #[uniffi::constructor]
    pub fn pin(device_list: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap(core::Contact::pin(DeviceList::from_bytes(
            &device_list,
        )?)))
    }

    /// Restores a contact sealed by [`Contact::seal`]: the contact whose
    /// account key is `account_key` ([`Contact::account_key`]), at
    /// `min_generation` (its [`Contact::generation`] recorded after the
    /// last seal; 0 if none) or later. Another contact's blob is refused
    /// with `WrongOwner`, an older one with `RolledBack`: an older contact
    /// would accept a device list the newer one refused.
    #[uniffi::constructor]
    pub fn open(
        storage_key: Vec<u8>,
        sealed: Vec<u8>,
        account_key: Vec<u8>,
        min_generation: i64,
    ) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let owner = StateOwner::account(&parse_account_key(&account_key)?);
        let expected = Expected::new(owner, id_arg(min_generation));
        Ok(Self::wrap(core::Contact::open(&key, &sealed, &expected)?))
    }

    /// The contact encrypted under a 32-byte storage key, bound to its
    /// account key and to the next generation, which
    /// [`Contact::generation`] then returns: record it with the blob and
    /// pass it to `open`.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let mut rng = SystemRng::new()?;
        Ok(lock(&self.inner)?.seal(&mut rng, &key))
    }

    /// The generation of the last `seal` or `open` (0 if neither): the
    /// `min_generation` to pass to `open` next time.
    pub fn generation(&self) -> Result<i64, QorganError> {
        Ok(from_id(lock(&self.inner)?.generation()))
    }

    /// Raises the generation to at least `generation` (the one recorded
    /// for this owner), so that the next `seal` is above it
    /// (docs/INTEGRATION.md).
    pub fn resume_generation(&self, generation: i64) -> Result<(), QorganError> {
        lock(&self.inner)?.resume_generation(id_arg(generation));
        Ok(())
    }

    /// The pinned account key (32 bytes).
    pub fn account_key(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.account().to_bytes().to_vec())
    }

    /// The head of the newest verified list.
    pub fn head(&self) -> Result<ListHead, QorganError> {
        Ok(lock(&self.inner)?.head().into())
    }

    /// The newest verified list, signed (as the server served it).
    pub fn device_list(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.list().to_bytes())
    }

    /// The account's devices: the ones to open sessions with and send to.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, QorganError> {
        Ok(device_infos(lock(&self.inner)?.devices()))
    }

    /// Whether `identity_key` (standalone encoding) is one of the
    /// account's devices.
    pub fn allows(&self, identity_key: Vec<u8>) -> Result<bool, QorganError> {
        let identity = parse_identity(&identity_key)?;
        Ok(lock(&self.inner)?.allows(&identity))
    }

    /// Moves to a newer list: `chain` holds the lists after the held one,
    /// ascending (the held one may lead), as the server returned them.
    /// Refused, with nothing changed: `WrongAccount` (another account's
    /// list), `ListRolledBack` (older than the one held), `Fork` (another
    /// list at the held version, or one that does not chain: show it),
    /// `Gap` (fetch the missing versions). Show `added` and `removed`;
    /// persist the contact after.
    pub fn update(&self, chain: Vec<Vec<u8>>) -> Result<ListChange, QorganError> {
        let chain = parse_chain(&chain)?;
        Ok(lock(&self.inner)?.update(&chain)?.into())
    }
}

/// A new device's request to be linked to an account. Show `code()` as a
/// QR code on this device's screen only (it carries the link secret),
/// keep the request in memory until the provisioning message arrives, then
/// `complete` it. It has no state format: after a restart, make a new one.
#[derive(Debug, uniffi::Object)]
pub struct LinkRequest {
    inner: Mutex<core::LinkRequest>,
}

#[uniffi::export]
impl LinkRequest {
    /// A request to link `device` (a fresh link key and link secret).
    /// Kotlin: pass a device that is still open.
    #[uniffi::constructor]
    pub fn new(device: &Device) -> Result<Arc<Self>, QorganError> {
        let mut rng = SystemRng::new()?;
        let request = core::LinkRequest::new(&mut rng, &device.public_identity()?);
        Ok(Arc::new(Self {
            inner: Mutex::new(request),
        }))
    }

    /// The text to show as a QR code (285 characters of RFC 4648 base32,
    /// which fits QR alphanumeric mode). Secret until used: show it on this
    /// device's screen only, never send it through the server.
    pub fn code(&self) -> Result<String, QorganError> {
        Ok(lock(&self.inner)?.code().to_string())
    }

    /// Opens the provisioning message made for this request: the account
    /// (this device listed in it) and the contacts the linking device
    /// pinned. A message opens once; any other (made for another request,
    /// modified, replayed) is refused with `ProvisioningFailed`, leaving
    /// the request usable. Seal the account and the contacts.
    pub fn complete(&self, message: Vec<u8>) -> Result<Provisioned, QorganError> {
        // Every generator first: once `complete` succeeds, the request is
        // used and the objects must reach the app.
        let rng = SystemRng::new()?;
        let (account, contacts) = lock(&self.inner)?.complete(&message)?;
        Ok(Provisioned {
            account: Account::wrap_with(account, rng),
            contacts: contacts.into_iter().map(Contact::wrap).collect(),
        })
    }
}

/// The identity key (standalone encoding) of the device asking to be
/// linked by `link_code` (the scanned QR text): show it, or check it
/// against the device the user means, before `Account.provision`.
#[uniffi::export]
pub fn link_code_device(link_code: String) -> Result<Vec<u8>, QorganError> {
    Ok(LinkCode::parse(&link_code)
        .map_err(QorganError::from_link_code)?
        .device()
        .to_bytes())
}

/// Encrypts `body` once for every device of the conversation: each device
/// of `contact`'s newest verified list and each other device of
/// `account`, through its session in `sessions` (in an account envelope
/// that carries the device-list heads when they are due). One `Delivery`
/// per listed device (the contact's first, in list order), then one
/// `NotListed` per session with a device in neither list: such a device
/// gets nothing. A listed device without a session is `NoSession`.
/// Persist every session that encrypted, and the contact, before sending.
///
/// Locks the account, then the contact, then the sessions (by address).
/// Kotlin: pass only objects that are still open (the `ByteArray` overload
/// checks).
#[uniffi::export]
pub fn fanout(
    account: &Account,
    contact: &Contact,
    sessions: Vec<Arc<Session>>,
    body: &[u8],
) -> Result<Vec<Delivery>, QorganError> {
    let mut rng = SystemRng::new()?;
    let account = lock(&account.inner)?;
    let mut contact = lock(&contact.inner)?;
    let mut taken = TakenSessions::take(&sessions)?;
    let deliveries = core::fanout(&mut rng, &account, &mut contact, taken.sessions_mut(), body);
    drop(taken);
    Ok(deliveries.into_iter().map(Delivery::from).collect())
}

/// The two accounts a decrypted message's account envelope names
/// (`envelope_accounts`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EnvelopeAccounts {
    /// The sending device's account key (32 bytes), as the sender put it.
    pub sender: Vec<u8>,
    /// The account key (32 bytes) the sender addressed: its conversation
    /// partner.
    pub recipient: Vec<u8>,
}

/// The sending and addressed account keys of a decrypted message's
/// account envelope, read before `receive` to find the conversation: for
/// a contact's message, `sender` is the contact and `recipient` this
/// account; for a copy from one of this account's other devices, `sender`
/// is this account and `recipient` the contact it was sent to. A device
/// may be listed by several accounts: route by these, not by the device.
/// `Malformed` if `plaintext` is not an account envelope. Says nothing of
/// whether they are true: `receive` checks the sending device against the
/// named account's list.
#[uniffi::export]
pub fn envelope_accounts(plaintext: &[u8]) -> Result<EnvelopeAccounts, QorganError> {
    let envelope = core::open_envelope(plaintext)?;
    Ok(EnvelopeAccounts {
        sender: envelope.sender.to_bytes().to_vec(),
        recipient: envelope.recipient.to_bytes().to_vec(),
    })
}

/// Opens the account envelope of a message that `sender_identity`'s
/// session decrypted (`Session.decrypt`, or `Device.accept` for a first
/// message; pass `Session.remote_identity()`), in the conversation with
/// `contact`. The envelope must name the contact's account as sender and
/// this account as recipient, or (a copy from this account's other device)
/// this account as sender and the contact's as recipient; anything else is
/// `Misaddressed` (another conversation). Then the sending device must be
/// in the named sending account's newest list (not this device):
/// `DeviceNotListed` otherwise. Drop a refused message. A device listed by
/// several accounts is thus attributed to the account its envelope names.
/// The report compares the heads the message carried with the lists held:
/// fetch and `update` on `Newer`, show a `Fork`.
///
/// Locks the account, then the contact. Kotlin: pass objects that are
/// still open (the `ByteArray` overload checks).
#[uniffi::export]
pub fn receive(
    account: &Account,
    contact: &Contact,
    sender_identity: Vec<u8>,
    plaintext: &[u8],
) -> Result<Received, QorganError> {
    let sender = parse_identity(&sender_identity)?;
    let account = lock(&account.inner)?;
    let contact = lock(&contact.inner)?;
    let r = core::receive(&account, &contact, &sender, plaintext)?;
    Ok(Received {
        body: r.body.to_vec(),
        report: r.report.map(HeadReport::from),
    })
}
