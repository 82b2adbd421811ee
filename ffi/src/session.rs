//! A 1:1 session.

use std::sync::{Arc, Mutex};

use qorgan::{Expected, SystemRng};

use crate::error::{Failure, QorganError};
use crate::lock::{lock, parse_storage_key, session_owner};

/// One message's result of a 1:1 batch decrypt.
#[derive(uniffi::Record)]
pub struct BatchResult {
    /// The plaintext, if the message decrypted.
    pub plaintext: Option<Vec<u8>>,
    /// The failure, if it did not.
    pub error: Option<Failure>,
}

impl BatchResult {
    fn from_result(r: Result<Vec<u8>, QorganError>) -> Self {
        match r {
            Ok(p) => Self {
                plaintext: Some(p),
                error: None,
            },
            Err(e) => Self {
                plaintext: None,
                error: Some(e.failure()),
            },
        }
    }
}

/// A Double Ratchet session with one remote device.
#[derive(Debug, uniffi::Object)]
pub struct Session {
    inner: Mutex<qorgan::Session>,
    rng: Mutex<SystemRng>,
}

impl Session {
    pub(crate) fn wrap(session: qorgan::Session) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap_with(session, SystemRng::new()?))
    }

    /// Wraps with a generator made beforehand, so that nothing can fail
    /// after the session exists (see `Device::accept`).
    pub(crate) fn wrap_with(session: qorgan::Session, rng: SystemRng) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(session),
            rng: Mutex::new(rng),
        })
    }

    pub(crate) fn encrypt_locked(&self, plaintext: &[u8]) -> Result<Vec<u8>, QorganError> {
        let mut s = lock(&self.inner)?;
        Ok(s.encrypt(&mut *lock(&self.rng)?, plaintext)?)
    }
}

#[uniffi::export]
impl Session {
    /// Restores a session sealed by [`Session::seal`]: the session
    /// `session_id` (32 bytes, [`Session::session_id`]) at `min_generation`
    /// (its [`Session::generation`] recorded after the last seal; 0 if
    /// none) or later. Another session's blob is refused with
    /// `WrongOwner`, an older one with `RolledBack`.
    #[uniffi::constructor]
    pub fn open(
        storage_key: Vec<u8>,
        sealed: Vec<u8>,
        session_id: Vec<u8>,
        min_generation: u64,
    ) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let expected = Expected::new(session_owner(&session_id)?, min_generation);
        Self::wrap(qorgan::Session::open(&key, &sealed, &expected)?)
    }

    /// Encrypts one message. Persist the session before sending it.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, QorganError> {
        self.encrypt_locked(plaintext)
    }

    /// Decrypts one message; on error the session is unchanged.
    pub fn decrypt(&self, message: &[u8]) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.decrypt(message)?)
    }

    /// Decrypts a queue of messages in one call (catch-up after being
    /// offline); one result per message, in order. Each message is handled
    /// exactly as by `decrypt`: a failure leaves the session as it was
    /// before that message and does not stop the others.
    pub fn decrypt_batch(&self, messages: Vec<Vec<u8>>) -> Result<Vec<BatchResult>, QorganError> {
        let mut s = lock(&self.inner)?;
        Ok(messages
            .iter()
            .map(|m| BatchResult::from_result(s.decrypt(m).map_err(QorganError::from)))
            .collect())
    }

    /// The session state encrypted under a 32-byte storage key, bound to
    /// this session's id and to the next generation, which
    /// [`Session::generation`] then returns: record both with the blob and
    /// pass them to `open`.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let mut s = lock(&self.inner)?;
        Ok(s.seal(&mut *lock(&self.rng)?, &key))
    }

    /// The generation of the last `seal` or `open` (0 if neither): the
    /// `min_generation` to pass to `open` next time.
    pub fn generation(&self) -> Result<u64, QorganError> {
        Ok(lock(&self.inner)?.generation())
    }

    /// Raises the generation to at least `generation` (the one recorded
    /// for this owner), so that the next `seal` is above it: after making
    /// the object anew for an owner that already has sealed blobs, or after
    /// opening an older copy on purpose (docs/INTEGRATION.md).
    pub fn resume_generation(&self, generation: u64) -> Result<(), QorganError> {
        lock(&self.inner)?.resume_generation(generation);
        Ok(())
    }

    /// The session id (32 bytes, a hash of the handshake transcript, the
    /// same on both sides): what `open` expects this session's blob to
    /// belong to. Not secret.
    pub fn session_id(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.session_id().to_vec())
    }

    /// The peer's identity key (standalone encoding).
    pub fn remote_identity(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.remote_identity().to_bytes())
    }

    /// True while the initiator's messages still carry the handshake.
    pub fn is_pending(&self) -> Result<bool, QorganError> {
        Ok(lock(&self.inner)?.is_pending())
    }

    /// Whether a prekey message belongs to this session (route it here
    /// rather than to `Device.accept`).
    pub fn owns_prekey_message(&self, message: Vec<u8>) -> Result<bool, QorganError> {
        let kind = qorgan::message::peek(&message)?;
        let s = lock(&self.inner)?;
        Ok(
            matches!(kind, qorgan::MessageKind::PreKey { base_key, .. } if &base_key == s.base_key()),
        )
    }
}
