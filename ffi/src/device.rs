//! A device: its identity and prekey store.

use std::sync::{Arc, Mutex};

use qorgan::{Expected, IdentityKeyPair, PreKeyBundle, PreKeyStore, StateOwner, SystemRng};

use crate::account::Account;
use crate::error::QorganError;
use crate::group::{GroupPolicy, OutboundGroup};
use crate::integer::{from_id, from_usize, id_arg, u32_arg, u64_arg};
use crate::lock::{lock, parse_identity, parse_storage_key};
use crate::roster::Roster;
use crate::session::Session;

/// This device's identity and prekeys (`PreKeyStore`).
///
/// Every call that dates or expires prekeys takes `now`, the caller's
/// clock in Unix seconds: the library reads no clock of its own.
#[derive(Debug, uniffi::Object)]
pub struct Device {
    store: Mutex<PreKeyStore>,
    rng: Mutex<SystemRng>,
}

/// A session created by accepting a first message, with that message's text.
#[derive(uniffi::Record)]
pub struct AcceptResult {
    /// The new session with the initiator.
    pub session: Arc<Session>,
    /// The first message's plaintext.
    pub plaintext: Vec<u8>,
}

/// A safety number to show and to scan.
#[derive(uniffi::Record)]
pub struct SafetyNumber {
    /// 60 digits in 12 groups of 5.
    pub display: String,
    /// 65 bytes for a QR code.
    pub scannable: Vec<u8>,
}

impl Device {
    /// A copy of the secret identity, boxed so that it is not moved (and
    /// copied) again on its way into the object that keeps it.
    pub(crate) fn identity(&self) -> Result<Box<IdentityKeyPair>, QorganError> {
        Ok(Box::new(lock(&self.store)?.identity().clone()))
    }

    /// The public identity (for an account's list and link requests).
    pub(crate) fn public_identity(&self) -> Result<qorgan::IdentityKey, QorganError> {
        Ok(*lock(&self.store)?.identity_key())
    }

    fn from_store(store: PreKeyStore) -> Result<Arc<Self>, QorganError> {
        Ok(Arc::new(Self {
            store: Mutex::new(store),
            rng: Mutex::new(SystemRng::new()?),
        }))
    }
}

#[uniffi::export]
impl Device {
    /// A new device: fresh identity, signed prekey and last-resort ML-KEM
    /// prekey, dated `now` (Unix seconds). Publish them with `upload(now)`.
    #[uniffi::constructor]
    pub fn new(now: i64) -> Result<Arc<Self>, QorganError> {
        let mut rng = SystemRng::new()?;
        let identity = IdentityKeyPair::generate(&mut rng);
        Self::from_store(PreKeyStore::new(&mut rng, identity, u64_arg(now, "now")?))
    }

