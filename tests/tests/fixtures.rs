//! Old state versions stay loadable (docs/PROTOCOL.md §11): the fixtures in
//! `tests/vectors/fixtures/` were written once, by the release that
//! introduced their state version, and are never changed (see the README
//! there). The current code must restore them and keep working with them,
//! except group version 1, which it must refuse (§11,
//! `group_state_v1_is_refused`). Prekey store state of store versions 1 and
//! 2 loads and is migrated to store version 3 (§7.3, §11): every prekey
//! dated 0 and handed out. The sealed blobs of the fixtures written before
//! sealed envelope version 2 are version 1 envelopes (§7.1): they open
//! while the caller expects generation 0, and are refused as rolled back
//! from generation 1. The account and contact states of account version 1
//! (§14.7) restore, verify their lists again and keep working: updates,
//! linking and removing devices, the heads schedule. The store files of
//! schema version 1 (§17) open under their storage keys, hold what their
//! description lists, and keep working: pending messages, the outbox, the
//! skipped keys of a session, the group and its due rotation.

use std::path::PathBuf;

use qorgan::group::GroupMessageInfo;
use qorgan::limits::{MAX_RETIRED_PREKEY_AGE_SECS, PREKEY_ROTATION_SECS};
use qorgan::{
    DecodeError, DecryptError, GroupPlaintext, HandshakeError, IdentityKeyPair,
    InboundGroupSession, OutboundGroupSession, PreKeyBundle, PreKeyStore, RotationPolicy,
    RotationReason, SenderKeyDistribution, SenderKeyRing, Session, StateError, StorageKey,
};
use qorgan::{Expected, KemPreKeyKind, PreKeyUpload, SealedHeader, StateOwner};
use qorgan_tests::vectors::{errors, store_dates, store_prefix};
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
    (
        "prekey-store-v3.json",
        "7ecbf1f3b969bef1814b0b2d333d46d8cef412370a542f18052a9818d97fdcce",
    ),
    (
        "sealed-v1.json",
        "685afacc7ba18f3fa936ecd1a784c71b832c0432cb71e415d3eb917455dda258",
    ),
    (
        "sealed-v2.json",
        "bb9a0fc5cbcd522711e6b1fb6ab4d23ecfff41fd053283c9125a1b63c9517abb",
    ),
    (
        "account-state-v1.json",
        "2e47781b99f275bfa190c203dcae4ef1c5cc39d40e2a2ff98b44f081cad89ae9",
    ),
    (
        "contact-state-v1.json",
        "49ede54b4869861ad124430b4ff207826a9debb2b5f9ec868bcd7cc46b0937b9",
    ),
    (
        "roster-v1.json",
        "36f33aed724cc481a3aa25579dd0cd26cedbeb11d31d0ae9a251c64d7899be0f",
    ),
    (
        "group-state-v3.json",
        "d4679ea907ef6cc3956802cf2d8109069f3f5ff15d0621b9d8711b3756144d05",
    ),
    (
        "certificate-v1.json",
        "5d95f8b0f7fef25ced8cefac66ee142caa939ff806926943e38e7c5f70497f9f",
    ),
    (
        "store-v1.sqlite",
        "7eeeae635e88913fb20c08e9a4993fb66ab724baa80793e66e1c7755b8269d23",
    ),
    (
        "store-v1-peer.sqlite",
        "741bc7e4171a6eecf2f433e8cc2cf24adaf21f8fe41181aeea10ad518722828b",
    ),
    (
        "store-v1.json",
        "b2bc065881883074d0f7926e43c1abdd3ca5d8d31ecb98f409e64e5b28dd54ab",
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

/// What `open` is given for a blob of `owner` (§7.1).
fn at(owner: StateOwner, min_generation: u64) -> Expected {
    Expected::new(owner, min_generation)
}

/// A version 1 envelope (§7.1, written before envelope version 2): its
/// header is `0x01 0x5E kind`; `open` refuses it as rolled back (found
/// generation 0) when the caller expects generation 1 or later.
fn check_v1_envelope(sealed: &[u8], kind: u8, rolled_back: Option<StateError>) {
    assert_eq!(sealed[..3], [0x01, 0x5E, kind]);
    let h = SealedHeader::parse(sealed).expect("header");
    assert_eq!(
        (h.version, h.kind, h.owner, h.generation),
        (1, kind, None, 0)
    );
    assert_eq!(
        rolled_back,
        Some(StateError::RolledBack {
            min_generation: 1,
            found: 0
        })
    );
}

/// A version 1 envelope around a state that is itself refused (group state
/// version 1): the state is decoded before the generation is compared
/// (§7.1 steps 6 and 8), so even a caller expecting generation 1 is told
/// the state is unsupported.
fn check_v1_envelope_of_refused_state(sealed: &[u8], kind: u8, refusal: Option<StateError>) {
    assert_eq!(sealed[..3], [0x01, 0x5E, kind]);
    assert_eq!(
        refusal,
        Some(StateError::Decode(DecodeError::UnsupportedVersion(1)))
    );
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

    // A session's owner is its session id, which both ends share.
    let from_plain = Session::from_bytes(&unhex(&f["bob_session"]["plain"])).expect("load plain");
    let owner = StateOwner::session(from_plain.session_id());
    let bob_sealed = unhex(&f["bob_session"]["sealed"]);
    let mut bob = Session::open(&key, &bob_sealed, &at(owner, 0)).expect("open sealed");
    assert_eq!(bob.generation(), 0);
    check_v1_envelope(
        &bob_sealed,
        0x40,
        Session::open(&key, &bob_sealed, &at(owner, 1)).err(),
    );
    assert_eq!(
        *bob.to_bytes(),
        *from_plain.to_bytes(),
        "plain and sealed agree"
    );
    let alice_sealed = unhex(&f["alice_session"]["sealed"]);
    let mut alice = Session::open(&key, &alice_sealed, &at(owner, 0)).expect("open");
    check_v1_envelope(
        &alice_sealed,
        0x40,
        Session::open(&key, &alice_sealed, &at(owner, 1)).err(),
    );
    // Another session's owner is refused (the blob names none: the opened
    // session's own id is compared).
    assert_eq!(
        Session::open(&key, &alice_sealed, &at(StateOwner::from_bytes([7; 32]), 0)).err(),
        Some(StateError::WrongOwner)
    );
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
    // The store's owner is Bob's identity, which his session names.
    let bob = Session::from_bytes(&unhex(&f["bob_session"]["plain"])).expect("session");
    let owner = StateOwner::device(bob.local_identity());
    let sealed = unhex(&f["bob_store"]["sealed"]);
    let mut store = PreKeyStore::open(&key, &sealed, &at(owner, 0)).expect("open");
    check_v1_envelope(
        &sealed,
        0x41,
        PreKeyStore::open(&key, &sealed, &at(owner, 1)).err(),
    );
    let from_plain = PreKeyStore::from_bytes(&unhex(&f["bob_store"]["plain"])).expect("plain");
    assert_eq!(
        *store.to_bytes(),
        *from_plain.to_bytes(),
        "plain and sealed agree"
    );
    assert!(store.identity_key().ct_eq(bob.local_identity()));

    // Store version 1, migrated (§7.3, §11): it is written back as store
    // version 3, which loads to the same store, every prekey dated 0 and
    // handed out. Its replay list was empty (a0 used one-time prekeys), so
    // there is no replay record.
    let plain_v1 = unhex(&f["bob_store"]["plain"]);
    assert_eq!(plain_v1[..2], [0x01, 0x41]);
    assert_eq!(
        plain_v1[plain_v1.len() - 4..],
        [0, 0, 0, 0],
        "empty replay list"
    );
    let migrated = store.to_bytes().to_vec();
    assert_eq!(migrated[..2], [0x03, 0x41]);
    assert_eq!(
        [&store_prefix(&migrated, 1, false)[..], &[0, 0, 0, 0]].concat(),
        plain_v1,
        "the same store, in the version 1 layout"
    );
    assert_eq!(
        [&store_prefix(&migrated, 3, true)[..], &[0, 0, 0, 0]].concat(),
        migrated,
        "every prekey made at 0 and handed out"
    );
    check_migrated_dates(&migrated);
    assert_eq!(
        *PreKeyStore::from_bytes(&migrated).expect("v3").to_bytes(),
        *migrated
    );
    assert_eq!(store.remembered_handshakes(), 0);
    // Dated 0: due for rotation from PREKEY_ROTATION_SECS on.
    let week = PREKEY_ROTATION_SECS;
    assert!(!store.needs_rotation(week - 1));
    assert!(store.needs_rotation(week));
    assert!(store.needs_rotation(1_700_000_000));

    // The handshake already accepted stays consumed.
    let (_, a0, _) = messages(&serde_json::json!([f["already_accepted"]])).remove(0);
    assert!(
        store.accept(&a0, 0).is_err(),
        "a consumed handshake is refused"
    );

    // Its old one-time prekeys count as handed out: no bundle carries them
    // (they stay acceptable to initiators that fetched them before).
    let (otks, kems) = (
        store.one_time_prekey_count(),
        store.kem_one_time_prekey_count(),
    );
    assert!(otks > 0 && kems > 0, "unused one-time prekeys remain");
    let bundles = store.bundles(100);
    assert_eq!(bundles.len(), 1);
    assert!(bundles[0].one_time_prekey.is_none());
    assert_eq!(bundles[0].kem_prekey.kind, KemPreKeyKind::LastResort);
    assert_eq!(
        (
            store.one_time_prekey_count(),
            store.kem_one_time_prekey_count()
        ),
        (otks, kems)
    );
    // On a real clock, the first upload rotates both dated prekeys and
    // carries them, and no old one-time prekey.
    let now = 1_700_000_000;
    let mut r = rng(8);
    let upload = store.upload(&mut r, now).expect("upload");
    assert!(upload.signed_prekey().is_some() && upload.last_resort_kem_prekey().is_some());
    assert!(upload.one_time_prekeys().is_empty() && upload.kem_one_time_prekeys().is_empty());
    assert!(!store.needs_rotation(now));
    let upload = PreKeyUpload::from_bytes(&upload.to_bytes()).expect("upload verifies");
    assert!(upload.identity().ct_eq(bob.local_identity()));

    // New one-time prekeys are handed out, once each.
    let new: Vec<u32> = store
        .generate_one_time_prekeys(&mut r, 2)
        .iter()
        .map(|k| k.id)
        .collect();
    let bundles = store.bundles(100);
    let handed: Vec<u32> = bundles
        .iter()
        .filter_map(|b| b.one_time_prekey.map(|o| o.id))
        .collect();
    assert_eq!(handed, new);

    // A new device starts a session from one of them.
    let bundle = PreKeyBundle::from_bytes(&bundles[0].to_bytes()).expect("bundle verifies");
    let carol_id = IdentityKeyPair::generate(&mut r);
    let mut carol = Session::initiate(&mut r, &carol_id, &bundle).expect("initiate");
    let first = carol
        .encrypt(&mut r, b"hello restored store")
        .expect("encrypt");
    let (mut bob_carol, pt) = store.accept(&first, now).expect("accept");
    assert_eq!(pt, b"hello restored store");
    let reply = bob_carol.encrypt(&mut r, b"hello Carol").expect("encrypt");
    assert_eq!(carol.decrypt(&reply).expect("decrypt"), b"hello Carol");
    assert!(
        store.accept(&first, now).is_err(),
        "its one-time prekeys are consumed"
    );

    // The last-resort path works once no one-time prekey is left to hand
    // out.
    let b = store.bundle().expect("bundle");
    assert!(b.one_time_prekey.is_none());
    assert_eq!(b.kem_prekey.kind, KemPreKeyKind::LastResort);
    let dave_id = IdentityKeyPair::generate(&mut r);
    let mut dave = Session::initiate(&mut r, &dave_id, &b).expect("initiate");
    let m = dave.encrypt(&mut r, b"last resort").expect("encrypt");
    assert_eq!(store.accept(&m, now).expect("accept").1, b"last resort");
}

/// A store state of store version 3 migrated from version 1 or 2: every
/// prekey made at 0 and handed out (§7.3).
fn check_migrated_dates(v3: &[u8]) {
    let dates = store_dates(v3);
    for (list, entries) in dates.as_object().expect("lists") {
        for e in entries.as_array().expect("entries") {
            assert_eq!(e["published"], true, "{list}: handed out");
            if let Some(at) = e.get("created_at") {
                assert_eq!(at, 0, "{list}: made at 0");
            }
        }
    }
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
    // The owners (§7.1): the group id, and Alice's key, whose identity both
    // group fixtures draw first from rng(GROUP_FIXTURE_SEED) (README).
    let group = unhex(&f["group_id"]["hex"]);
    let alice = group_fixtures_alice();
    let out_owner = StateOwner::outbound_group(&group);
    let alice_owner = StateOwner::group_sender(&group, alice.public());
    assert_eq!(
        OutboundGroupSession::open(&key, &sealed("alice_outbound"), &at(out_owner, 0)).err(),
        refused,
        "the envelope opens; the state inside is refused"
    );
    check_v1_envelope_of_refused_state(
        &sealed("alice_outbound"),
        0x42,
        OutboundGroupSession::open(&key, &sealed("alice_outbound"), &at(out_owner, 1)).err(),
    );
    assert_eq!(
        InboundGroupSession::from_bytes(&plain("bob_inbound")).err(),
        refused
    );
    assert_eq!(
        InboundGroupSession::open(&key, &sealed("bob_inbound"), &at(alice_owner, 0)).err(),
        refused
    );
    check_v1_envelope_of_refused_state(
        &sealed("bob_inbound"),
        0x43,
        InboundGroupSession::open(&key, &sealed("bob_inbound"), &at(alice_owner, 1)).err(),
    );
    assert_eq!(
        SenderKeyRing::from_bytes(&plain("carol_ring")).err(),
        refused
    );
    assert_eq!(
        SenderKeyRing::open(&key, &sealed("carol_ring"), &at(alice_owner, 0)).err(),
        refused
    );
    check_v1_envelope_of_refused_state(
        &sealed("carol_ring"),
        0x44,
        SenderKeyRing::open(&key, &sealed("carol_ring"), &at(alice_owner, 1)).err(),
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
    let store_sealed = unhex(&f["alice_store"]["sealed"]);
    let device = StateOwner::device(alice.public());
    let store = PreKeyStore::open(&key, &store_sealed, &at(device, 0)).expect("store");
    check_v1_envelope(
        &store_sealed,
        0x41,
        PreKeyStore::open(&key, &store_sealed, &at(device, 1)).err(),
    );
    check_migrated_dates(&store.to_bytes());

    // The v1 messages still queued: refused by the parser and by every v2
    // receiver (here the v2 fixture's, restored).
    let v2 = load(&group_fixture_name());
    let v2_key = StorageKey::from_bytes(unhex(&v2["storage_key"]).try_into().expect("32"));
    let v2_owner = StateOwner::group_sender(&unhex(&v2["group_id"]["hex"]), alice.public());
    let mut bob = InboundGroupSession::open(
        &v2_key,
        &unhex(&v2["bob_inbound"]["sealed"]),
        &at(v2_owner, 0),
    )
    .expect("v2 inbound");
    let mut carol = SenderKeyRing::open(
        &v2_key,
        &unhex(&v2["carol_ring"]["sealed"]),
        &at(v2_owner, 0),
    )
    .expect("v2 ring");
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
    // The sender's identity, restored from her sealed prekey store (a
    // version 1 envelope, §7.1: generation 0, its owner her Ed25519 key,
    // drawn first from the fixture's seed).
    let device = StateOwner::device(group_fixtures_alice().public());
    let store_sealed = unhex(&f["alice_store"]["sealed"]);
    let store = PreKeyStore::open(&key, &store_sealed, &at(device, 0)).expect("store");
    check_v1_envelope(
        &store_sealed,
        0x41,
        PreKeyStore::open(&key, &store_sealed, &at(device, 1)).err(),
    );
    let alice = store.identity();
    let out_owner = StateOwner::outbound_group(&group);
    let alice_owner = StateOwner::group_sender(&group, alice.public());

    // Each group state is in a version 1 envelope too.
    let sealed = |name: &str| unhex(&f[name]["sealed"]);
    let mut out = OutboundGroupSession::open(&key, &sealed("alice_outbound"), &at(out_owner, 0))
        .expect("open");
    check_v1_envelope(
        &sealed("alice_outbound"),
        0x42,
        OutboundGroupSession::open(&key, &sealed("alice_outbound"), &at(out_owner, 1)).err(),
    );
    let plain = OutboundGroupSession::from_bytes(&unhex(&f["alice_outbound"]["plain"]))
        .expect("load plain");
    assert_eq!(*out.to_bytes(), *plain.to_bytes(), "plain and sealed agree");
    let mut bob =
        InboundGroupSession::open(&key, &sealed("bob_inbound"), &at(alice_owner, 0)).expect("open");
    check_v1_envelope(
        &sealed("bob_inbound"),
        0x43,
        InboundGroupSession::open(&key, &sealed("bob_inbound"), &at(alice_owner, 1)).err(),
    );
    assert_eq!(
        InboundGroupSession::open(&key, &sealed("bob_inbound"), &at(out_owner, 0)).err(),
        Some(StateError::WrongOwner),
        "an inbound session's owner names its sender"
    );
    let plain = InboundGroupSession::from_bytes(&unhex(&f["bob_inbound"]["plain"])).expect("plain");
    assert_eq!(*bob.to_bytes(), *plain.to_bytes(), "plain and sealed agree");
    let mut carol =
        SenderKeyRing::open(&key, &sealed("carol_ring"), &at(alice_owner, 0)).expect("open");
    check_v1_envelope(
        &sealed("carol_ring"),
        0x44,
        SenderKeyRing::open(&key, &sealed("carol_ring"), &at(alice_owner, 1)).err(),
    );
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
    // The restored states seal again, now in envelope version 2 at
    // generation 1, and open from generation 1 only.
    let sealed = out.seal(&mut r, &key);
    assert_eq!(out.generation(), 1);
    assert_eq!(
        *OutboundGroupSession::open(&key, &sealed, &at(out_owner, 1))
            .expect("open")
            .to_bytes(),
        *out.to_bytes()
    );
    let sealed = carol.seal(&mut r, &key);
    assert_eq!(
        *SenderKeyRing::open(&key, &sealed, &at(alice_owner, 1))
            .expect("open")
            .to_bytes(),
        *carol.to_bytes()
    );
    let sealed = bob.seal(&mut r, &key);
    assert_eq!(sealed[..3], [0x02, 0x5E, 0x43]);
    assert_eq!(
        *InboundGroupSession::open(&key, &sealed, &at(alice_owner, 1))
            .expect("open")
            .to_bytes(),
        *bob.to_bytes()
    );
    assert_eq!(
        InboundGroupSession::open(&key, &sealed, &at(alice_owner, 2)).err(),
        Some(StateError::RolledBack {
            min_generation: 2,
            found: 1
        })
    );
}

/// Alice's identity in both group fixtures: the first two draws of
/// rng(GROUP_FIXTURE_SEED) (tests/vectors/fixtures/README.md).
fn group_fixtures_alice() -> IdentityKeyPair {
    IdentityKeyPair::generate(&mut rng(qorgan_tests::vectors::GROUP_FIXTURE_SEED))
}

/// The group fixture the current code writes (`gen-vectors`).
fn group_fixture_name() -> String {
    qorgan_tests::vectors::group_fixture_file()
        .trim_start_matches("fixtures/")
        .to_string()
}

/// The record a store fixture lists (`replay_record`) as the last section
/// of its state (§7.3), and the (signed prekey id, base key) pairs in it.
fn replay_tail(f: &Value) -> (Vec<u8>, Vec<(u32, Vec<u8>)>) {
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
    (tail, recorded)
}

/// Every first message a store fixture lists as accepted is refused with
/// its recorded error at `now`, and the refusal changes nothing.
fn refuses_the_accepted(store: &mut PreKeyStore, f: &Value, now: u64, recorded: &[(u32, Vec<u8>)]) {
    let before = store.to_bytes().to_vec();
    for m in f["already_accepted"].as_array().expect("accepted") {
        let id = m["id"].as_str().expect("id");
        let bytes = unhex(&m["bytes"]);
        let e = store.accept(&bytes, now).expect_err(id);
        assert_eq!(
            errors::handshake(&e).0,
            m["error"].as_str().expect("error"),
            "{id}"
        );
        let in_record = recorded.iter().any(|(_, k)| *k == unhex(&m["base_key"]));
        assert_eq!(in_record, e == HandshakeError::Replay, "{id}");
        assert_eq!(*store.to_bytes(), before, "{id}: refusal changes nothing");
    }
}

/// Store version 2 (docs/PROTOCOL.md §4.8, §7.3), now an old version: the
/// fixture's store (a version 1 envelope, §7.1) restores, migrated to store
/// version 3 (every prekey dated 0 and handed out) with its replay record
/// per signed prekey, refuses every first message it accepted before (a
/// replay, or a consumed one-time prekey), accepts the pending one exactly
/// once, and drops a signed prekey's record with the signed prekey.
/// Undated, its retired signed prekey 1 starts its 28 days at the store's
/// first dated rotation.
#[test]
fn v2_prekey_store_restores_its_replay_record() {
    let f = load("prekey-store-v2.json");
    assert_eq!(f["store_version"], 2);
    let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    let plain = unhex(&f["bob_store"]["plain"]);
    assert_eq!(plain[..2], [0x02, 0x41]);
    let from_plain = PreKeyStore::from_bytes(&plain).expect("plain");
    let owner = from_plain.state_owner();
    assert_eq!(owner, StateOwner::device(from_plain.identity_key()));
    let sealed = unhex(&f["bob_store"]["sealed"]);
    let mut store = PreKeyStore::open(&key, &sealed, &at(owner, 0)).expect("open");
    check_v1_envelope(
        &sealed,
        0x41,
        PreKeyStore::open(&key, &sealed, &at(owner, 1)).err(),
    );
    assert_eq!(
        *store.to_bytes(),
        *from_plain.to_bytes(),
        "plain and sealed agree"
    );

    // Migrated to store version 3: the same store, every prekey made at 0
    // and handed out; in the version 2 layout, the fixture's bytes.
    let (tail, recorded) = replay_tail(&f);
    assert!(plain.ends_with(&tail));
    let migrated = store.to_bytes().to_vec();
    assert_eq!(migrated[..2], [0x03, 0x41]);
    assert_eq!(
        [&store_prefix(&migrated, 2, false)[..], &tail].concat(),
        plain
    );
    assert_eq!(
        [&store_prefix(&migrated, 3, true)[..], &tail].concat(),
        migrated
    );
    check_migrated_dates(&migrated);
    assert_eq!(store.remembered_handshakes(), recorded.len());
    assert_eq!(recorded.len(), 3);
    let week = PREKEY_ROTATION_SECS;
    assert!(!store.needs_rotation(0) && !store.needs_rotation(week - 1));
    assert!(store.needs_rotation(week), "dated 0: due after a week");

    // Every first message it accepted before is refused, and the store is
    // unchanged by each refusal (on a clock before signed prekey 1 expires).
    refuses_the_accepted(&mut store, &f, 0, &recorded);
    // Migrated undated, signed prekey 1 has no retirement time yet: on any
    // clock the replay record refuses those naming it. Its 28 days start at
    // the store's first dated rotation (§4.9); from then on they are
    // refused as expired, before the replay record is consulted.
    let max = MAX_RETIRED_PREKEY_AGE_SECS;
    let t = 1_800_000_000;
    let mut rotated = PreKeyStore::from_bytes(&store.to_bytes()).expect("copy");
    rotated.rotate_signed_prekey(&mut rng(12), t);
    for m in f["already_accepted"].as_array().expect("accepted") {
        let bytes = unhex(&m["bytes"]);
        if bytes[162..166] == [0, 0, 0, 1] {
            assert_eq!(
                store.accept(&bytes, u64::MAX).err(),
                Some(HandshakeError::Replay)
            );
            assert_eq!(
                rotated.accept(&bytes, t + max).err(),
                Some(HandshakeError::ExpiredSignedPreKey(1))
            );
            assert_eq!(
                rotated.accept(&bytes, t + max - 1).err(),
                Some(HandshakeError::Replay)
            );
        }
    }

    // No one-time prekey of its is handed out again (it holds none unused;
    // new ones are handed out once each).
    assert!(
        store
            .bundles(10)
            .iter()
            .all(|b| b.one_time_prekey.is_none())
    );
    let mut r = rng(11);
    let new: Vec<u32> = store
        .generate_one_time_prekeys(&mut r, 2)
        .iter()
        .map(|k| k.id)
        .collect();
    let handed: Vec<u32> = store
        .bundles(10)
        .iter()
        .filter_map(|b| b.one_time_prekey.map(|o| o.id))
        .collect();
    assert_eq!(handed, new);
    assert!(
        store
            .bundles(10)
            .iter()
            .all(|b| b.one_time_prekey.is_none())
    );

    // The pending first message is accepted once, and recorded under its
    // signed prekey (2, current: it never expires).
    let pending = &f["pending"][0];
    let e0 = unhex(&pending["bytes"]);
    let (mut bob_erlan, pt) = store.accept(&e0, u64::MAX).expect("e0 accepted");
    assert_eq!(pt, unhex(&pending["plaintext"]["hex"]));
    assert_eq!(store.accept(&e0, 0).err(), Some(HandshakeError::Replay));
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

    // Undated keys never expire by themselves; after a dated rotation at t,
    // pruning at t + MAX_RETIRED_PREKEY_AGE_SECS deletes both retired signed
    // prekeys (1 and 2) and their records: every first message naming them
    // then names an unknown signed prekey.
    let mut pruned = PreKeyStore::from_bytes(&after).expect("reload");
    assert_eq!(pruned.prune(u64::MAX), 0);
    pruned.rotate_signed_prekey(&mut rng(13), t);
    assert!(pruned.prune(t + max) >= 2);
    assert_eq!(pruned.remembered_handshakes(), 0);
    for bytes in f["already_accepted"]
        .as_array()
        .expect("accepted")
        .iter()
        .map(|m| unhex(&m["bytes"]))
        .chain([e0.clone()])
    {
        let id = u32::from_be_bytes(bytes[162..166].try_into().expect("id"));
        assert_eq!(
            pruned.accept(&bytes, t + max).err(),
            Some(HandshakeError::UnknownSignedPreKey(id))
        );
    }

    // Three more rotations (4 held) delete signed prekey 1 and its record
    // likewise, on a clock that has not expired it.
    let mut r = rng(10);
    for _ in 0..3 {
        store.rotate_signed_prekey(&mut r, 0);
    }
    assert_eq!(store.remembered_handshakes(), 2, "d0 and e0 remain");
    for m in f["already_accepted"].as_array().expect("accepted") {
        let bytes = unhex(&m["bytes"]);
        if bytes[162..166] == [0, 0, 0, 1] {
            assert_eq!(
                store.accept(&bytes, 0).err(),
                Some(HandshakeError::UnknownSignedPreKey(1))
            );
        }
    }
    assert_eq!(store.accept(&e0, 0).err(), Some(HandshakeError::Replay));
}

/// Store version 3 (docs/PROTOCOL.md §4.8–§4.10, §7.3): the fixture's store
/// (envelope version 2, generation 2) restores and re-encodes to the same
/// bytes, holds the dates and published flags listed, refuses every first
/// message it accepted (and, once signed prekey 1 has expired, those naming
/// it as expired), accepts the pending one once, hands out only the one
/// one-time key it never handed out, and its recorded upload verifies.
#[test]
fn v3_prekey_store_keeps_dates_and_what_it_handed_out() {
    let f = load("prekey-store-v3.json");
    assert_eq!(f["store_version"], 3);
    let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
    let key = StorageKey::from_bytes(key);
    let clock = |k: &str| f["clock"][k].as_u64().expect("clock");
    let (rotated_at, uploaded_at) = (clock("rotated_at"), clock("uploaded_at"));
    let plain = unhex(&f["bob_store"]["plain"]);
    assert_eq!(plain[..2], [0x03, 0x41]);
    let from_plain = PreKeyStore::from_bytes(&plain).expect("plain");
    assert_eq!(
        *from_plain.to_bytes(),
        plain,
        "re-encodes to the same bytes"
    );
    let owner = StateOwner::device(from_plain.identity_key());
    assert_eq!(
        f["bob_store"]["owner"].as_str(),
        Some(hex::encode(&owner.to_bytes()).as_str())
    );
    let generation = f["bob_store"]["generation"].as_u64().expect("generation");
    assert_eq!(generation, 2);
    let sealed = unhex(&f["bob_store"]["sealed"]);
    let h = SealedHeader::parse(&sealed).expect("header");
    assert_eq!(
        (h.version, h.kind, h.owner, h.generation),
        (2, 0x41, Some(owner), 2)
    );
    let mut store = PreKeyStore::open(&key, &sealed, &at(owner, generation)).expect("open");
    assert_eq!(store.generation(), 2);
    assert_eq!(*store.to_bytes(), plain, "plain and sealed agree");
    assert_eq!(
        PreKeyStore::open(&key, &sealed, &at(owner, 3)).err(),
        Some(StateError::RolledBack {
            min_generation: 3,
            found: 2
        })
    );
    assert_eq!(
        PreKeyStore::open(&key, &sealed, &at(StateOwner::from_bytes([0; 32]), 0)).err(),
        Some(StateError::WrongOwner)
    );
    assert_eq!(store_dates(&plain), f["dates"], "the dates listed");

    let (tail, recorded) = replay_tail(&f);
    assert!(plain.ends_with(&tail));
    assert_eq!(store.remembered_handshakes(), 3);
    // Dates (§4.9): signed prekey 2 made at rotated_at, last-resort 4 at
    // uploaded_at.
    let week = PREKEY_ROTATION_SECS;
    assert!(!store.needs_rotation(uploaded_at));
    assert!(!store.needs_rotation(rotated_at + week - 1));
    assert!(store.signed_prekey_rotation_due(rotated_at + week));
    assert!(!store.last_resort_kem_prekey_rotation_due(rotated_at + week));
    assert!(store.last_resort_kem_prekey_rotation_due(uploaded_at + week));

    refuses_the_accepted(&mut store, &f, uploaded_at, &recorded);
    // Signed prekey 1 was retired at rotated_at: a0 and c0 are refused as
    // expired MAX_RETIRED_PREKEY_AGE_SECS later, as replays one second
    // before.
    let max = MAX_RETIRED_PREKEY_AGE_SECS;
    for id in ["a0", "c0"] {
        let m = f["already_accepted"]
            .as_array()
            .expect("accepted")
            .iter()
            .find(|m| m["id"] == id)
            .expect(id);
        let bytes = unhex(&m["bytes"]);
        assert_eq!(
            store.accept(&bytes, rotated_at + max).err(),
            Some(HandshakeError::ExpiredSignedPreKey(1))
        );
        assert_eq!(
            store.accept(&bytes, rotated_at + max - 1).err(),
            Some(HandshakeError::Replay)
        );
    }

    // Its recorded upload verifies and carries what the store marked.
    let upload = PreKeyUpload::from_bytes(&unhex(&f["upload"])).expect("upload verifies");
    assert!(upload.identity().ct_eq(store.identity_key()));
    assert_eq!(upload.one_time_prekey_ids(), [2, 3]);
    assert_eq!(upload.kem_one_time_prekey_ids(), [3]);
    assert_eq!(upload.last_resort_kem_prekey().map(|k| k.id), Some(4));
    assert_eq!(
        store
            .last_resort_kem_prekey()
            .map(|k| k.key.as_bytes().to_vec()),
        upload
            .last_resort_kem_prekey()
            .map(|k| k.key.as_bytes().to_vec())
    );
    assert!(upload.signed_prekey().is_none());

    // Only one-time prekey 4 was never handed out: the next bundles carry
    // it once, then none; the next upload has nothing new.
    let mut probe = PreKeyStore::from_bytes(&plain).expect("plain");
    let handed: Vec<Option<u32>> = probe
        .bundles(10)
        .iter()
        .map(|b| b.one_time_prekey.map(|o| o.id))
        .collect();
    assert_eq!(handed, [Some(4)]);
    assert!(
        probe
            .bundles(10)
            .iter()
            .all(|b| b.one_time_prekey.is_none())
    );
    assert!(probe.upload(&mut rng(12), uploaded_at).is_none());
    // Uploaded instead of bundled: the same key, once.
    let mut probe = PreKeyStore::from_bytes(&plain).expect("plain");
    let u = probe.upload(&mut rng(12), uploaded_at).expect("upload");
    assert_eq!(u.one_time_prekey_ids(), [4]);
    assert!(u.kem_one_time_prekey_ids().is_empty() && u.signed_prekey().is_none());
    assert!(probe.upload(&mut rng(12), uploaded_at).is_none());

    // The pending first message is accepted once, then a replay.
    let pending = &f["pending"][0];
    let e0 = unhex(&pending["bytes"]);
    let (_, pt) = store.accept(&e0, uploaded_at).expect("e0 accepted");
    assert_eq!(pt, unhex(&pending["plaintext"]["hex"]));
    assert_eq!(
        store.accept(&e0, uploaded_at).err(),
        Some(HandshakeError::Replay)
    );
    assert_eq!(store.remembered_handshakes(), 4);

    // Sealed again: generation 3, which the next open expects.
    let again = store.seal(&mut rng(13), &key);
    assert_eq!(store.generation(), 3);
    let reopened = PreKeyStore::open(&key, &again, &at(owner, 3)).expect("open");
    assert_eq!(*reopened.to_bytes(), *store.to_bytes());
    assert_eq!(
        PreKeyStore::open(&key, &sealed, &at(owner, 3)).err(),
        Some(StateError::RolledBack {
            min_generation: 3,
            found: 2
        }),
        "the fixture's blob is now a rollback"
    );
}

/// The sealed-envelope fixtures (§7.1): every blob, of each of the five
/// kinds, opens with its owner at its generation into its plain state (for
/// version 1 the store of store version 2 inside is migrated), is refused
/// as rolled back from the next generation, and as another object's with
/// another owner; the owners are those §7.1 derives from each object.
#[test]
fn sealed_envelopes_of_both_versions_open_as_recorded() {
    for version in [1u8, 2] {
        let f = load(&format!("sealed-v{version}.json"));
        assert_eq!(f["envelope_version"], version);
        let key: [u8; 32] = unhex(&f["storage_key"]).try_into().expect("32");
        let key = StorageKey::from_bytes(key);
        let group = unhex(&f["group_id"]["hex"]);
        let states = f["states"].as_object().expect("states");
        assert_eq!(states.len(), 5);
        let owner_of = |name: &str| -> StateOwner {
            StateOwner::from_bytes(unhex(&states[name]["owner"]).try_into().expect("32"))
        };
        // Derived as §7.1 says, from the objects' plain states.
        let plain = |name: &str| unhex(&states[name]["plain"]);
        let bob = Session::from_bytes(&plain("bob_session")).expect("session");
        assert_eq!(
            owner_of("bob_session"),
            StateOwner::session(bob.session_id())
        );
        assert_eq!(
            owner_of("bob_store"),
            StateOwner::device(bob.local_identity())
        );
        assert_eq!(
            owner_of("alice_outbound"),
            StateOwner::outbound_group(&group)
        );
        let inbound = InboundGroupSession::from_bytes(&plain("bob_inbound")).expect("inbound");
        let alice_owner = StateOwner::group_sender(&group, inbound.sender());
        assert_eq!(owner_of("bob_inbound"), alice_owner);
        assert_eq!(owner_of("carol_ring"), alice_owner);
        let other = at(StateOwner::from_bytes([0x55; 32]), 0);
        for (name, v) in states {
            let sealed = unhex(&v["sealed"]);
            let generation = v["generation"].as_u64().expect("generation");
            let kind = v["kind"].as_u64().expect("kind") as u8;
            let h = SealedHeader::parse(&sealed).expect("header");
            assert_eq!(
                (h.version, h.kind, h.generation),
                (version, kind, generation)
            );
            if version == 1 {
                assert_eq!(generation, 0);
                assert_eq!(h.owner, None);
            } else {
                assert_eq!(h.owner, Some(owner_of(name)));
            }
            let ok = at(owner_of(name), generation);
            let next = at(owner_of(name), generation + 1);
            let rolled_back = Some(StateError::RolledBack {
                min_generation: generation + 1,
                found: generation,
            });
            let p = plain(name);
            macro_rules! check {
                ($ty:ty) => {{
                    let opened = <$ty>::open(&key, &sealed, &ok).expect(name);
                    assert_eq!(opened.generation(), generation, "{name}");
                    assert_eq!(opened.state_owner(), owner_of(name), "{name}");
                    assert_eq!(
                        *opened.to_bytes(),
                        *<$ty>::from_bytes(&p).expect("plain").to_bytes(),
                        "{name}: plain and sealed agree"
                    );
                    assert_eq!(
                        <$ty>::open(&key, &sealed, &next).err(),
                        rolled_back,
                        "{name}"
                    );
                    assert_eq!(
                        <$ty>::open(&key, &sealed, &other).err(),
                        Some(StateError::WrongOwner),
                        "{name}"
                    );
                    opened.to_bytes().to_vec()
                }};
            }
            let opened = match kind {
                0x40 => check!(Session),
                0x41 => check!(PreKeyStore),
                0x42 => check!(OutboundGroupSession),
                0x43 => check!(InboundGroupSession),
                _ => check!(SenderKeyRing),
            };
            if kind == 0x41 && version == 1 {
                // Store version 2 inside, migrated.
                assert_eq!(p[0], 2);
                check_migrated_dates(&opened);
            } else {
                assert_eq!(opened, p, "{name}");
            }
        }
    }
}

/// The lists of an account fixture, by name, verified.
fn fixture_lists(f: &Value) -> std::collections::BTreeMap<String, qorgan::account::DeviceList> {
    f["lists"]
        .as_object()
        .expect("lists")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                qorgan::account::DeviceList::from_bytes(&unhex(v)).expect("list verifies"),
            )
        })
        .collect()
}

