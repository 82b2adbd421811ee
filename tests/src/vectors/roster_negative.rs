//! `roster_negative.json`: inputs the roster decoders and operations must
//! refuse (docs/PROTOCOL.md §15, §7.4 version 3), each with its exact
//! error, and the accepted inputs at the edges: rosters (every decoding
//! rule, the signature and the admin rule), server continuity checks,
//! advancing and histories (rollback, gap, fork, another group, a
//! non-admin signer, the chain limit), making rosters, version 3
//! announcements, distributions and states, admission (every refusal of
//! §15.5 and its order), rings mixing formats, `apply_roster` and the
//! rotations it forces, message signatures over the roster head, and
//! `distribute_in_roster` as a whole.
//!
//! The generator makes its keys with `rng(ROSTER_NEGATIVE_SEED)`, builds
//! malformed inputs by hand from the layouts of §15 and runs each case
//! through qorgan with [`run_case`], which `tests/tests/vectors.rs` also
//! uses to replay the committed file; `tests/tests/vectors/independent.rs`
//! decides the cases from the spec alone. Rosters and device lists used by
//! several cases are in `inputs.rosters` and `inputs.lists`, by name.

use std::collections::BTreeMap;

use qorgan::account::{AccountKey, AccountKeyPair, DeviceEntry, DeviceList, ListHead};
use qorgan::roster::{Member, Role, Roster, RosterChange, distribute_in_roster};
use qorgan::verify::{Item, verify};
use qorgan::{
    IdentityKey, IdentityKeyPair, InboundGroupSession, OutboundGroupSession, RotationPolicy,
    SenderKeyAnnouncement, SenderKeyDistribution, SenderKeyRing,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::account::head_json;
use super::case_table::CaseTable;
use super::group::{
    GROUP_MESSAGE_LABEL, POSSESSION_LABEL, SENDER_KEY_LABEL, add_l, ed25519_public,
};
use super::group_negative::{bad_points, sign, small_order_point};
use super::roster::{ROSTER_LABEL, head_bytes, roster_change_json, rostered_context};
use super::{ReplayRng, errors};
use crate::hex::{decode as unhex, encode as hx};

/// Seed of `roster_negative.json`.
pub const ROSTER_NEGATIVE_SEED: u64 = 13;

const GROUP: &[u8] = b"qorgan/vectors/roster-negative";
const OTHER_GROUP: &[u8] = b"qorgan/vectors/another-group";
const POLICY: RotationPolicy = RotationPolicy {
    max_messages: 100,
    max_age_secs: 604_800,
};
const NOW: u64 = 1_700_000_000;

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

fn role_of(v: &Value) -> Role {
    match v.as_str().expect("role") {
        "admin" => Role::Admin,
        "member" => Role::Member,
        r => panic!("role {r}"),
    }
}

fn account_of(v: &Value) -> AccountKey {
    AccountKey::from_bytes(&h32(v)).expect("account key")
}

fn members_of(v: &Value) -> Vec<Member> {
    v.as_array()
        .expect("members")
        .iter()
        .map(|m| Member::new(account_of(&m["account"]), role_of(&m["role"])))
        .collect()
}

fn change_of(v: &Value) -> RosterChange {
    RosterChange {
        group_id: h(&v["group_id"]),
        from: head_of(&v["from"]),
        to: head_of(&v["to"]),
        added: members_of(&v["added"]),
        removed: v["removed"]
            .as_array()
            .expect("removed")
            .iter()
            .map(account_of)
            .collect(),
        role_changed: members_of(&v["role_changed"]),
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

fn roster_ok(r: &Roster) -> Value {
    json!({
        "result": "ok",
        "epoch": r.epoch(),
        "members": r.members().len(),
        "head": head_json(&r.head()),
    })
}

/// Runs one case of `roster_negative.json` through qorgan and returns its
/// outcome as the file records it; `rosters` and `lists` are
/// `inputs.rosters` and `inputs.lists`. Every refused call that takes
/// state is checked to change nothing.
pub fn run_case(
    case: &Value,
    rosters: &BTreeMap<String, Vec<u8>>,
    lists: &BTreeMap<String, Vec<u8>>,
) -> Value {
    let op = case["operation"].as_str().expect("operation");
    let input = || h(&case["input"]);
    let roster = |n: &Value| {
        let name = n.as_str().expect("roster name");
        Roster::from_bytes(
            rosters
                .get(name)
                .unwrap_or_else(|| panic!("no roster {name}")),
        )
        .expect("a listed roster verifies")
    };
    let list = |n: &Value| {
        let name = n.as_str().expect("list name");
        DeviceList::from_bytes(lists.get(name).unwrap_or_else(|| panic!("no list {name}")))
            .expect("a listed list verifies")
    };
    let chain = || -> Vec<Roster> {
        case["chain"]
            .as_array()
            .expect("chain")
            .iter()
            .map(roster)
            .collect()
    };
    let from = || IdentityKey::from_field_bytes(&h(&case["from"])).expect("identity");
    let me = || account_of(&case["me"]);
    let state_ok = |bytes: &[u8]| json!({"result": "ok", "state_after_sha256": sha256_hex(bytes)});
    match op {
        "roster.decode" => {
            let input = input();
            let v = verify_outcome(verify(&Item::Roster(&input)));
            let mut out = match Roster::from_bytes(&input) {
                Ok(r) => {
                    assert_eq!(r.to_bytes(), input, "one roster, one encoding");
                    roster_ok(&r)
                }
                Err(e) => error(errors::roster(&e)),
            };
            out["verify"] = json!(v);
            out
        }
        "roster.verify_after" => {
            let previous = roster(&case["previous"]);
            match verify(&Item::RosterAfter {
                previous: &previous,
                roster: &input(),
            }) {
                Ok(()) => json!({"result": "ok"}),
                Err(e) => error(errors::verify(&e)),
            }
        }
        "roster.advance" => match roster(&case["held"]).advance(&chain()) {
            Ok((newest, change)) => json!({
                "result": "ok",
                "newest": head_json(&newest.head()),
                "change": roster_change_json(&change),
            }),
            Err(e) => error(errors::roster(&e)),
        },
        "roster.from_history" => match Roster::from_history(&chain(), &head_of(&case["invited"])) {
            Ok(newest) => json!({"result": "ok", "newest": head_json(&newest.head())}),
            Err(e) => error(errors::roster(&e)),
        },
        "roster.create" => {
            let admin = account_key_pair(&h32(&case["admin_seed"]));
            match Roster::create(&admin, &h(&case["group_id"]), members_of(&case["members"])) {
                Ok(r) => json!({"result": "ok", "bytes": hx(&r.to_bytes())}),
                Err(e) => error(errors::roster(&e)),
            }
        }
        "roster.successor" | "roster.with_member" | "roster.without_member" => {
            let held = roster(&case["held"]);
            let admin = account_key_pair(&h32(&case["admin_seed"]));
            let made = match op {
                "roster.successor" => held.successor(&admin, members_of(&case["members"])),
                "roster.with_member" => held.with_member(
                    &admin,
                    &account_of(&case["account"]),
                    role_of(&case["role"]),
                ),
                _ => held.without_member(&admin, &account_of(&case["account"])),
            };
            match made {
                Ok(r) => json!({"result": "ok", "bytes": hx(&r.to_bytes())}),
                Err(e) => error(errors::roster(&e)),
            }
        }
        "announcement.decode" => match SenderKeyAnnouncement::from_bytes(&input()) {
            Ok(a) => json!({
                "result": "ok",
                "roster": a.roster.as_ref().map(head_json),
                "chain_id": a.chain_id,
                "rotation": a.rotation,
            }),
            Err(e) => error(errors::verify(&e)),
        },
        "distribution.decode" => match SenderKeyDistribution::from_bytes(&input()) {
            Ok(d) => json!({
                "result": "ok",
                "roster": d.announcement.roster.as_ref().map(head_json),
                "iteration": d.iteration(),
            }),
            Err(e) => error(errors::verify(&e)),
        },
        "inbound.new" => {
            let d = SenderKeyDistribution::from_bytes(&input()).expect("distribution decodes");
            match InboundGroupSession::new(&d, &from()) {
                Ok(s) => state_ok(&s.to_bytes()),
                Err(e) => error(errors::group(&e)),
            }
        }
        "inbound.new_in_roster" => {
            let d = SenderKeyDistribution::from_bytes(&input()).expect("distribution decodes");
            match InboundGroupSession::new_in_roster(
                &d,
                &from(),
                &roster(&case["roster"]),
                &list(&case["sender_list"]),
                &me(),
            ) {
                Ok(s) => state_ok(&s.to_bytes()),
                Err(e) => error(errors::group(&e)),
            }
        }
        "ring.add" | "ring.add_in_roster" => {
            let state = h(&case["state"]);
            let mut ring = SenderKeyRing::from_bytes(&state).expect("ring state");
            let d = SenderKeyDistribution::from_bytes(&input()).expect("distribution decodes");
            let r = if op == "ring.add" {
                ring.add(&d, &from())
            } else {
                ring.add_in_roster(
                    &d,
                    &from(),
                    &roster(&case["roster"]),
                    &list(&case["sender_list"]),
                    &me(),
                )
            };
            match r {
                Ok(()) => state_ok(&ring.to_bytes()),
                Err(e) => {
                    assert_eq!(*ring.to_bytes(), state, "a refusal changes nothing");
                    error(errors::group(&e))
                }
            }
        }
        "outbound.new_in_roster" => {
            let draws: Vec<Vec<u8>> = case["draws"]
                .as_array()
                .expect("draws")
                .iter()
                .map(h)
                .collect();
            let mut r = ReplayRng::new(draws);
            match OutboundGroupSession::new_in_roster(
                &mut r,
                &roster(&case["roster"]),
                &me(),
                RotationPolicy {
                    max_messages: case["policy"]["max_messages"]
                        .as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .expect("max_messages"),
                    max_age_secs: case["policy"]["max_age_secs"]
                        .as_u64()
                        .expect("max_age_secs"),
                },
                case["now"].as_u64().expect("now"),
            ) {
                Ok(s) => {
                    r.finish();
                    state_ok(&s.to_bytes())
                }
                Err(e) => {
                    r.finish();
                    error(errors::roster(&e))
                }
            }
        }
        "outbound.apply_roster" => {
            let state = h(&case["state"]);
            let mut s = OutboundGroupSession::from_bytes(&state).expect("outbound state");
            match s.apply_roster(&change_of(&case["change"])) {
                Ok(()) => json!({
                    "result": "ok",
                    "state_after_sha256": sha256_hex(&s.to_bytes()),
                    "rotation_due": s.rotation_due(case["now"].as_u64().expect("now")).map(|r| format!("{r:?}")),
                }),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), state, "a refusal changes nothing");
                    error(errors::roster(&e))
                }
            }
        }
        "outbound.encrypt" => {
            let state = h(&case["state"]);
            let mut s = OutboundGroupSession::from_bytes(&state).expect("outbound state");
            let identity = {
                let mut r =
                    ReplayRng::new([h(&case["identity_seed"]), h(&case["identity_x25519"])]);
                IdentityKeyPair::generate(&mut r)
            };
            let nonce: Vec<Vec<u8>> = case["nonce"]
                .as_str()
                .map(|_| h(&case["nonce"]))
                .into_iter()
                .collect();
            let mut r = ReplayRng::new(nonce);
            match s.encrypt(&mut r, &identity, &h(&case["plaintext"])) {
                Ok(m) => {
                    r.finish();
                    json!({"result": "ok", "message": hx(&m), "state_after_sha256": sha256_hex(&s.to_bytes())})
                }
                Err(e) => {
                    assert_eq!(*s.to_bytes(), state, "a refusal changes nothing");
                    error(errors::encrypt(&e))
                }
            }
        }
        "outbound.decode" | "inbound.decode" | "ring.decode" => {
            let input = input();
            let got = match op {
                "outbound.decode" => {
                    OutboundGroupSession::from_bytes(&input).map(|s| s.to_bytes().to_vec())
                }
                "inbound.decode" => {
                    InboundGroupSession::from_bytes(&input).map(|s| s.to_bytes().to_vec())
                }
                _ => SenderKeyRing::from_bytes(&input).map(|s| s.to_bytes().to_vec()),
            };
            match got {
                Ok(b) => {
                    assert_eq!(b, input, "one state, one encoding");
                    json!({"result": "ok"})
                }
                Err(e) => error(errors::state(&e)),
            }
        }
        "message.decrypt" => {
            let state = h(&case["state"]);
            let mut s = InboundGroupSession::from_bytes(&state).expect("inbound state");
            match s.decrypt(&input()) {
                Ok(p) => json!({
                    "result": "ok",
                    "plaintext": hx(&p.plaintext),
                    "roster": p.roster.as_ref().map(head_json),
                    "iteration": p.iteration,
                }),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), state, "a refusal changes nothing");
                    error(errors::decrypt(&e))
                }
            }
        }
        "export.import" => match InboundGroupSession::import(&input()) {
            Ok(s) => state_ok(&s.to_bytes()),
            Err(e) => error(errors::group(&e)),
        },
        "export.import_in_roster" => match InboundGroupSession::import_in_roster(
            &input(),
            &roster(&case["roster"]),
            &list(&case["sender_list"]),
            &me(),
        ) {
            Ok(s) => state_ok(&s.to_bytes()),
            Err(e) => error(errors::group(&e)),
        },
        "message.decrypt_in_roster" => {
            let state = h(&case["state"]);
            let mut s = InboundGroupSession::from_bytes(&state).expect("inbound state");
            match s.decrypt_in_roster(
                &input(),
                &roster(&case["roster"]),
                &list(&case["sender_list"]),
            ) {
                Ok(p) => json!({
                    "result": "ok",
                    "plaintext": hx(&p.plaintext),
                    "roster": p.roster.as_ref().map(head_json),
                    "iteration": p.iteration,
                }),
                Err(e) => {
                    assert_eq!(*s.to_bytes(), state, "a refusal changes nothing");
                    error(errors::group(&e))
                }
            }
        }
        "message.verify" => {
            let a = SenderKeyAnnouncement::from_bytes(&h(&case["announcement"]))
                .expect("announcement verifies");
            match verify(&Item::GroupMessage {
                announcement: &a,
                message: &input(),
            }) {
                Ok(()) => json!({"result": "ok"}),
                Err(e) => error(errors::verify(&e)),
            }
        }
        "distribute_in_roster" => {
            let d = SenderKeyDistribution::from_bytes(&input()).expect("distribution decodes");
            let lists: Vec<DeviceList> = case["lists"]
                .as_array()
                .expect("lists")
                .iter()
                .map(list)
                .collect();
            let lists: Vec<&DeviceList> = lists.iter().collect();
            let mut r = ReplayRng::new(Vec::<Vec<u8>>::new());
            match distribute_in_roster(&mut r, &d, &roster(&case["roster"]), &lists, &mut []) {
                Ok(results) => {
                    r.finish();
                    json!({"result": "ok", "results": results.len()})
                }
                Err(e) => error(errors::roster(&e)),
            }
        }
        other => panic!("unknown operation {other}"),
    }
}

