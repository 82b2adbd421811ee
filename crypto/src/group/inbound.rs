//! The receiving side of one sender chain.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::announcement::SenderKeyAnnouncement;
use super::chain::{GroupChain, commits_to};
use super::distribution::SenderKeyDistribution;
use super::message::ParsedGroupMessage;
use super::plaintext::GroupPlaintext;
use crate::account::{AccountKey, DeviceList};
use crate::error::{
    DecodeError, DecryptError, GroupError, RosterError, SignatureError, SignedObject,
};
use crate::identity::IdentityKey;
use crate::limits::{MAX_BATCH, MAX_EXPORT_ADVANCE, MAX_GROUP_JUMP, MAX_GROUP_SKIPPED_KEYS};
use crate::primitives::ed25519::{Ed25519PublicKey, Signature, verify_batch_parts};
use crate::ratchet::message_key::MessageKey;
use crate::roster::Roster;
use crate::wire;

/// One sender chain as a member reads it.
///
/// Every copy of a chain holds the sender's verified announcement (identity
/// binding, proof of possession and identity signature), whether it came
/// from the sender or from an export. `decrypt` verifies the message
/// signature (which covers the sender and the group) first, then ratchets
/// forward (at most [`MAX_GROUP_JUMP`] per message), checks the message's key
/// commitment, keeps skipped keys (at most [`MAX_GROUP_SKIPPED_KEYS`], lowest
/// evicted first), refuses duplicates and is transactional: on any error the
/// session is unchanged.
#[derive(Clone)]
pub struct InboundGroupSession {
    pub(crate) announcement: SenderKeyAnnouncement,
    /// `sender Ed25519 key || u8(g) || group id`, derived from the
    /// announcement: the prefix of every message signature.
    pub(crate) context: Vec<u8>,
    /// The earliest iteration this session was given.
    pub(crate) first_iteration: u32,
    pub(crate) chain: GroupChain,
    /// Boxed, as in 1:1 sessions, so removal leaves no stale key bytes.
    pub(crate) skipped: BTreeMap<u32, Box<MessageKey>>,
    /// The generation of the last seal or open (docs/PROTOCOL.md §7.1);
    /// not part of the plain state.
    pub(crate) generation: u64,
}

enum Commit {
    Skipped(u32),
    Advance {
        chain: GroupChain,
        skipped: Vec<Box<MessageKey>>,
    },
}

impl InboundGroupSession {
    /// Creates the session from a distribution that arrived over the 1:1
    /// session with `from`, for a group without a roster. Refuses a
    /// distribution announced by anyone else, and a chain bound to a roster
    /// (`RosterError::RosterMismatch`: use [`new_in_roster`](Self::new_in_roster)).
    pub fn new(
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
    ) -> Result<Self, GroupError> {
        if distribution.announcement.roster.is_some() {
            return Err(RosterError::RosterMismatch.into());
        }
        Self::checked(distribution, from)
    }

    /// Creates the session from a distribution of a group with a roster,
    /// received over the 1:1 session with `from`: the signatures as
    /// [`new`](Self::new), then [`Roster::admit`] (the chain is announced
    /// under `roster` itself, this device's account `me` and the sender's
    /// account are members, and `from` is in `sender_list`, the sender
    /// account's verified device list).
    pub fn new_in_roster(
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
        roster: &Roster,
        sender_list: &DeviceList,
        me: &AccountKey,
    ) -> Result<Self, GroupError> {
        let session = Self::checked(distribution, from)?;
        roster.admit(&distribution.announcement, sender_list, me)?;
        Ok(session)
    }

    fn checked(
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
    ) -> Result<Self, GroupError> {
        let a = &distribution.announcement;
        a.verify_all()?;
        if !a.sender.ct_eq(from) {
            return Err(GroupError::UntrustedSender);
        }
        Ok(Self::from_verified(distribution))
    }

    /// A session from a distribution or export whose announcement was
    /// verified.
    fn from_verified(d: &SenderKeyDistribution) -> Self {
        Self::from_parts(
            d.announcement.clone(),
            d.iteration,
            GroupChain::new(*d.chain_key, d.iteration),
            BTreeMap::new(),
        )
    }

