//! `group.json` (docs/PROTOCOL.md §12, §7.4, §2.4; group version 2) and the
//! group state fixture `fixtures/group-state-v{GROUP_VERSION}.json`.
//!
//! The generator tracks every chain itself (chain keys, message keys and
//! key commitments from the recorded draws with the group `KDF_CK` of
//! §12.1, computed here with HMAC-SHA256 directly, not through qorgan) and
//! every receiver's first iteration, position and skipped iterations, and
//! checks qorgan against that model after each step: the chain keys through
//! `OutboundGroupSession::distribution` (which carries the current chain
//! key), the receivers through their public accessors and the provenance
//! of every decrypt. The plain states are then checked field by field by
//! the independent checker (tests/tests/vectors/independent.rs).

use std::collections::{BTreeMap, BTreeSet};

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use hmac::{Hmac, Mac};
use qorgan::primitives::aead;
use qorgan::primitives::ed25519::{Ed25519PublicKey, Ed25519SigningKey, Signature, verify_batch};
use qorgan::{
    DecryptError, EncryptError, GroupPlaintext, IdentityKeyPair, InboundGroupSession,
    OutboundGroupSession, PreKeyStore, RotationPolicy, RotationReason, SenderKeyAnnouncement,
    SenderKeyDistribution, SenderKeyRing, StorageKey,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};

use super::{RecordingRng, errors, identity_generate, identity_json, text_json};
use crate::hex::encode as hx;

/// Seed of `group.json`.
pub const GROUP_SEED: u64 = 4;
/// Seed of the group state fixture of the current group version.
pub const GROUP_FIXTURE_SEED: u64 = 102;

/// Where the group fixture of the current group version lives, relative to
/// `tests/vectors/`: `fixtures/group-state-v{GROUP_VERSION}.json`.
pub fn group_fixture_file() -> String {
    format!("fixtures/group-state-v{}.json", qorgan::wire::GROUP_VERSION)
}

const GROUP_ID: &[u8] = b"qorgan/vectors/group-1";
const POLICY: RotationPolicy = RotationPolicy {
    max_messages: 8,
    max_age_secs: 86_400,
};
/// The caller's clock (seconds) at `new`.
const T0: u64 = 1_700_000_000;
/// The clock when the message limit is hit and the sender rotates.
const T_ROTATE: u64 = T0 + 600;

// §3, written out here (and compared with qorgan's in `check_labels`).
pub(super) const SENDER_KEY_LABEL: &[u8] = b"qorgan/v2/sender-key";
pub(super) const POSSESSION_LABEL: &[u8] = b"qorgan/v2/sender-key-possession";
pub(super) const GROUP_MESSAGE_LABEL: &[u8] = b"qorgan/v2/group-message";
pub(super) const COMMITMENT_LABEL: &[u8] = b"qorgan/v2/group-key-commitment";
pub(super) const BATCH_LABEL: &[u8] = b"qorgan/v1/ed25519-batch";

pub(super) fn check_labels() {
    use qorgan::labels;
    assert_eq!(SENDER_KEY_LABEL, labels::SENDER_KEY);
    assert_eq!(POSSESSION_LABEL, labels::SENDER_KEY_POSSESSION);
    assert_eq!(GROUP_MESSAGE_LABEL, labels::GROUP_MESSAGE);
    assert_eq!(COMMITMENT_LABEL, labels::GROUP_KEY_COMMITMENT);
    assert_eq!(BATCH_LABEL, labels::ED25519_BATCH);
    assert_eq!(
        (labels::GROUP_MESSAGE_KEY_BYTE, labels::GROUP_CHAIN_KEY_BYTE),
        (0x03, 0x04)
    );
    assert_eq!(qorgan::wire::GROUP_VERSION, 2);
}

/// Steps of every chain the generator tabulates (more than any chain uses).
const CHAIN_STEPS: usize = 12;

// ------------------------------------------------------- §12.1 chain

pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("key");
    m.update(data);
    m.finalize().into_bytes().into()
}

/// Group `KDF_CK`: `(MK_i, CK_{i+1})` of `CK_i` (input bytes 0x03, 0x04).
pub(super) fn group_kdf_ck(ck: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    (hmac_sha256(ck, &[0x03]), hmac_sha256(ck, &[0x04]))
}

/// `C_i = HMAC(MK_i, "qorgan/v2/group-key-commitment")`.
pub(super) fn commitment(mk: &[u8; 32]) -> [u8; 32] {
    hmac_sha256(mk, COMMITMENT_LABEL)
}

/// `u8(g) || group id`.
pub(super) fn group_id_field(group_id: &[u8]) -> Vec<u8> {
    [&[u8::try_from(group_id.len()).expect("short")], group_id].concat()
}

/// `F` of §12.2.
pub(super) fn announced_fields(
    sender_ed: &[u8; 32],
    group_id: &[u8],
    chain_id: u32,
    rotation: u32,
    signing: &[u8; 32],
) -> Vec<u8> {
    [
        &sender_ed[..],
        &group_id_field(group_id),
        &chain_id.to_be_bytes(),
        &rotation.to_be_bytes(),
        signing,
    ]
    .concat()
}

/// `sender Ed25519 key || u8(g) || group id`: what a message signature
/// covers between its label and the message bytes (§12.3).
pub(super) fn message_context(sender_ed: &[u8; 32], group_id: &[u8]) -> Vec<u8> {
    [&sender_ed[..], &group_id_field(group_id)].concat()
}

pub(super) fn ed25519_public(seed: &[u8; 32]) -> [u8; 32] {
    *Ed25519SigningKey::from_seed(seed).public_key().as_bytes()
}

/// One sender chain as the generator knows it from the draws.
struct ChainInfo {
    name: &'static str,
    chain_id: u32,
    rotation: u32,
    signing_seed: [u8; 32],
    signing_public: [u8; 32],
    /// `CK_0 .. CK_CHAIN_STEPS`.
    keys: Vec<[u8; 32]>,
    /// `MK_0 .. MK_{CHAIN_STEPS-1}`.
    message_keys: Vec<[u8; 32]>,
}

impl ChainInfo {
    fn new(name: &'static str, rotation: u32, draws: &[Vec<u8>]) -> Self {
        let mut keys = vec![<[u8; 32]>::try_from(draws[1].as_slice()).expect("32")];
        let mut message_keys = Vec::new();
        for _ in 0..CHAIN_STEPS {
            let (mk, next) = group_kdf_ck(keys.last().expect("key"));
            message_keys.push(mk);
            keys.push(next);
        }
        let signing_seed: [u8; 32] = draws[2].as_slice().try_into().expect("32");
        Self {
            name,
            chain_id: u32::from_be_bytes(draws[0].as_slice().try_into().expect("4")),
            rotation,
            signing_seed,
            signing_public: ed25519_public(&signing_seed),
            keys,
            message_keys,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "chain_id": self.chain_id,
            "rotation": self.rotation,
            "chain_id_draw": format!("{}.chain_id", self.name),
            "chain_key_draw": format!("{}.chain_key", self.name),
            "signing_seed_draw": format!("{}.signing_seed", self.name),
            "signing_public": hx(&self.signing_public),
        })
    }
}

/// A receiver's view of one chain: what the spec says it holds.
#[derive(Clone)]
struct Model {
    chain: usize,
    first: u32,
    position: u32,
    skipped: BTreeSet<u32>,
}

