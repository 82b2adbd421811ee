//! `group_negative.json`: inputs every group decoder and operation must
//! refuse, each with the exact error (docs/PROTOCOL.md §12, §7.4, §2.3,
//! §2.4, §8, §11, §13), and the accepted inputs at each limit's edge.
//!
//! The generator builds every input (with qorgan where qorgan can make it,
//! by hand from the layouts of §12 and §7.4 where an input is malformed or
//! made by a dishonest party) and runs it through qorgan with
//! [`run_case`], which `tests/tests/vectors.rs` also uses to replay the
//! committed file; `tests/tests/vectors/independent.rs` decides the same
//! cases from the spec alone.

use super::case_table::CaseTable;
use std::collections::BTreeMap;

use curve25519_dalek::constants::EIGHT_TORSION;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use qorgan::primitives::aead;
use qorgan::{
    GroupPlaintext, IdentityKey, IdentityKeyPair, InboundGroupSession, OutboundGroupSession,
    RotationPolicy, SenderKeyAnnouncement, SenderKeyDistribution, SenderKeyRing, StorageKey,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};

use super::group::{
    GROUP_MESSAGE_LABEL, POSSESSION_LABEL, SENDER_KEY_LABEL, add_l, announced_fields, check_labels,
    commitment, ed25519_public, group_id_field, group_kdf_ck, hmac_sha256, message_context,
};
use super::{RecordingRng, ReplayRng, errors, identity_generate};
use crate::hex::{decode as unhex, encode as hx};

/// Seed of `group_negative.json`.
pub const GROUP_NEGATIVE_SEED: u64 = 5;

const G: &[u8] = b"qorgan/vectors/negative";
const G2: &[u8] = b"qorgan/vectors/negative-2";
const G64: &[u8] = b"qorgan/vectors/negative/a-group-id-of-exactly-sixty-four-bytes..";
const POLICY: RotationPolicy = RotationPolicy {
    max_messages: 1000,
    max_age_secs: 604_800,
};
const T0: u64 = 1_700_000_000;

fn sha256_hex(b: &[u8]) -> String {
    hx(&Sha256::digest(b))
}

fn h(v: &Value) -> Vec<u8> {
    unhex(v.as_str().expect("hex")).expect("hex")
}

fn num(v: &Value) -> u64 {
    v.as_u64().expect("number")
}

// ------------------------------------------------------------ runner

fn error((error, kind): (String, String)) -> Value {
    json!({"result": "error", "error": error, "kind": kind})
}

fn provenance(p: &GroupPlaintext) -> Value {
    json!({
        "sender": hx(&p.sender.to_field_bytes()),
        "group_id": hx(&p.group_id),
        "chain_id": p.chain_id,
        "rotation": p.rotation,
        "iteration": p.iteration,
    })
}

/// Collapses runs of equal outcomes into `{..., "repeat": n}`.
fn run_length(results: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for r in results {
        if let Some(last) = out.last_mut() {
            let mut bare = last.clone();
            bare.as_object_mut().expect("object").remove("repeat");
            if bare == r {
                last["repeat"] = json!(num(&last["repeat"]) + 1);
                continue;
            }
        }
        let mut r = r;
        r["repeat"] = json!(1);
        out.push(r);
    }
    out
}

/// Runs one case of `group_negative.json` through qorgan and returns its
/// outcome as the file records it. `identities` are the parties by name,
/// `draws` the file's draws by purpose. Every refused call is checked to
/// change nothing (and to draw nothing).
pub fn run_case(
    case: &Value,
    identities: &BTreeMap<String, IdentityKeyPair>,
    draws: &BTreeMap<String, Vec<u8>>,
) -> Value {
    let op = case["operation"].as_str().expect("operation");
    let input = || h(&case["input"]);
    let from = || -> IdentityKey { *identities[case["from"].as_str().expect("from")].public() };
    let replay = || {
        ReplayRng::new(
            case["draws"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| draws[p.as_str().expect("p")].clone())
                        .collect::<Vec<Vec<u8>>>()
                })
                .unwrap_or_default(),
        )
    };
    let storage_key = || StorageKey::from_bytes(h(&case["storage_key"]).try_into().expect("32"));
    let state_ok = |bytes: &[u8]| json!({"result": "ok", "state_after_sha256": sha256_hex(bytes)});
    match op {
        "announcement.decode" => match SenderKeyAnnouncement::from_bytes(&input()) {
            Ok(a) => json!({"result": "ok", "chain_id": a.chain_id, "rotation": a.rotation}),
            Err(e) => error(errors::verify(&e)),
        },
        "distribution.decode" => match SenderKeyDistribution::from_bytes(&input()) {
            Ok(d) => json!({"result": "ok", "iteration": d.iteration()}),
            Err(e) => error(errors::verify(&e)),
        },
        "export.import" => match InboundGroupSession::import(&input()) {
            Ok(s) => state_ok(&s.to_bytes()),
            Err(e) => error(errors::group(&e)),
        },
        "inbound.new" => {
            let d = SenderKeyDistribution::from_bytes(&input()).expect("distribution decodes");
            match InboundGroupSession::new(&d, &from()) {
                Ok(s) => state_ok(&s.to_bytes()),
                Err(e) => error(errors::group(&e)),
            }
        }
        "message.decrypt" => {
            let mut s = InboundGroupSession::from_bytes(&h(&case["state"])).expect("state");
            let before = s.to_bytes().to_vec();
            match s.decrypt(&input()) {
                Ok(p) => json!({
                    "result": "ok",
                    "plaintext": hx(&p.plaintext),
                    "provenance": provenance(&p),
                    "state_after_sha256": sha256_hex(&s.to_bytes()),
                }),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), before, "a refused decrypt changes nothing");
                    error(errors::decrypt(&e))
                }
            }
        }
        "message.decrypt_batch" => {
            let mut s = InboundGroupSession::from_bytes(&h(&case["state"])).expect("state");
            let messages: Vec<Vec<u8>> = case["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .flat_map(|m| std::iter::repeat_n(h(&m["hex"]), num(&m["repeat"]) as usize))
                .collect();
            let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            let results = s
                .decrypt_batch(&refs)
                .into_iter()
                .map(|r| match r {
                    Ok(p) => json!({"result": "ok", "plaintext": hx(&p.plaintext)}),
                    Err(e) => error(errors::decrypt(&e)),
                })
                .collect();
            json!({
                "result": "ok",
                "results": run_length(results),
                "state_after_sha256": sha256_hex(&s.to_bytes()),
            })
        }
        "outbound.decode" => match OutboundGroupSession::from_bytes(&input()) {
            Ok(s) => {
                assert_eq!(*s.to_bytes(), input(), "one state, one encoding");
                json!({"result": "ok"})
            }
            Err(e) => error(errors::state(&e)),
        },
        "inbound.decode" => match InboundGroupSession::from_bytes(&input()) {
            Ok(s) => {
                assert_eq!(*s.to_bytes(), input(), "one state, one encoding");
                json!({"result": "ok"})
            }
            Err(e) => error(errors::state(&e)),
        },
        "ring.decode" => match SenderKeyRing::from_bytes(&input()) {
            Ok(s) => {
                assert_eq!(*s.to_bytes(), input(), "one state, one encoding");
                json!({"result": "ok"})
            }
            Err(e) => error(errors::state(&e)),
        },
        "outbound.open" => match OutboundGroupSession::open(
            &storage_key(),
            &input(),
            &crate::vectors::expected_of(case),
        ) {
            Ok(s) => state_ok(&s.to_bytes()),
            Err(e) => error(errors::state(&e)),
        },
        "inbound.open" => match InboundGroupSession::open(
            &storage_key(),
            &input(),
            &crate::vectors::expected_of(case),
        ) {
            Ok(s) => state_ok(&s.to_bytes()),
            Err(e) => error(errors::state(&e)),
        },
        "ring.open" => {
            match SenderKeyRing::open(&storage_key(), &input(), &crate::vectors::expected_of(case))
            {
                Ok(s) => state_ok(&s.to_bytes()),
                Err(e) => error(errors::state(&e)),
            }
        }
        "ring.add" | "ring.import" => {
            let mut ring = SenderKeyRing::from_bytes(&h(&case["ring"])).expect("ring");
            let before = ring.to_bytes().to_vec();
            let result = if op == "ring.add" {
                let d = SenderKeyDistribution::from_bytes(&input()).expect("distribution decodes");
                ring.add(&d, &from())
            } else {
                InboundGroupSession::import(&input()).and_then(|s| ring.insert(s))
            };
            match result {
                Ok(()) => state_ok(&ring.to_bytes()),
                Err(e) => {
                    assert_eq!(*ring.to_bytes(), before, "a refused insert changes nothing");
                    error(errors::group(&e))
                }
            }
        }
        "inbound.merge" => {
            let a = InboundGroupSession::from_bytes(&h(&case["state"])).expect("state");
            let b = InboundGroupSession::from_bytes(&input()).expect("other copy");
            let ab = a.merge(&b);
            let ba = b.merge(&a);
            match ab {
                Ok(m) => {
                    assert_eq!(*m.to_bytes(), *ba.expect("symmetric").to_bytes());
                    state_ok(&m.to_bytes())
                }
                Err(e) => {
                    assert_eq!(Err(e.clone()), ba.map(|_| ()), "symmetric");
                    error(errors::group(&e))
                }
            }
        }
        "inbound.export_at" => {
            let s = InboundGroupSession::from_bytes(&h(&case["state"])).expect("state");
            match s.export_at(num(&case["iteration"]) as u32) {
                Ok(x) => json!({"result": "ok", "export_sha256": sha256_hex(&x)}),
                Err(e) => error(errors::group(&e)),
            }
        }
        "outbound.encrypt" => {
            let mut s = OutboundGroupSession::from_bytes(&h(&case["state"])).expect("state");
            let before = s.to_bytes().to_vec();
            let identity = &identities[case["identity"].as_str().expect("identity")];
            let mut rng = replay();
            let r = s.encrypt(&mut rng, identity, &h(&case["plaintext"]));
            rng.finish();
            match r {
                Ok(m) => json!({
                    "result": "ok",
                    "message": hx(&m),
                    "state_after_sha256": sha256_hex(&s.to_bytes()),
                }),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), before, "a refused encrypt changes nothing");
                    error(errors::encrypt(&e))
                }
            }
        }
        "outbound.rotate" => {
            let mut s = OutboundGroupSession::from_bytes(&h(&case["state"])).expect("state");
            let before = s.to_bytes().to_vec();
            let mut rng = replay();
            let r = s.rotate(&mut rng, num(&case["now"]));
            rng.finish();
            match r {
                Ok(()) => state_ok(&s.to_bytes()),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), before, "a refused rotate changes nothing");
                    error(errors::encrypt(&e))
                }
            }
        }
        "outbound.new" => {
            let mut rng = replay();
            let policy = RotationPolicy {
                max_messages: num(&case["policy"]["max_messages"]) as u32,
                max_age_secs: num(&case["policy"]["max_age_secs"]),
            };
            let r = OutboundGroupSession::new(&mut rng, &input(), policy, num(&case["now"]));
            rng.finish();
            match r {
                Ok(s) => state_ok(&s.to_bytes()),
                Err(e) => error(errors::decode(&e)),
            }
        }
        other => panic!("unknown operation {other}"),
    }
}

// ----------------------------------------------- layouts (§12.2, §7.4)

/// The fields of an announcement (§12.2), to encode by hand.
#[derive(Clone)]
struct Ann {
    sender: [u8; 128],
    group_id: Vec<u8>,
    chain_id: u32,
    rotation: u32,
    signing: [u8; 32],
    possession: [u8; 64],
    signature: [u8; 64],
}

