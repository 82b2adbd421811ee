//! Sender-key groups.

use std::sync::{Arc, Mutex};

use qorgan::{
    IdentityKey, OutboundGroupSession, SenderKeyDistribution, SenderKeyRing, StorageKey, SystemRng,
};

use crate::device::Device;
use crate::error::QorganError;
use crate::lock::{key32, lock};
use crate::session::Session;

/// When a chain must be rotated.
#[derive(uniffi::Record)]
pub struct GroupPolicy {
    /// Messages per chain.
    pub max_messages: u32,
    /// Seconds a chain may be used.
    pub max_age_secs: u64,
}

/// Why a rotation is due.
#[derive(uniffi::Enum, Debug, PartialEq, Eq)]
pub enum RotationReason {
    /// A member was removed.
    MemberRemoved,
    /// The message limit was reached.
    MessageLimit,
    /// The chain is too old.
    Age,
}

/// One recipient's result of a fan-out: the 1:1 ciphertext or the error.
#[derive(uniffi::Record)]
pub struct FanoutResult {
    /// The distribution encrypted for this recipient.
    pub ciphertext: Option<Vec<u8>>,
    /// Why this recipient failed (the others are unaffected).
    pub error: Option<String>,
}

/// One message's result of a batch decrypt.
#[derive(uniffi::Record)]
pub struct BatchResult {
    /// The plaintext, if the message decrypted.
    pub plaintext: Option<Vec<u8>>,
    /// The failure, if it did not.
    pub error: Option<String>,
}

fn storage_key(bytes: &[u8]) -> Result<StorageKey, QorganError> {
    Ok(StorageKey::from_bytes(key32(bytes, "storage key")?))
}

/// This device's sending chain in one group.
#[derive(Debug, uniffi::Object)]
pub struct OutboundGroup {
    inner: Mutex<OutboundGroupSession>,
    rng: Mutex<SystemRng>,
}

impl OutboundGroup {
    fn wrap(session: OutboundGroupSession, rng: SystemRng) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(session),
            rng: Mutex::new(rng),
        })
    }
}

#[uniffi::export]
impl OutboundGroup {
    /// Starts a chain for `group_id` (at most 64 bytes); `now` in seconds.
    #[uniffi::constructor]
    pub fn new(group_id: Vec<u8>, policy: GroupPolicy, now: u64) -> Result<Arc<Self>, QorganError> {
        let mut rng = SystemRng::new()?;
        let policy = qorgan::RotationPolicy {
            max_messages: policy.max_messages,
            max_age_secs: policy.max_age_secs,
        };
        let session = OutboundGroupSession::new(&mut rng, &group_id, policy, now)?;
        Ok(Self::wrap(session, rng))
    }

    /// Restores a chain sealed by [`OutboundGroup::seal`].
    #[uniffi::constructor]
    pub fn open(storage_key_bytes: Vec<u8>, sealed: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        let session = OutboundGroupSession::open(&storage_key(&storage_key_bytes)?, &sealed)?;
        Ok(Self::wrap(session, SystemRng::new()?))
    }