#[test]
fn account_state_v1_restores_and_keeps_working() {
    use qorgan::AccountError;
    use qorgan::account::{Account, LinkCode, LinkRequest};
    use qorgan::verify::{Item, verify};
    use qorgan_tests::vectors::account::account_json;
    let f = load("account-state-v1.json");
    assert_eq!(f["account_version"], 1);
    let key = StorageKey::from_bytes(unhex(&f["storage_key"]).try_into().expect("32"));
    let lists = fixture_lists(&f);
    let alice_owner = StateOwner::account(lists["alice.v1"].account());
    let mut restored = Vec::new();
    for name in ["bob_phone", "bob_tablet"] {
        let v = &f["states"][name];
        let (plain, sealed) = (unhex(&v["plain"]), unhex(&v["sealed"]));
        let generation = v["generation"].as_u64().expect("generation");
        let owner = StateOwner::from_bytes(unhex(&v["owner"]).try_into().expect("32"));
        let h = SealedHeader::parse(&sealed).expect("header");
        assert_eq!(
            (h.version, h.kind, h.owner, h.generation),
            (2, 0x46, Some(owner), generation)
        );
        let from_plain = Account::from_bytes(&plain).expect("plain state loads");
        assert_eq!(*from_plain.to_bytes(), plain, "one state, one encoding");
        assert_eq!(account_json(&from_plain), v["account"]);
        assert_eq!(owner, StateOwner::account(from_plain.account_key()));
        let opened = Account::open(&key, &sealed, &at(owner, generation)).expect("opens");
        assert_eq!(*opened.to_bytes(), plain);
        assert_eq!(opened.generation(), generation);
        assert_eq!(
            Account::open(&key, &sealed, &at(owner, generation + 1)).err(),
            Some(StateError::RolledBack {
                min_generation: generation + 1,
                found: generation
            })
        );
        assert_eq!(
            Account::open(&key, &sealed, &at(alice_owner, 0)).err(),
            Some(StateError::WrongOwner)
        );
        assert_eq!(
            qorgan::account::Contact::open(&key, &sealed, &at(owner, 0)).err(),
            Some(StateError::WrongKind {
                expected: 0x45,
                found: 0x46
            })
        );
        restored.push(opened);
    }
    let mut tablet = restored.pop().expect("tablet");
    let mut phone = restored.pop().expect("phone");
    assert!(phone.holds_account_key() && !tablet.holds_account_key());
    assert_eq!(phone.list(), &lists["bob.v3"]);
    assert_eq!(tablet.list(), &lists["bob.v2"]);

    // The tablet catches up on what it missed, and cannot change the list.
    let pending: Vec<_> = f["pending_for_tablet"]
        .as_array()
        .expect("pending")
        .iter()
        .map(|n| lists[n.as_str().expect("name")].clone())
        .collect();
    let change = tablet.update(&pending).expect("update");
    assert_eq!((change.from.version, change.to.version), (2, 3));
    assert_eq!(change.added.len(), 1);
    assert_eq!(change.added[0].label, "laptop");
    assert!(tablet.is_listed());
    assert_eq!(
        tablet.update(&[lists["bob.v2"].clone()]).unwrap_err(),
        AccountError::RolledBack {
            held: 3,
            offered: 2
        }
    );
    let laptop = change.added[0].identity;
    assert_eq!(
        tablet.remove_device(&laptop).unwrap_err(),
        AccountError::NoAccountKey
    );

    // The phone removes the laptop and links a new device: each list
    // follows the one before, for the server too.
    let mut r = rng(1105);
    let v3_head = phone.head();
    let v4 = phone.remove_device(&laptop).expect("remove").to_bytes();
    assert_eq!(
        verify(&Item::DeviceListAfter {
            account: *phone.account_key(),
            previous: v3_head,
            list: &v4
        }),
        Ok(())
    );
    let watch = IdentityKeyPair::generate(&mut r);
    let mut request = LinkRequest::new(&mut r, watch.public());
    let code = LinkCode::parse(&request.code()).expect("code");
    let message = phone
        .provision(&mut r, &code, "watch", &[], false)
        .expect("provision");
    let (watch_account, _) = request.complete(&message).expect("complete");
    assert_eq!(watch_account.list(), phone.list());
    assert_eq!(phone.list().version(), 5);
    let change = tablet
        .update(&[
            qorgan::account::DeviceList::from_bytes(&v4).expect("v4"),
            phone.list().clone(),
        ])
        .expect("update");
    assert_eq!(change.removed.len(), 1);
    assert_eq!(change.added.len(), 1);

    // The phone removes the tablet: the tablet learns it, and its state
    // (no longer listed) still saves and loads (§14.7).
    let v6 = phone
        .remove_device(tablet.device())
        .expect("remove the tablet")
        .clone();
    let change = tablet.update(&[v6]).expect("update");
    assert_eq!(change.removed.len(), 1);
    assert!(!tablet.is_listed());
    let reloaded = Account::from_bytes(&tablet.to_bytes()).expect("a removed device loads");
    assert!(!reloaded.is_listed());
    assert_eq!(*reloaded.to_bytes(), *tablet.to_bytes());
    let sealed = tablet.seal(&mut r, &key);
    let opened = Account::open(
        &key,
        &sealed,
        &at(tablet.state_owner(), tablet.generation()),
    )
    .expect("a removed device's sealed state opens");
    assert!(!opened.is_listed());

    // Sealed again: the next generation, and the fixture's blob is then a
    // rollback.
    let v = &f["states"]["bob_phone"];
    let generation = v["generation"].as_u64().expect("generation");
    let sealed = phone.seal(&mut r, &key);
    assert_eq!(phone.generation(), generation + 1);
    let owner = phone.state_owner();
    assert!(Account::open(&key, &sealed, &at(owner, generation + 1)).is_ok());
    assert_eq!(
        Account::open(&key, &unhex(&v["sealed"]), &at(owner, generation + 1)).err(),
        Some(StateError::RolledBack {
            min_generation: generation + 1,
            found: generation
        })
    );
}

