//! 1:1 benchmarks: qorgan beside vodozemac (Olm) and the bare primitive cost
//! ("limit"), in the same run. Criterion ids are fixed (docs/PERFORMANCE.md).

mod common;

use std::hint::black_box;

use chacha20::ChaCha20Rng;
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use common::hmac;
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qorgan::{Expected, IdentityKeyPair, PreKeyStore, Session, StorageKey};
use rand_core::{Rng, SeedableRng};
use sha2::Sha256;
use vodozemac::olm::{Account, OlmMessage, SessionConfig};

const SIZES: [usize; 3] = [64, 1024, 65536];

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([42; 32])
}

fn qorgan_pair(rng: &mut ChaCha20Rng) -> (Session, Session) {
    let bob_id = IdentityKeyPair::generate(rng);
    let mut store = PreKeyStore::new(rng, bob_id, 0);
    store.generate_one_time_prekeys(rng, 1);
    let bundle = store.bundle().expect("bundle");
    let alice_id = IdentityKeyPair::generate(rng);
    let mut alice = Session::initiate(rng, &alice_id, &bundle).expect("initiate");
    let m = alice.encrypt(rng, b"hi").expect("encrypt");
    let (mut bob, _) = store.accept(&m, 0).expect("accept");
    let r = bob.encrypt(rng, b"hi").expect("encrypt");
    alice.decrypt(&r).expect("decrypt");
    // One more turn so both sides are on normal messages with live chains.
    let m = alice.encrypt(rng, b"x").expect("encrypt");
    bob.decrypt(&m).expect("decrypt");
    (alice, bob)
}

fn vodozemac_pair() -> (vodozemac::olm::Session, vodozemac::olm::Session) {
    let alice = Account::new();
    let mut bob = Account::new();
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
    let m = a.encrypt(b"x").expect("encrypt");
    b.decrypt(&m).expect("decrypt");
    (a, b)
}

/// vodozemac's encrypt + decrypt including the byte encoding, as qorgan's
/// API returns and takes bytes.
fn vodozemac_send(
    from: &mut vodozemac::olm::Session,
    to: &mut vodozemac::olm::Session,
    pt: &[u8],
) -> Vec<u8> {
    let (ty, bytes) = from.encrypt(pt).expect("encrypt").to_parts();
    let m = OlmMessage::from_parts(ty, &bytes).expect("decode");
    to.decrypt(&m).expect("decrypt")
}

/// The primitives one message costs at least: on each side two HMAC-SHA256
/// (message key, next chain key) and one ChaCha20-Poly1305 seal or open.
struct Limit {
    sender_ck: [u8; 32],
    receiver_ck: [u8; 32],
    rng: ChaCha20Rng,
}

impl Limit {
    /// One chain step per side, the sender's 12-byte nonce draw (message
    /// version 2), one ChaCha20-Poly1305 seal and open under that nonce.
    fn send(&mut self, pt: &[u8]) -> Vec<u8> {
        let mk = hmac(&self.sender_ck, 1);
        self.sender_ck = hmac(&self.sender_ck, 2);
        let mut nonce = [0u8; 12];
        self.rng.fill_bytes(&mut nonce);
        let ct = ChaCha20Poly1305::new(&mk.into())
            .encrypt(&nonce.into(), Payload { msg: pt, aad: &[] })
            .expect("seal");
        let mk = hmac(&self.receiver_ck, 1);
        self.receiver_ck = hmac(&self.receiver_ck, 2);
        ChaCha20Poly1305::new(&mk.into())
            .decrypt(&nonce.into(), Payload { msg: &ct, aad: &[] })
            .expect("open")
    }
}

fn dr_enc_dec(c: &mut Criterion) {
    let mut g = c.benchmark_group("dr_enc_dec");
    for size in SIZES {
        let pt = vec![0x5a; size];
        g.throughput(Throughput::Bytes(size as u64));
        let mut r = rng();
        let (mut alice, mut bob) = qorgan_pair(&mut r);
        g.bench_with_input(BenchmarkId::new("qorgan", size), &pt, |b, pt| {
            b.iter(|| {
                let m = alice.encrypt(&mut r, black_box(pt)).expect("encrypt");
                black_box(bob.decrypt(&m).expect("decrypt"))
            })
        });
        let (mut va, mut vb) = vodozemac_pair();
        g.bench_with_input(BenchmarkId::new("vodozemac", size), &pt, |b, pt| {
            b.iter(|| black_box(vodozemac_send(&mut va, &mut vb, black_box(pt))))
        });
        let mut limit = Limit {
            sender_ck: [1; 32],
            receiver_ck: [1; 32],
            rng: ChaCha20Rng::from_seed([3; 32]),
        };
        g.bench_with_input(BenchmarkId::new("limit", size), &pt, |b, pt| {
            b.iter(|| black_box(limit.send(black_box(pt))))
        });
    }
    g.finish();
}

