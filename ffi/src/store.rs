//! The account store (crate `qorgan-store`, docs/PROTOCOL.md §17) through
//! uniffi: one `StoreAccount` per device, over an SQLite file sealed under
//! a `StorageKey`. Every call is one SQLite transaction that commits the
//! new protocol state together with what it produced (ciphertext into the
//! outbox, plaintext into the inbox, notices into the events): there is
//! nothing for the app to persist itself.
//!
//! Only conversions live here. Secrets: the storage key stays behind its
//! object (`to_bytes` is the one explicit way out, for the keystore), key
//! bytes handed in are wiped, and plaintext this layer copies on its way
//! out is wiped before its buffer is freed (tests/memory.rs scans freed
//! memory for it).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use qorgan::IdentityKey;
use qorgan::message::{MessageKind, peek};
use qorgan_store as st;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Failure, QorganError};
use crate::integer::{from_id, id_arg, u64_arg};
use crate::lock::{check_group_id, lock, parse_chain, parse_identity};
use crate::roster::{Roster, RosterMember, parse_members};

/// The key a store is sealed under (32 random bytes). Keep it in the
/// platform keystore (Android Keystore-wrapped, iOS Keychain); it never
/// leaves this object except through `to_bytes`.
#[derive(uniffi::Object)]
pub struct StorageKey {
    inner: Box<qorgan::StorageKey>,
}

impl std::fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StorageKey([redacted])")
    }
}

impl StorageKey {
    pub(crate) fn core(&self) -> &qorgan::StorageKey {
        &self.inner
    }
}

#[uniffi::export]
impl StorageKey {
    /// A fresh random key from the operating system's generator.
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>, QorganError> {
        let mut rng = qorgan::SystemRng::new()?;
        Ok(Arc::new(Self {
            inner: Box::new(qorgan::StorageKey::generate(&mut rng)),
        }))
    }

    /// The key from its 32 bytes (as `to_bytes` gave them to the
    /// keystore). The bytes passed in are wiped here once read.
    #[uniffi::constructor]
    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        let key: Result<Zeroizing<[u8; 32]>, _> = <[u8; 32]>::try_from(bytes.as_slice())
            .map(Zeroizing::new)
            .map_err(|_| QorganError::InvalidArgument {
                reason: format!("storage key must be 32 bytes, got {}", bytes.len()),
            });
        bytes.zeroize();
        let key = key?;
        Ok(Arc::new(Self {
            inner: Box::new(qorgan::StorageKey::from_bytes(*key)),
        }))
    }

    /// The 32 key bytes, to hand to the platform keystore. Secret: keep
    /// them nowhere else.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes().to_vec()
    }
}

/// The app's copy of the store's counter, kept outside the store file (the
/// platform keystore, which backups do not restore): a file whose counter
/// is below it is an older copy put back (`StoreRolledBack`). Implemented
/// by the app; both methods are called with the store's lock held, must
/// return quickly and must not throw.
#[uniffi::export(with_foreign)]
pub trait StoreAnchor: Send + Sync {
    /// The counter last stored, exactly as `store` gave it (its 64 bits),
    /// or `None` (Kotlin `null`, Swift `nil`) if none yet: never a
    /// sentinel such as -1, which is a counter value and would read as a
    /// rolled-back store.
    fn load(&self) -> Option<i64>;
    /// Records the counter after a commit.
    fn store(&self, counter: i64);
}

struct AnchorAdapter(Arc<dyn StoreAnchor>);

impl st::Anchor for AnchorAdapter {
    fn load(&self) -> Option<u64> {
        self.0.load().map(id_arg)
    }
    fn store(&self, counter: u64) {
        self.0.store(from_id(counter))
    }
}

/// SQLite's `synchronous` setting (WAL journal either way). An anchored
/// store always commits with `Full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Durability {
    /// A commit survives the app crashing; the last commits may be lost if
    /// the device loses power (state and mail are lost together, so every
    /// message stays exactly-once).
    Normal,
    /// A commit survives power loss too (slower).
    Full,
}

/// How to open a store.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StoreOptions {
    /// SQLite durability.
    pub durability: Durability,
    /// This device's label in a new account's device list.
    #[uniffi(default = "")]
    pub device_label: String,
    /// The caller's clock (Unix seconds), to date a new store's prekeys.
    pub now: i64,
}

