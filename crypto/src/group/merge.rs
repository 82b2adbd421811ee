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
    /// consumed that either can still derive. It never evicts one: if there
    /// would be more than [`MAX_GROUP_SKIPPED_KEYS`], it is refused
    /// ([`GroupError::TooManySkippedKeys`]), so no copy, however far ahead,
    /// can make unread messages unreadable. It is the same whichever copy is
    /// `self`, and merging several copies gives the same result in any order.
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
        // Step the copy behind up to the other, comparing every key the
        // copy ahead holds; keep the derived keys it has not consumed (at
        // most the cap: if there are more, the merge is refused below, once
        // the keys are known to agree).
        let mut keys: BTreeMap<u32, Box<MessageKey>> = BTreeMap::new();
        let mut unread = 0usize;
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
                unread += 1;
                if keys.len() < MAX_GROUP_SKIPPED_KEYS {
                    keys.insert(key.index(), Box::new(key));
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
        // Skipped keys below the stepped range that neither copy consumed.
        let mut earlier: BTreeMap<u32, &Box<MessageKey>> = BTreeMap::new();
        for (iteration, key) in behind.skipped.iter().chain(ahead.skipped.iter()) {
            if *iteration < behind.position()
                && !behind.consumed(*iteration)
                && !ahead.consumed(*iteration)
            {
                earlier.entry(*iteration).or_insert(key);
            }
        }
        let total = unread.saturating_add(earlier.len());
        if total > MAX_GROUP_SKIPPED_KEYS {
            return Err(GroupError::TooManySkippedKeys {
                keys: total,
                limit: MAX_GROUP_SKIPPED_KEYS,
            });
        }
        for (iteration, key) in earlier {
            keys.insert(iteration, key.clone());
        }
        Ok(Self::from_parts(
            ahead.announcement.clone(),
            self.first_iteration.min(other.first_iteration),
            ahead.chain.clone(),
            keys,
        ))
    }
}
