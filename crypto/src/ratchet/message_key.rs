//! Single-use message keys and the message AEAD.

use alloc::vec::Vec;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::primitives::aead::{self, AeadError};

/// A message key: used as the ChaCha20-Poly1305 key, directly, for one
/// message, with the random nonce that message carries. The key is meant to
/// be used once; the nonce is what keeps a second use (a rolled-back state)
/// from repeating a keystream or a Poly1305 key. No per-message HKDF.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct MessageKey {
    key: [u8; 32],
    index: u32,
}

impl MessageKey {
    pub(crate) fn new(key: [u8; 32], index: u32) -> Self {
        Self { key, index }
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// Seals with the nonce the message carries (§6.2, §12.3).
    pub(crate) fn seal(&self, nonce: &[u8; 12], ad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
        aead::seal(&self.key, nonce, ad, plaintext, out);
    }

    /// Opens with the nonce the message carries (all zero for a version 1
    /// 1:1 message).
    pub(crate) fn open(
        &self,
        nonce: &[u8; 12],
        ad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, AeadError> {
        aead::open(&self.key, nonce, ad, ciphertext)
    }

    /// Constant-time equality of key and index.
    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        bool::from(subtle::ConstantTimeEq::ct_eq(&self.key[..], &other.key[..]))
            && self.index == other.index
    }
}

impl core::fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MessageKey {{ index: {}, key: [redacted] }}", self.index)
    }
}