    /// Restores a device sealed by [`Device::seal`]. `identity_key` is this
    /// device's identity key as [`Device::identity_key`] returned it, and
    /// `min_generation` the [`Device::generation`] recorded after the last
    /// seal (0 if none was recorded): a sealed device of another identity
    /// is refused with `WrongOwner`, an older one with `RolledBack`.
    #[uniffi::constructor]
    pub fn open(
        storage_key: Vec<u8>,
        sealed: Vec<u8>,
        identity_key: Vec<u8>,
        min_generation: i64,
    ) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let owner = StateOwner::device(&parse_identity(&identity_key)?);
        let expected = Expected::new(owner, id_arg(min_generation));
        Self::from_store(PreKeyStore::open(&key, &sealed, &expected)?)
    }

    /// The device state encrypted under a 32-byte storage key, bound to
    /// this device's identity and to the next generation, which
    /// [`Device::generation`] then returns: record it with the blob and
    /// pass it to `open`.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let mut store = lock(&self.store)?;
        Ok(store.seal(&mut *lock(&self.rng)?, &key))
    }

    /// The generation of the last `seal` or `open` (0 if neither): the
    /// `min_generation` to pass to `open` next time.
    pub fn generation(&self) -> Result<i64, QorganError> {
        Ok(from_id(lock(&self.store)?.generation()))
    }

    /// Raises the generation to at least `generation` (the one recorded
    /// for this owner), so that the next `seal` is above it: after making
    /// the object anew for an owner that already has sealed blobs, or after
    /// opening an older copy on purpose (docs/INTEGRATION.md).
    pub fn resume_generation(&self, generation: i64) -> Result<(), QorganError> {
        lock(&self.store)?.resume_generation(id_arg(generation));
        Ok(())
    }

    /// The public identity key (standalone encoding) to publish.
    pub fn identity_key(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.store)?.identity_key().to_bytes())
    }

    /// One prekey bundle (the first of `bundles(1)`): its one-time keys,
    /// if any, are marked as handed out and never given out again.
    pub fn bundle(&self) -> Result<Vec<u8>, QorganError> {
        let mut store = lock(&self.store)?;
        store
            .bundle()
            .map(|b| b.to_bytes())
            .ok_or(QorganError::Internal {
                reason: "store has no signed prekey".into(),
            })
    }

    /// Up to `max` bundles for the server to hand out, one per initiator:
    /// each carries one-time keys never handed out before (in a bundle or
    /// an upload), which are marked as handed out now, so no two
    /// initiators get the same key. Without such keys: one bundle on the
    /// signed and last-resort prekeys. Persist the device afterwards.
    /// `upload(now)` is the compact alternative.
    pub fn bundles(&self, max: i64) -> Result<Vec<Vec<u8>>, QorganError> {
        let max = u32_arg(max, "max")? as usize;
        let mut store = lock(&self.store)?;
        Ok(store
            .bundles(max)
            .iter()
            .map(PreKeyBundle::to_bytes)
            .collect())
    }

    /// Unused one-time ML-KEM prekeys.
    pub fn kem_one_time_prekey_count(&self) -> Result<i64, QorganError> {
        Ok(from_usize(lock(&self.store)?.kem_one_time_prekey_count()))
    }

    /// Makes up to `count` one-time X25519 prekeys; returns how many.
    pub fn generate_one_time_prekeys(&self, count: i64) -> Result<i64, QorganError> {
        let count = u32_arg(count, "count")? as usize;
        let mut store = lock(&self.store)?;
        let made = store.generate_one_time_prekeys(&mut *lock(&self.rng)?, count);
        Ok(from_usize(made.len()))
    }

    /// Makes up to `count` one-time ML-KEM prekeys; returns how many.
    pub fn generate_kem_one_time_prekeys(&self, count: i64) -> Result<i64, QorganError> {
        let count = u32_arg(count, "count")? as usize;
        let mut store = lock(&self.store)?;
        let made = store.generate_kem_one_time_prekeys(&mut *lock(&self.rng)?, count);
        Ok(from_usize(made.len()))
    }

    /// Makes a new signed prekey dated `now`; the old one is retired and
    /// still accepted for 28 days (first messages from bundles fetched
    /// before), then deleted. Also prunes (as `prune(now)`). `upload(now)`
    /// rotates when due, so apps rarely call this themselves.
    pub fn rotate_signed_prekey(&self, now: i64) -> Result<(), QorganError> {
        let mut store = lock(&self.store)?;
        store.rotate_signed_prekey(&mut *lock(&self.rng)?, u64_arg(now, "now")?);
        Ok(())
    }

    /// Makes a new last-resort ML-KEM prekey dated `now`; the old one is
    /// retired and deleted as for signed prekeys, so that a device seized
    /// later exposes the post-quantum share of as few handshakes as
    /// possible. Also prunes. `upload(now)` rotates when due.
    pub fn rotate_last_resort_kem_prekey(&self, now: i64) -> Result<(), QorganError> {
        let mut store = lock(&self.store)?;
        store.rotate_last_resort_kem_prekey(&mut *lock(&self.rng)?, u64_arg(now, "now")?);
        Ok(())
    }

    /// Whether the signed prekey or the last-resort ML-KEM prekey is due
    /// for rotation at `now`: 7 days old, or (signed prekey) it has
    /// admitted three quarters of the handshakes without one-time prekeys
    /// it can remember against replay (past all of them `accept` refuses
    /// more with `RotationRequired`). `upload(now)` rotates what is due.
    pub fn needs_rotation(&self, now: i64) -> Result<bool, QorganError> {
        Ok(lock(&self.store)?.needs_rotation(u64_arg(now, "now")?))
    }

    /// Deletes the retired signed and last-resort prekeys retired 28 days
    /// or more before `now` (handshakes naming them are then refused);
    /// returns how many. The rotations and `upload` prune too; call it
    /// when the app starts. Persist the device if it returns more than 0.
    pub fn prune(&self, now: i64) -> Result<i64, QorganError> {
        let pruned = lock(&self.store)?.prune(u64_arg(now, "now")?);
        Ok(from_usize(pruned))
    }

    /// What the server does not have yet, signed by this identity
    /// (`verify_upload` reads it): the current signed and last-resort
    /// prekeys if never handed out, and every one-time key never handed
    /// out, all marked as handed out now. First rotates what is due at
    /// `now` and prunes, so calling this periodically and after
    /// `generate_*_one_time_prekeys` is the whole prekey schedule. `None`
    /// when there is nothing new. Persist the device, then send the bytes;
    /// keep them and resend the same bytes until the server confirms: the
    /// keys in them are never offered again.
    pub fn upload(&self, now: i64) -> Result<Option<Vec<u8>>, QorganError> {
        let mut store = lock(&self.store)?;
        let upload = store.upload(&mut *lock(&self.rng)?, u64_arg(now, "now")?);
        Ok(upload.map(|u| u.to_bytes()))
    }

    /// Unused one-time X25519 prekeys.
    pub fn one_time_prekey_count(&self) -> Result<i64, QorganError> {
        Ok(from_usize(lock(&self.store)?.one_time_prekey_count()))
    }

    /// Starts a session from a peer's bundle (verifies every signature).
    pub fn initiate(&self, bundle: Vec<u8>) -> Result<Arc<Session>, QorganError> {
        let bundle = PreKeyBundle::from_bytes(&bundle)?;
        let identity = self.identity()?;
        let session = qorgan::Session::initiate(&mut *lock(&self.rng)?, &identity, &bundle)?;
        Session::wrap(session)
    }

    /// Accepts a first (prekey) message; consumes the one-time prekeys it
    /// used. `now` (Unix seconds) refuses handshakes on prekeys retired 28
    /// days or more ago (`PreKeyExpired`). Persist the device and the new
    /// session together.
    pub fn accept(&self, message: &[u8], now: i64) -> Result<AcceptResult, QorganError> {
        // Everything that can fail comes first: once `accept` succeeds the
        // store has consumed the prekeys, and the session must reach the app.
        let rng = SystemRng::new()?;
        let mut store = lock(&self.store)?;
        let (session, plaintext) = store.accept(message, u64_arg(now, "now")?)?;
        Ok(AcceptResult {
            session: Session::wrap_with(session, rng),
            plaintext,
        })
    }

    /// Starts this device's sending chain in a group (`group_id` at most
    /// 64 bytes; `now` in seconds, used only for the age policy). The chain
    /// signs its distributions with this device's identity.
    pub fn create_group(
        &self,
        group_id: Vec<u8>,
        policy: GroupPolicy,
        now: i64,
    ) -> Result<Arc<OutboundGroup>, QorganError> {
        OutboundGroup::create(self.identity()?, &group_id, &policy, now)
    }

    /// Starts this device's sending chain in the group of `roster` (the
    /// newest roster this device holds), bound to it: the chain is
    /// announced under the roster's head, and after any roster change
    /// (`OutboundGroup.apply_roster`) the next message waits for a
    /// rotation. `account` is this device's account, which must be a
    /// member (`NotMember`). Distribute with
    /// `OutboundGroup.distribute_in_roster`. Kotlin: pass objects that are
    /// still open.
    pub fn create_group_in_roster(
        &self,
        roster: &Roster,
        account: &Account,
        policy: GroupPolicy,
        now: i64,
    ) -> Result<Arc<OutboundGroup>, QorganError> {
        OutboundGroup::create_in_roster(self.identity()?, roster, account, &policy, now)
    }

    /// Restores a chain sealed by `OutboundGroup.seal`: the chain of
    /// `group_id`, at `min_generation` (its `OutboundGroup.generation()`
    /// recorded after the last seal; 0 if none) or later. Another group's
    /// chain is refused with `WrongOwner`, an older one with `RolledBack`.
    pub fn open_group(
        &self,
        storage_key: Vec<u8>,
        sealed: Vec<u8>,
        group_id: Vec<u8>,
        min_generation: i64,
    ) -> Result<Arc<OutboundGroup>, QorganError> {
        OutboundGroup::open(
            self.identity()?,
            &storage_key,
            &sealed,
            &group_id,
            min_generation,
        )
    }

    /// The safety number with a peer (both account ids may be empty).
    pub fn safety_number(
        &self,
        their_identity: Vec<u8>,
        our_account: Vec<u8>,
        their_account: Vec<u8>,
    ) -> Result<SafetyNumber, QorganError> {
        let theirs = parse_identity(&their_identity)?;
        let store = lock(&self.store)?;
        let n =
            qorgan::SafetyNumber::new(store.identity_key(), &our_account, &theirs, &their_account);
        Ok(SafetyNumber {
            display: n.display_string(),
            scannable: n.scannable().to_vec(),
        })
    }
}

/// Compares a computed safety number with a scanned one, in constant time.
#[uniffi::export]
pub fn safety_numbers_match(ours: &SafetyNumber, scanned: Vec<u8>) -> bool {
    use qorgan::SCANNABLE_LEN;
    ours.scannable.len() == SCANNABLE_LEN
        && scanned.len() == SCANNABLE_LEN
        && ours
            .scannable
            .iter()
            .zip(&scanned)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}
