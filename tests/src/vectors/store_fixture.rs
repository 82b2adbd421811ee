//! The store fixture (docs/PROTOCOL.md §17, `tests/vectors/fixtures/`):
//! two real SQLite store files of schema version 1, Alice's
//! (`store-v1.sqlite`) and Bob's (`store-v1-peer.sqlite`), and what they
//! hold (`store-v1.json`).
//!
//! Alice and Bob exchanged 1:1 messages, Alice made a group, invited Bob,
//! sent to it, promoted Bob (epoch 2), and Bob sent to the group. Left in
//! Alice's file: a message to Bob in the outbox (never sent), two messages
//! in the inbox not acknowledged (Bob's 1:1 message and his group message),
//! one event (Bob's group key), the group at epoch 2 with her chain due for
//! rotation, and the key of b1, a message Bob encrypted and never sent (it
//! is in his outbox), overtaken by b2. Bob's file has nothing pending.
//!
//! qorgan-store draws its identities and nonces from the operating system,
//! so the files differ at every run: like every fixture they are made once
//! (`gen-vectors` writes them only when none of the three exists) and kept
//! forever. The storage keys are draws of `rng(STORE_DB_FIXTURE_SEED)`;
//! the clock and texts are fixed.

use qorgan::StorageKey;
use qorgan::roster::{Member, Role};
use qorgan_store::{Account, Delivery, Destination, Durability, Options};
use serde_json::{Value, json};

use super::store::{TempDir, event_json, incoming_json, outgoing_json};
use crate::hex::encode as hx;

/// Seed of the store fixture's storage keys.
pub const STORE_DB_FIXTURE_SEED: u64 = 109;
/// The group of the store fixture.
pub const STORE_DB_FIXTURE_GROUP: &[u8] = b"qorgan/fixtures/store-group";
/// The clock of the store fixture's scenario (its first step).
pub const STORE_DB_FIXTURE_NOW: u64 = 1_790_000_000;

/// The three files of the store fixture of schema `version`, relative to
/// `tests/vectors/`: Alice's store, Bob's store, the description.
pub fn store_db_fixture_files(version: u32) -> [String; 3] {
    [
        format!("fixtures/store-v{version}.sqlite"),
        format!("fixtures/store-v{version}-peer.sqlite"),
        format!("fixtures/store-v{version}.json"),
    ]
}

fn draw32(rng: &mut chacha20::ChaCha20Rng) -> [u8; 32] {
    use rand_core::Rng;
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    b
}

