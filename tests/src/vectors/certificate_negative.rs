//! `certificate_negative.json`: inputs the certificate decoders and
//! operations must refuse (docs/PROTOCOL.md §16), each with its exact
//! error, and the accepted inputs at the edges: statements (every decoding
//! rule and the signature), presentations, QR texts (prefix, alphabet,
//! length, group ranges), revocation lists, and verification (chain shape,
//! anchors, validity at the exact edges, revocation and its status, the
//! signatures, the account), each check in its order; and making
//! statements, claims and lists.
//!
//! The generator makes its keys with `rng(CERTIFICATE_NEGATIVE_SEED)`,
//! builds malformed inputs by hand from the layouts of §16 and runs each
//! case through qorgan with [`run_case`], which `tests/tests/vectors.rs`
//! also uses to replay the committed file;
//! `tests/tests/vectors/independent.rs` decides every case from the spec.
//! Statements, presentations and revocation lists used by several cases are
//! named in `inputs.statements`, `inputs.lists`.

use std::collections::BTreeMap;

use qorgan::account::AccountKey;
use qorgan::certificate::{
    Claim, ClaimTag, IssuerKey, IssuerKeyPair, Presentation, RevocationList, Statement,
    StatementKind, TrustAnchor,
};
use qorgan::verify::{Item, verify};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::case_table::CaseTable;
use super::certificate::{
    BASE45, RawList, RawStatement, base45, presentation_bytes, verified_json,
};
use super::errors;
use super::group::{add_l, ed25519_public};
use super::group_negative::{bad_points, small_order_point};
use crate::hex::{decode as unhex, encode as hx};

/// Seed of `certificate_negative.json`.
pub const CERTIFICATE_NEGATIVE_SEED: u64 = 15;

const NOW: u64 = 1_790_000_000;
const DAY: u64 = 86_400;

fn h(v: &Value) -> Vec<u8> {
    unhex(v.as_str().unwrap_or_else(|| panic!("hex string: {v}"))).expect("hex")
}

fn h32(v: &Value) -> [u8; 32] {
    h(v).try_into().expect("32 bytes")
}

fn error((error, kind): (String, String)) -> Value {
    json!({"result": "error", "error": error, "kind": kind})
}

fn verify_outcome(r: Result<(), qorgan::VerifyError>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => errors::verify(&e).0,
    }
}

fn kind_of(v: &Value) -> StatementKind {
    match v.as_str().expect("kind") {
        "account" => StatementKind::Account,
        "intermediate" => StatementKind::Intermediate,
        _ => StatementKind::Statement,
    }
}

fn claims_of(v: &Value) -> Vec<Claim> {
    v.as_array()
        .expect("claims")
        .iter()
        .map(|c| Claim {
            tag: ClaimTag(c["tag"].as_u64().expect("tag") as u8),
            value: String::from_utf8(h(&c["value"])).expect("utf-8"),
        })
        .collect()
}

