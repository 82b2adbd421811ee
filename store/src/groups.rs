//! Groups through the store (docs/PROTOCOL.md §17.3): the held roster,
//! this device's chain and who has it, the other members' chains; group
//! messages through the outbox and the inbox.

use qorgan::account::{AccountKey, DeviceList};
use qorgan::roster::{Member, Roster};
use qorgan::{
    IdentityKey, OutboundGroupSession, RosterError, RotationPolicy, SenderKeyDistribution,
    SenderKeyRing,
};

use crate::StoreError;
use crate::account::{Account, contact_of, list_of, load_own};
use crate::db::{Kind, Mailbox, Tx};
use crate::direct::{Delivery, send_to};
use crate::mail::{Destination, Event, Incoming, Outgoing};
use crate::payload::Payload;
use crate::record::{In, Out};

/// What one group send produced, all of it already in the outbox.
#[derive(Debug)]
pub struct GroupSend {
    /// The group message (for every member's devices).
    pub message: Outgoing,
    /// This device's chain key, for member devices that did not have it
    /// yet (after a rotation: all of them).
    pub distributions: Vec<Outgoing>,
    /// Member devices with no session yet: they cannot read this message.
    /// Fetch their bundles, `start_session`, and send again.
    pub missing: Vec<IdentityKey>,
}

fn group_id_key(tx: &Tx<'_>, group: &[u8]) -> [u8; 32] {
    tx.key.index(b"group", group)
}

fn ring_key(tx: &Tx<'_>, group: &[u8], sender: &IdentityKey) -> [u8; 32] {
    tx.key
        .index(b"ring", &[group, sender.signing_key().as_bytes()].concat())
}

pub(crate) fn load_roster(tx: &Tx<'_>, group: &[u8]) -> Result<Option<Roster>, StoreError> {
    tx.get(Kind::Roster, &group_id_key(tx, group))?
        .map(|b| Roster::from_bytes(&b).map_err(StoreError::from))
        .transpose()
}

fn save_roster(tx: &mut Tx<'_>, roster: &Roster) -> Result<(), StoreError> {
    let id = group_id_key(tx, roster.group_id());
    tx.put(Kind::Roster, &id, &roster.to_bytes())
}

fn load_outbound(tx: &Tx<'_>, group: &[u8]) -> Result<Option<OutboundGroupSession>, StoreError> {
    tx.get(Kind::Outbound, &group_id_key(tx, group))?
        .map(|b| OutboundGroupSession::from_bytes(&b).map_err(StoreError::from))
        .transpose()
}

fn save_outbound(tx: &mut Tx<'_>, s: &OutboundGroupSession) -> Result<(), StoreError> {
    let id = group_id_key(tx, s.group_id());
    tx.put(Kind::Outbound, &id, &s.to_bytes())
}

/// The devices the current chain (by id) was handed to.
fn load_distributed(tx: &Tx<'_>, group: &[u8], chain: u32) -> Result<Vec<[u8; 32]>, StoreError> {
    let Some(v) = tx.get(Kind::Distributed, &group_id_key(tx, group))? else {
        return Ok(Vec::new());
    };
    let mut r = In(&v);
    if r.u32()? != chain {
        return Ok(Vec::new());
    }
    let n = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(r.array()?);
    }
    r.finish()?;
    Ok(out)
}

fn save_distributed(
    tx: &mut Tx<'_>,
    group: &[u8],
    chain: u32,
    devices: &[[u8; 32]],
) -> Result<(), StoreError> {
    let mut o = Out::default();
    o.u32(chain)
        .u32(u32::try_from(devices.len()).unwrap_or(u32::MAX));
    for d in devices {
        o.0.extend_from_slice(d);
    }
    let id = group_id_key(tx, group);
    tx.put(Kind::Distributed, &id, &o.0)
}

