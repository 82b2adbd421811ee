//! ML-KEM-768 (FIPS 203) key encapsulation, by libcrux-ml-kem (formally
//! verified; AVX2 or NEON where the CPU has them). Keys are kept as their
//! 64-byte seed and expanded on first use. The unit tests compare every
//! operation with RustCrypto's `ml-kem`, a second implementation.

use alloc::boxed::Box;
use libcrux_ml_kem::mlkem768::{self, MlKem768Ciphertext, MlKem768PrivateKey, MlKem768PublicKey};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::DecodeError;

/// Encoded ML-KEM-768 encapsulation (public) key length.
pub const KEM_PUBLIC_KEY_LEN: usize = 1184;
/// ML-KEM-768 ciphertext length.
pub const KEM_CIPHERTEXT_LEN: usize = 1088;
/// Decapsulation key seed length (FIPS 203 `d || z`).
pub const KEM_SEED_LEN: usize = 64;

/// Expanded decapsulation key length (FIPS 203 `dk`).
const KEM_SECRET_KEY_LEN: usize = 2400;

/// An ML-KEM-768 encapsulation key, validated on decode (FIPS 203 modulus
/// check).
#[derive(Clone)]
pub struct KemPublicKey(Box<MlKem768PublicKey>);

impl KemPublicKey {
    /// Decodes and validates 1184 bytes.
    pub fn from_bytes(bytes: &[u8; KEM_PUBLIC_KEY_LEN]) -> Result<Self, DecodeError> {
        let key = Box::new(MlKem768PublicKey::from(bytes));
        if !mlkem768::validate_public_key(&key) {
            return Err(DecodeError::InvalidKey("ML-KEM-768 encapsulation key"));
        }
        Ok(Self(key))
    }

    /// The 1184-byte encoding.
    pub fn as_bytes(&self) -> &[u8; KEM_PUBLIC_KEY_LEN] {
        self.0.as_slice()
    }

    /// Encapsulates a fresh shared secret to this key: FIPS 203
    /// `Encaps_internal(ek, m)` with `m` the next 32 bytes of `rng`.
    pub fn encapsulate<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> (KemCiphertext, KemSharedSecret) {
        let mut m = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(m.as_mut());
        let (ct, ss) = mlkem768::encapsulate(&self.0, *m);
        (
            KemCiphertext(Box::new(*ct.as_slice())),
            KemSharedSecret(Zeroizing::new(ss)),
        )
    }
}

impl PartialEq for KemPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}
impl Eq for KemPublicKey {}

impl core::fmt::Debug for KemPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "KemPublicKey", self.as_bytes())
    }
}

/// An ML-KEM-768 ciphertext (1088 bytes). Any bytes decode: ML-KEM's implicit
/// rejection turns a bad ciphertext into an unrelated shared secret, which
/// the first message's authentication then refuses.
#[derive(Clone, PartialEq, Eq)]
pub struct KemCiphertext(Box<[u8; KEM_CIPHERTEXT_LEN]>);

impl KemCiphertext {
    /// Wraps 1088 bytes.
    pub fn from_bytes(bytes: &[u8; KEM_CIPHERTEXT_LEN]) -> Self {
        Self(Box::new(*bytes))
    }

    /// The 1088-byte encoding.
    pub fn as_bytes(&self) -> &[u8; KEM_CIPHERTEXT_LEN] {
        &self.0
    }
}

impl core::fmt::Debug for KemCiphertext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "KemCiphertext", self.0.as_slice())
    }
}

/// The 32-byte ML-KEM shared secret, wiped on drop.
pub struct KemSharedSecret(Zeroizing<[u8; 32]>);

impl KemSharedSecret {
    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl core::fmt::Debug for KemSharedSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KemSharedSecret([redacted])")
    }
}

/// The expanded key pair, boxed where it is made and wiped on drop (each
/// copy wipes itself).
#[derive(Clone)]
struct Expanded {
    secret: MlKem768PrivateKey,
    public: KemPublicKey,
}

impl Drop for Expanded {
    fn drop(&mut self) {
        self.secret[..KEM_SECRET_KEY_LEN].zeroize();
    }
}

/// An ML-KEM-768 decapsulation key, kept as its 64-byte seed; the expanded
/// key is derived the first time it is needed (a public key for a bundle,
/// a decapsulation) and kept. Loading a store with many ML-KEM prekeys
/// therefore costs nothing per key until one is used. Both wiped on drop.
pub struct KemSecretKey {
    seed: Zeroizing<[u8; KEM_SEED_LEN]>,
    /// Thread-safe and lock-free (`no_std`): two threads racing to expand
    /// both compute the same key and one copy is dropped (and wiped).
    key: once_cell::race::OnceBox<Expanded>,
}

