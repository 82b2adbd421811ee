//! Group rosters (docs/PROTOCOL.md §15): who is in a group.
//!
//! A [`Roster`] names a group's members by account key, each a
//! [`Role::Member`] or a [`Role::Admin`], at an epoch; it is signed by an
//! admin of the previous epoch (of itself, for epoch 1) and names the hash
//! of the previous roster, so the server, which stores and relays rosters,
//! can neither add a member nor bring a removed one back. A device holds
//! the newest roster it verified and moves on with [`Roster::advance`],
//! which refuses rollbacks and reports forks as device lists do.
//!
//! Sender-key chains of a rostered group are bound to one roster: the
//! chain's announcement carries the roster head and every message
//! signature covers it. A sender hands its chain only to devices in the
//! verified device lists of members ([`distribute_in_roster`]); a receiver
//! takes a chain only when the roster holds both it and the sender
//! ([`Roster::admit`], used by `InboundGroupSession::new_in_roster`); any
//! roster change forces the sender onto a new chain
//! (`OutboundGroupSession::apply_roster`).

mod admission;
mod member;
mod signed;
mod update;

pub use admission::distribute_in_roster;
pub use member::{Member, Role};
pub use signed::{MAX_ROSTER_LEN, Roster};
pub use update::RosterChange;
pub(crate) use update::signed_by_admin_of;