impl StoreOptions {
    fn core(&self) -> Result<st::Options, QorganError> {
        Ok(st::Options {
            durability: match self.durability {
                Durability::Normal => st::Durability::Normal,
                Durability::Full => st::Durability::Full,
            },
            device_label: self.device_label.clone(),
            now: u64_arg(self.now, "now")?,
        })
    }
}

/// Where an outgoing message goes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Destination {
    /// One device (a 1:1 message): its identity key.
    Device {
        /// The device's identity key (standalone encoding).
        identity_key: Vec<u8>,
    },
    /// A group (one message for every member device).
    Group {
        /// The group id.
        group_id: Vec<u8>,
    },
}

/// A message in the outbox: send `bytes` to `to`, then `mark_sent(id)`
/// once the server acknowledged it. After a crash, `outbox()` returns it
/// again: send the same bytes again.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Outgoing {
    /// The outbox id.
    pub id: i64,
    /// The destination.
    pub to: Destination,
    /// The ciphertext.
    pub bytes: Vec<u8>,
}

impl From<st::Outgoing> for Outgoing {
    fn from(o: st::Outgoing) -> Self {
        Self {
            id: o.id,
            to: match o.to {
                st::Destination::Device(d) => Destination::Device {
                    identity_key: d.to_bytes(),
                },
                st::Destination::Group(g) => Destination::Group { group_id: g },
            },
            bytes: o.bytes,
        }
    }
}

/// A decrypted message in the inbox: save it in the app's database, then
/// `ack(id)`. After a crash, `pending()` returns it again.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Incoming {
    /// The inbox id.
    pub id: i64,
    /// The sending device's identity key (authenticated by the session or
    /// the group chain): show its account as the author.
    pub sender: Vec<u8>,
    /// The group, for a group message.
    pub group_id: Option<Vec<u8>>,
    /// The 1:1 session it arrived on (32 bytes; `None` for group messages).
    pub session_id: Option<Vec<u8>>,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

impl std::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incoming")
            .field("id", &self.id)
            .field("len", &self.plaintext.len())
            .finish_non_exhaustive()
    }
}

impl From<st::Incoming> for Incoming {
    fn from(mut m: st::Incoming) -> Self {
        // Moved, not copied: the store's buffer becomes this record's.
        let plaintext = std::mem::take(&mut m.plaintext);
        Self {
            id: m.id,
            sender: m.from.to_bytes(),
            group_id: m.group.take(),
            session_id: m.session.map(|s| s.to_vec()),
            plaintext,
        }
    }
}

/// Something to tell the user (then `dismiss(id)`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum StoreEvent {
    /// A device's session is broken (repeated undecryptable messages):
    /// fetch its bundle and call `heal`.
    SessionBroken {
        /// The device's identity key.
        device: Vec<u8>,
    },
    /// A device started a new session after its old one broke: messages it
    /// sent before may be lost; ask it to resend.
    SessionReset {
        /// The device's identity key.
        device: Vec<u8>,
    },
    /// A member device's group chain arrived: its messages now decrypt.
    GroupKey {
        /// The group.
        group_id: Vec<u8>,
        /// The sending device's identity key.
        sender: Vec<u8>,
    },
    /// The group's roster changed, or this device was invited to it.
    RosterChanged {
        /// The group.
        group_id: Vec<u8>,
        /// The roster's new epoch.
        epoch: i64,
    },
    /// A group payload from this device (a chain key, a roster) arrived
    /// before it could apply (a chain key before its invitation); it is
    /// kept and applied when what it needs arrives. Nothing to do.
    Deferred {
        /// The sending device's identity key.
        device: Vec<u8>,
    },
    /// The store was opened with `open_rolled_back`: every session was
    /// reset; peers' next messages ask for healing.
    RolledBack {
        /// The file's counter.
        store: i64,
        /// The anchor's.
        anchor: i64,
    },
}

impl From<st::Event> for StoreEvent {
    fn from(e: st::Event) -> Self {
        match e {
            st::Event::SessionBroken { device } => Self::SessionBroken {
                device: device.to_bytes(),
            },
            st::Event::SessionReset { device } => Self::SessionReset {
                device: device.to_bytes(),
            },
            st::Event::GroupKey { group, sender } => Self::GroupKey {
                group_id: group,
                sender: sender.to_bytes(),
            },
            st::Event::RosterChanged { group, epoch } => Self::RosterChanged {
                group_id: group,
                epoch: from_id(epoch),
            },
            st::Event::Deferred { device } => Self::Deferred {
                device: device.to_bytes(),
            },
            st::Event::RolledBack { store, anchor } => Self::RolledBack {
                store: from_id(store),
                anchor: from_id(anchor),
            },
        }
    }
}