impl KemSecretKey {
    /// Generates a fresh key pair from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; KEM_SEED_LEN]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// Rebuilds the key from its seed (FIPS 203 `ML-KEM.KeyGen_internal(d, z)`,
    /// run lazily on first use).
    pub fn from_seed(seed: &[u8; KEM_SEED_LEN]) -> Self {
        Self {
            seed: Zeroizing::new(*seed),
            key: once_cell::race::OnceBox::new(),
        }
    }

    fn expanded(&self) -> &Expanded {
        self.key.get_or_init(|| {
            let (secret, public) = mlkem768::generate_key_pair(*self.seed).into_parts();
            Box::new(Expanded {
                secret,
                public: KemPublicKey(Box::new(public)),
            })
        })
    }

    pub(crate) fn seed(&self) -> &[u8; KEM_SEED_LEN] {
        &self.seed
    }

    /// The matching encapsulation key.
    pub fn public_key(&self) -> KemPublicKey {
        self.expanded().public.clone()
    }

    /// Decapsulates (implicit rejection: never fails).
    pub fn decapsulate(&self, ct: &KemCiphertext) -> KemSharedSecret {
        let ct = MlKem768Ciphertext::from(&*ct.0);
        KemSharedSecret(Zeroizing::new(mlkem768::decapsulate(
            &self.expanded().secret,
            &ct,
        )))
    }
}

impl Clone for KemSecretKey {
    /// Keeps the expanded key if it was derived: a copy costs no key
    /// generation.
    fn clone(&self) -> Self {
        Self {
            seed: self.seed.clone(),
            key: self.key.clone(),
        }
    }
}

impl ZeroizeOnDrop for KemSecretKey {}

impl core::fmt::Debug for KemSecretKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("KemSecretKey([redacted])")
    }
}

/// Differential test against RustCrypto's `ml-kem` (a second FIPS 203
/// implementation, checked upstream against NIST's ACVP vectors and
/// Wycheproof): the same seed gives the same keys, the same randomness the
/// same ciphertext and secret, and any ciphertext (tampered ones included:
/// implicit rejection) the same decapsulation.
#[cfg(test)]
mod tests {
    use super::*;
    use chacha20::ChaCha20Rng;
    use ml_kem::{Decapsulate, Encapsulate, KeyExport, MlKem768};
    use rand_core::{Rng, SeedableRng};

    #[test]
    fn agrees_with_a_second_implementation() {
        let mut r = ChaCha20Rng::from_seed([0x4b; 32]);
        for round in 0..24 {
            let mut seed = [0u8; KEM_SEED_LEN];
            r.fill_bytes(&mut seed);
            let ours = KemSecretKey::from_seed(&seed);
            let theirs = ml_kem::DecapsulationKey::<MlKem768>::from_seed(seed.into());
            let ek = theirs.encapsulation_key().clone();
            assert_eq!(
                ours.public_key().as_bytes().as_slice(),
                ek.to_bytes().as_slice(),
                "keygen, round {round}"
            );
            // Encapsulation from the same 32 random bytes.
            let mut enc_seed = [0u8; 32];
            r.fill_bytes(&mut enc_seed);
            let (ct, ss) = ours
                .public_key()
                .encapsulate(&mut ChaCha20Rng::from_seed(enc_seed));
            let (ct2, ss2) = ek.encapsulate_with_rng(&mut ChaCha20Rng::from_seed(enc_seed));
            assert_eq!(ct.as_bytes().as_slice(), ct2.as_slice(), "encaps {round}");
            assert_eq!(ss.as_bytes().as_slice(), ss2.as_slice());
            // Decapsulation, of the real ciphertext and of tampered ones.
            let mut bytes = *ct.as_bytes();
            for flip in [
                None,
                Some(0usize),
                Some(KEM_CIPHERTEXT_LEN - 1),
                Some(round * 37),
            ] {
                if let Some(i) = flip {
                    bytes[i % KEM_CIPHERTEXT_LEN] ^= 1 << (round % 8);
                }
                let c = KemCiphertext::from_bytes(&bytes);
                let theirs_ct: &ml_kem::Ciphertext<MlKem768> = (&bytes).into();
                assert_eq!(
                    ours.decapsulate(&c).as_bytes().as_slice(),
                    theirs.decapsulate(theirs_ct).as_slice(),
                    "decaps {round} {flip:?}"
                );
            }
        }
    }

    #[test]
    fn both_refuse_a_public_key_out_of_range() {
        let mut r = ChaCha20Rng::from_seed([0x4c; 32]);
        let key = KemSecretKey::generate(&mut r).public_key();
        // The first 12-bit coefficient set to 3329 (= q): not reduced.
        let mut bad = *key.as_bytes();
        bad[0] = 0x01;
        bad[1] = (bad[1] & 0xF0) | 0x0D;
        assert!(KemPublicKey::from_bytes(&bad).is_err());
        let theirs = ml_kem::EncapsulationKey::<MlKem768>::new((&bad).into());
        assert!(theirs.is_err());
        assert!(KemPublicKey::from_bytes(key.as_bytes()).is_ok());
    }
}
