//! The sending side of a sender-key chain.

use alloc::vec::Vec;
use rand_core::CryptoRng;

use super::announcement::SenderKeyAnnouncement;
use super::chain::{GROUP_NONCE_LEN, GroupChain, commitment};
use super::check_group_id;
use super::distribution::SenderKeyDistribution;
use super::message::{GROUP_HEADER_LEN, GROUP_MESSAGE_OVERHEAD, message_context};
use super::policy::{RotationPolicy, RotationReason};
use crate::account::AccountKey;
use crate::codec::Writer;
use crate::error::{DecodeError, EncryptError, Head, RosterError, VerifyError};
use crate::identity::IdentityKeyPair;
use crate::labels;
use crate::limits::MAX_MESSAGE_LEN;
use crate::primitives::ed25519::Ed25519SigningKey;
use crate::roster::{Roster, RosterChange};
use crate::wire;

/// One device's sending chain in one group.
///
/// Deliberately not `Clone` (see [`Session`](crate::Session)): a copy is made
/// only through the state formats, where it is visible.
pub struct OutboundGroupSession {
    pub(crate) group_id: Vec<u8>,
    pub(crate) chain_id: u32,
    /// 0 for the first chain, one more for each rotation.
    pub(crate) rotation: u32,
    pub(crate) chain: GroupChain,
    pub(crate) signing_key: Ed25519SigningKey,
    pub(crate) policy: RotationPolicy,
    /// Caller's clock (seconds) when the chain started.
    pub(crate) created_at: u64,
    pub(crate) member_removed: bool,
    /// The roster head the current chain was started under (`None` for a
    /// group without a roster): announced with the chain and covered by
    /// every message signature (§15.4).
    pub(crate) roster: Option<Head>,
    /// The newest roster head this device holds; when it differs from
    /// `roster`, `encrypt` refuses until [`rotate`](Self::rotate).
    pub(crate) next_roster: Option<Head>,
    /// The generation of the last seal or open (docs/PROTOCOL.md §7.1);
    /// not part of the plain state.
    pub(crate) generation: u64,
}

impl OutboundGroupSession {
    /// Starts a chain for `group_id` (at most
    /// [`MAX_GROUP_ID_LEN`](crate::limits::MAX_GROUP_ID_LEN) bytes). `now`
    /// is the caller's clock in seconds, used only for the age policy.
    pub fn new<R: CryptoRng + ?Sized>(
        rng: &mut R,
        group_id: &[u8],
        policy: RotationPolicy,
        now: u64,
    ) -> Result<Self, DecodeError> {
        check_group_id(group_id)?;
        let (chain_id, chain, signing_key) = fresh_chain(rng);
        Ok(Self {
            generation: 0,
            group_id: group_id.to_vec(),
            chain_id,
            rotation: 0,
            chain,
            signing_key,
            policy,
            created_at: now,
            member_removed: false,
            roster: None,
            next_roster: None,
        })
    }

    /// Starts a chain for the group of `roster`, bound to it: the chain is
    /// announced under the roster's head, and any later roster change
    /// ([`apply_roster`](Self::apply_roster)) forces a rotation before the
    /// next message. `me` is this device's account, which must be a member.
    pub fn new_in_roster<R: CryptoRng + ?Sized>(
        rng: &mut R,
        roster: &Roster,
        me: &AccountKey,
        policy: RotationPolicy,
        now: u64,
    ) -> Result<Self, RosterError> {
        if !roster.is_member(me) {
            return Err(RosterError::NotMember);
        }
        let mut s = Self::new(rng, roster.group_id(), policy, now).map_err(VerifyError::from)?;
        s.roster = Some(roster.head());
        s.next_roster = Some(roster.head());
        Ok(s)
    }

    /// Records a roster change of this group (from
    /// [`Roster::advance`](crate::roster::Roster::advance)): `encrypt`
    /// refuses until [`rotate`](Self::rotate), which starts a chain under
    /// the new roster. Refused for a group without a roster, another group,
    /// or a change older than one already applied.
    pub fn apply_roster(&mut self, change: &RosterChange) -> Result<(), RosterError> {
        let next = self.next_roster.ok_or(RosterError::RosterMismatch)?;
        if change.group_id != self.group_id {
            return Err(RosterError::WrongGroup);
        }
        if change.to == next {
            // Already applied (a retry after a crash): nothing more to do,
            // and no second rotation.
            return Ok(());
        }
        if change.to.version < next.version {
            return Err(RosterError::RolledBack {
                held: next.version,
                offered: change.to.version,
            });
        }
        if change.to.version == next.version && change.to.hash != next.hash {
            return Err(RosterError::Fork {
                held: next,
                seen: change.to,
            });
        }
        if !change.removed.is_empty() {
            self.member_removed = true;
        }
        self.next_roster = Some(change.to);
        Ok(())
    }

    /// The roster head the current chain is bound to (`None` without a
    /// roster).
    pub fn roster(&self) -> Option<Head> {
        self.roster
    }

