//! `negative.json`: inputs the 1:1 decoders and operations must refuse,
//! each with the exact error, and the accepted inputs at the edges
//! (docs/PROTOCOL.md §2.3, §2.4, §4, §5, §7.1–§7.3, §8, §10, §13).
//!
//! The generator makes a small conversation with qorgan (seeded with
//! [`NEGATIVE_SEED`]), builds every malformed input by hand from the
//! layouts of §4, §5 and §7 and runs each case through qorgan with
//! [`run_case`], which `tests/tests/vectors.rs` also uses to replay the
//! committed file; `tests/tests/vectors/independent.rs` decides the cases
//! its spec-only code can decide.

use super::case_table::CaseTable;
use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::EdwardsPoint;
use qorgan::internals::{kdf_ck, session_secrets};
use qorgan::limits::{MAX_RETIRED_PREKEY_AGE_SECS, PREKEY_ROTATION_SECS};
use qorgan::primitives::aead;
use qorgan::{
    IdentityKey, IdentityKeyPair, PreKeyBundle, PreKeyStore, PreKeyUpload, Session, StateOwner,
    StorageKey,
};
use rand_core::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::group::add_l;
use super::group_negative::{Craft, bad_points, craft, expand, sign, small_order_point};
use super::{ReplayRng, errors};
use crate::hex::{decode as unhex, encode as hx};

/// Seed of `negative.json`.
pub const NEGATIVE_SEED: u64 = 6;

/// The caller's clock (seconds) at which the upload and lifecycle stores
/// of `negative.json` are made (§4.9).
const NOW: u64 = 1_700_000_000;

const BINDING_LABEL: &[u8] = b"qorgan/v1/identity-binding";
const UPLOAD_LABEL: &[u8] = b"qorgan/v1/prekey-upload";

fn sha256_hex(b: &[u8]) -> String {
    hx(&Sha256::digest(b))
}

fn h(v: &Value) -> Vec<u8> {
    unhex(v.as_str().expect("hex")).expect("hex")
}

fn error((error, kind): (String, String)) -> Value {
    json!({"result": "error", "error": error, "kind": kind})
}

/// Runs one case of `negative.json` through qorgan and returns its outcome
/// as the file records it. Every refused call is checked to change nothing.
pub fn run_case(case: &Value) -> Value {
    let op = case["operation"].as_str().expect("operation");
    let input = h(&case["input"]);
    let storage_key = || StorageKey::from_bytes(h(&case["storage_key"]).try_into().expect("32"));
    let state_ok = |bytes: &[u8]| json!({"result": "ok", "state_after_sha256": sha256_hex(bytes)});
    match op {
        "identity.decode" => match IdentityKey::from_bytes(&input) {
            Ok(k) => {
                assert_eq!(k.to_bytes(), input, "one identity, one encoding");
                json!({"result": "ok"})
            }
            Err(e) => error(errors::verify(&e)),
        },
        "identity.decode_field" => match IdentityKey::from_field_bytes(&input) {
            Ok(k) => {
                assert_eq!(k.to_field_bytes().to_vec(), input, "one encoding");
                json!({"result": "ok"})
            }
            Err(e) => error(errors::verify(&e)),
        },
        "bundle.decode" => match PreKeyBundle::from_bytes(&input) {
            Ok(b) => {
                assert_eq!(b.to_bytes(), input, "one bundle, one encoding");
                json!({"result": "ok"})
            }
            Err(e) => error(errors::verify(&e)),
        },
        "session.decrypt" => {
            let state = h(&case["state"]);
            let mut s = Session::from_bytes(&state).expect("state");
            match s.decrypt(&input) {
                Ok(p) => json!({
                    "result": "ok",
                    "plaintext": hx(&p),
                    "state_after_sha256": sha256_hex(&s.to_bytes()),
                }),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), state, "a refused decrypt changes nothing");
                    error(errors::decrypt(&e))
                }
            }
        }
        "store.accept" => {
            let state = h(&case["state"]);
            let mut s = PreKeyStore::from_bytes(&state).expect("store state");
            let before = s.to_bytes().to_vec();
            match s.accept(&input, case["now"].as_u64().expect("now")) {
                Ok((session, p)) => json!({
                    "result": "ok",
                    "plaintext": hx(&p),
                    "session_sha256": sha256_hex(&session.to_bytes()),
                    "state_after_sha256": sha256_hex(&s.to_bytes()),
                }),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), before, "a refused accept changes nothing");
                    error(errors::handshake(&e))
                }
            }
        }
        "session.decode" => match Session::from_bytes(&input) {
            Ok(s) => {
                assert_eq!(*s.to_bytes(), input, "one state, one encoding");
                json!({"result": "ok"})
            }
            Err(e) => error(errors::state(&e)),
        },
        "store.decode" => match PreKeyStore::from_bytes(&input) {
            Ok(s) => {
                if input[0] == qorgan::wire::STORE_VERSION {
                    assert_eq!(*s.to_bytes(), input, "one state, one encoding");
                }
                state_ok(&s.to_bytes())
            }
            Err(e) => error(errors::state(&e)),
        },
        "session.open" => {
            match Session::open(&storage_key(), &input, &crate::vectors::expected_of(case)) {
                Ok(s) => state_ok(&s.to_bytes()),
                Err(e) => error(errors::state(&e)),
            }
        }
        "store.open" => {
            match PreKeyStore::open(&storage_key(), &input, &crate::vectors::expected_of(case)) {
                Ok(s) => state_ok(&s.to_bytes()),
                Err(e) => error(errors::state(&e)),
            }
        }
        "upload.decode" => {
            let single = qorgan::verify::verify(&qorgan::verify::Item::Upload(&input));
            match PreKeyUpload::from_bytes(&input) {
                Ok(u) => {
                    assert_eq!(single, Ok(()), "verify gives the same verdict");
                    assert_eq!(u.to_bytes(), input, "one upload, one encoding");
                    json!({"result": "ok", "upload": upload_json(&u)})
                }
                Err(e) => {
                    assert_eq!(single, Err(e.clone()), "verify gives the same verdict");
                    error(errors::verify(&e))
                }
            }
        }
        other => panic!("unknown operation {other}"),
    }
}

/// What a prekey upload carries (§4.10), as the files list it.
pub fn upload_json(u: &PreKeyUpload) -> Value {
    let kem = |k: &qorgan::KemPreKey| {
        json!({
            "id": k.id,
            "kind": match k.kind {
                qorgan::KemPreKeyKind::LastResort => 0,
                qorgan::KemPreKeyKind::OneTime => 1,
            },
            "key": hx(k.key.as_bytes()),
            "signature": hx(&k.signature.to_bytes()),
        })
    };
    json!({
        "identity": hx(&u.identity().to_field_bytes()),
        "signed_prekey": u.signed_prekey().map(|s| json!({
            "id": s.id,
            "key": hx(s.key.as_bytes()),
            "signature": hx(&s.signature.to_bytes()),
        })),
        "last_resort_kem_prekey": u.last_resort_kem_prekey().map(kem),
        "one_time_prekey_ids": u.one_time_prekey_ids(),
        "one_time_prekeys": u.one_time_prekeys().iter().map(|k| json!({
            "id": k.id,
            "key": hx(k.key.as_bytes()),
        })).collect::<Vec<_>>(),
        "kem_one_time_prekey_ids": u.kem_one_time_prekey_ids(),
        "kem_one_time_prekeys": u.kem_one_time_prekeys().iter().map(kem).collect::<Vec<_>>(),
    })
}

// ----------------------------------------------------- layouts (§7.2, §7.3)

type Chain = Option<([u8; 32], u32)>;
/// A skipped-key entry: ratchet key and (index, message key) pairs.
type Entry = ([u8; 32], Vec<(u32, [u8; 32])>);

/// The fields of a session state (§7.2), to encode by hand.
#[derive(Clone)]
struct Sess {
    head: Vec<u8>,
    ours: Option<[u8; 32]>,
    sending: Chain,
    pn: u32,
    receiving: Chain,
    base: [u8; 32],
    pending: Option<Vec<u8>>,
    skipped: Vec<Entry>,
}

struct Rd<'a>(&'a [u8]);

impl Rd<'_> {
    fn take(&mut self, n: usize) -> Vec<u8> {
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a.to_vec()
    }
    fn a32(&mut self) -> [u8; 32] {
        self.take(32).try_into().expect("32")
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().expect("4"))
    }
    fn flag(&mut self) -> bool {
        self.take(1)[0] == 1
    }
    fn chain(&mut self) -> Chain {
        self.flag().then(|| (self.a32(), self.u32()))
    }
}

fn put_chain(b: &mut Vec<u8>, c: &Chain) {
    match c {
        Some((k, i)) => {
            b.push(1);
            b.extend_from_slice(k);
            b.extend_from_slice(&i.to_be_bytes());
        }
        None => b.push(0),
    }
}

impl Sess {
    fn parse(s: &[u8]) -> Self {
        let mut r = Rd(s);
        let head = r.take(355);
        let ours = r.flag().then(|| r.a32());
        let sending = r.chain();
        let pn = r.u32();
        let receiving = r.chain();
        let base = r.a32();
        let pending = r.flag().then(|| {
            let n = r.u32() as usize;
            r.take(n)
        });
        let e = r.u32();
        let skipped = (0..e)
            .map(|_| {
                let k = r.a32();
                let n = r.u32();
                (k, (0..n).map(|_| (r.u32(), r.a32())).collect())
            })
            .collect();
        assert!(r.0.is_empty());
        let out = Self {
            head,
            ours,
            sending,
            pn,
            receiving,
            base,
            pending,
            skipped,
        };
        assert_eq!(out.bytes(), s, "session layout");
        out
    }

    fn bytes(&self) -> Vec<u8> {
        let mut b = self.head.clone();
        match self.ours {
            Some(k) => {
                b.push(1);
                b.extend_from_slice(&k);
            }
            None => b.push(0),
        }
        put_chain(&mut b, &self.sending);
        b.extend_from_slice(&self.pn.to_be_bytes());
        put_chain(&mut b, &self.receiving);
        b.extend_from_slice(&self.base);
        match &self.pending {
            Some(p) => {
                b.push(1);
                b.extend_from_slice(&(p.len() as u32).to_be_bytes());
                b.extend_from_slice(p);
            }
            None => b.push(0),
        }
        b.extend_from_slice(&(self.skipped.len() as u32).to_be_bytes());
        for (k, keys) in &self.skipped {
            b.extend_from_slice(k);
            b.extend_from_slice(&(keys.len() as u32).to_be_bytes());
            for (i, mk) in keys {
                b.extend_from_slice(&i.to_be_bytes());
                b.extend_from_slice(mk);
            }
        }
        b
    }
}

/// Element sizes of the four prekey lists of store version 3 (§7.3):
/// signed, last-resort ML-KEM, one-time ML-KEM, one-time X25519. Each
/// element is its version 2 layout (`V2_SIZES`) followed by
/// `[u64(created_at)] || published` (created_at for the first two only).
pub(super) const V3_SIZES: [usize; 4] = [109, 141, 133, 37];
/// The same lists in store versions 2 and 1.
pub(super) const V2_SIZES: [usize; 4] = [100, 132, 132, 36];

/// The fields of a prekey store state (§7.3), store version 3, to encode
/// by hand (also in the layout of versions 2 and 1).
#[derive(Clone)]
pub(super) struct Store {
    pub(super) head: Vec<u8>,
    /// The four lists, each element in its version 3 layout.
    pub(super) lists: [Vec<Vec<u8>>; 4],
    pub(super) records: Vec<(u32, Vec<[u8; 32]>)>,
}

