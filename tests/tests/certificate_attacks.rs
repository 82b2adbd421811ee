//! Issue 12 (organisation certificates and statements) as an impostor
//! would attack it, through the public API.
//!
//! Before certificates, who "Colonel N., Ministry of Defence" was came from
//! the operator's directory. Now a ministry's key, which the app trusts as
//! an anchor, certifies account keys (optionally through one intermediate),
//! revokes them by signed lists, and its statements travel as QR text that
//! a scanner checks offline.

use qorgan::account::AccountKeyPair;
use qorgan::certificate::{
    Claim, IssuerKeyPair, Presentation, RevocationList, RevocationStatus, Statement, StatementKind,
    TrustAnchor,
};
use qorgan::{CertificateError, SignatureError, SignedObject, VerifyError};
use qorgan_tests::rng;

const NOW: u64 = 1_790_000_000;
const YEAR: u64 = 365 * 86_400;

struct Ministry {
    key: IssuerKeyPair,
    anchor: TrustAnchor,
    personnel: IssuerKeyPair,
    intermediate: Statement,
}

fn ministry(r: &mut chacha20::ChaCha20Rng, name: &str) -> Ministry {
    let key = IssuerKeyPair::generate(r);
    let anchor = TrustAnchor::new(*key.public(), name);
    let personnel = IssuerKeyPair::generate(r);
    let intermediate = Statement::certify_intermediate(
        &key,
        personnel.public(),
        1,
        NOW - YEAR,
        NOW + 5 * YEAR,
        vec![Claim::organisation("Personnel department").unwrap()],
    )
    .unwrap();
    Ministry {
        key,
        anchor,
        personnel,
        intermediate,
    }
}

fn colonel_claims() -> Vec<Claim> {
    vec![
        Claim::display_name("Colonel N. Serikbayev").unwrap(),
        Claim::unit("General Staff").unwrap(),
        Claim::role("Head of communications").unwrap(),
    ]
}

/// A certificate issued by the ministry's personnel key, presented with the
/// intermediate.
fn certified(m: &Ministry, account: &AccountKeyPair, serial: u64, until: u64) -> Presentation {
    let leaf = Statement::certify_account(
        &m.personnel,
        account.public(),
        serial,
        NOW - 86_400,
        until,
        colonel_claims(),
    )
    .unwrap();
    Presentation::new(vec![m.intermediate.clone(), leaf]).unwrap()
}

#[test]
fn a_colleague_is_verified_by_the_organisation_only_when_the_chain_holds() {
    let mut r = rng(1401);
    let mod_ = ministry(&mut r, "Ministry of Defence");
    let colonel = AccountKeyPair::generate(&mut r);
    let p = certified(&mod_, &colonel, 1001, NOW + YEAR);
    let crl = RevocationList::issue(&mod_.personnel, NOW - 3600, NOW + 86_400, vec![7]).unwrap();
    let root_crl = RevocationList::issue(&mod_.key, NOW - 3600, NOW + 86_400, vec![]).unwrap();
    let v = p
        .verify_account(
            colonel.public(),
            std::slice::from_ref(&mod_.anchor),
            &[crl, root_crl],
            NOW,
        )
        .unwrap();
    assert_eq!(v.label(), "verified by Ministry of Defence");
    assert_eq!(v.kind, StatementKind::Account);
    assert_eq!(v.claims, colonel_claims());
    assert_eq!(v.revocation, RevocationStatus::Current);
    // Without lists, the verdict says so.
    let v = p
        .verify(std::slice::from_ref(&mod_.anchor), &[], NOW)
        .unwrap();
    assert_eq!(v.revocation, RevocationStatus::Missing);
    // Shown for another account (a relabelled contact), it is refused.
    let other = AccountKeyPair::generate(&mut r);
    assert_eq!(
        p.verify_account(other.public(), std::slice::from_ref(&mod_.anchor), &[], NOW)
            .unwrap_err(),
        VerifyError::Certificate(CertificateError::WrongSubject)
    );
}

#[test]
fn an_expired_certificate_is_refused() {
    let mut r = rng(1402);
    let mod_ = ministry(&mut r, "Ministry of Defence");
    let colonel = AccountKeyPair::generate(&mut r);
    let p = certified(&mod_, &colonel, 1002, NOW + 60);
    let anchors = [mod_.anchor.clone()];
    assert!(p.verify(&anchors, &[], NOW + 59).is_ok());
    assert_eq!(
        p.verify(&anchors, &[], NOW + 60).unwrap_err(),
        VerifyError::Certificate(CertificateError::Expired {
            serial: 1002,
            valid_until: NOW + 60
        })
    );
    // Before its period, too.
    assert_eq!(
        p.verify(&anchors, &[], NOW - 86_401).unwrap_err(),
        VerifyError::Certificate(CertificateError::NotYetValid {
            serial: 1002,
            valid_from: NOW - 86_400
        })
    );
    // An expired intermediate expires everything it issued.
    let short = Statement::certify_intermediate(
        &mod_.key,
        mod_.personnel.public(),
        2,
        NOW - YEAR,
        NOW,
        vec![Claim::organisation("Personnel department").unwrap()],
    )
    .unwrap();
    let leaf = p.leaf().unwrap().clone();
    assert_eq!(
        Presentation::new(vec![short, leaf])
            .unwrap()
            .verify(&anchors, &[], NOW)
            .unwrap_err(),
        VerifyError::Certificate(CertificateError::Expired {
            serial: 2,
            valid_until: NOW
        })
    );
}

