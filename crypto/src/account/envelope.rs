//! The account envelope (docs/PROTOCOL.md §14.5): what an account-aware app
//! encrypts in a 1:1 session: the application's body, and from time to
//! time the device-list heads (§14.5) that let two users compare their views.
//!
//! `0x01 || 0x31 || flags || [sender head || peer head] || body`, a head
//! being `version (u64) || hash (32)`; flag bit 0: the heads are present;
//! other bits zero. 3 bytes of overhead without heads, 83 with.

use alloc::vec::Vec;

use super::device_list::expect_header;
use super::heads::Heads;
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, Head};
use crate::wire;

const FLAG_HEADS: u8 = 0x01;

fn write_head(w: &mut Writer, h: &Head) {
    w.u64(h.version).raw(&h.hash);
}

fn read_head(r: &mut Reader<'_>) -> Result<Head, DecodeError> {
    Ok(Head {
        version: r.u64()?,
        hash: r.array()?,
    })
}

/// Wraps `body`, with `heads` if given.
pub fn seal_envelope(heads: Option<&Heads>, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(3 + 80 + body.len());
    w.u8(wire::ACCOUNT_VERSION).u8(wire::TYPE_ACCOUNT_ENVELOPE);
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

/// Unwraps an envelope: the heads, if present, and the body.
pub fn open_envelope(bytes: &[u8]) -> Result<(Option<Heads>, &[u8]), DecodeError> {
    let mut r = Reader::new(bytes);
    expect_header(&mut r, wire::TYPE_ACCOUNT_ENVELOPE)?;
    let heads = match r.u8()? {
        0 => None,
        FLAG_HEADS => Some(Heads {
            sender: read_head(&mut r)?,
            peer: read_head(&mut r)?,
        }),
        _ => return Err(DecodeError::InvalidField("account envelope flags")),
    };
    Ok((heads, r.rest()))
}