impl Ann {
    fn parse(body: &[u8]) -> Self {
        let g = usize::from(body[128]);
        let at = 129 + g;
        Self {
            sender: body[..128].try_into().expect("128"),
            group_id: body[129..at].to_vec(),
            chain_id: u32::from_be_bytes(body[at..at + 4].try_into().expect("4")),
            rotation: u32::from_be_bytes(body[at + 4..at + 8].try_into().expect("4")),
            signing: body[at + 8..at + 40].try_into().expect("32"),
            possession: body[at + 40..at + 104].try_into().expect("64"),
            signature: body[at + 104..at + 168].try_into().expect("64"),
        }
    }

    fn sender_ed(&self) -> [u8; 32] {
        self.sender[..32].try_into().expect("32")
    }

    fn fields(&self) -> Vec<u8> {
        announced_fields(
            &self.sender_ed(),
            &self.group_id,
            self.chain_id,
            self.rotation,
            &self.signing,
        )
    }

    fn context(&self) -> Vec<u8> {
        message_context(&self.sender_ed(), &self.group_id)
    }

    fn body(&self) -> Vec<u8> {
        [
            &self.sender[..],
            &group_id_field(&self.group_id),
            &self.chain_id.to_be_bytes(),
            &self.rotation.to_be_bytes(),
            &self.signing,
            &self.possession,
            &self.signature,
        ]
        .concat()
    }

    fn bytes(&self) -> Vec<u8> {
        [&[0x02, 0x23][..], &self.body()].concat()
    }

    /// Signs both signatures honestly: possession with `chain_seed`, the
    /// announcement with `identity_seed`.
    fn signed(mut self, chain_seed: &[u8; 32], identity_seed: &[u8; 32]) -> Self {
        let f = self.fields();
        self.possession = sign(chain_seed, &[POSSESSION_LABEL, &f].concat());
        self.signature = sign(identity_seed, &[SENDER_KEY_LABEL, &f].concat());
        self
    }
}

fn distribution(ann: &Ann, ty: u8, iteration: u32, ck: &[u8; 32]) -> Vec<u8> {
    [&[0x02, ty][..], &ann.body(), &iteration.to_be_bytes(), ck].concat()
}

/// An outbound state's fields (§7.4).
#[derive(Clone)]
struct Out {
    group_id: Vec<u8>,
    chain_id: u32,
    rotation: u32,
    ck: [u8; 32],
    iteration: u32,
    seed: [u8; 32],
    max_messages: u32,
    max_age: u64,
    created: u64,
    removed: u8,
}

impl Out {
    fn parse(b: &[u8]) -> Self {
        assert_eq!(&b[..2], &[0x02, 0x42]);
        let g = usize::from(b[2]);
        let r = &b[3 + g..];
        let out = Self {
            group_id: b[3..3 + g].to_vec(),
            chain_id: u32::from_be_bytes(r[0..4].try_into().expect("4")),
            rotation: u32::from_be_bytes(r[4..8].try_into().expect("4")),
            ck: r[8..40].try_into().expect("32"),
            iteration: u32::from_be_bytes(r[40..44].try_into().expect("4")),
            seed: r[44..76].try_into().expect("32"),
            max_messages: u32::from_be_bytes(r[76..80].try_into().expect("4")),
            max_age: u64::from_be_bytes(r[80..88].try_into().expect("8")),
            created: u64::from_be_bytes(r[88..96].try_into().expect("8")),
            removed: r[96],
        };
        assert_eq!(out.bytes(), b, "§7.4 outbound layout");
        out
    }

    fn bytes(&self) -> Vec<u8> {
        [
            &[0x02, 0x42][..],
            &group_id_field(&self.group_id),
            &self.chain_id.to_be_bytes(),
            &self.rotation.to_be_bytes(),
            &self.ck,
            &self.iteration.to_be_bytes(),
            &self.seed,
            &self.max_messages.to_be_bytes(),
            &self.max_age.to_be_bytes(),
            &self.created.to_be_bytes(),
            &[self.removed],
        ]
        .concat()
    }

    fn session(&self) -> OutboundGroupSession {
        OutboundGroupSession::from_bytes(&self.bytes()).expect("outbound state")
    }
}

/// An inbound body's fields (§7.4).
#[derive(Clone)]
struct In {
    ann: Ann,
    first: u32,
    ck: [u8; 32],
    position: u32,
    skipped: Vec<(u32, [u8; 32])>,
}

impl In {
    fn parse(state: &[u8]) -> Self {
        assert_eq!(&state[..2], &[0x02, 0x43]);
        let b = &state[2..];
        let ann = Ann::parse(b);
        let at = 297 + ann.group_id.len();
        let n = u32::from_be_bytes(b[at + 40..at + 44].try_into().expect("4")) as usize;
        let s = Self {
            first: u32::from_be_bytes(b[at..at + 4].try_into().expect("4")),
            ck: b[at + 4..at + 36].try_into().expect("32"),
            position: u32::from_be_bytes(b[at + 36..at + 40].try_into().expect("4")),
            skipped: (0..n)
                .map(|k| {
                    let e = &b[at + 44 + 36 * k..at + 80 + 36 * k];
                    (
                        u32::from_be_bytes(e[..4].try_into().expect("4")),
                        e[4..].try_into().expect("32"),
                    )
                })
                .collect(),
            ann,
        };
        assert_eq!(s.state(), state, "§7.4 inbound layout");
        s
    }

    fn body(&self) -> Vec<u8> {
        let mut b = [
            &self.ann.body()[..],
            &self.first.to_be_bytes(),
            &self.ck,
            &self.position.to_be_bytes(),
            &(self.skipped.len() as u32).to_be_bytes(),
        ]
        .concat();
        for (i, k) in &self.skipped {
            b.extend_from_slice(&i.to_be_bytes());
            b.extend_from_slice(k);
        }
        b
    }

    fn state(&self) -> Vec<u8> {
        [&[0x02, 0x43][..], &self.body()].concat()
    }
}

fn ring_state(bodies: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![0x02, 0x44];
    b.extend_from_slice(&(bodies.len() as u32).to_be_bytes());
    for body in bodies {
        b.extend_from_slice(body);
    }
    b
}

// ------------------------------------------------ signatures (§2.4)

pub(super) fn sign(seed: &[u8; 32], msg: &[u8]) -> [u8; 64] {
    qorgan::primitives::ed25519::Ed25519SigningKey::from_seed(seed)
        .sign(msg)
        .to_bytes()
}

/// The RFC 8032 secret scalar and nonce prefix of a seed.
pub(super) fn expand(seed: &[u8; 32]) -> (Scalar, [u8; 32]) {
    let d: [u8; 64] = Sha512::digest(seed).into();
    let mut a: [u8; 32] = d[..32].try_into().expect("32");
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    (
        Scalar::from_bytes_mod_order(a),
        d[32..].try_into().expect("32"),
    )
}

/// How a hand-made signature departs from RFC 8032.
#[derive(Clone, Copy)]
pub(super) enum Craft {
    /// `R = rB + T` (T of order 8): accepted by the cofactored equation.
    TorsionInR,
    /// `R = T`, `S = k·a`: satisfies the cofactored equation, refused by the
    /// small-order R rule.
    SmallOrderR,
    /// Honest `R = rB`, `S = r + k·a`, but `k` hashes `public` (a key with a
    /// torsion component added): how the holder of `a` signs for `aB + T`.
    ForKey,
}

pub(super) fn craft(seed: &[u8; 32], public: &[u8; 32], how: Craft, msg: &[u8]) -> [u8; 64] {
    let (a, prefix) = expand(seed);
    let r = Scalar::from_bytes_mod_order_wide(&Sha512::digest([&prefix[..], msg].concat()).into());
    let t = EIGHT_TORSION[1];
    let (big_r, r) = match how {
        Craft::TorsionInR => (EdwardsPoint::mul_base(&r) + t, r),
        Craft::SmallOrderR => (t, Scalar::ZERO),
        Craft::ForKey => (EdwardsPoint::mul_base(&r), r),
    };
    let big_r = big_r.compress().to_bytes();
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::digest([&big_r[..], public, msg].concat()).into(),
    );
    let s = r + k * a;
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&big_r);
    out[32..].copy_from_slice(s.as_bytes());
    out
}

fn verifies(public: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    qorgan::Ed25519PublicKey::from_bytes(public)
        .is_ok_and(|k| k.verify(msg, &qorgan::Signature::from_bytes(sig)))
}

/// A canonical encoding of a point of order 8.
pub(super) fn small_order_point() -> [u8; 32] {
    EIGHT_TORSION[1].compress().to_bytes()
}

/// A 32-byte string that is not the encoding of any curve point, and a
/// non-canonical encoding (y + p) of a point of large order.
pub(super) fn bad_points() -> ([u8; 32], [u8; 32]) {
    let enc = |y: u8| {
        let mut b = [0u8; 32];
        b[0] = y;
        b
    };
    let not_on_curve = (2..=255u8)
        .map(enc)
        .find(|b| CompressedEdwardsY(*b).decompress().is_none())
        .expect("some y is not on the curve");
    // y + p for y < 19: p = 2^255 - 19.
    let non_canonical = (0..19u8)
        .filter_map(|y| {
            let p = CompressedEdwardsY(enc(y)).decompress()?;
            (!p.is_small_order()).then_some(y)
        })
        .map(|y| {
            let mut b = [0xffu8; 32];
            b[0] = 0xed + y;
            b[31] = 0x7f;
            b
        })
        .next()
        .expect("a small y of large order");
    assert!(CompressedEdwardsY(non_canonical).decompress().is_some());
    (not_on_curve, non_canonical)
}

// --------------------------------------------------------- the file

struct Cases {
    table: CaseTable,
    identities: BTreeMap<String, IdentityKeyPair>,
    draws: BTreeMap<String, Vec<u8>>,
}

impl Cases {
    /// Adds a case, run by this file's [`run_case`] with the identities and
    /// draws recorded so far.
    fn add(&mut self, name: &str, about: &str, kind: &str, case: Value) {
        let (identities, draws) = (&self.identities, &self.draws);
        self.table
            .add(name, about, kind, case, |c| run_case(c, identities, draws));
    }

    fn draws_from(&mut self, rng: &RecordingRng, purposes: &[&str]) -> Value {
        for p in purposes {
            self.draws.insert(p.to_string(), rng.get(p).to_vec());
        }
        json!(purposes)
    }
}

