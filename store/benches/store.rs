//! Store benchmarks (issue 13): one message decrypted and committed through
//! the store, on an in-memory database, on a file with `synchronous`
//! NORMAL and FULL, beside what apps do today (vodozemac decrypt, pickle,
//! one SQLite upsert, same settings as NORMAL); the same with 2000 skipped
//! keys stored; and a catch-up of 500 queued messages in one transaction.
//! Criterion ids are fixed (docs/PERFORMANCE.md).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, BenchmarkId, Criterion, criterion_group, criterion_main};
use qorgan::{IdentityKey, IdentityKeyPair, PreKeyStore, Session, StorageKey};
use qorgan_store::{Account, Durability, Options};
use vodozemac::olm::{Account as OlmAccount, OlmMessage, SessionConfig};

const NOW: u64 = 1_790_000_000;

fn path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qorgan-store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

/// A 1:1 payload as stores exchange them: version 1, kind 0 (a message).
fn payload(body: &[u8]) -> Vec<u8> {
    [&[1u8, 0][..], body].concat()
}

/// Alice's store and Bob as plain qorgan objects, with a session both ways
/// established; Bob encrypts what Alice's store decrypts.
fn pair(path: &std::path::Path, durability: Durability) -> (Account, Session, IdentityKey) {
    let mut rng = qorgan::SystemRng::new().expect("rng");
    let key = StorageKey::from_bytes([7; 32]);
    let mut alice = Account::open(
        path,
        &key,
        &Options {
            durability,
            device_label: "alice".into(),
            now: NOW,
        },
    )
    .expect("open");
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut bob_store = PreKeyStore::new(&mut rng, bob_id.clone(), NOW);
    bob_store.generate_one_time_prekeys(&mut rng, 1);
    alice
        .start_session(&bob_store.bundle().expect("bundle").to_bytes())
        .expect("session");
    let first = alice.encrypt(bob_id.public(), b"hi").expect("encrypt");
    let (mut bob, _) = bob_store.accept(&first.bytes, NOW).expect("accept");
    let alice_id = *alice.identity();
    let reply = bob.encrypt(&mut rng, &payload(b"hi")).expect("reply");
    alice
        .decrypt(bob_id.public(), &reply, NOW)
        .expect("decrypt");
    let _ = alice_id;
    (alice, bob, *bob_id.public())
}

