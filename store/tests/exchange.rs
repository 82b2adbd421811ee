//! Two stores talking: every message exactly once through the outbox and
//! the inbox, across reopenings; typed errors for wrong keys, corrupt and
//! newer files.

mod common;

use common::*;
use qorgan_store::{Account, Delivery, Destination, StoreError};

#[test]
fn messages_go_out_through_the_outbox_and_in_through_the_inbox_exactly_once() {
    let mut alice = person("alice", 1);
    let mut bob = person("bob", 2);
    introduce(&mut alice, &mut bob);
    let bob_id = *bob.account.identity();

    let out = alice.account.encrypt(&bob_id, b"first").unwrap();
    assert_eq!(out.to, Destination::Device(bob_id));
    // Committed before returning: a crash now (a reopen) keeps it queued.
    alice.reopen();
    assert_eq!(alice.account.outbox().unwrap(), vec![out.clone()]);

    let d = bob
        .account
        .decrypt(alice.account.identity(), &out.bytes, NOW)
        .unwrap();
    assert_eq!(text(&d), b"first");
    // The server redelivers (it never saw Bob's acknowledgement).
    assert_eq!(
        bob.account
            .decrypt(alice.account.identity(), &out.bytes, NOW)
            .unwrap(),
        Delivery::Duplicate
    );
    // Bob's app crashed before saving it: it is pending after a reopen.
    bob.reopen();
    let pending = bob.account.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].plaintext, b"first");
    assert_eq!(pending[0].from, *alice.account.identity());
    bob.account.ack(pending[0].id).unwrap();
    assert!(bob.account.pending().unwrap().is_empty());
    // Acknowledged, then redelivered: still not delivered twice.
    assert_eq!(
        bob.account
            .decrypt(alice.account.identity(), &out.bytes, NOW)
            .unwrap(),
        Delivery::Duplicate
    );
    alice.account.mark_sent(out.id).unwrap();
    assert!(alice.account.outbox().unwrap().is_empty());
    assert!(matches!(
        alice.account.mark_sent(out.id),
        Err(StoreError::NotFound(_))
    ));

    // A conversation, both ways, with reopenings in between.
    for i in 0..20u8 {
        let m = bob.account.encrypt(alice.account.identity(), &[i]).unwrap();
        if i % 5 == 0 {
            bob.reopen();
            alice.reopen();
        }
        let got = deliver(&mut bob, &mut alice);
        assert_eq!(got.len(), 1);
        assert_eq!(text(&got[0]), vec![i]);
        let _ = m;
        alice.account.encrypt(&bob_id, &[i, i]).unwrap();
        let got = deliver(&mut alice, &mut bob);
        assert_eq!(text(&got[0]), vec![i, i]);
    }
    assert_eq!(alice.account.pending().unwrap().len(), 20);
    assert_eq!(bob.account.pending().unwrap().len(), 20);
}

#[test]
fn a_wrong_key_a_corrupt_file_and_a_newer_schema_are_told_apart() {
    let alice = person("alice", 3);
    drop(alice.account);
    assert!(matches!(
        Account::open(&alice.path, &key(4), &options("a")),
        Err(StoreError::WrongKey)
    ));
    let junk = path("junk");
    std::fs::write(&junk, b"this is not a database, not at all, really").unwrap();
    assert!(matches!(
        Account::open(&junk, &key(4), &options("a")),
        Err(StoreError::Corrupt(_))
    ));
    // A newer library wrote schema 2.
    {
        let conn = rusqlite_open(&alice.path);
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE name = 'schema'",
            [2u32.to_be_bytes().to_vec()],
        )
        .unwrap();
    }
    assert!(matches!(
        Account::open(&alice.path, &alice.key, &options("a")),
        Err(StoreError::NewerVersion {
            found: 2,
            supported: 1
        })
    ));
}

fn rusqlite_open(p: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(p).unwrap()
}

#[test]
fn a_sealed_row_moved_to_another_slot_does_not_open() {
    let mut alice = person("alice", 5);
    let mut bob = person("bob", 6);
    introduce(&mut alice, &mut bob);
    let bob_id = *bob.account.identity();
    alice.account.encrypt(&bob_id, b"one").unwrap();
    alice.account.encrypt(&bob_id, b"two").unwrap();
    drop(alice.account);
    // Swap the two outbox rows' values.
    let conn = rusqlite_open(&alice.path);
    let rows: Vec<(i64, Vec<u8>)> = conn
        .prepare("SELECT id, value FROM outbox ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    conn.execute(
        "UPDATE outbox SET value = ?1 WHERE id = ?2",
        (rows[1].1.clone(), rows[0].0),
    )
    .unwrap();
    drop(conn);
    let a = Account::open(&alice.path, &alice.key, &options("a")).unwrap();
    assert!(matches!(a.outbox(), Err(StoreError::Corrupt(_))));
}

