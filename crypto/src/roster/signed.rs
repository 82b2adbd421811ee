//! The roster format (docs/PROTOCOL.md §15.1, §15.2).
//!
//! `0x01 || 0x34 || u8(g) || group id || epoch (u64) || previous (32) ||
//! u32 n || n × (account key (32) || role (u8)) || signer (32) ||
//! signature (64)`, the signature by the signer's account key over
//! `"qorgan/v1/roster" || every byte before it`. Members are sorted by
//! account key, strictly ascending, at least one of them an admin;
//! `previous` is 32 zero bytes for epoch 1 and the hash (head) of the
//! previous roster otherwise. The signer must be an admin of the previous
//! roster; for epoch 1, an admin of the roster itself.

use alloc::vec::Vec;
use sha2::{Digest, Sha256};

use super::member::{Member, Role};
use crate::account::{AccountKey, AccountKeyPair};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, Head, RosterError, SignedObject, VerifyError};
use crate::group::{check_group_id, read_group_id, write_group_id};
use crate::identity::SignatureCheck;
use crate::labels;
use crate::limits::{MAX_GROUP_ID_LEN, MAX_ROSTER_MEMBERS};
use crate::primitives::ed25519::{Ed25519PublicKey, Signature};
use crate::wire;

/// Longest encoding of a roster.
pub const MAX_ROSTER_LEN: usize =
    2 + 1 + MAX_GROUP_ID_LEN + 8 + 32 + 4 + MAX_ROSTER_MEMBERS * 33 + 32 + 64;

/// A signed group roster. Made by [`create`](Self::create) or
/// [`successor`](Self::successor), or decoded (signature verified) by
/// [`from_bytes`](Self::from_bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roster {
    group_id: Vec<u8>,
    epoch: u64,
    previous: [u8; 32],
    members: Vec<Member>,
    signer: AccountKey,
    signature: Signature,
    /// Computed once: a roster never changes after it is made or decoded.
    head: Head,
}

impl Roster {
    /// Epoch 1 of a group's roster, signed by `admin`, who must be listed
    /// as an admin.
    pub fn create(
        admin: &AccountKeyPair,
        group_id: &[u8],
        members: Vec<Member>,
    ) -> Result<Self, RosterError> {
        check_group_id(group_id).map_err(VerifyError::from)?;
        let roster = Self::sign(admin, group_id, 1, [0; 32], members)?;
        if roster.role_of(admin.public()) != Some(Role::Admin) {
            return Err(RosterError::NotAdmin);
        }
        Ok(roster)
    }

    /// The next epoch, listing `members`, signed by `admin`, who must be an
    /// admin of this roster.
    pub fn successor(
        &self,
        admin: &AccountKeyPair,
        members: Vec<Member>,
    ) -> Result<Self, RosterError> {
        if self.role_of(admin.public()) != Some(Role::Admin) {
            return Err(RosterError::NotAdmin);
        }
        let epoch = self
            .epoch
            .checked_add(1)
            .ok_or(RosterError::InvalidRoster("epoch exhausted"))?;
        Self::sign(admin, &self.group_id, epoch, self.head.hash, members)
    }

    /// The next epoch with `account` added as `role` (or its role changed).
    pub fn with_member(
        &self,
        admin: &AccountKeyPair,
        account: &AccountKey,
        role: Role,
    ) -> Result<Self, RosterError> {
        let mut members: Vec<Member> = self
            .members
            .iter()
            .filter(|m| m.account != *account)
            .copied()
            .collect();
        members.push(Member::new(*account, role));
        self.successor(admin, members)
    }

    /// The next epoch with `account` removed.
    pub fn without_member(
        &self,
        admin: &AccountKeyPair,
        account: &AccountKey,
    ) -> Result<Self, RosterError> {
        if !self.is_member(account) {
            return Err(RosterError::InvalidRoster("account not a member"));
        }
        let members = self
            .members
            .iter()
            .filter(|m| m.account != *account)
            .copied()
            .collect();
        self.successor(admin, members)
    }

    fn sign(
        signer: &AccountKeyPair,
        group_id: &[u8],
        epoch: u64,
        previous: [u8; 32],
        mut members: Vec<Member>,
    ) -> Result<Self, RosterError> {
        members.sort_by_key(Member::sort_key);
        check_members(&members)?;
        let mut roster = Self {
            group_id: group_id.to_vec(),
            epoch,
            previous,
            members,
            signer: *signer.public(),
            signature: Signature::from_bytes(&[0; 64]),
            head: Head {
                version: epoch,
                hash: [0; 32],
            },
        };
        roster.signature = signer.sign(labels::ROSTER, &roster.signed_bytes());
        roster.head = roster.compute_head();
        Ok(roster)
    }

    /// The group.
    pub fn group_id(&self) -> &[u8] {
        &self.group_id
    }

    /// The epoch: 1 for the first roster, one more for each change.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The hash of the previous roster (`None` for epoch 1).
    pub fn previous(&self) -> Option<[u8; 32]> {
        (self.epoch > 1).then_some(self.previous)
    }

    /// The members, sorted by account key.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// The account that signed this roster.
    pub fn signer(&self) -> &AccountKey {
        &self.signer
    }

