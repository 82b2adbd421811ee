//! A session as the store holds it during a transaction
//! (docs/PROTOCOL.md §17.3): the core alone while messages arrive in
//! order, the whole session (with its skipped keys, from a row of their
//! own) once a message needs them. So an ordinary message reads and writes
//! the core only, however many keys wait for late messages.

use qorgan::{IdentityKey, Session, SessionCore};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::db::{Kind, Tx};

/// The skipped-keys part of a session with none: an empty section.
const NO_SKIPPED: [u8; 4] = [0; 4];

enum Form {
    Core(SessionCore),
    Full(Session),
}

/// One session, loaded.
pub(crate) struct Held {
    form: Form,
    /// The skipped-keys part as loaded (`None`: never loaded, or the
    /// session is new), to write it back only if it changed.
    loaded_skipped: Option<Zeroizing<Vec<u8>>>,
    pub(crate) dirty: bool,
}

/// The row name of a session's skipped keys: the peer's and the session's.
fn skipped_id(peer: &[u8; 32], sid: &[u8; 32]) -> Vec<u8> {
    [peer.as_slice(), sid.as_slice()].concat()
}

impl Held {
    /// From a `sessions` row: a core (or, written by an earlier version, a
    /// whole session, split when next written).
    pub(crate) fn load(plain: &[u8]) -> Result<Self, StoreError> {
        let form = match SessionCore::from_bytes(plain) {
            Ok(core) => Form::Core(core),
            Err(_) => Form::Full(Session::from_bytes(plain)?),
        };
        Ok(Self {
            form,
            loaded_skipped: None,
            dirty: false,
        })
    }

    /// A session made in this transaction.
    pub(crate) fn new(session: Session) -> Self {
        Self {
            form: Form::Full(session),
            loaded_skipped: None,
            dirty: true,
        }
    }

    pub(crate) fn session_id(&self) -> &[u8; 32] {
        match &self.form {
            Form::Core(c) => c.session_id(),
            Form::Full(s) => s.session_id(),
        }
    }

    pub(crate) fn base_key(&self) -> &qorgan::X25519PublicKey {
        match &self.form {
            Form::Core(c) => c.base_key(),
            Form::Full(s) => s.base_key(),
        }
    }

    pub(crate) fn remote_identity(&self) -> &IdentityKey {
        match &self.form {
            Form::Core(c) => c.remote_identity(),
            Form::Full(s) => s.remote_identity(),
        }
    }

    pub(crate) fn is_pending(&self) -> bool {
        match &self.form {
            Form::Core(c) => c.is_pending(),
            Form::Full(s) => s.is_pending(),
        }
    }

    pub(crate) fn encrypt(
        &mut self,
        tx: &mut Tx<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        let out = match &mut self.form {
            Form::Core(c) => c.encrypt(tx.rng, plaintext)?,
            Form::Full(s) => s.encrypt(tx.rng, plaintext)?,
        };
        self.dirty = true;
        Ok(out)
    }

    /// Decrypts: with the core alone if the message is the next in order,
    /// else with the whole session (its skipped keys read now). Changes
    /// nothing on failure (but for having read the skipped keys).
    pub(crate) fn decrypt(
        &mut self,
        tx: &Tx<'_>,
        peer: &[u8; 32],
        message: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if let Form::Core(core) = &mut self.form {
            if let Some(r) = core.decrypt_next(message) {
                let plaintext = Zeroizing::new(r?);
                self.dirty = true;
                return Ok(plaintext);
            }
            let sid = tx.key.index(b"session", core.session_id());
            let skipped = tx
                .get(Kind::Skipped, &skipped_id(peer, &sid))?
                .unwrap_or_else(|| Zeroizing::new(NO_SKIPPED.to_vec()));
            self.form = Form::Full(core.with_skipped(&skipped)?);
            self.loaded_skipped = Some(skipped);
        }
        let Form::Full(session) = &mut self.form else {
            return Err(StoreError::NoSession);
        };
        let plaintext = Zeroizing::new(session.decrypt(message)?);
        self.dirty = true;
        Ok(plaintext)
    }

    /// Writes the session if it changed: its core to `sessions`, its
    /// skipped keys to their own row if they changed.
    pub(crate) fn save(&self, tx: &mut Tx<'_>, peer: &[u8; 32]) -> Result<(), StoreError> {
        if !self.dirty {
            return Ok(());
        }
        let sid = tx.key.index(b"session", self.session_id());
        match &self.form {
            Form::Core(core) => tx.put_session(peer, &sid, &core.to_bytes()),
            Form::Full(session) => {
                let (core, skipped) = session.to_parts();
                tx.put_session(peer, &sid, &core)?;
                let before = self
                    .loaded_skipped
                    .as_ref()
                    .map_or(NO_SKIPPED.as_slice(), |s| s.as_slice());
                if skipped.as_slice() != before || self.loaded_skipped.is_none() {
                    let id = skipped_id(peer, &sid);
                    if skipped.as_slice() == NO_SKIPPED {
                        tx.delete(Kind::Skipped, &id)?;
                    } else {
                        tx.put(Kind::Skipped, &id, &skipped)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Deletes the session's rows.
    pub(crate) fn delete(&self, tx: &mut Tx<'_>, peer: &[u8; 32]) -> Result<(), StoreError> {
        let sid = tx.key.index(b"session", self.session_id());
        tx.delete_session(peer, &sid)?;
        tx.delete(Kind::Skipped, &skipped_id(peer, &sid))
    }
}
