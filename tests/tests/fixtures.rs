//! Old state versions stay loadable (docs/PROTOCOL.md §11): the fixtures in
//! `tests/vectors/fixtures/` were written once, by the release that
//! introduced their state version, and are never changed (see the README
//! there). The current code must restore them and keep working with them,
//! except group version 1, which it must refuse (§11,
//! `group_state_v1_is_refused`). Prekey store state of store version 1 loads
//! and is migrated to store version 2 (§7.3, §11).

use std::path::PathBuf;

use qorgan::group::GroupMessageInfo;
use qorgan::{
    DecodeError, DecryptError, GroupPlaintext, HandshakeError, IdentityKeyPair,
    InboundGroupSession, OutboundGroupSession, PreKeyBundle, PreKeyStore, RotationPolicy,
    RotationReason, SenderKeyDistribution, SenderKeyRing, Session, StateError, StorageKey,
};
use qorgan_tests::vectors::errors;
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
    (
        "group-state-v2.json",
        "adf0182d18d55380fa20b279752e829bb90df1a7587b98ebc2db829e8e281478",
    ),
    (
        "prekey-store-v2.json",
        "78dc61a14188befda0e30162dc9a96f3860594761bea53708f1a059c6ea04c32",
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

    // Store version 1, migrated (§7.3, §11): it is written back as store
    // version 2, which loads to the same store. Its replay list was empty
    // (a0 used one-time prekeys), so there is no replay record.
    let plain_v1 = unhex(&f["bob_store"]["plain"]);
    assert_eq!(plain_v1[..2], [0x01, 0x41]);
    assert_eq!(
        plain_v1[plain_v1.len() - 4..],
        [0, 0, 0, 0],
        "empty replay list"
    );
    let migrated = store.to_bytes();
    assert_eq!(migrated[..2], [0x02, 0x41]);
    assert_eq!(
        migrated[2..],
        plain_v1[2..],
        "only the version byte differs"
    );
    assert_eq!(
        *PreKeyStore::from_bytes(&migrated).expect("v2").to_bytes(),
        *migrated
    );
    assert_eq!(store.remembered_handshakes(), 0);

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

/// Group version 1 is refused, not migrated (docs/PROTOCOL.md §11): every
/// group state of `group-state-v1.json`, plain or sealed, and every group
/// message still pending in it.
#[test]
fn group_state_v1_is_refused() {
    let f = load("group-state-v1.json");
    assert_eq!(f["state_version"], 1);
    let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    let refused = Some(StateError::Decode(DecodeError::UnsupportedVersion(1)));
    let plain = |name: &str| unhex(&f[name]["plain"]);
    let sealed = |name: &str| unhex(&f[name]["sealed"]);
    assert_eq!(plain("alice_outbound")[..2], [0x01, 0x42]);
    assert_eq!(plain("bob_inbound")[..2], [0x01, 0x43]);
    assert_eq!(plain("carol_ring")[..2], [0x01, 0x44]);
    assert_eq!(
        OutboundGroupSession::from_bytes(&plain("alice_outbound")).err(),
        refused
    );
    assert_eq!(
        OutboundGroupSession::open(&key, &sealed("alice_outbound")).err(),
        refused,
        "the envelope opens; the state inside is refused"
    );
    assert_eq!(
        InboundGroupSession::from_bytes(&plain("bob_inbound")).err(),
        refused
    );
    assert_eq!(
        InboundGroupSession::open(&key, &sealed("bob_inbound")).err(),
        refused
    );
    assert_eq!(
        SenderKeyRing::from_bytes(&plain("carol_ring")).err(),
        refused
    );
    assert_eq!(
        SenderKeyRing::open(&key, &sealed("carol_ring")).err(),
        refused
    );
    // The version is checked before the kind: any group decoder says so.
    for name in ["alice_outbound", "bob_inbound", "carol_ring"] {
        assert_eq!(
            OutboundGroupSession::from_bytes(&plain(name)).err(),
            refused
        );
        assert_eq!(InboundGroupSession::from_bytes(&plain(name)).err(), refused);
        assert_eq!(SenderKeyRing::from_bytes(&plain(name)).err(), refused);
    }
    // The sender's 1:1 prekey store (store version 1, migrated) still opens.
    let store = PreKeyStore::open(&key, &unhex(&f["alice_store"]["sealed"])).expect("store");

    // The v1 messages still queued: refused by the parser and by every v2
    // receiver (here the v2 fixture's, restored).
    let v2 = load(&group_fixture_name());
    let v2_key = StorageKey::from_bytes(unhex(&v2["storage_key"]).try_into().expect("32"));
    let mut bob = InboundGroupSession::open(&v2_key, &unhex(&v2["bob_inbound"]["sealed"]))
        .expect("v2 inbound");
    let mut carol =
        SenderKeyRing::open(&v2_key, &unhex(&v2["carol_ring"]["sealed"])).expect("v2 ring");
    let bob_before = bob.to_bytes().to_vec();
    let carol_before = carol.to_bytes().to_vec();
    let mut pending = messages(&f["pending_for_bob"]);
    pending.extend(messages(&f["pending_for_carol"]));
    assert_eq!(pending.len(), 7);
    for (id, bytes, _) in &pending {
        assert_eq!(bytes[..2], [0x01, 0x20], "{id} is a v1 group message");
        assert_eq!(
            GroupMessageInfo::peek(bytes),
            Err(DecodeError::UnsupportedVersion(1)),
            "{id}"
        );
        let want = Err(DecryptError::Decode(DecodeError::UnsupportedVersion(1)));
        assert_eq!(bob.decrypt(bytes).map(|p| p.plaintext), want, "{id}");
        assert_eq!(carol.decrypt(bytes).map(|p| p.plaintext), want, "{id}");
    }
    let queued: Vec<&[u8]> = pending.iter().map(|(_, b, _)| b.as_slice()).collect();
    for r in carol
        .decrypt_batch(&queued)
        .into_iter()
        .chain(bob.decrypt_batch(&queued))
    {
        assert_eq!(
            r.map(|p| p.plaintext),
            Err(DecryptError::Decode(DecodeError::UnsupportedVersion(1)))
        );
    }
    assert_eq!(*bob.to_bytes(), bob_before);
    assert_eq!(*carol.to_bytes(), carol_before);
    // What an app does instead (§11): start the group again with a new
    // outbound session under the restored identity.
    let mut r = rng(10);
    let group = unhex(&f["group_id"]["hex"]);
    let out = OutboundGroupSession::new(&mut r, &group, RotationPolicy::DEFAULT, 1_700_010_000)
        .expect("new");
    let d = SenderKeyDistribution::from_bytes(&out.distribution(store.identity()).to_bytes())
        .expect("distribution");
    InboundGroupSession::new(&d, store.identity().public()).expect("members rejoin");
}

#[test]
fn v2_group_states_restore_decrypt_pending_messages_and_keep_sending() {
    let f = load("group-state-v2.json");
    assert_eq!(f["group_version"], 2);
    assert_eq!(group_fixture_name(), "group-state-v2.json");
    // Every draw is the seeded generator's, in order (docs/PROTOCOL.md §13).
    let mut stream = vec![0u8; 1024];
    rand_core::Rng::fill_bytes(&mut rng(f["seed"].as_u64().expect("seed")), &mut stream);
    let mut offset = 0;
    for d in f["draws"].as_array().expect("draws") {
        let b = unhex(&d["hex"]);
        assert_eq!(d["offset"].as_u64(), Some(offset as u64));
        assert_eq!(b, stream[offset..offset + b.len()], "{}", d["purpose"]);
        offset += b.len().div_ceil(4) * 4;
    }
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
    assert_eq!((out.rotation(), out.iteration()), (1, 4));
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
    assert_eq!((bob.chain_id(), bob.rotation()), (out.chain_id(), 1));
    assert_eq!((bob.first_iteration(), bob.position()), (0, 3));
    assert_eq!(bob.skipped_key_count(), 1, "h1");
    let chains: Vec<(u32, u32, u32, usize)> = carol
        .chains()
        .map(|c| {
            (
                c.rotation(),
                c.first_iteration(),
                c.position(),
                c.skipped_key_count(),
            )
        })
        .collect();
    assert_eq!(chains, [(0, 0, 3, 1), (1, 0, 4, 3)], "g1; h0, h1, h2");
    assert_eq!(carol.current().expect("chain").chain_id(), out.chain_id());

    // The stored distribution and export (wire formats of this version).
    let dave_dist = SenderKeyDistribution::from_bytes(&unhex(&f["pending_distribution_for_dave"]))
        .expect("distribution verifies");
    assert_eq!(dave_dist.iteration(), 2);
    let mut dave = InboundGroupSession::new(&dave_dist, alice.public()).expect("dave");
    let mut bob2 = InboundGroupSession::import(&unhex(&f["pending_export_for_bob_device2"]))
        .expect("export verifies");
    assert_eq!((bob2.first_iteration(), bob2.position()), (3, 3));

    // Messages sent before the states were stored, delivered now: Bob one by
    // one, Carol's ring as a batch (signatures verified together).
    let check = |p: &GroupPlaintext, id: &str, plaintext: &[u8], chain: u64| {
        assert_eq!(p.plaintext, plaintext, "{id}");
        assert!(p.sender.ct_eq(alice.public()), "{id}: sender");
        assert_eq!(p.group_id, group, "{id}: group");
        assert_eq!(u64::from(p.rotation) + 1, chain, "{id}: rotation");
        let iteration: u32 = id[1..].parse().expect("iteration");
        assert_eq!(p.iteration, iteration, "{id}: iteration");
    };
    let chain_of = |v: &Value, id: &str| -> u64 {
        v.as_array()
            .expect("messages")
            .iter()
            .find(|m| m["id"] == id)
            .and_then(|m| m["chain"].as_u64())
            .expect("chain")
    };
    for (id, bytes, plaintext) in messages(&f["pending_for_bob"]) {
        check(&bob.decrypt(&bytes).expect(&id), &id, &plaintext, 2);
        assert!(
            matches!(bob.decrypt(&bytes), Err(DecryptError::Duplicate { .. })),
            "{id} decrypts only once"
        );
    }
    let pending = messages(&f["pending_for_carol"]);
    let queued: Vec<&[u8]> = pending.iter().map(|(_, b, _)| b.as_slice()).collect();
    for ((id, _, plaintext), r) in pending.iter().zip(carol.decrypt_batch(&queued)) {
        check(
            &r.expect(id),
            id,
            plaintext,
            chain_of(&f["pending_for_carol"], id),
        );
    }
    for (id, bytes, _) in &pending {
        assert!(carol.decrypt(bytes).is_err(), "{id} decrypts only once");
    }
    assert_eq!(bob.skipped_key_count(), 0);
    assert!(carol.chains().all(|c| c.skipped_key_count() == 0));
    // Dave joined at iteration 2, Bob's second device at 3.
    for (id, bytes, plaintext) in pending.iter().filter(|(id, _, _)| id.starts_with('h')) {
        let r = dave.decrypt(bytes);
        if id == "h0" || id == "h1" {
            assert!(
                matches!(r, Err(DecryptError::BeforeFirstIteration { first: 2, .. })),
                "{id}"
            );
        } else {
            check(&r.expect(id), id, plaintext, 2);
        }
    }
    let (_, h3, h3_text) = messages(&f["pending_for_bob"]).remove(1);
    check(&dave.decrypt(&h3).expect("h3"), "h3", &h3_text, 2);
    check(&bob2.decrypt(&h3).expect("h3"), "h3", &h3_text, 2);

    // The restored outbound session keeps sending on its chain.
    let mut r = rng(9);
    for i in 4..7 {
        let text = format!("h{i}: after restore");
        let m = out
            .encrypt(&mut r, alice, text.as_bytes())
            .expect("encrypt");
        assert_eq!(GroupMessageInfo::peek(&m).expect("peek").iteration, i);
        check(
            &bob.decrypt(&m).expect("bob"),
            &format!("h{i}"),
            text.as_bytes(),
            2,
        );
        check(
            &carol.decrypt(&m).expect("carol"),
            &format!("h{i}"),
            text.as_bytes(),
            2,
        );
        check(
            &bob2.decrypt(&m).expect("bob2"),
            &format!("h{i}"),
            text.as_bytes(),
            2,
        );
    }
    // It rotates; the new chain (rotation 2), distributed with the restored
    // identity, joins the restored ring, which still reads the older chains.
    out.rotate(&mut r, created_at + 7_200).expect("rotate");
    assert_eq!((out.rotation(), out.iteration()), (2, 0));
    let dist = out.distribution(alice).to_bytes();
    let dist = SenderKeyDistribution::from_bytes(&dist).expect("verifies");
    carol.add(&dist, alice.public()).expect("add");
    assert_eq!(carol.chains().count(), 3);
    let m = out
        .encrypt(&mut r, alice, b"chain 3, after restore")
        .expect("encrypt");
    let p = carol.decrypt(&m).expect("carol");
    assert_eq!((p.rotation, p.iteration), (2, 0));
    assert_eq!(p.plaintext, b"chain 3, after restore");
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
    let sealed = bob.seal(&mut r, &key);
    assert_eq!(
        *InboundGroupSession::open(&key, &sealed)
            .expect("open")
            .to_bytes(),
        *bob.to_bytes()
    );
}

/// The group fixture the current code writes (`gen-vectors`).
fn group_fixture_name() -> String {
    qorgan_tests::vectors::group_fixture_file()
        .trim_start_matches("fixtures/")
        .to_string()
}

/// Store version 2 (docs/PROTOCOL.md §4.8, §7.3): the fixture's store
/// restores with its replay record per signed prekey, re-encodes to the same
/// bytes, refuses every first message it accepted before (a replay, or a
/// consumed one-time prekey), accepts the pending one exactly once, and drops
/// a signed prekey's record with the signed prekey.
#[test]
fn v2_prekey_store_restores_its_replay_record() {
    let f = load("prekey-store-v2.json");
    assert_eq!(f["store_version"], 2);
    let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    let plain = unhex(&f["bob_store"]["plain"]);
    assert_eq!(plain[..2], [0x02, 0x41]);
    let mut store = PreKeyStore::open(&key, &unhex(&f["bob_store"]["sealed"])).expect("open");
    let from_plain = PreKeyStore::from_bytes(&plain).expect("plain");
    assert_eq!(*store.to_bytes(), plain, "re-encodes to the same bytes");
    assert_eq!(*from_plain.to_bytes(), plain, "plain and sealed agree");

    // The record the fixture lists is the last section of the state.
    let record = f["replay_record"].as_array().expect("record");
    let mut tail = (record.len() as u32).to_be_bytes().to_vec();
    let mut recorded = Vec::new();
    for r in record {
        let spk = u32::try_from(r["signed_prekey_id"].as_u64().expect("id")).expect("u32");
        let keys = r["base_keys"].as_array().expect("keys");
        tail.extend_from_slice(&spk.to_be_bytes());
        tail.extend_from_slice(&(keys.len() as u32).to_be_bytes());
        for k in keys {
            tail.extend_from_slice(&unhex(k));
            recorded.push((spk, unhex(k)));
        }
    }
    assert!(plain.ends_with(&tail));
    assert_eq!(store.remembered_handshakes(), recorded.len());
    assert_eq!(recorded.len(), 3);
    assert!(!store.needs_rotation());

    // Every first message it accepted before is refused, and the store is
    // unchanged by each refusal.
    let before = store.to_bytes().to_vec();
    for m in f["already_accepted"].as_array().expect("accepted") {
        let id = m["id"].as_str().expect("id");
        let bytes = unhex(&m["bytes"]);
        let e = store.accept(&bytes).expect_err(id);
        assert_eq!(
            errors::handshake(&e).0,
            m["error"].as_str().expect("error"),
            "{id}"
        );
        let in_record = recorded.iter().any(|(_, k)| *k == unhex(&m["base_key"]));
        assert_eq!(in_record, e == HandshakeError::Replay, "{id}");
        assert_eq!(*store.to_bytes(), before, "{id}: refusal changes nothing");
    }

    // The pending first message is accepted once, and recorded under its
    // signed prekey (2).
    let pending = &f["pending"][0];
    let e0 = unhex(&pending["bytes"]);
    let (mut bob_erlan, pt) = store.accept(&e0).expect("e0 accepted");
    assert_eq!(pt, unhex(&pending["plaintext"]["hex"]));
    assert_eq!(store.accept(&e0).err(), Some(HandshakeError::Replay));
    assert_eq!(store.remembered_handshakes(), 4);
    let reply = bob_erlan
        .encrypt(&mut rng(9), b"salem, Erlan")
        .expect("reply");
    assert_eq!(reply[1], 0x01, "a normal message");

    // The state written now reloads to the same store.
    let after = store.to_bytes();
    assert_eq!(
        *PreKeyStore::from_bytes(&after).expect("reload").to_bytes(),
        *after
    );

    // Rotating signed prekey 1 out (three more rotations: 4 held) deletes
    // its record: a0 and c0 then name an unknown signed prekey.
    let mut r = rng(10);
    for _ in 0..3 {
        store.rotate_signed_prekey(&mut r);
    }
    assert_eq!(store.remembered_handshakes(), 2, "d0 and e0 remain");
    for m in f["already_accepted"].as_array().expect("accepted") {
        let bytes = unhex(&m["bytes"]);
        if bytes[162..166] == [0, 0, 0, 1] {
            assert_eq!(
                store.accept(&bytes).err(),
                Some(HandshakeError::UnknownSignedPreKey(1))
            );
        }
    }
    assert_eq!(store.accept(&e0).err(), Some(HandshakeError::Replay));
}