    /// `account`'s role, if it is a member.
    pub fn role_of(&self, account: &AccountKey) -> Option<Role> {
        self.members
            .binary_search_by_key(&account.to_bytes(), Member::sort_key)
            .ok()
            .and_then(|i| self.members.get(i))
            .map(|m| m.role)
    }

    /// Whether `account` is a member (of any role).
    pub fn is_member(&self, account: &AccountKey) -> bool {
        self.role_of(account).is_some()
    }

    /// Whether this roster directly follows the roster with head
    /// `previous`.
    pub fn follows(&self, previous: &Head) -> bool {
        crate::versioned::follows(self, previous)
    }

    /// Epoch and hash: what members compare, and what chains are bound to.
    pub fn head(&self) -> Head {
        self.head
    }

    fn compute_head(&self) -> Head {
        let mut h = Sha256::new();
        h.update(labels::ROSTER_HASH);
        h.update(self.to_bytes());
        Head {
            version: self.epoch,
            hash: h.finalize().into(),
        }
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut w =
            Writer::with_capacity(2 + 1 + self.group_id.len() + 44 + self.members.len() * 33 + 32);
        w.u8(wire::ROSTER_VERSION).u8(wire::TYPE_ROSTER);
        write_group_id(&mut w, &self.group_id);
        w.u64(self.epoch).raw(&self.previous);
        w.count(self.members.len());
        for m in &self.members {
            w.raw(&m.account.to_bytes()).u8(m.role.to_byte());
        }
        w.raw(&self.signer.to_bytes());
        w.into_vec()
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes a roster and verifies its signature and the rules of §15.1;
    /// for epoch 1, also that the signer is one of its admins. Whether a
    /// later epoch's signer was an admin of the epoch before is checked
    /// against that roster, by [`advance`](Self::advance) or
    /// [`from_history`](Self::from_history).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RosterError> {
        let roster = Self::decode_unverified(bytes)?;
        // The order of `verify::Item::Roster`: the epoch-1 rule, then the
        // signature.
        roster.check_genesis_signer()?;
        crate::verify::run_checks(&roster.checks()).map_err(VerifyError::from)?;
        Ok(roster)
    }

    /// For epoch 1: the signer must be one of the roster's admins.
    pub(crate) fn check_genesis_signer(&self) -> Result<(), VerifyError> {
        if self.epoch == 1 && self.role_of(&self.signer) != Some(Role::Admin) {
            return Err(VerifyError::SignerNotAdmin);
        }
        Ok(())
    }

    /// The signer's signature.
    pub(crate) fn checks(&self) -> Vec<SignatureCheck> {
        alloc::vec![SignatureCheck::labeled(
            self.signer.key(),
            labels::ROSTER,
            &self.signed_bytes(),
            &self.signature,
            SignedObject::Roster,
        )]
    }

    /// Decodes without checking the signature (for batch verification);
    /// §15.1 rule violations are decoding errors.
    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        wire::expect_versioned_header(&mut r, wire::ROSTER_VERSION, wire::TYPE_ROSTER)?;
        let roster = read_body(&mut r)?;
        r.finish()?;
        Ok(roster)
    }
}

fn read_body(r: &mut Reader<'_>) -> Result<Roster, DecodeError> {
    let group_id = read_group_id(r)?;
    let epoch = r.u64()?;
    let previous: [u8; 32] = r.array()?;
    let n = r.count("roster members", MAX_ROSTER_MEMBERS, 33)?;
    let mut members = Vec::with_capacity(n);
    for _ in 0..n {
        let account = AccountKey(Ed25519PublicKey::from_bytes(&r.array()?)?);
        members.push(Member::new(account, Role::from_byte(r.u8()?)?));
    }
    let signer = AccountKey(Ed25519PublicKey::from_bytes(&r.array()?)?);
    let signature = Signature::from_bytes(&r.array()?);
    if epoch == 0 {
        return Err(DecodeError::InvalidField("roster epoch 0"));
    }
    if (epoch == 1) != (previous == [0; 32]) {
        return Err(DecodeError::InvalidField(
            "previous hash must be zero exactly for epoch 1",
        ));
    }
    check_members(&members).map_err(|e| match e {
        RosterError::InvalidRoster(why) => DecodeError::InvalidField(why),
        _ => DecodeError::InvalidField("roster members"),
    })?;
    let mut roster = Roster {
        group_id,
        epoch,
        previous,
        members,
        signer,
        signature,
        head: Head {
            version: epoch,
            hash: [0; 32],
        },
    };
    roster.head = roster.compute_head();
    Ok(roster)
}

/// §15.1: 1 to `MAX_ROSTER_MEMBERS` members, strictly ascending by account
/// key (so distinct), at least one admin.
fn check_members(members: &[Member]) -> Result<(), RosterError> {
    if members.len() > MAX_ROSTER_MEMBERS {
        return Err(RosterError::InvalidRoster(
            "more than MAX_ROSTER_MEMBERS members",
        ));
    }
    if !members.iter().any(|m| m.role == Role::Admin) {
        return Err(RosterError::InvalidRoster("no admin"));
    }
    if members
        .windows(2)
        .any(|w| w.first().map(Member::sort_key) >= w.get(1).map(Member::sort_key))
    {
        return Err(RosterError::InvalidRoster(
            "members not strictly ascending by account key (or listed twice)",
        ));
    }
    Ok(())
}
