//! The sending side of a sender-key chain.

use alloc::vec::Vec;
use rand_core::CryptoRng;

use super::check_group_id;
use super::distribution::{SenderKeyAnnouncement, SenderKeyDistribution};
use super::message::{GROUP_HEADER_LEN, GROUP_MESSAGE_OVERHEAD};
use super::policy::{RotationPolicy, RotationReason};
use crate::error::{DecodeError, EncryptError};
use crate::identity::IdentityKeyPair;
use crate::labels;
use crate::limits::MAX_MESSAGE_LEN;
use crate::primitives::ed25519::Ed25519SigningKey;
use crate::ratchet::chain_key::ChainKey;
use crate::wire;

/// One device's sending chain in one group.
#[derive(Clone)]
pub struct OutboundGroupSession {
    pub(crate) group_id: Vec<u8>,
    pub(crate) chain_id: u32,
    pub(crate) chain: ChainKey,
    pub(crate) signing_key: Ed25519SigningKey,
    pub(crate) policy: RotationPolicy,
    /// Caller's clock (seconds) when the chain started.
    pub(crate) created_at: u64,
    pub(crate) member_removed: bool,
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
            group_id: group_id.to_vec(),
            chain_id,
            chain,
            signing_key,
            policy,
            created_at: now,
            member_removed: false,
        })
    }

    /// Starts a new chain (new id, chain key and signing key). Distribute it
    /// to the remaining members with [`distribution`](Self::distribution).
    pub fn rotate<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: u64) {
        (self.chain_id, self.chain, self.signing_key) = fresh_chain(rng);
        self.created_at = now;
        self.member_removed = false;
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
            &self.group_id,
            self.chain_id,
            self.signing_key.public_key(),
        );
        SenderKeyDistribution::new(announcement, self.chain.index(), *self.chain.as_bytes())
    }

    /// Encrypts and signs one group message.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, EncryptError> {
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
        // kept so the chain index can never wrap if the policy type changes.
        if self.chain.index() == u32::MAX {
            return Err(EncryptError::ChainExhausted(u32::MAX));
        }
        let key = self.chain.step();
        let mut header = [0u8; GROUP_HEADER_LEN];
        let (version, rest) = header.split_at_mut(2);
        version.copy_from_slice(&[wire::VERSION, wire::TYPE_GROUP_MESSAGE]);
        let (chain_id, iteration) = rest.split_at_mut(4);
        chain_id.copy_from_slice(&self.chain_id.to_be_bytes());
        iteration.copy_from_slice(&key.index().to_be_bytes());
        let mut out = Vec::with_capacity(GROUP_MESSAGE_OVERHEAD + plaintext.len());
        out.extend_from_slice(&header);
        key.seal(&header, plaintext, &mut out);
        let signature = self.signing_key.sign_parts(&[labels::GROUP_MESSAGE, &out]);
        out.extend_from_slice(&signature.to_bytes());
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
fn fresh_chain<R: CryptoRng + ?Sized>(rng: &mut R) -> (u32, ChainKey, Ed25519SigningKey) {
    let mut id = [0u8; 4];
    rng.fill_bytes(&mut id);
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(key.as_mut());
    let signing_key = Ed25519SigningKey::generate(rng);
    (u32::from_be_bytes(id), ChainKey::new(*key, 0), signing_key)
}

impl core::fmt::Debug for OutboundGroupSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutboundGroupSession")
            .field("chain_id", &self.chain_id)
            .field("iteration", &self.chain.index())
            .field("secrets", &"[redacted]")
            .finish_non_exhaustive()
    }
}
