//! `prekey_upload.json`: a prekey store's lifecycle of uploads and bundles
//! (docs/PROTOCOL.md §4.9, §4.10): what each upload carries, its bytes,
//! and the store state at the end (store version 3, §7.3).

use qorgan::limits::{MAX_RETIRED_PREKEY_AGE_SECS, PREKEY_ROTATION_SECS};
use qorgan::{PreKeyStore, PreKeyUpload};
use serde_json::{Value, json};

use super::negative::upload_json;
use super::{RecordingRng, identity_generate, identity_json, store_dates};
use crate::hex::encode as hx;

/// Seed of `prekey_upload.json`.
pub const UPLOAD_SEED: u64 = 7;

/// The clock (seconds) at which the store is made.
const T0: u64 = 1_700_000_000;

/// One store operation of the file.
enum Op {
    GenerateOneTime(usize),
    GenerateKemOneTime(usize),
    Upload(u64),
    Bundles(usize),
}

pub(super) fn upload_file() -> Value {
    let mut rng = RecordingRng::new(UPLOAD_SEED);
    let bob = identity_generate(&mut rng, "bob");
    let mut store = PreKeyStore::new(&mut rng, bob, T0);
    rng.label(&[
        ("bob.signed_prekey[1].secret", 32),
        ("bob.last_resort_kem_prekey[1].seed", 64),
    ]);
    let identity = identity_json(store.identity_key());
    let week = PREKEY_ROTATION_SECS;
    let ops = [
        Op::GenerateOneTime(3),
        Op::GenerateKemOneTime(2),
        Op::Upload(T0),
        Op::Upload(T0),
        Op::GenerateOneTime(2),
        Op::Bundles(5),
        Op::Upload(T0 + 60),
        Op::GenerateKemOneTime(1),
        Op::Upload(T0 + 120),
        Op::Upload(T0 + week),
        Op::Upload(T0 + week + MAX_RETIRED_PREKEY_AGE_SECS),
        Op::Bundles(2),
    ];
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut next_otk: u32 = 1;
    let mut next_kem = 2;
    let mut next_signed = 2;
    let mut next_lr;
    for op in ops {
        match op {
            Op::GenerateOneTime(n) => {
                let keys = store.generate_one_time_prekeys(&mut rng, n);
                let names: Vec<String> = (next_otk..next_otk + n as u32)
                    .map(|id| format!("bob.one_time_prekey[{id}].secret"))
                    .collect();
                let want: Vec<(&str, usize)> = names.iter().map(|p| (p.as_str(), 32)).collect();
                rng.label(&want);
                let ids: Vec<u32> = keys.iter().map(|k| k.id).collect();
                assert_eq!(ids, (next_otk..next_otk + n as u32).collect::<Vec<_>>());
                next_otk += n as u32;
                inputs.push(json!({"op": "generate_one_time_prekeys", "count": n}));
                outputs.push(json!({"ids": ids}));
            }
            Op::GenerateKemOneTime(n) => {
                let keys = store.generate_kem_one_time_prekeys(&mut rng, n);
                let ids: Vec<u32> = keys.iter().map(|k| k.id).collect();
                let names: Vec<String> = ids
                    .iter()
                    .map(|id| format!("bob.one_time_kem_prekey[{id}].seed"))
                    .collect();
                let want: Vec<(&str, usize)> = names.iter().map(|p| (p.as_str(), 64)).collect();
                rng.label(&want);
                assert_eq!(ids[0], next_kem);
                next_kem += n as u32;
                inputs.push(json!({"op": "generate_kem_one_time_prekeys", "count": n}));
                outputs.push(json!({"ids": ids}));
            }
            Op::Upload(now) => {
                let signed_due = store.signed_prekey_rotation_due(now);
                let lr_due = store.last_resort_kem_prekey_rotation_due(now);
                let upload = store.upload(&mut rng, now);
                let mut draws = Vec::new();
                if signed_due {
                    draws.push((format!("bob.signed_prekey[{next_signed}].secret"), 32));
                    next_signed += 1;
                }
                if lr_due {
                    next_lr = next_kem;
                    next_kem += 1;
                    draws.push((format!("bob.last_resort_kem_prekey[{next_lr}].seed"), 64));
                }
                let want: Vec<(&str, usize)> =
                    draws.iter().map(|(p, n)| (p.as_str(), *n)).collect();
                rng.label(&want);
                inputs.push(json!({"op": "upload", "now": now}));
                outputs.push(json!({
                    "rotated": {"signed_prekey": signed_due, "last_resort_kem_prekey": lr_due},
                    "upload": upload.map(|u| {
                        let bytes = u.to_bytes();
                        assert_eq!(PreKeyUpload::from_bytes(&bytes).expect("verifies"), u);
                        json!({
                            "bytes": hx(&bytes),
                            "signature": hx(&bytes[bytes.len() - 64..]),
                            "fields": upload_json(&u),
                        })
                    }),
                }));
            }
            Op::Bundles(max) => {
                let bundles = store.bundles(max);
                inputs.push(json!({"op": "bundles", "max": max}));
                outputs.push(json!({
                    "bundles": bundles.iter().map(|b| json!({
                        "bytes": hx(&b.to_bytes()),
                        "signed_prekey_id": b.signed_prekey.id,
                        "kem_prekey_id": b.kem_prekey.id,
                        "one_time_prekey_id": b.one_time_prekey.map(|o| o.id),
                    })).collect::<Vec<_>>(),
                }));
            }
        }
    }
    let plain = store.to_bytes();
    let draws = rng.take_log();
    json!({
        "description": "Prekey uploads and the prekey lifecycle (docs/PROTOCOL.md §4.9, \
            §4.10, §7.3). One generator rng(seed); inputs.draws lists every random draw in \
            order (§2.6): Bob's identity, PreKeyStore::new at inputs.now (signed prekey 1, \
            last-resort ML-KEM prekey 1), then the draws of the operations. \
            inputs.operations are applied in order to the store; expected.operations gives, \
            index by index, what each returned: generate_*: the ids made; upload(now): \
            whether it rotated the signed and the last-resort ML-KEM prekey first (they are \
            due PREKEY_ROTATION_SECS after they were made; rotating also deletes prekeys \
            retired MAX_RETIRED_PREKEY_AGE_SECS before now), and the upload (type 0x12: \
            bytes, the identity's signature over \"qorgan/v1/prekey-upload\" || every byte \
            before it, and the fields it carries), or null when there is nothing the server \
            does not have yet; bundles(max): the bundles handed out (only one-time keys never \
            handed out before, in a bundle or an upload). Coverage: the first upload carries \
            everything; the second nothing (null); bundles(5) hands out the two new one-time \
            X25519 keys, so the next upload is null; an upload of one new one-time ML-KEM \
            prekey only; a week later both dated prekeys are due: rotated and uploaded \
            (flags 3, no one-time key); MAX_RETIRED_PREKEY_AGE_SECS later again they are \
            rotated once more and the first ones, retired that long ago, are deleted; the \
            last bundles carry no one-time prekey (all handed out) and the last-resort ML-KEM \
            prekey. expected.store is the store state at the end (store version 3) with the \
            created_at and published of every prekey it holds. All byte strings are \
            lower-case hex.",
        "seed": UPLOAD_SEED,
        "inputs": {
            "draws": draws,
            "identity_draws": ["bob.identity.ed25519_seed", "bob.identity.x25519_secret"],
            "now": T0,
            "operations": inputs,
        },
        "expected": {
            "identity": identity,
            "operations": outputs,
            "store": {"plain": hx(&plain), "dates": store_dates(&plain)},
        },
    })
}