    pub(crate) fn from_parts(
        announcement: SenderKeyAnnouncement,
        first_iteration: u32,
        chain: GroupChain,
        skipped: BTreeMap<u32, Box<MessageKey>>,
    ) -> Self {
        Self {
            generation: 0,
            context: announcement.message_context(),
            announcement,
            first_iteration,
            chain,
            skipped,
        }
    }

    fn check_header(&self, m: &ParsedGroupMessage<'_>) -> Result<(), DecryptError> {
        if m.chain_id != self.announcement.chain_id {
            return Err(DecryptError::WrongChain {
                expected: self.announcement.chain_id,
                got: m.chain_id,
            });
        }
        Ok(())
    }

    /// Decrypts one message: signature first, then the chain, then the key
    /// commitment, then the AEAD. A chain bound to a roster is refused
    /// (`RosterRequired`): use [`decrypt_in_roster`](Self::decrypt_in_roster),
    /// so the roster check cannot be skipped.
    pub fn decrypt(&mut self, message: &[u8]) -> Result<GroupPlaintext, DecryptError> {
        if self.announcement.roster.is_some() {
            return Err(DecryptError::RosterRequired);
        }
        self.decrypt_checked(message)
    }

    /// [`decrypt`](Self::decrypt) once the roster (if any) admitted the
    /// chain.
    fn decrypt_checked(&mut self, message: &[u8]) -> Result<GroupPlaintext, DecryptError> {
        let m = ParsedGroupMessage::parse(message)?;
        self.check_header(&m)?;
        if !self
            .announcement
            .signing_key
            .verify_parts(&m.signed_parts(&self.context), &m.signature)
        {
            return Err(SignatureError::Invalid(SignedObject::GroupMessage).into());
        }
        let (plaintext, commit) = self.plan(&m)?;
        self.apply(commit);
        Ok(self.provenance(plaintext, m.iteration))
    }

    /// Decrypts one message of a group with a roster: first
    /// [`Roster::check_sender`] (the sender is still a member, under the
    /// held roster or an earlier epoch), then [`decrypt`](Self::decrypt).
    /// Refused messages leave the session unchanged.
    pub fn decrypt_in_roster(
        &mut self,
        message: &[u8],
        roster: &Roster,
        sender_list: &DeviceList,
    ) -> Result<GroupPlaintext, GroupError> {
        roster.check_sender(&self.announcement, sender_list)?;
        Ok(self.decrypt_checked(message)?)
    }

    /// [`decrypt_batch`](Self::decrypt_batch) for a chain bound to a
    /// roster: when [`Roster::check_sender`] refuses the chain, every
    /// message gets that refusal and nothing changes.
    pub fn decrypt_batch_in_roster(
        &mut self,
        messages: &[&[u8]],
        roster: &Roster,
        sender_list: &DeviceList,
    ) -> Vec<Result<GroupPlaintext, GroupError>> {
        match roster.check_sender(&self.announcement, sender_list) {
            Err(e) => messages.iter().map(|_| Err(e.clone().into())).collect(),
            Ok(()) => self
                .decrypt_batch_checked(messages)
                .into_iter()
                .map(|r| r.map_err(GroupError::from))
                .collect(),
        }
    }

    /// Decrypts many queued messages (a device coming online). All
    /// signatures are checked together with batch verification (§2.4); the
    /// bad ones are pinpointed. Results are in input order; each message is
    /// applied transactionally in turn. At most [`MAX_BATCH`] messages per
    /// call; the rest get `DecodeError::TooLong`.
    /// A chain bound to a roster is refused (`RosterRequired`) for every
    /// message: use [`decrypt_batch_in_roster`](Self::decrypt_batch_in_roster).
    pub fn decrypt_batch(
        &mut self,
        messages: &[&[u8]],
    ) -> Vec<Result<GroupPlaintext, DecryptError>> {
        if self.announcement.roster.is_some() {
            return messages
                .iter()
                .map(|_| Err(DecryptError::RosterRequired))
                .collect();
        }
        self.decrypt_batch_checked(messages)
    }