impl Model {
    fn new(chain: usize, iteration: u32) -> Self {
        Self {
            chain,
            first: iteration,
            position: iteration,
            skipped: BTreeSet::new(),
        }
    }

    /// §12.5 on the model: which case applies (the `case` strings of
    /// docs/PROTOCOL.md §13).
    fn deliver(&mut self, iteration: u32) -> &'static str {
        assert!(iteration >= self.first);
        if iteration < self.position {
            assert!(self.skipped.remove(&iteration), "duplicate");
            "stored skipped key"
        } else if iteration == self.position {
            self.position += 1;
            "next iteration"
        } else {
            self.skipped.extend(self.position..iteration);
            self.position = iteration + 1;
            "ahead: skipped keys stored"
        }
    }

    fn consumed(&self, x: u32) -> bool {
        self.first <= x && x < self.position && !self.skipped.contains(&x)
    }

    /// §12.8 on the model (no cap needed at these sizes).
    fn merge(&self, other: &Self) -> Self {
        assert_eq!(self.chain, other.chain);
        let (lo, hi) = if self.position <= other.position {
            (self, other)
        } else {
            (other, self)
        };
        let candidates: BTreeSet<u32> = lo
            .skipped
            .iter()
            .chain(hi.skipped.iter())
            .copied()
            .chain(lo.position..hi.position)
            .collect();
        Self {
            chain: self.chain,
            first: self.first.min(other.first),
            position: hi.position,
            skipped: candidates
                .into_iter()
                .filter(|x| !lo.consumed(*x) && !hi.consumed(*x))
                .collect(),
        }
    }

    fn check(&self, s: &InboundGroupSession, chains: &[ChainInfo]) {
        let c = &chains[self.chain];
        assert_eq!(s.chain_id(), c.chain_id);
        assert_eq!(s.rotation(), c.rotation);
        assert_eq!(s.announcement().signing_key.as_bytes(), &c.signing_public);
        assert_eq!(s.first_iteration(), self.first);
        assert_eq!(s.position(), self.position);
        assert_eq!(s.skipped_key_count(), self.skipped.len());
        for i in self.first..self.position {
            assert_eq!(s.can_decrypt(i), self.skipped.contains(&i), "iteration {i}");
        }
    }

    /// The secrets of the session and its chain (the §7.4 inbound body but
    /// the announcement's sender, group id and signatures).
    fn to_json(&self, chains: &[ChainInfo]) -> Value {
        let c = &chains[self.chain];
        json!({
            "chain": c.name,
            "chain_id": c.chain_id,
            "rotation": c.rotation,
            "signing_key": hx(&c.signing_public),
            "first_iteration": self.first,
            "position": self.position,
            "chain_key": hx(&c.keys[self.position as usize]),
            "skipped": self.skipped.iter().map(|i| json!({
                "iteration": i,
                "message_key": hx(&c.message_keys[*i as usize]),
            })).collect::<Vec<_>>(),
        })
    }
}

enum Receiver {
    Inbound(Box<InboundGroupSession>, Model),
    Ring(Box<SenderKeyRing>, Vec<Model>),
}

impl Receiver {
    fn check(&self, chains: &[ChainInfo]) {
        match self {
            Receiver::Inbound(s, m) => m.check(s, chains),
            Receiver::Ring(r, ms) => {
                assert_eq!(r.chains().count(), ms.len());
                for (s, m) in r.chains().zip(ms) {
                    m.check(s, chains);
                }
            }
        }
    }

    fn to_json(&self, chains: &[ChainInfo]) -> Value {
        match self {
            Receiver::Inbound(_, m) => json!({"inbound": m.to_json(chains)}),
            Receiver::Ring(_, ms) => json!({
                "ring": ms.iter().map(|m| m.to_json(chains)).collect::<Vec<_>>(),
            }),
        }
    }

    fn decrypt(&mut self, bytes: &[u8]) -> Result<GroupPlaintext, DecryptError> {
        match self {
            Receiver::Inbound(s, _) => s.decrypt(bytes),
            Receiver::Ring(r, _) => r.decrypt(bytes),
        }
    }

    fn plain(&self) -> Vec<u8> {
        match self {
            Receiver::Inbound(s, _) => s.to_bytes().to_vec(),
            Receiver::Ring(r, _) => r.to_bytes().to_vec(),
        }
    }
}

fn plaintext(id: &str) -> Vec<u8> {
    match id {
        "m2" => Vec::new(),
        "m5" => {
            let mut t = b"m5: ".to_vec();
            t.extend(std::iter::repeat_n(b'=', 96));
            t
        }
        _ => format!("{id}: to the group, message {id}").into_bytes(),
    }
}

/// A state kept at some event, sealed at the end.
enum Kept {
    Outbound(Box<OutboundGroupSession>, Value),
    Inbound(Box<InboundGroupSession>, Value),
    Ring(Box<SenderKeyRing>, Value),
}

/// The outbound session's secrets (every field of the §7.4 outbound body).
fn outbound_json(
    s: &OutboundGroupSession,
    chain: &ChainInfo,
    created_at: u64,
    removed: bool,
) -> Value {
    assert_eq!(s.chain_id(), chain.chain_id);
    assert_eq!(s.rotation(), chain.rotation);
    json!({
        "group_id": hx(s.group_id()),
        "chain": chain.name,
        "chain_id": chain.chain_id,
        "rotation": chain.rotation,
        "chain_key": hx(&chain.keys[s.iteration() as usize]),
        "iteration": s.iteration(),
        "signing_seed": hx(&chain.signing_seed),
        "max_messages": s.policy().max_messages,
        "max_age_secs": s.policy().max_age_secs,
        "created_at": created_at,
        "member_removed": removed,
    })
}

fn provenance_json(p: &GroupPlaintext) -> Value {
    json!({
        "sender": hx(&p.sender.to_field_bytes()),
        "group_id": hx(&p.group_id),
        "chain_id": p.chain_id,
        "rotation": p.rotation,
        "iteration": p.iteration,
    })
}

// ------------------------------------------------------ batch (§2.4)

struct BatchItem {
    source: String,
    modified: Option<&'static str>,
    message: Vec<u8>,
    signature: [u8; 64],
    key: [u8; 32],
}

/// `S + L` (S little-endian), a non-canonical S with the same value mod L.
pub(super) fn add_l(s: &[u8]) -> [u8; 32] {
    // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    let l = {
        let mut b = *(Scalar::ZERO - Scalar::ONE).as_bytes();
        b[0] += 1;
        b
    };
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(l[i]) + carry;
        out[i] = v as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// An item after the encoding rules of §2.4: input index, A, R, S, k, z.
struct Weighted {
    index: usize,
    key: [u8; 32],
    a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
    z: Scalar,
}

const BATCH_WASTE_BUDGET: u64 = 20;
const COMBINED_R_COST: u64 = 30;
const COMBINED_KEY_COST: u64 = 30;

