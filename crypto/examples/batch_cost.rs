//! Measures what the batch verifier's cost model needs
//! (`primitives::ed25519`): the time of one combination per item, for items
//! under one key (a group catch-up) and under distinct keys (a server
//! batch), against single verification. Run in release:
//! `cargo run --release -p qorgan --example batch_cost`.

use std::time::Instant;

use qorgan::primitives::ed25519::{Ed25519SigningKey, Signature, verify_batch};
use qorgan::{CryptoRng, SystemRng};

fn signed(
    rng: &mut (impl CryptoRng + ?Sized),
    n: usize,
    keys: usize,
) -> Vec<(Vec<u8>, Signature, qorgan::Ed25519PublicKey)> {
    let signers: Vec<Ed25519SigningKey> = (0..keys)
        .map(|_| Ed25519SigningKey::generate(rng))
        .collect();
    (0..n)
        .map(|i| {
            let k = &signers[i % keys];
            let m = format!("message {i}").into_bytes();
            let s = k.sign(&m);
            (m, s, k.public_key())
        })
        .collect()
}

fn per_item(
    rounds: u32,
    items: &[(Vec<u8>, Signature, qorgan::Ed25519PublicKey)],
    batch: bool,
) -> f64 {
    let refs: Vec<(&[u8], &Signature, &qorgan::Ed25519PublicKey)> =
        items.iter().map(|(m, s, k)| (m.as_slice(), s, k)).collect();
    let start = Instant::now();
    for _ in 0..rounds {
        if batch {
            assert!(verify_batch(&refs).iter().all(|v| *v));
        } else {
            assert!(refs.iter().all(|(m, s, k)| k.verify(m, s)));
        }
    }
    start.elapsed().as_secs_f64() / f64::from(rounds) / items.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = SystemRng::new()?;
    for n in [64usize, 256, 1024] {
        let one_key = signed(&mut rng, n, 1);
        let many_keys = signed(&mut rng, n, n);
        let single = per_item(20, &one_key, false);
        let batch_one = per_item(20, &one_key, true);
        let batch_many = per_item(20, &many_keys, true);
        println!(
            "n={n}: single {:.1} us/item; one key: {:.2} of single; distinct keys: {:.2} of single",
            single * 1e6,
            batch_one / single,
            batch_many / single
        );
    }
    Ok(())
}
