//! `certificate.json`: organisation certificates and statements
//! (docs/PROTOCOL.md §16). A ministry's issuer key (the trust anchor), its
//! personnel department's intermediate key, a rival organisation's key;
//! statements (an intermediate certificate, account certificates issued
//! through the intermediate and directly, a statement about a document),
//! presentations with their QR text, revocation lists, and what
//! verification says of each presentation against the anchors, the lists
//! and the clock. Also the certificate fixture
//! (`fixtures/certificate-v1.json`).
//!
//! Every layout is made by hand here from §16 and compared with qorgan's;
//! `tests/tests/vectors/independent.rs` re-derives the file from the spec.

use qorgan::account::AccountKeyPair;
use qorgan::certificate::{
    Claim, ClaimTag, IssuerKeyPair, Presentation, RevocationList, RevocationStatus, Statement,
    StatementKind, TrustAnchor, Verified,
};
use qorgan::verify::{Item, verify};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::RecordingRng;
use super::group_negative::sign;
use crate::hex::encode as hx;

/// Seed of `certificate.json`.
pub const CERTIFICATE_SEED: u64 = 14;
/// Seed of the certificate fixture of certificate version 1.
pub const CERTIFICATE_FIXTURE_SEED: u64 = 107;

/// The statement signature label (§3, §16.1).
pub const STATEMENT_LABEL: &[u8] = b"qorgan/v1/statement";
/// The revocation list signature label (§3, §16.3).
pub const REVOCATION_LIST_LABEL: &[u8] = b"qorgan/v1/revocation-list";
/// The QR text prefix (§16.5).
pub const TEXT_PREFIX: &str = "QG1:";
/// The base45 alphabet of RFC 9285 (§16.5).
pub const BASE45: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

const NOW: u64 = 1_790_000_000;
const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

pub(super) fn check_labels() {
    assert_eq!(STATEMENT_LABEL, qorgan::labels::STATEMENT);
    assert_eq!(REVOCATION_LIST_LABEL, qorgan::labels::REVOCATION_LIST);
    assert_eq!(TEXT_PREFIX, qorgan::certificate::STATEMENT_TEXT_PREFIX);
    assert_eq!(
        (
            qorgan::wire::CERTIFICATE_VERSION,
            qorgan::wire::TYPE_STATEMENT,
            qorgan::wire::TYPE_PRESENTATION,
            qorgan::wire::TYPE_REVOCATION_LIST
        ),
        (0x01, 0x35, 0x36, 0x37)
    );
}

/// RFC 9285 base45 (§16.5), written here from the RFC.
pub fn base45(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut push = |v: usize| out.push(char::from(BASE45[v % 45]));
    for pair in bytes.chunks(2) {
        if let [a, b] = pair {
            let n = usize::from(*a) * 256 + usize::from(*b);
            push(n);
            push(n / 45);
            push(n / 2025);
        } else {
            let n = usize::from(pair[0]);
            push(n);
            push(n / 45);
        }
    }
    out
}

/// A statement's fields, to encode by hand (§16.1).
#[derive(Clone)]
pub struct RawStatement {
    pub kind: u8,
    pub issuer: [u8; 32],
    pub subject: [u8; 32],
    pub serial: u64,
    pub valid_from: u64,
    pub valid_until: u64,
    /// The claim count as written, if not the number of claims.
    pub count: Option<u8>,
    /// `(tag, value bytes, length byte as written if not the value's)`.
    pub claims: Vec<(u8, Vec<u8>, Option<u8>)>,
}

impl RawStatement {
    pub fn body(&self) -> Vec<u8> {
        let mut b = vec![0x01, 0x35, self.kind];
        b.extend_from_slice(&self.issuer);
        b.extend_from_slice(&self.subject);
        b.extend_from_slice(&self.serial.to_be_bytes());
        b.extend_from_slice(&self.valid_from.to_be_bytes());
        b.extend_from_slice(&self.valid_until.to_be_bytes());
        b.push(self.count.unwrap_or(self.claims.len() as u8));
        for (tag, value, len) in &self.claims {
            b.push(*tag);
            b.push(len.unwrap_or(value.len() as u8));
            b.extend_from_slice(value);
        }
        b
    }