fn combination_holds(items: &[Weighted]) -> bool {
    let mut by_key: BTreeMap<[u8; 32], (EdwardsPoint, Scalar)> = BTreeMap::new();
    let mut scalars = Vec::new();
    let mut points = Vec::new();
    let mut b = Scalar::ZERO;
    for w in items {
        scalars.push(w.z);
        points.push(w.r);
        by_key.entry(w.key).or_insert((w.a, Scalar::ZERO)).1 += w.z * w.k;
        b -= w.z * w.s;
    }
    for (a, c) in by_key.into_values() {
        scalars.push(c);
        points.push(a);
    }
    scalars.push(b);
    points.push(EdwardsPoint::mul_base(&Scalar::ONE));
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

/// §2.4 step 3, recording each set it settles, in order.
fn settle(items: &[Weighted], verdicts: &mut [bool], budget: &mut u64, steps: &mut Vec<Value>) {
    if items.is_empty() {
        return;
    }
    let indices: Vec<usize> = items.iter().map(|w| w.index).collect();
    if items.len() <= 4 {
        for w in items {
            verdicts[w.index] = (EdwardsPoint::mul_base(&w.s) - w.r - w.a * w.k)
                .mul_by_cofactor()
                .is_identity();
        }
        steps.push(json!({"items": indices, "result": "verified singly"}));
        return;
    }
    let keys: BTreeSet<[u8; 32]> = items.iter().map(|w| w.key).collect();
    let cost = COMBINED_R_COST * items.len() as u64 + COMBINED_KEY_COST * keys.len() as u64;
    let before = *budget;
    let result = if cost > *budget {
        "over budget"
    } else if combination_holds(items) {
        "combination held"
    } else {
        *budget -= cost;
        "combination failed"
    };
    steps.push(json!({
        "items": indices,
        "keys": keys.len(),
        "cost": cost,
        "budget": before,
        "result": result,
    }));
    if result == "combination held" {
        for w in items {
            verdicts[w.index] = true;
        }
        return;
    }
    let (a, b) = items.split_at(items.len() / 2);
    settle(a, verdicts, budget, steps);
    settle(b, verdicts, budget, steps);
}

/// §2.4 on one batch: the encoding verdicts, k_i, the seed, z_i, the sets
/// settled; and qorgan's verdicts, checked against those and against single
/// verification.
fn batch_case(name: &str, about: &str, items: &[BatchItem]) -> (Value, Value) {
    let mut encoding_ok = Vec::new();
    let mut ks: Vec<Option<[u8; 32]>> = Vec::new();
    let mut seed = Sha512::new();
    seed.update(BATCH_LABEL);
    let mut parts = Vec::new();
    for it in items {
        let (r, s) = it.signature.split_at(32);
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s.try_into().expect("32")));
        let r_point = CompressedEdwardsY(r.try_into().expect("32"))
            .decompress()
            .filter(|p| p.compress().as_bytes() == r && !p.is_small_order());
        match (s, r_point) {
            (Some(s), Some(r_point)) => {
                let mut h = Sha512::new();
                h.update(r);
                h.update(it.key);
                h.update(&it.message);
                let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
                seed.update(it.signature);
                seed.update(it.key);
                seed.update(k.as_bytes());
                encoding_ok.push(true);
                ks.push(Some(*k.as_bytes()));
                parts.push(Some((r_point, s, k)));
            }
            _ => {
                encoding_ok.push(false);
                ks.push(None);
                parts.push(None);
            }
        }
    }
    let seed: [u8; 64] = seed.finalize().into();
    let mut z_json = Vec::new();
    let mut weighted = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let Some((r, s, k)) = p else {
            z_json.push(Value::Null);
            continue;
        };
        let d = Sha512::new()
            .chain_update(seed)
            .chain_update((i as u64).to_be_bytes())
            .finalize();
        let mut z = [0u8; 32];
        z[..16].copy_from_slice(&d[..16]);
        z_json.push(json!(hx(&d[..16])));
        weighted.push(Weighted {
            index: i,
            key: items[i].key,
            a: CompressedEdwardsY(items[i].key).decompress().expect("key"),
            r: *r,
            s: *s,
            k: *k,
            z: Scalar::from_bytes_mod_order(z),
        });
    }
    let initial_budget = BATCH_WASTE_BUDGET * weighted.len() as u64;
    let mut budget = initial_budget;
    let mut ours = vec![false; items.len()];
    let mut steps = Vec::new();
    settle(&weighted, &mut ours, &mut budget, &mut steps);

    let keys: Vec<Ed25519PublicKey> = items
        .iter()
        .map(|it| Ed25519PublicKey::from_bytes(&it.key).expect("key"))
        .collect();
    let sigs: Vec<Signature> = items
        .iter()
        .map(|it| Signature::from_bytes(&it.signature))
        .collect();
    let refs: Vec<(&[u8], &Signature, &Ed25519PublicKey)> = items
        .iter()
        .zip(sigs.iter().zip(keys.iter()))
        .map(|(it, (s, k))| (it.message.as_slice(), s, k))
        .collect();
    let verdicts = verify_batch(&refs);
    for (i, (m, s, k)) in refs.iter().enumerate() {
        assert_eq!(
            k.verify(m, s),
            verdicts[i],
            "{name} item {i}: batch = single"
        );
    }
    assert_eq!(ours, verdicts, "{name}: the generator's §2.4 = qorgan's");
    let inputs = json!({
        "name": name,
        "about": about,
        "items": items.iter().map(|it| json!({
            "source": it.source,
            "modified": it.modified,
            "message": hx(&it.message),
            "signature": hx(&it.signature),
            "public_key": hx(&it.key),
        })).collect::<Vec<_>>(),
    });
    let expected = json!({
        "name": name,
        "encoding_ok": encoding_ok,
        "k": ks.iter().map(|v| v.map(|b| hx(&b))).collect::<Vec<_>>(),
        "seed": hx(&seed),
        "z": z_json,
        "budget": initial_budget,
        "steps": steps,
        "verdicts": verdicts,
    });
    (inputs, expected)
}

// ------------------------------------------------------- group.json

/// The scenario's state while it runs.
struct Scene {
    rng: RecordingRng,
    alice: IdentityKeyPair,
    alice_ed: [u8; 32],
    out: OutboundGroupSession,
    chains: Vec<ChainInfo>,
    current: usize,
    created_at: u64,
    removed: bool,
    events: Vec<Value>,
    /// By chain name: (distribution bytes, its JSON).
    distributions: BTreeMap<String, (Vec<u8>, Value)>,
    /// By message id: (chain, iteration, bytes).
    messages: BTreeMap<String, (usize, u32, Vec<u8>)>,
    traces: Vec<Value>,
    receivers: BTreeMap<String, Receiver>,
    deliveries: Vec<Value>,
    refusals: Vec<Value>,
    exports: Vec<Value>,
    merges: Vec<Value>,
    kept: Vec<(String, Kept)>,
}

impl Scene {
    fn event(&mut self, v: Value) -> usize {
        self.events.push(v);
        self.events.len() - 1
    }

    /// The chain key the outbound session is at, read from its
    /// distribution (which draws nothing).
    fn chain_key_now(&self) -> (u32, [u8; 32]) {
        let d = self.out.distribution(&self.alice);
        let bytes = d.to_bytes();
        (
            d.iteration(),
            bytes[bytes.len() - 32..].try_into().expect("32"),
        )
    }

