//! The account key: an Ed25519 key, distinct from every device identity,
//! whose only job is to sign the account's device list (docs/PROTOCOL.md
//! §14.1). Whoever holds it decides which devices are the account's; the
//! server never does.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::DecodeError;
use crate::primitives::ed25519::{Ed25519PublicKey, Ed25519SigningKey, Signature};

/// Length of an encoded account key.
pub const ACCOUNT_KEY_LEN: usize = 32;

/// An account's public key (Ed25519, strict encoding, not of small order).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccountKey(pub(crate) Ed25519PublicKey);

impl AccountKey {
    /// Decodes 32 bytes (refusing non-canonical and small-order keys).
    pub fn from_bytes(bytes: &[u8; ACCOUNT_KEY_LEN]) -> Result<Self, DecodeError> {
        Ok(Self(Ed25519PublicKey::from_bytes(bytes)?))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; ACCOUNT_KEY_LEN] {
        *self.0.as_bytes()
    }

    pub(crate) fn key(&self) -> &Ed25519PublicKey {
        &self.0
    }
}

impl core::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::primitives::fmt_public(f, "AccountKey", self.0.as_bytes())
    }
}

/// An account's secret key. Wiped on drop; not `Clone` (it moves to a new
/// device only inside a provisioning message).
pub struct AccountKeyPair {
    secret: Ed25519SigningKey,
    public: AccountKey,
}

impl AccountKeyPair {
    /// A fresh account key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_secret(Ed25519SigningKey::generate(rng))
    }

    fn from_secret(secret: Ed25519SigningKey) -> Self {
        let public = AccountKey(secret.public_key());
        Self { secret, public }
    }

    /// The public account key.
    pub fn public(&self) -> &AccountKey {
        &self.public
    }

    pub(crate) fn sign(&self, label: &[u8], message: &[u8]) -> Signature {
        self.secret.sign_parts(&[label, message])
    }

    /// The 32-byte seed, for sealed state and provisioning only.
    pub(crate) fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        self.secret.to_seed()
    }

    pub(crate) fn from_seed(seed: &[u8; 32]) -> Self {
        Self::from_secret(Ed25519SigningKey::from_seed(seed))
    }
}

impl core::fmt::Debug for AccountKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AccountKeyPair")
            .field("public", &self.public)
            .field("secret", &"[redacted]")
            .finish()
    }
}
