//! A 1:1 Double Ratchet session.
//!
//! The sending half of a DH ratchet step is taken lazily, at the first
//! `encrypt` after a new ratchet key arrived, rather than inside `decrypt`.
//! The keys are the same as in the Signal specification (the peer cannot
//! produce another ratchet key before seeing our new one), but `decrypt`
//! needs no randomness and stays a pure function of (state, message): it
//! computes a plan, authenticates, and only then commits.

use alloc::boxed::Box;
use alloc::vec::Vec;
use rand_core::CryptoRng;

use crate::error::{DecryptError, EncryptError};
use crate::identity::IdentityKey;
use crate::limits::{MAX_CHAIN_INDEX, MAX_MESSAGE_LEN, MAX_SKIP_PER_CHAIN};
use crate::message::{
    HandshakeHeader, MESSAGE_NONCE_LEN, MESSAGE_OVERHEAD, ParsedMessage, RATCHET_HEADER_LEN,
};
use crate::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::message_key::MessageKey;
use crate::ratchet::root_key::RootKey;
use crate::ratchet::skipped_keys::SkippedKeys;
use crate::wire;

/// Which side of the handshake this session was created on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Fetched a bundle and sent the first message.
    Initiator,
    /// Accepted a prekey message.
    Responder,
}

/// Our current ratchet key pair (the public half cached: deriving it costs a
/// scalar multiplication).
#[derive(Clone)]
pub(crate) struct RatchetKeyPair {
    pub(crate) secret: X25519SecretKey,
    pub(crate) public: X25519PublicKey,
}

/// A Double Ratchet session with one remote device.
///
/// `decrypt` is transactional: when it returns an error the session is
/// exactly as before. `encrypt` never fails after changing state. Persist the
/// session (see [`Session::seal`]) after `encrypt` and before transmitting,
/// so a crash can never lead to a message key being used twice.
///
/// Deliberately not `Clone`: two live copies of one session are two senders
/// on one chain. A copy is made only through the state formats
/// ([`to_bytes`](Self::to_bytes), [`seal`](Self::seal)), where it is visible.
pub struct Session {
    pub(crate) role: Role,
    pub(crate) local_identity: IdentityKey,
    pub(crate) remote_identity: IdentityKey,
    /// The handshake transcript hash; prefix of every message's AD.
    pub(crate) session_id: [u8; 32],
    pub(crate) root: RootKey,
    pub(crate) our_ratchet: Option<RatchetKeyPair>,
    pub(crate) their_ratchet: X25519PublicKey,
    pub(crate) sending: Option<ChainKey>,
    pub(crate) previous_sending_length: u32,
    pub(crate) receiving: Option<ChainKey>,
    pub(crate) skipped: SkippedKeys,
    /// The initiator's handshake ephemeral key, naming the session.
    pub(crate) base_key: X25519PublicKey,
    /// Initiator only, until the first reply: the handshake fields every
    /// outgoing message repeats.
    pub(crate) pending_handshake: Option<Box<[u8]>>,
    /// The generation of the last seal or open (docs/PROTOCOL.md §7.1);
    /// not part of the plain state.
    pub(crate) generation: u64,
}

/// What a successful decryption changes; applied only after authentication.
pub(crate) enum Commit {
    /// A stored skipped key was used.
    Skipped {
        ratchet: X25519PublicKey,
        index: u32,
    },
    /// The current receiving chain moved forward.
    Advance {
        chain: ChainKey,
        skipped: Vec<Box<MessageKey>>,
    },
    /// A new ratchet key arrived: the DH ratchet turned.
    Turn {
        root: RootKey,
        ratchet: X25519PublicKey,
        chain: ChainKey,
        previous_chain_skipped: Vec<Box<MessageKey>>,
        skipped: Vec<Box<MessageKey>>,
    },
}

/// Steps `chain` up to `target`, collecting the skipped keys, and returns the
/// key for `target`. The caller has bounded `target - chain.index()`.
fn skip_to(chain: &mut ChainKey, target: u32) -> (Vec<Box<MessageKey>>, MessageKey) {
    let gap = target.saturating_sub(chain.index());
    let mut skipped = Vec::with_capacity(gap as usize);
    while chain.index() < target {
        skipped.push(Box::new(chain.step()));
    }
    (skipped, chain.step())
}

fn check_gap(from: u32, to: u32) -> Result<(), DecryptError> {
    let gap = u64::from(to).saturating_sub(u64::from(from));
    if gap > u64::from(MAX_SKIP_PER_CHAIN) {
        return Err(DecryptError::TooFarAhead {
            gap,
            limit: MAX_SKIP_PER_CHAIN,
        });
    }
    Ok(())
}

