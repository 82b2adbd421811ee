//! The account envelope (docs/PROTOCOL.md §14.5): what an account-aware app
//! encrypts in a 1:1 session: the application's body, and from time to
//! time the device-list heads (§14.5) that let two users compare their views.
//!
//! `0x01 || 0x31 || sender account (32) || recipient account (32) || flags
//! || [sender head || peer head] || body`, a head being `version (u64) ||
//! hash (32)`; flag bit 0: the heads are present; other bits zero. The
//! sender account is the sending device's account; the recipient account
//! is the account the conversation is with, as the sender sees it. Any
//! account can list any device, so a device listed by several accounts
//! never has its words attributed to another account, and never takes a
//! message meant for another conversation. 67 bytes of overhead without
//! heads, 147 with.

use alloc::vec::Vec;

use super::device_list::expect_header;
use super::heads::{Heads, read_head, write_head};
use super::key::AccountKey;
use crate::codec::{Reader, Writer};
use crate::error::DecodeError;
use crate::wire;

const FLAG_HEADS: u8 = 0x01;

/// An opened account envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The sending device's account.
    pub sender: AccountKey,
    /// The account the sender addressed (its conversation partner).
    pub recipient: AccountKey,
    /// The heads, if the message carries them.
    pub heads: Option<Heads>,
    /// The application's body.
    pub body: &'a [u8],
}

/// Wraps `body` from `sender`'s account for a conversation with
/// `recipient`, with `heads` if given.
pub fn seal_envelope(
    sender: &AccountKey,
    recipient: &AccountKey,
    heads: Option<&Heads>,
    body: &[u8],
) -> Vec<u8> {
    let mut w = Writer::with_capacity(67 + 80 + body.len());
    w.u8(wire::ACCOUNT_VERSION)
        .u8(wire::TYPE_ACCOUNT_ENVELOPE)
        .raw(&sender.to_bytes())
        .raw(&recipient.to_bytes());
    match heads {
        Some(h) => {
            w.u8(FLAG_HEADS);
            write_head(&mut w, &h.sender);
            write_head(&mut w, &h.peer);
        }
        None => {
            w.u8(0);
        }
    }
    w.raw(body);
    w.into_vec()
}

/// Unwraps an envelope.
pub fn open_envelope(bytes: &[u8]) -> Result<Envelope<'_>, DecodeError> {
    let mut r = Reader::new(bytes);
    expect_header(&mut r, wire::TYPE_ACCOUNT_ENVELOPE)?;
    let sender = AccountKey::from_bytes(&r.array()?)?;
    let recipient = AccountKey::from_bytes(&r.array()?)?;
    let heads = match r.u8()? {
        0 => None,
        FLAG_HEADS => Some(Heads {
            sender: read_head(&mut r)?,
            peer: read_head(&mut r)?,
        }),
        _ => return Err(DecodeError::InvalidField("account envelope flags")),
    };
    Ok(Envelope {
        sender,
        recipient,
        heads,
        body: r.rest(),
    })
}