/// An event with its id (for `dismiss`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EventEntry {
    /// The event id.
    pub id: i64,
    /// The event.
    pub event: StoreEvent,
}

/// What a received message turned into, already committed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum StoreDelivery {
    /// A message, now in the inbox: save it, then `ack(incoming.id)`.
    Message {
        /// The message.
        incoming: Incoming,
    },
    /// A notice, now in the events (a chain key, a roster, a session
    /// reset).
    Event {
        /// The notice.
        event: StoreEvent,
    },
    /// Received before (its key is spent): drop it. If the first delivery
    /// was not acknowledged yet, it is still in `pending()`.
    Duplicate,
}

impl From<st::Delivery> for StoreDelivery {
    fn from(d: st::Delivery) -> Self {
        match d {
            st::Delivery::Message(m) => Self::Message { incoming: m.into() },
            st::Delivery::Event(e) => Self::Event { event: e.into() },
            st::Delivery::Duplicate => Self::Duplicate,
        }
    }
}

/// One queued 1:1 message for `decrypt_batch`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QueuedMessage {
    /// The sending device's identity key, as the server names it.
    pub sender: Vec<u8>,
    /// The message.
    pub bytes: Vec<u8>,
}

/// One message's result in `decrypt_batch`: a delivery or a failure.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreBatchResult {
    /// What the message turned into, if it opened.
    pub delivery: Option<StoreDelivery>,
    /// Why it did not.
    pub error: Option<Failure>,
}

/// What `group_encrypt` queued, all of it in the outbox already.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct GroupSend {
    /// The group message.
    pub message: Outgoing,
    /// This device's chain key for member devices that lacked it (after a
    /// rotation, all of them), each over its 1:1 session.
    pub distributions: Vec<Outgoing>,
    /// Member devices without a session (identity keys): they cannot read
    /// this message. Fetch their bundles, `start_session`, send again.
    pub missing: Vec<Vec<u8>>,
}

/// What `change_members` did.
#[derive(Debug, uniffi::Record)]
pub struct MembersChanged {
    /// The new roster (publish its bytes).
    pub roster: Arc<Roster>,
    /// The roster queued for every remaining member device with a session.
    pub queued: Vec<Outgoing>,
}

/// The type of a 1:1 message, read without decrypting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MessageType {
    /// For an established session.
    Message,
    /// Carries a handshake (the first messages of a session).
    PreKey,
}

/// What a 1:1 message says about where it belongs (`message_info`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MessageInfo {
    /// Message or prekey message.
    pub message_type: MessageType,
    /// For a prekey message: the initiator's handshake key (32 bytes),
    /// which names the session (`Session.base_key`).
    pub base_key: Option<Vec<u8>>,
    /// For a prekey message: the Ed25519 identity key (32 bytes) the
    /// initiator claims, not verified until the handshake is accepted.
    pub claimed_sender: Option<Vec<u8>>,
}

/// Reads a 1:1 message's type and routing information without decrypting
/// it (a store routes by itself; this is for apps holding `Session`s).
/// Normal messages carry nothing that names their session: try the
/// peer's sessions, newest first. `Malformed` for bytes that are not a
/// message.
#[uniffi::export]
pub fn message_info(message: &[u8]) -> Result<MessageInfo, QorganError> {
    Ok(match peek(message)? {
        MessageKind::Message => MessageInfo {
            message_type: MessageType::Message,
            base_key: None,
            claimed_sender: None,
        },
        MessageKind::PreKey {
            base_key,
            claimed_sender,
        } => MessageInfo {
            message_type: MessageType::PreKey,
            base_key: Some(base_key.as_bytes().to_vec()),
            claimed_sender: Some(claimed_sender.to_vec()),
        },
    })
}

/// A device's account store: identity, prekeys, account and contacts,
/// sessions, groups, the outbox, the inbox and events, in one SQLite file
/// sealed under a `StorageKey`. Every call is one transaction; two
/// processes (an app and its notification extension) may open one file at
/// once. Close it when done (Kotlin `close()`/`use {}`, Python `with` or
/// `close()`, Swift: drop the last reference).
#[derive(uniffi::Object)]
pub struct StoreAccount {
    inner: Mutex<Inner>,
}

