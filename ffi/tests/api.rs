//! The exported API exercised from Rust, as the bindings call it.

use qorgan_ffi::*;

const KEY: [u8; 32] = [9; 32];
/// The caller's clock (Unix seconds) the tests run at.
const NOW: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

#[test]
fn one_to_one_with_restore_and_errors() {
    let alice = Device::new(NOW).unwrap();
    let bob = Device::new(NOW).unwrap();
    assert!(!bob.needs_rotation(NOW).unwrap());
    // Both long-lived prekeys rotate; bundles fetched before still work.
    let early = bob.bundle().unwrap();
    bob.rotate_signed_prekey(NOW).unwrap();
    bob.rotate_last_resort_kem_prekey(NOW).unwrap();
    let s = alice.initiate(early).unwrap();
    assert_eq!(
        bob.accept(&s.encrypt(b"early").unwrap(), NOW)
            .unwrap()
            .plaintext,
        b"early"
    );
    bob.generate_one_time_prekeys(5).unwrap();
    let a = alice.initiate(bob.bundle().unwrap()).unwrap();
    let first = a.encrypt(b"salem").unwrap();
    let accepted = bob.accept(&first, NOW).unwrap();
    assert_eq!(accepted.plaintext, b"salem");
    let b = accepted.session;
    assert!(b.owns_prekey_message(first.clone()).unwrap());
    assert!(matches!(
        b.decrypt(&first).unwrap_err(),
        QorganError::Duplicate { .. }
    ));
    let r1 = b.encrypt(b"one").unwrap();
    let r2 = b.encrypt(b"two").unwrap();
    assert_eq!(a.decrypt(&r2).unwrap(), b"two");
    assert_eq!(a.session_id().unwrap(), b.session_id().unwrap());
    assert_eq!(a.generation().unwrap(), 0);
    let sealed = a.seal(KEY.to_vec()).unwrap();
    assert_eq!(a.generation().unwrap(), 1);
    let a = Session::open(KEY.to_vec(), sealed, a.session_id().unwrap(), 1).unwrap();
    assert_eq!(a.generation().unwrap(), 1);
    assert_eq!(a.decrypt(&r1).unwrap(), b"one");
    let mut tampered = b.encrypt(b"three").unwrap();
    tampered[45] ^= 1;
    assert!(matches!(
        a.decrypt(&tampered).unwrap_err(),
        QorganError::AuthenticationFailed
    ));
    assert!(matches!(
        Session::open(
            vec![1; 32],
            a.seal(KEY.to_vec()).unwrap(),
            a.session_id().unwrap(),
            0
        )
        .unwrap_err(),
        QorganError::CorruptState { .. }
    ));
    assert!(matches!(
        Session::open(KEY.to_vec(), a.seal(KEY.to_vec()).unwrap(), vec![0; 31], 0).unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    assert!(matches!(
        a.seal(vec![1; 5]).unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    let sealed_bob = bob.seal(KEY.to_vec()).unwrap();
    let bob2 = Device::open(
        KEY.to_vec(),
        sealed_bob.clone(),
        bob.identity_key().unwrap(),
        bob.generation().unwrap(),
    )
    .unwrap();
    assert_eq!(bob2.identity_key().unwrap(), bob.identity_key().unwrap());
    assert_eq!(bob2.generation().unwrap(), 1);
    // Another device's state, or a later generation than the blob: refused.
    assert!(matches!(
        Device::open(
            KEY.to_vec(),
            sealed_bob.clone(),
            alice.identity_key().unwrap(),
            0
        )
        .unwrap_err(),
        QorganError::WrongOwner
    ));
    assert!(matches!(
        Device::open(KEY.to_vec(), sealed_bob, bob.identity_key().unwrap(), 2).unwrap_err(),
        QorganError::RolledBack {
            min_generation: 2,
            found: 1
        }
    ));
    let n1 = alice
        .safety_number(bob.identity_key().unwrap(), b"a".to_vec(), b"b".to_vec())
        .unwrap();
    let n2 = bob
        .safety_number(alice.identity_key().unwrap(), b"b".to_vec(), b"a".to_vec())
        .unwrap();
    assert_eq!(n1.display, n2.display);
    assert!(safety_numbers_match(&n1, n2.scannable.clone()));
    assert!(matches!(
        alice.initiate(vec![1, 2, 3]).unwrap_err(),
        QorganError::Malformed { .. }
    ));
}

#[test]
fn group_with_removal_rotation_and_batch() {
    let alice = Device::new(NOW).unwrap();
    let mut members = Vec::new();
    let mut links = Vec::new();
    for _ in 0..3 {
        let d = Device::new(NOW).unwrap();
        let s = alice.initiate(d.bundle().unwrap()).unwrap();
        let hello = s.encrypt(b"hi").unwrap();
        members.push(d.accept(&hello, NOW).unwrap().session);
        links.push(s);
    }
    let policy = GroupPolicy {
        max_messages: 1000,
        max_age_secs: 3600,
    };
    let group = alice.create_group(b"g".to_vec(), policy, 0).unwrap();
    let wires = group.distribute(links.clone()).unwrap();
    let receivers: Vec<_> = wires
        .into_iter()
        .zip(&members)
        .map(|(w, m)| {
            let dist = m.decrypt(&w.ciphertext.unwrap()).unwrap();
            GroupReceiver::new(dist, m.remote_identity().unwrap()).unwrap()
        })
        .collect();
    assert_eq!(
        receivers[0].sender_identity().unwrap(),
        alice.identity_key().unwrap()
    );
    let first_chain = group.chain_id().unwrap();
    assert_eq!(group.rotation().unwrap(), 0);
    let msg = group.encrypt(b"to all").unwrap();
    for r in &receivers {
        let got = r.decrypt(&msg).unwrap();
        assert_eq!(got.plaintext, b"to all");
        assert_eq!(got.sender, alice.identity_key().unwrap());
        assert_eq!(got.group_id, b"g");
        assert_eq!(got.chain_id, first_chain);
        assert_eq!(got.rotation, 0);
        assert_eq!(got.iteration, 0);
    }
    group.mark_member_removed().unwrap();
    assert_eq!(
        group.rotation_due(0).unwrap(),
        Some(RotationReason::MemberRemoved)
    );
    assert!(matches!(
        group.encrypt(b"x").unwrap_err(),
        QorganError::RotationRequired { .. }
    ));
    group.rotate(1).unwrap();
    assert_eq!(group.rotation().unwrap(), 1);
    let second_chain = group.chain_id().unwrap();
    assert_ne!(second_chain, first_chain);
    assert_eq!(group.iteration().unwrap(), 0);
    let wires = group.distribute(links[..2].to_vec()).unwrap();
    for ((w, m), r) in wires.into_iter().zip(&members).zip(&receivers) {
        let dist = m.decrypt(&w.ciphertext.unwrap()).unwrap();
        r.add(dist, m.remote_identity().unwrap()).unwrap();
    }
    let queued: Vec<Vec<u8>> = (0..50u8).map(|i| group.encrypt(&[i]).unwrap()).collect();
    let results = receivers[0].decrypt_batch(queued.clone()).unwrap();
    assert_eq!(results.len(), 50);
    for (i, r) in results.iter().enumerate() {
        assert!(r.error.is_none());
        let got = r.decrypted.as_ref().unwrap();
        assert_eq!(got.plaintext, [i as u8]);
        assert_eq!(got.sender, alice.identity_key().unwrap());
        assert_eq!(got.group_id, b"g");
        assert_eq!(got.chain_id, second_chain);
        assert_eq!(got.rotation, 1);
        assert_eq!(got.iteration, i as i64);
    }
    assert!(matches!(
        receivers[2].decrypt(&queued[0]).unwrap_err(),
        QorganError::WrongChain { chain_id, .. } if chain_id == second_chain
    ));
    // A distribution signed by one identity and claimed for another is refused.
    let mallory = Device::new(NOW).unwrap();
    let forged = mallory
        .create_group(b"g".to_vec(), policy_default(), 0)
        .unwrap();
    assert!(matches!(
        GroupReceiver::new(
            forged.distribution().unwrap(),
            members[0].remote_identity().unwrap()
        )
        .unwrap_err(),
        QorganError::UntrustedIdentity { .. }
    ));
    // A chain of another group cannot join this sender's ring.
    let other = alice
        .create_group(b"other".to_vec(), policy_default(), 0)
        .unwrap();
    assert!(matches!(
        receivers[0]
            .add(other.distribution().unwrap(), alice.identity_key().unwrap())
            .unwrap_err(),
        QorganError::WrongGroup { .. }
    ));
    // The batch reports each failure with its kind.
    let mut tampered = queued[1].clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let results = receivers[0]
        .decrypt_batch(vec![queued[0].clone(), tampered, b"junk".to_vec()])
        .unwrap();
    let kinds: Vec<_> = results
        .iter()
        .map(|r| r.error.as_ref().map(|f| f.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            Some(ErrorKind::Duplicate),
            Some(ErrorKind::BadSignature),
            Some(ErrorKind::Malformed)
        ]
    );
    // A restored chain keeps its identity: its announcement verifies.
    let sealed = group.seal(KEY.to_vec()).unwrap();
    let group = alice
        .open_group(
            KEY.to_vec(),
            sealed,
            b"g".to_vec(),
            group.generation().unwrap(),
        )
        .unwrap();
    assert_eq!(group.rotation().unwrap(), 1);
    let next = group.encrypt(b"after restore").unwrap();
    assert!(verify_group_message(&group.announcement().unwrap(), &next).is_ok());
    let got = receivers[1].decrypt(&next).unwrap();
    assert_eq!(got.plaintext, b"after restore");
    assert_eq!(
        (got.chain_id, got.rotation, got.iteration),
        (second_chain, 1, 50)
    );
    let sealed = receivers[1].seal(KEY.to_vec()).unwrap();
    assert_eq!(receivers[1].group_id().unwrap(), b"g");
    let restored = GroupReceiver::open(
        KEY.to_vec(),
        sealed.clone(),
        b"g".to_vec(),
        alice.identity_key().unwrap(),
        receivers[1].generation().unwrap(),
    )
    .unwrap();
    // Filed under another sender or group, the same blob is refused.
    for (gid, sender) in [
        (b"g".to_vec(), mallory.identity_key().unwrap()),
        (b"other".to_vec(), alice.identity_key().unwrap()),
    ] {
        assert!(matches!(
            GroupReceiver::open(KEY.to_vec(), sealed.clone(), gid, sender, 0).unwrap_err(),
            QorganError::WrongOwner
        ));
    }
    let got = restored.decrypt(&queued[3]).unwrap();
    assert_eq!(got.plaintext, [3]);
    assert_eq!(got.sender, alice.identity_key().unwrap());
    assert_eq!((got.rotation, got.iteration), (1, 3));
}

fn policy_default() -> GroupPolicy {
    GroupPolicy {
        max_messages: 1000,
        max_age_secs: 3600,
    }
}

#[test]
fn uploaded_bundles_serve_concurrent_initiators() {
    let bob = Device::new(NOW).unwrap();
    assert_eq!(bob.bundles(10).unwrap(), vec![bob.bundle().unwrap()]);
    assert_eq!(bob.generate_one_time_prekeys(4).unwrap(), 4);
    assert_eq!(bob.generate_kem_one_time_prekeys(2).unwrap(), 2);
    let bundles = bob.bundles(100).unwrap();
    assert_eq!(bundles.len(), 4);
    // Every one-time key went out: later bundles carry none.
    let later = bob.bundles(3).unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(one_time_ids(&later[0]), (None, None));
    for b in &bundles {
        verify_bundle(b).unwrap();
    }
    let firsts: Vec<Vec<u8>> = bundles
        .iter()
        .map(|b| {
            let alice = Device::new(NOW).unwrap();
            alice.initiate(b.clone()).unwrap().encrypt(b"hi").unwrap()
        })
        .collect();
    for m in firsts.iter().rev() {
        assert_eq!(bob.accept(m, NOW).unwrap().plaintext, b"hi");
    }
    assert_eq!(bob.one_time_prekey_count().unwrap(), 0);
    assert_eq!(bob.kem_one_time_prekey_count().unwrap(), 0);
    assert!(matches!(
        bob.accept(&firsts[0], NOW).err(),
        Some(QorganError::UnknownPreKey { .. })
    ));
}

#[test]
fn a_group_receiver_moves_to_a_new_device_by_export() {
    let alice = Device::new(NOW).unwrap();
    let group = alice
        .create_group(b"g".to_vec(), policy_default(), 0)
        .unwrap();
    let dist = group.distribution().unwrap();
    let rx = GroupReceiver::new(dist.clone(), alice.identity_key().unwrap()).unwrap();
    let first = group.encrypt(b"one").unwrap();
    rx.decrypt(&first).unwrap();
    // Bob's second device gets the export over their own 1:1 session; the
    // sender's announcement inside it is verified on import.
    let moved = GroupReceiver::from_export(rx.export().unwrap()).unwrap();
    assert_eq!(
        moved.sender_identity().unwrap(),
        alice.identity_key().unwrap()
    );
    assert!(matches!(
        moved.decrypt(&first).unwrap_err(),
        QorganError::BeforeFirstIteration {
            iteration: 0,
            first: 1
        }
    ));
    let two = group.encrypt(b"two").unwrap();
    let got = moved.decrypt(&two).unwrap();
    assert_eq!(got.plaintext, b"two");
    assert_eq!(got.sender, alice.identity_key().unwrap());
    assert_eq!(
        (got.chain_id, got.iteration),
        (group.chain_id().unwrap(), 1)
    );
    // The sender's own distribution of the same chain (from iteration 0)
    // merges: what it adds becomes readable, nothing consumed rewinds.
    moved.add(dist, alice.identity_key().unwrap()).unwrap();
    assert_eq!(moved.decrypt(&first).unwrap().iteration, 0);
    assert!(matches!(
        moved.decrypt(&two).unwrap_err(),
        QorganError::Duplicate { .. }
    ));
    assert_eq!(
        moved
            .decrypt(&group.encrypt(b"three").unwrap())
            .unwrap()
            .iteration,
        2
    );
    assert!(matches!(
        GroupReceiver::from_export(b"not an export".to_vec()).err(),
        Some(QorganError::Malformed { .. })
    ));
}

#[test]
fn group_id_limit_is_an_invalid_argument() {
    let alice = Device::new(NOW).unwrap();
    assert!(alice.create_group(vec![7; 64], policy_default(), 0).is_ok());
    assert!(matches!(
        alice
            .create_group(vec![7; 65], policy_default(), 0)
            .unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
}

#[test]
fn session_batch_catch_up_is_per_message_transactional() {
    let alice = Device::new(NOW).unwrap();
    let bob = Device::new(NOW).unwrap();
    let a = alice.initiate(bob.bundle().unwrap()).unwrap();
    let b = bob
        .accept(&a.encrypt(b"hello").unwrap(), NOW)
        .unwrap()
        .session;
    let mut queue: Vec<Vec<u8>> = (0..20u8).map(|i| a.encrypt(&[i]).unwrap()).collect();
    queue.reverse();
    // A forged copy of message 14 arrives before the real one.
    let mut tampered = queue[5].clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    queue.insert(5, tampered);
    queue.push(queue[0].clone());
    let results = b.decrypt_batch(queue).unwrap();
    assert_eq!(results.len(), 22);
    let plain: Vec<Option<Vec<u8>>> = results.iter().map(|r| r.plaintext.clone()).collect();
    let expected: Vec<Option<Vec<u8>>> = (0..20u8)
        .rev()
        .map(|i| Some(vec![i]))
        .take(5)
        .chain([None])
        .chain((0..15u8).rev().map(|i| Some(vec![i])))
        .chain([None])
        .collect();
    assert_eq!(plain, expected);
    assert_eq!(
        results[5].error.as_ref().map(|f| f.kind),
        Some(ErrorKind::AuthenticationFailed)
    );
    assert_eq!(
        results[21].error.as_ref().map(|f| f.kind),
        Some(ErrorKind::Duplicate)
    );
}

#[test]
fn server_verification_single_and_batch() {
    let devices: Vec<_> = (0..4).map(|_| Device::new(NOW).unwrap()).collect();
    let mut items: Vec<VerifyItem> = devices
        .iter()
        .map(|d| VerifyItem::Bundle {
            bytes: d.bundle().unwrap(),
        })
        .collect();
    let mut bad = devices[0].identity_key().unwrap();
    bad[100] ^= 1; // inside the binding signature: always a bad signature
    items.push(VerifyItem::Identity { bytes: bad.clone() });
    items.push(VerifyItem::Identity {
        bytes: devices[1].identity_key().unwrap(),
    });
    items.push(VerifyItem::Bundle {
        bytes: vec![0xff; 3],
    });
    let results = verify_batch(items);
    let valid: Vec<bool> = results.iter().map(|r| r.valid).collect();
    assert_eq!(valid, [true, true, true, true, false, true, false]);
    let kinds: Vec<_> = results
        .iter()
        .map(|r| r.error.as_ref().map(|f| f.kind))
        .collect();
    assert_eq!(kinds[4], Some(ErrorKind::BadSignature));
    assert_eq!(kinds[6], Some(ErrorKind::Malformed));
    assert!(verify_bundle(&devices[2].bundle().unwrap()).is_ok());
    assert!(matches!(
        verify_identity(&bad).unwrap_err(),
        QorganError::BadSignature { .. }
    ));
}

/// Flips one bit of `bytes` at `len - from_end`.
fn flipped_from_end(bytes: &[u8], from_end: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let i = v.len() - from_end;
    v[i] ^= 1;
    v
}

#[test]
fn a_tampered_export_fails_by_key_commitment_and_conflicts_with_the_sender() {
    let alice = Device::new(NOW).unwrap();
    let group = alice
        .create_group(b"g".to_vec(), policy_default(), 0)
        .unwrap();
    let dist = group.distribution().unwrap();
    let rx = GroupReceiver::new(dist.clone(), alice.identity_key().unwrap()).unwrap();
    let export = rx.export().unwrap();
    // The chain key (the last 32 bytes) is not signed: the import succeeds,
    // and every message then fails its key commitment.
    let wrong_key = GroupReceiver::from_export(flipped_from_end(&export, 1)).unwrap();
    let message = group.encrypt(b"m").unwrap();
    let e = wrong_key.decrypt(&message).unwrap_err();
    assert!(
        matches!(e, QorganError::KeyCommitmentMismatch { iteration: 0 }),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::KeyCommitmentMismatch);
    assert!(e.to_string().contains("iteration 0"), "{e}");
    let results = wrong_key.decrypt_batch(vec![message.clone()]).unwrap();
    assert!(results[0].decrypted.is_none());
    assert_eq!(
        results[0].error.as_ref().map(|f| f.kind),
        Some(ErrorKind::KeyCommitmentMismatch)
    );
    // The sender's own distribution of that chain does not merge with it.
    let e = wrong_key
        .add(dist, alice.identity_key().unwrap())
        .unwrap_err();
    assert!(
        matches!(e, QorganError::ConflictingChainKey { chain_id } if chain_id == group.chain_id().unwrap()),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::ConflictingChainKey);
    // The genuine copy is unaffected.
    assert_eq!(rx.decrypt(&message).unwrap().plaintext, b"m");
    // The announcement is signed: the identity's signature (the last 64
    // bytes before the iteration and chain key) and the proof of possession
    // (the 64 before those) are checked on import.
    for (from_end, what) in [
        (36 + 10, "sender-key distribution"),
        (36 + 64 + 10, "sender-key proof of possession"),
    ] {
        match GroupReceiver::from_export(flipped_from_end(&export, from_end)).err() {
            Some(QorganError::BadSignature { what: w }) => assert_eq!(w, what),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn rings_refuse_a_second_chain_per_rotation_and_retired_chains() {
    let alice = Device::new(NOW).unwrap();
    let sender = alice.identity_key().unwrap();
    let group = alice
        .create_group(b"g".to_vec(), policy_default(), 0)
        .unwrap();
    let dist0 = group.distribution().unwrap();
    let rx = GroupReceiver::new(dist0.clone(), sender.clone()).unwrap();
    // A copy of the sender state rotated apart: two chains announced as
    // rotation 1.
    let sealed = group.seal(KEY.to_vec()).unwrap();
    let fork = alice
        .open_group(
            KEY.to_vec(),
            sealed,
            b"g".to_vec(),
            group.generation().unwrap(),
        )
        .unwrap();
    group.rotate(1).unwrap();
    fork.rotate(1).unwrap();
    assert_eq!(
        (group.rotation().unwrap(), fork.rotation().unwrap()),
        (1, 1)
    );
    assert_ne!(group.chain_id().unwrap(), fork.chain_id().unwrap());
    rx.add(group.distribution().unwrap(), sender.clone())
        .unwrap();
    let e = rx
        .add(fork.distribution().unwrap(), sender.clone())
        .unwrap_err();
    assert!(
        matches!(e, QorganError::ConflictingRotation { rotation: 1 }),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::ConflictingRotation);
    let at_one = group.encrypt(b"r1").unwrap();
    // Two more rotations fill the ring (current + 2 retired): rotation 0 is
    // dropped and cannot come back.
    for now in 2..4 {
        group.rotate(now).unwrap();
        rx.add(group.distribution().unwrap(), sender.clone())
            .unwrap();
    }
    assert_eq!(group.rotation().unwrap(), 3);
    let e = rx.add(dist0, sender.clone()).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::RetiredChain {
                rotation: 0,
                oldest: 1
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::RetiredChain);
    // Retired chain 1 is still readable, the newest is current.
    let got = rx.decrypt(&at_one).unwrap();
    assert_eq!((got.plaintext.as_slice(), got.rotation), (&b"r1"[..], 1));
    let got = rx.decrypt(&group.encrypt(b"r3").unwrap()).unwrap();
    assert_eq!((got.rotation, got.chain_id), (3, group.chain_id().unwrap()));
    assert_eq!(got.sender, sender);
}

#[test]
fn announcements_carry_a_proof_of_possession() {
    let alice = Device::new(NOW).unwrap();
    let group = alice
        .create_group(b"g".to_vec(), policy_default(), 0)
        .unwrap();
    let announcement = group.announcement().unwrap();
    assert_eq!(announcement[0], 0x02, "group formats are version 2");
    verify_announcement(&announcement).unwrap();
    // Possession is the 64 bytes before the identity's signature (the last 64).
    match verify_announcement(&flipped_from_end(&announcement, 64 + 10)) {
        Err(QorganError::BadSignature { what }) => {
            assert_eq!(what, "sender-key proof of possession")
        }
        other => panic!("{other:?}"),
    }
    let dist = group.distribution().unwrap();
    assert_eq!(dist[0], 0x02);
    match GroupReceiver::new(
        flipped_from_end(&dist, 36 + 64 + 10),
        alice.identity_key().unwrap(),
    ) {
        Err(QorganError::BadSignature { what }) => {
            assert_eq!(what, "sender-key proof of possession")
        }
        Err(e) => panic!("{e:?}"),
        Ok(_) => panic!("accepted"),
    }
    let message = group.encrypt(b"x").unwrap();
    assert_eq!(message[0], 0x02);
    // 134 bytes of overhead per group message.
    assert_eq!(message.len(), 134 + 1);
}

/// A bundle's one-time X25519 prekey id and one-time ML-KEM prekey id
/// (`None` for the last-resort ML-KEM prekey), read with the core crate.
fn one_time_ids(bundle: &[u8]) -> (Option<u32>, Option<u32>) {
    let b = qorgan::PreKeyBundle::from_bytes(bundle).unwrap();
    let kem = (b.kem_prekey.kind == qorgan::KemPreKeyKind::OneTime).then_some(b.kem_prekey.id);
    (b.one_time_prekey.map(|k| k.id), kem)
}

/// An established pair (Alice initiated, Bob accepted), both confirmed.
fn pair() -> (Session, Session) {
    let alice = Device::new(NOW).unwrap();
    let bob = Device::new(NOW).unwrap();
    let a = alice.initiate(bob.bundle().unwrap()).unwrap();
    let b = bob
        .accept(&a.encrypt(b"hello").unwrap(), NOW)
        .unwrap()
        .session;
    assert_eq!(a.decrypt(&b.encrypt(b"ack").unwrap()).unwrap(), b"ack");
    (
        std::sync::Arc::into_inner(a).unwrap(),
        std::sync::Arc::into_inner(b).unwrap(),
    )
}

#[test]
fn a_rolled_back_session_is_refused_with_its_generations() {
    let (a, b) = pair();
    let id = a.session_id().unwrap();
    assert_eq!(id.len(), 32);
    let older = a.seal(KEY.to_vec()).unwrap();
    let m1 = a.encrypt(b"one").unwrap();
    assert_eq!(b.decrypt(&m1).unwrap(), b"one");
    let newer = a.seal(KEY.to_vec()).unwrap();
    let generation = a.generation().unwrap();
    assert_eq!(generation, 2, "one more per seal");
    // The app recorded generation 2: the copy sealed before m1 (a restored
    // backup, another process's stale copy) is refused, typed.
    let e = Session::open(KEY.to_vec(), older.clone(), id.clone(), generation).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::RolledBack {
                min_generation: 2,
                found: 1
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::RolledBack);
    assert_eq!(
        e.to_string(),
        "sealed state is generation 1, older than the expected 2"
    );
    // The current one opens and goes on where it left off.
    let a = Session::open(KEY.to_vec(), newer, id.clone(), generation).unwrap();
    assert_eq!(a.generation().unwrap(), 2);
    assert_eq!(b.decrypt(&a.encrypt(b"two").unwrap()).unwrap(), b"two");
    // An app that recorded nothing (0) still gets the older one: the
    // generation is what protects it.
    let old = Session::open(KEY.to_vec(), older, id.clone(), 0).unwrap();
    assert_eq!(old.generation().unwrap(), 1);
    // Opened on purpose, it must seal above what was recorded, or its
    // next blob would itself be refused as rolled back.
    old.resume_generation(generation).unwrap();
    let resealed = old.seal(KEY.to_vec()).unwrap();
    assert_eq!(old.generation().unwrap(), generation + 1);
    assert!(Session::open(KEY.to_vec(), resealed, id, generation + 1).is_ok());
}

#[test]
fn a_swapped_sealed_session_is_refused() {
    let (a, _) = pair();
    let (c, _) = pair();
    assert_ne!(a.session_id().unwrap(), c.session_id().unwrap());
    // C's blob stored where A's should be: authentic, but not A's.
    let sealed_c = c.seal(KEY.to_vec()).unwrap();
    let e = Session::open(KEY.to_vec(), sealed_c.clone(), a.session_id().unwrap(), 0).unwrap_err();
    assert!(matches!(e, QorganError::WrongOwner), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::WrongOwner);
    assert!(!e.to_string().is_empty());
    assert!(Session::open(KEY.to_vec(), sealed_c.clone(), c.session_id().unwrap(), 1).is_ok());
    // Nor is a session blob a device or a group receiver (another kind).
    let device = Device::new(NOW).unwrap();
    assert!(matches!(
        Device::open(KEY.to_vec(), sealed_c, device.identity_key().unwrap(), 0).unwrap_err(),
        QorganError::CorruptState { .. }
    ));
}

#[test]
fn an_outbound_group_of_another_group_or_generation_is_refused() {
    let alice = Device::new(NOW).unwrap();
    let g1 = alice
        .create_group(b"g1".to_vec(), policy_default(), 0)
        .unwrap();
    let old = g1.seal(KEY.to_vec()).unwrap();
    g1.encrypt(b"x").unwrap();
    let new = g1.seal(KEY.to_vec()).unwrap();
    assert_eq!(g1.generation().unwrap(), 2);
    assert!(matches!(
        alice
            .open_group(KEY.to_vec(), new.clone(), b"g2".to_vec(), 0)
            .unwrap_err(),
        QorganError::WrongOwner
    ));
    assert!(matches!(
        alice
            .open_group(KEY.to_vec(), old, b"g1".to_vec(), 2)
            .unwrap_err(),
        QorganError::RolledBack {
            min_generation: 2,
            found: 1
        }
    ));
    assert!(matches!(
        alice
            .open_group(KEY.to_vec(), new.clone(), vec![0; 65], 0)
            .unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    let g = alice
        .open_group(KEY.to_vec(), new, b"g1".to_vec(), 2)
        .unwrap();
    assert_eq!(g.iteration().unwrap(), 1);
}

#[test]
fn bundles_never_hand_out_a_one_time_key_twice() {
    let bob = Device::new(NOW).unwrap();
    bob.generate_one_time_prekeys(5).unwrap();
    bob.generate_kem_one_time_prekeys(3).unwrap();
    let mut seen_x = std::collections::BTreeSet::new();
    let mut seen_kem = std::collections::BTreeSet::new();
    let mut handed = Vec::new();
    for max in [2, 1, 100, 100] {
        handed.extend(bob.bundles(max).unwrap());
    }
    handed.push(bob.bundle().unwrap());
    for b in &handed {
        let (x, kem) = one_time_ids(b);
        if let Some(x) = x {
            assert!(seen_x.insert(x), "one-time prekey {x} handed out twice");
        }
        if let Some(k) = kem {
            assert!(
                seen_kem.insert(k),
                "one-time ML-KEM prekey {k} handed out twice"
            );
        }
    }
    assert_eq!((seen_x.len(), seen_kem.len()), (5, 3));
    // The pool is exhausted: every later bundle uses the long-lived keys only.
    assert_eq!(one_time_ids(&bob.bundle().unwrap()), (None, None));
    // Keys handed out stay unused until accepted; a new batch is new keys.
    assert_eq!(bob.one_time_prekey_count().unwrap(), 5);
    bob.generate_one_time_prekeys(2).unwrap();
    let fresh: Vec<_> = bob
        .bundles(10)
        .unwrap()
        .iter()
        .map(|b| one_time_ids(b).0.unwrap())
        .collect();
    assert_eq!(fresh.len(), 2);
    assert!(fresh.iter().all(|id| !seen_x.contains(id)));
    // What went out survives a restore: the restored device does not hand
    // it out again.
    let sealed = bob.seal(KEY.to_vec()).unwrap();
    let bob = Device::open(
        KEY.to_vec(),
        sealed,
        bob.identity_key().unwrap(),
        bob.generation().unwrap(),
    )
    .unwrap();
    assert_eq!(one_time_ids(&bob.bundle().unwrap()), (None, None));
}

#[test]
fn upload_round_trip_and_verify_upload() {
    let bob = Device::new(NOW).unwrap();
    assert_eq!(bob.generate_one_time_prekeys(3).unwrap(), 3);
    assert_eq!(bob.generate_kem_one_time_prekeys(2).unwrap(), 2);
    let first = bob.upload(NOW).unwrap().expect("everything is new");
    let info = verify_upload(&first).unwrap();
    assert_eq!(
        info,
        UploadInfo {
            identity_key: bob.identity_key().unwrap(),
            signed_prekey_id: Some(1),
            // ML-KEM ids share one space: the last-resort key was made first.
            last_resort_kem_prekey_id: Some(1),
            one_time_prekey_ids: vec![1, 2, 3],
            kem_one_time_prekey_ids: vec![2, 3],
        }
    );
    // Nothing new: nothing to send. Bundles now carry no one-time key
    // (every one went out in the upload).
    assert_eq!(bob.upload(NOW + 60).unwrap(), None);
    assert_eq!(one_time_ids(&bob.bundle().unwrap()), (None, None));
    // Only the new one-time keys go in the next upload.
    bob.generate_one_time_prekeys(2).unwrap();
    let second = verify_upload(&bob.upload(NOW + 120).unwrap().unwrap()).unwrap();
    assert_eq!(
        (
            second.signed_prekey_id,
            second.last_resort_kem_prekey_id,
            second.one_time_prekey_ids,
            second.kem_one_time_prekey_ids
        ),
        (None, None, vec![4, 5], vec![])
    );
    // After 7 days both long-lived prekeys are due; upload rotates them.
    let week = NOW + 7 * DAY;
    assert!(!bob.needs_rotation(week - 1).unwrap());
    assert!(bob.needs_rotation(week).unwrap());
    let rotated = verify_upload(&bob.upload(week).unwrap().unwrap()).unwrap();
    assert_eq!(
        (rotated.signed_prekey_id, rotated.last_resort_kem_prekey_id),
        (Some(2), Some(4))
    );
    assert!(rotated.one_time_prekey_ids.is_empty());
    assert!(!bob.needs_rotation(week).unwrap());

    // The keys of an upload work: a server assembles a bundle from the
    // first upload's parts (here with the core crate), an initiator uses
    // it, and Bob (rotated since) still accepts.
    let up = qorgan::PreKeyUpload::from_bytes(&first).unwrap();
    let bundle = qorgan::PreKeyBundle {
        identity: *up.identity(),
        signed_prekey: up.signed_prekey().unwrap().clone(),
        kem_prekey: up.kem_one_time_prekeys()[0].clone(),
        one_time_prekey: Some(up.one_time_prekeys()[0]),
    };
    let alice = Device::new(NOW).unwrap();
    let a = alice.initiate(bundle.to_bytes()).unwrap();
    let count = bob.one_time_prekey_count().unwrap();
    assert_eq!(
        bob.accept(&a.encrypt(b"from an upload").unwrap(), week)
            .unwrap()
            .plaintext,
        b"from an upload"
    );
    assert_eq!(bob.one_time_prekey_count().unwrap(), count - 1);

    // Verification refuses a tampered upload, names the signature, and
    // batches give the same verdict.
    let mut bad = first.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    match verify_upload(&bad) {
        Err(QorganError::BadSignature { what }) => assert_eq!(what, "prekey upload"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        verify_upload(&first[..first.len() - 1]).unwrap_err(),
        QorganError::Malformed { .. }
    ));
    assert!(matches!(
        verify_upload(&bob.bundle().unwrap()).unwrap_err(),
        QorganError::Malformed { .. }
    ));
    let results = verify_batch(vec![
        VerifyItem::Upload {
            bytes: first.clone(),
        },
        VerifyItem::Upload { bytes: bad },
        VerifyItem::Upload {
            bytes: b"junk".to_vec(),
        },
    ]);
    let kinds: Vec<_> = results
        .iter()
        .map(|r| (r.valid, r.error.as_ref().map(|f| f.kind)))
        .collect();
    assert_eq!(
        kinds,
        [
            (true, None),
            (false, Some(ErrorKind::BadSignature)),
            (false, Some(ErrorKind::Malformed))
        ]
    );
}

#[test]
fn retired_prekeys_expire_after_28_days_and_prune_deletes_them() {
    let bob = Device::new(NOW).unwrap();
    let alice = Device::new(NOW).unwrap();
    // Two first messages on Bob's first signed prekey, one on his first
    // last-resort ML-KEM prekey with a current signed prekey.
    let on_old_signed: Vec<_> = (0..2)
        .map(|_| {
            alice
                .initiate(bob.bundle().unwrap())
                .unwrap()
                .encrypt(b"late")
                .unwrap()
        })
        .collect();
    bob.rotate_signed_prekey(NOW + DAY).unwrap();
    let on_old_kem = alice
        .initiate(bob.bundle().unwrap())
        .unwrap()
        .encrypt(b"late")
        .unwrap();
    bob.rotate_last_resort_kem_prekey(NOW + 2 * DAY).unwrap();
    // 28 days after its retirement the signed prekey is refused, typed.
    let expiry = NOW + DAY + 28 * DAY;
    assert!(bob.accept(&on_old_signed[0], expiry - 1).is_ok());
    let e = bob.accept(&on_old_signed[1], expiry).err().unwrap();
    assert!(
        matches!(&e, QorganError::PreKeyExpired { what, id: 1 } if what == "signed prekey"),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::PreKeyExpired);
    assert_eq!(
        e.to_string(),
        "signed prekey 1 retired past its maximum age"
    );
    let kem_expiry = NOW + 2 * DAY + 28 * DAY;
    let e = bob.accept(&on_old_kem, kem_expiry).err().unwrap();
    assert!(
        matches!(&e, QorganError::PreKeyExpired { what, id: 1 } if what == "last-resort ML-KEM prekey"),
        "{e:?}"
    );
    // prune deletes both; the handshakes then name unknown keys.
    assert_eq!(bob.prune(expiry).unwrap(), 1);
    assert_eq!(bob.prune(kem_expiry).unwrap(), 1);
    assert_eq!(bob.prune(kem_expiry).unwrap(), 0);
    assert!(matches!(
        bob.accept(&on_old_signed[1], kem_expiry).err().unwrap(),
        QorganError::UnknownPreKey { id: 1, ref what } if what == "signed prekey"
    ));
}

/// Every integer is a signed 64-bit number in the bindings (Java cannot
/// call Kotlin functions with unsigned parameters): a time or a count that
/// does not fit is refused, never wrapped around; a 64-bit identifier
/// keeps its bits both ways.
#[test]
fn negative_and_oversized_integers_are_invalid_arguments() {
    let invalid = |r: Result<(), QorganError>, want: &str| match r {
        Err(QorganError::InvalidArgument { reason }) => assert_eq!(reason, want),
        other => panic!("{want}: {other:?}"),
    };
    invalid(
        Device::new(-1).map(drop),
        "now must not be negative (got -1)",
    );
    let device = Device::new(NOW).unwrap();
    invalid(
        device.bundles(-1).map(drop),
        "max must be between 0 and 4294967295 (got -1)",
    );
    invalid(
        device
            .generate_one_time_prekeys(i64::from(u32::MAX) + 1)
            .map(drop),
        "count must be between 0 and 4294967295 (got 4294967296)",
    );
    invalid(
        device.needs_rotation(i64::MIN).map(drop),
        "now must not be negative (got -9223372036854775808)",
    );
    // Generations keep their 64 bits: one at 2^63 reads as i64::MIN, and
    // the rollback check still compares the unsigned values.
    device.resume_generation(i64::MAX).unwrap();
    let older = device.seal(KEY.to_vec()).unwrap();
    let older_generation = device.generation().unwrap();
    assert_eq!(older_generation, i64::MIN);
    let newer = device.seal(KEY.to_vec()).unwrap();
    let generation = device.generation().unwrap();
    assert_eq!(generation, i64::MIN + 1);
    let id = device.identity_key().unwrap();
    assert!(matches!(
        Device::open(KEY.to_vec(), older, id.clone(), generation),
        Err(QorganError::RolledBack { min_generation, found })
            if min_generation == generation && found == older_generation
    ));
    Device::open(KEY.to_vec(), newer, id, generation).unwrap();
    let bob = Device::new(NOW).unwrap();
    let first = device
        .initiate(bob.bundle().unwrap())
        .unwrap()
        .encrypt(b"hi")
        .unwrap();
    invalid(
        bob.accept(&first, -1).map(drop),
        "now must not be negative (got -1)",
    );
    // Refused before anything changed: the same message is still accepted.
    assert_eq!(bob.accept(&first, NOW).unwrap().plaintext, b"hi");
    invalid(
        device
            .create_group(
                vec![1; 16],
                GroupPolicy {
                    max_messages: -1,
                    max_age_secs: 60,
                },
                NOW,
            )
            .map(drop),
        "max_messages must be between 0 and 4294967295 (got -1)",
    );
    let issuer = IssuerKeyPair::generate().unwrap();
    invalid(
        RevocationList::issue(&issuer, -1, NOW + DAY, vec![1]).map(drop),
        "issued_at must not be negative (got -1)",
    );
    // Serials keep their 64 bits: 2^64 - 1 is -1, revoked and read back as such.
    let list = RevocationList::issue(&issuer, NOW, NOW + DAY, vec![1, -1]).unwrap();
    assert!(list.revokes(1));
    assert!(list.revokes(-1));
    assert!(!list.revokes(i64::MAX));
    assert_eq!(list.info().serials, vec![1, -1]);
    invalid(
        list.is_stale(-1).map(drop),
        "now must not be negative (got -1)",
    );
    let claims = |number| {
        vec![
            Claim {
                tag: ClaimTag::Organisation,
                value: "Ministry".into(),
            },
            Claim {
                tag: ClaimTag::Custom { number },
                value: "x".into(),
            },
        ]
    };
    let sub = IssuerKeyPair::generate().unwrap().public_key();
    for (number, want) in [(256, "256"), (5, "5"), (-1, "-1")] {
        invalid(
            Statement::certify_intermediate(
                &issuer,
                sub.clone(),
                1,
                NOW,
                NOW + DAY,
                claims(number),
            )
            .map(drop),
            &format!("a custom claim tag is a byte other than the named tags 1 to 5 (got {want})"),
        );
    }
    let statement =
        Statement::certify_intermediate(&issuer, sub, -7, NOW, NOW + DAY, claims(255)).unwrap();
    assert_eq!(statement.info().serial, -7);
    assert_eq!(device.generate_one_time_prekeys(3).unwrap(), 3);
}
