//! Group session state, format v2, and v3 for chains bound to a roster
//! (docs/PROTOCOL.md §7.4, §15.4). Version 1 group state is refused with
//! `UnsupportedVersion(1)` (§11): its inbound chains carried no proof of
//! who announced them.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::{StateOwner, expect_versioned_kind};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, StateError};
use crate::group::announcement::{read_roster_head, write_roster_head};
use crate::group::chain::GroupChain;
use crate::group::{
    InboundGroupSession, OutboundGroupSession, RotationPolicy, SenderKeyAnnouncement, SenderKeyRing,
};
use crate::group::{read_group_id, write_group_id};
use crate::limits::{MAX_GROUP_SKIPPED_KEYS, MAX_RETIRED_SENDER_CHAINS};
use crate::primitives::ed25519::Ed25519SigningKey;
use crate::ratchet::message_key::MessageKey;
use crate::wire;

/// Implements `to_bytes`/`from_bytes`/`seal`/`open` from a body codec.
macro_rules! state_codec {
    ($ty:ty, $kind:expr, $capacity:expr) => {
        impl $ty {
            /// Plain state. Contains secret keys.
            pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
                let mut w = Writer::with_capacity($capacity(self));
                w.u8(self.state_version()).u8($kind);
                self.write_body(&mut w);
                Zeroizing::new(w.into_vec())
            }

            /// Loads plain state written by `to_bytes`.
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
                let mut r = Reader::new(bytes);
                let version = match bytes.first() {
                    Some(&v) if v == wire::ROSTERED_GROUP_VERSION => v,
                    _ => wire::GROUP_VERSION,
                };
                expect_versioned_kind(&mut r, version, $kind)?;
                let s = Self::read_body(&mut r, version)?;
                r.finish()?;
                Ok(s)
            }
        }
    };
}

impl OutboundGroupSession {
    fn state_version(&self) -> u8 {
        if self.next_roster.is_some() {
            wire::ROSTERED_GROUP_VERSION
        } else {
            wire::GROUP_VERSION
        }
    }

    fn write_body(&self, w: &mut Writer) {
        write_group_id(w, &self.group_id);
        w.u32(self.chain_id)
            .u32(self.rotation)
            .raw(self.chain.as_bytes())
            .u32(self.chain.index())
            .raw(self.signing_key.to_seed().as_ref())
            .u32(self.policy.max_messages)
            .u64(self.policy.max_age_secs)
            .u64(self.created_at)
            .bool(self.member_removed);
        // Version 3: the chain's roster head, then the newest held.
        if let (Some(roster), Some(next)) = (&self.roster, &self.next_roster) {
            write_roster_head(w, roster);
            write_roster_head(w, next);
        }
    }

    fn read_body(r: &mut Reader<'_>, version: u8) -> Result<Self, DecodeError> {
        let group_id = read_group_id(r)?;
        let chain_id = r.u32()?;
        let rotation = r.u32()?;
        let key = r.array()?;
        let chain = GroupChain::new(key, r.u32()?);
        let signing_key = Ed25519SigningKey::from_seed(&Zeroizing::new(r.array()?));
        let policy = RotationPolicy {
            max_messages: r.u32()?,
            max_age_secs: r.u64()?,
        };
        Ok(Self {
            generation: 0,
            group_id,
            chain_id,
            rotation,
            chain,
            signing_key,
            policy,
            created_at: r.u64()?,
            member_removed: r.bool()?,
            roster: None,
            next_roster: None,
        })
        .and_then(|mut s: Self| {
            if version == wire::ROSTERED_GROUP_VERSION {
                let roster = read_roster_head(r)?;
                let next = read_roster_head(r)?;
                if next.version < roster.version {
                    return Err(DecodeError::InvalidField(
                        "held roster older than the chain's roster",
                    ));
                }
                s.roster = Some(roster);
                s.next_roster = Some(next);
            }
            Ok(s)
        })
    }
}

impl InboundGroupSession {
    fn state_version(&self) -> u8 {
        self.announcement.format_version()
    }

    fn write_body(&self, w: &mut Writer) {
        self.announcement.write(w);
        w.u32(self.first_iteration)
            .raw(self.chain.as_bytes())
            .u32(self.chain.index())
            .count(self.skipped.len());
        for (iteration, key) in &self.skipped {
            w.u32(*iteration).raw(key.as_bytes());
        }
    }

