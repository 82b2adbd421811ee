//! Old state versions stay loadable (docs/PROTOCOL.md §11): the fixtures in
//! `tests/vectors/fixtures/` were written once, by the release that
//! introduced their state version, and are never changed (see the README
//! there). The current code must restore them and keep working with them.

use std::path::PathBuf;

use qorgan::{
    DecryptError, IdentityKeyPair, InboundGroupSession, OutboundGroupSession, PreKeyBundle,
    PreKeyStore, RotationPolicy, RotationReason, SenderKeyDistribution, SenderKeyRing, Session,
    StorageKey,
};
use qorgan_tests::{hex, rng};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Every fixture file and the SHA-256 of its bytes as first committed. A
/// fixture is never regenerated or edited: a mismatch here means one was.
const FIXTURES: &[(&str, &str)] = &[
    (
        "state-v1.json",
        "a3283113109cb7c2f21b5dad6716f0a21e3b028a19ec06f97a5fb8a2ca6b0a1a",
    ),
    (
        "group-state-v1.json",
        "cfe108e3a018a3ec034c4e1fa757ecb251c50c94369fb7ea9d6f287ebfcf7cd2",
    ),
];

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("vectors")
        .join("fixtures")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(name)).expect("read fixture");
    serde_json::from_str(&text).expect("parse fixture")
}

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}

fn messages(v: &Value) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    v.as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["id"].as_str().expect("id").to_string(),
                unhex(&m["bytes"]),
                unhex(&m["plaintext"]["hex"]),
            )
        })
        .collect()
}

#[test]
fn fixtures_are_unchanged_and_all_listed() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
        .filter(|n| n != "README.md")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every fixture must be listed in FIXTURES");
    for (name, digest) in FIXTURES {
        let bytes = std::fs::read(fixtures_dir().join(name)).expect("read");
        let got: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            &got, digest,
            "fixture {name} was modified; fixtures are kept forever"
        );
    }
}

#[test]
fn v1_sessions_restore_decrypt_pending_messages_and_reply() {
    let f = load("state-v1.json");
    assert_eq!(f["state_version"], 1);
    let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
    let key = StorageKey::from_bytes(key);

    let mut bob = Session::open(&key, &unhex(&f["bob_session"]["sealed"])).expect("open sealed");
    let from_plain = Session::from_bytes(&unhex(&f["bob_session"]["plain"])).expect("load plain");
    assert_eq!(
        *bob.to_bytes(),
        *from_plain.to_bytes(),
        "plain and sealed agree"
    );
    let mut alice = Session::open(&key, &unhex(&f["alice_session"]["sealed"])).expect("open");
    assert!(bob.remote_identity().ct_eq(alice.local_identity()));
    assert!(alice.remote_identity().ct_eq(bob.local_identity()));
    assert_eq!(bob.session_id(), alice.session_id());
    assert_eq!(bob.skipped_key_count(), 2, "a1 and a2 were skipped");

    // Messages sent before the state was stored, delivered now.
    for (id, bytes, plaintext) in messages(&f["pending_for_bob"]) {
        assert_eq!(bob.decrypt(&bytes).expect(&id), plaintext, "{id}");
        assert!(bob.decrypt(&bytes).is_err(), "{id} decrypts only once");
    }
    for (id, bytes, plaintext) in messages(&f["pending_for_alice"]) {
        assert_eq!(alice.decrypt(&bytes).expect(&id), plaintext, "{id}");
    }
    assert_eq!(bob.skipped_key_count(), 0);
    assert_eq!(alice.skipped_key_count(), 0);

    // Both restored sessions keep talking, across ratchet turns.
    let mut r = rng(7);
    for round in 0..3 {
        let text = format!("bob, after restore, round {round}");
        let m = bob.encrypt(&mut r, text.as_bytes()).expect("encrypt");
        assert_eq!(alice.decrypt(&m).expect("decrypt"), text.as_bytes());
        let text = format!("alice, after restore, round {round}");
        let m = alice.encrypt(&mut r, text.as_bytes()).expect("encrypt");
        assert_eq!(bob.decrypt(&m).expect("decrypt"), text.as_bytes());
    }
}