/// Every device of every member (this account's other devices included,
/// this device excluded), from verified lists only.
fn member_devices(
    tx: &Tx<'_>,
    roster: &Roster,
    me: &IdentityKey,
) -> Result<Vec<IdentityKey>, StoreError> {
    let own = load_own(tx)?;
    let mut lists: Vec<DeviceList> = Vec::new();
    if roster.is_member(own.account_key()) {
        lists.push(own.list().clone());
    }
    for (_, plain) in tx.all(Kind::Contact)? {
        let c = qorgan::account::Contact::from_bytes(&plain)?;
        if roster.is_member(c.account()) {
            lists.push(c.list().clone());
        }
    }
    Ok(lists
        .iter()
        .flat_map(|l| l.devices().iter().map(|d| d.identity))
        .filter(|d| !d.ct_eq(me))
        .collect())
}

impl Account {
    /// Creates a group with this account as its first admin and `members`
    /// (this account is added as an admin if absent). Returns the roster to
    /// publish; members learn it from [`invite`](Self::invite).
    pub fn create_group(
        &mut self,
        group: &[u8],
        members: &[Member],
        now: u64,
    ) -> Result<Roster, StoreError> {
        self.write(|tx| {
            if load_roster(tx, group)?.is_some() {
                return Err(StoreError::Roster(RosterError::InvalidRoster(
                    "group exists",
                )));
            }
            let own = load_own(tx)?;
            let mut all: Vec<Member> = members
                .iter()
                .filter(|m| m.account != *own.account_key())
                .copied()
                .collect();
            all.push(Member::new(*own.account_key(), qorgan::roster::Role::Admin));
            let roster = Roster::create(own.key_pair()?, group, all)?;
            let outbound = OutboundGroupSession::new_in_roster(
                tx.rng,
                &roster,
                own.account_key(),
                RotationPolicy::DEFAULT,
                now,
            )?;
            save_roster(tx, &roster)?;
            save_outbound(tx, &outbound)?;
            Ok(roster)
        })
    }

    /// Changes a group's members (this account must be an admin): signs
    /// the next roster, forces this device's chain to rotate, and queues
    /// the roster for every remaining member device with a session.
    /// Returns the new roster (to publish) and what was queued.
    pub fn change_members(
        &mut self,
        group: &[u8],
        members: &[Member],
    ) -> Result<(Roster, Vec<Outgoing>), StoreError> {
        let me = *self.identity();
        self.write(|tx| {
            let held = load_roster(tx, group)?.ok_or(StoreError::NotFound("group"))?;
            let own = load_own(tx)?;
            let next = held.successor(own.key_pair()?, members.to_vec())?;
            let out = apply_roster(tx, &held, std::slice::from_ref(&next))?;
            let _ = out;
            let mut queued = Vec::new();
            let body = rosters_payload(std::slice::from_ref(&next));
            for device in member_devices(tx, &next, &me)? {
                if let Ok(o) = send_to(tx, &device, &Payload::Rosters(&body)) {
                    queued.push(o);
                }
            }
            Ok((next, queued))
        })
    }

    /// Sends the group's roster to `device` (a new member's, over an
    /// existing session): its app learns the group from it.
    pub fn invite(&mut self, group: &[u8], device: &IdentityKey) -> Result<Outgoing, StoreError> {
        self.write(|tx| {
            let roster = load_roster(tx, group)?.ok_or(StoreError::NotFound("group"))?;
            let body = rosters_payload(std::slice::from_ref(&roster));
            send_to(tx, device, &Payload::Rosters(&body))
        })
    }

    /// The roster held for a group.
    pub fn roster(&mut self, group: &[u8]) -> Result<Option<Roster>, StoreError> {
        self.write(|tx| load_roster(tx, group))
    }

