//! Writes the seed corpora under `fuzz/corpus/<target>/` (small, committed).
//! Run: `cargo run -p qorgan-tests --bin gen-fuzz-seeds`. Existing files
//! (including crash regressions) are left alone; seeds are overwritten.

#[path = "../../../fuzz/src/targets.rs"]
#[allow(unused)]
mod targets;

use std::path::PathBuf;

use qorgan::account::AccountKeyPair;
use qorgan::certificate::{Claim, IssuerKeyPair, Presentation, RevocationList, Statement};
use qorgan::roster::Roster;
use qorgan::{IdentityKeyPair, InboundGroupSession, PreKeyStore, SenderKeyRing};
use qorgan_tests::rng;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let l = targets::live();
    let mut r = rng(77);
    let key = targets::corpus_storage_key();
    let id = IdentityKeyPair::generate(&mut r);
    let mut store = PreKeyStore::new(&mut r, id.clone(), 0);
    store.generate_one_time_prekeys(&mut r, 1);
    store.generate_kem_one_time_prekeys(&mut r, 1);
    let bundle = store.bundle().unwrap();
    let dist = l.group_out.distribution(&id);
    let ring = SenderKeyRing::new(&dist, id.public()).unwrap();
    let inbound = InboundGroupSession::new(&dist, id.public()).unwrap();
    // An upload with every part, and one with one-time keys only.
    let uploader_id = IdentityKeyPair::generate(&mut r);
    let mut uploader = PreKeyStore::new(&mut r, uploader_id, 0);
    uploader.generate_one_time_prekeys(&mut r, 2);
    uploader.generate_kem_one_time_prekeys(&mut r, 1);
    let full_upload = uploader.upload(&mut r, 0).unwrap().to_bytes();
    uploader.generate_one_time_prekeys(&mut r, 1);
    let small_upload = uploader.upload(&mut r, 0).unwrap().to_bytes();
    // Accounts: a list of one device, then of two; an envelope with heads.
    let mut account = qorgan::account::Account::create(&mut r, id.public(), "phone").unwrap();
    let list_v1 = account.list().to_bytes();
    let tablet = IdentityKeyPair::generate(&mut r);
    let list_v2 = account
        .add_device(tablet.public(), "планшет")
        .unwrap()
        .to_bytes();
    let mut contact =
        qorgan::account::Contact::pin(qorgan::account::DeviceList::from_bytes(&list_v1).unwrap());
    let heads = contact.heads_to_send(account.head());
    let linking = targets::linking();
    // Sealing moves an object's generation: seal copies.
    let mut bob = qorgan::Session::from_bytes(&l.bob.to_bytes()).unwrap();
    let mut out = qorgan::OutboundGroupSession::from_bytes(&l.group_out.to_bytes()).unwrap();
    let mut sealed_ring = SenderKeyRing::from_bytes(&ring.to_bytes()).unwrap();
    let v3 = &targets::rostered().seeds;
    let rosters = roster_seeds();
    let advance = roster_advance_seeds();
    let (statements, texts) = certificate_seeds();

    let seeds: Vec<(&str, Vec<Vec<u8>>)> = vec![
        (
            "decode_message",
            vec![l.to_bob[0].clone(), l.first_flight.clone()],
        ),
        (
            "decode_bundle",
            vec![
                bundle.to_bytes(),
                store
                    .bundle()
                    .map(|mut b| {
                        b.one_time_prekey = None;
                        b.to_bytes()
                    })
                    .unwrap(),
            ],
        ),
        ("decode_identity", vec![id.public().to_bytes()]),
        ("decode_upload", vec![full_upload, small_upload]),
        ("decode_device_list", vec![list_v1, list_v2]),
        (
            "decode_account_envelope",
            vec![
                qorgan::account::seal_envelope(
                    account.account_key(),
                    contact.account(),
                    None,
                    b"salem",
                ),
                qorgan::account::seal_envelope(
                    account.account_key(),
                    contact.account(),
                    heads.as_ref(),
                    b"salem",
                ),
            ],
        ),
        (
            "link_complete",
            vec![linking.message.clone(), linking.code.as_bytes().to_vec()],
        ),
        (
            "state_account",
            vec![account.to_bytes().to_vec(), contact.to_bytes().to_vec()],
        ),
        (
            "decode_distribution",
            vec![
                dist.to_bytes().to_vec(),
                dist.announcement().to_bytes(),
                v3.distribution.clone(),
                v3.announcement.clone(),
                v3.rotated_distribution.clone(),
            ],
        ),
        ("decode_group_message", vec![l.group_msgs[0].clone()]),
        (
            "decode_group_export",
            vec![
                l.group_in
                    .export_at(l.group_in.position())
                    .unwrap()
                    .to_vec(),
                v3.export.clone(),
                v3.export_behind.clone(),
            ],
        ),
        (
            "state_session",
            vec![l.alice.to_bytes().to_vec(), l.bob.to_bytes().to_vec()],
        ),
        ("state_prekey_store", vec![store.to_bytes().to_vec()]),
        (
            "state_group",
            vec![
                l.group_out.to_bytes().to_vec(),
                inbound.to_bytes().to_vec(),
                ring.to_bytes().to_vec(),
                v3.outbound.clone(),
                v3.outbound_pending.clone(),
                v3.outbound_rotated.clone(),
                v3.inbound.clone(),
                v3.ring.clone(),
            ],
        ),
        (
            "state_sealed",
            vec![
                bob.seal(&mut r, &key),
                store.seal(&mut r, &key),
                out.seal(&mut r, &key),
                sealed_ring.seal(&mut r, &key),
                v3.sealed_outbound.clone(),
                v3.sealed_ring.clone(),
            ],
        ),
        (
            "session_decrypt",
            vec![
                vec![1],
                vec![3, 0, 0, 1],
                [vec![0], l.to_bob[1].clone()].concat(),
            ],
        ),
        (
            "prekey_accept",
            vec![
                vec![1],
                vec![1, 0, 0, 0, 0, 0, 0, 0, 4],
                [vec![0], l.first_flight.clone()].concat(),
            ],
        ),
        (
            "group_decrypt",
            vec![
                vec![1],
                vec![3, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                [vec![0], l.group_msgs[2].clone()].concat(),
            ],
        ),
        (
            "group_merge",
            vec![
                vec![0],
                vec![2 + 5 * 3], // read 2, export at 3
                vec![4 + 5],     // read 4, export at 1
                vec![1 + 5 * 6], // read 1, export at MAX_GROUP_SKIPPED_KEYS + 1
                vec![5 * 7],     // read 0, export 50 000 ahead: refused
                // The last byte of the chain key flipped: a conflicting copy.
                {
                    let n = l.group_in.export_at(0).unwrap().len();
                    let mut v = vec![0u8; n + 1];
                    v[0] = 3;
                    v[n] = 1;
                    v
                },
            ],
        ),
        (
            "conversation",
            vec![
                vec![0, 0, 0, 0, 3, 1, 1, 0, 2, 0, 5, 0, 7, 0, 3, 0],
                vec![8, 0, 8, 0, 10, 1, 10, 0, 10, 0, 11, 0, 10, 0],
                (0..100u8).flat_map(|i| [i, i.wrapping_mul(7)]).collect(),
            ],
        ),
        ("decode_roster", rosters),
        ("roster_advance", advance),
        ("decode_statement", statements),
        ("statement_text", texts),
        (
            "store_records",
            qorgan_store::fuzzing::seed_records(id.public()),
        ),
    ];
    assert_eq!(seeds.len(), targets::TARGETS.len());
    for (name, inputs) in seeds {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for (i, input) in inputs.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i}")), input).unwrap();
        }
    }
    println!("seed corpora written under {}", root.display());
}