    fn distribution(&mut self) {
        let c = &self.chains[self.current];
        let dist = self.out.distribution(&self.alice);
        let bytes = dist.to_bytes().to_vec();
        let ann = dist.announcement();
        let ann_bytes = ann.to_bytes();
        let fields = announced_fields(
            &self.alice_ed,
            GROUP_ID,
            c.chain_id,
            c.rotation,
            &c.signing_public,
        );
        let possession_message = [POSSESSION_LABEL, &fields].concat();
        let signature_message = [SENDER_KEY_LABEL, &fields].concat();
        let signing = Ed25519PublicKey::from_bytes(&c.signing_public).expect("key");
        assert!(signing.verify(&possession_message, &ann.possession));
        assert!(
            self.alice
                .public()
                .signing_key()
                .verify(&signature_message, &ann.signature)
        );
        assert_eq!(ann.signing_key.as_bytes(), &c.signing_public);
        assert_eq!(ann.rotation, c.rotation);
        assert_eq!(
            SenderKeyAnnouncement::from_bytes(&ann_bytes).expect("decodes"),
            *ann
        );
        assert_eq!(
            SenderKeyDistribution::from_bytes(&bytes)
                .expect("decodes")
                .to_bytes()
                .to_vec(),
            bytes
        );
        let iteration = dist.iteration();
        let name = c.name;
        let v = json!({
            "chain": name,
            "rotation": c.rotation,
            "iteration": iteration,
            "chain_key": hx(&c.keys[iteration as usize]),
            "announcement": {
                "fields": hx(&fields),
                "possession_message": hx(&possession_message),
                "possession": hx(&ann.possession.to_bytes()),
                "signature_message": hx(&signature_message),
                "signature": hx(&ann.signature.to_bytes()),
                "bytes": hx(&ann_bytes),
            },
            "bytes": hx(&bytes),
        });
        self.event(json!({"op": "distribution", "chain": name}));
        self.distributions.insert(name.to_string(), (bytes, v));
    }

    fn dist(&self, chain: &str) -> SenderKeyDistribution {
        SenderKeyDistribution::from_bytes(&self.distributions[chain].0).expect("decode")
    }

    fn chain_index(&self, name: &str) -> usize {
        self.chains
            .iter()
            .position(|c| c.name == name)
            .expect("chain")
    }

    fn join(&mut self, who: &str, ring: bool, chain: &str) {
        let d = self.dist(chain);
        let model = Model::new(self.chain_index(chain), d.iteration());
        let r = if ring {
            Receiver::Ring(
                Box::new(SenderKeyRing::new(&d, self.alice.public()).expect("ring")),
                vec![model],
            )
        } else {
            Receiver::Inbound(
                Box::new(InboundGroupSession::new(&d, self.alice.public()).expect("inbound")),
                model,
            )
        };
        r.check(&self.chains);
        self.receivers.insert(who.to_string(), r);
        self.event(json!({
            "op": "join", "who": who, "as": if ring { "ring" } else { "inbound" },
            "distribution": chain,
        }));
    }

    fn send(&mut self, id: &str) {
        let (i, before) = self.chain_key_now();
        let c = &self.chains[self.current];
        assert_eq!(before, c.keys[i as usize]);
        let pt = plaintext(id);
        let bytes = self
            .out
            .encrypt(&mut self.rng, &self.alice, &pt)
            .expect("encrypt");
        let nonce_draw = format!("{id}.nonce");
        let nonce: [u8; 12] = self.rng.label(&[(&nonce_draw, 12)])[0]
            .as_slice()
            .try_into()
            .expect("12");
        let (i2, after) = self.chain_key_now();
        let c = &self.chains[self.current];
        assert_eq!((i2, after), (i + 1, c.keys[i as usize + 1]));
        let mk = c.message_keys[i as usize];
        let cm = commitment(&mk);
        let (header, rest) = bytes.split_at(54);
        let (ct, sig) = rest.split_at(rest.len() - 64);
        assert_eq!(header[..2], [0x02, 0x20]);
        assert_eq!(header[2..6], c.chain_id.to_be_bytes());
        assert_eq!(header[6..10], i.to_be_bytes());
        assert_eq!(header[10..22], nonce);
        assert_eq!(header[22..54], cm);
        assert_eq!(bytes.len(), pt.len() + 134, "GROUP_MESSAGE_OVERHEAD");
        assert_eq!(
            aead::open(&mk, &nonce, header, ct).expect("AEAD"),
            pt,
            "{id}: MK_i opens"
        );
        let signed = [
            GROUP_MESSAGE_LABEL,
            &message_context(&self.alice_ed, GROUP_ID),
            &bytes[..bytes.len() - 64],
        ]
        .concat();
        let key = Ed25519PublicKey::from_bytes(&c.signing_public).expect("key");
        assert!(key.verify(
            &signed,
            &Signature::from_bytes(&sig.try_into().expect("64"))
        ));
        self.traces.push(json!({
            "id": id,
            "chain": c.name,
            "iteration": i,
            "chain_key_before": hx(&before),
            "message_key": hx(&mk),
            "chain_key_after": hx(&after),
            "commitment": hx(&cm),
            "nonce_draw": nonce_draw,
            "nonce": hx(&nonce),
            "header": hx(header),
            "ciphertext_and_tag": hx(ct),
            "signature": hx(sig),
            "bytes": hx(&bytes),
        }));
        self.messages
            .insert(id.to_string(), (self.current, i, bytes));
        self.event(json!({"op": "send", "id": id}));
    }

    fn deliver(&mut self, id: &str, to: &str) {
        let (chain, iteration, bytes) = self.messages[id].clone();
        let r = self.receivers.get_mut(to).expect("receiver");
        let got = r.decrypt(&bytes).expect("decrypt");
        let case = match r {
            Receiver::Inbound(_, m) => {
                assert_eq!(m.chain, chain);
                m.deliver(iteration)
            }
            Receiver::Ring(_, ms) => ms
                .iter_mut()
                .find(|m| m.chain == chain)
                .expect("chain held")
                .deliver(iteration),
        };
        assert_eq!(got.plaintext, plaintext(id));
        let c = &self.chains[chain];
        assert!(got.sender.ct_eq(self.alice.public()));
        assert_eq!(
            (
                got.group_id.as_slice(),
                got.chain_id,
                got.rotation,
                got.iteration
            ),
            (GROUP_ID, c.chain_id, c.rotation, iteration)
        );
        r.check(&self.chains);
        // A message decrypts once; the refusal changes nothing.
        let before = r.plain();
        assert_eq!(
            r.decrypt(&bytes).expect_err("duplicate"),
            DecryptError::Duplicate { index: iteration }
        );
        assert_eq!(r.plain(), before);
        let after = r.to_json(&self.chains);
        let n = self.event(json!({"op": "deliver", "id": id, "to": to}));
        self.deliveries.push(json!({
            "event": n,
            "id": id,
            "to": to,
            "case": case,
            "provenance": provenance_json(&got),
            "receiver_after": after,
        }));
    }

    fn refuse_delivery(&mut self, id: &str, to: &str, want: DecryptError) {
        let bytes = self.messages[id].2.clone();
        let r = self.receivers.get_mut(to).expect("receiver");
        let before = r.plain();
        let err = r.decrypt(&bytes).expect_err("refused");
        assert_eq!(err, want);
        assert_eq!(r.plain(), before, "a refused message changes nothing");
        let (error, kind) = errors::decrypt(&err);
        let n = self.event(json!({"op": "refuse_delivery", "id": id, "to": to, "error": error}));
        self.refusals
            .push(json!({"event": n, "id": id, "to": to, "error": error, "kind": kind}));
    }

