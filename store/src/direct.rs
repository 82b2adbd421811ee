//! 1:1 messaging through the store (docs/PROTOCOL.md §17.3): several
//! sessions per peer device, routed and healed; every message through the
//! outbox and the inbox.

use qorgan::message::{MessageKind, peek};
use qorgan::{IdentityKey, PreKeyBundle, Session};

use crate::StoreError;
use crate::account::{Account, load_device, save_device};
use crate::db::{Kind, Mailbox, Tx};
use crate::limits::{HEAL_AFTER_FAILURES, MAX_SESSIONS_PER_DEVICE};
use crate::mail::{Destination, Event, Incoming, Outgoing};
use crate::payload::Payload;
use crate::record::{In, Out};

/// What a received message turned into.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A message, now in the inbox: save it, then [`Account::ack`].
    Message(Incoming),
    /// Something to tell the user, now in the events.
    Event(Event),
    /// The same bytes were received before: nothing new (if the first
    /// delivery was not acknowledged yet, it is still in `pending`).
    Duplicate,
}

/// Per peer device: its identity, the session used to send, and the count
/// of undecryptable messages since the last good one.
struct Peer {
    identity: IdentityKey,
    active: Option<[u8; 32]>,
    failures: u32,
    broken: bool,
}

impl Peer {
    fn new(identity: IdentityKey) -> Self {
        Self {
            identity,
            active: None,
            failures: 0,
            broken: false,
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut o = Out::default();
        o.bytes(&self.identity.to_field_bytes());
        match &self.active {
            Some(a) => o.u8(1).bytes(a),
            None => o.u8(0),
        };
        o.u32(self.failures).u8(u8::from(self.broken));
        o.0
    }

    fn decode(v: &[u8]) -> Result<Self, StoreError> {
        let mut r = In(v);
        let identity = IdentityKey::from_field_bytes(r.bytes()?)?;
        let active = match r.u8()? {
            0 => None,
            _ => Some(
                <[u8; 32]>::try_from(r.bytes()?)
                    .map_err(|_| StoreError::Corrupt("session id".into()))?,
            ),
        };
        let failures = r.u32()?;
        let broken = r.u8()? != 0;
        r.finish()?;
        Ok(Self {
            identity,
            active,
            failures,
            broken,
        })
    }
}

pub(crate) fn peer_id(tx: &Tx<'_>, device: &IdentityKey) -> [u8; 32] {
    tx.key.index(b"peer", device.signing_key().as_bytes())
}

fn sid(tx: &Tx<'_>, session: &Session) -> [u8; 32] {
    tx.key.index(b"session", session.session_id())
}

fn load_peer(tx: &Tx<'_>, device: &IdentityKey) -> Result<Option<Peer>, StoreError> {
    tx.get(Kind::Peer, &peer_id(tx, device))?
        .map(|p| Peer::decode(&p))
        .transpose()
}

fn save_peer(tx: &mut Tx<'_>, peer: &Peer) -> Result<(), StoreError> {
    let id = peer_id(tx, &peer.identity);
    tx.put(Kind::Peer, &id, &peer.encode())
}

/// Every session with `device`, the active one first.
fn sessions(
    tx: &Tx<'_>,
    device: &IdentityKey,
    active: Option<&[u8; 32]>,
) -> Result<Vec<Session>, StoreError> {
    let mut all = tx
        .sessions(&peer_id(tx, device))?
        .into_iter()
        .map(|(_, plain)| Ok(Session::from_bytes(&plain)?))
        .collect::<Result<Vec<Session>, StoreError>>()?;
    all.sort_by_key(|s| Some(s.session_id()) != active);
    Ok(all)
}

/// Stores a session and, beyond [`MAX_SESSIONS_PER_DEVICE`], drops the
/// oldest other one.
fn save_session(tx: &mut Tx<'_>, session: &Session) -> Result<(), StoreError> {
    let peer = peer_id(tx, session.remote_identity());
    let id = sid(tx, session);
    tx.put_session(&peer, &id, &session.to_bytes())?;
    let all = tx.sessions(&peer)?;
    if all.len() > MAX_SESSIONS_PER_DEVICE {
        // Rows are re-sealed on every write, so the first listed other than
        // this one is as good an "oldest" as any: SQLite lists by key, which
        // is a keyed hash. Prefer pending ones (never answered) last.
        let active = load_peer(tx, session.remote_identity())?.and_then(|p| p.active);
        for (other, plain) in all {
            if other.as_slice() == id.as_slice() {
                continue;
            }
            let s = Session::from_bytes(&plain)?;
            if Some(s.session_id()) == active.as_ref() {
                continue;
            }
            tx.delete_session(&peer, &other)?;
            break;
        }
    }
    Ok(())
}

impl Account {
    /// Starts a session with the device of `bundle` (fetched from the
    /// server) and makes it the one messages to that device use. Returns
    /// the session id.
    pub fn start_session(&mut self, bundle: &[u8]) -> Result<[u8; 32], StoreError> {
        let bundle = PreKeyBundle::from_bytes(bundle)?;
        self.write(|tx| {
            let session = initiate(tx, &bundle)?;
            Ok(*session.session_id())
        })
    }

