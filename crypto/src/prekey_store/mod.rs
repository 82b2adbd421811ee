//! A device's identity and the secret halves of its prekeys.
//!
//! [`PreKeyStore::accept`] consumes one-time prekeys itself, in the same call
//! that creates the session, and only when the first message authenticates:
//! the caller cannot forget to delete them, and a forged message cannot burn
//! them. Persist the store after every successful `accept`.
//!
//! The lifecycle (docs/PROTOCOL.md §4.9): signed and last-resort ML-KEM
//! prekeys are rotated after [`PREKEY_ROTATION_SECS`](crate::limits::PREKEY_ROTATION_SECS)
//! and deleted [`MAX_RETIRED_PREKEY_AGE_SECS`](crate::limits::MAX_RETIRED_PREKEY_AGE_SECS)
//! after retirement ([`lifecycle`]); each one-time key is handed out at
//! most once, in a bundle or an upload ([`handout`]).

mod accept;
mod handout;
mod lifecycle;

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use rand_core::CryptoRng;

use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::limits::{MAX_KEM_ONE_TIME_PREKEYS, MAX_ONE_TIME_PREKEYS};
use crate::prekey::{KemPreKey, KemPreKeyKind, OneTimePreKey, PreKeyId, SignedPreKey};
use crate::primitives::kem::KemSecretKey;
use crate::primitives::x25519::{X25519PublicKey, X25519SecretKey};

#[derive(Clone)]
pub(crate) struct SignedPreKeyRecord {
    pub(crate) secret: X25519SecretKey,
    pub(crate) public: SignedPreKey,
    /// Caller's clock (seconds) when it was made; when its successor was
    /// made, it was retired.
    pub(crate) created_at: u64,
    /// Handed out (in a bundle or an upload) at least once.
    pub(crate) published: bool,
}

/// An ML-KEM prekey as the store keeps it: the seed, id, kind and the
/// identity's signature. The public key (and with it the expanded secret
/// key) is derived on first use, so opening a store is not proportional to
/// its ML-KEM prekeys.
#[derive(Clone)]
pub(crate) struct KemPreKeyRecord {
    pub(crate) secret: KemSecretKey,
    pub(crate) id: PreKeyId,
    pub(crate) kind: KemPreKeyKind,
    pub(crate) signature: crate::primitives::ed25519::Signature,
    public: once_cell::race::OnceBox<KemPreKey>,
    /// Caller's clock (seconds) when it was made (kept for last-resort
    /// prekeys only; 0 for one-time ones).
    pub(crate) created_at: u64,
    /// Handed out (in a bundle or an upload) at least once.
    pub(crate) published: bool,
}

impl KemPreKeyRecord {
    pub(crate) fn new(secret: KemSecretKey, public: KemPreKey, created_at: u64) -> Self {
        Self {
            created_at,
            published: false,
            secret,
            id: public.id,
            kind: public.kind,
            signature: public.signature,
            public: once_cell::race::OnceBox::with_value(alloc::boxed::Box::new(public)),
        }
    }

    /// A record loaded from state: nothing derived yet.
    pub(crate) fn from_seed(
        secret: KemSecretKey,
        id: PreKeyId,
        kind: KemPreKeyKind,
        signature: crate::primitives::ed25519::Signature,
        created_at: u64,
        published: bool,
    ) -> Self {
        Self {
            created_at,
            published,
            secret,
            id,
            kind,
            signature,
            public: once_cell::race::OnceBox::new(),
        }
    }

    /// The signed public prekey, derived from the seed on first use.
    pub(crate) fn public(&self) -> &KemPreKey {
        self.public.get_or_init(|| {
            alloc::boxed::Box::new(KemPreKey {
                id: self.id,
                kind: self.kind,
                key: self.secret.public_key(),
                signature: self.signature,
            })
        })
    }
}

#[derive(Clone)]
pub(crate) struct OneTimePreKeyRecord {
    pub(crate) secret: X25519SecretKey,
    pub(crate) public: X25519PublicKey,
    /// Handed out (in a bundle or an upload): never handed out again.
    pub(crate) published: bool,
}

