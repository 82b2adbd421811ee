//! Organisation certificates through the exported API, as the bindings
//! call them: issuing, presenting as QR text, verifying with a label, and
//! every refusal typed; server verification one by one and in a batch.

use std::sync::Arc;

use qorgan_ffi::*;

const NOW: i64 = 1_800_000_000;
const YEAR: i64 = 365 * 86_400;

fn anchor(issuer: &IssuerKeyPair, organisation: &str) -> TrustAnchor {
    TrustAnchor {
        key: issuer.public_key(),
        organisation: organisation.into(),
    }
}

fn claims(name: &str) -> Vec<Claim> {
    vec![
        Claim {
            tag: ClaimTag::Unit,
            value: "Staff".into(),
        },
        Claim {
            tag: ClaimTag::DisplayName,
            value: name.into(),
        },
    ]
}

fn account_key() -> Vec<u8> {
    let device = Device::new(NOW).unwrap();
    Account::create(&device, "phone".into())
        .unwrap()
        .account_key()
        .unwrap()
}

struct Setup {
    ministry: Arc<IssuerKeyPair>,
    colonel: Vec<u8>,
    cert: Arc<Statement>,
    anchors: Vec<TrustAnchor>,
}

fn setup() -> Setup {
    let ministry = IssuerKeyPair::generate().unwrap();
    let colonel = account_key();
    let cert = Statement::certify_account(
        &ministry,
        colonel.clone(),
        7,
        NOW - YEAR,
        NOW + YEAR,
        claims("Colonel N."),
    )
    .unwrap();
    let anchors = vec![anchor(&ministry, "Ministry of Defence")];
    Setup {
        ministry,
        colonel,
        cert,
        anchors,
    }
}

