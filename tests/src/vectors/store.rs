//! The account store's vectors (docs/PROTOCOL.md §7.5, §17):
//!
//! * `sealed_value.json`: the two keys derived from a storage key, values
//!   sealed for their slots (`StorageKey::seal_value`, every nonce drawn
//!   from `rng(SEALED_VALUE_SEED)` and listed) and keyed names
//!   (`StorageKey::index`);
//! * `sealed_value_negative.json`: `open_value` given another slot, another
//!   key, modified, truncated or mislabelled bytes, each with its exact
//!   error, and the accepted edges;
//! * `store.json`: the slots and record encodings of §17 (objects, sessions,
//!   the outbox, inbox rows, events, the peer and distributed records) sealed
//!   into their rows, what qorgan-store reads back from a file holding them,
//!   and the 1:1 payloads of §17.3;
//! * `store_negative.json`: store files opened with another key or with
//!   altered meta rows (§17.1), mailbox rows that do not open or decode
//!   (§17.2), and payloads refused at each step of §17.3, with the exact
//!   `StoreError`.
//!
//! qorgan-store chooses its own identities (operating system randomness):
//! the cases that need a store make a new one in a temporary directory, and
//! their outcomes never depend on its keys. [`run_store_negative_case`]
//! runs one case (the generator records what it gives, and
//! `tests/tests/vectors.rs` replays the committed file with it);
//! `tests/tests/vectors/independent.rs` decides every case from the spec.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use qorgan::account::{Account as OwnAccount, AccountKeyPair, DeviceList};
use qorgan::primitives::{aead, kdf};
use qorgan::roster::{Member, Role, Roster};
use qorgan::{
    IdentityKey, IdentityKeyPair, OutboundGroupSession, PreKeyBundle, PreKeyStore, RotationPolicy,
    Session, StorageKey,
};
use qorgan_store::{Account, Delivery, Destination, Event, Incoming, Options, Outgoing};
use serde_json::{Value, json};

use super::case_table::CaseTable;
use super::{RecordingRng, ReplayRng, errors, identity_generate};
use crate::hex::{decode as unhex, encode as hx};

/// Seed of `sealed_value.json`.
pub const SEALED_VALUE_SEED: u64 = 16;
/// Seed of `sealed_value_negative.json`.
pub const SEALED_VALUE_NEGATIVE_SEED: u64 = 17;
/// Seed of `store.json`.
pub const STORE_SEED: u64 = 18;
/// Seed of `store_negative.json`.
pub const STORE_NEGATIVE_SEED: u64 = 19;
/// Seed of the session and prekey store `store.json` takes as inputs (made
/// with qorgan, recorded as bytes: they are not what the file is about).
pub const STORE_SESSIONS_SEED: u64 = 20;

/// HKDF info of the sealed-value key (§3, §7.5).
pub const SEALED_VALUE_LABEL: &[u8] = b"qorgan/v1/sealed-value";
/// HKDF info of the keyed-name key (§3, §7.5).
pub const SEALED_INDEX_LABEL: &[u8] = b"qorgan/v1/sealed-index";

/// The caller's clock of the store files made here.
pub const STORE_NOW: u64 = 1_790_000_000;

const GROUP: &[u8] = b"qorgan/vectors/store-group";

fn h(v: &Value) -> Vec<u8> {
    unhex(v.as_str().unwrap_or_else(|| panic!("hex string: {v}"))).expect("hex")
}

fn h32(v: &Value) -> [u8; 32] {
    h(v).try_into().expect("32 bytes")
}

/// The innermost error of an error as the files write it (§13): the
/// argument of each `Enum::Variant(…)` that is itself an error.
fn innermost(full: &str) -> &str {
    let mut e = full;
    while let Some(open) = e.find('(') {
        let inner = &e[open + 1..e.len() - 1];
        let head = inner.split('(').next().unwrap_or("");
        if !head.contains("::") || !e.ends_with(')') {
            break;
        }
        e = inner;
    }
    e
}

fn error((error, kind): (String, String)) -> Value {
    json!({"result": "error", "error": error, "kind": kind})
}

// ------------------------------------------------------------ §7.5 keys

/// The sealed-value key and the keyed-name key of a storage key (§7.5),
/// derived here from the text (and checked against what qorgan seals).
pub fn derived_keys(storage_key: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let mut v = [0u8; 32];
    let mut i = [0u8; 32];
    kdf::hkdf_sha256(&[], storage_key, SEALED_VALUE_LABEL, &mut v).expect("hkdf");
    kdf::hkdf_sha256(&[], storage_key, SEALED_INDEX_LABEL, &mut i).expect("hkdf");
    (v, i)
}

/// `0x01 || 0x5F || nonce || XChaCha20-Poly1305(value_key, nonce, 0x01 ||
/// 0x5F || context, value)` (§7.5), made by hand.
pub fn seal_by_hand(
    value_key: &[u8; 32],
    nonce: &[u8; 24],
    context: &[u8],
    value: &[u8],
) -> Vec<u8> {
    let mut out = vec![0x01, 0x5F];
    out.extend_from_slice(nonce);
    let ad = [&[0x01, 0x5F][..], context].concat();
    aead::xseal(value_key, nonce, &ad, value, &mut out);
    out
}

/// Seals with qorgan and checks the bytes against the layout of §7.5.
fn seal_checked(
    key: &StorageKey,
    rng: &mut RecordingRng,
    purpose: &str,
    context: &[u8],
    value: &[u8],
) -> (Vec<u8>, [u8; 24]) {
    let sealed = key.seal_value(rng, context, value);
    let nonce: [u8; 24] = rng
        .label(&[(purpose, 24)])
        .remove(0)
        .try_into()
        .expect("24");
    let (value_key, _) = derived_keys(&key.to_bytes());
    assert_eq!(
        sealed,
        seal_by_hand(&value_key, &nonce, context, value),
        "§7.5 layout"
    );
    assert_eq!(sealed.len(), qorgan::SEALED_VALUE_OVERHEAD + value.len());
    assert_eq!(
        key.open_value(context, &sealed).expect("opens").as_slice(),
        value
    );
    (sealed, nonce)
}

// ----------------------------------------------------- §17 encodings

/// `slot(table, key, generation)` (§17.1): the context a row's value is
/// sealed for.
pub fn slot(table: &str, key: &[u8], generation: u64) -> Vec<u8> {
    let mut c = table.as_bytes().to_vec();
    c.push(0);
    c.extend_from_slice(&(key.len() as u32).to_be_bytes());
    c.extend_from_slice(key);
    c.extend_from_slice(&generation.to_be_bytes());
    c
}

/// `bytes32(v)`.
fn b32(v: &[u8]) -> Vec<u8> {
    [&(v.len() as u32).to_be_bytes()[..], v].concat()
}

/// The outbox record (§17.2).
fn outgoing_record(to: &Destination, bytes: &[u8]) -> Vec<u8> {
    let mut o = match to {
        Destination::Device(d) => [&[0u8][..], &b32(&d.to_field_bytes())].concat(),
        Destination::Group(g) => [&[1u8][..], &b32(g)].concat(),
    };
    o.extend_from_slice(&b32(bytes));
    o
}

/// The record of one inbox message (§17.2).
fn incoming_record(
    from: &IdentityKey,
    group: Option<&[u8]>,
    session: Option<&[u8; 32]>,
    plaintext: &[u8],
) -> Vec<u8> {
    let mut o = b32(&from.to_field_bytes());
    match group {
        Some(g) => o.extend_from_slice(&[&[1u8][..], &b32(g)].concat()),
        None => o.push(0),
    }
    match session {
        Some(s) => o.extend_from_slice(&[&[1u8][..], &b32(s)].concat()),
        None => o.push(0),
    }
    o.extend_from_slice(&b32(plaintext));
    o
}

/// An inbox row: `u32(n) || n × (acked || bytes32(message record))`.
fn inbox_row(items: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut o = (items.len() as u32).to_be_bytes().to_vec();
    for (acked, record) in items {
        o.push(*acked);
        o.extend_from_slice(&b32(record));
    }
    o
}

/// The event record (§17.2).
fn event_record(e: &Event) -> Vec<u8> {
    match e {
        Event::SessionBroken { device } => [&[0u8][..], &b32(&device.to_field_bytes())].concat(),
        Event::SessionReset { device } => [&[1u8][..], &b32(&device.to_field_bytes())].concat(),
        Event::GroupKey { group, sender } => {
            [&[2u8][..], &b32(group), &b32(&sender.to_field_bytes())].concat()
        }
        Event::RosterChanged { group, epoch } => {
            [&[3u8][..], &b32(group), &epoch.to_be_bytes()].concat()
        }
        Event::RolledBack { store, anchor } => {
            [&[4u8][..], &store.to_be_bytes(), &anchor.to_be_bytes()].concat()
        }
        Event::Deferred { device } => [&[5u8][..], &b32(&device.to_field_bytes())].concat(),
    }
}

/// The peer record (§17.3).
fn peer_record(active: Option<&[u8; 32]>, failures: u32, broken: bool) -> Vec<u8> {
    let mut o = match active {
        Some(a) => [&[1u8][..], &b32(a)].concat(),
        None => vec![0],
    };
    o.extend_from_slice(&failures.to_be_bytes());
    o.push(u8::from(broken));
    o
}

/// The distributed-set record (§17.3).
fn distributed_record(chain: u32, devices: &[[u8; 32]]) -> Vec<u8> {
    let mut o = chain.to_be_bytes().to_vec();
    o.extend_from_slice(&(devices.len() as u32).to_be_bytes());
    for d in devices {
        o.extend_from_slice(d);
    }
    o
}

