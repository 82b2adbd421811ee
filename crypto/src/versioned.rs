//! Hash-chained, versioned objects (device lists §14.3, group rosters §15.3):
//! each version names the hash of the one before, so a holder can tell an
//! update from a rollback, a gap or a fork. One walker serves both, so the
//! two chains cannot drift apart in what they accept.

use crate::error::Head;

/// An object in a hash chain: its own head (version and hash) and the hash
/// of the version before it (32 zero bytes for version 1).
pub(crate) trait Versioned {
    fn head(&self) -> Head;
    fn previous_hash(&self) -> [u8; 32];
    /// Whether `other` is a version of the same chain (same account, same
    /// group).
    fn same_chain(&self, other: &Self) -> bool;
}

/// Why a chain was refused, before any object-specific rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WalkError {
    /// An element belongs to another chain.
    OtherChain,
    /// An element older than the held (or already walked) head.
    RolledBack { held: u64, offered: u64 },
    /// Two different objects claim one place in the chain.
    Fork { held: Head, seen: Head },
    /// Versions between the held one and the offered one are missing.
    Gap { from: u64, to: u64 },
}

/// Walks `chain` (ascending versions; the first one the held version or the
/// next) from `held` and returns the newest element. `step(previous, next)`
/// is called for every direct successor, after continuity is established,
/// for the object's own rules (a roster's signer must be an admin of the
/// previous roster). Pure: the caller commits.
pub(crate) fn walk<'a, T: Versioned, E: From<WalkError>>(
    held: &'a T,
    chain: &'a [T],
    mut step: impl FnMut(&T, &T) -> Result<(), E>,
) -> Result<&'a T, E> {
    let mut newest = held;
    for next in chain {
        if !held.same_chain(next) {
            return Err(WalkError::OtherChain.into());
        }
        let h = newest.head();
        let seen = next.head();
        if seen.version < h.version {
            return Err(WalkError::RolledBack {
                held: h.version,
                offered: seen.version,
            }
            .into());
        }
        if seen.version == h.version {
            if seen.hash != h.hash {
                return Err(WalkError::Fork { held: h, seen }.into());
            }
            continue;
        }
        if Some(seen.version) != h.version.checked_add(1) {
            return Err(WalkError::Gap {
                from: h.version.saturating_add(1),
                to: seen.version,
            }
            .into());
        }
        if next.previous_hash() != h.hash {
            // The chain claims another object at the held version.
            return Err(WalkError::Fork {
                held: h,
                seen: Head {
                    version: h.version,
                    hash: next.previous_hash(),
                },
            }
            .into());
        }
        step(newest, next)?;
        newest = next;
    }
    Ok(newest)
}

/// Whether `next` directly follows the object with head `previous`.
pub(crate) fn follows<T: Versioned>(next: &T, previous: &Head) -> bool {
    Some(next.head().version) == previous.version.checked_add(1)
        && next.previous_hash() == previous.hash
}
