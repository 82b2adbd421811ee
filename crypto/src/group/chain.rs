//! The group hash chain (docs/PROTOCOL.md §12.1): the chain key of 1:1
//! sessions stepped with the group's own `KDF_CK` input bytes (never the
//! 1:1 chain's), a key commitment for every message key, and iterations
//! that never wrap.

use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::labels;
use crate::limits::MAX_GROUP_ITERATION;
use crate::primitives::kdf::hmac_sha256_keyed;
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::message_key::MessageKey;

/// Length of the random AEAD nonce every group message carries.
pub(crate) const GROUP_NONCE_LEN: usize = 12;
/// Length of a message key's commitment.
pub(crate) const COMMITMENT_LEN: usize = 32;

/// A group chain key with the iteration of the next message key it yields.
#[derive(Clone, Debug)]
pub(crate) struct GroupChain(ChainKey);

impl GroupChain {
    pub(crate) fn new(key: [u8; 32], index: u32) -> Self {
        Self(ChainKey::new(key, index))
    }

    pub(crate) fn index(&self) -> u32 {
        self.0.index()
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }

    /// Group `KDF_CK`: `MK = HMAC(CK, 0x03)`, `CK' = HMAC(CK, 0x04)`. `None`
    /// once the chain has yielded its last iteration
    /// ([`MAX_GROUP_ITERATION`]): the position never wraps.
    pub(crate) fn step(&mut self) -> Option<MessageKey> {
        (self.index() <= MAX_GROUP_ITERATION).then(|| {
            self.0
                .step_with(labels::GROUP_MESSAGE_KEY_BYTE, labels::GROUP_CHAIN_KEY_BYTE)
        })
    }

    /// Constant-time equality of key and position.
    pub(crate) fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0)
    }
}

/// `HMAC-SHA256(MK, "qorgan/v2/group-key-commitment")`: the message carries
/// it under the sender's signature, so a signed message opens under one key
/// only (ChaCha20-Poly1305 alone does not commit to its key).
pub(crate) fn commitment(key: &MessageKey) -> [u8; COMMITMENT_LEN] {
    let mut mac = hmac_sha256_keyed(key.as_bytes());
    mac.update(labels::GROUP_KEY_COMMITMENT);
    mac.finalize().into_bytes().into()
}

/// Whether `claimed` is `key`'s commitment, in constant time.
pub(crate) fn commits_to(key: &MessageKey, claimed: &[u8]) -> bool {
    bool::from(commitment(key).as_slice().ct_eq(claimed))
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
        let mut one_to_one = ChainKey::new([9; 32], 0);
        let mk = *one_to_one.step().as_bytes();
        let ck = *one_to_one.as_bytes();
        let mut g = GroupChain::new([9; 32], 0);
        let gmk = g.step().unwrap();
        assert_ne!(gmk.as_bytes(), &mk);
        assert_ne!(g.as_bytes(), &ck);
    }
}
