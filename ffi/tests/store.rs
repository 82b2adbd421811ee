//! The account store through the FFI layer: two stores exchanging through
//! outbox and inbox across reopenings, duplicates, the store's errors and
//! their texts, a rolled-back file caught by the anchor, a group with a
//! removal, prekey uploads, message routing information.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use qorgan_ffi::{
    Destination, Durability, MessageType, QorganError, QueuedMessage, RosterMember, RosterRole,
    StorageKey, StoreAccount, StoreAnchor, StoreDelivery, StoreEvent, StoreOptions, error_message,
    message_info,
};

const NOW: i64 = 1_790_000_000;
static N: AtomicU32 = AtomicU32::new(0);

fn path(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("qorgan-ffi-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p: PathBuf = dir.join(format!("{name}-{}.db", N.fetch_add(1, Ordering::Relaxed)));
    p.to_string_lossy().into_owned()
}

fn options(label: &str) -> StoreOptions {
    StoreOptions {
        durability: Durability::Normal,
        device_label: label.into(),
        now: NOW,
    }
}

struct Person {
    path: String,
    key: Arc<StorageKey>,
    store: Arc<StoreAccount>,
}

fn person(name: &str) -> Person {
    let path = path(name);
    let key = StorageKey::generate().unwrap();
    let store = StoreAccount::open(path.clone(), &key, options(name)).unwrap();
    Person { path, key, store }
}

impl Person {
    fn reopen(&mut self) {
        self.store = StoreAccount::open(self.path.clone(), &self.key, options("x")).unwrap();
    }
    fn id(&self) -> Vec<u8> {
        self.store.identity().unwrap()
    }
}

fn introduce(a: &Person, b: &Person) {
    a.store
        .update_contact(vec![b.store.device_list().unwrap()])
        .unwrap();
    b.store
        .update_contact(vec![a.store.device_list().unwrap()])
        .unwrap();
    a.store.start_session(b.store.bundle().unwrap()).unwrap();
}

/// Sends `from`'s 1:1 outbox entries for `to` and marks them sent.
fn deliver(from: &Person, to: &Person) -> Vec<StoreDelivery> {
    let me = to.id();
    let mut out = Vec::new();
    for o in from.store.outbox().unwrap() {
        if o.to
            == (Destination::Device {
                identity_key: me.clone(),
            })
        {
            out.push(to.store.decrypt(&from.id(), &o.bytes, NOW).unwrap());
            from.store.mark_sent(o.id).unwrap();
        }
    }
    out
}

fn text(d: &StoreDelivery) -> Vec<u8> {
    match d {
        StoreDelivery::Message { incoming } => incoming.plaintext.clone(),
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn two_stores_exchange_exactly_once_across_reopenings() {
    let mut alice = person("alice");
    let mut bob = person("bob");
    introduce(&alice, &bob);
    let sent = alice.store.encrypt(&bob.id(), b"salem").unwrap();
    let info = message_info(&sent.bytes).unwrap();
    assert_eq!(info.message_type, MessageType::PreKey);
    assert_eq!(info.base_key.as_ref().map(Vec::len), Some(32));
    // A crash before the server acknowledged: the outbox still has it.
    alice.reopen();
    assert_eq!(alice.store.outbox().unwrap(), vec![sent.clone()]);
    let got = bob.store.decrypt(&alice.id(), &sent.bytes, NOW).unwrap();
    alice.store.mark_sent(sent.id).unwrap();
    assert_eq!(text(&got), b"salem");
    let StoreDelivery::Message { incoming } = &got else {
        unreachable!()
    };
    assert_eq!(incoming.sender, alice.id());
    assert_eq!(incoming.session_id.as_ref().map(Vec::len), Some(32));
    assert_eq!(
        incoming.session_id,
        alice.store.active_session(bob.id()).unwrap()
    );
    // Delivered twice: a duplicate; not acknowledged: still pending after
    // a reopen.
    assert_eq!(
        bob.store.decrypt(&alice.id(), &sent.bytes, NOW).unwrap(),
        StoreDelivery::Duplicate
    );
    bob.reopen();
    let pending = bob.store.pending().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].plaintext, b"salem");
    bob.store.ack(pending[0].id).unwrap();
    assert!(bob.store.pending().unwrap().is_empty());
    assert!(matches!(
        bob.store.ack(pending[0].id),
        Err(QorganError::NotFound { .. })
    ));
    // Replies, then a batch catch-up.
    bob.store.encrypt(&alice.id(), b"qalaisyz").unwrap();
    assert_eq!(text(&deliver(&bob, &alice)[0]), b"qalaisyz");
    let queued: Vec<QueuedMessage> = (0..5u8)
        .map(|i| QueuedMessage {
            sender: bob.id(),
            bytes: bob.store.encrypt(&alice.id(), &[i]).unwrap().bytes,
        })
        .collect();
    assert_eq!(
        message_info(&queued[0].bytes).unwrap().message_type,
        MessageType::Message
    );
    let mut batch = queued.clone();
    batch.push(QueuedMessage {
        sender: bob.id(),
        bytes: vec![1, 2, 3],
    });
    let results = alice.store.decrypt_batch(batch, NOW).unwrap();
    for (i, r) in results[..5].iter().enumerate() {
        assert_eq!(text(r.delivery.as_ref().unwrap()), vec![i as u8]);
    }
    assert!(results[5].error.is_some());
    assert!(
        alice
            .store
            .decrypt_batch(queued, NOW)
            .unwrap()
            .iter()
            .all(|r| r.delivery == Some(StoreDelivery::Duplicate))
    );
    assert_eq!(alice.store.pending().unwrap().len(), 6);
}

#[test]
fn a_wrong_key_and_a_corrupt_file_are_told_apart() {
    let p = person("p");
    drop(p.store);
    let other = StorageKey::generate().unwrap();
    let e = StoreAccount::open(p.path.clone(), &other, options("p")).unwrap_err();
    assert!(matches!(e, QorganError::WrongStorageKey));
    assert_eq!(error_message(e), "wrong storage key for this store");
    let junk = path("junk");
    std::fs::write(&junk, b"this is not a database, not at all, really").unwrap();
    let e = StoreAccount::open(junk, &p.key, options("p")).unwrap_err();
    assert!(matches!(e, QorganError::CorruptStore { .. }), "{e:?}");
    assert!(e.to_string().starts_with("store is corrupt: "), "{e}");
    assert!(matches!(
        StorageKey::from_bytes(vec![0; 31]),
        Err(QorganError::InvalidArgument { .. })
    ));
    let copy = StorageKey::from_bytes(p.key.to_bytes()).unwrap();
    StoreAccount::open(p.path.clone(), &copy, options("p")).unwrap();
    assert!(matches!(
        StoreAccount::open(p.path, &copy, options("p"))
            .unwrap()
            .encrypt(&person("q").id(), b"x"),
        Err(QorganError::NoSession)
    ));
}

#[derive(Default)]
struct Keystore(AtomicI64, Mutex<bool>);

impl StoreAnchor for Keystore {
    fn load(&self) -> Option<i64> {
        if *self.1.lock().unwrap() {
            Some(self.0.load(Ordering::SeqCst))
        } else {
            None
        }
    }
    fn store(&self, counter: i64) {
        self.0.store(counter, Ordering::SeqCst);
        *self.1.lock().unwrap() = true;
    }
}

#[test]
fn the_anchor_catches_a_rolled_back_file() {
    let keystore = Arc::new(Keystore::default());
    let alice = person("alice");
    let bob = person("bob");
    introduce(&alice, &bob);
    let key = bob.key.clone();
    let bob_path = bob.path.clone();
    drop(bob.store);
    let bob = StoreAccount::open_anchored(bob_path.clone(), &key, options("b"), keystore.clone())
        .unwrap();
    assert_eq!(keystore.0.load(Ordering::SeqCst), bob.counter().unwrap());
    alice.store.encrypt(&bob.identity().unwrap(), b"1").unwrap();
    drop(bob);
    let backup = format!("{bob_path}.bak");
    std::fs::copy(&bob_path, &backup).unwrap();
    let bob = StoreAccount::open_anchored(bob_path.clone(), &key, options("b"), keystore.clone())
        .unwrap();
    for o in alice.store.outbox().unwrap() {
        bob.decrypt(&alice.id(), &o.bytes, NOW).unwrap();
    }
    let counter = bob.counter().unwrap();
    drop(bob);
    std::fs::copy(&backup, &bob_path).unwrap();
    let e = StoreAccount::open_anchored(bob_path.clone(), &key, options("b"), keystore.clone())
        .unwrap_err();
    let QorganError::StoreRolledBack { store, anchor } = e.clone() else {
        panic!("{e:?}")
    };
    assert_eq!(anchor, counter);
    assert!(store < anchor);
    assert_eq!(
        e.to_string(),
        format!("store was rolled back: its counter {store} is below the anchor {anchor}")
    );
    let bob =
        StoreAccount::open_rolled_back(bob_path, &key, options("b"), keystore.clone()).unwrap();
    assert!(
        bob.events()
            .unwrap()
            .iter()
            .any(|e| matches!(e.event, StoreEvent::RolledBack { .. }))
    );
}

#[test]
fn a_group_with_a_removal_and_prekey_uploads() {
    let group = b"ops".to_vec();
    let alice = person("alice");
    let bob = person("bob");
    let carol = person("carol");
    introduce(&alice, &bob);
    introduce(&alice, &carol);
    let member = |p: &Person| RosterMember {
        account_key: p.store.account_key().unwrap(),
        role: RosterRole::Member,
    };
    let roster = alice
        .store
        .create_group(group.clone(), vec![member(&bob), member(&carol)], NOW)
        .unwrap();
    assert_eq!(roster.epoch(), 1);
    alice.store.invite(group.clone(), bob.id()).unwrap();
    alice.store.invite(group.clone(), carol.id()).unwrap();
    for p in [&bob, &carol] {
        for d in deliver(&alice, p) {
            assert!(matches!(
                d,
                StoreDelivery::Event {
                    event: StoreEvent::RosterChanged { epoch: 1, .. }
                }
            ));
        }
    }
    let sent = alice.store.group_encrypt(&group, b"orders", NOW).unwrap();
    assert_eq!(sent.distributions.len(), 2);
    for p in [&bob, &carol] {
        deliver(&alice, p);
        let d = p
            .store
            .group_decrypt(&group, &alice.id(), &sent.message.bytes)
            .unwrap();
        assert_eq!(text(&d), b"orders");
    }
    let changed = alice
        .store
        .change_members(
            group.clone(),
            vec![
                member(&bob),
                RosterMember {
                    account_key: alice.store.account_key().unwrap(),
                    role: RosterRole::Admin,
                },
            ],
        )
        .unwrap();
    assert_eq!(changed.roster.epoch(), 2);
    assert_eq!(changed.queued.len(), 1);
    let sent = alice.store.group_encrypt(&group, b"without", NOW).unwrap();
    assert_eq!(
        sent.distributions[0].to,
        Destination::Device {
            identity_key: bob.id()
        }
    );
    deliver(&alice, &bob);
    let d = bob
        .store
        .group_decrypt(&group, &alice.id(), &sent.message.bytes)
        .unwrap();
    assert_eq!(text(&d), b"without");
    assert!(
        carol
            .store
            .group_decrypt(&group, &alice.id(), &sent.message.bytes)
            .is_err()
    );
    assert_eq!(bob.store.roster(group.clone()).unwrap().unwrap().epoch(), 2);
    // Prekeys: a new store has its keys; an upload is signed and verifies.
    let upload = bob.store.prekey_upload(NOW).unwrap().unwrap();
    let info = qorgan_ffi::verify_upload(&upload).unwrap();
    assert_eq!(info.identity_key, bob.id());
    assert!(!bob.store.upload_due(NOW).unwrap());
    assert_eq!(bob.store.prekey_upload(NOW).unwrap(), None);
    assert!(bob.store.upload_due(NOW + 8 * 86_400).unwrap());
}

#[test]
fn errors_read_as_sentences() {
    assert_eq!(
        error_message(QorganError::UnknownPreKey {
            what: "one-time prekey".into(),
            id: 7
        }),
        "unknown or consumed one-time prekey 7"
    );
    assert_eq!(
        QorganError::NewerVersion {
            found: 2,
            supported: 1
        }
        .to_string(),
        "store schema version 2 is newer than this library's 1"
    );
    assert_eq!(
        QorganError::WrongChain {
            chain_id: 0x0102_0304,
            held_chain_id: 0xa0b0_c0d0
        }
        .to_string(),
        "group message for chain 0x01020304, this receiver holds chain 0xa0b0c0d0"
    );
    assert!(matches!(
        message_info(b"\x01"),
        Err(QorganError::Malformed { .. })
    ));
}