/// The store and the identity keys already decoded for it: decoding one
/// verifies its binding signature (tens of µs), which a conversation's
/// every message would otherwise pay again for the same sender.
struct Inner {
    account: st::Account,
    identities: HashMap<Vec<u8>, IdentityKey>,
}

/// Identity keys kept decoded per store (the map is emptied when full).
const IDENTITY_CACHE: usize = 1024;

impl Inner {
    fn identity(&mut self, bytes: &[u8]) -> Result<IdentityKey, QorganError> {
        if let Some(k) = self.identities.get(bytes) {
            return Ok(*k);
        }
        let key = parse_identity(bytes)?;
        if self.identities.len() >= IDENTITY_CACHE {
            self.identities.clear();
        }
        self.identities.insert(bytes.to_vec(), key);
        Ok(key)
    }
}

impl std::fmt::Debug for StoreAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreAccount")
    }
}

fn wrap(account: st::Account) -> Arc<StoreAccount> {
    Arc::new(StoreAccount {
        inner: Mutex::new(Inner {
            account,
            identities: HashMap::new(),
        }),
    })
}

fn outgoing(list: Vec<st::Outgoing>) -> Vec<Outgoing> {
    list.into_iter().map(Outgoing::from).collect()
}

impl StoreAccount {
    fn with<R>(
        &self,
        f: impl FnOnce(&mut st::Account) -> Result<R, st::StoreError>,
    ) -> Result<R, QorganError> {
        let mut inner = lock(&self.inner)?;
        Ok(f(&mut inner.account)?)
    }

    /// As `with`, with `device` (an identity key's standalone encoding)
    /// decoded first.
    fn with_device<R>(
        &self,
        device: &[u8],
        f: impl FnOnce(&mut st::Account, &IdentityKey) -> Result<R, st::StoreError>,
    ) -> Result<R, QorganError> {
        let mut inner = lock(&self.inner)?;
        let device = inner.identity(device)?;
        Ok(f(&mut inner.account, &device)?)
    }
}

#[uniffi::export]
impl StoreAccount {
    /// Opens the store at `path` under `key`, creating it (a new identity,
    /// prekeys, and an account listing only this device) if the file is
    /// new or empty. `WrongStorageKey`, `CorruptStore`, `NewerVersion`.
    #[uniffi::constructor]
    pub fn open(
        path: String,
        key: &StorageKey,
        options: StoreOptions,
    ) -> Result<Arc<Self>, QorganError> {
        Ok(wrap(st::Account::open(
            path.as_ref(),
            key.core(),
            &options.core()?,
        )?))
    }

    /// As `open`, with the app's copy of the counter: a file older than
    /// the anchor is refused with `StoreRolledBack` (both counters). Every
    /// commit then records the new counter in the anchor.
    #[uniffi::constructor]
    pub fn open_anchored(
        path: String,
        key: &StorageKey,
        options: StoreOptions,
        anchor: Arc<dyn StoreAnchor>,
    ) -> Result<Arc<Self>, QorganError> {
        Ok(wrap(st::Account::open_anchored(
            path.as_ref(),
            key.core(),
            &options.core()?,
            Box::new(AnchorAdapter(anchor)),
        )?))
    }

    /// Opens a store that `open_anchored` refused as rolled back: every
    /// session is deleted, the prekeys rotated, group chains rotate before
    /// their next message, and a `StoreEvent.RolledBack` is queued.
    #[uniffi::constructor]
    pub fn open_rolled_back(
        path: String,
        key: &StorageKey,
        options: StoreOptions,
        anchor: Arc<dyn StoreAnchor>,
    ) -> Result<Arc<Self>, QorganError> {
        Ok(wrap(st::Account::open_rolled_back(
            path.as_ref(),
            key.core(),
            &options.core()?,
            Box::new(AnchorAdapter(anchor)),
        )?))
    }

    /// This device's identity key (standalone encoding, as
    /// `Device.identity_key`).
    pub fn identity(&self) -> Result<Vec<u8>, QorganError> {
        self.with(|a| Ok(a.identity().to_bytes()))
    }

    /// This device's account key (32 bytes, for rosters).
    pub fn account_key(&self) -> Result<Vec<u8>, QorganError> {
        self.with(|a| Ok(a.account_key().to_bytes().to_vec()))
    }

    /// The store-wide counter (one more per committed write): what the
    /// anchor keeps.
    pub fn counter(&self) -> Result<i64, QorganError> {
        self.with(|a| a.counter().map(from_id))
    }

