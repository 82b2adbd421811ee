//! The qorgan-verify binary, run as a server would run it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use qorgan::{IdentityKeyPair, OutboundGroupSession, PreKeyStore, RotationPolicy, SystemRng};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn flip_last(bytes: &[u8]) -> Vec<u8> {
    let mut v = bytes.to_vec();
    if let Some(b) = v.last_mut() {
        *b ^= 1;
    }
    v
}

fn flip_at(bytes: &[u8], i: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[i] ^= 1;
    v
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qorgan-verify"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_owned();
    let writer = std::thread::spawn(move || input.write_all(data.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

fn stdout(o: &Output) -> Vec<String> {
    String::from_utf8(o.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

struct Fixture {
    identity: Vec<u8>,
    bundle: Vec<u8>,
    upload: Vec<u8>,
    announcement: Vec<u8>,
    group: OutboundGroupSession,
    id: IdentityKeyPair,
    rng: SystemRng,
}

impl Fixture {
    /// A group message signed as the fixture's identity.
    fn message(&mut self, plaintext: &[u8]) -> Vec<u8> {
        self.group
            .encrypt(&mut self.rng, &self.id, plaintext)
            .unwrap()
    }
}

fn fixture() -> Fixture {
    let mut rng = SystemRng::new().unwrap();
    let id = IdentityKeyPair::generate(&mut rng);
    let mut store = PreKeyStore::new(&mut rng, id.clone(), 0);
    let bundle = store.bundle().unwrap().to_bytes();
    store.generate_one_time_prekeys(&mut rng, 3);
    store.generate_kem_one_time_prekeys(&mut rng, 2);
    let upload = store.upload(&mut rng, 0).unwrap().to_bytes();
    let group = OutboundGroupSession::new(
        &mut rng,
        b"g",
        RotationPolicy {
            max_messages: 100_000,
            max_age_secs: 3600,
        },
        0,
    )
    .unwrap();
    Fixture {
        identity: id.public().to_bytes(),
        bundle,
        upload,
        announcement: group.distribution(&id).announcement().to_bytes(),
        group,
        id,
        rng,
    }
}

#[test]
fn every_kind_valid() {
    let mut f = fixture();
    let mut input = format!(
        "# a server's queue\n\nidentity {}\nbundle {}\nannouncement {}\nupload {}\n",
        hex(&f.identity),
        hex(&f.bundle),
        hex(&f.announcement),
        hex(&f.upload)
    );
    for i in 0..3u8 {
        let m = f.message(&[i]);
        input += &format!("group-message {} {}\n", hex(&f.announcement), hex(&m));
    }
    let out = run(&[], &input);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout(&out),
        [
            "stdin:3: identity: valid",
            "stdin:4: bundle: valid",
            "stdin:5: announcement: valid",
            "stdin:6: upload: valid",
            "stdin:7: group-message: valid",
            "stdin:8: group-message: valid",
            "stdin:9: group-message: valid",
            "summary: 7 items: 7 valid, 0 invalid, 0 unreadable",
        ]
    );
}

#[test]
fn failures_are_named_per_item_and_set_the_exit_status() {
    let mut f = fixture();
    let m = f.message(b"x");
    let other = fixture();
    let input = [
        // A byte of the signed prekey's public key (after 2 + 128 + 4).
        format!("bundle {}", hex(&flip_at(&f.bundle, 2 + 128 + 4 + 5))),
        format!("identity {}", hex(&f.identity)),
        format!(
            "group-message {} {}",
            hex(&f.announcement),
            hex(&flip_last(&m))
        ),
        format!("group-message {} {}", hex(&other.announcement), hex(&m)),
        format!(
            "group-message {} {}",
            hex(&flip_last(&f.announcement)),
            hex(&m)
        ),
        "session 00".to_string(),
        "bundle 0g".to_string(),
        format!("bundle {}", hex(&f.bundle[..10])),
    ]
    .join("\n");
    let out = run(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout(&out);
    assert_eq!(lines.len(), 9, "{lines:#?}");
    assert!(
        lines[0].starts_with("stdin:1: bundle: invalid: ") && lines[0].contains("signature"),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1], "stdin:2: identity: valid");
    assert!(
        lines[2].starts_with("stdin:3: group-message: invalid: ") && lines[2].contains("signature"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].starts_with("stdin:4: group-message: invalid: ")
            && lines[3].contains("another chain"),
        "{}",
        lines[3]
    );
    assert!(
        lines[4].starts_with("stdin:5: group-message: invalid: announcement"),
        "{}",
        lines[4]
    );
    assert!(
        lines[5].starts_with("stdin:6: unreadable: unknown kind \"session\""),
        "{}",
        lines[5]
    );
    assert_eq!(lines[6], "stdin:7: unreadable: bundle is not hex");
    assert!(
        lines[7].starts_with("stdin:8: bundle: invalid: "),
        "{}",
        lines[7]
    );
    assert_eq!(
        lines[8],
        "summary: 8 items: 1 valid, 5 invalid, 2 unreadable"
    );

    let quiet = run(&["--quiet"], &input);
    assert_eq!(quiet.status.code(), Some(1));
    let q = stdout(&quiet);
    assert_eq!(q.len(), 8);
    assert!(!q.iter().any(|l| l.ends_with(": valid")));
}

#[test]
fn files_batches_and_long_lines() {
    let mut f = fixture();
    let dir = std::env::temp_dir().join(format!("qorgan-verify-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // More messages than one batch (qorgan_verify::BATCH = 4096), one announcement.
    let n = qorgan_verify::BATCH + 7;
    let ann = hex(&f.announcement);
    let mut big = String::new();
    for i in 0..n {
        let m = f.message(&(i as u32).to_be_bytes());
        big += &format!("group-message {ann} {}\n", hex(&m));
    }
    let a = dir.join("messages.txt");
    std::fs::write(&a, big).unwrap();
    // An over-long line, then a valid one on the next line.
    let b = dir.join("long.txt");
    let long = format!(
        "bundle {}\nidentity {}\n",
        "0".repeat(qorgan_verify::MAX_LINE + 10),
        hex(&f.identity)
    );
    std::fs::write(&b, long).unwrap();
    let out = run(&["-q", a.to_str().unwrap(), b.to_str().unwrap()], "");
    let lines = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        lines,
        [
            format!(
                "{}:1: unreadable: line longer than {} bytes",
                b.display(),
                qorgan_verify::MAX_LINE
            ),
            format!(
                "summary: {} items: {} valid, 0 invalid, 1 unreadable",
                n + 2,
                n + 1
            ),
        ]
    );
    // A missing file is an I/O error (status 2), named on stderr.
    let missing = dir.join("missing.txt");
    let out = run(&[missing.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt"));
    // Usage errors too.
    assert_eq!(run(&["--frobnicate"], "").status.code(), Some(2));
    let help = run(&["--help"], "");
    assert_eq!(help.status.code(), Some(0));
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(help.contains("group-message"));
    assert!(help.contains("upload         <upload>"), "{help}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn uploads_valid_tampered_malformed_and_the_largest() {
    let f = fixture();
    let other = fixture();
    // An upload is signed as a whole: the identity's signature is its last
    // 64 bytes; the first one-time X25519 key is covered only by it.
    let upload = qorgan::PreKeyUpload::from_bytes(&f.upload).unwrap();
    assert_eq!(upload.one_time_prekey_ids(), [1, 2, 3]);
    // The fixture's bundle went out first, so its upload carries only
    // one-time keys: header 2, identity 128, flags 1 (0), count 4, id 4.
    assert!(upload.signed_prekey().is_none() && upload.last_resort_kem_prekey().is_none());
    let first_key = 2 + 128 + 1 + 4 + 4;
    // The other identity's upload with this one's identity put in.
    let mut claimed = other.upload.clone();
    claimed[2..130].copy_from_slice(&f.upload[2..130]);
    let input = [
        format!("upload {}", hex(&f.upload)),
        format!("upload {}", hex(&flip_last(&f.upload))),
        format!("upload {}", hex(&flip_at(&f.upload, first_key))),
        format!("upload {}", hex(&claimed)),
        format!("upload {}", hex(&f.upload[..f.upload.len() - 1])),
        format!("upload {}", hex(&f.bundle)),
        format!("bundle {}", hex(&f.upload)),
        "upload".to_string(),
    ]
    .join("\n");
    let out = run(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout(&out);
    assert_eq!(lines.len(), 9, "{lines:#?}");
    assert_eq!(lines[0], "stdin:1: upload: valid");
    for (i, line) in lines.iter().enumerate().take(3).skip(1) {
        assert!(
            line.starts_with(&format!("stdin:{}: upload: invalid: ", i + 1))
                && line.ends_with("signature on prekey upload"),
            "{line}"
        );
    }
    // Claimed by another identity: the first signature checked that fails
    // is the other identity's on its one-time ML-KEM prekeys.
    assert_eq!(
        lines[3],
        "stdin:4: upload: invalid: invalid signature on ML-KEM prekey"
    );
    for (i, line) in lines.iter().enumerate().take(6).skip(4) {
        assert!(
            line.starts_with(&format!("stdin:{}: upload: invalid: ", i + 1))
                && !line.contains("signature"),
            "{line}"
        );
    }
    assert!(
        lines[6].starts_with("stdin:7: bundle: invalid: "),
        "{}",
        lines[6]
    );
    assert_eq!(
        lines[7],
        "stdin:8: unreadable: upload takes 1 field(s), found 0"
    );
    assert_eq!(
        lines[8],
        "summary: 8 items: 1 valid, 6 invalid, 1 unreadable"
    );

    // The largest upload the store limits allow fits on one line.
    let mut rng = SystemRng::new().unwrap();
    let id = IdentityKeyPair::generate(&mut rng);
    let mut store = PreKeyStore::new(&mut rng, id, 0);
    store.generate_one_time_prekeys(&mut rng, qorgan::limits::MAX_ONE_TIME_PREKEYS);
    store.generate_kem_one_time_prekeys(&mut rng, qorgan::limits::MAX_KEM_ONE_TIME_PREKEYS);
    let largest = store.upload(&mut rng, 0).unwrap().to_bytes();
    assert_eq!(largest.len(), qorgan_verify::MAX_UPLOAD_LEN);
    let line = format!("upload {}\n", hex(&largest));
    assert!(line.len() > 1 << 20, "over the old 1 MiB line limit");
    let out = run(&["-"], &format!("{line}{line}"));
    assert_eq!(
        stdout(&out),
        [
            "stdin:1: upload: valid",
            "stdin:2: upload: valid",
            "summary: 2 items: 2 valid, 0 invalid, 0 unreadable"
        ]
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn device_lists_valid_tampered_and_not_following_the_held_head() {
    use qorgan::account::Account;
    let mut rng = SystemRng::new().unwrap();
    let phone = IdentityKeyPair::generate(&mut rng);
    let tablet = IdentityKeyPair::generate(&mut rng);
    let mut bob = Account::create(&mut rng, phone.public(), "phone").unwrap();
    let v1 = bob.list().to_bytes();
    let v1_head = bob.head();
    let v2 = bob
        .add_device(tablet.public(), "tablet")
        .unwrap()
        .to_bytes();
    let bob_key = hex(&bob.account_key().to_bytes());
    let held = format!("{bob_key} {} {}", v1_head.version, hex(&v1_head.hash));
    // Mallory's second list names the head `mallory_held`: held for Bob,
    // it is still not Bob's next list.
    let mut mallory = Account::create(&mut rng, phone.public(), "phone").unwrap();
    let mallory_held = mallory.head();
    let mallory_v2 = mallory
        .add_device(tablet.public(), "tablet")
        .unwrap()
        .to_bytes();
    let mallory_held = format!("{} {}", mallory_held.version, hex(&mallory_held.hash));
    let mallory_key = hex(&mallory.account_key().to_bytes());
    let input = [
        format!("device-list {}", hex(&v1)),
        format!("device-list {}", hex(&v2)),
        format!("device-list-after {held} {}", hex(&v2)),
        // A replay of the held list, and a list after another head.
        format!("device-list-after {held} {}", hex(&v1)),
        format!(
            "device-list-after {bob_key} 1 {} {}",
            "00".repeat(32),
            hex(&v2)
        ),
        format!("device-list {}", hex(&flip_last(&v2))),
        format!("device-list {}", hex(&f_identity())),
        format!(
            "device-list-after {bob_key} x {} {}",
            hex(&v1_head.hash),
            hex(&v2)
        ),
        format!("device-list-after {bob_key} 1 abcd {}", hex(&v2)),
        format!("device-list-after {held}"),
        format!(
            "device-list-after {mallory_key} {mallory_held} {}",
            hex(&mallory_v2)
        ),
        format!(
            "device-list-after {bob_key} {mallory_held} {}",
            hex(&mallory_v2)
        ),
        format!("device-list-after abcd {mallory_held} {}", hex(&mallory_v2)),
    ]
    .join("\n");
    let out = run(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout(&out);
    assert_eq!(
        lines,
        [
            "stdin:1: device-list: valid",
            "stdin:2: device-list: valid",
            "stdin:3: device-list-after: valid",
            "stdin:4: device-list-after: invalid: device list version 1 does not follow version 1",
            "stdin:5: device-list-after: invalid: device list version 2 does not follow version 1",
            "stdin:6: device-list: invalid: invalid signature on device list",
            "stdin:7: device-list: invalid: malformed: unexpected type byte 0x11",
            "stdin:8: unreadable: previous version is not a decimal number",
            "stdin:9: unreadable: previous hash must be 32 bytes, found 2",
            "stdin:10: unreadable: device-list-after takes 4 field(s), found 3",
            "stdin:11: device-list-after: valid",
            "stdin:12: device-list-after: invalid: device list version 2 does not follow version 1",
            "stdin:13: unreadable: account must be 32 bytes, found 2",
            "summary: 13 items: 4 valid, 5 invalid, 4 unreadable",
        ]
    );
    let help = run(&["--help"], "");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(help.contains("device-list    <list>"), "{help}");
    assert!(
        help.contains("device-list-after <account> <version> <hash> <list>"),
        "{help}"
    );
}

/// A standalone identity key (`0x01 0x11 …`): not a device list.
fn f_identity() -> Vec<u8> {
    fixture().identity
}

#[test]
fn rosters_valid_tampered_and_not_following_the_held_roster() {
    use qorgan::account::Account;
    use qorgan::roster::{Member, Role, Roster};
    let mut rng = SystemRng::new().unwrap();
    let phone = IdentityKeyPair::generate(&mut rng);
    let alice = Account::create(&mut rng, phone.public(), "phone").unwrap();
    let bob = Account::create(&mut rng, phone.public(), "phone").unwrap();
    let admin = alice.key_pair().unwrap();
    let r1 = Roster::create(
        admin,
        b"ops",
        vec![Member::new(*alice.account_key(), Role::Admin)],
    )
    .unwrap();
    let r2 = r1
        .with_member(admin, bob.account_key(), Role::Member)
        .unwrap();
    let other = Roster::create(
        admin,
        b"other",
        vec![Member::new(*alice.account_key(), Role::Admin)],
    )
    .unwrap();
    let (h1, h2) = (hex(&r1.to_bytes()), hex(&r2.to_bytes()));
    let input = [
        format!("roster {h1}"),
        format!("roster {h2}"),
        format!("roster {}", hex(&flip_last(&r2.to_bytes()))),
        format!("roster-after {h1} {h2}"),
        // A replay of the held roster, a roster of another group, a held
        // roster that is not one, and a line missing its roster.
        format!("roster-after {h2} {h1}"),
        format!("roster-after {} {h2}", hex(&other.to_bytes())),
        format!("roster-after abcd {h2}"),
        format!("roster-after {h1}"),
    ]
    .join("\n");
    let out = run(&[], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        [
            "stdin:1: roster: valid",
            "stdin:2: roster: valid",
            "stdin:3: roster: invalid: invalid signature on group roster",
            "stdin:4: roster-after: valid",
            "stdin:5: roster-after: invalid: roster epoch 1 does not follow epoch 2",
            "stdin:6: roster-after: invalid: roster epoch 2 does not follow epoch 1",
            "stdin:7: roster-after: invalid: held roster: malformed: unsupported version 171",
            "stdin:8: unreadable: roster-after takes 2 field(s), found 1",
            "summary: 8 items: 3 valid, 4 invalid, 1 unreadable",
        ]
    );
}

/// An organisation, a colleague's certificate (serial 7) and its QR text.
struct Certified {
    ministry: qorgan::certificate::IssuerKeyPair,
    cert: qorgan::certificate::Statement,
    text: String,
}

const CERT_NOW: u64 = 1_800_000_000;

fn certified() -> Certified {
    use qorgan::account::AccountKeyPair;
    use qorgan::certificate::{Claim, IssuerKeyPair, Presentation, Statement};
    let mut rng = SystemRng::new().unwrap();
    let ministry = IssuerKeyPair::generate(&mut rng);
    let colonel = AccountKeyPair::generate(&mut rng);
    let cert = Statement::certify_account(
        &ministry,
        colonel.public(),
        7,
        CERT_NOW - 1000,
        CERT_NOW + 1000,
        vec![Claim::display_name("Colonel N.").unwrap()],
    )
    .unwrap();
    let text = Presentation::new(vec![cert.clone()]).unwrap().to_text();
    Certified {
        ministry,
        cert,
        text,
    }
}

#[test]
fn statements_revocation_lists_and_presentations_from_their_qr_text() {
    use qorgan::certificate::{IssuerKeyPair, RevocationList};
    let c = certified();
    let anchor = format!(
        "{}=Ministry of Defence",
        hex(&c.ministry.public().to_bytes())
    );
    let now = CERT_NOW.to_string();
    let mut rng = SystemRng::new().unwrap();
    let list = RevocationList::issue(&c.ministry, CERT_NOW - 10, CERT_NOW + 10, vec![99]).unwrap();
    // The QR text has spaces in it, kept; an altered copy; not a QR text.
    let mut altered: Vec<char> = c.text.chars().collect();
    let i = altered.len() - 7;
    altered[i] = if altered[i] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    let input = [
        format!("statement {}", hex(&c.cert.to_bytes())),
        format!("statement {}", hex(&flip_last(&c.cert.to_bytes()))),
        format!("revocation-list {}", hex(&list.to_bytes())),
        format!("revocation-list {}", hex(&flip_last(&list.to_bytes()))),
        format!("presentation {}", c.text),
        format!("presentation {altered}"),
        format!("presentation {}", c.text.to_lowercase()),
        "presentation".to_string(),
    ]
    .join("\n");
    let out = run(&["--anchor", &anchor, "--now", &now], &input);
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout(&out);
    assert_eq!(
        lines[..5],
        [
            "stdin:1: statement: valid",
            "stdin:2: statement: invalid: invalid signature on statement",
            "stdin:3: revocation-list: valid",
            "stdin:4: revocation-list: invalid: invalid signature on revocation list",
            "stdin:5: presentation: valid",
        ]
    );
    assert!(
        lines[5].starts_with("stdin:6: presentation: invalid: "),
        "{lines:?}"
    );
    assert_eq!(
        lines[6..],
        [
            "stdin:7: presentation: invalid: invalid statement text: missing QG1: prefix",
            "stdin:8: unreadable: presentation takes 1 field(s), found 0",
            "summary: 8 items: 3 valid, 4 invalid, 1 unreadable",
        ]
    );

    // Trust comes from the flags only: another anchor, a later time, a
    // revocation list naming serial 7.
    let one = |args: &[&str]| {
        let out = run(args, &format!("presentation {}\n", c.text));
        (
            out.status.code(),
            stdout(&out).first().cloned().unwrap_or_default(),
        )
    };
    assert_eq!(
        one(&["--now", &now]),
        (
            Some(1),
            "stdin:1: presentation: invalid: issuer is not a trusted organisation".into()
        )
    );
    let impostor = format!(
        "{}=Ministry of Defence",
        hex(&IssuerKeyPair::generate(&mut rng).public().to_bytes())
    );
    assert_eq!(one(&["--anchor", &impostor, "--now", &now]).0, Some(1));
    assert_eq!(
        one(&[
            &format!("--anchor={anchor}"),
            "--now",
            &(CERT_NOW + 5000).to_string()
        ]),
        (
            Some(1),
            format!(
                "stdin:1: presentation: invalid: statement 7 expired at {}",
                CERT_NOW + 1000
            )
        )
    );
    let dir = std::env::temp_dir().join(format!("qorgan-verify-crl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let revoking =
        RevocationList::issue(&c.ministry, CERT_NOW - 10, CERT_NOW + 10, vec![3, 7]).unwrap();
    let crl = dir.join("revocations.txt");
    std::fs::write(
        &crl,
        format!("# the ministry's list\n{}\n\n", hex(&revoking.to_bytes())),
    )
    .unwrap();
    let crl = crl.to_str().unwrap();
    assert_eq!(
        one(&["--anchor", &anchor, "--now", &now, "--revocations", crl]),
        (
            Some(1),
            "stdin:1: presentation: invalid: statement 7 is revoked".into()
        )
    );
    assert_eq!(
        one(&["--anchor", &anchor, "--now", &now]),
        (Some(0), "stdin:1: presentation: valid".into())
    );

    // Usage errors: a bad anchor, a bad list file, a bad time.
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, hex(&flip_last(&revoking.to_bytes()))).unwrap();
    for args in [
        vec!["--anchor", "abcd=Ministry"],
        vec!["--anchor", "no-equals-sign"],
        vec!["--revocations", bad.to_str().unwrap()],
        vec!["--now", "yesterday"],
        vec!["--now"],
    ] {
        let out = run(&args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = run(&["--revocations", bad.to_str().unwrap()], "");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("bad.txt:1: revocation list: invalid signature on revocation list"),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    let help = run(&["--help"], "");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    for word in [
        "roster-after   <previous> <roster>",
        "presentation   QG1:<text>",
        "--anchor KEY=ORGANISATION",
        "--revocations FILE",
        "--now SECONDS",
    ] {
        assert!(help.contains(word), "{word}: {help}");
    }
}
