//! Handing prekeys out: bundles and uploads (docs/PROTOCOL.md §4.10). A
//! one-time key goes out at most once, in a bundle or in an upload, so an
//! honest server never gives one key to two initiators; the store remembers
//! which keys went out (persist it after these calls).

use alloc::vec::Vec;
use rand_core::CryptoRng;

use super::PreKeyStore;
use crate::bundle::PreKeyBundle;
use crate::prekey::{KemPreKey, OneTimePreKey};
use crate::upload::PreKeyUpload;

impl PreKeyStore {
    /// One bundle: the first of [`bundles`](Self::bundles)`(1)`.
    pub fn bundle(&mut self) -> Option<PreKeyBundle> {
        self.bundles(1).into_iter().next()
    }

    /// Up to `max` bundles for the server to hand out, one per initiator:
    /// bundle `i` carries the `i`-th one-time X25519 prekey and the `i`-th
    /// one-time ML-KEM prekey (by id) **not handed out before**, the
    /// last-resort ML-KEM prekey once those run out, and no one-time X25519
    /// prekey once those do. There are as many bundles as the longer of the
    /// two lists (at least one, when the store has prekeys at all), capped
    /// at `max`. The one-time keys included are marked as handed out and
    /// never included again; the signed and last-resort prekeys are
    /// reusable. Nothing is consumed here; `accept` consumes.
    pub fn bundles(&mut self, max: usize) -> Vec<PreKeyBundle> {
        let (Some(signed), Some(last_resort)) = (self.signed.back(), self.kem_last_resort.back())
        else {
            return Vec::new();
        };
        let (signed, last_resort) = (signed.public.clone(), last_resort.public().clone());
        let one_time: Vec<OneTimePreKey> = self
            .one_time
            .iter()
            .filter(|(_, r)| !r.published)
            .map(|(id, r)| OneTimePreKey {
                id: *id,
                key: r.public,
            })
            .collect();
        let kem: Vec<KemPreKey> = self
            .kem_one_time
            .values()
            .filter(|r| !r.published)
            .map(|r| r.public().clone())
            .collect();
        let count = one_time.len().max(kem.len()).max(1).min(max);
        let bundles: Vec<PreKeyBundle> = (0..count)
            .map(|i| PreKeyBundle {
                identity: *self.identity.public(),
                signed_prekey: signed.clone(),
                kem_prekey: kem.get(i).cloned().unwrap_or_else(|| last_resort.clone()),
                one_time_prekey: one_time.get(i).copied(),
            })
            .collect();
        for b in &bundles {
            self.mark_published(b.one_time_prekey.as_ref(), Some(&b.kem_prekey));
        }
        bundles
    }

    /// Marks what a bundle or upload carried as handed out.
    fn mark_published(&mut self, one_time: Option<&OneTimePreKey>, kem: Option<&KemPreKey>) {
        if let Some(r) = one_time.and_then(|k| self.one_time.get_mut(&k.id)) {
            r.published = true;
        }
        if let Some(r) = kem.and_then(|k| self.kem_one_time.get_mut(&k.id)) {
            r.published = true;
        }
        if let Some(s) = self.signed.back_mut() {
            s.published = true;
        }
        if let Some(l) = self.kem_last_resort.back_mut() {
            l.published = true;
        }
    }

    /// What the server does not have yet, signed by the identity: the
    /// current signed and last-resort ML-KEM prekeys if they were never
    /// handed out, and every one-time key never handed out (all marked as
    /// handed out now). First rotates what is due
    /// ([`needs_rotation`](Self::needs_rotation)) and prunes expired keys,
    /// so calling this periodically (and after `generate_*`) is the whole
    /// prekey schedule. `None` when there is nothing new.
    ///
    /// Keep the upload's bytes until the server confirms it and resend the
    /// same bytes on failure: its keys will not be offered again.
    pub fn upload<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: u64) -> Option<PreKeyUpload> {
        self.upload_at(rng, now)
    }

    /// Whether some prekey has never gone to the server (a new store's
    /// first keys, keys generated since the last upload): an upload would
    /// carry it.
    pub fn has_unpublished(&self) -> bool {
        self.signed.back().is_some_and(|s| !s.published)
            || self.kem_last_resort.back().is_some_and(|l| !l.published)
            || self.one_time.values().any(|r| !r.published)
            || self.kem_one_time.values().any(|r| !r.published)
    }

    fn upload_at<R: CryptoRng + ?Sized>(&mut self, rng: &mut R, now: u64) -> Option<PreKeyUpload> {
        if self.signed_prekey_rotation_due(now) {
            self.rotate_signed_prekey(rng, now);
        }
        if self.last_resort_kem_prekey_rotation_due(now) {
            self.rotate_last_resort_kem_prekey(rng, now);
        }
        self.prune(now);
        let signed = self
            .signed
            .back()
            .filter(|s| !s.published)
            .map(|s| s.public.clone());
        let last_resort = self
            .kem_last_resort
            .back()
            .filter(|l| !l.published)
            .map(|l| l.public().clone());
        let mut one_time = Vec::new();
        for (id, r) in self.one_time.iter_mut().filter(|(_, r)| !r.published) {
            r.published = true;
            one_time.push(OneTimePreKey {
                id: *id,
                key: r.public,
            });
        }
        let mut kem = Vec::new();
        for r in self.kem_one_time.values_mut().filter(|r| !r.published) {
            r.published = true;
            kem.push(r.public().clone());
        }
        if signed.is_none() && last_resort.is_none() && one_time.is_empty() && kem.is_empty() {
            return None;
        }
        self.mark_published(None, None);
        Some(PreKeyUpload::sign(
            &self.identity,
            signed,
            last_resort,
            one_time,
            kem,
        ))
    }
}