#[test]
fn v1_prekey_store_restores_and_accepts_a_new_handshake() {
    let f = load("state-v1.json");
    let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    let mut store = PreKeyStore::open(&key, &unhex(&f["bob_store"]["sealed"])).expect("open");
    let from_plain = PreKeyStore::from_bytes(&unhex(&f["bob_store"]["plain"])).expect("plain");
    assert_eq!(
        *store.to_bytes(),
        *from_plain.to_bytes(),
        "plain and sealed agree"
    );
    let bob = Session::open(&key, &unhex(&f["bob_session"]["sealed"])).expect("open");
    assert!(store.identity_key().ct_eq(bob.local_identity()));

    // The handshake already accepted stays consumed.
    let (_, a0, _) = messages(&serde_json::json!([f["already_accepted"]])).remove(0);
    assert!(
        store.accept(&a0).is_err(),
        "a consumed handshake is refused"
    );

    // A new device starts a session from the restored store's bundle.
    let mut r = rng(8);
    let published = store.bundle().expect("bundle").to_bytes();
    let bundle = PreKeyBundle::from_bytes(&published).expect("bundle verifies");
    assert!(bundle.one_time_prekey.is_some(), "one-time prekeys remain");
    let carol_id = IdentityKeyPair::generate(&mut r);
    let mut carol = Session::initiate(&mut r, &carol_id, &bundle).expect("initiate");
    let first = carol
        .encrypt(&mut r, b"hello restored store")
        .expect("encrypt");
    let (mut bob_carol, pt) = store.accept(&first).expect("accept");
    assert_eq!(pt, b"hello restored store");
    let reply = bob_carol.encrypt(&mut r, b"hello Carol").expect("encrypt");
    assert_eq!(carol.decrypt(&reply).expect("decrypt"), b"hello Carol");
    assert!(
        store.accept(&first).is_err(),
        "its one-time prekeys are consumed"
    );

    // The last-resort path works too once the one-time prekeys run out.
    while store.bundle().expect("bundle").one_time_prekey.is_some()
        || store.kem_one_time_prekey_count() > 0
    {
        let id = IdentityKeyPair::generate(&mut r);
        let b = store.bundle().expect("bundle");
        let mut s = Session::initiate(&mut r, &id, &b).expect("initiate");
        let m = s.encrypt(&mut r, b"drain").expect("encrypt");
        store.accept(&m).expect("accept");
    }
    let dave_id = IdentityKeyPair::generate(&mut r);
    let b = store.bundle().expect("bundle");
    assert!(b.one_time_prekey.is_none());
    let mut dave = Session::initiate(&mut r, &dave_id, &b).expect("initiate");
    let m = dave.encrypt(&mut r, b"last resort").expect("encrypt");
    assert_eq!(store.accept(&m).expect("accept").1, b"last resort");
}

