//! Group payloads that arrived before they could apply (docs/PROTOCOL.md
//! §17.3): a sender-key distribution before the invitation to its group, a
//! roster before its sender is a contact. Their message keys are spent
//! when they open, so dropping them would lose them for good; they are kept
//! (at most [`MAX_DEFERRED_PAYLOADS`]) and applied when a roster or a
//! contact changes.

use qorgan::{IdentityKey, RosterError};

use crate::StoreError;
use crate::db::{Kind, Tx};
use crate::limits::MAX_DEFERRED_PAYLOADS;
use crate::mail::Event;
use crate::payload::Payload;
use crate::record::{In, Out};

/// Whether a refusal can clear once a roster or a contact arrives: only
/// those payloads are kept (junk, bad signatures and refusals for good are
/// not, so a peer cannot fill the store with them).
pub(crate) fn may_clear(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::NotFound("group")
            | StoreError::Roster(
                RosterError::SenderNotMember
                    | RosterError::Gap { .. }
                    | RosterError::RosterBehind { .. }
            )
            | StoreError::Group(qorgan::GroupError::Roster(
                RosterError::SenderNotMember | RosterError::RosterBehind { .. }
            ))
    )
}

/// Applies a group payload (`payload` is the whole 1:1 payload) at `now`.
pub(crate) fn apply(
    tx: &mut Tx<'_>,
    sender: &IdentityKey,
    payload: &[u8],
    now: u64,
) -> Result<Event, StoreError> {
    match Payload::decode(payload)? {
        Payload::Distribution(d) => crate::groups::receive_distribution(tx, sender, d),
        Payload::Rosters(r) => crate::groups::receive_rosters(tx, sender, r, now),
        _ => Err(StoreError::InvalidPayload("not a group payload")),
    }
}

/// Keeps a payload that did not apply; the event says so.
pub(crate) fn keep(
    tx: &mut Tx<'_>,
    sender: &IdentityKey,
    payload: &[u8],
) -> Result<Event, StoreError> {
    if tx.count(Kind::Deferred)? >= MAX_DEFERRED_PAYLOADS {
        return Err(StoreError::InvalidPayload(
            "too many group payloads waiting",
        ));
    }
    let mut o = Out::default();
    o.bytes(&sender.to_field_bytes()).bytes(payload);
    let id = tx.key.index(b"deferred", &o.0);
    tx.put(Kind::Deferred, &id, &o.0)?;
    Ok(Event::Deferred { device: *sender })
}

/// Tries every kept payload again; returns the events of those that
/// applied (and are gone).
pub(crate) fn retry(tx: &mut Tx<'_>, now: u64) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    // Until nothing more applies: one payload may make room for another
    // (an invitation, then the chain key it enables).
    loop {
        let mut progressed = false;
        for (id, value) in tx.all(Kind::Deferred)? {
            let mut r = In(&value);
            let sender = IdentityKey::from_field_bytes(r.bytes()?)?;
            let payload = r.bytes()?.to_vec();
            r.finish()?;
            if let Ok(e) = apply(tx, &sender, &payload, now) {
                tx.delete(Kind::Deferred, &id)?;
                events.push(e);
                progressed = true;
            }
        }
        if !progressed {
            return Ok(events);
        }
    }
}
