//! X25519 key agreement (RFC 7748).

use alloc::boxed::Box;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// An X25519 public key (32 bytes, RFC 7748 u-coordinate).
///
/// Any 32 bytes decode; non-canonical and low-order encodings are caught at
/// use: every exchange that yields the all-zero secret is refused.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct X25519PublicKey([u8; 32]);

impl X25519PublicKey {
    /// Wraps 32 bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32-byte encoding.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl core::fmt::Debug for X25519PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "X25519PublicKey", &self.0)
    }
}

/// An X25519 secret key. Boxed so moving it never copies the scalar; wiped on drop.
#[derive(Clone)]
pub struct X25519SecretKey(Box<x25519_dalek::StaticSecret>);

impl X25519SecretKey {
    /// Generates a fresh key from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut());
        Self::from_bytes(&bytes)
    }

    /// Rebuilds a key from its 32 secret bytes (clamping happens at use).
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(Box::new(x25519_dalek::StaticSecret::from(*bytes)))
    }

    /// The secret bytes, for serialization into sealed state only.
    pub(crate) fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> X25519PublicKey {
        X25519PublicKey(*x25519_dalek::PublicKey::from(&*self.0).as_bytes())
    }

    /// Raw X25519, no contributory check: for known-answer tests only.
    pub fn diffie_hellman_unchecked(&self, public: &X25519PublicKey) -> SharedSecret {
        let shared = self
            .0
            .diffie_hellman(&x25519_dalek::PublicKey::from(public.0));
        SharedSecret(Zeroizing::new(*shared.as_bytes()))
    }

    /// X25519 with the contributory check: an all-zero result (the peer sent a
    /// low-order point) is refused, as the protocol requires.
    pub fn diffie_hellman(
        &self,
        public: &X25519PublicKey,
    ) -> Result<SharedSecret, NonContributory> {
        let shared = self.diffie_hellman_unchecked(public);
        if bool::from(shared.0.ct_eq(&[0u8; 32])) {
            Err(NonContributory)
        } else {
            Ok(shared)
        }
    }
}

impl ZeroizeOnDrop for X25519SecretKey {}

impl core::fmt::Debug for X25519SecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("X25519SecretKey([redacted])")
    }
}

/// The exchange produced the all-zero shared secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonContributory;

/// A 32-byte X25519 shared secret, wiped on drop.
pub struct SharedSecret(Zeroizing<[u8; 32]>);

impl SharedSecret {
    #[cfg(feature = "hazmat-internals")]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Zeroize for SharedSecret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SharedSecret([redacted])")
    }
}