    /// Encoded and signed with `seed`.
    pub fn signed(&self, seed: &[u8; 32]) -> Vec<u8> {
        let body = self.body();
        let sig = sign(seed, &[STATEMENT_LABEL, &body].concat());
        [body, sig.to_vec()].concat()
    }
}

/// A revocation list's fields, to encode by hand (§16.3).
#[derive(Clone)]
pub struct RawList {
    pub issuer: [u8; 32],
    pub issued_at: u64,
    pub next_update: u64,
    pub count: Option<u32>,
    pub serials: Vec<u64>,
}

impl RawList {
    pub fn body(&self) -> Vec<u8> {
        let mut b = vec![0x01, 0x37];
        b.extend_from_slice(&self.issuer);
        b.extend_from_slice(&self.issued_at.to_be_bytes());
        b.extend_from_slice(&self.next_update.to_be_bytes());
        b.extend_from_slice(
            &self
                .count
                .unwrap_or(self.serials.len() as u32)
                .to_be_bytes(),
        );
        for s in &self.serials {
            b.extend_from_slice(&s.to_be_bytes());
        }
        b
    }

    pub fn signed(&self, seed: &[u8; 32]) -> Vec<u8> {
        let body = self.body();
        let sig = sign(seed, &[REVOCATION_LIST_LABEL, &body].concat());
        [body, sig.to_vec()].concat()
    }
}

/// `0x01 0x36 || u8(n) || n × (u16(len) || statement)` (§16.2), by hand.
pub fn presentation_bytes(statements: &[&[u8]]) -> Vec<u8> {
    let mut b = vec![0x01, 0x36, statements.len() as u8];
    for s in statements {
        b.extend_from_slice(&(s.len() as u16).to_be_bytes());
        b.extend_from_slice(s);
    }
    b
}

fn kind_name(k: StatementKind) -> &'static str {
    match k {
        StatementKind::Account => "account",
        StatementKind::Intermediate => "intermediate",
        StatementKind::Statement => "statement",
    }
}

/// A claim as the files write it: `{tag, value: {hex, text}}`.
pub fn claim_json(c: &Claim) -> Value {
    json!({"tag": c.tag.0, "value": super::text_json(c.value.as_bytes())})
}

/// A revocation status: `{status: current | missing}` or `{status: stale,
/// next_update}`.
pub fn status_json(s: &RevocationStatus) -> Value {
    match s {
        RevocationStatus::Current => json!({"status": "current"}),
        RevocationStatus::Missing => json!({"status": "missing"}),
        RevocationStatus::Stale { next_update } => {
            json!({"status": "stale", "next_update": next_update})
        }
    }
}

/// What a verified presentation says (§16.4).
pub fn verified_json(v: &Verified) -> Value {
    json!({
        "organisation": super::text_json(v.organisation.as_bytes()),
        "kind": kind_name(v.kind),
        "subject": hx(&v.subject),
        "serial": v.serial,
        "claims": v.claims.iter().map(claim_json).collect::<Vec<_>>(),
        "valid_until": v.valid_until,
        "revocation": status_json(&v.revocation),
        "label": super::text_json(v.label().as_bytes()),
    })
}

fn claims_raw(claims: &[Claim]) -> Vec<(u8, Vec<u8>, Option<u8>)> {
    claims
        .iter()
        .map(|c| (c.tag.0, c.value.as_bytes().to_vec(), None))
        .collect()
}