/// `decode_roster`: the held chain, well-signed rosters the rules refuse
/// or only a later check refuses, and malformed near-misses.
fn roster_seeds() -> Vec<Vec<u8>> {
    let f = targets::rosters();
    let g = targets::ROSTER_GROUP;
    let (alice, d0, outsider) = (f.account(0), f.account(1), f.account(4));
    let sorted = |mut m: Vec<(qorgan::account::AccountKey, u8)>| {
        m.sort_by_key(|(k, _)| k.to_bytes());
        m
    };
    let r1 = &f.chain[0];
    let mut seeds: Vec<Vec<u8>> = f.chain.iter().map(Roster::to_bytes).collect();
    seeds.extend([
        // A rogue genesis by an outsider (valid on its own).
        targets::forge_roster(&f.raw[3], g, 1, [0; 32], &[(outsider, 1)]),
        // Epoch 2 after r1 by the outsider: well signed, not an admin's.
        targets::forge_roster(
            &f.raw[3],
            g,
            2,
            r1.head().hash,
            &sorted(vec![(alice, 1), (outsider, 1)]),
        ),
        // A genesis signed by a plain member.
        targets::forge_roster(&f.raw[0], g, 1, [0; 32], &sorted(vec![(alice, 1), (d0, 0)])),
        // Members out of order.
        {
            let mut m = sorted(vec![(alice, 1), (d0, 0)]);
            m.reverse();
            targets::forge_roster(&f.raw[0], g, 1, [0; 32], &m)
        },
        // No admin; epoch 0; epoch 1 with a previous hash; epoch 2 without.
        targets::forge_roster(&f.raw[0], g, 1, [0; 32], &[(d0, 0)]),
        targets::forge_roster(&f.raw[0], g, 0, [0; 32], &[(d0, 1)]),
        targets::forge_roster(&f.raw[0], g, 1, [1; 32], &[(d0, 1)]),
        targets::forge_roster(&f.raw[0], g, 2, [0; 32], &[(d0, 1)]),
        // A role byte out of range.
        targets::forge_roster(&f.raw[0], g, 1, [0; 32], &[(d0, 2)]),
        // r1 with its signature's last byte flipped.
        {
            let mut b = r1.to_bytes();
            *b.last_mut().unwrap() ^= 1;
            b
        },
    ]);
    seeds
}

