//! The binding timings' Rust baseline: the same operations, with the same
//! method (median of 7 rounds after a warm-up), through the `qorgan-ffi`
//! API that Kotlin, Swift and Python call, but from Rust: no foreign call,
//! no conversion of arguments. Quoted in bindings/README.md.
//!
//!     cargo run --release -p qorgan-ffi --example timing

use std::time::Instant;

use qorgan_ffi::{
    Device, Durability, GroupPolicy, GroupReceiver, QorganError, QueuedMessage, Session,
    StorageKey, StoreAccount, StoreOptions,
};

fn key32() -> Vec<u8> {
    vec![8u8; 32]
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median per-iteration time of `f` in microseconds.
fn per_call(
    iterations: u32,
    mut f: impl FnMut() -> Result<(), QorganError>,
) -> Result<f64, QorganError> {
    for _ in 0..iterations {
        f()?;
    }
    let mut samples = Vec::new();
    for _ in 0..7 {
        let t0 = Instant::now();
        for _ in 0..iterations {
            f()?;
        }
        samples.push(t0.elapsed().as_secs_f64() * 1e6 / f64::from(iterations));
    }
    Ok(median(samples))
}

/// The caller's clock (Unix seconds); the library reads none.
const NOW: i64 = 1_700_000_000;

fn main() -> Result<(), QorganError> {
    let alice = Device::new(NOW)?;
    let bob = Device::new(NOW)?;
    let a = alice.initiate(bob.bundle()?)?;
    let b = bob.accept(&a.encrypt(b"hello")?, NOW)?.session;
    a.decrypt(&b.encrypt(b"hi")?)?;

    let trivial = per_call(20_000, || a.is_pending().map(|_| ()))?;
    let p64: Vec<u8> = (0..64u8).collect();
    let p1k: Vec<u8> = (0..1024i64).map(|i| i as u8).collect();
    let rt64 = per_call(2_000, || b.decrypt(&a.encrypt(&p64)?).map(|_| ()))?;
    let rt1k = per_call(2_000, || b.decrypt(&a.encrypt(&p1k)?).map(|_| ()))?;

    // 1:1 catch-up: 500 queued messages, each round on a restored copy.
    let sealed_b = b.seal(key32())?;
    let (session_id, generation) = (b.session_id()?, b.generation()?);
    let queue_1to1 = (0..500)
        .map(|_| a.encrypt(&p64))
        .collect::<Result<Vec<_>, _>>()?;
    let mut catch_up = Vec::new();
    for round in 0..6 {
        let s = Session::open(key32(), sealed_b.clone(), session_id.clone(), generation)?;
        let t0 = Instant::now();
        let results = s.decrypt_batch(queue_1to1.clone())?;
        if round > 0 {
            catch_up.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        assert!(results.iter().all(|r| r.plaintext.is_some()));
    }

    let policy = GroupPolicy {
        max_messages: 1_000_000,
        max_age_secs: 86_400,
    };
    let group = alice.create_group(b"timing".to_vec(), policy, 0)?;
    let key = vec![9u8; 32];
    let receiver = GroupReceiver::new(group.distribution()?, alice.identity_key()?)?;
    let sealed = receiver.seal(key.clone())?;
    let open = || {
        GroupReceiver::open(
            key.clone(),
            sealed.clone(),
            b"timing".to_vec(),
            alice.identity_key()?,
            receiver.generation()?,
        )
    };
    let queue = (0..500)
        .map(|_| group.encrypt(&p64))
        .collect::<Result<Vec<_>, _>>()?;
    let (mut batch, mut single) = (Vec::new(), Vec::new());
    for round in 0..6 {
        let rx = open()?;
        let t0 = Instant::now();
        let results = rx.decrypt_batch(queue.clone())?;
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        assert!(results.iter().all(|r| r.decrypted.is_some()));
        if round > 0 {
            batch.push(ms);
        }
        let rx = open()?;
        let t0 = Instant::now();
        for m in &queue {
            rx.decrypt(m)?;
        }
        if round > 0 {
            single.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    println!("timing: trivial call (Session.is_pending)       {trivial:8.3} µs");
    println!("timing: encrypt+decrypt 64 B (1:1)             {rt64:8.2} µs");
    println!("timing: encrypt+decrypt 1 KiB (1:1)            {rt1k:8.2} µs");
    println!(
        "timing: group catch-up, 500 msgs, decrypt_batch {:7.2} ms",
        median(batch)
    );
    println!(
        "timing: group catch-up, 500 msgs, decrypt x500 {:8.2} ms",
        median(single)
    );
    println!(
        "timing: 1:1 catch-up, 500 msgs, decrypt_batch   {:7.2} ms",
        median(catch_up)
    );
    store_timings()
}

/// The store (files in a temporary directory, WAL, synchronous NORMAL): µs
/// per `StoreAccount::decrypt` of a 64-byte message, committed, and ms per
/// `decrypt_batch` of 500 queued messages; medians over rounds, each on
/// messages encrypted for it.
fn store_timings() -> Result<(), QorganError> {
    let dir = std::env::temp_dir().join(format!("qorgan-ffi-timing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| QorganError::Internal {
        reason: e.to_string(),
    })?;
    let options = StoreOptions {
        durability: Durability::Normal,
        device_label: String::new(),
        now: NOW,
    };
    let key = StorageKey::generate()?;
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let alice = StoreAccount::open(path("alice.db"), &key, options.clone())?;
    let bob = StoreAccount::open(path("bob.db"), &key, options)?;
    let (a_id, b_id) = (alice.identity()?, bob.identity()?);
    alice.update_contact(vec![bob.device_list()?])?;
    bob.update_contact(vec![alice.device_list()?])?;
    bob.start_session(alice.bundle()?)?;
    alice.decrypt(&b_id, &bob.encrypt(&a_id, &[0; 64])?.bytes, NOW)?;
    bob.decrypt(&a_id, &alice.encrypt(&b_id, &[0; 64])?.bytes, NOW)?;
    let p64: Vec<u8> = (0..64).collect();
    let queue = |n: usize| -> Result<Vec<QueuedMessage>, QorganError> {
        (0..n)
            .map(|_| {
                Ok(QueuedMessage {
                    sender: b_id.clone(),
                    bytes: bob.encrypt(&a_id, &p64)?.bytes,
                })
            })
            .collect()
    };
    let mut single = Vec::new();
    for round in 0..5 {
        let q = queue(200)?;
        let t0 = Instant::now();
        for m in &q {
            alice.decrypt(&m.sender, &m.bytes, NOW)?;
        }
        if round > 0 {
            single.push(t0.elapsed().as_secs_f64() * 1e6 / q.len() as f64);
        }
    }
    let mut batch = Vec::new();
    for round in 0..4 {
        let q = queue(500)?;
        let t0 = Instant::now();
        let r = alice.decrypt_batch(q, NOW)?;
        if round > 0 {
            batch.push(t0.elapsed().as_secs_f64() * 1e3);
        }
        assert!(r.iter().all(|r| r.delivery.is_some()));
    }
    drop((alice, bob));
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "timing: store decrypt 64 B + commit            {:8.2} µs",
        median(single)
    );
    println!(
        "timing: store catch-up, 500 msgs, decrypt_batch {:7.2} ms",
        median(batch)
    );
    Ok(())
}