fn dr_ping_pong(c: &mut Criterion) {
    let mut g = c.benchmark_group("dr_ping_pong");
    let pt = vec![0x5a; 64];
    let mut r = rng();
    let (mut alice, mut bob) = qorgan_pair(&mut r);
    g.bench_with_input(BenchmarkId::new("qorgan", 64), &pt, |b, pt| {
        b.iter(|| {
            let m = alice.encrypt(&mut r, pt).expect("encrypt");
            bob.decrypt(&m).expect("decrypt");
            let m = bob.encrypt(&mut r, pt).expect("encrypt");
            black_box(alice.decrypt(&m).expect("decrypt"))
        })
    });
    let (mut va, mut vb) = vodozemac_pair();
    g.bench_with_input(BenchmarkId::new("vodozemac", 64), &pt, |b, pt| {
        b.iter(|| {
            vodozemac_send(&mut va, &mut vb, pt);
            black_box(vodozemac_send(&mut vb, &mut va, pt))
        })
    });
    // Per round trip the ratchet turns twice; each turn costs a key
    // generation, two X25519 exchanges (sender and receiver) and two
    // HKDF-SHA256 root steps, plus the message primitives.
    let mut limit = Limit {
        sender_ck: [1; 32],
        receiver_ck: [1; 32],
        rng: ChaCha20Rng::from_seed([3; 32]),
    };
    let turn = |r: &mut ChaCha20Rng| {
        let s = x25519_dalek::StaticSecret::random_from_rng(r);
        let p = x25519_dalek::PublicKey::from(&s);
        let d1 = s.diffie_hellman(&p);
        let d2 = s.diffie_hellman(&p);
        let mut okm = [0u8; 64];
        hkdf::Hkdf::<Sha256>::new(Some(&[0u8; 32]), d1.as_bytes())
            .expand(b"qorgan/v1/root", &mut okm)
            .expect("hkdf");
        hkdf::Hkdf::<Sha256>::new(Some(&okm[..32]), d2.as_bytes())
            .expand(b"qorgan/v1/root", &mut okm)
            .expect("hkdf");
        black_box(okm);
    };
    g.bench_with_input(BenchmarkId::new("limit", 64), &pt, |b, pt| {
        b.iter(|| {
            turn(&mut r);
            limit.send(pt);
            turn(&mut r);
            black_box(limit.send(pt))
        })
    });
    g.finish();
}

fn handshake(c: &mut Criterion) {
    let mut g = c.benchmark_group("handshake");
    let mut r = rng();
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut store = PreKeyStore::new(&mut r, bob_id, 0);
    let bundle = store.bundle().expect("bundle");
    let alice_id = IdentityKeyPair::generate(&mut r);
    // Initiate, first message, accept and decrypt: everything but key
    // generation for the bundle (the last-resort prekeys make this
    // repeatable; every run has a fresh base key, so no replay).
    // Each run accepts into a copy of the store (made outside the timed
    // part): a store remembers every handshake without one-time prekeys,
    // and refuses more than MAX_REMEMBERED_HANDSHAKES per signed prekey.
    let _ = store.accept(
        &{
            let mut warm = Session::initiate(&mut r, &alice_id, &bundle).expect("initiate");
            warm.encrypt(&mut r, b"warm").expect("encrypt")
        },
        0,
    );
    g.bench_function("qorgan", |b| {
        b.iter_batched(
            || {
                // A copy through the state format, its last-resort ML-KEM
                // key expanded (as in a running app) outside the timed part.
                let copy = PreKeyStore::from_bytes(&store.to_bytes()).expect("copy");
                let _ = copy.last_resort_kem_prekey();
                copy
            },
            |mut store| {
                let mut alice = Session::initiate(&mut r, &alice_id, &bundle).expect("initiate");
                let m = alice.encrypt(&mut r, b"hello").expect("encrypt");
                black_box(store.accept(&m, 0).expect("accept"))
            },
            BatchSize::SmallInput,
        )
    });
    let alice = Account::new();
    let mut bob = Account::new();
    bob.generate_fallback_key();
    let fallback = *bob.fallback_key().values().next().expect("fallback");
    g.bench_function("vodozemac", |b| {
        b.iter(|| {
            let mut a = alice
                .create_outbound_session(SessionConfig::version_1(), bob.curve25519_key(), fallback)
                .expect("outbound");
            let OlmMessage::PreKey(m) = a.encrypt(b"hello").expect("encrypt") else {
                unreachable!()
            };
            black_box(
                bob.create_inbound_session(SessionConfig::version_1(), alice.curve25519_key(), &m)
                    .expect("inbound"),
            )
        })
    });
    handshake_limit(&mut g);
    g.finish();
}