/// `session_id || header`: the associated data of every message, on the
/// stack for normal messages.
enum AssociatedData {
    Short([u8; 32 + 2 + RATCHET_HEADER_LEN]),
    Long(Vec<u8>),
}

impl AssociatedData {
    fn new(session_id: &[u8; 32], header: &[u8]) -> Self {
        let mut short = [0u8; 32 + 2 + RATCHET_HEADER_LEN];
        if header.len() + 32 == short.len() {
            let (a, b) = short.split_at_mut(32);
            a.copy_from_slice(session_id);
            b.copy_from_slice(header);
            Self::Short(short)
        } else {
            let mut long = Vec::with_capacity(32 + header.len());
            long.extend_from_slice(session_id);
            long.extend_from_slice(header);
            Self::Long(long)
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Short(a) => a,
            Self::Long(v) => v,
        }
    }
}

impl Session {
    pub(crate) fn new_initiator(
        local_identity: IdentityKey,
        remote_identity: IdentityKey,
        session_id: [u8; 32],
        root: RootKey,
        their_signed_prekey: X25519PublicKey,
        handshake: HandshakeHeader,
    ) -> Self {
        Self {
            generation: 0,
            role: Role::Initiator,
            local_identity,
            remote_identity,
            session_id,
            root,
            our_ratchet: None,
            their_ratchet: their_signed_prekey,
            sending: None,
            previous_sending_length: 0,
            receiving: None,
            skipped: SkippedKeys::default(),
            base_key: handshake.base_key,
            pending_handshake: Some(handshake.encode().into_boxed_slice()),
        }
    }

    pub(crate) fn new_responder(
        local_identity: IdentityKey,
        remote_identity: IdentityKey,
        session_id: [u8; 32],
        root: RootKey,
        base_key: X25519PublicKey,
        first_ratchet: X25519PublicKey,
    ) -> Self {
        Self {
            generation: 0,
            role: Role::Responder,
            local_identity,
            remote_identity,
            session_id,
            root,
            our_ratchet: None,
            their_ratchet: first_ratchet,
            sending: None,
            previous_sending_length: 0,
            receiving: None,
            skipped: SkippedKeys::default(),
            base_key,
            pending_handshake: None,
        }
    }

    /// Encrypts one message. The result is a prekey message until the peer
    /// has answered (so it can start the session from any of them), a
    /// normal message afterwards.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EncryptError> {
        if plaintext.len() > MAX_MESSAGE_LEN {
            return Err(EncryptError::TooLarge {
                len: plaintext.len(),
                limit: MAX_MESSAGE_LEN,
            });
        }
        if let Some(chain) = &self.sending
            && chain.index() >= MAX_CHAIN_INDEX
        {
            return Err(EncryptError::ChainExhausted(chain.index()));
        }
        let (ratchet_public, chain) = match (&self.our_ratchet, &mut self.sending) {
            (Some(ours), Some(chain)) => (ours.public, chain),
            _ => {
                let secret = X25519SecretKey::generate(rng);
                let public = secret.public_key();
                let dh = secret
                    .diffie_hellman(&self.their_ratchet)
                    .map_err(|_| EncryptError::NonContributory)?;
                let (root, chain) = self.root.advance(&dh);
                self.root = root;
                self.our_ratchet = Some(RatchetKeyPair { secret, public });
                (public, self.sending.insert(chain))
            }
        };
        let message_key = chain.step();

        let handshake = self.pending_handshake.as_deref().unwrap_or(&[]);
        let mut out = Vec::with_capacity(MESSAGE_OVERHEAD + handshake.len() + plaintext.len());
        out.push(wire::MESSAGE_VERSION);
        if handshake.is_empty() {
            out.push(wire::TYPE_MESSAGE);
        } else {
            out.push(wire::TYPE_PREKEY_MESSAGE);
            out.extend_from_slice(handshake);
        }
        out.extend_from_slice(ratchet_public.as_bytes());
        let [_, a, b, c] = message_key.index().to_be_bytes();
        out.extend_from_slice(&[a, b, c]);
        let [_, a, b, c] = self.previous_sending_length.to_be_bytes();
        out.extend_from_slice(&[a, b, c]);
        // A fresh nonce per message: a message key used twice (a rolled-back
        // state) never repeats a keystream or a Poly1305 key.
        let mut nonce = [0u8; MESSAGE_NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        out.extend_from_slice(&nonce);
        let ad = AssociatedData::new(&self.session_id, &out);
        message_key.seal(&nonce, ad.as_slice(), plaintext, &mut out);
        Ok(out)
    }

