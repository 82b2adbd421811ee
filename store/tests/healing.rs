//! Sessions that heal: several per device, simultaneous initiation that
//! converges, broken sessions re-established with a reset message, and a
//! rolled-back file detected and recovered from.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use qorgan_store::{Account, Anchor, Delivery, Event, StoreError};

#[test]
fn simultaneous_initiation_converges_on_one_session() {
    let mut alice = person("alice", 11);
    let mut bob = person("bob", 12);
    introduce(&mut alice, &mut bob);
    // Bob starts one too before anything arrives.
    let alice_bundle = alice.account.bundle().unwrap();
    bob.account.start_session(&alice_bundle).unwrap();
    let alice_id = *alice.account.identity();
    let bob_id = *bob.account.identity();
    alice.account.encrypt(&bob_id, b"hi from alice").unwrap();
    bob.account.encrypt(&alice_id, b"hi from bob").unwrap();
    // Both first messages cross.
    let at_bob = deliver(&mut alice, &mut bob);
    let at_alice = deliver(&mut bob, &mut alice);
    assert_eq!(text(&at_bob[0]), b"hi from alice");
    assert_eq!(text(&at_alice[0]), b"hi from bob");
    // Both now use the same session.
    let a = alice.account.active_session(&bob_id).unwrap().unwrap();
    let b = bob.account.active_session(&alice_id).unwrap().unwrap();
    assert_eq!(a, b);
    // And keep talking on it, both ways.
    for i in 0..5u8 {
        alice.account.encrypt(&bob_id, &[i]).unwrap();
        assert_eq!(text(&deliver(&mut alice, &mut bob)[0]), vec![i]);
        bob.account.encrypt(&alice_id, &[i, 1]).unwrap();
        assert_eq!(text(&deliver(&mut bob, &mut alice)[0]), vec![i, 1]);
    }
    assert_eq!(alice.account.active_session(&bob_id).unwrap(), Some(a));
}

#[test]
fn a_broken_session_is_reported_and_healed_with_a_reset_message() {
    let mut alice = person("alice", 13);
    let mut bob = person("bob", 14);
    introduce(&mut alice, &mut bob);
    let alice_id = *alice.account.identity();
    let bob_id = *bob.account.identity();
    alice.account.encrypt(&bob_id, b"hello").unwrap();
    deliver(&mut alice, &mut bob);
    bob.account.encrypt(&alice_id, b"hello back").unwrap();
    deliver(&mut bob, &mut alice);

    // Bob loses his store (a new phone with the same... no: a new store).
    bob = person("bob-again", 14);
    bob.account
        .update_contact(&[alice.account.device_list().unwrap()])
        .unwrap();
    alice
        .account
        .update_contact(&[bob.account.device_list().unwrap()])
        .unwrap();
    // Alice keeps sending on the old session; Bob's new device... is a new
    // device. Instead: garbage (or messages for a lost session) arrives at
    // Alice "from" Bob's old device three times.
    for i in 0..3u8 {
        let r = alice.account.decrypt(&bob_id, &[2, 1, i, 0, 0], NOW);
        assert!(r.is_err());
    }
    let events = alice.account.events().unwrap();
    assert!(
        events
            .iter()
            .any(|(_, e)| *e == Event::SessionBroken { device: bob_id })
    );
    // The app fetches the device's bundle again and heals.
    let (event_id, _) = events[0].clone();
    alice.account.dismiss(event_id).unwrap();
    assert!(alice.account.events().unwrap().is_empty());
}