impl Store {
    pub(super) fn parse(s: &[u8]) -> Self {
        assert_eq!(s[0], 3);
        let mut r = Rd(&s[1..]);
        let head = r.take(77);
        let lists = V3_SIZES.map(|size| {
            let n = r.u32();
            (0..n).map(|_| r.take(size)).collect::<Vec<_>>()
        });
        let m = r.u32();
        let records = (0..m)
            .map(|_| {
                let id = r.u32();
                let k = r.u32();
                (id, (0..k).map(|_| r.a32()).collect())
            })
            .collect();
        assert!(r.0.is_empty());
        let out = Self {
            head,
            lists,
            records,
        };
        assert_eq!(out.bytes(), s, "store layout");
        out
    }

    /// Everything before the last section, in the layout of `version`
    /// (versions 2 and 1 without the dates and published flags).
    pub(super) fn lists(&self, version: u8) -> Vec<u8> {
        let mut b = vec![version];
        b.extend_from_slice(&self.head);
        for (i, l) in self.lists.iter().enumerate() {
            b.extend_from_slice(&(l.len() as u32).to_be_bytes());
            for e in l {
                let size = if version >= 3 {
                    V3_SIZES[i]
                } else {
                    V2_SIZES[i]
                };
                b.extend_from_slice(&e[..size]);
            }
        }
        b
    }

    fn records_bytes(&self) -> Vec<u8> {
        let mut b = (self.records.len() as u32).to_be_bytes().to_vec();
        for (id, keys) in &self.records {
            b.extend_from_slice(&id.to_be_bytes());
            b.extend_from_slice(&(keys.len() as u32).to_be_bytes());
            for k in keys {
                b.extend_from_slice(k);
            }
        }
        b
    }

    /// Store version 3.
    pub(super) fn bytes(&self) -> Vec<u8> {
        [self.lists(3), self.records_bytes()].concat()
    }

    /// Store version 2: the same, without dates and published flags.
    pub(super) fn v2(&self) -> Vec<u8> {
        [self.lists(2), self.records_bytes()].concat()
    }

    /// Store version 1 with the given replay list.
    pub(super) fn v1(&self, list: &[[u8; 32]]) -> Vec<u8> {
        let mut b = self.lists(1);
        b.extend_from_slice(&(list.len() as u32).to_be_bytes());
        for k in list {
            b.extend_from_slice(k);
        }
        b
    }

    /// What loading its version 2 or 1 layout gives (§7.3): every prekey
    /// dated 0 and handed out.
    pub(super) fn migrated(&self) -> Self {
        let mut m = self.clone();
        for (i, l) in m.lists.iter_mut().enumerate() {
            for e in l.iter_mut() {
                e.truncate(V2_SIZES[i]);
                if i < 2 {
                    e.extend_from_slice(&0u64.to_be_bytes());
                }
                e.push(1);
            }
        }
        m
    }

    /// `(id, created_at, published)` of each element of list `i`.
    pub(super) fn dates(&self, i: usize) -> Vec<(u32, Option<u64>, u8)> {
        self.lists[i]
            .iter()
            .map(|e| {
                let id = u32::from_be_bytes(e[..4].try_into().expect("4"));
                let created = (i < 2).then(|| {
                    u64::from_be_bytes(e[e.len() - 9..e.len() - 1].try_into().expect("8"))
                });
                (id, created, e[e.len() - 1])
            })
            .collect()
    }
}

/// An element of list `i` (§7.3, version 3): `id`, `fill` for the key
/// material and signature, created at 0, handed out.
fn prekey(id: u32, i: usize, fill: u8) -> Vec<u8> {
    let mut e = id.to_be_bytes().to_vec();
    e.resize(V2_SIZES[i], fill);
    if i < 2 {
        e.extend_from_slice(&0u64.to_be_bytes());
    }
    e.push(1);
    e
}

// ------------------------------------------------------------- cases

/// The case table, run by this file's [`run_case`].
#[derive(Default)]
struct Cases(CaseTable);