/// `handshake/limit`: the primitive operations a handshake without one-time
/// prekeys cannot avoid, called directly on the same crates. Initiator: two
/// Ed25519 verifications (signed prekey, ML-KEM prekey), the base key, three
/// X25519 exchanges, ML-KEM-768 encapsulation, the first ratchet key and its
/// exchange. Responder: one Ed25519 verification (the initiator's identity
/// binding), three X25519 exchanges, decapsulation, the ratchet exchange.
/// Hashing, KDFs and the 5-byte AEAD are left out (a few microseconds).
/// ML-KEM is libcrux's, the fastest measured (docs/PERFORMANCE.md).
fn handshake_limit(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    use ed25519_dalek::{Signer, SigningKey};
    use libcrux_ml_kem::mlkem768;
    use x25519_dalek::{PublicKey, StaticSecret};
    let mut r = rng();
    let mut seed = [0u8; 32];
    r.fill_bytes(&mut seed);
    let identity = SigningKey::from_bytes(&seed);
    let id_pub = identity.verifying_key();
    let msgs: [Vec<u8>; 3] = [vec![1; 60], vec![2; 1215], vec![3; 58]];
    let sigs: Vec<_> = msgs.iter().map(|m| identity.sign(m)).collect();
    let x = |r: &mut ChaCha20Rng| StaticSecret::random_from_rng(r);
    let (alice_id, bob_id, bob_spk) = (x(&mut r), x(&mut r), x(&mut r));
    let (alice_pub, bob_pub, spk_pub) = (
        PublicKey::from(&alice_id),
        PublicKey::from(&bob_id),
        PublicKey::from(&bob_spk),
    );
    let mut kem_seed = [0u8; 64];
    r.fill_bytes(&mut kem_seed);
    let kem = mlkem768::generate_key_pair(kem_seed);
    g.bench_function("limit", |b| {
        b.iter(|| {
            // Initiator.
            for (m, s) in msgs.iter().zip(&sigs).take(2) {
                ed25519_dalek::Verifier::verify(&id_pub, m, s).expect("signature");
            }
            let base = x(&mut r);
            let base_pub = PublicKey::from(&base);
            black_box(alice_id.diffie_hellman(&spk_pub));
            black_box(base.diffie_hellman(&bob_pub));
            black_box(base.diffie_hellman(&spk_pub));
            let mut m = [0u8; 32];
            r.fill_bytes(&mut m);
            let (ct, ss) = mlkem768::encapsulate(kem.public_key(), m);
            black_box(ss);
            let ratchet = x(&mut r);
            let ratchet_pub = PublicKey::from(&ratchet);
            black_box(ratchet.diffie_hellman(&spk_pub));
            // Responder.
            ed25519_dalek::Verifier::verify(&id_pub, &msgs[2], &sigs[2]).expect("signature");
            black_box(bob_spk.diffie_hellman(&alice_pub));
            black_box(bob_id.diffie_hellman(&base_pub));
            black_box(bob_spk.diffie_hellman(&base_pub));
            black_box(mlkem768::decapsulate(kem.private_key(), &ct));
            black_box(bob_spk.diffie_hellman(&ratchet_pub))
        })
    });
}

fn reversed_and_state(c: &mut Criterion) {
    let mut g = c.benchmark_group("dr_reversed");
    let mut r = rng();
    let (mut alice, bob) = qorgan_pair(&mut r);
    let msgs: Vec<Vec<u8>> = (0..100)
        .map(|_| alice.encrypt(&mut r, &[7u8; 64]).expect("encrypt"))
        .collect();
    // Sessions are not Clone: each iteration starts from the saved state,
    // restored outside the timed part.
    let saved = bob.to_bytes();
    g.bench_function(BenchmarkId::new("qorgan", 100), |b| {
        b.iter_batched(
            || Session::from_bytes(&saved).expect("state"),
            |mut receiver| {
                for m in msgs.iter().rev() {
                    black_box(receiver.decrypt(m).expect("decrypt"));
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("state_seal_open");
    let key = StorageKey::generate(&mut r);
    g.bench_function("qorgan", |b| {
        b.iter(|| {
            let sealed = alice.seal(&mut r, &key);
            let expected = Expected::new(alice.state_owner(), alice.generation());
            black_box(Session::open(&key, &sealed, &expected).expect("open"))
        })
    });
    g.finish();

    // Opening a sealed prekey store holding 100 one-time ML-KEM prekeys
    // (and the default 100 one-time X25519 prekeys): the app does this at
    // every start and for every incoming first message.
    let mut g = c.benchmark_group("prekey_store_open");
    let identity = IdentityKeyPair::generate(&mut r);
    let mut store = PreKeyStore::new(&mut r, identity, 0);
    store.generate_one_time_prekeys(&mut r, 100);
    store.generate_kem_one_time_prekeys(&mut r, 100);
    let sealed = store.seal(&mut r, &key);
    let expected = Expected::new(store.state_owner(), store.generation());
    g.bench_function(BenchmarkId::new("qorgan", 100), |b| {
        b.iter(|| black_box(PreKeyStore::open(&key, &sealed, &expected).expect("open")))
    });
    g.finish();
}

criterion_group!(
    benches,
    dr_enc_dec,
    dr_ping_pong,
    handshake,
    reversed_and_state
);
criterion_main!(benches);
