//! ML-KEM-768 (FIPS 203) key encapsulation.

use alloc::boxed::Box;
use ml_kem::{Decapsulate, Encapsulate, KeyExport, MlKem768};
use rand_core::CryptoRng;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::DecodeError;

/// Encoded ML-KEM-768 encapsulation (public) key length.
pub const KEM_PUBLIC_KEY_LEN: usize = 1184;
/// ML-KEM-768 ciphertext length.
pub const KEM_CIPHERTEXT_LEN: usize = 1088;
/// Decapsulation key seed length (FIPS 203 `d || z`).
pub const KEM_SEED_LEN: usize = 64;

type Ek = ml_kem::EncapsulationKey<MlKem768>;
type Dk = ml_kem::DecapsulationKey<MlKem768>;

/// An ML-KEM-768 encapsulation key, validated on decode (FIPS 203 modulus check).
#[derive(Clone)]
pub struct KemPublicKey {
    key: Box<Ek>,
    bytes: Box<[u8; KEM_PUBLIC_KEY_LEN]>,
}

impl KemPublicKey {
    /// Decodes and validates 1184 bytes.
    pub fn from_bytes(bytes: &[u8; KEM_PUBLIC_KEY_LEN]) -> Result<Self, DecodeError> {
        let key = Ek::new(bytes.into())
            .map_err(|_| DecodeError::InvalidKey("ML-KEM-768 encapsulation key"))?;
        Ok(Self {
            key: Box::new(key),
            bytes: Box::new(*bytes),
        })
    }

    /// The 1184-byte encoding.
    pub fn as_bytes(&self) -> &[u8; KEM_PUBLIC_KEY_LEN] {
        &self.bytes
    }

    /// Encapsulates a fresh shared secret to this key.
    pub fn encapsulate<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> (KemCiphertext, KemSharedSecret) {
        let (ct, ss) = self.key.encapsulate_with_rng(rng);
        (
            KemCiphertext(Box::new(ct.into())),
            KemSharedSecret(Zeroizing::new(ss.into())),
        )
    }
}

impl PartialEq for KemPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for KemPublicKey {}

impl core::fmt::Debug for KemPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "KemPublicKey", self.bytes.as_slice())
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

/// An ML-KEM-768 decapsulation key, kept as its 64-byte seed; the expanded
/// key is derived the first time it is needed (a public key for a bundle,
/// a decapsulation) and kept. Loading a store with many ML-KEM prekeys
/// therefore costs nothing per key until one is used. Both wiped on drop.
pub struct KemSecretKey {
    seed: Zeroizing<[u8; KEM_SEED_LEN]>,
    /// Thread-safe and lock-free (`no_std`): two threads racing to expand
    /// both compute the same key and one copy is dropped (and wiped).
    key: once_cell::race::OnceBox<Dk>,
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

    fn expanded(&self) -> &Dk {
        self.key
            .get_or_init(|| Box::new(Dk::from_seed((*self.seed).into())))
    }

    pub(crate) fn seed(&self) -> &[u8; KEM_SEED_LEN] {
        &self.seed
    }

    /// The matching encapsulation key.
    pub fn public_key(&self) -> KemPublicKey {
        let ek = self.expanded().encapsulation_key().clone();
        let bytes: [u8; KEM_PUBLIC_KEY_LEN] = ek.to_bytes().into();
        KemPublicKey {
            key: Box::new(ek),
            bytes: Box::new(bytes),
        }
    }

    /// Decapsulates (implicit rejection: never fails).
    pub fn decapsulate(&self, ct: &KemCiphertext) -> KemSharedSecret {
        let ct: &ml_kem::Ciphertext<MlKem768> = (&*ct.0).into();
        KemSharedSecret(Zeroizing::new(self.expanded().decapsulate(ct).into()))
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
