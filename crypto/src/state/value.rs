//! Sealed values (docs/PROTOCOL.md §7.5): what an account store keeps
//! besides protocol state (message bodies waiting in an inbox or outbox,
//! indexes, counters), encrypted under the storage key and bound to where
//! they are kept, and keyed row names that do not reveal what they name.
//!
//! `0x01 || 0x5F || nonce (24) || XChaCha20-Poly1305(value) || tag`, under
//! `HKDF-SHA256(ikm = storage key, salt = empty, info =
//! "qorgan/v1/sealed-value")`, with associated data `0x01 || 0x5F ||
//! context`. The context is the caller's name for the slot (table, row,
//! generation): a value moved to another slot, or an older value put back
//! in a slot whose generation moved on, does not open. Names are
//! `HMAC-SHA256(HKDF(storage key, "qorgan/v1/sealed-index"), label ||
//! data)`. Both keys differ from the key of sealed state (§7.1).

use alloc::vec::Vec;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::StorageKey;
use crate::codec::Reader;
use crate::error::{DecodeError, StateError};
use crate::primitives::{aead, kdf};
use crate::wire;

/// Bytes a sealed value adds: version, type, nonce, tag.
pub const SEALED_VALUE_OVERHEAD: usize = 2 + 24 + aead::TAG_LEN;

impl StorageKey {
    pub(crate) fn derived(&self, info: &[u8]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit: this cannot fail.
        let _ = kdf::hkdf_sha256(&[], self.key.as_slice(), info, out.as_mut_slice());
        out
    }

    /// Seals `value` for the slot named by `context` (§7.5).
    pub fn seal_value<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        context: &[u8],
        value: &[u8],
    ) -> Vec<u8> {
        let key = &self.value_key;
        let mut nonce = [0u8; 24];
        rng.fill_bytes(&mut nonce);
        let ad = [&[wire::VERSION, wire::SEALED_VALUE][..], context].concat();
        let mut out = Vec::with_capacity(SEALED_VALUE_OVERHEAD + value.len());
        out.extend_from_slice(&[wire::VERSION, wire::SEALED_VALUE]);
        out.extend_from_slice(&nonce);
        aead::xseal(key, &nonce, &ad, value, &mut out);
        out
    }

    /// Opens a value sealed for the slot `context`: `AuthenticationFailed`
    /// for another key, another slot or modified bytes.
    pub fn open_value(
        &self,
        context: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StateError> {
        let mut r = Reader::new(sealed);
        let version = r.u8()?;
        if version != wire::VERSION {
            return Err(DecodeError::UnsupportedVersion(version).into());
        }
        let ty = r.u8()?;
        if ty != wire::SEALED_VALUE {
            return Err(DecodeError::UnexpectedType(ty).into());
        }
        let nonce: [u8; 24] = r.array()?;
        let ad = [&[wire::VERSION, wire::SEALED_VALUE][..], context].concat();
        aead::xopen(&self.value_key, &nonce, &ad, r.rest())
            .map(Zeroizing::new)
            .map_err(|_| StateError::AuthenticationFailed)
    }

    /// A keyed name for `data` under `label` (§7.5): equal inputs give
    /// equal names under one key, and nothing about `data` without it.
    pub fn index(&self, label: &[u8], data: &[u8]) -> [u8; 32] {
        kdf::hmac_sha256(&self.index_key, &[label, data].concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn values_open_only_in_their_slot_under_their_key() {
        let mut rng = ChaCha20Rng::from_seed([5; 32]);
        let key = StorageKey::generate(&mut rng);
        let sealed = key.seal_value(&mut rng, b"inbox/7/gen 3", b"hello");
        assert_eq!(sealed.len(), SEALED_VALUE_OVERHEAD + 5);
        assert_eq!(
            key.open_value(b"inbox/7/gen 3", &sealed)
                .unwrap()
                .as_slice(),
            b"hello"
        );
        assert_eq!(
            key.open_value(b"inbox/8/gen 3", &sealed),
            Err(StateError::AuthenticationFailed)
        );
        let other = StorageKey::generate(&mut rng);
        assert_eq!(
            other.open_value(b"inbox/7/gen 3", &sealed),
            Err(StateError::AuthenticationFailed)
        );
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(key.open_value(b"inbox/7/gen 3", &t).is_err(), "byte {i}");
        }
        assert_eq!(key.index(b"peer", b"x"), key.index(b"peer", b"x"));
        assert_ne!(key.index(b"peer", b"x"), key.index(b"peer", b"y"));
        assert_ne!(key.index(b"peer", b"x"), other.index(b"peer", b"x"));
    }
}
