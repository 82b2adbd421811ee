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
    ///
    /// Both MACs share one keyed HMAC state (the ipad/opad blocks are hashed
    /// once), which is the same function computed with two fewer SHA-256
    /// compressions per step.
    pub(crate) fn step(&mut self) -> MessageKey {
        let keyed = hmac_sha256_keyed(&self.key);
        let mut mac = keyed.clone();
        mac.update(&[labels::MESSAGE_KEY_BYTE]);
        let message_key = MessageKey::new(mac.finalize().into_bytes().into(), self.index);
        let mut mac = keyed;
        mac.update(&[labels::CHAIN_KEY_BYTE]);
        self.key = mac.finalize().into_bytes().into();
        self.index = self.index.wrapping_add(1);
        message_key
    }
}

impl core::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ChainKey {{ index: {}, key: [redacted] }}", self.index)
    }
}
