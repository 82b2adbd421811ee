//! Device identities: an Ed25519 signing key that also signs the device's
//! X25519 identity key.
//!
//! Why two keys rather than one converted key (XEdDSA, or the Ed25519 to
//! X25519 birational map): each key is used by exactly one algorithm, so no
//! cross-protocol argument is needed, and the binding signature is an
//! ordinary RFC 8032 Ed25519 signature. A server should check it with
//! [`crate::verify`] (or any implementation of docs/PROTOCOL.md §2.4:
//! strict encodings, cofactored equation) to reach the verdict every device
//! reaches; a stock cofactorless verifier (ed25519-dalek's `verify_strict`)
//! agrees on every honestly made signature but refuses some that a key
//! holder can craft with a mixed-order `R`, which qorgan accepts. The cost
//! is 96 extra bytes in bundles and prekey messages.

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;

use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, SignatureError, SignedObject, VerifyError};
use crate::labels;
use crate::primitives::ed25519::{Ed25519PublicKey, Ed25519SigningKey, Signature};
use crate::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use crate::wire;

/// Encoded length of an [`IdentityKey`] inside other structures.
pub const IDENTITY_KEY_LEN: usize = 32 + 32 + 64;

/// The public identity of a device: its Ed25519 key, its X25519 key and the
/// Ed25519 signature binding the two. A value of this type has always been
/// verified.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdentityKey {
    signing: Ed25519PublicKey,
    dh: X25519PublicKey,
    binding: Signature,
}

fn binding_message(
    signing: &Ed25519PublicKey,
    dh: &X25519PublicKey,
) -> [u8; labels::IDENTITY_BINDING.len() + 64] {
    let mut m = [0u8; labels::IDENTITY_BINDING.len() + 64];
    let (label, keys) = m.split_at_mut(labels::IDENTITY_BINDING.len());
    label.copy_from_slice(labels::IDENTITY_BINDING);
    let (a, b) = keys.split_at_mut(32);
    a.copy_from_slice(signing.as_bytes());
    b.copy_from_slice(dh.as_bytes());
    m
}

impl IdentityKey {
    /// The Ed25519 key: the device's long-term name.
    pub fn signing_key(&self) -> &Ed25519PublicKey {
        &self.signing
    }

    /// The X25519 identity key used in the handshake.
    pub fn dh_key(&self) -> &X25519PublicKey {
        &self.dh
    }

    /// The 128-byte field encoding: `ed25519 || x25519 || signature`.
    pub fn to_field_bytes(&self) -> [u8; IDENTITY_KEY_LEN] {
        let mut out = [0u8; IDENTITY_KEY_LEN];
        let (a, rest) = out.split_at_mut(32);
        let (b, c) = rest.split_at_mut(32);
        a.copy_from_slice(self.signing.as_bytes());
        b.copy_from_slice(self.dh.as_bytes());
        c.copy_from_slice(&self.binding.to_bytes());
        out
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.raw(&self.to_field_bytes());
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, VerifyError> {
        let key = Self::read_trusted(r)?;
        key.binding_check().run()?;
        Ok(key)
    }

    /// The binding signature as a check to run (alone or in a batch).
    pub(crate) fn binding_check(&self) -> SignatureCheck {
        SignatureCheck {
            message: binding_message(&self.signing, &self.dh).to_vec(),
            signature: self.binding,
            key: self.signing,
            what: SignedObject::IdentityBinding,
        }
    }

    /// Reads an identity from the device's own stored state. The key is
    /// decoded under the usual rules but the binding signature, verified
    /// when the identity first arrived, is not checked again: stored state
    /// is as trusted as the keys it holds (seal it to have it authenticated).
    pub(crate) fn read_trusted(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let signing = Ed25519PublicKey::from_bytes(&r.array()?)?;
        let dh = X25519PublicKey::from_bytes(r.array()?);
        let binding = Signature::from_bytes(&r.array()?);
        Ok(Self {
            signing,
            dh,
            binding,
        })
    }

    /// Decodes and verifies the 128-byte field encoding.
    pub fn from_field_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        let key = Self::read(&mut r)?;
        r.finish()?;
        Ok(key)
    }

    /// Standalone encoding: `version || 0x11 || field encoding`.
    pub fn to_bytes(&self) -> alloc::vec::Vec<u8> {
        let mut w = Writer::with_capacity(2 + IDENTITY_KEY_LEN);
        w.u8(wire::VERSION).u8(wire::TYPE_IDENTITY);
        self.write(&mut w);
        w.into_vec()
    }

    /// Decodes and verifies the standalone encoding.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        wire::expect_header(&mut r, wire::TYPE_IDENTITY)?;
        let key = Self::read(&mut r)?;
        r.finish()?;
        Ok(key)
    }

    /// Constant-time equality of the full encodings.
    pub fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.to_field_bytes().ct_eq(&other.to_field_bytes()))
    }
}

impl core::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IdentityKey")
            .field("signing", &self.signing)
            .field("dh", &self.dh)
            .finish_non_exhaustive()
    }
}

