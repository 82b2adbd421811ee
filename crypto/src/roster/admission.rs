//! Who may hold a rostered group's keys (docs/PROTOCOL.md §15.5): the
//! sender hands its chain only to devices of members, and a receiver takes
//! a chain only when the roster holds both it and the sender.

use alloc::vec::Vec;
use rand_core::CryptoRng;

use super::signed::Roster;
use crate::account::{AccountKey, DeviceList};
use crate::error::{FanoutError, RosterError};
use crate::group::{SenderKeyAnnouncement, SenderKeyDistribution};
use crate::identity::IdentityKey;
use crate::session::Session;

impl Roster {
    /// Whether this device (of account `me`) may take the chain
    /// `announcement` announces: the announcement is for this group and
    /// this very roster (same epoch and hash; a newer epoch asks the caller
    /// to fetch rosters, an older one means the sender has not rotated, the
    /// same epoch with another hash is a fork), `me` is a member, and the
    /// sending device is in `sender`, the verified device list of a member
    /// (from its [`Contact`](crate::account::Contact), or this account's own
    /// list for another device of this account).
    pub fn admit(
        &self,
        announcement: &SenderKeyAnnouncement,
        sender: &DeviceList,
        me: &AccountKey,
    ) -> Result<(), RosterError> {
        if announcement.group_id != self.group_id() {
            return Err(RosterError::WrongGroup);
        }
        let announced = announcement.roster.ok_or(RosterError::RosterMismatch)?;
        let held = self.head();
        if announced.version > held.version {
            return Err(RosterError::RosterBehind {
                held: held.version,
                announced: announced.version,
            });
        }
        if announced.version < held.version {
            return Err(RosterError::StaleChain {
                held: held.version,
                announced: announced.version,
            });
        }
        if announced.hash != held.hash {
            return Err(RosterError::Fork {
                held,
                seen: announced,
            });
        }
        if !self.is_member(me) {
            return Err(RosterError::NotMember);
        }
        if !self.is_member(sender.account()) || !sender.contains(&announcement.sender) {
            return Err(RosterError::SenderNotMember);
        }
        Ok(())
    }

    /// Whether a message of the chain `announcement` (already held) may
    /// still be read under this roster: the chain was announced under this
    /// roster or an earlier epoch of the group (messages sent before a
    /// change arrive after it), the same epoch means the same hash, and
    /// the sender is still a member whose verified list `sender` names the
    /// sending device. A member removed since keeps its old chain key but
    /// is refused here.
    pub fn check_sender(
        &self,
        announcement: &SenderKeyAnnouncement,
        sender: &DeviceList,
    ) -> Result<(), RosterError> {
        if announcement.group_id != self.group_id() {
            return Err(RosterError::WrongGroup);
        }
        let announced = announcement.roster.ok_or(RosterError::RosterMismatch)?;
        let held = self.head();
        if announced.version > held.version {
            return Err(RosterError::RosterBehind {
                held: held.version,
                announced: announced.version,
            });
        }
        if announced.version == held.version && announced.hash != held.hash {
            return Err(RosterError::Fork {
                held,
                seen: announced,
            });
        }
        if !self.is_member(sender.account()) || !sender.contains(&announcement.sender) {
            return Err(RosterError::SenderNotMember);
        }
        Ok(())
    }

    /// Whether `device` is in one of `lists` whose account is a member.
    pub fn lists_device(&self, lists: &[&DeviceList], device: &IdentityKey) -> bool {
        lists
            .iter()
            .any(|l| self.is_member(l.account()) && l.contains(device))
    }
}

/// Encrypts a rostered chain's distribution for every session whose device
/// is in a verified device list (`lists`: the contacts' and this account's
/// own) of a member of `roster`: one result per session, in order. A
/// session with any other device (one the server enrolled, a removed
/// member's) gets `FanoutError::NotInRoster` and nothing is encrypted for
/// it. Refused as a whole when the distribution is not announced under
/// this roster.
pub fn distribute_in_roster<R: CryptoRng + ?Sized>(
    rng: &mut R,
    distribution: &SenderKeyDistribution,
    roster: &Roster,
    lists: &[&DeviceList],
    sessions: &mut [&mut Session],
) -> Result<Vec<Result<Vec<u8>, FanoutError>>, RosterError> {
    let a = &distribution.announcement;
    if a.group_id != roster.group_id() {
        return Err(RosterError::WrongGroup);
    }
    match a.roster {
        Some(head) if head == roster.head() => {}
        Some(head) if head.version > roster.head().version => {
            return Err(RosterError::RosterBehind {
                held: roster.epoch(),
                announced: head.version,
            });
        }
        Some(head) if head.version == roster.head().version => {
            return Err(RosterError::Fork {
                held: roster.head(),
                seen: head,
            });
        }
        Some(head) => {
            return Err(RosterError::StaleChain {
                held: roster.epoch(),
                announced: head.version,
            });
        }
        None => return Err(RosterError::RosterMismatch),
    }
    let bytes = distribution.to_bytes();
    Ok(sessions
        .iter_mut()
        .map(|s| {
            if roster.lists_device(lists, s.remote_identity()) {
                s.encrypt(rng, &bytes).map_err(FanoutError::from)
            } else {
                Err(FanoutError::NotInRoster)
            }
        })
        .collect())
}