impl Cases {
    fn add(&mut self, name: &str, about: &str, kind: &str, case: Value) {
        self.0.add(name, about, kind, case, run_case);
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

fn u24(x: u32) -> [u8; 3] {
    let b = x.to_be_bytes();
    [b[1], b[2], b[3]]
}

fn identity_from(seed: [u8; 32], x: [u8; 32]) -> IdentityKeyPair {
    let mut r = ReplayRng::new([seed.to_vec(), x.to_vec()]);
    let id = IdentityKeyPair::generate(&mut r);
    r.finish();
    id
}

/// Builds negative.json.
pub(super) fn negative_file() -> Value {
    let mut rng = crate::rng(NEGATIVE_SEED);
    let draw32 = |rng: &mut chacha20::ChaCha20Rng| {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        b
    };
    let seed = draw32(&mut rng);
    let xsec = draw32(&mut rng);
    let zed = identity_from(seed, xsec);
    let mut c = Cases::default();

    // ---------------------------------------------- identities (§4.1, §2.3)
    let standalone = zed.public().to_bytes();
    let field = zed.public().to_field_bytes().to_vec();
    let x_pub: [u8; 32] = field[32..64].try_into().expect("32");
    let id_case = |b: &[u8]| json!({"operation": "identity.decode", "input": hx(b)});
    let field_case = |b: &[u8]| json!({"operation": "identity.decode_field", "input": hx(b)});
    // An identity field with Ed25519 key `ed` and a binding signature `sig`.
    let make_field = |ed: &[u8; 32], sig: &[u8; 64]| [&ed[..], &x_pub, sig].concat();
    let binding = |ed: &[u8; 32]| [BINDING_LABEL, ed, &x_pub].concat();
    c.add(
        "identity valid",
        "Zed's standalone identity",
        "ok",
        id_case(&standalone),
    );
    c.add(
        "identity field valid",
        "Zed's identity, field encoding",
        "ok",
        field_case(&field),
    );
    c.add(
        "identity empty",
        "no bytes",
        "DecodeError::Truncated(needed: 1)",
        id_case(&[]),
    );
    c.add(
        "identity version only",
        "the version byte alone: the type byte is missing",
        "DecodeError::Truncated(needed: 1)",
        id_case(&standalone[..1]),
    );
    c.add(
        "identity header only",
        "0x01 0x11 and nothing else: the Ed25519 key is missing",
        "DecodeError::Truncated(needed: 32)",
        id_case(&standalone[..2]),
    );
    c.add(
        "identity truncated in the X25519 key",
        "50 bytes: 16 bytes of the X25519 key",
        "DecodeError::Truncated(needed: 16)",
        id_case(&standalone[..50]),
    );
    c.add(
        "identity truncated in the signature",
        "129 bytes: the binding signature is one byte short",
        "DecodeError::Truncated(needed: 1)",
        id_case(&standalone[..129]),
    );
    c.add(
        "identity trailing byte",
        "131 bytes: one byte after the signature",
        "DecodeError::TrailingBytes(1)",
        id_case(&plus(&standalone, &[0])),
    );
    c.add(
        "identity version 2",
        "the version byte set to 2",
        "DecodeError::UnsupportedVersion(2)",
        id_case(&with(&standalone, 0, 2)),
    );
    c.add(
        "identity version 2 and wrong type",
        "version 2 and type 0x10: the version is checked first",
        "DecodeError::UnsupportedVersion(2)",
        id_case(&with(&with(&standalone, 0, 2), 1, 0x10)),
    );
    c.add(
        "identity type of a bundle",
        "the type byte set to 0x10 (a bundle's)",
        "DecodeError::UnexpectedType(0x10)",
        id_case(&with(&standalone, 1, 0x10)),
    );
    c.add(
        "identity field truncated",
        "127 bytes",
        "DecodeError::Truncated(needed: 1)",
        field_case(&field[..127]),
    );
    c.add(
        "identity field trailing byte",
        "129 bytes given to the field decoder",
        "DecodeError::TrailingBytes(1)",
        field_case(&plus(&field, &[0])),
    );
    let (not_on_curve, non_canonical) = bad_points();
    let small = small_order_point();
    let mut identity_point = [0u8; 32];
    identity_point[0] = 1;
    for (name, about, ed, kind) in [
        (
            "identity key not on the curve",
            "the Ed25519 key is a y with no x (§2.3 step 1)",
            not_on_curve,
            "DecodeError::InvalidKey(ed25519 point)",
        ),
        (
            "identity key not canonical",
            "the Ed25519 key is y + p for a point of large order (§2.3 step 2)",
            non_canonical,
            "DecodeError::InvalidKey(ed25519 point)",
        ),
        (
            "identity key of small order",
            "the Ed25519 key is a point of order 8 (§2.3 step 3)",
            small,
            "DecodeError::InvalidKey(ed25519 small-order point)",
        ),
        (
            "identity key is the identity point",
            "the Ed25519 key is the neutral element (01 00…00), of order 1",
            identity_point,
            "DecodeError::InvalidKey(ed25519 small-order point)",
        ),
    ] {
        let sig: [u8; 64] = field[64..].try_into().expect("64");
        let f = make_field(&ed, &sig);
        c.add(name, about, kind, field_case(&f));
        c.add(
            &format!("{name} (standalone)"),
            about,
            kind,
            id_case(&[&[0x01, 0x11][..], &f].concat()),
        );
    }
    // A key with a torsion component and its holder's binding signature.
    let (a, _) = expand(&seed);
    let torsioned: [u8; 32] = (EdwardsPoint::mul_base(&a) + EIGHT_TORSION[1])
        .compress()
        .to_bytes();
    let tsig = craft(&seed, &torsioned, Craft::ForKey, &binding(&torsioned));
    c.add(
        "identity key with a torsion component",
        "Zed's Ed25519 key plus a point of order 8, with a binding signature its holder makes \
         (k hashes the torsioned key): accepted (§2.3, §2.4)",
        "ok",
        id_case(&[&[0x01, 0x11][..], &make_field(&torsioned, &tsig)].concat()),
    );
    let ed: [u8; 32] = field[..32].try_into().expect("32");
    let sig: [u8; 64] = field[64..].try_into().expect("64");
    let bad_binding = "SignatureError::Invalid(IdentityBinding)";
    c.add(
        "identity binding over another X25519 key",
        "the X25519 key's first byte changed: the binding signature does not cover it",
        bad_binding,
        id_case(&xor(&standalone, 34, 1)),
    );
    let mut s_l = sig;
    s_l[32..].copy_from_slice(&add_l(&sig[32..]));
    c.add(
        "identity binding with S + L",
        "the binding signature's S replaced by S + L (S ≥ L, §2.4)",
        bad_binding,
        field_case(&make_field(&ed, &s_l)),
    );
    let small_r = craft(&seed, &ed, Craft::SmallOrderR, &binding(&ed));
    c.add(
        "identity binding with a small-order R",
        "R a point of order 8 and S = k·a: the cofactored equation holds, the small-order R \
         rule refuses it (§2.4)",
        bad_binding,
        field_case(&make_field(&ed, &small_r)),
    );
    let mut nc_r = sig;
    nc_r[..32].copy_from_slice(&non_canonical);
    c.add(
        "identity binding with a non-canonical R",
        "R replaced by a non-canonical encoding (y + p)",
        bad_binding,
        field_case(&make_field(&ed, &nc_r)),
    );
    let torsion_r = craft(&seed, &ed, Craft::TorsionInR, &binding(&ed));
    c.add(
        "identity binding with a torsioned R",
        "R = rB + T (T of order 8), S honest: accepted by the cofactored equation",
        "ok",
        field_case(&make_field(&ed, &torsion_r)),
    );
    let other_sig = sign(&seed, &[BINDING_LABEL, &ed, &[7u8; 32]].concat());
    c.add(
        "identity binding of another key pair",
        "a genuine signature of Zed's over another X25519 key",
        bad_binding,
        field_case(&make_field(&ed, &other_sig)),
    );

    // --------------------------------------------------- the conversation
    let bob_id = identity_from(draw32(&mut rng), draw32(&mut rng));
    let mut store = PreKeyStore::new(&mut rng, bob_id, 0);
    store.generate_one_time_prekeys(&mut rng, 1);
    store.generate_kem_one_time_prekeys(&mut rng, 1);
    let alice_id = identity_from(draw32(&mut rng), draw32(&mut rng));
    let carol_id = identity_from(draw32(&mut rng), draw32(&mut rng));
    let bundle = store.bundle().expect("bundle").to_bytes();
    assert_eq!(bundle.len(), 1520);
    let mut alice = Session::initiate(
        &mut rng,
        &alice_id,
        &PreKeyBundle::from_bytes(&bundle).expect("b"),
    )
    .expect("initiate");
    let alice_pending = alice.to_bytes().to_vec();
    let a0 = alice.encrypt(&mut rng, b"a0").expect("a0");
    assert_eq!(a0.len(), 1329 + 2);
    let store_before = store.to_bytes().to_vec();
    let (mut bob, _) = store.accept(&a0, 0).expect("accept");
    let store_after_a = store.to_bytes().to_vec();
    let b0 = bob.encrypt(&mut rng, b"b0").expect("b0");
    let bob_state = bob.to_bytes().to_vec();
    alice.decrypt(&b0).expect("b0");
    let mut x = |alice: &mut Session, i: usize| {
        alice
            .encrypt(&mut rng, format!("x{i}").as_bytes())
            .expect("x")
    };
    let mut xs: Vec<Vec<u8>> = (0..2).map(|i| x(&mut alice, i)).collect();
    // A version 1 message (§5.1) at index 2 of Alice's chain, by hand, with
    // the chain key x2 then uses too.
    let secrets = session_secrets(&alice);
    let (ck, n) = secrets.sending_chain.expect("chain");
    assert_eq!(n, 2);
    let (mk, _) = kdf_ck(&ck);
    let mut v1 = vec![0x01, 0x01];
    v1.extend_from_slice(&xs[0][2..34]);
    v1.extend_from_slice(&u24(2));
    v1.extend_from_slice(&xs[0][37..40]);
    let ad = [&secrets.session_id[..], &v1].concat();
    aead::seal(&mk, &[0u8; 12], &ad, b"x2, version 1", &mut v1);
    xs.extend((2..2002).map(|i| x(&mut alice, i)));
    let carol_bundle = store.bundle().expect("bundle").to_bytes();
    assert_eq!(carol_bundle.len(), 1484, "one-time prekeys used up");
    let mut carol = Session::initiate(
        &mut rng,
        &carol_id,
        &PreKeyBundle::from_bytes(&carol_bundle).expect("b"),
    )
    .expect("initiate");
    let c0 = carol.encrypt(&mut rng, b"c0").expect("c0");
    let (mut bob_carol, _) = store.accept(&c0, 0).expect("accept c0");
    let store_after_c = store.to_bytes().to_vec();
    let mut storage = [0u8; 32];
    rng.fill_bytes(&mut storage);
    let storage_key = StorageKey::from_bytes(storage);
    // Bob's session sealed once (generation 1); the store three times
    // (generations 1, 2, 3); Bob's session with Carol once.
    let mut bob_copy = Session::from_bytes(&bob_state).expect("s");
    let sealed_session = bob_copy.seal(&mut rng, &storage_key);
    let mut store_copy = PreKeyStore::from_bytes(&store_after_c).expect("s");
    let sealed_stores: Vec<Vec<u8>> = (0..3)
        .map(|_| store_copy.seal(&mut rng, &storage_key))
        .collect();
    assert_eq!(store_copy.generation(), 3);
    let sealed_bob_carol = bob_carol.seal(&mut rng, &storage_key);

    // ------------------------------------------------------- bundles (§4.4)
    let bundle_case = |b: &[u8]| json!({"operation": "bundle.decode", "input": hx(b)});
    c.add(
        "bundle valid",
        "Bob's bundle with a one-time prekey (1520 bytes)",
        "ok",
        bundle_case(&bundle),
    );
    c.add(
        "bundle without one-time prekey valid",
        "a bundle with flag 0 (1484 bytes)",
        "ok",
        bundle_case(&carol_bundle),
    );
    for (len, needed, about) in [
        (0, 1, "no bytes"),
        (1, 1, "the version byte alone"),
        (
            100,
            30,
            "in the identity (Ed25519 key and X25519 key read, 36 bytes of the signature)",
        ),
        (200, 30, "in the signed prekey's signature"),
        (1400, 19, "in the ML-KEM prekey's signature"),
        (1483, 1, "the one-time prekey flag missing"),
        (1486, 2, "flag 1, two bytes of the one-time prekey id"),
        (1500, 20, "in the one-time prekey"),
    ] {
        c.add(
            &format!("bundle truncated to {len}"),
            about,
            &format!("DecodeError::Truncated(needed: {needed})"),
            bundle_case(&bundle[..len]),
        );
    }
    c.add(
        "bundle trailing byte",
        "1521 bytes",
        "DecodeError::TrailingBytes(1)",
        bundle_case(&plus(&bundle, &[0])),
    );
    c.add(
        "bundle flag 0 with a one-time prekey",
        "flag 0 followed by the 36 bytes of a one-time prekey",
        "DecodeError::TrailingBytes(36)",
        bundle_case(&with(&bundle, 1483, 0)),
    );
    c.add(
        "bundle version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        bundle_case(&with(&bundle, 0, 2)),
    );
    c.add(
        "bundle type of an identity",
        "type byte 0x11",
        "DecodeError::UnexpectedType(0x11)",
        bundle_case(&with(&bundle, 1, 0x11)),
    );
    c.add(
        "bundle one-time flag 2",
        "the one-time prekey flag is 2",
        "DecodeError::InvalidField(one-time prekey flag)",
        bundle_case(&with(&bundle, 1483, 2)),
    );
    c.add(
        "bundle ML-KEM kind 2",
        "the ML-KEM prekey's kind byte is 2",
        "DecodeError::InvalidField(ML-KEM prekey kind)",
        bundle_case(&with(&bundle, 234, 2)),
    );
    // The first coefficient of the encapsulation key set to 0xFFF ≥ q.
    let mut bad_ek = bundle.clone();
    bad_ek[235] = 0xFF;
    bad_ek[236] |= 0x0F;
    c.add(
        "bundle ML-KEM key not reduced",
        "the first 12-bit coefficient of the encapsulation key set to 4095 (≥ q = 3329): the \
         FIPS 203 modulus check fails",
        "DecodeError::InvalidKey(ML-KEM-768 encapsulation key)",
        bundle_case(&bad_ek),
    );
    c.add(
        "bundle identity binding invalid",
        "the identity's X25519 key changed",
        bad_binding,
        bundle_case(&xor(&bundle, 34, 1)),
    );
    c.add(
        "bundle signed prekey signature invalid",
        "a byte of the signed prekey changed",
        "SignatureError::Invalid(SignedPreKey)",
        bundle_case(&xor(&bundle, 140, 1)),
    );
    c.add(
        "bundle ML-KEM prekey signature invalid",
        "a byte of the ML-KEM prekey changed",
        "SignatureError::Invalid(KemPreKey)",
        bundle_case(&xor(&bundle, 1000, 1)),
    );
    c.add(
        "bundle ML-KEM kind relabelled",
        "the one-time ML-KEM prekey relabelled last-resort (kind 0): the kind is signed",
        "SignatureError::Invalid(KemPreKey)",
        bundle_case(&with(&bundle, 234, 0)),
    );
    c.add(
        "bundle both prekey signatures invalid",
        "both prekeys changed: the signed prekey's signature is reported",
        "SignatureError::Invalid(SignedPreKey)",
        bundle_case(&xor(&xor(&bundle, 140, 1), 1000, 1)),
    );
    c.add(
        "bundle ML-KEM key bad and signatures invalid",
        "the encapsulation key fails its check and the signed prekey's signature is invalid: \
         decoding fails before any signature is verified",
        "DecodeError::InvalidKey(ML-KEM-768 encapsulation key)",
        bundle_case(&xor(&bad_ek, 140, 1)),
    );

    // ------------------------------------------------ normal messages (§5)
    let x0 = &xs[0];
    assert_eq!(x0.len(), 52 + 2 + 16);
    let bob_hex = hx(&bob_state);
    let decrypt = |state: &str, m: &[u8]| json!({"operation": "session.decrypt", "state": state, "input": hx(m)});
    c.add(
        "message valid",
        "x0, the first message of Alice's second chain, to Bob (who sent b0)",
        "ok",
        decrypt(&bob_hex, x0),
    );
    c.add(
        "message gap 2000",
        "x2000 first: a new chain with n = 2000, MAX_SKIP_PER_CHAIN keys skipped",
        "ok",
        decrypt(&bob_hex, &xs[2000]),
    );
    c.add(
        "message gap 2001",
        "x2001 first: n = 2001 on a new chain",
        "DecryptError::TooFarAhead(gap: 2001, limit: 2000)",
        decrypt(&bob_hex, &xs[2001]),
    );
    let mut after_x0 = Session::from_bytes(&bob_state).expect("s");
    after_x0.decrypt(x0).expect("x0");
    let after_x0 = hx(&after_x0.to_bytes());
    c.add(
        "message duplicate",
        "x0 again, after it was decrypted",
        "DecryptError::Duplicate(index: 0)",
        decrypt(&after_x0, x0),
    );
    c.add(
        "message gap 2000 after x0",
        "x2001 after x0: n − next index = 2000",
        "ok",
        decrypt(&after_x0, &xs[2001]),
    );
    c.add(
        "message version 1",
        "a version 1 message (no nonce field, the all-zero nonce) at n = 2 of x0's chain, \
         after x0 (made by hand from the chain key x2 also uses)",
        "ok",
        decrypt(&after_x0, &v1),
    );
    c.add(
        "message version 1 relabelled 2",
        "the version 1 message with its version byte set to 2",
        "DecryptError::AuthenticationFailed",
        decrypt(&after_x0, &with(&v1, 0, 2)),
    );
    c.add(
        "message version 2 relabelled 1",
        "x0 with its version byte set to 1: parsed without a nonce, the AD changes",
        "DecryptError::AuthenticationFailed",
        decrypt(&bob_hex, &with(x0, 0, 1)),
    );
    c.add(
        "message version 3",
        "x0 with version byte 3",
        "DecodeError::UnsupportedVersion(3)",
        decrypt(&bob_hex, &with(x0, 0, 3)),
    );
    c.add(
        "message version 0",
        "x0 with version byte 0",
        "DecodeError::UnsupportedVersion(0)",
        decrypt(&bob_hex, &with(x0, 0, 0)),
    );
    c.add(
        "message version 3 and unknown type",
        "version 3 and type 0x20: the version is checked before the type",
        "DecodeError::UnsupportedVersion(3)",
        decrypt(&bob_hex, &with(&with(x0, 0, 3), 1, 0x20)),
    );
    c.add(
        "message type 0x03",
        "x0 with type byte 0x03",
        "DecodeError::UnexpectedType(0x03)",
        decrypt(&bob_hex, &with(x0, 1, 3)),
    );
    c.add(
        "message type of a group message",
        "x0 with type byte 0x20",
        "DecodeError::UnexpectedType(0x20)",
        decrypt(&bob_hex, &with(x0, 1, 0x20)),
    );
    for (len, needed, about) in [
        (0, 1, "no bytes"),
        (1, 1, "the version byte alone"),
        (20, 14, "in the ratchet key"),
        (35, 2, "in n"),
        (39, 1, "in pn"),
        (45, 7, "in the nonce"),
        (52, 16, "the header alone: no tag"),
        (67, 1, "15 bytes after the header: shorter than the tag"),
    ] {
        c.add(
            &format!("message truncated to {len}"),
            about,
            &format!("DecodeError::Truncated(needed: {needed})"),
            decrypt(&bob_hex, &x0[..len]),
        );
    }
    c.add(
        "message version 1 shorter than the tag",
        "x0 relabelled version 1 and cut to 55 bytes: 15 bytes after the 40-byte header",
        "DecodeError::Truncated(needed: 1)",
        decrypt(&bob_hex, &with(&x0[..55], 0, 1)),
    );
    c.add(
        "message modified tag",
        "x0 with the last byte of its tag changed",
        "DecryptError::AuthenticationFailed",
        decrypt(&bob_hex, &xor(x0, x0.len() - 1, 1)),
    );
    c.add(
        "message modified nonce",
        "x0 with a nonce byte changed",
        "DecryptError::AuthenticationFailed",
        decrypt(&bob_hex, &xor(x0, 45, 1)),
    );

    // ---------------------------------------------- prekey messages (§4.8)
    let accept = |state: &[u8], m: &[u8]| json!({"operation": "store.accept", "state": hx(state), "input": hx(m), "now": 0});
    c.add(
        "prekey message valid",
        "a0 (both one-time prekeys) to the store before it was accepted",
        "ok",
        accept(&store_before, &a0),
    );
    c.add(
        "prekey message without one-time prekeys valid",
        "c0 (Carol, no one-time prekeys) to the store after a0",
        "ok",
        accept(&store_after_a, &c0),
    );
    c.add(
        "prekey message replayed",
        "c0 again, to the store that accepted it: its base key is in the replay record",
        "HandshakeError::Replay",
        accept(&store_after_c, &c0),
    );
    c.add(
        "prekey message one-time prekeys used",
        "a0 again, to the store after it was accepted: its one-time prekeys are gone, the \
         ML-KEM one (id 2) is looked up first (§4.8 step 5)",
        "HandshakeError::UnknownKemPreKey(2)",
        accept(&store_after_a, &a0),
    );
    let mut spk99 = a0.clone();
    spk99[162..166].copy_from_slice(&99u32.to_be_bytes());
    c.add(
        "prekey message unknown signed prekey",
        "a0 naming signed prekey 99",
        "HandshakeError::UnknownSignedPreKey(99)",
        accept(&store_before, &spk99),
    );
    let mut kem99 = a0.clone();
    kem99[166..170].copy_from_slice(&99u32.to_be_bytes());
    c.add(
        "prekey message unknown ML-KEM prekey",
        "a0 naming ML-KEM prekey 99",
        "HandshakeError::UnknownKemPreKey(99)",
        accept(&store_before, &kem99),
    );
    let mut opk99 = a0.clone();
    opk99[171..175].copy_from_slice(&99u32.to_be_bytes());
    c.add(
        "prekey message unknown one-time prekey",
        "a0 naming one-time prekey 99",
        "HandshakeError::UnknownOneTimePreKey(99)",
        accept(&store_before, &opk99),
    );
    c.add(
        "prekey message identity binding invalid",
        "a0 with a byte of Alice's X25519 key changed",
        bad_binding,
        accept(&store_before, &xor(&a0, 34, 1)),
    );
    c.add(
        "prekey message identity key of small order",
        "a0 with Alice's Ed25519 key replaced by a point of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        accept(&store_before, &[&a0[..2], &small[..], &a0[34..]].concat()),
    );
    c.add(
        "prekey message one-time flag 2",
        "a0 with the one-time prekey flag 2",
        "DecodeError::InvalidField(one-time prekey flag)",
        accept(&store_before, &with(&a0, 170, 2)),
    );
    c.add(
        "prekey message version 3",
        "a0 with version byte 3",
        "DecodeError::UnsupportedVersion(3)",
        accept(&store_before, &with(&a0, 0, 3)),
    );
    c.add(
        "prekey message version 2 relabelled 1",
        "a0 with its version byte set to 1",
        "DecryptError::AuthenticationFailed",
        accept(&store_before, &with(&a0, 0, 1)),
    );
    c.add(
        "prekey message modified ciphertext",
        "a0 with the last byte of its tag changed",
        "DecryptError::AuthenticationFailed",
        accept(&store_before, &xor(&a0, a0.len() - 1, 1)),
    );
    c.add(
        "normal message to a store",
        "x0 given to accept",
        "HandshakeError::NotPreKeyMessage",
        accept(&store_before, x0),
    );
    c.add(
        "prekey message type 0x03",
        "a0 with type byte 0x03",
        "DecodeError::UnexpectedType(0x03)",
        accept(&store_before, &with(&a0, 1, 3)),
    );
    for (len, needed, about) in [
        (100, 30, "in the identity (its 128 bytes are one field)"),
        (150, 12, "in the base key"),
        (164, 2, "in the signed prekey id"),
        (170, 1, "the flag missing"),
        (173, 2, "in the one-time prekey id"),
        (675, 588, "in the ML-KEM ciphertext"),
        (1273, 22, "in the ratchet key"),
        (1305, 8, "in the nonce"),
        (1323, 6, "10 bytes after the header"),
    ] {
        c.add(
            &format!("prekey message truncated to {len}"),
            about,
            &format!("DecodeError::Truncated(needed: {needed})"),
            accept(&store_before, &a0[..len]),
        );
    }
    c.add(
        "prekey message to a session",
        "a0 given to Bob's session (which it set up): index 0 of a chain already at 1, no \
         stored key",
        "DecryptError::Duplicate(index: 0)",
        decrypt(&bob_hex, &a0),
    );

    // -------------------------------------------------- session state (§7.2)
    let sdec = |b: &[u8]| json!({"operation": "session.decode", "input": hx(b)});
    let bob_s = Sess::parse(&bob_state);
    let pend_s = Sess::parse(&alice_pending);
    c.add(
        "session state valid",
        "Bob's state after sending b0",
        "ok",
        sdec(&bob_state),
    );
    c.add(
        "session state pending valid",
        "Alice's state after initiate (1261-byte handshake header)",
        "ok",
        sdec(&alice_pending),
    );
    c.add(
        "session state version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        sdec(&with(&bob_state, 0, 2)),
    );
    c.add(
        "session state kind of a store",
        "kind byte 0x41",
        "StateError::WrongKind(expected: 0x40, found: 0x41)",
        sdec(&with(&bob_state, 1, 0x41)),
    );
    c.add(
        "session state truncated in the root key",
        "300 bytes",
        "DecodeError::Truncated(needed: 23)",
        sdec(&bob_state[..300]),
    );
    c.add(
        "session state empty",
        "no bytes",
        "DecodeError::Truncated(needed: 1)",
        sdec(&[]),
    );
    c.add(
        "session state trailing byte",
        "one byte after the skipped entries",
        "DecodeError::TrailingBytes(1)",
        sdec(&plus(&bob_state, &[0])),
    );
    c.add(
        "session state role 2",
        "role byte 2",
        "DecodeError::InvalidField(session role)",
        sdec(&with(&bob_state, 2, 2)),
    );
    c.add(
        "session state flag 2",
        "the our-ratchet flag is 2",
        "DecodeError::InvalidField(boolean)",
        sdec(&with(&bob_state, 355, 2)),
    );
    c.add(
        "session state identity of small order",
        "the remote identity's Ed25519 key replaced by a point of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        sdec(&[&bob_state[..131], &small[..], &bob_state[163..]].concat()),
    );
    c.add(
        "session state identity key not canonical",
        "the local identity's Ed25519 key replaced by y + p",
        "DecodeError::InvalidKey(ed25519 point)",
        sdec(&[&bob_state[..3], &non_canonical[..], &bob_state[35..]].concat()),
    );
    c.add(
        "session state identity binding not verified",
        "the remote identity's binding signature changed: not re-verified on load",
        "ok",
        sdec(&xor(&bob_state, 131 + 100, 1)),
    );
    let mut no_sending = bob_s.clone();
    no_sending.sending = None;
    c.add(
        "session state ratchet without sending chain",
        "our ratchet key present, no sending chain",
        "DecodeError::InvalidField(ratchet key without sending chain)",
        sdec(&no_sending.bytes()),
    );
    let key = |i: u8| [i; 32];
    let entries = |n: u8| -> Vec<Entry> {
        (1..=n)
            .map(|i| (key(i), vec![(7, key(0x80 + i))]))
            .collect()
    };
    let mut sk = bob_s.clone();
    sk.skipped = entries(5);
    c.add(
        "session state 5 skipped chains",
        "five skipped-key entries (MAX_RECEIVING_CHAINS), one key each",
        "ok",
        sdec(&sk.bytes()),
    );
    sk.skipped = entries(6);
    c.add(
        "session state 6 skipped chains",
        "six skipped-key entries",
        "DecodeError::TooLong(field: skipped chains, len: 6, limit: 5)",
        sdec(&sk.bytes()),
    );
    let mut bare = bob_s.clone();
    bare.skipped.clear();
    let mut count_only = bare.bytes();
    let e_at = count_only.len() - 4;
    count_only.truncate(e_at);
    count_only.extend_from_slice(&1u32.to_be_bytes());
    count_only.extend_from_slice(&key(1));
    count_only.extend_from_slice(&4001u32.to_be_bytes());
    c.add(
        "session state 4001 skipped keys",
        "one entry claiming 4001 keys (none follow)",
        "DecodeError::TooLong(field: skipped keys, len: 4001, limit: 4000)",
        sdec(&count_only),
    );
    let mut second = bare.clone();
    second.skipped = entries(1);
    let mut second = second.bytes();
    second[e_at..e_at + 4].copy_from_slice(&2u32.to_be_bytes());
    second.extend_from_slice(&key(2));
    second.extend_from_slice(&4000u32.to_be_bytes());
    c.add(
        "session state 4000 skipped keys after one",
        "an entry with one key, then one claiming 4000: more than MAX_STORED_SKIPPED_KEYS minus \
         the key already read",
        "DecodeError::TooLong(field: skipped keys, len: 4000, limit: 3999)",
        sdec(&second),
    );
    let mut dup = bob_s.clone();
    dup.skipped = vec![(key(1), vec![(3, key(0x81)), (3, key(0x82))])];
    c.add(
        "session state duplicate skipped index",
        "an entry with index 3 twice",
        "DecodeError::InvalidField(duplicate skipped key index)",
        sdec(&dup.bytes()),
    );
    dup.skipped = vec![(key(1), vec![(4, key(0x81)), (3, key(0x82))])];
    c.add(
        "session state skipped indices descending",
        "an entry with indices 4, 3",
        "DecodeError::InvalidField(skipped key indices not ascending)",
        sdec(&dup.bytes()),
    );
    dup.skipped = vec![
        (key(1), vec![(3, key(0x81))]),
        (key(1), vec![(4, key(0x82))]),
    ];
    c.add(
        "session state duplicate skipped chain",
        "two entries with the same ratchet key",
        "DecodeError::InvalidField(duplicate skipped-key chain)",
        sdec(&dup.bytes()),
    );
    let mut p = pend_s.clone();
    let header = p.pending.clone().expect("pending");
    assert_eq!(header.len(), 1261);
    p.pending = Some(header[..1258].to_vec());
    c.add(
        "session state pending handshake of 1258 bytes",
        "a pending handshake header of 1258 bytes",
        "DecodeError::InvalidField(pending handshake length)",
        sdec(&p.bytes()),
    );
    p.pending = Some(plus(&header, &[0]));
    c.add(
        "session state pending handshake of 1262 bytes",
        "a pending handshake header of 1262 bytes",
        "DecodeError::TooLong(field: pending handshake, len: 1262, limit: 1261)",
        sdec(&p.bytes()),
    );

    // ------------------------------------------------ store state (§7.3)
    let tdec = |b: &[u8]| json!({"operation": "store.decode", "input": hx(b)});
    let st = Store::parse(&store_after_c);
    assert_eq!(st.lists[0].len(), 1);
    assert_eq!(st.records.len(), 1);
    let carol_base = st.records[0].1[0];
    c.add(
        "store state valid",
        "Bob's store after a0 and c0 (store version 3): signed prekey 1 and last-resort \
         ML-KEM prekey 1, made at 0 and handed out; one replay record (signed prekey 1, \
         Carol's base key)",
        "ok",
        tdec(&store_after_c),
    );
    c.add(
        "store state version 4",
        "version byte 4",
        "DecodeError::UnsupportedVersion(4)",
        tdec(&with(&store_after_c, 0, 4)),
    );
    c.add(
        "store state version 0",
        "version byte 0",
        "DecodeError::UnsupportedVersion(0)",
        tdec(&with(&store_after_c, 0, 0)),
    );
    c.add(
        "store state kind of a session",
        "kind byte 0x40",
        "StateError::WrongKind(expected: 0x41, found: 0x40)",
        tdec(&with(&store_after_c, 1, 0x40)),
    );
    c.add(
        "store state truncated in the X25519 secret",
        "50 bytes",
        "DecodeError::Truncated(needed: 16)",
        tdec(&store_after_c[..50]),
    );
    c.add(
        "store state truncated in a created_at",
        "186 bytes: 4 bytes of the signed prekey's created_at",
        "DecodeError::Truncated(needed: 4)",
        tdec(&store_after_c[..186]),
    );
    c.add(
        "store state truncated before a published flag",
        "190 bytes: the signed prekey's published flag is missing",
        "DecodeError::Truncated(needed: 1)",
        tdec(&store_after_c[..190]),
    );
    c.add(
        "store state trailing byte",
        "one byte after the replay records",
        "DecodeError::TrailingBytes(1)",
        tdec(&plus(&store_after_c, &[0])),
    );
    // Booleans (§7.3): published is 0 or 1.
    let flag_at = |list: usize, v: u8| {
        let mut s = st.clone();
        if s.lists[list].is_empty() {
            s.lists[list] = vec![prekey(40, list, 0x44)];
        }
        let e = s.lists[list].last_mut().expect("element");
        let at = e.len() - 1;
        e[at] = v;
        s.bytes()
    };
    for (list, what, v) in [
        (0, "signed prekey", 2),
        (1, "last-resort ML-KEM prekey", 2),
        (2, "one-time ML-KEM prekey", 0xFF),
        (3, "one-time X25519 prekey", 2),
    ] {
        c.add(
            &format!("store state {what} published {v}"),
            &format!("the published flag of a {what} is {v:#04x}"),
            "DecodeError::InvalidField(boolean)",
            tdec(&flag_at(list, v)),
        );
    }
    let mut s = st.clone();
    for (list, id, fill) in [(2, 40u32, 0x44), (3, 7, 0x55)] {
        s.lists[list] = vec![prekey(id, list, fill)];
    }
    for l in s.lists.iter_mut() {
        for e in l.iter_mut() {
            let at = e.len() - 1;
            e[at] = 0;
        }
    }
    for e in &mut s.lists[0] {
        let at = e.len() - 9;
        e[at..at + 8].copy_from_slice(&u64::MAX.to_be_bytes());
    }
    c.add(
        "store state not handed out, dated 2^64 - 1",
        "every prekey's published flag 0 (one-time prekeys of both kinds added) and the \
         signed prekey made at 2^64 − 1: dates are stored as they are",
        "ok",
        tdec(&s.bytes()),
    );
    let mut s = st.clone();
    s.lists[0] = (10..13)
        .map(|id| prekey(id, 0, 0x33))
        .chain(st.lists[0].clone())
        .collect();
    c.add(
        "store state 4 signed prekeys",
        "three retired signed prekeys (10, 11, 12) and the current one",
        "ok",
        tdec(&s.bytes()),
    );
    s.lists[0].insert(0, prekey(9, 0, 0x33));
    c.add(
        "store state 5 signed prekeys",
        "five signed prekeys",
        "DecodeError::TooLong(field: signed prekeys, len: 5, limit: 4)",
        tdec(&s.bytes()),
    );
    let mut s = st.clone();
    s.lists[0].insert(0, st.lists[0][0].clone());
    c.add(
        "store state duplicate signed prekey id",
        "signed prekey 1 twice",
        "DecodeError::InvalidField(duplicate signed prekey id)",
        tdec(&s.bytes()),
    );
    let mut s = st.clone();
    s.lists[0].clear();
    s.records.clear();
    c.add(
        "store state without signed prekey",
        "no signed prekey (and no replay record)",
        "DecodeError::InvalidField(store without signed or last-resort prekey)",
        tdec(&s.bytes()),
    );
    let mut s = st.clone();
    s.lists[1] = (20..25).map(|id| prekey(id, 1, 0x44)).collect();
    c.add(
        "store state 5 last-resort ML-KEM prekeys",
        "five last-resort ML-KEM prekeys",
        "DecodeError::TooLong(field: last-resort ML-KEM prekeys, len: 5, limit: 4)",
        tdec(&s.bytes()),
    );
    let lr_id = u32::from_be_bytes(st.lists[1][0][..4].try_into().expect("4"));
    let mut s = st.clone();
    s.lists[2] = vec![prekey(lr_id, 2, 0x44)];
    c.add(
        "store state one-time ML-KEM id of a last-resort one",
        "a one-time ML-KEM prekey with the last-resort prekey's id (one id space)",
        "DecodeError::InvalidField(duplicate ML-KEM prekey id)",
        tdec(&s.bytes()),
    );
    s.lists[2] = vec![prekey(40, 2, 0x44), prekey(40, 2, 0x45)];
    c.add(
        "store state duplicate one-time ML-KEM id",
        "one-time ML-KEM prekey 40 twice",
        "DecodeError::InvalidField(duplicate ML-KEM prekey id)",
        tdec(&s.bytes()),
    );
    s.lists[2] = vec![prekey(41, 2, 0x44), prekey(40, 2, 0x45)];
    c.add(
        "store state one-time ML-KEM ids descending",
        "one-time ML-KEM prekeys 41, 40",
        "DecodeError::InvalidField(one-time prekey ids not ascending)",
        tdec(&s.bytes()),
    );
    let mut s = st.clone();
    s.lists[3] = vec![prekey(7, 3, 0x55), prekey(5, 3, 0x56)];
    c.add(
        "store state one-time ids descending",
        "one-time prekeys 7, 5",
        "DecodeError::InvalidField(one-time prekey ids not ascending)",
        tdec(&s.bytes()),
    );
    s.lists[3] = vec![prekey(7, 3, 0x55), prekey(7, 3, 0x56)];
    c.add(
        "store state duplicate one-time id",
        "one-time prekey 7 twice",
        "DecodeError::InvalidField(duplicate one-time prekey id)",
        tdec(&s.bytes()),
    );
    s.lists[3] = vec![prekey(5, 3, 0x55), prekey(7, 3, 0x56)];
    c.add(
        "store state one-time ids ascending",
        "one-time prekeys 5, 7",
        "ok",
        tdec(&s.bytes()),
    );
    // Counts over the limit, nothing following (§1: the limit is checked
    // first; the counts are checked against the version 2 element sizes).
    let at_list = |list: usize, n: u32| {
        let mut b = st.lists(3);
        // Offsets of the four counts.
        let mut o = 78;
        for (i, size) in V3_SIZES.iter().enumerate() {
            let cnt = u32::from_be_bytes(b[o..o + 4].try_into().expect("4")) as usize;
            if i == list {
                b.truncate(o);
                b.extend_from_slice(&n.to_be_bytes());
                return b;
            }
            o += 4 + cnt * size;
        }
        unreachable!()
    };
    c.add(
        "store state 1001 one-time ML-KEM prekeys",
        "a count of 1001 one-time ML-KEM prekeys (none follow)",
        "DecodeError::TooLong(field: one-time ML-KEM prekeys, len: 1001, limit: 1000)",
        tdec(&at_list(2, 1001)),
    );
    c.add(
        "store state 10001 one-time prekeys",
        "a count of 10001 one-time prekeys (none follow)",
        "DecodeError::TooLong(field: one-time prekeys, len: 10001, limit: 10000)",
        tdec(&at_list(3, 10_001)),
    );
    c.add(
        "store state 1000 one-time ML-KEM prekeys claimed",
        "a count of 1000 one-time ML-KEM prekeys with none following: within the limit, \
         more than the rest holds at 132 bytes each (the minimum element size is that of \
         store version 2)",
        "DecodeError::Truncated(needed: 132000)",
        tdec(&at_list(2, 1000)),
    );
    // Replay records (§7.3 rule 4).
    let base = |i: u8| {
        let mut k = carol_base;
        k[31] = i;
        k
    };
    let mut s = st.clone();
    s.lists[0] = vec![st.lists[0][0].clone(), prekey(2, 0, 0x34)];
    s.records = vec![(1, vec![base(1)]), (2, vec![base(2)])];
    c.add(
        "store state two replay records",
        "records for signed prekeys 1 and 2, ascending",
        "ok",
        tdec(&s.bytes()),
    );
    s.records = vec![(2, vec![base(2)]), (1, vec![base(1)])];
    c.add(
        "store state replay records descending",
        "records for signed prekeys 2, 1",
        "DecodeError::InvalidField(replay records not in ascending signed prekey order)",
        tdec(&s.bytes()),
    );
    s.records = vec![(1, vec![base(1)]), (1, vec![base(2)])];
    c.add(
        "store state replay record twice",
        "two records for signed prekey 1",
        "DecodeError::InvalidField(replay records not in ascending signed prekey order)",
        tdec(&s.bytes()),
    );
    s.records = vec![(3, vec![base(1)])];
    c.add(
        "store state replay record for a prekey not held",
        "a record for signed prekey 3",
        "DecodeError::InvalidField(replay record for a signed prekey not held)",
        tdec(&s.bytes()),
    );
    s.records = vec![(1, vec![])];
    c.add(
        "store state empty replay record",
        "a record with no base key, followed by 32 bytes (so that the 40 bytes per record \
         are there)",
        "DecodeError::InvalidField(empty replay record)",
        tdec(&plus(&s.bytes(), &[0; 32])),
    );
    c.add(
        "store state empty replay record, nothing after",
        "a record with no base key and nothing after it: 8 bytes, the 40 of one record are \
         checked first",
        "DecodeError::Truncated(needed: 32)",
        tdec(&s.bytes()),
    );
    s.records = vec![(1, vec![base(2), base(1)])];
    c.add(
        "store state base keys descending",
        "a record with two base keys in descending order",
        "DecodeError::InvalidField(remembered base keys not ascending)",
        tdec(&s.bytes()),
    );
    s.records = vec![(1, vec![base(2), base(2)])];
    c.add(
        "store state base key twice",
        "a record with one base key twice",
        "DecodeError::InvalidField(remembered base keys not ascending)",
        tdec(&s.bytes()),
    );
    let mut over = s.lists(3);
    over.extend_from_slice(&5u32.to_be_bytes());
    c.add(
        "store state 5 replay records",
        "a count of 5 replay records (none follow)",
        "DecodeError::TooLong(field: replay records, len: 5, limit: 4)",
        tdec(&over),
    );
    let mut over = s.lists(3);
    over.extend_from_slice(&1u32.to_be_bytes());
    over.extend_from_slice(&1u32.to_be_bytes());
    over.extend_from_slice(&4097u32.to_be_bytes());
    over.extend_from_slice(&carol_base);
    c.add(
        "store state 4097 remembered handshakes",
        "a record claiming 4097 base keys (one follows)",
        "DecodeError::TooLong(field: remembered handshakes, len: 4097, limit: 4096)",
        tdec(&over),
    );
    let mut over = s.lists(3);
    over.extend_from_slice(&2u32.to_be_bytes());
    over.extend_from_slice(&1u32.to_be_bytes());
    c.add(
        "store state 2 replay records claimed",
        "a count of 2 records with 4 bytes following: 80 bytes needed at least",
        "DecodeError::Truncated(needed: 76)",
        tdec(&over),
    );
    // Store versions 2 and 1 (§7.3, §11): migrated, every prekey dated 0 and
    // handed out.
    assert_eq!(
        *PreKeyStore::from_bytes(&st.v2()).expect("v2").to_bytes(),
        st.migrated().bytes()
    );
    c.add(
        "store state version 2",
        "the store of 'store state valid' in the store version 2 layout (no dates, no \
         published flags): migrated, its prekeys made at 0 and handed out",
        "ok",
        tdec(&st.v2()),
    );
    let mut s = st.clone();
    s.lists[2] = vec![prekey(40, 2, 0x44)];
    s.lists[3] = vec![prekey(5, 3, 0x55), prekey(7, 3, 0x56)];
    for l in s.lists.iter_mut() {
        for e in l.iter_mut() {
            let at = e.len() - 1;
            e[at] = 0;
        }
    }
    c.add(
        "store state version 2 with one-time prekeys",
        "store version 2 with one-time prekeys of both kinds: migrated, all handed out (so \
         never handed out again, §4.10)",
        "ok",
        tdec(&s.v2()),
    );
    c.add(
        "store state version 3 labelled 2",
        "the store of 'store state valid' with version byte 2: the signed prekey's \
         created_at and published flag are read as the next counts",
        "DecodeError::TooLong(field: one-time prekeys, len: 16777216, limit: 10000)",
        tdec(&with(&store_after_c, 0, 2)),
    );
    c.add(
        "store state version 2 labelled 3",
        "the store version 2 layout with version byte 3: the next count and id are read as \
         the signed prekey's created_at, and the next byte as its published flag",
        "DecodeError::InvalidField(boolean)",
        tdec(&with(&st.v2(), 0, 3)),
    );
    c.add(
        "store state version 1",
        "store version 1 with Carol's base key in its replay list: migrated to a record for \
         the current signed prekey, prekeys dated 0 and handed out: the store of 'store \
         state version 2'",
        "ok",
        tdec(&st.v1(&[carol_base])),
    );
    c.add(
        "store state version 1 with repeats",
        "store version 1 with a replay list of Carol's base key twice: repeats are allowed",
        "ok",
        tdec(&st.v1(&[carol_base, carol_base])),
    );
    c.add(
        "store state version 1 empty list",
        "store version 1 with an empty replay list",
        "ok",
        tdec(&st.v1(&[])),
    );
    let mut over = st.lists(1);
    over.extend_from_slice(&4097u32.to_be_bytes());
    c.add(
        "store state version 1 with 4097 handshakes",
        "store version 1 with a replay list count of 4097 (none follow)",
        "DecodeError::TooLong(field: remembered handshakes, len: 4097, limit: 4096)",
        tdec(&over),
    );

    // ------------------------------------------------ prekey uploads (§4.10)
    // Zed's store, made at NOW: uploads of everything, of one new one-time
    // X25519 prekey, of one new one-time ML-KEM prekey, and of the two
    // prekeys rotated a week later.
    let mut zs = PreKeyStore::new(&mut rng, identity_from(seed, xsec), NOW);
    zs.generate_one_time_prekeys(&mut rng, 3);
    zs.generate_kem_one_time_prekeys(&mut rng, 2);
    let u_full = zs.upload(&mut rng, NOW).expect("upload").to_bytes();
    assert!(zs.upload(&mut rng, NOW).is_none(), "nothing new");
    zs.generate_one_time_prekeys(&mut rng, 1);
    let u_otk = zs.upload(&mut rng, NOW).expect("upload").to_bytes();
    zs.generate_kem_one_time_prekeys(&mut rng, 1);
    let u_kem = zs.upload(&mut rng, NOW).expect("upload").to_bytes();
    let u_rot = zs
        .upload(&mut rng, NOW + PREKEY_ROTATION_SECS)
        .expect("upload")
        .to_bytes();
    assert_eq!(
        u_full.len(),
        2 + 128 + 1 + 100 + 1253 + 4 + 3 * 36 + 4 + 2 * 1253 + 64
    );
    assert_eq!(u_full[130], 3);
    let (o_n, o_m, o_sig) = (1484, 1484 + 4 + 108, u_full.len() - 64);
    assert_eq!(u_full[o_n..o_n + 4], 3u32.to_be_bytes());
    assert_eq!(u_full[o_m..o_m + 4], 2u32.to_be_bytes());
    let ucase = |b: &[u8]| json!({"operation": "upload.decode", "input": hx(b)});
    // Re-signs `b`'s signed part with Zed's key.
    let resign = |b: &[u8]| {
        let body = &b[..b.len() - 64];
        plus(body, &sign(&seed, &[UPLOAD_LABEL, body].concat()))
    };
    c.add(
        "upload valid",
        "Zed's first upload (4170 bytes): flags 3, signed prekey 1, last-resort ML-KEM \
         prekey 1, one-time X25519 prekeys 1–3, one-time ML-KEM prekeys 2 and 3",
        "ok",
        ucase(&u_full),
    );
    c.add(
        "upload of a one-time prekey",
        "the next upload after one more one-time X25519 prekey: flags 0, that key only",
        "ok",
        ucase(&u_otk),
    );
    c.add(
        "upload of a one-time ML-KEM prekey",
        "the next upload after one more one-time ML-KEM prekey: flags 0, that key only",
        "ok",
        ucase(&u_kem),
    );
    c.add(
        "upload of rotated prekeys",
        "the upload a week later (PREKEY_ROTATION_SECS): both dated prekeys rotated (signed \
         prekey 2, last-resort ML-KEM prekey 5), flags 3, no one-time prekey",
        "ok",
        ucase(&u_rot),
    );
    let empty = resign(&[&u_full[..130], &[0u8; 9][..], &[0u8; 64]].concat());
    assert_eq!(empty.len(), 130 + 9 + 64);
    c.add(
        "upload empty",
        "flags 0, no one-time prekeys, signed by Zed",
        "DecodeError::InvalidField(empty upload)",
        ucase(&empty),
    );
    c.add(
        "upload empty with a trailing byte",
        "the empty upload and one byte: trailing bytes are checked first",
        "DecodeError::TrailingBytes(1)",
        ucase(&plus(&empty, &[0])),
    );
    c.add(
        "upload trailing byte",
        "the valid upload and one byte",
        "DecodeError::TrailingBytes(1)",
        ucase(&plus(&u_full, &[0])),
    );
    for (len, needed, about) in [
        (0, 1, "no bytes"),
        (1, 1, "the version byte alone"),
        (100, 30, "in the identity's binding signature"),
        (130, 1, "the flags missing"),
        (200, 31, "in the signed prekey's signature"),
        (1000, 420, "in the last-resort ML-KEM prekey's key"),
        (1486, 2, "in the one-time prekey count"),
        (1500, 96, "3 one-time prekeys claimed, 12 bytes left"),
        (1598, 2, "in the one-time ML-KEM prekey count"),
        (
            3000,
            1106,
            "2 one-time ML-KEM prekeys claimed, 1400 bytes left",
        ),
        (4150, 20, "in the signature"),
    ] {
        c.add(
            &format!("upload truncated to {len}"),
            about,
            &format!("DecodeError::Truncated(needed: {needed})"),
            ucase(&u_full[..len]),
        );
    }
    c.add(
        "upload version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        ucase(&with(&u_full, 0, 2)),
    );
    c.add(
        "upload version 2 and type of an identity",
        "version 2 and type 0x11: the version is checked first",
        "DecodeError::UnsupportedVersion(2)",
        ucase(&with(&with(&u_full, 0, 2), 1, 0x11)),
    );
    c.add(
        "upload type of a bundle",
        "type byte 0x10",
        "DecodeError::UnexpectedType(0x10)",
        ucase(&with(&u_full, 1, 0x10)),
    );
    c.add(
        "upload identity key of small order",
        "Zed's Ed25519 key replaced by a point of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        ucase(&[&u_full[..2], &small[..], &u_full[34..]].concat()),
    );
    for flags in [7u8, 0x80] {
        c.add(
            &format!("upload flags {flags:#04x}"),
            "a flag bit other than 0 and 1 set",
            "DecodeError::InvalidField(upload flags)",
            ucase(&with(&u_full, 130, flags)),
        );
    }
    c.add(
        "upload last-resort kind one-time",
        "the last-resort ML-KEM prekey's kind byte 1",
        "DecodeError::InvalidField(last-resort ML-KEM prekey kind)",
        ucase(&with(&u_full, 235, 1)),
    );
    c.add(
        "upload last-resort kind 2",
        "the last-resort ML-KEM prekey's kind byte 2",
        "DecodeError::InvalidField(ML-KEM prekey kind)",
        ucase(&with(&u_full, 235, 2)),
    );
    let mut bad_ek = u_full.clone();
    bad_ek[236] = 0xFF;
    bad_ek[237] |= 0x0F;
    c.add(
        "upload last-resort key not reduced",
        "the first coefficient of the last-resort encapsulation key 4095 (≥ q)",
        "DecodeError::InvalidKey(ML-KEM-768 encapsulation key)",
        ucase(&bad_ek),
    );
    c.add(
        "upload 10001 one-time prekeys",
        "a count of 10001 one-time X25519 prekeys (none follow)",
        "DecodeError::TooLong(field: one-time prekeys, len: 10001, limit: 10000)",
        ucase(&plus(&u_full[..o_n], &10_001u32.to_be_bytes())),
    );
    let otk_id = |b: &mut Vec<u8>, i: usize, id: u32| {
        let at = o_n + 4 + 36 * i;
        b[at..at + 4].copy_from_slice(&id.to_be_bytes());
    };
    let mut b = u_full.clone();
    otk_id(&mut b, 1, 1);
    c.add(
        "upload one-time prekey id repeated",
        "one-time prekeys 1, 1, 3 (re-signed)",
        "DecodeError::InvalidField(one-time prekey ids not strictly ascending)",
        ucase(&resign(&b)),
    );
    let mut b = u_full.clone();
    otk_id(&mut b, 0, 2);
    otk_id(&mut b, 1, 1);
    c.add(
        "upload one-time prekey ids descending",
        "one-time prekeys 2, 1, 3 (re-signed)",
        "DecodeError::InvalidField(one-time prekey ids not strictly ascending)",
        ucase(&resign(&b)),
    );
    c.add(
        "upload 1001 one-time ML-KEM prekeys",
        "a count of 1001 one-time ML-KEM prekeys (none follow)",
        "DecodeError::TooLong(field: one-time ML-KEM prekeys, len: 1001, limit: 1000)",
        ucase(&plus(&u_full[..o_m], &1001u32.to_be_bytes())),
    );
    let kem_at = |i: usize| o_m + 4 + 1253 * i;
    let kem_id = |b: &mut Vec<u8>, i: usize, id: u32| {
        let at = kem_at(i);
        b[at..at + 4].copy_from_slice(&id.to_be_bytes());
    };
    c.add(
        "upload one-time ML-KEM kind last-resort",
        "the first one-time ML-KEM prekey's kind byte 0",
        "DecodeError::InvalidField(one-time ML-KEM prekey kind)",
        ucase(&with(&u_full, kem_at(0) + 4, 0)),
    );
    c.add(
        "upload one-time ML-KEM kind 2",
        "the first one-time ML-KEM prekey's kind byte 2",
        "DecodeError::InvalidField(ML-KEM prekey kind)",
        ucase(&with(&u_full, kem_at(0) + 4, 2)),
    );
    let mut b = u_full.clone();
    kem_id(&mut b, 0, 3);
    kem_id(&mut b, 1, 2);
    c.add(
        "upload one-time ML-KEM ids descending",
        "one-time ML-KEM prekeys 3, 2 (re-signed)",
        "DecodeError::InvalidField(one-time ML-KEM prekey ids not strictly ascending)",
        ucase(&resign(&b)),
    );
    let mut b = u_full.clone();
    kem_id(&mut b, 0, 1);
    c.add(
        "upload one-time ML-KEM id of the last-resort one",
        "the first one-time ML-KEM prekey numbered 1, the last-resort prekey's id \
         (re-signed; one id space)",
        "DecodeError::InvalidField(duplicate ML-KEM prekey id)",
        ucase(&resign(&b)),
    );
    let sig_err = |what: &str| format!("SignatureError::Invalid({what})");
    c.add(
        "upload identity binding invalid",
        "a byte of Zed's X25519 key changed",
        &sig_err("IdentityBinding"),
        ucase(&xor(&u_full, 34, 1)),
    );
    c.add(
        "upload signed prekey signature invalid",
        "a byte of the signed prekey's key changed (the upload signature fails too: the \
         signed prekey's is reported)",
        &sig_err("SignedPreKey"),
        ucase(&xor(&u_full, 140, 1)),
    );
    c.add(
        "upload binding and signed prekey invalid",
        "both: the binding is reported",
        &sig_err("IdentityBinding"),
        ucase(&xor(&xor(&u_full, 34, 1), 140, 1)),
    );
    c.add(
        "upload last-resort signature invalid",
        "a byte of the last-resort encapsulation key changed",
        &sig_err("KemPreKey"),
        ucase(&xor(&u_full, 1000, 1)),
    );
    c.add(
        "upload one-time ML-KEM signature invalid",
        "a byte of the second one-time ML-KEM prekey's key changed",
        &sig_err("KemPreKey"),
        ucase(&xor(&u_full, kem_at(1) + 100, 1)),
    );
    c.add(
        "upload one-time prekey changed",
        "a byte of one-time X25519 prekey 2 changed: only the upload signature covers it",
        &sig_err("PreKeyUpload"),
        ucase(&xor(&u_full, o_n + 4 + 36 + 10, 1)),
    );
    c.add(
        "upload signature invalid",
        "the last byte of the upload signature changed",
        &sig_err("PreKeyUpload"),
        ucase(&xor(&u_full, u_full.len() - 1, 1)),
    );
    let mut s_l = u_full.clone();
    let s_at = o_sig + 32;
    let added = add_l(&u_full[s_at..]);
    s_l[s_at..].copy_from_slice(&added);
    c.add(
        "upload signature with S + L",
        "the upload signature's S replaced by S + L",
        &sig_err("PreKeyUpload"),
        ucase(&s_l),
    );
    let mut dropped = [
        &u_full[..o_n],
        &2u32.to_be_bytes(),
        &u_full[o_n + 4..o_n + 4 + 72],
    ]
    .concat();
    dropped.extend_from_slice(&u_full[o_m..]);
    c.add(
        "upload one-time prekey dropped",
        "one-time prekey 3 removed and the count set to 2, the signature kept: the server \
         cannot drop keys unnoticed",
        &sig_err("PreKeyUpload"),
        ucase(&dropped),
    );
    let alice_field = alice_id.public().to_field_bytes();
    c.add(
        "upload of another identity",
        "Alice's identity (binding valid) in place of Zed's: the prekeys' signatures are Zed's",
        &sig_err("SignedPreKey"),
        ucase(&[&u_full[..2], &alice_field[..], &u_full[130..]].concat()),
    );
    c.add(
        "upload of another identity, one-time keys only",
        "Alice's identity in the upload of one one-time X25519 prekey: only the upload \
         signature is left to fail",
        &sig_err("PreKeyUpload"),
        ucase(&[&u_otk[..2], &alice_field[..], &u_otk[130..]].concat()),
    );

    // ------------------------------------------ prekey lifecycle (§4.9)
    // Yerlan's store is made at NOW (signed prekey 1, last-resort ML-KEM
    // prekey 1); Dave's first message uses both. At t1 = NOW + 7 days the
    // signed prekey is rotated (2; 1 is retired at t1); Erin's first message
    // uses signed prekey 2 and last-resort 1. At t2 = t1 + 1 day the
    // last-resort prekey is rotated (2; 1 is retired at t2); Farida's uses
    // both current ones.
    let yerlan = identity_from(draw32(&mut rng), draw32(&mut rng));
    let mut ys = PreKeyStore::new(&mut rng, yerlan, NOW);
    let first = |ys: &mut PreKeyStore, rng: &mut chacha20::ChaCha20Rng, text: &[u8]| {
        let id = identity_from(draw32(rng), draw32(rng));
        let b = ys.bundle().expect("bundle");
        let mut s = Session::initiate(rng, &id, &b).expect("initiate");
        (
            s.encrypt(rng, text).expect("encrypt"),
            b.signed_prekey.id,
            b.kem_prekey.id,
        )
    };
    let (d0, spk, kem) = first(&mut ys, &mut rng, b"d0");
    assert_eq!((spk, kem), (1, 1));
    let t1 = NOW + PREKEY_ROTATION_SECS;
    assert!(ys.needs_rotation(t1));
    ys.rotate_signed_prekey(&mut rng, t1);
    let (e0, spk, kem) = first(&mut ys, &mut rng, b"e0");
    assert_eq!((spk, kem), (2, 1));
    let t2 = t1 + 86_400;
    ys.rotate_last_resort_kem_prekey(&mut rng, t2);
    let (f0, spk, kem) = first(&mut ys, &mut rng, b"f0");
    assert_eq!((spk, kem), (2, 2));
    let ystate = ys.to_bytes().to_vec();
    let mut pruned = PreKeyStore::from_bytes(&ys.to_bytes()).expect("copy");
    assert_eq!(
        pruned.prune(t1 + MAX_RETIRED_PREKEY_AGE_SECS),
        1,
        "signed prekey 1"
    );
    let pruned = pruned.to_bytes().to_vec();
    let at = |m: &[u8], now: u64| {
        let mut c = accept(&ystate, m);
        c["now"] = json!(now);
        c
    };
    let max = MAX_RETIRED_PREKEY_AGE_SECS;
    c.add(
        "prekey message on a retired signed prekey before it expires",
        "d0 (signed prekey 1, retired at t1) at t1 + MAX_RETIRED_PREKEY_AGE_SECS − 1",
        "ok",
        at(&d0, t1 + max - 1),
    );
    c.add(
        "prekey message on an expired signed prekey",
        "d0 at t1 + MAX_RETIRED_PREKEY_AGE_SECS: refused before any DH (§4.9)",
        "HandshakeError::ExpiredSignedPreKey(1)",
        at(&d0, t1 + max),
    );
    c.add(
        "prekey message on a retired last-resort prekey before it expires",
        "e0 (last-resort ML-KEM prekey 1, retired at t2) at t2 + \
         MAX_RETIRED_PREKEY_AGE_SECS − 1",
        "ok",
        at(&e0, t2 + max - 1),
    );
    c.add(
        "prekey message on an expired last-resort prekey",
        "e0 at t2 + MAX_RETIRED_PREKEY_AGE_SECS",
        "HandshakeError::ExpiredKemPreKey(1)",
        at(&e0, t2 + max),
    );
    c.add(
        "prekey message on two expired prekeys",
        "d0 at t2 + MAX_RETIRED_PREKEY_AGE_SECS: both its prekeys expired, the signed \
         prekey is reported",
        "HandshakeError::ExpiredSignedPreKey(1)",
        at(&d0, t2 + max),
    );
    c.add(
        "prekey message with the clock before the retirement",
        "d0 at time 0 (before t1): an age below 0 counts as 0, accepted",
        "ok",
        at(&d0, 0),
    );
    c.add(
        "prekey message on current prekeys at the end of time",
        "f0 (current signed and last-resort prekeys) at 2^64 − 1: current prekeys never \
         expire",
        "ok",
        at(&f0, u64::MAX),
    );
    c.add(
        "prekey message on a pruned signed prekey",
        "d0 to the store after prune(t1 + MAX_RETIRED_PREKEY_AGE_SECS), which deleted signed \
         prekey 1",
        "HandshakeError::UnknownSignedPreKey(1)",
        json!({"operation": "store.accept", "state": hx(&pruned), "input": hx(&d0), "now": t1 + max}),
    );

    // ------------------------------------------------ sealed states (§7.1)
    let key_hex = hx(&storage);
    let bob_owner = hx(bob.session_id());
    let store_owner = hx(&StateOwner::device(store.identity_key()).to_bytes());
    let sealed = |op: &str, b: &[u8], owner: &str, min: u64| {
        json!({
            "operation": op,
            "storage_key": key_hex,
            "input": hx(b),
            "owner": owner,
            "min_generation": min,
        })
    };
    let [store1, store2, store3] = [&sealed_stores[0], &sealed_stores[1], &sealed_stores[2]];
    c.add(
        "sealed session valid",
        "Bob's session, sealed once (generation 1), expected with its session id and \
         min_generation 1",
        "ok",
        sealed("session.open", &sealed_session, &bob_owner, 1),
    );
    c.add(
        "sealed session expected from generation 0",
        "the same, min_generation 0: a newer blob than expected opens",
        "ok",
        sealed("session.open", &sealed_session, &bob_owner, 0),
    );
    c.add(
        "sealed store valid",
        "the store of 'store state valid', sealed for the third time (generation 3), \
         expected with Bob's Ed25519 key and min_generation 3",
        "ok",
        sealed("store.open", store3, &store_owner, 3),
    );
    c.add(
        "sealed store rolled back",
        "the store's second seal (generation 2) when generation 3 was seen",
        "StateError::RolledBack(min_generation: 3, found: 2)",
        sealed("store.open", store2, &store_owner, 3),
    );
    c.add(
        "sealed store first seal rolled back",
        "the store's first seal (generation 1) when generation 2 was seen",
        "StateError::RolledBack(min_generation: 2, found: 1)",
        sealed("store.open", store1, &store_owner, 2),
    );
    c.add(
        "sealed store at its own generation",
        "the second seal with min_generation 2",
        "ok",
        sealed("store.open", store2, &store_owner, 2),
    );
    let carol_owner = hx(bob_carol.session_id());
    c.add(
        "sealed session of another session",
        "Bob's session with Carol where his session with Alice is expected: authentic, \
         another owner",
        "StateError::WrongOwner",
        sealed("session.open", &sealed_bob_carol, &bob_owner, 0),
    );
    c.add(
        "sealed session of another session, owned",
        "the same blob expected with its own owner (Carol's session id)",
        "ok",
        sealed("session.open", &sealed_bob_carol, &carol_owner, 1),
    );
    let alice_owner = hx(&StateOwner::device(alice_id.public()).to_bytes());
    c.add(
        "sealed store of another device",
        "Bob's store where Alice's (owner: her Ed25519 key) is expected",
        "StateError::WrongOwner",
        sealed("store.open", store3, &alice_owner, 0),
    );
    c.add(
        "sealed store rolled back and of another device",
        "generation 2 when 3 was seen, and another owner expected: the owner is \
         checked first (RolledBack always means an older copy of the expected object)",
        "StateError::WrongOwner",
        sealed("store.open", store2, &alice_owner, 3),
    );
    for (at, about) in [
        (3, "the first owner byte"),
        (34, "the last owner byte"),
        (35, "the first generation byte"),
        (42, "the last generation byte"),
    ] {
        c.add(
            &format!("sealed header byte {at} flipped"),
            &format!("{about} of the sealed session flipped: the header is authenticated"),
            "StateError::AuthenticationFailed",
            sealed("session.open", &xor(&sealed_session, at, 1), &bob_owner, 0),
        );
    }
    let mut flipped_owner = bob.session_id().to_vec();
    flipped_owner[0] ^= 1;
    c.add(
        "sealed owner flipped and expected",
        "the first owner byte flipped and the flipped owner expected: authentication comes \
         first",
        "StateError::AuthenticationFailed",
        sealed(
            "session.open",
            &xor(&sealed_session, 3, 1),
            &hx(&flipped_owner),
            0,
        ),
    );
    c.add(
        "sealed generation raised",
        "the generation rewritten from 1 to 2^63 + 1 to pass a later min_generation",
        "StateError::AuthenticationFailed",
        sealed(
            "session.open",
            &xor(&sealed_session, 35, 0x80),
            &bob_owner,
            5,
        ),
    );
    c.add(
        "sealed store opened as a session",
        "the sealed store given to Session::open",
        "StateError::WrongKind(expected: 0x40, found: 0x41)",
        sealed("session.open", store3, &store_owner, 0),
    );
    c.add(
        "sealed store opened as a session, rolled back",
        "the same with min_generation 5: the kind is checked before the generation",
        "StateError::WrongKind(expected: 0x40, found: 0x41)",
        sealed("session.open", store3, &store_owner, 5),
    );
    c.add(
        "sealed session kind rewritten",
        "the sealed session's kind byte rewritten to 0x41, opened as a store: the kind is \
         authenticated",
        "StateError::AuthenticationFailed",
        sealed(
            "store.open",
            &with(&sealed_session, 2, 0x41),
            &store_owner,
            0,
        ),
    );
    for v in [0u8, 3] {
        c.add(
            &format!("sealed envelope version {v}"),
            &format!("the envelope's version byte {v}"),
            &format!("DecodeError::UnsupportedVersion({v})"),
            sealed("session.open", &with(&sealed_session, 0, v), &bob_owner, 0),
        );
    }
    c.add(
        "sealed envelope version 2 relabelled 1",
        "the sealed session's version byte set to 1: read as a version 1 envelope (AD of \
         three bytes, the nonce in the owner's place)",
        "StateError::AuthenticationFailed",
        sealed("session.open", &with(&sealed_session, 0, 1), &bob_owner, 0),
    );
    c.add(
        "sealed envelope marker",
        "the marker byte 0x5F",
        "DecodeError::UnexpectedType(0x5f)",
        sealed(
            "session.open",
            &with(&sealed_session, 1, 0x5F),
            &bob_owner,
            0,
        ),
    );
    for (len, needed, about) in [
        (2, 1, "the kind byte missing"),
        (20, 15, "in the owner"),
        (40, 3, "in the generation"),
        (50, 17, "in the nonce"),
    ] {
        c.add(
            &format!("sealed truncated to {len}"),
            about,
            &format!("DecodeError::Truncated(needed: {needed})"),
            sealed("session.open", &sealed_session[..len], &bob_owner, 0),
        );
    }
    c.add(
        "sealed shorter than the tag",
        "the header, the nonce and 15 bytes",
        "StateError::AuthenticationFailed",
        sealed("store.open", &store3[..67 + 15], &store_owner, 0),
    );
    c.add(
        "sealed modified",
        "a ciphertext byte changed",
        "StateError::AuthenticationFailed",
        sealed("store.open", &xor(store3, 80, 1), &store_owner, 0),
    );
    let other_key = hx(&Sha256::digest([&storage[..], b"another key"].concat()));
    let mut under_other = sealed("store.open", store3, &store_owner, 0);
    under_other["storage_key"] = json!(other_key);
    c.add(
        "sealed under another key",
        "the sealed store opened with another storage key",
        "StateError::AuthenticationFailed",
        under_other,
    );
    // Envelopes made by hand (§7.1): version 2 with the header given, and
    // version 1 (`0x01 0x5E kind || nonce || ciphertext`, AD the first three
    // bytes) as written before envelope version 2.
    let nonce = [0x66u8; 24];
    let seal_v2 = |kind: u8, owner: &[u8], generation: u64, plain: &[u8]| {
        let ad = [&[0x02, 0x5E, kind][..], owner, &generation.to_be_bytes()].concat();
        let mut out = [&ad[..], &nonce].concat();
        aead::xseal(&storage, &nonce, &ad, plain, &mut out);
        out
    };
    let seal_v1 = |kind: u8, plain: &[u8]| {
        let mut out = [&[0x01, 0x5E, kind][..], &nonce].concat();
        aead::xseal(&storage, &nonce, &[0x01, 0x5E, kind], plain, &mut out);
        out
    };
    c.add(
        "sealed session naming another owner",
        "a version 2 envelope (nonce 66…66, generation 1) around Bob's session whose header \
         names Carol's session, opened expecting Carol's: the object's own owner differs",
        "StateError::WrongOwner",
        sealed(
            "session.open",
            &seal_v2(0x40, bob_carol.session_id(), 1, &bob_state),
            &carol_owner,
            0,
        ),
    );
    c.add(
        "sealed store of version 4",
        "a version 2 envelope (nonce 66…66) naming the expected owner around a store \
         state of version 4: the state is decoded before its own owner is compared",
        "DecodeError::UnsupportedVersion(4)",
        sealed(
            "store.open",
            &seal_v2(
                0x41,
                &unhex(&store_owner).expect("hex"),
                1,
                &with(&store_after_c, 0, 4),
            ),
            &store_owner,
            0,
        ),
    );
    c.add(
        "sealed store of version 4 and another owner",
        "the same envelope with another owner expected: the header's owner is compared \
         before the state is decoded",
        "StateError::WrongOwner",
        sealed(
            "store.open",
            &seal_v2(
                0x41,
                &unhex(&store_owner).expect("hex"),
                1,
                &with(&store_after_c, 0, 4),
            ),
            &alice_owner,
            0,
        ),
    );
    let v1_session = seal_v1(0x40, &bob_state);
    c.add(
        "sealed session envelope version 1",
        "a version 1 envelope (nonce 66…66) around Bob's session, min_generation 0: opens, \
         at generation 0, its owner taken from the session",
        "ok",
        sealed("session.open", &v1_session, &bob_owner, 0),
    );
    c.add(
        "sealed session envelope version 1 rolled back",
        "the same with min_generation 1: a version 1 envelope is generation 0",
        "StateError::RolledBack(min_generation: 1, found: 0)",
        sealed("session.open", &v1_session, &bob_owner, 1),
    );
    c.add(
        "sealed session envelope version 1 of another session",
        "the same expecting Carol's session id",
        "StateError::WrongOwner",
        sealed("session.open", &v1_session, &carol_owner, 0),
    );
    c.add(
        "sealed store envelope version 1 of version 4",
        "a version 1 envelope around a store state of version 4",
        "DecodeError::UnsupportedVersion(4)",
        sealed(
            "store.open",
            &seal_v1(0x41, &with(&store_after_c, 0, 4)),
            &store_owner,
            0,
        ),
    );
    c.add(
        "sealed store envelope version 1 of version 1",
        "a version 1 envelope around the store of 'store state version 1': it loads and \
         migrates",
        "ok",
        sealed(
            "store.open",
            &seal_v1(0x41, &st.v1(&[carol_base])),
            &store_owner,
            0,
        ),
    );
    c.add(
        "sealed store envelope version 1 of version 2",
        "a version 1 envelope around the store of 'store state version 2' (what the \
         release before store version 3 wrote)",
        "ok",
        sealed("store.open", &seal_v1(0x41, &st.v2()), &store_owner, 0),
    );
    c.add(
        "sealed store envelope version 1 rolled back",
        "the same with min_generation 1",
        "StateError::RolledBack(min_generation: 1, found: 0)",
        sealed("store.open", &seal_v1(0x41, &st.v2()), &store_owner, 1),
    );

    json!({
        "description": "Negative (and edge) vectors for the 1:1 formats: identities, bundles, \
            prekey uploads, messages (versions 2 and 1), prekey messages (including the \
            prekey lifecycle: retired prekeys refused once expired), session state, prekey \
            store state (versions 3, 2 and 1) and sealed envelopes (versions 2 and 1) \
            (docs/PROTOCOL.md §2.3, §2.4, §4, §5, §7.1–§7.3, §8, §10, §13). inputs.cases \
            lists each case: name, about, operation (the API call, §13), input and its \
            context (state: the plain session or store state the call is given to; now: the \
            caller's clock given to accept, §4.9; storage_key; owner and min_generation: \
            the value `open` is given, §7.1). expected.cases gives, for the case of the same \
            name, result 'ok' (with what the call returned: the plaintext, SHA-256 of the \
            state after it and of a new session, or the parsed upload) or 'error' with error \
            (the exact value returned, named as in §13) and kind (its innermost error). A \
            refused call changes nothing. The states and messages come from a conversation \
            qorgan had with rng(seed): Zed's identity; Bob's store (one one-time prekey of \
            each kind); Alice's first message a0, Bob's reply b0, Alice's messages x0–x2001 on \
            her second chain; Carol's first message c0 (no one-time prekeys); Zed's store \
            (made at 1700000000) and its four uploads; Yerlan's store and the first messages \
            d0, e0, f0 of the lifecycle cases (t1 = 1700000000 + PREKEY_ROTATION_SECS, t2 = \
            t1 + 86400). The random values are not listed: every input is given as bytes. \
            Hand-made inputs are built in tests/src/vectors/negative.rs. All byte strings \
            are lower-case hex. Changes with store version 3, sealed envelope version 2 and \
            prekey uploads: the store states are of store version 3 (dates and published \
            flags, §7.3; versions 2 and 1 migrate); every sealed case gives owner and \
            min_generation, and the sealed cases cover the owner, the generation, the order \
            of the checks and version 1 envelopes; accept cases give now; upload cases are \
            new.",
        "seed": NEGATIVE_SEED,
        "inputs": {"cases": c.0.inputs},
        "expected": {"cases": c.0.expected},
    })
}