    /// Starts a new session with a device whose session broke, and queues
    /// a reset message on it (so the peer knows to resend what was lost).
    pub fn heal(&mut self, bundle: &[u8]) -> Result<Outgoing, StoreError> {
        let bundle = PreKeyBundle::from_bytes(bundle)?;
        self.write(|tx| {
            let mut session = initiate(tx, &bundle)?;
            send(tx, &mut session, &Payload::Reset)
        })
    }

    /// Encrypts `plaintext` for `device` on its active session; the
    /// ciphertext is in the outbox (and the new session state committed)
    /// before this returns.
    pub fn encrypt(
        &mut self,
        device: &IdentityKey,
        plaintext: &[u8],
    ) -> Result<Outgoing, StoreError> {
        self.write(|tx| {
            let peer = load_peer(tx, device)?.ok_or(StoreError::NoSession)?;
            let active = peer.active.ok_or(StoreError::NoSession)?;
            let mut session = sessions(tx, device, Some(&active))?
                .into_iter()
                .find(|s| *s.session_id() == active)
                .ok_or(StoreError::NoSession)?;
            send(tx, &mut session, &Payload::Message(plaintext))
        })
    }

    /// Decrypts a 1:1 message the server says came from `from`; the result
    /// is committed with the new session state before this returns
    /// (messages into the inbox, notices into the events). The same bytes
    /// received again are [`Delivery::Duplicate`]. A message no session
    /// decrypts counts toward [`HEAL_AFTER_FAILURES`].
    pub fn decrypt(
        &mut self,
        from: &IdentityKey,
        message: &[u8],
        now: u64,
    ) -> Result<Delivery, StoreError> {
        let result = self.write(|tx| receive(tx, from, message, now));
        if let Err(StoreError::Decrypt(_) | StoreError::Handshake(_)) = &result {
            self.write(|tx| count_failure(tx, from))?;
        }
        result
    }

    /// Decrypts many queued messages in one transaction (a device coming
    /// online): one result per message, in order; a failure affects only
    /// its own message.
    pub fn decrypt_batch(
        &mut self,
        messages: &[(IdentityKey, Vec<u8>)],
        now: u64,
    ) -> Result<Vec<Result<Delivery, StoreError>>, StoreError> {
        let results = self.write(|tx| {
            let mut out = Vec::with_capacity(messages.len());
            for (from, message) in messages {
                tx.tx.execute_batch("SAVEPOINT item")?;
                let r = receive(tx, from, message, now);
                if r.is_ok() {
                    tx.tx.execute_batch("RELEASE item")?;
                } else {
                    tx.tx.execute_batch("ROLLBACK TO item; RELEASE item")?;
                }
                out.push(r);
            }
            Ok(out)
        })?;
        for (r, (from, _)) in results.iter().zip(messages) {
            if let Err(StoreError::Decrypt(_) | StoreError::Handshake(_)) = r {
                self.write(|tx| count_failure(tx, from))?;
            }
        }
        Ok(results)
    }