#[test]
fn contact_state_v1_restores_updates_and_keeps_its_heads_schedule() {
    use qorgan::AccountError;
    use qorgan::FanoutError;
    use qorgan::account::{Account, Contact, ListHead, fanout, receive, seal_envelope};
    use qorgan::limits::HEADS_EVERY_MESSAGES;
    use qorgan_tests::vectors::account::contact_json;
    let f = load("contact-state-v1.json");
    assert_eq!(f["account_version"], 1);
    let key = StorageKey::from_bytes(unhex(&f["storage_key"]).try_into().expect("32"));
    let lists = fixture_lists(&f);
    let alice_head = ListHead {
        version: f["alice_head"]["version"].as_u64().expect("version"),
        hash: unhex(&f["alice_head"]["hash"]).try_into().expect("32"),
    };
    assert_eq!(alice_head, lists["alice.v1"].head());
    let restore = |name: &str| {
        let v = &f["states"][name];
        let (plain, sealed) = (unhex(&v["plain"]), unhex(&v["sealed"]));
        let generation = v["generation"].as_u64().expect("generation");
        let owner = StateOwner::from_bytes(unhex(&v["owner"]).try_into().expect("32"));
        let h = SealedHeader::parse(&sealed).expect("header");
        assert_eq!(
            (h.version, h.kind, h.owner, h.generation),
            (2, 0x45, Some(owner), generation)
        );
        let from_plain = Contact::from_bytes(&plain).expect("plain state loads");
        assert_eq!(*from_plain.to_bytes(), plain, "one state, one encoding");
        assert_eq!(contact_json(&from_plain), v["contact"]);
        assert_eq!(owner, StateOwner::account(from_plain.account()));
        assert_eq!(from_plain.list(), &lists["bob.v1"]);
        let opened = Contact::open(&key, &sealed, &at(owner, generation)).expect("opens");
        assert_eq!(*opened.to_bytes(), plain);
        assert_eq!(
            Contact::open(&key, &sealed, &at(owner, generation + 1)).err(),
            Some(StateError::RolledBack {
                min_generation: generation + 1,
                found: generation
            })
        );
        assert_eq!(
            Contact::open(
                &key,
                &sealed,
                &at(StateOwner::account(lists["alice.v1"].account()), 0)
            )
            .err(),
            Some(StateError::WrongOwner)
        );
        opened
    };

    // Alice's phone's account (no account key), made from the fixture's
    // list and identity (§14.7 layout).
    let alice_phone =
        qorgan::IdentityKey::from_field_bytes(&unhex(&f["identities"]["alice_phone"]))
            .expect("identity");
    let alice_list = lists["alice.v1"].to_bytes();
    let alice = Account::from_bytes(
        &[
            &[0x01, 0x46, 0][..],
            &alice_phone.to_field_bytes(),
            &(alice_list.len() as u32).to_be_bytes(),
            &alice_list,
        ]
        .concat(),
    )
    .expect("alice's account");
    assert_eq!(alice.head(), alice_head);

    // Heads went out with message 0 and messages 1–4 followed without:
    // messages 5 … 31 carry none, message 32 (HEADS_EVERY_MESSAGES) does.
    let since = f["messages_since_heads"].as_u64().expect("since") as u32;
    let mut sent = restore("alice_contact_of_bob");
    // A fan-out that reaches no device (no session with any) is not
    // counted (§14.5): the contact is unchanged.
    let before = sent.to_bytes().to_vec();
    let deliveries = fanout(&mut rng(1106), &alice, &mut sent, &mut [], b"lost");
    assert!(!deliveries.is_empty());
    assert!(
        deliveries
            .iter()
            .all(|d| matches!(d.result, Err(FanoutError::NoSession)))
    );
    assert_eq!(*sent.to_bytes(), before);
    for message in since + 1..HEADS_EVERY_MESSAGES {
        assert_eq!(sent.heads_to_send(alice_head), None, "message {message}");
    }
    let heads = sent.heads_to_send(alice_head).expect("due");
    assert_eq!(
        (heads.sender, heads.peer),
        (alice_head, lists["bob.v1"].head())
    );

    // Updated over the pending lists: the heads change, so they go out at
    // once; an older list is refused.
    let mut sent = restore("alice_contact_of_bob");
    let pending: Vec<_> = f["pending_lists"]
        .as_array()
        .expect("pending")
        .iter()
        .map(|n| lists[n.as_str().expect("name")].clone())
        .collect();
    let change = sent.update(&pending).expect("update");
    assert_eq!((change.from.version, change.to.version), (1, 3));
    assert_eq!(change.added.len(), 2);
    let heads = sent.heads_to_send(alice_head).expect("changed");
    assert_eq!(heads.peer, lists["bob.v3"].head());
    assert_eq!(
        sent.update(&[lists["bob.v2"].clone()]).unwrap_err(),
        AccountError::RolledBack {
            held: 3,
            offered: 2
        }
    );
    assert!(sent.allows(&lists["bob.v3"].devices()[0].identity));

    // Nothing sent yet: the first message carries the heads.
    let mut unsent = restore("alice_contact_unsent");
    assert!(unsent.heads_to_send(alice_head).is_some());
    assert_eq!(unsent.heads_to_send(alice_head), None);

    // What Bob's phone sends Alice names Bob's account and hers (§14.5);
    // one addressed to Bob's own account is meant for another
    // conversation, and one naming Alice's account as its sender is not
    // Bob's phone's to write.
    let contact = restore("alice_contact_of_bob");
    let bob_phone = qorgan::IdentityKey::from_field_bytes(&unhex(&f["identities"]["bob_phone"]))
        .expect("identity");
    let to_alice = seal_envelope(contact.account(), alice.account_key(), None, b"hi");
    let got = receive(&alice, &contact, &bob_phone, &to_alice).expect("addressed to Alice");
    assert_eq!(got.body, b"hi");
    let to_bob = seal_envelope(contact.account(), contact.account(), None, b"hi");
    assert_eq!(
        receive(&alice, &contact, &bob_phone, &to_bob).err(),
        Some(AccountError::Misaddressed)
    );
    let as_alice = seal_envelope(alice.account_key(), contact.account(), None, b"hi");
    assert_eq!(
        receive(&alice, &contact, &bob_phone, &as_alice).err(),
        Some(AccountError::DeviceNotListed)
    );
}