/// A 1:1 payload (§17.3): `0x01 || kind || body`.
pub fn payload(kind: u8, body: &[u8]) -> Vec<u8> {
    [&[0x01, kind][..], body].concat()
}

/// The body of a rosters payload: `u32(n) || n × bytes32(roster)`.
fn rosters_body(rosters: &[&[u8]]) -> Vec<u8> {
    let mut o = (rosters.len() as u32).to_be_bytes().to_vec();
    for r in rosters {
        o.extend_from_slice(&b32(r));
    }
    o
}

/// A mailbox row id as its slot key: `u64` of the SQLite integer (§17.1).
fn mail_key(id: i64) -> [u8; 8] {
    id.to_be_bytes()
}

// ------------------------------------------------ store files by hand

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

/// A new, empty temporary directory for store files (removed on drop).
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new directory under the system's temporary directory.
    pub fn new(what: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "qorgan-{what}-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temporary directory");
        Self(p)
    }

    /// A path inside it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn options() -> Options {
    Options {
        device_label: "vectors".into(),
        now: STORE_NOW,
        ..Options::default()
    }
}

/// Makes a store file at `path` under `key` (its own identity) and closes
/// it.
pub fn new_store_file(path: &Path, key: &[u8; 32]) {
    let account =
        Account::open(path, &StorageKey::from_bytes(*key), &options()).expect("new store");
    drop(account);
}

/// Writes rows as a case lists them (`{table, …, value}`, value hex; a
/// `null` value deletes the row) into the store file at `path`.
pub fn write_rows(path: &Path, rows: &[Value]) {
    let conn = rusqlite::Connection::open(path).expect("open file");
    for r in rows {
        let table = r["table"].as_str().expect("table");
        let value = (!r["value"].is_null()).then(|| h(&r["value"]));
        let generation = || r["generation"].as_i64().expect("generation");
        let id = || r["id"].as_i64().expect("id");
        let n = match (table, value) {
            ("meta", Some(v)) => conn.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)",
                rusqlite::params![r["name"].as_str().expect("name"), v],
            ),
            ("meta", None) => conn.execute(
                "DELETE FROM meta WHERE name = ?1",
                rusqlite::params![r["name"].as_str().expect("name")],
            ),
            ("objects", Some(v)) => conn.execute(
                "INSERT OR REPLACE INTO objects (kind, id, generation, value) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![r["kind"].as_i64().expect("kind"), h(&r["id"]), generation(), v],
            ),
            ("sessions", Some(v)) => conn.execute(
                "INSERT OR REPLACE INTO sessions (peer, sid, generation, value) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![h(&r["peer"]), h(&r["sid"]), generation(), v],
            ),
            ("outbox" | "inbox" | "events", Some(v)) => conn.execute(
                &format!("INSERT OR REPLACE INTO {table} (id, generation, value) VALUES (?1, ?2, ?3)"),
                rusqlite::params![id(), generation(), v],
            ),
            other => panic!("row {other:?}"),
        };
        n.expect("write row");
    }
}

// ------------------------------------------------------- reads as JSON

fn destination_json(to: &Destination) -> Value {
    match to {
        Destination::Device(d) => json!({"device": hx(&d.to_field_bytes())}),
        Destination::Group(g) => json!({"group": hx(g)}),
    }
}

/// An outbox entry as the files list it.
pub fn outgoing_json(o: &Outgoing) -> Value {
    json!({"id": o.id, "to": destination_json(&o.to), "bytes": hx(&o.bytes)})
}

/// An inbox message as the files list it.
pub fn incoming_json(m: &Incoming) -> Value {
    json!({
        "id": m.id,
        "from": hx(&m.from.to_field_bytes()),
        "group": m.group.as_ref().map(|g| hx(g)),
        "session": m.session.as_ref().map(|s| hx(s)),
        "plaintext": hx(&m.plaintext),
    })
}

/// An event as the files list it.
pub fn event_json(e: &Event) -> Value {
    match e {
        Event::SessionBroken { device } => {
            json!({"event": "SessionBroken", "device": hx(&device.to_field_bytes())})
        }
        Event::SessionReset { device } => {
            json!({"event": "SessionReset", "device": hx(&device.to_field_bytes())})
        }
        Event::GroupKey { group, sender } => json!({
            "event": "GroupKey", "group": hx(group), "sender": hx(&sender.to_field_bytes()),
        }),
        Event::RosterChanged { group, epoch } => {
            json!({"event": "RosterChanged", "group": hx(group), "epoch": epoch})
        }
        Event::RolledBack { store, anchor } => {
            json!({"event": "RolledBack", "store": store, "anchor": anchor})
        }
        Event::Deferred { device } => {
            json!({"event": "Deferred", "device": hx(&device.to_field_bytes())})
        }
    }
}

fn delivery_json(d: &Delivery) -> Value {
    match d {
        Delivery::Message(m) => json!({
            "delivery": "message",
            "group": m.group.as_ref().map(|g| hx(g)),
            "plaintext": hx(&m.plaintext),
        }),
        Delivery::Event(e) => json!({"delivery": "event", "event": event_json(e)}),
        Delivery::Duplicate => json!({"delivery": "duplicate"}),
    }
}

// ---------------------------------------------------- sealed_value.json

pub(super) fn sealed_value_file() -> Value {
    let mut rng = RecordingRng::new(SEALED_VALUE_SEED);
    let key = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    let (value_key, index_key) = derived_keys(&key.to_bytes());
    let long: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
    let values: Vec<(&str, Vec<u8>, Value, Vec<u8>)> = vec![
        (
            "check",
            slot("meta", b"check", 0),
            json!({"table": "meta", "key": hx(b"check"), "generation": 0}),
            b"qorgan-store".to_vec(),
        ),
        (
            "counter",
            slot("meta", b"counter", 0),
            json!({"table": "meta", "key": hx(b"counter"), "generation": 0}),
            41u64.to_be_bytes().to_vec(),
        ),
        (
            "inbox row 7",
            slot("inbox", &mail_key(7), 3),
            json!({"table": "inbox", "key": hx(&mail_key(7)), "generation": 3}),
            b"hello".to_vec(),
        ),
        (
            "empty value",
            slot("events", &mail_key(1), 2),
            json!({"table": "events", "key": hx(&mail_key(1)), "generation": 2}),
            Vec::new(),
        ),
        (
            "empty context",
            Vec::new(),
            Value::Null,
            b"a value sealed for the empty context".to_vec(),
        ),
        (
            "binary context, 300 bytes",
            vec![0x00, 0xFF, 0x5F, 0x01, 0x00],
            Value::Null,
            long,
        ),
    ];
    let mut inputs = Vec::new();
    let mut sealed_out = Vec::new();
    for (name, context, fields, value) in &values {
        let purpose = format!("seal.{name}.nonce");
        let (sealed, nonce) = seal_checked(&key, &mut rng, &purpose, context, value);
        inputs.push(json!({
            "name": name,
            "context": hx(context),
            "slot": fields,
            "value": hx(value),
        }));
        sealed_out.push(json!({
            "name": name,
            "nonce_draw": purpose,
            "nonce": hx(&nonce),
            "associated_data": hx(&[&[0x01, 0x5F][..], context].concat()),
            "sealed": hx(&sealed),
        }));
    }
    let draws = rng.take_log();
    let ed = [0x11u8; 32];
    let indexes: Vec<(&str, Vec<u8>)> = vec![
        ("contact", [0xA5u8; 32].to_vec()),
        ("group", GROUP.to_vec()),
        ("group", Vec::new()),
        ("ring", [GROUP, &ed].concat()),
        ("peer", ed.to_vec()),
        ("session", (0..32u8).collect()),
        ("", Vec::new()),
    ];
    let mut index_inputs = Vec::new();
    let mut index_out = Vec::new();
    for (label, data) in &indexes {
        let name = key.index(label.as_bytes(), data);
        assert_eq!(
            name,
            kdf::hmac_sha256(&index_key, &[label.as_bytes(), data].concat()),
            "§7.5 index"
        );
        index_inputs
            .push(json!({"label": label, "label_hex": hx(label.as_bytes()), "data": hx(data)}));
        index_out.push(json!(hx(&name)));
    }
    json!({
        "description": "Sealed values and keyed names (docs/PROTOCOL.md §7.5). inputs.draws: the \
            storage key (StorageKey::generate) and one 24-byte nonce per seal_value, in order, from \
            rng(seed). inputs.values: each value and the context it is sealed for (the slot fields \
            of §17.1 where the context is a store slot). expected: the sealed-value key \
            (HKDF-SHA256, salt empty, ikm the storage key, info \"qorgan/v1/sealed-value\") and the \
            keyed-name key (info \"qorgan/v1/sealed-index\"); per value its associated data \
            (0x01 0x5F || context) and sealed bytes (0x01 0x5F || nonce || ciphertext || tag); \
            per keyed name (inputs.indexes: label and data) HMAC-SHA256(index key, label || \
            data). All byte strings are lower-case hex.",
        "seed": SEALED_VALUE_SEED,
        "inputs": {
            "draws": draws,
            "values": inputs,
            "indexes": index_inputs,
        },
        "expected": {
            "value_key": hx(&value_key),
            "index_key": hx(&index_key),
            "values": sealed_out,
            "indexes": index_out,
        },
    })
}

