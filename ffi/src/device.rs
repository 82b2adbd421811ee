//! A device: its identity and prekey store.

use std::sync::{Arc, Mutex};

use qorgan::{IdentityKey, IdentityKeyPair, PreKeyBundle, PreKeyStore, SystemRng};

use crate::error::QorganError;
use crate::group::{GroupPolicy, OutboundGroup};
use crate::lock::{lock, parse_storage_key};
use crate::session::Session;

/// This device's identity and prekeys (`PreKeyStore`).
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

    fn from_store(store: PreKeyStore) -> Result<Arc<Self>, QorganError> {
        Ok(Arc::new(Self {
            store: Mutex::new(store),
            rng: Mutex::new(SystemRng::new()?),
        }))
    }
}

#[uniffi::export]
impl Device {
    /// A new device: fresh identity, signed prekey and last-resort ML-KEM prekey.
    #[uniffi::constructor]
    pub fn new() -> Result<Arc<Self>, QorganError> {
        let mut rng = SystemRng::new()?;
        let identity = IdentityKeyPair::generate(&mut rng);
        Self::from_store(PreKeyStore::new(&mut rng, identity))
    }

    /// Restores a device sealed by [`Device::seal`].
    #[uniffi::constructor]
    pub fn open(storage_key: Vec<u8>, sealed: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        Self::from_store(PreKeyStore::open(&key, &sealed)?)
    }

    /// The device state encrypted under a 32-byte storage key.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let store = lock(&self.store)?;
        Ok(store.seal(&mut *lock(&self.rng)?, &key))
    }

    /// The public identity key (standalone encoding) to publish.
    pub fn identity_key(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.store)?.identity_key().to_bytes())
    }

    /// A prekey bundle to publish (the first of `bundles`).
    pub fn bundle(&self) -> Result<Vec<u8>, QorganError> {
        let store = lock(&self.store)?;
        store
            .bundle()
            .map(|b| b.to_bytes())
            .ok_or(QorganError::Internal {
                reason: "store has no signed prekey".into(),
            })
    }

    /// Up to `max` bundles to upload, for the server to hand out one per
    /// initiator: each carries different one-time keys, so initiators that
    /// fetch bundles while this device is offline do not collide. Upload
    /// them again after `generate_*_one_time_prekeys` or
    /// `rotate_signed_prekey`. Without one-time keys: one bundle.
    pub fn bundles(&self, max: u32) -> Result<Vec<Vec<u8>>, QorganError> {
        let store = lock(&self.store)?;
        Ok(store
            .bundles(max as usize)
            .iter()
            .map(PreKeyBundle::to_bytes)
            .collect())
    }

    /// Unused one-time ML-KEM prekeys.
    pub fn kem_one_time_prekey_count(&self) -> Result<u32, QorganError> {
        Ok(lock(&self.store)?.kem_one_time_prekey_count() as u32)
    }

    /// Makes up to `count` one-time X25519 prekeys; returns how many.
    pub fn generate_one_time_prekeys(&self, count: u32) -> Result<u32, QorganError> {
        let mut store = lock(&self.store)?;
        let made = store.generate_one_time_prekeys(&mut *lock(&self.rng)?, count as usize);
        Ok(made.len() as u32)
    }

    /// Makes up to `count` one-time ML-KEM prekeys; returns how many.
    pub fn generate_kem_one_time_prekeys(&self, count: u32) -> Result<u32, QorganError> {
        let mut store = lock(&self.store)?;
        let made = store.generate_kem_one_time_prekeys(&mut *lock(&self.rng)?, count as usize);
        Ok(made.len() as u32)
    }

    /// Rotates the signed prekey (the old one stays usable for a while).
    pub fn rotate_signed_prekey(&self) -> Result<(), QorganError> {
        let mut store = lock(&self.store)?;
        store.rotate_signed_prekey(&mut *lock(&self.rng)?);
        Ok(())
    }

    /// Rotates the last-resort ML-KEM prekey (the old one stays usable for
    /// a while, as for signed prekeys). Rotate it on the same schedule as
    /// the signed prekey, so that a device seized later exposes the
    /// post-quantum share of as few handshakes as possible.
    pub fn rotate_last_resort_kem_prekey(&self) -> Result<(), QorganError> {
        let mut store = lock(&self.store)?;
        store.rotate_last_resort_kem_prekey(&mut *lock(&self.rng)?);
        Ok(())
    }

    /// Whether the signed prekey should be rotated (`rotate_signed_prekey`,
    /// then upload new bundles): it has admitted three quarters of the
    /// handshakes without one-time prekeys it can remember against replay.
    /// Past all of them `accept` refuses more (`RotationRequired`).
    pub fn needs_rotation(&self) -> Result<bool, QorganError> {
        Ok(lock(&self.store)?.needs_rotation())
    }

    /// Unused one-time X25519 prekeys.
    pub fn one_time_prekey_count(&self) -> Result<u32, QorganError> {
        Ok(lock(&self.store)?.one_time_prekey_count() as u32)
    }

    /// Starts a session from a peer's bundle (verifies every signature).
    pub fn initiate(&self, bundle: Vec<u8>) -> Result<Arc<Session>, QorganError> {
        let bundle = PreKeyBundle::from_bytes(&bundle)?;
        let identity = self.identity()?;
        let session = qorgan::Session::initiate(&mut *lock(&self.rng)?, &identity, &bundle)?;
        Session::wrap(session)
    }

    /// Accepts a first (prekey) message; consumes the one-time prekeys it used.
    pub fn accept(&self, message: &[u8]) -> Result<AcceptResult, QorganError> {
        let (session, plaintext) = lock(&self.store)?.accept(message)?;
        Ok(AcceptResult {
            session: Session::wrap(session)?,
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
        now: u64,
    ) -> Result<Arc<OutboundGroup>, QorganError> {
        OutboundGroup::create(self.identity()?, &group_id, &policy, now)
    }

    /// Restores a chain sealed by `OutboundGroup.seal`.
    pub fn open_group(
        &self,
        storage_key: Vec<u8>,
        sealed: Vec<u8>,
    ) -> Result<Arc<OutboundGroup>, QorganError> {
        OutboundGroup::open(self.identity()?, &storage_key, &sealed)
    }

    /// The safety number with a peer (both account ids may be empty).
    pub fn safety_number(
        &self,
        their_identity: Vec<u8>,
        our_account: Vec<u8>,
        their_account: Vec<u8>,
    ) -> Result<SafetyNumber, QorganError> {
        let theirs = IdentityKey::from_bytes(&their_identity)?;
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
