//! Rotation and expiry of the signed prekey and the last-resort ML-KEM
//! prekey (docs/PROTOCOL.md §4.9).
//!
//! Times are the caller's clock in seconds (Unix time on devices); they
//! only date prekeys. A prekey is *retired* when its successor is made, at
//! the successor's `created_at` (or, for keys migrated undated from older
//! store versions, at the first later key that is dated). A clock that goes
//! backwards makes ages read 0 (`saturating_sub`): keys then rotate late,
//! never early.

use alloc::collections::{BTreeSet, VecDeque};
use rand_core::CryptoRng;

use super::{KemPreKeyRecord, PreKeyStore, SignedPreKeyRecord};
use crate::limits::{
    MAX_REMEMBERED_HANDSHAKES, MAX_RETIRED_PREKEY_AGE_SECS, MAX_RETIRED_SIGNED_PREKEYS,
    PREKEY_ROTATION_SECS, ROLLBACK_ID_JUMP,
};
use crate::prekey::{KemPreKey, KemPreKeyKind, PreKeyId, SignedPreKey};
use crate::primitives::kem::KemSecretKey;
use crate::primitives::x25519::X25519SecretKey;

/// Something dated by when it was made, in a list ordered oldest first.
pub(super) trait Dated {
    fn created_at(&self) -> u64;
}

impl Dated for SignedPreKeyRecord {
    fn created_at(&self) -> u64 {
        self.created_at
    }
}

impl Dated for KemPreKeyRecord {
    fn created_at(&self) -> u64 {
        self.created_at
    }
}

/// When the key at `index` of `list` was retired: the date of the first
/// later key that has one (`created_at` 0 means undated: keys migrated from
/// store versions 1 and 2). `None` while it is current, or while no later
/// key is dated (a migrated store starts its keys' clocks at its first
/// rotation, rather than expiring them all at once).
fn retired_at<T: Dated>(list: &VecDeque<T>, index: usize) -> Option<u64> {
    list.iter()
        .skip(index + 1)
        .map(Dated::created_at)
        .find(|at| *at != 0)
}

/// Whether the key at `index` of `list` was retired at least
/// `MAX_RETIRED_PREKEY_AGE_SECS` before `now`.
pub(super) fn expired<T: Dated>(list: &VecDeque<T>, index: usize, now: u64) -> bool {
    retired_at(list, index).is_some_and(|at| now.saturating_sub(at) >= MAX_RETIRED_PREKEY_AGE_SECS)
}

/// Drops every expired retired key, then the oldest past the count limit;
/// returns how many.
fn drop_old<T: Dated>(list: &mut VecDeque<T>, now: u64) -> usize {
    let before = list.len();
    let keep: alloc::vec::Vec<bool> = (0..list.len()).map(|i| !expired(list, i, now)).collect();
    let mut flags = keep.iter();
    list.retain(|_| flags.next().copied().unwrap_or(true));
    while list.len() > MAX_RETIRED_SIGNED_PREKEYS + 1 {
        list.pop_front();
    }
    before - list.len()
}

fn due<T: Dated>(list: &VecDeque<T>, now: u64) -> bool {
    list.back()
        .is_none_or(|current| now.saturating_sub(current.created_at()) >= PREKEY_ROTATION_SECS)
}

impl PreKeyStore {
    pub(super) fn take_id(next: &mut PreKeyId) -> PreKeyId {
        let id = *next;
        *next = next.wrapping_add(1).max(1);
        id
    }