/// Runs one case of `certificate_negative.json` through qorgan and returns
/// its outcome as the file records it; `lists` are `inputs.lists` (bytes
/// of revocation lists, by name).
pub fn run_case(case: &Value, lists: &BTreeMap<String, Vec<u8>>) -> Value {
    let op = case["operation"].as_str().expect("operation");
    let input = || h(&case["input"]);
    let anchors = || -> Vec<TrustAnchor> {
        case["anchors"]
            .as_array()
            .expect("anchors")
            .iter()
            .map(|a| {
                TrustAnchor::new(
                    IssuerKey::from_bytes(&h32(&a["key"])).expect("issuer key"),
                    a["organisation"].as_str().expect("organisation"),
                )
            })
            .collect()
    };
    let revocations = || -> Vec<RevocationList> {
        case["revocation_lists"]
            .as_array()
            .expect("lists")
            .iter()
            .map(|n| {
                let name = n.as_str().expect("name");
                RevocationList::from_bytes(&lists[name]).expect("a listed list verifies")
            })
            .collect()
    };
    match op {
        "statement.decode" => {
            let input = input();
            let v = verify_outcome(verify(&Item::Statement(&input)));
            let mut out = match Statement::from_bytes(&input) {
                Ok(s) => {
                    assert_eq!(s.to_bytes(), input, "one statement, one encoding");
                    json!({"result": "ok", "serial": s.serial(), "claims": s.claims().len()})
                }
                Err(e) => error(errors::verify(&e)),
            };
            out["verify"] = json!(v);
            out
        }
        "presentation.decode" => match Presentation::from_bytes(&input()) {
            Ok(p) => {
                assert_eq!(p.to_bytes(), input());
                json!({"result": "ok", "statements": p.statements().len()})
            }
            Err(e) => error(errors::verify(&e)),
        },
        "presentation.from_text" => {
            match Presentation::from_text(case["text"].as_str().expect("text")) {
                Ok(p) => json!({"result": "ok", "bytes": hx(&p.to_bytes())}),
                Err(e) => error(errors::verify(&e)),
            }
        }
        "revocation_list.decode" => {
            let input = input();
            let v = verify_outcome(verify(&Item::RevocationList(&input)));
            let mut out = match RevocationList::from_bytes(&input) {
                Ok(l) => {
                    assert_eq!(l.to_bytes(), input, "one list, one encoding");
                    json!({"result": "ok", "serials": l.serials().len()})
                }
                Err(e) => error(errors::verify(&e)),
            };
            out["verify"] = json!(v);
            out
        }
        "presentation.verify" | "presentation.verify_account" => {
            let input = input();
            let p = Presentation::from_bytes(&input).expect("presentation decodes");
            let (anchors, revs) = (anchors(), revocations());
            let now = case["now"].as_u64().expect("now");
            let item = verify_outcome(verify(&Item::Presentation {
                presentation: &input,
                anchors: &anchors,
                revocations: &revs,
                now,
            }));
            let got = if op == "presentation.verify" {
                p.verify(&anchors, &revs, now)
            } else {
                let account = AccountKey::from_bytes(&h32(&case["account"])).expect("account");
                p.verify_account(&account, &anchors, &revs, now)
            };
            let mut out = match got {
                Ok(v) => json!({"result": "ok", "verified": verified_json(&v)}),
                Err(e) => error(errors::verify(&e)),
            };
            out["verify"] = json!(item);
            out
        }
        "statement.issue" => {
            let issuer = IssuerKeyPair::from_seed(&h32(&case["issuer_seed"]));
            match Statement::issue(
                &issuer,
                kind_of(&case["kind"]),
                h32(&case["subject"]),
                case["serial"].as_u64().expect("serial"),
                case["valid_from"].as_u64().expect("from"),
                case["valid_until"].as_u64().expect("until"),
                claims_of(&case["claims"]),
            ) {
                Ok(s) => json!({"result": "ok", "bytes": hx(&s.to_bytes())}),
                Err(e) => error(errors::certificate(&e)),
            }
        }
        "claim.new" => {
            let value = String::from_utf8(h(&case["value"])).expect("utf-8");
            match Claim::new(ClaimTag(case["tag"].as_u64().expect("tag") as u8), &value) {
                Ok(c) => json!({"result": "ok", "tag": c.tag.0}),
                Err(e) => error(errors::certificate(&e)),
            }
        }
        "revocation_list.issue" => {
            let issuer = IssuerKeyPair::from_seed(&h32(&case["issuer_seed"]));
            let mut serials: Vec<u64> = case["serials"]
                .as_array()
                .expect("serials")
                .iter()
                .map(|s| s.as_u64().expect("serial"))
                .collect();
            if let Some(n) = case["serials_from_1000000"].as_u64() {
                serials.extend(1_000_000..1_000_000 + n);
            }
            match RevocationList::issue(
                &issuer,
                case["issued_at"].as_u64().expect("issued_at"),
                case["next_update"].as_u64().expect("next_update"),
                serials,
            ) {
                Ok(l) => json!({"result": "ok", "bytes_sha256": hx(&Sha256::digest(l.to_bytes()))}),
                Err(e) => error(errors::certificate(&e)),
            }
        }
        other => panic!("unknown operation {other}"),
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

    /// Adds a case whose outcome depends on the bytes drawn (recorded as
    /// qorgan gives it; the independent checker decides it from the spec).
    fn add_observed(&mut self, name: &str, about: &str, case: Value) {
        let out = run_case(&case, &self.lists);
        let kind = if out["result"] == "ok" {
            "ok".to_string()
        } else {
            out["kind"].as_str().expect("kind").to_string()
        };
        self.add(name, about, &kind, case);
    }
}

fn claim(tag: u8, v: &str) -> (u8, Vec<u8>, Option<u8>) {
    (tag, v.as_bytes().to_vec(), None)
}

/// Builds certificate_negative.json.
pub(super) fn certificate_negative_file() -> Value {
    let mut rng = crate::rng(CERTIFICATE_NEGATIVE_SEED);
    let [ministry_s, personnel_s, rival_s, colonel_s, other_s] = [(); 5].map(|_| draw32(&mut rng));
    let (ministry, personnel, rival) = (
        ed25519_public(&ministry_s),
        ed25519_public(&personnel_s),
        ed25519_public(&rival_s),
    );
    let colonel = ed25519_public(&colonel_s);
    let other_account = ed25519_public(&other_s);
    let mut c = Cases {
        table: CaseTable::default(),
        lists: BTreeMap::new(),
    };
    let base = |issuer: [u8; 32], kind: u8, subject: [u8; 32], serial: u64| RawStatement {
        kind,
        issuer,
        subject,
        serial,
        valid_from: NOW - DAY,
        valid_until: NOW + 30 * DAY,
        count: None,
        claims: vec![],
    };
    let inter_raw = RawStatement {
        claims: vec![claim(4, "Personnel department")],
        valid_from: NOW - 100 * DAY,
        valid_until: NOW + 100 * DAY,
        ..base(ministry, 2, personnel, 1)
    };
    let inter = inter_raw.signed(&ministry_s);
    let leaf_raw = RawStatement {
        claims: vec![claim(1, "Colonel N."), claim(2, "Staff")],
        ..base(personnel, 1, colonel, 1001)
    };
    let leaf = leaf_raw.signed(&personnel_s);
    let n_leaf = leaf.len();
    // Checked against qorgan's own making.
    assert_eq!(
        Statement::certify_account(
            &IssuerKeyPair::from_seed(&personnel_s),
            &AccountKey::from_bytes(&colonel).expect("key"),
            1001,
            NOW - DAY,
            NOW + 30 * DAY,
            vec![
                Claim::unit("Staff").expect("c"),
                Claim::display_name("Colonel N.").expect("c")
            ],
        )
        .expect("certify")
        .to_bytes(),
        leaf,
        "§16.1 layout"
    );

    // ------------------------------------------------ statements (§16.1)
    let dec = |b: &[u8]| json!({"operation": "statement.decode", "input": hx(b)});
    c.add(
        "statement valid",
        "an account certificate with two claims",
        "ok",
        dec(&leaf),
    );
    c.add(
        "intermediate valid",
        "an intermediate certificate",
        "ok",
        dec(&inter),
    );
    c.add(
        "statement of kind 3",
        "a statement about a document's hash, no claims",
        "ok",
        dec(&base(personnel, 3, Sha256::digest(b"a document").into(), 7).signed(&personnel_s)),
    );
    c.add(
        "statement of kind 3 about a small-order point",
        "the subject of kind 3 is any 32 bytes",
        "ok",
        dec(&base(personnel, 3, small_order_point(), 8).signed(&personnel_s)),
    );
    let full = RawStatement {
        claims: (0..8u8)
            .map(|i| {
                let tag = if i < 5 { i + 1 } else { 200 + i };
                (tag, vec![b'a' + i; 64], None)
            })
            .collect(),
        ..leaf_raw.clone()
    };
    let full_b = full.signed(&personnel_s);
    assert_eq!(full_b.len(), qorgan::certificate::MAX_STATEMENT_LEN);
    c.add(
        "statement of 8 claims of 64 bytes",
        "MAX_CLAIMS claims of MAX_CLAIM_LEN bytes: MAX_STATEMENT_LEN (684) bytes",
        "ok",
        dec(&full_b),
    );
    c.add(
        "statement of 9 claims",
        "the count byte says 9",
        "DecodeError::TooLong(field: claims, len: 9, limit: 8)",
        dec(&RawStatement {
            count: Some(9),
            ..leaf_raw.clone()
        }
        .signed(&personnel_s)),
    );
    c.add(
        "statement count 255",
        "",
        "DecodeError::TooLong(field: claims, len: 255, limit: 8)",
        dec(&RawStatement {
            count: Some(255),
            ..leaf_raw.clone()
        }
        .signed(&personnel_s)),
    );
    let with_claims = |claims: Vec<(u8, Vec<u8>, Option<u8>)>| {
        RawStatement {
            claims,
            ..leaf_raw.clone()
        }
        .signed(&personnel_s)
    };
    c.add(
        "statement claim of 65 bytes",
        "the second claim's length byte 65",
        "DecodeError::TooLong(field: claim, len: 65, limit: 64)",
        dec(&with_claims(vec![
            claim(1, "N."),
            (2, vec![b'u'; 65], None),
        ])),
    );
    c.add(
        "statement claim length 255",
        "refused before its bytes are read",
        "DecodeError::TooLong(field: claim, len: 255, limit: 64)",
        dec(&with_claims(vec![claim(1, "N."), (2, vec![], Some(255))])),
    );
    c.add(
        "statement empty claim",
        "a display name of 0 bytes",
        "ok",
        dec(&with_claims(vec![claim(1, "")])),
    );
    c.add(
        "statement non-ASCII claim",
        "UTF-8 of Kazakh Cyrillic",
        "ok",
        dec(&with_claims(vec![claim(1, "Серікбаев Н. Қ.")])),
    );
    for (name, bytes) in [
        ("statement claim 0xFF", vec![b'N', 0xFF]),
        (
            "statement claim with a cut character",
            vec![0xD0, 0xA1, 0xD0],
        ),
        ("statement claim with a surrogate", vec![0xED, 0xA0, 0x80]),
        ("statement claim with an overlong NUL", vec![0xC0, 0x80]),
    ] {
        c.add(
            name,
            "not UTF-8",
            "DecodeError::InvalidField(claim is not UTF-8)",
            dec(&with_claims(vec![(1, bytes, None)])),
        );
    }
    for tag in [0u8, 6, 127] {
        c.add(
            &format!("statement reserved tag {tag}"),
            "tags 0 and 6–127 are reserved",
            "DecodeError::InvalidField(reserved claim tag)",
            dec(&with_claims(vec![claim(1, "N."), claim(tag, "x")])),
        );
    }
    for tag in [128u8, 255] {
        c.add(
            &format!("statement private tag {tag}"),
            "tags 128–255 are for an organisation's own use",
            "ok",
            dec(&with_claims(vec![claim(1, "N."), claim(tag, "x")])),
        );
    }
    c.add(
        "statement reserved tag not UTF-8",
        "the value's encoding is checked before the tag",
        "DecodeError::InvalidField(claim is not UTF-8)",
        dec(&with_claims(vec![claim(1, "N."), (9, vec![0xFF], None)])),
    );
    c.add(
        "statement reserved tag before a too long claim",
        "claims are read in order: the reserved tag of the first refuses it before the second is read",
        "DecodeError::InvalidField(reserved claim tag)",
        dec(&with_claims(vec![claim(0, "x"), (2, vec![], Some(200))])),
    );
    c.add(
        "statement claims descending",
        "unit before display name",
        "CertificateError::InvalidStatement(\"claims not strictly ascending by tag (or a tag twice)\")",
        dec(&with_claims(vec![claim(2, "Staff"), claim(1, "N.")])),
    );
    c.add(
        "statement tag twice",
        "two display names",
        "CertificateError::InvalidStatement(\"claims not strictly ascending by tag (or a tag twice)\")",
        dec(&with_claims(vec![claim(1, "N."), claim(1, "M.")])),
    );
    let period = |from: u64, until: u64| {
        RawStatement {
            valid_from: from,
            valid_until: until,
            ..leaf_raw.clone()
        }
        .signed(&personnel_s)
    };
    c.add(
        "statement empty period",
        "valid_from = valid_until",
        "CertificateError::InvalidStatement(\"valid_from not before valid_until\")",
        dec(&period(NOW, NOW)),
    );
    c.add(
        "statement period reversed",
        "valid_from > valid_until",
        "CertificateError::InvalidStatement(\"valid_from not before valid_until\")",
        dec(&period(NOW + 1, NOW)),
    );
    c.add(
        "statement of one second",
        "valid_until = valid_from + 1",
        "ok",
        dec(&period(NOW, NOW + 1)),
    );
    c.add(
        "statement of all time",
        "0 to 2^64 − 1",
        "ok",
        dec(&period(0, u64::MAX)),
    );
    c.add(
        "account certificate without a display name",
        "only a unit",
        "CertificateError::InvalidStatement(\"account certificate without a display name\")",
        dec(&with_claims(vec![claim(2, "Staff")])),
    );
    c.add(
        "intermediate without an organisation",
        "a display name instead",
        "CertificateError::InvalidStatement(\"intermediate certificate without an organisation name\")",
        dec(&RawStatement { claims: vec![claim(1, "Personnel")], ..inter_raw.clone() }.signed(&ministry_s)),
    );
    let (not_on_curve, non_canonical) = bad_points();
    for (name, subject) in [
        (
            "account certificate of a small-order key",
            small_order_point(),
        ),
        ("account certificate of a non-canonical key", non_canonical),
        ("account certificate of no point", not_on_curve),
    ] {
        c.add(
            name,
            "the subject fails §2.3",
            "CertificateError::InvalidStatement(\"subject is not a valid key\")",
            dec(&RawStatement {
                subject,
                ..leaf_raw.clone()
            }
            .signed(&personnel_s)),
        );
    }
    c.add(
        "intermediate of a small-order key",
        "",
        "CertificateError::InvalidStatement(\"subject is not a valid key\")",
        dec(&RawStatement {
            subject: small_order_point(),
            ..inter_raw.clone()
        }
        .signed(&ministry_s)),
    );
    c.add(
        "statement descending and reversed",
        "the claim order is checked before the period",
        "CertificateError::InvalidStatement(\"claims not strictly ascending by tag (or a tag twice)\")",
        dec(&RawStatement { claims: vec![claim(2, "S"), claim(1, "N")], valid_from: NOW + 1, valid_until: NOW, ..leaf_raw.clone() }.signed(&personnel_s)),
    );
    c.add(
        "account certificate without a name, of a bad key",
        "the required claim is checked before the subject",
        "CertificateError::InvalidStatement(\"account certificate without a display name\")",
        dec(&RawStatement {
            claims: vec![],
            subject: small_order_point(),
            ..leaf_raw.clone()
        }
        .signed(&personnel_s)),
    );
    c.add(
        "statement rule with an invalid signature",
        "the rules come before the signature",
        "CertificateError::InvalidStatement(\"valid_from not before valid_until\")",
        dec(&xor(&period(NOW, NOW), n_leaf - 1, 1)),
    );
    c.add(
        "statement rule with a trailing byte",
        "trailing bytes are a decoding error, before the rules",
        "DecodeError::TrailingBytes(1)",
        dec(&plus(&period(NOW, NOW), &[0])),
    );
    c.add(
        "statement kind 0",
        "",
        "DecodeError::InvalidField(statement kind)",
        dec(&with(&leaf, 2, 0)),
    );
    c.add(
        "statement kind 4",
        "",
        "DecodeError::InvalidField(statement kind)",
        dec(&with(&leaf, 2, 4)),
    );
    c.add(
        "statement empty",
        "",
        "DecodeError::Truncated(needed: 1)",
        dec(&[]),
    );
    c.add(
        "statement version 0",
        "",
        "DecodeError::UnsupportedVersion(0)",
        dec(&with(&leaf, 0, 0)),
    );
    c.add(
        "statement version 2",
        "",
        "DecodeError::UnsupportedVersion(2)",
        dec(&with(&leaf, 0, 2)),
    );
    c.add(
        "statement version 2, type 0x34",
        "the version first",
        "DecodeError::UnsupportedVersion(2)",
        dec(&with(&with(&leaf, 0, 2), 1, 0x34)),
    );
    c.add(
        "statement type 0x36",
        "a presentation's type",
        "DecodeError::UnexpectedType(0x36)",
        dec(&with(&leaf, 1, 0x36)),
    );
    c.add(
        "statement type 0x37",
        "a revocation list's type",
        "DecodeError::UnexpectedType(0x37)",
        dec(&with(&leaf, 1, 0x37)),
    );
    let claims_at = 3 + 32 + 32 + 24;
    for (name, cut, needed) in [
        ("statement without a kind", 2, 1),
        ("statement truncated in the issuer", 10, 25),
        ("statement truncated in the subject", 3 + 32 + 3, 29),
        ("statement truncated in the serial", 3 + 64 + 4, 4),
        ("statement truncated in valid_from", 3 + 64 + 8 + 1, 7),
        ("statement truncated in valid_until", 3 + 64 + 16 + 7, 1),
        ("statement without the claim count", claims_at, 1),
        ("statement without a claim's tag", claims_at + 1, 1),
        ("statement without a claim's length", claims_at + 2, 1),
        ("statement truncated in a claim", claims_at + 3 + 4, 6),
        ("statement truncated in the signature", n_leaf - 10, 10),
    ] {
        c.add(
            name,
            &format!("the first {cut} bytes"),
            &format!("DecodeError::Truncated(needed: {needed})"),
            dec(&leaf[..cut]),
        );
    }
    c.add(
        "statement trailing byte",
        "",
        "DecodeError::TrailingBytes(1)",
        dec(&plus(&leaf, &[0])),
    );
    c.add(
        "statement issuer of small order",
        "",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        dec(&RawStatement {
            issuer: small_order_point(),
            ..leaf_raw.clone()
        }
        .signed(&personnel_s)),
    );
    c.add(
        "statement issuer not canonical",
        "",
        "DecodeError::InvalidKey(ed25519 point)",
        dec(&RawStatement {
            issuer: non_canonical,
            ..leaf_raw.clone()
        }
        .signed(&personnel_s)),
    );
    c.add(
        "statement signature modified",
        "",
        "SignatureError::Invalid(Statement)",
        dec(&xor(&leaf, n_leaf - 1, 1)),
    );
    c.add(
        "statement serial modified",
        "not re-signed",
        "SignatureError::Invalid(Statement)",
        dec(&xor(&leaf, 3 + 64 + 7, 1)),
    );
    c.add(
        "statement claim modified",
        "not re-signed",
        "SignatureError::Invalid(Statement)",
        dec(&xor(&leaf, claims_at + 3, 0x20)),
    );
    c.add(
        "statement signature S + L",
        "",
        "SignatureError::Invalid(Statement)",
        dec(&{
            let mut b = leaf.clone();
            let s = add_l(&b[n_leaf - 32..]);
            b[n_leaf - 32..].copy_from_slice(&s);
            b
        }),
    );
    c.add(
        "statement signed by another key",
        "the issuer field names the personnel key, the ministry signed",
        "SignatureError::Invalid(Statement)",
        dec(&leaf_raw.signed(&ministry_s)),
    );

    // --------------------------------------------- presentations (§16.2)
    let pdec = |b: &[u8]| json!({"operation": "presentation.decode", "input": hx(b)});
    let p2 = presentation_bytes(&[&inter, &leaf]);
    let p1 = presentation_bytes(&[&leaf]);
    c.add(
        "presentation of two",
        "intermediate and leaf",
        "ok",
        pdec(&p2),
    );
    c.add("presentation of one", "a leaf", "ok", pdec(&p1));
    c.add(
        "presentation with a bad signature",
        "decoding checks no signature",
        "ok",
        pdec(&presentation_bytes(&[&inter, &xor(&leaf, n_leaf - 1, 1)])),
    );
    c.add(
        "presentation of the longest statements",
        "two statements of 684 bytes",
        "ok",
        pdec(&presentation_bytes(&[&inter, &full_b])),
    );
    c.add(
        "presentation of none",
        "n = 0",
        "DecodeError::InvalidField(presentation holds one or two statements)",
        pdec(&[0x01, 0x36, 0]),
    );
    c.add(
        "presentation of three",
        "n = 3",
        "DecodeError::InvalidField(presentation holds one or two statements)",
        pdec(&presentation_bytes(&[&inter, &leaf, &leaf])),
    );
    c.add(
        "presentation empty",
        "",
        "DecodeError::Truncated(needed: 1)",
        pdec(&[]),
    );
    c.add(
        "presentation without n",
        "",
        "DecodeError::Truncated(needed: 1)",
        pdec(&[0x01, 0x36]),
    );
    c.add(
        "presentation version 2",
        "",
        "DecodeError::UnsupportedVersion(2)",
        pdec(&with(&p1, 0, 2)),
    );
    c.add(
        "presentation type 0x35",
        "a statement's type",
        "DecodeError::UnexpectedType(0x35)",
        pdec(&with(&p1, 1, 0x35)),
    );
    c.add(
        "presentation statement length 685",
        "the length field says 685",
        "DecodeError::TooLong(field: statement, len: 685, limit: 684)",
        pdec(&[&[0x01, 0x36, 1, 0x02, 0xAD][..], &leaf].concat()),
    );
    c.add(
        "presentation statement length 65535",
        "",
        "DecodeError::TooLong(field: statement, len: 65535, limit: 684)",
        pdec(&[0x01, 0x36, 1, 0xFF, 0xFF]),
    );
    c.add(
        "presentation truncated in a length",
        "one byte of the length",
        "DecodeError::Truncated(needed: 1)",
        pdec(&p1[..4]),
    );
    c.add(
        "presentation truncated in a statement",
        "the last byte missing",
        "DecodeError::Truncated(needed: 1)",
        pdec(&p1[..p1.len() - 1]),
    );
    c.add(
        "presentation length one short",
        "the length field one less than the statement: the statement is cut",
        "DecodeError::Truncated(needed: 1)",
        pdec(&{
            let mut b = p1.clone();
            b[3..5].copy_from_slice(&((n_leaf - 1) as u16).to_be_bytes());
            b
        }),
    );
    c.add(
        "presentation length one long",
        "the length field one more: the statement has a trailing byte",
        "DecodeError::TrailingBytes(1)",
        pdec(&{
            let mut b = plus(&p1, &[0]);
            b[3..5].copy_from_slice(&((n_leaf + 1) as u16).to_be_bytes());
            b
        }),
    );
    c.add(
        "presentation trailing byte",
        "after the last statement",
        "DecodeError::TrailingBytes(1)",
        pdec(&plus(&p1, &[0])),
    );
    c.add(
        "presentation of a statement breaking a rule",
        "the statement's rules are checked",
        "CertificateError::InvalidStatement(\"valid_from not before valid_until\")",
        pdec(&presentation_bytes(&[&period(NOW, NOW)])),
    );
    c.add(
        "presentation of a malformed statement",
        "kind 9",
        "DecodeError::InvalidField(statement kind)",
        pdec(&presentation_bytes(&[&inter, &with(&leaf, 2, 9)])),
    );

    // ------------------------------------------------- QR text (§16.5)
    let txt = |t: &str| json!({"operation": "presentation.from_text", "text": t});
    let text1 = format!("QG1:{}", base45(&p1));
    let body1 = &text1[4..];
    c.add("text valid", "a leaf's presentation", "ok", txt(&text1));
    c.add(
        "text of two",
        "intermediate and leaf",
        "ok",
        txt(&format!("QG1:{}", base45(&p2))),
    );
    c.add(
        "text in lower case",
        "the whole text",
        "CertificateError::InvalidText(\"missing QG1: prefix\")",
        txt(&text1.to_lowercase()),
    );
    c.add(
        "text prefix in lower case",
        "qg1:",
        "CertificateError::InvalidText(\"missing QG1: prefix\")",
        txt(&format!("qg1:{body1}")),
    );
    c.add(
        "text without prefix",
        "",
        "CertificateError::InvalidText(\"missing QG1: prefix\")",
        txt(body1),
    );
    c.add(
        "text of another version",
        "QG2:",
        "CertificateError::InvalidText(\"missing QG1: prefix\")",
        txt(&format!("QG2:{body1}")),
    );
    c.add(
        "text empty",
        "",
        "CertificateError::InvalidText(\"missing QG1: prefix\")",
        txt(""),
    );
    c.add(
        "text of the prefix only",
        "no bytes: the presentation is empty",
        "DecodeError::Truncated(needed: 1)",
        txt("QG1:"),
    );
    let body_len = body1.len();
    assert_eq!(body_len % 3, 0, "an even number of bytes");
    c.add(
        "text one character more",
        "length ≡ 1 (mod 3)",
        "CertificateError::InvalidText(\"base45 length\")",
        txt(&format!("{text1}0")),
    );
    c.add_observed(
        "text one character less",
        "a last group of two characters: its value (below 2025) is a byte if at most 255",
        txt(&text1[..text1.len() - 1]),
    );
    c.add(
        "text with a line ending",
        "one newline: the length is checked first",
        "CertificateError::InvalidText(\"base45 length\")",
        txt(&format!("{text1}\n")),
    );
    c.add(
        "text with a CR LF",
        "two characters more, the first not base45",
        "CertificateError::InvalidText(\"character outside the base45 alphabet\")",
        txt(&format!("{text1}\r\n")),
    );
    let replace = |i: usize, ch: &str| format!("QG1:{}{}{}", &body1[..i], ch, &body1[i + 1..]);
    c.add(
        "text with a lower-case letter",
        "",
        "CertificateError::InvalidText(\"character outside the base45 alphabet\")",
        txt(&replace(9, "a")),
    );
    c.add(
        "text with a #",
        "",
        "CertificateError::InvalidText(\"character outside the base45 alphabet\")",
        txt(&replace(9, "#")),
    );
    c.add(
        "text with a non-ASCII letter",
        "Ä: two bytes, so the length is ≡ 1 mod 3",
        "CertificateError::InvalidText(\"base45 length\")",
        txt(&replace(9, "Ä")),
    );
    c.add(
        "text with a non-ASCII letter and a space",
        "Ä and one character less: its first byte is outside the alphabet",
        "CertificateError::InvalidText(\"character outside the base45 alphabet\")",
        txt(&format!("QG1:{}Ä{}", &body1[..9], &body1[11..])),
    );
    c.add(
        "text group above 65535",
        "\":::\" is 44 + 44·45 + 44·2025 = 91124",
        "CertificateError::InvalidText(\"base45 group out of range\")",
        txt("QG1::::"),
    );
    c.add(
        "text group 65535",
        "\"FGW\" is 15 + 16·45 + 32·2025 = 65535: bytes FF FF",
        "DecodeError::UnsupportedVersion(255)",
        txt("QG1:FGW"),
    );
    c.add(
        "text group 65536",
        "\"GGW\" is 65536",
        "CertificateError::InvalidText(\"base45 group out of range\")",
        txt("QG1:GGW"),
    );
    c.add(
        "text last pair above 255",
        "\"::\" is 2024",
        "CertificateError::InvalidText(\"base45 group out of range\")",
        txt(&format!("{}::", &text1)),
    );
    c.add(
        "text last pair 256",
        "\"U5\" is 30 + 5·45 = 255 … \"V5\" is 256",
        "CertificateError::InvalidText(\"base45 group out of range\")",
        txt(&format!("{text1}V5")),
    );
    c.add(
        "text range before a later character",
        "the first group out of range, a lower-case letter in the second: groups in order",
        "CertificateError::InvalidText(\"base45 group out of range\")",
        txt("QG1::::a00"),
    );
    c.add(
        "text character before its group's range",
        "\"a::\": the character is refused before the group's value",
        "CertificateError::InvalidText(\"character outside the base45 alphabet\")",
        txt("QG1:a::"),
    );
    c.add(
        "text of spaces",
        "\"   \" is 36 + 36·45 + 36·2025 = 74556: out of range",
        "CertificateError::InvalidText(\"base45 group out of range\")",
        txt("QG1:   "),
    );
    c.add(
        "text of valid base45, not a presentation",
        "\"BB8\" is the bytes \"AB\"",
        "DecodeError::UnsupportedVersion(65)",
        txt("QG1:BB8"),
    );
    let long_ok = format!("QG1:{}", "0".repeat(4292));
    c.add(
        "text of 4296 characters",
        "MAX_STATEMENT_TEXT_LEN: read, 2861 zero bytes, not a presentation",
        "DecodeError::UnsupportedVersion(0)",
        txt(&long_ok),
    );
    c.add(
        "text of 4297 characters",
        "one more: refused before anything else",
        "CertificateError::InvalidText(\"longer than MAX_STATEMENT_TEXT_LEN\")",
        txt(&format!("{long_ok}0")),
    );
    c.add(
        "text too long and without prefix",
        "the length first",
        "CertificateError::InvalidText(\"longer than MAX_STATEMENT_TEXT_LEN\")",
        txt(&"0".repeat(4297)),
    );
    assert!(BASE45.contains(&b' '));

    // ----------------------------------------- revocation lists (§16.3)
    let ldec = |b: &[u8]| json!({"operation": "revocation_list.decode", "input": hx(b)});
    let raw_list = RawList {
        issuer: personnel,
        issued_at: NOW - 3600,
        next_update: NOW + DAY,
        count: None,
        serials: vec![5, 1002],
    };
    let list1 = raw_list.signed(&personnel_s);
    let nl = list1.len();
    c.add("list valid", "two serials", "ok", ldec(&list1));
    c.add(
        "list empty",
        "no serial",
        "ok",
        ldec(
            &RawList {
                serials: vec![],
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list of 65537 serials",
        "the count says 65537",
        "DecodeError::TooLong(field: revoked serials, len: 65537, limit: 65536)",
        ldec(
            &RawList {
                count: Some(65_537),
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list count beyond the input",
        "the count says 100",
        &format!("DecodeError::Truncated(needed: {})", 800 - (16 + 64)),
        ldec(
            &RawList {
                count: Some(100),
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list period empty",
        "issued_at = next_update",
        "CertificateError::InvalidStatement(\"issued_at not before next_update\")",
        ldec(
            &RawList {
                next_update: NOW - 3600,
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list period reversed",
        "",
        "CertificateError::InvalidStatement(\"issued_at not before next_update\")",
        ldec(
            &RawList {
                next_update: 0,
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list serials descending",
        "",
        "CertificateError::InvalidStatement(\"serials not strictly ascending (or listed twice)\")",
        ldec(
            &RawList {
                serials: vec![1002, 5],
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list serial twice",
        "",
        "CertificateError::InvalidStatement(\"serials not strictly ascending (or listed twice)\")",
        ldec(
            &RawList {
                serials: vec![5, 5],
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list period and order",
        "the period first",
        "CertificateError::InvalidStatement(\"issued_at not before next_update\")",
        ldec(
            &RawList {
                serials: vec![5, 5],
                next_update: 0,
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list rule with a trailing byte",
        "trailing bytes first",
        "DecodeError::TrailingBytes(1)",
        ldec(&plus(
            &RawList {
                serials: vec![5, 5],
                ..raw_list.clone()
            }
            .signed(&personnel_s),
            &[0],
        )),
    );
    c.add(
        "list rule with an invalid signature",
        "the rules before the signature",
        "CertificateError::InvalidStatement(\"serials not strictly ascending (or listed twice)\")",
        ldec(&xor(
            &RawList {
                serials: vec![5, 5],
                ..raw_list.clone()
            }
            .signed(&personnel_s),
            nl - 1,
            1,
        )),
    );
    for (name, cut, needed) in [
        ("list truncated in the issuer", 20, 14),
        ("list truncated in issued_at", 36, 6),
        ("list truncated in next_update", 45, 5),
        ("list truncated in the count", 52, 2),
        ("list cut in the serials", 60, 16 - 6),
        ("list truncated in the signature", nl - 1, 1),
    ] {
        c.add(
            name,
            &format!("the first {cut} bytes"),
            &format!("DecodeError::Truncated(needed: {needed})"),
            ldec(&list1[..cut]),
        );
    }
    c.add(
        "list trailing byte",
        "",
        "DecodeError::TrailingBytes(1)",
        ldec(&plus(&list1, &[0])),
    );
    c.add(
        "list version 2",
        "",
        "DecodeError::UnsupportedVersion(2)",
        ldec(&with(&list1, 0, 2)),
    );
    c.add(
        "list type 0x35",
        "",
        "DecodeError::UnexpectedType(0x35)",
        ldec(&with(&list1, 1, 0x35)),
    );
    c.add(
        "list issuer of small order",
        "",
        "DecodeError::InvalidKey(ed25519 small-order point)",
        ldec(
            &RawList {
                issuer: small_order_point(),
                ..raw_list.clone()
            }
            .signed(&personnel_s),
        ),
    );
    c.add(
        "list signature modified",
        "",
        "SignatureError::Invalid(RevocationList)",
        ldec(&xor(&list1, nl - 1, 1)),
    );
    c.add(
        "list serial changed",
        "not re-signed",
        "SignatureError::Invalid(RevocationList)",
        ldec(&with(&list1, 61, 6)),
    );
    c.add(
        "list signed as a statement",
        "the statement label instead of the revocation-list label",
        "SignatureError::Invalid(RevocationList)",
        ldec(&{
            let body = raw_list.body();
            let sig = super::group_negative::sign(
                &personnel_s,
                &[super::certificate::STATEMENT_LABEL, &body].concat(),
            );
            [body, sig.to_vec()].concat()
        }),
    );

    // --------------------------------------------- verification (§16.4)
    let lists = [
        (
            "ministry",
            RawList {
                issuer: ministry,
                issued_at: NOW - 3600,
                next_update: NOW + DAY,
                count: None,
                serials: vec![3],
            }
            .signed(&ministry_s),
        ),
        (
            "ministry-revokes-inter",
            RawList {
                issuer: ministry,
                issued_at: NOW - 3600,
                next_update: NOW + DAY,
                count: None,
                serials: vec![1],
            }
            .signed(&ministry_s),
        ),
        (
            "personnel",
            RawList {
                issuer: personnel,
                issued_at: NOW - 3600,
                next_update: NOW + DAY,
                count: None,
                serials: vec![1003],
            }
            .signed(&personnel_s),
        ),
        (
            "personnel-revokes-leaf",
            RawList {
                issuer: personnel,
                issued_at: NOW - 3600,
                next_update: NOW + DAY,
                count: None,
                serials: vec![1001],
            }
            .signed(&personnel_s),
        ),
        (
            "personnel-old-revokes-leaf",
            RawList {
                issuer: personnel,
                issued_at: NOW - 10 * DAY,
                next_update: NOW - 3 * DAY,
                count: None,
                serials: vec![1001],
            }
            .signed(&personnel_s),
        ),
        (
            "personnel-stale",
            RawList {
                issuer: personnel,
                issued_at: NOW - 10 * DAY,
                next_update: NOW - 3 * DAY,
                count: None,
                serials: vec![],
            }
            .signed(&personnel_s),
        ),
        (
            "ministry-stale",
            RawList {
                issuer: ministry,
                issued_at: NOW - 10 * DAY,
                next_update: NOW - 5 * DAY,
                count: None,
                serials: vec![],
            }
            .signed(&ministry_s),
        ),
        (
            "personnel-newest-stale",
            RawList {
                issuer: personnel,
                issued_at: NOW - 2 * DAY,
                next_update: NOW - DAY,
                count: None,
                serials: vec![],
            }
            .signed(&personnel_s),
        ),
        (
            "personnel-older-current",
            RawList {
                issuer: personnel,
                issued_at: NOW - 3 * DAY,
                next_update: NOW + 10 * DAY,
                count: None,
                serials: vec![],
            }
            .signed(&personnel_s),
        ),
        (
            "personnel-same-time-stale",
            RawList {
                issuer: personnel,
                issued_at: NOW - 3600,
                next_update: NOW - 60,
                count: None,
                serials: vec![],
            }
            .signed(&personnel_s),
        ),
        (
            "rival-1001",
            RawList {
                issuer: rival,
                issued_at: NOW - 3600,
                next_update: NOW + DAY,
                count: None,
                serials: vec![1001],
            }
            .signed(&rival_s),
        ),
    ];
    for (n, l) in &lists {
        c.lists.insert(n.to_string(), l.clone());
    }
    let anchor = |key: &[u8; 32], name: &str| json!({"key": hx(key), "organisation": name});
    let mod_ = anchor(&ministry, "Ministry of Defence");
    let ver = |p: &[u8], anchors: Vec<Value>, lists: &[&str], now: u64| json!({"operation": "presentation.verify", "input": hx(p), "anchors": anchors, "revocation_lists": lists, "now": now});
    let both = ["ministry", "personnel"];
    c.add(
        "verify",
        "intermediate and leaf, both issuers' lists current",
        "ok",
        ver(&p2, vec![mod_.clone()], &both, NOW),
    );
    c.add(
        "verify without lists",
        "status missing",
        "ok",
        ver(&p2, vec![mod_.clone()], &[], NOW),
    );
    c.add(
        "verify with one issuer's list",
        "the personnel list missing: missing",
        "ok",
        ver(&p2, vec![mod_.clone()], &["ministry"], NOW),
    );
    c.add(
        "verify with a stale list",
        "the personnel department's only list is stale",
        "ok",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry", "personnel-stale"],
            NOW,
        ),
    );
    c.add(
        "verify with two stale lists",
        "both issuers' lists stale (next updates 5 and 3 days ago): the worse is kept",
        "ok",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry-stale", "personnel-stale"],
            NOW,
        ),
    );
    c.add(
        "verify: stale and missing",
        "missing is worse than stale",
        "ok",
        ver(&p2, vec![mod_.clone()], &["personnel-stale"], NOW),
    );
    c.add(
        "verify: the newest list is stale",
        "the newest personnel list (by issued_at) is stale, an older one is current: stale",
        "ok",
        ver(
            &p2,
            vec![mod_.clone()],
            &[
                "ministry",
                "personnel-older-current",
                "personnel-newest-stale",
            ],
            NOW,
        ),
    );
    c.add(
        "verify: two lists issued at once, stale last",
        "equal issued_at: the later next_update is taken, whatever the order given",
        "ok",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry", "personnel", "personnel-same-time-stale"],
            NOW,
        ),
    );
    c.add(
        "verify: two lists issued at once, current last",
        "equal issued_at: the later next_update is taken, whatever the order given",
        "ok",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry", "personnel-same-time-stale", "personnel"],
            NOW,
        ),
    );
    let ministry_leaf = RawStatement {
        claims: vec![claim(1, "Lt.")],
        ..base(ministry, 1, colonel, 2)
    }
    .signed(&ministry_s);
    c.add(
        "verify a leaf issued by the anchor",
        "one statement",
        "ok",
        ver(
            &presentation_bytes(&[&ministry_leaf]),
            vec![mod_.clone()],
            &[],
            NOW,
        ),
    );
    c.add(
        "verify: the anchor's name",
        "two anchors of one key: the first name",
        "ok",
        ver(
            &p2,
            vec![
                anchor(&ministry, "MoD"),
                anchor(&ministry, "Ministry of Defence"),
            ],
            &both,
            NOW,
        ),
    );
    c.add(
        "verify: another organisation's chain",
        "the rival's intermediate and leaf, the rival anchored too",
        "ok",
        {
            let rinter = RawStatement {
                issuer: rival,
                ..inter_raw.clone()
            }
            .signed(&rival_s);
            ver(
                &presentation_bytes(&[&rinter, &leaf]),
                vec![mod_.clone(), anchor(&rival, "Rival Holding")],
                &[],
                NOW,
            )
        },
    );
    // Validity at the edges.
    c.add(
        "verify at valid_from",
        "the leaf's first valid second",
        "ok",
        ver(&p2, vec![mod_.clone()], &both, NOW - DAY),
    );
    c.add(
        "verify before valid_from",
        "one second before the leaf's",
        "CertificateError::NotYetValid(serial: 1001, valid_from: 1789913600)",
        ver(&p2, vec![mod_.clone()], &both, NOW - DAY - 1),
    );
    c.add(
        "verify at valid_until − 1",
        "the leaf's last valid second",
        "ok",
        ver(&p2, vec![mod_.clone()], &both, NOW + 30 * DAY - 1),
    );
    c.add(
        "verify at valid_until",
        "the leaf expired",
        "CertificateError::Expired(serial: 1001, valid_until: 1792592000)",
        ver(&p2, vec![mod_.clone()], &both, NOW + 30 * DAY),
    );
    c.add(
        "verify long after",
        "both expired: the intermediate (first) reported",
        "CertificateError::Expired(serial: 1, valid_until: 1798640000)",
        ver(&p2, vec![mod_.clone()], &both, NOW + 200 * DAY),
    );
    c.add(
        "verify before the intermediate",
        "both not yet valid: the intermediate reported",
        "CertificateError::NotYetValid(serial: 1, valid_from: 1781360000)",
        ver(&p2, vec![mod_.clone()], &both, NOW - 100 * DAY - 1),
    );
    c.add(
        "verify at 2^64 − 1",
        "",
        "CertificateError::Expired(serial: 1, valid_until: 1798640000)",
        ver(&p2, vec![mod_.clone()], &both, u64::MAX),
    );
    // Revocation.
    c.add(
        "verify a revoked leaf",
        "the personnel list names 1001",
        "CertificateError::Revoked(serial: 1001)",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry", "personnel-revokes-leaf"],
            NOW,
        ),
    );
    c.add(
        "verify a revoked intermediate",
        "the ministry list names 1",
        "CertificateError::Revoked(serial: 1)",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry-revokes-inter", "personnel"],
            NOW,
        ),
    );
    c.add(
        "verify: revoked in an older list",
        "a stale older list revokes 1001, the newest does not: a revocation is never undone",
        "CertificateError::Revoked(serial: 1001)",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry", "personnel", "personnel-old-revokes-leaf"],
            NOW,
        ),
    );
    c.add(
        "verify: a serial of another issuer",
        "the rival's list names 1001: not the leaf's issuer",
        "ok",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry", "personnel", "rival-1001"],
            NOW,
        ),
    );
    c.add(
        "verify: both revoked",
        "the intermediate is checked first",
        "CertificateError::Revoked(serial: 1)",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry-revokes-inter", "personnel-revokes-leaf"],
            NOW,
        ),
    );
    // Anchors and chain shape.
    c.add(
        "verify without anchors",
        "",
        "CertificateError::UnknownIssuer",
        ver(&p2, vec![], &both, NOW),
    );
    c.add(
        "verify against another organisation",
        "only the rival anchored",
        "CertificateError::UnknownIssuer",
        ver(&p2, vec![anchor(&rival, "Rival Holding")], &both, NOW),
    );
    c.add(
        "verify a leaf without its intermediate",
        "the personnel key is not an anchor",
        "CertificateError::UnknownIssuer",
        ver(&p1, vec![mod_.clone()], &both, NOW),
    );
    c.add(
        "verify an intermediate alone",
        "",
        "CertificateError::InvalidChain(\"the leaf is an intermediate\")",
        ver(
            &presentation_bytes(&[&inter]),
            vec![mod_.clone()],
            &both,
            NOW,
        ),
    );
    c.add(
        "verify the intermediate twice",
        "the second's issuer (the ministry) is not the first's subject",
        "CertificateError::InvalidChain(\"the leaf is not issued by the intermediate\")",
        ver(
            &presentation_bytes(&[&inter, &inter]),
            vec![mod_.clone()],
            &both,
            NOW,
        ),
    );
    let sub_inter = RawStatement {
        issuer: personnel,
        subject: rival,
        serial: 1004,
        ..inter_raw.clone()
    }
    .signed(&personnel_s);
    c.add(
        "verify an intermediate as the leaf",
        "the personnel key certifies another issuer key",
        "CertificateError::InvalidChain(\"the leaf is an intermediate\")",
        ver(
            &presentation_bytes(&[&inter, &sub_inter]),
            vec![mod_.clone()],
            &both,
            NOW,
        ),
    );
    c.add("verify two leaves", "", "CertificateError::InvalidChain(\"the first of two statements must be an intermediate certificate\")", ver(&presentation_bytes(&[&leaf, &leaf]), vec![mod_.clone()], &both, NOW));
    c.add(
        "verify a leaf not issued by the intermediate",
        "the leaf is the ministry's",
        "CertificateError::InvalidChain(\"the leaf is not issued by the intermediate\")",
        ver(
            &presentation_bytes(&[&inter, &ministry_leaf]),
            vec![mod_.clone()],
            &both,
            NOW,
        ),
    );
    c.add("verify: the shape before the anchor", "two leaves, no anchor", "CertificateError::InvalidChain(\"the first of two statements must be an intermediate certificate\")", ver(&presentation_bytes(&[&leaf, &leaf]), vec![], &both, NOW));
    c.add(
        "verify: the anchor before validity",
        "no anchor, expired",
        "CertificateError::UnknownIssuer",
        ver(&p2, vec![], &both, NOW + 200 * DAY),
    );
    c.add(
        "verify: validity before revocation",
        "expired and revoked",
        "CertificateError::Expired(serial: 1001, valid_until: 1792592000)",
        ver(
            &p2,
            vec![mod_.clone()],
            &["ministry", "personnel-revokes-leaf"],
            NOW + 30 * DAY,
        ),
    );
    // Signatures, last.
    let bad_leaf = presentation_bytes(&[&inter, &xor(&leaf, n_leaf - 1, 1)]);
    let bad_inter = presentation_bytes(&[&xor(&inter, inter.len() - 1, 1), &leaf]);
    c.add(
        "verify a forged leaf",
        "the leaf's signature modified",
        "SignatureError::Invalid(Statement)",
        ver(&bad_leaf, vec![mod_.clone()], &both, NOW),
    );
    c.add(
        "verify a forged intermediate",
        "",
        "SignatureError::Invalid(Statement)",
        ver(&bad_inter, vec![mod_.clone()], &both, NOW),
    );
    c.add(
        "verify: revocation before signatures",
        "a forged leaf that is revoked",
        "CertificateError::Revoked(serial: 1001)",
        ver(
            &bad_leaf,
            vec![mod_.clone()],
            &["ministry", "personnel-revokes-leaf"],
            NOW,
        ),
    );
    c.add(
        "verify a leaf signed by the ministry for the intermediate",
        "the leaf names the personnel key as issuer but the ministry signed it",
        "SignatureError::Invalid(Statement)",
        ver(
            &presentation_bytes(&[&inter, &leaf_raw.signed(&ministry_s)]),
            vec![mod_.clone()],
            &both,
            NOW,
        ),
    );
    let acc = |p: &[u8], account: &[u8; 32]| {
        let mut v = ver(p, vec![mod_.clone()], &both, NOW);
        v["operation"] = json!("presentation.verify_account");
        v["account"] = json!(hx(account));
        v
    };
    c.add(
        "verify_account",
        "the colonel's certificate for the colonel",
        "ok",
        acc(&p2, &colonel),
    );
    c.add(
        "verify_account for another account",
        "",
        "CertificateError::WrongSubject",
        acc(&p2, &other_account),
    );
    c.add(
        "verify_account of a statement",
        "a kind 3 leaf whose subject equals the account's bytes",
        "CertificateError::WrongSubject",
        acc(
            &presentation_bytes(&[
                &inter,
                &RawStatement {
                    kind: 3,
                    claims: vec![],
                    ..leaf_raw.clone()
                }
                .signed(&personnel_s),
            ]),
            &colonel,
        ),
    );
    c.add(
        "verify_account: verification first",
        "another account, and the leaf forged",
        "SignatureError::Invalid(Statement)",
        acc(&bad_leaf, &other_account),
    );

    // ------------------------------------------------------ making (§16.1)
    let issue = |kind: &str, subject: &[u8; 32], from: u64, until: u64, claims: Vec<(u8, &str)>| {
        json!({
            "operation": "statement.issue",
            "issuer_seed": hx(&personnel_s),
            "kind": kind,
            "subject": hx(subject),
            "serial": 77,
            "valid_from": from,
            "valid_until": until,
            "claims": claims.iter().map(|(t, v)| json!({"tag": t, "value": hx(v.as_bytes())})).collect::<Vec<_>>(),
        })
    };
    c.add(
        "issue",
        "claims given out of order are sorted",
        "ok",
        issue(
            "account",
            &colonel,
            NOW,
            NOW + DAY,
            vec![(2, "Staff"), (1, "N.")],
        ),
    );
    c.add("issue a tag twice", "", "CertificateError::InvalidStatement(\"claims not strictly ascending by tag (or a tag twice)\")", issue("account", &colonel, NOW, NOW + DAY, vec![(1, "N."), (1, "M.")]));
    c.add(
        "issue 9 claims",
        "",
        "CertificateError::InvalidStatement(\"more than MAX_CLAIMS claims\")",
        issue(
            "statement",
            &colonel,
            NOW,
            NOW + DAY,
            (0..9u8).map(|i| (130 + i, "x")).collect(),
        ),
    );
    c.add(
        "issue a claim of 65 bytes",
        "",
        "CertificateError::InvalidStatement(\"claim longer than MAX_CLAIM_LEN\")",
        issue(
            "account",
            &colonel,
            NOW,
            NOW + DAY,
            vec![(1, &"n".repeat(65))],
        ),
    );
    c.add(
        "issue an empty period",
        "",
        "CertificateError::InvalidStatement(\"valid_from not before valid_until\")",
        issue("account", &colonel, NOW, NOW, vec![(1, "N.")]),
    );
    c.add(
        "issue without a display name",
        "",
        "CertificateError::InvalidStatement(\"account certificate without a display name\")",
        issue("account", &colonel, NOW, NOW + DAY, vec![(2, "Staff")]),
    );
    c.add("issue an intermediate without an organisation", "", "CertificateError::InvalidStatement(\"intermediate certificate without an organisation name\")", issue("intermediate", &personnel, NOW, NOW + DAY, vec![]));
    c.add(
        "issue for a small-order key",
        "",
        "CertificateError::InvalidStatement(\"subject is not a valid key\")",
        issue(
            "account",
            &small_order_point(),
            NOW,
            NOW + DAY,
            vec![(1, "N.")],
        ),
    );
    c.add(
        "issue with a reserved tag",
        "a claim made without Claim::new",
        &{
            let r = Statement::issue(
                &IssuerKeyPair::from_seed(&personnel_s),
                StatementKind::Account,
                colonel,
                77,
                NOW,
                NOW + DAY,
                vec![
                    Claim {
                        tag: ClaimTag(1),
                        value: "N.".into(),
                    },
                    Claim {
                        tag: ClaimTag(9),
                        value: "x".into(),
                    },
                ],
            );
            match r {
                Ok(_) => "ok".to_string(),
                Err(e) => errors::certificate(&e).1,
            }
        },
        issue(
            "account",
            &colonel,
            NOW,
            NOW + DAY,
            vec![(1, "N."), (9, "x")],
        ),
    );
    let claim_new =
        |tag: u8, v: &str| json!({"operation": "claim.new", "tag": tag, "value": hx(v.as_bytes())});
    c.add("claim", "a display name", "ok", claim_new(1, "N."));
    c.add("claim of 64 bytes", "", "ok", claim_new(2, &"u".repeat(64)));
    c.add(
        "claim of 65 bytes",
        "",
        "CertificateError::InvalidStatement(\"claim longer than MAX_CLAIM_LEN\")",
        claim_new(2, &"u".repeat(65)),
    );
    c.add(
        "claim of tag 0",
        "",
        "CertificateError::InvalidStatement(\"reserved claim tag\")",
        claim_new(0, "x"),
    );
    c.add(
        "claim of tag 127, too long",
        "the tag first",
        "CertificateError::InvalidStatement(\"reserved claim tag\")",
        claim_new(127, &"u".repeat(65)),
    );
    c.add("claim of tag 128", "", "ok", claim_new(128, "x"));
    let list_issue = |from: u64, until: u64, serials: Vec<u64>, extra: Option<u64>| {
        let mut v = json!({"operation": "revocation_list.issue", "issuer_seed": hx(&personnel_s), "issued_at": from, "next_update": until, "serials": serials});
        if let Some(n) = extra {
            v["serials_from_1000000"] = json!(n);
        }
        v
    };
    c.add(
        "issue a list",
        "serials given out of order are sorted",
        "ok",
        list_issue(NOW, NOW + DAY, vec![9, 3], None),
    );
    c.add(
        "issue a list with a serial twice",
        "",
        "CertificateError::InvalidStatement(\"serials not strictly ascending (or listed twice)\")",
        list_issue(NOW, NOW + DAY, vec![3, 9, 3], None),
    );
    c.add(
        "issue a list of an empty period",
        "",
        "CertificateError::InvalidStatement(\"issued_at not before next_update\")",
        list_issue(NOW, NOW, vec![], None),
    );
    c.add(
        "issue a list of 65536 serials",
        "MAX_REVOKED_SERIALS: 1 000 000 … 1 065 535",
        "ok",
        list_issue(NOW, NOW + DAY, vec![], Some(65_536)),
    );
    c.add(
        "issue a list of 65537 serials",
        "",
        "CertificateError::InvalidStatement(\"more than MAX_REVOKED_SERIALS serials\")",
        list_issue(NOW, NOW + DAY, vec![], Some(65_537)),
    );

    let CaseTable { inputs, expected } = c.table;
    json!({
        "description": "Inputs the certificate decoders and operations must refuse (docs/PROTOCOL.md \
            §16), each with its exact error, and the accepted inputs at the edges. No draws: keys \
            are the Ed25519 seeds drawn from rng(seed) (inputs.keys: the ministry's, the \
            personnel department's, a rival organisation's issuer keys, the colonel's and \
            another account key; the ministry certifies the personnel key, serial 1, which \
            certifies the colonel, serial 1001); every input is given as bytes. Revocation lists \
            used by verifications are named in inputs.lists. A case is {name, about, \
            operation} and: input (bytes), text (a QR text), anchors [{key, organisation}], \
            revocation_lists (names), now, account (for verification), issuer_seed, kind, \
            subject, serial, valid_from, valid_until, claims [{tag, value}] (for \
            statement.issue; claims made directly, not by Claim::new), tag, value (claim.new), \
            issued_at, next_update, serials and serials_from_1000000 (n more serials 1 000 000, \
            1 000 001, … for revocation_list.issue). Operations: statement.decode \
            (Statement::from_bytes; every outcome also verify: \"ok\" or the VerifyError of \
            Item::Statement), presentation.decode, presentation.from_text, \
            revocation_list.decode (also verify of Item::RevocationList), presentation.verify and \
            presentation.verify_account (an ok outcome carries what was verified, as in \
            certificate.json; every outcome also verify, of Item::Presentation), \
            statement.issue, claim.new, revocation_list.issue. expected.cases: {name, result: \
            \"ok\", …} or {name, result: \"error\", error, kind}. Decoders that accept re-encode \
            to the same bytes.",
        "seed": CERTIFICATE_NEGATIVE_SEED,
        "inputs": {
            "keys": {
                "ministry": {"seed": hx(&ministry_s), "public": hx(&ministry)},
                "personnel": {"seed": hx(&personnel_s), "public": hx(&personnel)},
                "rival": {"seed": hx(&rival_s), "public": hx(&rival)},
                "colonel": {"seed": hx(&colonel_s), "public": hx(&colonel)},
                "other_account": {"seed": hx(&other_s), "public": hx(&other_account)},
            },
            "lists": c.lists.iter().map(|(k, v)| (k.clone(), json!(hx(v)))).collect::<serde_json::Map<_, _>>(),
            "cases": inputs,
        },
        "expected": {"cases": expected},
    })
}
