//! Prekey bundles: what an initiator fetches to start a session.

use alloc::vec::Vec;

use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, VerifyError};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey, SignatureCheck};
use crate::prekey::{KemPreKey, OneTimePreKey, SignedPreKey};
use crate::primitives::x25519::X25519PublicKey;
use crate::wire;

/// A device's published keys. Decoding verifies every signature, and
/// `Session::initiate` runs [`PreKeyBundle::verify`] again on the value it is
/// given, so a bundle built by hand is never used unverified either.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeyBundle {
    /// The owner's identity.
    pub identity: IdentityKey,
    /// The current signed X25519 prekey.
    pub signed_prekey: SignedPreKey,
    /// A one-time ML-KEM prekey, or the last-resort one.
    pub kem_prekey: KemPreKey,
    /// A one-time X25519 prekey, if the server had one left.
    pub one_time_prekey: Option<OneTimePreKey>,
}

impl PreKeyBundle {
    /// Checks the prekey signatures (signed prekey, then ML-KEM prekey) in
    /// one combination; the identity binding was checked when the identity
    /// was decoded (an `IdentityKey` is never unverified).
    pub fn verify(&self) -> Result<(), VerifyError> {
        crate::verify::run_checks(&[
            self.signed_prekey.check(&self.identity),
            self.kem_prekey.check(&self.identity),
        ])?;
        Ok(())
    }

    /// Encodes: `version || 0x10 || identity || signed prekey || ML-KEM
    /// prekey || flag || [one-time id || key]`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w =
            Writer::with_capacity(2 + IDENTITY_KEY_LEN + SignedPreKey::LEN + KemPreKey::LEN + 37);
        w.u8(wire::VERSION).u8(wire::TYPE_BUNDLE);
        self.identity.write(&mut w);
        self.signed_prekey.write(&mut w);
        self.kem_prekey.write(&mut w);
        match &self.one_time_prekey {
            Some(otk) => {
                w.u8(1).u32(otk.id).raw(otk.key.as_bytes());
            }
            None => {
                w.u8(0);
            }
        }
        w.into_vec()
    }

    /// Decodes a bundle and verifies all its signatures.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let bundle = Self::decode_unverified(bytes)?;
        crate::verify::run_checks(&bundle.checks())?;
        Ok(bundle)
    }

    /// Every signature a bundle carries, in verification order: identity
    /// binding, signed prekey, ML-KEM prekey.
    pub(crate) fn checks(&self) -> [SignatureCheck; 3] {
        [
            self.identity.binding_check(),
            self.signed_prekey.check(&self.identity),
            self.kem_prekey.check(&self.identity),
        ]
    }

    /// Decodes without checking any signature (for batch verification).
    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        wire::expect_header(&mut r, wire::TYPE_BUNDLE)?;
        let identity = IdentityKey::read_trusted(&mut r)?;
        let signed_prekey = SignedPreKey::read(&mut r)?;
        let kem_prekey = KemPreKey::read(&mut r)?;
        let one_time_prekey = match r.u8()? {
            0 => None,
            1 => Some(OneTimePreKey {
                id: r.u32()?,
                key: X25519PublicKey::from_bytes(r.array()?),
            }),
            _ => return Err(DecodeError::InvalidField("one-time prekey flag")),
        };
        r.finish()?;
        Ok(Self {
            identity,
            signed_prekey,
            kem_prekey,
            one_time_prekey,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IdentityKeyPair, PreKeyStore};
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn bundles_round_trip_with_and_without_one_time_prekey() {
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, id, 0);
        let without = store.bundle().unwrap();
        assert!(without.one_time_prekey.is_none());
        assert_eq!(without.to_bytes().len(), 1484);
        store.generate_one_time_prekeys(&mut rng, 1);
        let with = store.bundle().unwrap();
        assert_eq!(with.to_bytes().len(), 1520);
        for b in [without, with] {
            assert_eq!(PreKeyBundle::from_bytes(&b.to_bytes()).unwrap(), b);
        }
    }

    #[test]
    fn a_swapped_prekey_fails_its_signature() {
        let mut rng = ChaCha20Rng::from_seed([10; 32]);
        let (ia, ib) = (
            IdentityKeyPair::generate(&mut rng),
            IdentityKeyPair::generate(&mut rng),
        );
        let mut a = PreKeyStore::new(&mut rng, ia, 0);
        let mut b = PreKeyStore::new(&mut rng, ib, 0);
        let mut bundle = a.bundle().unwrap();
        bundle.kem_prekey = b.bundle().unwrap().kem_prekey;
        assert_eq!(
            bundle.verify(),
            Err(VerifyError::Signature(crate::SignatureError::Invalid(
                crate::SignedObject::KemPreKey
            )))
        );
        let mut bundle = a.bundle().unwrap();
        bundle.signed_prekey.id ^= 1;
        assert_eq!(
            bundle.verify(),
            Err(VerifyError::Signature(crate::SignatureError::Invalid(
                crate::SignedObject::SignedPreKey
            )))
        );
        let mut bytes = a.bundle().unwrap().to_bytes();
        let last = bytes.len() - 1;
        bytes[last] = 2;
        assert_eq!(
            PreKeyBundle::from_bytes(&bytes),
            Err(VerifyError::Decode(DecodeError::InvalidField(
                "one-time prekey flag"
            )))
        );
    }
}
