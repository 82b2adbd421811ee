//! Protocol test vectors (docs/PROTOCOL.md §13).
//!
//! * The committed files in `tests/vectors/*.json` are exactly what the
//!   generator (`qorgan_tests::vectors::generate`) produces, byte for byte,
//!   so any change to them is a visible diff.
//! * `independent` (tests/tests/vectors/independent.rs) re-derives every value
//!   in them from the recorded inputs with the primitive crates and the spec
//!   only, without qorgan.
//! * qorgan itself, fed the recorded draws, reproduces the conversation, the
//!   group scenario and the prekey uploads, decrypts every message in the
//!   recorded delivery order, opens every sealed state with its recorded
//!   owner and generation, gives the recorded batch verdicts and
//!   the recorded outcome (error or result) of every case of
//!   `group_negative.json`, `negative.json` and `account_negative.json`,
//!   and makes the accounts, device lists, link codes, provisioning
//!   messages, envelopes, safety numbers and states of `account.json`.

#[path = "vectors/independent.rs"]
mod independent;

use std::collections::BTreeMap;
use std::path::PathBuf;

use qorgan::primitives::ed25519::{Ed25519PublicKey, Signature, verify_batch};
use qorgan::{
    DecodeError, DecryptError, Expected, GroupPlaintext, HandshakeError, IdentityKeyPair,
    InboundGroupSession, OutboundGroupSession, PreKeyBundle, PreKeyStore, PreKeyUpload,
    RotationPolicy, SealedHeader, SenderKeyAnnouncement, SenderKeyDistribution, SenderKeyRing,
    Session, StateError, StateOwner, StorageKey,
};
use qorgan_tests::hex;
use qorgan_tests::vectors::{
    ReplayRng, errors, generate, render, run_account_negative_case, run_certificate_negative_case,
    run_group_negative_case, run_negative_case, run_roster_negative_case,
};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(vectors_dir().join(name)).expect("read");
    serde_json::from_str(&text).expect("parse")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

#[test]
fn committed_files_are_exactly_what_the_generator_produces() {
    let files = generate();
    for (name, value) in &files {
        let committed = std::fs::read_to_string(vectors_dir().join(name)).unwrap_or_else(|e| {
            panic!("{name}: {e} (run `cargo run -p qorgan-tests --bin gen-vectors`)")
        });
        assert!(
            committed == render(value),
            "tests/vectors/{name} differs from the generator's output: the protocol's bytes \
             changed. If that is intended (a new protocol version), regenerate with \
             `cargo run -p qorgan-tests --bin gen-vectors` and review the diff."
        );
    }
    // No stray vector files the generator does not know about.
    let mut on_disk: Vec<String> = std::fs::read_dir(vectors_dir())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, files.keys().cloned().collect::<Vec<_>>());
}

/// Draws of several files, by purpose.
fn draws(files: &[&Value]) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .flat_map(|f| f["inputs"]["draws"].as_array().expect("draws").iter())
        .map(|d| {
            (
                d["purpose"].as_str().expect("purpose").to_string(),
                unhex(&d["hex"]),
            )
        })
        .collect()
}

#[test]
fn qorgan_replays_the_conversation_and_decrypts_in_delivery_order() {
    let hs = load("handshake.json");
    let ss = load("session.json");
    let d = draws(&[&hs, &ss]);
    let replay = |purposes: &[&str]| ReplayRng::new(purposes.iter().map(|p| d[*p].clone()));
    let generate_identity = |who: &str| {
        let mut r = replay(&[
            &format!("{who}.identity.ed25519_seed"),
            &format!("{who}.identity.x25519_secret"),
        ]);
        let id = IdentityKeyPair::generate(&mut r);
        r.finish();
        id
    };

    // handshake.json handshakes[0], through qorgan.
    let mut r = replay(&[
        "bob.signed_prekey[1].secret",
        "bob.last_resort_kem_prekey[1].seed",
    ]);
    let now = hs["inputs"]["bob"]["now"].as_u64().expect("now");
    let mut store = PreKeyStore::new(&mut r, generate_identity("bob"), now);
    store.generate_one_time_prekeys(&mut replay(&["bob.one_time_prekey[1].secret"]), 1);
    store.generate_kem_one_time_prekeys(&mut replay(&["bob.one_time_kem_prekey[2].seed"]), 1);
    let h = &hs["expected"]["handshakes"][0];
    let bundle_bytes = unhex(&h["bundle"]);
    assert_eq!(store.bundle().expect("bundle").to_bytes(), bundle_bytes);
    let bundle = PreKeyBundle::from_bytes(&bundle_bytes).expect("bundle verifies");
    let alice_id = generate_identity("alice");
    let mut r = replay(&["handshake1.base_key_secret", "handshake1.kem_m"]);
    let mut alice = Session::initiate(&mut r, &alice_id, &bundle).expect("initiate");
    r.finish();

    let plaintexts: BTreeMap<String, Vec<u8>> = ss["inputs"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["id"].as_str().expect("id").to_string(),
                unhex(&m["plaintext"]["hex"]),
            )
        })
        .collect();
    let expected: BTreeMap<String, &Value> = ss["expected"]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| (m["id"].as_str().expect("id").to_string(), m))
        .collect();
    let bytes_of = |id: &str| unhex(&expected[id]["bytes"]);

    // §2.6, §6.3: a sending chain's ratchet secret, then the message's nonce.
    let mut r = replay(&["a0.ratchet_secret", "a0.nonce"]);
    let a0 = alice.encrypt(&mut r, &plaintexts["a0"]).expect("a0");
    r.finish();
    assert_eq!(a0, bytes_of("a0"));
    assert_eq!(a0[..2], [qorgan::wire::MESSAGE_VERSION, 0x02]);
    let (mut bob, pt) = store.accept(&bytes_of("a0"), now).expect("accept");
    assert_eq!(pt, plaintexts["a0"]);

    let mut delivered = vec!["a0".to_string()];
    for ev in ss["inputs"]["events"].as_array().expect("events") {
        if let Some(id) = ev["send"].as_str() {
            let s = if id.starts_with('a') {
                &mut alice
            } else {
                &mut bob
            };
            // The ratchet secret (if this encrypt starts a sending chain),
            // then the message's nonce (§2.6, §6.3).
            let ratchet = expected[id]["new_chain"]["ratchet_secret_draw"].as_str();
            let nonce = str_of(&expected[id]["nonce_draw"]);
            assert_eq!(nonce, format!("{id}.nonce"));
            let mut r = ReplayRng::new(ratchet.into_iter().chain([nonce]).map(|p| d[p].clone()));
            let m = s.encrypt(&mut r, &plaintexts[id]).expect("encrypt");
            r.finish();
            assert_eq!(m, bytes_of(id), "{id}: qorgan's bytes");
            assert_eq!(m[0], qorgan::wire::MESSAGE_VERSION, "{id}: version");
        } else {
            let id = ev["deliver"].as_str().expect("deliver");
            let s = if id.starts_with('a') {
                &mut bob
            } else {
                &mut alice
            };
            let pt = s.decrypt(&bytes_of(id)).expect("decrypt");
            assert_eq!(pt, plaintexts[id], "{id}: plaintext");
            assert!(
                s.decrypt(&bytes_of(id)).is_err(),
                "{id}: decrypts only once"
            );
            delivered.push(id.to_string());
        }
    }
    delivered.sort();
    assert_eq!(delivered, plaintexts.keys().cloned().collect::<Vec<_>>());
}

/// What a sealed entry of the files says `open` is given (§7.1).
fn expected_of(v: &Value) -> Expected {
    let owner: [u8; 32] = unhex(&v["owner"]).try_into().expect("32");
    Expected::new(
        StateOwner::from_bytes(owner),
        v["min_generation"].as_u64().expect("min_generation"),
    )
}

/// The parsed header a sealed entry lists is the blob's (§7.1).
fn check_header(v: &Value, sealed: &[u8]) {
    let h = SealedHeader::parse(sealed).expect("header");
    assert_eq!(v["envelope_version"].as_u64(), Some(u64::from(h.version)));
    assert_eq!(h.version, qorgan::wire::SEALED_VERSION);
    assert_eq!(v["kind"].as_u64(), Some(u64::from(h.kind)));
    assert_eq!(
        h.owner.map(|o| hex::encode(&o.to_bytes())).as_deref(),
        v["owner"].as_str()
    );
    assert_eq!(v["generation"].as_u64(), Some(h.generation));
    assert_eq!(unhex(&v["nonce"]), sealed[43..67]);
}

#[test]
fn qorgan_opens_the_sealed_states() {
    let hs = load("handshake.json");
    let ss = load("session.json");
    let f = load("state.json");
    let d = draws(&[&hs, &ss, &f]);
    let key: [u8; 32] = d["storage_key"].clone().try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    for s in f["expected"]["sessions"].as_array().expect("sessions") {
        let (plain, sealed) = (unhex(&s["plain"]), unhex(&s["sealed"]));
        check_header(s, &sealed);
        let expected = expected_of(s);
        let opened = Session::open(&key, &sealed, &expected).expect("open");
        assert_eq!(*opened.to_bytes(), plain);
        assert_eq!(opened.generation(), expected.min_generation);
        assert_eq!(opened.state_owner(), expected.owner);
        let next = Expected::new(expected.owner, expected.min_generation + 1);
        assert_eq!(
            Session::open(&key, &sealed, &next).err(),
            Some(StateError::RolledBack {
                min_generation: expected.min_generation + 1,
                found: expected.min_generation
            })
        );
        // Loaded from plain bytes (generation 0), sealed once with the
        // recorded nonce: the same blob.
        let mut from_plain = Session::from_bytes(&plain).expect("decode");
        assert_eq!(*from_plain.to_bytes(), plain);
        let mut nonce = ReplayRng::new([d[str_of(&s["nonce_draw"])].clone()]);
        assert_eq!(from_plain.seal(&mut nonce, &key), sealed);
        nonce.finish();
    }
    let st = &f["expected"]["prekey_store"];
    let (plain, sealed) = (unhex(&st["plain"]), unhex(&st["sealed"]));
    check_header(st, &sealed);
    let opened = PreKeyStore::open(&key, &sealed, &expected_of(st)).expect("open");
    assert_eq!(*opened.to_bytes(), plain);
    let mut from_plain = PreKeyStore::from_bytes(&plain).expect("decode");
    assert_eq!(*from_plain.to_bytes(), plain);
    let mut nonce = ReplayRng::new([d[str_of(&f["inputs"]["store_nonce_draw"])].clone()]);
    assert_eq!(from_plain.seal(&mut nonce, &key), sealed);
    nonce.finish();
    // Its dates (§4.9): rotated at rotated_at, due a week later.
    let rotated_at = f["inputs"]["rotated_at"].as_u64().expect("rotated_at");
    let week = qorgan::limits::PREKEY_ROTATION_SECS;
    assert!(!opened.needs_rotation(rotated_at + week - 1));
    assert!(opened.signed_prekey_rotation_due(rotated_at + week));
    assert!(opened.last_resort_kem_prekey_rotation_due(rotated_at + week));
    assert_eq!(
        qorgan_tests::vectors::store_dates(&plain),
        st["dates"],
        "the dates listed are the state's"
    );
}