    /// Encrypts and signs one group message.
    pub fn encrypt(&self, plaintext: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.encrypt(&plaintext)?)
    }

    /// The distribution of this chain, signed by `device`'s identity.
    pub fn distribution(&self, device: &Device) -> Result<Vec<u8>, QorganError> {
        let identity = device.identity()?;
        Ok(lock(&self.inner)?
            .distribution(&identity)
            .to_bytes()
            .to_vec())
    }

    /// Encrypts the distribution for every session in one call; one result
    /// per session, in order; a failure does not stop the others.
    pub fn distribute(
        &self,
        device: &Device,
        sessions: Vec<Arc<Session>>,
    ) -> Result<Vec<FanoutResult>, QorganError> {
        let dist = self.distribution(device)?;
        Ok(sessions
            .iter()
            .map(|s| match s.encrypt_locked(&dist) {
                Ok(c) => FanoutResult {
                    ciphertext: Some(c),
                    error: None,
                },
                Err(e) => FanoutResult {
                    ciphertext: None,
                    error: Some(e.to_string()),
                },
            })
            .collect())
    }

    /// Starts a new chain; distribute it to the remaining members.
    pub fn rotate(&self, now: u64) -> Result<(), QorganError> {
        let mut s = lock(&self.inner)?;
        s.rotate(&mut *lock(&self.rng)?, now);
        Ok(())
    }

    /// Records a removal: `encrypt` refuses until `rotate`.
    pub fn mark_member_removed(&self) -> Result<(), QorganError> {
        lock(&self.inner)?.mark_member_removed();
        Ok(())
    }

    /// Whether the policy requires a rotation at `now`.
    pub fn rotation_due(&self, now: u64) -> Result<Option<RotationReason>, QorganError> {
        Ok(lock(&self.inner)?.rotation_due(now).map(|r| match r {
            qorgan::RotationReason::MemberRemoved => RotationReason::MemberRemoved,
            qorgan::RotationReason::MessageLimit => RotationReason::MessageLimit,
            qorgan::RotationReason::Age => RotationReason::Age,
        }))
    }

    /// The current chain id.
    pub fn chain_id(&self) -> Result<u32, QorganError> {
        Ok(lock(&self.inner)?.chain_id())
    }

    /// The chain encrypted under a 32-byte storage key.
    pub fn seal(&self, storage_key_bytes: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = storage_key(&storage_key_bytes)?;
        let s = lock(&self.inner)?;
        Ok(s.seal(&mut *lock(&self.rng)?, &key))
    }
}

/// One sender's chains in one group, as a member reads them.
#[derive(Debug, uniffi::Object)]
pub struct GroupReceiver {
    inner: Mutex<SenderKeyRing>,
    rng: Mutex<SystemRng>,
}

fn sender_of(session: &Session) -> Result<IdentityKey, QorganError> {
    Ok(*lock(&session.inner)?.remote_identity())
}

#[uniffi::export]
impl GroupReceiver {
    /// Starts from a distribution that arrived (decrypted) over `session`;
    /// refused unless it is signed by that session's peer.
    #[uniffi::constructor]
    pub fn new(distribution: Vec<u8>, session: &Session) -> Result<Arc<Self>, QorganError> {
        let dist = SenderKeyDistribution::from_bytes(&distribution)?;
        let ring = SenderKeyRing::new(&dist, &sender_of(session)?)?;
        Ok(Arc::new(Self {
            inner: Mutex::new(ring),
            rng: Mutex::new(SystemRng::new()?),
        }))
    }

    /// Restores a receiver sealed by [`GroupReceiver::seal`].
    #[uniffi::constructor]
    pub fn open(storage_key_bytes: Vec<u8>, sealed: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        let ring = SenderKeyRing::open(&storage_key(&storage_key_bytes)?, &sealed)?;
        Ok(Arc::new(Self {
            inner: Mutex::new(ring),
            rng: Mutex::new(SystemRng::new()?),
        }))
    }

    /// Adds the sender's next chain (after a rotation), from `session`.
    pub fn add(&self, distribution: Vec<u8>, session: &Session) -> Result<(), QorganError> {
        let dist = SenderKeyDistribution::from_bytes(&distribution)?;
        let sender = sender_of(session)?;
        Ok(lock(&self.inner)?.add(&dist, &sender)?)
    }

    /// Decrypts one group message.
    pub fn decrypt(&self, message: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.decrypt(&message)?)
    }

    /// Decrypts a queue of messages in one call (signatures batch-verified);
    /// one result per message, in order.
    pub fn decrypt_batch(&self, messages: Vec<Vec<u8>>) -> Result<Vec<BatchResult>, QorganError> {
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        Ok(lock(&self.inner)?
            .decrypt_batch(&refs)
            .into_iter()
            .map(|r| match r {
                Ok(p) => BatchResult {
                    plaintext: Some(p),
                    error: None,
                },
                Err(e) => BatchResult {
                    plaintext: None,
                    error: Some(QorganError::from(e).to_string()),
                },
            })
            .collect())
    }

    /// The receiver encrypted under a 32-byte storage key.
    pub fn seal(&self, storage_key_bytes: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = storage_key(&storage_key_bytes)?;
        let ring = lock(&self.inner)?;
        Ok(ring.seal(&mut *lock(&self.rng)?, &key))
    }
}
