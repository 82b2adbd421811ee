//! Real processes against one store file: a worker killed with SIGKILL at
//! random points, 200 times, and two workers at once. After each, every
//! message is delivered exactly once through the inbox, no two
//! ciphertexts share a message key, and the store opens.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use common::*;
use qorgan::IdentityKey;
use qorgan::roster::{Member, Role};
use qorgan_store::{Account, Delivery, Destination};
use rand_core::Rng;

const GROUP: &[u8] = b"ops";
const CHILD: &str = "QORGAN_STORE_CHILD";

/// The worker: opens Alice's store and runs random operations until it is
/// killed (mode "crash") or has run `ops` of them (mode "mixed:N").
#[test]
fn worker() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let dir = PathBuf::from(std::env::var("QORGAN_STORE_DIR").unwrap());
    let mut rng = qorgan::SystemRng::new().unwrap();
    let mut alice = Account::open(&dir.join("alice.db"), &key(31), &options("alice")).unwrap();
    let bob = IdentityKey::from_field_bytes(&std::fs::read(dir.join("bob.id")).unwrap()).unwrap();
    let inbound = read_queue(&dir.join("inbound.bin"));
    let ops: u64 = mode
        .strip_prefix("mixed:")
        .map_or(u64::MAX, |n| n.parse().unwrap());
    for _ in 0..ops {
        let mut r = [0u8; 16];
        rng.fill_bytes(&mut r);
        let body = r.to_vec();
        match r[0] % 10 {
            0..=4 => {
                alice.encrypt(&bob, &body).unwrap();
            }
            5 | 6 => {
                if !inbound.is_empty() {
                    let m = &inbound[usize::from(r[1]) % inbound.len()];
                    alice.decrypt(&bob, m, NOW).unwrap();
                }
            }
            7 | 8 => {
                alice.group_encrypt(GROUP, &body, NOW).unwrap();
            }
            _ => {
                alice.prekey_upload(NOW).unwrap();
            }
        }
    }
}

fn write_queue(path: &Path, messages: &[Vec<u8>]) {
    let mut out = Vec::new();
    for m in messages {
        out.extend_from_slice(&(m.len() as u32).to_be_bytes());
        out.extend_from_slice(m);
    }
    std::fs::write(path, out).unwrap();
}

fn read_queue(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut rest = bytes.as_slice();
    while rest.len() >= 4 {
        let n = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        out.push(rest[4..4 + n].to_vec());
        rest = &rest[4 + n..];
    }
    out
}

fn spawn(dir: &Path, mode: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["worker", "--exact", "--nocapture", "--test-threads", "1"])
        .env(CHILD, mode)
        .env("QORGAN_STORE_DIR", dir)
        .stdout(std::process::Stdio::null())
        .stderr(if mode == "crash" {
            std::process::Stdio::null()
        } else {
            std::process::Stdio::piped()
        })
        .spawn()
        .unwrap()
}

/// The message-key name of a ciphertext: (ratchet key, n) for 1:1
/// messages, (chain id, iteration) for group messages.
fn key_name(ct: &[u8]) -> Vec<u8> {
    match ct[1] {
        0x01 => ct[2..37].to_vec(),
        0x02 => {
            // identity, base key, two prekey ids, flag [, id], ML-KEM ct
            let flag_at = 2 + 128 + 32 + 8;
            let after = flag_at + 1 + if ct[flag_at] == 1 { 4 } else { 0 } + 1088;
            ct[after..after + 35].to_vec()
        }
        0x20 => [b"group".as_slice(), &ct[2..10]].concat(),
        t => panic!("unexpected type {t:#x}"),
    }
}

/// The test's server and checker.
struct World {
    dir: PathBuf,
    bob: Person,
    alice_id: IdentityKey,
    /// Distinct ciphertexts seen in Alice's outbox, by message-key name.
    keys: HashMap<Vec<u8>, Vec<u8>>,
    /// Bodies Bob received (each exactly once).
    at_bob: HashSet<Vec<u8>>,
    /// Bodies Alice received (each exactly once).
    at_alice: HashSet<Vec<u8>>,
    /// Every body Bob sent to Alice.
    sent_to_alice: HashSet<Vec<u8>>,
    round: u32,
}

