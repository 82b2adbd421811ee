//! `account_negative.json`: inputs the account decoders and operations must
//! refuse (docs/PROTOCOL.md §14), each with its exact error, and the
//! accepted inputs at the edges: device lists (every decoding rule and
//! signature), server verification of continuity, link codes, provisioning
//! messages, account envelopes (their sender and recipient accounts), the account
//! and device rules of `receive`, a fan-out that reaches no device (the
//! heads schedule untouched), chain updates and the Account and Contact
//! states, plain and sealed.
//!
//! The generator makes its keys with `rng(ACCOUNT_NEGATIVE_SEED)`, builds
//! the malformed inputs by hand from the layouts of §14 and runs each case
//! through qorgan with [`run_case`], which `tests/tests/vectors.rs` also
//! uses to replay the committed file; `tests/tests/vectors/independent.rs`
//! decides every case from the spec alone. Lists used by several cases
//! (chains, states) are in `inputs.lists`, by name.

use std::collections::BTreeMap;

use qorgan::account::{
    Account, AccountKey, AccountKeyPair, Contact, DeviceEntry, DeviceList, Heads, LinkCode,
    LinkRequest, ListHead, fanout, open_envelope, receive, seal_envelope,
};
use qorgan::primitives::aead;
use qorgan::primitives::x25519::X25519SecretKey;
use qorgan::verify::{Item, verify};
use qorgan::{IdentityKey, IdentityKeyPair, StateOwner, StorageKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::account::{
    DEVICE_LIST_LABEL, account_json, base32, change_json, contact_json, head_json, heads_json,
    provisioning_key, provisioning_message, report_json, unbase32,
};
use super::case_table::CaseTable;
use super::group::add_l;
use super::group_negative::{Craft, bad_points, craft, sign, small_order_point};
use super::{ReplayRng, errors, text_json};
use crate::hex::{decode as unhex, encode as hx};

/// Seed of `account_negative.json`.
pub const ACCOUNT_NEGATIVE_SEED: u64 = 9;

fn sha256_hex(b: &[u8]) -> String {
    hx(&Sha256::digest(b))
}

fn h(v: &Value) -> Vec<u8> {
    unhex(v.as_str().unwrap_or_else(|| panic!("hex string: {v}"))).expect("hex")
}

fn h32(v: &Value) -> [u8; 32] {
    h(v).try_into().expect("32 bytes")
}

fn error((error, kind): (String, String)) -> Value {
    json!({"result": "error", "error": error, "kind": kind})
}

fn head_of(v: &Value) -> ListHead {
    ListHead {
        version: v["version"].as_u64().expect("version"),
        hash: h32(&v["hash"]),
    }
}

fn account_key_pair(seed: &[u8; 32]) -> AccountKeyPair {
    let mut r = ReplayRng::new([seed.to_vec()]);
    let k = AccountKeyPair::generate(&mut r);
    r.finish();
    k
}

fn verify_outcome(r: Result<(), qorgan::VerifyError>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => errors::verify(&e).0,
    }
}

/// Runs one case of `account_negative.json` through qorgan and returns its
/// outcome as the file records it; `lists` are `inputs.lists`. Every
/// refused call that takes state is checked to change nothing.
pub fn run_case(case: &Value, lists: &BTreeMap<String, Vec<u8>>) -> Value {
    let op = case["operation"].as_str().expect("operation");
    let input = || h(&case["input"]);
    let list = |n: &Value| {
        let name = n.as_str().expect("list name");
        DeviceList::from_bytes(lists.get(name).unwrap_or_else(|| panic!("no list {name}")))
            .expect("a listed list verifies")
    };
    let chain = || -> Vec<DeviceList> {
        case["chain"]
            .as_array()
            .expect("chain")
            .iter()
            .map(list)
            .collect()
    };
    let storage_key = || StorageKey::from_bytes(h32(&case["storage_key"]));
    match op {
        "device_list.decode" => {
            let input = input();
            let v = verify_outcome(verify(&Item::DeviceList(&input)));
            let mut out = match DeviceList::from_bytes(&input) {
                Ok(l) => {
                    assert_eq!(l.to_bytes(), input, "one list, one encoding");
                    json!({
                        "result": "ok",
                        "version": l.version(),
                        "devices": l.devices().len(),
                        "head": head_json(&l.head()),
                    })
                }
                Err(e) => error(errors::account(&e)),
            };
            out["verify"] = json!(v);
            out
        }
        "device_list.verify_after" => {
            let input = input();
            let account = AccountKey::from_bytes(&h32(&case["account"])).expect("account key");
            let item = Item::DeviceListAfter {
                account,
                previous: head_of(&case["previous"]),
                list: &input,
            };
            match verify(&item) {
                Ok(()) => json!({"result": "ok"}),
                Err(e) => error(errors::verify(&e)),
            }
        }
        "link_code.parse" => match LinkCode::parse(case["text"].as_str().expect("text")) {
            Ok(c) => json!({"result": "ok", "device": hx(&c.device().to_field_bytes())}),
            Err(e) => error(errors::account(&e)),
        },
        "provisioning.complete" => {
            let req = &case["request"];
            let device = IdentityKey::from_field_bytes(&h(&req["device"])).expect("identity");
            let mut r = ReplayRng::new([h(&req["link_key_secret"]), h(&req["link_secret"])]);
            let mut request = LinkRequest::new(&mut r, &device);
            r.finish();
            for m in case["before"].as_array().expect("before") {
                let _ = request.complete(&h(m));
            }
            match request.complete(&input()) {
                Ok((account, contacts)) => json!({
                    "result": "ok",
                    "account": account_json(&account),
                    "contacts": contacts.iter().map(contact_json).collect::<Vec<_>>(),
                    "state_sha256": sha256_hex(&account.to_bytes()),
                }),
                Err(e) => error(errors::account(&e)),
            }
        }
        "account.provision" => {
            let state = h(&case["state"]);
            let mut account = Account::from_bytes(&state).expect("account state");
            let code = LinkCode::parse(case["code"].as_str().expect("code")).expect("code");
            let mut contacts = Vec::new();
            for c in case["contacts"].as_array().expect("contacts") {
                let l = list(&c["list"]);
                for _ in 0..c["repeat"].as_u64().expect("repeat") {
                    contacts.push(Contact::pin(l.clone()));
                }
            }
            let contacts: Vec<&Contact> = contacts.iter().collect();
            let label = String::from_utf8(h(&case["label"]["hex"])).expect("utf-8");
            let mut r = ReplayRng::new([h(&case["ephemeral_secret"])]);
            let share = case["share_account_key"].as_bool().expect("share");
            match account.provision(&mut r, &code, &label, &contacts, share) {
                Ok(message) => {
                    r.finish();
                    json!({
                        "result": "ok",
                        "message": hx(&message),
                        "list": hx(&account.list().to_bytes()),
                        "state_after_sha256": sha256_hex(&account.to_bytes()),
                    })
                }
                Err(e) => {
                    assert_eq!(*account.to_bytes(), state, "a refusal changes nothing");
                    error(errors::account(&e))
                }
            }
        }
        "envelope.open" => {
            let input = input();
            match open_envelope(&input) {
                Ok(e) => json!({
                    "result": "ok",
                    "sender": hx(&e.sender.to_bytes()),
                    "recipient": hx(&e.recipient.to_bytes()),
                    "heads": e.heads.as_ref().map(heads_json),
                    "body": hx(e.body),
                }),
                Err(e) => error(errors::decode(&e)),
            }
        }
        "account.receive" => {
            let account = Account::from_bytes(&h(&case["state"])).expect("account state");
            let contact = Contact::from_bytes(&h(&case["contact"])).expect("contact state");
            let sender = IdentityKey::from_field_bytes(&h(&case["sender"])).expect("identity");
            let input = input();
            match receive(&account, &contact, &sender, &input) {
                Ok(got) => json!({
                    "result": "ok",
                    "body": hx(got.body),
                    "report": report_json(got.report.as_ref()),
                }),
                Err(e) => error(errors::account(&e)),
            }
        }
        "account.fanout" => {
            let account = Account::from_bytes(&h(&case["state"])).expect("account state");
            let state = h(&case["contact"]);
            let mut contact = Contact::from_bytes(&state).expect("contact state");
            assert!(
                case["sessions"].as_array().expect("sessions").is_empty(),
                "no sessions"
            );
            let mut r = ReplayRng::new(Vec::<Vec<u8>>::new());
            let deliveries = fanout(&mut r, &account, &mut contact, &mut [], &h(&case["body"]));
            r.finish();
            let after = contact.to_bytes().to_vec();
            // The next message: what the schedule gives it now.
            let next = contact.heads_to_send(account.head());
            json!({
                "result": "ok",
                "deliveries": deliveries.iter().map(|d| json!({
                    "device": hx(&d.device.to_field_bytes()),
                    "result": match &d.result {
                        Ok(_) => json!({"result": "ok"}),
                        Err(e) => error(errors::fanout(e)),
                    },
                })).collect::<Vec<_>>(),
                "contact_unchanged": after == state,
                "state_after_sha256": sha256_hex(&after),
                "next_heads": next.as_ref().map(heads_json),
            })
        }
        "contact.heads_to_send" => {
            let mut contact = Contact::from_bytes(&h(&case["state"])).expect("contact state");
            let heads = contact.heads_to_send(head_of(&case["own"]));
            json!({
                "result": "ok",
                "heads": heads.as_ref().map(heads_json),
                "state_after_sha256": sha256_hex(&contact.to_bytes()),
            })
        }
        "contact.update" => {
            let state = h(&case["state"]);
            let mut c = Contact::from_bytes(&state).expect("contact state");
            match c.update(&chain()) {
                Ok(change) => json!({
                    "result": "ok",
                    "change": change_json(&change),
                    "state_after_sha256": sha256_hex(&c.to_bytes()),
                }),
                Err(e) => {
                    assert_eq!(*c.to_bytes(), state, "a refused update changes nothing");
                    error(errors::account(&e))
                }
            }
        }
        "account.update" => {
            let state = h(&case["state"]);
            let mut a = Account::from_bytes(&state).expect("account state");
            match a.update(&chain()) {
                Ok(change) => json!({
                    "result": "ok",
                    "change": change_json(&change),
                    "is_listed": a.is_listed(),
                    "state_after_sha256": sha256_hex(&a.to_bytes()),
                }),
                Err(e) => {
                    assert_eq!(*a.to_bytes(), state, "a refused update changes nothing");
                    error(errors::account(&e))
                }
            }
        }
        "account.decode" => {
            let input = input();
            match Account::from_bytes(&input) {
                Ok(a) => {
                    assert_eq!(*a.to_bytes(), input, "one state, one encoding");
                    json!({"result": "ok", "account": account_json(&a)})
                }
                Err(e) => error(errors::state(&e)),
            }
        }
        "contact.decode" => {
            let input = input();
            match Contact::from_bytes(&input) {
                Ok(c) => {
                    assert_eq!(*c.to_bytes(), input, "one state, one encoding");
                    json!({"result": "ok", "contact": contact_json(&c)})
                }
                Err(e) => error(errors::state(&e)),
            }
        }
        "account.open" => {
            match Account::open(&storage_key(), &input(), &crate::vectors::expected_of(case)) {
                Ok(a) => json!({
                    "result": "ok",
                    "generation": a.generation(),
                    "state_sha256": sha256_hex(&a.to_bytes()),
                }),
                Err(e) => error(errors::state(&e)),
            }
        }
        "contact.open" => {
            match Contact::open(&storage_key(), &input(), &crate::vectors::expected_of(case)) {
                Ok(c) => json!({
                    "result": "ok",
                    "generation": c.generation(),
                    "state_sha256": sha256_hex(&c.to_bytes()),
                }),
                Err(e) => error(errors::state(&e)),
            }
        }
        other => panic!("unknown operation {other}"),
    }
}

// ---------------------------------------------------------- layouts

