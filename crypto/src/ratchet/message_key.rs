//! Single-use message keys and the message AEAD.

use alloc::vec::Vec;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::labels;
use crate::primitives::aead::{self, AeadError};

/// A message key: used as the ChaCha20-Poly1305 key, directly, for exactly
/// one message, with the fixed all-zero nonce (Double Ratchet spec §5.2, "Recommended cryptographic algorithms"
/// allows a constant nonce because the key never repeats). That saves the
/// per-message HKDF of the libsignal construction.
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

    pub(crate) fn seal(&self, ad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
        aead::seal(&self.key, &labels::MESSAGE_NONCE, ad, plaintext, out);
    }

    pub(crate) fn open(&self, ad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, AeadError> {
        aead::open(&self.key, &labels::MESSAGE_NONCE, ad, ciphertext)
    }

    /// Seal with a nonce the message carries (group messages, §12.3).
    pub(crate) fn seal_with_nonce(
        &self,
        nonce: &[u8; 12],
        ad: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) {
        aead::seal(&self.key, nonce, ad, plaintext, out);
    }

    /// Open with a nonce the message carries (group messages, §12.3).
    pub(crate) fn open_with_nonce(
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
