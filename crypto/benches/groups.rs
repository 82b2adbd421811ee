//! Group benchmarks: qorgan sender keys beside vodozemac (Megolm) and the
//! bare primitive cost ("limit"), in the same run.

mod common;

use std::hint::black_box;

use chacha20::ChaCha20Rng;
use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use common::hmac;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::{Signer, SigningKey};
use qorgan::{IdentityKeyPair, InboundGroupSession, OutboundGroupSession, RotationPolicy};
use rand_core::{Rng, SeedableRng};
use vodozemac::megolm::{
    GroupSession, InboundGroupSession as MegolmInbound, MegolmMessage, SessionConfig,
};

const SIZES: [usize; 3] = [64, 1024, 65536];
const CATCH_UP: usize = 500;

fn policy() -> RotationPolicy {
    RotationPolicy {
        max_messages: u32::MAX,
        max_age_secs: u64::MAX,
    }
}

fn qorgan_pair(
    rng: &mut ChaCha20Rng,
) -> (IdentityKeyPair, OutboundGroupSession, InboundGroupSession) {
    let identity = IdentityKeyPair::generate(rng);
    let out = OutboundGroupSession::new(rng, b"bench", policy(), 0).expect("outbound");
    let inb =
        InboundGroupSession::new(&out.distribution(&identity), identity.public()).expect("inbound");
    (identity, out, inb)
}

fn megolm_pair() -> (GroupSession, MegolmInbound) {
    let out = GroupSession::new(SessionConfig::version_1());
    let inb = MegolmInbound::new(&out.session_key(), SessionConfig::version_1());
    (out, inb)
}

fn megolm_send(out: &mut GroupSession, inb: &mut MegolmInbound, pt: &[u8]) -> Vec<u8> {
    let bytes = out.encrypt(pt).to_bytes();
    let m = MegolmMessage::from_bytes(&bytes).expect("decode");
    inb.decrypt(&m).expect("decrypt").plaintext
}

/// Sign + verify + AEAD seal and open + one chain step (two HMAC-SHA256)
/// and the key commitment (one HMAC-SHA256) on each side, and the sender's
/// 12-byte nonce draw: what one signed, key-committing, rollback-safe group
/// message costs at least.
struct Limit {
    signing: SigningKey,
    ck: [u8; 32],
    rng: ChaCha20Rng,
}

impl Limit {
    fn send(&mut self, pt: &[u8]) -> Vec<u8> {
        let mk = hmac(&self.ck, 3);
        let next = hmac(&self.ck, 4);
        let commitment = hmac_label(&mk, COMMITMENT_LABEL);
        let mut nonce = [0u8; 12];
        self.rng.fill_bytes(&mut nonce);
        let ct = ChaCha20Poly1305::new(&mk.into())
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: pt,
                    aad: &commitment,
                },
            )
            .expect("seal");
        let sig = self.signing.sign(&ct);
        self.signing
            .verifying_key()
            .verify_strict(&ct, &sig)
            .expect("verify");
        let mk = hmac(&self.ck, 3);
        self.ck = hmac(&self.ck, 4);
        black_box(next);
        assert_eq!(hmac_label(&mk, COMMITMENT_LABEL), commitment);
        ChaCha20Poly1305::new(&mk.into())
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: &ct,
                    aad: &commitment,
                },
            )
            .expect("open")
    }
}

const COMMITMENT_LABEL: &[u8] = b"qorgan/v2/group-key-commitment";

fn hmac_label(key: &[u8; 32], label: &[u8]) -> [u8; 32] {
    use hmac::Mac;
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("hmac key");
    m.update(label);
    m.finalize().into_bytes().into()
}

fn group_enc_dec(c: &mut Criterion) {
    let mut g = c.benchmark_group("group_enc_dec");
    let mut r = ChaCha20Rng::from_seed([5; 32]);
    for size in SIZES {
        let pt = vec![0x5a; size];
        g.throughput(Throughput::Bytes(size as u64));
        let (id, mut out, mut inb) = qorgan_pair(&mut r);
        g.bench_with_input(BenchmarkId::new("qorgan", size), &pt, |b, pt| {
            b.iter(|| {
                let m = out.encrypt(&mut r, &id, black_box(pt)).expect("encrypt");
                black_box(inb.decrypt(&m).expect("decrypt"))
            })
        });
        let (mut mo, mut mi) = megolm_pair();
        g.bench_with_input(BenchmarkId::new("vodozemac", size), &pt, |b, pt| {
            b.iter(|| black_box(megolm_send(&mut mo, &mut mi, black_box(pt))))
        });
        let mut limit = Limit {
            signing: SigningKey::from_bytes(&[7; 32]),
            ck: [1; 32],
            rng: ChaCha20Rng::from_seed([8; 32]),
        };
        g.bench_with_input(BenchmarkId::new("limit", size), &pt, |b, pt| {
            b.iter(|| black_box(limit.send(black_box(pt))))
        });
    }
    g.finish();
}

fn group_catch_up(c: &mut Criterion) {
    let mut g = c.benchmark_group("group_catch_up");
    g.sample_size(20);
    g.throughput(Throughput::Elements(CATCH_UP as u64));
    let mut r = ChaCha20Rng::from_seed([6; 32]);
    let (id, mut out, inb) = qorgan_pair(&mut r);
    let msgs: Vec<Vec<u8>> = (0..CATCH_UP)
        .map(|_| out.encrypt(&mut r, &id, &[9u8; 64]).expect("encrypt"))
        .collect();
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    // Every 4th signature bad: the densest failure pattern bisection meets,
    // beside the same messages decrypted one by one.
    let hostile: Vec<Vec<u8>> = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let mut m = m.clone();
            if let Some(last) = m.last_mut().filter(|_| i % 4 == 3) {
                *last ^= 1;
            }
            m
        })
        .collect();
    let hostile_refs: Vec<&[u8]> = hostile.iter().map(Vec::as_slice).collect();
    g.bench_function(BenchmarkId::new("qorgan_hostile_batch", CATCH_UP), |b| {
        b.iter(|| {
            let mut s = inb.clone();
            black_box(s.decrypt_batch(&hostile_refs))
        })
    });
    g.bench_function(BenchmarkId::new("qorgan_hostile_single", CATCH_UP), |b| {
        b.iter(|| {
            let mut s = inb.clone();
            for m in &hostile_refs {
                let _ = black_box(s.decrypt(m));
            }
        })
    });
    g.bench_function(BenchmarkId::new("qorgan_batch", CATCH_UP), |b| {
        b.iter(|| {
            let mut s = inb.clone();
            black_box(s.decrypt_batch(&refs))
        })
    });
    g.bench_function(BenchmarkId::new("qorgan_single", CATCH_UP), |b| {
        b.iter(|| {
            let mut s = inb.clone();
            for m in &refs {
                black_box(s.decrypt(m).expect("decrypt"));
            }
        })
    });
    let (mut mo, mi) = megolm_pair();
    let start = mi.export_at_first_known_index();
    let mmsgs: Vec<Vec<u8>> = (0..CATCH_UP)
        .map(|_| mo.encrypt([9u8; 64]).to_bytes())
        .collect();
    g.bench_function(BenchmarkId::new("vodozemac", CATCH_UP), |b| {
        b.iter(|| {
            let mut s = MegolmInbound::import(&start, SessionConfig::version_1());
            for m in &mmsgs {
                let m = MegolmMessage::from_bytes(m).expect("decode");
                black_box(s.decrypt(&m).expect("decrypt"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, group_enc_dec, group_catch_up);
criterion_main!(benches);