    fn read_body(r: &mut Reader<'_>, version: u8) -> Result<Self, DecodeError> {
        // The announcement's signatures were verified when the chain
        // arrived; stored state is as trusted as the keys it holds.
        let announcement = SenderKeyAnnouncement::read_unverified(r, version)?;
        let first_iteration = r.u32()?;
        let key = r.array()?;
        let chain = GroupChain::new(key, r.u32()?);
        let n = r.count("group skipped keys", MAX_GROUP_SKIPPED_KEYS, 36)?;
        let mut skipped = BTreeMap::new();
        for _ in 0..n {
            let iteration = r.u32()?;
            let key = alloc::boxed::Box::new(MessageKey::new(r.array()?, iteration));
            if iteration >= chain.index() || iteration < first_iteration {
                return Err(DecodeError::InvalidField(
                    "skipped key outside the chain's range",
                ));
            }
            // Strictly ascending, as written: one state has one encoding.
            match skipped.last_key_value() {
                Some((last, _)) if *last == iteration => {
                    return Err(DecodeError::InvalidField("duplicate skipped key iteration"));
                }
                Some((last, _)) if *last > iteration => {
                    return Err(DecodeError::InvalidField(
                        "skipped key iterations not ascending",
                    ));
                }
                _ => {}
            }
            skipped.insert(iteration, key);
        }
        if chain.index() < first_iteration {
            return Err(DecodeError::InvalidField(
                "chain position before first iteration",
            ));
        }
        Ok(Self::from_parts(
            announcement,
            first_iteration,
            chain,
            skipped,
        ))
    }
}

impl SenderKeyRing {
    /// Every chain of a ring has the same format: `insert` refuses to mix
    /// chains with and without a roster.
    fn state_version(&self) -> u8 {
        self.chains
            .front()
            .map_or(wire::GROUP_VERSION, InboundGroupSession::state_version)
    }

    fn write_body(&self, w: &mut Writer) {
        w.count(self.chains.len());
        for c in &self.chains {
            c.write_body(w);
        }
    }

    fn read_body(r: &mut Reader<'_>, version: u8) -> Result<Self, DecodeError> {
        let n = r.count("sender chains", MAX_RETIRED_SENDER_CHAINS + 1, 341)?;
        let mut chains: VecDeque<InboundGroupSession> = VecDeque::with_capacity(n);
        for _ in 0..n {
            let chain = InboundGroupSession::read_body(r, version)?;
            if let Some(last) = chains.back() {
                if !chain.sender().ct_eq(last.sender()) || chain.group_id() != last.group_id() {
                    return Err(DecodeError::InvalidField(
                        "mixed senders or groups in one ring",
                    ));
                }
                // Strictly ascending rotations: the ring's order is its age.
                if chain.rotation() <= last.rotation() {
                    return Err(DecodeError::InvalidField(
                        "ring chains not in ascending rotation order",
                    ));
                }
                if chains.iter().any(|c| c.chain_id() == chain.chain_id()) {
                    return Err(DecodeError::InvalidField("duplicate chain id in one ring"));
                }
            }
            chains.push_back(chain);
        }
        let first = chains
            .front()
            .ok_or(DecodeError::InvalidField("empty sender key ring"))?;
        Ok(Self {
            generation: 0,
            sender: *first.sender(),
            group_id: first.group_id().to_vec(),
            chains,
        })
    }
}

state_codec!(
    OutboundGroupSession,
    wire::STATE_OUTBOUND_GROUP,
    |s: &OutboundGroupSession| 104 + s.group_id.len()
);
state_codec!(
    InboundGroupSession,
    wire::STATE_INBOUND_GROUP,
    |s: &InboundGroupSession| 384 + s.skipped.len() * 36
);
state_codec!(
    SenderKeyRing,
    wire::STATE_SENDER_KEY_RING,
    |s: &SenderKeyRing| 64 + s.chains.len() * 450
);

sealed_state!(OutboundGroupSession, wire::STATE_OUTBOUND_GROUP, |s| {
    StateOwner::outbound_group(&s.group_id)
});
sealed_state!(InboundGroupSession, wire::STATE_INBOUND_GROUP, |s| {
    StateOwner::group_sender(s.group_id(), s.sender())
});
sealed_state!(SenderKeyRing, wire::STATE_SENDER_KEY_RING, |s| {
    StateOwner::group_sender(&s.group_id, &s.sender)
});
