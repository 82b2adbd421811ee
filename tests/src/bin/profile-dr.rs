//! A fixed workload for profiling the 1:1 hot path (docs/PERFORMANCE.md):
//! in-order 64-byte encrypt + decrypt pairs (default 20 000; first argument).
//!     cargo build --release -p qorgan-tests --bin profile-dr
//!     valgrind --tool=callgrind target/release/profile-dr

use qorgan::{IdentityKeyPair, PreKeyStore, Session};
use qorgan_tests::rng;

fn main() {
    let mut r = rng(1);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut store = PreKeyStore::new(&mut r, bob_id, 0);
    let alice_id = IdentityKeyPair::generate(&mut r);
    let mut alice = Session::initiate(&mut r, &alice_id, &store.bundle().unwrap()).unwrap();
    let m = alice.encrypt(&mut r, b"hi").unwrap();
    let (mut bob, _) = store.accept(&m, 0).unwrap();
    let m = bob.encrypt(&mut r, b"hi").unwrap();
    alice.decrypt(&m).unwrap();
    let pt = [0x5au8; 64];
    let mut total = 0usize;
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    for _ in 0..n {
        let m = alice.encrypt(&mut r, &pt).unwrap();
        total += bob.decrypt(&m).unwrap().len();
    }
    println!("{total}");
}