// ------------------------------------------- sealed_value_negative.json

fn draw<const N: usize>(rng: &mut chacha20::ChaCha20Rng) -> [u8; N] {
    use rand_core::Rng;
    let mut b = [0u8; N];
    rng.fill_bytes(&mut b);
    b
}

/// Runs one case of `sealed_value_negative.json` through qorgan.
pub fn run_sealed_value_negative_case(case: &Value) -> Value {
    assert_eq!(case["operation"], "open_value");
    let key = StorageKey::from_bytes(h32(&case["key"]));
    match key.open_value(&h(&case["context"]), &h(&case["sealed"])) {
        Ok(v) => json!({"result": "ok", "value": hx(&v)}),
        Err(e) => error(errors::state(&e)),
    }
}

pub(super) fn sealed_value_negative_file() -> Value {
    let mut rng = crate::rng(SEALED_VALUE_NEGATIVE_SEED);
    let k: [u8; 32] = draw(&mut rng);
    let other: [u8; 32] = draw(&mut rng);
    let nonce: [u8; 24] = draw(&mut rng);
    let nonce2: [u8; 24] = draw(&mut rng);
    let nonce3: [u8; 24] = draw(&mut rng);
    let key = StorageKey::from_bytes(k);
    let (value_key, index_key) = derived_keys(&k);
    let context = slot("outbox", &mail_key(7), 12);
    let value = b"a message in the outbox".to_vec();
    let sealed = seal_by_hand(&value_key, &nonce, &context, &value);
    let mut replay = ReplayRng::new([nonce.to_vec()]);
    assert_eq!(key.seal_value(&mut replay, &context, &value), sealed);
    replay.finish();
    let empty = seal_by_hand(&value_key, &nonce2, &context, b"");
    let for_empty = seal_by_hand(&value_key, &nonce3, b"", &value);
    let mut t = CaseTable::default();
    let mut add = |name: &str, about: &str, kind: &str, key: &[u8; 32], ctx: &[u8], s: &[u8]| {
        t.add(
            name,
            about,
            kind,
            json!({"operation": "open_value", "key": hx(key), "context": hx(ctx), "sealed": hx(s)}),
            run_sealed_value_negative_case,
        );
    };
    let auth = "StateError::AuthenticationFailed";
    let dec = |s: &str| format!("DecodeError::{s}");
    add(
        "valid",
        "the value in its slot",
        "ok",
        &k,
        &context,
        &sealed,
    );
    add(
        "empty value",
        "an empty value: 42 bytes",
        "ok",
        &k,
        &context,
        &empty,
    );
    add(
        "empty context",
        "a value sealed for the empty context",
        "ok",
        &k,
        b"",
        &for_empty,
    );
    add(
        "another table",
        "the slot of the same row id and generation in the inbox",
        auth,
        &k,
        &slot("inbox", &mail_key(7), 12),
        &sealed,
    );
    add(
        "another row",
        "row 8 instead of 7",
        auth,
        &k,
        &slot("outbox", &mail_key(8), 12),
        &sealed,
    );
    add(
        "a later generation",
        "generation 13: the row rewritten since",
        auth,
        &k,
        &slot("outbox", &mail_key(7), 13),
        &sealed,
    );
    add(
        "an earlier generation",
        "generation 11",
        auth,
        &k,
        &slot("outbox", &mail_key(7), 11),
        &sealed,
    );
    add(
        "context with a byte more",
        "the slot followed by 0x00",
        auth,
        &k,
        &[&context[..], &[0]].concat(),
        &sealed,
    );
    add(
        "context with a byte less",
        "the slot without its last byte",
        auth,
        &k,
        &context[..context.len() - 1],
        &sealed,
    );
    add(
        "empty context for a slot's value",
        "the value of the slot opened for the empty context",
        auth,
        &k,
        b"",
        &sealed,
    );
    add(
        "slot's context for an empty context's value",
        "a value sealed for the empty context opened for the slot",
        auth,
        &k,
        &context,
        &for_empty,
    );
    add(
        "another storage key",
        "an unrelated key",
        auth,
        &other,
        &context,
        &sealed,
    );
    add(
        "the storage key itself as AEAD key",
        "sealed under the storage key instead of the derived sealed-value key",
        auth,
        &k,
        &context,
        &seal_by_hand(&k, &nonce, &context, &value),
    );
    add(
        "the keyed-name key as AEAD key",
        "sealed under the keyed-name key",
        auth,
        &k,
        &context,
        &seal_by_hand(&index_key, &nonce, &context, &value),
    );
    let mut no_prefix = vec![0x01, 0x5F];
    no_prefix.extend_from_slice(&nonce);
    aead::xseal(&value_key, &nonce, &context, &value, &mut no_prefix);
    add(
        "associated data without version and type",
        "sealed with the context alone as associated data",
        auth,
        &k,
        &context,
        &no_prefix,
    );
    let mut sealed_state_ad = vec![0x01, 0x5F];
    sealed_state_ad.extend_from_slice(&nonce);
    aead::xseal(
        &value_key,
        &nonce,
        &[&[0x01, 0x5E][..], &context].concat(),
        &value,
        &mut sealed_state_ad,
    );
    add(
        "associated data with type 0x5E",
        "sealed with 0x01 0x5E || context as associated data (the type byte relabelled 0x5F)",
        auth,
        &k,
        &context,
        &sealed_state_ad,
    );
    let with = |i: usize, b: u8| {
        let mut s = sealed.clone();
        s[i] = b;
        s
    };
    let flip = |i: usize| {
        let mut s = sealed.clone();
        s[i] ^= 0x01;
        s
    };
    add(
        "version 0",
        "first byte 0x00",
        &dec("UnsupportedVersion(0)"),
        &k,
        &context,
        &with(0, 0),
    );
    add(
        "version 2",
        "first byte 0x02",
        &dec("UnsupportedVersion(2)"),
        &k,
        &context,
        &with(0, 2),
    );
    add(
        "version 0xFF",
        "first byte 0xFF",
        &dec("UnsupportedVersion(255)"),
        &k,
        &context,
        &with(0, 0xFF),
    );
    add(
        "type 0x5E",
        "the sealed-state marker instead of 0x5F",
        &dec("UnexpectedType(0x5e)"),
        &k,
        &context,
        &with(1, 0x5E),
    );
    add(
        "type 0x00",
        "second byte 0x00",
        &dec("UnexpectedType(0x00)"),
        &k,
        &context,
        &with(1, 0),
    );
    let mut both = with(0, 2);
    both[1] = 0x5E;
    add(
        "version before type",
        "version 2 and type 0x5E: the version is reported",
        &dec("UnsupportedVersion(2)"),
        &k,
        &context,
        &both,
    );
    add(
        "nonce byte 0 flipped",
        "offset 2",
        auth,
        &k,
        &context,
        &flip(2),
    );
    add(
        "nonce byte 23 flipped",
        "offset 25",
        auth,
        &k,
        &context,
        &flip(25),
    );
    add(
        "ciphertext byte flipped",
        "offset 26",
        auth,
        &k,
        &context,
        &flip(26),
    );
    add(
        "last ciphertext byte flipped",
        "the byte before the tag",
        auth,
        &k,
        &context,
        &flip(sealed.len() - 17),
    );
    add(
        "tag byte flipped",
        "the first tag byte",
        auth,
        &k,
        &context,
        &flip(sealed.len() - 16),
    );
    add(
        "last tag byte flipped",
        "the last byte",
        auth,
        &k,
        &context,
        &flip(sealed.len() - 1),
    );
    add(
        "empty",
        "no bytes",
        &dec("Truncated(needed: 1)"),
        &k,
        &context,
        b"",
    );
    add(
        "version only",
        "one byte",
        &dec("Truncated(needed: 1)"),
        &k,
        &context,
        &sealed[..1],
    );
    add(
        "version and type only",
        "two bytes",
        &dec("Truncated(needed: 24)"),
        &k,
        &context,
        &sealed[..2],
    );
    add(
        "nonce cut",
        "25 bytes: one nonce byte missing",
        &dec("Truncated(needed: 1)"),
        &k,
        &context,
        &sealed[..25],
    );
    add(
        "nothing after the nonce",
        "26 bytes: shorter than the tag",
        auth,
        &k,
        &context,
        &sealed[..26],
    );
    add(
        "15 bytes after the nonce",
        "41 bytes: one byte short of an empty value's tag",
        auth,
        &k,
        &context,
        &empty[..41],
    );
    add(
        "tag cut",
        "the last byte missing",
        auth,
        &k,
        &context,
        &sealed[..sealed.len() - 1],
    );
    add(
        "trailing byte",
        "a byte after the tag",
        auth,
        &k,
        &context,
        &[&sealed[..], &[0]].concat(),
    );
    let mut v1 = vec![0x01, 0x5E, 0x40];
    v1.extend_from_slice(&sealed[2..]);
    add(
        "a version 1 state envelope",
        "0x01 0x5E kind || … (§7.1)",
        &dec("UnexpectedType(0x5e)"),
        &k,
        &context,
        &v1,
    );
    let mut v2 = vec![0x02, 0x5E, 0x40];
    v2.extend_from_slice(&sealed[2..]);
    add(
        "a version 2 state envelope",
        "0x02 0x5E kind || … (§7.1)",
        &dec("UnsupportedVersion(2)"),
        &k,
        &context,
        &v2,
    );
    let (inputs, expected) = (t.inputs, t.expected);
    json!({
        "description": "Inputs StorageKey::open_value must refuse (docs/PROTOCOL.md §7.5), each with \
            its exact error, and the accepted edges. Each case: operation open_value, the storage \
            key (key), the context the caller opens for, the sealed bytes. The keys and nonces \
            are draws of rng(seed) (storage key, another key, three nonces). expected.cases: \
            {name, result: \"ok\", value} or {name, result: \"error\", error, kind}.",
        "seed": SEALED_VALUE_NEGATIVE_SEED,
        "inputs": {"cases": inputs},
        "expected": {"cases": expected},
    })
}

