//! A device's identity and the secret halves of its prekeys.
//!
//! [`PreKeyStore::accept`] consumes one-time prekeys itself, in the same call
//! that creates the session, and only when the first message authenticates:
//! the caller cannot forget to delete them, and a forged message cannot burn
//! them. Persist the store after every successful `accept`.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use rand_core::CryptoRng;

use crate::bundle::PreKeyBundle;
use crate::error::{HandshakeError, VerifyError};
use crate::handshake::{Transcript, derive_root};
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::limits::{
    MAX_KEM_ONE_TIME_PREKEYS, MAX_ONE_TIME_PREKEYS, MAX_REMEMBERED_HANDSHAKES,
    MAX_RETIRED_SIGNED_PREKEYS,
};
use crate::message::ParsedMessage;
use crate::prekey::{KemPreKey, KemPreKeyKind, OneTimePreKey, PreKeyId, SignedPreKey};
use crate::primitives::kem::KemSecretKey;
use crate::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use crate::session::Session;

#[derive(Clone)]
pub(crate) struct SignedPreKeyRecord {
    pub(crate) secret: X25519SecretKey,
    pub(crate) public: SignedPreKey,
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
}

impl KemPreKeyRecord {
    pub(crate) fn new(secret: KemSecretKey, public: KemPreKey) -> Self {
        Self {
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
    ) -> Self {
        Self {
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
}

/// A device's identity key pair and prekeys.
#[derive(Clone)]
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
}

impl PreKeyStore {
    /// A store for `identity` with a fresh signed prekey and last-resort
    /// ML-KEM prekey.
    pub fn new<R: CryptoRng + ?Sized>(rng: &mut R, identity: IdentityKeyPair) -> Self {
        let mut store = Self {
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
        store.rotate_signed_prekey(rng);
        store.rotate_last_resort_kem_prekey(rng);
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

    fn take_id(next: &mut PreKeyId) -> PreKeyId {
        let id = *next;
        *next = next.wrapping_add(1).max(1);
        id
    }

    /// Makes a new current signed prekey; the previous one is retired but
    /// still accepted (up to [`MAX_RETIRED_SIGNED_PREKEYS`]).
    pub fn rotate_signed_prekey<R: CryptoRng + ?Sized>(&mut self, rng: &mut R) -> SignedPreKey {
        let id = Self::take_id(&mut self.next_signed_id);
        let secret = X25519SecretKey::generate(rng);
        let public = SignedPreKey::sign(&self.identity, id, secret.public_key());
        self.signed.push_back(SignedPreKeyRecord {
            secret,
            public: public.clone(),
        });
        while self.signed.len() > MAX_RETIRED_SIGNED_PREKEYS + 1 {
            if let Some(gone) = self.signed.pop_front() {
                // Handshakes naming it now fail as unknown: no need to
                // remember them any longer.
                self.replay_record.remove(&gone.public.id);
            }
        }
        public
    }

    /// Whether the current signed prekey should be rotated: it has admitted
    /// at least three quarters of [`MAX_REMEMBERED_HANDSHAKES`] handshakes
    /// without one-time prekeys (past all of them `accept` refuses more with
    /// `HandshakeError::ReplayRecordFull`). Rotate with
    /// [`rotate_signed_prekey`](Self::rotate_signed_prekey) and publish new
    /// bundles (with fresh one-time prekeys).
    pub fn needs_rotation(&self) -> bool {
        self.signed.back().is_some_and(|current| {
            self.replay_record
                .get(&current.public.id)
                .is_some_and(|r| r.len() >= MAX_REMEMBERED_HANDSHAKES / 4 * 3)
        })
    }

    /// Handshakes remembered against replay, over all signed prekeys held.
    pub fn remembered_handshakes(&self) -> usize {
        self.replay_record.values().map(BTreeSet::len).sum()
    }

    /// Makes a new current last-resort ML-KEM prekey; the previous one is
    /// retired but still accepted (up to [`MAX_RETIRED_SIGNED_PREKEYS`]).
    pub fn rotate_last_resort_kem_prekey<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
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
            .push_back(KemPreKeyRecord::new(secret, public.clone()));
        while self.kem_last_resort.len() > MAX_RETIRED_SIGNED_PREKEYS + 1 {
            self.kem_last_resort.pop_front();
        }
        public
    }

    /// Generates up to `count` one-time X25519 prekeys (never holding more
    /// than [`MAX_ONE_TIME_PREKEYS`]) and returns their public halves for
    /// upload.
    pub fn generate_one_time_prekeys<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        count: usize,
    ) -> Vec<OneTimePreKey> {
        let room = MAX_ONE_TIME_PREKEYS.saturating_sub(self.one_time.len());
        (0..count.min(room))
            .map(|_| {
                let id = Self::take_id(&mut self.next_one_time_id);
                let secret = X25519SecretKey::generate(rng);
                let public = secret.public_key();
                self.one_time
                    .insert(id, OneTimePreKeyRecord { secret, public });
                OneTimePreKey { id, key: public }
            })
            .collect()
    }

    /// Generates up to `count` one-time ML-KEM prekeys (never holding more
    /// than [`MAX_KEM_ONE_TIME_PREKEYS`]).
    pub fn generate_kem_one_time_prekeys<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        count: usize,
    ) -> Vec<KemPreKey> {
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
                    .insert(id, KemPreKeyRecord::new(secret, public.clone()));
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

    /// Number of unused one-time X25519 prekeys.
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time.len()
    }

    /// Number of unused one-time ML-KEM prekeys.
    pub fn kem_one_time_prekey_count(&self) -> usize {
        self.kem_one_time.len()
    }

    /// A bundle as a server would hand it out: the lowest-numbered unused
    /// one-time keys if any, else the last-resort ML-KEM prekey and no
    /// one-time X25519 prekey. Nothing is consumed here; `accept` consumes.
    /// The same as the first of [`bundles`](Self::bundles).
    pub fn bundle(&self) -> Option<PreKeyBundle> {
        self.bundles(1).into_iter().next()
    }

    /// Up to `max` bundles for the server to hand out, one per initiator, so
    /// that concurrent initiators get different one-time keys: bundle `i`
    /// carries the `i`-th unused one-time X25519 prekey and the `i`-th
    /// unused one-time ML-KEM prekey (by id), the last-resort ML-KEM prekey
    /// once those run out, and no one-time X25519 prekey once those do.
    /// There are as many bundles as the longer of the two lists (at least
    /// one, when the store has prekeys at all), capped at `max`; every
    /// bundle differs from the others in a one-time key, except the single
    /// bundle of a store without one-time keys. Nothing is consumed here.
    pub fn bundles(&self, max: usize) -> Vec<PreKeyBundle> {
        let (Some(signed), Some(last_resort)) =
            (self.signed_prekey(), self.last_resort_kem_prekey())
        else {
            return Vec::new();
        };
        let count = self
            .one_time
            .len()
            .max(self.kem_one_time.len())
            .max(1)
            .min(max);
        let mut one_time = self.one_time.iter();
        let mut kem = self.kem_one_time.values();
        (0..count)
            .map(|_| PreKeyBundle {
                identity: *self.identity.public(),
                signed_prekey: signed.clone(),
                kem_prekey: kem
                    .next()
                    .map_or_else(|| last_resort.clone(), |r| r.public().clone()),
                one_time_prekey: one_time.next().map(|(id, r)| OneTimePreKey {
                    id: *id,
                    key: r.public,
                }),
            })
            .collect()
    }

    fn kem_record(&self, id: PreKeyId) -> Option<&KemPreKeyRecord> {
        self.kem_one_time
            .get(&id)
            .or_else(|| self.kem_last_resort.iter().find(|r| r.id == id))
    }

    /// Accepts a prekey message: verifies the initiator's identity, runs the
    /// responder side of the handshake, decrypts the first message, and on
    /// success consumes the one-time prekeys it used. On any error the store
    /// is unchanged.
    pub fn accept(&mut self, message: &[u8]) -> Result<(Session, Vec<u8>), HandshakeError> {
        let parsed = ParsedMessage::parse(message).map_err(VerifyError::from)?;
        let handshake = parsed
            .handshake
            .as_ref()
            .ok_or(HandshakeError::NotPreKeyMessage)?;
        let initiator = IdentityKey::from_field_bytes(&handshake.identity)?;
        let signed = self
            .signed
            .iter()
            .find(|r| r.public.id == handshake.signed_prekey_id)
            .ok_or(HandshakeError::UnknownSignedPreKey(
                handshake.signed_prekey_id,
            ))?;
        let kem = self
            .kem_record(handshake.kem_prekey_id)
            .ok_or(HandshakeError::UnknownKemPreKey(handshake.kem_prekey_id))?;
        let one_time = match handshake.one_time_prekey_id {
            Some(id) => Some(
                self.one_time
                    .get(&id)
                    .ok_or(HandshakeError::UnknownOneTimePreKey(id))?,
            ),
            None => {
                let base = handshake.base_key.as_bytes();
                if self.replay_record.values().any(|r| r.contains(base)) {
                    return Err(HandshakeError::Replay);
                }
                None
            }
        };
        // Only a handshake with no one-time prekey of either kind can be
        // replayed (one-time keys are consumed): such ones are recorded, and
        // refused once the signed prekey's record is full.
        let recorded =
            handshake.one_time_prekey_id.is_none() && kem.kind == KemPreKeyKind::LastResort;
        if recorded
            && self
                .replay_record
                .get(&handshake.signed_prekey_id)
                .is_some_and(|r| r.len() >= MAX_REMEMBERED_HANDSHAKES)
        {
            return Err(HandshakeError::ReplayRecordFull {
                signed_prekey_id: handshake.signed_prekey_id,
            });
        }

        let nc = |_| HandshakeError::NonContributory;
        let base = &handshake.base_key;
        let dh1 = signed
            .secret
            .diffie_hellman(initiator.dh_key())
            .map_err(nc)?;
        let dh2 = self.identity.dh_secret().diffie_hellman(base).map_err(nc)?;
        let dh3 = signed.secret.diffie_hellman(base).map_err(nc)?;
        let dh4 = match one_time {
            Some(r) => Some(r.secret.diffie_hellman(base).map_err(nc)?),
            None => None,
        };
        let kem_secret = kem.secret.decapsulate(&handshake.kem_ciphertext);
        let session_id = Transcript {
            initiator: &initiator,
            responder: self.identity.public(),
            base_key: base,
            signed_prekey: &signed.public.key,
            kem_prekey: &kem.public().key,
            kem_ciphertext: &handshake.kem_ciphertext,
            one_time_prekey: one_time.map(|r| &r.public),
        }
        .hash();
        let mut secrets = alloc::vec![&dh1, &dh2, &dh3];
        if let Some(dh4) = &dh4 {
            secrets.push(dh4);
        }
        let root = derive_root(&secrets, &kem_secret, &session_id);

        let mut session = Session::new_responder(
            *self.identity.public(),
            initiator,
            session_id,
            root,
            *base,
            parsed.ratchet_key,
        );
        let (plaintext, commit) = session.plan(&parsed, Some(&signed.secret))?;
        session.apply(commit);

        // Authenticated: now consume.
        if kem.kind == KemPreKeyKind::OneTime {
            self.kem_one_time.remove(&handshake.kem_prekey_id);
        }
        if let Some(id) = handshake.one_time_prekey_id {
            self.one_time.remove(&id);
        }
        if recorded {
            self.replay_record
                .entry(handshake.signed_prekey_id)
                .or_default()
                .insert(*base.as_bytes());
        }
        Ok((session, plaintext))
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
        let mut store = PreKeyStore::new(&mut rng, id);
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
            store.rotate_signed_prekey(&mut rng);
        }
        assert_eq!(store.signed.len(), MAX_RETIRED_SIGNED_PREKEYS + 1);
        let shown = alloc::format!("{store:?}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn store_state_round_trips() {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, id);
        store.generate_one_time_prekeys(&mut rng, 3);
        store.generate_kem_one_time_prekeys(&mut rng, 2);
        let back = PreKeyStore::from_bytes(&store.to_bytes()).unwrap();
        assert_eq!(back.to_bytes(), store.to_bytes());
        assert_eq!(back.bundle(), store.bundle());
    }
}