/// A device's identity key pair and prekeys.
///
/// Deliberately not `Clone` (as [`Session`](crate::Session)): two live
/// copies would hand out the same one-time keys and each accept the same
/// first message. A copy is made only through the state formats.
pub struct PreKeyStore {
    pub(crate) identity: IdentityKeyPair,
    /// Current signed prekey last; retired ones before it.
    pub(crate) signed: VecDeque<SignedPreKeyRecord>,
    /// Current last-resort ML-KEM prekey last; retired ones before it.
    pub(crate) kem_last_resort: VecDeque<KemPreKeyRecord>,
    pub(crate) kem_one_time: BTreeMap<PreKeyId, KemPreKeyRecord>,
    pub(crate) one_time: BTreeMap<PreKeyId, OneTimePreKeyRecord>,
    pub(crate) next_signed_id: PreKeyId,
    pub(crate) next_kem_id: PreKeyId,
    pub(crate) next_one_time_id: PreKeyId,
    /// Per signed prekey id, the base keys of the handshakes it admitted
    /// without a one-time X25519 prekey on the last-resort ML-KEM prekey
    /// (the only ones that could be replayed): kept exactly as long as the
    /// signed prekey, at most [`MAX_REMEMBERED_HANDSHAKES`] each.
    pub(crate) replay_record: BTreeMap<PreKeyId, BTreeSet<[u8; 32]>>,
    /// The generation of the last seal or open (docs/PROTOCOL.md §7.1);
    /// not part of the plain state.
    pub(crate) generation: u64,
}

/// Drops the lowest-numbered (oldest) handed-out keys of `pool` until
/// `wanted` more fit under `limit`, or none handed out is left.
fn make_room<T>(
    pool: &mut BTreeMap<PreKeyId, T>,
    wanted: usize,
    limit: usize,
    handed_out: impl Fn(&T) -> bool,
) {
    let excess = (pool.len() + wanted).saturating_sub(limit);
    let oldest: Vec<PreKeyId> = pool
        .iter()
        .filter(|(_, r)| handed_out(r))
        .map(|(id, _)| *id)
        .take(excess)
        .collect();
    for id in oldest {
        pool.remove(&id);
    }
}

impl PreKeyStore {
    /// A store for `identity` with a fresh signed prekey and last-resort
    /// ML-KEM prekey, made at `now` (the caller's clock, in seconds; it
    /// only dates prekeys for rotation and expiry).
    pub fn new<R: CryptoRng + ?Sized>(rng: &mut R, identity: IdentityKeyPair, now: u64) -> Self {
        let mut store = Self {
            generation: 0,
            identity,
            signed: VecDeque::new(),
            kem_last_resort: VecDeque::new(),
            kem_one_time: BTreeMap::new(),
            one_time: BTreeMap::new(),
            next_signed_id: 1,
            next_kem_id: 1,
            next_one_time_id: 1,
            replay_record: BTreeMap::new(),
        };
        store.rotate_signed_prekey(rng, now);
        store.rotate_last_resort_kem_prekey(rng, now);
        store
    }

    /// The identity key pair.
    pub fn identity(&self) -> &IdentityKeyPair {
        &self.identity
    }

    /// The public identity.
    pub fn identity_key(&self) -> &IdentityKey {
        self.identity.public()
    }