// ------------------------------------------------------------ store.json

/// One row of `store.json`: where it goes and its plain value.
struct Row {
    name: &'static str,
    about: &'static str,
    /// `{table, name | kind, id | peer, sid | id, generation}` as the
    /// file lists it.
    place: Value,
    /// The slot key (§17.1).
    key: Vec<u8>,
    table: &'static str,
    generation: u64,
    plain: Vec<u8>,
}

pub(super) fn store_file() -> Value {
    let mut rng = RecordingRng::new(STORE_SEED);
    let key = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    let alice = identity_generate(&mut rng, "alice");
    let alice_account =
        OwnAccount::create(&mut rng, alice.public(), "Alice's phone").expect("account");
    rng.label(&[("alice.account_seed", 32)]);
    let bob = identity_generate(&mut rng, "bob");
    let bob_account = OwnAccount::create(&mut rng, bob.public(), "Bob's phone").expect("account");
    rng.label(&[("bob.account_seed", 32)]);
    let (value_key, index_key) = derived_keys(&key.to_bytes());

    // Alice's session with Bob (made with rng(STORE_SESSIONS_SEED)): Bob
    // answered b0 and b1; Alice read b1, so she holds b0's key.
    let mut srng = crate::rng(STORE_SESSIONS_SEED);
    let bob_again = {
        let mut r = ReplayRng::new([
            rng.get("bob.identity.ed25519_seed").to_vec(),
            rng.get("bob.identity.x25519_secret").to_vec(),
        ]);
        let id = IdentityKeyPair::generate(&mut r);
        r.finish();
        id
    };
    let mut bob_store = PreKeyStore::new(&mut srng, bob_again, STORE_NOW);
    let bundle = bob_store.bundle().expect("bundle");
    let mut session = Session::initiate(&mut srng, &alice, &bundle).expect("initiate");
    let first_text = b"a0: hello Bob".to_vec();
    let first = session
        .encrypt(&mut srng, &payload(0, &first_text))
        .expect("encrypt");
    let (mut bob_session, pt) = bob_store.accept(&first, STORE_NOW).expect("accept");
    assert_eq!(pt, payload(0, &first_text));
    let late_text = b"b0: read late, from the skipped keys".to_vec();
    let late = bob_session
        .encrypt(&mut srng, &payload(0, &late_text))
        .expect("b0");
    let b1 = bob_session
        .encrypt(&mut srng, &payload(0, b"b1: read in order"))
        .expect("b1");
    assert_eq!(
        session.decrypt(&b1).expect("b1"),
        payload(0, b"b1: read in order")
    );
    assert_eq!(session.skipped_key_count(), 1);
    let session_state = session.to_bytes().to_vec();
    let (core, skipped) = session.to_parts();
    let (core, skipped) = (core.to_vec(), skipped.to_vec());
    let sid = *session.session_id();
    let bob_ed = *bob.public().signing_key().as_bytes();

    // Rosters and a chain for the payloads and the roster row.
    let bob_kp: &AccountKeyPair = bob_account.key_pair().expect("key");
    let r1 = Roster::create(
        bob_kp,
        GROUP,
        vec![
            Member::new(*bob_account.account_key(), Role::Admin),
            Member::new(*alice_account.account_key(), Role::Member),
        ],
    )
    .expect("r1");
    let r2 = r1
        .successor(
            bob_kp,
            vec![
                Member::new(*bob_account.account_key(), Role::Admin),
                Member::new(*alice_account.account_key(), Role::Admin),
            ],
        )
        .expect("r2");
    let chain = OutboundGroupSession::new_in_roster(
        &mut rng,
        &r2,
        bob_account.account_key(),
        RotationPolicy::DEFAULT,
        STORE_NOW,
    )
    .expect("chain");
    rng.label(&[
        ("bob.chain.chain_id", 4),
        ("bob.chain.chain_key", 32),
        ("bob.chain.signing_seed", 32),
    ]);
    let distribution = chain.distribution(&bob).to_bytes();

    let index = |label: &str, data: &[u8]| -> [u8; 32] {
        let n = key.index(label.as_bytes(), data);
        assert_eq!(
            n,
            kdf::hmac_sha256(&index_key, &[label.as_bytes(), data].concat())
        );
        n
    };
    let peer = index("peer", &bob_ed);
    let sid_name = index("session", &sid);
    let group_name = index("group", GROUP);
    let contact_name = index("contact", &bob_account.account_key().to_bytes());
    let object = |kind: u8, id: &[u8]| [&[kind][..], id].concat();
    let bob_pub = *bob.public();
    let group_message = b"a group message stand-in: the store does not look inside".to_vec();
    let rows = vec![
        Row {
            name: "check",
            about: "the check value: ASCII qorgan-store",
            place: json!({"table": "meta", "name": "check"}),
            key: b"check".to_vec(),
            table: "meta",
            generation: 0,
            plain: b"qorgan-store".to_vec(),
        },
        Row {
            name: "counter",
            about: "the store-wide counter: u64(12)",
            place: json!({"table": "meta", "name": "counter"}),
            key: b"counter".to_vec(),
            table: "meta",
            generation: 0,
            plain: 12u64.to_be_bytes().to_vec(),
        },
        Row {
            name: "contact",
            about: "a contact (kind 3): Bob's contact state (§14.7), named by his account key",
            place: json!({"table": "objects", "kind": 3, "id": hx(&contact_name), "generation": 2}),
            key: object(3, &contact_name),
            table: "objects",
            generation: 2,
            plain: qorgan::account::Contact::pin(bob_account.list().clone())
                .to_bytes()
                .to_vec(),
        },
        Row {
            name: "roster",
            about: "a group's held roster (kind 4): r2, named by the group id",
            place: json!({"table": "objects", "kind": 4, "id": hx(&group_name), "generation": 8}),
            key: object(4, &group_name),
            table: "objects",
            generation: 8,
            plain: r2.to_bytes(),
        },
        Row {
            name: "peer",
            about: "Bob's device's peer record (kind 7): the active session, one failure, not broken",
            place: json!({"table": "objects", "kind": 7, "id": hx(&peer), "generation": 11}),
            key: object(7, &peer),
            table: "objects",
            generation: 11,
            plain: peer_record(Some(&sid), 1, false),
        },
        Row {
            name: "distributed",
            about: "the devices a group chain was handed to (kind 8): chain 0x01020304, Bob's device",
            place: json!({"table": "objects", "kind": 8, "id": hx(&group_name), "generation": 9}),
            key: object(8, &group_name),
            table: "objects",
            generation: 9,
            plain: distributed_record(0x0102_0304, &[bob_ed]),
        },
        Row {
            name: "session",
            about: "Alice's session with Bob: its core (§7.2 state without skipped keys)",
            place: json!({"table": "sessions", "peer": hx(&peer), "sid": hx(&sid_name), "generation": 11}),
            key: [&peer[..], &sid_name].concat(),
            table: "sessions",
            generation: 11,
            plain: core.clone(),
        },
        Row {
            name: "skipped",
            about: "the session's skipped keys (kind 9, named by peer and session): b0's key",
            place: json!({"table": "objects", "kind": 9, "id": hx(&[&peer[..], &sid_name].concat()), "generation": 11}),
            key: object(9, &[&peer[..], &sid_name].concat()),
            table: "objects",
            generation: 11,
            plain: skipped.clone(),
        },
        Row {
            name: "outbox 1",
            about: "an outbox entry for Bob's device: the session's first message",
            place: json!({"table": "outbox", "id": 1, "generation": 3}),
            key: mail_key(1).to_vec(),
            table: "outbox",
            generation: 3,
            plain: outgoing_record(&Destination::Device(bob_pub), &first),
        },
        Row {
            name: "outbox 2",
            about: "an outbox entry for a group",
            place: json!({"table": "outbox", "id": 2, "generation": 4}),
            key: mail_key(2).to_vec(),
            table: "outbox",
            generation: 4,
            plain: outgoing_record(&Destination::Group(GROUP.to_vec()), &group_message),
        },
        Row {
            name: "inbox 1",
            about: "an inbox row of two 1:1 messages, the first acknowledged",
            place: json!({"table": "inbox", "id": 1, "generation": 5}),
            key: mail_key(1).to_vec(),
            table: "inbox",
            generation: 5,
            plain: inbox_row(&[
                (
                    1,
                    incoming_record(&bob_pub, None, Some(&sid), b"b0: read and saved"),
                ),
                (
                    0,
                    incoming_record(&bob_pub, None, Some(&sid), b"b1: not saved yet"),
                ),
            ]),
        },
        Row {
            name: "inbox 2",
            about: "an inbox row of one group message",
            place: json!({"table": "inbox", "id": 2, "generation": 6}),
            key: mail_key(2).to_vec(),
            table: "inbox",
            generation: 6,
            plain: inbox_row(&[(
                0,
                incoming_record(&bob_pub, Some(GROUP), None, b"g0: to the group"),
            )]),
        },
    ];
    let events = [
        Event::SessionBroken { device: bob_pub },
        Event::SessionReset { device: bob_pub },
        Event::GroupKey {
            group: GROUP.to_vec(),
            sender: bob_pub,
        },
        Event::RosterChanged {
            group: GROUP.to_vec(),
            epoch: 2,
        },
        Event::RolledBack {
            store: 40,
            anchor: 45,
        },
    ];
    let mut rows = rows;
    let event_names = ["event 1", "event 2", "event 3", "event 4", "event 5"];
    let event_about = [
        "SessionBroken (kind 0)",
        "SessionReset (kind 1)",
        "GroupKey (kind 2)",
        "RosterChanged (kind 3)",
        "RolledBack (kind 4)",
    ];
    for (i, e) in events.iter().enumerate() {
        let id = i as i64 + 1;
        rows.push(Row {
            name: event_names[i],
            about: event_about[i],
            place: json!({"table": "events", "id": id, "generation": 6 + id}),
            key: mail_key(id).to_vec(),
            table: "events",
            generation: 6 + id as u64,
            plain: event_record(e),
        });
    }
    let mut row_inputs = Vec::new();
    let mut row_out = Vec::new();
    for r in &rows {
        let context = slot(r.table, &r.key, r.generation);
        let purpose = format!("seal.{}.nonce", r.name);
        let (sealed, _) = seal_checked(&key, &mut rng, &purpose, &context, &r.plain);
        let mut place = r.place.clone();
        place["value"] = json!(hx(&sealed));
        row_inputs.push(json!({"name": r.name, "about": r.about, "plain": hx(&r.plain)}));
        row_out.push(json!({
            "name": r.name,
            "slot_key": hx(&r.key),
            "slot": hx(&context),
            "nonce_draw": purpose,
            "row": place,
        }));
    }
    let draws = rng.take_log();

    // What qorgan-store reads from a file holding these rows.
    let reads = read_rows_through_store(&key.to_bytes(), &row_out, &bob_pub);
    let payloads: Vec<(&str, u8, Vec<u8>, &str)> = vec![
        ("message", 0, b"hello".to_vec(), "an application message"),
        (
            "empty message",
            0,
            Vec::new(),
            "an empty application message",
        ),
        ("reset", 1, Vec::new(), "a reset: no body"),
        (
            "distribution",
            2,
            distribution.to_vec(),
            "Bob's chain under r2 (a version 3 distribution, type 0x21)",
        ),
        (
            "rosters",
            3,
            rosters_body(&[&r1.to_bytes(), &r2.to_bytes()]),
            "r1 and r2, oldest first",
        ),
    ];
    json!({
        "description": "The account store's rows and payloads (docs/PROTOCOL.md §17). \
            inputs.draws: from rng(seed), the storage key, Alice's and Bob's identities and \
            account keys, Bob's group chain (new_in_roster under r2) and one nonce per sealed \
            row. inputs.session: Alice's session with Bob (made with rng(sessions_seed) at now): \
            she sent first_message, Bob answered late_message (payload late_payload) and another \
            that Alice read, so she holds one skipped key; alice is her whole state (§7.2), \
            alice_core and alice_skipped its two parts (§17.3), bob Bob's session after \
            answering. inputs.rows: each row's plain value. \
            expected.rows: per row its slot key and slot (§17.1) and the row as written into the \
            file (table, name or kind and id or peer and sid or id, generation, and the value \
            sealed for the slot, §7.5); expected.reads: what qorgan-store gives for a store file \
            under the storage key holding these rows (counter after one more write: the open; \
            outbox, pending, events, the active session with Bob's device, the held roster of \
            the group); expected.payloads: the 1:1 payloads of §17.3, each kind, body and bytes. \
            Group id: inputs.group (hex).",
        "seed": STORE_SEED,
        "sessions_seed": STORE_SESSIONS_SEED,
        "now": STORE_NOW,
        "inputs": {
            "draws": draws,
            "group": hx(GROUP),
            "identities": {
                "alice": hx(&alice.public().to_field_bytes()),
                "bob": hx(&bob.public().to_field_bytes()),
            },
            "accounts": {
                "alice": hx(&alice_account.account_key().to_bytes()),
                "bob": hx(&bob_account.account_key().to_bytes()),
            },
            "lists": {"bob": hx(&bob_account.list().to_bytes())},
            "rosters": {"r1": hx(&r1.to_bytes()), "r2": hx(&r2.to_bytes())},
            "session": {
                "alice": hx(&session_state),
                "alice_core": hx(&core),
                "alice_skipped": hx(&skipped),
                "bob": hx(&bob_session.to_bytes()),
                "session_id": hx(&sid),
                "first_message": hx(&first),
                "late_message": hx(&late),
                "late_payload": hx(&payload(0, &late_text)),
            },
            "rows": row_inputs,
        },
        "expected": {
            "value_key": hx(&value_key),
            "index_key": hx(&index_key),
            "names": {
                "peer.bob": hx(&peer),
                "session": hx(&sid_name),
                "group": hx(&group_name),
                "contact.bob": hx(&contact_name),
            },
            "rows": row_out,
            "reads": reads,
            "payloads": payloads.iter().map(|(name, kind, body, about)| json!({
                "name": name,
                "about": about,
                "kind": kind,
                "body": hx(body),
                "bytes": hx(&payload(*kind, body)),
            })).collect::<Vec<_>>(),
        },
    })
}