    /// The id of the session messages to `device` use, if any.
    pub fn active_session(&mut self, device: &IdentityKey) -> Result<Option<[u8; 32]>, StoreError> {
        self.write(|tx| Ok(load_peer(tx, device)?.and_then(|p| p.active)))
    }
}

fn initiate(tx: &mut Tx<'_>, bundle: &PreKeyBundle) -> Result<Session, StoreError> {
    let device = load_device(tx)?;
    let session = Session::initiate(tx.rng, device.identity(), bundle)?;
    let mut peer = load_peer(tx, session.remote_identity())?
        .unwrap_or_else(|| Peer::new(*session.remote_identity()));
    peer.active = Some(*session.session_id());
    peer.failures = 0;
    peer.broken = false;
    save_peer(tx, &peer)?;
    save_session(tx, &session)?;
    Ok(session)
}

/// Encrypts a payload on `session`, commits it and queues the ciphertext.
pub(crate) fn send(
    tx: &mut Tx<'_>,
    session: &mut Session,
    payload: &Payload<'_>,
) -> Result<Outgoing, StoreError> {
    let bytes = session.encrypt(tx.rng, &payload.encode())?;
    save_session(tx, session)?;
    let to = Destination::Device(*session.remote_identity());
    let id = tx.append(Mailbox::Outbox, &Outgoing::encode(&to, &bytes))?;
    Ok(Outgoing { id, to, bytes })
}

/// Sends a payload to `device` on its active session, inside a
/// transaction already open.
pub(crate) fn send_to(
    tx: &mut Tx<'_>,
    device: &IdentityKey,
    payload: &Payload<'_>,
) -> Result<Outgoing, StoreError> {
    let peer = load_peer(tx, device)?.ok_or(StoreError::NoSession)?;
    let active = peer.active.ok_or(StoreError::NoSession)?;
    let mut session = sessions(tx, device, Some(&active))?
        .into_iter()
        .find(|s| *s.session_id() == active)
        .ok_or(StoreError::NoSession)?;
    send(tx, &mut session, payload)
}

fn count_failure(tx: &mut Tx<'_>, from: &IdentityKey) -> Result<(), StoreError> {
    let Some(mut peer) = load_peer(tx, from)? else {
        return Ok(());
    };
    peer.failures = peer.failures.saturating_add(1);
    if peer.failures >= HEAL_AFTER_FAILURES && !peer.broken {
        peer.broken = true;
        tx.append(
            Mailbox::Events,
            &Event::SessionBroken { device: *from }.encode(),
        )?;
    }
    save_peer(tx, &peer)
}

/// Opens a message: the session it belongs to, or the prekey store for a
/// new one; then what its payload says.
fn receive(
    tx: &mut Tx<'_>,
    from: &IdentityKey,
    message: &[u8],
    now: u64,
) -> Result<Delivery, StoreError> {
    let digest = tx.key.index(b"seen", message);
    if tx.seen(&digest)?.is_some() {
        return Ok(Delivery::Duplicate);
    }
    let (session, plaintext) = match peek(message).map_err(qorgan::DecryptError::from)? {
        MessageKind::PreKey { base_key, .. } => {
            let known = sessions(tx, from, None)?
                .into_iter()
                .find(|s| *s.base_key() == base_key);
            match known {
                Some(mut s) => {
                    let p = s.decrypt(message)?;
                    (s, p)
                }
                None => accept(tx, message, now)?,
            }
        }
        MessageKind::Message => {
            let active = load_peer(tx, from)?.and_then(|p| p.active);
            let mut last = None;
            let mut found = None;
            for mut s in sessions(tx, from, active.as_ref())? {
                match s.decrypt(message) {
                    Ok(p) => {
                        found = Some((s, p));
                        break;
                    }
                    Err(e) => last = Some(e),
                }
            }
            match (found, last) {
                (Some(f), _) => f,
                (None, Some(e)) => return Err(e.into()),
                (None, None) => return Err(StoreError::NoSession),
            }
        }
    };
    let plaintext = zeroize::Zeroizing::new(plaintext);
    save_session(tx, &session)?;
    let sender = *session.remote_identity();
    let mut peer = load_peer(tx, &sender)?.unwrap_or_else(|| Peer::new(sender));
    peer.failures = 0;
    peer.broken = false;
    save_peer(tx, &peer)?;
    let delivery = match Payload::decode(&plaintext)? {
        Payload::Message(body) => {
            let mut incoming = Incoming {
                id: 0,
                from: sender,
                group: None,
                session: Some(*session.session_id()),
                plaintext: body.to_vec(),
            };
            incoming.id = tx.append(Mailbox::Inbox, &incoming.encode())?;
            tx.mark_seen(&digest, incoming.id)?;
            return Ok(Delivery::Message(incoming));
        }
        Payload::Reset => Event::SessionReset { device: sender },
        Payload::Distribution(d) => crate::groups::receive_distribution(tx, &sender, d)?,
        Payload::Rosters(r) => crate::groups::receive_rosters(tx, &sender, r)?,
    };
    tx.append(Mailbox::Events, &delivery.encode())?;
    tx.mark_seen(&digest, 0)?;
    Ok(Delivery::Event(delivery))
}

/// A first message from a device with no session that has its base key:
/// the prekey store accepts it; with simultaneous initiation (this device
/// also started a session with that device, still unanswered), both sides
/// keep the session with the smaller id.
fn accept(tx: &mut Tx<'_>, message: &[u8], now: u64) -> Result<(Session, Vec<u8>), StoreError> {
    let mut device = load_device(tx)?;
    let (session, plaintext) = device.accept(message, now)?;
    save_device(tx, &device)?;
    let remote = *session.remote_identity();
    let mut peer = load_peer(tx, &remote)?.unwrap_or_else(|| Peer::new(remote));
    let ours_pending = match peer.active {
        Some(active) => sessions(tx, &remote, Some(&active))?
            .into_iter()
            .find(|s| *s.session_id() == active)
            .is_some_and(|s| s.is_pending()),
        None => false,
    };
    peer.active = match peer.active {
        Some(active) if ours_pending && active < *session.session_id() => Some(active),
        _ => Some(*session.session_id()),
    };
    save_peer(tx, &peer)?;
    Ok((session, plaintext))
}