// ---------------------------------------------------------- layouts

/// A roster's fields, to encode by hand (§15.1).
#[derive(Clone)]
struct Raw {
    group_id: Vec<u8>,
    /// The length byte as written, if not the group id's length.
    g: Option<u8>,
    epoch: u64,
    previous: [u8; 32],
    /// `count(n)` as written, if not the number of members.
    count: Option<u32>,
    members: Vec<([u8; 32], u8)>,
    signer: [u8; 32],
}

impl Raw {
    fn body(&self) -> Vec<u8> {
        let mut b = vec![0x01, 0x34];
        b.push(self.g.unwrap_or(self.group_id.len() as u8));
        b.extend_from_slice(&self.group_id);
        b.extend_from_slice(&self.epoch.to_be_bytes());
        b.extend_from_slice(&self.previous);
        let n = self.count.unwrap_or(self.members.len() as u32);
        b.extend_from_slice(&n.to_be_bytes());
        for (k, role) in &self.members {
            b.extend_from_slice(k);
            b.push(*role);
        }
        b.extend_from_slice(&self.signer);
        b
    }

    /// Encoded and signed with `seed` (whatever the signer field says).
    fn signed(&self, seed: &[u8; 32]) -> Vec<u8> {
        let body = self.body();
        let sig = sign(seed, &[ROSTER_LABEL, &body].concat());
        [body, sig.to_vec()].concat()
    }
}

/// An announcement's fields, to encode by hand (§12.2, §15.4).
#[derive(Clone)]
struct RawAnn {
    version: u8,
    sender: Vec<u8>,
    group_id: Vec<u8>,
    roster: Option<ListHead>,
    chain_id: u32,
    rotation: u32,
    signing: [u8; 32],
}

impl RawAnn {
    fn fields(&self, roster: Option<&ListHead>) -> Vec<u8> {
        let mut f = self.sender[..32].to_vec();
        f.push(self.group_id.len() as u8);
        f.extend_from_slice(&self.group_id);
        if let Some(r) = roster {
            f.extend_from_slice(&head_bytes(r));
        }
        f.extend_from_slice(&self.chain_id.to_be_bytes());
        f.extend_from_slice(&self.rotation.to_be_bytes());
        f.extend_from_slice(&self.signing);
        f
    }

    /// The body (bytes 2 …), both signatures over `signed_roster`'s fields.
    fn body(
        &self,
        chain_seed: &[u8; 32],
        identity_seed: &[u8; 32],
        signed_roster: Option<&ListHead>,
    ) -> Vec<u8> {
        let f = self.fields(signed_roster);
        let mut b = self.sender.clone();
        b.push(self.group_id.len() as u8);
        b.extend_from_slice(&self.group_id);
        if let Some(r) = &self.roster {
            b.extend_from_slice(&head_bytes(r));
        }
        b.extend_from_slice(&self.chain_id.to_be_bytes());
        b.extend_from_slice(&self.rotation.to_be_bytes());
        b.extend_from_slice(&self.signing);
        b.extend_from_slice(&sign(chain_seed, &[POSSESSION_LABEL, &f].concat()));
        b.extend_from_slice(&sign(identity_seed, &[SENDER_KEY_LABEL, &f].concat()));
        b
    }

