//! `roster.json`: group rosters and the chains bound to them
//! (docs/PROTOCOL.md §15, §7.4 version 3). Three people (Alice, Bob,
//! Carol), each an account with one device; four rosters of one group
//! (Alice creates it with Bob, adds Carol, promotes Bob, and Bob removes
//! Carol), every field, signature and head; the advances and the history
//! a device checks; Alice's sender-key chains bound to the rosters
//! (announcement, distribution and export of group version 3, the message
//! signatures covering the roster head), the rotations every roster change
//! forces, what each receiver admits or refuses, the distribution only to
//! members' devices, and the version 3 group states, plain and sealed.
//! Also the roster fixture (`fixtures/roster-v1.json`) and the version 3
//! group state fixture (`fixtures/group-state-v3.json`).
//!
//! The generator computes the chains itself from the recorded draws
//! (group `KDF_CK`, commitments, announced fields, message contexts, the
//! roster encodings and heads) and checks qorgan against it at each step;
//! `tests/tests/vectors/independent.rs` re-derives everything from the
//! spec.

use std::collections::BTreeMap;

use qorgan::account::{Account, AccountKey, AccountKeyPair, ListHead};
use qorgan::primitives::aead;
use qorgan::roster::{Member, Role, Roster, RosterChange, distribute_in_roster};
use qorgan::verify::{Item, verify};
use qorgan::{
    EncryptError, GroupError, GroupPlaintext, IdentityKeyPair, InboundGroupSession,
    OutboundGroupSession, PreKeyStore, RosterError, RotationPolicy, RotationReason,
    SenderKeyAnnouncement, SenderKeyDistribution, SenderKeyRing, Session, StorageKey,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::account::head_json;
use super::group::{commitment, ed25519_public, group_id_field, group_kdf_ck};
use super::{RecordingRng, errors, identity_generate, identity_json, sealed_json, text_json};
use crate::hex::encode as hx;

/// Seed of `roster.json`.
pub const ROSTER_SEED: u64 = 11;
/// Seed of the generator the 1:1 sessions of `distribute_in_roster` are
/// made with (their draws are not part of `roster.json`).
pub const ROSTER_SESSIONS_SEED: u64 = 12;
/// Seed of the roster fixture of roster version 1.
pub const ROSTER_FIXTURE_SEED: u64 = 106;
/// Seed of the group state fixture of group version 3.
pub const ROSTERED_GROUP_FIXTURE_SEED: u64 = 108;

/// The roster signature label (§3, §15.1).
pub const ROSTER_LABEL: &[u8] = b"qorgan/v1/roster";
/// The roster hash label (§3, §15.2).
pub const ROSTER_HASH_LABEL: &[u8] = b"qorgan/v1/roster-hash";

const GROUP_ID: &[u8] = b"qorgan/vectors/roster-1";
const POLICY: RotationPolicy = RotationPolicy {
    max_messages: 100,
    max_age_secs: 604_800,
};
const T0: u64 = 1_700_000_000;
/// Steps of every chain the generator tabulates.
const CHAIN_STEPS: usize = 8;

pub(super) fn check_labels() {
    assert_eq!(ROSTER_LABEL, qorgan::labels::ROSTER);
    assert_eq!(ROSTER_HASH_LABEL, qorgan::labels::ROSTER_HASH);
    assert_eq!(
        (
            qorgan::wire::ROSTER_VERSION,
            qorgan::wire::TYPE_ROSTER,
            qorgan::wire::ROSTERED_GROUP_VERSION
        ),
        (0x01, 0x34, 0x03)
    );
}

/// `u64(epoch) || hash`: a roster head inside a format.
pub fn head_bytes(h: &ListHead) -> Vec<u8> {
    [&h.version.to_be_bytes()[..], &h.hash].concat()
}

/// A roster's member as the files write it.
fn member_json(m: &Member) -> Value {
    json!({
        "account": hx(&m.account.to_bytes()),
        "role": match m.role { Role::Admin => "admin", Role::Member => "member" },
    })
}

/// What a roster update changed (§15.3).
pub fn roster_change_json(c: &RosterChange) -> Value {
    json!({
        "group_id": hx(&c.group_id),
        "from": head_json(&c.from),
        "to": head_json(&c.to),
        "added": c.added.iter().map(member_json).collect::<Vec<_>>(),
        "removed": c.removed.iter().map(|a| hx(&a.to_bytes())).collect::<Vec<_>>(),
        "role_changed": c.role_changed.iter().map(member_json).collect::<Vec<_>>(),
        "is_empty": c.is_empty(),
    })
}

/// The §15.1 encoding, made by hand from its fields and the signer's seed.
pub fn roster_by_hand(
    group_id: &[u8],
    epoch: u64,
    previous: &[u8; 32],
    members: &[([u8; 32], u8)],
    signer_seed: &[u8; 32],
) -> Vec<u8> {
    let signer = ed25519_public(signer_seed);
    let mut b = vec![0x01, 0x34];
    b.extend_from_slice(&group_id_field(group_id));
    b.extend_from_slice(&epoch.to_be_bytes());
    b.extend_from_slice(previous);
    b.extend_from_slice(&(members.len() as u32).to_be_bytes());
    for (k, role) in members {
        b.extend_from_slice(k);
        b.push(*role);
    }
    b.extend_from_slice(&signer);
    let sig = super::group_negative::sign(signer_seed, &[ROSTER_LABEL, &b].concat());
    b.extend_from_slice(&sig);
    b
}

/// A roster with every field (§15.1, §15.2), checked against the layout.
fn roster_json(name: &str, r: &Roster, previous: Option<&Roster>, signer_seed: &[u8; 32]) -> Value {
    let bytes = r.to_bytes();
    assert_eq!(Roster::from_bytes(&bytes).expect("verifies"), *r);
    let members: Vec<([u8; 32], u8)> = r
        .members()
        .iter()
        .map(|m| (m.account.to_bytes(), u8::from(m.role == Role::Admin)))
        .collect();
    assert_eq!(
        roster_by_hand(
            r.group_id(),
            r.epoch(),
            &r.previous().unwrap_or([0; 32]),
            &members,
            signer_seed
        ),
        bytes,
        "§15.1 layout"
    );
    let body = &bytes[..bytes.len() - 64];
    let hash: [u8; 32] = Sha256::digest([ROSTER_HASH_LABEL, &bytes].concat()).into();
    assert_eq!(r.head().hash, hash, "§15.2 head");
    assert_eq!(verify(&Item::Roster(&bytes)), Ok(()));
    let after = previous.map(|p| {
        assert!(r.follows(&p.head()));
        assert_eq!(
            verify(&Item::RosterAfter {
                previous: p,
                roster: &bytes
            }),
            Ok(())
        );
        "ok"
    });
    json!({
        "name": name,
        "group_id": hx(r.group_id()),
        "epoch": r.epoch(),
        "previous": hx(&r.previous().unwrap_or([0; 32])),
        "members": r.members().iter().map(member_json).collect::<Vec<_>>(),
        "signer": hx(&r.signer().to_bytes()),
        "signed_message": hx(&[ROSTER_LABEL, body].concat()),
        "signature": hx(&bytes[bytes.len() - 64..]),
        "bytes": hx(&bytes),
        "head": head_json(&r.head()),
        "verify": "ok",
        "verify_after_previous": after,
    })
}

/// `F3` of §15.4.
pub fn rostered_fields(
    sender_ed: &[u8; 32],
    group_id: &[u8],
    roster: &ListHead,
    chain_id: u32,
    rotation: u32,
    signing: &[u8; 32],
) -> Vec<u8> {
    [
        &sender_ed[..],
        &group_id_field(group_id),
        &head_bytes(roster),
        &chain_id.to_be_bytes(),
        &rotation.to_be_bytes(),
        signing,
    ]
    .concat()
}

/// The sender context of a version 3 chain's message signatures (§15.4).
pub fn rostered_context(sender_ed: &[u8; 32], group_id: &[u8], roster: &ListHead) -> Vec<u8> {
    [
        &sender_ed[..],
        &group_id_field(group_id),
        &head_bytes(roster),
    ]
    .concat()
}

/// One of Alice's chains, from its draws.
struct Chain {
    name: String,
    chain_id: u32,
    rotation: u32,
    roster: ListHead,
    signing_seed: [u8; 32],
    signing_public: [u8; 32],
    keys: Vec<[u8; 32]>,
    message_keys: Vec<[u8; 32]>,
}

impl Chain {
    fn new(name: &str, rotation: u32, roster: ListHead, draws: &[Vec<u8>]) -> Self {
        let mut keys = vec![<[u8; 32]>::try_from(draws[1].as_slice()).expect("32")];
        let mut message_keys = Vec::new();
        for _ in 0..CHAIN_STEPS {
            let (mk, next) = group_kdf_ck(keys.last().expect("key"));
            message_keys.push(mk);
            keys.push(next);
        }
        let signing_seed: [u8; 32] = draws[2].as_slice().try_into().expect("32");
        Self {
            name: name.into(),
            chain_id: u32::from_be_bytes(draws[0].as_slice().try_into().expect("4")),
            rotation,
            roster,
            signing_seed,
            signing_public: ed25519_public(&signing_seed),
            keys,
            message_keys,
        }
    }
}

/// Draws a chain (`new_in_roster` or `rotate`) and names its three draws.
fn label_chain(rng: &mut RecordingRng, name: &str) -> Vec<Vec<u8>> {
    rng.label(&[
        (&format!("{name}.chain_id"), 4),
        (&format!("{name}.chain_key"), 32),
        (&format!("{name}.signing_seed"), 32),
    ])
}

/// An announcement, distribution and their signed messages (§15.4),
/// checked against the layout.
fn chain_json(
    c: &Chain,
    alice: &IdentityKeyPair,
    identity_seed: &[u8; 32],
    dist: &SenderKeyDistribution,
) -> Value {
    let a = &dist.announcement;
    let sender_ed = *alice.public().signing_key().as_bytes();
    let f = rostered_fields(
        &sender_ed,
        GROUP_ID,
        &c.roster,
        c.chain_id,
        c.rotation,
        &c.signing_public,
    );
    let possession_msg = [super::group::POSSESSION_LABEL, &f].concat();
    let identity_msg = [super::group::SENDER_KEY_LABEL, &f].concat();
    let possession = super::group_negative::sign(&c.signing_seed, &possession_msg);
    let signature = super::group_negative::sign(identity_seed, &identity_msg);
    assert_eq!(a.possession.to_bytes(), possession);
    assert_eq!(a.signature.to_bytes(), signature);
    assert_eq!(a.roster, Some(c.roster));
    let body = [
        &alice.public().to_field_bytes()[..],
        &group_id_field(GROUP_ID),
        &head_bytes(&c.roster),
        &c.chain_id.to_be_bytes(),
        &c.rotation.to_be_bytes(),
        &c.signing_public,
        &possession,
        &signature,
    ]
    .concat();
    let announcement = [&[0x03, 0x23][..], &body].concat();
    assert_eq!(a.to_bytes(), announcement, "§15.4 announcement layout");
    assert_eq!(
        SenderKeyAnnouncement::from_bytes(&announcement).expect("verifies"),
        *a
    );
    assert_eq!(verify(&Item::Announcement(&announcement)), Ok(()));
    let j = dist.iteration();
    let distribution = [
        &[0x03, 0x21][..],
        &body,
        &j.to_be_bytes(),
        &c.keys[j as usize],
    ]
    .concat();
    assert_eq!(*dist.to_bytes(), distribution, "§15.4 distribution layout");
    json!({
        "name": c.name,
        "chain_id": c.chain_id,
        "rotation": c.rotation,
        "roster": head_json(&c.roster),
        "chain_id_draw": format!("{}.chain_id", c.name),
        "chain_key_draw": format!("{}.chain_key", c.name),
        "signing_seed_draw": format!("{}.signing_seed", c.name),
        "signing_public": hx(&c.signing_public),
        "announced_fields": hx(&f),
        "possession_message": hx(&possession_msg),
        "possession": hx(&possession),
        "identity_message": hx(&identity_msg),
        "signature": hx(&signature),
        "announcement": hx(&announcement),
        "distribution": {"iteration": j, "chain_key": hx(&c.keys[j as usize]), "bytes": hx(&distribution)},
        "message_context": hx(&rostered_context(&sender_ed, GROUP_ID, &c.roster)),
    })
}

/// A receiver's chain as the spec says it holds it.
fn inbound_json(s: &InboundGroupSession, c: &Chain) -> Value {
    assert_eq!(s.chain_id(), c.chain_id);
    assert_eq!(s.announcement().roster, Some(c.roster));
    let skipped: Vec<Value> = (s.first_iteration()..s.position())
        .filter(|i| s.can_decrypt(*i))
        .map(|i| json!({"iteration": i, "message_key": hx(&c.message_keys[i as usize])}))
        .collect();
    assert_eq!(skipped.len(), s.skipped_key_count());
    json!({
        "chain": c.name,
        "chain_id": c.chain_id,
        "rotation": c.rotation,
        "roster": head_json(&c.roster),
        "signing_key": hx(&c.signing_public),
        "first_iteration": s.first_iteration(),
        "position": s.position(),
        "chain_key": hx(&c.keys[s.position() as usize]),
        "skipped": skipped,
    })
}

fn provenance_json(p: &GroupPlaintext) -> Value {
    json!({
        "sender": hx(&p.sender.to_field_bytes()),
        "group_id": hx(&p.group_id),
        "roster": p.roster.as_ref().map(head_json),
        "chain_id": p.chain_id,
        "rotation": p.rotation,
        "iteration": p.iteration,
    })
}

fn plaintext(id: &str) -> Vec<u8> {
    format!("{id}: to the rostered group").into_bytes()
}

/// A 1:1 session from `from` to a store of `to`'s identity, made with the
/// sessions generator, and the store (to open what it receives).
fn session_to(
    r: &mut chacha20::ChaCha20Rng,
    from: &IdentityKeyPair,
    to: &IdentityKeyPair,
) -> (Session, PreKeyStore) {
    let mut store = PreKeyStore::new(r, to.clone(), 0);
    let bundle = store.bundle().expect("bundle");
    (
        Session::initiate(r, from, &bundle).expect("initiate"),
        store,
    )
}

struct Scene {
    rng: RecordingRng,
    alice: IdentityKeyPair,
    alice_seed: [u8; 32],
    out: OutboundGroupSession,
    chains: Vec<Chain>,
    messages: BTreeMap<String, (usize, Vec<u8>)>,
    traces: Vec<Value>,
    deliveries: Vec<Value>,
    refusals: Vec<Value>,
    events: Vec<Value>,
}

impl Scene {
    fn current(&self) -> &Chain {
        self.chains.last().expect("chain")
    }

    fn send(&mut self, id: &str) {
        let before = self.out.iteration();
        let pt = plaintext(id);
        let m = self
            .out
            .encrypt(&mut self.rng, &self.alice, &pt)
            .expect("encrypt");
        let nonce = self.rng.label(&[(&format!("{id}.nonce"), 12)]).remove(0);
        let c = self.current();
        let i = before as usize;
        let mk = c.message_keys[i];
        let commit = commitment(&mk);
        let header = [
            &[0x02, 0x20][..],
            &c.chain_id.to_be_bytes(),
            &before.to_be_bytes(),
            &nonce,
            &commit,
        ]
        .concat();
        let mut body = header.clone();
        aead::seal(
            &mk,
            &nonce.clone().try_into().expect("12"),
            &header,
            &pt,
            &mut body,
        );
        let context = rostered_context(
            self.alice.public().signing_key().as_bytes(),
            GROUP_ID,
            &c.roster,
        );
        let signed = [super::group::GROUP_MESSAGE_LABEL, &context, &body].concat();
        let signature = super::group_negative::sign(&c.signing_seed, &signed);
        assert_eq!(
            m,
            [&body[..], &signature].concat(),
            "§12.3 with §15.4 context"
        );
        self.traces.push(json!({
            "id": id,
            "chain": c.name,
            "iteration": before,
            "plaintext": text_json(&pt),
            "chain_key_before": hx(&c.keys[i]),
            "message_key": hx(&mk),
            "chain_key_after": hx(&c.keys[i + 1]),
            "commitment": hx(&commit),
            "nonce_draw": format!("{id}.nonce"),
            "nonce": hx(&nonce),
            "header": hx(&header),
            "ciphertext_and_tag": hx(&body[54..]),
            "signed_message": hx(&signed),
            "signature": hx(&signature),
            "bytes": hx(&m),
        }));
        self.events.push(json!({"op": "encrypt", "id": id}));
        let n = self.chains.len() - 1;
        self.messages.insert(id.into(), (n, m));
    }

    /// A delivery to `who`, its case and provenance.
    fn delivered(&mut self, who: &str, roster: &str, id: &str, case: &str, got: GroupPlaintext) {
        let (chain, _) = &self.messages[id];
        assert_eq!(got.plaintext, plaintext(id));
        assert_eq!(got.roster, Some(self.chains[*chain].roster));
        self.deliveries.push(json!({
            "to": who,
            "roster": roster,
            "message": id,
            "case": case,
            "provenance": provenance_json(&got),
        }));
        self.events
            .push(json!({"op": "deliver", "id": id, "to": who, "roster": roster}));
    }

    fn refused(&mut self, who: &str, what: Value, e: (String, String)) {
        self.events
            .push(json!({"op": "refusal", "refusal": self.refusals.len()}));
        self.refusals
            .push(json!({"who": who, "what": what, "error": e.0, "kind": e.1}));
    }

    fn rotate_to(&mut self, name: &str, now: u64) {
        self.out.rotate(&mut self.rng, now).expect("rotate");
        let d = label_chain(&mut self.rng, name);
        let roster = self.out.roster().expect("rostered");
        let rotation = self.current().rotation + 1;
        self.chains.push(Chain::new(name, rotation, roster, &d));
        assert_eq!(self.out.chain_id(), self.current().chain_id);
        self.events
            .push(json!({"op": "rotate", "chain": name, "now": now}));
    }
}

/// A person of the scenario: a device identity and an account.
struct Person {
    name: &'static str,
    id: IdentityKeyPair,
    identity_seed: [u8; 32],
    account: Account,
    account_seed: [u8; 32],
}

fn person(rng: &mut RecordingRng, name: &'static str, label: &str) -> Person {
    let device = format!("{name}_phone");
    let id = identity_generate(rng, &device);
    let account = Account::create(rng, id.public(), label).expect("account");
    rng.label(&[(&format!("{name}.account_seed"), 32)]);
    Person {
        name,
        identity_seed: rng.get32(&format!("{device}.identity.ed25519_seed")),
        account_seed: rng.get32(&format!("{name}.account_seed")),
        id,
        account,
    }
}

fn key(p: &Person) -> &AccountKey {
    p.account.account_key()
}

fn served(r: &Roster) -> Roster {
    Roster::from_bytes(&r.to_bytes()).expect("verifies")
}

pub(super) fn roster_file() -> Value {
    check_labels();
    super::group::check_labels();
    let mut rng = RecordingRng::new(ROSTER_SEED);
    let alice = person(&mut rng, "alice", "Alice's phone");
    let bob = person(&mut rng, "bob", "Bob's phone");
    let carol = person(&mut rng, "carol", "Carol's phone");
    let people = [&alice, &bob, &carol];
    fn kp(p: &Person) -> &AccountKeyPair {
        p.account.key_pair().expect("holds the account key")
    }

    // §15.1: four epochs.
    let r1 = Roster::create(
        kp(&alice),
        GROUP_ID,
        vec![
            Member::new(*key(&alice), Role::Admin),
            Member::new(*key(&bob), Role::Member),
        ],
    )
    .expect("r1");
    let r2 = r1
        .with_member(kp(&alice), key(&carol), Role::Member)
        .expect("r2");
    let r3 = r2
        .with_member(kp(&alice), key(&bob), Role::Admin)
        .expect("r3");
    let r4 = r3.without_member(kp(&bob), key(&carol)).expect("r4");
    let rosters = [("r1", &r1), ("r2", &r2), ("r3", &r3), ("r4", &r4)];
    let signer_seed = |r: &Roster| {
        people
            .iter()
            .find(|p| key(p) == r.signer())
            .expect("signer")
            .account_seed
    };
    let rosters_json: Vec<Value> = rosters
        .iter()
        .enumerate()
        .map(|(i, (n, r))| {
            let prev = i.checked_sub(1).map(|j| rosters[j].1);
            roster_json(n, r, prev, &signer_seed(r))
        })
        .collect();
    let by_name = |n: &str| rosters.iter().find(|(x, _)| *x == n).expect("roster").1;

    // §15.3: advances and a history.
    let advances: [(&str, &[&str]); 4] = [
        ("r1", &["r2"]),
        ("r2", &["r3", "r4"]),
        ("r1", &["r1", "r2", "r3", "r4"]),
        ("r4", &["r4"]),
    ];
    let mut advance_inputs = Vec::new();
    let mut advance_outputs = Vec::new();
    for (held, chain) in advances {
        let chain_rosters: Vec<Roster> = chain.iter().map(|n| served(by_name(n))).collect();
        let (newest, change) = by_name(held).advance(&chain_rosters).expect("advance");
        advance_inputs.push(json!({"held": held, "chain": chain}));
        advance_outputs.push(json!({
            "newest": head_json(&newest.head()),
            "change": roster_change_json(&change),
        }));
    }
    let history = Roster::from_history(
        &[served(&r1), served(&r2), served(&r3), served(&r4)],
        &r2.head(),
    )
    .expect("history");
    assert_eq!(history, r4);

    // §15.4: Alice's chains.
    let alice_list = alice.account.list().clone();
    let out = OutboundGroupSession::new_in_roster(&mut rng, &r1, key(&alice), POLICY, T0)
        .expect("new_in_roster");
    let d = label_chain(&mut rng, "chain1");
    let mut sc = Scene {
        alice: alice.id.clone(),
        alice_seed: alice.identity_seed,
        out,
        chains: vec![Chain::new("chain1", 0, r1.head(), &d)],
        rng,
        messages: BTreeMap::new(),
        traces: Vec::new(),
        deliveries: Vec::new(),
        refusals: Vec::new(),
        events: vec![json!({"op": "new_in_roster", "roster": "r1", "chain": "chain1", "now": T0})],
    };
    assert_eq!(sc.out.to_bytes()[0], 0x03, "§7.4 version 3");
    let mut chains_json = Vec::new();
    let d1 = sc.out.distribution(&sc.alice);
    chains_json.push(chain_json(&sc.chains[0], &sc.alice, &sc.alice_seed, &d1));
    let from = *alice.id.public();
    let mut bob_ring =
        SenderKeyRing::new_in_roster(&d1, &from, &r1, &alice_list, key(&bob)).expect("bob ring");
    sc.events.push(
        json!({"op": "admit", "who": "bob", "chain": "chain1", "roster": "r1", "into": "ring"}),
    );
    sc.send("m0");
    sc.send("m1");
    let got = bob_ring
        .decrypt_in_roster(&sc.messages["m1"].1, &r1, &alice_list)
        .expect("m1");
    sc.delivered("bob", "r1", "m1", "ahead: skipped keys stored", got);
    let got = bob_ring
        .decrypt_in_roster(&sc.messages["m0"].1, &r1, &alice_list)
        .expect("m0");
    sc.delivered("bob", "r1", "m0", "stored skipped key", got);

    // Epoch 2 (Carol added): Alice applies the change; her chain must go.
    let (_, change12) = r1.advance(&[served(&r2)]).expect("advance");
    sc.out.apply_roster(&change12).expect("apply");
    sc.events
        .push(json!({"op": "apply_roster", "change": "r1 -> r2"}));
    let pending_rotation = sc.out.to_bytes().to_vec();
    assert_eq!(sc.out.rotation_due(T0), Some(RotationReason::RosterChanged));
    let e = sc
        .out
        .encrypt(&mut sc.rng, &sc.alice, b"refused")
        .expect_err("roster changed");
    sc.rng.label_none("a refused encrypt");
    assert_eq!(
        e,
        EncryptError::RotationRequired(RotationReason::RosterChanged)
    );
    sc.refused(
        "alice",
        json!({"op": "encrypt", "after": "apply_roster r1 -> r2"}),
        errors::encrypt(&e),
    );
    sc.rotate_to("chain2", T0 + 60);
    let d2 = sc.out.distribution(&sc.alice);
    chains_json.push(chain_json(&sc.chains[1], &sc.alice, &sc.alice_seed, &d2));
    bob_ring
        .add_in_roster(&d2, &from, &r2, &alice_list, key(&bob))
        .expect("bob adds chain2");
    sc.events.push(
        json!({"op": "admit", "who": "bob", "chain": "chain2", "roster": "r2", "into": "ring"}),
    );
    // Carol holds r2 (checked from the history): chain1, announced under
    // r1, is stale for her; chain2 she takes.
    let carol_roster =
        Roster::from_history(&[served(&r1), served(&r2)], &r2.head()).expect("history");
    let e = InboundGroupSession::new_in_roster(&d1, &from, &carol_roster, &alice_list, key(&carol))
        .expect_err("stale");
    assert_eq!(
        e,
        GroupError::Roster(RosterError::StaleChain {
            held: 2,
            announced: 1
        })
    );
    sc.refused(
        "carol",
        json!({"op": "admit", "chain": "chain1", "roster": "r2"}),
        errors::group(&e),
    );
    let mut carol_in =
        InboundGroupSession::new_in_roster(&d2, &from, &carol_roster, &alice_list, key(&carol))
            .expect("carol");
    sc.events.push(json!({"op": "admit", "who": "carol", "chain": "chain2", "roster": "r2", "into": "inbound"}));
    sc.send("n0");
    sc.send("n1");
    for id in ["n0", "n1"] {
        let got = bob_ring
            .decrypt_in_roster(&sc.messages[id].1, &r2, &alice_list)
            .expect("bob n");
        sc.delivered("bob", "r2", id, "next iteration", got);
    }
    let got = carol_in
        .decrypt_in_roster(&sc.messages["n1"].1, &r2, &alice_list)
        .expect("carol n1");
    sc.delivered("carol", "r2", "n1", "ahead: skipped keys stored", got);

    // Epochs 3 and 4 (Bob promoted, then Carol removed by Bob): Alice
    // advances over both; the removal forces the rotation.
    let (_, change24) = r2.advance(&[served(&r3), served(&r4)]).expect("advance");
    sc.out.apply_roster(&change24).expect("apply");
    sc.events
        .push(json!({"op": "apply_roster", "change": "r2 -> r4"}));
    let e = sc
        .out
        .encrypt(&mut sc.rng, &sc.alice, b"refused")
        .expect_err("member removed");
    sc.rng.label_none("a refused encrypt");
    assert_eq!(
        e,
        EncryptError::RotationRequired(RotationReason::MemberRemoved)
    );
    sc.refused(
        "alice",
        json!({"op": "encrypt", "after": "apply_roster r2 -> r4"}),
        errors::encrypt(&e),
    );
    sc.rotate_to("chain3", T0 + 120);
    let d3 = sc.out.distribution(&sc.alice);
    chains_json.push(chain_json(&sc.chains[2], &sc.alice, &sc.alice_seed, &d3));
    let e = InboundGroupSession::new_in_roster(&d3, &from, &carol_roster, &alice_list, key(&carol))
        .expect_err("behind");
    sc.refused(
        "carol",
        json!({"op": "admit", "chain": "chain3", "roster": "r2"}),
        errors::group(&e),
    );
    let (carol_r4, _) = carol_roster
        .advance(&[served(&r3), served(&r4)])
        .expect("carol advances");
    let e = InboundGroupSession::new_in_roster(&d3, &from, &carol_r4, &alice_list, key(&carol))
        .expect_err("not a member");
    assert_eq!(e, GroupError::Roster(RosterError::NotMember));
    sc.refused(
        "carol",
        json!({"op": "admit", "chain": "chain3", "roster": "r4"}),
        errors::group(&e),
    );
    bob_ring
        .add_in_roster(&d3, &from, &r4, &alice_list, key(&bob))
        .expect("bob adds chain3");
    sc.events.push(
        json!({"op": "admit", "who": "bob", "chain": "chain3", "roster": "r4", "into": "ring"}),
    );
    sc.send("o0");
    let got = bob_ring
        .decrypt_in_roster(&sc.messages["o0"].1, &r4, &alice_list)
        .expect("o0");
    sc.delivered("bob", "r4", "o0", "next iteration", got);
    let e = carol_in
        .decrypt_in_roster(&sc.messages["o0"].1, &carol_r4, &alice_list)
        .expect_err("another chain");
    sc.refused(
        "carol",
        json!({"op": "decrypt", "id": "o0", "roster": "r4"}),
        errors::group(&e),
    );

    // §15.5: the distribution of chain3 under r4, to Bob's and Carol's
    // devices: only Bob's, a member's, gets it.
    let distribute_json = {
        let mut r = crate::rng(ROSTER_SESSIONS_SEED);
        let (mut to_bob, mut bob_store) = session_to(&mut r, &alice.id, &bob.id);
        let (mut to_carol, _) = session_to(&mut r, &alice.id, &carol.id);
        let lists = [
            alice.account.list(),
            bob.account.list(),
            carol.account.list(),
        ];
        let results =
            distribute_in_roster(&mut r, &d3, &r4, &lists, &mut [&mut to_bob, &mut to_carol])
                .expect("under r4");
        let (_, pt) = bob_store
            .accept(results[0].as_ref().expect("bob"), 0)
            .expect("accept");
        assert_eq!(pt, *d3.to_bytes());
        assert_eq!(results[1], Err(qorgan::FanoutError::NotInRoster));
        let stale = distribute_in_roster(&mut r, &d2, &r4, &lists, &mut []).expect_err("stale");
        json!({
            "distribution": "chain3",
            "roster": "r4",
            "lists": ["alice", "bob", "carol"],
            "sessions": ["bob_phone", "carol_phone"],
            "results": [
                {"device": "bob_phone", "result": {"result": "ok"}},
                {"device": "carol_phone", "result": {"result": "error", "error": errors::fanout(results[1].as_ref().expect_err("carol")).0}},
            ],
            "stale_chain2": errors::roster(&stale).0,
        })
    };

    // §7.4 version 3: the states, plain and sealed.
    let key_ = StorageKey::generate(&mut sc.rng);
    sc.rng.label(&[("storage_key", 32)]);
    let mut states = Vec::new();
    let seal = |rng: &mut RecordingRng, name: &str| {
        rng.label(&[(&format!("seal.{name}.nonce"), 24)]).remove(0)
    };
    {
        let mut pending = OutboundGroupSession::from_bytes(&pending_rotation).expect("v3 state");
        let sealed = pending.seal(&mut sc.rng, &key_);
        let nonce = seal(&mut sc.rng, "alice_outbound_pending_rotation");
        let mut v = sealed_json(
            &key_,
            &sealed,
            &pending_rotation,
            (0x42, pending.state_owner(), 1),
            &nonce,
        );
        v["name"] = json!("alice_outbound_pending_rotation");
        v["fields"] = outbound_json(&pending, &sc.chains[0], T0, false, r1.head(), r2.head());
        states.push(v);
    }
    {
        let plain = sc.out.to_bytes().to_vec();
        let sealed = sc.out.seal(&mut sc.rng, &key_);
        let nonce = seal(&mut sc.rng, "alice_outbound");
        let mut v = sealed_json(
            &key_,
            &sealed,
            &plain,
            (0x42, sc.out.state_owner(), 1),
            &nonce,
        );
        v["name"] = json!("alice_outbound");
        v["fields"] = outbound_json(
            &sc.out,
            &sc.chains[2],
            T0 + 120,
            false,
            r4.head(),
            r4.head(),
        );
        states.push(v);
    }
    {
        let plain = carol_in.to_bytes().to_vec();
        assert_eq!(plain[0], 0x03);
        let sealed = carol_in.seal(&mut sc.rng, &key_);
        let nonce = seal(&mut sc.rng, "carol_inbound");
        let mut v = sealed_json(
            &key_,
            &sealed,
            &plain,
            (0x43, carol_in.state_owner(), 1),
            &nonce,
        );
        v["name"] = json!("carol_inbound");
        v["fields"] = inbound_json(&carol_in, &sc.chains[1]);
        states.push(v);
    }
    {
        let plain = bob_ring.to_bytes().to_vec();
        assert_eq!(plain[0], 0x03);
        let sealed = bob_ring.seal(&mut sc.rng, &key_);
        let nonce = seal(&mut sc.rng, "bob_ring");
        let mut v = sealed_json(
            &key_,
            &sealed,
            &plain,
            (0x44, bob_ring.state_owner(), 1),
            &nonce,
        );
        v["name"] = json!("bob_ring");
        v["fields"] = json!({
            "chains": bob_ring.chains().zip(&sc.chains).map(|(s, c)| inbound_json(s, c)).collect::<Vec<_>>(),
        });
        states.push(v);
    }
    let draws = sc.rng.take_log();
    let lists_json: serde_json::Map<String, Value> = people
        .iter()
        .map(|p| (p.name.to_string(), json!(hx(&p.account.list().to_bytes()))))
        .collect();

    json!({
        "description": "Group rosters (docs/PROTOCOL.md §15) and the chains bound to them (group \
            version 3, §15.4, §7.4). One generator rng(seed); inputs.draws lists every random draw \
            in order (§2.6): per person (alice, bob, carol) the device identity \
            (<name>_phone.identity.…) and the account key (Account::create, <name>.account_seed; \
            each account's device list names its phone, inputs.lists); OutboundGroupSession::\
            new_in_roster and each rotate (chainN.chain_id 4, chain_key 32, signing_seed 32); one \
            12-byte nonce per group message; the storage key and one 24-byte nonce per seal. \
            expected.rosters: r1 (Alice admin, Bob member; signed by Alice), r2 (+ Carol; Alice), \
            r3 (Bob promoted to admin; Alice), r4 (Carol removed; signed by Bob, an admin of r3), \
            every field, the signed message (\"qorgan/v1/roster\" || every byte before the \
            signature), signature, bytes and head (§15.2), and verify (Item::Roster, \
            Item::RosterAfter the previous epoch). expected.advances: Roster::advance from the \
            held roster over the chain given (§15.3), the newest head and the change; \
            expected.history: Roster::from_history over inputs.history.chain anchored at the head of \
            the roster inputs.history.invited names. expected.chains: Alice's chains \
            (chain1 under r1, chain2 under r2 after the change to r2 forced a rotation, chain3 \
            under r4 after the change to r4 removed Carol), each with F3, both signed messages and \
            signatures, the announcement (0x03 0x23) and distribution (0x03 0x21, iteration 0) and \
            the message signature context (sender Ed25519 key || u8(g) || group id || u64(epoch) \
            || roster hash). inputs.events gives the order of operations (new_in_roster, admit: \
            new_in_roster of a receiver under the roster named with Alice's list, into Bob's ring \
            or Carol's inbound session; encrypt; deliver: decrypt_in_roster with the roster the \
            receiver holds and Alice's list; apply_roster of the change between two rosters; \
            rotate; refusal: the refusal of that index); expected.messages every group message \
            (version 2 wire format, signature over the context of its chain); \
            expected.deliveries the receivers' decrypts with the §12.5 case and the provenance \
            (with the chain's roster head); expected.refusals the calls refused with their exact \
            error (encrypt after each apply_roster, Carol's admissions, Carol's old chain given \
            o0). expected.distribute: distribute_in_roster of chain3 under r4 over Alice's 1:1 \
            sessions with Bob's and Carol's phones (made with rng(sessions_seed); ciphertexts not \
            recorded, Bob's store opens his to the distribution's bytes), and chain2's refused as \
            stale. expected.states: version 3 states (§7.4), plain with their fields and sealed \
            (envelope version 2, generation 1). All byte strings are lower-case hex; texts are \
            {hex, text}.",
        "seed": ROSTER_SEED,
        "sessions_seed": ROSTER_SESSIONS_SEED,
        "inputs": {
            "draws": draws,
            "people": people.iter().map(|p| p.name).collect::<Vec<_>>(),
            "group_id": text_json(GROUP_ID),
            "policy": {"max_messages": POLICY.max_messages, "max_age_secs": POLICY.max_age_secs},
            "lists": lists_json,
            "rosters": [
                {"name": "r1", "op": "create", "signer": "alice", "members": [["alice", "admin"], ["bob", "member"]]},
                {"name": "r2", "op": "with_member", "of": "r1", "signer": "alice", "account": "carol", "role": "member"},
                {"name": "r3", "op": "with_member", "of": "r2", "signer": "alice", "account": "bob", "role": "admin"},
                {"name": "r4", "op": "without_member", "of": "r3", "signer": "bob", "account": "carol"},
            ],
            "advances": advance_inputs,
            "history": {"chain": ["r1", "r2", "r3", "r4"], "invited": "r2"},
            "events": sc.events,
        },
        "expected": {
            "identities": people.iter().map(|p| (format!("{}_phone", p.name), identity_json(p.id.public()))).collect::<serde_json::Map<_, _>>(),
            "accounts": people.iter().map(|p| (p.name.to_string(), json!(hx(&key(p).to_bytes())))).collect::<serde_json::Map<_, _>>(),
            "rosters": rosters_json,
            "advances": advance_outputs,
            "history": head_json(&history.head()),
            "chains": chains_json,
            "messages": sc.traces,
            "deliveries": sc.deliveries,
            "refusals": sc.refusals,
            "distribute": distribute_json,
            "states": states,
        },
    })
}

/// An outbound session's fields (§7.4 version 3).
fn outbound_json(
    s: &OutboundGroupSession,
    c: &Chain,
    created_at: u64,
    removed: bool,
    chain_roster: ListHead,
    held: ListHead,
) -> Value {
    assert_eq!((s.chain_id(), s.rotation()), (c.chain_id, c.rotation));
    json!({
        "group_id": hx(s.group_id()),
        "chain": c.name,
        "chain_id": c.chain_id,
        "rotation": c.rotation,
        "chain_key": hx(&c.keys[s.iteration() as usize]),
        "iteration": s.iteration(),
        "signing_seed": hx(&c.signing_seed),
        "max_messages": s.policy().max_messages,
        "max_age_secs": s.policy().max_age_secs,
        "created_at": created_at,
        "member_removed": removed,
        "chain_roster": head_json(&chain_roster),
        "held_roster": head_json(&held),
    })
}

// ------------------------------------------------------------ fixtures

/// Where the roster fixture of roster version `version` lives, relative to
/// `tests/vectors/`.
pub fn roster_fixture_file(version: u8) -> String {
    format!("fixtures/roster-v{version}.json")
}

/// Where the group state fixture of group version `version` (3: chains
/// bound to a roster) lives.
pub fn rostered_group_fixture_file(version: u8) -> String {
    format!("fixtures/group-state-v{version}.json")
}

/// The roster fixture (§15): one group's history of four epochs and a
/// second group's first roster, with the accounts that signed them.
pub(super) fn roster_fixture() -> Value {
    let mut rng = crate::rng(ROSTER_FIXTURE_SEED);
    let names = ["asel", "bolat", "dana", "erlan"];
    let seeds: Vec<[u8; 32]> = names
        .iter()
        .map(|_| {
            let mut s = [0u8; 32];
            rand_core::Rng::fill_bytes(&mut rng, &mut s);
            s
        })
        .collect();
    let kps: Vec<AccountKeyPair> = seeds
        .iter()
        .map(|s| {
            let mut r = super::ReplayRng::new([s.to_vec()]);
            AccountKeyPair::generate(&mut r)
        })
        .collect();
    let [asel, bolat, dana, erlan] = [&kps[0], &kps[1], &kps[2], &kps[3]];
    let group = b"qorgan/fixture/roster-v1";
    let r1 = Roster::create(
        asel,
        group,
        vec![
            Member::new(*asel.public(), Role::Admin),
            Member::new(*bolat.public(), Role::Member),
        ],
    )
    .expect("r1");
    let r2 = r1
        .with_member(asel, dana.public(), Role::Member)
        .expect("r2");
    let r3 = r2
        .with_member(asel, bolat.public(), Role::Admin)
        .expect("r3");
    let r4 = r3.without_member(bolat, asel.public()).expect("r4");
    let other = Roster::create(
        erlan,
        b"",
        vec![
            Member::new(*erlan.public(), Role::Admin),
            Member::new(*dana.public(), Role::Admin),
        ],
    )
    .expect("other");
    let history = [&r1, &r2, &r3, &r4];
    let (newest, change) = r1
        .advance(&[r2.clone(), r3.clone(), r4.clone()])
        .expect("advance");
    assert_eq!(newest, r4);
    json!({
        "description": "Roster fixture of roster_version below (docs/PROTOCOL.md §15), generated once by \
            gen-vectors (tests/src/vectors/roster.rs, roster_fixture, seed below) and kept \
            unchanged forever: every later release must still decode, verify and advance over \
            these rosters (tests/tests/fixtures.rs). accounts: four account keys with their \
            Ed25519 seeds (the first four 32-byte requests of rng(seed)). history: group \
            qorgan/fixture/roster-v1: r1 (Asel admin, Bolat member; signed by Asel), r2 (+ Dana; \
            Asel), r3 (Bolat promoted; Asel), r4 (Asel removed, by Bolat: an admin may remove \
            another admin and need not be listed after). other: an epoch 1 of the empty group \
            id, signed by Erlan (Erlan and Dana admins). change: what advancing r1 over r2, r3, \
            r4 changes. Heads are {version, hash}. All byte strings are lower-case hex.",
        "seed": ROSTER_FIXTURE_SEED,
        "roster_version": qorgan::wire::ROSTER_VERSION,
        "accounts": names.iter().zip(&seeds).zip(&kps).map(|((n, s), k)| {
            (n.to_string(), json!({"seed": hx(s), "public": hx(&k.public().to_bytes())}))
        }).collect::<serde_json::Map<_, _>>(),
        "group_id": text_json(group),
        "history": history.iter().enumerate().map(|(i, r)| json!({
            "name": format!("r{}", i + 1),
            "bytes": hx(&r.to_bytes()),
            "head": head_json(&r.head()),
            "members": r.members().iter().map(member_json).collect::<Vec<_>>(),
            "signer": hx(&r.signer().to_bytes()),
        })).collect::<Vec<_>>(),
        "other": {"bytes": hx(&other.to_bytes()), "head": head_json(&other.head())},
        "change": roster_change_json(&change),
    })
}

/// The group state fixture of group version 3 (§7.4, §15.4): a rostered
/// group whose states are sealed in envelope version 2. Every draw is
/// recorded with its purpose.
pub(super) fn rostered_group_fixture() -> Value {
    let mut rng = RecordingRng::new(ROSTERED_GROUP_FIXTURE_SEED);
    let alice = person(&mut rng, "alice", "Alice");
    let bob = person(&mut rng, "bob", "Bob");
    let carol = person(&mut rng, "carol", "Carol");
    fn kp(p: &Person) -> &AccountKeyPair {
        p.account.key_pair().expect("holds the account key")
    }
    let group = b"qorgan/fixture/group-v3";
    let policy = RotationPolicy {
        max_messages: 100,
        max_age_secs: 604_800,
    };
    let now = 1_790_000_000u64;
    let r1 = Roster::create(
        kp(&alice),
        group,
        vec![
            Member::new(*key(&alice), Role::Admin),
            Member::new(*key(&bob), Role::Member),
            Member::new(*key(&carol), Role::Member),
        ],
    )
    .expect("r1");
    // Bob is promoted: the change Alice's session has not applied yet.
    let r2 = r1
        .with_member(kp(&alice), key(&bob), Role::Admin)
        .expect("r2");
    let alice_list = alice.account.list().clone();
    let from = *alice.id.public();
    let mut out = OutboundGroupSession::new_in_roster(&mut rng, &r1, key(&alice), policy, now)
        .expect("new_in_roster");
    label_chain(&mut rng, "chain1");
    let d1 = out.distribution(&alice.id);
    let mut bob_ring =
        SenderKeyRing::new_in_roster(&d1, &from, &r1, &alice_list, key(&bob)).expect("bob");
    let mut carol_in =
        InboundGroupSession::new_in_roster(&d1, &from, &r1, &alice_list, key(&carol))
            .expect("carol");
    let text = |s: &str| s.as_bytes().to_vec();
    let send = |rng: &mut RecordingRng, out: &mut OutboundGroupSession, id: &str| {
        let m = out
            .encrypt(
                rng,
                &alice.id,
                &text(&format!("{id}: to the rostered group")),
            )
            .expect("encrypt");
        rng.label(&[(&format!("{id}.nonce"), 12)]);
        m
    };
    let g: Vec<Vec<u8>> = (0..4)
        .map(|i| send(&mut rng, &mut out, &format!("g{i}")))
        .collect();
    for i in [0, 2] {
        bob_ring
            .decrypt_in_roster(&g[i], &r1, &alice_list)
            .expect("bob");
    }
    carol_in
        .decrypt_in_roster(&g[1], &r1, &alice_list)
        .expect("carol");
    // Dave's distribution for a member's other device, at iteration 4,
    // kept unread.
    let pending_distribution = out.distribution(&alice.id).to_bytes().to_vec();
    // Alice learns of r2: her session must rotate before it sends again.
    let (_, change) = r1
        .advance(&[Roster::from_bytes(&r2.to_bytes()).expect("r2")])
        .expect("advance");
    out.apply_roster(&change).expect("apply");
    assert_eq!(out.rotation_due(now), Some(RotationReason::RosterChanged));
    let key_ = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    let seal = |rng: &mut RecordingRng, name: &str, sealed: Vec<u8>| {
        rng.label(&[(&format!("seal.{name}.nonce"), 24)]);
        sealed
    };
    let out_plain = out.to_bytes().to_vec();
    let out_sealed = {
        let s = out.seal(&mut rng, &key_);
        seal(&mut rng, "alice_outbound", s)
    };
    let bob_plain = bob_ring.to_bytes().to_vec();
    let bob_sealed = {
        let s = bob_ring.seal(&mut rng, &key_);
        seal(&mut rng, "bob_ring", s)
    };
    let carol_plain = carol_in.to_bytes().to_vec();
    let carol_sealed = {
        let s = carol_in.seal(&mut rng, &key_);
        seal(&mut rng, "carol_inbound", s)
    };
    assert!(
        [&out_plain, &bob_plain, &carol_plain]
            .iter()
            .all(|p| p[0] == 0x03)
    );
    let draws = rng.take_log();
    let msg = |i: usize| {
        json!({
            "id": format!("g{i}"),
            "bytes": hx(&g[i]),
            "plaintext": text_json(format!("g{i}: to the rostered group").as_bytes()),
        })
    };
    let entry = |plain: &[u8], sealed: &[u8], owner: qorgan::StateOwner| {
        json!({
            "plain": hx(plain),
            "sealed": hx(sealed),
            "owner": hx(&owner.to_bytes()),
            "generation": 1,
        })
    };
    json!({
        "description": "Group state fixture of group_version 3 (chains bound to a roster, docs/PROTOCOL.md \
            §15.4, §7.4), generated once by gen-vectors (tests/src/vectors/roster.rs, \
            rostered_group_fixture, seed below, every draw listed in draws with its purpose) and \
            kept unchanged forever: every later release must load it (tests/tests/fixtures.rs). \
            Alice, Bob and Carol each have an account (lists: their device lists, identities: \
            their phones' field encodings; Alice's identity is the first two draws). Alice \
            created roster r1 (Alice admin, Bob and Carol members), started an outbound session \
            under it (policy 100 messages / 604800 s, at 1790000000) and sent g0..g3; Bob's \
            SenderKeyRing (admitted under r1) read g0 and g2, Carol's InboundGroupSession g1. \
            Alice made a distribution at iteration 4 for another device \
            (pending_distribution). Then r2 promoted Bob; Alice applied the change, so her \
            session (alice_outbound: chain under r1, r2 held) must rotate before it sends again. \
            States plain and sealed once (envelope version 2, generation 1, with owner) under \
            storage_key. pending_for_bob and pending_for_carol: the messages each has not read. \
            All byte strings are lower-case hex.",
        "seed": ROSTERED_GROUP_FIXTURE_SEED,
        "group_version": qorgan::wire::ROSTERED_GROUP_VERSION,
        "draws": draws,
        "storage_key": hx(&*key_.to_bytes()),
        "group_id": text_json(group),
        "identities": {
            "alice_phone": hx(&alice.id.public().to_field_bytes()),
            "bob_phone": hx(&bob.id.public().to_field_bytes()),
            "carol_phone": hx(&carol.id.public().to_field_bytes()),
        },
        "accounts": {
            "alice": hx(&key(&alice).to_bytes()),
            "bob": hx(&key(&bob).to_bytes()),
            "carol": hx(&key(&carol).to_bytes()),
        },
        "lists": {
            "alice": hx(&alice_list.to_bytes()),
            "bob": hx(&bob.account.list().to_bytes()),
            "carol": hx(&carol.account.list().to_bytes()),
        },
        "rosters": {"r1": hx(&r1.to_bytes()), "r2": hx(&r2.to_bytes())},
        "alice_outbound": entry(&out_plain, &out_sealed, out.state_owner()),
        "bob_ring": entry(&bob_plain, &bob_sealed, bob_ring.state_owner()),
        "carol_inbound": entry(&carol_plain, &carol_sealed, carol_in.state_owner()),
        "pending_distribution": hx(&pending_distribution),
        "pending_for_bob": [msg(3), msg(1)],
        "pending_for_carol": [msg(0), msg(2), msg(3)],
    })
}
