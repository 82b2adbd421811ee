//! Group rosters (docs/PROTOCOL.md §15): who is in a group, signed by its
//! admins' account keys and hash-chained, so that the server can neither
//! add a member nor bring a removed one back. A `Roster` is an immutable
//! value: every change makes a new one.
//!
//! Locks: a roster has none. Calls that read an `Account` or a `Contact`
//! copy what they need under that object's lock and release it before
//! taking another.

use std::sync::Arc;

use qorgan::SenderKeyAnnouncement;
use qorgan::account::{AccountKey, DeviceList};
use qorgan::roster as rs;

use crate::account::{Account, Contact};
use crate::error::QorganError;
use crate::integer::{from_id, id_arg};
use crate::lock::{check_group_id, parse_account_key};

/// A member's role: only admins sign the next roster, so only an admin
/// adds, removes or promotes anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RosterRole {
    /// Reads and sends.
    Member,
    /// Also signs roster changes.
    Admin,
}

impl From<rs::Role> for RosterRole {
    fn from(r: rs::Role) -> Self {
        match r {
            rs::Role::Member => Self::Member,
            rs::Role::Admin => Self::Admin,
        }
    }
}

impl From<RosterRole> for rs::Role {
    fn from(r: RosterRole) -> Self {
        match r {
            RosterRole::Member => Self::Member,
            RosterRole::Admin => Self::Admin,
        }
    }
}

/// One member of a roster: an account (its 32-byte account key, as
/// `Account.account_key` and `Contact.account_key` return it) and its role.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterMember {
    /// The member's account key (32 bytes).
    pub account_key: Vec<u8>,
    /// Its role.
    pub role: RosterRole,
}

impl From<&rs::Member> for RosterMember {
    fn from(m: &rs::Member) -> Self {
        Self {
            account_key: m.account.to_bytes().to_vec(),
            role: m.role.into(),
        }
    }
}

fn members_of(members: &[rs::Member]) -> Vec<RosterMember> {
    members.iter().map(RosterMember::from).collect()
}

fn parse_member(m: &RosterMember) -> Result<rs::Member, QorganError> {
    Ok(rs::Member::new(
        parse_account_key(&m.account_key)?,
        m.role.into(),
    ))
}

pub(crate) fn parse_members(members: &[RosterMember]) -> Result<Vec<rs::Member>, QorganError> {
    members.iter().map(parse_member).collect()
}

/// The head of a roster: its epoch and hash (docs/PROTOCOL.md §15.2).
/// A rostered chain is announced under one head; group messages report it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterHead {
    /// The roster's epoch (1 for a group's first roster).
    pub epoch: i64,
    /// The roster's hash (32 bytes).
    pub hash: Vec<u8>,
}

impl From<qorgan::error::Head> for RosterHead {
    fn from(h: qorgan::error::Head) -> Self {
        Self {
            epoch: from_id(h.version),
            hash: h.hash.to_vec(),
        }
    }
}

/// A head as the crate takes it: `InvalidArgument` unless the hash is 32
/// bytes.
fn parse_roster_head(head: &RosterHead) -> Result<qorgan::error::Head, QorganError> {
    let hash: [u8; 32] =
        head.hash
            .as_slice()
            .try_into()
            .map_err(|_| QorganError::InvalidArgument {
                reason: format!("roster head hash must be 32 bytes, got {}", head.hash.len()),
            })?;
    Ok(qorgan::error::Head {
        version: id_arg(head.epoch),
        hash,
    })
}

/// What a roster update changed: show it ("Asel removed Dana"), then give
/// it to this device's `OutboundGroup.apply_roster`, which makes the next
/// message wait for a rotation. `before` equal to `after` means nothing
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterChange {
    /// The group.
    pub group_id: Vec<u8>,
    /// The head held before.
    pub before: RosterHead,
    /// The head held now.
    pub after: RosterHead,
    /// Members in the new roster and not in the old one.
    pub added: Vec<RosterMember>,
    /// Account keys in the old roster and not in the new one: they hold
    /// the group's current chains, so every sender must rotate.
    pub removed: Vec<Vec<u8>>,
    /// Members whose role changed, with their new role.
    pub role_changed: Vec<RosterMember>,
}

impl From<rs::RosterChange> for RosterChange {
    fn from(c: rs::RosterChange) -> Self {
        Self {
            group_id: c.group_id,
            before: c.from.into(),
            after: c.to.into(),
            added: members_of(&c.added),
            removed: c.removed.iter().map(|a| a.to_bytes().to_vec()).collect(),
            role_changed: members_of(&c.role_changed),
        }
    }
}