    /// This account's newest signed device list, to publish.
    pub fn device_list(&self) -> Result<Vec<u8>, QorganError> {
        self.with(|a| Ok(a.device_list()?.to_bytes()))
    }

    /// A bundle for the server to hand out (each one-time prekey once).
    pub fn bundle(&self) -> Result<Vec<u8>, QorganError> {
        self.with(|a| a.bundle())
    }

    /// Whether the server should get new prekeys (few one-time prekeys
    /// left, or a rotation due at `now`).
    pub fn upload_due(&self, now: i64) -> Result<bool, QorganError> {
        let now = u64_arg(now, "now")?;
        self.with(|a| a.upload_due(now))
    }

    /// Tops up and rotates the prekeys and returns the signed incremental
    /// upload of what the server lacks (`None`: nothing). Committed before
    /// it returns: upload it, and again after a crash (idempotent).
    pub fn prekey_upload(&self, now: i64) -> Result<Option<Vec<u8>>, QorganError> {
        let now = u64_arg(now, "now")?;
        self.with(|a| a.prekey_upload(now))
    }

    /// Pins a contact from its device list (trust on first use; compare
    /// safety numbers), or moves a pinned one along `chain` (the lists
    /// after the held one, ascending).
    pub fn update_contact(&self, chain: Vec<Vec<u8>>) -> Result<(), QorganError> {
        let chain = parse_chain(&chain)?;
        self.with(|a| a.update_contact(&chain))
    }

    /// Starts a session with the device of `bundle` and makes it the one
    /// messages to that device use. Returns the session id (32 bytes).
    pub fn start_session(&self, bundle: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        self.with(|a| Ok(a.start_session(&bundle)?.to_vec()))
    }

    /// Starts a new session with a device whose session broke
    /// (`StoreEvent.SessionBroken`) and queues a reset message on it.
    pub fn heal(&self, bundle: Vec<u8>) -> Result<Outgoing, QorganError> {
        self.with(|a| Ok(a.heal(&bundle)?.into()))
    }

    /// Encrypts `plaintext` for `device` (identity key) on its active
    /// session; the ciphertext is in the outbox before this returns.
    /// `NoSession`: fetch its bundle and `start_session`.
    pub fn encrypt(&self, device: &[u8], plaintext: &[u8]) -> Result<Outgoing, QorganError> {
        self.with_device(device, |a, d| Ok(a.encrypt(d, plaintext)?.into()))
    }

    /// Decrypts a 1:1 message the server says `sender` sent; what it
    /// produced is committed before this returns (a message into the
    /// inbox, a notice into the events). A message received before is
    /// `Duplicate`. On error nothing changed except the count of
    /// undecryptable messages that leads to `StoreEvent.SessionBroken`.
    pub fn decrypt(
        &self,
        sender: &[u8],
        message: &[u8],
        now: i64,
    ) -> Result<StoreDelivery, QorganError> {
        let now = u64_arg(now, "now")?;
        self.with_device(sender, |a, d| Ok(a.decrypt(d, message, now)?.into()))
    }

    /// Decrypts queued messages in one transaction (a device coming
    /// online): one result per message, in order; a failure affects only
    /// its own message.
    pub fn decrypt_batch(
        &self,
        messages: Vec<QueuedMessage>,
        now: i64,
    ) -> Result<Vec<StoreBatchResult>, QorganError> {
        let mut inner = lock(&self.inner)?;
        let messages = messages
            .into_iter()
            .map(|m| Ok((inner.identity(&m.sender)?, m.bytes)))
            .collect::<Result<Vec<(IdentityKey, Vec<u8>)>, QorganError>>()?;
        let results = inner
            .account
            .decrypt_batch(&messages, u64_arg(now, "now")?)?;
        drop(inner);
        Ok(results
            .into_iter()
            .map(|r| match r {
                Ok(d) => StoreBatchResult {
                    delivery: Some(d.into()),
                    error: None,
                },
                Err(e) => StoreBatchResult {
                    delivery: None,
                    error: Some(QorganError::from(e).failure()),
                },
            })
            .collect())
    }

    /// The id (32 bytes) of the session messages to `device` use, if any.
    pub fn active_session(&self, device: Vec<u8>) -> Result<Option<Vec<u8>>, QorganError> {
        self.with_device(&device, |a, d| Ok(a.active_session(d)?.map(|s| s.to_vec())))
    }