#[test]
fn damaged_files_give_typed_errors_never_a_panic() {
    let mut alice = person("alice", 7);
    let mut bob = person("bob", 8);
    introduce(&mut alice, &mut bob);
    let bob_id = *bob.account.identity();
    for i in 0..5u8 {
        alice.account.encrypt(&bob_id, &[i; 40]).unwrap();
    }
    bob.account.encrypt(alice.account.identity(), b"x").ok();
    drop(std::mem::replace(
        &mut alice.account,
        Account::open(&path("spare"), &key(9), &options("s")).unwrap(),
    ));
    let good = std::fs::read(&alice.path).unwrap();
    // Every 251st byte flipped in turn (headers, b-tree pages, sealed
    // values), and truncations.
    let mut cases: Vec<Vec<u8>> = (0..good.len())
        .step_by(251)
        .map(|at| {
            let mut b = good.clone();
            b[at] ^= 0x5a;
            b
        })
        .collect();
    cases.extend([100, 1024, good.len() / 2].map(|n| good[..n.min(good.len())].to_vec()));
    let mut refused = 0;
    for (n, bytes) in cases.iter().enumerate() {
        let p = path(&format!("damaged-{n}"));
        std::fs::write(&p, bytes).unwrap();
        match Account::open(&p, &alice.key, &options("a")) {
            Err(_) => refused += 1,
            Ok(mut a) => {
                // Whatever opens still answers every call with a value or
                // a typed error.
                let _ = a.outbox();
                let _ = a.pending();
                let _ = a.events();
                let _ = a.encrypt(&bob_id, b"after damage");
                let _ = a.prekey_upload(NOW);
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn late_messages_read_from_skipped_keys_kept_apart_from_the_session() {
    let mut alice = person("alice", 41);
    let mut bob = person("bob", 42);
    introduce(&mut alice, &mut bob);
    let alice_id = *alice.account.identity();
    let bob_id = *bob.account.identity();
    alice.account.encrypt(&bob_id, b"hello").unwrap();
    deliver(&mut alice, &mut bob);
    bob.account.encrypt(&alice_id, b"hi").unwrap();
    deliver(&mut bob, &mut alice);
    let sent: Vec<Vec<u8>> = (0..6u8)
        .map(|i| alice.account.encrypt(&bob_id, &[i]).unwrap().bytes)
        .collect();
    // 0, then 4 (two skipped keys stored apart), 5 in order, a reopen,
    // then the late 1, 2 and 3, and 2 again.
    for (i, reopen) in [
        (0, false),
        (4, false),
        (5, true),
        (2, false),
        (1, true),
        (3, false),
    ] {
        if reopen {
            bob.reopen();
        }
        let d = bob.account.decrypt(&alice_id, &sent[i], NOW).unwrap();
        assert_eq!(text(&d), vec![i as u8]);
    }
    assert_eq!(
        bob.account.decrypt(&alice_id, &sent[2], NOW).unwrap(),
        Delivery::Duplicate
    );
    // The conversation goes on, both ways.
    bob.account.encrypt(&alice_id, b"all read").unwrap();
    assert_eq!(text(&deliver(&mut bob, &mut alice)[0]), b"all read");
}

#[test]
fn record_decoders_survive_arbitrary_bytes() {
    // What the fuzz target runs, on a few thousand inputs here.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for n in 0..4000usize {
        let len = n % 300;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8 % if n % 3 == 0 { 4 } else { 255 }
            })
            .collect();
        qorgan_store::fuzzing::decode_records(&bytes);
    }
}

#[test]
fn a_new_store_says_its_first_prekeys_are_due_and_then_not() {
    let mut alice = person("alice", 51);
    assert!(alice.account.upload_due(NOW).unwrap());
    let upload = alice.account.prekey_upload(NOW).unwrap();
    assert!(upload.is_some());
    assert!(!alice.account.upload_due(NOW).unwrap());
    assert_eq!(alice.account.prekey_upload(NOW).unwrap(), None);
}
