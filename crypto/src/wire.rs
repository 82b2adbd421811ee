//! Version and type bytes of every encoded object (docs/PROTOCOL.md §1).
//! Every top-level encoding starts with its format's version byte
//! ([`VERSION`] for 1:1 states, bundles and identities, [`SEALED_VERSION`]
//! for the sealed envelope, [`MESSAGE_VERSION`] for 1:1 messages, [`GROUP_VERSION`] for the group
//! formats) then one of these type bytes; structures embedded in others
//! (keys, prekeys) carry no header, and a sealed blob is
//! `SEALED_VERSION || STATE_SEALED || kind || owner || generation`.

/// Current version of the 1:1 state formats, bundles and identities;
/// version 1 of 1:1 messages (accepted on receive only) and of the sealed
/// envelope (opened only).
pub const VERSION: u8 = 1;
/// Current version of the sealed envelope (`0x5E`): it binds the state's
/// owner and generation (docs/PROTOCOL.md §7.1). Version 1 envelopes
/// (kind only) still open while the caller expects generation 0.
pub const SEALED_VERSION: u8 = 2;
/// Current version of the prekey store state (kind `0x41`): prekeys dated
/// and marked when handed out, the replay record kept per signed prekey.
/// Versions 2 (undated) and 1 (one FIFO replay list) still load, migrated.
pub const STORE_VERSION: u8 = 3;
/// Current version of 1:1 messages (types `0x01`, `0x02`): each carries a
/// random 12-byte AEAD nonce (docs/PROTOCOL.md §5, §6.2). `encrypt` writes
/// only this version; `decrypt` and `accept` also read version 1 (all-zero
/// nonce), so messages in flight across an upgrade still open.
pub const MESSAGE_VERSION: u8 = 2;
/// Current version of the account formats: device lists (`0x30`), the
/// in-session account envelope (`0x31`), provisioning messages (`0x32`),
/// link codes, and the account and contact states (`0x45`, `0x46`)
/// (docs/PROTOCOL.md §14).
pub const ACCOUNT_VERSION: u8 = 1;
/// Current version of group rosters (`0x34`, docs/PROTOCOL.md §15).
pub const ROSTER_VERSION: u8 = 1;
/// Current version of statements, presentations and revocation lists
/// (`0x35`–`0x37`, docs/PROTOCOL.md §16).
pub const CERTIFICATE_VERSION: u8 = 1;
/// Current version of the group formats: types `0x20`–`0x23` and the group
/// states `0x42`–`0x44` (docs/PROTOCOL.md §11, §12). Version 1 of these is
/// refused: it could not prove who announced a chain.
pub const GROUP_VERSION: u8 = 2;
/// Version of the group formats for chains bound to a roster (types
/// `0x21`–`0x23` and the group states): version 2 plus the roster head the
/// chain was announced under (docs/PROTOCOL.md §15.4). Chains of groups
/// without a roster are still written as version 2.
pub const ROSTERED_GROUP_VERSION: u8 = 3;

/// A Double Ratchet message.
pub const TYPE_MESSAGE: u8 = 0x01;
/// A Double Ratchet message that also carries the handshake.
pub const TYPE_PREKEY_MESSAGE: u8 = 0x02;
/// A prekey bundle.
pub const TYPE_BUNDLE: u8 = 0x10;
/// A prekey upload (docs/PROTOCOL.md §4.10).
pub const TYPE_PREKEY_UPLOAD: u8 = 0x12;
/// A standalone identity key.
pub const TYPE_IDENTITY: u8 = 0x11;
/// A group (sender-key) message.
pub const TYPE_GROUP_MESSAGE: u8 = 0x20;
/// A sender-key distribution.
pub const TYPE_SENDER_KEY_DISTRIBUTION: u8 = 0x21;
/// An exported inbound group session.
pub const TYPE_GROUP_EXPORT: u8 = 0x22;
/// The public, identity-signed part of a sender-key distribution.
pub const TYPE_SENDER_KEY_ANNOUNCEMENT: u8 = 0x23;

/// State: a 1:1 session.
pub const STATE_SESSION: u8 = 0x40;
/// State: an identity and prekey store.
pub const STATE_PREKEY_STORE: u8 = 0x41;
/// A device list signed by an account key.
pub const TYPE_DEVICE_LIST: u8 = 0x30;
/// The account envelope inside a 1:1 plaintext (device-list heads + body).
pub const TYPE_ACCOUNT_ENVELOPE: u8 = 0x31;
/// A provisioning message for a device being linked.
pub const TYPE_PROVISIONING: u8 = 0x32;
/// A link code (the QR payload of a device being linked), before base32.
pub const TYPE_LINK_CODE: u8 = 0x33;

/// A group roster signed by an admin (docs/PROTOCOL.md §15).
pub const TYPE_ROSTER: u8 = 0x34;
/// A statement (certificate) signed by an issuer (docs/PROTOCOL.md §16.1).
pub const TYPE_STATEMENT: u8 = 0x35;
/// A presentation: an optional intermediate and a leaf statement (§16.2).
pub const TYPE_PRESENTATION: u8 = 0x36;
/// A revocation list signed by an issuer (§16.3).
pub const TYPE_REVOCATION_LIST: u8 = 0x37;

/// State: an outbound group session.
pub const STATE_OUTBOUND_GROUP: u8 = 0x42;
/// State: an inbound group session.
pub const STATE_INBOUND_GROUP: u8 = 0x43;
/// State: one sender's chains in one group (current and retired).
pub const STATE_SENDER_KEY_RING: u8 = 0x44;
/// State: a contact (pinned account, newest verified device list).
pub const STATE_CONTACT: u8 = 0x45;
/// State: this device's account (account key, device list).
pub const STATE_ACCOUNT: u8 = 0x46;
/// A sealed (encrypted at rest) state blob.
pub const STATE_SEALED: u8 = 0x5E;
/// A sealed value of an account store (docs/PROTOCOL.md §7.5).
pub const SEALED_VALUE: u8 = 0x5F;

use crate::codec::Reader;
use crate::error::DecodeError;

/// Reads and checks the version and type bytes.
pub(crate) fn expect_header(r: &mut Reader<'_>, ty: u8) -> Result<(), DecodeError> {
    expect_versioned_header(r, VERSION, ty)
}

/// Reads and checks the version and type bytes of a group format.
pub(crate) fn expect_group_header(r: &mut Reader<'_>, ty: u8) -> Result<(), DecodeError> {
    expect_versioned_header(r, GROUP_VERSION, ty)
}

/// Reads the header of a chain format (announcement, distribution,
/// export): version 2, or 3 for a chain bound to a roster. Returns the
/// version.
pub(crate) fn expect_chain_header(r: &mut Reader<'_>, ty: u8) -> Result<u8, DecodeError> {
    let found = r.u8()?;
    if found != GROUP_VERSION && found != ROSTERED_GROUP_VERSION {
        return Err(DecodeError::UnsupportedVersion(found));
    }
    let kind = r.u8()?;
    if kind != ty {
        return Err(DecodeError::UnexpectedType(kind));
    }
    Ok(found)
}

pub(crate) fn expect_versioned_header(
    r: &mut Reader<'_>,
    version: u8,
    ty: u8,
) -> Result<(), DecodeError> {
    let found = r.u8()?;
    if found != version {
        return Err(DecodeError::UnsupportedVersion(found));
    }
    let found = r.u8()?;
    if found != ty {
        return Err(DecodeError::UnexpectedType(found));
    }
    Ok(())
}