    /// Encrypts a group message: rotates first if the roster changed or the
    /// policy requires it, hands the chain to member devices that lack it
    /// (over their sessions), then queues the group message. Everything is
    /// in the outbox before this returns.
    pub fn group_encrypt(
        &mut self,
        group: &[u8],
        plaintext: &[u8],
        now: u64,
    ) -> Result<GroupSend, StoreError> {
        let me = *self.identity();
        self.write(|tx| {
            let roster = load_roster(tx, group)?.ok_or(StoreError::NotFound("group"))?;
            let mut outbound =
                load_outbound(tx, group)?.ok_or(StoreError::NotFound("group chain"))?;
            if outbound.rotation_due(now).is_some() {
                outbound.rotate(tx.rng, now)?;
            }
            let device = crate::account::load_device(tx)?;
            let mut have = load_distributed(tx, group, outbound.chain_id())?;
            let distribution = outbound.distribution(device.identity());
            let body = distribution.to_bytes();
            let mut distributions = Vec::new();
            let mut missing = Vec::new();
            for d in member_devices(tx, &roster, &me)? {
                let key = *d.signing_key().as_bytes();
                if have.contains(&key) {
                    continue;
                }
                match send_to(tx, &d, &Payload::Distribution(&body)) {
                    Ok(o) => {
                        distributions.push(o);
                        have.push(key);
                    }
                    Err(StoreError::NoSession) => missing.push(d),
                    Err(e) => return Err(e),
                }
            }
            save_distributed(tx, group, outbound.chain_id(), &have)?;
            let bytes = outbound.encrypt(tx.rng, device.identity(), plaintext)?;
            save_outbound(tx, &outbound)?;
            let to = Destination::Group(group.to_vec());
            let id = tx.append(Mailbox::Outbox, &Outgoing::encode(&to, &bytes))?;
            Ok(GroupSend {
                message: Outgoing { id, to, bytes },
                distributions,
                missing,
            })
        })
    }

    /// Decrypts a group message the server says `from` sent in `group`:
    /// the sender's chain must be held and the sender still a member of
    /// the held roster; the plaintext goes into the inbox.
    pub fn group_decrypt(
        &mut self,
        group: &[u8],
        from: &IdentityKey,
        message: &[u8],
    ) -> Result<Delivery, StoreError> {
        self.write(|tx| {
            let roster = load_roster(tx, group)?.ok_or(StoreError::NotFound("group"))?;
            let key = ring_key(tx, group, from);
            let plain = tx
                .get(Kind::Ring, &key)?
                .ok_or(StoreError::NotFound("sender chain"))?;
            let mut ring = SenderKeyRing::from_bytes(&plain)?;
            let list =
                list_of(tx, from)?.ok_or(StoreError::Roster(RosterError::SenderNotMember))?;
            let pt = match ring.decrypt_in_roster(message, &roster, &list) {
                Ok(pt) => pt,
                Err(qorgan::GroupError::Decrypt(qorgan::DecryptError::Duplicate { .. })) => {
                    return Ok(Delivery::Duplicate);
                }
                Err(e) => return Err(e.into()),
            };
            tx.put(Kind::Ring, &key, &ring.to_bytes())?;
            let incoming = Incoming {
                id: 0,
                from: pt.sender,
                group: Some(group.to_vec()),
                session: None,
                plaintext: pt.plaintext,
            };
            let mut stored = crate::inbox::commit(tx, vec![incoming])?;
            stored
                .pop()
                .map(Delivery::Message)
                .ok_or(StoreError::NotFound("inbox entry"))
        })
    }
}

/// `u32 n || n × (u32 len || roster)`.
fn rosters_payload(chain: &[Roster]) -> Vec<u8> {
    let mut o = Out::default();
    o.u32(u32::try_from(chain.len()).unwrap_or(u32::MAX));
    for r in chain {
        o.bytes(&r.to_bytes());
    }
    o.0
}

/// Moves the held roster along `chain` and tells this device's chain.
fn apply_roster(tx: &mut Tx<'_>, held: &Roster, chain: &[Roster]) -> Result<Roster, StoreError> {
    let (next, change) = held.advance(chain)?;
    if change.is_empty() {
        return Ok(next);
    }
    // Every check before the first write: a refusal leaves nothing.
    let outbound = match load_outbound(tx, held.group_id())? {
        Some(mut outbound) => {
            outbound.apply_roster(&change)?;
            Some(outbound)
        }
        None => None,
    };
    save_roster(tx, &next)?;
    if let Some(outbound) = outbound {
        save_outbound(tx, &outbound)?;
    }
    Ok(next)
}