    /// Starts a new chain (new id, chain key and signing key, the next
    /// rotation number). Distribute it to the remaining members with
    /// [`distribution`](Self::distribution). Refused, with nothing drawn,
    /// once the rotation number has reached `u32::MAX`.
    pub fn rotate<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: u64,
    ) -> Result<(), EncryptError> {
        let rotation = self
            .rotation
            .checked_add(1)
            .ok_or(EncryptError::ChainExhausted(u32::MAX))?;
        (self.chain_id, self.chain, self.signing_key) = fresh_chain(rng);
        self.rotation = rotation;
        self.created_at = now;
        self.member_removed = false;
        self.roster = self.next_roster;
        Ok(())
    }

    /// Records that a member left: `encrypt` refuses until [`rotate`](Self::rotate).
    pub fn mark_member_removed(&mut self) {
        self.member_removed = true;
    }

    /// Whether the policy requires a rotation now.
    pub fn rotation_due(&self, now: u64) -> Option<RotationReason> {
        self.forced_rotation().or_else(|| {
            (now.saturating_sub(self.created_at) >= self.policy.max_age_secs)
                .then_some(RotationReason::Age)
        })
    }

    fn forced_rotation(&self) -> Option<RotationReason> {
        if self.member_removed {
            Some(RotationReason::MemberRemoved)
        } else if self.roster != self.next_roster {
            Some(RotationReason::RosterChanged)
        } else if self.chain.index() >= self.policy.max_messages {
            Some(RotationReason::MessageLimit)
        } else {
            None
        }
    }

    /// The distribution of this chain at its current iteration, signed by
    /// the device `identity`. Members who receive it read messages from now
    /// on, not earlier ones.
    pub fn distribution(&self, identity: &IdentityKeyPair) -> SenderKeyDistribution {
        let announcement = SenderKeyAnnouncement::sign(
            identity,
            &self.signing_key,
            &self.group_id,
            self.roster,
            self.chain_id,
            self.rotation,
        );
        SenderKeyDistribution::new(announcement, self.chain.index(), *self.chain.as_bytes())
    }

    /// Encrypts and signs one group message as the device `identity` (the
    /// signature covers the sender and the group, §12.3). Every message
    /// draws a fresh 12-byte nonce, so even a sender whose state was rolled
    /// back never repeats a keystream under a message key.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        identity: &IdentityKeyPair,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EncryptError> {
        if plaintext.len() > MAX_MESSAGE_LEN {
            return Err(EncryptError::TooLarge {
                len: plaintext.len(),
                limit: MAX_MESSAGE_LEN,
            });
        }
        if let Some(reason) = self.forced_rotation() {
            return Err(EncryptError::RotationRequired(reason));
        }
        // Unreachable while `max_messages` is a u32 (the limit fires first);
        // kept so the chain position can never pass its last iteration.
        let mut chain = self.chain.clone();
        let key = chain
            .step()
            .ok_or(EncryptError::ChainExhausted(self.chain.index()))?;
        let mut nonce = [0u8; GROUP_NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut header = Writer::with_capacity(GROUP_HEADER_LEN);
        header
            .u8(wire::GROUP_VERSION)
            .u8(wire::TYPE_GROUP_MESSAGE)
            .u32(self.chain_id)
            .u32(key.index())
            .raw(&nonce)
            .raw(&commitment(&key));
        let header = header.into_vec();
        let mut out = Vec::with_capacity(GROUP_MESSAGE_OVERHEAD + plaintext.len());
        out.extend_from_slice(&header);
        key.seal(&nonce, &header, plaintext, &mut out);
        let context = message_context(
            identity.public().signing_key(),
            &self.group_id,
            self.roster.as_ref(),
        );
        let signature = self
            .signing_key
            .sign_parts(&[labels::GROUP_MESSAGE, &context, &out]);
        out.extend_from_slice(&signature.to_bytes());
        self.chain = chain;
        Ok(out)
    }

    /// The group.
    pub fn group_id(&self) -> &[u8] {
        &self.group_id
    }

    /// The current chain's id.
    pub fn chain_id(&self) -> u32 {
        self.chain_id
    }

    /// The current chain's rotation number (0 for the first chain).
    pub fn rotation(&self) -> u32 {
        self.rotation
    }

    /// The next message's iteration.
    pub fn iteration(&self) -> u32 {
        self.chain.index()
    }

    /// The rotation policy.
    pub fn policy(&self) -> RotationPolicy {
        self.policy
    }
}

/// A new chain: id (4 random bytes, big-endian), chain key (32), signing
/// key seed (32), drawn in that order.
fn fresh_chain<R: CryptoRng + ?Sized>(rng: &mut R) -> (u32, GroupChain, Ed25519SigningKey) {
    let mut id = [0u8; 4];
    rng.fill_bytes(&mut id);
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(key.as_mut());
    let signing_key = Ed25519SigningKey::generate(rng);
    (
        u32::from_be_bytes(id),
        GroupChain::new(*key, 0),
        signing_key,
    )
}

impl core::fmt::Debug for OutboundGroupSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutboundGroupSession")
            .field("chain_id", &self.chain_id)
            .field("rotation", &self.rotation)
            .field("iteration", &self.chain.index())
            .field("secrets", &"[redacted]")
            .finish_non_exhaustive()
    }
}
