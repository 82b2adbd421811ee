//! Group message wire format v2 (docs/PROTOCOL.md §12.3).
//!
//! ```text
//! 02 20 | chain id (u32) | iteration (u32) | nonce (12) | commitment (32)
//!       | ciphertext || tag (16) | signature (64)
//! ```
//!
//! The AEAD's associated data is the 54-byte header. The signature covers
//! `"qorgan/v2/group-message" || sender Ed25519 key || u8(g) || group id ||
//! header || ciphertext || tag`: who sent it, in which group, at which
//! chain position, under which key (the commitment), and the bytes.

use alloc::vec::Vec;

use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, Head};
use crate::labels;
use crate::limits::{MAX_GROUP_ITERATION, MAX_MESSAGE_LEN};
use crate::primitives::aead::TAG_LEN;
use crate::primitives::ed25519::{Ed25519PublicKey, Signature};
use crate::wire;

use super::announcement::{ROSTER_HEAD_LEN, write_roster_head};
use super::chain::{COMMITMENT_LEN, GROUP_NONCE_LEN};

/// Header length: version, type, chain id, iteration, nonce, commitment.
pub(crate) const GROUP_HEADER_LEN: usize = 2 + 4 + 4 + GROUP_NONCE_LEN + COMMITMENT_LEN;
/// Bytes a group message adds to its plaintext: header, tag, signature (134).
pub const GROUP_MESSAGE_OVERHEAD: usize = GROUP_HEADER_LEN + TAG_LEN + Signature::LEN;

/// A decoded group message, borrowing its bytes.
pub(crate) struct ParsedGroupMessage<'a> {
    pub(crate) header: &'a [u8],
    pub(crate) chain_id: u32,
    pub(crate) iteration: u32,
    pub(crate) nonce: [u8; GROUP_NONCE_LEN],
    pub(crate) commitment: &'a [u8],
    pub(crate) ciphertext: &'a [u8],
    /// Header, ciphertext and tag: what the signature covers after the
    /// label and the sender context.
    pub(crate) signed: &'a [u8],
    pub(crate) signature: Signature,
}

impl<'a> ParsedGroupMessage<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        wire::expect_group_header(&mut r, wire::TYPE_GROUP_MESSAGE)?;
        let chain_id = r.u32()?;
        let iteration = r.u32()?;
        if iteration > MAX_GROUP_ITERATION {
            return Err(DecodeError::InvalidField("group iteration"));
        }
        let nonce = r.array()?;
        let commitment = r.take(COMMITMENT_LEN)?;
        let body_len = r
            .remaining()
            .checked_sub(Signature::LEN)
            .filter(|n| *n >= TAG_LEN)
            .ok_or(DecodeError::Truncated {
                needed: (Signature::LEN + TAG_LEN).saturating_sub(r.remaining()),
            })?;
        if body_len - TAG_LEN > MAX_MESSAGE_LEN {
            return Err(DecodeError::TooLong {
                field: "ciphertext",
                len: body_len - TAG_LEN,
                limit: MAX_MESSAGE_LEN,
            });
        }
        let ciphertext = r.take(body_len)?;
        let signature = Signature::from_bytes(&r.array()?);
        r.finish()?;
        let (signed, _) = bytes.split_at(GROUP_HEADER_LEN + body_len);
        let (header, _) = bytes.split_at(GROUP_HEADER_LEN);
        Ok(Self {
            header,
            chain_id,
            iteration,
            nonce,
            commitment,
            ciphertext,
            signed,
            signature,
        })
    }

    /// The signature's message, in parts: `label || context || signed
    /// part`, where `context` is the chain's [`message_context`].
    pub(crate) fn signed_parts<'c>(&self, context: &'c [u8]) -> [&'c [u8]; 3]
    where
        'a: 'c,
    {
        [labels::GROUP_MESSAGE, context, self.signed]
    }
}

/// `sender Ed25519 key || u8(g) || group id [|| u64(epoch) || roster
/// hash]`: the sender context every message signature of a chain covers,
/// after the label (§12.3, §15.4). Senders build it from their identity,
/// receivers and `verify` from the chain's announcement.
pub(crate) fn message_context(
    sender: &Ed25519PublicKey,
    group_id: &[u8],
    roster: Option<&Head>,
) -> Vec<u8> {
    let mut w = Writer::with_capacity(32 + 1 + group_id.len() + ROSTER_HEAD_LEN);
    w.raw(sender.as_bytes());
    super::write_group_id(&mut w, group_id);
    if let Some(head) = roster {
        write_roster_head(&mut w, head);
    }
    w.into_vec()
}

/// What a group message says about itself, read without keys: for routing
/// to the right sender's session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupMessageInfo {
    /// The sender chain's id.
    pub chain_id: u32,
    /// The message's position in the chain.
    pub iteration: u32,
}

impl GroupMessageInfo {
    /// Reads the header of a group message.
    pub fn peek(bytes: &[u8]) -> Result<Self, DecodeError> {
        let m = ParsedGroupMessage::parse(bytes)?;
        Ok(Self {
            chain_id: m.chain_id,
            iteration: m.iteration,
        })
    }
}
