//! Versioned state encodings and encryption at rest (docs/PROTOCOL.md §7).
//!
//! Plain state: `version || kind || fields`. Sealed state:
//! `version || 0x5E || kind || nonce (24) || XChaCha20-Poly1305(state) || tag`
//! with the first three bytes as associated data. XChaCha20's 24-byte nonce
//! is drawn at random for every seal, which is safe for any number of seals
//! under one key (a 12-byte random nonce would not be).

mod group;
mod prekey_store;
mod session;

use alloc::vec::Vec;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codec::Reader;
use crate::error::{DecodeError, StateError};
use crate::primitives::aead;
use crate::wire;

/// A 32-byte key for sealing state at rest. Wiped on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StorageKey([u8; 32]);

impl StorageKey {
    /// A fresh random key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        Self(k)
    }

    /// Wraps key bytes (e.g. from the platform keystore).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key bytes, to hand to the platform keystore.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0)
    }
}

impl core::fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StorageKey([redacted])")
    }
}

/// Length of the sealed header (version, sealed marker, kind, nonce).
const SEALED_HEADER_LEN: usize = 3 + 24;

/// Encrypts a plain state blob whose kind byte is `kind`.
pub(crate) fn seal<R: CryptoRng + ?Sized>(
    rng: &mut R,
    key: &StorageKey,
    kind: u8,
    plain: &[u8],
) -> Vec<u8> {
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(SEALED_HEADER_LEN + plain.len() + aead::TAG_LEN);
    out.extend_from_slice(&[wire::VERSION, wire::STATE_SEALED, kind]);
    out.extend_from_slice(&nonce);
    let ad = [wire::VERSION, wire::STATE_SEALED, kind];
    aead::xseal(&key.0, &nonce, &ad, plain, &mut out);
    out
}

/// Decrypts a sealed blob of kind `kind`, returning the plain state.
pub(crate) fn open(
    key: &StorageKey,
    kind: u8,
    sealed: &[u8],
) -> Result<Zeroizing<Vec<u8>>, StateError> {
    let mut r = Reader::new(sealed);
    wire::expect_header(&mut r, wire::STATE_SEALED)?;
    let found = r.u8()?;
    if found != kind {
        return Err(StateError::WrongKind {
            expected: kind,
            found,
        });
    }
    let nonce: [u8; 24] = r.array()?;
    let ad = [wire::VERSION, wire::STATE_SEALED, kind];
    aead::xopen(&key.0, &nonce, &ad, r.rest())
        .map(Zeroizing::new)
        .map_err(|_| StateError::AuthenticationFailed)
}

/// Checks the version and kind bytes of a plain 1:1 state blob.
pub(crate) fn expect_kind(r: &mut Reader<'_>, kind: u8) -> Result<(), StateError> {
    expect_versioned_kind(r, wire::VERSION, kind)
}

/// Checks the version and kind bytes of a plain state blob of `version`.
pub(crate) fn expect_versioned_kind(
    r: &mut Reader<'_>,
    expected_version: u8,
    kind: u8,
) -> Result<(), StateError> {
    let version = r.u8()?;
    if version != expected_version {
        return Err(DecodeError::UnsupportedVersion(version).into());
    }
    let found = r.u8()?;
    if found != kind {
        return Err(StateError::WrongKind {
            expected: kind,
            found,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn sealed_blobs_authenticate_kind_and_contents() {
        let mut rng = ChaCha20Rng::from_seed([6; 32]);
        let key = StorageKey::generate(&mut rng);
        let sealed = seal(&mut rng, &key, wire::STATE_SESSION, b"state");
        assert_eq!(sealed.len(), SEALED_HEADER_LEN + 5 + aead::TAG_LEN);
        assert_eq!(
            &open(&key, wire::STATE_SESSION, &sealed).unwrap()[..],
            b"state"
        );
        assert_eq!(
            open(&key, wire::STATE_PREKEY_STORE, &sealed).unwrap_err(),
            StateError::WrongKind {
                expected: wire::STATE_PREKEY_STORE,
                found: wire::STATE_SESSION
            }
        );
        // Rewriting the kind byte does not help: it is authenticated.
        let mut relabeled = sealed.clone();
        relabeled[2] = wire::STATE_PREKEY_STORE;
        assert_eq!(
            open(&key, wire::STATE_PREKEY_STORE, &relabeled).unwrap_err(),
            StateError::AuthenticationFailed
        );
        for i in 3..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x80;
            assert_eq!(
                open(&key, wire::STATE_SESSION, &t).unwrap_err(),
                StateError::AuthenticationFailed
            );
        }
        let other = StorageKey::generate(&mut rng);
        assert_eq!(
            open(&other, wire::STATE_SESSION, &sealed).unwrap_err(),
            StateError::AuthenticationFailed
        );
        assert!(matches!(
            open(&key, wire::STATE_SESSION, &sealed[..20]),
            Err(StateError::Decode(_))
        ));
        assert_eq!(alloc::format!("{key:?}"), "StorageKey([redacted])");
    }
}