/// A device list's fields, to encode by hand (§14.1).
#[derive(Clone)]
struct Raw {
    account: [u8; 32],
    version: u64,
    previous: [u8; 32],
    /// `count(n)` as written, if not the number of devices.
    count: Option<u32>,
    devices: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Raw {
    fn body(&self) -> Vec<u8> {
        let mut b = vec![0x01, 0x30];
        b.extend_from_slice(&self.account);
        b.extend_from_slice(&self.version.to_be_bytes());
        b.extend_from_slice(&self.previous);
        let n = self.count.unwrap_or(self.devices.len() as u32);
        b.extend_from_slice(&n.to_be_bytes());
        for (identity, label) in &self.devices {
            b.extend_from_slice(identity);
            b.extend_from_slice(&(label.len() as u32).to_be_bytes());
            b.extend_from_slice(label);
        }
        b
    }

    /// Encoded and signed by the account seed `seed`.
    fn signed(&self, seed: &[u8; 32]) -> Vec<u8> {
        let body = self.body();
        let sig = sign(seed, &[DEVICE_LIST_LABEL, &body].concat());
        [body, sig.to_vec()].concat()
    }
}

fn with(b: &[u8], at: usize, v: u8) -> Vec<u8> {
    let mut b = b.to_vec();
    b[at] = v;
    b
}

fn xor(b: &[u8], at: usize, v: u8) -> Vec<u8> {
    let mut b = b.to_vec();
    b[at] ^= v;
    b
}

fn plus(b: &[u8], extra: &[u8]) -> Vec<u8> {
    [b, extra].concat()
}

fn bytes32(b: &[u8]) -> Vec<u8> {
    plus(&(b.len() as u32).to_be_bytes(), b)
}

/// An Account state (§14.7): `0x01 0x46 || flag || [seed] || device ||
/// bytes32(list)`.
fn account_state(seed: Option<&[u8; 32]>, device: &[u8], list: &[u8]) -> Vec<u8> {
    let mut b = vec![0x01, 0x46];
    match seed {
        Some(s) => {
            b.push(1);
            b.extend_from_slice(s);
        }
        None => b.push(0),
    }
    b.extend_from_slice(device);
    b.extend_from_slice(&bytes32(list));
    b
}

/// A Contact state (§14.7): `0x01 0x45 || bytes32(list) || flag ||
/// [sender head || peer head] || u32(messages since)`.
fn contact_state(list: &[u8], heads: Option<&Heads>, since: u32) -> Vec<u8> {
    let mut b = vec![0x01, 0x45];
    b.extend_from_slice(&bytes32(list));
    match heads {
        Some(h) => {
            b.push(1);
            for x in [&h.sender, &h.peer] {
                b.extend_from_slice(&x.version.to_be_bytes());
                b.extend_from_slice(&x.hash);
            }
        }
        None => b.push(0),
    }
    b.extend_from_slice(&since.to_be_bytes());
    b
}

/// `0x02 0x5E || kind || owner || u64(generation) || nonce ||
/// XChaCha20-Poly1305` (§7.1), made by hand.
fn seal_by_hand(
    key: &[u8; 32],
    kind: u8,
    owner: &[u8; 32],
    generation: u64,
    nonce: &[u8; 24],
    plain: &[u8],
) -> Vec<u8> {
    let ad = [&[0x02, 0x5E, kind][..], owner, &generation.to_be_bytes()].concat();
    let mut out = [&ad[..], nonce].concat();
    aead::xseal(key, nonce, &ad, plain, &mut out);
    out
}

// ------------------------------------------------------------- cases

struct Cases {
    table: CaseTable,
    lists: BTreeMap<String, Vec<u8>>,
}

impl Cases {
    fn add(&mut self, name: &str, about: &str, kind: &str, case: Value) {
        let lists = &self.lists;
        self.table
            .add(name, about, kind, case, |c| run_case(c, lists));
    }

    fn list(&mut self, name: &str, l: &DeviceList) {
        assert!(self.lists.insert(name.into(), l.to_bytes()).is_none());
    }
}

fn identity_from(seed: [u8; 32], x: [u8; 32]) -> IdentityKeyPair {
    let mut r = ReplayRng::new([seed.to_vec(), x.to_vec()]);
    let id = IdentityKeyPair::generate(&mut r);
    r.finish();
    id
}

fn draw32(rng: &mut chacha20::ChaCha20Rng) -> [u8; 32] {
    use rand_core::Rng;
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    b
}

/// Builds account_negative.json.
pub(super) fn account_negative_file() -> Value {
    let mut rng = crate::rng(ACCOUNT_NEGATIVE_SEED);
    let seeds: Vec<[u8; 32]> = (0..11).map(|_| draw32(&mut rng)).collect();
    let ids: Vec<IdentityKeyPair> = (0..5)
        .map(|i| identity_from(seeds[2 * i], seeds[2 * i + 1]))
        .collect();
    let [phone, tablet, laptop, alice_phone, mallory] = [0, 1, 2, 3, 4].map(|i| *ids[i].public());
    // Alice's Ed25519 key bound to another X25519 key: another identity.
    let alice_rekeyed = *identity_from(seeds[6], seeds[10]).public();
    let field = |k: &IdentityKey| k.to_field_bytes().to_vec();
    let bob_seed = draw32(&mut rng);
    let alice_seed = draw32(&mut rng);
    let other_seed = draw32(&mut rng);
    let kay_seed = draw32(&mut rng);
    let bob = account_key_pair(&bob_seed);
    let other = account_key_pair(&other_seed);
    let kay = account_key_pair(&kay_seed);
    let bob_key = bob.public().to_bytes();
    let e = |k: &IdentityKey, l: &str| DeviceEntry::new(*k, l);
    let l1 = DeviceList::first(&bob, vec![e(&phone, "phone")]).expect("v1");
    let l2 = l1.with_device(&bob, &tablet, "tablet").expect("v2");
    let l3 = l2.with_device(&bob, &laptop, "laptop").expect("v3");
    let l4 = l3.without_device(&bob, &tablet).expect("v4");
    let l2x = l1.with_device(&bob, &mallory, "tablet").expect("v2 fork");
    let l3x = l2x
        .with_device(&bob, &laptop, "laptop")
        .expect("v3 of the fork");
    let o1 = DeviceList::first(&other, vec![e(&phone, "phone")]).expect("other v1");
    let o3 = o1
        .with_device(&other, &tablet, "tablet")
        .and_then(|l| l.with_device(&other, &laptop, "laptop"))
        .expect("other v3");
    let a1 = DeviceList::first(&account_key_pair(&alice_seed), vec![e(&alice_phone, "")])
        .expect("alice v1");
    let mut kays = vec![DeviceList::first(&kay, vec![e(&phone, "phone")]).expect("k1")];
    for _ in 1..66 {
        let next = kays
            .last()
            .expect("k")
            .successor(&kay, vec![e(&phone, "phone")])
            .expect("k next");
        kays.push(next);
    }
    let mut c = Cases {
        table: CaseTable::default(),
        lists: BTreeMap::new(),
    };
    for (n, l) in [
        ("bob.v1", &l1),
        ("bob.v2", &l2),
        ("bob.v3", &l3),
        ("bob.v4", &l4),
        ("bob.v2-fork", &l2x),
        ("bob.v3-fork", &l3x),
        ("other.v1", &o1),
        ("other.v3", &o3),
        ("alice.v1", &a1),
    ] {
        c.list(n, l);
    }
    for (i, l) in kays.iter().enumerate() {
        c.list(&format!("kay.v{}", i + 1), l);
    }

    // ------------------------------------------ device lists (§14.1, §14.2)
    let dec = |b: &[u8]| json!({"operation": "device_list.decode", "input": hx(b)});
    // Bob's version 2, by hand: phone and tablet sorted by Ed25519 key.
    let mut two: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (field(&phone), b"phone".to_vec()),
        (field(&tablet), b"tablet".to_vec()),
    ];
    two.sort();
    let raw2 = Raw {
        account: bob_key,
        version: 2,
        previous: l1.head().hash,
        count: None,
        devices: two.clone(),
    };
    let v2 = raw2.signed(&bob_seed);
    assert_eq!(v2, l2.to_bytes(), "§14.1 layout");
    let n = v2.len();
    c.add("list valid", "Bob's version 2: two devices", "ok", dec(&v2));
    c.add(
        "list version 1 valid",
        "Bob's version 1: one device, previous all zero",
        "ok",
        dec(&l1.to_bytes()),
    );
    let edge_ids: Vec<IdentityKeyPair> = (0..32)
        .map(|_| IdentityKeyPair::generate(&mut rng))
        .collect();
    let mut full: Vec<(Vec<u8>, Vec<u8>)> = edge_ids
        .iter()
        .map(|i| (field(i.public()), vec![b'x'; 64]))
        .collect();
    full.sort();
    let raw32 = Raw {
        account: bob_key,
        version: 1,
        previous: [0; 32],
        count: None,
        devices: full.clone(),
    };
    let list32 = raw32.signed(&bob_seed);
    assert_eq!(list32.len(), qorgan::account::MAX_DEVICE_LIST_LEN);
    c.add(
        "list of 32 devices",
        "MAX_DEVICES_PER_ACCOUNT devices, each label MAX_DEVICE_LABEL_LEN bytes: MAX_DEVICE_LIST_LEN (6414) bytes",
        "ok",
        dec(&list32),
    );
    let extra = IdentityKeyPair::generate(&mut rng);
    let mut full33 = full.clone();
    full33.push((field(extra.public()), vec![]));
    full33.sort();
    let raw33 = Raw {
        devices: full33,
        ..raw32.clone()
    };
    c.add(
        "list of 33 devices",
        "one device more than MAX_DEVICES_PER_ACCOUNT: the count is refused",
        "DecodeError::TooLong(field: devices, len: 33, limit: 32)",
        dec(&raw33.signed(&bob_seed)),
    );
    c.add(
        "list empty",
        "no bytes",
        "DecodeError::Truncated(needed: 1)",
        dec(&[]),
    );
    c.add(
        "list version 0",
        "version byte 0",
        "DecodeError::UnsupportedVersion(0)",
        dec(&with(&v2, 0, 0)),
    );
    c.add(
        "list version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        dec(&with(&v2, 0, 2)),
    );
    c.add(
        "list version 2 and type 0x31",
        "the version is checked before the type",
        "DecodeError::UnsupportedVersion(2)",
        dec(&with(&with(&v2, 0, 2), 1, 0x31)),
    );
    c.add(
        "list type 0x31",
        "an account envelope's type",
        "DecodeError::UnexpectedType(0x31)",
        dec(&with(&v2, 1, 0x31)),
    );
    c.add(
        "list type 0x11",
        "a standalone identity's type",
        "DecodeError::UnexpectedType(0x11)",
        dec(&with(&v2, 1, 0x11)),
    );
    for (name, cut, needed) in [
        ("list truncated in the account key", 20, 14),
        ("list truncated in the version", 40, 2),
        ("list truncated in the previous hash", 50, 24),
        ("list truncated in the count", 76, 2),
    ] {
        c.add(
            name,
            &format!("the first {cut} bytes"),
            &format!("DecodeError::Truncated(needed: {needed})"),
            dec(&v2[..cut]),
        );
    }
    // After the count: n × 132 bytes must remain (§1 count rule).
    let after_count = 78;
    c.add(
        "list count beyond the input",
        "the count says 2 devices but only 200 bytes follow it",
        &format!("DecodeError::Truncated(needed: {})", 2 * 132 - 200),
        dec(&v2[..after_count + 200]),
    );
    let len0 = two[0].1.len();
    let second_end = after_count + 128 + 4 + len0 + 128;
    c.add(
        "list truncated in a device identity",
        "the second device's identity one byte short (the count check passes: 2 × 132 bytes remain)",
        "DecodeError::Truncated(needed: 1)",
        dec(&v2[..second_end - 1]),
    );
    c.add(
        "list truncated in a label length",
        "the input ends 2 bytes into the second label's length",
        "DecodeError::Truncated(needed: 2)",
        dec(&v2[..second_end + 2]),
    );
    c.add(
        "list cut before the count check",
        "the input ends inside the first label: fewer than 2 × 132 bytes follow the count",
        &format!(
            "DecodeError::Truncated(needed: {})",
            2 * 132 - (128 + 4 + 2)
        ),
        dec(&v2[..after_count + 128 + 4 + 2]),
    );
    let l1b = l1.to_bytes();
    c.add(
        "list truncated in a label",
        "version 1 (one device, label \"phone\") cut one byte before the label's end",
        "DecodeError::Truncated(needed: 1)",
        dec(&l1b[..after_count + 128 + 4 + 4]),
    );
    c.add(
        "list truncated in the signature",
        "the signature is one byte short",
        "DecodeError::Truncated(needed: 1)",
        dec(&v2[..n - 1]),
    );
    c.add(
        "list trailing byte",
        "one byte after the signature",
        "DecodeError::TrailingBytes(1)",
        dec(&plus(&v2, &[0])),
    );
    let raw = |f: &dyn Fn(&mut Raw)| {
        let mut r = raw2.clone();
        f(&mut r);
        r
    };
    c.add(
        "list count 3",
        "the count says 3 devices, two are encoded, signed",
        &format!(
            "DecodeError::Truncated(needed: {})",
            3 * 132 - (n - after_count)
        ),
        dec(&raw(&|r| r.count = Some(3)).signed(&bob_seed)),
    );
    c.add(
        "list count 4294967295",
        "count u32::MAX: above the limit",
        "DecodeError::TooLong(field: devices, len: 4294967295, limit: 32)",
        dec(&raw(&|r| r.count = Some(u32::MAX)).signed(&bob_seed)),
    );
    c.add(
        "list without devices",
        "count 0, signed: a list names at least one device",
        "AccountError::InvalidList(no devices)",
        dec(&raw(&|r| r.devices.clear()).signed(&bob_seed)),
    );
    c.add(
        "list label of 64 bytes",
        "MAX_DEVICE_LABEL_LEN bytes (UTF-8: 32 two-byte characters)",
        "ok",
        dec(&raw(&|r| r.devices[0].1 = "ә".repeat(32).into_bytes()).signed(&bob_seed)),
    );
    c.add(
        "list label of 65 bytes",
        "one byte more than MAX_DEVICE_LABEL_LEN",
        "DecodeError::TooLong(field: device label, len: 65, limit: 64)",
        dec(&raw(&|r| r.devices[0].1 = vec![b'a'; 65]).signed(&bob_seed)),
    );
    c.add(
        "list label not UTF-8",
        "a label holding the byte 0xFF",
        "DecodeError::InvalidField(device label is not UTF-8)",
        dec(&raw(&|r| r.devices[1].1 = vec![b'a', 0xFF]).signed(&bob_seed)),
    );
    c.add(
        "list label cut inside a character",
        "a label ending with the first byte of a two-byte character",
        "DecodeError::InvalidField(device label is not UTF-8)",
        dec(&raw(&|r| r.devices[0].1 = "ә".as_bytes()[..1].to_vec()).signed(&bob_seed)),
    );
    c.add(
        "list empty label",
        "a label of 0 bytes",
        "ok",
        dec(&raw(&|r| r.devices[0].1.clear()).signed(&bob_seed)),
    );
    c.add(
        "list devices descending",
        "the two devices in descending order of Ed25519 key, signed",
        "AccountError::InvalidList(devices not strictly ascending by Ed25519 key (or listed twice))",
        dec(&raw(&|r| r.devices.reverse()).signed(&bob_seed)),
    );
    c.add(
        "list device twice",
        "the first device listed twice (one label each), signed",
        "AccountError::InvalidList(devices not strictly ascending by Ed25519 key (or listed twice))",
        dec(&raw(&|r| r.devices[1] = (r.devices[0].0.clone(), b"again".to_vec())).signed(&bob_seed)),
    );
    c.add(
        "list devices descending, signature invalid",
        "the order rule is checked before any signature",
        "AccountError::InvalidList(devices not strictly ascending by Ed25519 key (or listed twice))",
        dec(&xor(&raw(&|r| r.devices.reverse()).signed(&bob_seed), n - 1, 1)),
    );
    c.add(
        "list devices descending, trailing byte",
        "trailing bytes are checked before the list rules",
        "DecodeError::TrailingBytes(1)",
        dec(&plus(
            &raw(&|r| r.devices.reverse()).signed(&bob_seed),
            &[0],
        )),
    );
    c.add(
        "list version 0 field",
        "version field 0 (previous all zero), signed",
        "DecodeError::InvalidField(device list version 0)",
        dec(&raw(&|r| {
            r.version = 0;
            r.previous = [0; 32];
        })
        .signed(&bob_seed)),
    );
    c.add(
        "list version 0 field, trailing byte",
        "the version and previous rules come before the trailing-bytes check",
        "DecodeError::InvalidField(device list version 0)",
        dec(&plus(
            &raw(&|r| {
                r.version = 0;
                r.previous = [0; 32];
            })
            .signed(&bob_seed),
            &[0],
        )),
    );
    c.add(
        "list version 1 with a previous hash",
        "version 1 whose previous hash is not all zero, signed",
        "DecodeError::InvalidField(previous hash must be zero exactly for version 1)",
        dec(&raw(&|r| r.version = 1).signed(&bob_seed)),
    );
    c.add(
        "list version 2 without a previous hash",
        "version 2 whose previous hash is all zero, signed",
        "DecodeError::InvalidField(previous hash must be zero exactly for version 1)",
        dec(&raw(&|r| r.previous = [0; 32]).signed(&bob_seed)),
    );
    c.add(
        "list version 2^64 - 1",
        "the largest version (it has no successor), signed",
        "ok",
        dec(&raw(&|r| r.version = u64::MAX).signed(&bob_seed)),
    );
    let (not_on_curve, non_canonical) = bad_points();
    let small = small_order_point();
    for (what, key, kind) in [
        (
            "small-order",
            small,
            "DecodeError::InvalidKey(ed25519 small-order point)",
        ),
        (
            "not on the curve",
            not_on_curve,
            "DecodeError::InvalidKey(ed25519 point)",
        ),
        (
            "non-canonical",
            non_canonical,
            "DecodeError::InvalidKey(ed25519 point)",
        ),
    ] {
        c.add(
            &format!("list account key {what}"),
            &format!("an account key that is {what} (§2.3)"),
            kind,
            dec(&raw(&|r| r.account = key).signed(&bob_seed)),
        );
        c.add(
            &format!("list device key {what}"),
            &format!("the first device's Ed25519 key is {what} (§2.3)"),
            kind,
            dec(&raw(&|r| r.devices[0].0[..32].copy_from_slice(&key)).signed(&bob_seed)),
        );
    }
    let rebound = |r: &mut Raw| {
        // The second device's X25519 key replaced: its binding fails.
        let x = *mallory.dh_key().as_bytes();
        r.devices[1].0[32..64].copy_from_slice(&x);
    };
    c.add(
        "list device binding invalid",
        "the second device's X25519 key replaced, the list signed again",
        "SignatureError::Invalid(IdentityBinding)",
        dec(&raw(&rebound).signed(&bob_seed)),
    );
    c.add(
        "list signature invalid",
        "the last byte of the account signature flipped",
        "SignatureError::Invalid(DeviceList)",
        dec(&xor(&v2, n - 1, 1)),
    );
    c.add(
        "list label changed",
        "a label byte changed after signing",
        "SignatureError::Invalid(DeviceList)",
        dec(&xor(&v2, after_count + 128 + 4, 0x20)),
    );
    c.add(
        "list binding and signature invalid",
        "both fail: the devices' bindings come first",
        "SignatureError::Invalid(IdentityBinding)",
        dec(&xor(&raw(&rebound).signed(&bob_seed), n - 1, 1)),
    );
    c.add(
        "list signed by another account key",
        "Bob's list with another account's key in the account field",
        "SignatureError::Invalid(DeviceList)",
        dec(&raw(&|r| r.account = other.public().to_bytes()).signed(&bob_seed)),
    );
    c.add(
        "list signature S + L",
        "S replaced by S + L (not canonical)",
        "SignatureError::Invalid(DeviceList)",
        dec(&plus(&v2[..n - 32], &add_l(&v2[n - 32..]))),
    );
    let body2 = raw2.body();
    let msg2 = [DEVICE_LIST_LABEL, &body2].concat();
    c.add(
        "list signature small-order R",
        "R of order 8 and S = k·a: the cofactored equation holds, the small-order R rule refuses it (§2.4)",
        "SignatureError::Invalid(DeviceList)",
        dec(&plus(&body2, &craft(&bob_seed, &bob_key, Craft::SmallOrderR, &msg2))),
    );
    c.add(
        "list signature torsioned R",
        "R = rB + T (T of order 8): accepted by the cofactored equation (§2.4); the head covers this signature",
        "ok",
        dec(&plus(&body2, &craft(&bob_seed, &bob_key, Craft::TorsionInR, &msg2))),
    );
    c.add(
        "list signature of another message",
        "Bob's version 1 signature on version 2's fields",
        "SignatureError::Invalid(DeviceList)",
        dec(&plus(&body2, &l1.to_bytes()[l1.to_bytes().len() - 64..])),
    );
    c.add(
        "list signed without the label",
        "the signature over the fields alone, without \"qorgan/v1/device-list\"",
        "SignatureError::Invalid(DeviceList)",
        dec(&plus(&body2, &sign(&bob_seed, &body2))),
    );