/// A statement with every field, checked against the layout (§16.1).
fn statement_json(name: &str, s: &Statement, issuer_seed: &[u8; 32]) -> Value {
    let bytes = s.to_bytes();
    let raw = RawStatement {
        kind: match s.kind() {
            StatementKind::Account => 1,
            StatementKind::Intermediate => 2,
            StatementKind::Statement => 3,
        },
        issuer: s.issuer().to_bytes(),
        subject: *s.subject(),
        serial: s.serial(),
        valid_from: s.valid_from(),
        valid_until: s.valid_until(),
        count: None,
        claims: claims_raw(s.claims()),
    };
    assert_eq!(raw.signed(issuer_seed), bytes, "§16.1 layout");
    assert_eq!(Statement::from_bytes(&bytes).expect("verifies"), *s);
    assert_eq!(verify(&Item::Statement(&bytes)), Ok(()));
    let body = &bytes[..bytes.len() - 64];
    json!({
        "name": name,
        "kind": kind_name(s.kind()),
        "issuer": hx(&s.issuer().to_bytes()),
        "subject": hx(s.subject()),
        "serial": s.serial(),
        "valid_from": s.valid_from(),
        "valid_until": s.valid_until(),
        "claims": s.claims().iter().map(claim_json).collect::<Vec<_>>(),
        "signed_message": hx(&[STATEMENT_LABEL, body].concat()),
        "signature": hx(&bytes[bytes.len() - 64..]),
        "bytes": hx(&bytes),
        "verify": "ok",
    })
}

fn list_json(name: &str, l: &RevocationList, issuer_seed: &[u8; 32]) -> Value {
    let bytes = l.to_bytes();
    let raw = RawList {
        issuer: l.issuer().to_bytes(),
        issued_at: l.issued_at(),
        next_update: l.next_update(),
        count: None,
        serials: l.serials().to_vec(),
    };
    assert_eq!(raw.signed(issuer_seed), bytes, "§16.3 layout");
    assert_eq!(RevocationList::from_bytes(&bytes).expect("verifies"), *l);
    assert_eq!(verify(&Item::RevocationList(&bytes)), Ok(()));
    let body = &bytes[..bytes.len() - 64];
    json!({
        "name": name,
        "issuer": hx(&l.issuer().to_bytes()),
        "issued_at": l.issued_at(),
        "next_update": l.next_update(),
        "serials": l.serials(),
        "signed_message": hx(&[REVOCATION_LIST_LABEL, body].concat()),
        "signature": hx(&bytes[bytes.len() - 64..]),
        "bytes": hx(&bytes),
        "verify": "ok",
    })
}

fn presentation_json(name: &str, p: &Presentation, statements: &[&str]) -> Value {
    let bytes = p.to_bytes();
    let parts: Vec<Vec<u8>> = p.statements().iter().map(Statement::to_bytes).collect();
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    assert_eq!(presentation_bytes(&refs), bytes, "§16.2 layout");
    let text = p.to_text();
    assert_eq!(text, format!("{TEXT_PREFIX}{}", base45(&bytes)), "§16.5");
    assert_eq!(Presentation::from_text(&text).expect("reads"), *p);
    assert_eq!(Presentation::from_bytes(&bytes).expect("decodes"), *p);
    json!({
        "name": name,
        "statements": statements,
        "bytes": hx(&bytes),
        "text": text,
    })
}

/// Issuer keys and accounts of the certificate scenarios, from draws.
struct Keys {
    ministry: IssuerKeyPair,
    personnel: IssuerKeyPair,
    rival: IssuerKeyPair,
    colonel: AccountKeyPair,
    lieutenant: AccountKeyPair,
}

fn keys(rng: &mut RecordingRng) -> Keys {
    let issuer = |rng: &mut RecordingRng, name: &str| {
        let k = IssuerKeyPair::generate(rng);
        rng.label(&[(&format!("{name}.issuer_seed"), 32)]);
        k
    };
    let ministry = issuer(rng, "ministry");
    let personnel = issuer(rng, "personnel");
    let rival = issuer(rng, "rival");
    let account = |rng: &mut RecordingRng, name: &str| {
        let k = AccountKeyPair::generate(rng);
        rng.label(&[(&format!("{name}.account_seed"), 32)]);
        k
    };
    let colonel = account(rng, "colonel");
    let lieutenant = account(rng, "lieutenant");
    Keys {
        ministry,
        personnel,
        rival,
        colonel,
        lieutenant,
    }
}