/// `roster_advance` schedules (see the target): byte 0 picks the held
/// roster, then operations.
fn roster_advance_seeds() -> Vec<Vec<u8>> {
    let f = targets::rosters();
    // Members as `forged_roster` reads them: 2 bits per account (0 Alice,
    // 1 D0, 2 D1, 3 D2, 4 outsider): 1 member, 2 admin.
    let admins = |accounts: &[usize]| {
        accounts
            .iter()
            .fold(0u16, |bits, j| bits | 2 << (2 * j))
            .to_be_bytes()
    };
    let [a0, a1] = admins(&[0, 1]);
    let [o0, o1] = admins(&[4]);
    let r2 = f.chain[1].to_bytes();
    vec![
        // r1 → r4, the genuine chain.
        vec![0, 0, 1, 0, 2, 0, 3],
        // A rollback, a gap, the held roster again then the next.
        vec![1, 0, 0],
        vec![0, 0, 2],
        vec![2, 0, 2, 0, 3],
        // D0, a plain member of r2, signs epoch 3 making itself admin.
        vec![1, 3, 0, 1, 0, a0, a1],
        // D0, an admin of r4, signs epoch 5: accepted.
        vec![3, 3, 0, 3, 0, a0, a1],
        // D1, removed in r4, signs epoch 5.
        vec![3, 3, 1, 3, 0, a0, a1],
        // D1, a plain member of r1, signs a second epoch 2; then Alice
        // signs a second epoch 2, and the genuine r2 is a fork.
        vec![0, 3, 1, 1, 1, a0, a1],
        vec![0, 3, 4, 0, 0, a0, a1, 0, 1],
        // An outsider's genesis; another group; a gap by a rogue.
        vec![0, 3, 3, 0, 3, o0, o1],
        vec![0, 3, 1, 0, 0x80, a0, a1],
        vec![1, 3, 1, 1, 2, a0, a1],
        // r1 with one byte changed (must not verify).
        vec![0, 1, 0, 0x00, 0x10, 0x01],
        // r2 as raw bytes.
        [&[0, 2][..], &(r2.len() as u16).to_be_bytes(), &r2].concat(),
        // A chain longer than MAX_ROSTER_CHAIN: advance refuses it, a
        // history walks it in windows (the second reaching r4).
        [vec![0u8], [0u8, 0].repeat(70)].concat(),
        [vec![0u8], [0u8, 0].repeat(62), vec![0, 1, 0, 2, 0, 3]].concat(),
    ]
}

