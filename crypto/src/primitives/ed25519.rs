//! Ed25519 signatures (RFC 8032) under qorgan's strict verification policy.
//!
//! Policy (docs/PROTOCOL.md, "Signature policy"): a signature is accepted only
//! if `S` is canonical (`S < L`), neither `R` nor the public key is of small
//! order, and `R == [S]B - [k]A` holds exactly (cofactorless). Public keys
//! must also be canonical and torsion-free when decoded.

use alloc::boxed::Box;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::DecodeError;

/// An Ed25519 public key, decoded and checked (on the curve, torsion-free).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ed25519PublicKey(VerifyingKey);

impl Ed25519PublicKey {
    /// Decodes a 32-byte key, rejecting points that are not on the curve, not
    /// canonical, of small order or with a torsion component.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let key = VerifyingKey::from_bytes(bytes)
            .map_err(|_| DecodeError::InvalidKey("ed25519 point"))?;
        // ed25519-dalek keeps the input bytes; re-encode the decoded point to
        // catch non-canonical encodings (y >= p, or x = 0 with the sign bit).
        if key.to_edwards().compress().as_bytes() != bytes {
            return Err(DecodeError::InvalidKey("ed25519 non-canonical"));
        }
        if key.is_weak() || !key.to_edwards().is_torsion_free() {
            return Err(DecodeError::InvalidKey("ed25519 small-order or torsion"));
        }
        Ok(Self(key))
    }

    /// Decodes without the torsion-freeness check: for known-answer tests that
    /// probe the verifier itself.
    pub fn from_bytes_unchecked(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| DecodeError::InvalidKey("ed25519 point"))
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Strict verification (see the module docs).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.0.verify_strict(message, &signature.0).is_ok()
    }
}

impl core::hash::Hash for Ed25519PublicKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl core::fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "Ed25519PublicKey", self.as_bytes())
    }
}

/// A 64-byte Ed25519 signature. Decoding never fails; validity is decided by
/// verification.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(ed25519_dalek::Signature);

impl Signature {
    /// Encoded length.
    pub const LEN: usize = 64;

    /// Wraps 64 bytes.
    pub fn from_bytes(bytes: &[u8; 64]) -> Self {
        Self(ed25519_dalek::Signature::from_bytes(bytes))
    }

    /// The 64-byte encoding.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }
}

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "Signature", &self.to_bytes())
    }
}

/// An Ed25519 signing key, boxed and wiped on drop.
#[derive(Clone)]
pub struct Ed25519SigningKey(Box<SigningKey>);

impl Ed25519SigningKey {
    /// Generates a fresh key from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// Rebuilds the key from its 32-byte RFC 8032 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(Box::new(SigningKey::from_bytes(seed)))
    }

    /// The 32-byte seed, for sealed state only.
    pub(crate) fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key. Keys generated here are always torsion-free.
    pub fn public_key(&self) -> Ed25519PublicKey {
        Ed25519PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (deterministic, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message))
    }
}

impl ZeroizeOnDrop for Ed25519SigningKey {}

impl core::fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Ed25519SigningKey([redacted])")
    }
}