/// An account key pair from its recorded Ed25519 seed.
fn account_key_pair(seed: &Value) -> qorgan::account::AccountKeyPair {
    let mut r = qorgan_tests::vectors::ReplayRng::new([unhex(seed)]);
    let k = qorgan::account::AccountKeyPair::generate(&mut r);
    r.finish();
    k
}

/// `roster-v1.json` (docs/PROTOCOL.md §15): the history decodes, verifies
/// (one by one and as successors, for a server too), advances to the same
/// change, is accepted anchored at any of its heads, refuses another
/// group's roster, and its admins keep changing the group.
#[test]
fn roster_v1_fixture_decodes_verifies_and_advances() {
    use qorgan::roster::{Role, Roster};
    use qorgan::verify::{Item, verify};
    use qorgan_tests::vectors::account::head_json;
    use qorgan_tests::vectors::roster::roster_change_json;
    let f = load("roster-v1.json");
    assert_eq!(f["roster_version"], 1);
    let kp = |n: &str| {
        let k = account_key_pair(&f["accounts"][n]["seed"]);
        assert_eq!(
            hex::encode(&k.public().to_bytes()),
            f["accounts"][n]["public"].as_str().expect("public")
        );
        k
    };
    let mut history: Vec<Roster> = Vec::new();
    for r in f["history"].as_array().expect("history") {
        let b = unhex(&r["bytes"]);
        let roster = Roster::from_bytes(&b).expect("decodes and verifies");
        assert_eq!(roster.to_bytes(), b, "one roster, one encoding");
        assert_eq!(head_json(&roster.head()), r["head"]);
        assert_eq!(
            hex::encode(&roster.signer().to_bytes()),
            r["signer"].as_str().expect("signer")
        );
        assert_eq!(
            roster.members().len(),
            r["members"].as_array().expect("m").len()
        );
        assert_eq!(verify(&Item::Roster(&b)), Ok(()));
        if let Some(prev) = history.last() {
            assert!(roster.follows(&prev.head()));
            assert_eq!(
                verify(&Item::RosterAfter {
                    previous: prev,
                    roster: &b
                }),
                Ok(())
            );
        }
        history.push(roster);
    }
    let (newest, change) = history[0].advance(&history[1..]).expect("advance");
    assert_eq!(newest, history[3]);
    assert_eq!(roster_change_json(&change), f["change"]);
    for anchor in &history {
        assert_eq!(
            Roster::from_history(&history, &anchor.head()).expect("history"),
            history[3]
        );
    }
    let other = Roster::from_bytes(&unhex(&f["other"]["bytes"])).expect("other");
    assert_eq!(head_json(&other.head()), f["other"]["head"]);
    assert_eq!(
        history[0]
            .advance(std::slice::from_ref(&other))
            .unwrap_err(),
        qorgan::RosterError::WrongGroup
    );
    // Bolat, an admin of r4, adds Erlan; Asel, removed, cannot.
    let erlan = kp("erlan");
    let r5 = history[3]
        .with_member(&kp("bolat"), erlan.public(), Role::Member)
        .expect("r5");
    assert_eq!(
        verify(&Item::RosterAfter {
            previous: &history[3],
            roster: &r5.to_bytes()
        }),
        Ok(())
    );
    assert_eq!(
        history[3]
            .with_member(&kp("asel"), erlan.public(), Role::Member)
            .unwrap_err(),
        qorgan::RosterError::NotAdmin
    );
}

