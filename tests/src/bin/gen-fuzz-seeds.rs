//! Writes the seed corpora under `fuzz/corpus/<target>/` (small, committed).
//! Run: `cargo run -p qorgan-tests --bin gen-fuzz-seeds`. Existing files
//! (including crash regressions) are left alone; seeds are overwritten.

#[path = "../../../fuzz/src/targets.rs"]
#[allow(unused)]
mod targets;

use std::path::PathBuf;

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
            vec![dist.to_bytes().to_vec(), dist.announcement().to_bytes()],
        ),
        ("decode_group_message", vec![l.group_msgs[0].clone()]),
        (
            "decode_group_export",
            vec![
                l.group_in
                    .export_at(l.group_in.position())
                    .unwrap()
                    .to_vec(),
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
            ],
        ),
        (
            "state_sealed",
            vec![
                bob.seal(&mut r, &key),
                store.seal(&mut r, &key),
                out.seal(&mut r, &key),
                sealed_ring.seal(&mut r, &key),
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
