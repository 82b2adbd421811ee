//! Sender-key groups (docs/PROTOCOL.md §12).
//!
//! Each sending device owns an [`OutboundGroupSession`] per group: a hash
//! chain of message keys (HMAC-SHA256 with labels of its own) and an Ed25519
//! key that signs every message, numbered by rotation. It hands the chain to
//! the other members as a [`SenderKeyDistribution`] whose announcement is
//! signed twice, by the chain key (possession) and by the device identity,
//! carried inside 1:1 sessions ([`distribute`] does the fan-out). Each
//! receiving device keeps an [`InboundGroupSession`] per sender chain, or a
//! [`SenderKeyRing`] that also keeps the sender's retired chains readable
//! after a rotation. Every message's signature covers its sender, group,
//! chain, iteration, key commitment and ciphertext, and a decrypt returns
//! that provenance with the plaintext ([`GroupPlaintext`]).

pub(crate) mod announcement;
pub(crate) mod chain;
mod distribution;
mod inbound;
mod merge;
pub(crate) mod message;
mod outbound;
mod plaintext;
mod policy;
mod ring;

pub use announcement::SenderKeyAnnouncement;
pub use distribution::{SenderKeyDistribution, distribute};
pub use inbound::InboundGroupSession;
pub use message::{GROUP_MESSAGE_OVERHEAD, GroupMessageInfo};
pub use outbound::OutboundGroupSession;
pub use plaintext::GroupPlaintext;
pub use policy::{RotationPolicy, RotationReason};
pub use ring::SenderKeyRing;

use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::limits::MAX_GROUP_ID_LEN;

pub(crate) fn write_group_id(w: &mut Writer, id: &[u8]) {
    w.u8(u8::try_from(id.len()).unwrap_or(u8::MAX)).raw(id);
}

pub(crate) fn read_group_id(r: &mut Reader<'_>) -> Result<alloc::vec::Vec<u8>, DecodeError> {
    let len = usize::from(r.u8()?);
    if len > MAX_GROUP_ID_LEN {
        return Err(DecodeError::TooLong {
            field: "group id",
            len,
            limit: MAX_GROUP_ID_LEN,
        });
    }
    Ok(r.take(len)?.to_vec())
}

pub(crate) fn check_group_id(id: &[u8]) -> Result<(), DecodeError> {
    if id.len() > MAX_GROUP_ID_LEN {
        return Err(DecodeError::TooLong {
            field: "group id",
            len: id.len(),
            limit: MAX_GROUP_ID_LEN,
        });
    }
    Ok(())
}
