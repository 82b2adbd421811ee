//! Roster and certificate benchmarks (issue 12): verifying a roster of N
//! members, and 1024 certificate presentations (an intermediate and a leaf
//! each) one by one and as one batch, beside the primitive limit (the
//! Ed25519 signatures alone, with ed25519-dalek). Criterion ids are fixed
//! (docs/PERFORMANCE.md).

use std::hint::black_box;

use chacha20::ChaCha20Rng;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ed25519_dalek::{Signature, VerifyingKey};
use qorgan::account::AccountKeyPair;
use qorgan::certificate::{Claim, IssuerKeyPair, Presentation, Statement, TrustAnchor};
use qorgan::roster::{Member, Role, Roster};
use qorgan::verify::{Item, verify_batch};
use rand_core::SeedableRng;
use sha2::{Digest, Sha256};

const NOW: u64 = 1_790_000_000;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([44; 32])
}

/// The signature of a `qorgan/v1/…`-labelled object whose last 64 bytes
/// are the signature and whose `key` is given: what the limit verifies.
fn split(label: &[u8], bytes: &[u8], key: [u8; 32]) -> (Vec<u8>, Signature, VerifyingKey) {
    let (body, sig) = bytes.split_at(bytes.len() - 64);
    let sig = Signature::from_slice(sig).expect("signature");
    let key = VerifyingKey::from_bytes(&key).expect("key");
    ([label, body].concat(), sig, key)
}

fn roster_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("roster_verify");
    let mut r = rng();
    for n in [16usize, 1024] {
        let admin = AccountKeyPair::generate(&mut r);
        let mut members = vec![Member::new(*admin.public(), Role::Admin)];
        members.extend(
            (1..n).map(|_| Member::new(*AccountKeyPair::generate(&mut r).public(), Role::Member)),
        );
        let roster = Roster::create(&admin, b"bench group", members)
            .expect("roster")
            .to_bytes();
        g.bench_function(BenchmarkId::new("qorgan", n), |b| {
            b.iter(|| black_box(Roster::from_bytes(&roster).expect("verifies")))
        });
        // The limit: the one signature, and the hash that is the roster's
        // head, without decoding or checking any rule.
        let (message, sig, key) = split(b"qorgan/v1/roster", &roster, admin.public().to_bytes());
        g.bench_function(BenchmarkId::new("limit", n), |b| {
            b.iter(|| {
                key.verify_strict(&message, &sig).expect("verifies");
                black_box(Sha256::digest(&roster))
            })
        });
    }
    g.finish();
}

fn certificate_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("certificate_verify");
    g.sample_size(20);
    let mut r = rng();
    let n = 1024usize;
    let ministry = IssuerKeyPair::generate(&mut r);
    let personnel = IssuerKeyPair::generate(&mut r);
    let anchors = [TrustAnchor::new(*ministry.public(), "Ministry")];
    let intermediate = Statement::certify_intermediate(
        &ministry,
        personnel.public(),
        1,
        NOW - 1,
        NOW + 86_400,
        vec![Claim::organisation("Personnel").expect("claim")],
    )
    .expect("intermediate");
    let presentations: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let account = AccountKeyPair::generate(&mut r);
            let leaf = Statement::certify_account(
                &personnel,
                account.public(),
                1000 + i as u64,
                NOW - 1,
                NOW + 86_400,
                vec![
                    Claim::display_name(&format!("Officer {i}")).expect("claim"),
                    Claim::unit("Staff").expect("claim"),
                ],
            )
            .expect("leaf");
            Presentation::new(vec![intermediate.clone(), leaf])
                .expect("presentation")
                .to_bytes()
        })
        .collect();
    g.bench_function(BenchmarkId::new("single", n), |b| {
        b.iter(|| {
            for p in &presentations {
                let p = Presentation::from_bytes(p).expect("decodes");
                black_box(p.verify(&anchors, &[], NOW).expect("verifies"));
            }
        })
    });
    let items: Vec<Item<'_>> = presentations
        .iter()
        .map(|p| Item::Presentation {
            presentation: p,
            anchors: &anchors,
            revocations: &[],
            now: NOW,
        })
        .collect();
    g.bench_function(BenchmarkId::new("batch", n), |b| {
        b.iter(|| {
            let verdicts = verify_batch(&items);
            assert!(verdicts.iter().all(Result::is_ok));
            black_box(verdicts)
        })
    });
    // The limit: the 2048 signatures in one ed25519-dalek batch.
    let mut messages = Vec::new();
    let mut sigs = Vec::new();
    let mut keys = Vec::new();
    for p in &presentations {
        let p = Presentation::from_bytes(p).expect("decodes");
        for s in p.statements() {
            let (m, sig, key) = split(b"qorgan/v1/statement", &s.to_bytes(), s.issuer().to_bytes());
            messages.push(m);
            sigs.push(sig);
            keys.push(key);
        }
    }
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    g.bench_function(BenchmarkId::new("limit", n), |b| {
        b.iter(|| ed25519_dalek::verify_batch(&refs, &sigs, &keys).expect("verifies"))
    });
    g.finish();
}

criterion_group!(benches, roster_verify, certificate_verify);
criterion_main!(benches);