    fn keep(&mut self, who: &str, name: &str) {
        let k = match who {
            "alice" => Kept::Outbound(
                Box::new(
                    OutboundGroupSession::from_bytes(&self.out.to_bytes())
                        .expect("state round trip"),
                ),
                outbound_json(
                    &self.out,
                    &self.chains[self.current],
                    self.created_at,
                    self.removed,
                ),
            ),
            _ => match &self.receivers[who] {
                Receiver::Inbound(s, m) => Kept::Inbound(s.clone(), m.to_json(&self.chains)),
                Receiver::Ring(r, ms) => Kept::Ring(
                    r.clone(),
                    json!(
                        ms.iter()
                            .map(|m| m.to_json(&self.chains))
                            .collect::<Vec<_>>()
                    ),
                ),
            },
        };
        self.kept.push((name.to_string(), k));
        self.event(json!({"op": "keep", "who": who, "state": name}));
    }

    fn refuse_encrypt(&mut self, reason: RotationReason) {
        let before = self.out.to_bytes().to_vec();
        assert_eq!(self.out.rotation_due(T_ROTATE), Some(reason));
        let err = self
            .out
            .encrypt(&mut self.rng, &self.alice, b"refused")
            .expect_err("refused");
        assert_eq!(err, EncryptError::RotationRequired(reason));
        self.rng.label_none("a refused encrypt");
        assert_eq!(self.out.to_bytes().to_vec(), before);
        let (error, _) = errors::encrypt(&err);
        self.event(json!({"op": "refuse_encrypt", "now": T_ROTATE,
            "rotation_due": format!("{reason:?}"), "error": error}));
    }

    fn rotate(&mut self, name: &'static str, now: u64) {
        self.out.rotate(&mut self.rng, now).expect("rotate");
        let d = self.rng.label(&[
            (&format!("{name}.chain_id"), 4),
            (&format!("{name}.chain_key"), 32),
            (&format!("{name}.signing_seed"), 32),
        ]);
        let rotation = self.chains[self.current].rotation + 1;
        self.chains.push(ChainInfo::new(name, rotation, &d));
        self.current = self.chains.len() - 1;
        self.created_at = now;
        self.removed = false;
        assert_eq!(self.out.chain_id(), self.chains[self.current].chain_id);
        assert_eq!(self.out.rotation(), rotation);
        assert_eq!(self.out.iteration(), 0);
        self.event(json!({"op": "rotate", "now": now, "chain": name}));
    }
}