    /// Generates up to `count` one-time X25519 prekeys and returns their
    /// public halves. The store holds at most [`MAX_ONE_TIME_PREKEYS`]: to
    /// make room it drops the oldest keys already handed out (an initiator
    /// that fetched one long ago and never used it gets
    /// `UnknownOneTimePreKey`), never one not yet handed out.
    pub fn generate_one_time_prekeys<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        count: usize,
    ) -> Vec<OneTimePreKey> {
        let count = count.min(MAX_ONE_TIME_PREKEYS);
        make_room(&mut self.one_time, count, MAX_ONE_TIME_PREKEYS, |r| {
            r.published
        });
        let room = MAX_ONE_TIME_PREKEYS.saturating_sub(self.one_time.len());
        (0..count.min(room))
            .map(|_| {
                let id = Self::take_id(&mut self.next_one_time_id);
                let secret = X25519SecretKey::generate(rng);
                let public = secret.public_key();
                self.one_time.insert(
                    id,
                    OneTimePreKeyRecord {
                        secret,
                        public,
                        published: false,
                    },
                );
                OneTimePreKey { id, key: public }
            })
            .collect()
    }

    /// Generates up to `count` one-time ML-KEM prekeys (holding at most
    /// [`MAX_KEM_ONE_TIME_PREKEYS`], making room as
    /// [`generate_one_time_prekeys`](Self::generate_one_time_prekeys) does).
    pub fn generate_kem_one_time_prekeys<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        count: usize,
    ) -> Vec<KemPreKey> {
        let count = count.min(MAX_KEM_ONE_TIME_PREKEYS);
        make_room(
            &mut self.kem_one_time,
            count,
            MAX_KEM_ONE_TIME_PREKEYS,
            |r| r.published,
        );
        let room = MAX_KEM_ONE_TIME_PREKEYS.saturating_sub(self.kem_one_time.len());
        (0..count.min(room))
            .map(|_| {
                let id = Self::take_id(&mut self.next_kem_id);
                let secret = KemSecretKey::generate(rng);
                let public = KemPreKey::sign(
                    &self.identity,
                    id,
                    KemPreKeyKind::OneTime,
                    secret.public_key(),
                );
                self.kem_one_time
                    .insert(id, KemPreKeyRecord::new(secret, public.clone(), 0));
                public
            })
            .collect()
    }

    /// The current signed prekey.
    pub fn signed_prekey(&self) -> Option<&SignedPreKey> {
        self.signed.back().map(|r| &r.public)
    }

    /// The current last-resort ML-KEM prekey.
    pub fn last_resort_kem_prekey(&self) -> Option<&KemPreKey> {
        self.kem_last_resort.back().map(KemPreKeyRecord::public)
    }

    /// Number of unused one-time X25519 prekeys (handed out or not).
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time.len()
    }

    /// Number of unused one-time ML-KEM prekeys (handed out or not).
    pub fn kem_one_time_prekey_count(&self) -> usize {
        self.kem_one_time.len()
    }
}

impl core::fmt::Debug for PreKeyStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PreKeyStore")
            .field("identity", self.identity.public())
            .field("signed_prekeys", &self.signed.len())
            .field("one_time_prekeys", &self.one_time.len())
            .field("kem_one_time_prekeys", &self.kem_one_time.len())
            .field("secrets", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn generation_respects_the_store_limits_and_ids_are_unique() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, id, 0);
        let first = store.generate_one_time_prekeys(&mut rng, MAX_ONE_TIME_PREKEYS - 1);
        assert_eq!(first.len(), MAX_ONE_TIME_PREKEYS - 1);
        let more = store.generate_one_time_prekeys(&mut rng, 10);
        assert_eq!(more.len(), 1, "only room for one more");
        assert_eq!(store.one_time_prekey_count(), MAX_ONE_TIME_PREKEYS);
        let kem = store.generate_kem_one_time_prekeys(&mut rng, 3);
        let mut ids: alloc::vec::Vec<u32> = kem.iter().map(|k| k.id).collect();
        ids.push(store.last_resort_kem_prekey().unwrap().id);
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            4,
            "one-time and last-resort ML-KEM ids share one space"
        );
        for k in &kem {
            k.verify(store.identity_key()).unwrap();
        }
        store
            .signed_prekey()
            .unwrap()
            .verify(store.identity_key())
            .unwrap();
        for _ in 0..10 {
            store.rotate_signed_prekey(&mut rng, 0);
        }
        assert_eq!(
            store.signed.len(),
            crate::limits::MAX_RETIRED_SIGNED_PREKEYS + 1
        );
        let shown = alloc::format!("{store:?}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn store_state_round_trips() {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, id, 0);
        store.generate_one_time_prekeys(&mut rng, 3);
        store.generate_kem_one_time_prekeys(&mut rng, 2);
        let mut back = PreKeyStore::from_bytes(&store.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), store.to_bytes());
        assert_eq!(back.bundle(), store.bundle());
    }
}