    /// Decrypts one message. On any error the session is unchanged; a
    /// message decrypts at most once.
    pub fn decrypt(&mut self, message: &[u8]) -> Result<Vec<u8>, DecryptError> {
        self.decrypt_parsed(&ParsedMessage::parse(message)?)
    }

    /// [`decrypt`](Self::decrypt) of a message already parsed.
    pub(crate) fn decrypt_parsed(
        &mut self,
        parsed: &ParsedMessage<'_>,
    ) -> Result<Vec<u8>, DecryptError> {
        if let Some(handshake) = &parsed.handshake {
            // Only the responder receives prekey messages, and only those of
            // the handshake that created this session.
            if self.role != Role::Responder || handshake.base_key != self.base_key {
                return Err(DecryptError::SessionMismatch);
            }
        }
        let (plaintext, commit) = self.plan(parsed, None)?;
        self.apply(commit);
        Ok(plaintext)
    }

    /// Decrypts without changing anything and says what would change.
    /// `first_ratchet_secret` is the responder's signed prekey, used for the
    /// very first message only.
    pub(crate) fn plan(
        &self,
        msg: &ParsedMessage<'_>,
        first_ratchet_secret: Option<&X25519SecretKey>,
    ) -> Result<(Vec<u8>, Commit), DecryptError> {
        let ratchet = msg.ratchet_key;
        let ad = AssociatedData::new(&self.session_id, msg.header);
        let open = |key: &MessageKey| {
            key.open(&msg.nonce, ad.as_slice(), msg.ciphertext)
                .map_err(|_| DecryptError::AuthenticationFailed)
        };

        // Current receiving chain.
        if let (Some(current), true) = (&self.receiving, ratchet == self.their_ratchet) {
            if msg.index < current.index() {
                let key = self
                    .skipped
                    .get(&ratchet, msg.index)
                    .ok_or(DecryptError::Duplicate { index: msg.index })?;
                let plaintext = open(key)?;
                return Ok((
                    plaintext,
                    Commit::Skipped {
                        ratchet,
                        index: msg.index,
                    },
                ));
            }
            check_gap(current.index(), msg.index)?;
            let mut chain = current.clone();
            let (skipped, key) = skip_to(&mut chain, msg.index);
            let plaintext = open(&key)?;
            return Ok((plaintext, Commit::Advance { chain, skipped }));
        }

        // An older receiving chain: only stored keys can decrypt.
        if self.skipped.knows_chain(&ratchet) {
            let key = self
                .skipped
                .get(&ratchet, msg.index)
                .ok_or(DecryptError::Duplicate { index: msg.index })?;
            let plaintext = open(key)?;
            return Ok((
                plaintext,
                Commit::Skipped {
                    ratchet,
                    index: msg.index,
                },
            ));
        }

        // A new ratchet key: turn the DH ratchet.
        let our_secret = match (first_ratchet_secret, &self.our_ratchet) {
            (Some(secret), _) => secret,
            (None, Some(ours)) => &ours.secret,
            (None, None) => return Err(DecryptError::UnexpectedRatchetKey),
        };
        let mut previous_chain_skipped = Vec::new();
        if let Some(current) = &self.receiving
            && msg.previous_length > current.index()
        {
            check_gap(current.index(), msg.previous_length)?;
            let mut chain = current.clone();
            previous_chain_skipped.reserve((msg.previous_length - current.index()) as usize);
            while chain.index() < msg.previous_length {
                previous_chain_skipped.push(Box::new(chain.step()));
            }
        }
        check_gap(0, msg.index)?;
        let dh = our_secret
            .diffie_hellman(&ratchet)
            .map_err(|_| DecryptError::NonContributory)?;
        let (root, mut chain) = self.root.advance(&dh);
        let (skipped, key) = skip_to(&mut chain, msg.index);
        let plaintext = open(&key)?;
        Ok((
            plaintext,
            Commit::Turn {
                root,
                ratchet,
                chain,
                previous_chain_skipped,
                skipped,
            },
        ))
    }

