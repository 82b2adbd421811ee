//! Protocol test vectors (docs/PROTOCOL.md §13).
//!
//! * The committed files in `tests/vectors/*.json` are exactly what the
//!   generator (`qorgan_tests::vectors::generate`) produces, byte for byte,
//!   so any change to them is a visible diff.
//! * `independent` (tests/tests/vectors/independent.rs) re-derives every value
//!   in them from the recorded inputs with the primitive crates and the spec
//!   only, without qorgan.
//! * qorgan itself, fed the recorded draws, reproduces the conversation and
//!   decrypts every message in the recorded delivery order, and opens every
//!   sealed state.

#[path = "vectors/independent.rs"]
mod independent;

use std::collections::BTreeMap;
use std::path::PathBuf;

use qorgan::{IdentityKeyPair, PreKeyBundle, PreKeyStore, Session, StorageKey};
use qorgan_tests::hex;
use qorgan_tests::vectors::{ReplayRng, generate, render};
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
    let mut store = PreKeyStore::new(&mut r, generate_identity("bob"));
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

    let mut r = replay(&["a0.ratchet_secret"]);
    let a0 = alice.encrypt(&mut r, &plaintexts["a0"]).expect("a0");
    assert_eq!(a0, bytes_of("a0"));
    let (mut bob, pt) = store.accept(&bytes_of("a0")).expect("accept");
    assert_eq!(pt, plaintexts["a0"]);

    let mut delivered = vec!["a0".to_string()];
    for ev in ss["inputs"]["events"].as_array().expect("events") {
        if let Some(id) = ev["send"].as_str() {
            let s = if id.starts_with('a') {
                &mut alice
            } else {
                &mut bob
            };
            let draw = expected[id]["new_chain"]["ratchet_secret_draw"].as_str();
            let mut r = ReplayRng::new(draw.map(|p| d[p].clone()));
            let m = s.encrypt(&mut r, &plaintexts[id]).expect("encrypt");
            r.finish();
            assert_eq!(m, bytes_of(id), "{id}: qorgan's bytes");
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

#[test]
fn qorgan_opens_the_sealed_states() {
    let hs = load("handshake.json");
    let ss = load("session.json");
    let f = load("state.json");
    let d = draws(&[&hs, &ss, &f]);
    let key: [u8; 32] = d["storage_key"].clone().try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    for s in f["expected"]["sessions"].as_array().expect("sessions") {
        let plain = unhex(&s["plain"]);
        let opened = Session::open(&key, &unhex(&s["sealed"])).expect("open");
        assert_eq!(*opened.to_bytes(), plain);
        assert_eq!(
            *Session::from_bytes(&plain).expect("decode").to_bytes(),
            plain
        );
    }
    let st = &f["expected"]["prekey_store"];
    let plain = unhex(&st["plain"]);
    let opened = PreKeyStore::open(&key, &unhex(&st["sealed"])).expect("open");
    assert_eq!(*opened.to_bytes(), plain);
    assert_eq!(
        *PreKeyStore::from_bytes(&plain).expect("decode").to_bytes(),
        plain
    );
}

#[test]
fn the_independent_checker_does_not_use_qorgan() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/independent.rs");
    let source = std::fs::read_to_string(path).expect("read");
    for (n, line) in source.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for banned in ["qorgan::", "qorgan_tests", "crate::vectors", "super::"] {
            assert!(
                !code.contains(banned),
                "independent.rs line {}: uses {banned}",
                n + 1
            );
        }
    }
}
