//! 1:1 messaging through the store (docs/PROTOCOL.md §17.3): several
//! sessions per peer device, routed and healed; every message through the
//! outbox and the inbox.

use qorgan::message::{MessageKind, peek};
use qorgan::{DecryptError, HandshakeError, IdentityKey, PreKeyBundle, Session};

use crate::StoreError;
use crate::account::{Account, load_device, save_device};
use crate::db::{Kind, Mailbox, Tx};
use crate::held::Held;
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
    /// Received before: its key is spent. If the first delivery was not
    /// acknowledged yet, it is still in `pending`.
    Duplicate,
}

/// Per peer device: the session used to send, and the count of
/// undecryptable messages since the last good one.
#[derive(Clone, PartialEq, Eq, Default)]
struct Peer {
    active: Option<[u8; 32]>,
    failures: u32,
    broken: bool,
}

impl Peer {
    fn encode(&self) -> Vec<u8> {
        let mut o = Out::default();
        match &self.active {
            Some(a) => o.u8(1).bytes(a),
            None => o.u8(0),
        };
        o.u32(self.failures).u8(u8::from(self.broken));
        o.0
    }

    fn decode(v: &[u8]) -> Result<Self, StoreError> {
        let mut r = In(v);
        let active = match r.flag()? {
            false => None,
            true => Some(
                <[u8; 32]>::try_from(r.bytes()?)
                    .map_err(|_| StoreError::Corrupt("session id".into()))?,
            ),
        };
        let failures = r.u32()?;
        let broken = r.flag()?;
        r.finish()?;
        Ok(Self {
            active,
            failures,
            broken,
        })
    }
}

pub(crate) fn peer_id(tx: &Tx<'_>, device: &IdentityKey) -> [u8; 32] {
    tx.key.index(b"peer", device.signing_key().as_bytes())
}

/// A peer device's sessions and record, loaded once per transaction and
/// written back once (no other process can change them meanwhile: the
/// transaction holds the write lock).
struct PeerState {
    id: [u8; 32],
    peer: Peer,
    stored_peer: Option<Peer>,
    sessions: Vec<Held>,
}

impl PeerState {
    fn load(tx: &Tx<'_>, device: &IdentityKey) -> Result<Self, StoreError> {
        let id = peer_id(tx, device);
        let stored_peer = tx
            .get(Kind::Peer, &id)?
            .map(|p| Peer::decode(&p))
            .transpose()?;
        let sessions = tx
            .sessions(&id)?
            .into_iter()
            .map(|(_, plain)| Held::load(&plain))
            .collect::<Result<Vec<Held>, StoreError>>()?;
        Ok(Self {
            id,
            peer: stored_peer.clone().unwrap_or_default(),
            stored_peer,
            sessions,
        })
    }

    /// Indexes of the sessions, the active one first.
    fn order(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.sessions.len()).collect();
        idx.sort_by_key(|i| {
            self.sessions.get(*i).map(Held::session_id) != self.peer.active.as_ref()
        });
        idx
    }

    fn active(&mut self) -> Option<usize> {
        let active = self.peer.active?;
        self.sessions.iter().position(|s| *s.session_id() == active)
    }

    fn add(&mut self, session: Session) -> usize {
        self.sessions.push(Held::new(session));
        self.sessions.len() - 1
    }

    /// Writes what changed; beyond [`MAX_SESSIONS_PER_DEVICE`] sessions,
    /// deletes the oldest others (the ones listed first that are neither
    /// active nor just written).
    fn save(self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        let mut keep = self.sessions.len();
        for s in &self.sessions {
            if s.dirty {
                s.save(tx, &self.id)?;
            } else if keep > MAX_SESSIONS_PER_DEVICE
                && Some(s.session_id()) != self.peer.active.as_ref()
            {
                s.delete(tx, &self.id)?;
                keep -= 1;
            }
        }
        if self.stored_peer.as_ref() != Some(&self.peer) {
            tx.put(Kind::Peer, &self.id, &self.peer.encode())?;
        }
        Ok(())
    }
}