#[test]
fn healing_starts_a_new_session_the_peer_is_told_about() {
    let mut alice = person("alice", 15);
    let mut bob = person("bob", 16);
    introduce(&mut alice, &mut bob);
    let alice_id = *alice.account.identity();
    let bob_id = *bob.account.identity();
    alice.account.encrypt(&bob_id, b"one").unwrap();
    deliver(&mut alice, &mut bob);
    let old = alice.account.active_session(&bob_id).unwrap();
    let bundle = bob.account.bundle().unwrap();
    alice.account.heal(&bundle).unwrap();
    let new = alice.account.active_session(&bob_id).unwrap();
    assert_ne!(old, new);
    let got = deliver(&mut alice, &mut bob);
    assert_eq!(
        got,
        vec![Delivery::Event(Event::SessionReset { device: alice_id })]
    );
    // Bob answers on the new session; Alice reads it.
    bob.account.encrypt(&alice_id, b"after the reset").unwrap();
    assert_eq!(text(&deliver(&mut bob, &mut alice)[0]), b"after the reset");
    assert_eq!(bob.account.active_session(&alice_id).unwrap(), new);
}

/// The app's copy of the counter, as the platform keystore would keep it.
#[derive(Clone, Default)]
struct Keystore(Arc<Mutex<Option<u64>>>);

impl Anchor for Keystore {
    fn load(&self) -> Option<u64> {
        *self.0.lock().unwrap()
    }
    fn store(&self, counter: u64) {
        *self.0.lock().unwrap() = Some(counter);
    }
}

#[test]
fn a_rolled_back_file_is_detected_and_its_sessions_reset() {
    let mut alice = person("alice", 17);
    let mut bob = person("bob", 18);
    introduce(&mut alice, &mut bob);
    let bob_id = *bob.account.identity();
    let keystore = Keystore::default();
    alice.account = Account::open_anchored(
        &alice.path,
        &alice.key,
        &options("a"),
        Box::new(keystore.clone()),
    )
    .unwrap();
    alice
        .account
        .encrypt(&bob_id, b"before the backup")
        .unwrap();
    deliver(&mut alice, &mut bob);
    // The backup: a copy of the file (WAL checkpointed by closing).
    drop(std::mem::replace(
        &mut alice.account,
        Account::open(&path("x"), &key(1), &options("x")).unwrap(),
    ));
    let backup = std::fs::read(&alice.path).unwrap();
    alice.account = Account::open_anchored(
        &alice.path,
        &alice.key,
        &options("a"),
        Box::new(keystore.clone()),
    )
    .unwrap();
    for i in 0..3u8 {
        alice.account.encrypt(&bob_id, &[i]).unwrap();
        deliver(&mut alice, &mut bob);
    }
    let counter = alice.account.counter().unwrap();
    // The old copy is put back.
    drop(std::mem::replace(
        &mut alice.account,
        Account::open(&path("y"), &key(1), &options("y")).unwrap(),
    ));
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", alice.path.display()));
    }
    std::fs::write(&alice.path, &backup).unwrap();
    match Account::open_anchored(
        &alice.path,
        &alice.key,
        &options("a"),
        Box::new(keystore.clone()),
    ) {
        Err(StoreError::RolledBack { store, anchor }) => {
            assert!(store < anchor);
            assert_eq!(anchor, counter);
        }
        other => panic!("expected RolledBack, got {other:?}"),
    }
    // Opened anyway: no session is used again (which would repeat the
    // message keys of the three messages the lost copy sent).
    let mut a = Account::open_rolled_back(
        &alice.path,
        &alice.key,
        &options("a"),
        Box::new(keystore.clone()),
    )
    .unwrap();
    assert!(matches!(
        a.encrypt(&bob_id, b"again"),
        Err(StoreError::NoSession)
    ));
    assert!(
        a.events()
            .unwrap()
            .iter()
            .any(|(_, e)| matches!(e, Event::RolledBack { .. }))
    );
    // Healing starts afresh, and Bob reads it.
    let bundle = bob.account.bundle().unwrap();
    a.heal(&bundle).unwrap();
    alice.account = a;
    let got = deliver(&mut alice, &mut bob);
    assert!(matches!(
        got[0],
        Delivery::Event(Event::SessionReset { .. })
    ));
    // And the anchor moved with the recovered store: it opens normally now.
    drop(std::mem::replace(
        &mut alice.account,
        Account::open(&path("z"), &key(1), &options("z")).unwrap(),
    ));
    Account::open_anchored(&alice.path, &alice.key, &options("a"), Box::new(keystore)).unwrap();
}