fn store_decrypt(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_decrypt");
    let body = [0x5a; 64];
    let mut rng = qorgan::SystemRng::new().expect("rng");
    for (name, p, durability) in [
        ("memory", PathBuf::from(":memory:"), Durability::Normal),
        ("sqlite_normal", path("normal"), Durability::Normal),
        ("sqlite_full", path("full"), Durability::Full),
    ] {
        let (mut alice, mut bob, bob_id) = pair(&p, durability);
        g.bench_function(BenchmarkId::new(name, 64), |b| {
            b.iter_batched(
                || bob.encrypt(&mut rng, &payload(&body)).expect("encrypt"),
                |m| black_box(alice.decrypt(&bob_id, &m, NOW).expect("decrypt")),
                BatchSize::SmallInput,
            )
        });
    }
    // The same with 2000 skipped keys held by the session: Bob sends 2000
    // messages that are not delivered first.
    let (mut alice, mut bob, bob_id) = pair(&path("skipped"), Durability::Normal);
    for _ in 0..2000 {
        bob.encrypt(&mut rng, &payload(&body)).expect("encrypt");
    }
    g.bench_function(BenchmarkId::new("sqlite_normal_2000_skipped", 64), |b| {
        b.iter_batched(
            || bob.encrypt(&mut rng, &payload(&body)).expect("encrypt"),
            |m| black_box(alice.decrypt(&bob_id, &m, NOW).expect("decrypt")),
            BatchSize::SmallInput,
        )
    });
    // What apps do today: vodozemac decrypt, pickle, one upsert.
    let (mut va, mut vb) = vodozemac_pair();
    let conn = rusqlite::Connection::open(path("vodozemac")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    conn.execute(
        "CREATE TABLE sessions (id TEXT PRIMARY KEY, pickle TEXT NOT NULL)",
        [],
    )
    .expect("table");
    let pickle_key = [9u8; 32];
    g.bench_function(BenchmarkId::new("vodozemac_sqlite", 64), |b| {
        b.iter_batched(
            || va.encrypt(body).expect("encrypt").to_parts(),
            |(ty, bytes)| {
                let m = OlmMessage::from_parts(ty, &bytes).expect("decode");
                let pt = vb.decrypt(&m).expect("decrypt");
                let pickle = vb.pickle().encrypt(&pickle_key);
                conn.execute(
                    "INSERT INTO sessions (id, pickle) VALUES ('bob', ?1)
                     ON CONFLICT (id) DO UPDATE SET pickle = ?1",
                    [pickle],
                )
                .expect("upsert");
                black_box(pt)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn vodozemac_pair() -> (vodozemac::olm::Session, vodozemac::olm::Session) {
    let alice = OlmAccount::new();
    let mut bob = OlmAccount::new();
    bob.generate_one_time_keys(1);
    let otk = *bob.one_time_keys().values().next().expect("otk");
    bob.mark_keys_as_published();
    let mut a = alice
        .create_outbound_session(SessionConfig::version_1(), bob.curve25519_key(), otk)
        .expect("outbound");
    let OlmMessage::PreKey(m) = a.encrypt(b"hi").expect("encrypt") else {
        unreachable!()
    };
    let mut b = bob
        .create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), &m)
        .expect("inbound")
        .session;
    let r = b.encrypt(b"hi").expect("encrypt");
    a.decrypt(&r).expect("decrypt");
    (a, b)
}

fn store_catch_up(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_catch_up");
    g.sample_size(10);
    let body = [0x5a; 64];
    let mut rng = qorgan::SystemRng::new().expect("rng");
    let (mut alice, mut bob, bob_id) = pair(&path("catch-up"), Durability::Normal);
    g.bench_function(BenchmarkId::new("sqlite", 500), |b| {
        b.iter_batched(
            || {
                (0..500)
                    .map(|_| {
                        (
                            bob_id,
                            bob.encrypt(&mut rng, &payload(&body)).expect("encrypt"),
                        )
                    })
                    .collect::<Vec<_>>()
            },
            |batch| black_box(alice.decrypt_batch(&batch, NOW).expect("batch")),
            BatchSize::LargeInput,
        )
    });
    // The in-memory batch alone (the same 500 decrypts on a plain Session),
    // plus one sealed write of the session: the floor catch-up is compared
    // against.
    let mut rng2 = qorgan::SystemRng::new().expect("rng");
    let bob2 = IdentityKeyPair::generate(&mut rng2);
    let mut bob2_store = PreKeyStore::new(&mut rng2, bob2.clone(), NOW);
    bob2_store.generate_one_time_prekeys(&mut rng2, 1);
    let a2 = IdentityKeyPair::generate(&mut rng2);
    let mut s_a =
        Session::initiate(&mut rng2, &a2, &bob2_store.bundle().expect("bundle")).expect("initiate");
    let first = s_a.encrypt(&mut rng2, b"hi").expect("encrypt");
    let (mut s_b, _) = bob2_store.accept(&first, NOW).expect("accept");
    let r = s_b.encrypt(&mut rng2, b"hi").expect("encrypt");
    s_a.decrypt(&r).expect("decrypt");
    let key = StorageKey::from_bytes([3; 32]);
    let mut rng3 = qorgan::SystemRng::new().expect("rng");
    let conn = rusqlite::Connection::open(path("floor")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    conn.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, v BLOB)", [])
        .expect("table");
    g.bench_function(BenchmarkId::new("memory_plus_commit", 500), |b| {
        b.iter_batched(
            || {
                (0..500)
                    .map(|_| s_b.encrypt(&mut rng2, &body).expect("encrypt"))
                    .collect::<Vec<_>>()
            },
            |batch| {
                for m in &batch {
                    black_box(s_a.decrypt(m).expect("decrypt"));
                }
                let sealed = s_a.seal(&mut rng3, &key);
                conn.execute(
                    "INSERT INTO s (id, v) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET v = ?1",
                    [sealed],
                )
                .expect("commit");
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, store_decrypt, store_catch_up);
criterion_main!(benches);