/// Builds group.json.
pub(super) fn group_file() -> Value {
    check_labels();
    let mut rng = RecordingRng::new(GROUP_SEED);
    let alice = identity_generate(&mut rng, "alice");
    let alice_ed = *alice.public().signing_key().as_bytes();
    let out = OutboundGroupSession::new(&mut rng, GROUP_ID, POLICY, T0).expect("new");
    let d = rng.label(&[
        ("chain1.chain_id", 4),
        ("chain1.chain_key", 32),
        ("chain1.signing_seed", 32),
    ]);
    let chains = vec![ChainInfo::new("chain1", 0, &d)];
    assert_eq!((out.chain_id(), out.rotation()), (chains[0].chain_id, 0));
    let mut sc = Scene {
        rng,
        alice,
        alice_ed,
        out,
        chains,
        current: 0,
        created_at: T0,
        removed: false,
        events: Vec::new(),
        distributions: BTreeMap::new(),
        messages: BTreeMap::new(),
        traces: Vec::new(),
        receivers: BTreeMap::new(),
        deliveries: Vec::new(),
        refusals: Vec::new(),
        exports: Vec::new(),
        merges: Vec::new(),
        kept: Vec::new(),
    };

    // --- chain 1 is distributed; Bob keeps an inbound session, Carol a ring.
    sc.distribution();
    sc.join("bob", false, "chain1");
    sc.join("carol", true, "chain1");
    for id in ["m0", "m1", "m2", "m3"] {
        sc.send(id);
    }
    for id in ["m0", "m1", "m3"] {
        sc.deliver(id, "bob");
    }
    sc.keep("bob", "bob_m2_outstanding");
    sc.deliver("m2", "bob");
    for id in ["m0", "m1", "m2", "m3"] {
        sc.deliver(id, "carol");
    }

    // --- Bob exports his session at iteration 6 (position 4); Dave (another
    // device of Bob's user) imports it.
    {
        let Receiver::Inbound(bob, _) = &sc.receivers["bob"] else {
            unreachable!()
        };
        let position = bob.position();
        let export = bob.export_at(6).expect("export").to_vec();
        assert_eq!(&export[..2], &[0x02, 0x22]);
        let dist1 = &sc.distributions["chain1"].0;
        // The export is the distribution's announcement with type 0x22,
        // iteration 6 and CK_6.
        let ann_len = dist1.len() - 36;
        assert_eq!(&export[2..ann_len], &dist1[2..ann_len]);
        assert_eq!(&export[ann_len..ann_len + 4], &6u32.to_be_bytes());
        assert_eq!(&export[ann_len + 4..], &sc.chains[0].keys[6]);
        let imported = InboundGroupSession::import(&export).expect("import");
        sc.event(json!({"op": "export", "who": "bob", "iteration": 6, "name": "bob_at_6"}));
        sc.exports.push(json!({
            "name": "bob_at_6",
            "who": "bob",
            "position": position,
            "iteration": 6,
            "chain_key": hx(&sc.chains[0].keys[6]),
            "bytes": hx(&export),
        }));
        sc.event(json!({"op": "import", "who": "dave", "export": "bob_at_6"}));
        let dave = Receiver::Inbound(Box::new(imported), Model::new(0, 6));
        dave.check(&sc.chains);
        sc.receivers.insert("dave".into(), dave);
    }

    // --- the rest of chain 1, up to the message limit.
    for id in ["m4", "m5", "m6", "m7"] {
        sc.send(id);
    }
    sc.keep("alice", "outbound_chain1_full");
    sc.refuse_encrypt(RotationReason::MessageLimit);
    for id in ["m4", "m5", "m6", "m7"] {
        sc.deliver(id, "bob");
    }
    // Dave's copy starts at 6: m5 is before it.
    sc.refuse_delivery(
        "m5",
        "dave",
        DecryptError::BeforeFirstIteration {
            iteration: 5,
            first: 6,
        },
    );
    sc.deliver("m7", "dave");
    sc.keep("dave", "dave_imported_m6_outstanding");
    sc.deliver("m6", "dave");

    // --- the sender's own distribution of chain 1 (iteration 0) reaches
    // Dave too: merged with his copy (§12.8), it reaches back to iteration 0
    // and never rewinds (m6 and m7 stay consumed).
    {
        let d1 = sc.dist("chain1");
        let other = InboundGroupSession::new(&d1, sc.alice.public()).expect("inbound");
        let Receiver::Inbound(dave, model) = sc.receivers.get_mut("dave").expect("dave") else {
            unreachable!()
        };
        let merged = dave.merge(&other).expect("merge");
        let reverse = other.merge(dave).expect("merge");
        assert_eq!(
            *merged.to_bytes(),
            *reverse.to_bytes(),
            "merge is symmetric"
        );
        **dave = merged;
        *model = model.merge(&Model::new(0, 0));
        let r = &sc.receivers["dave"];
        r.check(&sc.chains);
        let after = r.to_json(&sc.chains);
        let n = sc.event(json!({"op": "merge", "who": "dave", "distribution": "chain1"}));
        sc.merges.push(json!({
            "event": n,
            "who": "dave",
            "distribution": "chain1",
            "receiver_after": after,
        }));
    }
    sc.deliver("m5", "dave");
    sc.refuse_delivery("m7", "dave", DecryptError::Duplicate { index: 7 });
    for id in ["m4", "m5", "m7"] {
        sc.deliver(id, "carol");
    }

    // --- rotation: chain 2 (rotation 1), distributed to Carol's ring.
    sc.rotate("chain2", T_ROTATE);
    sc.distribution();
    {
        let d2 = sc.dist("chain2");
        let alice_pub = *sc.alice.public();
        let Receiver::Ring(ring, models) = sc.receivers.get_mut("carol").expect("carol") else {
            unreachable!()
        };
        ring.add(&d2, &alice_pub).expect("add");
        models.push(Model::new(1, 0));
    }
    sc.receivers["carol"].check(&sc.chains);
    sc.event(json!({"op": "add", "who": "carol", "distribution": "chain2"}));
    for id in ["n0", "n1", "n2"] {
        sc.send(id);
    }
    sc.deliver("n1", "carol");
    sc.keep("carol", "carol_ring_two_chains");
    for id in ["n0", "m6", "n2"] {
        sc.deliver(id, "carol");
    }

    // --- a member leaves: the sender must rotate before sending again.
    sc.out.mark_member_removed();
    sc.removed = true;
    sc.event(json!({"op": "mark_member_removed"}));
    sc.refuse_encrypt(RotationReason::MemberRemoved);
    sc.keep("alice", "outbound_chain2_member_removed");
    sc.rng
        .label_none("group operations other than new, rotate, encrypt and seal");

    // --- every message was delivered to every receiver that can read it.
    let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in &sc.deliveries {
        got.entry(d["to"].as_str().expect("to").to_string())
            .or_default()
            .insert(d["id"].as_str().expect("id").to_string());
    }
    assert_eq!(got["bob"].len(), 8);
    assert_eq!(got["carol"].len(), 11);
    assert_eq!(got["dave"].len(), 3);

    // --- state at rest, sealed in the order kept.
    let storage_key = StorageKey::generate(&mut sc.rng);
    sc.rng.label(&[("storage_key", 32)]);
    let alice_field = sc.alice.public().to_field_bytes();
    let ann_json = |chain: &str| sc.distributions[chain].1["announcement"].clone();
    let with_announcement = |mut v: Value| {
        let a = ann_json(v["chain"].as_str().expect("chain"));
        v["sender"] = json!(hx(&alice_field));
        v["group_id"] = json!(hx(GROUP_ID));
        v["possession"] = a["possession"].clone();
        v["signature"] = a["signature"].clone();
        v
    };
    let mut states = Vec::new();
    for (name, k) in &sc.kept {
        let nonce = format!("seal.{name}.nonce");
        // Each state is sealed once (generation 1), from a copy: a loaded
        // state is at generation 0 (§7.1).
        let (kind, plain, sealed, fields, owner) = match k {
            Kept::Outbound(s, f) => {
                let mut s = OutboundGroupSession::from_bytes(&s.to_bytes()).expect("copy");
                let sealed = s.seal(&mut sc.rng, &storage_key);
                let owner = s.state_owner();
                assert_eq!(owner, qorgan::StateOwner::outbound_group(GROUP_ID));
                let reopened = OutboundGroupSession::open(
                    &storage_key,
                    &sealed,
                    &qorgan::Expected::new(owner, s.generation()),
                )
                .expect("open");
                assert_eq!(*reopened.to_bytes(), *s.to_bytes());
                (0x42, s.to_bytes().to_vec(), sealed, f.clone(), owner)
            }
            Kept::Inbound(s, f) => {
                let mut s = InboundGroupSession::from_bytes(&s.to_bytes()).expect("copy");
                let sealed = s.seal(&mut sc.rng, &storage_key);
                let owner = s.state_owner();
                assert_eq!(
                    owner,
                    qorgan::StateOwner::group_sender(GROUP_ID, sc.alice.public())
                );
                let reopened = InboundGroupSession::open(
                    &storage_key,
                    &sealed,
                    &qorgan::Expected::new(owner, s.generation()),
                )
                .expect("open");
                assert_eq!(*reopened.to_bytes(), *s.to_bytes());
                (
                    0x43,
                    s.to_bytes().to_vec(),
                    sealed,
                    with_announcement(f.clone()),
                    owner,
                )
            }
            Kept::Ring(s, f) => {
                let mut s = SenderKeyRing::from_bytes(&s.to_bytes()).expect("copy");
                let sealed = s.seal(&mut sc.rng, &storage_key);
                let owner = s.state_owner();
                assert_eq!(
                    owner,
                    qorgan::StateOwner::group_sender(GROUP_ID, sc.alice.public())
                );
                let reopened = SenderKeyRing::open(
                    &storage_key,
                    &sealed,
                    &qorgan::Expected::new(owner, s.generation()),
                )
                .expect("open");
                assert_eq!(*reopened.to_bytes(), *s.to_bytes());
                let chains_json: Vec<Value> = f
                    .as_array()
                    .expect("chains")
                    .iter()
                    .map(|c| with_announcement(c.clone()))
                    .collect();
                (
                    0x44,
                    s.to_bytes().to_vec(),
                    sealed,
                    json!({"chains": chains_json}),
                    owner,
                )
            }
        };
        let n = sc.rng.label(&[(&nonce, 24)]).remove(0);
        assert_eq!(&plain[..2], &[0x02, kind]);
        let mut v = json!({
            "name": name,
            "nonce_draw": nonce,
            "fields": fields,
        });
        let sealed = super::sealed_json(&storage_key, &sealed, &plain, (kind, owner, 1), &n);
        for (k, x) in sealed.as_object().expect("object") {
            v[k] = x.clone();
        }
        states.push(v);
    }

    // --- batch verification (§2.4), no randomness.
    let context = message_context(&alice_ed, GROUP_ID);
    let item_of = |source: &str| -> BatchItem {
        let chain_of = |name: &str| sc.chains.iter().find(|c| c.name == name).expect("chain");
        let hex_sig = |v: &Value| -> [u8; 64] {
            crate::hex::decode(v.as_str().expect("hex"))
                .expect("hex")
                .try_into()
                .expect("64")
        };
        if let Some(chain) = source.strip_prefix("announcement ") {
            let c = chain_of(chain);
            let a = ann_json(chain);
            BatchItem {
                source: source.to_string(),
                modified: None,
                message: [
                    SENDER_KEY_LABEL,
                    &announced_fields(
                        &alice_ed,
                        GROUP_ID,
                        c.chain_id,
                        c.rotation,
                        &c.signing_public,
                    ),
                ]
                .concat(),
                signature: hex_sig(&a["signature"]),
                key: alice_ed,
            }
        } else if let Some(chain) = source.strip_prefix("possession ") {
            let c = chain_of(chain);
            let a = ann_json(chain);
            BatchItem {
                source: source.to_string(),
                modified: None,
                message: [
                    POSSESSION_LABEL,
                    &announced_fields(
                        &alice_ed,
                        GROUP_ID,
                        c.chain_id,
                        c.rotation,
                        &c.signing_public,
                    ),
                ]
                .concat(),
                signature: hex_sig(&a["possession"]),
                key: c.signing_public,
            }
        } else {
            let (chain, _, bytes) = &sc.messages[source];
            let n = bytes.len();
            BatchItem {
                source: source.to_string(),
                modified: None,
                message: [GROUP_MESSAGE_LABEL, &context, &bytes[..n - 64]].concat(),
                signature: bytes[n - 64..].try_into().expect("64"),
                key: sc.chains[*chain].signing_public,
            }
        }
    };
    let sources = [
        "announcement chain1",
        "possession chain1",
        "m0",
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
        "m6",
        "m7",
        "announcement chain2",
        "possession chain2",
        "n0",
        "n1",
        "n2",
    ];
    // The first ciphertext byte of a message item: after the label, the
    // sender context and the 54-byte header.
    let ct_pos = GROUP_MESSAGE_LABEL.len() + context.len() + 54;
    let flip = |it: &mut BatchItem| {
        it.message[ct_pos] ^= 0x01;
        it.modified = Some("first ciphertext bit flipped");
    };
    let fifteen = || -> Vec<BatchItem> { sources.iter().map(|s| item_of(s)).collect() };
    let mut tampered = fifteen();
    flip(&mut tampered[8]);
    let (b0_in, b0_ex) = batch_case(
        "one_forged_message",
        "the 15 signatures of the scenario (each chain's announcement and possession, the \
         11 messages), m6's ciphertext modified: item 8 fails. 15 items are too few for \
         the budget (225) to cover any combination of more than 4 items, so every item \
         is verified singly",
        &tampered,
    );
    let mut non_canonical = fifteen();
    let s = add_l(&non_canonical[13].signature[32..]);
    non_canonical[13].signature[32..].copy_from_slice(&s);
    non_canonical[13].modified = Some("S replaced by S + L");
    let (b1_in, b1_ex) = batch_case(
        "one_non_canonical_s",
        "the same 15 items unmodified except n1 (item 13), whose S is replaced by S + L \
         (same value mod L, not canonical): it is rejected by the encoding rules before \
         the seed, takes no part in it and has no weight; the other items keep their \
         input index in z_i, and the budget counts the 14 remaining items",
        &non_canonical,
    );
    let forty_five = || -> Vec<BatchItem> { (0..3).flat_map(|_| fifteen()).collect() };
    let (b2_in, b2_ex) = batch_case(
        "honest_45",
        "the 15 items three times over (a server verifying redelivered items): all \
         valid. The whole set and its halves cost more than the budget (675); each \
         quarter's combination is within it and holds",
        &forty_five(),
    );
    let mut forged = forty_five();
    flip(&mut forged[17]);
    flip(&mut forged[35]);
    let (b3_in, b3_ex) = batch_case(
        "two_forged_of_45",
        "the same 45 items, items 17 (m0, second copy) and 35 (m6, third copy) with \
         their ciphertext modified: failed combinations use up the budget, after which \
         sets are split untried down to single verification",
        &forged,
    );

    let draws = sc.rng.take_log();
    let ids: Vec<&str> = [
        "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "n0", "n1", "n2",
    ]
    .to_vec();
    json!({
        "description": "Sender-key groups, group version 2 (docs/PROTOCOL.md §12), their state \
            (§7.4, sealed as §7.1) and batch verification (§2.4). One generator rng(seed); \
            inputs.draws lists every random draw in order (purpose, offset, len, §2.6): \
            Alice's identity, OutboundGroupSession::new (chain id, chain key and signing seed \
            of chain1), one 12-byte nonce per encrypt (<id>.nonce), rotate (chain2), the \
            storage key and one nonce per sealed state. inputs.events is the exact order of \
            operations: distribution (the sender's distribution of the named chain at its \
            current iteration), join (a member creates an inbound session or a ring from it; \
            the distribution arrived over the 1:1 session with Alice), send, deliver, export \
            / import (type 0x22, carrying the full announcement), merge (the member merges a \
            copy made from the named distribution into its session, §12.8), refuse_encrypt \
            and refuse_delivery (the call fails with the error named and changes nothing), \
            rotate, add (a ring adds a distribution), mark_member_removed, keep (the state \
            named is kept for expected.states). Coverage: m2 has an empty plaintext, m5 100 \
            bytes; Bob receives m3 before m2; Bob's export at iteration 6 (position 4) is \
            imported by Dave (first iteration 6), who refuses m5 (BeforeFirstIteration) and \
            receives m7 before m6; merging the sender's chain1 distribution (iteration 0) \
            makes m0..m5 readable for Dave but not m6, m7 (never rewinds): he reads m5 and \
            refuses m7 (Duplicate); the policy allows 8 messages, so the 9th encrypt is \
            refused and Alice rotates to chain2 (rotation 1); Carol's ring keeps chain1 \
            readable after it adds chain2, receives n1 before n0 and m6 after n1. \
            expected.distributions gives each announcement's fields F, both signed messages \
            and signatures (possession by the chain's signing key, then the identity's). \
            expected.messages traces each encrypt (chain keys, message key, key commitment, \
            nonce, 54-byte header, ChaCha20-Poly1305 under MK_i with the header's nonce and \
            AD = header, Ed25519 signature by the chain's signing key over \
            \"qorgan/v2/group-message\" || signature_context || header || ciphertext and tag); \
            expected.deliveries gives the case of §12.5, the provenance returned and the \
            receiver's secrets after each delivery. expected.states lists plain and sealed \
            states with their fields (§7.4), each sealed once (generation 1) in envelope \
            version 2 (§7.1): the parsed header (envelope_version, kind, owner, generation, \
            nonce) and the value `open` is given (owner, min_generation). The owner of an \
            outbound session is SHA-256(\"qorgan/v2/sealed-group-owner\" || u8(len(group \
            id)) || group id), that of an inbound session or a ring the same hash with the \
            sender's Ed25519 key appended (changed with envelope version 2: the states were \
            sealed in version 1, AD the three header bytes; their plain bytes are unchanged). \
            inputs.batch / expected.batch: four batch \
            verifications: per item whether the encodings pass, k_i, the batch seed, the \
            weights z_i (16 bytes, little-endian integer; null for items rejected by the \
            encoding rules), the initial budget, every set settled in order with its \
            result (verified singly, combination held, combination failed, over budget) \
            and the verdicts, which equal single verification's. All byte strings are \
            lower-case hex.",
        "seed": GROUP_SEED,
        "inputs": {
            "draws": draws,
            "sender": "alice",
            "sender_identity_draws": ["alice.identity.ed25519_seed", "alice.identity.x25519_secret"],
            "group_id": text_json(GROUP_ID),
            "policy": {"max_messages": POLICY.max_messages, "max_age_secs": POLICY.max_age_secs},
            "now": T0,
            "outbound_new_draws": [
                "chain1.chain_id",
                "chain1.chain_key",
                "chain1.signing_seed",
            ],
            "rotate_draws": ["chain2.chain_id", "chain2.chain_key", "chain2.signing_seed"],
            "storage_key_draw": "storage_key",
            "messages": ids.iter().map(|id| json!({
                "id": id,
                "chain": sc.chains[sc.messages[*id].0].name,
                "plaintext": text_json(&plaintext(id)),
            })).collect::<Vec<_>>(),
            "events": sc.events,
            "batch": [b0_in, b1_in, b2_in, b3_in],
        },
        "expected": {
            "sender_identity": identity_json(sc.alice.public()),
            "signature_context": hx(&context),
            "chains": sc.chains.iter().map(ChainInfo::to_json).collect::<Vec<_>>(),
            "distributions": sc.distributions.values().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            "messages": sc.traces,
            "deliveries": sc.deliveries,
            "refusals": sc.refusals,
            "exports": sc.exports,
            "merges": sc.merges,
            "states": states,
            "batch": [b0_ex, b1_ex, b2_ex, b3_ex],
        },
    })
}