#[test]
fn v1_group_states_restore_decrypt_pending_messages_and_keep_sending() {
    let f = load("group-state-v1.json");
    assert_eq!(f["state_version"], 1);
    let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    let group = unhex(&f["group_id"]["hex"]);
    // The sender's identity, restored from her sealed prekey store.
    let store = PreKeyStore::open(&key, &unhex(&f["alice_store"]["sealed"])).expect("store");
    let alice = store.identity();

    let mut out =
        OutboundGroupSession::open(&key, &unhex(&f["alice_outbound"]["sealed"])).expect("open");
    let plain = OutboundGroupSession::from_bytes(&unhex(&f["alice_outbound"]["plain"]))
        .expect("load plain");
    assert_eq!(*out.to_bytes(), *plain.to_bytes(), "plain and sealed agree");
    let mut bob =
        InboundGroupSession::open(&key, &unhex(&f["bob_inbound"]["sealed"])).expect("open");
    let plain = InboundGroupSession::from_bytes(&unhex(&f["bob_inbound"]["plain"])).expect("plain");
    assert_eq!(*bob.to_bytes(), *plain.to_bytes(), "plain and sealed agree");
    let mut carol = SenderKeyRing::open(&key, &unhex(&f["carol_ring"]["sealed"])).expect("open");
    let plain = SenderKeyRing::from_bytes(&unhex(&f["carol_ring"]["plain"])).expect("plain");
    assert_eq!(
        *carol.to_bytes(),
        *plain.to_bytes(),
        "plain and sealed agree"
    );

    // What the fixture says it holds.
    let created_at = 1_700_003_600;
    assert_eq!(out.group_id(), group);
    assert_eq!(out.iteration(), 4);
    assert_eq!(
        out.policy(),
        RotationPolicy {
            max_messages: 100,
            max_age_secs: 604_800
        }
    );
    assert_eq!(out.rotation_due(created_at + 60), None);
    assert_eq!(
        out.rotation_due(created_at + 604_800),
        Some(RotationReason::Age)
    );
    assert!(bob.sender().ct_eq(alice.public()));
    assert!(carol.sender().ct_eq(alice.public()));
    assert_eq!((bob.group_id(), carol.group_id()), (&group[..], &group[..]));
    assert_eq!(bob.chain_id(), out.chain_id());
    assert!(bob.is_verified());
    assert_eq!((bob.first_iteration(), bob.position()), (0, 3));
    assert_eq!(bob.skipped_key_count(), 1, "h1");
    let chains: Vec<(u32, u32, usize)> = carol
        .chains()
        .map(|c| (c.first_iteration(), c.position(), c.skipped_key_count()))
        .collect();
    assert_eq!(chains, [(0, 3, 1), (0, 4, 3)], "g1; h0, h1, h2");
    assert_eq!(
        carol.chains().last().expect("chain").chain_id(),
        out.chain_id()
    );

    // Messages sent before the states were stored, delivered now: Bob one by
    // one, Carol's ring as a batch (signatures verified together).
    for (id, bytes, plaintext) in messages(&f["pending_for_bob"]) {
        assert_eq!(bob.decrypt(&bytes).expect(&id), plaintext, "{id}");
        assert!(
            matches!(bob.decrypt(&bytes), Err(DecryptError::Duplicate { .. })),
            "{id} decrypts only once"
        );
    }
    let pending = messages(&f["pending_for_carol"]);
    let queued: Vec<&[u8]> = pending.iter().map(|(_, b, _)| b.as_slice()).collect();
    for ((id, _, plaintext), r) in pending.iter().zip(carol.decrypt_batch(&queued)) {
        assert_eq!(&r.expect(id), plaintext, "{id}");
    }
    for (id, bytes, _) in &pending {
        assert!(carol.decrypt(bytes).is_err(), "{id} decrypts only once");
    }
    assert_eq!(bob.skipped_key_count(), 0);
    assert!(carol.chains().all(|c| c.skipped_key_count() == 0));

    // The restored outbound session keeps sending on its chain.
    for i in 4..7 {
        let text = format!("h{i}: after restore");
        let m = out.encrypt(text.as_bytes()).expect("encrypt");
        assert_eq!(bob.decrypt(&m).expect("bob"), text.as_bytes());
        assert_eq!(carol.decrypt(&m).expect("carol"), text.as_bytes());
    }
    // It rotates; the new chain, distributed with the restored identity,
    // joins the restored ring, which still reads the older chains.
    let mut r = rng(9);
    out.rotate(&mut r, created_at + 7_200);
    let dist = out.distribution(alice).to_bytes();
    let dist = SenderKeyDistribution::from_bytes(&dist).expect("verifies");
    carol.add(&dist, alice.public()).expect("add");
    assert_eq!(carol.chains().count(), 3);
    let m = out.encrypt(b"chain 3, after restore").expect("encrypt");
    assert_eq!(carol.decrypt(&m).expect("carol"), b"chain 3, after restore");
    assert!(matches!(
        bob.decrypt(&m),
        Err(DecryptError::WrongChain { .. })
    ));
    // The restored states seal and open again.
    let sealed = out.seal(&mut r, &key);
    assert_eq!(
        *OutboundGroupSession::open(&key, &sealed)
            .expect("open")
            .to_bytes(),
        *out.to_bytes()
    );
    let sealed = carol.seal(&mut r, &key);
    assert_eq!(
        *SenderKeyRing::open(&key, &sealed).expect("open").to_bytes(),
        *carol.to_bytes()
    );
}