/// Builds group_negative.json.
pub(super) fn group_negative_file() -> Value {
    check_labels();
    let mut rng = RecordingRng::new(GROUP_NEGATIVE_SEED);
    let alice = identity_generate(&mut rng, "alice");
    let bob = identity_generate(&mut rng, "bob");
    let alice_seed = rng.get32("alice.identity.ed25519_seed");
    let bob_seed = rng.get32("bob.identity.ed25519_seed");
    let alice_field = alice.public().to_field_bytes();
    let bob_field = bob.public().to_field_bytes();
    let mut c = Cases {
        table: CaseTable::default(),
        identities: BTreeMap::from([
            ("alice".to_string(), alice.clone()),
            ("bob".to_string(), bob.clone()),
        ]),
        draws: BTreeMap::new(),
    };
    let chain_draws = |rng: &mut RecordingRng, name: &str| {
        rng.label(&[
            (&format!("{name}.chain_id"), 4),
            (&format!("{name}.chain_key"), 32),
            (&format!("{name}.signing_seed"), 32),
        ]);
    };

    // Chain a: Alice's chain in G (rotation 0), and its first messages.
    let mut out_a = OutboundGroupSession::new(&mut rng, G, POLICY, T0).expect("new");
    chain_draws(&mut rng, "a");
    let a_seed = rng.get32("a.signing_seed");
    let a_pub = ed25519_public(&a_seed);
    let a_ck0 = rng.get32("a.chain_key");
    let dist_a = out_a.distribution(&alice).to_bytes().to_vec();
    let ann_a = Ann::parse(&dist_a[2..dist_a.len() - 36]);
    let send = |rng: &mut RecordingRng, out: &mut OutboundGroupSession, id: &str, pt: &[u8]| {
        let m = out.encrypt(rng, &alice, pt).expect("encrypt");
        rng.label(&[(&format!("{id}.nonce"), 12)]);
        m
    };
    let a0 = send(&mut rng, &mut out_a, "a0", b"a0: to the group");
    let a1 = send(&mut rng, &mut out_a, "a1", b"");
    let a2 = send(
        &mut rng,
        &mut out_a,
        "a2",
        b"a2: to the group, after an empty one",
    );
    assert_eq!(a1.len(), 134, "the shortest message");
    let s0 = InboundGroupSession::new(
        &SenderKeyDistribution::from_bytes(&dist_a).expect("d"),
        alice.public(),
    )
    .expect("inbound");
    let s0_state = s0.to_bytes().to_vec();
    let mut s3 = s0.clone();
    s3.decrypt(&a0).expect("a0");
    s3.decrypt(&a2).expect("a2");
    let s3_state = s3.to_bytes().to_vec(); // position 3, a1's key skipped
    let out_a_state = out_a.to_bytes().to_vec(); // iteration 3

    // Chain a2: Alice rotates in G (rotation 1); chain b: Bob's chain in G;
    // chain x: Alice's chain in the group with a 64-byte id.
    let mut out_a2 = OutboundGroupSession::from_bytes(&out_a.to_bytes()).expect("state round trip");
    out_a2.rotate(&mut rng, T0 + 60).expect("rotate");
    chain_draws(&mut rng, "a_next");
    let dist_a2 = out_a2.distribution(&alice).to_bytes().to_vec();
    let out_b = OutboundGroupSession::new(&mut rng, G, POLICY, T0).expect("new");
    chain_draws(&mut rng, "b");
    let b_seed = rng.get32("b.signing_seed");
    let dist_b = out_b.distribution(&bob).to_bytes().to_vec();
    let out_x = OutboundGroupSession::new(&mut rng, G64, POLICY, T0).expect("new");
    chain_draws(&mut rng, "x");
    let dist_x = out_x.distribution(&alice).to_bytes().to_vec();
    let storage_key = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    let key_hex = hx(&*storage_key.to_bytes());

    let (not_on_curve, non_canonical) = bad_points();
    let small = small_order_point();
    let mut identity_sign_x0 = [0u8; 32];
    identity_sign_x0[0] = 1;
    identity_sign_x0[31] = 0x80; // the identity point (x = 0) with the sign bit set

    // ------------------------------------------------ announcements
    let ann = ann_a.bytes();
    let g = G.len();
    let op = "announcement.decode";
    let case = |b: &[u8]| json!({"operation": op, "input": hx(b)});
    let with = |i: usize, v: u8| {
        let mut b = ann.clone();
        b[i] = v;
        b
    };
    c.add(
        "announcement valid",
        "chain a's announcement, as the sender made it",
        "ok",
        case(&ann),
    );
    c.add(
        "announcement version 1",
        "the version byte of group version 1: refused before anything else (§11)",
        "DecodeError::UnsupportedVersion(1)",
        case(&with(0, 0x01)),
    );
    c.add(
        "announcement version 4",
        "an unknown later version (3 is a chain bound to a roster, §15.4)",
        "DecodeError::UnsupportedVersion(4)",
        case(&with(0, 0x04)),
    );
    c.add(
        "announcement type of a distribution",
        "type byte 0x21 where 0x23 is expected",
        "DecodeError::UnexpectedType(0x21)",
        case(&with(1, 0x21)),
    );
    let cuts: [(usize, &str, usize); 11] = [
        (0, "empty input: the version byte", 1),
        (1, "the type byte", 1),
        (2, "the sender's Ed25519 key", 32),
        (
            2 + 40,
            "the sender's X25519 key (the Ed25519 key decoded)",
            24,
        ),
        (130, "the group id length", 1),
        (131 + 10, "the group id", g - 10),
        (131 + g + 2, "the chain id", 2),
        (135 + g + 1, "the rotation", 3),
        (139 + g + 31, "the signing key", 1),
        (171 + g + 63, "the possession signature", 1),
        (235 + g + 63, "the identity signature", 1),
    ];
    for (at, what, needed) in cuts {
        c.add(
            &format!("announcement truncated at {at}"),
            &format!("the input ends inside {what}"),
            &format!("DecodeError::Truncated(needed: {needed})"),
            case(&ann[..at]),
        );
    }
    c.add(
        "announcement trailing byte",
        "one byte after the identity signature",
        "DecodeError::TrailingBytes(1)",
        case(&[&ann[..], &[0]].concat()),
    );
    c.add(
        "announcement group id 65",
        "group id length 65 (MAX_GROUP_ID_LEN + 1): refused at the length byte",
        "DecodeError::TooLong(field: group id, len: 65, limit: 64)",
        case(&with(130, 65)),
    );
    c.add(
        "announcement group id 255",
        "group id length 255",
        "DecodeError::TooLong(field: group id, len: 255, limit: 64)",
        case(&with(130, 255)),
    );
    let ann_x = Ann::parse(&dist_x[2..dist_x.len() - 36]);
    assert_eq!(ann_x.group_id.len(), 64);
    c.add(
        "announcement group id 64",
        "chain x's announcement: a group id of exactly MAX_GROUP_ID_LEN bytes",
        "ok",
        case(&ann_x.bytes()),
    );
    let mut sender_small = ann_a.clone();
    sender_small.sender[..32].copy_from_slice(&small);
    c.add(
        "announcement sender key of small order",
        "the sender identity's Ed25519 key is a point of order 8 (§2.3 step 3)",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        case(&sender_small.bytes()),
    );
    let mut sender_x0 = ann_a.clone();
    sender_x0.sender[..32].copy_from_slice(&identity_sign_x0);
    c.add(
        "announcement sender key x = 0 with sign bit",
        "the sender's Ed25519 key encodes x = 0 with the sign bit set: not canonical \
         (§2.3 step 2, checked before the small order)",
        "DecodeError::InvalidKey(ed25519 point)",
        case(&sender_x0.bytes()),
    );
    let mut sender_off = ann_a.clone();
    sender_off.sender[..32].copy_from_slice(&not_on_curve);
    c.add(
        "announcement sender key not on the curve",
        "the sender's Ed25519 key is no curve point (§2.3 step 1)",
        "DecodeError::InvalidKey(ed25519 point)",
        case(&sender_off.bytes()),
    );
    let mut signing_small = ann_a.clone();
    signing_small.signing = small;
    c.add(
        "announcement signing key of small order",
        "the chain's signing key is a point of order 8: refused when decoded, before any \
         signature",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        case(&signing_small.bytes()),
    );
    let mut signing_nc = ann_a.clone();
    signing_nc.signing = non_canonical;
    c.add(
        "announcement signing key not canonical",
        "the signing key is y + p for a point of large order (§2.3 step 2)",
        "DecodeError::InvalidKey(ed25519 point)",
        case(&signing_nc.bytes()),
    );
    // A signing key with a torsion component, and its holder's signatures.
    let (a_scalar, _) = expand(&a_seed);
    let torsioned: [u8; 32] = (EdwardsPoint::mul_base(&a_scalar) + EIGHT_TORSION[1])
        .compress()
        .to_bytes();
    let mut ann_t = ann_a.clone();
    ann_t.signing = torsioned;
    ann_t.chain_id ^= 0x0101_0101;
    let f = ann_t.fields();
    ann_t.possession = craft(
        &a_seed,
        &torsioned,
        Craft::ForKey,
        &[POSSESSION_LABEL, &f].concat(),
    );
    ann_t.signature = sign(&alice_seed, &[SENDER_KEY_LABEL, &f].concat());
    c.add(
        "announcement torsioned signing key accepted",
        "the signing key is aB + T (T of order 8): canonical and not of small order, so it \
         decodes (§2.3); its holder's possession signature (k hashes aB + T) satisfies the \
         cofactored equation, where the torsion has no effect (§2.4)",
        "ok",
        case(&ann_t.bytes()),
    );
    let mut bad_binding = ann_a.clone();
    bad_binding.sender[100] ^= 0x01;
    c.add(
        "announcement identity binding invalid",
        "one bit of the sender identity's binding signature flipped: the first of the three \
         signatures checked",
        "SignatureError::Invalid(IdentityBinding)",
        case(&bad_binding.bytes()),
    );
    let mut all_bad = bad_binding.clone();
    all_bad.possession[5] ^= 1;
    all_bad.signature[5] ^= 1;
    c.add(
        "announcement all three signatures invalid",
        "binding, possession and identity signature all invalid: the binding is reported",
        "SignatureError::Invalid(IdentityBinding)",
        case(&all_bad.bytes()),
    );
    let mut other_key = ann_a.clone();
    other_key.possession = sign(&b_seed, &[POSSESSION_LABEL, &ann_a.fields()].concat());
    c.add(
        "announcement possession by another key",
        "the possession signature is a valid signature over the same fields, but by Bob's \
         chain key b, not by the announced signing key",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&other_key.bytes()),
    );
    let mut s_plus_l = ann_a.clone();
    let s = add_l(&s_plus_l.possession[32..]);
    s_plus_l.possession[32..].copy_from_slice(&s);
    c.add(
        "announcement possession S + L",
        "the possession signature's S replaced by S + L (same value mod L): S ≥ L is refused",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&s_plus_l.bytes()),
    );
    let mut small_r = ann_a.clone();
    let f = ann_a.fields();
    small_r.possession = craft(
        &a_seed,
        &a_pub,
        Craft::SmallOrderR,
        &[POSSESSION_LABEL, &f].concat(),
    );
    assert!(
        (EdwardsPoint::mul_base(
            &Scalar::from_canonical_bytes(small_r.possession[32..].try_into().expect("32"))
                .expect("S")
        ) - CompressedEdwardsY(small).decompress().expect("T")
            - CompressedEdwardsY(a_pub).decompress().expect("A")
                * Scalar::from_bytes_mod_order_wide(
                    &Sha512::digest([&small[..], &a_pub, POSSESSION_LABEL, &f].concat()).into()
                ))
        .mul_by_cofactor()
        .is_identity(),
        "the small-order R satisfies the cofactored equation"
    );
    c.add(
        "announcement possession with small-order R",
        "the possession signature has R of order 8 and S = k·a, made by the key's holder: it \
         satisfies the cofactored equation but R of small order is refused (§2.4)",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&small_r.bytes()),
    );
    let mut bad_sig = ann_a.clone();
    bad_sig.signature[63] ^= 0x01;
    c.add(
        "announcement identity signature invalid",
        "one bit of the identity's signature flipped; binding and possession valid",
        "SignatureError::Invalid(SenderKeyDistribution)",
        case(&bad_sig.bytes()),
    );
    let mut transfer = ann_a.clone();
    transfer.sender = bob_field;
    transfer.signature = sign(&bob_seed, &[SENDER_KEY_LABEL, &transfer.fields()].concat());
    c.add(
        "announcement authorship transfer",
        "Bob announces Alice's chain a (chain id, rotation, signing key, Alice's possession \
         signature) as his own, with a valid identity signature of his: the possession \
         covers the sender's key, so it fails for Bob",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&transfer.bytes()),
    );
    let mut rotated = ann_a.clone();
    rotated.rotation = 7;
    c.add(
        "announcement rotation changed",
        "the rotation number changed after signing: possession (checked before the identity \
         signature) fails",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&rotated.bytes()),
    );
    let mut swapped = ann_a.clone();
    std::mem::swap(&mut swapped.possession, &mut swapped.signature);
    c.add(
        "announcement signatures swapped",
        "possession and identity signature in each other's place",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&swapped.bytes()),
    );

    // ------------------------------------------------ distributions
    let op = "distribution.decode";
    let case = |b: &[u8]| json!({"operation": op, "input": hx(b)});
    c.add(
        "distribution valid",
        "chain a's distribution at iteration 0",
        "ok",
        case(&dist_a),
    );
    // A distribution in the version-1 layout (no rotation, no possession,
    // the v1 label), as a v1 sender made it.
    let v1_fields = [
        &alice_field[..32],
        &group_id_field(G),
        &ann_a.chain_id.to_be_bytes(),
        &a_pub,
    ]
    .concat();
    let v1_sig = sign(
        &alice_seed,
        &[b"qorgan/v1/sender-key", &v1_fields[..]].concat(),
    );
    let v1_body = [
        &alice_field[..],
        &group_id_field(G),
        &ann_a.chain_id.to_be_bytes(),
        &a_pub,
        &v1_sig,
    ]
    .concat();
    let v1_dist = [&[0x01, 0x21][..], &v1_body, &0u32.to_be_bytes(), &a_ck0].concat();
    c.add(
        "distribution version 1",
        "chain a in the version-1 distribution layout (no rotation, no possession): refused \
         at its version byte (§11)",
        "DecodeError::UnsupportedVersion(1)",
        case(&v1_dist),
    );
    let mut as_export = dist_a.clone();
    as_export[1] = 0x22;
    c.add(
        "distribution type of an export",
        "an export (type 0x22) is not a distribution",
        "DecodeError::UnexpectedType(0x22)",
        case(&as_export),
    );
    c.add(
        "distribution given an announcement",
        "the announcement alone (type 0x23)",
        "DecodeError::UnexpectedType(0x23)",
        case(&ann),
    );
    let n = dist_a.len();
    c.add(
        "distribution truncated in the iteration",
        "the input ends two bytes into the iteration",
        "DecodeError::Truncated(needed: 2)",
        case(&dist_a[..n - 34]),
    );
    c.add(
        "distribution truncated in the chain key",
        "the last byte of the chain key missing",
        "DecodeError::Truncated(needed: 1)",
        case(&dist_a[..n - 1]),
    );
    c.add(
        "distribution trailing bytes",
        "three bytes after the chain key",
        "DecodeError::TrailingBytes(3)",
        case(&[&dist_a[..], &[1, 2, 3]].concat()),
    );
    let mut trailing_and_bad = [&dist_a[..], &[0]].concat();
    trailing_and_bad[200] ^= 0x01;
    c.add(
        "distribution trailing byte and bad signature",
        "a trailing byte and a flipped bit in the possession signature: decoding ends \
         (trailing bytes) before any signature is checked",
        "DecodeError::TrailingBytes(1)",
        case(&trailing_and_bad),
    );
    let mut g65 = dist_a.clone();
    g65[130] = 65;
    c.add(
        "distribution group id 65",
        "group id length 65",
        "DecodeError::TooLong(field: group id, len: 65, limit: 64)",
        case(&g65),
    );
    c.add(
        "distribution group id 64",
        "chain x's distribution, group id of 64 bytes",
        "ok",
        case(&dist_x),
    );
    c.add(
        "distribution possession by another key",
        "the announcement of the case 'announcement possession by another key' with the \
         iteration and chain key",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&distribution(&other_key, 0x21, 0, &a_ck0)),
    );
    let op = "inbound.new";
    c.add(
        "distribution from the wrong session",
        "Alice's valid distribution of chain a, arriving over the 1:1 session with Bob",
        "GroupError::UntrustedSender",
        json!({"operation": op, "input": hx(&dist_a), "from": "bob"}),
    );
    c.add(
        "distribution from its sender",
        "the same distribution, arriving over the 1:1 session with Alice",
        "ok",
        json!({"operation": op, "input": hx(&dist_a), "from": "alice"}),
    );
    // Bob announces a chain whose possession Alice's chain key signed for
    // him (the two collude): valid, and it names Bob.
    let mut colluding = ann_a.clone();
    colluding.sender = bob_field;
    let colluding = colluding.signed(&a_seed, &bob_seed);
    let colluding_dist = distribution(&colluding, 0x21, 0, &a_ck0);
    c.add(
        "distribution of a shared signing key",
        "Bob announces chain a's signing key and chain id with a possession signature the key's \
         holder made for Bob's fields: valid (possession proves holding the key, not \
         exclusivity); the messages Alice signed still name Alice (see 'message under \
         another sender')",
        "ok",
        json!({"operation": op, "input": hx(&colluding_dist), "from": "bob"}),
    );

    // ------------------------------------------------ exports
    let export0 = s0.export_at(0).expect("export").to_vec();
    let op = "export.import";
    let case = |b: &[u8]| json!({"operation": op, "input": hx(b)});
    c.add(
        "export valid",
        "chain a exported at iteration 0: the full announcement, iteration, chain key",
        "ok",
        case(&export0),
    );
    let v1_export = [
        &[0x01, 0x22][..],
        &alice_field,
        &group_id_field(G),
        &ann_a.chain_id.to_be_bytes(),
        &a_pub,
        &0u32.to_be_bytes(),
        &a_ck0,
    ]
    .concat();
    c.add(
        "export version 1",
        "chain a in the version-1 export layout (no rotation, no signatures)",
        "DecodeError::UnsupportedVersion(1)",
        case(&v1_export),
    );
    c.add(
        "export given a distribution",
        "a distribution (type 0x21) is not an export",
        "DecodeError::UnexpectedType(0x21)",
        case(&dist_a),
    );
    c.add(
        "export possession by another key",
        "an export whose announcement's possession is by Bob's chain key: an export names no \
         signing key its announcer did not prove to hold",
        "SignatureError::Invalid(SenderKeyPossession)",
        case(&distribution(&other_key, 0x22, 0, &a_ck0)),
    );
    c.add(
        "export truncated",
        "the last byte missing",
        "DecodeError::Truncated(needed: 1)",
        case(&export0[..export0.len() - 1]),
    );
    let wrong_ck = hmac_sha256(b"not the chain key", &a_ck0);
    let wrong_export = distribution(&ann_a, 0x22, 0, &wrong_ck);
    c.add(
        "export with a wrong chain key",
        "chain a's valid announcement with a chain key that is not chain a's: nothing signs \
         the chain key, so the import is accepted (the messages refuse it, see 'message \
         under a wrong chain key')",
        "ok",
        case(&wrong_export),
    );
    let wrong_state = InboundGroupSession::import(&wrong_export)
        .expect("import")
        .to_bytes()
        .to_vec();

    // ------------------------------------------------ group messages
    let op = "message.decrypt";
    let s0_hex = hx(&s0_state);
    let case = |state: &str, b: &[u8]| json!({"operation": op, "state": state, "input": hx(b)});
    let ctx_a = ann_a.context();
    let resign = |m: &[u8], ctx: &[u8], seed: &[u8; 32]| -> Vec<u8> {
        let body = &m[..m.len() - 64];
        [
            body,
            &sign(seed, &[GROUP_MESSAGE_LABEL, ctx, body].concat()),
        ]
        .concat()
    };
    c.add(
        "message valid",
        "a0 to a session at iteration 0",
        "ok",
        case(&s0_hex, &a0),
    );
    c.add(
        "message empty plaintext",
        "a1: 134 bytes, the shortest message (GROUP_MESSAGE_OVERHEAD)",
        "ok",
        case(&s0_hex, &a1),
    );
    c.add(
        "message ahead",
        "a2 to a session at iteration 0",
        "ok",
        case(&s0_hex, &a2),
    );
    // The version-1 layout: 10-byte header, fixed nonce, v1 label.
    let (v1_mk, _) = qorgan::internals::kdf_ck(&a_ck0);
    let v1_header = [
        &[0x01, 0x20][..],
        &ann_a.chain_id.to_be_bytes(),
        &0u32.to_be_bytes(),
    ]
    .concat();
    let mut v1_ct = Vec::new();
    aead::seal(&v1_mk, &[0u8; 12], &v1_header, b"a v1 message", &mut v1_ct);
    let v1_body = [&v1_header[..], &v1_ct].concat();
    let v1_msg = [
        &v1_body[..],
        &sign(
            &a_seed,
            &[b"qorgan/v1/group-message", &v1_body[..]].concat(),
        ),
    ]
    .concat();
    c.add(
        "message version 1",
        "a message in the version-1 layout (10-byte header, no nonce or commitment)",
        "DecodeError::UnsupportedVersion(1)",
        case(&s0_hex, &v1_msg),
    );
    let mut v3 = a0.clone();
    v3[0] = 3;
    c.add(
        "message version 3",
        "version byte 3",
        "DecodeError::UnsupportedVersion(3)",
        case(&s0_hex, &v3),
    );
    let mut t21 = a0.clone();
    t21[1] = 0x21;
    c.add(
        "message type of a distribution",
        "type byte 0x21",
        "DecodeError::UnexpectedType(0x21)",
        case(&s0_hex, &t21),
    );
    let msg_cuts: [(usize, &str, usize); 8] = [
        (0, "empty input", 1),
        (1, "the type byte", 1),
        (4, "the chain id", 2),
        (8, "the iteration", 2),
        (15, "the nonce", 7),
        (40, "the key commitment", 14),
        (
            54,
            "nothing after the header: 80 bytes (tag and signature) needed",
            80,
        ),
        (133, "79 bytes after the header", 1),
    ];
    for (at, what, needed) in msg_cuts {
        c.add(
            &format!("message truncated at {at}"),
            &format!("a1 cut to {at} bytes: {what}"),
            &format!("DecodeError::Truncated(needed: {needed})"),
            case(&s0_hex, &a1[..at]),
        );
    }
    let with_iteration = |i: u32| {
        let mut m = a0.clone();
        m[6..10].copy_from_slice(&i.to_be_bytes());
        resign(&m, &ctx_a, &a_seed)
    };
    c.add(
        "message iteration 2^32-1",
        "a0 with iteration 4294967295, re-signed by the chain's key: refused by the parser \
         (MAX_GROUP_ITERATION = 2^32 - 2)",
        "DecodeError::InvalidField(group iteration)",
        case(&s0_hex, &with_iteration(u32::MAX)),
    );
    c.add(
        "message iteration 2^32-2",
        "the same at iteration 4294967294: parsed, and too far ahead of position 0",
        "DecryptError::TooFarAhead(gap: 4294967294, limit: 2000)",
        case(&s0_hex, &with_iteration(u32::MAX - 1)),
    );
    let mut other_chain = a0.clone();
    other_chain[2] ^= 0x80;
    c.add(
        "message of another chain",
        "a0 with another chain id",
        &format!(
            "DecryptError::WrongChain(expected: {}, got: {})",
            ann_a.chain_id,
            ann_a.chain_id ^ 0x8000_0000
        ),
        case(&s0_hex, &other_chain),
    );
    let mut flipped = a0.clone();
    flipped[54] ^= 0x01;
    c.add(
        "message ciphertext modified",
        "a0 with its first ciphertext bit flipped",
        "SignatureError::Invalid(GroupMessage)",
        case(&s0_hex, &flipped),
    );
    let mut sl = a0.clone();
    let n = sl.len();
    let s = add_l(&sl[n - 32..]);
    sl[n - 32..].copy_from_slice(&s);
    c.add(
        "message signature S + L",
        "a0 with S replaced by S + L",
        "SignatureError::Invalid(GroupMessage)",
        case(&s0_hex, &sl),
    );
    let body = &a0[..a0.len() - 64];
    let signed = [GROUP_MESSAGE_LABEL, &ctx_a, body].concat();
    let small_r_msg = [body, &craft(&a_seed, &a_pub, Craft::SmallOrderR, &signed)].concat();
    c.add(
        "message signature with small-order R",
        "a0 signed by the chain's key holder with R of order 8 and S = k·a: the cofactored \
         equation holds, the small-order R rule refuses it",
        "SignatureError::Invalid(GroupMessage)",
        case(&s0_hex, &small_r_msg),
    );
    let torsion_r_msg = [body, &craft(&a_seed, &a_pub, Craft::TorsionInR, &signed)].concat();
    c.add(
        "message signature with torsion in R accepted",
        "a0 signed with R = rB + T (T of order 8), S = r + k·a: canonical R of large order, \
         accepted by the cofactored equation (single and batch verification agree)",
        "ok",
        case(&s0_hex, &torsion_r_msg),
    );
    // Another group: Alice announces chain a's signing key and chain id in
    // G2 too (valid signatures by both keys); a0 was signed for G.
    let mut out_g2 = Out::parse(&out_a.to_bytes());
    out_g2.group_id = G2.to_vec();
    out_g2.iteration = 0;
    out_g2.ck = a_ck0;
    let dist_g2 = out_g2.session().distribution(&alice);
    let s_g2 = InboundGroupSession::new(&dist_g2, alice.public()).expect("valid");
    assert!(verifies(
        &a_pub,
        &signed,
        &a0[a0.len() - 64..].try_into().expect("64")
    ));
    c.add(
        "message for another group",
        "a0 (signed for group G) delivered to a session of the same chain id, signing key and \
         chain key announced (validly) for group G2: the signature covers the group id",
        "SignatureError::Invalid(GroupMessage)",
        case(&hx(&s_g2.to_bytes()), &a0),
    );
    let s_bob = InboundGroupSession::new(
        &SenderKeyDistribution::from_bytes(&colluding_dist).expect("valid"),
        bob.public(),
    )
    .expect("valid");
    c.add(
        "message under another sender",
        "a0 (signed with Alice as sender) delivered to the session of 'distribution of a \
         shared signing key', which names Bob: the signature covers the sender's key, so a \
         message cannot be presented as another member's",
        "SignatureError::Invalid(GroupMessage)",
        case(&hx(&s_bob.to_bytes()), &a0),
    );
    c.add(
        "message under a wrong chain key",
        "a0 delivered to the session imported from 'export with a wrong chain key': the \
         signature holds, the key commitment does not match the session's MK_0",
        "DecryptError::KeyCommitmentMismatch(iteration: 0)",
        case(&hx(&wrong_state), &a0),
    );
    let mut bad_commit = a0.clone();
    bad_commit[30] ^= 0x01;
    c.add(
        "message commitment modified and re-signed",
        "the sender (who holds the signing key) changes a0's key commitment and signs again: \
         refused before the AEAD",
        "DecryptError::KeyCommitmentMismatch(iteration: 0)",
        case(&s0_hex, &resign(&bad_commit, &ctx_a, &a_seed)),
    );
    let mut bad_tag = a0.clone();
    let n = bad_tag.len();
    bad_tag[n - 65] ^= 0x01;
    c.add(
        "message tag modified and re-signed",
        "a0's last tag byte changed and the message signed again: signature and commitment \
         hold, ChaCha20-Poly1305 does not",
        "DecryptError::AuthenticationFailed",
        case(&s0_hex, &resign(&bad_tag, &ctx_a, &a_seed)),
    );
    let mut bad_nonce = a0.clone();
    bad_nonce[10] ^= 0x01;
    c.add(
        "message nonce modified and re-signed",
        "a0's nonce changed and the message signed again",
        "DecryptError::AuthenticationFailed",
        case(&s0_hex, &resign(&bad_nonce, &ctx_a, &a_seed)),
    );
    let s1 = InboundGroupSession::import(&s0.export_at(1).expect("export")).expect("import");
    c.add(
        "message before the first iteration",
        "a0 to a session imported at iteration 1",
        "DecryptError::BeforeFirstIteration(iteration: 0, first: 1)",
        case(&hx(&s1.to_bytes()), &a0),
    );
    let s3_hex = hx(&s3_state);
    c.add(
        "message duplicate",
        "a0 to the session that decrypted a0 and a2",
        "DecryptError::Duplicate(index: 0)",
        case(&s3_hex, &a0),
    );
    c.add(
        "message from a skipped key",
        "a1 to the same session, which holds a1's key",
        "ok",
        case(&s3_hex, &a1),
    );
    // Gaps at the edge: messages 2000 and 2001 of chain a, encrypted by
    // chain a's outbound state moved to those iterations.
    let mut ck = a_ck0;
    let mut keys = vec![ck];
    for _ in 0..2003 {
        ck = group_kdf_ck(&ck).1;
        keys.push(ck);
    }
    let at = |i: u32| {
        let mut o = Out::parse(&out_a_state);
        o.iteration = i;
        o.ck = keys[i as usize];
        o.max_messages = u32::MAX;
        o
    };
    let m2000 = send(
        &mut rng,
        &mut at(2000).session(),
        "a2000",
        b"a2000: 2000 keys skipped",
    );
    let m2001 = send(
        &mut rng,
        &mut at(2001).session(),
        "a2001",
        b"a2001: one too many",
    );
    let m2003 = send(
        &mut rng,
        &mut at(2003).session(),
        "a2003",
        b"a2003: 2000 ahead of 3",
    );
    c.add(
        "message gap 2000",
        "message 2000 to a session at 0: gap MAX_GROUP_JUMP, accepted; 2000 skipped keys \
         stored (MAX_GROUP_SKIPPED_KEYS)",
        "ok",
        case(&s0_hex, &m2000),
    );
    c.add(
        "message gap 2001",
        "message 2001 to a session at 0",
        "DecryptError::TooFarAhead(gap: 2001, limit: 2000)",
        case(&s0_hex, &m2001),
    );
    // The last iteration: chain a's state moved to 2^32 - 2 with an
    // unlimited policy.
    let mut last = at(0);
    last.iteration = u32::MAX - 1;
    last.max_messages = u32::MAX;
    let mut last_session = last.session();
    let last_dist = last_session.distribution(&alice);
    assert_eq!(last_dist.iteration(), u32::MAX - 1);
    let s_last = InboundGroupSession::new(&last_dist, alice.public()).expect("inbound");
    let m_last = send(
        &mut rng,
        &mut last_session,
        "a4294967294",
        b"the last iteration",
    );
    c.add(
        "message at the last iteration",
        "message 4294967294 (MAX_GROUP_ITERATION) to a session at that position: accepted; the \
         session's position becomes 2^32 - 1 and never wraps",
        "ok",
        case(&hx(&s_last.to_bytes()), &m_last),
    );
    let mut s_end = s_last.clone();
    s_end.decrypt(&m_last).expect("last");
    assert_eq!(s_end.position(), u32::MAX);
    c.add(
        "message at the last iteration twice",
        "the same message to the session at position 2^32 - 1",
        "DecryptError::Duplicate(index: 4294967294)",
        case(&hx(&s_end.to_bytes()), &m_last),
    );

    // A chain whose signing key has a torsion component (the announcement
    // of 'announcement torsioned signing key accepted'), and a message its
    // holder signed for that key.
    let dist_t = distribution(&ann_t, 0x21, 0, &a_ck0);
    let s_t = InboundGroupSession::new(
        &SenderKeyDistribution::from_bytes(&dist_t).expect("torsioned key verifies"),
        alice.public(),
    )
    .expect("inbound");
    let (mk0, _) = group_kdf_ck(&a_ck0);
    let nonce = [0x5a; 12];
    let header = [
        &[0x02, 0x20][..],
        &ann_t.chain_id.to_be_bytes(),
        &0u32.to_be_bytes(),
        &nonce,
        &commitment(&mk0),
    ]
    .concat();
    let mut t_body = header.clone();
    aead::seal(
        &mk0,
        &nonce,
        &header,
        b"signed for a torsioned key",
        &mut t_body,
    );
    let t_sig = craft(
        &a_seed,
        &torsioned,
        Craft::ForKey,
        &[GROUP_MESSAGE_LABEL, &ann_t.context(), &t_body].concat(),
    );
    c.add(
        "message under a torsioned signing key accepted",
        "a hand-made message (nonce 5a…5a, iteration 0) of the torsioned chain, signed by the \
         holder of a for the key aB + T",
        "ok",
        case(&hx(&s_t.to_bytes()), &[&t_body[..], &t_sig].concat()),
    );

    // Batches (§12.6).
    let op = "message.decrypt_batch";
    c.add(
        "batch over MAX_BATCH",
        "10001 one-byte messages (0x02): each of the first 10000 is parsed (and truncated), the \
         10001st is beyond MAX_BATCH",
        "ok",
        json!({"operation": op, "state": s0_hex, "messages": [{"hex": "02", "repeat": 10001}]}),
    );
    c.add(
        "batch of MAX_BATCH",
        "10000 one-byte messages: none beyond the limit",
        "ok",
        json!({"operation": op, "state": s0_hex, "messages": [{"hex": "02", "repeat": 10000}]}),
    );
    c.add(
        "batch across the jump limit",
        "messages 2000 and 2001 of chain a in one batch to a session at 0: the first jumps \
         MAX_GROUP_JUMP (2000 skipped keys stored, MAX_GROUP_SKIPPED_KEYS), the second is the \
         next iteration",
        "ok",
        json!({"operation": op, "state": s0_hex, "messages": [
            {"hex": hx(&m2000), "repeat": 1}, {"hex": hx(&m2001), "repeat": 1},
        ]}),
    );
    c.add(
        "batch evicting the lowest skipped key",
        "message 2003 then a1 in one batch to the session at 3 holding a1's key: the jump of \
         2000 stores keys 3..2002, 2001 keys in all, so the lowest (a1's, iteration 1) is \
         evicted and a1 is then refused as a duplicate",
        "ok",
        json!({"operation": op, "state": s3_hex, "messages": [
            {"hex": hx(&m2003), "repeat": 1}, {"hex": hx(&a1), "repeat": 1},
        ]}),
    );
    c.add(
        "batch with a forgery",
        "a2, a0 with its ciphertext modified, a0, a1, a0 again: the forgery is pinpointed, a \
         duplicate within the batch refused",
        "ok",
        json!({"operation": op, "state": s0_hex, "messages": [
            {"hex": hx(&a2), "repeat": 1}, {"hex": hx(&flipped), "repeat": 1},
            {"hex": hx(&a0), "repeat": 1}, {"hex": hx(&a1), "repeat": 1},
            {"hex": hx(&a0), "repeat": 1},
        ]}),
    );

    // ------------------------------------------------ outbound state
    let op = "outbound.decode";
    let case = |b: &[u8]| json!({"operation": op, "input": hx(b)});
    let o = Out::parse(&out_a_state);
    c.add(
        "outbound state valid",
        "chain a's sender after 3 messages",
        "ok",
        case(&out_a_state),
    );
    let v1_out = [
        &[0x01, 0x42][..],
        &group_id_field(G),
        &o.chain_id.to_be_bytes(),
        &o.ck,
        &o.iteration.to_be_bytes(),
        &o.seed,
        &o.max_messages.to_be_bytes(),
        &o.max_age.to_be_bytes(),
        &o.created.to_be_bytes(),
        &[0],
    ]
    .concat();
    c.add(
        "outbound state version 1",
        "the same session in the version-1 layout (no rotation number)",
        "DecodeError::UnsupportedVersion(1)",
        case(&v1_out),
    );
    let mut wrong_kind = out_a_state.clone();
    wrong_kind[1] = 0x43;
    c.add(
        "outbound state of another kind",
        "kind byte 0x43",
        "StateError::WrongKind(expected: 0x42, found: 0x43)",
        case(&wrong_kind),
    );
    c.add(
        "outbound state truncated",
        "the input ends 10 bytes into the signing seed",
        "DecodeError::Truncated(needed: 22)",
        case(&out_a_state[..3 + g + 44 + 10]),
    );
    c.add(
        "outbound state trailing byte",
        "one byte after the member-removed flag",
        "DecodeError::TrailingBytes(1)",
        case(&[&out_a_state[..], &[0]].concat()),
    );
    let mut flag2 = o.clone();
    flag2.removed = 2;
    c.add(
        "outbound state flag 2",
        "member-removed flag 0x02",
        "DecodeError::InvalidField(boolean)",
        case(&flag2.bytes()),
    );
    let mut g65 = out_a_state.clone();
    g65[2] = 65;
    c.add(
        "outbound state group id 65",
        "group id length 65",
        "DecodeError::TooLong(field: group id, len: 65, limit: 64)",
        case(&g65),
    );
    c.add(
        "outbound state group id 64",
        "chain x's sender, group id of 64 bytes",
        "ok",
        case(&out_x.to_bytes()),
    );

    // ------------------------------------------------ inbound state
    let op = "inbound.decode";
    let case = |b: &[u8]| json!({"operation": op, "input": hx(b)});
    let i3 = In::parse(&s3_state);
    let body_at = 2 + 297 + g; // offset of the first iteration in the state
    c.add(
        "inbound state valid",
        "chain a at position 3, a1's key skipped",
        "ok",
        case(&s3_state),
    );
    let mut v1_in = vec![0x01, 0x43];
    v1_in.extend_from_slice(&alice_field);
    v1_in.extend_from_slice(&group_id_field(G));
    v1_in.extend_from_slice(&ann_a.chain_id.to_be_bytes());
    v1_in.extend_from_slice(&a_pub);
    v1_in.extend_from_slice(&i3.first.to_be_bytes());
    v1_in.extend_from_slice(&i3.ck);
    v1_in.extend_from_slice(&i3.position.to_be_bytes());
    v1_in.push(1);
    v1_in.extend_from_slice(&0u32.to_be_bytes());
    c.add(
        "inbound state version 1",
        "the session in the version-1 layout (no rotation, no possession or signature, a \
         verified flag)",
        "DecodeError::UnsupportedVersion(1)",
        case(&v1_in),
    );
    let mut k44 = s3_state.clone();
    k44[1] = 0x44;
    c.add(
        "inbound state of another kind",
        "kind byte 0x44",
        "StateError::WrongKind(expected: 0x43, found: 0x44)",
        case(&k44),
    );
    let mut g65 = s3_state.clone();
    g65[2 + 128] = 65;
    c.add(
        "inbound state group id 65",
        "group id length 65",
        "DecodeError::TooLong(field: group id, len: 65, limit: 64)",
        case(&g65),
    );
    let mut st = i3.clone();
    st.ann.sender[..32].copy_from_slice(&small);
    c.add(
        "inbound state sender key of small order",
        "the announcement's sender key is of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        case(&st.state()),
    );
    let mut st = i3.clone();
    st.ann.signing = small;
    c.add(
        "inbound state signing key of small order",
        "the chain's signing key is of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        case(&st.state()),
    );
    let mut st = i3.clone();
    st.ann.signing = non_canonical;
    c.add(
        "inbound state signing key not canonical",
        "the chain's signing key is y + p",
        "DecodeError::InvalidKey(ed25519 point)",
        case(&st.state()),
    );
    let mut st = i3.clone();
    st.ann.possession = [0; 64];
    st.ann.signature = [0; 64];
    c.add(
        "inbound state signatures not re-verified",
        "the announcement's two signatures zeroed: stored state is not re-verified (§7.4)",
        "ok",
        case(&st.state()),
    );
    let count_at = body_at + 40;
    let mut too_many = s3_state[..count_at].to_vec();
    too_many.extend_from_slice(&2001u32.to_be_bytes());
    c.add(
        "inbound state 2001 skipped keys",
        "count 2001 (MAX_GROUP_SKIPPED_KEYS + 1) and nothing after it: the limit is checked \
         first",
        "DecodeError::TooLong(field: group skipped keys, len: 2001, limit: 2000)",
        case(&too_many),
    );
    let mut at_limit = s3_state[..count_at].to_vec();
    at_limit.extend_from_slice(&2000u32.to_be_bytes());
    c.add(
        "inbound state 2000 skipped keys missing",
        "count 2000 and nothing after it: 2000 × 36 bytes are missing",
        "DecodeError::Truncated(needed: 72000)",
        case(&at_limit),
    );
    let mut st = i3.clone();
    st.skipped = vec![(1, st.skipped[0].1), (2, [7; 32])];
    let short = st.state();
    c.add(
        "inbound state skipped keys truncated",
        "count 2 with one key's bytes missing",
        "DecodeError::Truncated(needed: 36)",
        case(&short[..short.len() - 36]),
    );
    let mut st = i3.clone();
    st.skipped = vec![(3, [7; 32])];
    c.add(
        "inbound state skipped key at the position",
        "a skipped key for iteration 3 = position",
        "DecodeError::InvalidField(skipped key outside the chain's range)",
        case(&st.state()),
    );
    let s1_in = In::parse(&s1.to_bytes());
    let mut st = s1_in.clone();
    st.position = 3;
    st.skipped = vec![(0, [7; 32])];
    c.add(
        "inbound state skipped key before the first iteration",
        "first iteration 1, a skipped key for iteration 0",
        "DecodeError::InvalidField(skipped key outside the chain's range)",
        case(&st.state()),
    );
    let mut st = i3.clone();
    st.position = 5;
    st.skipped = vec![(1, [7; 32]), (1, [8; 32])];
    c.add(
        "inbound state duplicate skipped key",
        "two keys for iteration 1",
        "DecodeError::InvalidField(duplicate skipped key iteration)",
        case(&st.state()),
    );
    let mut st = i3.clone();
    st.position = 5;
    st.skipped = vec![(2, [7; 32]), (1, [8; 32])];
    c.add(
        "inbound state skipped keys descending",
        "keys for iterations 2 then 1",
        "DecodeError::InvalidField(skipped key iterations not ascending)",
        case(&st.state()),
    );
    let mut st = s1_in.clone();
    st.position = 0;
    c.add(
        "inbound state position before first",
        "first iteration 1, position 0, no skipped keys",
        "DecodeError::InvalidField(chain position before first iteration)",
        case(&st.state()),
    );
    c.add(
        "inbound state position 2^32-1",
        "the session after the last iteration",
        "ok",
        case(&s_end.to_bytes()),
    );
    c.add(
        "inbound state trailing byte",
        "one byte after the skipped keys",
        "DecodeError::TrailingBytes(1)",
        case(&[&s3_state[..], &[0]].concat()),
    );

    // ------------------------------------------------ ring state
    let op = "ring.decode";
    let case = |b: &[u8]| json!({"operation": op, "input": hx(b)});
    let s_a2 = InboundGroupSession::new(
        &SenderKeyDistribution::from_bytes(&dist_a2).expect("d"),
        alice.public(),
    )
    .expect("inbound");
    let body_of = |state: &[u8]| state[2..].to_vec();
    let a_body = body_of(&s3_state);
    let a2_body = body_of(&s_a2.to_bytes());
    let ring2 = ring_state(&[a_body.clone(), a2_body.clone()]);
    let mut ring_check = SenderKeyRing::from_session(s3.clone());
    ring_check.insert(s_a2.clone()).expect("insert");
    assert_eq!(*ring_check.to_bytes(), ring2, "§7.4 ring layout");
    c.add(
        "ring state valid",
        "chains a (rotation 0) and a_next (rotation 1)",
        "ok",
        case(&ring2),
    );
    let mut v1_ring = vec![0x01, 0x44, 0, 0, 0, 1];
    v1_ring.extend_from_slice(&v1_in[2..]);
    c.add(
        "ring state version 1",
        "a version-1 ring holding the version-1 body above",
        "DecodeError::UnsupportedVersion(1)",
        case(&v1_ring),
    );
    let mut k42 = ring2.clone();
    k42[1] = 0x42;
    c.add(
        "ring state of another kind",
        "kind byte 0x42",
        "StateError::WrongKind(expected: 0x44, found: 0x42)",
        case(&k42),
    );
    c.add(
        "ring state empty",
        "count 0",
        "DecodeError::InvalidField(empty sender key ring)",
        case(&ring_state(&[])),
    );
    c.add(
        "ring state empty with a trailing body",
        "count 0 followed by a chain's body: the empty ring is refused while decoding the \
         body, before the trailing-byte check",
        "DecodeError::InvalidField(empty sender key ring)",
        case(&[&ring_state(&[])[..], &a_body].concat()),
    );
    // Chains of rotations 2 and 3 (hand-made outbound states of chain a_next's
    // keys, moved to those rotations with other chain ids).
    let rotated_dist = |rotation: u32, chain_id: u32| {
        let mut o = Out::parse(&out_a2.to_bytes());
        o.rotation = rotation;
        o.chain_id = chain_id;
        o.session().distribution(&alice).to_bytes().to_vec()
    };
    let dist_r2 = rotated_dist(2, 0x0000_0202);
    let dist_r3 = rotated_dist(3, 0x0000_0303);
    let dist_r4 = rotated_dist(4, 0x0000_0404);
    let body_from_dist = |d: &[u8]| {
        let s = InboundGroupSession::new(
            &SenderKeyDistribution::from_bytes(d).expect("d"),
            alice.public(),
        )
        .expect("inbound");
        body_of(&s.to_bytes())
    };
    let r2_body = body_from_dist(&dist_r2);
    let r3_body = body_from_dist(&dist_r3);
    let ring3 = ring_state(&[a_body.clone(), a2_body.clone(), r2_body.clone()]);
    c.add(
        "ring state of 3 chains",
        "rotations 0, 1, 2: a full ring",
        "ok",
        case(&ring3),
    );
    c.add(
        "ring state of 4 chains",
        "count 4 (MAX_RETIRED_SENDER_CHAINS + 2)",
        "DecodeError::TooLong(field: sender chains, len: 4, limit: 3)",
        case(&ring_state(&[
            a_body.clone(),
            a2_body.clone(),
            r2_body.clone(),
            r3_body.clone(),
        ])),
    );
    let mut short = ring_state(std::slice::from_ref(&a_body));
    short[5] = 3;
    c.add(
        "ring state count beyond the input",
        "count 3 with one body: 3 × 341 bytes are more than the input holds",
        &format!("DecodeError::Truncated(needed: {})", 3 * 341 - a_body.len()),
        case(&short),
    );
    let b_body = body_from_dist_from(&dist_b, bob.public());
    c.add(
        "ring state mixed senders",
        "chain a (Alice) then chain b (Bob's, rotation 0)",
        "DecodeError::InvalidField(mixed senders or groups in one ring)",
        case(&ring_state(&[a_body.clone(), b_body])),
    );
    let g2_body = body_of(&s_g2.to_bytes());
    let mut g2_rot = In::parse(&[&[0x02, 0x43][..], &g2_body].concat());
    g2_rot.ann.rotation = 1;
    c.add(
        "ring state mixed groups",
        "chain a then a chain of group G2 with rotation 1",
        "DecodeError::InvalidField(mixed senders or groups in one ring)",
        case(&ring_state(&[a_body.clone(), g2_rot.body()])),
    );
    c.add(
        "ring state rotations descending",
        "chain a_next (rotation 1) before chain a (rotation 0)",
        "DecodeError::InvalidField(ring chains not in ascending rotation order)",
        case(&ring_state(&[a2_body.clone(), a_body.clone()])),
    );
    let mut same_rot = In::parse(&[&[0x02, 0x43][..], &a2_body].concat());
    same_rot.ann.rotation = 0;
    c.add(
        "ring state equal rotations",
        "two chains with rotation 0",
        "DecodeError::InvalidField(ring chains not in ascending rotation order)",
        case(&ring_state(&[a_body.clone(), same_rot.body()])),
    );
    let mut dup_id = In::parse(&[&[0x02, 0x43][..], &r2_body].concat());
    dup_id.ann.chain_id = ann_a.chain_id;
    c.add(
        "ring state duplicate chain id",
        "rotations 0, 1, 2 where the third has chain a's id",
        "DecodeError::InvalidField(duplicate chain id in one ring)",
        case(&ring_state(&[
            a_body.clone(),
            a2_body.clone(),
            dup_id.body(),
        ])),
    );
    let mut bad_second = In::parse(&[&[0x02, 0x43][..], &a2_body].concat());
    bad_second.ann.signing = small;
    c.add(
        "ring state second chain's signing key of small order",
        "the second body's signing key is of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        case(&ring_state(&[a_body.clone(), bad_second.body()])),
    );

    // ------------------------------------------------ sealed states
    // Each sealed once (generation 1).
    let sealed_in = s3.seal(&mut rng, &storage_key);
    rng.label(&[("seal.inbound.nonce", 24)]);
    let sealed_out = out_a.seal(&mut rng, &storage_key);
    rng.label(&[("seal.outbound.nonce", 24)]);
    let sealed_ring = ring_check.seal(&mut rng, &storage_key);
    rng.label(&[("seal.ring.nonce", 24)]);
    let owner_hex = |o: qorgan::StateOwner| hx(&o.to_bytes());
    let xor = |b: &[u8], at: usize, v: u8| {
        let mut b = b.to_vec();
        b[at] ^= v;
        b
    };
    let out_owner = qorgan::StateOwner::outbound_group(G);
    let alice_owner = qorgan::StateOwner::group_sender(G, alice.public());
    assert_eq!(out_a.state_owner(), out_owner);
    assert_eq!(s3.state_owner(), alice_owner);
    assert_eq!(ring_check.state_owner(), alice_owner);
    let (out_owner, alice_owner) = (owner_hex(out_owner), owner_hex(alice_owner));
    let g2_owner = owner_hex(qorgan::StateOwner::outbound_group(G2));
    let bob_owner = owner_hex(qorgan::StateOwner::group_sender(G, bob.public()));
    let key_bytes = storage_key.to_bytes();
    // Envelopes made by hand (§7.1), nonce 11…11: version 1 (`0x01 0x5E
    // kind || nonce`, AD the first three bytes) and version 2 with the
    // header given.
    let v1_nonce = [0x11u8; 24];
    let seal_v1 = |kind: u8, plain: &[u8]| {
        let mut out = [&[0x01, 0x5E, kind][..], &v1_nonce].concat();
        aead::xseal(&key_bytes, &v1_nonce, &[0x01, 0x5E, kind], plain, &mut out);
        out
    };
    let seal_v2 = |kind: u8, owner: &str, plain: &[u8]| {
        let owner = crate::hex::decode(owner).expect("hex");
        let ad = [&[0x02, 0x5E, kind][..], &owner, &1u64.to_be_bytes()].concat();
        let mut out = [&ad[..], &v1_nonce].concat();
        aead::xseal(&key_bytes, &v1_nonce, &ad, plain, &mut out);
        out
    };
    // A version-1 inbound state in a version 1 envelope.
    let sealed_v1 = seal_v1(0x43, &v1_in);
    let sealed = |op: &str, b: &[u8], owner: &str, min: u64| {
        json!({
            "operation": op,
            "storage_key": key_hex,
            "input": hx(b),
            "owner": owner,
            "min_generation": min,
        })
    };
    c.add(
        "sealed inbound valid",
        "the inbound state above, sealed (generation 1), expected with its owner \
         (group id and Alice's key) and min_generation 1",
        "ok",
        sealed("inbound.open", &sealed_in, &alice_owner, 1),
    );
    c.add(
        "sealed outbound valid",
        "the outbound state above, sealed (generation 1), expected with its owner (group id)",
        "ok",
        sealed("outbound.open", &sealed_out, &out_owner, 1),
    );
    c.add(
        "sealed ring valid",
        "the ring above, sealed (generation 1), expected with its owner (group id and \
         Alice's key, as an inbound session of hers)",
        "ok",
        sealed("ring.open", &sealed_ring, &alice_owner, 1),
    );
    c.add(
        "sealed inbound rolled back",
        "the sealed inbound state when generation 2 was seen",
        "StateError::RolledBack(min_generation: 2, found: 1)",
        sealed("inbound.open", &sealed_in, &alice_owner, 2),
    );
    c.add(
        "sealed ring rolled back",
        "the sealed ring when generation 7 was seen",
        "StateError::RolledBack(min_generation: 7, found: 1)",
        sealed("ring.open", &sealed_ring, &alice_owner, 7),
    );
    c.add(
        "sealed outbound of another group",
        "the sealed outbound state where the outbound session of another group is expected",
        "StateError::WrongOwner",
        sealed("outbound.open", &sealed_out, &g2_owner, 0),
    );
    c.add(
        "sealed inbound of another sender",
        "the sealed inbound state (Alice's chain) where Bob's inbound session in the group \
         is expected",
        "StateError::WrongOwner",
        sealed("inbound.open", &sealed_in, &bob_owner, 0),
    );
    c.add(
        "sealed ring of another sender",
        "the sealed ring (Alice's chains) where Bob's ring is expected",
        "StateError::WrongOwner",
        sealed("ring.open", &sealed_ring, &bob_owner, 0),
    );
    c.add(
        "sealed inbound expected as outbound owner",
        "the sealed inbound state expected with the group's outbound owner (no sender key \
         hashed): another owner",
        "StateError::WrongOwner",
        sealed("inbound.open", &sealed_in, &out_owner, 0),
    );
    c.add(
        "sealed outbound naming another group",
        "a version 2 envelope around the outbound state (group G) whose header names the \
         outbound session of G2, opened expecting G2's: the object's own owner differs",
        "StateError::WrongOwner",
        sealed(
            "outbound.open",
            &seal_v2(0x42, &g2_owner, &out_a_state),
            &g2_owner,
            0,
        ),
    );
    c.add(
        "sealed header owner flipped",
        "the sealed ring with an owner byte flipped: the header is authenticated",
        "StateError::AuthenticationFailed",
        sealed("ring.open", &xor(&sealed_ring, 10, 1), &alice_owner, 0),
    );
    c.add(
        "sealed header generation flipped",
        "the sealed outbound state with its last generation byte flipped (1 to 0)",
        "StateError::AuthenticationFailed",
        sealed("outbound.open", &xor(&sealed_out, 42, 1), &out_owner, 0),
    );
    c.add(
        "sealed version-1 inbound state",
        "a version 1 envelope around a version-1 inbound state: it opens, the state inside \
         is refused (§11)",
        "DecodeError::UnsupportedVersion(1)",
        sealed("inbound.open", &sealed_v1, &alice_owner, 0),
    );
    let v1_env = seal_v1(0x43, &s3_state);
    c.add(
        "sealed envelope version 1 inbound",
        "a version 1 envelope around the inbound state above (group version 2), \
         min_generation 0: it opens at generation 0, its owner taken from the state",
        "ok",
        sealed("inbound.open", &v1_env, &alice_owner, 0),
    );
    c.add(
        "sealed envelope version 1 inbound rolled back",
        "the same with min_generation 1",
        "StateError::RolledBack(min_generation: 1, found: 0)",
        sealed("inbound.open", &v1_env, &alice_owner, 1),
    );
    c.add(
        "sealed envelope version 1 inbound of another sender",
        "the same expecting Bob's inbound session",
        "StateError::WrongOwner",
        sealed("inbound.open", &v1_env, &bob_owner, 0),
    );
    let v1_out = seal_v1(0x42, &out_a_state);
    c.add(
        "sealed envelope version 1 outbound",
        "a version 1 envelope around the outbound state above",
        "ok",
        sealed("outbound.open", &v1_out, &out_owner, 0),
    );
    c.add(
        "sealed outbound opened as inbound",
        "the sealed outbound state given to InboundGroupSession::open",
        "StateError::WrongKind(expected: 0x43, found: 0x42)",
        sealed("inbound.open", &sealed_out, &out_owner, 0),
    );
    let mut relabeled = sealed_out.clone();
    relabeled[2] = 0x43;
    c.add(
        "sealed kind byte rewritten",
        "the sealed outbound state with its kind byte rewritten to 0x43: the kind is \
         authenticated",
        "StateError::AuthenticationFailed",
        sealed("inbound.open", &relabeled, &out_owner, 0),
    );
    let mut v3_env = sealed_in.clone();
    v3_env[0] = 0x03;
    c.add(
        "sealed envelope version 3",
        "the envelope's version byte set to 3 (§7.1: versions 2 and 1 only)",
        "DecodeError::UnsupportedVersion(3)",
        sealed("inbound.open", &v3_env, &alice_owner, 0),
    );
    c.add(
        "sealed truncated",
        "20 bytes: the owner is 15 bytes short",
        "DecodeError::Truncated(needed: 15)",
        sealed("ring.open", &sealed_ring[..20], &alice_owner, 0),
    );
    c.add(
        "sealed version 1 truncated",
        "the version 1 envelope cut to 20 bytes: the nonce is 7 bytes short",
        "DecodeError::Truncated(needed: 7)",
        sealed("inbound.open", &v1_env[..20], &alice_owner, 0),
    );
    let other_key = hx(&hmac_sha256(&storage_key.to_bytes()[..], b"another key"));
    let mut under_other = sealed("ring.open", &sealed_ring, &alice_owner, 0);
    under_other["storage_key"] = json!(other_key);
    c.add(
        "sealed under another key",
        "the sealed ring opened with another storage key",
        "StateError::AuthenticationFailed",
        under_other,
    );

    // ------------------------------------------------ rings (§12.7, §12.8)
    let ring_a = ring_state(std::slice::from_ref(&a_body)); // chain a at position 3
    let add = |ring: &[u8], d: &[u8], from: &str| json!({"operation": "ring.add", "ring": hx(ring), "input": hx(d), "from": from});
    c.add(
        "ring add next rotation",
        "chain a_next (rotation 1) added to chain a",
        "ok",
        add(&ring_a, &dist_a2, "alice"),
    );
    c.add(
        "ring add the same chain again",
        "chain a's distribution at iteration 0 added to the ring holding chain a at position 3: \
         merged, nothing rewinds (the ring is unchanged)",
        "ok",
        add(&ring_a, &dist_a, "alice"),
    );
    let conflicting = rotated_dist(0, 0x0000_0999);
    c.add(
        "ring add a second rotation 0",
        "another chain of Alice's announced with rotation 0",
        "GroupError::ConflictingRotation(rotation: 0)",
        add(&ring_a, &conflicting, "alice"),
    );
    c.add(
        "ring add another sender's chain",
        "Bob's chain b, from Bob",
        "GroupError::UntrustedSender",
        add(&ring_a, &dist_b, "bob"),
    );
    c.add(
        "ring add from the wrong session",
        "chain a_next, arriving over the 1:1 session with Bob",
        "GroupError::UntrustedSender",
        add(&ring_a, &dist_a2, "bob"),
    );
    c.add(
        "ring add another group's chain",
        "Alice's chain in G2",
        "GroupError::GroupMismatch",
        add(&ring_a, &dist_g2.to_bytes(), "alice"),
    );
    let full = ring_state(&[a2_body.clone(), r2_body.clone(), r3_body.clone()]);
    c.add(
        "ring add below a full ring",
        "chain a (rotation 0) added to a full ring of rotations 1, 2, 3",
        "GroupError::RetiredChain(rotation: 0, oldest: 1)",
        add(&full, &dist_a, "alice"),
    );
    c.add(
        "ring add above a full ring",
        "rotation 4 added to the full ring: rotation 1 is dropped",
        "ok",
        add(&full, &dist_r4, "alice"),
    );
    let mut other_signing = Out::parse(&out_b.to_bytes());
    other_signing.chain_id = ann_a.chain_id;
    other_signing.rotation = 1;
    other_signing.group_id = G.to_vec();
    let mismatch = other_signing
        .session()
        .distribution(&alice)
        .to_bytes()
        .to_vec();
    c.add(
        "ring add a chain id with another signing key",
        "a chain of Alice's with chain a's id but another signing key (and rotation 1): the \
         ring merges copies of one chain id, and these differ",
        "GroupError::ChainMismatch",
        add(&ring_a, &mismatch, "alice"),
    );
    let import = |ring: &[u8], x: &[u8]| json!({"operation": "ring.import", "ring": hx(ring), "input": hx(x)});
    let wrong_at_5 = distribution(&ann_a, 0x22, 5, &wrong_ck);
    c.add(
        "ring import a conflicting chain key",
        "an export of chain a at iteration 5 with a wrong chain key, merged into the ring's \
         copy at position 3: stepping the ring's copy to 5 disagrees",
        &format!(
            "GroupError::ConflictingChainKey(chain_id: {})",
            ann_a.chain_id
        ),
        import(&ring_a, &wrong_at_5),
    );
    let at4 = InboundGroupSession::import(&s3.export_at(4).expect("export")).expect("import");
    let at3 = s3.clone();
    let far = at4
        .export_at(4 + 100_000)
        .expect("export at the edge")
        .to_vec();
    c.add(
        "ring import 100001 ahead",
        "an export of chain a at iteration 100004 (made 100000 ahead of a copy at 4), merged \
         into the ring's copy at 3: 100001 apart (MAX_EXPORT_ADVANCE + 1)",
        "GroupError::TooFarAhead(ahead: 100001, limit: 100000)",
        import(&ring_a, &far),
    );
    let edge = at3.export_at(3 + 100_000).expect("export").to_vec();
    c.add(
        "ring import 100000 ahead",
        "an export at 100003 merged into the copy at 3 (which holds a1's key as skipped): \
         the keys agree, but the merge would keep 100000 stepped-over keys and a1's, more \
         than MAX_GROUP_SKIPPED_KEYS: refused rather than evicting unread keys",
        "GroupError::TooManySkippedKeys(keys: 100001, limit: 2000)",
        import(&ring_a, &edge),
    );
    let full = at3.export_at(3 + 1999).expect("export").to_vec();
    c.add(
        "ring import keeping MAX_GROUP_SKIPPED_KEYS unread keys",
        "an export at 2002 merged into the copy at 3: 1999 stepped-over keys and a1's, \
         exactly MAX_GROUP_SKIPPED_KEYS: accepted",
        "ok",
        import(&ring_a, &full),
    );
    let over = at3.export_at(3 + 2000).expect("export").to_vec();
    c.add(
        "ring import one unread key over MAX_GROUP_SKIPPED_KEYS",
        "an export at 2003 merged into the copy at 3: 2000 stepped-over keys and a1's",
        "GroupError::TooManySkippedKeys(keys: 2001, limit: 2000)",
        import(&ring_a, &over),
    );
    let merge =
        |a: &[u8], b: &[u8]| json!({"operation": "inbound.merge", "state": hx(a), "input": hx(b)});
    c.add(
        "merge two chains",
        "chain a merged with chain a_next",
        "GroupError::ChainMismatch",
        merge(&s3_state, &s_a2.to_bytes()),
    );
    let mut forged_skip = i3.clone();
    forged_skip.skipped = vec![(1, [9; 32])];
    c.add(
        "merge a conflicting skipped key",
        "chain a at 3 holding a wrong key for the skipped iteration 1, merged with chain a at \
         0: the key derived for 1 differs",
        &format!(
            "GroupError::ConflictingChainKey(chain_id: {})",
            ann_a.chain_id
        ),
        merge(&forged_skip.state(), &s0_state),
    );
    c.add(
        "merge never rewinds",
        "chain a at 3 (a1 skipped) merged with chain a at 0: the result is the copy at 3",
        "ok",
        merge(&s3_state, &s0_state),
    );
    let export_at = |state: &[u8], k: u32| json!({"operation": "inbound.export_at", "state": hx(state), "iteration": k});
    c.add(
        "export before the position",
        "chain a at position 3 exported at 2",
        "GroupError::IterationUnavailable(requested: 2, available: 3)",
        export_at(&s3_state, 2),
    );
    c.add(
        "export 100000 ahead",
        "chain a at 3 exported at 100003",
        "ok",
        export_at(&s3_state, 100_003),
    );
    c.add(
        "export 100001 ahead",
        "chain a at 3 exported at 100004",
        "GroupError::TooFarAhead(ahead: 100001, limit: 100000)",
        export_at(&s3_state, 100_004),
    );

    // ------------------------------------------------ sending (§12.4)
    let encrypt = |state: &[u8], pt: &[u8], draws: Value| {
        json!({"operation": "outbound.encrypt", "state": hx(state), "identity": "alice",
               "plaintext": hx(pt), "draws": draws})
    };
    let mut limit = Out::parse(&out_a_state);
    limit.max_messages = 3;
    c.add(
        "encrypt at the message limit",
        "chain a's sender at iteration 3 with max_messages 3",
        "EncryptError::RotationRequired(MessageLimit)",
        encrypt(&limit.bytes(), b"x", json!([])),
    );
    let mut removed = Out::parse(&out_a_state);
    removed.removed = 1;
    c.add(
        "encrypt after a removal",
        "chain a's sender with the member-removed flag",
        "EncryptError::RotationRequired(MemberRemoved)",
        encrypt(&removed.bytes(), b"x", json!([])),
    );
    let last_state = Out::parse(&last_session.to_bytes());
    assert_eq!(last_state.iteration, u32::MAX);
    c.add(
        "encrypt past the last iteration",
        "the sender after message 4294967294 (iteration 2^32 - 1, max_messages 2^32 - 1): the \
         message limit fires before ChainExhausted",
        "EncryptError::RotationRequired(MessageLimit)",
        encrypt(&last_state.bytes(), b"x", json!([])),
    );
    let draws = c.draws_from(&rng, &["a4294967294.nonce"]);
    c.add(
        "encrypt at the last iteration",
        "the sender at iteration 4294967294: the last message of the chain (the nonce drawn \
         for the message of 'message at the last iteration', which this reproduces)",
        "ok",
        encrypt(&last.bytes(), b"the last iteration", draws),
    );
    let rotate = |state: &[u8], draws: Value| json!({"operation": "outbound.rotate", "state": hx(state), "now": T0 + 120, "draws": draws});
    let mut rot_max = Out::parse(&out_a_state);
    rot_max.rotation = u32::MAX;
    c.add(
        "rotate past rotation 2^32-1",
        "chain a's sender with rotation number 4294967295: nothing drawn or changed",
        "EncryptError::ChainExhausted(4294967295)",
        rotate(&rot_max.bytes(), json!([])),
    );
    let mut rot_edge = Out::parse(&out_a_state);
    rot_edge.rotation = u32::MAX - 1;
    rot_edge
        .session()
        .rotate(&mut rng, T0 + 120)
        .expect("rotate");
    chain_draws(&mut rng, "rot");
    let draws = c.draws_from(&rng, &["rot.chain_id", "rot.chain_key", "rot.signing_seed"]);
    c.add(
        "rotate to rotation 2^32-1",
        "rotation number 4294967294: rotates to 4294967295",
        "ok",
        rotate(&rot_edge.bytes(), draws),
    );
    let new = |gid: &[u8], draws: Value| {
        json!({"operation": "outbound.new", "input": hx(gid), "now": T0,
               "policy": {"max_messages": POLICY.max_messages, "max_age_secs": POLICY.max_age_secs},
               "draws": draws})
    };
    let g65_id = [G64, b"!"].concat();
    c.add(
        "new with a 65-byte group id",
        "OutboundGroupSession::new with a group id of 65 bytes: nothing drawn",
        "DecodeError::TooLong(field: group id, len: 65, limit: 64)",
        new(&g65_id, json!([])),
    );
    let draws = c.draws_from(&rng, &["x.chain_id", "x.chain_key", "x.signing_seed"]);
    c.add(
        "new with a 64-byte group id",
        "OutboundGroupSession::new with a group id of 64 bytes (chain x's draws)",
        "ok",
        new(G64, draws),
    );
    rng.label_none("the cases");

    let all_draws = rng.take_log();
    json!({
        "description": "Negative (and edge) vectors for the group formats, group version 2 \
            (docs/PROTOCOL.md §12, §7.4, §2.3, §2.4, §8, §11, §13). inputs.cases lists each \
            case: name, about, operation (the API call, §13) and its input and context (state: \
            a plain group state the call starts from; ring: a plain ring state; from: the \
            party whose 1:1 session a distribution arrived on; storage_key; owner and \
            min_generation: the value a state's `open` is given, §7.1; draws: the \
            purposes of the random draws a successful call consumes, in order). \
            expected.cases gives, for the case of the same name, result 'ok' (with what the \
            call returned: SHA-256 of the state after it, plaintext and provenance, …) or \
            'error' with error (the exact value returned, named as in §13) and kind (its \
            innermost error). A refused call changes nothing. The parties and chains are made \
            from inputs.draws (rng(seed)): identities alice and bob; chain a (Alice, group \
            'qorgan/vectors/negative', rotation 0; messages a0, a1 (empty), a2), a_next (Alice's \
            rotation 1), b (Bob's), x (Alice's in a group with a 64-byte id); the storage key; \
            messages 2000, 2001, 2003 and 4294967294 of chain a (encrypted by chain a's state \
            moved to those iterations); three seal nonces; rot (the draws of a rotation to \
            rotation 2^32 - 1). Hand-made inputs \
            (v1 layouts, edited fields, re-signed messages, crafted signatures) are built in \
            tests/src/vectors/group_negative.rs. All byte strings are lower-case hex. \
            Changes with sealed envelope version 2 (§7.1): the three seals are version 2 \
            envelopes (generation 1, owner the group id's hash, with the sender's key for the \
            inbound session and the ring); every sealed case gives owner and min_generation; \
            new cases: each kind rolled back or of another owner, a header naming another \
            owner than the state's, header owner and generation bytes flipped, version 1 \
            envelopes (generation 0, owner taken from the state), envelope version 3.",
        "seed": GROUP_NEGATIVE_SEED,
        "inputs": {
            "draws": all_draws,
            "identities": {
                "alice": {"field_encoding": hx(&alice_field)},
                "bob": {"field_encoding": hx(&bob_field)},
            },
            "cases": c.table.inputs,
        },
        "expected": {
            "cases": c.table.expected,
        },
    })
}

fn body_from_dist_from(d: &[u8], from: &IdentityKey) -> Vec<u8> {
    let s = InboundGroupSession::new(&SenderKeyDistribution::from_bytes(d).expect("d"), from)
        .expect("inbound");
    s.to_bytes()[2..].to_vec()
}