/// `group-state-v3.json` (§7.4 version 3, §15.4): the rostered states open
/// (plain and sealed agree, at their generation, not at the next, not with
/// another owner), the receivers read their pending messages under the
/// roster they hold (also after advancing to r2), the sender's pending
/// rotation survived the restart, its next chain is announced under r2 and
/// read by both, and the stored distribution is admitted under r1 only.
#[test]
fn rostered_group_state_v3_restores_reads_and_rotates() {
    use qorgan::account::{AccountKey, DeviceList};
    use qorgan::roster::Roster;
    use qorgan::{EncryptError, GroupError, RosterError};
    let f = load("group-state-v3.json");
    assert_eq!(f["group_version"], 3);
    let mut stream = vec![0u8; 1024];
    rand_core::Rng::fill_bytes(&mut rng(f["seed"].as_u64().expect("seed")), &mut stream);
    let mut offset = 0;
    let mut draws = std::collections::BTreeMap::new();
    for d in f["draws"].as_array().expect("draws") {
        let b = unhex(&d["hex"]);
        assert_eq!(d["offset"].as_u64(), Some(offset as u64));
        assert_eq!(b, stream[offset..offset + b.len()], "{}", d["purpose"]);
        offset += b.len().div_ceil(4) * 4;
        draws.insert(d["purpose"].as_str().expect("purpose").to_string(), b);
    }
    let alice = {
        let mut r = qorgan_tests::vectors::ReplayRng::new([
            draws["alice_phone.identity.ed25519_seed"].clone(),
            draws["alice_phone.identity.x25519_secret"].clone(),
        ]);
        IdentityKeyPair::generate(&mut r)
    };
    assert_eq!(
        hex::encode(&alice.public().to_field_bytes()),
        f["identities"]["alice_phone"].as_str().expect("alice")
    );
    let key = StorageKey::from_bytes(unhex(&f["storage_key"]).try_into().expect("32"));
    let account = |n: &str| {
        AccountKey::from_bytes(&unhex(&f["accounts"][n]).try_into().expect("32")).expect("key")
    };
    let list = |n: &str| DeviceList::from_bytes(&unhex(&f["lists"][n])).expect("list");
    let r1 = Roster::from_bytes(&unhex(&f["rosters"]["r1"])).expect("r1");
    let r2 = Roster::from_bytes(&unhex(&f["rosters"]["r2"])).expect("r2");
    let alice_list = list("alice");
    let owner = |v: &Value| StateOwner::from_bytes(unhex(&v["owner"]).try_into().expect("32"));
    let other = StateOwner::outbound_group(b"another group");
    macro_rules! restore {
        ($ty:ty, $name:expr, $kind:expr) => {{
            let v = &f[$name];
            let (plain, sealed) = (unhex(&v["plain"]), unhex(&v["sealed"]));
            assert_eq!(plain[0], qorgan::wire::ROSTERED_GROUP_VERSION);
            let header = SealedHeader::parse(&sealed).expect("header");
            assert_eq!((header.version, header.kind), (2, $kind));
            let opened = <$ty>::open(&key, &sealed, &at(owner(v), 1)).expect("opens");
            assert_eq!(*opened.to_bytes(), plain, "plain and sealed agree");
            assert_eq!(opened.state_owner(), owner(v));
            assert!(matches!(
                <$ty>::open(&key, &sealed, &at(owner(v), 2)),
                Err(StateError::RolledBack { .. })
            ));
            assert!(matches!(
                <$ty>::open(&key, &sealed, &at(other, 0)),
                Err(StateError::WrongOwner)
            ));
            let mut loaded = <$ty>::from_bytes(&plain).expect("plain loads");
            assert_eq!(*loaded.to_bytes(), plain, "one state, one encoding");
            loaded.resume_generation(1);
            loaded
        }};
    }
    let mut out = restore!(OutboundGroupSession, "alice_outbound", 0x42);
    let mut ring = restore!(SenderKeyRing, "bob_ring", 0x44);
    let mut carol = restore!(InboundGroupSession, "carol_inbound", 0x43);
    let pending = |n: &str| messages(&f[n]);
    // Bob reads one message under r1 and the other after advancing to r2
    // (a chain of the epoch before the held one); Carol under r1.
    let (_, change) = r1.advance(std::slice::from_ref(&r2)).expect("advance");
    for (i, (id, bytes, pt)) in pending("pending_for_bob").into_iter().enumerate() {
        let roster = if i == 0 { &r1 } else { &r2 };
        let got = ring
            .decrypt_in_roster(&bytes, roster, &alice_list)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(got.plaintext, pt, "{id}");
        assert_eq!(got.roster, Some(r1.head()));
        assert!(
            ring.decrypt_in_roster(&bytes, roster, &alice_list).is_err(),
            "{id} once"
        );
    }
    for (id, bytes, pt) in pending("pending_for_carol") {
        assert_eq!(
            carol
                .decrypt_in_roster(&bytes, &r1, &alice_list)
                .unwrap_or_else(|e| panic!("{id}: {e}"))
                .plaintext,
            pt
        );
        assert_eq!(
            carol.decrypt(&bytes).unwrap_err(),
            DecryptError::RosterRequired,
            "{id}: the plain call refuses a rostered chain"
        );
    }
    // The change Alice applied before the restart still forces a rotation.
    assert_eq!(
        out.encrypt(&mut rng(1), &alice, b"before rotating")
            .unwrap_err(),
        EncryptError::RotationRequired(RotationReason::RosterChanged)
    );
    assert_eq!(out.roster(), Some(r1.head()));
    out.apply_roster(&change).expect("the same change again");
    out.rotate(&mut rng(2), 1_790_000_600).expect("rotate");
    assert_eq!(out.roster(), Some(r2.head()));
    let d = out.distribution(&alice);
    ring.add_in_roster(&d, alice.public(), &r2, &alice_list, &account("bob"))
        .expect("bob takes the new chain");
    let mut carol2 =
        InboundGroupSession::new_in_roster(&d, alice.public(), &r2, &alice_list, &account("carol"))
            .expect("carol takes the new chain");
    let m = out
        .encrypt(&mut rng(3), &alice, b"after r2")
        .expect("encrypt");
    for got in [
        ring.decrypt_in_roster(&m, &r2, &alice_list).expect("bob"),
        carol2
            .decrypt_in_roster(&m, &r2, &alice_list)
            .expect("carol"),
    ] {
        assert_eq!(got.plaintext, b"after r2");
        assert_eq!(got.roster, Some(r2.head()));
    }
    // The stored distribution (chain under r1, iteration 4).
    let stored = SenderKeyDistribution::from_bytes(&unhex(&f["pending_distribution"]))
        .expect("distribution");
    assert_eq!(stored.iteration(), 4);
    InboundGroupSession::new_in_roster(
        &stored,
        alice.public(),
        &r1,
        &alice_list,
        &account("carol"),
    )
    .expect("admitted under r1");
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &stored,
            alice.public(),
            &r2,
            &alice_list,
            &account("carol")
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::StaleChain {
            held: 2,
            announced: 1
        })
    );
    // Sealed again, the states are at generation 2.
    let blob = out.seal(&mut rng(4), &key);
    assert_eq!(out.generation(), 2);
    OutboundGroupSession::open(&key, &blob, &at(out.state_owner(), 2)).expect("reopens");
}