impl RosterChange {
    /// The crate's change record, every key and head checked.
    pub(crate) fn to_core(&self) -> Result<rs::RosterChange, QorganError> {
        Ok(rs::RosterChange {
            group_id: self.group_id.clone(),
            from: parse_roster_head(&self.before)?,
            to: parse_roster_head(&self.after)?,
            added: parse_members(&self.added)?,
            removed: self
                .removed
                .iter()
                .map(|k| parse_account_key(k))
                .collect::<Result<_, _>>()?,
            role_changed: parse_members(&self.role_changed)?,
        })
    }
}

/// The result of `Roster.advance`: the newest roster and what changed.
#[derive(Debug, uniffi::Record)]
pub struct RosterUpdate {
    /// The newest roster of the chain: hold it (and persist its bytes)
    /// instead of the one `advance` was called on.
    pub roster: Arc<Roster>,
    /// What changed, to show and to give to `OutboundGroup.apply_roster`.
    pub change: RosterChange,
}

/// A signed group roster: the group's members by account key, each a
/// member or an admin, at an epoch, signed by an admin of the previous
/// epoch and naming its hash. Hold the newest roster verified for each
/// group (persist `to_bytes()`, restore with `from_bytes`); move on with
/// `advance`.
#[derive(Debug, uniffi::Object)]
pub struct Roster {
    inner: rs::Roster,
}

impl Roster {
    pub(crate) fn wrap(inner: rs::Roster) -> Arc<Self> {
        Arc::new(Self { inner })
    }

    /// The crate's roster.
    pub(crate) fn core(&self) -> &rs::Roster {
        &self.inner
    }
}

/// The verified device list of the sender of a rostered chain: the
/// contact's (`contact`), or this account's own for a chain sent by
/// another device of this account (`None`). Copied under each object's
/// lock in turn.
pub(crate) fn sender_list(
    account: &Account,
    contact: Option<&Contact>,
) -> Result<(AccountKey, DeviceList), QorganError> {
    let me = account.public_key()?;
    Ok((me, sender_list_only(account, contact)?))
}

/// The sender's verified device list alone (see [`sender_list`]).
pub(crate) fn sender_list_only(
    account: &Account,
    contact: Option<&Contact>,
) -> Result<DeviceList, QorganError> {
    match contact {
        Some(c) => c.list_copy(),
        None => account.list_copy(),
    }
}

fn parse_chain(chain: &[Vec<u8>]) -> Result<Vec<rs::Roster>, QorganError> {
    chain
        .iter()
        .map(|r| rs::Roster::from_bytes(r).map_err(QorganError::from))
        .collect()
}

#[uniffi::export]
impl Roster {
    /// Epoch 1 of a new group's roster, listing `members` (at least one
    /// admin; at most 2048), signed by `admin`'s account key: `admin`'s
    /// account must be listed as an admin (`NotAdmin`) and this device
    /// must hold the account key (`NoAccountKey`). `group_id` at most 64
    /// bytes. Publish `to_bytes()` through the server.
    #[uniffi::constructor]
    pub fn create(
        admin: &Account,
        group_id: Vec<u8>,
        members: Vec<RosterMember>,
    ) -> Result<Arc<Self>, QorganError> {
        check_group_id(&group_id)?;
        let members = parse_members(&members)?;
        let roster = admin.with_key_pair(|key| Ok(rs::Roster::create(key, &group_id, members)?))?;
        Ok(Self::wrap(roster))
    }

