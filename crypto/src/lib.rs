//! # qorgan
//!
//! End-to-end encryption for messengers: device identities, signed prekey
//! bundles, a hybrid post-quantum handshake (X25519 + ML-KEM-768,
//! PQXDH-style) and the Double Ratchet. Pure Rust, `no_std` + `alloc`, no
//! `unsafe`, no I/O; every random value comes from the `CryptoRng` you pass.
//!
//! The byte-level specification is `docs/PROTOCOL.md` in the repository;
//! every limit is a named constant in [`limits`].
//!
//! ```
//! use qorgan::{
//!     Expected, IdentityKeyPair, PreKeyBundle, PreKeyStore, SafetyNumber, Session, StorageKey,
//!     SystemRng,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = SystemRng::new()?;
//!
//! // Bob publishes a bundle (the server stores `to_bytes()`).
//! let bob_id = IdentityKeyPair::generate(&mut rng);
//! let mut bob = PreKeyStore::new(&mut rng, bob_id, 0);
//! bob.generate_one_time_prekeys(&mut rng, 100);
//! let published = bob.bundle().ok_or("no prekeys")?.to_bytes();
//!
//! // Alice fetches it, verifies it and starts a session.
//! let alice_id = IdentityKeyPair::generate(&mut rng);
//! let bundle = PreKeyBundle::from_bytes(&published)?;
//! let mut alice = Session::initiate(&mut rng, &alice_id, &bundle)?;
//! let first = alice.encrypt(&mut rng, b"salem, Bob")?;
//!
//! // Bob accepts: the one-time prekey is consumed in the same call.
//! let (mut bob_session, plaintext) = bob.accept(&first, 0)?;
//! assert_eq!(plaintext, b"salem, Bob");
//!
//! // Replies, out-of-order delivery, and state sealed at rest.
//! let r1 = bob_session.encrypt(&mut rng, b"one")?;
//! let r2 = bob_session.encrypt(&mut rng, b"two")?;
//! assert_eq!(alice.decrypt(&r2)?, b"two");
//! let key = StorageKey::generate(&mut rng);
//! let sealed = alice.seal(&mut rng, &key);
//! // Open only this session's state, and nothing older than this seal.
//! let expected = Expected::new(alice.state_owner(), alice.generation());
//! let mut alice = Session::open(&key, &sealed, &expected)?;
//! assert_eq!(alice.decrypt(&r1)?, b"one");
//! assert!(alice.decrypt(&r1).is_err()); // a message decrypts once
//!
//! // Both sides compute the same safety number.
//! let a = SafetyNumber::new(alice_id.public(), b"alice", bob.identity_key(), b"bob");
//! let b = SafetyNumber::new(bob.identity_key(), b"bob", alice_id.public(), b"alice");
//! assert!(a.matches_scanned(&b.scannable()));
//! # Ok(()) }
//! ```
//!
//! State is never copied behind your back: [`Session`], [`PreKeyStore`]
//! and [`OutboundGroupSession`] are not `Clone` (two live copies would be two
//! senders on one chain, or two stores handing out and accepting the same
//! prekeys); a copy goes through `to_bytes`/`seal`, visibly.
//!
//! ```compile_fail
//! fn copyable<T: Clone>() {}
//! copyable::<qorgan::Session>();
//! ```
//!
//! ```compile_fail
//! fn copyable<T: Clone>() {}
//! copyable::<qorgan::PreKeyStore>();
//! ```
//!
//! ```compile_fail
//! fn copyable<T: Clone>() {}
//! copyable::<qorgan::OutboundGroupSession>();
//! ```
#![no_std]
#![forbid(unsafe_code)]
// Secrets are boxed on purpose, also inside collections: moving a box moves
// a pointer, so no stale copy of the key bytes is left where it was.
#![allow(clippy::vec_box)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod account;
mod bundle;
pub mod certificate;
mod codec;
pub mod error;
mod fingerprint;
pub mod group;
pub mod handshake;
mod identity;
#[cfg(feature = "hazmat-internals")]
pub mod internals;
pub mod labels;
pub mod limits;
pub mod message;
mod prekey;
mod prekey_store;
pub mod primitives;
mod ratchet;
#[cfg(feature = "getrandom")]
mod rng;
pub mod roster;
mod session;
mod session_core;
mod state;
mod upload;
pub mod verify;
mod versioned;
pub mod wire;

pub use bundle::PreKeyBundle;
pub use error::{
    AccountError, CertificateError, DecodeError, DecryptError, EncryptError, FanoutError,
    GroupError, HandshakeError, RngError, RosterError, SignatureError, SignedObject, StateError,
    VerifyError,
};
pub use fingerprint::{FINGERPRINT_ITERATIONS, SCANNABLE_LEN, SafetyNumber};
pub use group::{
    GroupPlaintext, InboundGroupSession, OutboundGroupSession, RotationPolicy, RotationReason,
    SenderKeyAnnouncement, SenderKeyDistribution, SenderKeyRing,
};
pub use identity::{IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair};
pub use message::{MESSAGE_OVERHEAD, MessageKind};
pub use prekey::{KemPreKey, KemPreKeyKind, OneTimePreKey, PreKeyId, SignedPreKey};
pub use prekey_store::PreKeyStore;
pub use primitives::ed25519::{Ed25519PublicKey, Signature};
pub use primitives::kem::KemPublicKey;
pub use primitives::x25519::X25519PublicKey;
pub use rand_core::CryptoRng;
#[cfg(feature = "getrandom")]
pub use rng::SystemRng;
pub use session::{Role, Session};
pub use session_core::SessionCore;
pub use state::{Expected, SEALED_VALUE_OVERHEAD, SealedHeader, StateOwner, StorageKey};
pub use upload::PreKeyUpload;

impl Session {
    /// Starts a session from a peer's bundle; see [`handshake::initiate`].
    pub fn initiate<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &IdentityKeyPair,
        bundle: &PreKeyBundle,
    ) -> Result<Session, HandshakeError> {
        handshake::initiate(rng, identity, bundle)
    }
}