/// A device's secret identity. Wiped on drop (both secret keys are).
#[derive(Clone)]
pub struct IdentityKeyPair {
    signing: Ed25519SigningKey,
    dh: X25519SecretKey,
    public: IdentityKey,
}

impl IdentityKeyPair {
    /// Generates a new identity.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let signing = Ed25519SigningKey::generate(rng);
        let dh = X25519SecretKey::generate(rng);
        Self::from_parts(signing, dh)
    }

    pub(crate) fn from_parts(signing: Ed25519SigningKey, dh: X25519SecretKey) -> Self {
        let signing_public = signing.public_key();
        let dh_public = dh.public_key();
        let binding = signing.sign(&binding_message(&signing_public, &dh_public));
        let public = IdentityKey {
            signing: signing_public,
            dh: dh_public,
            binding,
        };
        Self {
            signing,
            dh,
            public,
        }
    }

    /// The public identity.
    pub fn public(&self) -> &IdentityKey {
        &self.public
    }

    pub(crate) fn dh_secret(&self) -> &X25519SecretKey {
        &self.dh
    }

    /// Signs `label || message` with the identity's Ed25519 key.
    pub(crate) fn sign(&self, label: &[u8], message: &[u8]) -> Signature {
        // Signs `label || message` without building it (the same signature).
        self.signing.sign_parts(&[label, message])
    }

    pub(crate) fn write_secret(&self, w: &mut Writer) {
        w.raw(self.signing.to_seed().as_ref());
        w.raw(self.dh.to_bytes().as_ref());
    }

    pub(crate) fn read_secret(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let seed = zeroize::Zeroizing::new(r.array::<32>()?);
        let dh = zeroize::Zeroizing::new(r.array::<32>()?);
        Ok(Self::from_parts(
            Ed25519SigningKey::from_seed(&seed),
            X25519SecretKey::from_bytes(&dh),
        ))
    }
}

impl core::fmt::Debug for IdentityKeyPair {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IdentityKeyPair")
            .field("public", &self.public)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// One Ed25519 signature to verify: the exact signed bytes (label included),
/// the signature, the key, and what it is for (named in the error).
pub(crate) struct SignatureCheck {
    pub(crate) message: alloc::vec::Vec<u8>,
    pub(crate) signature: Signature,
    pub(crate) key: Ed25519PublicKey,
    pub(crate) what: SignedObject,
}

impl SignatureCheck {
    pub(crate) fn labeled(
        key: &Ed25519PublicKey,
        label: &[u8],
        message: &[u8],
        signature: &Signature,
        what: SignedObject,
    ) -> Self {
        let mut m = alloc::vec::Vec::with_capacity(label.len() + message.len());
        m.extend_from_slice(label);
        m.extend_from_slice(message);
        Self {
            message: m,
            signature: *signature,
            key: *key,
            what,
        }
    }

    pub(crate) fn run(&self) -> Result<(), SignatureError> {
        if self.key.verify(&self.message, &self.signature) {
            Ok(())
        } else {
            Err(SignatureError::Invalid(self.what))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn identity_round_trips_and_any_changed_bit_is_refused() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let id = IdentityKeyPair::generate(&mut rng);
        let bytes = id.public().to_bytes();
        assert_eq!(bytes.len(), 2 + IDENTITY_KEY_LEN);
        assert_eq!(IdentityKey::from_bytes(&bytes).unwrap(), *id.public());
        for bit in 16..bytes.len() * 8 {
            let mut t = bytes.clone();
            t[bit / 8] ^= 1 << (bit % 8);
            assert!(IdentityKey::from_bytes(&t).is_err(), "bit {bit}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            IdentityKey::from_bytes(&long),
            Err(VerifyError::Decode(DecodeError::TrailingBytes(1)))
        ));
    }

    #[test]
    fn a_foreign_x25519_key_cannot_be_bound_to_an_identity() {
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let a = IdentityKeyPair::generate(&mut rng);
        let b = IdentityKeyPair::generate(&mut rng);
        let mut field = a.public().to_field_bytes();
        field[32..64].copy_from_slice(b.public().dh_key().as_bytes());
        assert_eq!(
            IdentityKey::from_field_bytes(&field),
            Err(VerifyError::Signature(SignatureError::Invalid(
                SignedObject::IdentityBinding
            )))
        );
    }

    #[test]
    fn secret_state_round_trips_and_debug_is_redacted() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut w = Writer::with_capacity(64);
        id.write_secret(&mut w);
        let bytes = w.into_vec();
        let back = IdentityKeyPair::read_secret(&mut Reader::new(&bytes)).unwrap();
        assert_eq!(back.public(), id.public());
        let shown = alloc::format!("{id:?}");
        assert!(shown.contains("[redacted]"));
        let seed: alloc::string::String = bytes[..4]
            .iter()
            .map(|b| alloc::format!("{b:02x}"))
            .collect();
        assert!(!shown.contains(&seed));
    }
}