    // -------------------------------- server continuity (§14.8, DeviceListAfter)
    let after_of = |account: &[u8; 32], prev: &ListHead, b: &[u8]| json!({"operation": "device_list.verify_after", "account": hx(account), "previous": head_json(prev), "input": hx(b)});
    let after = |prev: &ListHead, b: &[u8]| after_of(&bob_key, prev, b);
    let (h1, h2) = (l1.head(), l2.head());
    c.add(
        "after valid",
        "bob.v2 after bob.v1's head",
        "ok",
        after(&h1, &v2),
    );
    c.add(
        "after a first list",
        "bob.v1 after the head {0, 0^32}: version 1's previous is all zero, so it follows it",
        "ok",
        after(
            &ListHead {
                version: 0,
                hash: [0; 32],
            },
            &l1.to_bytes(),
        ),
    );
    c.add(
        "after the same version",
        "bob.v2 after its own head",
        "VerifyError::NotSuccessor(version: 2, previous_version: 2)",
        after(&h2, &v2),
    );
    c.add(
        "after skipping a version",
        "bob.v3 after bob.v1's head",
        "VerifyError::NotSuccessor(version: 3, previous_version: 1)",
        after(&h1, &l3.to_bytes()),
    );
    c.add(
        "after another previous hash",
        "bob.v2 after version 1 with another hash (the fork's parent is not the held list)",
        "VerifyError::NotSuccessor(version: 2, previous_version: 1)",
        after(
            &ListHead {
                version: 1,
                hash: l2x.head().hash,
            },
            &v2,
        ),
    );
    c.add(
        "after a forked version 2",
        "bob.v3-fork (previous: bob.v2-fork's head) after bob.v2's head",
        "VerifyError::NotSuccessor(version: 3, previous_version: 2)",
        after(&h2, &l3x.to_bytes()),
    );
    c.add(
        "after the last version",
        "bob.v2 after a head of version 2^64 - 1 (no successor)",
        "VerifyError::NotSuccessor(version: 2, previous_version: 18446744073709551615)",
        after(
            &ListHead {
                version: u64::MAX,
                hash: h1.hash,
            },
            &v2,
        ),
    );
    c.add(
        "after: malformed list",
        "decoding comes first",
        "DecodeError::TrailingBytes(1)",
        after(&h2, &plus(&v2, &[0])),
    );
    c.add(
        "after: list rule",
        "a rule of §14.1 is a decoding error for verify",
        "DecodeError::InvalidField(no devices)",
        after(&h1, &raw(&|r| r.devices.clear()).signed(&bob_seed)),
    );
    c.add(
        "after: not a successor, signature invalid",
        "continuity is checked before the signatures",
        "VerifyError::NotSuccessor(version: 2, previous_version: 2)",
        after(&h2, &xor(&v2, n - 1, 1)),
    );
    c.add(
        "after: successor, signature invalid",
        "a successor whose signature fails",
        "SignatureError::Invalid(DeviceList)",
        after(&h1, &xor(&v2, n - 1, 1)),
    );
    // Another account's list whose previous field names Bob's held head:
    // it chains by version and hash, but it is not Bob's list.
    let other_key = other.public().to_bytes();
    let other_on_bob = Raw {
        account: other_key,
        ..raw2.clone()
    }
    .signed(&other_seed);
    c.add(
        "after another account's list naming the held head",
        "other's version 2 (phone, tablet), signed by other, its previous bob.v1's hash, checked against Bob's account at bob.v1's head: not Bob's list",
        "VerifyError::NotSuccessor(version: 2, previous_version: 1)",
        after(&h1, &other_on_bob),
    );
    c.add(
        "after another account's list, that account held",
        "the same list checked against other's account at bob.v1's head: it is other's list and follows that head",
        "ok",
        after_of(&other_key, &h1, &other_on_bob),
    );
    c.add(
        "after the account's successor, another account held",
        "bob.v2 checked against other's account at bob.v1's head",
        "VerifyError::NotSuccessor(version: 2, previous_version: 1)",
        after_of(&other_key, &h1, &v2),
    );
    c.add(
        "after another account's list, signature invalid",
        "other's list naming bob.v1's head, its signature broken: the account is checked before the signatures",
        "VerifyError::NotSuccessor(version: 2, previous_version: 1)",
        after(&h1, &xor(&other_on_bob, n - 1, 1)),
    );

