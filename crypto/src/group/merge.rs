//! Merging two copies of one chain (docs/PROTOCOL.md §12.8): a delayed
//! redistribution, an export followed by the sender's own distribution, a
//! backup. The result never rewinds: an iteration either copy has consumed
//! stays consumed, and copies whose keys disagree are refused.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;

use super::inbound::InboundGroupSession;
use crate::error::GroupError;
use crate::limits::{MAX_EXPORT_ADVANCE, MAX_GROUP_SKIPPED_KEYS};
use crate::ratchet::message_key::MessageKey;

impl InboundGroupSession {
    /// Whether this copy has used (or evicted) the key of `iteration`.
    fn consumed(&self, iteration: u32) -> bool {
        iteration >= self.first_iteration
            && iteration < self.chain.index()
            && !self.skipped.contains_key(&iteration)
    }

    /// Merges two copies of the same chain (same sender, group, chain id,
    /// rotation and signing key, else [`GroupError::ChainMismatch`]).
    ///
    /// The copy behind is stepped forward to the other's position (at most
    /// [`MAX_EXPORT_ADVANCE`] steps, else [`GroupError::TooFarAhead`]); its
    /// chain key and every message key both copies hold must then agree,
    /// else [`GroupError::ConflictingChainKey`]. The merge holds the further
    /// position, and as skipped keys exactly the iterations neither copy has
    /// consumed that either can still derive (capped as in decrypt). It is
    /// the same whichever copy is `self`.
    pub fn merge(&self, other: &Self) -> Result<Self, GroupError> {
        if !self.announcement.same_chain(&other.announcement) {
            return Err(GroupError::ChainMismatch);
        }
        let (behind, ahead) = if self.position() <= other.position() {
            (self, other)
        } else {
            (other, self)
        };
        let gap = ahead.position() - behind.position();
        if gap > MAX_EXPORT_ADVANCE {
            return Err(GroupError::TooFarAhead {
                ahead: u64::from(gap),
                limit: MAX_EXPORT_ADVANCE,
            });
        }
        let conflict = GroupError::ConflictingChainKey {
            chain_id: self.chain_id(),
        };
        let mut keys: BTreeMap<u32, Box<MessageKey>> = BTreeMap::new();
        let mut chain = behind.chain.clone();
        while chain.index() < ahead.position() {
            let key = chain.step().ok_or(conflict.clone())?;
            if ahead
                .skipped
                .get(&key.index())
                .is_some_and(|k| !k.ct_eq(&key))
            {
                return Err(conflict);
            }
            if !ahead.consumed(key.index()) {
                keys.insert(key.index(), Box::new(key));
                // Derived in ascending order: only the highest can survive
                // the cap below.
                if keys.len() > MAX_GROUP_SKIPPED_KEYS {
                    keys.pop_first();
                }
            }
        }
        if !chain.ct_eq(&ahead.chain) {
            return Err(conflict);
        }
        for (iteration, key) in &behind.skipped {
            if ahead.skipped.get(iteration).is_some_and(|k| !k.ct_eq(key)) {
                return Err(conflict);
            }
        }
        for (iteration, key) in behind.skipped.iter().chain(ahead.skipped.iter()) {
            if !behind.consumed(*iteration) && !ahead.consumed(*iteration) {
                keys.entry(*iteration).or_insert_with(|| key.clone());
            }
        }
        while keys.len() > MAX_GROUP_SKIPPED_KEYS {
            keys.pop_first();
        }
        Ok(Self::from_parts(
            ahead.announcement.clone(),
            self.first_iteration.min(other.first_iteration),
            ahead.chain.clone(),
            keys,
        ))
    }
}