impl Account {
    /// Starts a session with the device of `bundle` (fetched from the
    /// server) and makes it the one messages to that device use. Returns
    /// the session id.
    pub fn start_session(&mut self, bundle: &[u8]) -> Result<[u8; 32], StoreError> {
        let bundle = PreKeyBundle::from_bytes(bundle)?;
        self.write(|tx| {
            let (state, i) = initiate(tx, &bundle)?;
            let sid = *state
                .sessions
                .get(i)
                .ok_or(StoreError::NoSession)?
                .session_id();
            state.save(tx)?;
            Ok(sid)
        })
    }

    /// Starts a new session with a device whose session broke, and queues
    /// a reset message on it (so the peer knows to resend what was lost).
    pub fn heal(&mut self, bundle: &[u8]) -> Result<Outgoing, StoreError> {
        let bundle = PreKeyBundle::from_bytes(bundle)?;
        self.write(|tx| {
            let (mut state, i) = initiate(tx, &bundle)?;
            let out = send_on(tx, &mut state, i, &Payload::Reset)?;
            state.save(tx)?;
            Ok(out)
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
        self.write(|tx| send_to(tx, device, &Payload::Message(plaintext)))
    }

    /// Decrypts a 1:1 message the server says came from `from`; the result
    /// is committed with the new session state before this returns
    /// (messages into the inbox, notices into the events). A message
    /// received before is [`Delivery::Duplicate`]. A message no session
    /// decrypts counts toward [`HEAL_AFTER_FAILURES`].
    pub fn decrypt(
        &mut self,
        from: &IdentityKey,
        message: &[u8],
        now: u64,
    ) -> Result<Delivery, StoreError> {
        let mut results = self.decrypt_batch(&[(*from, message.to_vec())], now)?;
        results.pop().unwrap_or(Err(StoreError::NotFound("result")))
    }

    /// Decrypts many queued messages in one transaction (a device coming
    /// online): one result per message, in order; a failure affects only
    /// its own message. Each sender's sessions are read and written once,
    /// and the messages go into one inbox row.
    pub fn decrypt_batch(
        &mut self,
        messages: &[(IdentityKey, Vec<u8>)],
        now: u64,
    ) -> Result<Vec<Result<Delivery, StoreError>>, StoreError> {
        let results = self.write(|tx| {
            let mut states: Vec<(IdentityKey, PeerState)> = Vec::new();
            let mut out: Vec<Result<Outcome, StoreError>> = Vec::with_capacity(messages.len());
            for (from, message) in messages {
                // Identities are public: a plain comparison of the keys.
                let at = match states
                    .iter()
                    .position(|(d, _)| d.to_field_bytes() == from.to_field_bytes())
                {
                    Some(at) => at,
                    None => {
                        states.push((*from, PeerState::load(tx, from)?));
                        states.len() - 1
                    }
                };
                let Some((_, state)) = states.get_mut(at) else {
                    return Err(StoreError::NotFound("peer"));
                };
                // A message that fails to open leaves nothing behind:
                // `receive` writes nothing before it has opened, and changes
                // the cached sessions only on success.
                let r = receive(tx, state, from, message, now);
                // Undecryptable messages from a known device count toward
                // healing, in order (a later good message resets the count).
                if let Err(StoreError::Decrypt(_) | StoreError::Handshake(_)) = &r
                    && state.stored_peer.is_some()
                {
                    state.peer.failures = state.peer.failures.saturating_add(1);
                    if state.peer.failures >= HEAL_AFTER_FAILURES && !state.peer.broken {
                        state.peer.broken = true;
                        tx.append(
                            Mailbox::Events,
                            &Event::SessionBroken { device: *from }.encode(),
                        )?;
                    }
                }
                out.push(r);
            }
            for (_, state) in states {
                state.save(tx)?;
            }
            // Messages into one inbox row; ids assigned there.
            let mut incoming = Vec::new();
            let out: Vec<Result<Outcome, StoreError>> = out
                .into_iter()
                .map(|r| {
                    r.map(|o| match o {
                        Outcome::Message(m) => {
                            incoming.push(m);
                            Outcome::Stored
                        }
                        other => other,
                    })
                })
                .collect();
            let mut stored = crate::inbox::commit(tx, incoming)?.into_iter();
            Ok(out
                .into_iter()
                .map(|r| {
                    r.map(|o| match o {
                        Outcome::Message(m) => Delivery::Message(m),
                        Outcome::Stored => {
                            stored.next().map_or(Delivery::Duplicate, Delivery::Message)
                        }
                        Outcome::Event(e) => Delivery::Event(e),
                        Outcome::Duplicate => Delivery::Duplicate,
                    })
                })
                .collect::<Vec<_>>())
        })?;
        Ok(results)
    }

    /// The id of the session messages to `device` use, if any.
    pub fn active_session(&mut self, device: &IdentityKey) -> Result<Option<[u8; 32]>, StoreError> {
        self.write(|tx| Ok(PeerState::load(tx, device)?.peer.active))
    }
}

/// What one received message produced, before inbox ids are assigned.
enum Outcome {
    Message(Incoming),
    /// A message moved into the transaction's inbox row.
    Stored,
    Event(Event),
    Duplicate,
}

fn initiate(tx: &mut Tx<'_>, bundle: &PreKeyBundle) -> Result<(PeerState, usize), StoreError> {
    let device = load_device(tx)?;
    let session = Session::initiate(tx.rng, device.identity(), bundle)?;
    let mut state = PeerState::load(tx, session.remote_identity())?;
    state.peer = Peer {
        active: Some(*session.session_id()),
        failures: 0,
        broken: false,
    };
    let i = state.add(session);
    Ok((state, i))
}

/// Encrypts a payload on session `i` of `state` and queues it.
fn send_on(
    tx: &mut Tx<'_>,
    state: &mut PeerState,
    i: usize,
    payload: &Payload<'_>,
) -> Result<Outgoing, StoreError> {
    let session = state.sessions.get_mut(i).ok_or(StoreError::NoSession)?;
    let bytes = session.encrypt(tx, &payload.encode())?;
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
    let mut state = PeerState::load(tx, device)?;
    let i = state.active().ok_or(StoreError::NoSession)?;
    let out = send_on(tx, &mut state, i, payload)?;
    state.save(tx)?;
    Ok(out)
}

/// Opens one message: the session it belongs to, or the prekey store for
/// a new one; then what its payload says. Changes only `state` (and, for
/// a new session, the prekey store) until the caller saves.
fn receive(
    tx: &mut Tx<'_>,
    state: &mut PeerState,
    from: &IdentityKey,
    message: &[u8],
    now: u64,
) -> Result<Outcome, StoreError> {
    let opened = match peek(message).map_err(DecryptError::from)? {
        MessageKind::PreKey { base_key, .. } => {
            match state
                .sessions
                .iter()
                .position(|s| *s.base_key() == base_key)
            {
                Some(i) => decrypt_on(tx, state, i, message),
                None => accept(tx, state, from, message, now),
            }
        }
        MessageKind::Message => {
            let mut last = None;
            let mut found = None;
            for i in state.order() {
                match decrypt_on(tx, state, i, message) {
                    Ok(r) => {
                        found = Some(r);
                        break;
                    }
                    // A spent key in any session: the message was read.
                    Err(StoreError::Decrypt(DecryptError::Duplicate { .. })) => {
                        return Ok(Outcome::Duplicate);
                    }
                    Err(e) => last = Some(e),
                }
            }
            match (found, last) {
                (Some(f), _) => Ok(f),
                (None, Some(e)) => Err(e),
                (None, None) => Err(StoreError::NoSession),
            }
        }
    };
    let (i, plaintext) = match opened {
        Ok(r) => r,
        Err(StoreError::Decrypt(DecryptError::Duplicate { .. }))
        | Err(StoreError::Handshake(HandshakeError::Replay)) => return Ok(Outcome::Duplicate),
        Err(e) => return Err(e),
    };
    let session = state.sessions.get(i).ok_or(StoreError::NoSession)?;
    let sender = *session.remote_identity();
    let session_id = *session.session_id();
    state.peer.failures = 0;
    state.peer.broken = false;
    Ok(match Payload::decode(&plaintext)? {
        Payload::Message(body) => Outcome::Message(Incoming {
            id: 0,
            from: sender,
            group: None,
            session: Some(session_id),
            plaintext: body.to_vec(),
        }),
        Payload::Reset => event(tx, Event::SessionReset { device: sender })?,
        // Neither touches sessions, which `state` holds for this
        // transaction.
        // An authenticated group payload that cannot apply yet (a chain
        // key before the invitation, a roster before its sender is a
        // contact) is kept and tried again when rosters or contacts change:
        // its message key is spent either way.
        Payload::Distribution(_) | Payload::Rosters(_) => {
            match crate::deferred::apply(tx, &sender, &plaintext, now) {
                Ok(e) => {
                    let mut e = vec![e];
                    e.extend(crate::deferred::retry(tx, now)?);
                    for e in &e {
                        tx.append(Mailbox::Events, &e.encode())?;
                    }
                    Outcome::Event(e.swap_remove(0))
                }
                Err(e) if crate::deferred::may_clear(&e) => {
                    let e = crate::deferred::keep(tx, &sender, &plaintext)?;
                    event(tx, e)?
                }
                Err(e) => return Err(e),
            }
        }
    })
}

fn event(tx: &mut Tx<'_>, e: Event) -> Result<Outcome, StoreError> {
    tx.append(Mailbox::Events, &e.encode())?;
    Ok(Outcome::Event(e))
}

/// Decrypts on session `i`, keeping the change only if it succeeds.
fn decrypt_on(
    tx: &Tx<'_>,
    state: &mut PeerState,
    i: usize,
    message: &[u8],
) -> Result<(usize, zeroize::Zeroizing<Vec<u8>>), StoreError> {
    let peer = state.id;
    let session = state.sessions.get_mut(i).ok_or(StoreError::NoSession)?;
    Ok((i, session.decrypt(tx, &peer, message)?))
}

/// A first message from a device with no session that has its base key:
/// the prekey store accepts it; with simultaneous initiation (this device
/// also started a session with that device, still unanswered), both sides
/// keep the session with the smaller id.
fn accept(
    tx: &mut Tx<'_>,
    state: &mut PeerState,
    from: &IdentityKey,
    message: &[u8],
    now: u64,
) -> Result<(usize, zeroize::Zeroizing<Vec<u8>>), StoreError> {
    let mut device = load_device(tx)?;
    let (session, plaintext) = device.accept(message, now)?;
    if !session.remote_identity().ct_eq(from) {
        // The server named the wrong sender: the handshake authenticates
        // the real one, whose records this is not. Nothing is saved, so
        // the prekeys it used are still there for the right delivery.
        return Err(StoreError::Decrypt(DecryptError::SessionMismatch));
    }
    save_device(tx, &device)?;
    let ours_pending = state
        .active()
        .and_then(|i| state.sessions.get(i))
        .is_some_and(Held::is_pending);
    state.peer.active = match state.peer.active {
        Some(active) if ours_pending && active < *session.session_id() => Some(active),
        _ => Some(*session.session_id()),
    };
    let i = state.add(session);
    Ok((i, zeroize::Zeroizing::new(plaintext)))
}

/// Fuzzing: a peer record decodes, and re-encodes to the same bytes.
pub(crate) fn fuzz_peer(bytes: &[u8]) {
    if let Ok(p) = Peer::decode(bytes) {
        assert_eq!(p.encode(), bytes);
    }
}

/// Fuzzing seed: a peer record with an active session and failures.
pub(crate) fn seed_peer() -> Vec<u8> {
    Peer {
        active: Some([3; 32]),
        failures: 2,
        broken: false,
    }
    .encode()
}