    /// Makes a new current signed prekey at `now`; the previous one is
    /// retired, still accepted for [`MAX_RETIRED_PREKEY_AGE_SECS`] (and while
    /// at most [`MAX_RETIRED_SIGNED_PREKEYS`] are retired), then deleted.
    pub fn rotate_signed_prekey<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: u64,
    ) -> SignedPreKey {
        let id = Self::take_id(&mut self.next_signed_id);
        let secret = X25519SecretKey::generate(rng);
        let public = SignedPreKey::sign(&self.identity, id, secret.public_key());
        self.signed.push_back(SignedPreKeyRecord {
            secret,
            public: public.clone(),
            created_at: now,
            published: false,
        });
        self.prune(now);
        public
    }

    /// Makes a new current last-resort ML-KEM prekey at `now`; the previous
    /// one is retired and deleted as retired signed prekeys are.
    pub fn rotate_last_resort_kem_prekey<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        now: u64,
    ) -> KemPreKey {
        let id = Self::take_id(&mut self.next_kem_id);
        let secret = KemSecretKey::generate(rng);
        let public = KemPreKey::sign(
            &self.identity,
            id,
            KemPreKeyKind::LastResort,
            secret.public_key(),
        );
        self.kem_last_resort
            .push_back(KemPreKeyRecord::new(secret, public.clone(), now));
        self.prune(now);
        public
    }

    /// For a store put back from an older copy (a restored backup): forgets
    /// every prekey the lost copy may have handed out or consumed (every
    /// one-time X25519 and ML-KEM prekey, every signed and last-resort
    /// prekey, their replay records), makes new current ones, and moves the
    /// id counters past [`ROLLBACK_ID_JUMP`] so no new key takes an id the
    /// lost copy may have published. No first message sent to this device
    /// before the rollback is accepted again (it would decrypt twice); its
    /// senders must start new sessions.
    pub fn forget_after_rollback<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: u64) {
        self.one_time.clear();
        self.kem_one_time.clear();
        self.signed.clear();
        self.kem_last_resort.clear();
        self.replay_record.clear();
        for next in [
            &mut self.next_signed_id,
            &mut self.next_kem_id,
            &mut self.next_one_time_id,
        ] {
            *next = next.wrapping_add(ROLLBACK_ID_JUMP).max(1);
        }
        self.rotate_signed_prekey(rng, now);
        self.rotate_last_resort_kem_prekey(rng, now);
    }

    /// Deletes the retired signed and last-resort prekeys retired at least
    /// [`MAX_RETIRED_PREKEY_AGE_SECS`] before `now` (with their replay
    /// records: handshakes naming them are refused as expired, then as
    /// unknown). Returns how many were deleted. The rotations and `upload`
    /// call it; call it on its own when the app starts.
    pub fn prune(&mut self, now: u64) -> usize {
        let dropped = drop_old(&mut self.signed, now) + drop_old(&mut self.kem_last_resort, now);
        let signed = &self.signed;
        self.replay_record
            .retain(|id, _| signed.iter().any(|s| s.public.id == *id));
        dropped
    }

    /// Whether the current signed prekey is due for rotation: it is
    /// [`PREKEY_ROTATION_SECS`] old, or it has admitted three quarters of
    /// [`MAX_REMEMBERED_HANDSHAKES`] handshakes without one-time prekeys
    /// (past all of them `accept` refuses more with
    /// `HandshakeError::ReplayRecordFull`).
    pub fn signed_prekey_rotation_due(&self, now: u64) -> bool {
        due(&self.signed, now)
            || self.signed.back().is_some_and(|current| {
                self.replay_record
                    .get(&current.public.id)
                    .is_some_and(|r| r.len() >= MAX_REMEMBERED_HANDSHAKES / 4 * 3)
            })
    }

    /// Whether the current last-resort ML-KEM prekey is
    /// [`PREKEY_ROTATION_SECS`] old.
    pub fn last_resort_kem_prekey_rotation_due(&self, now: u64) -> bool {
        due(&self.kem_last_resort, now)
    }

    /// Whether either is due: rotate (or call `upload`, which rotates what
    /// is due) and publish the result.
    pub fn needs_rotation(&self, now: u64) -> bool {
        self.signed_prekey_rotation_due(now) || self.last_resort_kem_prekey_rotation_due(now)
    }

    /// Handshakes remembered against replay, over all signed prekeys held.
    pub fn remembered_handshakes(&self) -> usize {
        self.replay_record.values().map(BTreeSet::len).sum()
    }
}
