//! A session loaded without its skipped keys (docs/PROTOCOL.md §7.2):
//! enough to send, and to read the next message in order, which is what
//! almost every message is. A store keeps the skipped keys in a part of
//! their own ([`Session::to_parts`]) and loads them only for a message that
//! needs them, so the cost of an ordinary message does not grow with the
//! number of keys waiting for late ones.

use alloc::vec::Vec;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::{DecodeError, DecryptError, EncryptError, StateError};
use crate::identity::IdentityKey;
use crate::message::ParsedMessage;
use crate::primitives::x25519::X25519PublicKey;
use crate::session::{Role, Session};

/// A session without its skipped keys. Deliberately not `Clone`, as
/// [`Session`].
pub struct SessionCore {
    inner: Session,
}

impl SessionCore {
    /// Loads the core part of [`Session::to_parts`] (a state with no
    /// skipped keys; refused otherwise).
    pub fn from_bytes(core: &[u8]) -> Result<Self, StateError> {
        let inner = Session::from_bytes(core)?;
        if inner.skipped.len() != 0 || inner.skipped.chains().next().is_some() {
            return Err(DecodeError::InvalidField("session core holds skipped keys").into());
        }
        Ok(Self { inner })
    }

    /// The core state, to store in place of the one loaded.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.inner.to_bytes()
    }

    /// Whether `message` is the next message in order on the current
    /// receiving chain (the only one [`decrypt_next`](Self::decrypt_next)
    /// reads).
    pub fn is_next(&self, message: &[u8]) -> bool {
        ParsedMessage::parse(message).is_ok_and(|m| self.is_next_parsed(&m))
    }

    fn is_next_parsed(&self, m: &ParsedMessage<'_>) -> bool {
        if let Some(h) = &m.handshake
            && (self.inner.role != Role::Responder || h.base_key != self.inner.base_key)
        {
            return false;
        }
        match &self.inner.receiving {
            Some(chain) => m.ratchet_key == self.inner.their_ratchet && m.index == chain.index(),
            None => false,
        }
    }

    /// Decrypts `message` if it is the next in order (as
    /// [`Session::decrypt`] would, transactionally); `None` if it is not,
    /// with nothing changed: load the skipped keys
    /// ([`with_skipped`](Self::with_skipped)) and decrypt with the whole
    /// session.
    pub fn decrypt_next(&mut self, message: &[u8]) -> Option<Result<Vec<u8>, DecryptError>> {
        // Parsed once, for the check and the decryption.
        let m = ParsedMessage::parse(message).ok()?;
        if !self.is_next_parsed(&m) {
            return None;
        }
        Some(self.inner.decrypt_parsed(&m))
    }

    /// Encrypts, as [`Session::encrypt`] (sending never touches skipped
    /// keys).
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EncryptError> {
        self.inner.encrypt(rng, plaintext)
    }

    /// The whole session: this core and the skipped-keys part. (The core
    /// stays as it is: use one or the other from then on.)
    pub fn with_skipped(&self, skipped: &[u8]) -> Result<Session, StateError> {
        Session::from_parts(&self.inner.to_bytes(), skipped)
    }

    /// The session id.
    pub fn session_id(&self) -> &[u8; 32] {
        self.inner.session_id()
    }

    /// The peer's identity.
    pub fn remote_identity(&self) -> &IdentityKey {
        self.inner.remote_identity()
    }

    /// The initiator's handshake key, naming the session.
    pub fn base_key(&self) -> &X25519PublicKey {
        self.inner.base_key()
    }

    /// Whether this side initiated and has not heard back yet.
    pub fn is_pending(&self) -> bool {
        self.inner.is_pending()
    }
}

impl core::fmt::Debug for SessionCore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionCore")
            .field("remote", self.inner.remote_identity())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IdentityKeyPair, PreKeyStore};
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn the_core_reads_in_order_and_the_parts_join_to_the_whole() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let a = IdentityKeyPair::generate(&mut rng);
        let b = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, b, 0);
        let mut alice = Session::initiate(&mut rng, &a, &store.bundle().unwrap()).unwrap();
        let first = alice.encrypt(&mut rng, b"hi").unwrap();
        let (mut bob, _) = store.accept(&first, 0).unwrap();
        let reply = bob.encrypt(&mut rng, b"yo").unwrap();
        alice.decrypt(&reply).unwrap();
        // Five messages, the third held back: two skipped keys at Bob.
        let m: Vec<Vec<u8>> = (0..5u8)
            .map(|i| alice.encrypt(&mut rng, &[i]).unwrap())
            .collect();
        bob.decrypt(&m[0]).unwrap();
        bob.decrypt(&m[3]).unwrap();
        assert_eq!(bob.skipped_key_count(), 2);
        let (core, skipped) = bob.to_parts();
        assert_eq!(
            Session::from_parts(&core, &skipped).unwrap().to_bytes(),
            bob.to_bytes()
        );
        // In order: the core alone reads it, and the skipped part is
        // unchanged.
        let mut c = SessionCore::from_bytes(&core).unwrap();
        assert!(c.is_next(&m[4]));
        assert!(!c.is_next(&m[1]));
        assert!(c.decrypt_next(&m[1]).is_none());
        assert_eq!(c.decrypt_next(&m[4]).unwrap().unwrap(), [4]);
        // Late messages need the whole session.
        let mut whole = c.with_skipped(&skipped).unwrap();
        assert_eq!(whole.decrypt(&m[1]).unwrap(), [1]);
        assert_eq!(whole.decrypt(&m[2]).unwrap(), [2]);
        assert_eq!(whole.skipped_key_count(), 0);
        // A full state is not a core.
        assert!(SessionCore::from_bytes(&bob.to_bytes()).is_err());
        assert!(Session::from_parts(&bob.to_bytes(), &skipped).is_err());
    }
}