pub(super) fn certificate_file() -> Value {
    check_labels();
    let mut rng = RecordingRng::new(CERTIFICATE_SEED);
    let k = keys(&mut rng);
    let seed = |n: &str| rng.get32(&format!("{n}.issuer_seed"));
    let (ministry_s, personnel_s) = (seed("ministry"), seed("personnel"));
    let c = |tag: u8, v: &str| Claim::new(ClaimTag(tag), v).expect("claim");
    let intermediate = Statement::certify_intermediate(
        &k.ministry,
        k.personnel.public(),
        1,
        NOW - YEAR,
        NOW + 5 * YEAR,
        vec![c(4, "Personnel department")],
    )
    .expect("intermediate");
    let colonel = Statement::certify_account(
        &k.personnel,
        k.colonel.public(),
        1001,
        NOW - DAY,
        NOW + YEAR,
        // Given out of order: issue sorts them by tag.
        vec![
            c(200, "badge 4471"),
            c(3, "Head of communications"),
            c(1, "Colonel N. Serikbayev"),
            c(2, "General Staff"),
        ],
    )
    .expect("colonel");
    let lieutenant = Statement::certify_account(
        &k.ministry,
        k.lieutenant.public(),
        2,
        NOW - 30 * DAY,
        NOW + 2 * YEAR,
        vec![c(1, "Лейтенант А. Оспанова"), c(3, "")],
    )
    .expect("lieutenant");
    let document: [u8; 32] = Sha256::digest(b"qorgan/vectors/building-3 pass").into();
    let pass = Statement::issue(
        &k.personnel,
        StatementKind::Statement,
        document,
        1002,
        NOW - DAY,
        NOW + 7 * DAY,
        vec![c(5, "may enter building 3")],
    )
    .expect("pass");
    let statements = [
        ("intermediate", &intermediate, ministry_s),
        ("colonel", &colonel, personnel_s),
        ("lieutenant", &lieutenant, ministry_s),
        ("pass", &pass, personnel_s),
    ];
    let statements_json: Vec<Value> = statements
        .iter()
        .map(|(n, s, seed)| statement_json(n, s, seed))
        .collect();
    let p_colonel = Presentation::new(vec![intermediate.clone(), colonel.clone()]).expect("p");
    let p_lieutenant = Presentation::new(vec![lieutenant.clone()]).expect("p");
    let p_pass = Presentation::new(vec![intermediate.clone(), pass.clone()]).expect("p");
    let presentations = [
        ("colonel", &p_colonel, vec!["intermediate", "colonel"]),
        ("lieutenant", &p_lieutenant, vec!["lieutenant"]),
        ("pass", &p_pass, vec!["intermediate", "pass"]),
    ];
    let presentations_json: Vec<Value> = presentations
        .iter()
        .map(|(n, p, s)| presentation_json(n, p, s))
        .collect();
    let crl_ministry =
        RevocationList::issue(&k.ministry, NOW - 3600, NOW + DAY, vec![7, 5]).expect("crl");
    let crl_personnel =
        RevocationList::issue(&k.personnel, NOW - 3600, NOW + DAY, vec![1003]).expect("crl");
    let crl_personnel_old =
        RevocationList::issue(&k.personnel, NOW - 10 * DAY, NOW - 3 * DAY, vec![]).expect("crl");
    let lists = [
        ("ministry", &crl_ministry, ministry_s),
        ("personnel", &crl_personnel, personnel_s),
        ("personnel_old", &crl_personnel_old, personnel_s),
    ];
    let lists_json: Vec<Value> = lists
        .iter()
        .map(|(n, l, seed)| list_json(n, l, seed))
        .collect();
    let anchors = vec![
        TrustAnchor::new(*k.ministry.public(), "Ministry of Defence"),
        TrustAnchor::new(*k.rival.public(), "Rival Holding"),
    ];
    let anchors_json: Vec<Value> = anchors
        .iter()
        .map(|a| json!({"key": hx(&a.key.to_bytes()), "organisation": super::text_json(a.organisation.as_bytes())}))
        .collect();
    let list_of = |n: &str| {
        lists
            .iter()
            .find(|(x, _, _)| *x == n)
            .expect("list")
            .1
            .clone()
    };
    let p_of = |n: &str| presentations.iter().find(|(x, _, _)| *x == n).expect("p").1;
    // (presentation, lists, now, account, about)
    type Case<'a> = (&'a str, &'a [&'a str], u64, Option<&'a str>, &'a str);
    let cases: [Case<'_>; 7] = [
        (
            "colonel",
            &["ministry", "personnel"],
            NOW,
            Some("colonel"),
            "every list current",
        ),
        (
            "colonel",
            &[],
            NOW,
            None,
            "no list: revocation status missing",
        ),
        (
            "colonel",
            &["ministry", "personnel_old"],
            NOW,
            None,
            "the personnel department's newest list is stale",
        ),
        (
            "colonel",
            &["ministry", "personnel_old", "personnel"],
            NOW,
            None,
            "the newest list of each issuer decides: current",
        ),
        (
            "lieutenant",
            &["ministry"],
            NOW,
            Some("lieutenant"),
            "issued by the anchor itself",
        ),
        (
            "pass",
            &["ministry", "personnel"],
            NOW,
            None,
            "a statement about a document",
        ),
        (
            "colonel",
            &["ministry", "personnel"],
            NOW + YEAR - 1,
            None,
            "the last second of the colonel's certificate (its lists stale by then)",
        ),
    ];
    let verifications: Vec<Value> = cases
        .iter()
        .map(|(p, ls, now, account, about)| {
            let revs: Vec<RevocationList> = ls.iter().map(|n| list_of(n)).collect();
            let v = p_of(p).verify(&anchors, &revs, *now).expect("verifies");
            let bytes = p_of(p).to_bytes();
            assert_eq!(
                verify(&Item::Presentation {
                    presentation: &bytes,
                    anchors: &anchors,
                    revocations: &revs,
                    now: *now
                }),
                Ok(())
            );
            let account_key = account.map(|a| {
                let key = if a == "colonel" {
                    k.colonel.public()
                } else {
                    k.lieutenant.public()
                };
                assert_eq!(
                    p_of(p)
                        .verify_account(key, &anchors, &revs, *now)
                        .expect("account"),
                    v
                );
                hx(&key.to_bytes())
            });
            json!({
                "about": about,
                "presentation": p,
                "revocation_lists": ls,
                "now": now,
                "account": account_key,
                "verified": verified_json(&v),
            })
        })
        .collect();
    let rfc = ["AB", "Hello!!", "base-45", "ietf!"]
        .iter()
        .map(|t| json!({"bytes": super::text_json(t.as_bytes()), "base45": base45(t.as_bytes())}))
        .collect::<Vec<_>>();
    assert_eq!(base45(b"AB"), "BB8");
    assert_eq!(base45(b"Hello!!"), "%69 VD92EX0");
    assert_eq!(base45(b"base-45"), "UJCLQE7W581");
    assert_eq!(base45(b"ietf!"), "QED8WEX0");
    let draws = rng.take_log();
    json!({
        "description": "Organisation certificates and statements (docs/PROTOCOL.md §16). One \
            generator rng(seed); inputs.draws lists every random draw in order: three issuer keys \
            (IssuerKeyPair::generate: the 32-byte Ed25519 seed; the ministry's is the trust \
            anchor, the personnel department's an intermediate, the rival's another \
            organisation's) and two account keys (AccountKeyPair::generate). expected.statements: \
            the intermediate certificate (ministry → personnel key, kind 2), the colonel's account \
            certificate (personnel → account, kind 1; claims given out of order, sorted by tag), \
            the lieutenant's (ministry → account, non-ASCII display name, an empty role), a \
            statement about a document (personnel → SHA-256 of a text, kind 3), each with every \
            field, its signed message (\"qorgan/v1/statement\" || every byte before the \
            signature), signature and bytes. expected.presentations: the bytes (0x01 0x36 …) and \
            the QR text (\"QG1:\" || base45). expected.revocation_lists: bytes, signed message \
            (\"qorgan/v1/revocation-list\" || …) and signature. expected.verifications: \
            Presentation::verify against inputs.anchors with the lists named at the clock now \
            (and verify_account where an account is named): the organisation, the leaf's kind, \
            subject, serial and claims, the least valid_until, the revocation status and the \
            label. expected.base45: RFC 9285's examples. All byte strings are lower-case hex; \
            texts are {hex, text}.",
        "seed": CERTIFICATE_SEED,
        "inputs": {
            "draws": draws,
            "now": NOW,
            "anchors": anchors_json,
            "statements": [
                {"name": "intermediate", "op": "certify_intermediate", "issuer": "ministry", "subject": "personnel", "serial": 1, "valid_from": NOW - YEAR, "valid_until": NOW + 5 * YEAR},
                {"name": "colonel", "op": "certify_account", "issuer": "personnel", "subject": "colonel", "serial": 1001, "valid_from": NOW - DAY, "valid_until": NOW + YEAR, "claims_given": [[200, "badge 4471"], [3, "Head of communications"], [1, "Colonel N. Serikbayev"], [2, "General Staff"]]},
                {"name": "lieutenant", "op": "certify_account", "issuer": "ministry", "subject": "lieutenant", "serial": 2, "valid_from": NOW - 30 * DAY, "valid_until": NOW + 2 * YEAR},
                {"name": "pass", "op": "issue", "kind": "statement", "issuer": "personnel", "subject_text": super::text_json(b"qorgan/vectors/building-3 pass"), "serial": 1002, "valid_from": NOW - DAY, "valid_until": NOW + 7 * DAY},
            ],
        },
        "expected": {
            "issuers": {
                "ministry": hx(&k.ministry.public().to_bytes()),
                "personnel": hx(&k.personnel.public().to_bytes()),
                "rival": hx(&k.rival.public().to_bytes()),
            },
            "accounts": {
                "colonel": hx(&k.colonel.public().to_bytes()),
                "lieutenant": hx(&k.lieutenant.public().to_bytes()),
            },
            "statements": statements_json,
            "presentations": presentations_json,
            "revocation_lists": lists_json,
            "verifications": verifications,
            "base45": rfc,
        },
    })
}