#[test]
fn a_colleague_verified_by_an_organisation_certificate_through_its_qr_text() {
    let s = setup();
    let info = s.cert.info();
    assert_eq!(info.kind, StatementKind::Account);
    assert_eq!(info.subject, s.colonel);
    assert_eq!(info.issuer, s.ministry.public_key());
    // Claims come back sorted by tag.
    assert_eq!(info.claims[0].tag, ClaimTag::DisplayName);
    assert_eq!(info.claims[1].tag, ClaimTag::Unit);
    let text = Presentation::new(vec![s.cert.clone()]).unwrap().to_text();
    assert!(text.starts_with("QG1:"));
    assert!(
        text.chars()
            .all(|c| "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(c))
    );
    let scanned = Presentation::from_text(text.clone()).unwrap();
    assert_eq!(scanned.to_text(), text);
    assert_eq!(scanned.statements().len(), 1);
    let list = RevocationList::issue(&s.ministry, NOW - 10, NOW + 86_400, vec![3, 1]).unwrap();
    assert_eq!(list.info().serials, vec![1, 3]);
    let verified = scanned
        .verify_account(
            s.colonel.clone(),
            s.anchors.clone(),
            vec![list.clone()],
            NOW,
        )
        .unwrap();
    assert_eq!(verified.label, "verified by Ministry of Defence");
    assert_eq!(verified.organisation, "Ministry of Defence");
    assert_eq!(verified.serial, 7);
    assert_eq!(verified.valid_until, NOW + YEAR);
    assert_eq!(verified.revocation, RevocationStatus::Current);
    assert_eq!(verified.claims[0].value, "Colonel N.");
    // No list at all, or a stale one: still verified, and said so.
    let v = scanned.verify(s.anchors.clone(), vec![], NOW).unwrap();
    assert_eq!(v.revocation, RevocationStatus::Missing);
    let v = scanned
        .verify(s.anchors.clone(), vec![list], NOW + 2 * 86_400)
        .unwrap();
    assert_eq!(
        v.revocation,
        RevocationStatus::Stale {
            next_update: NOW + 86_400
        }
    );

    // An altered text: one character changed. Refused, whatever it breaks.
    let mut altered: Vec<char> = text.chars().collect();
    let i = altered.len() - 10;
    altered[i] = if altered[i] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    let refused = Presentation::from_text(altered)
        .and_then(|p| p.verify_account(s.colonel.clone(), s.anchors.clone(), vec![], NOW));
    assert!(refused.is_err());
    let e = Presentation::from_text(text.to_lowercase()).unwrap_err();
    assert!(matches!(e, QorganError::InvalidText { .. }), "{e:?}");
    let e = Presentation::from_text(text.replacen("QG1:", "QG2:", 1)).unwrap_err();
    assert_eq!(e.to_string(), "invalid statement text: missing QG1: prefix");

    // Shown for another account: refused.
    let e = scanned
        .verify_account(account_key(), s.anchors.clone(), vec![], NOW)
        .unwrap_err();
    assert!(matches!(e, QorganError::WrongSubject), "{e:?}");
}

#[test]
fn expired_revoked_unknown_issuer_and_impostors_are_refused() {
    let s = setup();
    let p = Presentation::new(vec![s.cert.clone()]).unwrap();
    let e = p
        .verify(s.anchors.clone(), vec![], NOW + 2 * YEAR)
        .unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::Expired {
                serial: 7,
                valid_until
            } if valid_until == NOW + YEAR
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::Expired);
    let e = p
        .verify(s.anchors.clone(), vec![], NOW - 2 * YEAR)
        .unwrap_err();
    assert!(
        matches!(e, QorganError::NotYetValid { serial: 7, .. }),
        "{e:?}"
    );
    let revoked = RevocationList::issue(&s.ministry, NOW - 10, NOW + 10, vec![7]).unwrap();
    let e = p
        .verify(s.anchors.clone(), vec![revoked.clone()], NOW)
        .unwrap_err();
    assert!(matches!(e, QorganError::Revoked { serial: 7 }), "{e:?}");
    assert_eq!(e.to_string(), "statement 7 is revoked");
    // A revocation is never undone by staleness.
    assert!(matches!(
        p.verify(s.anchors.clone(), vec![revoked], NOW + YEAR / 2)
            .unwrap_err(),
        QorganError::Revoked { .. }
    ));

    // An impostor's "ministry": a key the app does not trust, same name.
    let impostor = IssuerKeyPair::generate().unwrap();
    let fake = Statement::certify_account(
        &impostor,
        s.colonel.clone(),
        7,
        NOW - YEAR,
        NOW + YEAR,
        claims("Colonel N."),
    )
    .unwrap();
    let e = Presentation::new(vec![fake])
        .unwrap()
        .verify(s.anchors.clone(), vec![], NOW)
        .unwrap_err();
    assert!(matches!(e, QorganError::UnknownIssuer), "{e:?}");
    assert_eq!(e.to_string(), "issuer is not a trusted organisation");
    // A certificate edited after signing.
    let mut bytes = s.cert.to_bytes();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let e = Statement::from_bytes(bytes.clone()).unwrap_err();
    assert!(
        matches!(e, QorganError::BadSignature { ref what } if what == "statement"),
        "{e:?}"
    );

    // Intermediates: an anchor certifies an intermediate, which certifies.
    let branch = IssuerKeyPair::generate().unwrap();
    let inter = Statement::certify_intermediate(
        &s.ministry,
        branch.public_key(),
        100,
        NOW - YEAR,
        NOW + YEAR,
        vec![Claim {
            tag: ClaimTag::Organisation,
            value: "Staff HQ".into(),
        }],
    )
    .unwrap();
    let leaf = Statement::certify_account(
        &branch,
        s.colonel.clone(),
        1,
        NOW - 10,
        NOW + 10,
        claims("Colonel N."),
    )
    .unwrap();
    let chain = Presentation::new(vec![inter.clone(), leaf.clone()]).unwrap();
    let v = chain.verify(s.anchors.clone(), vec![], NOW).unwrap();
    assert_eq!(v.label, "verified by Ministry of Defence");
    assert_eq!(v.valid_until, NOW + 10);
    let e = Presentation::new(vec![leaf.clone(), inter.clone()])
        .unwrap()
        .verify(s.anchors.clone(), vec![], NOW)
        .unwrap_err();
    assert!(matches!(e, QorganError::InvalidChain { .. }), "{e:?}");
    let e = Presentation::new(vec![]).unwrap_err();
    assert!(matches!(e, QorganError::InvalidChain { .. }), "{e:?}");
    // Claims and statements that break the rules.
    let e = Statement::certify_account(&s.ministry, s.colonel.clone(), 8, NOW, NOW, claims("x"))
        .unwrap_err();
    assert!(matches!(e, QorganError::InvalidStatement { .. }), "{e:?}");
    let e = Statement::certify_account(&s.ministry, s.colonel.clone(), 8, NOW, NOW + 1, vec![])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "invalid statement: account certificate without a display name"
    );
    let e = Statement::issue(
        &s.ministry,
        StatementKind::Statement,
        vec![9; 32],
        9,
        NOW,
        NOW + 1,
        vec![Claim {
            tag: ClaimTag::Custom { number: 7 },
            value: "reserved".into(),
        }],
    )
    .unwrap_err();
    assert!(matches!(e, QorganError::InvalidStatement { .. }), "{e:?}");
    let doc = Statement::issue(
        &s.ministry,
        StatementKind::Statement,
        vec![9; 32],
        9,
        NOW,
        NOW + 1,
        vec![Claim {
            tag: ClaimTag::Custom { number: 200 },
            value: "badge 3".into(),
        }],
    )
    .unwrap();
    assert_eq!(doc.info().claims[0].tag, ClaimTag::Custom { number: 200 });
    assert!(matches!(
        Statement::issue(
            &s.ministry,
            StatementKind::Statement,
            vec![9; 31],
            9,
            NOW,
            NOW + 1,
            vec![]
        )
        .unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    // Anchors that are not keys.
    let e = p
        .verify(
            vec![TrustAnchor {
                key: vec![1; 31],
                organisation: "x".into(),
            }],
            vec![],
            NOW,
        )
        .unwrap_err();
    assert!(matches!(e, QorganError::InvalidArgument { .. }), "{e:?}");
}

#[test]
fn issuer_keys_stay_behind_their_handle_until_asked() {
    let issuer = IssuerKeyPair::generate().unwrap();
    let seed = issuer.to_seed();
    assert_eq!(seed.len(), 32);
    let again = IssuerKeyPair::from_seed(seed).unwrap();
    assert_eq!(again.public_key(), issuer.public_key());
    assert!(!format!("{issuer:?}").contains("secret: ["));
    assert!(matches!(
        IssuerKeyPair::from_seed(vec![0; 31]).unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
}

#[test]
fn a_server_verifies_statements_lists_and_presentations_one_by_one_and_in_a_batch() {
    let s = setup();
    let cert = s.cert.to_bytes();
    assert_eq!(verify_statement(&cert).unwrap(), s.cert.info());
    let list = RevocationList::issue(&s.ministry, NOW - 10, NOW + 10, vec![99]).unwrap();
    let revoking = RevocationList::issue(&s.ministry, NOW - 10, NOW + 10, vec![7]).unwrap();
    assert_eq!(
        verify_revocation_list(&list.to_bytes()).unwrap(),
        list.info()
    );
    let presentation = Presentation::new(vec![s.cert.clone()]).unwrap().to_bytes();
    let v =
        verify_presentation(&presentation, s.anchors.clone(), vec![list.to_bytes()], NOW).unwrap();
    assert_eq!(v.label, "verified by Ministry of Defence");
    let mut bad_list = list.to_bytes();
    let last = bad_list.len() - 1;
    bad_list[last] ^= 1;
    let e = verify_revocation_list(&bad_list).unwrap_err();
    assert!(
        matches!(e, QorganError::BadSignature { ref what } if what == "revocation list"),
        "{e:?}"
    );
    let mut bad_cert = cert.clone();
    let last = bad_cert.len() - 1;
    bad_cert[last] ^= 1;

    let item = |revocations: Vec<Vec<u8>>, now: i64| VerifyItem::Presentation {
        presentation: presentation.clone(),
        anchors: s.anchors.clone(),
        revocations,
        now,
    };
    let items = vec![
        VerifyItem::Statement {
            bytes: cert.clone(),
        },
        VerifyItem::Statement { bytes: bad_cert },
        VerifyItem::RevocationList {
            bytes: list.to_bytes(),
        },
        VerifyItem::RevocationList {
            bytes: bad_list.clone(),
        },
        item(vec![list.to_bytes()], NOW),
        item(vec![list.to_bytes()], NOW + 2 * YEAR),
        item(vec![revoking.to_bytes()], NOW),
        item(vec![bad_list], NOW),
        VerifyItem::Presentation {
            presentation: presentation.clone(),
            anchors: vec![],
            revocations: vec![],
            now: NOW,
        },
        item(vec![list.to_bytes()], NOW),
    ];
    let kinds: Vec<Option<ErrorKind>> = verify_batch(items)
        .iter()
        .map(|r| r.error.as_ref().map(|f| f.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            None,
            Some(ErrorKind::BadSignature),
            None,
            Some(ErrorKind::BadSignature),
            None,
            Some(ErrorKind::Expired),
            Some(ErrorKind::Revoked),
            Some(ErrorKind::BadSignature),
            Some(ErrorKind::UnknownIssuer),
            None,
        ]
    );
}
