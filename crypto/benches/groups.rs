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
use rand_core::SeedableRng;
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

fn qorgan_pair(rng: &mut ChaCha20Rng) -> (OutboundGroupSession, InboundGroupSession) {
    let identity = IdentityKeyPair::generate(rng);
    let out = OutboundGroupSession::new(rng, b"bench", policy(), 0).expect("outbound");
    let inb =
        InboundGroupSession::new(&out.distribution(&identity), identity.public()).expect("inbound");
    (out, inb)
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

/// Sign + verify + AEAD seal and open + one chain step (two HMAC-SHA256) on
/// each side: what one signed, encrypted group message costs at least.
struct Limit {
    signing: SigningKey,
    ck: [u8; 32],
}

impl Limit {
    fn send(&mut self, pt: &[u8]) -> Vec<u8> {
        let mk = hmac(&self.ck, 1);
        let next = hmac(&self.ck, 2);
        let ct = ChaCha20Poly1305::new(&mk.into())
            .encrypt(&[0u8; 12].into(), Payload { msg: pt, aad: &[] })
            .expect("seal");
        let sig = self.signing.sign(&ct);
        self.signing
            .verifying_key()
            .verify_strict(&ct, &sig)
            .expect("verify");
        let mk = hmac(&self.ck, 1);
        self.ck = hmac(&self.ck, 2);
        black_box(next);
        ChaCha20Poly1305::new(&mk.into())
            .decrypt(&[0u8; 12].into(), Payload { msg: &ct, aad: &[] })
            .expect("open")
    }
}

fn group_enc_dec(c: &mut Criterion) {
    let mut g = c.benchmark_group("group_enc_dec");
    let mut r = ChaCha20Rng::from_seed([5; 32]);
    for size in SIZES {
        let pt = vec![0x5a; size];
        g.throughput(Throughput::Bytes(size as u64));
        let (mut out, mut inb) = qorgan_pair(&mut r);
        g.bench_with_input(BenchmarkId::new("qorgan", size), &pt, |b, pt| {
            b.iter(|| {
                let m = out.encrypt(black_box(pt)).expect("encrypt");
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
    let (mut out, inb) = qorgan_pair(&mut r);
    let msgs: Vec<Vec<u8>> = (0..CATCH_UP)
        .map(|_| out.encrypt(&[9u8; 64]).expect("encrypt"))
        .collect();
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
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