    pub(crate) fn apply(&mut self, commit: Commit) {
        // Any authenticated message from the responder confirms the handshake.
        self.pending_handshake = None;
        match commit {
            Commit::Skipped { ratchet, index } => self.skipped.remove(&ratchet, index),
            Commit::Advance { chain, skipped } => {
                if !skipped.is_empty() {
                    self.skipped.insert(&self.their_ratchet, skipped);
                }
                self.receiving = Some(chain);
            }
            Commit::Turn {
                root,
                ratchet,
                chain,
                previous_chain_skipped,
                skipped,
            } => {
                if self.receiving.is_some() {
                    self.skipped
                        .insert(&self.their_ratchet, previous_chain_skipped);
                }
                self.skipped.insert(&ratchet, skipped);
                self.root = root;
                self.their_ratchet = ratchet;
                self.receiving = Some(chain);
                if let Some(sending) = self.sending.take() {
                    self.previous_sending_length = sending.index();
                }
                self.our_ratchet = None;
            }
        }
    }

    /// Whether this side started the session.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The local device's identity.
    pub fn local_identity(&self) -> &IdentityKey {
        &self.local_identity
    }

    /// The remote device's identity, as verified during the handshake.
    pub fn remote_identity(&self) -> &IdentityKey {
        &self.remote_identity
    }

    /// The initiator's handshake key: compare with
    /// [`MessageKind::PreKey`](crate::message::MessageKind) to route messages.
    pub fn base_key(&self) -> &X25519PublicKey {
        &self.base_key
    }

    /// The public session id (hash of the handshake transcript).
    pub fn session_id(&self) -> &[u8; 32] {
        &self.session_id
    }

    /// True while the initiator has not yet received any reply (its messages
    /// still carry the handshake).
    pub fn is_pending(&self) -> bool {
        self.pending_handshake.is_some()
    }

    /// Number of stored skipped message keys.
    pub fn skipped_key_count(&self) -> usize {
        self.skipped.len()
    }
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .field("remote_identity", &self.remote_identity)
            .field("sending_index", &self.sending.as_ref().map(ChainKey::index))
            .field(
                "receiving_index",
                &self.receiving.as_ref().map(ChainKey::index),
            )
            .field("skipped_keys", &self.skipped.len())
            .field("secrets", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IdentityKeyPair, PreKeyStore};
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn pair(rng: &mut ChaCha20Rng) -> (Session, Session) {
        let bob_id = IdentityKeyPair::generate(rng);
        let mut store = PreKeyStore::new(rng, bob_id, 0);
        let bundle = store.bundle().unwrap();
        let alice_id = IdentityKeyPair::generate(rng);
        let mut alice = Session::initiate(rng, &alice_id, &bundle).unwrap();
        let m = alice.encrypt(rng, b"hi").unwrap();
        let (bob, _) = store.accept(&m, 0).unwrap();
        (alice, bob)
    }

    #[test]
    fn sending_chain_refuses_at_max_chain_index_and_pn_fits_the_header() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let (mut alice, mut bob) = pair(&mut rng);
        let chain = alice.sending.as_mut().unwrap();
        *chain = ChainKey::new(*chain.as_bytes(), MAX_CHAIN_INDEX - 1);
        let last = alice.encrypt(&mut rng, b"last").unwrap();
        assert_eq!(
            ParsedMessage::parse(&last).unwrap().index,
            0xFF_FFFE,
            "n = MAX - 1"
        );
        assert_eq!(
            alice.encrypt(&mut rng, b"one more"),
            Err(EncryptError::ChainExhausted(MAX_CHAIN_INDEX))
        );
        // The peer answers; the ratchet turns and the new chain starts at 0
        // with pn = MAX_CHAIN_INDEX, which fits 24 bits.
        let reply = bob.encrypt(&mut rng, b"reply").unwrap();
        alice.decrypt(&reply).unwrap();
        let next = alice.encrypt(&mut rng, b"again").unwrap();
        let parsed = ParsedMessage::parse(&next).unwrap();
        assert_eq!((parsed.index, parsed.previous_length), (0, MAX_CHAIN_INDEX));
    }

    #[test]
    fn oversized_plaintext_is_refused_without_state_change() {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let (mut alice, _) = pair(&mut rng);
        let before = alice.to_bytes();
        let big = alloc::vec![0u8; MAX_MESSAGE_LEN + 1];
        assert!(matches!(
            alice.encrypt(&mut rng, &big),
            Err(EncryptError::TooLarge { .. })
        ));
        assert_eq!(before, alice.to_bytes());
    }

    #[test]
    fn debug_output_is_redacted() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let (alice, _) = pair(&mut rng);
        let root = alloc::format!("{:02x?}", alice.root.as_bytes());
        let shown = alloc::format!("{alice:?}");
        assert!(shown.contains("[redacted]"));
        assert!(!shown.contains(&root[1..20]));
    }
}