    // --------------------------------------------- link codes (§14.4)
    let link_key_secret = draw32(&mut rng);
    let link_secret: [u8; 16] = draw32(&mut rng)[..16].try_into().expect("16");
    let mut r = ReplayRng::new([link_key_secret.to_vec(), link_secret.to_vec()]);
    let request_of = |device: &IdentityKey, r: &mut ReplayRng| LinkRequest::new(r, device);
    let request = request_of(&laptop, &mut r);
    r.finish();
    let code_text = request.code().to_string();
    let code = unbase32(&code_text);
    assert_eq!(code.len(), qorgan::account::LINK_CODE_LEN);
    let parse = |t: &str| json!({"operation": "link_code.parse", "text": t});
    let b32 = |b: &[u8]| base32(b);
    c.add(
        "code valid",
        "the laptop's link code",
        "ok",
        parse(&code_text),
    );
    let mut zero_key = code.clone();
    zero_key[130..162].fill(0);
    c.add(
        "code with a zero link key",
        "the link key all zero: parsing does not check it (provision refuses it, §14.4)",
        "ok",
        parse(&b32(&zero_key)),
    );
    let not_b32 = "AccountError::InvalidLinkCode(not base32 (RFC 4648, upper case, unpadded))";
    c.add(
        "code lower case",
        "the text in lower case",
        not_b32,
        parse(&code_text.to_lowercase()),
    );
    c.add(
        "code one lower-case letter",
        "the first letter in lower case",
        not_b32,
        parse(&format!(
            "{}{}",
            code_text[..1].to_lowercase(),
            &code_text[1..]
        )),
    );
    c.add(
        "code padded",
        "with the three '=' RFC 4648 padding would add",
        not_b32,
        parse(&format!("{code_text}===")),
    );
    c.add(
        "code with a space",
        "a space after the 8th character",
        not_b32,
        parse(&format!("{} {}", &code_text[..8], &code_text[8..])),
    );
    c.add(
        "code with a newline",
        "a newline at the end",
        not_b32,
        parse(&format!("{code_text}\n")),
    );
    for d in ['0', '1', '8', '9'] {
        c.add(
            &format!("code with the digit {d}"),
            "a digit outside the alphabet (A–Z, 2–7) in place of the first character",
            not_b32,
            parse(&format!("{d}{}", &code_text[1..])),
        );
    }
    let last = code_text.chars().last().expect("last");
    let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
        .iter()
        .position(|x| *x == last as u8)
        .expect("digit")
        | 1;
    c.add(
        "code with a non-zero padding bit",
        "285 characters carry 1425 bits for 1424: the last character's unused low bit set",
        not_b32,
        parse(&format!(
            "{}{}",
            &code_text[..284],
            char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[v])
        )),
    );
    c.add(
        "code one character more",
        "286 characters (an impossible length: 6 characters beyond a 5-byte group)",
        not_b32,
        parse(&format!("{code_text}A")),
    );
    // 284 characters: 177 bytes and 4 bits, the high half of the last
    // byte: canonical only if those are zero.
    let (kind, why) = if code[177] >> 4 == 0 {
        (
            "DecodeError::Truncated(needed: 1)",
            "its 4 extra bits are zero: 177 bytes, one short",
        )
    } else {
        (
            not_b32,
            "its 4 extra bits (the high half of the last byte) are not zero",
        )
    };
    c.add(
        "code one character less",
        &format!("284 characters: {why}"),
        kind,
        parse(&code_text[..284]),
    );
    c.add(
        "code empty",
        "the empty text: no bytes",
        "DecodeError::Truncated(needed: 1)",
        parse(""),
    );
    c.add(
        "code version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        parse(&b32(&with(&code, 0, 2))),
    );
    c.add(
        "code type 0x30",
        "a device list's type",
        "DecodeError::UnexpectedType(0x30)",
        parse(&b32(&with(&code, 1, 0x30))),
    );
    c.add(
        "code truncated in the identity",
        "100 bytes",
        "DecodeError::Truncated(needed: 30)",
        parse(&b32(&code[..100])),
    );
    c.add(
        "code truncated in the link key",
        "150 bytes",
        "DecodeError::Truncated(needed: 12)",
        parse(&b32(&code[..150])),
    );
    c.add(
        "code truncated in the link secret",
        "177 bytes",
        "DecodeError::Truncated(needed: 1)",
        parse(&b32(&code[..177])),
    );
    c.add(
        "code trailing byte",
        "179 bytes",
        "DecodeError::TrailingBytes(1)",
        parse(&b32(&plus(&code, &[0]))),
    );
    c.add(
        "code five zero bytes more",
        "8 more 'A's: five zero bytes after the code",
        "DecodeError::TrailingBytes(5)",
        parse(&format!("{code_text}AAAAAAAA")),
    );
    c.add(
        "code identity binding invalid",
        "a byte of the identity's X25519 key changed",
        "SignatureError::Invalid(IdentityBinding)",
        parse(&b32(&xor(&code, 40, 1))),
    );
    c.add(
        "code identity binding invalid, then truncated",
        "the identity is verified as soon as it is read: its binding fails before the missing link key is noticed",
        "SignatureError::Invalid(IdentityBinding)",
        parse(&b32(&xor(&code, 40, 1)[..140])),
    );
    c.add(
        "code identity key small-order",
        "the identity's Ed25519 key of small order",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        parse(&b32(&[&code[..2], &small[..], &code[34..]].concat())),
    );

    // ------------------------------------- provisioning messages (§14.4)
    let bob_device = phone;
    let bob_state_key = account_state(Some(&bob_seed), &field(&bob_device), &l2.to_bytes());
    let bob_state_nokey = account_state(None, &field(&bob_device), &l2.to_bytes());
    let alice_contact = Contact::pin(a1.clone());
    let mut bob_account = Account::from_bytes(&bob_state_key).expect("bob");
    let eph = draw32(&mut rng);
    let eph2 = draw32(&mut rng);
    let mut r = ReplayRng::new([eph.to_vec()]);
    let parsed = LinkCode::parse(&code_text).expect("code");
    let message = bob_account
        .provision(&mut r, &parsed, "laptop", &[&alice_contact], true)
        .expect("provision");
    r.finish();
    let l3_laptop = bob_account.list().clone();
    let mut bob_account2 = Account::from_bytes(&bob_state_key).expect("bob");
    let mut r = ReplayRng::new([eph2.to_vec()]);
    let message_nokey = bob_account2
        .provision(&mut r, &parsed, "", &[], false)
        .expect("provision");
    r.finish();
    c.list("bob.v3-laptop", &l3_laptop);
    let eph_pub = *X25519SecretKey::from_bytes(&eph).public_key().as_bytes();
    let link_key: [u8; 32] = code[130..162].try_into().expect("32");
    let (_, _, pkey) = provisioning_key(&eph, &link_key, &link_secret, &code, &eph_pub);
    let crafted = |payload: &[u8]| provisioning_message(&pkey, &eph_pub, payload);
    let payload_of = |seed: Option<&[u8; 32]>, list: &[u8], contacts: &[&[u8]]| {
        let mut p = match seed {
            Some(s) => plus(&[1], s),
            None => vec![0],
        };
        p.extend_from_slice(&bytes32(list));
        p.extend_from_slice(&(contacts.len() as u32).to_be_bytes());
        for c in contacts {
            p.extend_from_slice(&bytes32(c));
        }
        p
    };
    let good_payload = payload_of(Some(&bob_seed), &l3_laptop.to_bytes(), &[&a1.to_bytes()]);
    assert_eq!(crafted(&good_payload), message, "§14.4 layout");
    let request_json = |device: &IdentityKey, lks: &[u8; 32], ls: &[u8]| json!({"device": hx(&field(device)), "link_key_secret": hx(lks), "link_secret": hx(ls)});
    let req = request_json(&laptop, &link_key_secret, &link_secret);
    let complete = |before: &[&[u8]], m: &[u8]| {
        json!({
            "operation": "provisioning.complete",
            "request": req,
            "before": before.iter().map(|b| hx(b)).collect::<Vec<_>>(),
            "input": hx(m),
        })
    };
    let pf = "AccountError::ProvisioningFailed";
    c.add(
        "provisioning valid",
        "with the account key and Alice's list",
        "ok",
        complete(&[], &message),
    );
    c.add(
        "provisioning valid without the account key",
        "flag 0, no contacts, an empty label",
        "ok",
        complete(&[], &message_nokey),
    );
    c.add(
        "provisioning replayed",
        "the same message after it completed",
        pf,
        complete(&[&message], &message),
    );
    c.add(
        "provisioning a second message",
        "another valid message after one completed: a request completes once",
        pf,
        complete(&[&message], &message_nokey),
    );
    let m = message.len();
    c.add(
        "provisioning after a refusal",
        "a modified message first (refused), then the valid one: a refusal leaves the request usable",
        "ok",
        complete(&[&xor(&message, m - 1, 1)], &message),
    );
    let other_lks = draw32(&mut rng);
    let other_ls: [u8; 16] = draw32(&mut rng)[..16].try_into().expect("16");
    c.add(
        "provisioning for another request",
        "given to another device's request",
        pf,
        json!({"operation": "provisioning.complete", "request": request_json(&tablet, &other_lks, &other_ls), "before": [], "input": hx(&message)}),
    );
    c.add(
        "provisioning for the same device, another request",
        "the laptop's second request (another link key and secret)",
        pf,
        json!({"operation": "provisioning.complete", "request": request_json(&laptop, &other_lks, &other_ls), "before": [], "input": hx(&message)}),
    );
    c.add(
        "provisioning with another link secret",
        "the laptop's link key, another link secret",
        pf,
        json!({"operation": "provisioning.complete", "request": request_json(&laptop, &link_key_secret, &other_ls), "before": [], "input": hx(&message)}),
    );
    for (name, at) in [
        ("version byte", 0usize),
        ("type byte", 1),
        ("ephemeral key", 10),
        ("ciphertext", 40),
        ("tag", m - 1),
    ] {
        c.add(
            &format!("provisioning modified {name}"),
            &format!("byte {at} changed"),
            pf,
            complete(&[], &xor(&message, at, 0x04)),
        );
    }
    c.add(
        "provisioning version 2",
        "version byte 2 (not authenticated as such: any change fails)",
        pf,
        complete(&[], &with(&message, 0, 2)),
    );
    c.add("provisioning empty", "no bytes", pf, complete(&[], &[]));
    c.add(
        "provisioning header only",
        "34 bytes: no ciphertext, no tag",
        pf,
        complete(&[], &message[..34]),
    );
    c.add(
        "provisioning truncated in the ephemeral key",
        "20 bytes",
        pf,
        complete(&[], &message[..20]),
    );
    c.add(
        "provisioning tag short",
        "15 bytes after the header",
        pf,
        complete(&[], &message[..49]),
    );
    c.add(
        "provisioning trailing byte",
        "one byte appended (the tag no longer matches)",
        pf,
        complete(&[], &plus(&message, &[0])),
    );
    c.add(
        "provisioning zero ephemeral key",
        "ephemeral key all zero: the X25519 output is all zero (§2.5)",
        pf,
        complete(&[], &[&message[..2], &[0u8; 32], &message[34..]].concat()),
    );
    let auth = |name: &str, about: &str, kind: &str, payload: &[u8]| {
        (
            name.to_string(),
            about.to_string(),
            kind.to_string(),
            crafted(payload),
        )
    };
    let l3_bytes = l3_laptop.to_bytes();
    let a1_bytes = a1.to_bytes();
    let wrong_list = l2.to_bytes();
    let mut cases_auth = vec![
        auth(
            "provisioning payload empty",
            "an authentic empty payload",
            "DecodeError::Truncated(needed: 1)",
            &[],
        ),
        auth(
            "provisioning flag 2",
            "account-key flag 2",
            "DecodeError::InvalidField(account key flag)",
            &with(&good_payload, 0, 2),
        ),
        auth(
            "provisioning flag 1 without a seed",
            "flag 1 and 10 bytes",
            "DecodeError::Truncated(needed: 22)",
            &good_payload[..11],
        ),
        auth(
            "provisioning list too long",
            "a list length of MAX_DEVICE_LIST_LEN + 1",
            "DecodeError::TooLong(field: device list, len: 6415, limit: 6414)",
            &[&[0][..], &6415u32.to_be_bytes(), &[0u8; 6415]].concat(),
        ),
        auth(
            "provisioning contacts 10001",
            "MAX_PROVISIONED_CONTACTS + 1 contacts",
            "DecodeError::TooLong(field: contacts, len: 10001, limit: 10000)",
            &[
                &payload_of(None, &l3_bytes, &[])[..1 + 4 + l3_bytes.len()],
                &10001u32.to_be_bytes(),
            ]
            .concat(),
        ),
        auth(
            "provisioning contacts beyond the input",
            "a count of 2 and one contact: the count check passes (2 × 4 bytes remain), the second length is missing",
            "DecodeError::Truncated(needed: 4)",
            &with(
                &payload_of(None, &l3_bytes, &[&a1_bytes]),
                1 + 4 + l3_bytes.len() + 3,
                2,
            ),
        ),
        auth(
            "provisioning contact list too long",
            "a contact's length of MAX_DEVICE_LIST_LEN + 1",
            "DecodeError::TooLong(field: contact device list, len: 6415, limit: 6414)",
            &[
                &payload_of(None, &l3_bytes, &[])[..1 + 4 + l3_bytes.len()],
                &1u32.to_be_bytes(),
                &6415u32.to_be_bytes(),
            ]
            .concat(),
        ),
        auth(
            "provisioning payload trailing byte",
            "one byte after the contacts",
            "DecodeError::TrailingBytes(1)",
            &plus(&good_payload, &[0]),
        ),
        auth(
            "provisioning list without the device",
            "a valid list that does not name the laptop (bob.v2)",
            "AccountError::InvalidList(this device is not in the list)",
            &payload_of(Some(&bob_seed), &wrong_list, &[]),
        ),
        auth(
            "provisioning list without the device, seed of another account",
            "a valid list that does not name the laptop (bob.v2) and another account's key: the list is checked for this device first",
            "AccountError::InvalidList(this device is not in the list)",
            &payload_of(Some(&other_seed), &wrong_list, &[]),
        ),
        auth(
            "provisioning seed of another account",
            "the account key of another account with Bob's list",
            "AccountError::WrongAccount",
            &payload_of(Some(&other_seed), &l3_bytes, &[]),
        ),
        auth(
            "provisioning list signature invalid",
            "the list's last byte flipped",
            "SignatureError::Invalid(DeviceList)",
            &payload_of(None, &xor(&l3_bytes, l3_bytes.len() - 1, 1), &[]),
        ),
        auth(
            "provisioning list malformed",
            "the list's version byte 2",
            "DecodeError::UnsupportedVersion(2)",
            &payload_of(None, &with(&l3_bytes, 0, 2), &[]),
        ),
        auth(
            "provisioning contact signature invalid",
            "Alice's list with its last byte flipped",
            "SignatureError::Invalid(DeviceList)",
            &payload_of(None, &l3_bytes, &[&xor(&a1_bytes, a1_bytes.len() - 1, 1)]),
        ),
        auth(
            "provisioning contact without devices",
            "a contact list with no device (signed by Alice's key)",
            "AccountError::InvalidList(no devices)",
            &payload_of(
                None,
                &l3_bytes,
                &[&Raw {
                    account: a1.account().to_bytes(),
                    version: 1,
                    previous: [0; 32],
                    count: None,
                    devices: vec![],
                }
                .signed(&alice_seed)],
            ),
        ),
        auth(
            "provisioning list and contact invalid",
            "the device's list is checked before the contacts",
            "SignatureError::Invalid(DeviceList)",
            &payload_of(
                None,
                &xor(&l3_bytes, l3_bytes.len() - 1, 1),
                &[&with(&a1_bytes, 0, 2)],
            ),
        ),
        auth(
            "provisioning made by hand",
            "an authentic payload without the account key and with the contact twice",
            "ok",
            &payload_of(None, &l3_bytes, &[&a1_bytes, &a1_bytes]),
        ),
    ];
    for (name, about, kind, m) in cases_auth.drain(..) {
        c.add(&name, &about, &kind, complete(&[], &m));
    }
    c.add(
        "provisioning after an authentic refusal",
        "an authentic payload refused (flag 2), then the valid message: the request stays usable",
        "ok",
        complete(&[&crafted(&with(&good_payload, 0, 2))], &message),
    );

    // --------------------------------------- Account::provision (§14.4)
    let prov =
        |state: &[u8], text: &str, label: &[u8], contacts: Value, share: bool, e: &[u8; 32]| {
            json!({
                "operation": "account.provision",
                "state": hx(state),
                "code": text,
                "label": text_json(label),
                "contacts": contacts,
                "share_account_key": share,
                "ephemeral_secret": hx(e),
            })
        };
    let one_contact = json!([{"list": "alice.v1", "repeat": 1}]);
    c.add(
        "provision valid",
        "Bob's phone links the laptop with the account key and Alice",
        "ok",
        prov(
            &bob_state_key,
            &code_text,
            b"laptop",
            one_contact.clone(),
            true,
            &eph,
        ),
    );
    c.add(
        "provision valid without the account key",
        "no key, no contact, a label of 64 bytes",
        "ok",
        prov(
            &bob_state_key,
            &code_text,
            &[b'L'; 64],
            json!([]),
            false,
            &eph2,
        ),
    );
    c.add(
        "provision without the account key",
        "a device that was not given the account key",
        "AccountError::NoAccountKey",
        prov(
            &bob_state_nokey,
            &code_text,
            b"laptop",
            json!([]),
            false,
            &eph,
        ),
    );
    let tablet_code = {
        let mut r = ReplayRng::new([other_lks.to_vec(), other_ls.to_vec()]);
        let rq = request_of(&tablet, &mut r);
        rq.code().to_string()
    };
    c.add(
        "provision a listed device",
        "the tablet is in bob.v2 already",
        "AccountError::InvalidList(device already listed)",
        prov(
            &bob_state_key,
            &tablet_code,
            b"tablet",
            json!([]),
            false,
            &eph,
        ),
    );
    c.add(
        "provision a label of 65 bytes",
        "one byte more than MAX_DEVICE_LABEL_LEN",
        "AccountError::InvalidList(label longer than MAX_DEVICE_LABEL_LEN)",
        prov(
            &bob_state_key,
            &code_text,
            &[b'L'; 65],
            json!([]),
            false,
            &eph,
        ),
    );
    c.add(
        "provision 10001 contacts",
        "MAX_PROVISIONED_CONTACTS + 1 contacts (checked first, even without the account key)",
        "AccountError::InvalidList(more than MAX_PROVISIONED_CONTACTS contacts)",
        prov(
            &bob_state_nokey,
            &code_text,
            b"laptop",
            json!([{"list": "alice.v1", "repeat": 10001}]),
            false,
            &eph,
        ),
    );
    c.add(
        "provision a listed device without the account key",
        "the account key is needed before the list is looked at",
        "AccountError::NoAccountKey",
        prov(
            &bob_state_nokey,
            &tablet_code,
            b"tablet",
            json!([]),
            false,
            &eph,
        ),
    );
    c.add(
        "provision a zero link key",
        "a code whose link key is all zero: the exchange is not contributory (§2.5); the ephemeral secret is drawn first",
        "AccountError::InvalidLinkCode(non-contributory link key)",
        prov(&bob_state_key, &b32(&zero_key), b"laptop", json!([]), false, &eph),
    );
    // A full list: 32 devices (the phone among them).
    let mut full_entries: Vec<DeviceEntry> = edge_ids
        .iter()
        .take(31)
        .map(|i| DeviceEntry::new(*i.public(), "d"))
        .collect();
    full_entries.push(DeviceEntry::new(phone, "phone"));
    let full_list = DeviceList::first(&bob, full_entries).expect("32 devices");
    c.add(
        "provision a 33rd device",
        "the account's list holds MAX_DEVICES_PER_ACCOUNT devices",
        "AccountError::InvalidList(more than MAX_DEVICES_PER_ACCOUNT devices)",
        prov(
            &account_state(Some(&bob_seed), &field(&phone), &full_list.to_bytes()),
            &code_text,
            b"laptop",
            json!([]),
            false,
            &eph,
        ),
    );

    // ----------------------------------------- account envelopes (§14.5)
    // From Alice's account to Bob's: what Alice's devices send him.
    let bob_account = AccountKey::from_bytes(&bob_key).expect("bob");
    let alice_key = a1.account().to_bytes();
    let alice_account = *a1.account();
    let heads = Heads {
        sender: l2.head(),
        peer: a1.head(),
    };
    let env = seal_envelope(&alice_account, &bob_account, Some(&heads), b"body");
    let env0 = seal_envelope(&alice_account, &bob_account, None, b"body");
    assert_eq!(
        env0,
        [&[0x01, 0x31][..], &alice_key, &bob_key, &[0], b"body"].concat(),
        "§14.5 layout"
    );
    // The sender account at 2..34, the recipient at 34..66, the flags at 66.
    let open = |b: &[u8]| json!({"operation": "envelope.open", "input": hx(b)});
    c.add(
        "envelope with heads",
        "from Alice's account to Bob's, flags 1, two heads, a body",
        "ok",
        open(&env),
    );
    c.add(
        "envelope without heads",
        "from Alice's account to Bob's, flags 0, a body",
        "ok",
        open(&env0),
    );
    c.add(
        "envelope empty body",
        "flags 0, nothing after: 67 bytes",
        "ok",
        open(&env0[..67]),
    );
    c.add(
        "envelope heads, empty body",
        "flags 1, the heads, nothing after: 147 bytes",
        "ok",
        open(&env[..147]),
    );
    c.add(
        "envelope same sender and recipient",
        "Bob's account as both: decoding does not compare them (receive does)",
        "ok",
        open(&seal_envelope(&bob_account, &bob_account, None, b"body")),
    );
    c.add(
        "envelope empty",
        "no bytes",
        "DecodeError::Truncated(needed: 1)",
        open(&[]),
    );
    c.add(
        "envelope header only",
        "0x01 0x31: the sender account is missing",
        "DecodeError::Truncated(needed: 32)",
        open(&env[..2]),
    );
    c.add(
        "envelope truncated in the sender",
        "0x01 0x31 and 20 bytes of the sender account",
        "DecodeError::Truncated(needed: 12)",
        open(&env[..22]),
    );
    c.add(
        "envelope without a recipient",
        "0x01 0x31 and the sender account: the recipient account is missing",
        "DecodeError::Truncated(needed: 32)",
        open(&env[..34]),
    );
    c.add(
        "envelope truncated in the recipient",
        "0x01 0x31, the sender account and 20 bytes of the recipient account",
        "DecodeError::Truncated(needed: 12)",
        open(&env[..54]),
    );
    c.add(
        "envelope without flags",
        "0x01 0x31 and both accounts: the flags are missing",
        "DecodeError::Truncated(needed: 1)",
        open(&env[..66]),
    );
    c.add(
        "envelope version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        open(&with(&env, 0, 2)),
    );
    c.add(
        "envelope type 0x30",
        "a device list's type",
        "DecodeError::UnexpectedType(0x30)",
        open(&with(&env, 1, 0x30)),
    );
    c.add(
        "envelope in the old layout",
        "0x01 0x31 || recipient (Bob's account) || flags 0 || a 4-byte body, no sender account: Bob's key is read as the sender, the flags and body as the start of the recipient",
        "DecodeError::Truncated(needed: 27)",
        open(&[&[0x01, 0x31][..], &bob_key, &[0], b"body"].concat()),
    );
    c.add(
        "envelope without accounts",
        "0x01 0x31 || flags 0 || a 4-byte body: the flags and body are read as the start of the sender",
        "DecodeError::Truncated(needed: 27)",
        open(&[&[0x01, 0x31, 0][..], b"body"].concat()),
    );
    for (what, key, kind) in [
        (
            "small-order",
            small,
            "DecodeError::InvalidKey(ed25519 small-order point)",
        ),
        (
            "not on the curve",
            not_on_curve,
            "DecodeError::InvalidKey(ed25519 point)",
        ),
        (
            "non-canonical",
            non_canonical,
            "DecodeError::InvalidKey(ed25519 point)",
        ),
    ] {
        c.add(
            &format!("envelope sender {what}"),
            &format!("a sender account key that is {what} (§2.3)"),
            kind,
            open(&[&env0[..2], &key[..], &env0[34..]].concat()),
        );
        c.add(
            &format!("envelope recipient {what}"),
            &format!("a recipient account key that is {what} (§2.3)"),
            kind,
            open(&[&env0[..34], &key[..], &env0[66..]].concat()),
        );
    }
    c.add(
        "envelope sender non-canonical, recipient small-order",
        "both keys malformed: the sender is read first",
        "DecodeError::InvalidKey(ed25519 point)",
        open(&[&env0[..2], &non_canonical[..], &small[..], &env0[66..]].concat()),
    );
    c.add(
        "envelope sender small-order, recipient truncated",
        "a small-order sender and 20 bytes of the recipient: the sender is refused before the recipient is read",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        open(&[&env0[..2], &small[..], &env0[34..54]].concat()),
    );
    c.add(
        "envelope recipient small-order, flags 2",
        "a small-order recipient and unknown flags: the recipient is read first",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        open(&[&env0[..34], &small[..], &[2], b"body"].concat()),
    );
    c.add(
        "envelope flags 2",
        "an unknown flag bit",
        "DecodeError::InvalidField(account envelope flags)",
        open(&with(&env0, 66, 2)),
    );
    c.add(
        "envelope flags 3",
        "the heads bit and an unknown bit",
        "DecodeError::InvalidField(account envelope flags)",
        open(&with(&env, 66, 3)),
    );
    c.add(
        "envelope flags 0x80",
        "the top bit",
        "DecodeError::InvalidField(account envelope flags)",
        open(&with(&env0, 66, 0x80)),
    );
    c.add(
        "envelope truncated in the sender head",
        "flags 1 and 20 bytes",
        "DecodeError::Truncated(needed: 20)",
        open(&env[..87]),
    );
    c.add(
        "envelope truncated in the peer head",
        "flags 1, the sender head, 4 bytes",
        "DecodeError::Truncated(needed: 4)",
        open(&env[..111]),
    );
    c.add(
        "envelope truncated in a head's hash",
        "flags 1, the sender head, the peer's version and 30 bytes",
        "DecodeError::Truncated(needed: 2)",
        open(&env[..145]),
    );

    // ------------------------------------------------ receive (§14.5)
    // Bob's phone at bob.v4 (phone and laptop; the tablet was removed), in
    // its conversation with Alice (alice.v1).
    let bob_v4_state = account_state(None, &field(&phone), &l4.to_bytes());
    let alice_at_bob = contact_state(&a1.to_bytes(), None, 0);
    let other_account = o1.account().to_bytes();
    let env_fromto = |from: &[u8; 32], to: &[u8; 32], heads: Option<&Heads>, body: &[u8]| {
        let from = AccountKey::from_bytes(from).expect("account key");
        let to = AccountKey::from_bytes(to).expect("account key");
        seal_envelope(&from, &to, heads, body)
    };
    let from_alice_heads = Heads {
        sender: a1.head(),
        peer: l4.head(),
    };
    let from_own_heads = Heads {
        sender: l4.head(),
        peer: a1.head(),
    };
    // Alice's devices write from her account to Bob's; Bob's other devices
    // from Bob's account to the conversation's, Alice's.
    let env_from_alice = env_fromto(&alice_key, &bob_key, Some(&from_alice_heads), b"hi");
    let env_from_own = env_fromto(&bob_key, &alice_key, Some(&from_own_heads), b"hi");
    let recv_with = |contact: &[u8], sender: &IdentityKey, input: &[u8]| {
        json!({
            "operation": "account.receive",
            "state": hx(&bob_v4_state),
            "contact": hx(contact),
            "sender": hx(&field(sender)),
            "input": hx(input),
        })
    };
    let recv = |sender: &IdentityKey, input: &[u8]| recv_with(&alice_at_bob, sender, input);
    c.add(
        "receive from the contact",
        "Alice's phone, from Alice's account to Bob's, heads as held",
        "ok",
        recv(&alice_phone, &env_from_alice),
    );
    c.add(
        "receive from an own device",
        "Bob's laptop (in bob.v4), from Bob's account to Alice's: the heads read the other way round",
        "ok",
        recv(&laptop, &env_from_own),
    );
    c.add(
        "receive from this device",
        "Bob's phone, the receiving device itself, from Bob's account to Alice's",
        "AccountError::DeviceNotListed",
        recv(&phone, &env_from_own),
    );
    c.add(
        "receive from a removed device",
        "Bob's tablet, removed in bob.v4, from Bob's account to Alice's",
        "AccountError::DeviceNotListed",
        recv(&tablet, &env_from_own),
    );
    c.add(
        "receive from an unlisted device",
        "a device in neither list, from Alice's account to Bob's",
        "AccountError::DeviceNotListed",
        recv(&mallory, &env_from_alice),
    );
    c.add(
        "receive from an unlisted device naming this account",
        "a device in neither list, from Bob's account to Alice's",
        "AccountError::DeviceNotListed",
        recv(&mallory, &env_from_own),
    );
    c.add(
        "receive from a re-keyed identity",
        "Alice's Ed25519 key bound to another X25519 key: identities are compared whole (128 bytes)",
        "AccountError::DeviceNotListed",
        recv(&alice_rekeyed, &env_from_alice),
    );
    c.add(
        "receive ghost naming the contact's account",
        "Bob's laptop (in Bob's list, not in Alice's) writes from Alice's account to Bob's: the envelope names Alice, so Alice's list decides",
        "AccountError::DeviceNotListed",
        recv(&laptop, &env_from_alice),
    );
    c.add(
        "receive ghost naming this account",
        "Alice's phone (in Alice's list, not in Bob's) writes from Bob's account to Alice's: the envelope names Bob, so Bob's list decides",
        "AccountError::DeviceNotListed",
        recv(&alice_phone, &env_from_own),
    );
    c.add(
        "receive unlisted with a malformed envelope",
        "a device in neither list, flags 2: the envelope is decoded first",
        "DecodeError::InvalidField(account envelope flags)",
        recv(&mallory, &with(&env0, 66, 2)),
    );
    c.add(
        "receive unlisted and misaddressed",
        "a device in neither list, from Alice's account to another account: the accounts are compared before the sender is looked up",
        "AccountError::Misaddressed",
        recv(&mallory, &env_fromto(&alice_key, &other_account, None, b"hi")),
    );
    c.add(
        "receive malformed envelope",
        "from Alice's phone, flags 2",
        "DecodeError::InvalidField(account envelope flags)",
        recv(&alice_phone, &with(&env0, 66, 2)),
    );
    c.add(
        "receive not an envelope",
        "from Alice's phone, a 1:1 plaintext that is not an account envelope",
        "DecodeError::UnsupportedVersion(104)",
        recv(&alice_phone, b"hello"),
    );
    c.add(
        "receive old envelope layout",
        "from Alice's phone, 0x01 0x31 || Bob's account || flags 0 || \"hi\" (no sender account)",
        "DecodeError::Truncated(needed: 29)",
        recv(
            &alice_phone,
            &[&[0x01, 0x31][..], &bob_key, &[0], b"hi"].concat(),
        ),
    );
    c.add(
        "receive without heads",
        "from Alice's phone, from Alice's account to Bob's, no heads: no report",
        "ok",
        recv(&alice_phone, &env0),
    );
    for (what, key, kind) in [
        (
            "small-order",
            small,
            "DecodeError::InvalidKey(ed25519 small-order point)",
        ),
        (
            "non-canonical",
            non_canonical,
            "DecodeError::InvalidKey(ed25519 point)",
        ),
    ] {
        c.add(
            &format!("receive sender {what}"),
            &format!("from Alice's phone, a sender account key that is {what}"),
            kind,
            recv(&alice_phone, &[&env0[..2], &key[..], &env0[34..]].concat()),
        );
        c.add(
            &format!("receive recipient {what}"),
            &format!("from Alice's phone, a recipient account key that is {what}"),
            kind,
            recv(&alice_phone, &[&env0[..34], &key[..], &env0[66..]].concat()),
        );
    }
    c.add(
        "receive unlisted, sender small-order",
        "a device in neither list, a small-order sender account key: decoding comes first",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        recv(&mallory, &[&env0[..2], &small[..], &env0[34..]].concat()),
    );
    c.add(
        "receive from the contact addressed to another account",
        "Alice's phone wrote to another account that lists Bob's phone too (other.v1): meant for another conversation",
        "AccountError::Misaddressed",
        recv(
            &alice_phone,
            &env_fromto(&alice_key, &other_account, Some(&from_alice_heads), b"hi"),
        ),
    );
    c.add(
        "receive from the contact addressed to the contact",
        "Alice's phone, from Alice's account to Alice's",
        "AccountError::Misaddressed",
        recv(
            &alice_phone,
            &env_fromto(&alice_key, &alice_key, None, b"hi"),
        ),
    );
    c.add(
        "receive from the contact, sender another account",
        "Alice's phone, from another account (other.v1) to Bob's: the envelope names neither conversation's sender",
        "AccountError::Misaddressed",
        recv(
            &alice_phone,
            &env_fromto(&other_account, &bob_key, None, b"hi"),
        ),
    );
    c.add(
        "receive from an own device addressed to this account",
        "Bob's laptop, from Bob's account to Bob's",
        "AccountError::Misaddressed",
        recv(
            &laptop,
            &env_fromto(&bob_key, &bob_key, Some(&from_own_heads), b"hi"),
        ),
    );
    c.add(
        "receive from an own device addressed to another account",
        "Bob's laptop, from Bob's account to another account (its conversation with someone else)",
        "AccountError::Misaddressed",
        recv(&laptop, &env_fromto(&bob_key, &other_account, None, b"hi")),
    );
    c.add(
        "receive from this device addressed to another account",
        "Bob's phone itself, from Bob's account to another account: Misaddressed before DeviceNotListed",
        "AccountError::Misaddressed",
        recv(&phone, &env_fromto(&bob_key, &other_account, None, b"hi")),
    );
    c.add(
        "receive from the contact to the contact's contact",
        "Alice's phone, from Bob's account to Bob's",
        "AccountError::Misaddressed",
        recv(&alice_phone, &env_fromto(&bob_key, &bob_key, None, b"hi")),
    );
    c.add(
        "receive misaddressed with a malformed envelope",
        "from Alice's phone, to another account, flags 2: the envelope is decoded before the accounts are compared",
        "DecodeError::InvalidField(account envelope flags)",
        recv(
            &alice_phone,
            &with(
                &env_fromto(&alice_key, &other_account, None, b"hi"),
                66,
                2,
            ),
        ),
    );
    // Alice's version 2 lists Bob's laptop too (any account can list any
    // device): the envelope's accounts decide whose words they are.
    let a2 = a1
        .with_device(&account_key_pair(&alice_seed), &laptop, "")
        .expect("alice v2");
    c.list("alice.v2", &a2);
    let alice_v2_at_bob = contact_state(&a2.to_bytes(), None, 0);
    let from_alice_v2_heads = Heads {
        sender: a2.head(),
        peer: l4.head(),
    };
    c.add(
        "receive from a device in both lists, naming the contact's account",
        "Bob's laptop, listed by Alice's alice.v2 too, from Alice's account to Bob's: attributed to Alice (her list lists it)",
        "ok",
        recv_with(
            &alice_v2_at_bob,
            &laptop,
            &env_fromto(&alice_key, &bob_key, Some(&from_alice_v2_heads), b"hi"),
        ),
    );
    c.add(
        "receive from a device in both lists, naming this account",
        "Bob's laptop, listed by Alice's alice.v2 too, from Bob's account to Alice's: attributed to Bob (his list lists it)",
        "ok",
        recv_with(
            &alice_v2_at_bob,
            &laptop,
            &env_fromto(&bob_key, &alice_key, Some(&from_own_heads), b"hi"),
        ),
    );
    c.add(
        "receive from a device in both lists, addressed to this account by this account",
        "Bob's laptop, listed by both, from Bob's account to Bob's",
        "AccountError::Misaddressed",
        recv_with(
            &alice_v2_at_bob,
            &laptop,
            &env_fromto(&bob_key, &bob_key, None, b"hi"),
        ),
    );
    c.add(
        "receive from a device in both lists, another account",
        "Bob's laptop, listed by both, from another account to Bob's",
        "AccountError::Misaddressed",
        recv_with(
            &alice_v2_at_bob,
            &laptop,
            &env_fromto(&other_account, &bob_key, None, b"hi"),
        ),
    );
    c.add(
        "receive from a device in both lists, contact's list held before",
        "Bob's laptop, from Alice's account to Bob's, Bob holding alice.v1 (without the laptop): Alice's held list decides",
        "AccountError::DeviceNotListed",
        recv(
            &laptop,
            &env_fromto(&alice_key, &bob_key, Some(&from_alice_v2_heads), b"hi"),
        ),
    );
    c.add(
        "receive from the contact's phone naming this account, contact lists the laptop",
        "Alice's phone, from Bob's account to Alice's, Bob holding alice.v2: Bob's list decides",
        "AccountError::DeviceNotListed",
        recv_with(&alice_v2_at_bob, &alice_phone, &env_from_own),
    );

    // ----------------------------------------------- fan-out (§14.5)
    // Every device without a session: nobody got the message, so the heads
    // schedule does not count it.
    let fan = |contact: &[u8]| {
        json!({
            "operation": "account.fanout",
            "state": hx(&bob_v4_state),
            "contact": hx(contact),
            "sessions": [],
            "body": hx(b"hi"),
        })
    };
    c.add(
        "fanout no session, heads never sent",
        "Bob's phone to Alice, no session with any device: every delivery NoSession; the contact is unchanged and the next message still carries the heads",
        "ok",
        fan(&alice_at_bob),
    );
    c.add(
        "fanout no session, heads sent 5 messages ago",
        "the same, the contact having sent the heads 5 messages ago: the count stays 5",
        "ok",
        fan(&contact_state(&a1.to_bytes(), Some(&from_own_heads), 5)),
    );
    c.add(
        "fanout no session, heads due by count",
        "the same, HEADS_EVERY_MESSAGES − 1 messages since the heads: the count stays 31, the next message carries them",
        "ok",
        fan(&contact_state(&a1.to_bytes(), Some(&from_own_heads), 31)),
    );
    c.add(
        "fanout no session, heads outdated",
        "the same, the heads sent naming bob.v1 (Bob's list has changed since): nothing counted, the next message carries the new heads",
        "ok",
        fan(&contact_state(
            &a1.to_bytes(),
            Some(&Heads {
                sender: l1.head(),
                peer: a1.head(),
            }),
            3,
        )),
    );

    // Contact::heads_to_send counts every call (the caller sends what it
    // returns): the same contacts, Bob's phone's head given.
    let hts = |contact: &[u8]| {
        json!({
            "operation": "contact.heads_to_send",
            "state": hx(contact),
            "own": head_json(&l4.head()),
        })
    };
    c.add(
        "heads_to_send, heads never sent",
        "Contact::heads_to_send on a contact that never sent heads: the heads, counted as sent (count 0)",
        "ok",
        hts(&alice_at_bob),
    );
    c.add(
        "heads_to_send, heads sent 5 messages ago",
        "the same heads sent 5 messages ago: nothing, the count goes to 6",
        "ok",
        hts(&contact_state(&a1.to_bytes(), Some(&from_own_heads), 5)),
    );
    c.add(
        "heads_to_send, heads due by count",
        "HEADS_EVERY_MESSAGES − 1 messages since: the heads again, the count back to 0",
        "ok",
        hts(&contact_state(&a1.to_bytes(), Some(&from_own_heads), 31)),
    );

    // ---------------------------------------- chain updates (§14.3)
    let up = |op: &str, state: &[u8], chain: &[&str]| json!({"operation": op, "state": hx(state), "chain": chain});
    let contact_at = |l: &DeviceList| contact_state(&l.to_bytes(), None, 0);
    let (c1, c2, c3) = (contact_at(&l1), contact_at(&l2), contact_at(&l3));
    let cu = |s: &[u8], chain: &[&str]| up("contact.update", s, chain);
    c.add(
        "update one version",
        "from bob.v1 over bob.v2",
        "ok",
        cu(&c1, &["bob.v2"]),
    );
    c.add(
        "update the whole chain",
        "from bob.v1 over bob.v1 … bob.v4 (the held list may lead)",
        "ok",
        cu(&c1, &["bob.v1", "bob.v2", "bob.v3", "bob.v4"]),
    );
    c.add(
        "update empty chain",
        "no list: nothing changes",
        "ok",
        cu(&c2, &[]),
    );
    c.add(
        "update the held list",
        "bob.v2 at bob.v2: nothing changes",
        "ok",
        cu(&c2, &["bob.v2"]),
    );
    c.add(
        "update the held list twice",
        "bob.v2, bob.v2, bob.v3 at bob.v2",
        "ok",
        cu(&c2, &["bob.v2", "bob.v2", "bob.v3"]),
    );
    c.add(
        "update rolled back one version",
        "bob.v2 at bob.v3",
        "AccountError::RolledBack(held: 3, offered: 2)",
        cu(&c3, &["bob.v2"]),
    );
    c.add(
        "update rolled back to version 1",
        "bob.v1 at bob.v3",
        "AccountError::RolledBack(held: 3, offered: 1)",
        cu(&c3, &["bob.v1"]),
    );
    c.add(
        "update rolled back inside the chain",
        "bob.v2, bob.v3, bob.v2 at bob.v1: the third goes back from the newest reached; nothing is kept",
        "AccountError::RolledBack(held: 3, offered: 2)",
        cu(&c1, &["bob.v2", "bob.v3", "bob.v2"]),
    );
    let hx_head = |h: &ListHead| errors::head(h);
    c.add(
        "update fork at the held version",
        "bob.v2-fork (another version 2) at bob.v2",
        &format!(
            "AccountError::Fork(held: {}, seen: {})",
            hx_head(&l2.head()),
            hx_head(&l2x.head())
        ),
        cu(&c2, &["bob.v2-fork"]),
    );
    c.add(
        "update fork that does not chain",
        "bob.v3-fork (its previous is bob.v2-fork's head) at bob.v2: seen is {2, its previous}",
        &format!(
            "AccountError::Fork(held: {}, seen: {})",
            hx_head(&l2.head()),
            hx_head(&ListHead {
                version: 2,
                hash: l2x.head().hash
            })
        ),
        cu(&c2, &["bob.v3-fork"]),
    );
    c.add(
        "update fork inside the chain",
        "bob.v2, bob.v3-fork at bob.v1: the fork is against bob.v2, reached in the chain",
        &format!(
            "AccountError::Fork(held: {}, seen: {})",
            hx_head(&l2.head()),
            hx_head(&ListHead {
                version: 2,
                hash: l2x.head().hash
            })
        ),
        cu(&c1, &["bob.v2", "bob.v3-fork"]),
    );
    c.add(
        "update gap",
        "bob.v4 at bob.v2",
        "AccountError::Gap(from: 3, to: 4)",
        cu(&c2, &["bob.v4"]),
    );
    c.add(
        "update gap inside the chain",
        "bob.v2, bob.v4 at bob.v1",
        "AccountError::Gap(from: 3, to: 4)",
        cu(&c1, &["bob.v2", "bob.v4"]),
    );
    c.add(
        "update another account",
        "other.v3 at bob.v2",
        "AccountError::WrongAccount",
        cu(&c2, &["other.v3"]),
    );
    c.add(
        "update another account's older list",
        "other.v1 at bob.v2: the account is checked before the version",
        "AccountError::WrongAccount",
        cu(&c2, &["other.v1"]),
    );
    c.add(
        "update another account inside the chain",
        "bob.v3, other.v3 at bob.v2",
        "AccountError::WrongAccount",
        cu(&c2, &["bob.v3", "other.v3"]),
    );
    let kay_state = contact_at(&kays[0]);
    let names: Vec<String> = (1..=66).map(|i| format!("kay.v{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    c.add(
        "update chain of 64",
        "kay.v2 … kay.v65 at kay.v1: MAX_LIST_CHAIN lists",
        "ok",
        cu(&kay_state, &refs[1..65]),
    );
    c.add(
        "update chain of 65",
        "kay.v1 … kay.v65 at kay.v1: 65 lists, the held one leading",
        "AccountError::InvalidList(chain longer than MAX_LIST_CHAIN)",
        cu(&kay_state, &refs[0..65]),
    );
    c.add(
        "update chain of 65 new",
        "kay.v2 … kay.v66 at kay.v1",
        "AccountError::InvalidList(chain longer than MAX_LIST_CHAIN)",
        cu(&kay_state, &refs[1..66]),
    );
    let sent = Heads {
        sender: a1.head(),
        peer: l1.head(),
    };
    c.add(
        "update keeps the heads schedule",
        "a contact that sent heads 7 messages ago, over bob.v2",
        "ok",
        cu(&contact_state(&l1.to_bytes(), Some(&sent), 7), &["bob.v2"]),
    );
    // Own account: the laptop's account at bob.v3 learns it was removed.
    let laptop_v3 = account_state(None, &field(&laptop), &l3.to_bytes());
    let tablet_v2 = account_state(None, &field(&tablet), &l2.to_bytes());
    let au = |s: &[u8], chain: &[&str]| up("account.update", s, chain);
    c.add(
        "own update",
        "the tablet at bob.v2 over bob.v3",
        "ok",
        au(&tablet_v2, &["bob.v3"]),
    );
    c.add(
        "own update removing this device",
        "the tablet at bob.v2 over bob.v3, bob.v4 (it is removed: no longer listed)",
        "ok",
        au(&tablet_v2, &["bob.v3", "bob.v4"]),
    );
    c.add(
        "own update rolled back",
        "the laptop at bob.v3 over bob.v2",
        "AccountError::RolledBack(held: 3, offered: 2)",
        au(&laptop_v3, &["bob.v2"]),
    );
    c.add(
        "own update fork",
        "the laptop at bob.v3 over bob.v3-fork",
        &format!(
            "AccountError::Fork(held: {}, seen: {})",
            hx_head(&l3.head()),
            hx_head(&l3x.head())
        ),
        au(&laptop_v3, &["bob.v3-fork"]),
    );
    c.add(
        "own update another account",
        "the laptop at bob.v3 over other.v3",
        "AccountError::WrongAccount",
        au(&laptop_v3, &["other.v3"]),
    );

    // ------------------------------------------ Account state (§14.7)
    let ad = |b: &[u8]| json!({"operation": "account.decode", "input": hx(b)});
    let a_key = account_state(Some(&bob_seed), &field(&phone), &l2.to_bytes());
    let a_nokey = account_state(None, &field(&tablet), &l2.to_bytes());
    let ak = a_key.len();
    c.add(
        "account state with the key",
        "Bob's phone at bob.v2, holding the account key",
        "ok",
        ad(&a_key),
    );
    c.add(
        "account state without the key",
        "Bob's tablet at bob.v2",
        "ok",
        ad(&a_nokey),
    );
    c.add(
        "account state empty",
        "no bytes",
        "DecodeError::Truncated(needed: 1)",
        ad(&[]),
    );
    c.add(
        "account state version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        ad(&with(&a_key, 0, 2)),
    );
    c.add(
        "account state kind 0x45",
        "a contact's kind",
        "StateError::WrongKind(expected: 0x46, found: 0x45)",
        ad(&with(&a_key, 1, 0x45)),
    );
    c.add(
        "account state flag 2",
        "account-key flag 2",
        "DecodeError::InvalidField(account key flag)",
        ad(&with(&a_key, 2, 2)),
    );
    c.add(
        "account state truncated in the seed",
        "20 bytes of the seed",
        "DecodeError::Truncated(needed: 12)",
        ad(&a_key[..23]),
    );
    c.add(
        "account state truncated in the device",
        "100 bytes of the device identity",
        "DecodeError::Truncated(needed: 28)",
        ad(&a_key[..35 + 100]),
    );
    c.add(
        "account state truncated in the list length",
        "2 bytes of the list's length",
        "DecodeError::Truncated(needed: 2)",
        ad(&a_key[..35 + 128 + 2]),
    );
    c.add(
        "account state truncated in the list",
        "the list one byte short",
        "DecodeError::Truncated(needed: 1)",
        ad(&a_key[..ak - 1]),
    );
    c.add(
        "account state trailing byte",
        "one byte after the list",
        "DecodeError::TrailingBytes(1)",
        ad(&plus(&a_key, &[0])),
    );
    c.add(
        "account state device key small-order",
        "the device's Ed25519 key of small order",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        ad(&[&a_key[..35], &small[..], &a_key[67..]].concat()),
    );
    c.add(
        "account state list too long",
        "a list length of MAX_DEVICE_LIST_LEN + 1",
        "DecodeError::TooLong(field: device list, len: 6415, limit: 6414)",
        ad(&[&a_key[..163], &6415u32.to_be_bytes(), &[0u8; 6415]].concat()),
    );
    let inv = "DecodeError::InvalidField(stored device list does not verify)";
    c.add(
        "account state list signature invalid",
        "the list's last byte flipped",
        inv,
        ad(&xor(&a_key, ak - 1, 1)),
    );
    c.add(
        "account state list rule",
        "a list without devices, signed: rules are reported as not verifying",
        inv,
        ad(&account_state(
            None,
            &field(&tablet),
            &raw(&|r| r.devices.clear()).signed(&bob_seed),
        )),
    );
    c.add(
        "account state list malformed",
        "the list's version byte 2: its decoding error comes through",
        "DecodeError::UnsupportedVersion(2)",
        ad(&with(&a_key, 167, 2)),
    );
    c.add(
        "account state device not listed",
        "the laptop's identity with bob.v2 (phone and tablet): loaded, not listed (a state need not name a listed device)",
        "ok",
        ad(&account_state(None, &field(&laptop), &l2.to_bytes())),
    );
    c.add(
        "account state of a removed device",
        "the tablet's identity with bob.v4 (its own list, which removed it): loaded, is_listed false",
        "ok",
        ad(&account_state(None, &field(&tablet), &l4.to_bytes())),
    );
    c.add(
        "account state of a removed device with the key",
        "the tablet holding the account key, with bob.v4: loaded, is_listed false",
        "ok",
        ad(&account_state(
            Some(&bob_seed),
            &field(&tablet),
            &l4.to_bytes(),
        )),
    );
    c.add(
        "account state seed of another account",
        "another account's key with Bob's list",
        "DecodeError::InvalidField(device list of another account)",
        ad(&account_state(
            Some(&other_seed),
            &field(&phone),
            &l2.to_bytes(),
        )),
    );
    c.add(
        "account state list invalid, trailing byte",
        "the list is verified before the trailing-bytes check",
        inv,
        ad(&plus(&xor(&a_key, ak - 1, 1), &[0])),
    );

    // ------------------------------------------ Contact state (§14.7)
    let cd = |b: &[u8]| json!({"operation": "contact.decode", "input": hx(b)});
    let c_sent = contact_state(
        &l2.to_bytes(),
        Some(&Heads {
            sender: a1.head(),
            peer: l2.head(),
        }),
        31,
    );
    let c_unsent = contact_state(&l2.to_bytes(), None, 0);
    let cl = 6 + l2.to_bytes().len();
    c.add(
        "contact state without heads",
        "Bob at bob.v2, nothing sent",
        "ok",
        cd(&c_unsent),
    );
    c.add(
        "contact state heads sent 31 messages ago",
        "HEADS_EVERY_MESSAGES − 1 messages since: the next call sends them again",
        "ok",
        cd(&c_sent),
    );
    c.add(
        "contact state since without heads",
        "flag 0 and 5 messages since (accepted; the next call sends heads)",
        "ok",
        cd(&contact_state(&l2.to_bytes(), None, 5)),
    );
    c.add(
        "contact state since 32",
        "HEADS_EVERY_MESSAGES messages since",
        "DecodeError::InvalidField(messages since heads out of range)",
        cd(&contact_state(&l2.to_bytes(), Some(&heads), 32)),
    );
    c.add(
        "contact state since 2^32 - 1",
        "u32::MAX messages since",
        "DecodeError::InvalidField(messages since heads out of range)",
        cd(&contact_state(&l2.to_bytes(), None, u32::MAX)),
    );
    c.add(
        "contact state since 32, trailing byte",
        "the range is checked before the trailing-bytes check",
        "DecodeError::InvalidField(messages since heads out of range)",
        cd(&plus(&contact_state(&l2.to_bytes(), None, 32), &[0])),
    );
    c.add(
        "contact state flag 2",
        "heads flag 2",
        "DecodeError::InvalidField(contact heads flag)",
        cd(&with(&c_unsent, cl, 2)),
    );
    c.add(
        "contact state version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        cd(&with(&c_unsent, 0, 2)),
    );
    c.add(
        "contact state kind 0x46",
        "an account's kind",
        "StateError::WrongKind(expected: 0x45, found: 0x46)",
        cd(&with(&c_unsent, 1, 0x46)),
    );
    c.add(
        "contact state truncated in a head",
        "flag 1 and 50 bytes",
        "DecodeError::Truncated(needed: 30)",
        cd(&c_sent[..cl + 1 + 50]),
    );
    c.add(
        "contact state truncated in the count",
        "the last byte missing",
        "DecodeError::Truncated(needed: 1)",
        cd(&c_sent[..c_sent.len() - 1]),
    );
    c.add(
        "contact state trailing byte",
        "one byte after the count",
        "DecodeError::TrailingBytes(1)",
        cd(&plus(&c_unsent, &[0])),
    );
    c.add(
        "contact state list signature invalid",
        "the list's last byte flipped",
        inv,
        cd(&xor(&c_unsent, cl - 1, 1)),
    );
    c.add(
        "contact state list too long",
        "a list length of MAX_DEVICE_LIST_LEN + 1",
        "DecodeError::TooLong(field: device list, len: 6415, limit: 6414)",
        cd(&[&[0x01, 0x45][..], &6415u32.to_be_bytes(), &[0u8; 6415]].concat()),
    );

    // -------------------------------------- sealed states (§14.7, §7.1)
    let storage = StorageKey::from_bytes(draw32(&mut rng));
    let skey = *storage.to_bytes();
    let mut nonce_rng = crate::rng(ACCOUNT_NEGATIVE_SEED + 1000);
    let mut acc = Account::from_bytes(&a_key).expect("account");
    let s1 = acc.seal(&mut nonce_rng, &storage);
    let s2 = acc.seal(&mut nonce_rng, &storage);
    let mut con = Contact::from_bytes(&c_sent).expect("contact");
    let cs1 = con.seal(&mut nonce_rng, &storage);
    let owner =
        StateOwner::account(&qorgan::account::AccountKey::from_bytes(&bob_key).expect("key"))
            .to_bytes();
    let alice_owner = a1.account().to_bytes();
    let opn = |op: &str, b: &[u8], owner: &[u8; 32], min: u64| json!({"operation": op, "storage_key": hx(&skey), "owner": hx(owner), "min_generation": min, "input": hx(b)});
    c.add(
        "account sealed",
        "generation 2, opened at 2",
        "ok",
        opn("account.open", &s2, &owner, 2),
    );
    c.add(
        "account sealed newer",
        "generation 2, opened from 1",
        "ok",
        opn("account.open", &s2, &owner, 1),
    );
    c.add(
        "account sealed rolled back",
        "generation 1 when 2 is expected",
        "StateError::RolledBack(min_generation: 2, found: 1)",
        opn("account.open", &s1, &owner, 2),
    );
    c.add(
        "account sealed of another account",
        "Bob's blob when Alice's account is expected",
        "StateError::WrongOwner",
        opn("account.open", &s2, &alice_owner, 0),
    );
    c.add(
        "account sealed opened as a contact",
        "the kind is checked first",
        "StateError::WrongKind(expected: 0x45, found: 0x46)",
        opn("contact.open", &s2, &owner, 0),
    );
    c.add(
        "account sealed modified",
        "a ciphertext byte flipped",
        "StateError::AuthenticationFailed",
        opn("account.open", &xor(&s2, 80, 1), &owner, 0),
    );
    c.add(
        "account sealed owner byte flipped",
        "the header's owner changed",
        "StateError::AuthenticationFailed",
        opn("account.open", &xor(&s2, 10, 1), &owner, 0),
    );
    c.add("account sealed under another key", "opened with another storage key", "StateError::AuthenticationFailed", json!({"operation": "account.open", "storage_key": hx(&[7u8; 32]), "owner": hx(&owner), "min_generation": 0, "input": hx(&s2)}));
    let nonce: [u8; 24] = s2[43..67].try_into().expect("24");
    c.add(
        "account sealed naming another owner",
        "the header names Alice's account (and is opened as hers), the state inside is Bob's",
        "StateError::WrongOwner",
        opn(
            "account.open",
            &seal_by_hand(&skey, 0x46, &alice_owner, 3, &nonce, &a_key),
            &alice_owner,
            0,
        ),
    );
    c.add(
        "account sealed around a malformed state",
        "an authentic blob whose state has a trailing byte",
        "DecodeError::TrailingBytes(1)",
        opn(
            "account.open",
            &seal_by_hand(&skey, 0x46, &owner, 3, &nonce, &plus(&a_key, &[0])),
            &owner,
            0,
        ),
    );
    c.add(
        "contact sealed",
        "generation 1",
        "ok",
        opn("contact.open", &cs1, &owner, 1),
    );
    c.add(
        "contact sealed rolled back",
        "generation 1 when 2 is expected",
        "StateError::RolledBack(min_generation: 2, found: 1)",
        opn("contact.open", &cs1, &owner, 2),
    );
    c.add(
        "contact sealed of another contact",
        "Bob's contact when Alice's is expected",
        "StateError::WrongOwner",
        opn("contact.open", &cs1, &alice_owner, 0),
    );
    c.add(
        "contact sealed opened as an account",
        "the kind is checked first",
        "StateError::WrongKind(expected: 0x46, found: 0x45)",
        opn("account.open", &cs1, &owner, 0),
    );
    c.add(
        "contact sealed version 3",
        "envelope version 3",
        "DecodeError::UnsupportedVersion(3)",
        opn("contact.open", &with(&cs1, 0, 3), &owner, 0),
    );

    let inputs = c.table.inputs;
    json!({
        "description": "Inputs the account decoders and operations must refuse (docs/PROTOCOL.md \
            §14), each with its exact error (§13 naming; kind = the innermost error), and the \
            accepted inputs at the edges. Keys come from rng(seed); every input is given as \
            bytes. inputs.lists: device lists used by name (bob.v1 … bob.v4: phone, + tablet, \
            + laptop, − tablet; bob.v2-fork: another version 2, bob.v3-fork its successor; \
            other.*: another account listing the same devices; kay.v1 … kay.v66: a chain of \
            one device; alice.v2: Alice's list naming Bob's laptop too; bob.v3-laptop: what the \
            provisioning cases make). Operations: \
            device_list.decode (DeviceList::from_bytes; `verify` is what qorgan::verify says \
            of Item::DeviceList: the same verdict, §14.1 rules as DecodeError::InvalidField), \
            device_list.verify_after (Item::DeviceListAfter{account, previous, input}), link_code.parse \
            (`text`), provisioning.complete (a LinkRequest for `request.device` with the given \
            link key secret and link secret; `before` are completed first, outcomes ignored), \
            account.provision (Account::from_bytes(state).provision(code, label, contacts (each \
            list pinned `repeat` times), share_account_key) with `ephemeral_secret` as its \
            draw), envelope.open (ok: the sender and recipient accounts, heads and body), account.receive \
            (receive(Account state, Contact state, sender, input)), account.fanout \
            (fanout(Account state, Contact state, no sessions, body): the deliveries, whether \
            the contact is unchanged, its state's SHA-256 after and what heads_to_send then \
            returns for the next message), contact.heads_to_send (Contact state, own head: \
            the heads and the state's SHA-256 after), contact.update / account.update \
            (state.update(chain)), \
            account.decode / contact.decode (from_bytes; ok re-encodes to the same bytes), \
            account.open / contact.open (§7.1, with storage_key, owner, min_generation). An \
            outcome is {result: error, error, kind} or {result: ok, …}; a refused call that \
            takes a state leaves it unchanged. All byte strings are lower-case hex.",
        "seed": ACCOUNT_NEGATIVE_SEED,
        "inputs": {
            "lists": c.lists.iter().map(|(k, v)| (k.clone(), json!(hx(v)))).collect::<serde_json::Map<_, _>>(),
            "cases": inputs,
        },
        "expected": {"cases": c.table.expected},
    })
}