/// `decode_statement` and `statement_text`: the fixed organisation's
/// statements, lists and presentations (valid, revoked, expired, of an
/// unknown issuer, mis-chained) and their texts.
fn certificate_seeds() -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let c = targets::certs();
    let now = targets::CERT_NOW;
    let mut r = rng(79);
    let other = IssuerKeyPair::generate(&mut r);
    let someone = AccountKeyPair::generate(&mut r);
    let name = || vec![Claim::display_name("Someone").unwrap()];
    let leaf = |issuer: &IssuerKeyPair, serial: u64, from: u64, until: u64| {
        Statement::certify_account(issuer, someone.public(), serial, from, until, name()).unwrap()
    };
    let document = Statement::issue(
        &c.personnel,
        qorgan::certificate::StatementKind::Statement,
        [0x5a; 32],
        2002,
        now - 10,
        now + 10,
        vec![
            Claim::text("may enter building 3").unwrap(),
            Claim::new(qorgan::certificate::ClaimTag(200), "x").unwrap(),
        ],
    )
    .unwrap();
    let chain = |leaf: Statement| Presentation::new(vec![c.intermediate.clone(), leaf]).unwrap();
    let presentations = vec![
        // Valid: through the intermediate, directly from the anchor, a
        // plain statement.
        chain(c.leaf.clone()),
        Presentation::new(vec![leaf(&c.ministry, 5, now - 10, now + 10)]).unwrap(),
        chain(document.clone()),
        // Revoked, expired, not yet valid.
        chain(leaf(&c.personnel, 7, now - 10, now + 10)),
        chain(leaf(&c.personnel, 8, now - 20, now - 10)),
        chain(leaf(&c.personnel, 8, now + 10, now + 20)),
        // Unknown issuer; a leaf the intermediate did not issue; an
        // intermediate as the leaf; the leaf first.
        Presentation::new(vec![leaf(&other, 1, now - 10, now + 10)]).unwrap(),
        chain(leaf(&c.ministry, 3, now - 10, now + 10)),
        Presentation::new(vec![c.intermediate.clone()]).unwrap(),
        Presentation::new(vec![c.leaf.clone(), c.intermediate.clone()]).unwrap(),
    ];
    let mut bytes: Vec<Vec<u8>> = vec![
        c.intermediate.to_bytes(),
        c.leaf.to_bytes(),
        document.to_bytes(),
        c.revocations[0].to_bytes(),
        c.revocations[1].to_bytes(),
        RevocationList::issue(&other, now, now + 1, (0..20).collect())
            .unwrap()
            .to_bytes(),
        // The leaf with its signature's last byte flipped.
        {
            let mut b = c.leaf.to_bytes();
            *b.last_mut().unwrap() ^= 1;
            b
        },
    ];
    bytes.extend(presentations.iter().map(Presentation::to_bytes));
    let mut texts: Vec<Vec<u8>> = presentations
        .iter()
        .map(|p| p.to_text().into_bytes())
        .collect();
    let valid = presentations[0].to_text().into_bytes();
    texts.extend([
        valid.to_ascii_lowercase(),
        // Without the prefix; one character short.
        valid[4..].to_vec(),
        valid[..valid.len() - 1].to_vec(),
        b"QG1:".to_vec(),
        b"QG1:::".to_vec(),
    ]);
    (bytes, texts)
}
