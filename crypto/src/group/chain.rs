//! The group hash chain (docs/PROTOCOL.md §12.1): its own `KDF_CK` input
//! bytes (never the 1:1 chain's), a key commitment for every message key,
//! and iterations that never wrap.

use alloc::vec::Vec;
use hmac::Mac;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::labels;
use crate::limits::MAX_GROUP_ITERATION;
use crate::primitives::aead::{self, AeadError};
use crate::primitives::kdf::hmac_sha256_keyed;

/// Length of the random AEAD nonce every group message carries.
pub(crate) const GROUP_NONCE_LEN: usize = 12;
/// Length of a message key's commitment.
pub(crate) const COMMITMENT_LEN: usize = 32;

/// A group chain key with the iteration of the next message key it yields.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct GroupChain {
    key: [u8; 32],
    index: u32,
}

impl GroupChain {
    pub(crate) fn new(key: [u8; 32], index: u32) -> Self {
        Self { key, index }
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// Group `KDF_CK`: `MK = HMAC(CK, 0x03)`, `CK' = HMAC(CK, 0x04)`. `None`
    /// once the chain has yielded its last iteration
    /// ([`MAX_GROUP_ITERATION`]): the position never wraps.
    pub(crate) fn step(&mut self) -> Option<GroupMessageKey> {
        if self.index > MAX_GROUP_ITERATION {
            return None;
        }
        let keyed = hmac_sha256_keyed(&self.key);
        let mut mac = keyed.clone();
        mac.update(&[labels::GROUP_MESSAGE_KEY_BYTE]);
        let message_key = GroupMessageKey {
            key: mac.finalize().into_bytes().into(),
            index: self.index,
        };
        let mut mac = keyed;
        mac.update(&[labels::GROUP_CHAIN_KEY_BYTE]);
        self.key = mac.finalize().into_bytes().into();
        self.index = self.index.saturating_add(1);
        Some(message_key)
    }

    /// Constant-time equality of key and position.
    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.key.ct_eq(&other.key)) && self.index == other.index
    }
}

/// One group message key: the ChaCha20-Poly1305 key of exactly one
/// iteration, used with the message's random nonce.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct GroupMessageKey {
    key: [u8; 32],
    index: u32,
}

impl GroupMessageKey {
    pub(crate) fn new(key: [u8; 32], index: u32) -> Self {
        Self { key, index }
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// `HMAC-SHA256(MK, "qorgan/v2/group-key-commitment")`: the message
    /// carries it under the sender's signature, so a signed message opens
    /// under one key only (ChaCha20-Poly1305 alone does not commit to its
    /// key).
    pub(crate) fn commitment(&self) -> [u8; COMMITMENT_LEN] {
        let mut mac = hmac_sha256_keyed(&self.key);
        mac.update(labels::GROUP_KEY_COMMITMENT);
        mac.finalize().into_bytes().into()
    }

    /// Whether `commitment` is this key's, in constant time.
    pub(crate) fn matches(&self, commitment: &[u8]) -> bool {
        bool::from(self.commitment().as_slice().ct_eq(commitment))
    }

    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.key.ct_eq(&other.key)) && self.index == other.index
    }

    pub(crate) fn seal(
        &self,
        nonce: &[u8; GROUP_NONCE_LEN],
        ad: &[u8],
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) {
        aead::seal(&self.key, nonce, ad, plaintext, out);
    }

    pub(crate) fn open(
        &self,
        nonce: &[u8; GROUP_NONCE_LEN],
        ad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, AeadError> {
        aead::open(&self.key, nonce, ad, ciphertext)
    }
}

impl core::fmt::Debug for GroupChain {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "GroupChain {{ index: {}, key: [redacted] }}", self.index)
    }
}

impl core::fmt::Debug for GroupMessageKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "GroupMessageKey {{ index: {}, key: [redacted] }}",
            self.index
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_iteration_is_yielded_once_and_the_chain_never_wraps() {
        let mut chain = GroupChain::new([7; 32], MAX_GROUP_ITERATION);
        let last = chain.step().unwrap();
        assert_eq!(last.index(), MAX_GROUP_ITERATION);
        assert_eq!(chain.index(), u32::MAX);
        assert!(chain.step().is_none());
        assert_eq!(chain.index(), u32::MAX);
    }

    #[test]
    fn group_and_one_to_one_chains_derive_different_keys() {
        let mut one_to_one = crate::ratchet::chain_key::ChainKey::new([9; 32], 0);
        let mk = *one_to_one.step().as_bytes();
        let ck = *one_to_one.as_bytes();
        let mut g = GroupChain::new([9; 32], 0);
        let gmk = g.step().unwrap();
        assert_ne!(gmk.as_bytes(), &mk);
        assert_ne!(g.as_bytes(), &ck);
    }
}