    fn decrypt_batch_checked(
        &mut self,
        messages: &[&[u8]],
    ) -> Vec<Result<GroupPlaintext, DecryptError>> {
        let parsed: Vec<Result<ParsedGroupMessage<'_>, DecryptError>> = messages
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                if i >= MAX_BATCH {
                    return Err(DecodeError::TooLong {
                        field: "batch",
                        len: messages.len(),
                        limit: MAX_BATCH,
                    }
                    .into());
                }
                let m = ParsedGroupMessage::parse(bytes)?;
                self.check_header(&m)?;
                Ok(m)
            })
            .collect();
        let context = self.context.clone();
        let signed: Vec<[&[u8]; 3]> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(|m| m.signed_parts(&context))
            .collect();
        let key = self.announcement.signing_key;
        let items: Vec<(&[&[u8]], &Signature, &Ed25519PublicKey)> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .zip(signed.iter())
            .map(|(m, parts)| (parts.as_slice(), &m.signature, &key))
            .collect();
        let mut verdicts = verify_batch_parts(&items).into_iter();
        parsed
            .into_iter()
            .map(|p| {
                let m = p?;
                if !verdicts.next().unwrap_or(false) {
                    return Err(SignatureError::Invalid(SignedObject::GroupMessage).into());
                }
                let (plaintext, commit) = self.plan(&m)?;
                self.apply(commit);
                Ok(self.provenance(plaintext, m.iteration))
            })
            .collect()
    }

    fn provenance(&self, plaintext: Vec<u8>, iteration: u32) -> GroupPlaintext {
        GroupPlaintext {
            plaintext,
            sender: self.announcement.sender,
            group_id: self.announcement.group_id.clone(),
            roster: self.announcement.roster,
            chain_id: self.announcement.chain_id,
            rotation: self.announcement.rotation,
            iteration,
        }
    }

    /// Works out the key and what would change; changes nothing.
    fn plan(&self, m: &ParsedGroupMessage<'_>) -> Result<(Vec<u8>, Commit), DecryptError> {
        if m.iteration < self.first_iteration {
            return Err(DecryptError::BeforeFirstIteration {
                iteration: m.iteration,
                first: self.first_iteration,
            });
        }
        let open = |key: &MessageKey| {
            if !commits_to(key, m.commitment) {
                return Err(DecryptError::KeyCommitmentMismatch {
                    iteration: m.iteration,
                });
            }
            key.open(&m.nonce, m.header, m.ciphertext)
                .map_err(|_| DecryptError::AuthenticationFailed)
        };
        if m.iteration < self.chain.index() {
            let key = self
                .skipped
                .get(&m.iteration)
                .ok_or(DecryptError::Duplicate { index: m.iteration })?;
            return Ok((open(key)?, Commit::Skipped(m.iteration)));
        }
        let gap = u64::from(m.iteration - self.chain.index());
        if gap > u64::from(MAX_GROUP_JUMP) {
            return Err(DecryptError::TooFarAhead {
                gap,
                limit: MAX_GROUP_JUMP,
            });
        }
        let mut chain = self.chain.clone();
        let mut skipped = Vec::with_capacity(gap as usize);
        // `m.iteration` ≤ MAX_GROUP_ITERATION (the parser refuses more), so
        // every step below yields a key; `None` is a safeguard.
        let exhausted = DecodeError::InvalidField("group iteration");
        while chain.index() < m.iteration {
            skipped.push(Box::new(chain.step().ok_or(exhausted.clone())?));
        }
        let key = chain.step().ok_or(exhausted)?;
        Ok((open(&key)?, Commit::Advance { chain, skipped }))
    }

    fn apply(&mut self, commit: Commit) {
        match commit {
            Commit::Skipped(iteration) => {
                self.skipped.remove(&iteration);
            }
            Commit::Advance { chain, skipped } => {
                self.chain = chain;
                for key in skipped {
                    self.skipped.insert(key.index(), key);
                }
                while self.skipped.len() > MAX_GROUP_SKIPPED_KEYS {
                    self.skipped.pop_first();
                }
            }
        }
    }

    /// Exports the session from `iteration` on, for key backup or another
    /// device of the same user. `iteration` must be at or after the
    /// session's chain position (the export cannot reach back before it)
    /// and at most [`MAX_EXPORT_ADVANCE`] ahead. The export carries the
    /// sender's signed announcement and the chain key: keep it encrypted.
    pub fn export_at(&self, iteration: u32) -> Result<Zeroizing<Vec<u8>>, GroupError> {
        let position = self.chain.index();
        if iteration < position {
            return Err(GroupError::IterationUnavailable {
                requested: iteration,
                available: position,
            });
        }
        let ahead = u64::from(iteration - position);
        if ahead > u64::from(MAX_EXPORT_ADVANCE) {
            return Err(GroupError::TooFarAhead {
                ahead,
                limit: MAX_EXPORT_ADVANCE,
            });
        }
        let mut chain = self.chain.clone();
        while chain.index() < iteration {
            if chain.step().is_none() {
                break;
            }
        }
        let export =
            SenderKeyDistribution::new(self.announcement.clone(), chain.index(), *chain.as_bytes());
        Ok(export.encode(wire::TYPE_GROUP_EXPORT))
    }

    /// Imports an export (type `0x22`), verifying the sender's announcement
    /// it carries: an export can name no signing key the sender did not
    /// announce. A wrong chain key is still possible (the exporter chose
    /// it); messages then fail with
    /// [`DecryptError::KeyCommitmentMismatch`], and merging the sender's
    /// own distribution with it is refused ([`GroupError::ConflictingChainKey`]).
    ///
    /// A chain bound to a roster is refused (`RosterMismatch`): use
    /// [`import_in_roster`](Self::import_in_roster).
    pub fn import(bytes: &[u8]) -> Result<Self, GroupError> {
        let d = SenderKeyDistribution::decode(bytes, wire::TYPE_GROUP_EXPORT)?;
        if d.announcement.roster.is_some() {
            return Err(RosterError::RosterMismatch.into());
        }
        Ok(Self::from_verified(&d))
    }

    /// Imports an export of a chain bound to a roster: the signatures as
    /// [`import`](Self::import), then [`Roster::check_sender`] (announced
    /// under the held roster or the one just before it, the sender still a
    /// member) and this device's account `me` a member.
    pub fn import_in_roster(
        bytes: &[u8],
        roster: &Roster,
        sender_list: &DeviceList,
        me: &AccountKey,
    ) -> Result<Self, GroupError> {
        let d = SenderKeyDistribution::decode(bytes, wire::TYPE_GROUP_EXPORT)?;
        if !roster.is_member(me) {
            return Err(RosterError::NotMember.into());
        }
        roster.check_sender(&d.announcement, sender_list)?;
        Ok(Self::from_verified(&d))
    }

    /// The sending device.
    pub fn sender(&self) -> &IdentityKey {
        &self.announcement.sender
    }

    /// The group.
    pub fn group_id(&self) -> &[u8] {
        &self.announcement.group_id
    }

    /// The chain id.
    pub fn chain_id(&self) -> u32 {
        self.announcement.chain_id
    }

    /// The chain's rotation number.
    pub fn rotation(&self) -> u32 {
        self.announcement.rotation
    }

    /// The sender's verified announcement of this chain.
    pub fn announcement(&self) -> &SenderKeyAnnouncement {
        &self.announcement
    }

    /// The earliest iteration this session can decrypt.
    pub fn first_iteration(&self) -> u32 {
        self.first_iteration
    }

    /// The next iteration the chain would yield.
    pub fn position(&self) -> u32 {
        self.chain.index()
    }

    /// Stored skipped keys.
    pub fn skipped_key_count(&self) -> usize {
        self.skipped.len()
    }

    /// Whether a message at `iteration` could still be decrypted (its key is
    /// held as skipped, or lies ahead of the position).
    pub fn can_decrypt(&self, iteration: u32) -> bool {
        iteration >= self.first_iteration
            && (iteration >= self.chain.index() || self.skipped.contains_key(&iteration))
    }
}

impl core::fmt::Debug for InboundGroupSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InboundGroupSession")
            .field("chain_id", &self.announcement.chain_id)
            .field("rotation", &self.announcement.rotation)
            .field("first_iteration", &self.first_iteration)
            .field("position", &self.chain.index())
            .field("secrets", &"[redacted]")
            .finish_non_exhaustive()
    }
}