/// Store versions 1 and 2 (§7.3, §11): the store of state.json written in
/// the version 1 layout, its replay list holding Carol's base key twice
/// (version 1 allowed repeats), loads into a store whose record holds the
/// key once, under the newest signed prekey (2, where state.json's state
/// has it under 1, the signed prekey c0 named), with every prekey dated 0
/// and handed out, and refuses c0 as a replay. In the version 2 layout it
/// keeps its record.
#[test]
fn qorgan_migrates_store_versions_1_and_2() {
    use qorgan_tests::vectors::store_prefix;
    let hs = load("handshake.json");
    let f = load("state.json");
    let plain = unhex(&f["expected"]["prekey_store"]["plain"]);
    let carol = unhex(&hs["expected"]["handshakes"][1]["base_key"]);
    // count(1) || u32(1) || count(1) || Carol's base key.
    let tail = [&[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1][..], &carol].concat();
    assert!(plain.ends_with(&tail));
    assert_eq!(
        store_prefix(&plain, 3, false),
        plain[..plain.len() - tail.len()]
    );
    let migrated = store_prefix(&plain, 3, true);
    let v1 = [
        &store_prefix(&plain, 1, false)[..],
        &[0, 0, 0, 2],
        &carol,
        &carol,
    ]
    .concat();
    let mut store = PreKeyStore::from_bytes(&v1).expect("store v1 loads");
    let v3 = [&migrated[..], &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1], &carol].concat();
    assert_eq!(*store.to_bytes(), v3);
    assert_eq!(store.remembered_handshakes(), 1);
    // Migrated prekeys are dated 0: due from PREKEY_ROTATION_SECS on (so at
    // once on any real clock).
    let week = qorgan::limits::PREKEY_ROTATION_SECS;
    assert!(!store.needs_rotation(week - 1));
    assert!(store.signed_prekey_rotation_due(week));
    assert!(store.last_resort_kem_prekey_rotation_due(week));
    let now = hs["inputs"]["bob"]["now"].as_u64().expect("now");
    let c0 = unhex(&hs["expected"]["handshakes"][1]["first_message"]["bytes"]);
    // c0 named signed prekey 1, which is retired (2 is current): migrated,
    // undated, it has no retirement time until a dated rotation (§4.9,
    // §7.3), so on any clock the replay record refuses it.
    assert_eq!(store.accept(&c0, now).err(), Some(HandshakeError::Replay));
    assert_eq!(store.accept(&c0, 0).err(), Some(HandshakeError::Replay));
    // Handed out: no bundle carries its one-time keys again.
    assert!(
        store
            .bundles(10)
            .iter()
            .all(|b| b.one_time_prekey.is_none())
    );
    assert!(
        store
            .upload(&mut ReplayRng::new(Vec::<Vec<u8>>::new()), 0)
            .is_none()
    );
    // An empty version 1 list gives no record.
    let v1 = [&store_prefix(&plain, 1, false)[..], &[0, 0, 0, 0]].concat();
    let store = PreKeyStore::from_bytes(&v1).expect("store v1 loads");
    assert_eq!(*store.to_bytes(), [&migrated[..], &[0, 0, 0, 0]].concat());
    // Version 2: the same lists without dates, its record as it is.
    let v2 = [&store_prefix(&plain, 2, false)[..], &tail].concat();
    let store = PreKeyStore::from_bytes(&v2).expect("store v2 loads");
    assert_eq!(*store.to_bytes(), [&migrated[..], &tail].concat());
    // Version 4 is no store version.
    let v4 = [&[0x04][..], &plain[1..]].concat();
    assert_eq!(
        PreKeyStore::from_bytes(&v4).err(),
        Some(StateError::Decode(DecodeError::UnsupportedVersion(4)))
    );
}

/// prekey_upload.json (§4.9, §4.10): qorgan, fed the recorded draws, makes
/// the same uploads and bundles, rotating and pruning as recorded, and ends
/// in the recorded store state; every upload decodes (all signatures
/// verified) to the fields listed.
#[test]
fn qorgan_replays_the_prekey_uploads() {
    let f = load("prekey_upload.json");
    let d = draws(&[&f]);
    let (i, e) = (&f["inputs"], &f["expected"]);
    let replay = |purposes: &[String]| ReplayRng::new(purposes.iter().map(|p| d[p].clone()));
    let mut r = replay(&[
        "bob.identity.ed25519_seed".into(),
        "bob.identity.x25519_secret".into(),
    ]);
    let bob = IdentityKeyPair::generate(&mut r);
    r.finish();
    assert_eq!(
        hex::encode(&bob.public().to_field_bytes()),
        str_of(&e["identity"]["field_encoding"])
    );
    let mut r = replay(&[
        "bob.signed_prekey[1].secret".into(),
        "bob.last_resort_kem_prekey[1].seed".into(),
    ]);
    let mut store = PreKeyStore::new(&mut r, bob, i["now"].as_u64().expect("now"));
    r.finish();
    let ops = i["operations"].as_array().expect("operations");
    let outs = e["operations"].as_array().expect("operations");
    assert_eq!(ops.len(), outs.len());
    let ids = |v: &Value| -> Vec<u64> {
        v.as_array()
            .expect("ids")
            .iter()
            .map(|x| x.as_u64().expect("id"))
            .collect()
    };
    for (op, out) in ops.iter().zip(outs) {
        match str_of(&op["op"]) {
            "generate_one_time_prekeys" => {
                let want = ids(&out["ids"]);
                let purposes: Vec<String> = want
                    .iter()
                    .map(|id| format!("bob.one_time_prekey[{id}].secret"))
                    .collect();
                let mut r = replay(&purposes);
                let n = op["count"].as_u64().expect("count") as usize;
                let got: Vec<u64> = store
                    .generate_one_time_prekeys(&mut r, n)
                    .iter()
                    .map(|k| u64::from(k.id))
                    .collect();
                r.finish();
                assert_eq!(got, want);
            }
            "generate_kem_one_time_prekeys" => {
                let want = ids(&out["ids"]);
                let purposes: Vec<String> = want
                    .iter()
                    .map(|id| format!("bob.one_time_kem_prekey[{id}].seed"))
                    .collect();
                let mut r = replay(&purposes);
                let n = op["count"].as_u64().expect("count") as usize;
                let got: Vec<u64> = store
                    .generate_kem_one_time_prekeys(&mut r, n)
                    .iter()
                    .map(|k| u64::from(k.id))
                    .collect();
                r.finish();
                assert_eq!(got, want);
            }
            "upload" => {
                let now = op["now"].as_u64().expect("now");
                let rotated = &out["rotated"];
                assert_eq!(
                    rotated["signed_prekey"].as_bool(),
                    Some(store.signed_prekey_rotation_due(now))
                );
                assert_eq!(
                    rotated["last_resort_kem_prekey"].as_bool(),
                    Some(store.last_resort_kem_prekey_rotation_due(now))
                );
                let fields = &out["upload"]["fields"];
                let mut purposes = Vec::new();
                if rotated["signed_prekey"] == true {
                    let id = fields["signed_prekey"]["id"]
                        .as_u64()
                        .expect("new signed prekey");
                    purposes.push(format!("bob.signed_prekey[{id}].secret"));
                }
                if rotated["last_resort_kem_prekey"] == true {
                    let id = fields["last_resort_kem_prekey"]["id"]
                        .as_u64()
                        .expect("new last-resort prekey");
                    purposes.push(format!("bob.last_resort_kem_prekey[{id}].seed"));
                }
                let mut r = replay(&purposes);
                let upload = store.upload(&mut r, now);
                r.finish();
                match upload {
                    None => assert!(out["upload"].is_null(), "{op}: nothing new"),
                    Some(u) => {
                        let bytes = unhex(&out["upload"]["bytes"]);
                        assert_eq!(u.to_bytes(), bytes, "{op}: qorgan's bytes");
                        let parsed = PreKeyUpload::from_bytes(&bytes).expect("verifies");
                        assert_eq!(parsed, u);
                        assert_eq!(qorgan_tests::vectors::upload_json(&parsed), *fields);
                        assert_eq!(
                            qorgan::verify::verify(&qorgan::verify::Item::Upload(&bytes)),
                            Ok(())
                        );
                    }
                }
            }
            "bundles" => {
                let max = op["max"].as_u64().expect("max") as usize;
                let got: Vec<String> = store
                    .bundles(max)
                    .iter()
                    .map(|b| hex::encode(&b.to_bytes()))
                    .collect();
                let want: Vec<String> = out["bundles"]
                    .as_array()
                    .expect("bundles")
                    .iter()
                    .map(|b| str_of(&b["bytes"]).to_string())
                    .collect();
                assert_eq!(got, want, "{op}");
            }
            other => panic!("unknown operation {other}"),
        }
    }
    assert_eq!(hex::encode(&store.to_bytes()), str_of(&e["store"]["plain"]));
}

/// A member of the group in group.json.
#[derive(Clone)]
enum Member {
    Inbound(Box<InboundGroupSession>),
    Ring(Box<SenderKeyRing>),
}

impl Member {
    fn decrypt(&mut self, m: &[u8]) -> Result<GroupPlaintext, DecryptError> {
        match self {
            Member::Inbound(s) => s.decrypt(m),
            Member::Ring(r) => r.decrypt(m),
        }
    }