/// `certificate-v1.json` (§16): every statement, presentation, QR text and
/// revocation list decodes and verifies, verification says what it said
/// when the fixture was made, and the keys still issue.
#[test]
fn certificate_v1_fixture_verifies_as_recorded() {
    use qorgan::certificate::{
        Claim, IssuerKey, IssuerKeyPair, Presentation, RevocationList, Statement, TrustAnchor,
    };
    use qorgan::verify::{Item, verify};
    use qorgan_tests::vectors::certificate::verified_json;
    let f = load("certificate-v1.json");
    assert_eq!(f["certificate_version"], 1);
    let issuer = |n: &str| {
        let k = IssuerKeyPair::from_seed(&unhex(&f["keys"][n]["seed"]).try_into().expect("32"));
        assert_eq!(
            hex::encode(&k.public().to_bytes()),
            f["keys"][n]["public"].as_str().expect("public")
        );
        k
    };
    let account = account_key_pair(&f["keys"]["account"]["seed"]);
    let mut statements = std::collections::BTreeMap::new();
    for (n, v) in f["statements"].as_object().expect("statements") {
        let b = unhex(v);
        let s = Statement::from_bytes(&b).expect("statement");
        assert_eq!(s.to_bytes(), b);
        assert_eq!(verify(&Item::Statement(&b)), Ok(()));
        statements.insert(n.clone(), s);
    }
    let mut presentations = std::collections::BTreeMap::new();
    for (n, v) in f["presentations"].as_object().expect("presentations") {
        let b = unhex(&v["bytes"]);
        let p = Presentation::from_bytes(&b).expect("presentation");
        assert_eq!(p.to_bytes(), b);
        let text = v["text"].as_str().expect("text");
        assert_eq!(Presentation::from_text(text).expect("text"), p);
        assert_eq!(p.to_text(), text);
        let names: Vec<&str> = v["statements"]
            .as_array()
            .expect("names")
            .iter()
            .map(|x| x.as_str().expect("name"))
            .collect();
        assert_eq!(
            p.statements().to_vec(),
            names
                .iter()
                .map(|x| statements[*x].clone())
                .collect::<Vec<_>>()
        );
        presentations.insert(n.clone(), p);
    }
    let lists: std::collections::BTreeMap<String, RevocationList> = f["revocation_lists"]
        .as_object()
        .expect("lists")
        .iter()
        .map(|(n, v)| {
            let b = unhex(v);
            assert_eq!(verify(&Item::RevocationList(&b)), Ok(()));
            (n.clone(), RevocationList::from_bytes(&b).expect("list"))
        })
        .collect();
    let anchors: Vec<TrustAnchor> = f["anchors"]
        .as_array()
        .expect("anchors")
        .iter()
        .map(|a| {
            TrustAnchor::new(
                IssuerKey::from_bytes(&unhex(&a["key"]).try_into().expect("32")).expect("key"),
                a["organisation"]["text"].as_str().expect("name"),
            )
        })
        .collect();
    for v in f["verifications"].as_array().expect("verifications") {
        let p = &presentations[v["presentation"].as_str().expect("p")];
        let ls: Vec<RevocationList> = v["revocation_lists"]
            .as_array()
            .expect("lists")
            .iter()
            .map(|n| lists[n.as_str().expect("name")].clone())
            .collect();
        let now = v["now"].as_u64().expect("now");
        let got = p.verify(&anchors, &ls, now);
        let item = verify(&Item::Presentation {
            presentation: &p.to_bytes(),
            anchors: &anchors,
            revocations: &ls,
            now,
        });
        match (&got, v.get("verified")) {
            (Ok(x), Some(want)) => {
                assert_eq!(verified_json(x), *want);
                assert_eq!(item, Ok(()));
            }
            (Err(e), None) => {
                assert_eq!(errors::verify(e).0, v["error"].as_str().expect("error"));
                assert_eq!(item.as_ref().err(), Some(e));
            }
            _ => panic!("{v}: {got:?}"),
        }
        if v["account"].is_string() {
            assert_eq!(p.verify_account(account.public(), &anchors, &ls, now), got);
        }
    }
    // The keys still issue: a new certificate through the department.
    let dept = issuer("department");
    let _ = issuer("anchor");
    let renewed = Statement::certify_account(
        &dept,
        account.public(),
        501,
        1_790_000_000,
        1_900_000_000,
        vec![Claim::display_name("renewed").expect("claim")],
    )
    .expect("issue");
    let p = Presentation::new(vec![statements["intermediate"].clone(), renewed]).expect("p");
    assert!(
        p.verify_account(account.public(), &anchors, &[], 1_800_000_000)
            .is_ok()
    );
}