    /// Decodes a roster and verifies its signature and rules (for epoch 1,
    /// that an admin signed it). Whether a later epoch's signer was an
    /// admin of the epoch before is checked by `advance` against that
    /// roster: to move on from a held roster, use `advance`, never this
    /// alone.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap(rs::Roster::from_bytes(&bytes)?))
    }

    /// Verifies a group's whole history, epoch 1 first (signed by one of
    /// its admins), each later roster signed by an admin of the one before
    /// and chained to it, passing through `invited` (the head of the
    /// roster a member invited this device under, over a 1:1 session);
    /// returns the newest. Anyone can sign an epoch 1 for any group id, so
    /// a history is only worth what anchors it: `InvalidRoster` when the
    /// chain does not contain `invited`.
    #[uniffi::constructor]
    pub fn from_history(
        chain: Vec<Vec<u8>>,
        invited: RosterHead,
    ) -> Result<Arc<Self>, QorganError> {
        let invited = parse_roster_head(&invited)?;
        Ok(Self::wrap(rs::Roster::from_history(
            &parse_chain(&chain)?,
            &invited,
        )?))
    }

    /// The next epoch, listing `members`, signed by `admin` (an admin of
    /// this roster: `NotAdmin` otherwise). Publish it, then `advance` to
    /// it like any other device.
    pub fn successor(
        &self,
        admin: &Account,
        members: Vec<RosterMember>,
    ) -> Result<Arc<Self>, QorganError> {
        let members = parse_members(&members)?;
        let next = admin.with_key_pair(|key| Ok(self.inner.successor(key, members)?))?;
        Ok(Self::wrap(next))
    }

    /// The next epoch with `account_key` added as `role` (or its role
    /// changed), signed by `admin`.
    pub fn with_member(
        &self,
        admin: &Account,
        account_key: Vec<u8>,
        role: RosterRole,
    ) -> Result<Arc<Self>, QorganError> {
        let account = parse_account_key(&account_key)?;
        let next =
            admin.with_key_pair(|key| Ok(self.inner.with_member(key, &account, role.into())?))?;
        Ok(Self::wrap(next))
    }

    /// The next epoch with `account_key` removed, signed by `admin`
    /// (`InvalidRoster` if it is not a member, or if it was the last admin).
    pub fn without_member(
        &self,
        admin: &Account,
        account_key: Vec<u8>,
    ) -> Result<Arc<Self>, QorganError> {
        let account = parse_account_key(&account_key)?;
        let next = admin.with_key_pair(|key| Ok(self.inner.without_member(key, &account)?))?;
        Ok(Self::wrap(next))
    }

    /// Moves from this roster to the newest of `chain` (the rosters after
    /// this one, ascending, as the server returned them; this one may
    /// lead; at most 64): every roster must be this group's, follow the
    /// one before and be signed by one of its admins. Returns the newest
    /// roster and what changed; this roster is unchanged. Refused:
    /// `RosterRolledBack`, `RosterFork` (show it), `RosterGap` (fetch the
    /// missing epochs), `SignerNotAdmin`, `WrongGroup`, and decoding or
    /// signature errors.
    pub fn advance(&self, chain: Vec<Vec<u8>>) -> Result<RosterUpdate, QorganError> {
        let (newest, change) = self.inner.advance(&parse_chain(&chain)?)?;
        Ok(RosterUpdate {
            roster: Self::wrap(newest),
            change: change.into(),
        })
    }

    /// Whether this device (of `account`) may take the chain that
    /// `announcement` (bytes, verified here) announces: announced for this
    /// group under this very roster, `account` a member, and the sending
    /// device in the verified device list of a member: `contact`'s (the
    /// sender's account), or `account`'s own when the sender is another
    /// device of this account (`None`). `GroupReceiver.new_in_roster`
    /// checks the same. Refused: `RosterBehind` (fetch rosters and
    /// `advance`), `StaleChain` (the sender has not rotated yet),
    /// `RosterFork`, `NotMember`, `SenderNotMember`, `WrongGroup`,
    /// `RosterMismatch` (a chain without a roster). Kotlin: pass objects
    /// that are still open.
    pub fn admit(
        &self,
        announcement: Vec<u8>,
        account: &Account,
        contact: Option<Arc<Contact>>,
    ) -> Result<(), QorganError> {
        let announcement = SenderKeyAnnouncement::from_bytes(&announcement)?;
        let (me, list) = sender_list(account, contact.as_deref())?;
        Ok(self.inner.admit(&announcement, &list, &me)?)
    }

    /// The encoding, signed (what the server stores and relays, and what
    /// `from_bytes` reads back).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// The head: epoch and hash.
    pub fn head(&self) -> RosterHead {
        self.inner.head().into()
    }

    /// The epoch (1 for the group's first roster).
    pub fn epoch(&self) -> i64 {
        from_id(self.inner.epoch())
    }

    /// The group.
    pub fn group_id(&self) -> Vec<u8> {
        self.inner.group_id().to_vec()
    }

    /// The hash of the previous roster (`None` for epoch 1).
    pub fn previous(&self) -> Option<Vec<u8>> {
        self.inner.previous().map(|p| p.to_vec())
    }

    /// The members, sorted by account key.
    pub fn members(&self) -> Vec<RosterMember> {
        members_of(self.inner.members())
    }

    /// The account key (32 bytes) of the admin who signed this roster.
    pub fn signer(&self) -> Vec<u8> {
        self.inner.signer().to_bytes().to_vec()
    }

    /// The role of `account_key`, or `None` if it is not a member.
    pub fn role_of(&self, account_key: Vec<u8>) -> Result<Option<RosterRole>, QorganError> {
        let account = parse_account_key(&account_key)?;
        Ok(self.inner.role_of(&account).map(RosterRole::from))
    }

    /// Whether `account_key` is a member.
    pub fn is_member(&self, account_key: Vec<u8>) -> Result<bool, QorganError> {
        let account = parse_account_key(&account_key)?;
        Ok(self.inner.is_member(&account))
    }
}
