//! Moving from a held roster to a newer one (docs/PROTOCOL.md §15.3).

use alloc::vec::Vec;

use super::member::{Member, Role};
use super::signed::Roster;
use crate::account::AccountKey;
use crate::error::{Head, RosterError, VerifyError};
use crate::limits::MAX_ROSTER_CHAIN;
use crate::versioned::{Versioned, WalkError, walk};

/// What a roster update changed: shown to the user ("Asel added Dana"),
/// and given to the group's outbound session, which must then rotate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterChange {
    /// The group.
    pub group_id: Vec<u8>,
    /// The head held before.
    pub from: Head,
    /// The head held now.
    pub to: Head,
    /// Members in the new roster and not in the old one.
    pub added: Vec<Member>,
    /// Accounts in the old roster and not in the new one: they hold the
    /// group's current chains, so every sender must rotate.
    pub removed: Vec<AccountKey>,
    /// Members whose role changed (with their new role).
    pub role_changed: Vec<Member>,
}

impl RosterChange {
    /// Whether nothing changed (the chain held only the roster already
    /// held).
    pub fn is_empty(&self) -> bool {
        self.from == self.to
    }
}

impl Roster {
    /// Walks `chain` (ascending epochs, the first one the held epoch or the
    /// next) from this roster; returns the newest roster and what changed,
    /// or the first reason to refuse: another group, a rollback, a gap, a
    /// fork (two rosters for one epoch), or a roster whose signer is not an
    /// admin of the roster before it. Pure: the caller keeps the result.
    pub fn advance(&self, chain: &[Roster]) -> Result<(Roster, RosterChange), RosterError> {
        if chain.len() > MAX_ROSTER_CHAIN {
            return Err(RosterError::InvalidRoster(
                "chain longer than MAX_ROSTER_CHAIN",
            ));
        }
        let newest = walk(self, chain, |previous, next| {
            signed_by_admin_of(next, previous).map_err(RosterError::from)
        })?;
        let change = self.change_to(newest);
        Ok((newest.clone(), change))
    }

    /// Verifies a whole history, from epoch 1 (whose signer must be one of
    /// its admins) to the newest, that passes through `invited`: the head
    /// of the roster a member invited this device under (over a 1:1
    /// session). Anyone can sign an epoch 1 for any group id, so a history
    /// fetched from the server proves nothing by itself; anchored at the
    /// inviter's head, it shows every change since the group began.
    pub fn from_history(chain: &[Roster], invited: &Head) -> Result<Roster, RosterError> {
        if !chain.iter().any(|r| r.head() == *invited) {
            return Err(RosterError::InvalidRoster(
                "history does not contain the roster invited under",
            ));
        }
        let Some(first) = chain.first() else {
            return Err(RosterError::InvalidRoster(
                "history does not contain the roster invited under",
            ));
        };
        if first.epoch() != 1 {
            return Err(RosterError::Gap {
                from: 1,
                to: first.epoch(),
            });
        }
        first.check_genesis_signer()?;
        // A group may have any number of epochs: walk them in windows of
        // `MAX_ROSTER_CHAIN`, each from the newest of the one before.
        let mut held = first.clone();
        for window in chain.get(1..).unwrap_or_default().chunks(MAX_ROSTER_CHAIN) {
            held = held.advance(window)?.0;
        }
        Ok(held)
    }

    fn change_to(&self, newest: &Roster) -> RosterChange {
        let added = newest
            .members()
            .iter()
            .filter(|m| !self.is_member(&m.account))
            .copied()
            .collect();
        let removed = self
            .members()
            .iter()
            .filter(|m| !newest.is_member(&m.account))
            .map(|m| m.account)
            .collect();
        let role_changed = newest
            .members()
            .iter()
            .filter(|m| self.role_of(&m.account).is_some_and(|r| r != m.role))
            .copied()
            .collect();
        RosterChange {
            group_id: self.group_id().to_vec(),
            from: self.head(),
            to: newest.head(),
            added,
            removed,
            role_changed,
        }
    }
}

/// §15.1: a roster after epoch 1 is signed by an admin of the roster it
/// follows.
pub(crate) fn signed_by_admin_of(next: &Roster, previous: &Roster) -> Result<(), VerifyError> {
    if previous.role_of(next.signer()) == Some(Role::Admin) {
        Ok(())
    } else {
        Err(VerifyError::SignerNotAdmin)
    }
}

impl Versioned for Roster {
    fn head(&self) -> Head {
        Roster::head(self)
    }

    fn previous_hash(&self) -> [u8; 32] {
        self.previous().unwrap_or([0; 32])
    }

    fn same_chain(&self, other: &Self) -> bool {
        self.group_id() == other.group_id()
    }
}

impl From<WalkError> for RosterError {
    fn from(e: WalkError) -> Self {
        match e {
            WalkError::OtherChain => Self::WrongGroup,
            WalkError::RolledBack { held, offered } => Self::RolledBack { held, offered },
            WalkError::Fork { held, seen } => Self::Fork { held, seen },
            WalkError::Gap { from, to } => Self::Gap { from, to },
        }
    }
}