/// Makes a store file under `key`, writes the `row`s of `rows` into it, and
/// returns what qorgan-store reads back (`expected.reads` of `store.json`).
pub fn read_rows_through_store(key: &[u8; 32], rows: &[Value], bob: &IdentityKey) -> Value {
    let dir = TempDir::new("store-vectors");
    let path = dir.path("store.db");
    new_store_file(&path, key);
    let written: Vec<Value> = rows.iter().map(|r| r["row"].clone()).collect();
    write_rows(&path, &written);
    let mut account =
        Account::open(&path, &StorageKey::from_bytes(*key), &options()).expect("opens");
    let out = json!({
        "counter": account.counter().expect("counter"),
        "outbox": account.outbox().expect("outbox").iter().map(outgoing_json).collect::<Vec<_>>(),
        "pending": account.pending().expect("pending").iter().map(incoming_json).collect::<Vec<_>>(),
        "events": account.events().expect("events").iter()
            .map(|(id, e)| { let mut v = event_json(e); v["id"] = json!(id); v })
            .collect::<Vec<_>>(),
        "active_session": account.active_session(bob).expect("peer").map(|s| hx(&s)),
        "roster": account.roster(GROUP).expect("roster").map(|r| hx(&r.to_bytes())),
    });
    drop(account);
    out
}

// --------------------------------------------------- store_negative.json

/// The state `store_negative.json`'s payload cases share: a store in a
/// temporary directory and a session to it from each sender.
pub struct PayloadContext {
    _dir: TempDir,
    account: Account,
    senders: Vec<(String, IdentityKeyPair, Session)>,
}

impl PayloadContext {
    /// A new store that knows `inputs.lists.bob` as a contact, and a session
    /// to it from each device of `inputs.devices`.
    pub fn new(inputs: &Value) -> Self {
        let dir = TempDir::new("store-payloads");
        let key = h32(&inputs["storage_key"]);
        let mut account = Account::open(
            &dir.path("store.db"),
            &StorageKey::from_bytes(key),
            &options(),
        )
        .expect("store");
        let list = DeviceList::from_bytes(&h(&inputs["lists"]["bob"])).expect("list");
        account.update_contact(&[list]).expect("contact");
        let mut rng = qorgan::SystemRng::new().expect("rng");
        let mut senders = Vec::new();
        for (name, d) in inputs["devices"].as_object().expect("devices") {
            let mut r = ReplayRng::new([h(&d["ed25519_seed"]), h(&d["x25519_secret"])]);
            let id = IdentityKeyPair::generate(&mut r);
            r.finish();
            assert_eq!(
                hx(&id.public().to_field_bytes()),
                d["field"].as_str().expect("field")
            );
            let bundle =
                PreKeyBundle::from_bytes(&account.bundle().expect("bundle")).expect("bundle");
            let session = Session::initiate(&mut rng, &id, &bundle).expect("initiate");
            senders.push((name.clone(), id, session));
        }
        Self {
            _dir: dir,
            account,
            senders,
        }
    }
}

/// Runs one case of `store_negative.json`: `store.open` and `mailbox.read`
/// make a store file of their own; `payload` cases use `payloads`, made
/// from the file's inputs with [`PayloadContext::new`] and shared by every
/// payload case in file order.
pub fn run_store_negative_case(case: &Value, payloads: &mut PayloadContext) -> Value {
    let op = case["operation"].as_str().expect("operation");
    match op {
        "store.open" | "mailbox.read" => {
            let dir = TempDir::new("store-negative");
            let path = dir.path("store.db");
            new_store_file(&path, &h32(&case["made_with"]));
            write_rows(&path, case["rows"].as_array().expect("rows"));
            let key = StorageKey::from_bytes(h32(&case["key"]));
            let account = match Account::open(&path, &key, &options()) {
                Ok(a) => a,
                Err(e) => return error(errors::store(&e)),
            };
            let read = match case["read"].as_str().unwrap_or("counter") {
                "counter" => account.counter().map(|c| json!(c)),
                "outbox" => account
                    .outbox()
                    .map(|o| json!(o.iter().map(outgoing_json).collect::<Vec<_>>())),
                "pending" => account
                    .pending()
                    .map(|o| json!(o.iter().map(incoming_json).collect::<Vec<_>>())),
                "events" => account.events().map(|o| {
                    json!(
                        o.iter()
                            .map(|(id, e)| {
                                let mut v = event_json(e);
                                v["id"] = json!(id);
                                v
                            })
                            .collect::<Vec<_>>()
                    )
                }),
                other => panic!("read {other}"),
            };
            match read {
                Ok(v) => json!({"result": "ok", "read": v}),
                Err(e) => error(errors::store(&e)),
            }
        }
        "payload" => {
            let sender = case["sender"].as_str().expect("sender");
            let mut rng = qorgan::SystemRng::new().expect("rng");
            let (_, id, session) = payloads
                .senders
                .iter_mut()
                .find(|(n, _, _)| n == sender)
                .expect("sender");
            let message = session
                .encrypt(&mut rng, &h(&case["payload"]))
                .expect("encrypt");
            let from = *id.public();
            match payloads.account.decrypt(&from, &message, STORE_NOW) {
                Ok(d) => {
                    let mut v = delivery_json(&d);
                    v["result"] = json!("ok");
                    v
                }
                Err(e) => error(errors::store(&e)),
            }
        }
        other => panic!("operation {other}"),
    }
}

