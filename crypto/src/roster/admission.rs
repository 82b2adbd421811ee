//! Who may hold a rostered group's keys (docs/PROTOCOL.md §15.5): the
//! sender hands its chain only to devices of members, and a receiver takes
//! a chain only when the roster holds both it and the sender.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use rand_core::CryptoRng;

use super::signed::Roster;
use crate::account::{AccountKey, DeviceList};
use crate::error::{FanoutError, Head, RosterError};
use crate::group::{SenderKeyAnnouncement, SenderKeyDistribution};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey};
use crate::session::Session;

/// Where an announced roster head stands against the held roster.
enum Announced {
    /// The held roster itself.
    Held,
    /// An earlier epoch (the one just before the held one with the hash
    /// the held roster names; earlier ones cannot be checked).
    Earlier,
}

impl Roster {
    /// Compares a chain's roster head with this roster: a newer epoch is
    /// `RosterBehind`; the same epoch with another hash, or the epoch just
    /// before with another hash than this roster's `previous`, is a `Fork`.
    fn place(&self, announced: Head) -> Result<Announced, RosterError> {
        let held = self.head();
        if announced.version > held.version {
            return Err(RosterError::RosterBehind {
                held: held.version,
                announced: announced.version,
            });
        }
        if announced.version == held.version {
            if announced.hash != held.hash {
                return Err(RosterError::Fork {
                    held,
                    seen: announced,
                });
            }
            return Ok(Announced::Held);
        }
        if let Some(previous) = self.previous()
            && announced.version.checked_add(1) == Some(held.version)
            && announced.hash != previous
        {
            return Err(RosterError::Fork {
                held: Head {
                    version: announced.version,
                    hash: previous,
                },
                seen: announced,
            });
        }
        Ok(Announced::Earlier)
    }

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
        if let Announced::Earlier = self.place(announced)? {
            return Err(RosterError::StaleChain {
                held: self.epoch(),
                announced: announced.version,
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
        self.place(announced)?;
        if !self.is_member(sender.account()) || !sender.contains(&announcement.sender) {
            return Err(RosterError::SenderNotMember);
        }
        Ok(())
    }

    /// Whether `device` (its whole identity, both keys) is in one of
    /// `lists` whose account is a member.
    pub fn lists_device(&self, lists: &[&DeviceList], device: &IdentityKey) -> bool {
        self.member_devices(lists)
            .contains(&device.to_field_bytes())
    }

    /// The identities (both keys, as `ADMIT` compares them) of every device
    /// in `lists` whose account is a member: built once, so a fan-out is
    /// linear in devices.
    fn member_devices(&self, lists: &[&DeviceList]) -> BTreeSet<[u8; IDENTITY_KEY_LEN]> {
        lists
            .iter()
            .filter(|l| self.is_member(l.account()))
            .flat_map(|l| l.devices().iter())
            .map(|d| d.identity.to_field_bytes())
            .collect()
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
    let announced = a.roster.ok_or(RosterError::RosterMismatch)?;
    if let Announced::Earlier = roster.place(announced)? {
        return Err(RosterError::StaleChain {
            held: roster.epoch(),
            announced: announced.version,
        });
    }
    let bytes = distribution.to_bytes();
    let devices = roster.member_devices(lists);
    Ok(sessions
        .iter_mut()
        .map(|s| {
            if devices.contains(&s.remote_identity().to_field_bytes()) {
                s.encrypt(rng, &bytes).map_err(FanoutError::from)
            } else {
                Err(FanoutError::NotInRoster)
            }
        })
        .collect())
}
