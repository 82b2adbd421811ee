//! Freed-memory scanner for the store's FFI calls (the scanner of
//! tests/tests/adversarial.rs, over this crate's calls): a global
//! allocator that, while armed, looks for a 32-byte pattern in every heap
//! block freed, and counts the blocks that still hold it.
//!
//! What is checked: the storage key's bytes (`StorageKey.from_bytes`,
//! `generate`, opening stores) and a plaintext marker sent and received
//! through `StoreAccount` (1:1 and group, `pending`, `ack`) are never left
//! in memory this layer frees. uniffi's own transport buffer (the one a
//! result is serialised into, freed by the foreign side after it copied
//! the bytes out) is outside what this layer controls; `lowered_results`
//! measures it and prints the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use qorgan_ffi::{
    Durability, RosterMember, RosterRole, StorageKey, StoreAccount, StoreDelivery, StoreOptions,
    UniFfiTag,
};

struct Watch;

static ARMED: AtomicBool = AtomicBool::new(false);
static PATTERN: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static FOUND: AtomicUsize = AtomicUsize::new(0);
static LOCK: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::Relaxed) && layout.size() >= 32 {
            let mut pattern = [0u8; 32];
            for (i, w) in PATTERN.iter().enumerate() {
                pattern[i * 8..i * 8 + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
            }
            // SAFETY: the block is still allocated until System.dealloc below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if block.windows(32).any(|w| w == pattern) {
                FOUND.fetch_add(1, Ordering::Relaxed);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// Runs `f` with the scanner armed for `secret`; returns how many freed
/// blocks still held it.
fn leaks_of<T>(secret: [u8; 32], f: impl FnOnce() -> T) -> (usize, T) {
    for (i, w) in PATTERN.iter().enumerate() {
        w.store(
            u64::from_le_bytes(secret[i * 8..i * 8 + 8].try_into().unwrap()),
            Ordering::Relaxed,
        );
    }
    FOUND.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::Relaxed);
    let out = f();
    ARMED.store(false, Ordering::Relaxed);
    (FOUND.load(Ordering::Relaxed), out)
}

const NOW: i64 = 1_790_000_000;
static N: AtomicU32 = AtomicU32::new(0);

fn path(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("qorgan-ffi-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}-{}.db", N.fetch_add(1, Ordering::Relaxed)))
        .to_string_lossy()
        .into_owned()
}

fn options() -> StoreOptions {
    StoreOptions {
        durability: Durability::Normal,
        device_label: "d".into(),
        now: NOW,
    }
}

/// A 32-byte marker, unlike anything else in memory.
fn marker(seed: u8) -> [u8; 32] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(seed) ^ 0x5a)
}

fn pair() -> (Arc<StoreAccount>, Arc<StoreAccount>) {
    let key = StorageKey::generate().unwrap();
    let a = StoreAccount::open(path("a"), &key, options()).unwrap();
    let b = StoreAccount::open(path("b"), &key, options()).unwrap();
    a.update_contact(vec![b.device_list().unwrap()]).unwrap();
    b.update_contact(vec![a.device_list().unwrap()]).unwrap();
    a.start_session(b.bundle().unwrap()).unwrap();
    (a, b)
}

#[test]
fn the_scanner_sees_an_unwiped_copy() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let m = marker(1);
    assert!(leaks_of(m, || drop(m.to_vec())).0 > 0);
}

#[test]
fn the_storage_key_is_not_left_in_freed_memory() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let secret = marker(2);
    let (leaks, ()) = leaks_of(secret, || {
        let key = StorageKey::from_bytes(secret.to_vec()).unwrap();
        let again = StorageKey::from_bytes(secret.to_vec()).unwrap();
        let a = StoreAccount::open(path("k"), &key, options()).unwrap();
        a.bundle().unwrap();
        drop(a);
        let a = StoreAccount::open(path("k2"), &again, options()).unwrap();
        drop((a, key, again));
    });
    assert_eq!(leaks, 0, "storage key bytes found in freed memory");
}