fn device_json(seed: &[u8; 32], x: &[u8; 32]) -> (IdentityKeyPair, Value) {
    let mut r = ReplayRng::new([seed.to_vec(), x.to_vec()]);
    let id = IdentityKeyPair::generate(&mut r);
    r.finish();
    let v = json!({
        "ed25519_seed": hx(seed),
        "x25519_secret": hx(x),
        "field": hx(&id.public().to_field_bytes()),
    });
    (id, v)
}

/// A `store.open` case: name, about, expected error (or "ok"), the key the
/// file is opened with, the rows changed.
type OpenCase<'a> = (&'a str, &'a str, &'a str, [u8; 32], Vec<Value>);
/// A `mailbox.read` case: name, about, expected error (or "ok"), what is
/// read, the rows written.
type MailCase<'a> = (&'a str, &'a str, &'a str, &'a str, Vec<Value>);
/// A `payload` case: name, about, expected error (or "ok"), sender, payload.
type PayloadCase<'a> = (&'a str, &'a str, String, &'a str, Vec<u8>);

pub(super) fn store_negative_file() -> Value {
    let mut rng = crate::rng(STORE_NEGATIVE_SEED);
    let k: [u8; 32] = draw(&mut rng);
    let other: [u8; 32] = draw(&mut rng);
    let (value_key, _) = derived_keys(&k);
    let mut nonce_rng = crate::rng(STORE_NEGATIVE_SEED + 1000);
    let mut seal = |context: &[u8], value: &[u8]| -> Vec<u8> {
        let nonce: [u8; 24] = draw(&mut nonce_rng);
        seal_by_hand(&value_key, &nonce, context, value)
    };
    let (bob, bob_device) = device_json(&draw(&mut rng), &draw(&mut rng));
    let (_carol, carol_device) = device_json(&draw(&mut rng), &draw(&mut rng));
    let bob_kp = {
        let mut r = ReplayRng::new([draw::<32>(&mut rng).to_vec()]);
        let kp = AccountKeyPair::generate(&mut r);
        r.finish();
        kp
    };
    let dana_kp = {
        let mut r = ReplayRng::new([draw::<32>(&mut rng).to_vec()]);
        let kp = AccountKeyPair::generate(&mut r);
        r.finish();
        kp
    };
    let bob_list = DeviceList::first(
        &bob_kp,
        vec![qorgan::account::DeviceEntry::new(
            *bob.public(),
            "Bob's phone",
        )],
    )
    .expect("list");
    let inputs_base = json!({
        "storage_key": hx(&k),
        "devices": {"bob": bob_device, "carol": carol_device},
        "lists": {"bob": hx(&bob_list.to_bytes())},
    });
    let mut ctx = PayloadContext::new(&inputs_base);
    let mut t = CaseTable::default();

    // ------------------------------------------------ store.open (§17.1)
    let meta = |name: &str, value: Option<Vec<u8>>| json!({"table": "meta", "name": name, "value": value.map(|v| hx(&v))});
    let schema = |v: &[u8]| meta("schema", Some(v.to_vec()));
    let open = |t: &mut CaseTable,
                ctx: &mut PayloadContext,
                name: &str,
                about: &str,
                kind: &str,
                key: &[u8; 32],
                rows: Vec<Value>| {
        t.add(
            name,
            about,
            innermost(kind),
            json!({"operation": "store.open", "made_with": hx(&k), "key": hx(key), "rows": rows}),
            |c| run_store_negative_case(c, ctx),
        );
    };
    open(
        &mut t,
        &mut ctx,
        "open",
        "the store's own key: the counter after the open's write",
        "ok",
        &k,
        vec![],
    );
    open(
        &mut t,
        &mut ctx,
        "another key",
        "an unrelated key",
        "StoreError::WrongKey",
        &other,
        vec![],
    );
    let check_at = |g: u64| slot("meta", b"check", g);
    let counter_slot = slot("meta", b"counter", 0);
    let mut open_rows: Vec<OpenCase> = vec![
        (
            "schema 2",
            "a newer schema version",
            "StoreError::NewerVersion(found: 2, supported: 1)",
            k,
            vec![schema(&2u32.to_be_bytes())],
        ),
        (
            "schema 0xFFFFFFFF",
            "the largest schema version",
            "StoreError::NewerVersion(found: 4294967295, supported: 1)",
            k,
            vec![schema(&u32::MAX.to_be_bytes())],
        ),
        (
            "schema 2 under another key",
            "the schema version is read before the check value",
            "StoreError::NewerVersion(found: 2, supported: 1)",
            other,
            vec![schema(&2u32.to_be_bytes())],
        ),
        (
            "schema missing",
            "no schema row",
            "StoreError::Corrupt(no schema version)",
            k,
            vec![meta("schema", None)],
        ),
        (
            "schema of 8 bytes",
            "u64(1) instead of u32(1)",
            "StoreError::Corrupt(no schema version)",
            k,
            vec![schema(&1u64.to_be_bytes())],
        ),
        (
            "schema of 3 bytes",
            "00 00 01",
            "StoreError::Corrupt(no schema version)",
            k,
            vec![schema(&[0, 0, 1])],
        ),
        (
            "check missing",
            "no check row",
            "StoreError::Corrupt(no check value)",
            k,
            vec![meta("check", None)],
        ),
        (
            "check of other bytes",
            "the check row seals qorgan-stor (one byte short)",
            "StoreError::Corrupt(check value)",
            k,
            vec![meta("check", Some(seal(&check_at(0), b"qorgan-stor")))],
        ),
        (
            "check sealed at generation 1",
            "the check value of another slot: it does not open, read as another key",
            "StoreError::WrongKey",
            k,
            vec![meta("check", Some(seal(&check_at(1), b"qorgan-store")))],
        ),
        (
            "check sealed for the counter's slot",
            "the check value in the counter's slot does not open",
            "StoreError::WrongKey",
            k,
            vec![meta("check", Some(seal(&counter_slot, b"qorgan-store")))],
        ),
        (
            "check re-sealed",
            "a new check row under the same key (another nonce) opens",
            "ok",
            k,
            vec![meta("check", Some(seal(&check_at(0), b"qorgan-store")))],
        ),
        (
            "counter set to 41",
            "the counter row sealed anew at 41: the open's write makes it 42",
            "ok",
            k,
            vec![meta(
                "counter",
                Some(seal(&counter_slot, &41u64.to_be_bytes())),
            )],
        ),
        (
            "counter missing",
            "no counter row",
            "StoreError::Corrupt(no counter)",
            k,
            vec![meta("counter", None)],
        ),
        (
            "counter of 4 bytes",
            "u32(41) sealed as the counter",
            "StoreError::Corrupt(counter)",
            k,
            vec![meta(
                "counter",
                Some(seal(&counter_slot, &41u32.to_be_bytes())),
            )],
        ),
        (
            "counter in the check's slot",
            "the counter sealed for the check's slot does not open",
            "StoreError::Corrupt(sealed state failed authentication)",
            k,
            vec![meta(
                "counter",
                Some(seal(&check_at(0), &41u64.to_be_bytes())),
            )],
        ),
        (
            "counter exhausted",
            "the counter at 2^64 - 1: no write can follow",
            "StoreError::Corrupt(counter exhausted)",
            k,
            vec![meta(
                "counter",
                Some(seal(&counter_slot, &u64::MAX.to_be_bytes())),
            )],
        ),
        (
            "counter at 2^63 - 1",
            "the open's write stores no row, so it ends at 2^63; the first row written after \
             fails (its generation does not fit SQLite's integer)",
            "ok",
            k,
            vec![meta(
                "counter",
                Some(seal(&counter_slot, &(i64::MAX as u64).to_be_bytes())),
            )],
        ),
    ];
    for (name, about, kind, key, rows) in open_rows.drain(..) {
        open(&mut t, &mut ctx, name, about, kind, &key, rows);
    }

    // --------------------------------------------- mailbox.read (§17.2)
    let bob_pub = *bob.public();
    let field = bob_pub.to_field_bytes();
    let mail = |t: &mut CaseTable,
                ctx: &mut PayloadContext,
                name: &str,
                about: &str,
                kind: &str,
                read: &str,
                rows: Vec<Value>| {
        t.add(
            name,
            about,
            innermost(kind),
            json!({"operation": "mailbox.read", "made_with": hx(&k), "key": hx(&k), "rows": rows, "read": read}),
            |c| run_store_negative_case(c, ctx),
        );
    };
    let row = |table: &str, id: i64, generation: i64, value: Vec<u8>| json!({"table": table, "id": id, "generation": generation, "value": hx(&value)});
    let outbox_dev = outgoing_record(&Destination::Device(bob_pub), b"ciphertext");
    let outbox_group = outgoing_record(&Destination::Group(GROUP.to_vec()), b"group ciphertext");
    let mut cases: Vec<MailCase> = vec![
        (
            "outbox to a device",
            "destination 0",
            "ok",
            "outbox",
            vec![row(
                "outbox",
                1,
                5,
                seal(&slot("outbox", &mail_key(1), 5), &outbox_dev),
            )],
        ),
        (
            "outbox to a group",
            "destination 1",
            "ok",
            "outbox",
            vec![row(
                "outbox",
                3,
                5,
                seal(&slot("outbox", &mail_key(3), 5), &outbox_group),
            )],
        ),
        (
            "outbox to the empty group id, empty bytes",
            "empty byte strings are allowed",
            "ok",
            "outbox",
            vec![row(
                "outbox",
                4,
                5,
                seal(
                    &slot("outbox", &mail_key(4), 5),
                    &outgoing_record(&Destination::Group(vec![]), b""),
                ),
            )],
        ),
        (
            "outbox destination 2",
            "an unknown destination",
            "StoreError::Corrupt(outbox destination)",
            "outbox",
            vec![row(
                "outbox",
                1,
                5,
                seal(
                    &slot("outbox", &mail_key(1), 5),
                    &[&[2u8][..], &outbox_group[1..]].concat(),
                ),
            )],
        ),
        (
            "outbox record with a trailing byte",
            "one byte after the ciphertext",
            "StoreError::Corrupt(malformed record)",
            "outbox",
            vec![row(
                "outbox",
                1,
                5,
                seal(
                    &slot("outbox", &mail_key(1), 5),
                    &[&outbox_group[..], &[0]].concat(),
                ),
            )],
        ),
        (
            "outbox record cut",
            "the ciphertext one byte short of its length",
            "StoreError::Corrupt(malformed record)",
            "outbox",
            vec![row(
                "outbox",
                1,
                5,
                seal(
                    &slot("outbox", &mail_key(1), 5),
                    &outbox_group[..outbox_group.len() - 1],
                ),
            )],
        ),
        (
            "outbox row moved",
            "row 1's value put at id 2",
            "StoreError::Corrupt(sealed state failed authentication)",
            "outbox",
            vec![row(
                "outbox",
                2,
                5,
                seal(&slot("outbox", &mail_key(1), 5), &outbox_dev),
            )],
        ),
        (
            "outbox generation changed",
            "the generation column 6 for a value sealed at 5",
            "StoreError::Corrupt(sealed state failed authentication)",
            "outbox",
            vec![row(
                "outbox",
                1,
                6,
                seal(&slot("outbox", &mail_key(1), 5), &outbox_dev),
            )],
        ),
        (
            "inbox row in the outbox",
            "a value sealed for inbox row 1 put at outbox row 1",
            "StoreError::Corrupt(sealed state failed authentication)",
            "outbox",
            vec![row(
                "outbox",
                1,
                5,
                seal(&slot("inbox", &mail_key(1), 5), &outbox_dev),
            )],
        ),
        (
            "negative generation",
            "generation -1",
            "StoreError::Corrupt(generation)",
            "outbox",
            vec![row(
                "outbox",
                1,
                -1,
                seal(&slot("outbox", &mail_key(1), 0), &outbox_dev),
            )],
        ),
    ];
    let m1 = incoming_record(&bob_pub, None, Some(&[7; 32]), b"first");
    let m2 = incoming_record(&bob_pub, Some(GROUP), None, b"second");
    let mut inbox =
        |id: i64, v: Vec<u8>| row("inbox", id, 9, seal(&slot("inbox", &mail_key(id), 9), &v));
    cases.extend([
        (
            "inbox row of two",
            "the first acknowledged: only the second is pending, id 2 * 65536 + 1",
            "ok",
            "pending",
            vec![inbox(2, inbox_row(&[(1, m1.clone()), (0, m2.clone())]))],
        ),
        (
            "inbox acked flag 2",
            "a flag is 0 or 1",
            "StoreError::Corrupt(malformed record)",
            "pending",
            vec![inbox(1, inbox_row(&[(2, m1.clone()), (0, m2.clone())]))],
        ),
        (
            "inbox group flag 2",
            "a flag is 0 or 1",
            "StoreError::Corrupt(malformed record)",
            "pending",
            vec![inbox(
                1,
                inbox_row(&[(0, {
                    let mut r = incoming_record(&bob_pub, Some(GROUP), None, b"x");
                    r[132] = 2;
                    r
                })]),
            )],
        ),
        (
            "inbox row of none",
            "count 0: nothing pending",
            "ok",
            "pending",
            vec![inbox(1, inbox_row(&[]))],
        ),
        (
            "inbox count 65537",
            "more messages than a row can hold",
            "StoreError::Corrupt(inbox row)",
            "pending",
            vec![inbox(1, 65_537u32.to_be_bytes().to_vec())],
        ),
        (
            "inbox count 65536, no messages",
            "the count is allowed; the first message is missing",
            "StoreError::Corrupt(malformed record)",
            "pending",
            vec![inbox(1, 65_536u32.to_be_bytes().to_vec())],
        ),
        (
            "inbox count 2, one message",
            "the second message missing",
            "StoreError::Corrupt(malformed record)",
            "pending",
            vec![inbox(1, {
                let mut r = inbox_row(&[(0, m1.clone())]);
                r[3] = 2;
                r
            })],
        ),
        (
            "inbox session id of 31 bytes",
            "a session id must be 32 bytes",
            "StoreError::Corrupt(session id)",
            "pending",
            vec![inbox(1, {
                let mut r = b32(&field);
                r.push(0);
                r.push(1);
                r.extend_from_slice(&b32(&[7; 31]));
                r.extend_from_slice(&b32(b"first"));
                inbox_row(&[(0, r)])
            })],
        ),
        (
            "inbox message with a trailing byte",
            "a byte after the plaintext inside the message record",
            "StoreError::Corrupt(malformed record)",
            "pending",
            vec![inbox(1, inbox_row(&[(0, [&m1[..], &[0]].concat())]))],
        ),
        (
            "inbox row with a trailing byte",
            "a byte after the last message",
            "StoreError::Corrupt(malformed record)",
            "pending",
            vec![inbox(
                1,
                [&inbox_row(&[(0, m1.clone())])[..], &[0]].concat(),
            )],
        ),
    ]);
    let mut ev =
        |id: i64, v: Vec<u8>| row("events", id, 4, seal(&slot("events", &mail_key(id), 4), &v));
    cases.extend([
        (
            "events of each kind",
            "kinds 0 to 4",
            "ok",
            "events",
            vec![
                ev(1, event_record(&Event::SessionBroken { device: bob_pub })),
                ev(2, event_record(&Event::SessionReset { device: bob_pub })),
                ev(
                    3,
                    event_record(&Event::GroupKey {
                        group: GROUP.to_vec(),
                        sender: bob_pub,
                    }),
                ),
                ev(
                    4,
                    event_record(&Event::RosterChanged {
                        group: GROUP.to_vec(),
                        epoch: 7,
                    }),
                ),
                ev(
                    5,
                    event_record(&Event::RolledBack {
                        store: 3,
                        anchor: 9,
                    }),
                ),
            ],
        ),
        (
            "event kind 0xFF",
            "an unknown event",
            "StoreError::Corrupt(event kind)",
            "events",
            vec![ev(1, vec![0xFF])],
        ),
        (
            "event with a trailing byte",
            "RolledBack and one byte more",
            "StoreError::Corrupt(malformed record)",
            "events",
            vec![ev(
                1,
                [
                    &event_record(&Event::RolledBack {
                        store: 3,
                        anchor: 9,
                    })[..],
                    &[0],
                ]
                .concat(),
            )],
        ),
        (
            "event cut",
            "RosterChanged without its last epoch byte",
            "StoreError::Corrupt(malformed record)",
            "events",
            vec![ev(1, {
                let r = event_record(&Event::RosterChanged {
                    group: GROUP.to_vec(),
                    epoch: 7,
                });
                r[..r.len() - 1].to_vec()
            })],
        ),
    ]);
    for (name, about, kind, read, rows) in cases.drain(..) {
        mail(&mut t, &mut ctx, name, about, kind, read, rows);
    }

    // --------------------------------------------------- payloads (§17.3)
    let r1 = Roster::create(
        &bob_kp,
        GROUP,
        vec![
            Member::new(*bob_kp.public(), Role::Admin),
            Member::new(*dana_kp.public(), Role::Member),
        ],
    )
    .expect("r1");
    let r2 = r1
        .successor(
            &bob_kp,
            vec![
                Member::new(*bob_kp.public(), Role::Admin),
                Member::new(*dana_kp.public(), Role::Admin),
            ],
        )
        .expect("r2");
    let dana_only = Roster::create(
        &dana_kp,
        GROUP,
        vec![Member::new(*dana_kp.public(), Role::Admin)],
    )
    .expect("dana");
    let mut chain_rng = crate::rng(STORE_NEGATIVE_SEED + 2000);
    let v3 = OutboundGroupSession::new_in_roster(
        &mut chain_rng,
        &r1,
        bob_kp.public(),
        RotationPolicy::DEFAULT,
        STORE_NOW,
    )
    .expect("chain")
    .distribution(&bob)
    .to_bytes();
    let v2 = OutboundGroupSession::new(&mut chain_rng, GROUP, RotationPolicy::DEFAULT, STORE_NOW)
        .expect("chain")
        .distribution(&bob)
        .to_bytes();
    let r1b = r1.to_bytes();
    let r2b = r2.to_bytes();
    let mut bad_sig = r1b.clone();
    let last = bad_sig.len() - 1;
    bad_sig[last] ^= 0x01;
    let mut announcement = v3.clone();
    announcement[1] = 0x23;
    let pay = |t: &mut CaseTable,
               ctx: &mut PayloadContext,
               name: &str,
               about: &str,
               kind: &str,
               sender: &str,
               p: Vec<u8>| {
        t.add(
            name,
            about,
            innermost(kind),
            json!({"operation": "payload", "sender": sender, "payload": hx(&p)}),
            |c| run_store_negative_case(c, ctx),
        );
    };
    let invalid = |s: &str| format!("StoreError::InvalidPayload({s})");
    let mut pcases: Vec<PayloadCase> = vec![
        (
            "message",
            "an application message",
            "ok".into(),
            "bob",
            payload(0, b"hello"),
        ),
        (
            "empty message",
            "an empty application message",
            "ok".into(),
            "bob",
            payload(0, b""),
        ),
        (
            "message from a device of no contact",
            "1:1 messages need no contact",
            "ok".into(),
            "carol",
            payload(0, b"hello from Carol"),
        ),
        (
            "reset",
            "kind 1: an event SessionReset",
            "ok".into(),
            "bob",
            payload(1, b""),
        ),
        ("empty", "no bytes", invalid("empty"), "bob", vec![]),
        (
            "version 0",
            "0x00 0x00 hello",
            invalid("unsupported version"),
            "bob",
            [&[0u8, 0][..], b"hello"].concat(),
        ),
        (
            "version 2",
            "0x02 0x00 hello",
            invalid("unsupported version"),
            "bob",
            [&[2u8, 0][..], b"hello"].concat(),
        ),
        (
            "version only",
            "0x01",
            invalid("unknown kind"),
            "bob",
            vec![1],
        ),
        (
            "kind 4",
            "an unknown kind",
            invalid("unknown kind"),
            "bob",
            payload(4, b""),
        ),
        (
            "kind 0xFF",
            "an unknown kind",
            invalid("unknown kind"),
            "bob",
            payload(0xFF, b"x"),
        ),
        (
            "reset with a body",
            "a reset carries nothing: 0x01 0x01 0x00 is no payload",
            invalid("unknown kind"),
            "bob",
            payload(1, &[0]),
        ),
        (
            "distribution of an unknown group",
            "kept (it does not apply): a valid version 3 distribution: no roster held for its group",
            "ok".into(),
            "bob",
            payload(2, &v3),
        ),
        (
            "version 2 distribution of an unknown group",
            "kept (it does not apply): a valid version 2 distribution: no roster held for its group",
            "ok".into(),
            "bob",
            payload(2, &v2),
        ),
        (
            "distribution empty",
            "refused (it can never apply, so it is not kept): kind 2, no body",
            "DecodeError::Truncated(needed: 1)".into(),
            "bob",
            payload(2, b""),
        ),
        (
            "distribution cut",
            "refused (it can never apply, so it is not kept): the last byte missing",
            "DecodeError::Truncated(needed: 1)".into(),
            "bob",
            payload(2, &v3[..v3.len() - 1]),
        ),
        (
            "distribution of type 0x23",
            "refused (it can never apply, so it is not kept): an announcement's type byte",
            "DecodeError::UnexpectedType(0x23)".into(),
            "bob",
            payload(2, &announcement),
        ),
        (
            "rosters empty",
            "refused (it can never apply, so it is not kept): kind 3, no body (applying it: Corrupt(malformed record))",
            "StoreError::InvalidPayload(rosters)".into(),
            "bob",
            payload(3, b""),
        ),
        (
            "rosters count 0",
            "refused (it can never apply, so it is not kept): no roster",
            "StoreError::InvalidPayload(roster count)".into(),
            "bob",
            payload(3, &rosters_body(&[])),
        ),
        (
            "rosters count 65",
            "refused (it can never apply, so it is not kept): more than MAX_ROSTER_CHAIN, checked before any roster is read",
            "StoreError::InvalidPayload(roster count)".into(),
            "bob",
            payload(3, &65u32.to_be_bytes()),
        ),
        (
            "rosters count 2, one roster",
            "refused (it can never apply, so it is not kept): the second roster missing",
            "StoreError::InvalidPayload(rosters)".into(),
            "bob",
            payload(3, &{
                let mut b = rosters_body(&[&r1b]);
                b[3] = 2;
                b
            }),
        ),
        (
            "rosters length beyond the body",
            "refused (it can never apply, so it is not kept): a roster one byte shorter than its length",
            "StoreError::InvalidPayload(rosters)".into(),
            "bob",
            payload(3, &{
                let b = rosters_body(&[&r1b]);
                b[..b.len() - 1].to_vec()
            }),
        ),
        (
            "rosters with a trailing byte",
            "refused (it can never apply, so it is not kept): a byte after the last roster",
            "StoreError::InvalidPayload(rosters)".into(),
            "bob",
            payload(3, &[&rosters_body(&[&r1b])[..], &[0]].concat()),
        ),
        (
            "rosters with an invalid signature",
            "refused (it can never apply, so it is not kept): r1 with its signature's last byte flipped",
            "SignatureError::Invalid(Roster)".into(),
            "bob",
            payload(3, &rosters_body(&[&bad_sig])),
        ),
        (
            "rosters with a truncated roster",
            "refused (it can never apply, so it is not kept): r1 without its last byte, as its own length says",
            "DecodeError::Truncated(needed: 1)".into(),
            "bob",
            payload(3, &rosters_body(&[&r1b[..r1b.len() - 1]])),
        ),
        (
            "rosters, the second invalid",
            "refused (it can never apply, so it is not kept): r1 then r1 with a bad signature: every roster is decoded first",
            "SignatureError::Invalid(Roster)".into(),
            "bob",
            payload(3, &rosters_body(&[&r1b, &bad_sig])),
        ),
        (
            "invitation from a device of no contact",
            "kept (it does not apply): r1 from Carol's device, which no contact lists",
            "ok".into(),
            "carol",
            payload(3, &rosters_body(&[&r1b])),
        ),
        (
            "invitation to a group without this account",
            "refused (it can never apply, so it is not kept): r1 from Bob (a contact, admin of r1): this account is not a member",
            "RosterError::NotMember".into(),
            "bob",
            payload(3, &rosters_body(&[&r1b])),
        ),
        (
            "invitation chain without this account",
            "refused (it can never apply, so it is not kept): r1 and r2: only the newest is looked at",
            "RosterError::NotMember".into(),
            "bob",
            payload(3, &rosters_body(&[&r1b, &r2b])),
        ),
        (
            "invitation without the sender or this account",
            "refused (it can never apply, so it is not kept): Dana's own roster from Bob: this account's membership is checked first",
            "RosterError::NotMember".into(),
            "bob",
            payload(3, &rosters_body(&[&dana_only.to_bytes()])),
        ),
        (
            "a message after the kept payloads",
            "the session still reads",
            "ok".into(),
            "bob",
            payload(0, b"still here"),
        ),
    ];
    for (name, about, kind, sender, p) in pcases.drain(..) {
        pay(&mut t, &mut ctx, name, about, &kind, sender, p);
    }
    let (inputs, expected) = (t.inputs, t.expected);
    let mut inputs_all = inputs_base;
    inputs_all["accounts"] = json!({
        "bob": hx(&bob_kp.public().to_bytes()),
        "dana": hx(&dana_kp.public().to_bytes()),
    });
    inputs_all["cases"] = json!(inputs);
    json!({
        "description": "Store files and payloads qorgan-store must refuse (docs/PROTOCOL.md §17), each \
            with its exact StoreError, and the accepted edges. store.open: a store file made \
            under made_with (a new store: its own identity), its rows then changed as rows says \
            (table meta: name and value, hex, or null to delete the row), opened with key; an ok \
            outcome gives the counter after the open. mailbox.read: a new store under key with \
            the rows written into it (table, id, generation, value: sealed for its slot, §7.5, \
            §17.1), then read is outbox, pending or events, as §17.2 lists them. payload: in \
            file order, one store (inputs.storage_key) that knows inputs.lists.bob as a contact \
            and holds no group, each device of inputs.devices with a session to it (the first \
            message of each a prekey message); each case is the next message from sender, whose \
            plaintext is payload; the outcome is the delivery (a message into the inbox, an \
            event) or the error (a message that opened but whose payload is refused still spends \
            its message key); a group payload (distribution, rosters) refused for a reason that \
            can clear later (no roster held for its group, a sender not yet a member, a gap or \
            a newer roster) is kept (§17.3): the event Deferred names its sender; one refused \
            for good (malformed, a bad signature, this account not a member) is an error. The \
            store's own account key is in no roster of the file, so no group payload here applies. \
            expected.cases: {name, result: \"ok\", …} or {name, result: \"error\", error, kind}.",
        "seed": STORE_NEGATIVE_SEED,
        "inputs": inputs_all,
        "expected": {"cases": expected},
    })
}