/// The store fixture of schema version 1 (docs/PROTOCOL.md §17,
/// `store-v1.json`): copies of both files open under their storage keys
/// (and not under each other's), each with the counter recorded plus the
/// open's write; they hold the identities, outbox, pending messages,
/// events, active sessions and roster listed; and they keep working: Bob
/// reads Alice's queued a1, Alice reads Bob's queued b1 with the key kept
/// in her session's skipped-keys row, Alice's next group message rotates
/// her chain (the roster changed) and hands it to Bob, Bob's chain still
/// reaches her, and a reopened store keeps its counter.
#[test]
fn store_v1_files_open_and_keep_working() {
    use qorgan_store::{Account, Delivery, Options, StoreError};
    use qorgan_tests::vectors::store::{TempDir, event_json, incoming_json, outgoing_json};
    let f = load("store-v1.json");
    assert_eq!(f["schema_version"], 1);
    assert_eq!(f["schema_version"], qorgan_store::SCHEMA_VERSION);
    let dir = TempDir::new("store-fixture-test");
    let copy = |who: &str| {
        let name = f["files"][who].as_str().expect("file");
        let path = dir.path(name);
        std::fs::copy(fixtures_dir().join(name), &path).expect("copy");
        path
    };
    let (alice_path, bob_path) = (copy("alice"), copy("bob"));
    let key =
        |who: &str| StorageKey::from_bytes(unhex(&f[who]["storage_key"]).try_into().expect("32"));
    let now = f["now"].as_u64().expect("now") + 3600;
    let options = Options {
        now,
        ..Options::default()
    };
    let group = unhex(&f["group"]);
    let text = |name: &str| f["texts"][name].as_str().expect("text").as_bytes().to_vec();
    assert!(matches!(
        Account::open(&alice_path, &key("bob"), &options),
        Err(StoreError::WrongKey)
    ));
    let mut alice = Account::open(&alice_path, &key("alice"), &options).expect("alice");
    let mut bob = Account::open(&bob_path, &key("bob"), &options).expect("bob");
    for (who, acct, peer) in [("alice", &mut alice, "bob"), ("bob", &mut bob, "alice")] {
        let x = &f[who];
        assert_eq!(
            acct.counter().expect("counter"),
            x["counter"].as_u64().expect("counter") + 1,
            "{who}: the open is one write"
        );
        assert_eq!(
            hex::encode(&acct.identity().to_field_bytes()),
            x["identity"].as_str().unwrap()
        );
        assert_eq!(
            hex::encode(&acct.account_key().to_bytes()),
            x["account_key"].as_str().unwrap()
        );
        let outbox: Vec<Value> = acct
            .outbox()
            .expect("outbox")
            .iter()
            .map(outgoing_json)
            .collect();
        assert_eq!(Value::from(outbox), x["outbox"], "{who}: outbox");
        let pending: Vec<Value> = acct
            .pending()
            .expect("pending")
            .iter()
            .map(incoming_json)
            .collect();
        assert_eq!(Value::from(pending), x["pending"], "{who}: pending");
        let events: Vec<Value> = acct
            .events()
            .expect("events")
            .iter()
            .map(|(id, e)| {
                let mut v = event_json(e);
                v["id"] = serde_json::json!(id);
                v
            })
            .collect();
        assert_eq!(Value::from(events), x["events"], "{who}: events");
        let roster = acct.roster(&group).expect("roster").expect("group");
        assert_eq!(roster.epoch(), 2);
        assert_eq!(
            hex::encode(&roster.to_bytes()),
            x["roster"]["bytes"].as_str().unwrap()
        );
        let other =
            qorgan::IdentityKey::from_field_bytes(&unhex(&f[peer]["identity"])).expect("peer");
        assert_eq!(
            acct.active_session(&other)
                .expect("peer")
                .map(|s| hex::encode(&s))
                .as_deref(),
            x["active_session"].as_str()
        );
        assert_eq!(
            hex::encode(&acct.device_list().expect("list").to_bytes()),
            x["device_list"].as_str().unwrap()
        );
    }
    let (alice_id, bob_id) = (*alice.identity(), *bob.identity());
    let read = |d: Delivery| match d {
        Delivery::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    };

    // The queued 1:1 messages of both outboxes.
    let a1 = alice.outbox().expect("outbox").remove(0);
    let m = read(bob.decrypt(&alice_id, &a1.bytes, now).expect("a1"));
    assert_eq!(m.plaintext, text("a1"));
    alice.mark_sent(a1.id).expect("sent");
    bob.ack(m.id).expect("ack");
    let b1 = bob.outbox().expect("outbox").remove(0);
    let m = read(
        alice
            .decrypt(&bob_id, &b1.bytes, now)
            .expect("b1 with the skipped key"),
    );
    assert_eq!(m.plaintext, text("b1"));
    bob.mark_sent(b1.id).expect("sent");
    assert_eq!(
        alice.decrypt(&bob_id, &b1.bytes, now).expect("again"),
        Delivery::Duplicate
    );
    for m in alice.pending().expect("pending") {
        alice.ack(m.id).expect("ack");
    }
    assert!(alice.pending().expect("pending").is_empty());
    for (id, _) in alice.events().expect("events") {
        alice.dismiss(id).expect("dismiss");
    }

    // Alice's chain rotates (the roster moved to epoch 2) and reaches Bob.
    let g2 = alice
        .group_encrypt(&group, b"g2: after the rotation", now)
        .expect("g2");
    assert_eq!(
        g2.distributions.len(),
        1,
        "a new chain, handed to Bob again"
    );
    for d in &g2.distributions {
        assert!(matches!(
            bob.decrypt(&alice_id, &d.bytes, now).expect("key"),
            Delivery::Event(qorgan_store::Event::GroupKey { .. })
        ));
    }
    let m = read(
        bob.group_decrypt(&group, &alice_id, &g2.message.bytes)
            .expect("g2"),
    );
    assert_eq!(m.plaintext, b"g2: after the rotation");
    // Bob's chain, distributed before, still reaches Alice.
    let g3 = bob
        .group_encrypt(&group, b"g3: Bob again", now)
        .expect("g3");
    assert!(g3.distributions.is_empty(), "Alice holds Bob's chain");
    let m = read(
        alice
            .group_decrypt(&group, &bob_id, &g3.message.bytes)
            .expect("g3"),
    );
    assert_eq!(m.plaintext, b"g3: Bob again");
    // 1:1 both ways.
    let out = alice
        .encrypt(&bob_id, b"a2: after the fixture")
        .expect("a2");
    assert_eq!(
        read(bob.decrypt(&alice_id, &out.bytes, now).expect("a2")).plaintext,
        b"a2: after the fixture"
    );
    let out = bob
        .encrypt(&alice_id, b"b3: after the fixture")
        .expect("b3");
    assert_eq!(
        read(alice.decrypt(&bob_id, &out.bytes, now).expect("b3")).plaintext,
        b"b3: after the fixture"
    );
    let counter = alice.counter().expect("counter");
    drop(alice);
    let alice = Account::open(&alice_path, &key("alice"), &options).expect("reopens");
    assert_eq!(alice.counter().expect("counter"), counter + 1);
}
