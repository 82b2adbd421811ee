//! Message keys kept for messages that have not arrived yet.
//!
//! Keys are grouped by the sender's ratchet key (one group per receiving
//! chain, oldest first). Two limits bound the store: at most
//! [`MAX_RECEIVING_CHAINS`] chains and at most [`MAX_STORED_SKIPPED_KEYS`]
//! keys. Eviction drops the oldest chain's lowest indices first: the
//! messages least likely to still arrive.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;

use super::message_key::MessageKey;
use crate::limits::{MAX_RECEIVING_CHAINS, MAX_STORED_SKIPPED_KEYS};
use crate::primitives::x25519::X25519PublicKey;

#[derive(Clone)]
pub(crate) struct SkippedChain {
    pub(crate) ratchet: X25519PublicKey,
    /// Boxed so that map rebalancing moves pointers, never key bytes: no
    /// stale copy of a key is left in a node after it is removed.
    pub(crate) keys: BTreeMap<u32, Box<MessageKey>>,
}

#[derive(Clone, Default)]
pub(crate) struct SkippedKeys {
    /// Oldest chain first. A chain stays listed after its keys are gone so a
    /// late duplicate is still recognised as a duplicate.
    chains: VecDeque<SkippedChain>,
    total: usize,
}

impl SkippedKeys {
    pub(crate) fn get(&self, ratchet: &X25519PublicKey, index: u32) -> Option<&MessageKey> {
        self.chains
            .iter()
            .rev()
            .find(|c| c.ratchet == *ratchet)
            .and_then(|c| c.keys.get(&index))
            .map(|k| &**k)
    }

    pub(crate) fn knows_chain(&self, ratchet: &X25519PublicKey) -> bool {
        self.chains.iter().any(|c| c.ratchet == *ratchet)
    }

    pub(crate) fn remove(&mut self, ratchet: &X25519PublicKey, index: u32) {
        if let Some(chain) = self.chains.iter_mut().rev().find(|c| c.ratchet == *ratchet)
            && chain.keys.remove(&index).is_some()
        {
            self.total = self.total.saturating_sub(1);
        }
    }

    /// Adds keys for `ratchet`'s chain (creating the chain entry, as the
    /// newest, if needed), then applies both limits.
    pub(crate) fn insert(&mut self, ratchet: &X25519PublicKey, keys: Vec<Box<MessageKey>>) {
        let position = self.chains.iter().position(|c| c.ratchet == *ratchet);
        let chain = match position.and_then(|p| self.chains.get_mut(p)) {
            Some(chain) => chain,
            None => {
                self.chains.push_back(SkippedChain {
                    ratchet: *ratchet,
                    keys: BTreeMap::new(),
                });
                match self.chains.back_mut() {
                    Some(chain) => chain,
                    None => return,
                }
            }
        };
        for key in keys {
            if chain.keys.insert(key.index(), key).is_none() {
                self.total += 1;
            }
        }
        self.enforce_limits();
    }

    fn enforce_limits(&mut self) {
        while self.chains.len() > MAX_RECEIVING_CHAINS {
            if let Some(old) = self.chains.pop_front() {
                self.total = self.total.saturating_sub(old.keys.len());
            }
        }
        while self.total > MAX_STORED_SKIPPED_KEYS {
            let Some(chain) = self.chains.iter_mut().find(|c| !c.keys.is_empty()) else {
                break;
            };
            if chain.keys.pop_first().is_some() {
                self.total -= 1;
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.total
    }

    pub(crate) fn chains(&self) -> impl Iterator<Item = &SkippedChain> {
        self.chains.iter()
    }

    /// Rebuilds from decoded state, re-applying the limits so a state blob
    /// can never make the store exceed them.
    pub(crate) fn from_chains(chains: Vec<SkippedChain>) -> Self {
        let total = chains.iter().map(|c| c.keys.len()).sum();
        let mut store = Self {
            chains: chains.into(),
            total,
        };
        store.enforce_limits();
        store
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u32) -> Box<MessageKey> {
        Box::new(MessageKey::new([i as u8; 32], i))
    }

    fn ratchet(b: u8) -> X25519PublicKey {
        X25519PublicKey::from_bytes([b; 32])
    }

    #[test]
    fn total_cap_evicts_oldest_chain_lowest_index_first() {
        let mut s = SkippedKeys::default();
        s.insert(&ratchet(1), (0..10).map(key).collect());
        s.insert(
            &ratchet(2),
            (0..(MAX_STORED_SKIPPED_KEYS as u32)).map(key).collect(),
        );
        assert_eq!(s.len(), MAX_STORED_SKIPPED_KEYS);
        assert!(
            s.get(&ratchet(1), 9).is_none(),
            "whole oldest chain evicted first"
        );
        assert!(s.get(&ratchet(2), 0).is_some());
        s.insert(
            &ratchet(2),
            alloc::vec![key(MAX_STORED_SKIPPED_KEYS as u32)],
        );
        assert_eq!(s.len(), MAX_STORED_SKIPPED_KEYS);
        assert!(
            s.get(&ratchet(2), 0).is_none(),
            "then the lowest index of the next chain"
        );
        assert!(s.get(&ratchet(2), 1).is_some());
        assert!(
            s.knows_chain(&ratchet(1)),
            "an emptied chain is still recognised"
        );
    }

    #[test]
    fn chain_cap_drops_oldest_chain() {
        let mut s = SkippedKeys::default();
        for r in 0..(MAX_RECEIVING_CHAINS as u8) {
            s.insert(&ratchet(r), alloc::vec![key(0)]);
        }
        assert!(s.knows_chain(&ratchet(0)));
        s.insert(&ratchet(200), alloc::vec![key(0)]);
        assert!(!s.knows_chain(&ratchet(0)));
        assert_eq!(s.len(), MAX_RECEIVING_CHAINS);
    }

    #[test]
    fn remove_deletes_one_key() {
        let mut s = SkippedKeys::default();
        s.insert(&ratchet(1), (0..3).map(key).collect());
        s.remove(&ratchet(1), 1);
        assert!(s.get(&ratchet(1), 1).is_none());
        assert_eq!(s.len(), 2);
        s.remove(&ratchet(1), 1);
        assert_eq!(s.len(), 2);
    }
}