fn setup(name: &str) -> World {
    let dir = path(name).with_extension("d");
    std::fs::create_dir_all(&dir).unwrap();
    let mut alice = Person {
        path: dir.join("alice.db"),
        key: key(31),
        account: Account::open(&dir.join("alice.db"), &key(31), &options("alice")).unwrap(),
    };
    let mut bob = person("bob", 32);
    introduce(&mut alice, &mut bob);
    alice
        .account
        .create_group(
            GROUP,
            &[Member::new(*bob.account.account_key(), Role::Member)],
            NOW,
        )
        .unwrap();
    let bob_id = *bob.account.identity();
    alice.account.invite(GROUP, &bob_id).unwrap();
    // Bob answers once, so both directions are established.
    deliver(&mut alice, &mut bob);
    std::fs::write(dir.join("bob.id"), bob_id.to_field_bytes()).unwrap();
    let alice_id = *alice.account.identity();
    World {
        dir,
        bob,
        alice_id,
        keys: HashMap::new(),
        at_bob: HashSet::new(),
        at_alice: HashSet::new(),
        sent_to_alice: HashSet::new(),
        round: 0,
    }
}

impl World {
    /// Bob queues `n` messages for Alice (the server holds them).
    fn queue_inbound(&mut self, n: usize) {
        let mut queue = Vec::new();
        for i in 0..n {
            let body = format!("bob {} {i}", self.round).into_bytes();
            let o = self.bob.account.encrypt(&self.alice_id, &body).unwrap();
            self.bob.account.mark_sent(o.id).unwrap();
            self.sent_to_alice.insert(body);
            queue.push(o.bytes);
        }
        write_queue(&self.dir.join("inbound.bin"), &queue);
        self.round += 1;
    }

    /// After the workers: the store opens; the server delivers Alice's
    /// outbox to Bob and redelivers Bob's queue to Alice; every check.
    fn settle(&mut self) {
        let mut alice = Account::open(&self.dir.join("alice.db"), &key(31), &options("alice"))
            .expect("the store opens after the kill");
        let alice_id = self.alice_id;
        for o in alice.outbox().unwrap() {
            let name = key_name(&o.bytes);
            match self.keys.get(&name) {
                Some(prev) => assert_eq!(prev, &o.bytes, "two ciphertexts under one message key"),
                None => {
                    self.keys.insert(name, o.bytes.clone());
                }
            }
            let got = match &o.to {
                Destination::Device(_) => {
                    self.bob.account.decrypt(&alice_id, &o.bytes, NOW).unwrap()
                }
                Destination::Group(g) => self
                    .bob
                    .account
                    .group_decrypt(g, &alice_id, &o.bytes)
                    .unwrap(),
            };
            if let Delivery::Message(m) = got {
                assert!(
                    self.at_bob.insert(m.plaintext.clone()),
                    "delivered twice to Bob"
                );
                self.bob.account.ack(m.id).unwrap();
            }
            alice.mark_sent(o.id).unwrap();
        }
        // The server never saw Alice's acknowledgements: it redelivers.
        for m in read_queue(&self.dir.join("inbound.bin")) {
            alice
                .decrypt(&self.bob.account.identity().clone(), &m, NOW)
                .unwrap();
        }
        for m in alice.pending().unwrap() {
            assert!(
                self.at_alice.insert(m.plaintext.clone()),
                "delivered twice to Alice"
            );
            alice.ack(m.id).unwrap();
        }
        for sent in &self.sent_to_alice {
            assert!(
                self.at_alice.contains(sent),
                "lost: {}",
                String::from_utf8_lossy(sent)
            );
        }
        assert!(alice.pending().unwrap().is_empty());
        assert!(alice.outbox().unwrap().is_empty());
    }
}

#[test]
fn a_worker_killed_at_random_points_200_times_loses_and_repeats_nothing() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let mut w = setup("crash");
    let mut rng = qorgan::SystemRng::new().unwrap();
    for _ in 0..200 {
        w.queue_inbound(3);
        let mut child = spawn(&w.dir, "crash");
        let mut r = [0u8; 1];
        rng.fill_bytes(&mut r);
        std::thread::sleep(Duration::from_millis(20 + u64::from(r[0]) / 4));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        w.settle();
    }
    assert!(!w.at_bob.is_empty(), "the workers sent something");
}

#[test]
fn two_processes_running_10_000_operations_on_one_store_lose_and_repeat_nothing() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    let mut w = setup("two");
    w.queue_inbound(100);
    let mut a = spawn(&w.dir, "mixed:5000");
    let mut b = spawn(&w.dir, "mixed:5000");
    for child in [&mut a, &mut b] {
        let status = child.wait().unwrap();
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            std::io::Read::read_to_string(&mut e, &mut err).unwrap();
        }
        assert!(status.success(), "worker failed: {err}");
    }
    w.settle();
    assert!(
        w.at_bob.len() > 3000,
        "{} messages reached Bob",
        w.at_bob.len()
    );
}
