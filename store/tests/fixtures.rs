//! Store files of every released schema version keep opening
//! (docs/PROTOCOL.md §17.1, §11): `tests/vectors/fixtures/store-v1.sqlite`
//! (Alice) and `store-v1-peer.sqlite` (Bob) were made once by
//! `gen-vectors` with schema version 1 and are never changed
//! (`store-v1.json` describes them; `tests/tests/fixtures.rs` pins their
//! SHA-256 and checks them in full). Whatever the current schema, this
//! library must open them with their storage keys (migrating if it has to),
//! find what they hold, and keep working with them. The files are copied
//! first: opening a store writes to it.

use std::path::{Path, PathBuf};

use qorgan::StorageKey;
use qorgan_store::{Account, Delivery, Destination, Event, Options, StoreError};

/// Alice's and Bob's storage keys (`store-v1.json`: the first two 32-byte
/// draws of the tests' `rng(109)`).
const ALICE_KEY: &str = "58464c91ff2617f1e06c916af493caed3f520eeab72a4d13e9d2198d3baac2af";
const BOB_KEY: &str = "8862212e8d6ddbed12f6dedac6596637d581049af399ec5833d25ffa5a0106d8";
const GROUP: &[u8] = b"qorgan/fixtures/store-group";
/// The counters the files were left at (`store-v1.json`).
const ALICE_COUNTER: u64 = 24;
const BOB_COUNTER: u64 = 26;
/// The scenario's clock.
const NOW: u64 = 1_790_000_000;

fn key(hex: &str) -> StorageKey {
    let b: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    StorageKey::from_bytes(b.try_into().unwrap())
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors/fixtures")
        .join(name)
}

/// A copy of a fixture in a fresh directory.
fn copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qorgan-store-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::copy(fixture(name), &path).unwrap();
    path
}

fn options() -> Options {
    Options {
        now: NOW + 3600,
        ..Options::default()
    }
}

fn message(d: Delivery) -> qorgan_store::Incoming {
    match d {
        Delivery::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn schema_v1_files_open_and_keep_working() {
    let alice_path = copy("store-v1.sqlite");
    let bob_path = copy("store-v1-peer.sqlite");
    assert!(matches!(
        Account::open(&alice_path, &key(BOB_KEY), &options()),
        Err(StoreError::WrongKey)
    ));
    let mut alice = Account::open(&alice_path, &key(ALICE_KEY), &options()).unwrap();
    let mut bob = Account::open(&bob_path, &key(BOB_KEY), &options()).unwrap();
    // Each open is one write.
    assert_eq!(alice.counter().unwrap(), ALICE_COUNTER + 1);
    assert_eq!(bob.counter().unwrap(), BOB_COUNTER + 1);
    let (alice_id, bob_id) = (*alice.identity(), *bob.identity());

    // What Alice's file holds: two messages she has not acknowledged (a
    // 1:1 message and a group message), a message to Bob she never sent,
    // one event, the group at epoch 2.
    let pending = alice.pending().unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].plaintext, b"b0: hello Alice, save me");
    assert_eq!(pending[0].from, bob_id);
    assert_eq!(pending[0].group, None);
    assert_eq!(pending[0].session, alice.active_session(&bob_id).unwrap());
    assert_eq!(pending[1].plaintext, b"g1: hello from Bob");
    assert_eq!(pending[1].group.as_deref(), Some(GROUP));
    assert_eq!(pending[1].session, None);
    let outbox = alice.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].to, Destination::Device(bob_id));
    assert_eq!(
        alice
            .events()
            .unwrap()
            .into_iter()
            .map(|(_, e)| e)
            .collect::<Vec<_>>(),
        vec![Event::GroupKey {
            group: GROUP.to_vec(),
            sender: bob_id
        }]
    );
    assert_eq!(alice.roster(GROUP).unwrap().unwrap().epoch(), 2);
    assert_eq!(bob.roster(GROUP).unwrap().unwrap().epoch(), 2);
    assert!(bob.pending().unwrap().is_empty());
    assert!(bob.events().unwrap().is_empty());

    // The queued messages of both outboxes arrive.
    let m = message(bob.decrypt(&alice_id, &outbox[0].bytes, NOW).unwrap());
    assert_eq!(m.plaintext, b"a1: still in the outbox");
    alice.mark_sent(outbox[0].id).unwrap();
    let b1 = bob.outbox().unwrap().remove(0);
    assert_eq!(b1.to, Destination::Device(alice_id));
    // Read with the key Alice's session kept for it.
    let m = message(alice.decrypt(&bob_id, &b1.bytes, NOW).unwrap());
    assert_eq!(m.plaintext, b"b1: overtaken, still in Bob's outbox");
    bob.mark_sent(b1.id).unwrap();
    for m in alice.pending().unwrap() {
        alice.ack(m.id).unwrap();
    }
    assert!(alice.pending().unwrap().is_empty());

    // The roster changed after Alice's chain was made: it rotates now, and
    // Bob gets the new one.
    let sent = alice
        .group_encrypt(GROUP, b"g2: after the rotation", NOW)
        .unwrap();
    assert_eq!(sent.distributions.len(), 1);
    assert!(matches!(
        bob.decrypt(&alice_id, &sent.distributions[0].bytes, NOW)
            .unwrap(),
        Delivery::Event(Event::GroupKey { .. })
    ));
    let m = message(
        bob.group_decrypt(GROUP, &alice_id, &sent.message.bytes)
            .unwrap(),
    );
    assert_eq!(m.plaintext, b"g2: after the rotation");
    // Bob's chain is still Alice's to read.
    let sent = bob.group_encrypt(GROUP, b"g3: Bob again", NOW).unwrap();
    assert!(sent.distributions.is_empty());
    let m = message(
        alice
            .group_decrypt(GROUP, &bob_id, &sent.message.bytes)
            .unwrap(),
    );
    assert_eq!(m.plaintext, b"g3: Bob again");
    // And 1:1 both ways.
    let out = bob.encrypt(&alice_id, b"b3: after the fixture").unwrap();
    assert_eq!(
        message(alice.decrypt(&bob_id, &out.bytes, NOW).unwrap()).plaintext,
        b"b3: after the fixture"
    );
}
