//! Sender-key announcements (docs/PROTOCOL.md §12.2): the public, signed
//! statement "this device sends in this group with this chain and this
//! signing key, as its rotation number r".
//!
//! ```text
//! 02 23 | sender identity (128) | u8(g) | group id | chain id (u32)
//!       | rotation (u32) | signing key (32) | possession (64) | signature (64)
//! ```
//!
//! Both signatures cover the same fields, `F = sender Ed25519 key || u8(g) ||
//! group id || u32(chain id) || u32(rotation) || signing key`:
//! `possession` is the chain signing key's signature over
//! `"qorgan/v2/sender-key-possession" || F` (nobody can announce a signing
//! key they do not hold, so nobody can claim another member's chain), and
//! `signature` is the sender identity's over `"qorgan/v2/sender-key" || F`.
//!
//! A chain of a group with a roster (§15.4) is announced in version 3,
//! which adds the roster head the chain belongs to after the group id, in
//! the encoding and in `F` (`… || group id || u64(epoch) || roster hash
//! (32) || …`) and in the context of every message signature of the chain.

use alloc::vec::Vec;

use super::message::message_context;
use super::{check_group_id, read_group_id, write_group_id};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, Head, SignatureError, SignedObject, VerifyError};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair, SignatureCheck};
use crate::labels;
use crate::primitives::ed25519::{Ed25519PublicKey, Ed25519SigningKey, Signature};
use crate::wire;

/// The public, doubly signed part of a distribution: which device sends
/// with which signing key in which group, and which of its chains (by
/// rotation number) this is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyAnnouncement {
    /// The sending device.
    pub sender: IdentityKey,
    /// The group.
    pub group_id: Vec<u8>,
    /// The roster (epoch and hash) the chain was started under, for a group
    /// with a roster (version 3); `None` for a group without one (version 2).
    pub roster: Option<Head>,
    /// The chain's id.
    pub chain_id: u32,
    /// The chain's rotation number: 0 for the sender's first chain in the
    /// group, one more for each rotation. Receivers order chains by it.
    pub rotation: u32,
    /// The key that signs every message of the chain.
    pub signing_key: Ed25519PublicKey,
    /// The signing key's signature over the fields above (proof of
    /// possession).
    pub possession: Signature,
    /// The sender identity's signature over the fields above.
    pub signature: Signature,
}

/// Encoded length of an announcement's body (everything after the two
/// header bytes) for a group id of `g` bytes.
pub(crate) const fn announcement_body_len(g: usize) -> usize {
    IDENTITY_KEY_LEN + 1 + g + ROSTER_HEAD_LEN + 4 + 4 + 32 + 2 * Signature::LEN
}

/// Encoded length of a roster head: epoch (u64) and hash.
pub(crate) const ROSTER_HEAD_LEN: usize = 8 + 32;

/// Writes a roster head: `u64(epoch) || hash`.
pub(crate) fn write_roster_head(w: &mut Writer, head: &Head) {
    w.u64(head.version).raw(&head.hash);
}

/// Reads a roster head; epochs start at 1.
pub(crate) fn read_roster_head(r: &mut Reader<'_>) -> Result<Head, DecodeError> {
    let version = r.u64()?;
    if version == 0 {
        return Err(DecodeError::InvalidField("roster epoch 0"));
    }
    Ok(Head {
        version,
        hash: r.array()?,
    })
}

impl SenderKeyAnnouncement {
    /// `F`: the fields both signatures cover.
    fn signed_fields(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(32 + 1 + self.group_id.len() + ROSTER_HEAD_LEN + 8 + 32);
        w.raw(&self.message_context())
            .u32(self.chain_id)
            .u32(self.rotation)
            .raw(self.signing_key.as_bytes());
        w.into_vec()
    }

    /// The sender context every message signature of this chain covers
    /// (§12.3).
    pub(crate) fn message_context(&self) -> Vec<u8> {
        message_context(
            self.sender.signing_key(),
            &self.group_id,
            self.roster.as_ref(),
        )
    }

    /// The format version: 3 for a chain bound to a roster, 2 otherwise.
    pub(crate) fn format_version(&self) -> u8 {
        if self.roster.is_some() {
            wire::ROSTERED_GROUP_VERSION
        } else {
            wire::GROUP_VERSION
        }
    }