    fn plain(&self) -> Vec<u8> {
        match self {
            Member::Inbound(s) => s.to_bytes().to_vec(),
            Member::Ring(r) => r.to_bytes().to_vec(),
        }
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str().expect("string")
}

fn by_key(v: &Value, key: &str) -> BTreeMap<String, Value> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| (str_of(&x[key]).to_string(), x.clone()))
        .collect()
}

#[test]
fn qorgan_replays_the_group_scenario() {
    let f = load("group.json");
    let (i, e) = (&f["inputs"], &f["expected"]);
    let d = draws(&[&f]);
    let replay = |purposes: &[&str]| ReplayRng::new(purposes.iter().map(|p| d[*p].clone()));
    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .expect("names")
            .iter()
            .map(|p| str_of(p).to_string())
            .collect()
    };

    let mut r = replay(&[
        "alice.identity.ed25519_seed",
        "alice.identity.x25519_secret",
    ]);
    let alice = IdentityKeyPair::generate(&mut r);
    r.finish();
    assert_eq!(
        alice.public().to_field_bytes().to_vec(),
        unhex(&e["sender_identity"]["field_encoding"])
    );
    let policy = RotationPolicy {
        max_messages: i["policy"]["max_messages"].as_u64().expect("n") as u32,
        max_age_secs: i["policy"]["max_age_secs"].as_u64().expect("n"),
    };
    let group_id = unhex(&i["group_id"]["hex"]);
    let new_draws = names(&i["outbound_new_draws"]);
    let mut r = ReplayRng::new(new_draws.iter().map(|p| d[p].clone()));
    let mut out =
        OutboundGroupSession::new(&mut r, &group_id, policy, i["now"].as_u64().expect("now"))
            .expect("new");
    r.finish();

    let plaintexts: BTreeMap<String, Vec<u8>> = i["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| (str_of(&m["id"]).to_string(), unhex(&m["plaintext"]["hex"])))
        .collect();
    let traces = by_key(&e["messages"], "id");
    let dists = by_key(&e["distributions"], "chain");
    let exports = by_key(&e["exports"], "name");
    let bytes_of = |id: &str| unhex(&traces[id]["bytes"]);
    let deliveries: BTreeMap<u64, &Value> = e["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|v| (v["event"].as_u64().expect("event"), v))
        .collect();
    let merges: BTreeMap<u64, &Value> = e["merges"]
        .as_array()
        .expect("merges")
        .iter()
        .map(|v| (v["event"].as_u64().expect("event"), v))
        .collect();
    let mut members: BTreeMap<String, Member> = BTreeMap::new();
    let mut kept: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut delivered = 0;

    for (n, ev) in i["events"].as_array().expect("events").iter().enumerate() {
        let n = n as u64;
        match str_of(&ev["op"]) {
            "distribution" => {
                let v = &dists[str_of(&ev["chain"])];
                let dist = out.distribution(&alice);
                assert_eq!(dist.to_bytes().to_vec(), unhex(&v["bytes"]));
                let ann = unhex(&v["announcement"]["bytes"]);
                assert_eq!(dist.announcement().to_bytes(), ann);
                assert_eq!(
                    SenderKeyAnnouncement::from_bytes(&ann).expect("verifies"),
                    *dist.announcement()
                );
            }
            "join" | "add" => {
                let bytes = unhex(&dists[str_of(&ev["distribution"])]["bytes"]);
                let dist = SenderKeyDistribution::from_bytes(&bytes).expect("verifies");
                // It arrived over the 1:1 session with Alice.
                let who = str_of(&ev["who"]).to_string();
                if str_of(&ev["op"]) == "add" {
                    let Some(Member::Ring(ring)) = members.get_mut(&who) else {
                        panic!("{who} has no ring")
                    };
                    ring.add(&dist, alice.public()).expect("add");
                } else if str_of(&ev["as"]) == "ring" {
                    let ring = SenderKeyRing::new(&dist, alice.public()).expect("ring");
                    members.insert(who, Member::Ring(Box::new(ring)));
                } else {
                    let s = InboundGroupSession::new(&dist, alice.public()).expect("inbound");
                    members.insert(who, Member::Inbound(Box::new(s)));
                }
            }
            "send" => {
                let id = str_of(&ev["id"]);
                let mut r = replay(&[str_of(&traces[id]["nonce_draw"])]);
                let m = out
                    .encrypt(&mut r, &alice, &plaintexts[id])
                    .expect("encrypt");
                r.finish();
                assert_eq!(m, bytes_of(id), "{id}: qorgan's bytes");
            }
            "deliver" => {
                let (id, to) = (str_of(&ev["id"]), str_of(&ev["to"]));
                let m = members.get_mut(to).expect("member");
                let got = m.decrypt(&bytes_of(id)).expect(id);
                assert_eq!(got.plaintext, plaintexts[id], "{id} to {to}");
                let p = &deliveries[&n]["provenance"];
                assert_eq!(
                    hex::encode(&got.sender.to_field_bytes()),
                    str_of(&p["sender"])
                );
                assert_eq!(hex::encode(&got.group_id), str_of(&p["group_id"]));
                assert_eq!(
                    [got.chain_id, got.rotation, got.iteration].map(u64::from),
                    [&p["chain_id"], &p["rotation"], &p["iteration"]]
                        .map(|v| v.as_u64().expect("number")),
                    "{id} to {to}: provenance"
                );
                assert!(
                    matches!(
                        m.decrypt(&bytes_of(id)),
                        Err(DecryptError::Duplicate { .. })
                    ),
                    "{id} decrypts only once"
                );
                delivered += 1;
            }
            "refuse_delivery" => {
                let (id, to) = (str_of(&ev["id"]), str_of(&ev["to"]));
                let m = members.get_mut(to).expect("member");
                let before = m.plain();
                let err = m.decrypt(&bytes_of(id)).expect_err("refused");
                assert_eq!(errors::decrypt(&err).0, str_of(&ev["error"]));
                assert_eq!(m.plain(), before, "a refused message changes nothing");
            }
            "export" => {
                let Member::Inbound(s) = &members[str_of(&ev["who"])] else {
                    panic!("inbound")
                };
                let k = ev["iteration"].as_u64().expect("k") as u32;
                let x = s.export_at(k).expect("export");
                assert_eq!(x.to_vec(), unhex(&exports[str_of(&ev["name"])]["bytes"]));
            }
            "import" => {
                let x = unhex(&exports[str_of(&ev["export"])]["bytes"]);
                let s = InboundGroupSession::import(&x).expect("import");
                assert_eq!(s.first_iteration(), s.position());
                members.insert(str_of(&ev["who"]).to_string(), Member::Inbound(Box::new(s)));
            }
            "merge" => {
                let bytes = unhex(&dists[str_of(&ev["distribution"])]["bytes"]);
                let dist = SenderKeyDistribution::from_bytes(&bytes).expect("verifies");
                let copy = InboundGroupSession::new(&dist, alice.public()).expect("inbound");
                let Some(Member::Inbound(s)) = members.get_mut(str_of(&ev["who"])) else {
                    panic!("inbound")
                };
                let merged = s.merge(&copy).expect("merge");
                assert_eq!(
                    *merged.to_bytes(),
                    *copy.merge(s).expect("merge").to_bytes()
                );
                let after = &merges[&n]["receiver_after"]["inbound"];
                assert_eq!(
                    u64::from(merged.first_iteration()),
                    after["first_iteration"].as_u64().expect("first")
                );
                assert_eq!(
                    u64::from(merged.position()),
                    after["position"].as_u64().expect("position")
                );
                assert_eq!(
                    merged.skipped_key_count(),
                    after["skipped"].as_array().expect("skipped").len()
                );
                **s = merged;
            }
            "keep" => {
                let plain = match str_of(&ev["who"]) {
                    "alice" => out.to_bytes().to_vec(),
                    who => members[who].plain(),
                };
                kept.insert(str_of(&ev["state"]).to_string(), plain);
            }
            "refuse_encrypt" => {
                let now = ev["now"].as_u64().expect("now");
                let due = out.rotation_due(now).expect("rotation due");
                assert_eq!(format!("{due:?}"), str_of(&ev["rotation_due"]));
                let before = out.to_bytes().to_vec();
                let mut r = ReplayRng::new(Vec::<Vec<u8>>::new());
                let err = out.encrypt(&mut r, &alice, b"x").expect_err("refused");
                r.finish();
                assert_eq!(errors::encrypt(&err).0, str_of(&ev["error"]));
                assert_eq!(out.to_bytes().to_vec(), before);
            }
            "rotate" => {
                let rotate_draws = names(&i["rotate_draws"]);
                let mut r = ReplayRng::new(rotate_draws.iter().map(|p| d[p].clone()));
                out.rotate(&mut r, ev["now"].as_u64().expect("now"))
                    .expect("rotate");
                r.finish();
            }
            "mark_member_removed" => out.mark_member_removed(),
            other => panic!("unknown operation {other}"),
        }
    }
    assert_eq!(
        delivered,
        e["deliveries"].as_array().expect("deliveries").len()
    );

    // The states: qorgan's at the kept points, opened and re-sealed.
    let key = StorageKey::from_bytes(d["storage_key"].clone().try_into().expect("32"));
    for s in e["states"].as_array().expect("states") {
        let name = str_of(&s["name"]);
        let (plain, sealed) = (unhex(&s["plain"]), unhex(&s["sealed"]));
        assert_eq!(kept[name], plain, "{name}: qorgan's state at that point");
        check_header(s, &sealed);
        let expected = expected_of(s);
        let mut nonce = ReplayRng::new([d[str_of(&s["nonce_draw"])].clone()]);
        // Opened at its generation; loaded from plain (generation 0) and
        // sealed once with the recorded nonce, the same blob.
        let (opened, from_plain, resealed) = match s["kind"].as_u64() {
            Some(0x42) => {
                let o = OutboundGroupSession::open(&key, &sealed, &expected).expect("open");
                assert_eq!(o.state_owner(), expected.owner);
                let mut p = OutboundGroupSession::from_bytes(&plain).expect("plain");
                (o.to_bytes(), p.to_bytes(), p.seal(&mut nonce, &key))
            }
            Some(0x43) => {
                let o = InboundGroupSession::open(&key, &sealed, &expected).expect("open");
                assert_eq!(o.state_owner(), expected.owner);
                let mut p = InboundGroupSession::from_bytes(&plain).expect("plain");
                (o.to_bytes(), p.to_bytes(), p.seal(&mut nonce, &key))
            }
            Some(0x44) => {
                let o = SenderKeyRing::open(&key, &sealed, &expected).expect("open");
                assert_eq!(o.state_owner(), expected.owner);
                let mut p = SenderKeyRing::from_bytes(&plain).expect("plain");
                (o.to_bytes(), p.to_bytes(), p.seal(&mut nonce, &key))
            }
            other => panic!("kind {other:?}"),
        };
        nonce.finish();
        assert_eq!(*opened, plain, "{name}: opened");
        assert_eq!(*from_plain, plain, "{name}: plain round trip");
        assert_eq!(resealed, sealed, "{name}: sealed again with the same nonce");
    }

    // Batch verification: qorgan's verdicts.
    for (b, x) in i["batch"]
        .as_array()
        .expect("batch")
        .iter()
        .zip(e["batch"].as_array().expect("batch"))
    {
        let items = b["items"].as_array().expect("items");
        let msgs: Vec<Vec<u8>> = items.iter().map(|it| unhex(&it["message"])).collect();
        let sigs: Vec<Signature> = items
            .iter()
            .map(|it| Signature::from_bytes(&unhex(&it["signature"]).try_into().expect("64")))
            .collect();
        let keys: Vec<Ed25519PublicKey> = items
            .iter()
            .map(|it| {
                Ed25519PublicKey::from_bytes(&unhex(&it["public_key"]).try_into().expect("32"))
                    .expect("key")
            })
            .collect();
        let refs: Vec<(&[u8], &Signature, &Ed25519PublicKey)> = msgs
            .iter()
            .zip(sigs.iter().zip(keys.iter()))
            .map(|(m, (s, k))| (m.as_slice(), s, k))
            .collect();
        let verdicts: Vec<Value> = verify_batch(&refs).into_iter().map(Value::Bool).collect();
        assert_eq!(Value::Array(verdicts), x["verdicts"], "{}", b["name"]);
    }

    // Catch-up: a fresh member decrypts chain 1 in one batch, out of order.
    let dist1 = SenderKeyDistribution::from_bytes(&unhex(&dists["chain1"]["bytes"])).expect("d");
    let mut fresh = InboundGroupSession::new(&dist1, alice.public()).expect("inbound");
    let order = ["m3", "m0", "m1", "m2", "m7", "m5", "m4", "m6"];
    let queued: Vec<Vec<u8>> = order.iter().map(|id| bytes_of(id)).collect();
    let refs: Vec<&[u8]> = queued.iter().map(Vec::as_slice).collect();
    for (id, r) in order.iter().zip(fresh.decrypt_batch(&refs)) {
        assert_eq!(r.expect(id).plaintext, plaintexts[*id], "{id}");
    }
    assert_eq!(fresh.skipped_key_count(), 0);
}

/// docs/PROTOCOL.md §13: `rng(seed)` is the ChaCha20 keystream under the key
/// `u64_le(seed) || 0^24` with nonce 0, and a `fill_bytes` request of `n`
/// bytes takes whole 32-bit words: it returns the next `n` bytes of the
/// stream and discards the rest of its last word, so the next request
/// starts at the next multiple of 4.
#[test]
fn chacha20_rng_requests_take_whole_words() {
    use chacha20poly1305::aead::AeadInOut;
    use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
    use rand_core::Rng;
    let seed = 2u64;
    let mut stream = vec![0u8; 8192];
    qorgan_tests::rng(seed).fill_bytes(&mut stream);
    // The stream is ChaCha20's keystream from block 0: ChaCha20-Poly1305
    // (RFC 8439) under the same key and a zero nonce encrypts with blocks
    // 1, 2, … (block 0 makes the Poly1305 key).
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut zeros = vec![0u8; 8192 - 64];
    ChaCha20Poly1305::new(&key.into())
        .encrypt_inout_detached(&[0u8; 12].into(), b"", zeros.as_mut_slice().into())
        .expect("encrypt");
    assert_eq!(zeros, stream[64..]);
    // Requests of every size modulo 4, across block and buffer boundaries.
    let mut r = qorgan_tests::rng(seed);
    let mut offset = 0;
    for n in [
        1usize, 65, 1329, 3, 4, 2, 0, 7, 12, 5, 64, 255, 6, 1024, 9, 2048,
    ] {
        let mut b = vec![0u8; n];
        r.fill_bytes(&mut b);
        assert_eq!(b, stream[offset..offset + n], "request of {n} at {offset}");
        offset += n.div_ceil(4) * 4;
    }
    // next_u32 takes one word, little-endian.
    assert_eq!(
        r.next_u32().to_le_bytes(),
        stream[offset..offset + 4],
        "next word"
    );
}

#[test]
fn the_independent_checker_does_not_use_qorgan() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/independent.rs");
    let source = std::fs::read_to_string(path).expect("read");
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for banned in [
            "qorgan::",
            "qorgan_store",
            "qorgan_tests",
            "crate::vectors",
            "super::",
        ] {
            assert!(
                !code.contains(banned),
                "independent.rs line {}: uses {banned}",
                n + 1
            );
        }
    }
}

