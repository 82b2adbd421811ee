//! Issuer keys: the organisation keys apps trust, and intermediate keys
//! they certify (docs/PROTOCOL.md §16).

use alloc::string::String;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::error::DecodeError;
use crate::primitives::ed25519::{Ed25519PublicKey, Ed25519SigningKey, Signature};

/// Length of an encoded issuer key.
pub const ISSUER_KEY_LEN: usize = 32;

/// An issuer's public key (Ed25519, strict encoding, not of small order).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IssuerKey(pub(crate) Ed25519PublicKey);

impl IssuerKey {
    /// Decodes 32 bytes (refusing non-canonical and small-order keys).
    pub fn from_bytes(bytes: &[u8; ISSUER_KEY_LEN]) -> Result<Self, DecodeError> {
        Ok(Self(Ed25519PublicKey::from_bytes(bytes)?))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; ISSUER_KEY_LEN] {
        *self.0.as_bytes()
    }
}

impl core::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::primitives::fmt_public(f, "IssuerKey", self.0.as_bytes())
    }
}

/// An issuer's secret key: an organisation's (kept offline, in an HSM or
/// an air-gapped machine) or an intermediate's. Wiped on drop; not `Clone`.
pub struct IssuerKeyPair {
    secret: Ed25519SigningKey,
    public: IssuerKey,
}

impl IssuerKeyPair {
    /// A fresh issuer key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        Self::from_secret(Ed25519SigningKey::generate(rng))
    }

    /// The key from its 32-byte seed (as stored by the issuer's tooling).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self::from_secret(Ed25519SigningKey::from_seed(seed))
    }

    /// The 32-byte seed, for the issuer's own safekeeping.
    pub fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        self.secret.to_seed()
    }

    fn from_secret(secret: Ed25519SigningKey) -> Self {
        let public = IssuerKey(secret.public_key());
        Self { secret, public }
    }

    /// The public key.
    pub fn public(&self) -> &IssuerKey {
        &self.public
    }

    pub(crate) fn sign(&self, label: &[u8], message: &[u8]) -> Signature {
        self.secret.sign_parts(&[label, message])
    }
}

impl core::fmt::Debug for IssuerKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IssuerKeyPair")
            .field("public", &self.public)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// An organisation key the app trusts, and the name it shows for it
/// ("verified by ⟨organisation⟩"). Anchors come with the app or its
/// managed configuration, never from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    /// The organisation's key.
    pub key: IssuerKey,
    /// The organisation's name, as shown to users.
    pub organisation: String,
}

impl TrustAnchor {
    /// An anchor.
    pub fn new(key: IssuerKey, organisation: &str) -> Self {
        Self {
            key,
            organisation: organisation.into(),
        }
    }
}