    /// The messages waiting to be sent (or sent again after a crash),
    /// oldest first.
    pub fn outbox(&self) -> Result<Vec<Outgoing>, QorganError> {
        self.with(|a| Ok(outgoing(a.outbox()?)))
    }

    /// The server acknowledged outbox entry `id`: it leaves the outbox.
    /// `NotFound` if it is not there.
    pub fn mark_sent(&self, id: i64) -> Result<(), QorganError> {
        self.with(|a| a.mark_sent(id))
    }

    /// The messages decrypted and not acknowledged, oldest first: after a
    /// crash, what the app has not saved yet.
    pub fn pending(&self) -> Result<Vec<Incoming>, QorganError> {
        self.with(|a| Ok(a.pending()?.into_iter().map(Incoming::from).collect()))
    }

    /// The app saved inbox entry `id`: it leaves the inbox (a redelivery
    /// is recognised as `Duplicate`). `NotFound` if it is not there.
    pub fn ack(&self, id: i64) -> Result<(), QorganError> {
        self.with(|a| a.ack(id))
    }

    /// What the user must be told, oldest first.
    pub fn events(&self) -> Result<Vec<EventEntry>, QorganError> {
        self.with(|a| {
            Ok(a.events()?
                .into_iter()
                .map(|(id, e)| EventEntry {
                    id,
                    event: e.into(),
                })
                .collect())
        })
    }

    /// The app has shown event `id`.
    pub fn dismiss(&self, id: i64) -> Result<(), QorganError> {
        self.with(|a| a.dismiss(id))
    }

    /// Creates a group with this account as an admin and `members` (by
    /// account key); returns its first roster (publish its bytes). Invite
    /// each member device with `invite`.
    pub fn create_group(
        &self,
        group_id: Vec<u8>,
        members: Vec<RosterMember>,
        now: i64,
    ) -> Result<Arc<Roster>, QorganError> {
        check_group_id(&group_id)?;
        let members = parse_members(&members)?;
        let now = u64_arg(now, "now")?;
        self.with(|a| Ok(Roster::wrap(a.create_group(&group_id, &members, now)?)))
    }

    /// Changes a group's members to `members` (this account must be an
    /// admin: `NotAdmin`): signs the next roster, makes this device's
    /// chain rotate before its next message, and queues the roster for
    /// every remaining member device with a session.
    pub fn change_members(
        &self,
        group_id: Vec<u8>,
        members: Vec<RosterMember>,
    ) -> Result<MembersChanged, QorganError> {
        let members = parse_members(&members)?;
        self.with(|a| {
            let (roster, queued) = a.change_members(&group_id, &members)?;
            Ok(MembersChanged {
                roster: Roster::wrap(roster),
                queued: outgoing(queued),
            })
        })
    }

    /// Queues the group's roster for `device` (a member's device, over its
    /// session): its store learns the group from it.
    pub fn invite(&self, group_id: Vec<u8>, device: Vec<u8>) -> Result<Outgoing, QorganError> {
        self.with_device(&device, |a, d| Ok(a.invite(&group_id, d)?.into()))
    }

    /// The roster held for a group, if any.
    pub fn roster(&self, group_id: Vec<u8>) -> Result<Option<Arc<Roster>>, QorganError> {
        self.with(|a| Ok(a.roster(&group_id)?.map(Roster::wrap)))
    }

    /// Encrypts a group message: rotates first when due (a removal, the
    /// policy), hands this device's chain to member devices lacking it,
    /// then queues the message. Everything is in the outbox on return.
    pub fn group_encrypt(
        &self,
        group_id: &[u8],
        plaintext: &[u8],
        now: i64,
    ) -> Result<GroupSend, QorganError> {
        let now = u64_arg(now, "now")?;
        self.with(|a| {
            let s = a.group_encrypt(group_id, plaintext, now)?;
            Ok(GroupSend {
                message: s.message.into(),
                distributions: outgoing(s.distributions),
                missing: s.missing.iter().map(IdentityKey::to_bytes).collect(),
            })
        })
    }

    /// Decrypts a group message the server says `sender` sent in the
    /// group: the sender's chain must be held (`NotFound`) and the sender
    /// a member of the held roster (`SenderNotMember`). The plaintext goes
    /// into the inbox.
    pub fn group_decrypt(
        &self,
        group_id: &[u8],
        sender: &[u8],
        message: &[u8],
    ) -> Result<StoreDelivery, QorganError> {
        self.with_device(sender, |a, d| {
            Ok(a.group_decrypt(group_id, d, message)?.into())
        })
    }
}