#[test]
fn a_revoked_certificate_is_refused_and_a_stale_list_is_reported() {
    let mut r = rng(1403);
    let mod_ = ministry(&mut r, "Ministry of Defence");
    let colonel = AccountKeyPair::generate(&mut r);
    let p = certified(&mod_, &colonel, 1003, NOW + YEAR);
    let anchors = [mod_.anchor.clone()];
    let current =
        RevocationList::issue(&mod_.personnel, NOW - 60, NOW + 86_400, vec![5, 1003, 9000])
            .unwrap();
    assert_eq!(
        p.verify(&anchors, std::slice::from_ref(&current), NOW)
            .unwrap_err(),
        VerifyError::Certificate(CertificateError::Revoked { serial: 1003 })
    );
    // Decoded from the server's bytes, the same.
    let served = RevocationList::from_bytes(&current.to_bytes()).unwrap();
    assert!(p.verify(&anchors, &[served], NOW).is_err());
    // The operator withholds the new list and serves an older one that
    // predates the revocation: the verdict holds but says the list is stale.
    let old = RevocationList::issue(
        &mod_.personnel,
        NOW - 10 * 86_400,
        NOW - 3 * 86_400,
        vec![5],
    )
    .unwrap();
    let root_current = RevocationList::issue(&mod_.key, NOW - 60, NOW + 86_400, vec![]).unwrap();
    let v = p
        .verify(&anchors, &[old.clone(), root_current], NOW)
        .unwrap();
    assert_eq!(
        v.revocation,
        RevocationStatus::Stale {
            next_update: NOW - 3 * 86_400
        }
    );
    // A revocation is never undone by a newer list that omits it.
    assert!(p.verify(&anchors, &[old, current], NOW).is_err());
    // Revoking the intermediate revokes what it issued.
    let root_crl = RevocationList::issue(&mod_.key, NOW - 60, NOW + 86_400, vec![1]).unwrap();
    assert_eq!(
        p.verify(&anchors, &[root_crl], NOW).unwrap_err(),
        VerifyError::Certificate(CertificateError::Revoked { serial: 1 })
    );
    // A list "from" the personnel key signed by anyone else does not load.
    let mut forged = RevocationList::issue(&mod_.personnel, NOW, NOW + 1, vec![])
        .unwrap()
        .to_bytes();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(
        RevocationList::from_bytes(&forged).unwrap_err(),
        VerifyError::Signature(SignatureError::Invalid(SignedObject::RevocationList))
    );
}

#[test]
fn a_certificate_from_another_organisations_key_is_refused() {
    let mut r = rng(1404);
    let mod_ = ministry(&mut r, "Ministry of Defence");
    let rogue = ministry(&mut r, "Ministry of Defence"); // same name, other key
    let colonel = AccountKeyPair::generate(&mut r);
    let anchors = [mod_.anchor.clone()];
    // Issued under another organisation (or a key the operator made).
    let p = certified(&rogue, &colonel, 1004, NOW + YEAR);
    assert_eq!(
        p.verify(&anchors, &[], NOW).unwrap_err(),
        VerifyError::Certificate(CertificateError::UnknownIssuer)
    );
    // The rogue's leaf presented under the real intermediate does not chain.
    let leaf = p.leaf().unwrap().clone();
    assert!(matches!(
        Presentation::new(vec![mod_.intermediate.clone(), leaf.clone()])
            .unwrap()
            .verify(&anchors, &[], NOW),
        Err(VerifyError::Certificate(CertificateError::InvalidChain(_)))
    ));
    // Presented alone, its issuer is not an anchor.
    assert_eq!(
        Presentation::new(vec![leaf])
            .unwrap()
            .verify(&anchors, &[], NOW)
            .unwrap_err(),
        VerifyError::Certificate(CertificateError::UnknownIssuer)
    );
    // An intermediate cannot make another intermediate, nor is an
    // intermediate a colleague.
    let deeper = IssuerKeyPair::generate(&mut r);
    let sub = Statement::certify_intermediate(
        &mod_.personnel,
        deeper.public(),
        3,
        NOW - 1,
        NOW + YEAR,
        vec![Claim::organisation("Sub").unwrap()],
    )
    .unwrap();
    assert!(matches!(
        Presentation::new(vec![mod_.intermediate.clone(), sub])
            .unwrap()
            .verify(&anchors, &[], NOW),
        Err(VerifyError::Certificate(CertificateError::InvalidChain(_)))
    ));
    // A statement whose issuer field names the ministry but whose
    // signature is the rogue's: the signature fails.
    let mut bytes = Statement::certify_account(
        &rogue.key,
        colonel.public(),
        9,
        NOW - 1,
        NOW + 1,
        colonel_claims(),
    )
    .unwrap()
    .to_bytes();
    bytes[3..35].copy_from_slice(&mod_.key.public().to_bytes());
    assert_eq!(
        Statement::from_bytes(&bytes).unwrap_err(),
        VerifyError::Signature(SignatureError::Invalid(SignedObject::Statement))
    );
}