/// A roster (chain) from a member's device: an update of a held group, or
/// an invitation to a new one (trusted from the inviting member, who must
/// be in it, as must this account).
pub(crate) fn receive_rosters(
    tx: &mut Tx<'_>,
    sender: &IdentityKey,
    body: &[u8],
    now: u64,
) -> Result<Event, StoreError> {
    let malformed = |_| StoreError::InvalidPayload("rosters");
    let mut r = In(body);
    let n = r.u32().map_err(malformed)? as usize;
    if n == 0 || n > qorgan::limits::MAX_ROSTER_CHAIN {
        return Err(StoreError::InvalidPayload("roster count"));
    }
    let mut chain = Vec::with_capacity(n);
    for _ in 0..n {
        chain.push(Roster::from_bytes(r.bytes().map_err(malformed)?)?);
    }
    r.finish()
        .map_err(|_| StoreError::InvalidPayload("rosters"))?;
    let newest = chain
        .last()
        .ok_or(StoreError::InvalidPayload("roster count"))?
        .clone();
    let group = newest.group_id().to_vec();
    let next = match load_roster(tx, &group)? {
        Some(held) => apply_roster(tx, &held, &chain)?,
        None => {
            let own = load_own(tx)?;
            let inviter =
                list_of(tx, sender)?.ok_or(StoreError::Roster(RosterError::SenderNotMember))?;
            if !newest.is_member(own.account_key()) {
                return Err(RosterError::NotMember.into());
            }
            if !newest.is_member(inviter.account()) {
                return Err(RosterError::SenderNotMember.into());
            }
            save_roster(tx, &newest)?;
            let outbound = OutboundGroupSession::new_in_roster(
                tx.rng,
                &newest,
                own.account_key(),
                RotationPolicy::DEFAULT,
                now,
            )?;
            save_outbound(tx, &outbound)?;
            newest
        }
    };
    Ok(Event::RosterChanged {
        group,
        epoch: next.epoch(),
    })
}

/// A member's chain key, checked against the held roster.
pub(crate) fn receive_distribution(
    tx: &mut Tx<'_>,
    sender: &IdentityKey,
    body: &[u8],
) -> Result<Event, StoreError> {
    let d = SenderKeyDistribution::from_bytes(body)?;
    let group = d.announcement().group_id.clone();
    let roster = load_roster(tx, &group)?.ok_or(StoreError::NotFound("group"))?;
    let list = list_of(tx, sender)?.ok_or(StoreError::Roster(RosterError::SenderNotMember))?;
    let me: AccountKey = *load_own(tx)?.account_key();
    let key = ring_key(tx, &group, sender);
    let ring = match tx.get(Kind::Ring, &key)? {
        Some(plain) => {
            let mut ring = SenderKeyRing::from_bytes(&plain)?;
            ring.add_in_roster(&d, sender, &roster, &list, &me)?;
            ring
        }
        None => SenderKeyRing::new_in_roster(&d, sender, &roster, &list, &me)?,
    };
    tx.put(Kind::Ring, &key, &ring.to_bytes())?;
    let _ = contact_of;
    Ok(Event::GroupKey {
        group,
        sender: *sender,
    })
}

/// A member's account lost devices: every held group it is a member of
/// must rotate this device's chain before the next message (the removed
/// device holds it).
pub(crate) fn member_lost_devices(tx: &mut Tx<'_>, account: &AccountKey) -> Result<(), StoreError> {
    for (id, plain) in tx.all(Kind::Outbound)? {
        let mut outbound = OutboundGroupSession::from_bytes(&plain)?;
        let Some(roster) = load_roster(tx, outbound.group_id())? else {
            continue;
        };
        if roster.is_member(account) {
            outbound.mark_member_removed();
            tx.put(Kind::Outbound, &id, &outbound.to_bytes())?;
        }
    }
    Ok(())
}
