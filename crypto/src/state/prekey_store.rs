//! Identity and prekey store state, store version 3 (docs/PROTOCOL.md §7.3):
//! prekeys dated and marked when handed out. Versions 2 and 1 still load,
//! migrated: their prekeys count as made at time 0 (so due for rotation at
//! once) and as handed out (so never handed out twice).
//!
//! Secrets only, plus the signatures: public keys are recomputed on load
//! (ML-KEM from its 64-byte seed), so a store blob cannot hold a public key
//! that does not match its secret.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::{StateOwner, expect_versioned_kind};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, StateError};
use crate::identity::IdentityKeyPair;
use crate::limits::{
    MAX_KEM_ONE_TIME_PREKEYS, MAX_ONE_TIME_PREKEYS, MAX_REMEMBERED_HANDSHAKES,
    MAX_RETIRED_SIGNED_PREKEYS,
};
use crate::prekey::{KemPreKeyKind, PreKeyId, SignedPreKey};
use crate::prekey_store::{KemPreKeyRecord, OneTimePreKeyRecord, PreKeyStore, SignedPreKeyRecord};
use crate::primitives::ed25519::Signature;
use crate::primitives::kem::{KEM_SEED_LEN, KemSecretKey};
use crate::primitives::x25519::X25519SecretKey;
use crate::wire;

fn write_kem(w: &mut Writer, r: &KemPreKeyRecord) {
    w.u32(r.id)
        .raw(r.secret.seed())
        .raw(&r.signature.to_bytes());
    if r.kind == KemPreKeyKind::LastResort {
        w.u64(r.created_at);
    }
    w.bool(r.published);
}

fn read_kem(
    r: &mut Reader<'_>,
    kind: KemPreKeyKind,
    version: u8,
) -> Result<KemPreKeyRecord, DecodeError> {
    let id = r.u32()?;
    let seed = Zeroizing::new(r.array::<KEM_SEED_LEN>()?);
    let signature = Signature::from_bytes(&r.array()?);
    let (created_at, published) = read_dates(r, version, kind == KemPreKeyKind::LastResort)?;
    // No key expansion here: the record derives its keys on first use.
    Ok(KemPreKeyRecord::from_seed(
        KemSecretKey::from_seed(&seed),
        id,
        kind,
        signature,
        created_at,
        published,
    ))
}

/// Version 3: `[created_at] || published`; earlier versions: made at 0,
/// handed out.
fn read_dates(r: &mut Reader<'_>, version: u8, dated: bool) -> Result<(u64, bool), DecodeError> {
    if version < wire::STORE_VERSION {
        return Ok((0, true));
    }
    let created_at = if dated { r.u64()? } else { 0 };
    Ok((created_at, r.bool()?))
}

type ReplayRecord = BTreeMap<PreKeyId, BTreeSet<[u8; 32]>>;

/// Versions 2 and 3: per held signed prekey id (ascending), its base keys
/// (ascending, at least one, at most `MAX_REMEMBERED_HANDSHAKES`).
fn read_replay_record(
    r: &mut Reader<'_>,
    signed: &VecDeque<SignedPreKeyRecord>,
) -> Result<ReplayRecord, DecodeError> {
    let n = r.count("replay records", MAX_RETIRED_SIGNED_PREKEYS + 1, 8 + 32)?;
    let mut record = ReplayRecord::new();
    for _ in 0..n {
        let id = r.u32()?;
        if !signed.iter().any(|s| s.public.id == id) {
            return Err(DecodeError::InvalidField(
                "replay record for a signed prekey not held",
            ));
        }
        if record.last_key_value().is_some_and(|(last, _)| *last >= id) {
            return Err(DecodeError::InvalidField(
                "replay records not in ascending signed prekey order",
            ));
        }
        let k = r.count("remembered handshakes", MAX_REMEMBERED_HANDSHAKES, 32)?;
        if k == 0 {
            return Err(DecodeError::InvalidField("empty replay record"));
        }
        let mut keys = BTreeSet::new();
        for _ in 0..k {
            let key: [u8; 32] = r.array()?;
            // Strictly ascending, as written: one state has one encoding.
            if keys.last().is_some_and(|last| *last >= key) {
                return Err(DecodeError::InvalidField(
                    "remembered base keys not ascending",
                ));
            }
            keys.insert(key);
        }
        record.insert(id, keys);
    }
    Ok(record)
}

/// Version 1 kept one FIFO list of base keys for the whole store. They are
/// kept against the current (newest) signed prekey: as long as it is held,
/// at least as long as the list would have remembered them, and `accept`
/// looks in every signed prekey's record.
fn read_replay_list_v1(
    r: &mut Reader<'_>,
    signed: &VecDeque<SignedPreKeyRecord>,
) -> Result<ReplayRecord, DecodeError> {
    let n = r.count("remembered handshakes", MAX_REMEMBERED_HANDSHAKES, 32)?;
    let mut keys = BTreeSet::new();
    for _ in 0..n {
        keys.insert(r.array::<32>()?);
    }
    let mut record = ReplayRecord::new();
    if let (Some(current), false) = (signed.back(), keys.is_empty()) {
        record.insert(current.public.id, keys);
    }
    Ok(record)
}