fn message(d: Delivery) -> qorgan_store::Incoming {
    match d {
        Delivery::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn event(d: Delivery) -> qorgan_store::Event {
    match d {
        Delivery::Event(e) => e,
        other => panic!("expected an event, got {other:?}"),
    }
}

/// Row counts per table and object kind, read with SQLite alone.
fn table_counts(path: &std::path::Path) -> Value {
    let conn = rusqlite::Connection::open(path).expect("open");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect("count") };
    let mut kinds = serde_json::Map::new();
    for kind in 1..=10 {
        kinds.insert(
            kind.to_string(),
            json!(count(&format!(
                "SELECT count(*) FROM objects WHERE kind = {kind}"
            ))),
        );
    }
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page size");
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal mode");
    json!({
        "meta": count("SELECT count(*) FROM meta"),
        "objects": kinds,
        "sessions": count("SELECT count(*) FROM sessions"),
        "outbox": count("SELECT count(*) FROM outbox"),
        "inbox": count("SELECT count(*) FROM inbox"),
        "events": count("SELECT count(*) FROM events"),
        "page_size": page_size,
        "journal_mode": journal,
    })
}

/// Makes the store fixture: the bytes of Alice's and Bob's files and the
/// description, in the order of [`store_db_fixture_files`].
pub fn store_db_fixture() -> [Vec<u8>; 3] {
    const T0: u64 = STORE_DB_FIXTURE_NOW;
    const G: &[u8] = STORE_DB_FIXTURE_GROUP;
    let mut rng = crate::rng(STORE_DB_FIXTURE_SEED);
    let alice_key = draw32(&mut rng);
    let bob_key = draw32(&mut rng);
    let dir = TempDir::new("store-fixture");
    let (alice_path, bob_path) = (dir.path("alice.sqlite"), dir.path("bob.sqlite"));
    let options = |label: &str| Options {
        durability: Durability::Normal,
        device_label: label.into(),
        now: T0,
    };
    let mut alice = Account::open(
        &alice_path,
        &StorageKey::from_bytes(alice_key),
        &options("Alice's phone"),
    )
    .expect("alice");
    let mut bob = Account::open(
        &bob_path,
        &StorageKey::from_bytes(bob_key),
        &options("Bob's phone"),
    )
    .expect("bob");
    let alice_id = *alice.identity();
    let bob_id = *bob.identity();
    let alice_list = alice.device_list().expect("list");
    let bob_list = bob.device_list().expect("list");
    alice
        .update_contact(std::slice::from_ref(&bob_list))
        .expect("contact");
    bob.update_contact(std::slice::from_ref(&alice_list))
        .expect("contact");

    // 1:1: a0 read and saved by Bob; b0 read by Alice, not saved.
    let bundle = bob.bundle().expect("bundle");
    alice.start_session(&bundle).expect("session");
    let a0 = alice.encrypt(&bob_id, b"a0: hello Bob").expect("a0");
    let m = message(bob.decrypt(&alice_id, &a0.bytes, T0 + 10).expect("a0"));
    assert_eq!(m.plaintext, b"a0: hello Bob");
    bob.ack(m.id).expect("ack");
    alice.mark_sent(a0.id).expect("sent");
    let b0 = bob
        .encrypt(&alice_id, b"b0: hello Alice, save me")
        .expect("b0");
    let b0_in = message(alice.decrypt(&bob_id, &b0.bytes, T0 + 20).expect("b0"));
    bob.mark_sent(b0.id).expect("sent");
    // b1 stays in Bob's outbox; b2 overtakes it: Alice keeps b1's key in
    // the skipped-keys row of her session.
    let b1 = bob
        .encrypt(&alice_id, b"b1: overtaken, still in Bob's outbox")
        .expect("b1");
    let b2 = bob.encrypt(&alice_id, b"b2: overtakes b1").expect("b2");
    let b2_in = message(alice.decrypt(&bob_id, &b2.bytes, T0 + 25).expect("b2"));
    assert_eq!(b2_in.plaintext, b"b2: overtakes b1");
    alice.ack(b2_in.id).expect("ack");
    bob.mark_sent(b2.id).expect("sent");

    // The group: created, Bob invited, a first message.
    let r1 = alice
        .create_group(G, &[Member::new(*bob.account_key(), Role::Member)], T0 + 30)
        .expect("group");
    assert_eq!(r1.epoch(), 1);
    let invite = alice.invite(G, &bob_id).expect("invite");
    let e = event(
        bob.decrypt(&alice_id, &invite.bytes, T0 + 31)
            .expect("invite"),
    );
    assert!(matches!(
        e,
        qorgan_store::Event::RosterChanged { epoch: 1, .. }
    ));
    alice.mark_sent(invite.id).expect("sent");
    let g0 = alice
        .group_encrypt(G, b"g0: hello group", T0 + 40)
        .expect("g0");
    assert_eq!(g0.distributions.len(), 1);
    assert!(g0.missing.is_empty());
    for d in &g0.distributions {
        let e = event(bob.decrypt(&alice_id, &d.bytes, T0 + 41).expect("key"));
        assert!(matches!(e, qorgan_store::Event::GroupKey { .. }));
        alice.mark_sent(d.id).expect("sent");
    }
    let m = message(
        bob.group_decrypt(G, &alice_id, &g0.message.bytes)
            .expect("g0"),
    );
    assert_eq!(m.plaintext, b"g0: hello group");
    bob.ack(m.id).expect("ack");
    alice.mark_sent(g0.message.id).expect("sent");

    // Epoch 2: Bob promoted; Alice's chain must rotate before her next send.
    let (r2, queued) = alice
        .change_members(
            G,
            &[
                Member::new(*alice.account_key(), Role::Admin),
                Member::new(*bob.account_key(), Role::Admin),
            ],
        )
        .expect("change");
    assert_eq!(r2.epoch(), 2);
    assert_eq!(queued.len(), 1);
    for q in &queued {
        let e = event(bob.decrypt(&alice_id, &q.bytes, T0 + 50).expect("roster"));
        assert!(matches!(
            e,
            qorgan_store::Event::RosterChanged { epoch: 2, .. }
        ));
        alice.mark_sent(q.id).expect("sent");
    }
    for (id, _) in bob.events().expect("events") {
        bob.dismiss(id).expect("dismiss");
    }

    // Bob's chain reaches Alice: an event and a group message she keeps.
    let g1 = bob
        .group_encrypt(G, b"g1: hello from Bob", T0 + 60)
        .expect("g1");
    assert_eq!(g1.distributions.len(), 1);
    for d in &g1.distributions {
        let e = event(alice.decrypt(&bob_id, &d.bytes, T0 + 61).expect("key"));
        assert!(matches!(e, qorgan_store::Event::GroupKey { .. }));
        bob.mark_sent(d.id).expect("sent");
    }
    let g1_in = message(
        alice
            .group_decrypt(G, &bob_id, &g1.message.bytes)
            .expect("g1"),
    );
    assert_eq!(g1_in.plaintext, b"g1: hello from Bob");
    bob.mark_sent(g1.message.id).expect("sent");

    // A message to Bob left in Alice's outbox.
    let a1 = alice
        .encrypt(&bob_id, b"a1: still in the outbox")
        .expect("a1");
    assert!(matches!(a1.to, Destination::Device(d) if d == bob_id));

    let snapshot = |acct: &mut Account, peer: &qorgan::IdentityKey, key: &[u8; 32]| {
        let list = acct.device_list().expect("list");
        let roster = acct.roster(G).expect("roster").expect("group");
        let active = acct.active_session(peer).expect("peer").expect("session");
        json!({
            "storage_key": hx(key),
            "identity": hx(&acct.identity().to_field_bytes()),
            "account_key": hx(&acct.account_key().to_bytes()),
            "device_list": hx(&list.to_bytes()),
            "active_session": hx(&active),
            "roster": {"epoch": roster.epoch(), "bytes": hx(&roster.to_bytes())},
            "outbox": acct.outbox().expect("outbox").iter().map(outgoing_json).collect::<Vec<_>>(),
            "pending": acct.pending().expect("pending").iter().map(incoming_json).collect::<Vec<_>>(),
            "events": acct.events().expect("events").iter()
                .map(|(id, e)| { let mut v = event_json(e); v["id"] = json!(id); v })
                .collect::<Vec<_>>(),
            // Last: every read above is a write transaction of its own.
            "counter": acct.counter().expect("counter"),
        })
    };
    let alice_json = snapshot(&mut alice, &bob_id, &alice_key);
    let bob_json = snapshot(&mut bob, &alice_id, &bob_key);
    assert_eq!(alice_json["pending"].as_array().expect("pending").len(), 2);
    assert_eq!(
        alice_json["pending"][0]["id"].as_i64(),
        Some(b0_in.id),
        "b0 first"
    );
    assert_eq!(alice_json["pending"][1]["id"].as_i64(), Some(g1_in.id));
    assert_eq!(alice_json["outbox"].as_array().expect("outbox").len(), 1);
    assert_eq!(alice_json["events"].as_array().expect("events").len(), 1);
    assert!(bob_json["pending"].as_array().expect("pending").is_empty());
    assert_eq!(bob_json["outbox"].as_array().expect("outbox").len(), 1);
    assert_eq!(bob_json["outbox"][0]["id"].as_i64(), Some(b1.id));
    assert!(bob_json["events"].as_array().expect("events").is_empty());
    drop(alice);
    drop(bob);
    let files = store_db_fixture_files(qorgan_store::SCHEMA_VERSION);
    for p in [&alice_path, &bob_path] {
        assert!(
            !std::path::Path::new(&format!("{}-wal", p.display())).exists(),
            "closing the last connection checkpoints the WAL"
        );
    }
    let alice_bytes = std::fs::read(&alice_path).expect("alice file");
    let bob_bytes = std::fs::read(&bob_path).expect("bob file");
    let description = json!({
        "description": "Store fixture of the schema_version below (docs/PROTOCOL.md §17), made once \
            by gen-vectors (tests/src/vectors/store_fixture.rs) with the release that introduced \
            that schema, and kept unchanged forever: every later release must open it and keep \
            working with it (store/tests/fixtures.rs, tests/tests/fixtures.rs), and the \
            independent checker reads it from the spec (tests/tests/vectors/independent.rs). \
            files.alice is Alice's store, files.bob Bob's: SQLite files, each sealed under its \
            storage_key (draws of rng(seed)); qorgan-store drew their identities and nonces from \
            the operating system. Scenario (clock from now): contacts exchanged; Alice started a \
            session, sent a0 (Bob read and acknowledged it), Bob sent b0 (Alice read it, not \
            acknowledged), encrypted b1 (left in his outbox, never sent) and sent b2 (Alice read \
            and acknowledged it: she holds b1's key in the skipped-keys row of her session); Alice created the group (Bob a member, epoch 1), invited Bob, sent g0 \
            (her chain distributed to Bob, who read g0); Alice promoted Bob (epoch 2: her chain \
            must rotate before her next message; Bob got the roster); Bob sent g1 (his chain \
            distributed to Alice, who read g1, not acknowledged); Alice encrypted a1 and never \
            sent it. Per store: identity (field encoding), account key, device list, the active \
            session with the other's device (its session id), the held roster, outbox, pending \
            and events as qorgan-store lists them, the counter after all of it (opening adds \
            one), and the rows per table (objects by kind) with the page size and journal mode \
            read from the file.",
        "seed": STORE_DB_FIXTURE_SEED,
        "schema_version": qorgan_store::SCHEMA_VERSION,
        "payload_version": qorgan_store::PAYLOAD_VERSION,
        "now": T0,
        "group": hx(G),
        "files": {
            "alice": files[0].trim_start_matches("fixtures/"),
            "bob": files[1].trim_start_matches("fixtures/"),
        },
        "alice": alice_json,
        "bob": bob_json,
        "rows": {
            "alice": table_counts(&alice_path),
            "bob": table_counts(&bob_path),
        },
        "texts": {
            "a0": "a0: hello Bob",
            "b0": "b0: hello Alice, save me",
            "b1": "b1: overtaken, still in Bob's outbox",
            "b2": "b2: overtakes b1",
            "g0": "g0: hello group",
            "g1": "g1: hello from Bob",
            "a1": "a1: still in the outbox",
        },
    });
    let text = super::render(&description);
    // table_counts opened the files again; they are closed and checkpointed.
    let alice_after = std::fs::read(&alice_path).expect("alice file");
    let bob_after = std::fs::read(&bob_path).expect("bob file");
    assert_eq!(
        alice_after, alice_bytes,
        "reading the counts changed nothing"
    );
    assert_eq!(bob_after, bob_bytes, "reading the counts changed nothing");
    [alice_bytes, bob_bytes, text.into_bytes()]
}