    pub(crate) fn sign(
        identity: &IdentityKeyPair,
        signing_key: &Ed25519SigningKey,
        group_id: &[u8],
        roster: Option<Head>,
        chain_id: u32,
        rotation: u32,
    ) -> Self {
        let mut a = Self {
            sender: *identity.public(),
            group_id: group_id.to_vec(),
            roster,
            chain_id,
            rotation,
            signing_key: signing_key.public_key(),
            possession: Signature::from_bytes(&[0; 64]),
            signature: Signature::from_bytes(&[0; 64]),
        };
        let fields = a.signed_fields();
        a.possession = signing_key.sign_parts(&[labels::SENDER_KEY_POSSESSION, &fields]);
        a.signature = identity.sign(labels::SENDER_KEY, &fields);
        a
    }

    /// Checks the proof of possession and the sender identity's signature
    /// (the identity's own binding is checked when it is decoded).
    pub fn verify(&self) -> Result<(), SignatureError> {
        let [_, possession, signature] = self.checks();
        possession.run()?;
        signature.run()
    }

    /// Every signature an announcement carries, in verification order: the
    /// sender's identity binding, the proof of possession, the identity's
    /// signature.
    pub(crate) fn checks(&self) -> [SignatureCheck; 3] {
        let fields = self.signed_fields();
        [
            self.sender.binding_check(),
            SignatureCheck::labeled(
                &self.signing_key,
                labels::SENDER_KEY_POSSESSION,
                &fields,
                &self.possession,
                SignedObject::SenderKeyPossession,
            ),
            SignatureCheck::labeled(
                self.sender.signing_key(),
                labels::SENDER_KEY,
                &fields,
                &self.signature,
                SignedObject::SenderKeyDistribution,
            ),
        ]
    }

    /// Runs every check of [`checks`](Self::checks) in order.
    pub(crate) fn verify_all(&self) -> Result<(), VerifyError> {
        check_group_id(&self.group_id)?;
        for check in self.checks() {
            check.run()?;
        }
        Ok(())
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        self.sender.write(w);
        write_group_id(w, &self.group_id);
        if let Some(head) = &self.roster {
            write_roster_head(w, head);
        }
        w.u32(self.chain_id)
            .u32(self.rotation)
            .raw(self.signing_key.as_bytes())
            .raw(&self.possession.to_bytes())
            .raw(&self.signature.to_bytes());
    }

    /// Reads the fields of format `version` (2 or 3); no signature is
    /// checked here.
    pub(crate) fn read_unverified(r: &mut Reader<'_>, version: u8) -> Result<Self, DecodeError> {
        let sender = IdentityKey::read_trusted(r)?;
        let group_id = read_group_id(r)?;
        let roster = if version == wire::ROSTERED_GROUP_VERSION {
            Some(read_roster_head(r)?)
        } else {
            None
        };
        let chain_id = r.u32()?;
        let rotation = r.u32()?;
        let signing_key = Ed25519PublicKey::from_bytes(&r.array()?)?;
        let possession = Signature::from_bytes(&r.array()?);
        let signature = Signature::from_bytes(&r.array()?);
        Ok(Self {
            sender,
            group_id,
            roster,
            chain_id,
            rotation,
            signing_key,
            possession,
            signature,
        })
    }

    /// Encodes the announcement (version `0x02`, or `0x03` with a roster;
    /// type `0x23`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(2 + announcement_body_len(self.group_id.len()));
        w.u8(self.format_version())
            .u8(wire::TYPE_SENDER_KEY_ANNOUNCEMENT);
        self.write(&mut w);
        w.into_vec()
    }

    /// Decodes an announcement and verifies all three signatures.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let a = Self::decode_unverified(bytes)?;
        a.verify_all()?;
        Ok(a)
    }

    /// Decodes without checking any signature (for batch verification).
    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = wire::expect_chain_header(&mut r, wire::TYPE_SENDER_KEY_ANNOUNCEMENT)?;
        let a = Self::read_unverified(&mut r, version)?;
        r.finish()?;
        Ok(a)
    }

    /// Whether two announcements name the same chain with the same fields
    /// (sender, group, chain id, rotation, signing key).
    pub(crate) fn same_chain(&self, other: &Self) -> bool {
        self.sender.ct_eq(&other.sender)
            && self.group_id == other.group_id
            && self.roster == other.roster
            && self.chain_id == other.chain_id
            && self.rotation == other.rotation
            && self.signing_key == other.signing_key
    }
}