#[test]
fn a_statement_altered_in_its_qr_text_is_refused() {
    let mut r = rng(1405);
    let mod_ = ministry(&mut r, "Ministry of Defence");
    let colonel = AccountKeyPair::generate(&mut r);
    let p = certified(&mod_, &colonel, 1005, NOW + YEAR);
    let anchors = [mod_.anchor.clone()];
    let text = p.to_text();
    assert!(text.starts_with("QG1:"));
    assert!(text.len() <= qorgan::limits::MAX_STATEMENT_TEXT_LEN);
    // Every character is in the QR alphanumeric set.
    assert!(
        text.bytes()
            .all(|c| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&c))
    );
    let back = Presentation::from_text(&text).unwrap();
    assert_eq!(back, p);
    assert!(back.verify(&anchors, &[], NOW).is_ok());
    // Change any one character after the prefix to any other: refused
    // (malformed, a broken rule or a broken signature), never believed.
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let bytes = text.as_bytes();
    for i in 4..bytes.len() {
        for &c in alphabet.iter().step_by(7) {
            if c == bytes[i] {
                continue;
            }
            let mut t = bytes.to_vec();
            t[i] = c;
            let t = String::from_utf8(t).unwrap();
            let verdict = Presentation::from_text(&t).and_then(|p| p.verify(&anchors, &[], NOW));
            assert!(verdict.is_err(), "altered at {i} to {}", c as char);
        }
    }
    // Other damage a scanner may produce.
    for bad in [
        text.to_lowercase(),
        text.replacen("QG1:", "QG2:", 1),
        format!("{text}\n"),
        text[..text.len() - 1].to_string(),
        "QG1:".to_string() + &"0".repeat(qorgan::limits::MAX_STATEMENT_TEXT_LEN),
    ] {
        assert!(Presentation::from_text(&bad).is_err());
    }
}

// Found by the attacker review of issue 12 (each failed before its fix).

#[test]
fn the_revocation_list_stale_the_longest_is_the_one_reported() {
    let mut r = rng(1406);
    let mod_ = ministry(&mut r, "Ministry of Defence");
    let colonel = AccountKeyPair::generate(&mut r);
    let p = certified(&mod_, &colonel, 1006, NOW + YEAR);
    // The operator withholds the anchor's lists for two months (the list
    // that would revoke a stolen intermediate); the personnel list went
    // stale an hour ago.
    let anchor_list =
        RevocationList::issue(&mod_.key, NOW - 90 * 86_400, NOW - 60 * 86_400, vec![]).unwrap();
    let personnel_list =
        RevocationList::issue(&mod_.personnel, NOW - 86_400, NOW - 3600, vec![]).unwrap();
    let v = p
        .verify(
            std::slice::from_ref(&mod_.anchor),
            &[anchor_list, personnel_list],
            NOW,
        )
        .unwrap();
    assert_eq!(
        v.revocation,
        RevocationStatus::Stale {
            next_update: NOW - 60 * 86_400
        }
    );
}

#[test]
fn reserved_claim_tags_are_refused_when_issuing_as_when_decoding() {
    let mut r = rng(1407);
    let mod_ = ministry(&mut r, "Ministry of Defence");
    let colonel = AccountKeyPair::generate(&mut r);
    for tag in [0u8, 6, 127] {
        let claims = vec![
            Claim::display_name("N.").unwrap(),
            Claim {
                tag: qorgan::certificate::ClaimTag(tag),
                value: "reserved".into(),
            },
        ];
        assert_eq!(
            Statement::certify_account(&mod_.key, colonel.public(), 1, NOW - 1, NOW + 1, claims)
                .unwrap_err(),
            CertificateError::InvalidStatement("reserved claim tag")
        );
    }
}
