//! A 1:1 session.

use std::sync::{Arc, Mutex, MutexGuard};

use qorgan::{Expected, SystemRng};

use crate::error::{Failure, QorganError};
use crate::integer::{from_id, id_arg};
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
    /// Always `Some` while unlocked: only [`TakenSessions`] (`fanout`)
    /// takes the session out, under the lock, and puts it back before
    /// releasing it.
    inner: Mutex<Option<qorgan::Session>>,
    rng: Mutex<SystemRng>,
}

fn taken() -> QorganError {
    QorganError::Internal {
        reason: "session state missing (an earlier call failed while holding it)".into(),
    }
}

/// Sessions taken out of their objects for one call of the qorgan crate
/// that wants them as a slice (`qorgan::account::fanout`): their locks
/// are held, in address order, and on drop each session goes back into its
/// object before its lock is released.
pub(crate) struct TakenSessions<'a> {
    guards: Vec<MutexGuard<'a, Option<qorgan::Session>>>,
    sessions: Vec<qorgan::Session>,
}

impl<'a> TakenSessions<'a> {
    /// Locks every distinct session of `sessions` (a session passed twice
    /// is taken once) in the order of their addresses, so that two calls
    /// given the same sessions in different orders cannot deadlock, and
    /// takes them out, in the order given.
    pub(crate) fn take(sessions: &'a [Arc<Session>]) -> Result<Self, QorganError> {
        let mut distinct: Vec<&'a Arc<Session>> = Vec::with_capacity(sessions.len());
        for s in sessions {
            if !distinct.iter().any(|d| Arc::ptr_eq(d, s)) {
                distinct.push(s);
            }
        }
        let mut by_address: Vec<(usize, &'a Arc<Session>)> =
            distinct.into_iter().enumerate().collect();
        by_address.sort_by_key(|(_, s)| Arc::as_ptr(s) as usize);
        let mut locked = Vec::with_capacity(by_address.len());
        for (i, s) in by_address {
            locked.push((i, lock(&s.inner)?));
        }
        locked.sort_by_key(|(i, _)| *i);
        let mut out = Self {
            guards: Vec::with_capacity(locked.len()),
            sessions: Vec::with_capacity(locked.len()),
        };
        for (_, mut guard) in locked {
            // On error, dropping `out` puts back what was taken so far.
            let session = guard.take().ok_or_else(taken)?;
            out.guards.push(guard);
            out.sessions.push(session);
        }
        Ok(out)
    }

    /// The sessions, in the order given to [`TakenSessions::take`].
    pub(crate) fn sessions_mut(&mut self) -> &mut [qorgan::Session] {
        &mut self.sessions
    }
}

/// For each of `sessions`, the index of its session among the distinct
/// ones in order of first appearance: the order in which
/// [`TakenSessions::take`] takes them out (a session passed twice is taken
/// once).
pub(crate) fn distinct_positions(sessions: &[Arc<Session>]) -> Vec<usize> {
    let mut distinct: Vec<&Arc<Session>> = Vec::with_capacity(sessions.len());
    sessions
        .iter()
        .map(|s| match distinct.iter().position(|d| Arc::ptr_eq(d, s)) {
            Some(i) => i,
            None => {
                distinct.push(s);
                distinct.len() - 1
            }
        })
        .collect()
}

impl Drop for TakenSessions<'_> {
    fn drop(&mut self) {
        for (guard, session) in self.guards.iter_mut().zip(self.sessions.drain(..)) {
            **guard = Some(session);
        }
    }
}

impl Session {
    pub(crate) fn wrap(session: qorgan::Session) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap_with(session, SystemRng::new()?))
    }

    /// Wraps with a generator made beforehand, so that nothing can fail
    /// after the session exists (see `Device::accept`).
    pub(crate) fn wrap_with(session: qorgan::Session, rng: SystemRng) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(Some(session)),
            rng: Mutex::new(rng),
        })
    }

    /// Runs `f` on the session, under its lock.
    fn with<R>(
        &self,
        f: impl FnOnce(&mut qorgan::Session) -> Result<R, QorganError>,
    ) -> Result<R, QorganError> {
        let mut slot = lock(&self.inner)?;
        f(slot.as_mut().ok_or_else(taken)?)
    }

    pub(crate) fn encrypt_locked(&self, plaintext: &[u8]) -> Result<Vec<u8>, QorganError> {
        self.with(|s| Ok(s.encrypt(&mut *lock(&self.rng)?, plaintext)?))
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
        min_generation: i64,
    ) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let expected = Expected::new(session_owner(&session_id)?, id_arg(min_generation));
        Self::wrap(qorgan::Session::open(&key, &sealed, &expected)?)
    }

    /// Encrypts one message. Persist the session before sending it.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, QorganError> {
        self.encrypt_locked(plaintext)
    }

    /// Decrypts one message; on error the session is unchanged.
    pub fn decrypt(&self, message: &[u8]) -> Result<Vec<u8>, QorganError> {
        self.with(|s| Ok(s.decrypt(message)?))
    }

    /// Decrypts a queue of messages in one call (catch-up after being
    /// offline); one result per message, in order. Each message is handled
    /// exactly as by `decrypt`: a failure leaves the session as it was
    /// before that message and does not stop the others.
    pub fn decrypt_batch(&self, messages: Vec<Vec<u8>>) -> Result<Vec<BatchResult>, QorganError> {
        self.with(|s| {
            Ok(messages
                .iter()
                .map(|m| BatchResult::from_result(s.decrypt(m).map_err(QorganError::from)))
                .collect())
        })
    }

    /// The session state encrypted under a 32-byte storage key, bound to
    /// this session's id and to the next generation, which
    /// [`Session::generation`] then returns: record both with the blob and
    /// pass them to `open`.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        self.with(|s| Ok(s.seal(&mut *lock(&self.rng)?, &key)))
    }

    /// The generation of the last `seal` or `open` (0 if neither): the
    /// `min_generation` to pass to `open` next time.
    pub fn generation(&self) -> Result<i64, QorganError> {
        self.with(|s| Ok(from_id(s.generation())))
    }

    /// Raises the generation to at least `generation` (the one recorded
    /// for this owner), so that the next `seal` is above it: after making
    /// the object anew for an owner that already has sealed blobs, or after
    /// opening an older copy on purpose (docs/INTEGRATION.md).
    pub fn resume_generation(&self, generation: i64) -> Result<(), QorganError> {
        self.with(|s| {
            s.resume_generation(id_arg(generation));
            Ok(())
        })
    }

    /// The session id (32 bytes, a hash of the handshake transcript, the
    /// same on both sides): what `open` expects this session's blob to
    /// belong to. Not secret.
    pub fn session_id(&self) -> Result<Vec<u8>, QorganError> {
        self.with(|s| Ok(s.session_id().to_vec()))
    }

    /// The peer's identity key (standalone encoding).
    pub fn remote_identity(&self) -> Result<Vec<u8>, QorganError> {
        self.with(|s| Ok(s.remote_identity().to_bytes()))
    }

    /// True while the initiator's messages still carry the handshake.
    pub fn is_pending(&self) -> Result<bool, QorganError> {
        self.with(|s| Ok(s.is_pending()))
    }

    /// Whether a prekey message belongs to this session (route it here
    /// rather than to `Device.accept`).
    pub fn owns_prekey_message(&self, message: Vec<u8>) -> Result<bool, QorganError> {
        let kind = qorgan::message::peek(&message)?;
        self.with(|s| {
            Ok(
                matches!(kind, qorgan::MessageKind::PreKey { base_key, .. } if &base_key == s.base_key()),
            )
        })
    }
}
