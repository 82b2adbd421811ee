//! The exported API exercised from Rust, as the bindings call it.

use qorgan_ffi::*;

const KEY: [u8; 32] = [9; 32];

#[test]
fn one_to_one_with_restore_and_errors() {
    let alice = Device::new().unwrap();
    let bob = Device::new().unwrap();
    assert!(!bob.needs_rotation().unwrap());
    // Both long-lived prekeys rotate; bundles fetched before still work.
    let early = bob.bundle().unwrap();
    bob.rotate_signed_prekey().unwrap();
    bob.rotate_last_resort_kem_prekey().unwrap();
    let s = alice.initiate(early).unwrap();
    assert_eq!(
        bob.accept(&s.encrypt(b"early").unwrap()).unwrap().plaintext,
        b"early"
    );
    bob.generate_one_time_prekeys(5).unwrap();
    let a = alice.initiate(bob.bundle().unwrap()).unwrap();
    let first = a.encrypt(b"salem").unwrap();
    let accepted = bob.accept(&first).unwrap();
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
    let a = Session::open(KEY.to_vec(), a.seal(KEY.to_vec()).unwrap()).unwrap();
    assert_eq!(a.decrypt(&r1).unwrap(), b"one");
    let mut tampered = b.encrypt(b"three").unwrap();
    tampered[45] ^= 1;
    assert!(matches!(
        a.decrypt(&tampered).unwrap_err(),
        QorganError::AuthenticationFailed
    ));
    assert!(matches!(
        Session::open(vec![1; 32], a.seal(KEY.to_vec()).unwrap()).unwrap_err(),
        QorganError::CorruptState { .. }
    ));
    assert!(matches!(
        a.seal(vec![1; 5]).unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    let bob2 = Device::open(KEY.to_vec(), bob.seal(KEY.to_vec()).unwrap()).unwrap();
    assert_eq!(bob2.identity_key().unwrap(), bob.identity_key().unwrap());
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
    let alice = Device::new().unwrap();
    let mut members = Vec::new();
    let mut links = Vec::new();
    for _ in 0..3 {
        let d = Device::new().unwrap();
        let s = alice.initiate(d.bundle().unwrap()).unwrap();
        let hello = s.encrypt(b"hi").unwrap();
        members.push(d.accept(&hello).unwrap().session);
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
        assert_eq!(got.iteration, i as u32);
    }
    assert!(matches!(
        receivers[2].decrypt(&queued[0]).unwrap_err(),
        QorganError::WrongChain
    ));
    // A distribution signed by one identity and claimed for another is refused.
    let mallory = Device::new().unwrap();
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
    let group = alice
        .open_group(KEY.to_vec(), group.seal(KEY.to_vec()).unwrap())
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
    let restored =
        GroupReceiver::open(KEY.to_vec(), receivers[1].seal(KEY.to_vec()).unwrap()).unwrap();
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
    let bob = Device::new().unwrap();
    assert_eq!(bob.bundles(10).unwrap(), vec![bob.bundle().unwrap()]);
    assert_eq!(bob.generate_one_time_prekeys(4).unwrap(), 4);
    assert_eq!(bob.generate_kem_one_time_prekeys(2).unwrap(), 2);
    let bundles = bob.bundles(100).unwrap();
    assert_eq!(bundles.len(), 4);
    assert_eq!(bob.bundles(3).unwrap().len(), 3);
    for b in &bundles {
        verify_bundle(b).unwrap();
    }
    let firsts: Vec<Vec<u8>> = bundles
        .iter()
        .map(|b| {
            let alice = Device::new().unwrap();
            alice.initiate(b.clone()).unwrap().encrypt(b"hi").unwrap()
        })
        .collect();
    for m in firsts.iter().rev() {
        assert_eq!(bob.accept(m).unwrap().plaintext, b"hi");
    }
    assert_eq!(bob.one_time_prekey_count().unwrap(), 0);
    assert_eq!(bob.kem_one_time_prekey_count().unwrap(), 0);
    assert!(matches!(
        bob.accept(&firsts[0]).err(),
        Some(QorganError::UnknownPreKey { .. })
    ));
}

#[test]
fn a_group_receiver_moves_to_a_new_device_by_export() {
    let alice = Device::new().unwrap();
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
        QorganError::BeforeFirstIteration
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
    let alice = Device::new().unwrap();
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
    let alice = Device::new().unwrap();
    let bob = Device::new().unwrap();
    let a = alice.initiate(bob.bundle().unwrap()).unwrap();
    let b = bob.accept(&a.encrypt(b"hello").unwrap()).unwrap().session;
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
    let devices: Vec<_> = (0..4).map(|_| Device::new().unwrap()).collect();
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
    let alice = Device::new().unwrap();
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
    let alice = Device::new().unwrap();
    let sender = alice.identity_key().unwrap();
    let group = alice
        .create_group(b"g".to_vec(), policy_default(), 0)
        .unwrap();
    let dist0 = group.distribution().unwrap();
    let rx = GroupReceiver::new(dist0.clone(), sender.clone()).unwrap();
    // A copy of the sender state rotated apart: two chains announced as
    // rotation 1.
    let fork = alice
        .open_group(KEY.to_vec(), group.seal(KEY.to_vec()).unwrap())
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
    let alice = Device::new().unwrap();
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