// ------------------------------------------------------- the fixture

/// The group state fixture of the current group version. Every draw is
/// recorded in the file with its purpose (docs/PROTOCOL.md §13).
pub(super) fn group_fixture_current() -> Value {
    let mut rng = RecordingRng::new(GROUP_FIXTURE_SEED);
    let group = b"qorgan/fixture/group-v2";
    let policy = RotationPolicy {
        max_messages: 100,
        max_age_secs: 604_800,
    };
    let now = 1_700_000_000u64;
    // Alice's identity lives in her prekey store, as in an application.
    let alice_id = identity_generate(&mut rng, "alice");
    let mut alice_store = PreKeyStore::new(&mut rng, alice_id, 0);
    rng.label(&[
        ("alice.signed_prekey[1].secret", 32),
        ("alice.last_resort_kem_prekey[1].seed", 64),
    ]);
    let alice = alice_store.identity();
    let mut out = OutboundGroupSession::new(&mut rng, group, policy, now).expect("new");
    rng.label(&[
        ("chain1.chain_id", 4),
        ("chain1.chain_key", 32),
        ("chain1.signing_seed", 32),
    ]);
    let text = |s: &str| s.as_bytes().to_vec();
    let send = |rng: &mut RecordingRng, out: &mut OutboundGroupSession, id: String, pt: &str| {
        let m = out.encrypt(rng, alice, &text(pt)).expect("encrypt");
        rng.label(&[(&format!("{id}.nonce"), 12)]);
        m
    };
    let mut ring = SenderKeyRing::new(&out.distribution(alice), alice.public()).expect("ring");
    let g: Vec<Vec<u8>> = (0..4)
        .map(|i| {
            send(
                &mut rng,
                &mut out,
                format!("g{i}"),
                &format!("g{i}: chain 1"),
            )
        })
        .collect();
    for i in [0, 2] {
        assert_eq!(
            ring.decrypt(&g[i]).expect("g").plaintext,
            text(&format!("g{i}: chain 1"))
        );
    }
    out.rotate(&mut rng, now + 3600).expect("rotate");
    rng.label(&[
        ("chain2.chain_id", 4),
        ("chain2.chain_key", 32),
        ("chain2.signing_seed", 32),
    ]);
    let dist2 = out.distribution(alice);
    ring.add(&dist2, alice.public()).expect("add");
    let mut bob = InboundGroupSession::new(&dist2, alice.public()).expect("inbound");
    let mut h: Vec<Vec<u8>> = (0..2)
        .map(|i| {
            send(
                &mut rng,
                &mut out,
                format!("h{i}"),
                &format!("h{i}: chain 2"),
            )
        })
        .collect();
    // Dave joins late: the distribution at iteration 2 is stored unread.
    let dave_dist = out.distribution(alice).to_bytes().to_vec();
    h.extend((2..4).map(|i| {
        send(
            &mut rng,
            &mut out,
            format!("h{i}"),
            &format!("h{i}: chain 2"),
        )
    }));
    for i in [0, 2] {
        assert_eq!(
            bob.decrypt(&h[i]).expect("h").plaintext,
            text(&format!("h{i}: chain 2"))
        );
    }
    assert_eq!(
        ring.decrypt(&h[3]).expect("h3").plaintext,
        text("h3: chain 2")
    );
    assert_eq!(bob.skipped_key_count(), 1, "h1");
    let skipped: Vec<usize> = ring.chains().map(|c| c.skipped_key_count()).collect();
    assert_eq!(skipped, [1, 3], "g1; h0, h1, h2");
    // Bob's export for another device of his (position 3), stored unread.
    let bob_export = bob.export_at(bob.position()).expect("export").to_vec();
    let key = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    let outbound_sealed = out.seal(&mut rng, &key);
    rng.label(&[("seal.alice_outbound.nonce", 24)]);
    let bob_sealed = bob.seal(&mut rng, &key);
    rng.label(&[("seal.bob_inbound.nonce", 24)]);
    let ring_sealed = ring.seal(&mut rng, &key);
    rng.label(&[("seal.carol_ring.nonce", 24)]);
    let store_sealed = alice_store.seal(&mut rng, &key);
    rng.label(&[("seal.alice_store.nonce", 24)]);
    let draws = rng.take_log();
    let msg = |id: &str, bytes: &[u8], chain: u32| {
        let pt = if id.starts_with('g') {
            format!("{id}: chain 1")
        } else {
            format!("{id}: chain 2")
        };
        json!({"id": id, "chain": chain, "bytes": hx(bytes), "plaintext": text_json(pt.as_bytes())})
    };
    json!({
        "description": "Group state fixture of the group_version below, generated once by \
            gen-vectors (tests/src/vectors/group.rs, group_fixture_current, seed below, every \
            draw listed in draws with its purpose) with the release that introduced that \
            version, and kept unchanged forever: every later release that still supports \
            this group version must load it (tests/tests/fixtures.rs). Alice (identity held \
            in her prekey store, sealed below) started an outbound group session (policy: \
            100 messages, 604800 s; created at 1700000000; rotation 0) and sent g0..g3 on \
            chain 1; Carol's SenderKeyRing received g0 and g2. Alice rotated (at 1700003600) \
            to chain 2 (rotation 1), whose distribution Carol's ring added and Bob's \
            InboundGroupSession was created from; Alice sent h0, h1, made a distribution \
            for Dave at iteration 2 (pending_distribution_for_dave, not yet received), and \
            sent h2, h3; Bob received h0 and h2, Carol's ring h3; Bob exported his session \
            at its position 3 for another of his devices (pending_export_for_bob_device2, \
            not yet imported). States: Alice's outbound session (chain 2, rotation 1, next \
            iteration 4), Bob's inbound session (position 3, skipped key of h1), Carol's \
            ring (chain 1 at position 3 with g1's key, chain 2 at position 4 with the keys \
            of h0..h2), all sealed under storage_key, the outbound, inbound and ring also \
            plain. pending_for_bob and pending_for_carol are the messages each has not \
            received, in the order the test delivers them. All byte strings are lower-case \
            hex.",
        "seed": GROUP_FIXTURE_SEED,
        "group_version": qorgan::wire::GROUP_VERSION,
        "draws": draws,
        "storage_key": hx(&*key.to_bytes()),
        "group_id": text_json(group),
        "alice_store": {"sealed": hx(&store_sealed)},
        "alice_outbound": {"plain": hx(&out.to_bytes()), "sealed": hx(&outbound_sealed)},
        "bob_inbound": {"plain": hx(&bob.to_bytes()), "sealed": hx(&bob_sealed)},
        "carol_ring": {"plain": hx(&ring.to_bytes()), "sealed": hx(&ring_sealed)},
        "pending_distribution_for_dave": hx(&dave_dist),
        "pending_export_for_bob_device2": hx(&bob_export),
        "pending_for_bob": [msg("h1", &h[1], 2), msg("h3", &h[3], 2)],
        "pending_for_carol": [
            msg("g3", &g[3], 1),
            msg("h1", &h[1], 2),
            msg("g1", &g[1], 1),
            msg("h0", &h[0], 2),
            msg("h2", &h[2], 2),
        ],
    })
}