#[test]
fn plaintext_sent_and_received_through_the_store_is_not_left_in_freed_memory() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (a, b) = pair();
    let m = marker(3);
    let b_id = b.identity().unwrap();
    let a_id = a.identity().unwrap();
    let leaks = leaks_of(m, || {
        let out = a.encrypt(&b_id, &m).unwrap();
        let got = b.decrypt(&a_id, &out.bytes, NOW).unwrap();
        let StoreDelivery::Message { incoming } = got else {
            panic!("not a message")
        };
        assert_eq!(incoming.plaintext, m);
        let mut incoming = incoming;
        zeroize::Zeroize::zeroize(&mut incoming.plaintext);
        let mut pending = b.pending().unwrap();
        for p in &mut pending {
            zeroize::Zeroize::zeroize(&mut p.plaintext);
        }
        a.mark_sent(out.id).unwrap();
        pending[0].id
    });
    assert_eq!(leaks.0, 0, "1:1 plaintext found in freed memory");
    let _ = leaks.1;
}

/// `ack` decodes the inbox row (every message in it) and drops the
/// decoded messages: `qorgan_store::Incoming` wipes its plaintext on drop.
#[test]
fn acknowledging_does_not_leave_plaintext_in_freed_memory() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (a, b) = pair();
    let m = marker(6);
    let out = a.encrypt(&b.identity().unwrap(), &m).unwrap();
    let got = b.decrypt(&a.identity().unwrap(), &out.bytes, NOW).unwrap();
    let StoreDelivery::Message { mut incoming } = got else {
        panic!("not a message")
    };
    zeroize::Zeroize::zeroize(&mut incoming.plaintext);
    let (leaks, ()) = leaks_of(m, || b.ack(incoming.id).unwrap());
    assert_eq!(leaks, 0, "acknowledged plaintext found in freed memory");
}

#[test]
fn group_plaintext_is_not_left_in_freed_memory() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (a, b) = pair();
    let g = b"g".to_vec();
    let member = RosterMember {
        account_key: b.account_key().unwrap(),
        role: RosterRole::Member,
    };
    a.create_group(g.clone(), vec![member], NOW).unwrap();
    let invite = a.invite(g.clone(), b.identity().unwrap()).unwrap();
    let a_id = a.identity().unwrap();
    b.decrypt(&a_id, &invite.bytes, NOW).unwrap();
    let m = marker(4);
    let (leaks, ()) = leaks_of(m, || {
        let sent = a.group_encrypt(&g, &m, NOW).unwrap();
        for d in &sent.distributions {
            b.decrypt(&a_id, &d.bytes, NOW).unwrap();
        }
        let got = b.group_decrypt(&g, &a_id, &sent.message.bytes).unwrap();
        let StoreDelivery::Message { mut incoming } = got else {
            panic!("not a message")
        };
        zeroize::Zeroize::zeroize(&mut incoming.plaintext);
        let mut pending = b.pending().unwrap();
        for p in &mut pending {
            zeroize::Zeroize::zeroize(&mut p.plaintext);
        }
    });
    assert_eq!(leaks, 0, "group plaintext found in freed memory");
}

/// uniffi's transport: the result serialised into a RustBuffer, which the
/// foreign side frees after copying it out. Measured, not asserted.
#[test]
fn lowered_results() {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let (a, b) = pair();
    let m = marker(5);
    let b_id = b.identity().unwrap();
    let a_id = a.identity().unwrap();
    let out = a.encrypt(&b_id, &m).unwrap();
    let (leaks, ()) = leaks_of(m, || {
        let got = b.decrypt(&a_id, &out.bytes, NOW).unwrap();
        let buf = <StoreDelivery as uniffi::Lower<UniFfiTag>>::lower(got);
        buf.destroy();
    });
    println!("uniffi transport: {leaks} freed block(s) held the plaintext");
}
