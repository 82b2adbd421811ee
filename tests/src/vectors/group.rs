//! `group.json` (docs/PROTOCOL.md §12, §7.4, §2.4) and the group state
//! fixture `fixtures/group-state-v{VERSION}.json`.
//!
//! The generator tracks every chain itself (chain keys and message keys from
//! the recorded draws with `KDF_CK`) and every receiver's position and
//! skipped iterations, and checks qorgan against that model after each step:
//! the chain keys through `OutboundGroupSession::distribution` (which carries
//! the current chain key), the receivers through their public accessors. The
//! plain states are then checked field by field by the independent checker.

use std::collections::{BTreeMap, BTreeSet};

use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use qorgan::internals::kdf_ck;
use qorgan::primitives::aead;
use qorgan::primitives::ed25519::{Ed25519PublicKey, Ed25519SigningKey, Signature, verify_batch};
use qorgan::{
    EncryptError, IdentityKeyPair, InboundGroupSession, OutboundGroupSession, PreKeyStore,
    RotationPolicy, RotationReason, SenderKeyDistribution, SenderKeyRing, StorageKey,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

use super::{RecordingRng, identity_generate, identity_json, text_json};
use crate::hex::encode as hx;

/// Seed of `group.json`.
pub const GROUP_SEED: u64 = 4;
/// Seed of the group state fixture of the current version.
pub const GROUP_FIXTURE_SEED: u64 = 102;

/// Where the group fixture of the current state version lives, relative to
/// `tests/vectors/`.
pub fn group_fixture_file() -> String {
    format!("fixtures/group-state-v{}.json", qorgan::wire::VERSION)
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

const SENDER_KEY_LABEL: &[u8] = b"qorgan/v1/sender-key";
const GROUP_MESSAGE_LABEL: &[u8] = b"qorgan/v1/group-message";
const BATCH_LABEL: &[u8] = b"qorgan/v1/ed25519-batch";

/// Steps of every chain the generator tabulates (more than any chain uses).
const CHAIN_STEPS: usize = 12;

/// One sender chain as the generator knows it from the draws.
struct ChainInfo {
    name: &'static str,
    chain_id: u32,
    signing_seed: [u8; 32],
    signing_public: [u8; 32],
    /// `CK_0 .. CK_CHAIN_STEPS`.
    keys: Vec<[u8; 32]>,
    /// `MK_0 .. MK_{CHAIN_STEPS-1}`.
    message_keys: Vec<[u8; 32]>,
}

impl ChainInfo {
    fn new(name: &'static str, id: &[u8], key: &[u8], seed: &[u8]) -> Self {
        let mut keys = vec![<[u8; 32]>::try_from(key).expect("32")];
        let mut message_keys = Vec::new();
        for _ in 0..CHAIN_STEPS {
            let (mk, next) = kdf_ck(keys.last().expect("key"));
            message_keys.push(mk);
            keys.push(next);
        }
        let signing_seed: [u8; 32] = seed.try_into().expect("32");
        Self {
            name,
            chain_id: u32::from_be_bytes(id.try_into().expect("4")),
            signing_seed,
            signing_public: *Ed25519SigningKey::from_seed(&signing_seed)
                .public_key()
                .as_bytes(),
            keys,
            message_keys,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "chain_id": self.chain_id,
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
    verified: bool,
}

impl Model {
    fn new(chain: usize, iteration: u32, verified: bool) -> Self {
        Self {
            chain,
            first: iteration,
            position: iteration,
            skipped: BTreeSet::new(),
            verified,
        }
    }

    /// §12.5 on the model: which case applies.
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

    fn check(&self, s: &InboundGroupSession, chains: &[ChainInfo]) {
        assert_eq!(s.chain_id(), chains[self.chain].chain_id);
        assert_eq!(s.first_iteration(), self.first);
        assert_eq!(s.position(), self.position);
        assert_eq!(s.skipped_key_count(), self.skipped.len());
        assert_eq!(s.is_verified(), self.verified);
    }

    /// The secrets of the session (every field of the §7.4 inbound body
    /// except the sender identity and the group id).
    fn to_json(&self, chains: &[ChainInfo]) -> Value {
        let c = &chains[self.chain];
        json!({
            "chain": c.name,
            "chain_id": c.chain_id,
            "signing_key": hx(&c.signing_public),
            "first_iteration": self.first,
            "position": self.position,
            "chain_key": hx(&c.keys[self.position as usize]),
            "verified": self.verified,
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
    json!({
        "group_id": hx(s.group_id()),
        "chain": chain.name,
        "chain_id": chain.chain_id,
        "chain_key": hx(&chain.keys[s.iteration() as usize]),
        "iteration": s.iteration(),
        "signing_seed": hx(&chain.signing_seed),
        "max_messages": s.policy().max_messages,
        "max_age_secs": s.policy().max_age_secs,
        "created_at": created_at,
        "member_removed": removed,
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

/// L + S, for a non-canonical S with the same value mod L.
fn add_l(s: &[u8]) -> [u8; 32] {
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

/// §2.4 on one batch: the encoding verdicts, k_i, the seed, z_i; and
/// qorgan's verdicts (checked against single verification).
fn batch_case(name: &str, about: &str, items: &[BatchItem]) -> (Value, Value) {
    let mut encoding_ok = Vec::new();
    let mut ks: Vec<Option<[u8; 32]>> = Vec::new();
    let mut seed = Sha512::new();
    seed.update(BATCH_LABEL);
    for it in items {
        let (r, s) = it.signature.split_at(32);
        let s_ok = bool::from(Scalar::from_canonical_bytes(s.try_into().expect("32")).is_some());
        let r_ok = CompressedEdwardsY(r.try_into().expect("32"))
            .decompress()
            .is_some_and(|p| p.compress().as_bytes() == r && !p.is_small_order());
        let ok = s_ok && r_ok;
        encoding_ok.push(ok);
        if ok {
            let mut h = Sha512::new();
            h.update(r);
            h.update(it.key);
            h.update(&it.message);
            let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
            seed.update(it.signature);
            seed.update(it.key);
            seed.update(k.as_bytes());
            ks.push(Some(*k.as_bytes()));
        } else {
            ks.push(None);
        }
    }
    let seed: [u8; 64] = seed.finalize().into();
    let z: Vec<Option<[u8; 16]>> = ks
        .iter()
        .enumerate()
        .map(|(i, k)| {
            k.map(|_| {
                let d = Sha512::new()
                    .chain_update(seed)
                    .chain_update((i as u64).to_be_bytes())
                    .finalize();
                d[..16].try_into().expect("16")
            })
        })
        .collect();
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
    assert_eq!(verdicts.iter().filter(|v| !**v).count(), 1, "one invalid");
    let opt = |v: &Option<[u8; 32]>| v.map(|b| hx(&b));
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
        "k": ks.iter().map(opt).collect::<Vec<_>>(),
        "seed": hx(&seed),
        "z": z.iter().map(|v| v.map(|b| hx(&b))).collect::<Vec<_>>(),
        "verdicts": verdicts,
    });
    (inputs, expected)
}

// ------------------------------------------------------- group.json

/// The announcement's signed message (§12.2), built from its parts.
fn announcement_message(sender_ed: &[u8; 32], chain_id: u32, signing: &[u8; 32]) -> Vec<u8> {
    let mut m = SENDER_KEY_LABEL.to_vec();
    m.extend_from_slice(sender_ed);
    m.push(u8::try_from(GROUP_ID.len()).expect("short"));
    m.extend_from_slice(GROUP_ID);
    m.extend_from_slice(&chain_id.to_be_bytes());
    m.extend_from_slice(signing);
    m
}

/// Builds group.json.
pub(super) fn group_file() -> Value {
    let mut rng = RecordingRng::new(GROUP_SEED);
    let alice = identity_generate(&mut rng, "alice");
    let alice_ed = *alice.public().signing_key().as_bytes();
    let mut out = OutboundGroupSession::new(&mut rng, GROUP_ID, POLICY, T0).expect("new");
    let d = rng.label(&[
        ("chain1.chain_id", 4),
        ("chain1.chain_key", 32),
        ("chain1.signing_seed", 32),
    ]);
    let mut chains = vec![ChainInfo::new("chain1", &d[0], &d[1], &d[2])];
    let mut current = 0usize;
    let mut created_at = T0;
    let mut removed = false;
    assert_eq!(out.chain_id(), chains[0].chain_id);

    let mut events: Vec<Value> = Vec::new();
    let mut distributions: BTreeMap<&str, (Vec<u8>, Value)> = BTreeMap::new();
    let mut messages: BTreeMap<String, (usize, u32, Vec<u8>)> = BTreeMap::new();
    let mut traces: Vec<Value> = Vec::new();
    let mut receivers: BTreeMap<&str, Receiver> = BTreeMap::new();
    let mut deliveries: Vec<Value> = Vec::new();
    let mut exports: Vec<Value> = Vec::new();
    let mut export_bytes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut kept: Vec<(&str, Kept)> = Vec::new();

    // The chain key the outbound session is at, read from its distribution.
    let chain_key_now =
        |out: &OutboundGroupSession, identity: &IdentityKeyPair| -> (u32, [u8; 32]) {
            let d = out.distribution(identity);
            let bytes = d.to_bytes();
            (
                d.iteration(),
                bytes[bytes.len() - 32..].try_into().expect("32"),
            )
        };

    macro_rules! event {
        ($($t:tt)*) => {
            events.push(json!($($t)*))
        };
    }

    let distribution =
        |out: &OutboundGroupSession,
         chains: &[ChainInfo],
         current: usize,
         events: &mut Vec<Value>,
         distributions: &mut BTreeMap<&str, (Vec<u8>, Value)>| {
            let c = &chains[current];
            let dist = out.distribution(&alice);
            let bytes = dist.to_bytes().to_vec();
            let ann = dist.announcement();
            let ann_bytes = ann.to_bytes();
            let signed = announcement_message(&alice_ed, c.chain_id, &c.signing_public);
            assert!(alice.public().signing_key().verify(&signed, &ann.signature));
            assert_eq!(ann.signing_key.as_bytes(), &c.signing_public);
            assert_eq!(
                SenderKeyDistribution::from_bytes(&bytes)
                    .expect("decodes")
                    .to_bytes()
                    .to_vec(),
                bytes
            );
            let iteration = dist.iteration();
            events.push(json!({"op": "distribution", "chain": c.name}));
            distributions.insert(
                c.name,
                (
                    bytes.clone(),
                    json!({
                        "chain": c.name,
                        "iteration": iteration,
                        "chain_key": hx(&c.keys[iteration as usize]),
                        "announcement": {
                            "signed_message": hx(&signed),
                            "signature": hx(&ann.signature.to_bytes()),
                            "bytes": hx(&ann_bytes),
                        },
                        "bytes": hx(&bytes),
                    }),
                ),
            );
        };

    let send = |id: &str,
                out: &mut OutboundGroupSession,
                chains: &[ChainInfo],
                current: usize,
                messages: &mut BTreeMap<String, (usize, u32, Vec<u8>)>,
                traces: &mut Vec<Value>| {
        let c = &chains[current];
        let (i, before) = chain_key_now(out, &alice);
        assert_eq!(before, c.keys[i as usize]);
        let pt = plaintext(id);
        let bytes = out.encrypt(&pt).expect("encrypt");
        let (i2, after) = chain_key_now(out, &alice);
        assert_eq!((i2, after), (i + 1, c.keys[i as usize + 1]));
        let mk = c.message_keys[i as usize];
        let (header, rest) = bytes.split_at(10);
        let (ct, sig) = rest.split_at(rest.len() - 64);
        assert_eq!(header[..2], [0x01, 0x20]);
        assert_eq!(header[2..6], c.chain_id.to_be_bytes());
        assert_eq!(header[6..10], i.to_be_bytes());
        assert_eq!(
            aead::open(&mk, &[0u8; 12], header, ct).expect("AEAD"),
            pt,
            "{id}: MK_i opens"
        );
        let signed = [GROUP_MESSAGE_LABEL, &bytes[..bytes.len() - 64]].concat();
        let key = Ed25519PublicKey::from_bytes(&c.signing_public).expect("key");
        assert!(key.verify(
            &signed,
            &Signature::from_bytes(&sig.try_into().expect("64"))
        ));
        traces.push(json!({
            "id": id,
            "chain": c.name,
            "iteration": i,
            "chain_key_before": hx(&before),
            "message_key": hx(&mk),
            "chain_key_after": hx(&after),
            "header": hx(header),
            "ciphertext_and_tag": hx(ct),
            "signature": hx(sig),
            "bytes": hx(&bytes),
        }));
        messages.insert(id.to_string(), (current, i, bytes));
    };

    // --- chain 1 is distributed; Bob keeps an inbound session, Carol a ring.
    distribution(&out, &chains, current, &mut events, &mut distributions);
    let dist1 = SenderKeyDistribution::from_bytes(&distributions["chain1"].0).expect("decode");
    event!({"op": "join", "who": "bob", "as": "inbound", "distribution": "chain1"});
    receivers.insert(
        "bob",
        Receiver::Inbound(
            Box::new(InboundGroupSession::new(&dist1, alice.public()).expect("inbound")),
            Model::new(0, 0, true),
        ),
    );
    event!({"op": "join", "who": "carol", "as": "ring", "distribution": "chain1"});
    receivers.insert(
        "carol",
        Receiver::Ring(
            Box::new(SenderKeyRing::new(&dist1, alice.public()).expect("ring")),
            vec![Model::new(0, 0, true)],
        ),
    );

    let mut deliver = |id: &str,
                       to: &'static str,
                       receivers: &mut BTreeMap<&str, Receiver>,
                       events: &mut Vec<Value>,
                       messages: &BTreeMap<String, (usize, u32, Vec<u8>)>,
                       chains: &[ChainInfo]| {
        let (chain, iteration, bytes) = &messages[id];
        let r = receivers.get_mut(to).expect("receiver");
        let (pt, case) = match r {
            Receiver::Inbound(s, m) => {
                assert_eq!(m.chain, *chain);
                (s.decrypt(bytes).expect("decrypt"), m.deliver(*iteration))
            }
            Receiver::Ring(s, ms) => {
                let m = ms
                    .iter_mut()
                    .find(|m| m.chain == *chain)
                    .expect("chain held");
                (s.decrypt(bytes).expect("decrypt"), m.deliver(*iteration))
            }
        };
        assert_eq!(pt, plaintext(id));
        r.check(chains);
        events.push(json!({"op": "deliver", "id": id, "to": to}));
        deliveries.push(json!({
            "event": events.len() - 1,
            "id": id,
            "to": to,
            "case": case,
            "receiver_after": r.to_json(chains),
        }));
    };

    for id in ["m0", "m1", "m2", "m3"] {
        event!({"op": "send", "id": id});
        send(id, &mut out, &chains, current, &mut messages, &mut traces);
    }
    for id in ["m0", "m1", "m3"] {
        deliver(id, "bob", &mut receivers, &mut events, &messages, &chains);
    }
    let Receiver::Inbound(bob, bob_model) = &receivers["bob"] else {
        unreachable!()
    };
    kept.push((
        "bob_m2_outstanding",
        Kept::Inbound(bob.clone(), bob_model.to_json(&chains)),
    ));
    event!({"op": "keep", "who": "bob", "state": "bob_m2_outstanding"});
    deliver("m2", "bob", &mut receivers, &mut events, &messages, &chains);
    for id in ["m0", "m1", "m2", "m3"] {
        deliver(id, "carol", &mut receivers, &mut events, &messages, &chains);
    }

    // --- Bob exports his session at iteration 6 (position 4); Dave imports.
    let Receiver::Inbound(bob, _) = &receivers["bob"] else {
        unreachable!()
    };
    let position = bob.position();
    let export = bob.export_at(6).expect("export").to_vec();
    let imported = InboundGroupSession::import(&export).expect("import");
    event!({"op": "export", "who": "bob", "iteration": 6, "name": "bob_at_6"});
    exports.push(json!({
        "name": "bob_at_6",
        "who": "bob",
        "position": position,
        "iteration": 6,
        "chain_key": hx(&chains[0].keys[6]),
        "bytes": hx(&export),
    }));
    export_bytes.insert("bob_at_6".into(), export);
    event!({"op": "import", "who": "dave", "export": "bob_at_6"});
    let dave = Receiver::Inbound(Box::new(imported), Model::new(0, 6, false));
    dave.check(&chains);
    receivers.insert("dave", dave);

    // --- the rest of chain 1, up to the message limit.
    for id in ["m4", "m5", "m6", "m7"] {
        event!({"op": "send", "id": id});
        send(id, &mut out, &chains, current, &mut messages, &mut traces);
    }
    kept.push((
        "outbound_chain1_full",
        Kept::Outbound(
            Box::new(out.clone()),
            outbound_json(&out, &chains[current], created_at, removed),
        ),
    ));
    event!({"op": "keep", "who": "alice", "state": "outbound_chain1_full"});
    assert_eq!(
        out.rotation_due(T_ROTATE),
        Some(RotationReason::MessageLimit)
    );
    assert_eq!(
        out.encrypt(b"refused"),
        Err(EncryptError::RotationRequired(RotationReason::MessageLimit))
    );
    rng.label_none("a refused encrypt");
    event!({"op": "refuse_encrypt", "now": T_ROTATE, "rotation_due": "MessageLimit",
            "error": "RotationRequired(MessageLimit)"});
    for id in ["m4", "m5", "m6", "m7"] {
        deliver(id, "bob", &mut receivers, &mut events, &messages, &chains);
    }
    // Dave's export starts at 6: m5 is before it.
    {
        let Receiver::Inbound(dave, _) = receivers.get_mut("dave").expect("dave") else {
            unreachable!()
        };
        let before = dave.to_bytes().to_vec();
        assert!(matches!(
            dave.decrypt(&messages["m5"].2),
            Err(qorgan::DecryptError::BeforeFirstIteration {
                iteration: 5,
                first: 6
            })
        ));
        assert_eq!(dave.to_bytes().to_vec(), before);
        event!({"op": "refuse_delivery", "id": "m5", "to": "dave", "error": "BeforeFirstIteration"});
    }
    deliver(
        "m7",
        "dave",
        &mut receivers,
        &mut events,
        &messages,
        &chains,
    );
    let Receiver::Inbound(dave, dave_model) = &receivers["dave"] else {
        unreachable!()
    };
    kept.push((
        "dave_imported_m6_outstanding",
        Kept::Inbound(dave.clone(), dave_model.to_json(&chains)),
    ));
    event!({"op": "keep", "who": "dave", "state": "dave_imported_m6_outstanding"});
    deliver(
        "m6",
        "dave",
        &mut receivers,
        &mut events,
        &messages,
        &chains,
    );
    for id in ["m4", "m5", "m7"] {
        deliver(id, "carol", &mut receivers, &mut events, &messages, &chains);
    }

    // --- rotation: chain 2, distributed to Carol's ring.
    out.rotate(&mut rng, T_ROTATE);
    let d = rng.label(&[
        ("chain2.chain_id", 4),
        ("chain2.chain_key", 32),
        ("chain2.signing_seed", 32),
    ]);
    chains.push(ChainInfo::new("chain2", &d[0], &d[1], &d[2]));
    current = 1;
    created_at = T_ROTATE;
    assert_eq!(out.chain_id(), chains[1].chain_id);
    assert_eq!(out.iteration(), 0);
    event!({"op": "rotate", "now": T_ROTATE, "chain": "chain2"});
    distribution(&out, &chains, current, &mut events, &mut distributions);
    let dist2 = SenderKeyDistribution::from_bytes(&distributions["chain2"].0).expect("decode");
    {
        let Receiver::Ring(ring, models) = receivers.get_mut("carol").expect("carol") else {
            unreachable!()
        };
        ring.add(&dist2, alice.public()).expect("add");
        models.push(Model::new(1, 0, true));
    }
    receivers["carol"].check(&chains);
    event!({"op": "add", "who": "carol", "distribution": "chain2"});
    for id in ["n0", "n1", "n2"] {
        event!({"op": "send", "id": id});
        send(id, &mut out, &chains, current, &mut messages, &mut traces);
    }
    deliver(
        "n1",
        "carol",
        &mut receivers,
        &mut events,
        &messages,
        &chains,
    );
    let Receiver::Ring(ring, ring_models) = &receivers["carol"] else {
        unreachable!()
    };
    kept.push((
        "carol_ring_two_chains",
        Kept::Ring(
            ring.clone(),
            json!(
                ring_models
                    .iter()
                    .map(|m| m.to_json(&chains))
                    .collect::<Vec<_>>()
            ),
        ),
    ));
    event!({"op": "keep", "who": "carol", "state": "carol_ring_two_chains"});
    for id in ["n0", "m6", "n2"] {
        deliver(id, "carol", &mut receivers, &mut events, &messages, &chains);
    }

    // --- a member leaves: the sender must rotate before sending again.
    out.mark_member_removed();
    removed = true;
    event!({"op": "mark_member_removed"});
    assert_eq!(
        out.encrypt(b"refused"),
        Err(EncryptError::RotationRequired(
            RotationReason::MemberRemoved
        ))
    );
    event!({"op": "refuse_encrypt", "now": T_ROTATE, "rotation_due": "MemberRemoved",
            "error": "RotationRequired(MemberRemoved)"});
    assert_eq!(
        out.rotation_due(T_ROTATE),
        Some(RotationReason::MemberRemoved)
    );
    kept.push((
        "outbound_chain2_member_removed",
        Kept::Outbound(
            Box::new(out.clone()),
            outbound_json(&out, &chains[current], created_at, removed),
        ),
    ));
    event!({"op": "keep", "who": "alice", "state": "outbound_chain2_member_removed"});
    rng.label_none("group operations other than new, rotate and seal");

    // --- every message was delivered to every receiver that can read it.
    let mut got: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for d in &deliveries {
        got.entry(match d["to"].as_str().expect("to") {
            "bob" => "bob",
            "carol" => "carol",
            _ => "dave",
        })
        .or_default()
        .insert(d["id"].as_str().expect("id").to_string());
    }
    assert_eq!(got["bob"].len(), 8);
    assert_eq!(got["carol"].len(), 11);
    assert_eq!(got["dave"].len(), 2);

    // --- state at rest, sealed in the order kept.
    let storage_key = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    let mut states = Vec::new();
    for (name, k) in &kept {
        let nonce = format!("seal.{name}.nonce");
        let (kind, plain, sealed, fields) = match k {
            Kept::Outbound(s, f) => {
                let sealed = s.seal(&mut rng, &storage_key);
                let reopened = OutboundGroupSession::open(&storage_key, &sealed).expect("open");
                assert_eq!(*reopened.to_bytes(), *s.to_bytes());
                (0x42, s.to_bytes().to_vec(), sealed, f.clone())
            }
            Kept::Inbound(s, f) => {
                let sealed = s.seal(&mut rng, &storage_key);
                let reopened = InboundGroupSession::open(&storage_key, &sealed).expect("open");
                assert_eq!(*reopened.to_bytes(), *s.to_bytes());
                let mut f = f.clone();
                f["sender"] = json!(hx(&alice.public().to_field_bytes()));
                f["group_id"] = json!(hx(GROUP_ID));
                (0x43, s.to_bytes().to_vec(), sealed, f)
            }
            Kept::Ring(s, f) => {
                let sealed = s.seal(&mut rng, &storage_key);
                let reopened = SenderKeyRing::open(&storage_key, &sealed).expect("open");
                assert_eq!(*reopened.to_bytes(), *s.to_bytes());
                let chains_json: Vec<Value> = f
                    .as_array()
                    .expect("chains")
                    .iter()
                    .map(|c| {
                        let mut c = c.clone();
                        c["sender"] = json!(hx(&alice.public().to_field_bytes()));
                        c["group_id"] = json!(hx(GROUP_ID));
                        c
                    })
                    .collect();
                (
                    0x44,
                    s.to_bytes().to_vec(),
                    sealed,
                    json!({"chains": chains_json}),
                )
            }
        };
        let n = rng.label(&[(&nonce, 24)]).remove(0);
        assert_eq!(&sealed[..3], &[0x01, 0x5E, kind]);
        assert_eq!(&sealed[3..27], n.as_slice());
        states.push(json!({
            "name": name,
            "kind": kind,
            "nonce_draw": nonce,
            "fields": fields,
            "plain": hx(&plain),
            "sealed": hx(&sealed),
        }));
    }

    // --- batch verification (§2.4), no randomness.
    let item_of = |source: &str| -> BatchItem {
        if let Some(chain) = source.strip_prefix("announcement ") {
            let c = chains.iter().find(|c| c.name == chain).expect("chain");
            let v = &distributions[chain].1["announcement"];
            BatchItem {
                source: source.to_string(),
                modified: None,
                message: announcement_message(&alice_ed, c.chain_id, &c.signing_public),
                signature: crate::hex::decode(v["signature"].as_str().expect("hex"))
                    .expect("hex")
                    .try_into()
                    .expect("64"),
                key: alice_ed,
            }
        } else {
            let (chain, _, bytes) = &messages[source];
            let n = bytes.len();
            BatchItem {
                source: source.to_string(),
                modified: None,
                message: [GROUP_MESSAGE_LABEL, &bytes[..n - 64]].concat(),
                signature: bytes[n - 64..].try_into().expect("64"),
                key: chains[*chain].signing_public,
            }
        }
    };
    let sources = [
        "announcement chain1",
        "m0",
        "m1",
        "m2",
        "m3",
        "m4",
        "m5",
        "m6",
        "m7",
        "announcement chain2",
        "n0",
        "n1",
        "n2",
    ];
    let mut tampered: Vec<BatchItem> = sources.iter().map(|s| item_of(s)).collect();
    // m6's ciphertext with its first bit flipped: encodings fine, equation not.
    let pos = GROUP_MESSAGE_LABEL.len() + 10;
    tampered[7].message[pos] ^= 0x01;
    tampered[7].modified = Some("first ciphertext bit flipped");
    let (b0_in, b0_ex) = batch_case(
        "one_forged_message",
        "the 11 group messages and the 2 announcements, m6's ciphertext modified: its \
         signature fails the equation, so the whole combination fails and bisection \
         isolates item 7",
        &tampered,
    );
    let mut non_canonical: Vec<BatchItem> = sources.iter().map(|s| item_of(s)).collect();
    let s = add_l(&non_canonical[11].signature[32..]);
    non_canonical[11].signature[32..].copy_from_slice(&s);
    non_canonical[11].modified = Some("S replaced by S + L");
    let (b1_in, b1_ex) = batch_case(
        "one_non_canonical_s",
        "the same 13 items unmodified except n1, whose S is replaced by S + L (same value \
         mod L, not canonical): it is rejected by the encoding rules before the \
         combination, takes no part in the seed and has no weight; the other items keep \
         their input index in z_i",
        &non_canonical,
    );

    let draws = rng.take_log();
    let ids: Vec<&str> = [
        "m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "n0", "n1", "n2",
    ]
    .to_vec();
    json!({
        "description": "Sender-key groups (docs/PROTOCOL.md §12), their state (§7.4, sealed as \
            §7.1) and batch verification (§2.4). One generator rng(seed); inputs.draws lists \
            every random draw in order (purpose, offset, §2.6): Alice's identity, \
            OutboundGroupSession::new (chain id, chain key and signing seed of chain1), rotate (chain2), the storage key \
            and one nonce per sealed state. inputs.events is the exact order of operations: \
            distribution (the sender's distribution of the named chain at its current \
            iteration), join (a member creates an inbound session or a ring from it; the \
            distribution arrived over the 1:1 session with Alice), send, deliver, export / \
            import, refuse_encrypt and refuse_delivery (the call fails with the error named \
            and changes nothing), rotate, add (a ring adds a distribution), \
            mark_member_removed, keep (the state named is kept for expected.states). \
            Coverage: m2 has an empty plaintext, m5 100 bytes; Bob receives m3 before m2; \
            Bob's export at iteration 6 (position 4) is imported by Dave (unverified, first \
            iteration 6), who refuses m5 and receives m7 before m6; the policy allows 8 \
            messages, so the 9th encrypt is refused and Alice rotates; Carol's ring keeps \
            chain1 readable after it adds chain2, receives n1 before n0 and m6 after n1. \
            expected.messages traces each encrypt (chain keys, message key, header, \
            ChaCha20-Poly1305 under MK_i with nonce 0^12 and AD = header, Ed25519 signature \
            over \"qorgan/v1/group-message\" || header || ciphertext); expected.deliveries \
            gives the receiver's secrets after each delivery. expected.states lists plain and \
            sealed states with their fields (§7.4). inputs.batch / expected.batch: two batch \
            verifications with one invalid item each: per item whether the encodings pass, \
            k_i, the batch seed, the weights z_i (16 bytes, little-endian integer; null for \
            items rejected by the encoding rules) and the verdicts, which equal single \
            verification's. All byte strings are lower-case hex.",
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
                "chain": chains[messages[*id].0].name,
                "plaintext": text_json(&plaintext(id)),
            })).collect::<Vec<_>>(),
            "events": events,
            "batch": [b0_in, b1_in],
        },
        "expected": {
            "sender_identity": identity_json(alice.public()),
            "chains": chains.iter().map(ChainInfo::to_json).collect::<Vec<_>>(),
            "distributions": distributions.values().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            "messages": traces,
            "deliveries": deliveries,
            "exports": exports,
            "states": states,
            "batch": [b0_ex, b1_ex],
        },
    })
}

// ------------------------------------------------------- the fixture

/// The group state fixture of the current version.
pub(super) fn group_fixture_current() -> Value {
    let mut rng = crate::rng(GROUP_FIXTURE_SEED);
    let group = b"qorgan/fixture/group-v1";
    let policy = RotationPolicy {
        max_messages: 100,
        max_age_secs: 604_800,
    };
    let now = 1_700_000_000u64;
    // Alice's identity lives in her prekey store, as in an application.
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let alice_store = PreKeyStore::new(&mut rng, alice_id);
    let alice = alice_store.identity();
    let mut out = OutboundGroupSession::new(&mut rng, group, policy, now).expect("new");
    let text = |s: &str| s.as_bytes().to_vec();
    let mut ring = SenderKeyRing::new(&out.distribution(alice), alice.public()).expect("ring");
    let g: Vec<Vec<u8>> = (0..4)
        .map(|i| out.encrypt(&text(&format!("g{i}: chain 1"))).expect("g"))
        .collect();
    for i in [0, 2] {
        assert_eq!(
            ring.decrypt(&g[i]).expect("g"),
            text(&format!("g{i}: chain 1"))
        );
    }
    out.rotate(&mut rng, now + 3600);
    let dist2 = out.distribution(alice);
    ring.add(&dist2, alice.public()).expect("add");
    let mut bob = InboundGroupSession::new(&dist2, alice.public()).expect("inbound");
    let h: Vec<Vec<u8>> = (0..4)
        .map(|i| out.encrypt(&text(&format!("h{i}: chain 2"))).expect("h"))
        .collect();
    for i in [0, 2] {
        assert_eq!(
            bob.decrypt(&h[i]).expect("h"),
            text(&format!("h{i}: chain 2"))
        );
    }
    assert_eq!(ring.decrypt(&h[3]).expect("h3"), text("h3: chain 2"));
    assert_eq!(bob.skipped_key_count(), 1, "h1");
    let skipped: Vec<usize> = ring.chains().map(|c| c.skipped_key_count()).collect();
    assert_eq!(skipped, [1, 3], "g1; h0, h1, h2");
    let key = StorageKey::generate(&mut rng);
    let outbound_sealed = out.seal(&mut rng, &key);
    let bob_sealed = bob.seal(&mut rng, &key);
    let ring_sealed = ring.seal(&mut rng, &key);
    let store_sealed = alice_store.seal(&mut rng, &key);
    let msg = |id: &str, bytes: &[u8], chain: u32| {
        let pt = if id.starts_with('g') {
            format!("{id}: chain 1")
        } else {
            format!("{id}: chain 2")
        };
        json!({"id": id, "chain": chain, "bytes": hx(bytes), "plaintext": text_json(pt.as_bytes())})
    };
    json!({
        "description": "Group state fixture of the state_version below, generated once by \
            gen-vectors (tests/src/vectors/group.rs, group_fixture_current, seed below) with the \
            release that introduced that version, and kept unchanged forever: every later \
            release must still load it (tests/tests/fixtures.rs). Alice (identity held in her \
            prekey store, sealed below) started an outbound group session (policy: 100 \
            messages, 604800 s; created at 1700000000) and sent g0..g3 on chain 1; Carol's \
            SenderKeyRing received g0 and g2. Alice rotated (at 1700003600) to chain 2, whose \
            distribution Carol's ring added and Bob's InboundGroupSession was created from; \
            Alice sent h0..h3; Bob received h0 and h2, Carol's ring h3. States: Alice's \
            outbound session (chain 2, next iteration 4), Bob's inbound session (position 3, \
            skipped key of h1), Carol's ring (chain 1 at position 3 with g1's key, chain 2 at \
            position 4 with the keys of h0..h2), all sealed under storage_key, the outbound, \
            inbound and ring also plain. pending_for_bob and pending_for_carol are the \
            messages each has not received, in the order the test delivers them. All byte \
            strings are lower-case hex.",
        "seed": GROUP_FIXTURE_SEED,
        "state_version": qorgan::wire::VERSION,
        "storage_key": hx(&*key.to_bytes()),
        "group_id": text_json(group),
        "alice_store": {"sealed": hx(&store_sealed)},
        "alice_outbound": {"plain": hx(&out.to_bytes()), "sealed": hx(&outbound_sealed)},
        "bob_inbound": {"plain": hx(&bob.to_bytes()), "sealed": hx(&bob_sealed)},
        "carol_ring": {"plain": hx(&ring.to_bytes()), "sealed": hx(&ring_sealed)},
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