    fn announcement(&self, chain_seed: &[u8; 32], identity_seed: &[u8; 32]) -> Vec<u8> {
        [
            &[self.version, 0x23][..],
            &self.body(chain_seed, identity_seed, self.roster.as_ref()),
        ]
        .concat()
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

fn draw32(rng: &mut chacha20::ChaCha20Rng) -> [u8; 32] {
    use rand_core::Rng;
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    b
}

fn draw4(rng: &mut chacha20::ChaCha20Rng) -> [u8; 4] {
    use rand_core::Rng;
    let mut b = [0u8; 4];
    rng.fill_bytes(&mut b);
    b
}

// ------------------------------------------------------------- cases

struct Cases {
    table: CaseTable,
    rosters: BTreeMap<String, Vec<u8>>,
    lists: BTreeMap<String, Vec<u8>>,
}

impl Cases {
    fn add(&mut self, name: &str, about: &str, kind: &str, case: Value) {
        let (rosters, lists) = (&self.rosters, &self.lists);
        self.table
            .add(name, about, kind, case, |c| run_case(c, rosters, lists));
    }

    fn roster(&mut self, name: &str, r: &[u8]) {
        assert!(self.rosters.insert(name.into(), r.to_vec()).is_none());
    }

    fn list(&mut self, name: &str, l: &DeviceList) {
        assert!(self.lists.insert(name.into(), l.to_bytes()).is_none());
    }
}

/// A device: its identity, the seeds it was made from.
struct Device {
    id: IdentityKeyPair,
    seed: [u8; 32],
    x: [u8; 32],
}

impl Device {
    fn field(&self) -> String {
        hx(&self.id.public().to_field_bytes())
    }
}

fn device(rng: &mut chacha20::ChaCha20Rng) -> Device {
    let seed = draw32(rng);
    let x = draw32(rng);
    let mut r = ReplayRng::new([seed.to_vec(), x.to_vec()]);
    let id = IdentityKeyPair::generate(&mut r);
    r.finish();
    Device { id, seed, x }
}

/// One of a device's chains: made from known draws, so its seeds are known.
struct ChainDraws {
    chain_id: [u8; 4],
    chain_key: [u8; 32],
    signing_seed: [u8; 32],
}

impl ChainDraws {
    fn new(rng: &mut chacha20::ChaCha20Rng) -> Self {
        Self {
            chain_id: draw4(rng),
            chain_key: draw32(rng),
            signing_seed: draw32(rng),
        }
    }

    fn replay(&self) -> ReplayRng {
        ReplayRng::new([
            self.chain_id.to_vec(),
            self.chain_key.to_vec(),
            self.signing_seed.to_vec(),
        ])
    }

    fn json(&self) -> Value {
        json!([
            hx(&self.chain_id),
            hx(&self.chain_key),
            hx(&self.signing_seed)
        ])
    }
}

/// Builds roster_negative.json.
pub(super) fn roster_negative_file() -> Value {
    let mut rng = crate::rng(ROSTER_NEGATIVE_SEED);
    let seed_of = |rng: &mut chacha20::ChaCha20Rng| draw32(rng);
    let [alice_s, bob_s, carol_s, dave_s] = [(); 4].map(|_| seed_of(&mut rng));
    let [alice, bob, carol, dave] = [alice_s, bob_s, carol_s, dave_s].map(|s| account_key_pair(&s));
    let k = |a: &AccountKeyPair| a.public().to_bytes();
    let phone = device(&mut rng);
    let tablet = device(&mut rng);
    let bob_phone = device(&mut rng);
    let carol_phone = device(&mut rng);
    let e = |d: &Device, l: &str| DeviceEntry::new(*d.id.public(), l);
    let alice_list = DeviceList::first(&alice, vec![e(&phone, "phone")]).expect("alice");
    let bob_list = DeviceList::first(&bob, vec![e(&bob_phone, "phone")]).expect("bob");
    let carol_list = DeviceList::first(&carol, vec![e(&carol_phone, "phone")]).expect("carol");
    // Dave's account lists Alice's phone too: any account can list any device.
    let dave_list = DeviceList::first(&dave, vec![e(&phone, "phone")]).expect("dave");
    let mut c = Cases {
        table: CaseTable::default(),
        rosters: BTreeMap::new(),
        lists: BTreeMap::new(),
    };
    for (n, l) in [
        ("alice.v1", &alice_list),
        ("bob.v1", &bob_list),
        ("carol.v1", &carol_list),
        ("dave.v1", &dave_list),
    ] {
        c.list(n, l);
    }
    let m = |a: &AccountKeyPair, r: Role| Member::new(*a.public(), r);
    let r1 = Roster::create(
        &alice,
        GROUP,
        vec![m(&alice, Role::Admin), m(&bob, Role::Member)],
    )
    .expect("r1");
    let r2 = r1
        .with_member(&alice, carol.public(), Role::Member)
        .expect("r2");
    let r2x = r1
        .with_member(&alice, dave.public(), Role::Member)
        .expect("r2x");
    let r3 = r2
        .with_member(&alice, bob.public(), Role::Admin)
        .expect("r3");
    let r4 = r3.without_member(&bob, carol.public()).expect("r4");
    // Alice hands the group to Bob and leaves: signed by her, an admin of r1.
    let r2_left = r1
        .successor(&alice, vec![m(&bob, Role::Admin)])
        .expect("r2 left");
    let g1 = Roster::create(
        &alice,
        OTHER_GROUP,
        vec![m(&alice, Role::Admin), m(&bob, Role::Member)],
    )
    .expect("g1");
    let sorted = |mut v: Vec<([u8; 32], u8)>| {
        v.sort();
        v
    };
    // Epoch 2 "signed" by Bob, a plain member of r1 (the bytes chain to r1).
    let raw_r2 = Raw {
        group_id: GROUP.to_vec(),
        g: None,
        epoch: 2,
        previous: r1.head().hash,
        count: None,
        members: sorted(vec![(k(&alice), 1), (k(&bob), 0), (k(&dave), 0)]),
        signer: k(&bob),
    };
    let r2_by_bob = raw_r2.signed(&bob_s);
    // Epoch 4 signed by Carol, a plain member of r3.
    let r4_by_carol = Raw {
        group_id: GROUP.to_vec(),
        g: None,
        epoch: 4,
        previous: r3.head().hash,
        count: None,
        members: sorted(vec![(k(&alice), 1), (k(&bob), 1)]),
        signer: k(&carol),
    }
    .signed(&carol_s);
    // Another group's epoch 2 naming r1 as its previous, signed by Alice.
    let other_after_r1 = Raw {
        group_id: OTHER_GROUP.to_vec(),
        previous: r1.head().hash,
        ..raw_r2.clone()
    };
    let other_after_r1 = Raw {
        signer: k(&alice),
        ..other_after_r1
    }
    .signed(&alice_s);
    // A roster at the last epoch, and a long history.
    let last = Raw {
        group_id: GROUP.to_vec(),
        g: None,
        epoch: u64::MAX,
        previous: [7; 32],
        count: None,
        members: sorted(vec![(k(&alice), 1)]),
        signer: k(&alice),
    }
    .signed(&alice_s);
    let mut long =
        vec![Roster::create(&alice, b"long", vec![m(&alice, Role::Admin)]).expect("long")];
    for _ in 1..66 {
        let next = long
            .last()
            .expect("long")
            .successor(&alice, vec![m(&alice, Role::Admin)])
            .expect("next");
        long.push(next);
    }
    for (n, r) in [
        ("r1", r1.to_bytes()),
        ("r2", r2.to_bytes()),
        ("r2x", r2x.to_bytes()),
        ("r3", r3.to_bytes()),
        ("r4", r4.to_bytes()),
        ("r2-left", r2_left.to_bytes()),
        ("r2-by-bob", r2_by_bob.clone()),
        ("r4-by-carol", r4_by_carol.clone()),
        ("g1", g1.to_bytes()),
        ("last", last.clone()),
    ] {
        c.roster(n, &r);
    }
    for (i, r) in long.iter().enumerate() {
        c.roster(&format!("long{}", i + 1), &r.to_bytes());
    }

    // ------------------------------------------------- decoding (§15.1)
    let dec = |b: &[u8]| json!({"operation": "roster.decode", "input": hx(b)});
    let raw1 = Raw {
        group_id: GROUP.to_vec(),
        g: None,
        epoch: 1,
        previous: [0; 32],
        count: None,
        members: sorted(vec![(k(&alice), 1), (k(&bob), 0)]),
        signer: k(&alice),
    };
    let v1 = raw1.signed(&alice_s);
    assert_eq!(v1, r1.to_bytes(), "§15.1 layout");
    let n1 = v1.len();
    c.add(
        "roster valid",
        "r1: Alice (admin) and Bob (member), signed by Alice",
        "ok",
        dec(&v1),
    );
    c.add(
        "roster epoch 2 valid",
        "r2: Carol added, signed by Alice",
        "ok",
        dec(&r2.to_bytes()),
    );
    c.add(
        "roster epoch 2 by a plain member",
        "epoch 2 signed by Bob, a member of r1: well formed and well signed; whether Bob was an admin of epoch 1 is not decided here (§15.3, §15.6)",
        "ok",
        dec(&r2_by_bob),
    );
    c.add(
        "roster without its signer",
        "epoch 2 signed by Alice, an admin of r1, listing only Bob (an admin)",
        "ok",
        dec(&r2_left.to_bytes()),
    );
    c.add(
        "roster at the last epoch",
        "epoch 2^64 − 1",
        "ok",
        dec(&last),
    );
    // 2048 members, the group id of 64 bytes: MAX_ROSTER_LEN.
    let many: Vec<([u8; 32], u8)> = {
        let mut v: Vec<([u8; 32], u8)> = (0..qorgan::limits::MAX_ROSTER_MEMBERS - 1)
            .map(|_| (ed25519_public(&draw32(&mut rng)), 0))
            .collect();
        v.push((k(&alice), 1));
        v.sort();
        v
    };
    let max = Raw {
        group_id: vec![b'g'; 64],
        members: many.clone(),
        ..raw1.clone()
    }
    .signed(&alice_s);
    assert_eq!(max.len(), qorgan::roster::MAX_ROSTER_LEN);
    c.add(
        "roster of 2048 members",
        "MAX_ROSTER_MEMBERS members and a 64-byte group id: MAX_ROSTER_LEN (67 791) bytes",
        "ok",
        dec(&max),
    );
    c.add(
        "roster of 2049 members",
        "the count says 2049: refused before anything after it is read",
        "DecodeError::TooLong(field: roster members, len: 2049, limit: 2048)",
        dec(&Raw {
            count: Some(2049),
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster count 2^32 − 1",
        "the largest count",
        "DecodeError::TooLong(field: roster members, len: 4294967295, limit: 2048)",
        dec(&Raw {
            count: Some(u32::MAX),
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    let g = GROUP.len();
    let after_count = 2 + 1 + g + 8 + 32 + 4;
    c.add(
        "roster count 3",
        "the count says 3 members, 2 are encoded (signed): the third member is read from the signer field and the signature's first byte, which is no role",
        "DecodeError::InvalidField(roster role)",
        dec(&Raw { count: Some(3), ..raw1.clone() }.signed(&alice_s)),
    );
    let huge_count = Raw {
        count: Some(10),
        ..raw1.clone()
    }
    .signed(&alice_s);
    c.add(
        "roster count 10",
        "the count says 10 members: 10 × 33 bytes exceed what follows it",
        &format!(
            "DecodeError::Truncated(needed: {})",
            10 * 33 - (n1 - after_count)
        ),
        dec(&huge_count),
    );
    c.add(
        "roster empty",
        "no bytes",
        "DecodeError::Truncated(needed: 1)",
        dec(&[]),
    );
    c.add(
        "roster version 0",
        "version byte 0",
        "DecodeError::UnsupportedVersion(0)",
        dec(&with(&v1, 0, 0)),
    );
    c.add(
        "roster version 2",
        "version byte 2",
        "DecodeError::UnsupportedVersion(2)",
        dec(&with(&v1, 0, 2)),
    );
    c.add(
        "roster version 2 and type 0x30",
        "the version is checked before the type",
        "DecodeError::UnsupportedVersion(2)",
        dec(&with(&with(&v1, 0, 2), 1, 0x30)),
    );
    c.add(
        "roster type 0x30",
        "a device list's type",
        "DecodeError::UnexpectedType(0x30)",
        dec(&with(&v1, 1, 0x30)),
    );
    c.add(
        "roster type 0x35",
        "a statement's type",
        "DecodeError::UnexpectedType(0x35)",
        dec(&with(&v1, 1, 0x35)),
    );
    for (name, cut, needed) in [
        ("roster truncated in the header", 1, 1),
        ("roster without the group id length", 2, 1),
        ("roster truncated in the group id", 10, 3 + g - 10),
        ("roster truncated in the epoch", 3 + g + 3, 5),
        ("roster truncated in the previous hash", 3 + g + 8 + 10, 22),
        ("roster truncated in the count", after_count - 1, 1),
        // Inside the members the count check (2 × 33 bytes after the
        // count) fails first: 66 − what is left.
        ("roster cut in a member key", after_count + 33 + 20, 66 - 53),
        ("roster cut before a role", after_count + 33 + 32, 1),
        ("roster truncated in the signer", after_count + 66 + 5, 27),
        ("roster truncated in the signature", n1 - 1, 1),
    ] {
        c.add(
            name,
            &format!("the first {cut} bytes"),
            &format!("DecodeError::Truncated(needed: {needed})"),
            dec(&v1[..cut]),
        );
    }
    c.add(
        "roster trailing byte",
        "one byte after the signature",
        "DecodeError::TrailingBytes(1)",
        dec(&plus(&v1, &[0])),
    );
    c.add(
        "roster group id of 65 bytes",
        "the length byte says 65",
        "DecodeError::TooLong(field: group id, len: 65, limit: 64)",
        dec(&Raw {
            group_id: vec![b'g'; 65],
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster group id length 255",
        "the length byte 0xFF, nothing after it",
        "DecodeError::TooLong(field: group id, len: 255, limit: 64)",
        dec(&[0x01, 0x34, 0xFF]),
    );
    c.add(
        "roster empty group id",
        "a group id of 0 bytes (allowed, as in §12)",
        "ok",
        dec(&Raw {
            group_id: vec![],
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    let epoch0 = Raw {
        epoch: 0,
        ..raw1.clone()
    }
    .signed(&alice_s);
    c.add(
        "roster epoch 0",
        "signed",
        "DecodeError::InvalidField(roster epoch 0)",
        dec(&epoch0),
    );
    c.add(
        "roster epoch 0 with a trailing byte",
        "the rules come before trailing bytes (§15.1 steps 7–9)",
        "DecodeError::InvalidField(roster epoch 0)",
        dec(&plus(&epoch0, &[0])),
    );
    c.add(
        "roster epoch 1 with a previous hash",
        "previous is r2's hash",
        "DecodeError::InvalidField(previous hash must be zero exactly for epoch 1)",
        dec(&Raw {
            previous: r2.head().hash,
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster epoch 2 with a zero previous hash",
        "signed",
        "DecodeError::InvalidField(previous hash must be zero exactly for epoch 1)",
        dec(&Raw {
            epoch: 2,
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    let first_role_at = after_count + 32;
    c.add(
        "roster role 2",
        "the first member's role byte 2 (re-signed)",
        "DecodeError::InvalidField(roster role)",
        dec(&Raw {
            members: vec![(raw1.members[0].0, 2), raw1.members[1]],
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster role 0xFF",
        "not re-signed: the role is read before the signature is checked",
        "DecodeError::InvalidField(roster role)",
        dec(&with(&v1, first_role_at, 0xFF)),
    );
    let (not_on_curve, non_canonical) = bad_points();
    let small = small_order_point();
    let member_key = |key: [u8; 32]| {
        Raw {
            members: vec![raw1.members[0], (key, 0)],
            ..raw1.clone()
        }
        .signed(&alice_s)
    };
    c.add(
        "roster member of small order",
        "the second member's key is a point of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        dec(&member_key(small)),
    );
    c.add(
        "roster member not on the curve",
        "the second member's key decodes to no point",
        "DecodeError::InvalidKey(ed25519 point)",
        dec(&member_key(not_on_curve)),
    );
    c.add(
        "roster member not canonical",
        "the second member's key is y + p",
        "DecodeError::InvalidKey(ed25519 point)",
        dec(&member_key(non_canonical)),
    );
    c.add(
        "roster member identity point",
        "the second member's key is the identity (order 1)",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        dec(&member_key({
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        })),
    );
    c.add(
        "roster role 2 before a bad key",
        "the first member's role is 2 and the second member's key is of small order: the role is read first",
        "DecodeError::InvalidField(roster role)",
        dec(&Raw { members: vec![(raw1.members[0].0, 2), (small, 0)], ..raw1.clone() }.signed(&alice_s)),
    );
    c.add(
        "roster signer of small order",
        "the signer field is a point of order 8",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        dec(&Raw {
            signer: small,
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster no admin",
        "both members plain members (signed by Alice)",
        "DecodeError::InvalidField(no admin)",
        dec(&Raw {
            members: sorted(vec![(k(&alice), 0), (k(&bob), 0)]),
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster without members",
        "count 0: no admin",
        "DecodeError::InvalidField(no admin)",
        dec(&Raw {
            members: vec![],
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    let descending: Vec<([u8; 32], u8)> = raw1.members.iter().rev().copied().collect();
    c.add(
        "roster members descending",
        "the two members in descending order",
        "DecodeError::InvalidField(members not strictly ascending by account key (or listed twice))",
        dec(&Raw { members: descending.clone(), ..raw1.clone() }.signed(&alice_s)),
    );
    c.add(
        "roster member twice",
        "Alice listed as admin and as member",
        "DecodeError::InvalidField(members not strictly ascending by account key (or listed twice))",
        dec(&Raw { members: vec![(k(&alice), 0), (k(&alice), 1), ], ..raw1.clone() }.signed(&alice_s)),
    );
    c.add(
        "roster no admin and descending",
        "the admin rule comes first",
        "DecodeError::InvalidField(no admin)",
        dec(&Raw {
            members: descending.iter().map(|(k, _)| (*k, 0)).collect(),
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster epoch 0 and no admin",
        "the epoch rule comes first",
        "DecodeError::InvalidField(roster epoch 0)",
        dec(&Raw {
            epoch: 0,
            members: sorted(vec![(k(&alice), 0)]),
            ..raw1.clone()
        }
        .signed(&alice_s)),
    );
    c.add(
        "roster descending with an invalid signature",
        "the rules come before the signature",
        "DecodeError::InvalidField(members not strictly ascending by account key (or listed twice))",
        dec(&xor(&Raw { members: descending.clone(), ..raw1.clone() }.signed(&alice_s), n1 - 1, 1)),
    );
    c.add(
        "roster no admin with a trailing byte",
        "the rules come before trailing bytes",
        "DecodeError::InvalidField(no admin)",
        dec(&plus(
            &Raw {
                members: sorted(vec![(k(&alice), 0), (k(&bob), 0)]),
                ..raw1.clone()
            }
            .signed(&alice_s),
            &[0],
        )),
    );
    c.add(
        "roster signature modified",
        "the last byte of the signature flipped",
        "SignatureError::Invalid(Roster)",
        dec(&xor(&v1, n1 - 1, 0x01)),
    );
    c.add(
        "roster member role modified",
        "Bob made an admin without re-signing",
        "SignatureError::Invalid(Roster)",
        dec(&with(&v1, after_count + 33 + 32, 1)),
    );
    c.add(
        "roster signature S + L",
        "the same signature with S + L (not canonical)",
        "SignatureError::Invalid(Roster)",
        dec(&{
            let mut b = v1.clone();
            let s = add_l(&b[n1 - 32..]);
            b[n1 - 32..].copy_from_slice(&s);
            b
        }),
    );
    c.add(
        "roster signed by another key",
        "the signer field names Alice, the signature is Bob's",
        "SignatureError::Invalid(Roster)",
        dec(&raw1.signed(&bob_s)),
    );
    c.add(
        "roster epoch 1 signed by a member",
        "Bob (a member, not an admin) signs epoch 1",
        "VerifyError::SignerNotAdmin",
        dec(&Raw {
            signer: k(&bob),
            ..raw1.clone()
        }
        .signed(&bob_s)),
    );
    c.add(
        "roster epoch 1 signed by an outsider",
        "Dave (not listed) signs epoch 1",
        "VerifyError::SignerNotAdmin",
        dec(&Raw {
            signer: k(&dave),
            ..raw1.clone()
        }
        .signed(&dave_s)),
    );
    c.add(
        "roster epoch 1 signed by a member, signature invalid",
        "the admin rule of epoch 1 comes before the signature, in from_bytes as in verify (Item::Roster)",
        "VerifyError::SignerNotAdmin",
        dec(&xor(&Raw { signer: k(&bob), ..raw1.clone() }.signed(&bob_s), n1 - 1, 1)),
    );

    // ------------------------------------ server continuity (§15.6)
    let after = |previous: &str, b: &[u8]| json!({"operation": "roster.verify_after", "previous": previous, "input": hx(b)});
    c.add(
        "after r1: r2",
        "r2 directly follows r1 and is signed by its admin",
        "ok",
        after("r1", &r2.to_bytes()),
    );
    c.add(
        "after r3: r4",
        "r4 is signed by Bob, an admin of r3",
        "ok",
        after("r3", &r4.to_bytes()),
    );
    c.add(
        "after r1: a fork of r2",
        "r2x (Dave added) follows r1 as well: the server takes the first it sees",
        "ok",
        after("r1", &r2x.to_bytes()),
    );
    c.add(
        "after r1: Alice leaves",
        "signed by Alice, an admin of r1, not listed in epoch 2",
        "ok",
        after("r1", &r2_left.to_bytes()),
    );
    c.add(
        "after r2: r2",
        "the same epoch",
        "VerifyError::RosterNotSuccessor(epoch: 2, previous_epoch: 2)",
        after("r2", &r2.to_bytes()),
    );
    c.add(
        "after r1: r3",
        "an epoch skipped",
        "VerifyError::RosterNotSuccessor(epoch: 3, previous_epoch: 1)",
        after("r1", &r3.to_bytes()),
    );
    c.add(
        "after r2: r1",
        "an older epoch",
        "VerifyError::RosterNotSuccessor(epoch: 1, previous_epoch: 2)",
        after("r2", &r1.to_bytes()),
    );
    c.add(
        "after r2x: r3",
        "r3 names r2, not the fork, as previous",
        "VerifyError::RosterNotSuccessor(epoch: 3, previous_epoch: 2)",
        after("r2x", &r3.to_bytes()),
    );
    c.add(
        "after r1: another group's epoch 2",
        "it names r1's hash as previous and is signed by Alice, but is of another group",
        "VerifyError::RosterNotSuccessor(epoch: 2, previous_epoch: 1)",
        after("r1", &other_after_r1),
    );
    c.add(
        "after r1: epoch 2 by a member",
        "Bob is not an admin of r1",
        "VerifyError::SignerNotAdmin",
        after("r1", &r2_by_bob),
    );
    c.add(
        "after r3: epoch 4 by a member",
        "Carol is a plain member of r3",
        "VerifyError::SignerNotAdmin",
        after("r3", &r4_by_carol),
    );
    c.add(
        "after r1: epoch 2 by a member, signature invalid",
        "the admin rule comes before the signature",
        "VerifyError::SignerNotAdmin",
        after("r1", &xor(&r2_by_bob, r2_by_bob.len() - 1, 1)),
    );
    c.add(
        "after r2: r1 with an invalid signature",
        "continuity comes before the signature",
        "VerifyError::RosterNotSuccessor(epoch: 1, previous_epoch: 2)",
        after("r2", &xor(&v1, n1 - 1, 1)),
    );
    let r2b = r2.to_bytes();
    c.add(
        "after r1: r2 signature invalid",
        "a successor with a bad signature",
        "SignatureError::Invalid(Roster)",
        after("r1", &xor(&r2b, r2b.len() - 1, 1)),
    );
    c.add(
        "after r1: malformed",
        "trailing byte: decoding first",
        "DecodeError::TrailingBytes(1)",
        after("r1", &plus(&r2b, &[0])),
    );
    c.add(
        "after last: nothing follows",
        "a roster of epoch 2^64 − 1 has no successor: epoch 1 does not follow it",
        "VerifyError::RosterNotSuccessor(epoch: 1, previous_epoch: 18446744073709551615)",
        after("last", &v1),
    );

    // ------------------------------------------------ advance (§15.3)
    let adv = |held: &str, chain: &[&str]| json!({"operation": "roster.advance", "held": held, "chain": chain});
    c.add(
        "advance one epoch",
        "r1 over [r2]: Carol added",
        "ok",
        adv("r1", &["r2"]),
    );
    c.add(
        "advance the whole chain",
        "r1 over [r1, r2, r3, r4]: Carol added and removed, Bob promoted",
        "ok",
        adv("r1", &["r1", "r2", "r3", "r4"]),
    );
    c.add(
        "advance over a role change and a removal",
        "r2 over [r3, r4]",
        "ok",
        adv("r2", &["r3", "r4"]),
    );
    c.add(
        "advance empty",
        "no roster: nothing changes",
        "ok",
        adv("r1", &[]),
    );
    c.add(
        "advance the held roster twice",
        "r4 over [r4, r4]",
        "ok",
        adv("r4", &["r4", "r4"]),
    );
    c.add(
        "advance: an admin leaves",
        "r1 over [r2-left]: Alice removed by herself, Bob promoted",
        "ok",
        adv("r1", &["r2-left"]),
    );
    c.add(
        "advance rolled back",
        "r2 over [r1]",
        "RosterError::RolledBack(held: 2, offered: 1)",
        adv("r2", &["r1"]),
    );
    c.add(
        "advance rolled back to epoch 1",
        "r4 over [r1]",
        "RosterError::RolledBack(held: 4, offered: 1)",
        adv("r4", &["r1"]),
    );
    c.add(
        "advance rolled back inside the chain",
        "r1 over [r2, r3, r2]: against the newest reached",
        "RosterError::RolledBack(held: 3, offered: 2)",
        adv("r1", &["r2", "r3", "r2"]),
    );
    let fork = |held: &Roster, seen: ListHead| {
        format!(
            "RosterError::Fork(held: {}, seen: {})",
            errors::head(&held.head()),
            errors::head(&seen)
        )
    };
    c.add(
        "advance fork at the held epoch",
        "r2 over [r2x]",
        &fork(&r2, r2x.head()),
        adv("r2", &["r2x"]),
    );
    c.add(
        "advance fork not chaining",
        "r2x over [r3]: r3 names r2 as its previous",
        &fork(
            &r2x,
            ListHead {
                version: 2,
                hash: r2.head().hash,
            },
        ),
        adv("r2x", &["r3"]),
    );
    c.add(
        "advance fork inside the chain",
        "r1 over [r2x, r3]",
        &fork(
            &r2x,
            ListHead {
                version: 2,
                hash: r2.head().hash,
            },
        ),
        adv("r1", &["r2x", "r3"]),
    );
    c.add(
        "advance gap",
        "r1 over [r3]",
        "RosterError::Gap(from: 2, to: 3)",
        adv("r1", &["r3"]),
    );
    c.add(
        "advance gap inside the chain",
        "r1 over [r2, r4]",
        "RosterError::Gap(from: 3, to: 4)",
        adv("r1", &["r2", "r4"]),
    );
    c.add(
        "advance another group",
        "r1 over [g1]",
        "RosterError::WrongGroup",
        adv("r1", &["g1"]),
    );
    c.add(
        "advance another group's older roster",
        "r2 over [g1]: the group is compared before the epoch",
        "RosterError::WrongGroup",
        adv("r2", &["g1"]),
    );
    c.add(
        "advance another group inside the chain",
        "r1 over [r2, g1]",
        "RosterError::WrongGroup",
        adv("r1", &["r2", "g1"]),
    );
    c.add(
        "advance signed by a member",
        "r1 over [r2-by-bob]: Bob is not an admin of r1",
        "VerifyError::SignerNotAdmin",
        adv("r1", &["r2-by-bob"]),
    );
    c.add(
        "advance signed by a member inside the chain",
        "r1 over [r2, r3, r4-by-carol]",
        "VerifyError::SignerNotAdmin",
        adv("r1", &["r2", "r3", "r4-by-carol"]),
    );
    c.add(
        "advance a fork before a non-admin",
        "r2 over [r2-by-bob]: the fork at the held epoch is found first",
        &fork(&r2, Roster::from_bytes(&r2_by_bob).expect("decodes").head()),
        adv("r2", &["r2-by-bob"]),
    );
    let r3_by_alice = Raw {
        group_id: GROUP.to_vec(),
        g: None,
        epoch: 3,
        previous: r2_left.head().hash,
        count: None,
        members: sorted(vec![(k(&alice), 1), (k(&bob), 1)]),
        signer: k(&alice),
    }
    .signed(&alice_s);
    c.roster("r3-by-alice-after-leaving", &r3_by_alice);
    c.add(
        "advance after the admin left",
        "r2-left over [an epoch 3 signed by Alice]: she is no longer an admin",
        "VerifyError::SignerNotAdmin",
        adv("r2-left", &["r3-by-alice-after-leaving"]),
    );
    let long_names: Vec<String> = (1..=66).map(|i| format!("long{i}")).collect();
    let names = |a: usize, b: usize| -> Vec<&str> {
        long_names[a - 1..b].iter().map(String::as_str).collect()
    };
    c.add(
        "advance 64 rosters",
        "long1 over [long2 … long65]: MAX_ROSTER_CHAIN",
        "ok",
        adv("long1", &names(2, 65)),
    );
    c.add(
        "advance 65 rosters",
        "long1 over [long2 … long66]",
        "RosterError::InvalidRoster(\"chain longer than MAX_ROSTER_CHAIN\")",
        adv("long1", &names(2, 66)),
    );
    c.add(
        "advance 65 rosters leading with the held one",
        "long1 over [long1 … long65]: the held roster counts",
        "RosterError::InvalidRoster(\"chain longer than MAX_ROSTER_CHAIN\")",
        adv("long1", &names(1, 65)),
    );
    let hist_at = |chain: &[&str], invited: &ListHead| json!({"operation": "roster.from_history", "chain": chain, "invited": head_json(invited)});
    // Invited under the newest roster of the chain.
    let heads: BTreeMap<String, ListHead> = c
        .rosters
        .iter()
        .map(|(n, b)| (n.clone(), Roster::from_bytes(b).expect("roster").head()))
        .collect();
    let hist = |chain: &[&str]| {
        let invited = chain.last().map(|n| heads[*n]).unwrap_or(ListHead {
            version: 1,
            hash: [0; 32],
        });
        hist_at(chain, &invited)
    };
    c.add(
        "history r1 … r4",
        "from epoch 1",
        "ok",
        hist(&["r1", "r2", "r3", "r4"]),
    );
    c.add("history of one roster", "[r1]", "ok", hist(&["r1"]));
    c.add(
        "history empty",
        "no roster: it does not contain the roster invited under (checked first)",
        "RosterError::InvalidRoster(\"history does not contain the roster invited under\")",
        hist(&[]),
    );
    c.add(
        "history not from epoch 1",
        "[r2, r3]",
        "RosterError::Gap(from: 1, to: 2)",
        hist(&["r2", "r3"]),
    );
    c.add(
        "history with a gap",
        "[r1, r3]",
        "RosterError::Gap(from: 2, to: 3)",
        hist(&["r1", "r3"]),
    );
    c.add(
        "history with a fork",
        "[r1, r2x, r3]",
        &fork(
            &r2x,
            ListHead {
                version: 2,
                hash: r2.head().hash,
            },
        ),
        hist(&["r1", "r2x", "r3"]),
    );
    c.add(
        "history with a non-admin signer",
        "[r1, r2-by-bob]",
        "VerifyError::SignerNotAdmin",
        hist(&["r1", "r2-by-bob"]),
    );
    c.add(
        "history of 65 rosters",
        "[long1 … long65]: epoch 1 and MAX_ROSTER_CHAIN after it",
        "ok",
        hist(&names(1, 65)),
    );
    c.add(
        "history of 66 rosters",
        "[long1 … long66]: a history is walked in windows of MAX_ROSTER_CHAIN, so it has no limit of its own",
        "ok",
        hist(&names(1, 66)),
    );
    c.add(
        "history anchored at an earlier roster",
        "[r1 … r4] invited under r2",
        "ok",
        hist_at(&["r1", "r2", "r3", "r4"], &r2.head()),
    );
    c.add(
        "history without the roster invited under",
        "[r1, r2x] invited under r2: a rogue history",
        "RosterError::InvalidRoster(\"history does not contain the roster invited under\")",
        hist_at(&["r1", "r2x"], &r2.head()),
    );

    // ------------------------------------------------ making (§15.1)
    let mj = |a: &AccountKeyPair, r: &str| json!({"account": hx(&k(a)), "role": r});
    let create = |seed: &[u8; 32], group: &[u8], members: Vec<Value>| json!({"operation": "roster.create", "admin_seed": hx(seed), "group_id": hx(group), "members": members});
    c.add(
        "create",
        "Alice creates r1",
        "ok",
        create(
            &alice_s,
            GROUP,
            vec![mj(&bob, "member"), mj(&alice, "admin")],
        ),
    );
    c.add(
        "create with a 65-byte group id",
        "checked first",
        "DecodeError::TooLong(field: group id, len: 65, limit: 64)",
        create(&alice_s, &[b'g'; 65], vec![mj(&alice, "member")]),
    );
    c.add(
        "create without an admin",
        "Alice and Bob plain members",
        "RosterError::InvalidRoster(\"no admin\")",
        create(
            &alice_s,
            GROUP,
            vec![mj(&alice, "member"), mj(&bob, "member")],
        ),
    );
    c.add(
        "create with an account twice",
        "Bob as member and as admin",
        "RosterError::InvalidRoster(\"members not strictly ascending by account key (or listed twice)\")",
        create(&alice_s, GROUP, vec![mj(&alice, "admin"), mj(&bob, "member"), mj(&bob, "admin")]),
    );
    c.add(
        "create by a member",
        "Alice listed as a plain member, Bob admin",
        "RosterError::NotAdmin",
        create(
            &alice_s,
            GROUP,
            vec![mj(&alice, "member"), mj(&bob, "admin")],
        ),
    );
    c.add(
        "create by an outsider",
        "Alice not listed",
        "RosterError::NotAdmin",
        create(&alice_s, GROUP, vec![mj(&bob, "admin")]),
    );
    c.add(
        "create by a member without an admin",
        "the rules come before the signer's role",
        "RosterError::InvalidRoster(\"no admin\")",
        create(&alice_s, GROUP, vec![mj(&alice, "member")]),
    );
    c.add(
        "create with 2049 members",
        "one more than MAX_ROSTER_MEMBERS",
        "RosterError::InvalidRoster(\"more than MAX_ROSTER_MEMBERS members\")",
        create(
            &alice_s,
            GROUP,
            many.iter()
                .map(|(key, r)| json!({"account": hx(key), "role": if *r == 1 { "admin" } else { "member" }}))
                .chain([mj(&bob, "member")])
                .collect(),
        ),
    );
    let made = |op: &str, held: &str, seed: &[u8; 32], extra: Value| {
        let mut v = json!({"operation": op, "held": held, "admin_seed": hx(seed)});
        for (key, val) in extra.as_object().expect("object") {
            v[key] = val.clone();
        }
        v
    };
    c.add(
        "successor",
        "Alice: r1's members and Dave",
        "ok",
        made(
            "roster.successor",
            "r1",
            &alice_s,
            json!({"members": [mj(&alice, "admin"), mj(&bob, "member"), mj(&dave, "member")]}),
        ),
    );
    c.add(
        "successor by a member",
        "Bob is not an admin of r1",
        "RosterError::NotAdmin",
        made(
            "roster.successor",
            "r1",
            &bob_s,
            json!({"members": [mj(&alice, "admin")]}),
        ),
    );
    c.add(
        "successor by a member without an admin",
        "the signer's role comes first",
        "RosterError::NotAdmin",
        made(
            "roster.successor",
            "r1",
            &bob_s,
            json!({"members": [mj(&alice, "member")]}),
        ),
    );
    c.add(
        "successor without an admin",
        "Alice removes every admin",
        "RosterError::InvalidRoster(\"no admin\")",
        made(
            "roster.successor",
            "r1",
            &alice_s,
            json!({"members": [mj(&bob, "member")]}),
        ),
    );
    c.add(
        "successor of the last epoch",
        "epoch 2^64 − 1 has none",
        "RosterError::InvalidRoster(\"epoch exhausted\")",
        made(
            "roster.successor",
            "last",
            &alice_s,
            json!({"members": [mj(&alice, "admin")]}),
        ),
    );
    c.add(
        "with_member: a role change",
        "Alice promotes Bob",
        "ok",
        made(
            "roster.with_member",
            "r1",
            &alice_s,
            json!({"account": hx(&k(&bob)), "role": "admin"}),
        ),
    );
    c.add(
        "with_member by a member",
        "Bob adds Dave",
        "RosterError::NotAdmin",
        made(
            "roster.with_member",
            "r1",
            &bob_s,
            json!({"account": hx(&k(&dave)), "role": "member"}),
        ),
    );
    c.add(
        "without_member",
        "Alice removes Bob",
        "ok",
        made(
            "roster.without_member",
            "r1",
            &alice_s,
            json!({"account": hx(&k(&bob))}),
        ),
    );
    c.add(
        "without_member of a non-member by a member",
        "membership is checked before the signer's role",
        "RosterError::InvalidRoster(\"account not a member\")",
        made(
            "roster.without_member",
            "r1",
            &bob_s,
            json!({"account": hx(&k(&dave))}),
        ),
    );
    c.add(
        "without_member of the only admin",
        "Alice removes herself from r1: no admin left",
        "RosterError::InvalidRoster(\"no admin\")",
        made(
            "roster.without_member",
            "r1",
            &alice_s,
            json!({"account": hx(&k(&alice))}),
        ),
    );

    // ----------------------------- chains bound to a roster (§15.4)
    let identity_seed = phone.seed;
    let from_alice = phone.field();
    let chain_under = |rng: &mut chacha20::ChaCha20Rng, roster: &Roster, me: &AccountKeyPair| {
        let draws = ChainDraws::new(rng);
        let mut r = draws.replay();
        let out = OutboundGroupSession::new_in_roster(&mut r, roster, me.public(), POLICY, NOW)
            .expect("new");
        r.finish();
        (out, draws)
    };
    let (out1, ch1) = chain_under(&mut rng, &r1, &alice);
    let d1 = out1.distribution(&phone.id).to_bytes().to_vec();
    let a1 = out1.distribution(&phone.id).announcement.to_bytes();
    let raw_a1 = RawAnn {
        version: 3,
        sender: phone.id.public().to_field_bytes().to_vec(),
        group_id: GROUP.to_vec(),
        roster: Some(r1.head()),
        chain_id: u32::from_be_bytes(ch1.chain_id),
        rotation: 0,
        signing: ed25519_public(&ch1.signing_seed),
    };
    assert_eq!(
        raw_a1.announcement(&ch1.signing_seed, &identity_seed),
        a1,
        "§15.4 layout"
    );
    let (out2, _) = chain_under(&mut rng, &r2, &alice);
    let d2 = out2.distribution(&phone.id).to_bytes().to_vec();
    let (out2x, _) = chain_under(&mut rng, &r2x, &alice);
    let d2x = out2x.distribution(&phone.id).to_bytes().to_vec();
    let (outg, _) = chain_under(&mut rng, &g1, &alice);
    let dg = outg.distribution(&phone.id).to_bytes().to_vec();
    // The same chain from Alice's tablet, a device her list does not name.
    let d_tablet = out1.distribution(&tablet.id).to_bytes().to_vec();
    // A group without a roster, same group id.
    let plain_draws = ChainDraws::new(&mut rng);
    let out_plain = {
        let mut r = plain_draws.replay();
        let o = OutboundGroupSession::new(&mut r, GROUP, POLICY, NOW).expect("new");
        r.finish();
        o
    };
    let d_plain = out_plain.distribution(&phone.id).to_bytes().to_vec();

    let ann = |b: &[u8]| json!({"operation": "announcement.decode", "input": hx(b)});
    let na = a1.len();
    c.add("v3 announcement valid", "chain1 under r1", "ok", ann(&a1));
    c.add(
        "v3 announcement version 4",
        "an unknown later version",
        "DecodeError::UnsupportedVersion(4)",
        ann(&with(&a1, 0, 4)),
    );
    c.add(
        "v3 announcement version 1",
        "group version 1 is refused (§11)",
        "DecodeError::UnsupportedVersion(1)",
        ann(&with(&a1, 0, 1)),
    );
    c.add(
        "v3 announcement labelled version 2",
        "the roster head is read as chain id, rotation and the first 32 bytes of the signing key… : the fields shift by 40 bytes",
        &{
            let v = SenderKeyAnnouncement::from_bytes(&with(&a1, 0, 2)).expect_err("refused");
            errors::verify(&v).1
        },
        ann(&with(&a1, 0, 2)),
    );
    let v2_ann = out_plain.distribution(&phone.id).announcement.to_bytes();
    c.add(
        "v2 announcement labelled version 3",
        "40 bytes are missing after the group id",
        &{
            let v = SenderKeyAnnouncement::from_bytes(&with(&v2_ann, 0, 3)).expect_err("refused");
            errors::verify(&v).1
        },
        ann(&with(&v2_ann, 0, 3)),
    );
    c.add(
        "v3 announcement type of a distribution",
        "",
        "DecodeError::UnexpectedType(0x21)",
        ann(&with(&a1, 1, 0x21)),
    );
    let epoch_at = 2 + 128 + 1 + GROUP.len();
    c.add(
        "v3 announcement truncated in the epoch",
        "",
        "DecodeError::Truncated(needed: 3)",
        ann(&a1[..epoch_at + 5]),
    );
    c.add(
        "v3 announcement truncated in the roster hash",
        "",
        "DecodeError::Truncated(needed: 12)",
        ann(&a1[..epoch_at + 8 + 20]),
    );
    let epoch0 = RawAnn {
        roster: Some(ListHead {
            version: 0,
            hash: r1.head().hash,
        }),
        ..raw_a1.clone()
    }
    .announcement(&ch1.signing_seed, &identity_seed);
    c.add(
        "v3 announcement epoch 0",
        "re-signed",
        "DecodeError::InvalidField(roster epoch 0)",
        ann(&epoch0),
    );
    c.add(
        "v3 announcement epoch 0, cut in the hash",
        "the epoch is refused as soon as it is read, before the hash",
        "DecodeError::InvalidField(roster epoch 0)",
        ann(&epoch0[..epoch_at + 8 + 5]),
    );
    c.add(
        "v3 announcement roster hash modified",
        "not re-signed",
        "SignatureError::Invalid(SenderKeyPossession)",
        ann(&xor(&a1, epoch_at + 8 + 3, 0x10)),
    );
    c.add(
        "v3 announcement roster epoch modified",
        "epoch 2, not re-signed",
        "SignatureError::Invalid(SenderKeyPossession)",
        ann(&with(&a1, epoch_at + 7, 2)),
    );
    let unbound = {
        let b = raw_a1.body(&ch1.signing_seed, &identity_seed, None);
        [&[0x03, 0x23][..], &b].concat()
    };
    c.add(
        "v3 announcement signed without the roster",
        "the v3 layout, both signatures over the version 2 fields F (without the head)",
        "SignatureError::Invalid(SenderKeyPossession)",
        ann(&unbound),
    );
    let other_head = {
        let b = raw_a1.body(&ch1.signing_seed, &identity_seed, Some(&r2.head()));
        [&[0x03, 0x23][..], &b].concat()
    };
    c.add(
        "v3 announcement signed under another roster",
        "encodes r1's head, both signatures over F3 with r2's head",
        "SignatureError::Invalid(SenderKeyPossession)",
        ann(&other_head),
    );
    c.add(
        "v3 announcement identity signature modified",
        "",
        "SignatureError::Invalid(SenderKeyDistribution)",
        ann(&xor(&a1, na - 1, 1)),
    );
    c.add(
        "v3 announcement trailing byte",
        "",
        "DecodeError::TrailingBytes(1)",
        ann(&plus(&a1, &[0])),
    );
    let dist = |b: &[u8]| json!({"operation": "distribution.decode", "input": hx(b)});
    c.add(
        "v3 distribution valid",
        "chain1 under r1, iteration 0",
        "ok",
        dist(&d1),
    );
    c.add(
        "v3 distribution version 4",
        "",
        "DecodeError::UnsupportedVersion(4)",
        dist(&with(&d1, 0, 4)),
    );
    c.add(
        "v3 distribution type of an export",
        "",
        "DecodeError::UnexpectedType(0x22)",
        dist(&with(&d1, 1, 0x22)),
    );
    c.add(
        "v3 distribution truncated in the chain key",
        "",
        "DecodeError::Truncated(needed: 1)",
        dist(&d1[..d1.len() - 1]),
    );
    c.add(
        "v3 distribution trailing byte",
        "",
        "DecodeError::TrailingBytes(1)",
        dist(&plus(&d1, &[0])),
    );
    c.add(
        "v2 distribution labelled version 3",
        "",
        &{
            let v = SenderKeyDistribution::from_bytes(&with(&d_plain, 0, 3)).expect_err("refused");
            errors::verify(&v).1
        },
        dist(&with(&d_plain, 0, 3)),
    );

    // --------------------------------------------- admission (§15.5)
    let inbound_new =
        |d: &[u8], from: &str| json!({"operation": "inbound.new", "input": hx(d), "from": from});
    c.add(
        "new: a chain bound to a roster",
        "InboundGroupSession::new refuses a version 3 distribution",
        "RosterError::RosterMismatch",
        inbound_new(&d1, &from_alice),
    );
    c.add(
        "new: a chain bound to a roster, another sender",
        "refused as bound to a roster before the sender is compared",
        "RosterError::RosterMismatch",
        inbound_new(&d1, &bob_phone.field()),
    );
    let admit = |d: &[u8], from: &str, roster: &str, sender_list: &str, me: &AccountKeyPair| {
        json!({
            "operation": "inbound.new_in_roster",
            "input": hx(d),
            "from": from,
            "roster": roster,
            "sender_list": sender_list,
            "me": hx(&k(me)),
        })
    };
    c.add(
        "admit",
        "Bob takes chain1 under r1",
        "ok",
        admit(&d1, &from_alice, "r1", "alice.v1", &bob),
    );
    c.add(
        "admit under r2",
        "Carol takes chain2 under r2",
        "ok",
        admit(&d2, &from_alice, "r2", "alice.v1", &carol),
    );
    c.add(
        "admit the sender's own device",
        "Alice's account takes her own chain (another device of hers would)",
        "ok",
        admit(&d1, &from_alice, "r1", "alice.v1", &alice),
    );
    c.add(
        "admit a chain without a roster",
        "a version 2 distribution given to the roster call",
        "RosterError::RosterMismatch",
        admit(&d_plain, &from_alice, "r1", "alice.v1", &bob),
    );
    c.add(
        "admit another group's chain",
        "announced under g1",
        "RosterError::WrongGroup",
        admit(&dg, &from_alice, "r1", "alice.v1", &bob),
    );
    c.add(
        "admit a chain of a newer roster",
        "chain2 (r2) while holding r1",
        "RosterError::RosterBehind(held: 1, announced: 2)",
        admit(&d2, &from_alice, "r1", "alice.v1", &bob),
    );
    c.add(
        "admit a stale chain",
        "chain1 (r1) while holding r2",
        "RosterError::StaleChain(held: 2, announced: 1)",
        admit(&d1, &from_alice, "r2", "alice.v1", &bob),
    );
    c.add(
        "admit a chain of a fork",
        "chain announced under r2x while holding r2",
        &format!(
            "RosterError::Fork(held: {}, seen: {})",
            errors::head(&r2.head()),
            errors::head(&r2x.head())
        ),
        admit(&d2x, &from_alice, "r2", "alice.v1", &bob),
    );
    c.add(
        "admit when not a member",
        "Dave, not in r1",
        "RosterError::NotMember",
        admit(&d1, &from_alice, "r1", "alice.v1", &dave),
    );
    c.add(
        "admit before being added",
        "Carol holding r1",
        "RosterError::NotMember",
        admit(&d1, &from_alice, "r1", "alice.v1", &carol),
    );
    c.add(
        "admit a sender listed by a non-member",
        "Dave's list names Alice's phone, but Dave is not a member",
        "RosterError::SenderNotMember",
        admit(&d1, &from_alice, "r1", "dave.v1", &bob),
    );
    c.add(
        "admit a device its member does not list",
        "chain1 announced by Alice's tablet, not in alice.v1",
        "RosterError::SenderNotMember",
        admit(&d_tablet, &tablet.field(), "r1", "alice.v1", &bob),
    );
    c.add(
        "admit with the wrong sender list",
        "Bob's list given for Alice's chain",
        "RosterError::SenderNotMember",
        admit(&d1, &from_alice, "r1", "bob.v1", &bob),
    );
    c.add(
        "admit from another session",
        "the distribution came over Bob's session",
        "GroupError::UntrustedSender",
        admit(&d1, &bob_phone.field(), "r1", "alice.v1", &bob),
    );
    c.add(
        "admit: untrusted before the roster",
        "another session and a stale chain",
        "GroupError::UntrustedSender",
        admit(&d1, &bob_phone.field(), "r2", "alice.v1", &bob),
    );
    let g2 = g1
        .with_member(&alice, carol.public(), Role::Member)
        .expect("g2");
    let dg2 = chain_under(&mut rng, &g2, &alice)
        .0
        .distribution(&phone.id)
        .to_bytes()
        .to_vec();
    c.add(
        "admit: group before version",
        "another group's chain of a newer epoch (g2) while holding r1",
        "RosterError::WrongGroup",
        admit(&dg2, &from_alice, "r1", "alice.v1", &bob),
    );
    c.add(
        "admit: a fork before membership",
        "r2x's chain to Carol holding r2 (Carol not in r2x)",
        &format!(
            "RosterError::Fork(held: {}, seen: {})",
            errors::head(&r2.head()),
            errors::head(&r2x.head())
        ),
        admit(&d2x, &from_alice, "r2", "alice.v1", &carol),
    );
    c.add(
        "admit: membership before the sender",
        "Dave, with Dave's list",
        "RosterError::NotMember",
        admit(&d1, &from_alice, "r1", "dave.v1", &dave),
    );

    // Rings never mix formats.
    let ring_plain = SenderKeyRing::new(
        &SenderKeyDistribution::from_bytes(&d_plain).expect("d"),
        phone.id.public(),
    )
    .expect("ring");
    let ring_v3 = SenderKeyRing::new_in_roster(
        &SenderKeyDistribution::from_bytes(&d1).expect("d1"),
        phone.id.public(),
        &r1,
        &alice_list,
        bob.public(),
    )
    .expect("ring v3");
    let ring_op = |op: &str, state: &[u8], d: &[u8], roster: Option<&str>| {
        let mut v =
            json!({"operation": op, "state": hx(state), "input": hx(d), "from": from_alice});
        if let Some(r) = roster {
            v["roster"] = json!(r);
            v["sender_list"] = json!("alice.v1");
            v["me"] = json!(hx(&k(&bob)));
        }
        v
    };
    // chain2 of the same sender, under r2 (rotation 0 as well: a new
    // session; make one at rotation 1 by rotating out1 after r2).
    let d_next = {
        let mut o = OutboundGroupSession::from_bytes(&out1.to_bytes()).expect("copy");
        let (_, change) = r1.advance(std::slice::from_ref(&r2)).expect("advance");
        o.apply_roster(&change).expect("apply");
        let draws = ChainDraws::new(&mut rng);
        let mut r = draws.replay();
        o.rotate(&mut r, NOW + 60).expect("rotate");
        r.finish();
        o.distribution(&phone.id).to_bytes().to_vec()
    };
    c.add(
        "ring v3 adds the next chain",
        "chain1's ring (Bob) takes the rotation under r2",
        "ok",
        ring_op(
            "ring.add_in_roster",
            &ring_v3.to_bytes(),
            &d_next,
            Some("r2"),
        ),
    );
    c.add(
        "ring v2 adds a chain bound to a roster",
        "a ring of version 2 chains refuses a version 3 chain",
        "RosterError::RosterMismatch",
        ring_op(
            "ring.add_in_roster",
            &ring_plain.to_bytes(),
            &d1,
            Some("r1"),
        ),
    );
    c.add(
        "ring v3 adds a chain without a roster",
        "`add` of a version 2 distribution to a version 3 ring",
        "RosterError::RosterMismatch",
        ring_op("ring.add", &ring_v3.to_bytes(), &d_plain, None),
    );
    c.add(
        "ring v3 adds with add",
        "`add` (no roster) of a version 3 distribution",
        "RosterError::RosterMismatch",
        ring_op("ring.add", &ring_v3.to_bytes(), &d_next, None),
    );

    // ------------------------------------------ sending (§15.4)
    let new_in = |roster: &str, me: &AccountKeyPair, draws: Value| {
        json!({
            "operation": "outbound.new_in_roster",
            "roster": roster,
            "me": hx(&k(me)),
            "draws": draws,
            "policy": {"max_messages": POLICY.max_messages, "max_age_secs": POLICY.max_age_secs},
            "now": NOW,
        })
    };
    c.add(
        "new_in_roster",
        "Alice under r1",
        "ok",
        new_in("r1", &alice, ch1.json()),
    );
    c.add(
        "new_in_roster by a non-member",
        "Dave under r1: nothing drawn",
        "RosterError::NotMember",
        new_in("r1", &dave, json!([])),
    );
    c.add(
        "new_in_roster by a removed member",
        "Carol under r4",
        "RosterError::NotMember",
        new_in("r4", &carol, json!([])),
    );
    let apply = |state: &[u8], change: &RosterChange| json!({"operation": "outbound.apply_roster", "state": hx(state), "change": roster_change_json(change), "now": NOW});
    let (_, c12) = r1.advance(std::slice::from_ref(&r2)).expect("c12");
    let (_, c1x) = r1.advance(std::slice::from_ref(&r2x)).expect("c1x");
    let (_, c24) = r2.advance(&[r3.clone(), r4.clone()]).expect("c24");
    let (_, c11) = r1.advance(&[]).expect("c11");
    let (_, c23) = r2.advance(std::slice::from_ref(&r3)).expect("c23");
    let (_, cg) = g1.advance(&[]).expect("cg");
    let s1 = out1.to_bytes().to_vec();
    let s1_applied = {
        let mut o = OutboundGroupSession::from_bytes(&s1).expect("s1");
        o.apply_roster(&c12).expect("apply");
        o.to_bytes().to_vec()
    };
    let s2 = out2.to_bytes().to_vec();
    c.add(
        "apply a change",
        "chain1 under r1, change to r2: rotation due (RosterChanged)",
        "ok",
        apply(&s1, &c12),
    );
    c.add(
        "apply an empty change",
        "r1 to r1: nothing due",
        "ok",
        apply(&s1, &c11),
    );
    c.add(
        "apply a change twice",
        "the same change to r2 again",
        "ok",
        apply(&s1_applied, &c12),
    );
    c.add(
        "apply a removal",
        "chain2 under r2, change to r4 (Carol removed): MemberRemoved due",
        "ok",
        apply(&s2, &c24),
    );
    c.add(
        "apply a role change",
        "chain2 under r2, change to r3 (Bob promoted): RosterChanged due",
        "ok",
        apply(&s2, &c23),
    );
    c.add(
        "apply an older change",
        "held r2, change to r1",
        "RosterError::RolledBack(held: 2, offered: 1)",
        apply(&s2, &c11),
    );
    c.add(
        "apply a fork",
        "held r2 (applied), change to r2x",
        &format!(
            "RosterError::Fork(held: {}, seen: {})",
            errors::head(&r2.head()),
            errors::head(&r2x.head())
        ),
        apply(&s1_applied, &c1x),
    );
    c.add(
        "apply another group's change",
        "",
        "RosterError::WrongGroup",
        apply(&s1, &cg),
    );
    c.add(
        "apply to a session without a roster",
        "a version 2 outbound session",
        "RosterError::RosterMismatch",
        apply(&out_plain.to_bytes(), &c12),
    );
    c.add(
        "apply: roster before group",
        "a version 2 session given another group's change",
        "RosterError::RosterMismatch",
        apply(&out_plain.to_bytes(), &cg),
    );
    let enc = |state: &[u8], nonce: Option<&[u8]>| {
        json!({
            "operation": "outbound.encrypt",
            "state": hx(state),
            "identity_seed": hx(&phone.seed),
            "identity_x25519": hx(&phone.x),
            "plaintext": hx(b"to the group"),
            "nonce": nonce.map(hx),
        })
    };
    let nonce = [9u8; 12];
    c.add(
        "encrypt under the roster",
        "chain1 under r1",
        "ok",
        enc(&s1, Some(&nonce)),
    );
    c.add(
        "encrypt after a change",
        "the change to r2 applied: refused, nothing drawn",
        "EncryptError::RotationRequired(RosterChanged)",
        enc(&s1_applied, None),
    );
    let s2_removed = {
        let mut o = OutboundGroupSession::from_bytes(&s2).expect("s2");
        o.apply_roster(&c24).expect("apply");
        o.to_bytes().to_vec()
    };
    c.add(
        "encrypt after a removal",
        "MemberRemoved comes before RosterChanged",
        "EncryptError::RotationRequired(MemberRemoved)",
        enc(&s2_removed, None),
    );

    // ---------------------------------------------- states (§7.4 v3)
    let sdec = |op: &str, b: &[u8]| json!({"operation": op, "input": hx(b)});
    let ns = s1.len();
    c.add(
        "outbound v3 state",
        "chain1 under r1",
        "ok",
        sdec("outbound.decode", &s1),
    );
    c.add(
        "outbound v3 state awaiting a rotation",
        "chain under r1, r2 held",
        "ok",
        sdec("outbound.decode", &s1_applied),
    );
    c.add(
        "outbound v3 state relabelled 2",
        "the two heads are trailing bytes",
        "DecodeError::TrailingBytes(80)",
        sdec("outbound.decode", &with(&s1, 0, 2)),
    );
    c.add(
        "outbound v2 state relabelled 3",
        "the heads are missing",
        "DecodeError::Truncated(needed: 8)",
        sdec("outbound.decode", &with(&out_plain.to_bytes(), 0, 3)),
    );
    c.add(
        "outbound state version 4",
        "",
        "DecodeError::UnsupportedVersion(4)",
        sdec("outbound.decode", &with(&s1, 0, 4)),
    );
    c.add(
        "outbound v3 state truncated in the held head",
        "",
        "DecodeError::Truncated(needed: 10)",
        sdec("outbound.decode", &s1[..ns - 10]),
    );
    let chain_head_at = ns - 80;
    c.add(
        "outbound v3 state chain roster epoch 0",
        "",
        "DecodeError::InvalidField(roster epoch 0)",
        sdec("outbound.decode", &{
            let mut b = s1.clone();
            b[chain_head_at..chain_head_at + 8].copy_from_slice(&0u64.to_be_bytes());
            b
        }),
    );
    c.add(
        "outbound v3 state held roster epoch 0",
        "",
        "DecodeError::InvalidField(roster epoch 0)",
        sdec("outbound.decode", &{
            let mut b = s1.clone();
            b[ns - 40..ns - 32].copy_from_slice(&0u64.to_be_bytes());
            b
        }),
    );
    c.add(
        "outbound v3 state held roster older",
        "the chain under epoch 2, held epoch 1",
        "DecodeError::InvalidField(held roster older than the chain's roster)",
        sdec("outbound.decode", &{
            let mut b = s1_applied.clone();
            let (ch, held) = (b[ns - 80..ns - 40].to_vec(), b[ns - 40..].to_vec());
            b[ns - 80..ns - 40].copy_from_slice(&held);
            b[ns - 40..].copy_from_slice(&ch);
            b
        }),
    );
    c.add(
        "outbound v3 state held roster of another hash",
        "same epoch, another hash: accepted (a rotation is due)",
        "ok",
        sdec("outbound.decode", &xor(&s1, ns - 1, 1)),
    );
    c.add(
        "outbound v3 state held epoch 0 and trailing",
        "the head's rule before trailing bytes",
        "DecodeError::InvalidField(roster epoch 0)",
        sdec(
            "outbound.decode",
            &plus(
                &{
                    let mut b = s1.clone();
                    b[ns - 40..ns - 32].copy_from_slice(&0u64.to_be_bytes());
                    b
                },
                &[0],
            ),
        ),
    );
    let bob_in = InboundGroupSession::new_in_roster(
        &SenderKeyDistribution::from_bytes(&d1).expect("d1"),
        phone.id.public(),
        &r1,
        &alice_list,
        bob.public(),
    )
    .expect("bob");
    let si = bob_in.to_bytes().to_vec();
    c.add(
        "inbound v3 state",
        "Bob's chain1 under r1",
        "ok",
        sdec("inbound.decode", &si),
    );
    c.add(
        "inbound v3 state truncated in the roster hash",
        "",
        "DecodeError::Truncated(needed: 12)",
        sdec("inbound.decode", &si[..epoch_at + 8 + 20]),
    );
    c.add(
        "inbound v3 state roster epoch 0",
        "",
        "DecodeError::InvalidField(roster epoch 0)",
        sdec("inbound.decode", &{
            let mut b = si.clone();
            b[epoch_at..epoch_at + 8].copy_from_slice(&0u64.to_be_bytes());
            b
        }),
    );
    c.add(
        "inbound v3 state relabelled 2",
        "",
        &{
            let e = InboundGroupSession::from_bytes(&with(&si, 0, 2)).expect_err("refused");
            errors::state(&e).1
        },
        sdec("inbound.decode", &with(&si, 0, 2)),
    );
    c.add(
        "inbound state version 4",
        "",
        "DecodeError::UnsupportedVersion(4)",
        sdec("inbound.decode", &with(&si, 0, 4)),
    );
    let ring2 = {
        let mut r = SenderKeyRing::from_bytes(&ring_v3.to_bytes()).expect("ring");
        r.add_in_roster(
            &SenderKeyDistribution::from_bytes(&d_next).expect("d"),
            phone.id.public(),
            &r2,
            &alice_list,
            bob.public(),
        )
        .expect("add");
        r.to_bytes().to_vec()
    };
    c.add(
        "ring v3 state",
        "two chains, under r1 and r2",
        "ok",
        sdec("ring.decode", &ring2),
    );
    c.add(
        "ring v3 state relabelled 2",
        "",
        &{
            let e = SenderKeyRing::from_bytes(&with(&ring2, 0, 2)).expect_err("refused");
            errors::state(&e).1
        },
        sdec("ring.decode", &with(&ring2, 0, 2)),
    );
    c.add(
        "ring v3 state count beyond the input",
        "count 3: 3 × 341 bytes are more than follow",
        &format!(
            "DecodeError::Truncated(needed: {})",
            3 * 341 - (ring2.len() - 6)
        ),
        sdec("ring.decode", &{
            let mut b = ring2.clone();
            b[2..6].copy_from_slice(&3u32.to_be_bytes());
            b
        }),
    );

    // ------------------------------------- message signatures (§15.4)
    let m0 = {
        let mut o = OutboundGroupSession::from_bytes(&s1).expect("s1");
        let mut r = ReplayRng::new([nonce.to_vec()]);
        let m = o.encrypt(&mut r, &phone.id, b"m0 under r1").expect("m0");
        r.finish();
        m
    };
    let resign = |m: &[u8], context: &[u8]| {
        let body = &m[..m.len() - 64];
        let sig = sign(
            &ch1.signing_seed,
            &[GROUP_MESSAGE_LABEL, context, body].concat(),
        );
        [body, &sig[..]].concat()
    };
    let sender_ed = *phone.id.public().signing_key().as_bytes();
    let v2_context = [&sender_ed[..], &[GROUP.len() as u8], GROUP].concat();
    let m_v2ctx = resign(&m0, &v2_context);
    let m_r2ctx = resign(&m0, &rostered_context(&sender_ed, GROUP, &r2.head()));
    assert_eq!(
        resign(&m0, &rostered_context(&sender_ed, GROUP, &r1.head())),
        m0,
        "§15.4 context"
    );
    let dm = |m: &[u8]| {
        json!({
            "operation": "message.decrypt_in_roster",
            "state": hx(&si),
            "input": hx(m),
            "roster": "r1",
            "sender_list": "alice.v1",
        })
    };
    c.add(
        "message given to decrypt",
        "a chain bound to a roster through the call without one",
        &{
            let mut s = InboundGroupSession::from_bytes(&si).expect("si");
            match s.decrypt(&m0) {
                Ok(_) => "ok".to_string(),
                Err(e) => errors::decrypt(&e).1,
            }
        },
        json!({"operation": "message.decrypt", "state": hx(&si), "input": hx(&m0)}),
    );
    // Carol's own chain under r2, held by Bob; Bob's roster moves on.
    let (mut carol_out, carol_draws) = {
        let draws = ChainDraws::new(&mut rng);
        let mut r = draws.replay();
        let o = OutboundGroupSession::new_in_roster(&mut r, &r2, carol.public(), POLICY, NOW)
            .expect("carol's chain");
        r.finish();
        (o, draws)
    };
    let _ = carol_draws;
    let carol_dist = carol_out.distribution(&carol_phone.id);
    let bob_of_carol = InboundGroupSession::new_in_roster(
        &carol_dist,
        carol_phone.id.public(),
        &r2,
        &carol_list,
        bob.public(),
    )
    .expect("bob takes carol's chain")
    .to_bytes()
    .to_vec();
    let carol_m = {
        let mut r = ReplayRng::new([[7u8; 12].to_vec()]);
        let m = carol_out
            .encrypt(&mut r, &carol_phone.id, b"from Carol")
            .expect("m");
        r.finish();
        m
    };
    let dc = |roster: &str| {
        json!({
            "operation": "message.decrypt_in_roster",
            "state": hx(&bob_of_carol),
            "input": hx(&carol_m),
            "roster": roster,
            "sender_list": "carol.v1",
        })
    };
    c.add(
        "message of a member under its roster",
        "Carol's message, Bob holding r2",
        "ok",
        dc("r2"),
    );
    c.add(
        "message sent before a change",
        "Carol's chain under r2, Bob holding r3 (Carol still a member)",
        "ok",
        dc("r3"),
    );
    c.add(
        "message of a removed member",
        "Carol's chain under r2, Bob holding r4 (Carol removed)",
        "RosterError::SenderNotMember",
        dc("r4"),
    );
    c.add(
        "message of a chain of a newer roster",
        "Carol's chain under r2, Bob holding r1",
        "RosterError::RosterBehind(held: 1, announced: 2)",
        dc("r1"),
    );
    c.add(
        "message of a forked roster",
        "Carol's chain under r2, Bob holding r2x",
        &format!(
            "RosterError::Fork(held: {}, seen: {})",
            errors::head(&r2x.head()),
            errors::head(&r2.head())
        ),
        dc("r2x"),
    );
    c.add(
        "message of a chain another group's roster holds",
        "Carol's chain, Bob given g1",
        "RosterError::WrongGroup",
        dc("g1"),
    );
    c.add(
        "message under the roster",
        "m0 to Bob's chain1",
        "ok",
        dm(&m0),
    );
    c.add(
        "message signed without the roster head",
        "re-signed over the version 2 context",
        "SignatureError::Invalid(GroupMessage)",
        dm(&m_v2ctx),
    );
    c.add(
        "message signed under another roster",
        "re-signed over the context with r2's head",
        "SignatureError::Invalid(GroupMessage)",
        dm(&m_r2ctx),
    );
    let vm =
        |m: &[u8]| json!({"operation": "message.verify", "announcement": hx(&a1), "input": hx(m)});
    c.add(
        "verify a message under the roster",
        "Item::GroupMessage with the v3 announcement",
        "ok",
        vm(&m0),
    );
    c.add(
        "verify a message signed without the roster head",
        "",
        "SignatureError::Invalid(GroupMessage)",
        vm(&m_v2ctx),
    );

    // A fork of epoch 1: chains under it, checked against r2 (whose
    // previous is r1's hash) are a fork at the previous epoch.
    let r1x = Roster::create(
        &alice,
        GROUP,
        vec![m(&alice, Role::Admin), m(&bob, Role::Admin)],
    )
    .expect("r1x");
    c.roster("r1x", &r1x.to_bytes());
    let (out1x, _) = chain_under(&mut rng, &r1x, &alice);
    let d1x = out1x.distribution(&phone.id).to_bytes().to_vec();
    let prev_fork = format!(
        "RosterError::Fork(held: {}, seen: {})",
        errors::head(&ListHead {
            version: 1,
            hash: r1.head().hash
        }),
        errors::head(&r1x.head())
    );
    c.add(
        "admit a chain of a fork at the previous epoch",
        "announced under r1x, another epoch 1, while holding r2: a fork, not a stale chain",
        &prev_fork,
        admit(&d1x, &from_alice, "r2", "alice.v1", &bob),
    );
    c.add(
        "admit a chain two epochs back",
        "announced under r1 while holding r3: stale (not checked against r3)",
        "RosterError::StaleChain(held: 3, announced: 1)",
        admit(&d1, &from_alice, "r3", "alice.v1", &bob),
    );
    let bob_of_1x = {
        let d = SenderKeyDistribution::from_bytes(&d1x).expect("d1x");
        InboundGroupSession::new_in_roster(&d, phone.id.public(), &r1x, &alice_list, bob.public())
            .expect("admitted under r1x")
            .to_bytes()
            .to_vec()
    };
    let m1x = {
        let mut o = OutboundGroupSession::from_bytes(&out1x.to_bytes()).expect("copy");
        let mut r = ReplayRng::new([nonce.to_vec()]);
        let m = o.encrypt(&mut r, &phone.id, b"under r1x").expect("m");
        r.finish();
        m
    };
    c.add(
        "message of a fork at the previous epoch",
        "a chain admitted under r1x, read while holding r2",
        &prev_fork,
        json!({"operation": "message.decrypt_in_roster", "state": hx(&bob_of_1x), "input": hx(&m1x), "roster": "r2", "sender_list": "alice.v1"}),
    );
    c.add(
        "message of a chain two epochs back",
        "Bob's chain1 (r1) read while holding r3: Alice is still a member",
        "ok",
        json!({"operation": "message.decrypt_in_roster", "state": hx(&si), "input": hx(&m0), "roster": "r3", "sender_list": "alice.v1"}),
    );
    c.add(
        "message of a removed member, malformed",
        "the sender is checked before the message is parsed",
        "RosterError::SenderNotMember",
        json!({"operation": "message.decrypt_in_roster", "state": hx(&bob_of_carol), "input": hx(&carol_m[..10]), "roster": "r4", "sender_list": "carol.v1"}),
    );
    c.add(
        "message malformed",
        "a member's message cut after 10 bytes (in the nonce)",
        "DecodeError::Truncated(needed: 12)",
        json!({"operation": "message.decrypt_in_roster", "state": hx(&bob_of_carol), "input": hx(&carol_m[..10]), "roster": "r2", "sender_list": "carol.v1"}),
    );

    // Imports (§15.4).
    let export = {
        let s = InboundGroupSession::from_bytes(&si).expect("si");
        s.export_at(s.position()).expect("export").to_vec()
    };
    let imp = |b: &[u8]| json!({"operation": "export.import", "input": hx(b)});
    c.add(
        "import a chain bound to a roster",
        "the plain import refuses it",
        "RosterError::RosterMismatch",
        imp(&export),
    );
    c.add(
        "import a chain bound to a roster, forged",
        "the signatures are checked first",
        "SignatureError::Invalid(SenderKeyDistribution)",
        imp(&xor(&export, export.len() - 37, 1)),
    );
    let imp_r = |b: &[u8], roster: &str, list: &str, me: &AccountKeyPair| json!({"operation": "export.import_in_roster", "input": hx(b), "roster": roster, "sender_list": list, "me": hx(&k(me))});
    c.add(
        "import_in_roster",
        "Bob's export under r1, imported by his other device",
        "ok",
        imp_r(&export, "r1", "alice.v1", &bob),
    );
    c.add(
        "import_in_roster an earlier epoch",
        "under r1, holding r3",
        "ok",
        imp_r(&export, "r3", "alice.v1", &bob),
    );
    c.add(
        "import_in_roster not a member",
        "Dave",
        "RosterError::NotMember",
        imp_r(&export, "r1", "alice.v1", &dave),
    );
    c.add(
        "import_in_roster: membership before the sender",
        "Dave, with Dave's list",
        "RosterError::NotMember",
        imp_r(&export, "r1", "dave.v1", &dave),
    );
    c.add(
        "import_in_roster of a newer roster",
        "the export under r2, holding r1",
        "RosterError::RosterBehind(held: 1, announced: 2)",
        {
            let s = InboundGroupSession::from_bytes(&si).expect("si");
            let _ = s;
            let e2 = {
                let d = SenderKeyDistribution::from_bytes(&d2).expect("d2");
                let s = InboundGroupSession::new_in_roster(
                    &d,
                    phone.id.public(),
                    &r2,
                    &alice_list,
                    carol.public(),
                )
                .expect("carol");
                s.export_at(0).expect("export").to_vec()
            };
            imp_r(&e2, "r1", "alice.v1", &bob)
        },
    );
    c.add(
        "import_in_roster a chain without a roster",
        "a version 2 export",
        "RosterError::RosterMismatch",
        {
            let d = SenderKeyDistribution::from_bytes(&d_plain).expect("d");
            let s = InboundGroupSession::new(&d, phone.id.public()).expect("plain");
            imp_r(&s.export_at(0).expect("export"), "r1", "alice.v1", &bob)
        },
    );
    c.add(
        "import_in_roster with the wrong list",
        "Bob's list for Alice's chain",
        "RosterError::SenderNotMember",
        imp_r(&export, "r1", "bob.v1", &bob),
    );
    c.add(
        "import_in_roster a distribution",
        "type 0x21",
        "DecodeError::UnexpectedType(0x21)",
        imp_r(&d1, "r1", "alice.v1", &bob),
    );

    // --------------------------------- distribute_in_roster (§15.5)
    let distribute = |d: &[u8], roster: &str| json!({"operation": "distribute_in_roster", "input": hx(d), "roster": roster, "lists": ["alice.v1", "bob.v1", "carol.v1"]});
    c.add(
        "distribute under the roster",
        "chain2 under r2, no sessions",
        "ok",
        distribute(&d2, "r2"),
    );
    c.add(
        "distribute another group's chain",
        "",
        "RosterError::WrongGroup",
        distribute(&dg, "r2"),
    );
    c.add(
        "distribute a chain without a roster",
        "",
        "RosterError::RosterMismatch",
        distribute(&d_plain, "r2"),
    );
    c.add(
        "distribute a chain of a newer roster",
        "chain2 while holding r1",
        "RosterError::RosterBehind(held: 1, announced: 2)",
        distribute(&d2, "r1"),
    );
    c.add(
        "distribute a chain of a fork at the previous epoch",
        "chain under r1x while holding r2",
        &prev_fork,
        distribute(&d1x, "r2"),
    );
    c.add(
        "distribute a stale chain",
        "chain1 while holding r2",
        "RosterError::StaleChain(held: 2, announced: 1)",
        distribute(&d1, "r2"),
    );
    c.add(
        "distribute a fork's chain",
        "chain under r2x while holding r2",
        &format!(
            "RosterError::Fork(held: {}, seen: {})",
            errors::head(&r2.head()),
            errors::head(&r2x.head())
        ),
        distribute(&d2x, "r2"),
    );

    let CaseTable { inputs, expected } = c.table;
    json!({
        "description": "Inputs the roster decoders and operations must refuse (docs/PROTOCOL.md §15, §7.4 \
            version 3), each with its exact error, and the accepted inputs at the edges. No draws: \
            keys come from rng(seed) and every input is given as bytes; rosters and device lists \
            used by several cases are named in inputs.rosters and inputs.lists. A case is {name, \
            about, operation} and: input (bytes), previous (a roster name, for \
            roster.verify_after), held and chain (roster names), admin_seed, group_id, members \
            [{account, role}], account, role (for the making operations), from (the identity the \
            1:1 session is with), roster, sender_list (a list name) and me (an account key) for \
            admission, state (a plain group state), change ({group_id, from, to, added, removed, \
            role_changed}, a RosterChange), draws (the chain draws of new_in_roster), \
            policy {max_messages, max_age_secs} and now (for new_in_roster), identity_seed, \
            identity_x25519, plaintext and nonce (for an encrypt), announcement \
            (for message.verify), lists (list names, for distribute_in_roster, given no \
            sessions). Operations: roster.decode (Roster::from_bytes; every outcome also verify: \
            \"ok\" or the VerifyError of Item::Roster), roster.verify_after \
            (Item::RosterAfter{previous, input}), roster.advance, roster.from_history, \
            roster.create, roster.successor, roster.with_member, roster.without_member, \
            announcement.decode, distribution.decode, inbound.new, inbound.new_in_roster, \
            ring.add, ring.add_in_roster, outbound.new_in_roster, outbound.apply_roster (an ok \
            outcome carries rotation_due at now), outbound.encrypt, outbound.decode, \
            inbound.decode, ring.decode, message.decrypt, message.verify \
            (Item::GroupMessage), distribute_in_roster. expected.cases: {name, result: \"ok\", …} \
            or {name, result: \"error\", error, kind} (kind: the innermost error). A refused call \
            that takes a state leaves it unchanged; decoders that accept re-encode to the same \
            bytes.",
        "seed": ROSTER_NEGATIVE_SEED,
        "inputs": {
            "rosters": c.rosters.iter().map(|(k, v)| (k.clone(), json!(hx(v)))).collect::<serde_json::Map<_, _>>(),
            "lists": c.lists.iter().map(|(k, v)| (k.clone(), json!(hx(v)))).collect::<serde_json::Map<_, _>>(),
            "cases": inputs,
        },
        "expected": {"cases": expected},
    })
}