#[test]
fn qorgan_gives_the_recorded_outcome_of_every_negative_group_case() {
    let f = load("group_negative.json");
    let d = draws(&[&f]);
    let mut ids = BTreeMap::new();
    for who in ["alice", "bob"] {
        let mut r = ReplayRng::new([
            d[&format!("{who}.identity.ed25519_seed")].clone(),
            d[&format!("{who}.identity.x25519_secret")].clone(),
        ]);
        let id = IdentityKeyPair::generate(&mut r);
        r.finish();
        assert_eq!(
            hex::encode(&id.public().to_field_bytes()),
            str_of(&f["inputs"]["identities"][who]["field_encoding"])
        );
        ids.insert(who.to_string(), id);
    }
    replay_cases(&f, |c| run_group_negative_case(c, &ids, &d));
}

/// Runs every case of a negative-vector file and compares its outcome with
/// the recorded one.
fn replay_cases(f: &Value, mut run: impl FnMut(&Value) -> Value) {
    let cases = f["inputs"]["cases"].as_array().expect("cases");
    let expected = f["expected"]["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), expected.len());
    for (c, x) in cases.iter().zip(expected) {
        let name = str_of(&c["name"]);
        assert_eq!(str_of(&x["name"]), name);
        let mut want = x.clone();
        want.as_object_mut().expect("object").remove("name");
        assert_eq!(run(c), want, "case {name}");
    }
}

#[test]
fn qorgan_gives_the_recorded_outcome_of_every_negative_case() {
    replay_cases(&load("negative.json"), run_negative_case);
}

#[test]
fn qorgan_gives_the_recorded_outcome_of_every_account_negative_case() {
    let f = load("account_negative.json");
    let lists: BTreeMap<String, Vec<u8>> = f["inputs"]["lists"]
        .as_object()
        .expect("lists")
        .iter()
        .map(|(k, v)| (k.clone(), unhex(v)))
        .collect();
    replay_cases(&f, |c| run_account_negative_case(c, &lists));
}

/// account.json (docs/PROTOCOL.md §14) through qorgan, from its draws: the
/// accounts, every list, the link codes and provisioning messages, the
/// updates, the heads schedule, the envelopes, what `receive` reports, the
/// fan-out, the account safety numbers and the sealed states.
#[test]
fn qorgan_replays_the_account_scenario() {
    use qorgan::account::{
        Account, Contact, DeviceList, Heads, LinkCode, LinkRequest, ListHead, fanout,
        open_envelope, receive, seal_envelope,
    };
    use qorgan_tests::vectors::account::{
        account_json, change_json, contact_json, head_json, heads_json, report_json,
        safety_number_json,
    };
    let f = load("account.json");
    let d = draws(&[&f]);
    let x = &f["expected"];
    let replay = |purposes: &[&str]| ReplayRng::new(purposes.iter().map(|p| d[*p].clone()));
    let mut ids = BTreeMap::new();
    for n in f["inputs"]["identities"].as_array().expect("identities") {
        let n = str_of(n);
        let mut r = replay(&[
            &format!("{n}.identity.ed25519_seed"),
            &format!("{n}.identity.x25519_secret"),
        ]);
        let id = IdentityKeyPair::generate(&mut r);
        r.finish();
        assert_eq!(
            hex::encode(&id.public().to_field_bytes()),
            str_of(&x["identities"][n]["field_encoding"])
        );
        ids.insert(n.to_string(), id);
    }
    let create = |who: &str| {
        let a = &f["inputs"]["accounts"][who];
        let mut r = replay(&[str_of(&a["seed_draw"])]);
        let label = String::from_utf8(unhex(&a["label"]["hex"])).expect("utf-8");
        let account =
            Account::create(&mut r, ids[str_of(&a["device"])].public(), &label).expect("create");
        r.finish();
        assert_eq!(
            hex::encode(&account.account_key().to_bytes()),
            str_of(&x["accounts"][who])
        );
        account
    };
    let mut bob = create("bob");
    let alice = create("alice");
    let lists: BTreeMap<String, Vec<u8>> = x["lists"]
        .as_array()
        .expect("lists")
        .iter()
        .map(|l| (str_of(&l["name"]).to_string(), unhex(&l["bytes"])))
        .collect();
    let list = |n: &str| DeviceList::from_bytes(&lists[n]).expect("verifies");
    assert_eq!(bob.list().to_bytes(), lists["bob.v1"]);
    assert_eq!(alice.list().to_bytes(), lists["alice.v1"]);
    for l in x["lists"].as_array().expect("lists") {
        let bytes = unhex(&l["bytes"]);
        let parsed = DeviceList::from_bytes(&bytes).expect("verifies");
        assert_eq!(head_json(&parsed.head()), l["head"]);
        assert_eq!(parsed.version(), l["version"].as_u64().expect("version"));
        assert_eq!(
            qorgan::verify::verify(&qorgan::verify::Item::DeviceList(&bytes)),
            Ok(())
        );
        if parsed.version() > 1 {
            let name = str_of(&l["name"]);
            let prev = list(&format!(
                "{}.v{}",
                &name[..name.find('.').expect(".")],
                parsed.version() - 1
            ));
            assert!(parsed.follows(&prev.head()));
            assert_eq!(
                qorgan::verify::verify(&qorgan::verify::Item::DeviceListAfter {
                    account: *parsed.account(),
                    previous: prev.head(),
                    list: &bytes
                }),
                Ok(())
            );
        }
    }

    // Linking (§14.4): the code, the message, what completes.
    let bob_contact_of_alice = Contact::pin(list("alice.v1"));
    let mut linked = Vec::new();
    for (i, l) in f["inputs"]["links"]
        .as_array()
        .expect("links")
        .iter()
        .enumerate()
    {
        let out = &x["links"][i];
        let device = ids[str_of(&l["device"])].public();
        let mut r = replay(&[
            str_of(&l["link_key_secret_draw"]),
            str_of(&l["link_secret_draw"]),
        ]);
        let mut request = LinkRequest::new(&mut r, device);
        r.finish();
        assert_eq!(request.code().as_str(), str_of(&out["code"]["text"]));
        let code = LinkCode::parse(&request.code()).expect("code");
        let contacts: Vec<&Contact> = l["contacts"]
            .as_array()
            .expect("contacts")
            .iter()
            .map(|_| &bob_contact_of_alice)
            .collect();
        let label = String::from_utf8(unhex(&l["label"]["hex"])).expect("utf-8");
        let mut r = replay(&[str_of(&l["ephemeral_secret_draw"])]);
        let message = bob
            .provision(
                &mut r,
                &code,
                &label,
                &contacts,
                l["share_account_key"].as_bool().expect("share"),
            )
            .expect("provision");
        r.finish();
        assert_eq!(message, unhex(&out["provisioning"]["bytes"]));
        assert_eq!(bob.list().to_bytes(), lists[str_of(&out["list_after"])]);
        let (account, contacts) = request.complete(&message).expect("complete");
        assert_eq!(account_json(&account), out["completed"]["account"]);
        assert_eq!(
            Value::Array(contacts.iter().map(contact_json).collect()),
            out["completed"]["contacts"]
        );
        linked.push(account);
    }
    let mut tablet = linked.pop().expect("tablet");
    let mut laptop = linked.pop().expect("laptop");
    bob.remove_device(ids["bob_laptop"].public())
        .expect("remove");
    assert_eq!(bob.list().to_bytes(), lists["bob.v4"]);

    // Updates (§14.3).
    let chain_of = |v: &Value| -> Vec<DeviceList> {
        v.as_array()
            .expect("chain")
            .iter()
            .map(|n| list(str_of(n)))
            .collect()
    };
    for (u, out) in f["inputs"]["updates"]
        .as_array()
        .expect("updates")
        .iter()
        .zip(x["updates"].as_array().expect("updates"))
    {
        let chain = chain_of(&u["chain"]);
        let (change, after) = match str_of(&u["who"]) {
            "contact" => {
                let mut c = Contact::pin(list(str_of(&u["held"])));
                let change = c.update(&chain).expect("update");
                (change, contact_json(&c))
            }
            "laptop" => {
                assert_eq!(laptop.list().to_bytes(), lists[str_of(&u["held"])]);
                let change = laptop.update(&chain).expect("update");
                (change, account_json(&laptop))
            }
            _ => {
                assert_eq!(tablet.list().to_bytes(), lists[str_of(&u["held"])]);
                let change = tablet.update(&chain).expect("update");
                (change, account_json(&tablet))
            }
        };
        assert_eq!(change_json(&change), out["change"]);
        assert_eq!(after, out["after"]);
    }

    // The heads schedule (§14.5).
    let sched = &f["inputs"]["schedule"];
    let mut contact = Contact::pin(list("bob.v1"));
    let mut got = Vec::new();
    let before = sched["calls_before_update"].as_u64().expect("calls");
    let after = sched["calls_after_update"].as_u64().expect("calls");
    for call in 0..before + after {
        if call == before {
            contact.update(&chain_of(&sched["update"])).expect("update");
            got.push(serde_json::json!({"update": sched["update"]}));
        }
        let heads = contact.heads_to_send(alice.head());
        got.push(serde_json::json!({"call": call, "heads": heads.as_ref().map(heads_json)}));
    }
    assert_eq!(Value::Array(got), x["schedule"]);

    // Envelopes and what a receiver learns (§14.5).
    let head_of = |v: &Value| ListHead {
        version: v["version"].as_u64().expect("version"),
        hash: unhex(&v["hash"]).try_into().expect("32"),
    };
    let heads_of = |v: &Value| {
        (!v.is_null()).then(|| Heads {
            sender: head_of(&v["sender"]),
            peer: head_of(&v["peer"]),
        })
    };
    let account_key_of = |v: &Value| {
        qorgan::account::AccountKey::from_bytes(&unhex(v).try_into().expect("32"))
            .expect("account key")
    };
    for e in x["envelopes"].as_array().expect("envelopes") {
        let heads = heads_of(&e["heads"]);
        let body = unhex(&e["body"]);
        let sender = account_key_of(&e["sender"]);
        let recipient = account_key_of(&e["recipient"]);
        assert_eq!(
            (sender, recipient),
            (*alice.account_key(), *bob.account_key()),
            "Alice writes to Bob"
        );
        let bytes = seal_envelope(&sender, &recipient, heads.as_ref(), &body);
        assert_eq!(bytes, unhex(&e["bytes"]));
        let opened = open_envelope(&bytes).expect("opens");
        assert_eq!(
            (opened.sender, opened.recipient, opened.heads, opened.body),
            (sender, recipient, heads, &body[..])
        );
    }
    for rc in x["receive"].as_array().expect("receive") {
        let envelope = unhex(&rc["envelope"]);
        let from = account_key_of(&rc["sender_account"]);
        let recipient = account_key_of(&rc["recipient"]);
        let (named, addressed) = if str_of(&rc["sender"]) == "alice_phone" {
            (alice.account_key(), bob.account_key())
        } else {
            (bob.account_key(), alice.account_key())
        };
        assert_eq!((from, recipient), (*named, *addressed), "§14.5 sender rule");
        let opened = open_envelope(&envelope).expect("opens");
        assert_eq!((opened.sender, opened.recipient), (from, recipient));
        let got = receive(
            &bob,
            &bob_contact_of_alice,
            ids[str_of(&rc["sender"])].public(),
            &envelope,
        )
        .expect("listed");
        assert_eq!(hex::encode(got.body), str_of(&rc["body"]));
        assert_eq!(report_json(got.report.as_ref()), rc["report"]);
    }

    // The fan-out (§14.5), with sessions made as the generator made them.
    let fo = &x["fanout"];
    let mut r = qorgan_tests::rng(f["fanout_sessions_seed"].as_u64().expect("seed"));
    let mut sessions = Vec::new();
    let mut stores = Vec::new();
    for to in f["inputs"]["fanout"]["sessions"]
        .as_array()
        .expect("sessions")
    {
        let mut store = PreKeyStore::new(&mut r, ids[str_of(to)].clone(), 0);
        let bundle = store.bundle().expect("bundle");
        sessions.push(Session::initiate(&mut r, &ids["bob_phone"], &bundle).expect("initiate"));
        let _ = &mut store;
        stores.push(store);
    }
    let mut to_alice = Contact::pin(list("alice.v1"));
    let body = unhex(&f["inputs"]["fanout"]["body"]["hex"]);
    let deliveries = fanout(&mut r, &bob, &mut to_alice, &mut sessions, &body);
    assert_eq!(
        deliveries.len(),
        fo["deliveries"].as_array().expect("d").len()
    );
    for (got, want) in deliveries
        .iter()
        .zip(fo["deliveries"].as_array().expect("d"))
    {
        assert!(got.device.ct_eq(ids[str_of(&want["device"])].public()));
        match &got.result {
            Ok(c) => {
                assert_eq!(want["result"]["result"], "ok");
                let (_, pt) = stores[0].accept(c, 0).expect("accept");
                assert_eq!(pt, unhex(&fo["envelope"]));
            }
            Err(e) => assert_eq!(errors::fanout(e).0, str_of(&want["result"]["error"])),
        }
    }
    assert_eq!(account_key_of(&fo["sender_account"]), *bob.account_key());
    assert_eq!(account_key_of(&fo["recipient"]), *alice.account_key());
    let fo_envelope = unhex(&fo["envelope"]);
    let opened = open_envelope(&fo_envelope).expect("opens");
    assert_eq!(
        (opened.sender, opened.recipient),
        (*bob.account_key(), *alice.account_key())
    );
    assert_eq!(*to_alice.to_bytes(), unhex(&fo["contact_after"]));

    // Account safety numbers (§14.6).
    for (c, want) in f["inputs"]["safety_numbers"]
        .as_array()
        .expect("cases")
        .iter()
        .zip(x["safety_numbers"].as_array().expect("cases"))
    {
        let key = |n: &Value| {
            if str_of(n) == "alice" {
                alice.account_key()
            } else {
                bob.account_key()
            }
        };
        let sn = qorgan::SafetyNumber::for_accounts(
            key(&c["a"]),
            &unhex(&c["a_id"]),
            key(&c["b"]),
            &unhex(&c["b_id"]),
        );
        assert_eq!(safety_number_json(&sn), *want);
    }

    // Sealed states (§14.7, §7.1): each opens with its owner at its
    // generation and not at the next; loaded from its plain bytes and sealed
    // with the recorded nonce at its generation, the same blob.
    let key = StorageKey::from_bytes(d["storage_key"].clone().try_into().expect("32"));
    for s in x["states"].as_array().expect("states") {
        let (plain, sealed) = (unhex(&s["plain"]), unhex(&s["sealed"]));
        check_header(s, &sealed);
        let expected = expected_of(s);
        let g = expected.min_generation;
        let next = Expected::new(expected.owner, g + 1);
        let rolled = Some(StateError::RolledBack {
            min_generation: g + 1,
            found: g,
        });
        let nonces: Vec<&str> = s["nonce_draws"]
            .as_array()
            .expect("nonces")
            .iter()
            .map(str_of)
            .collect();
        let mut nonce = ReplayRng::new([d[*nonces.last().expect("nonce")].clone()]);
        if s["kind"] == 0x46 {
            let opened = Account::open(&key, &sealed, &expected).expect("open");
            assert_eq!(*opened.to_bytes(), plain);
            assert_eq!(account_json(&opened), s["account"]);
            assert_eq!(opened.state_owner(), expected.owner);
            assert_eq!(Account::open(&key, &sealed, &next).err(), rolled);
            let mut from_plain = Account::from_bytes(&plain).expect("decode");
            from_plain.resume_generation(g - 1);
            assert_eq!(from_plain.seal(&mut nonce, &key), sealed);
        } else {
            let opened = Contact::open(&key, &sealed, &expected).expect("open");
            assert_eq!(*opened.to_bytes(), plain);
            assert_eq!(contact_json(&opened), s["contact"]);
            assert_eq!(Contact::open(&key, &sealed, &next).err(), rolled);
            let mut from_plain = Contact::from_bytes(&plain).expect("decode");
            from_plain.resume_generation(g - 1);
            assert_eq!(from_plain.seal(&mut nonce, &key), sealed);
        }
        nonce.finish();
    }
}

#[test]
fn qorgan_gives_the_recorded_outcome_of_every_roster_negative_case() {
    let f = load("roster_negative.json");
    let named = |k: &str| -> BTreeMap<String, Vec<u8>> {
        f["inputs"][k]
            .as_object()
            .expect("named inputs")
            .iter()
            .map(|(k, v)| (k.clone(), unhex(v)))
            .collect()
    };
    let (rosters, lists) = (named("rosters"), named("lists"));
    replay_cases(&f, |c| run_roster_negative_case(c, &rosters, &lists));
}

/// roster.json (docs/PROTOCOL.md §15) through qorgan, from its draws: the
/// accounts, the four rosters made by the operations listed, the advances
/// and the history, Alice's chains and messages (every byte), each event
/// in order (admissions, deliveries with their provenance, roster changes
/// applied, rotations, refusals), the distribution to members' devices
/// only, and the sealed version 3 states.
#[test]
fn qorgan_replays_the_roster_scenario() {
    use qorgan::account::{Account, DeviceList};
    use qorgan::roster::{Member, Role, Roster, distribute_in_roster};
    use qorgan_tests::vectors::account::head_json;
    use qorgan_tests::vectors::roster::roster_change_json;
    let f = load("roster.json");
    let d = draws(&[&f]);
    let x = &f["expected"];
    let replay = |purposes: &[&str]| ReplayRng::new(purposes.iter().map(|p| d[*p].clone()));
    let mut ids = BTreeMap::new();
    let mut accounts = BTreeMap::new();
    for n in f["inputs"]["people"].as_array().expect("people") {
        let n = str_of(n);
        let device = format!("{n}_phone");
        let mut r = replay(&[
            &format!("{device}.identity.ed25519_seed"),
            &format!("{device}.identity.x25519_secret"),
            &format!("{n}.account_seed"),
        ]);
        let id = IdentityKeyPair::generate(&mut r);
        let account = Account::create(&mut r, id.public(), "").expect("create");
        r.finish();
        assert_eq!(
            hex::encode(&id.public().to_field_bytes()),
            str_of(&x["identities"][&device]["field_encoding"])
        );
        assert_eq!(
            hex::encode(&account.account_key().to_bytes()),
            str_of(&x["accounts"][n])
        );
        ids.insert(n.to_string(), id);
        accounts.insert(n.to_string(), account);
    }
    let lists: BTreeMap<String, DeviceList> = f["inputs"]["lists"]
        .as_object()
        .expect("lists")
        .iter()
        .map(|(k, v)| {
            let l = DeviceList::from_bytes(&unhex(v)).expect("list");
            assert_eq!(l.account(), accounts[k].account_key());
            (k.clone(), l)
        })
        .collect();
    let key = |n: &Value| *accounts[str_of(n)].account_key();
    let kp = |n: &Value| accounts[str_of(n)].key_pair().expect("account key");
    let role = |v: &Value| match str_of(v) {
        "admin" => Role::Admin,
        _ => Role::Member,
    };
    // The rosters, made by the operations listed.
    let mut rosters: BTreeMap<String, Roster> = BTreeMap::new();
    for (op, want) in f["inputs"]["rosters"]
        .as_array()
        .expect("rosters")
        .iter()
        .zip(x["rosters"].as_array().expect("rosters"))
    {
        let r = match str_of(&op["op"]) {
            "create" => Roster::create(
                kp(&op["signer"]),
                &unhex(&f["inputs"]["group_id"]["hex"]),
                op["members"]
                    .as_array()
                    .expect("members")
                    .iter()
                    .map(|m| Member::new(key(&m[0]), role(&m[1])))
                    .collect(),
            ),
            "with_member" => rosters[str_of(&op["of"])].with_member(
                kp(&op["signer"]),
                &key(&op["account"]),
                role(&op["role"]),
            ),
            _ => rosters[str_of(&op["of"])].without_member(kp(&op["signer"]), &key(&op["account"])),
        }
        .expect("roster");
        assert_eq!(hex::encode(&r.to_bytes()), str_of(&want["bytes"]));
        assert_eq!(head_json(&r.head()), want["head"]);
        assert_eq!(Roster::from_bytes(&r.to_bytes()).expect("decodes"), r);
        assert_eq!(
            qorgan::verify::verify(&qorgan::verify::Item::Roster(&r.to_bytes())),
            Ok(())
        );
        if let Some(prev) = op.get("of") {
            assert_eq!(
                qorgan::verify::verify(&qorgan::verify::Item::RosterAfter {
                    previous: &rosters[str_of(prev)],
                    roster: &r.to_bytes()
                }),
                Ok(())
            );
        }
        rosters.insert(str_of(&op["name"]).to_string(), r);
    }
    let chain_of = |v: &Value| -> Vec<Roster> {
        v.as_array()
            .expect("chain")
            .iter()
            .map(|n| rosters[str_of(n)].clone())
            .collect()
    };
    for (a, want) in f["inputs"]["advances"]
        .as_array()
        .expect("advances")
        .iter()
        .zip(x["advances"].as_array().expect("advances"))
    {
        let (newest, change) = rosters[str_of(&a["held"])]
            .advance(&chain_of(&a["chain"]))
            .expect("advance");
        assert_eq!(head_json(&newest.head()), want["newest"]);
        assert_eq!(roster_change_json(&change), want["change"]);
    }
    let history = Roster::from_history(
        &chain_of(&f["inputs"]["history"]["chain"]),
        &rosters[str_of(&f["inputs"]["history"]["invited"])].head(),
    )
    .expect("history");
    assert_eq!(head_json(&history.head()), x["history"]);

    // The group, event by event.
    let alice = &ids["alice"];
    let from = *alice.public();
    let policy = RotationPolicy {
        max_messages: f["inputs"]["policy"]["max_messages"].as_u64().expect("max") as u32,
        max_age_secs: f["inputs"]["policy"]["max_age_secs"].as_u64().expect("age"),
    };
    let chain_draws = |c: &str| {
        replay(&[
            &format!("{c}.chain_id"),
            &format!("{c}.chain_key"),
            &format!("{c}.signing_seed"),
        ])
    };
    let chains: BTreeMap<String, &Value> = x["chains"]
        .as_array()
        .expect("chains")
        .iter()
        .map(|c| (str_of(&c["name"]).to_string(), c))
        .collect();
    let messages: BTreeMap<String, &Value> = x["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| (str_of(&m["id"]).to_string(), m))
        .collect();
    let mut out: Option<OutboundGroupSession> = None;
    let mut dists: BTreeMap<String, SenderKeyDistribution> = BTreeMap::new();
    let mut bob_ring: Option<SenderKeyRing> = None;
    let mut carol_in: Option<InboundGroupSession> = None;
    let mut deliveries = x["deliveries"].as_array().expect("deliveries").iter();
    let distributed = |o: &OutboundGroupSession,
                       chain: &str,
                       dists: &mut BTreeMap<String, SenderKeyDistribution>| {
        let dist = o.distribution(alice);
        assert_eq!(
            hex::encode(&dist.to_bytes()),
            str_of(&chains[chain]["distribution"]["bytes"])
        );
        assert_eq!(
            hex::encode(&dist.announcement.to_bytes()),
            str_of(&chains[chain]["announcement"])
        );
        dists.insert(chain.to_string(), dist);
    };
    let change_of = |c: &str| {
        let (a, b) = c.split_once(" -> ").expect("change");
        let held = &rosters[a];
        let target = &rosters[b];
        let chain: Vec<Roster> = rosters
            .values()
            .filter(|r| r.epoch() > held.epoch() && r.epoch() <= target.epoch())
            .cloned()
            .collect();
        let (newest, change) = held.advance(&chain).expect("advance");
        assert_eq!(newest, *target);
        change
    };
    for e in f["inputs"]["events"].as_array().expect("events") {
        match str_of(&e["op"]) {
            "new_in_roster" => {
                let mut r = chain_draws(str_of(&e["chain"]));
                let o = OutboundGroupSession::new_in_roster(
                    &mut r,
                    &rosters[str_of(&e["roster"])],
                    accounts["alice"].account_key(),
                    policy,
                    e["now"].as_u64().expect("now"),
                )
                .expect("new_in_roster");
                r.finish();
                distributed(&o, str_of(&e["chain"]), &mut dists);
                out = Some(o);
            }
            "rotate" => {
                let o = out.as_mut().expect("outbound");
                let mut r = chain_draws(str_of(&e["chain"]));
                o.rotate(&mut r, e["now"].as_u64().expect("now"))
                    .expect("rotate");
                r.finish();
                distributed(o, str_of(&e["chain"]), &mut dists);
            }
            "apply_roster" => {
                let change = change_of(str_of(&e["change"]));
                out.as_mut()
                    .expect("outbound")
                    .apply_roster(&change)
                    .expect("apply");
            }
            "admit" => {
                let who = str_of(&e["who"]);
                let dist = &dists[str_of(&e["chain"])];
                let roster = &rosters[str_of(&e["roster"])];
                let me = accounts[who].account_key();
                match (who, bob_ring.as_mut(), str_of(&e["into"])) {
                    ("bob", None, "ring") => {
                        bob_ring = Some(
                            SenderKeyRing::new_in_roster(dist, &from, roster, &lists["alice"], me)
                                .expect("ring"),
                        );
                    }
                    ("bob", Some(ring), "ring") => ring
                        .add_in_roster(dist, &from, roster, &lists["alice"], me)
                        .expect("add"),
                    _ => {
                        carol_in = Some(
                            InboundGroupSession::new_in_roster(
                                dist,
                                &from,
                                roster,
                                &lists["alice"],
                                me,
                            )
                            .expect("inbound"),
                        );
                    }
                }
            }
            "encrypt" => {
                let id = str_of(&e["id"]);
                let m = messages[id];
                let mut r = replay(&[str_of(&m["nonce_draw"])]);
                let bytes = out
                    .as_mut()
                    .expect("outbound")
                    .encrypt(&mut r, alice, &unhex(&m["plaintext"]["hex"]))
                    .expect("encrypt");
                r.finish();
                assert_eq!(hex::encode(&bytes), str_of(&m["bytes"]), "{id}");
            }
            "deliver" => {
                let want = deliveries.next().expect("delivery");
                let id = str_of(&e["id"]);
                let bytes = unhex(&messages[id]["bytes"]);
                let roster = &rosters[str_of(&e["roster"])];
                let got = match str_of(&e["to"]) {
                    "bob" => bob_ring.as_mut().expect("ring").decrypt_in_roster(
                        &bytes,
                        roster,
                        &lists["alice"],
                    ),
                    _ => carol_in.as_mut().expect("carol").decrypt_in_roster(
                        &bytes,
                        roster,
                        &lists["alice"],
                    ),
                }
                .expect("decrypt");
                let p = &want["provenance"];
                assert_eq!(
                    hex::encode(&got.plaintext),
                    str_of(&messages[id]["plaintext"]["hex"])
                );
                assert_eq!(
                    hex::encode(&got.sender.to_field_bytes()),
                    str_of(&p["sender"])
                );
                assert_eq!(
                    got.roster.as_ref().map(head_json),
                    Some(p["roster"].clone())
                );
                assert_eq!(
                    (
                        u64::from(got.chain_id),
                        u64::from(got.rotation),
                        u64::from(got.iteration)
                    ),
                    (
                        p["chain_id"].as_u64().expect("id"),
                        p["rotation"].as_u64().expect("rotation"),
                        p["iteration"].as_u64().expect("iteration")
                    )
                );
            }
            "refusal" => {
                let rf = &x["refusals"][e["refusal"].as_u64().expect("n") as usize];
                let what = &rf["what"];
                let got = match str_of(&what["op"]) {
                    "encrypt" => {
                        let mut r = ReplayRng::new(Vec::<Vec<u8>>::new());
                        let o = out.as_mut().expect("outbound");
                        let e = o.encrypt(&mut r, alice, b"refused").expect_err("refused");
                        errors::encrypt(&e).0
                    }
                    "admit" => {
                        let e = InboundGroupSession::new_in_roster(
                            &dists[str_of(&what["chain"])],
                            &from,
                            &rosters[str_of(&what["roster"])],
                            &lists["alice"],
                            accounts[str_of(&rf["who"])].account_key(),
                        )
                        .expect_err("refused");
                        errors::group(&e).0
                    }
                    _ => {
                        let bytes = unhex(&messages[str_of(&what["id"])]["bytes"]);
                        let s = carol_in.as_mut().expect("carol");
                        let before = s.to_bytes().to_vec();
                        let e = s
                            .decrypt_in_roster(
                                &bytes,
                                &rosters[str_of(&what["roster"])],
                                &lists["alice"],
                            )
                            .expect_err("refused");
                        assert_eq!(*s.to_bytes(), before);
                        errors::group(&e).0
                    }
                };
                assert_eq!(got, str_of(&rf["error"]));
            }
            other => panic!("event {other}"),
        }
    }
    assert!(deliveries.next().is_none());

    // The distribution of chain3 under r4: Bob's device only.
    let dx = &x["distribute"];
    let mut r = qorgan_tests::rng(f["sessions_seed"].as_u64().expect("seed"));
    let mut sessions = Vec::new();
    let mut stores = Vec::new();
    for to in dx["sessions"].as_array().expect("sessions") {
        let who = str_of(to).trim_end_matches("_phone");
        let mut store = PreKeyStore::new(&mut r, ids[who].clone(), 0);
        let bundle = store.bundle().expect("bundle");
        sessions.push(Session::initiate(&mut r, alice, &bundle).expect("initiate"));
        stores.push(store);
    }
    let member_lists: Vec<&DeviceList> = dx["lists"]
        .as_array()
        .expect("lists")
        .iter()
        .map(|n| &lists[str_of(n)])
        .collect();
    let (s0, s1) = sessions.split_at_mut(1);
    let results = distribute_in_roster(
        &mut r,
        &dists[str_of(&dx["distribution"])],
        &rosters[str_of(&dx["roster"])],
        &member_lists,
        &mut [&mut s0[0], &mut s1[0]],
    )
    .expect("distribute");
    let (_, pt) = stores[0]
        .accept(results[0].as_ref().expect("bob"), 0)
        .expect("accept");
    assert_eq!(*dists["chain3"].to_bytes(), pt);
    assert_eq!(
        errors::fanout(results[1].as_ref().expect_err("carol")).0,
        str_of(&dx["results"][1]["result"]["error"])
    );
    let stale = distribute_in_roster(
        &mut r,
        &dists["chain2"],
        &rosters["r4"],
        &member_lists,
        &mut [],
    )
    .expect_err("stale");
    assert_eq!(errors::roster(&stale).0, str_of(&dx["stale_chain2"]));

    // The states (§7.4 version 3), sealed with the recorded nonces.
    let key = StorageKey::from_bytes(d["storage_key"].clone().try_into().expect("32"));
    for s in x["states"].as_array().expect("states") {
        let (plain, sealed) = (unhex(&s["plain"]), unhex(&s["sealed"]));
        check_header(s, &sealed);
        let expected = expected_of(s);
        let name = str_of(&s["name"]);
        let mut nonce = replay(&[&format!("seal.{name}.nonce")]);
        let ours = match name {
            "alice_outbound" => out.as_ref().expect("out").to_bytes().to_vec(),
            "carol_inbound" => carol_in.as_ref().expect("carol").to_bytes().to_vec(),
            "bob_ring" => bob_ring.as_ref().expect("ring").to_bytes().to_vec(),
            _ => plain.clone(),
        };
        assert_eq!(ours, plain, "{name}");
        assert_eq!(plain[0], qorgan::wire::ROSTERED_GROUP_VERSION);
        let resealed = match s["kind"].as_u64().expect("kind") {
            0x42 => {
                let o = OutboundGroupSession::open(&key, &sealed, &expected).expect("open");
                assert_eq!(*o.to_bytes(), plain);
                OutboundGroupSession::from_bytes(&plain)
                    .expect("plain")
                    .seal(&mut nonce, &key)
            }
            0x43 => {
                let o = InboundGroupSession::open(&key, &sealed, &expected).expect("open");
                assert_eq!(*o.to_bytes(), plain);
                InboundGroupSession::from_bytes(&plain)
                    .expect("plain")
                    .seal(&mut nonce, &key)
            }
            _ => {
                let o = SenderKeyRing::open(&key, &sealed, &expected).expect("open");
                assert_eq!(*o.to_bytes(), plain);
                SenderKeyRing::from_bytes(&plain)
                    .expect("plain")
                    .seal(&mut nonce, &key)
            }
        };
        nonce.finish();
        assert_eq!(resealed, sealed, "{name}");
    }
}

#[test]
fn qorgan_gives_the_recorded_outcome_of_every_certificate_negative_case() {
    let f = load("certificate_negative.json");
    let lists: BTreeMap<String, Vec<u8>> = f["inputs"]["lists"]
        .as_object()
        .expect("lists")
        .iter()
        .map(|(k, v)| (k.clone(), unhex(v)))
        .collect();
    replay_cases(&f, |c| run_certificate_negative_case(c, &lists));
}

/// certificate.json (docs/PROTOCOL.md §16) through qorgan, from its draws:
/// the issuer and account keys, every statement made as the inputs say,
/// the presentations and their QR texts, the revocation lists, and every
/// verification.
#[test]
fn qorgan_replays_the_certificate_scenario() {
    use qorgan::account::AccountKeyPair;
    use qorgan::certificate::{
        Claim, ClaimTag, IssuerKey, IssuerKeyPair, Presentation, RevocationList, Statement,
        StatementKind, TrustAnchor,
    };
    use qorgan_tests::vectors::certificate::verified_json;
    let f = load("certificate.json");
    let d = draws(&[&f]);
    let x = &f["expected"];
    let seed = |p: &str| -> [u8; 32] { d[p].clone().try_into().expect("32") };
    let issuers: BTreeMap<&str, IssuerKeyPair> = ["ministry", "personnel", "rival"]
        .into_iter()
        .map(|n| {
            let mut r = ReplayRng::new([d[&format!("{n}.issuer_seed")].clone()]);
            let k = IssuerKeyPair::generate(&mut r);
            r.finish();
            assert_eq!(
                hex::encode(&k.public().to_bytes()),
                str_of(&x["issuers"][n])
            );
            assert_eq!(*k.to_seed(), seed(&format!("{n}.issuer_seed")));
            (n, k)
        })
        .collect();
    let accounts: BTreeMap<&str, AccountKeyPair> = ["colonel", "lieutenant"]
        .into_iter()
        .map(|n| {
            let mut r = ReplayRng::new([d[&format!("{n}.account_seed")].clone()]);
            let k = AccountKeyPair::generate(&mut r);
            r.finish();
            assert_eq!(
                hex::encode(&k.public().to_bytes()),
                str_of(&x["accounts"][n])
            );
            (n, k)
        })
        .collect();
    let claims_of = |v: &Value| -> Vec<Claim> {
        v.as_array()
            .expect("claims")
            .iter()
            .map(|c| {
                Claim::new(
                    ClaimTag(c["tag"].as_u64().expect("tag") as u8),
                    &String::from_utf8(unhex(&c["value"]["hex"])).expect("utf-8"),
                )
                .expect("claim")
            })
            .collect()
    };
    let mut statements: BTreeMap<String, Statement> = BTreeMap::new();
    for (op, want) in f["inputs"]["statements"]
        .as_array()
        .expect("statements")
        .iter()
        .zip(x["statements"].as_array().expect("statements"))
    {
        let issuer = &issuers[str_of(&op["issuer"])];
        let n = |k: &str| op[k].as_u64().expect("number");
        // The claims as recorded (sorted); the colonel's were given out of
        // order, which issue sorts.
        let mut claims = claims_of(&want["claims"]);
        if op.get("claims_given").is_some() {
            claims.reverse();
        }
        let s = match str_of(&op["op"]) {
            "certify_intermediate" => Statement::certify_intermediate(
                issuer,
                issuers[str_of(&op["subject"])].public(),
                n("serial"),
                n("valid_from"),
                n("valid_until"),
                claims,
            ),
            "certify_account" => Statement::certify_account(
                issuer,
                accounts[str_of(&op["subject"])].public(),
                n("serial"),
                n("valid_from"),
                n("valid_until"),
                claims,
            ),
            _ => Statement::issue(
                issuer,
                StatementKind::Statement,
                <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(unhex(
                    &op["subject_text"]["hex"],
                ))),
                n("serial"),
                n("valid_from"),
                n("valid_until"),
                claims,
            ),
        }
        .expect("statement");
        assert_eq!(hex::encode(&s.to_bytes()), str_of(&want["bytes"]));
        assert_eq!(Statement::from_bytes(&s.to_bytes()).expect("decodes"), s);
        statements.insert(str_of(&op["name"]).to_string(), s);
    }
    let mut presentations: BTreeMap<String, Presentation> = BTreeMap::new();
    for p in x["presentations"].as_array().expect("presentations") {
        let made = Presentation::new(
            p["statements"]
                .as_array()
                .expect("statements")
                .iter()
                .map(|n| statements[str_of(n)].clone())
                .collect(),
        )
        .expect("presentation");
        assert_eq!(hex::encode(&made.to_bytes()), str_of(&p["bytes"]));
        assert_eq!(made.to_text(), str_of(&p["text"]));
        assert_eq!(
            Presentation::from_text(str_of(&p["text"])).expect("text"),
            made
        );
        presentations.insert(str_of(&p["name"]).to_string(), made);
    }
    let lists: BTreeMap<String, RevocationList> = x["revocation_lists"]
        .as_array()
        .expect("lists")
        .iter()
        .map(|l| {
            let serials: Vec<u64> = l["serials"]
                .as_array()
                .expect("serials")
                .iter()
                .map(|s| s.as_u64().expect("serial"))
                .collect();
            let issuer = issuers
                .values()
                .find(|k| hex::encode(&k.public().to_bytes()) == str_of(&l["issuer"]))
                .expect("issuer");
            let made = RevocationList::issue(
                issuer,
                l["issued_at"].as_u64().expect("issued_at"),
                l["next_update"].as_u64().expect("next_update"),
                serials,
            )
            .expect("list");
            assert_eq!(hex::encode(&made.to_bytes()), str_of(&l["bytes"]));
            (str_of(&l["name"]).to_string(), made)
        })
        .collect();
    let anchors: Vec<TrustAnchor> = f["inputs"]["anchors"]
        .as_array()
        .expect("anchors")
        .iter()
        .map(|a| {
            TrustAnchor::new(
                IssuerKey::from_bytes(&unhex(&a["key"]).try_into().expect("32")).expect("key"),
                &String::from_utf8(unhex(&a["organisation"]["hex"])).expect("utf-8"),
            )
        })
        .collect();
    for v in x["verifications"].as_array().expect("verifications") {
        let p = &presentations[str_of(&v["presentation"])];
        let revs: Vec<RevocationList> = v["revocation_lists"]
            .as_array()
            .expect("lists")
            .iter()
            .map(|n| lists[str_of(n)].clone())
            .collect();
        let now = v["now"].as_u64().expect("now");
        let got = p.verify(&anchors, &revs, now).expect("verifies");
        assert_eq!(
            verified_json(&got),
            v["verified"],
            "{}",
            str_of(&v["about"])
        );
        if let Some(a) = v["account"].as_str() {
            let account = qorgan::account::AccountKey::from_bytes(
                &hex::decode(a).expect("hex").try_into().expect("32"),
            )
            .expect("account");
            assert_eq!(p.verify_account(&account, &anchors, &revs, now), Ok(got));
        }
    }
}

/// sealed_value.json (docs/PROTOCOL.md §7.5) through qorgan: the storage
/// key from its draw, every value sealed with its nonce to the recorded
/// bytes and opened again, every keyed name.
#[test]
fn qorgan_replays_the_sealed_values() {
    let f = load("sealed_value.json");
    let d = draws(&[&f]);
    let mut r = ReplayRng::new([d["storage_key"].clone()]);
    let key = StorageKey::generate(&mut r);
    r.finish();
    let x = &f["expected"];
    for (v, s) in f["inputs"]["values"]
        .as_array()
        .expect("values")
        .iter()
        .zip(x["values"].as_array().expect("values"))
    {
        let (context, value) = (unhex(&v["context"]), unhex(&v["value"]));
        let mut r = ReplayRng::new([d[str_of(&s["nonce_draw"])].clone()]);
        let sealed = key.seal_value(&mut r, &context, &value);
        r.finish();
        assert_eq!(hex::encode(&sealed), str_of(&s["sealed"]), "{}", v["name"]);
        assert_eq!(
            key.open_value(&context, &sealed).expect("opens").as_slice(),
            value.as_slice()
        );
    }
    for (i, name) in f["inputs"]["indexes"]
        .as_array()
        .expect("indexes")
        .iter()
        .zip(x["indexes"].as_array().expect("indexes"))
    {
        assert_eq!(
            hex::encode(&key.index(&unhex(&i["label_hex"]), &unhex(&i["data"]))),
            str_of(name)
        );
    }
}

#[test]
fn qorgan_gives_the_recorded_outcome_of_every_sealed_value_negative_case() {
    replay_cases(
        &load("sealed_value_negative.json"),
        qorgan_tests::vectors::run_sealed_value_negative_case,
    );
}

/// store.json (docs/PROTOCOL.md §17) through qorgan and qorgan-store: each
/// row sealed with its nonce to the recorded bytes; a store file holding
/// the rows reads back as recorded (outbox, pending, events, the peer's
/// active session, the roster, the counter); and the session rows work:
/// Bob's late message reads with the key of the skipped-keys row, and a
/// message qorgan-store encrypts reaches Bob's restored session as the
/// §17.3 payload of a message.
#[test]
fn qorgan_store_reads_the_rows_of_store_json() {
    use qorgan_store::{Account, Options};
    use qorgan_tests::vectors::store::{
        TempDir, new_store_file, payload, read_rows_through_store, write_rows,
    };
    let f = load("store.json");
    let d = draws(&[&f]);
    let x = &f["expected"];
    let storage_key: [u8; 32] = d["storage_key"].clone().try_into().expect("32");
    let key = StorageKey::from_bytes(storage_key);
    let rows = x["rows"].as_array().expect("rows");
    for (input, row) in f["inputs"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .zip(rows)
    {
        let mut r = ReplayRng::new([d[str_of(&row["nonce_draw"])].clone()]);
        let sealed = key.seal_value(&mut r, &unhex(&row["slot"]), &unhex(&input["plain"]));
        r.finish();
        assert_eq!(
            hex::encode(&sealed),
            str_of(&row["row"]["value"]),
            "{}",
            input["name"]
        );
    }
    let bob = IdentityKeyPair::generate(&mut ReplayRng::new([
        d["bob.identity.ed25519_seed"].clone(),
        d["bob.identity.x25519_secret"].clone(),
    ]));
    assert_eq!(
        hex::encode(&bob.public().to_field_bytes()),
        str_of(&f["inputs"]["identities"]["bob"])
    );
    assert_eq!(
        read_rows_through_store(&storage_key, rows, bob.public()),
        x["reads"]
    );

    let dir = TempDir::new("store-json");
    let path = dir.path("store.db");
    new_store_file(&path, &storage_key);
    let written: Vec<Value> = rows.iter().map(|r| r["row"].clone()).collect();
    write_rows(&path, &written);
    let options = Options {
        now: f["now"].as_u64().expect("now"),
        ..Options::default()
    };
    let mut account = Account::open(&path, &key, &options).expect("opens");
    let s = &f["inputs"]["session"];
    // b0 reads with the key in the skipped row, and goes into the inbox.
    match account
        .decrypt(bob.public(), &unhex(&s["late_message"]), options.now)
        .expect("b0")
    {
        qorgan_store::Delivery::Message(m) => {
            assert_eq!(payload(0, &m.plaintext), unhex(&s["late_payload"]));
            assert_eq!(
                m.session.map(|s| hex::encode(&s)).as_deref(),
                s["session_id"].as_str()
            );
        }
        other => panic!("b0: {other:?}"),
    }
    let out = account.encrypt(bob.public(), b"hello").expect("encrypt");
    let mut bob_session = Session::from_bytes(&unhex(&s["bob"])).expect("Bob's session");
    assert_eq!(
        bob_session.decrypt(&out.bytes).expect("decrypts"),
        payload(0, b"hello")
    );
    let (core, skipped) = Session::from_bytes(&unhex(&s["alice"]))
        .expect("Alice's session")
        .to_parts();
    assert_eq!(hex::encode(&core), str_of(&s["alice_core"]));
    assert_eq!(hex::encode(&skipped), str_of(&s["alice_skipped"]));
    for p in x["payloads"].as_array().expect("payloads") {
        let kind = p["kind"].as_u64().expect("kind") as u8;
        assert_eq!(
            hex::encode(&payload(kind, &unhex(&p["body"]))),
            str_of(&p["bytes"])
        );
    }
}

#[test]
fn qorgan_store_gives_the_recorded_outcome_of_every_store_negative_case() {
    use qorgan_tests::vectors::{PayloadContext, run_store_negative_case};
    let f = load("store_negative.json");
    let mut ctx = PayloadContext::new(&f["inputs"]);
    replay_cases(&f, |c| run_store_negative_case(c, &mut ctx));
}
