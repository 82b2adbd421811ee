//! Test helpers: stores in fresh files, a server that delivers outboxes.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use qorgan::StorageKey;
use qorgan_store::{Account, Delivery, Destination, Options};

pub const NOW: u64 = 1_790_000_000;

static N: AtomicU32 = AtomicU32::new(0);

/// A fresh path for a store file (removed first if left over).
pub fn path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qorgan-store-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}-{}.db", N.fetch_add(1, Ordering::Relaxed)));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

pub fn key(byte: u8) -> StorageKey {
    StorageKey::from_bytes([byte; 32])
}

pub fn options(label: &str) -> Options {
    Options {
        device_label: label.into(),
        now: NOW,
        ..Options::default()
    }
}

/// A person with one device and a store.
pub struct Person {
    pub path: PathBuf,
    pub key: StorageKey,
    pub account: Account,
}

pub fn person(name: &str, k: u8) -> Person {
    let path = path(name);
    let key = key(k);
    let account = Account::open(&path, &key, &options(name)).unwrap();
    Person { path, key, account }
}

impl Person {
    pub fn reopen(&mut self) {
        self.account = Account::open(&self.path, &self.key, &options("x")).unwrap();
    }
}

/// `a` and `b` know each other's device lists, and `a` has a session
/// with `b` (its first message not sent yet).
pub fn introduce(a: &mut Person, b: &mut Person) {
    let la = a.account.device_list().unwrap();
    let lb = b.account.device_list().unwrap();
    a.account.update_contact(&[lb]).unwrap();
    b.account.update_contact(&[la]).unwrap();
    let bundle = b.account.bundle().unwrap();
    a.account.start_session(&bundle).unwrap();
}

/// Delivers every 1:1 outbox entry of `from` addressed to `to`'s device,
/// marks it sent, and returns what `to` made of each.
pub fn deliver(from: &mut Person, to: &mut Person) -> Vec<Delivery> {
    let me = *to.account.identity();
    let sender = *from.account.identity();
    let mut out = Vec::new();
    for o in from.account.outbox().unwrap() {
        if o.to == Destination::Device(me) {
            out.push(to.account.decrypt(&sender, &o.bytes, NOW).unwrap());
            from.account.mark_sent(o.id).unwrap();
        }
    }
    out
}

/// The plaintext of a delivery that must be a message.
pub fn text(d: &Delivery) -> Vec<u8> {
    match d {
        Delivery::Message(m) => m.plaintext.clone(),
        other => panic!("expected a message, got {other:?}"),
    }
}
