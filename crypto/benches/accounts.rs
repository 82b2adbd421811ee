//! Account benchmarks (issue 11): verifying a device list of N devices, and
//! one 64-byte message fanned out to the N devices of one account.
//! Criterion ids are fixed (docs/PERFORMANCE.md).

use std::hint::black_box;

use chacha20::ChaCha20Rng;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use qorgan::account::{Account, Contact, DeviceEntry, DeviceList, fanout};
use qorgan::{IdentityKeyPair, PreKeyStore, Session};
use rand_core::SeedableRng;

const NOW: u64 = 1_790_000_000;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([43; 32])
}

fn device_list_verify(c: &mut Criterion) {
    let mut g = c.benchmark_group("device_list_verify");
    let mut r = rng();
    for n in [1usize, 16] {
        let ids: Vec<IdentityKeyPair> = (0..n).map(|_| IdentityKeyPair::generate(&mut r)).collect();
        let key = qorgan::account::AccountKeyPair::generate(&mut r);
        let list = DeviceList::first(
            &key,
            ids.iter()
                .enumerate()
                .map(|(i, d)| DeviceEntry::new(*d.public(), &format!("device {i}")))
                .collect(),
        )
        .expect("list")
        .to_bytes();
        g.bench_function(BenchmarkId::new("qorgan", n), |b| {
            b.iter(|| black_box(DeviceList::from_bytes(&list).expect("verifies")))
        });
    }
    g.finish();
}

/// Alice's account and phone; Bob's account of `n` devices, each with an
/// established session from Alice's phone (normal messages, no handshake).
fn conversation(r: &mut ChaCha20Rng, n: usize) -> (Account, Contact, Vec<Session>) {
    let alice_phone = IdentityKeyPair::generate(r);
    let alice = Account::create(r, alice_phone.public(), "phone").expect("account");
    let bob_devices: Vec<IdentityKeyPair> = (0..n).map(|_| IdentityKeyPair::generate(r)).collect();
    let mut bob = Account::create(r, bob_devices[0].public(), "device 0").expect("account");
    for (i, d) in bob_devices.iter().enumerate().skip(1) {
        bob.add_device(d.public(), &format!("device {i}"))
            .expect("add");
    }
    let contact = Contact::pin(DeviceList::from_bytes(&bob.list().to_bytes()).expect("list"));
    let sessions = bob_devices
        .iter()
        .map(|d| {
            let mut store = PreKeyStore::new(r, d.clone(), NOW);
            store.generate_one_time_prekeys(r, 1);
            let mut s = Session::initiate(r, &alice_phone, &store.bundle().expect("bundle"))
                .expect("initiate");
            let first = s.encrypt(r, b"hi").expect("encrypt");
            let (mut theirs, _) = store.accept(&first, NOW).expect("accept");
            s.decrypt(&theirs.encrypt(r, b"hi").expect("reply"))
                .expect("decrypt");
            s
        })
        .collect();
    (alice, contact, sessions)
}

fn fanout_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("fanout");
    let mut r = rng();
    for n in [2usize, 16] {
        let (alice, mut contact, mut sessions) = conversation(&mut r, n);
        g.bench_function(BenchmarkId::new("qorgan", n), |b| {
            b.iter(|| {
                black_box(fanout(
                    &mut r,
                    &alice,
                    &mut contact,
                    &mut sessions,
                    &[7u8; 64],
                ))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, device_list_verify, fanout_bench);
criterion_main!(benches);
