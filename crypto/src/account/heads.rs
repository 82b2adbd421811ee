//! Device-list heads inside 1:1 sessions (docs/PROTOCOL.md §14.5): how two
//! honest users find out that the operator showed them different lists,
//! without a transparency server.
//!
//! A sender puts into the encrypted payload (the account envelope) the head
//! of its own account's list and the head it holds for the other account
//! of the conversation. The receiver compares both with what it holds.

use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, Head};

/// A head on the wire and in state: `version (u64) || hash (32)`.
pub(crate) fn write_head(w: &mut Writer, h: &Head) {
    w.u64(h.version).raw(&h.hash);
}

/// Reads what [`write_head`] writes.
pub(crate) fn read_head(r: &mut Reader<'_>) -> Result<Head, DecodeError> {
    Ok(Head {
        version: r.u64()?,
        hash: r.array()?,
    })
}

/// The heads a message carries: the sender's own account list, and the
/// list the sender holds for the other account of the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heads {
    /// Head of the sender's own account list.
    pub sender: Head,
    /// Head the sender holds for the conversation's other account.
    pub peer: Head,
}

/// How a head carried by a message compares with the one held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// The same list.
    Same,
    /// The message names a newer version: fetch the lists up to it and
    /// `update` (which detects a fork if they do not chain).
    Newer {
        /// Held.
        held: Head,
        /// Named by the message.
        seen: Head,
    },
    /// The message names an older version: the sender has not caught up.
    Older {
        /// Held.
        held: Head,
        /// Named by the message.
        seen: Head,
    },
    /// One version, two lists: the operator shows different lists to the
    /// two sides. The app must show this to the user.
    Fork {
        /// Held.
        held: Head,
        /// Named by the message.
        seen: Head,
    },
}

impl Comparison {
    /// Compares a carried head with the held one.
    pub fn of(held: Head, seen: Head) -> Self {
        use core::cmp::Ordering::{Equal, Greater, Less};
        match seen.version.cmp(&held.version) {
            Greater => Self::Newer { held, seen },
            Less => Self::Older { held, seen },
            Equal
                if bool::from(subtle::ConstantTimeEq::ct_eq(
                    &seen.hash[..],
                    &held.hash[..],
                )) =>
            {
                Self::Same
            }
            Equal => Self::Fork { held, seen },
        }
    }
}

/// What a receiver learns from a message's heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadReport {
    /// The sender's account list, against the one held for it.
    pub sender: Comparison,
    /// The sender's view of the other account (the receiver's own account
    /// for a contact's message; the contact for a message from one's own
    /// other device), against the one held.
    pub peer: Comparison,
}

impl HeadReport {
    /// Compares `heads` with the lists held for the sender's account and
    /// for the conversation's other account.
    pub fn new(heads: &Heads, held_sender: Head, held_peer: Head) -> Self {
        Self {
            sender: Comparison::of(held_sender, heads.sender),
            peer: Comparison::of(held_peer, heads.peer),
        }
    }

    /// Whether either comparison is a fork.
    pub fn fork(&self) -> bool {
        matches!(self.sender, Comparison::Fork { .. })
            || matches!(self.peer, Comparison::Fork { .. })
    }
}
