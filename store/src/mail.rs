//! The outbox, the inbox and events (docs/PROTOCOL.md §17.2): what the
//! app sends, what it must still save, and what it must be told.

use qorgan::IdentityKey;

use crate::StoreError;
use crate::record::{In, Out};

/// Where an outgoing message goes.
// Outbox entries are few and short-lived; boxing the identity would only
// add an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// One device (a 1:1 message).
    Device(IdentityKey),
    /// A group (a group message, for every member's devices).
    Group(Vec<u8>),
}

/// A message waiting in the outbox until the server acknowledges it
/// ([`Account::mark_sent`](crate::Account::mark_sent)). After a crash it
/// is still there: send the same bytes again (servers drop duplicates by
/// the bytes; receivers do too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The outbox id.
    pub id: i64,
    /// The destination.
    pub to: Destination,
    /// The ciphertext.
    pub bytes: Vec<u8>,
}

/// A decrypted message waiting in the inbox until the app has saved it
/// ([`Account::ack`](crate::Account::ack)), with where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The inbox id.
    pub id: i64,
    /// The sending device (authenticated by the session or the chain).
    pub from: IdentityKey,
    /// The group, for a group message.
    pub group: Option<Vec<u8>>,
    /// The 1:1 session it arrived on (`None` for group messages).
    pub session: Option<[u8; 32]>,
    /// The plaintext.
    pub plaintext: Vec<u8>,
}

impl Drop for Incoming {
    /// The plaintext is wiped when a message is dropped (after `ack`, or a
    /// read of `pending`), so no copy is left in freed memory.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.plaintext);
    }
}

impl core::fmt::Debug for Incoming {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Incoming")
            .field("id", &self.id)
            .field("from", &self.from)
            .field("group", &self.group)
            .field("len", &self.plaintext.len())
            .finish_non_exhaustive()
    }
}

/// Something the app must be told (and then [`Account::dismiss`](crate::Account::dismiss)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A device's session is broken (repeated undecryptable messages):
    /// fetch its bundle and call `heal`.
    SessionBroken {
        /// The device.
        device: IdentityKey,
    },
    /// A device started a new session with this one after its old one
    /// broke; messages it sent before may be lost: ask it to resend.
    SessionReset {
        /// The device.
        device: IdentityKey,
    },
    /// A group member's device sent its chain key: its messages now read.
    GroupKey {
        /// The group.
        group: Vec<u8>,
        /// The sending device.
        sender: IdentityKey,
    },
    /// The group's roster changed (or this device was invited).
    RosterChanged {
        /// The group.
        group: Vec<u8>,
        /// The new epoch.
        epoch: u64,
    },
    /// A group payload from this device (a chain key, a roster) arrived
    /// before it could apply; it is kept and applied when the roster or
    /// the contact it needs arrives.
    Deferred {
        /// The sending device.
        device: IdentityKey,
    },
    /// The store was opened after a rollback: every session was reset.
    RolledBack {
        /// The file's counter.
        store: u64,
        /// The anchor's.
        anchor: u64,
    },
}

fn identity(bytes: &[u8]) -> Result<IdentityKey, StoreError> {
    IdentityKey::from_field_bytes(bytes).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Outgoing {
    pub(crate) fn encode(to: &Destination, bytes: &[u8]) -> Vec<u8> {
        let mut o = Out::default();
        match to {
            Destination::Device(d) => o.u8(0).bytes(&d.to_field_bytes()),
            Destination::Group(g) => o.u8(1).bytes(g),
        };
        o.bytes(bytes);
        o.0
    }

    pub(crate) fn decode(id: i64, v: &[u8]) -> Result<Self, StoreError> {
        let mut r = In(v);
        let to = match r.u8()? {
            0 => Destination::Device(identity(r.bytes()?)?),
            1 => Destination::Group(r.bytes()?.to_vec()),
            _ => return Err(StoreError::Corrupt("outbox destination".into())),
        };
        let bytes = r.bytes()?.to_vec();
        r.finish()?;
        Ok(Self { id, to, bytes })
    }
}

impl Incoming {
    pub(crate) fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut o = Out::default();
        o.bytes(&self.from.to_field_bytes());
        match &self.group {
            Some(g) => o.u8(1).bytes(g),
            None => o.u8(0),
        };
        match &self.session {
            Some(s) => o.u8(1).bytes(s),
            None => o.u8(0),
        };
        o.bytes(&self.plaintext);
        zeroize::Zeroizing::new(o.0)
    }

    /// Decodes, reusing identities already checked (`known`).
    pub(crate) fn decode_with(
        id: i64,
        v: &[u8],
        known: &mut Vec<(Vec<u8>, IdentityKey)>,
    ) -> Result<Self, StoreError> {
        let mut r = In(v);
        let field = r.bytes()?;
        let from = match known.iter().find(|(f, _)| f.as_slice() == field) {
            Some((_, k)) => *k,
            None => {
                let k = identity(field)?;
                known.push((field.to_vec(), k));
                k
            }
        };
        let group = match r.flag()? {
            false => None,
            true => Some(r.bytes()?.to_vec()),
        };
        let session = match r.flag()? {
            false => None,
            true => Some(
                <[u8; 32]>::try_from(r.bytes()?)
                    .map_err(|_| StoreError::Corrupt("session id".into()))?,
            ),
        };
        let plaintext = r.bytes()?.to_vec();
        r.finish()?;
        Ok(Self {
            id,
            from,
            group,
            session,
            plaintext,
        })
    }
}

impl Event {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut o = Out::default();
        match self {
            Self::SessionBroken { device } => o.u8(0).bytes(&device.to_field_bytes()),
            Self::SessionReset { device } => o.u8(1).bytes(&device.to_field_bytes()),
            Self::GroupKey { group, sender } => {
                o.u8(2).bytes(group).bytes(&sender.to_field_bytes())
            }
            Self::RosterChanged { group, epoch } => o.u8(3).bytes(group).u64(*epoch),
            Self::RolledBack { store, anchor } => o.u8(4).u64(*store).u64(*anchor),
            Self::Deferred { device } => o.u8(5).bytes(&device.to_field_bytes()),
        };
        o.0
    }

    pub(crate) fn decode(v: &[u8]) -> Result<Self, StoreError> {
        let mut r = In(v);
        let e = match r.u8()? {
            0 => Self::SessionBroken {
                device: identity(r.bytes()?)?,
            },
            1 => Self::SessionReset {
                device: identity(r.bytes()?)?,
            },
            2 => Self::GroupKey {
                group: r.bytes()?.to_vec(),
                sender: identity(r.bytes()?)?,
            },
            3 => Self::RosterChanged {
                group: r.bytes()?.to_vec(),
                epoch: r.u64()?,
            },
            4 => Self::RolledBack {
                store: r.u64()?,
                anchor: r.u64()?,
            },
            5 => Self::Deferred {
                device: identity(r.bytes()?)?,
            },
            _ => return Err(StoreError::Corrupt("event kind".into())),
        };
        r.finish()?;
        Ok(e)
    }
}