impl PreKeyStore {
    /// Plain state. Contains the identity's secret keys.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w =
            Writer::with_capacity(256 + self.one_time.len() * 37 + self.kem_one_time.len() * 133);
        w.u8(wire::STORE_VERSION).u8(wire::STATE_PREKEY_STORE);
        self.identity.write_secret(&mut w);
        w.u32(self.next_signed_id)
            .u32(self.next_kem_id)
            .u32(self.next_one_time_id);
        w.count(self.signed.len());
        for s in &self.signed {
            w.u32(s.public.id)
                .raw(s.secret.to_bytes().as_ref())
                .raw(&s.public.signature.to_bytes())
                .u64(s.created_at)
                .bool(s.published);
        }
        w.count(self.kem_last_resort.len());
        for k in &self.kem_last_resort {
            write_kem(&mut w, k);
        }
        w.count(self.kem_one_time.len());
        for k in self.kem_one_time.values() {
            write_kem(&mut w, k);
        }
        w.count(self.one_time.len());
        for (id, k) in &self.one_time {
            w.u32(*id)
                .raw(k.secret.to_bytes().as_ref())
                .bool(k.published);
        }
        w.count(self.replay_record.len());
        for (id, keys) in &self.replay_record {
            w.u32(*id).count(keys.len());
            for k in keys {
                w.raw(k);
            }
        }
        Zeroizing::new(w.into_vec())
    }

    /// Loads plain state written by [`PreKeyStore::to_bytes`], of version 3,
    /// 2 or 1 (migrated, docs/PROTOCOL.md §7.3).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(bytes);
        let version = match bytes.first() {
            Some(&v) if (wire::VERSION..wire::STORE_VERSION).contains(&v) => v,
            _ => wire::STORE_VERSION,
        };
        expect_versioned_kind(&mut r, version, wire::STATE_PREKEY_STORE)?;
        let identity = IdentityKeyPair::read_secret(&mut r)?;
        let next_signed_id = r.u32()?;
        let next_kem_id = r.u32()?;
        let next_one_time_id = r.u32()?;
        // Minimum element sizes for the count checks: those of version 2,
        // still lower bounds for version 3 (docs/PROTOCOL.md §7.3).
        let (signed_len, kem_len, one_time_len) = (100, 132, 36);
        let n = r.count("signed prekeys", MAX_RETIRED_SIGNED_PREKEYS + 1, signed_len)?;
        let mut signed = VecDeque::with_capacity(n);
        for _ in 0..n {
            let id = r.u32()?;
            let secret = X25519SecretKey::from_bytes(&Zeroizing::new(r.array()?));
            let signature = Signature::from_bytes(&r.array()?);
            let (created_at, published) = read_dates(&mut r, version, true)?;
            if signed
                .iter()
                .any(|s: &SignedPreKeyRecord| s.public.id == id)
            {
                return Err(DecodeError::InvalidField("duplicate signed prekey id").into());
            }
            let public = SignedPreKey {
                id,
                key: secret.public_key(),
                signature,
            };
            signed.push_back(SignedPreKeyRecord {
                secret,
                public,
                created_at,
                published,
            });
        }
        let n = r.count(
            "last-resort ML-KEM prekeys",
            MAX_RETIRED_SIGNED_PREKEYS + 1,
            kem_len,
        )?;
        let mut kem_last_resort = VecDeque::with_capacity(n);
        for _ in 0..n {
            let k = read_kem(&mut r, KemPreKeyKind::LastResort, version)?;
            if kem_last_resort
                .iter()
                .any(|l: &KemPreKeyRecord| l.id == k.id)
            {
                return Err(DecodeError::InvalidField("duplicate ML-KEM prekey id").into());
            }
            kem_last_resort.push_back(k);
        }
        let n = r.count("one-time ML-KEM prekeys", MAX_KEM_ONE_TIME_PREKEYS, kem_len)?;
        let mut kem_one_time = BTreeMap::new();
        for _ in 0..n {
            let k = read_kem(&mut r, KemPreKeyKind::OneTime, version)?;
            let clash = kem_last_resort
                .iter()
                .any(|l: &KemPreKeyRecord| l.id == k.id);
            if clash || kem_one_time.contains_key(&k.id) {
                return Err(DecodeError::InvalidField("duplicate ML-KEM prekey id").into());
            }
            // Ascending, as written: one store has one encoding.
            if kem_one_time
                .last_key_value()
                .is_some_and(|(last, _)| *last > k.id)
            {
                return Err(DecodeError::InvalidField("one-time prekey ids not ascending").into());
            }
            kem_one_time.insert(k.id, k);
        }
        let n = r.count("one-time prekeys", MAX_ONE_TIME_PREKEYS, one_time_len)?;
        let mut one_time = BTreeMap::new();
        for _ in 0..n {
            let id = r.u32()?;
            let secret = X25519SecretKey::from_bytes(&Zeroizing::new(r.array()?));
            let (_, published) = read_dates(&mut r, version, false)?;
            if one_time.contains_key(&id) {
                return Err(DecodeError::InvalidField("duplicate one-time prekey id").into());
            }
            if one_time
                .last_key_value()
                .is_some_and(|(last, _)| *last > id)
            {
                return Err(DecodeError::InvalidField("one-time prekey ids not ascending").into());
            }
            let public = secret.public_key();
            one_time.insert(
                id,
                OneTimePreKeyRecord {
                    secret,
                    public,
                    published,
                },
            );
        }
        if signed.is_empty() || kem_last_resort.is_empty() {
            return Err(
                DecodeError::InvalidField("store without signed or last-resort prekey").into(),
            );
        }
        let replay_record = if version == wire::VERSION {
            read_replay_list_v1(&mut r, &signed)?
        } else {
            read_replay_record(&mut r, &signed)?
        };
        r.finish()?;
        Ok(Self {
            identity,
            signed,
            kem_last_resort,
            kem_one_time,
            one_time,
            next_signed_id,
            next_kem_id,
            next_one_time_id,
            replay_record,
            generation: 0,
        })
    }
}

sealed_state!(PreKeyStore, wire::STATE_PREKEY_STORE, |s| {
    StateOwner::device(s.identity.public())
});
