//! What travels inside a 1:1 message between two stores
//! (docs/PROTOCOL.md §17.3): `0x01 || kind || body`.

use crate::StoreError;

/// The payload format version.
pub const PAYLOAD_VERSION: u8 = 1;

/// A decoded payload.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Payload<'a> {
    /// An application message.
    Message(&'a [u8]),
    /// The sender started a new session because the old one broke.
    Reset,
    /// A sender-key distribution (`0x21`, version 2 or 3).
    Distribution(&'a [u8]),
    /// A group's roster, with the ones before it that the recipient may
    /// lack: `u32 n || n × (u32 len || roster)`, oldest first.
    Rosters(&'a [u8]),
}

const MESSAGE: u8 = 0;
const RESET: u8 = 1;
const DISTRIBUTION: u8 = 2;
const ROSTERS: u8 = 3;

impl<'a> Payload<'a> {
    pub(crate) fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let (kind, body): (u8, &[u8]) = match self {
            Self::Message(b) => (MESSAGE, b),
            Self::Reset => (RESET, &[]),
            Self::Distribution(b) => (DISTRIBUTION, b),
            Self::Rosters(b) => (ROSTERS, b),
        };
        let mut out = Vec::with_capacity(2 + body.len());
        out.push(PAYLOAD_VERSION);
        out.push(kind);
        out.extend_from_slice(body);
        zeroize::Zeroizing::new(out)
    }

    pub(crate) fn decode(bytes: &'a [u8]) -> Result<Self, StoreError> {
        match bytes {
            [PAYLOAD_VERSION, MESSAGE, body @ ..] => Ok(Self::Message(body)),
            [PAYLOAD_VERSION, RESET] => Ok(Self::Reset),
            [PAYLOAD_VERSION, DISTRIBUTION, body @ ..] => Ok(Self::Distribution(body)),
            [PAYLOAD_VERSION, ROSTERS, body @ ..] => Ok(Self::Rosters(body)),
            [PAYLOAD_VERSION, ..] => Err(StoreError::InvalidPayload("unknown kind")),
            [_, ..] => Err(StoreError::InvalidPayload("unsupported version")),
            [] => Err(StoreError::InvalidPayload("empty")),
        }
    }
}
