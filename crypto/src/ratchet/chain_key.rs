//! Sending and receiving chain keys and `KDF_CK`.

use hmac::Mac;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::message_key::MessageKey;
use crate::labels;
use crate::primitives::kdf::hmac_sha256_keyed;

/// A chain key with the index of the next message key it yields.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct ChainKey {
    key: [u8; 32],
    index: u32,
}

impl ChainKey {
    pub(crate) fn new(key: [u8; 32], index: u32) -> Self {
        Self { key, index }
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// `KDF_CK`: message key = HMAC(ck, 0x01), next chain key = HMAC(ck, 0x02).
    pub(crate) fn step(&mut self) -> MessageKey {
        self.step_with(labels::MESSAGE_KEY_BYTE, labels::CHAIN_KEY_BYTE)
    }

    /// `KDF_CK` with the given HMAC input bytes (the group chain has its
    /// own, §12.1): message key = HMAC(ck, `message_byte`), next chain key =
    /// HMAC(ck, `chain_byte`). Callers bound the index: it wraps at 2^32.
    ///
    /// Both MACs share one keyed HMAC state (the ipad/opad blocks are hashed
    /// once), which is the same function computed with two fewer SHA-256
    /// compressions per step.
    pub(crate) fn step_with(&mut self, message_byte: u8, chain_byte: u8) -> MessageKey {
        let keyed = hmac_sha256_keyed(&self.key);
        let mut mac = keyed.clone();
        mac.update(&[message_byte]);
        let message_key = MessageKey::new(mac.finalize().into_bytes().into(), self.index);
        let mut mac = keyed;
        mac.update(&[chain_byte]);
        self.key = mac.finalize().into_bytes().into();
        self.index = self.index.wrapping_add(1);
        message_key
    }

    /// Constant-time equality of key and index.
    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        bool::from(subtle::ConstantTimeEq::ct_eq(&self.key[..], &other.key[..]))
            && self.index == other.index
    }
}

impl core::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ChainKey {{ index: {}, key: [redacted] }}", self.index)
    }
}