/// Where the certificate fixture of certificate version `version` lives,
/// relative to `tests/vectors/`.
pub fn certificate_fixture_file(version: u8) -> String {
    format!("fixtures/certificate-v{version}.json")
}

/// The certificate fixture (§16): an anchor, an intermediate, certificates
/// and a statement, their presentations and QR texts, revocation lists,
/// and what verification says at the recorded clocks.
pub(super) fn certificate_fixture() -> Value {
    let mut rng = crate::rng(CERTIFICATE_FIXTURE_SEED);
    let mut draw = || {
        let mut s = [0u8; 32];
        rand_core::Rng::fill_bytes(&mut rng, &mut s);
        s
    };
    let (anchor_s, dept_s, account_s) = (draw(), draw(), draw());
    let anchor = IssuerKeyPair::from_seed(&anchor_s);
    let dept = IssuerKeyPair::from_seed(&dept_s);
    let account = {
        let mut r = super::ReplayRng::new([account_s.to_vec()]);
        AccountKeyPair::generate(&mut r)
    };
    let t0 = 1_790_000_000u64;
    let c = |tag: u8, v: &str| Claim::new(ClaimTag(tag), v).expect("claim");
    let inter = Statement::certify_intermediate(
        &anchor,
        dept.public(),
        10,
        t0 - YEAR,
        t0 + 10 * YEAR,
        vec![c(4, "Department of Signals")],
    )
    .expect("intermediate");
    let leaf = Statement::certify_account(
        &dept,
        account.public(),
        500,
        t0,
        t0 + YEAR,
        vec![
            c(1, "Майор Ж. Төлеуова"),
            c(2, "Signals"),
            c(3, "Duty officer"),
            c(250, "ID 0042"),
        ],
    )
    .expect("leaf");
    let pass = Statement::issue(
        &anchor,
        StatementKind::Statement,
        Sha256::digest(b"qorgan/fixture/gate 2").into(),
        11,
        t0,
        t0 + 30 * DAY,
        vec![c(5, "may open gate 2")],
    )
    .expect("pass");
    let p_account = Presentation::new(vec![inter.clone(), leaf.clone()]).expect("p");
    let p_pass = Presentation::new(vec![pass.clone()]).expect("p");
    let crl_anchor = RevocationList::issue(&anchor, t0, t0 + 7 * DAY, vec![3, 9]).expect("crl");
    let crl_dept = RevocationList::issue(&dept, t0, t0 + 7 * DAY, vec![]).expect("crl");
    let crl_dept_revoking =
        RevocationList::issue(&dept, t0 + DAY, t0 + 8 * DAY, vec![500]).expect("crl");
    let anchors = vec![TrustAnchor::new(*anchor.public(), "Qorgan Test Ministry")];
    let at = t0 + 3600;
    let lists = vec![crl_anchor.clone(), crl_dept.clone()];
    let v_account = p_account
        .verify_account(account.public(), &anchors, &lists, at)
        .expect("verifies");
    let v_pass = p_pass.verify(&anchors, &lists, at).expect("verifies");
    let expired = p_account
        .verify(&anchors, &lists, t0 + YEAR)
        .expect_err("expired");
    let revoked = p_account
        .verify(
            &anchors,
            &[crl_anchor.clone(), crl_dept_revoking.clone()],
            t0 + 2 * DAY,
        )
        .expect_err("revoked");
    json!({
        "description": "Certificate fixture of certificate_version below (docs/PROTOCOL.md §16), generated \
            once by gen-vectors (tests/src/vectors/certificate.rs, certificate_fixture, seed \
            below) and kept unchanged forever: every later release must still decode, read and \
            verify these exactly as recorded (tests/tests/fixtures.rs). keys: the Ed25519 seeds \
            of the anchor, the department (an intermediate) and an account (the first three \
            32-byte requests of rng(seed)). statements: the intermediate certificate, an account \
            certificate through it and a statement issued by the anchor itself. presentations: \
            bytes and QR text. revocation_lists: the anchor's and the department's, current at \
            t0 + 3600, and a later department list revoking the account certificate. \
            verifications: what verify (and verify_account) return at their clocks, and two \
            refusals. All byte strings are lower-case hex; texts are {hex, text}.",
        "seed": CERTIFICATE_FIXTURE_SEED,
        "certificate_version": qorgan::wire::CERTIFICATE_VERSION,
        "keys": {
            "anchor": {"seed": hx(&anchor_s), "public": hx(&anchor.public().to_bytes())},
            "department": {"seed": hx(&dept_s), "public": hx(&dept.public().to_bytes())},
            "account": {"seed": hx(&account_s), "public": hx(&account.public().to_bytes())},
        },
        "anchors": [{"key": hx(&anchor.public().to_bytes()), "organisation": super::text_json(b"Qorgan Test Ministry")}],
        "statements": {
            "intermediate": hx(&inter.to_bytes()),
            "account": hx(&leaf.to_bytes()),
            "pass": hx(&pass.to_bytes()),
        },
        "presentations": {
            "account": {"statements": ["intermediate", "account"], "bytes": hx(&p_account.to_bytes()), "text": p_account.to_text()},
            "pass": {"statements": ["pass"], "bytes": hx(&p_pass.to_bytes()), "text": p_pass.to_text()},
        },
        "revocation_lists": {
            "anchor": hx(&crl_anchor.to_bytes()),
            "department": hx(&crl_dept.to_bytes()),
            "department_revoking": hx(&crl_dept_revoking.to_bytes()),
        },
        "verifications": [
            {"presentation": "account", "account": hx(&account.public().to_bytes()), "revocation_lists": ["anchor", "department"], "now": at, "verified": verified_json(&v_account)},
            {"presentation": "pass", "account": null, "revocation_lists": ["anchor", "department"], "now": at, "verified": verified_json(&v_pass)},
            {"presentation": "account", "account": null, "revocation_lists": ["anchor", "department"], "now": t0 + YEAR, "error": super::errors::verify(&expired).0},
            {"presentation": "account", "account": null, "revocation_lists": ["anchor", "department_revoking"], "now": t0 + 2 * DAY, "error": super::errors::verify(&revoked).0},
        ],
    })
}
