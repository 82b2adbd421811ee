//! Public prekeys as published to the server, and their signatures.

use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, SignatureError, SignedObject};
use crate::identity::{IdentityKey, IdentityKeyPair, SignatureCheck};
use crate::labels;
use crate::primitives::ed25519::Signature;
use crate::primitives::kem::{KEM_PUBLIC_KEY_LEN, KemPublicKey};
use crate::primitives::x25519::X25519PublicKey;

/// Identifies a prekey within one device's store.
pub type PreKeyId = u32;

/// A signed X25519 prekey: medium-term, rotated by the owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedPreKey {
    /// Identifier.
    pub id: PreKeyId,
    /// The public key.
    pub key: X25519PublicKey,
    /// Identity signature over `"qorgan/v1/signed-prekey" || id || key`.
    pub signature: Signature,
}

impl SignedPreKey {
    pub(crate) const LEN: usize = 4 + 32 + 64;

    fn signed_bytes(id: PreKeyId, key: &X25519PublicKey) -> [u8; 36] {
        let mut m = [0u8; 36];
        let (a, b) = m.split_at_mut(4);
        a.copy_from_slice(&id.to_be_bytes());
        b.copy_from_slice(key.as_bytes());
        m
    }

    pub(crate) fn sign(identity: &IdentityKeyPair, id: PreKeyId, key: X25519PublicKey) -> Self {
        let signature = identity.sign(labels::SIGNED_PREKEY, &Self::signed_bytes(id, &key));
        Self { id, key, signature }
    }

    /// Checks the signature against the owner's identity.
    pub fn verify(&self, owner: &IdentityKey) -> Result<(), SignatureError> {
        self.check(owner).run()
    }

    pub(crate) fn check(&self, owner: &IdentityKey) -> SignatureCheck {
        SignatureCheck::labeled(
            owner.signing_key(),
            labels::SIGNED_PREKEY,
            &Self::signed_bytes(self.id, &self.key),
            &self.signature,
            SignedObject::SignedPreKey,
        )
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u32(self.id)
            .raw(self.key.as_bytes())
            .raw(&self.signature.to_bytes());
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            id: r.u32()?,
            key: X25519PublicKey::from_bytes(r.array()?),
            signature: Signature::from_bytes(&r.array()?),
        })
    }
}

/// Whether an ML-KEM prekey may be used once or many times.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KemPreKeyKind {
    /// Long-lived; used when the one-time ML-KEM prekeys are exhausted.
    LastResort,
    /// Deleted by the owner after its first use.
    OneTime,
}

impl KemPreKeyKind {
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Self::LastResort => 0,
            Self::OneTime => 1,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Result<Self, DecodeError> {
        match b {
            0 => Ok(Self::LastResort),
            1 => Ok(Self::OneTime),
            _ => Err(DecodeError::InvalidField("ML-KEM prekey kind")),
        }
    }
}

/// A signed ML-KEM-768 prekey.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KemPreKey {
    /// Identifier (shared id space with the other ML-KEM prekeys of the store).
    pub id: PreKeyId,
    /// Last-resort or one-time.
    pub kind: KemPreKeyKind,
    /// The encapsulation key.
    pub key: KemPublicKey,
    /// Identity signature over `"qorgan/v1/kem-prekey" || id || kind || key`.
    pub signature: Signature,
}

impl KemPreKey {
    pub(crate) const LEN: usize = 4 + 1 + KEM_PUBLIC_KEY_LEN + 64;

    fn signed_bytes(id: PreKeyId, kind: KemPreKeyKind, key: &KemPublicKey) -> alloc::vec::Vec<u8> {
        let mut w = Writer::with_capacity(5 + KEM_PUBLIC_KEY_LEN);
        w.u32(id).u8(kind.to_byte()).raw(key.as_bytes());
        w.into_vec()
    }

    pub(crate) fn sign(
        identity: &IdentityKeyPair,
        id: PreKeyId,
        kind: KemPreKeyKind,
        key: KemPublicKey,
    ) -> Self {
        let signature = identity.sign(labels::KEM_PREKEY, &Self::signed_bytes(id, kind, &key));
        Self {
            id,
            kind,
            key,
            signature,
        }
    }

    /// Checks the signature against the owner's identity.
    pub fn verify(&self, owner: &IdentityKey) -> Result<(), SignatureError> {
        self.check(owner).run()
    }

    pub(crate) fn check(&self, owner: &IdentityKey) -> SignatureCheck {
        SignatureCheck::labeled(
            owner.signing_key(),
            labels::KEM_PREKEY,
            &Self::signed_bytes(self.id, self.kind, &self.key),
            &self.signature,
            SignedObject::KemPreKey,
        )
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u32(self.id)
            .u8(self.kind.to_byte())
            .raw(self.key.as_bytes())
            .raw(&self.signature.to_bytes());
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let id = r.u32()?;
        let kind = KemPreKeyKind::from_byte(r.u8()?)?;
        let key = KemPublicKey::from_bytes(&r.array()?)?;
        let signature = Signature::from_bytes(&r.array()?);
        Ok(Self {
            id,
            kind,
            key,
            signature,
        })
    }
}

/// An unsigned one-time X25519 prekey (as in X3DH: its worth is forward
/// secrecy for the first flight; the server hands each out once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneTimePreKey {
    /// Identifier.
    pub id: PreKeyId,
    /// The public key.
    pub key: X25519PublicKey,
}
