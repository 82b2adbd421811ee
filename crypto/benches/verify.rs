//! Server-side verification: 1024 identity bindings from 1024 devices
//! (distinct keys, the worst case for batching), one by one and batched.

use std::hint::black_box;

use chacha20::ChaCha20Rng;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use qorgan::IdentityKeyPair;
use qorgan::verify::{Item, verify, verify_batch};
use rand_core::SeedableRng;

const N: usize = 1024;

fn bench(c: &mut Criterion) {
    let mut r = ChaCha20Rng::from_seed([8; 32]);
    let identities: Vec<Vec<u8>> = (0..N)
        .map(|_| IdentityKeyPair::generate(&mut r).public().to_bytes())
        .collect();
    let items: Vec<Item<'_>> = identities.iter().map(|b| Item::Identity(b)).collect();
    let mut g = c.benchmark_group("verify");
    g.sample_size(20);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function(BenchmarkId::new("single", N), |b| {
        b.iter(|| {
            for item in &items {
                black_box(verify(item).is_ok());
            }
        })
    });
    g.bench_function(BenchmarkId::new("batch", N), |b| {
        b.iter(|| black_box(verify_batch(&items)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
