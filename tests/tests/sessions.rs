//! 1:1 conversation scenarios: ordering, loss, duplicates, persistence,
//! tampering, prekey exhaustion and identity errors.

use qorgan::limits::{MAX_RECEIVING_CHAINS, MAX_SKIP_PER_CHAIN, MAX_STORED_SKIPPED_KEYS};
use qorgan::{
    DecodeError, DecryptError, Expected, HandshakeError, IdentityKeyPair, MESSAGE_OVERHEAD,
    PreKeyBundle, PreKeyStore, Session, StorageKey, VerifyError,
};
use qorgan_tests::{established, rng, snapshot, start};
use rand_core::Rng;

fn msg(i: usize) -> Vec<u8> {
    format!("message number {i}").into_bytes()
}

#[test]
fn in_order_both_directions() {
    let mut r = rng(1);
    let mut p = established(&mut r);
    for i in 0..50 {
        let c = p.alice.encrypt(&mut r, &msg(i)).unwrap();
        assert_eq!(p.bob.decrypt(&c).unwrap(), msg(i));
        let c = p.bob.encrypt(&mut r, &msg(i + 1000)).unwrap();
        assert_eq!(p.alice.decrypt(&c).unwrap(), msg(i + 1000));
    }
    assert_eq!(p.alice.skipped_key_count(), 0);
    assert_eq!(p.bob.skipped_key_count(), 0);
}

#[test]
fn reversed_order() {
    let mut r = rng(2);
    let mut p = established(&mut r);
    let sent: Vec<_> = (0..100)
        .map(|i| p.alice.encrypt(&mut r, &msg(i)).unwrap())
        .collect();
    for (i, c) in sent.iter().enumerate().rev() {
        assert_eq!(p.bob.decrypt(c).unwrap(), msg(i));
    }
    assert_eq!(
        p.bob.skipped_key_count(),
        0,
        "every skipped key used once and removed"
    );
}

#[test]
fn random_order_across_ratchet_turns() {
    // Both sides send in bursts, so chains turn while messages are in flight;
    // delivery order is random, with a maximum delay of MAX_DELAY steps (a
    // message older than that is delivered next). Longer delays than the
    // session's chain limits are tested in `old_receiving_chains_*`.
    const MAX_DELAY: usize = 20;
    let mut r = rng(3);
    let mut p = established(&mut r);
    let mut pending: Vec<(usize, bool, Vec<u8>)> = Vec::new();
    let mut delivered = 0;
    for step in 0..600 {
        if step < 400 {
            let from_alice = (step / 7) % 2 == 0;
            let c = if from_alice {
                p.alice.encrypt(&mut r, &msg(step)).unwrap()
            } else {
                p.bob.encrypt(&mut r, &msg(step)).unwrap()
            };
            pending.push((step, from_alice, c));
        }
        while !pending.is_empty() && (r.next_u32().is_multiple_of(2) || step >= 400) {
            let k = match pending
                .iter()
                .position(|(sent, _, _)| step - sent >= MAX_DELAY)
            {
                Some(k) => k,
                None => (r.next_u32() as usize) % pending.len(),
            };
            let (j, a, c) = pending.remove(k);
            let pt = if a {
                p.bob.decrypt(&c)
            } else {
                p.alice.decrypt(&c)
            };
            assert_eq!(pt.unwrap(), msg(j), "message {j} at step {step}");
            delivered += 1;
        }
    }
    assert_eq!(delivered, 400);
    assert_eq!(p.alice.skipped_key_count() + p.bob.skipped_key_count(), 0);
}

#[test]
fn dropped_messages_do_not_block_later_ones() {
    let mut r = rng(4);
    let mut p = established(&mut r);
    for i in 0..200 {
        let c = p.alice.encrypt(&mut r, &msg(i)).unwrap();
        if i % 3 != 0 {
            assert_eq!(p.bob.decrypt(&c).unwrap(), msg(i));
        }
    }
    // Replies still work after the losses, and the lost messages' keys wait.
    let c = p.bob.encrypt(&mut r, b"still here").unwrap();
    assert_eq!(p.alice.decrypt(&c).unwrap(), b"still here");
    assert_eq!(p.bob.skipped_key_count(), 67);
}

#[test]
fn duplicates_are_rejected_and_change_nothing() {
    let mut r = rng(5);
    let mut p = established(&mut r);
    let a = p.alice.encrypt(&mut r, b"a").unwrap();
    let b = p.alice.encrypt(&mut r, b"b").unwrap();
    assert_eq!(p.bob.decrypt(&b).unwrap(), b"b");
    assert_eq!(p.bob.decrypt(&a).unwrap(), b"a");
    for dup in [&a, &b] {
        let before = snapshot(&p.bob);
        assert!(matches!(
            p.bob.decrypt(dup),
            Err(DecryptError::Duplicate { .. })
        ));
        assert_eq!(before, snapshot(&p.bob));
    }
    // A duplicate from an older chain, after the ratchet turned twice.
    let c = p.bob.encrypt(&mut r, b"turn").unwrap();
    p.alice.decrypt(&c).unwrap();
    let d = p.alice.encrypt(&mut r, b"turn again").unwrap();
    p.bob.decrypt(&d).unwrap();
    assert!(matches!(
        p.bob.decrypt(&a),
        Err(DecryptError::Duplicate { .. })
    ));
    assert!(matches!(
        p.bob.decrypt(&d),
        Err(DecryptError::Duplicate { .. })
    ));
}

#[test]
fn long_ping_pong() {
    let mut r = rng(6);
    let mut p = established(&mut r);
    for i in 0..1000 {
        let (from, to) = if i % 2 == 0 {
            (&mut p.alice, &mut p.bob)
        } else {
            (&mut p.bob, &mut p.alice)
        };
        let c = from.encrypt(&mut r, &msg(i)).unwrap();
        assert_eq!(c.len(), msg(i).len() + MESSAGE_OVERHEAD);
        assert_eq!(to.decrypt(&c).unwrap(), msg(i));
    }
}

#[test]
fn save_and_restore_mid_conversation() {
    let mut r = rng(7);
    let mut p = established(&mut r);
    let key = StorageKey::generate(&mut r);
    let in_flight: Vec<_> = (0..5)
        .map(|i| p.alice.encrypt(&mut r, &msg(i)).unwrap())
        .collect();
    assert_eq!(p.bob.decrypt(&in_flight[4]).unwrap(), msg(4));

    let bob_sealed = p.bob.seal(&mut r, &key);
    let bob_expected = Expected::new(p.bob.state_owner(), p.bob.generation());
    let alice_plain = p.alice.to_bytes();
    let store_sealed = p.bob_store.seal(&mut r, &key);
    let store_expected = Expected::new(p.bob_store.state_owner(), p.bob_store.generation());
    drop(p.bob);
    let mut bob = Session::open(&key, &bob_sealed, &bob_expected).unwrap();
    let mut alice = Session::from_bytes(&alice_plain).unwrap();
    let _store = PreKeyStore::open(&key, &store_sealed, &store_expected).unwrap();

    for (i, m) in in_flight.iter().enumerate().take(4) {
        assert_eq!(bob.decrypt(m).unwrap(), msg(i));
    }
    let c = bob.encrypt(&mut r, b"after restore").unwrap();
    assert_eq!(alice.decrypt(&c).unwrap(), b"after restore");

    // Restoring an old copy cannot replay: the restored copy still holds the
    // keys, which is why apps must persist after every decrypt.
    let wrong_key = StorageKey::generate(&mut r);
    assert!(Session::open(&wrong_key, &bob_sealed, &bob_expected).is_err());
}

#[test]
fn every_single_bit_flip_is_rejected_and_changes_nothing() {
    let mut r = rng(8);
    let mut p = established(&mut r);
    let c = p.alice.encrypt(&mut r, b"tamper with me").unwrap();
    let before = snapshot(&p.bob);
    for bit in 0..c.len() * 8 {
        let mut t = c.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        assert!(p.bob.decrypt(&t).is_err(), "bit {bit} flipped was accepted");
        assert_eq!(before, snapshot(&p.bob), "bit {bit} flip changed the state");
    }
    assert_eq!(p.bob.decrypt(&c).unwrap(), b"tamper with me");
}

#[test]
fn every_bit_flip_of_a_prekey_message_is_rejected() {
    let mut r = rng(9);
    let (mut alice, bob_store, _, _) = start(&mut r, true);
    let c = alice.encrypt(&mut r, b"first").unwrap();
    let mut store = bob_store;
    let store_before = store.to_bytes().to_vec();
    for bit in 0..c.len() * 8 {
        let mut t = c.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        assert!(
            store.accept(&t, 0).is_err(),
            "bit {bit} flipped was accepted"
        );
        assert_eq!(
            store_before,
            store.to_bytes().to_vec(),
            "bit {bit} flip changed the store"
        );
    }
    assert_eq!(store.accept(&c, 0).unwrap().1, b"first");
}

#[test]
fn truncations_and_trailing_garbage_are_rejected() {
    let mut r = rng(10);
    let mut p = established(&mut r);
    let c = p.alice.encrypt(&mut r, b"x").unwrap();
    let before = snapshot(&p.bob);
    for len in 0..c.len() {
        assert!(p.bob.decrypt(&c[..len]).is_err());
    }
    let mut long = c.clone();
    long.push(0);
    assert!(p.bob.decrypt(&long).is_err());
    assert_eq!(before, snapshot(&p.bob));
    let mut v3 = c.clone();
    v3[0] = 3;
    assert_eq!(
        p.bob.decrypt(&v3),
        Err(DecryptError::Decode(DecodeError::UnsupportedVersion(3)))
    );
    // Relabelled as version 1 (read without a nonce field) it fails the tag:
    // the version byte is authenticated with the rest of the header.
    let mut v1 = c.clone();
    v1[0] = 1;
    assert_eq!(p.bob.decrypt(&v1), Err(DecryptError::AuthenticationFailed));
    assert_eq!(before, snapshot(&p.bob));
}

/// Issue 10, finding 1: a sender whose state is rolled back (a restored
/// backup, an iOS notification extension and the app opening the same
/// sealed session, a `Clone`) encrypts again under the same message key.
/// With the fixed nonce of version 1 the two ciphertexts XOR to the two
/// plaintexts XORed, and the Poly1305 key repeats (forgery at that index).
/// Each message now carries its own random nonce.
#[test]
fn a_rolled_back_sender_never_repeats_a_keystream() {
    let mut r = rng(13);
    let mut p = established(&mut r);
    // A first message starts Alice's sending chain; she saves after it.
    let m0 = p.alice.encrypt(&mut r, b"before").unwrap();
    assert_eq!(p.bob.decrypt(&m0).unwrap(), b"before");
    let saved = p.alice.to_bytes();
    let p1 = [0x00u8; 64];
    let p2 = [0xFFu8; 64];
    let c1 = p.alice.encrypt(&mut r, &p1).unwrap();
    let mut restored = Session::from_bytes(&saved).unwrap();
    let c2 = restored.encrypt(&mut r, &p2).unwrap();
    // Normal messages (§5.1): version, type, ratchet key, n, pn, nonce.
    assert_eq!((c1[0], c1[1]), (qorgan::wire::MESSAGE_VERSION, 0x01));
    assert_eq!(
        c1[2..40],
        c2[2..40],
        "same ratchet key, n and pn: same message key"
    );
    assert_ne!(c1[40..52], c2[40..52], "different nonces");
    let body = |c: &[u8]| c[c.len() - 16 - 64..c.len() - 16].to_vec();
    let xor: Vec<u8> = body(&c1)
        .iter()
        .zip(body(&c2))
        .map(|(a, b)| a ^ b)
        .collect();
    assert_ne!(xor, vec![0xFF; 64], "keystream reused");
    assert_ne!(c1[c1.len() - 16..], c2[c2.len() - 16..]);
    // The receiver takes the first and refuses the second as a duplicate.
    assert_eq!(p.bob.decrypt(&c1).unwrap(), p1);
    assert!(matches!(
        p.bob.decrypt(&c2),
        Err(DecryptError::Duplicate { .. })
    ));
}

#[test]
fn prekey_messages_until_the_first_reply_then_normal_messages() {
    let mut r = rng(11);
    let (mut alice, mut bob_store, _, _) = start(&mut r, true);
    let first = alice.encrypt(&mut r, b"1").unwrap();
    let second = alice.encrypt(&mut r, b"2").unwrap();
    assert!(alice.is_pending());
    assert!(matches!(
        qorgan::message::peek(&first).unwrap(),
        qorgan::MessageKind::PreKey { .. }
    ));
    // The second arrives first: it alone can start the session.
    let (mut bob, pt) = bob_store.accept(&second, 0).unwrap();
    assert_eq!(pt, b"2");
    // The first is then routed to the existing session by its base key.
    match qorgan::message::peek(&first).unwrap() {
        qorgan::MessageKind::PreKey { base_key, .. } => assert_eq!(&base_key, bob.base_key()),
        other => panic!("{other:?}"),
    }
    assert_eq!(bob.decrypt(&first).unwrap(), b"1");
    // A second accept of the same handshake fails: its one-time key is gone.
    assert!(matches!(
        bob_store.accept(&first, 0),
        Err(HandshakeError::UnknownKemPreKey(_))
    ));
    let reply = bob.encrypt(&mut r, b"ok").unwrap();
    assert_eq!(alice.decrypt(&reply).unwrap(), b"ok");
    assert!(!alice.is_pending());
    let normal = alice.encrypt(&mut r, b"3").unwrap();
    assert_eq!(
        qorgan::message::peek(&normal).unwrap(),
        qorgan::MessageKind::Message
    );
    assert_eq!(normal.len(), 1 + MESSAGE_OVERHEAD);
}

#[test]
fn prekey_exhaustion_falls_back_to_last_resort_and_refuses_replays() {
    let mut r = rng(12);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut bob_store = PreKeyStore::new(&mut r, bob_id, 0);
    bob_store.generate_one_time_prekeys(&mut r, 2);
    bob_store.generate_kem_one_time_prekeys(&mut r, 1);
    let mut kinds = Vec::new();
    for i in 0..4 {
        let bundle = bob_store.bundle().unwrap();
        kinds.push((bundle.one_time_prekey.is_some(), bundle.kem_prekey.kind));
        let alice_id = IdentityKeyPair::generate(&mut r);
        let mut alice = Session::initiate(&mut r, &alice_id, &bundle).unwrap();
        let m = alice.encrypt(&mut r, &msg(i)).unwrap();
        let (_, pt) = bob_store.accept(&m, 0).unwrap();
        assert_eq!(pt, msg(i));
        if bundle.one_time_prekey.is_none() {
            // Without a one-time key, the same handshake replayed is refused.
            assert_eq!(bob_store.accept(&m, 0).unwrap_err(), HandshakeError::Replay);
        }
    }
    use qorgan::KemPreKeyKind::{LastResort, OneTime};
    assert_eq!(
        kinds,
        vec![
            (true, OneTime),
            (true, LastResort),
            (false, LastResort),
            (false, LastResort)
        ]
    );
    assert_eq!(bob_store.one_time_prekey_count(), 0);
    assert_eq!(bob_store.kem_one_time_prekey_count(), 0);
}

#[test]
fn bundles_give_concurrent_initiators_distinct_one_time_keys() {
    use qorgan::KemPreKeyKind::{LastResort, OneTime};
    let mut r = rng(40);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut bob_store = PreKeyStore::new(&mut r, bob_id, 0);
    // Without one-time keys: exactly one bundle, the same as bundle().
    assert_eq!(bob_store.bundles(10), vec![bob_store.bundle().unwrap()]);
    assert!(bob_store.bundles(0).is_empty());

    let otks = bob_store.generate_one_time_prekeys(&mut r, 3);
    bob_store.generate_kem_one_time_prekeys(&mut r, 2);
    // Each call hands out only keys never handed out before (issue 10,
    // finding 5: a re-upload used to hand the same keys out again).
    let mut bundles = bob_store.bundles(2);
    bundles.extend(bob_store.bundles(100));
    let shape: Vec<_> = bundles
        .iter()
        .map(|b| (b.one_time_prekey.map(|k| k.id), b.kem_prekey.kind))
        .collect();
    let ids: Vec<_> = otks.iter().map(|k| Some(k.id)).collect();
    assert_eq!(
        shape,
        vec![(ids[0], OneTime), (ids[1], OneTime), (ids[2], LastResort)]
    );
    let again = bob_store.bundles(100);
    assert_eq!(again.len(), 1);
    assert!(again[0].one_time_prekey.is_none());
    assert_eq!(again[0].kem_prekey.kind, LastResort);
    // Nothing was consumed: the keys are still held, waiting for use.
    assert_eq!(bob_store.one_time_prekey_count(), 3);
    assert_eq!(bob_store.kem_one_time_prekey_count(), 2);
    // The server hands them out before Bob is online; all three handshakes
    // are accepted afterwards, in any order.
    let mut first_messages: Vec<_> = bundles
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let bytes = b.to_bytes();
            let alice_id = IdentityKeyPair::generate(&mut r);
            let mut alice = Session::initiate(
                &mut r,
                &alice_id,
                &PreKeyBundle::from_bytes(&bytes).unwrap(),
            )
            .unwrap();
            alice.encrypt(&mut r, &msg(i)).unwrap()
        })
        .collect();
    first_messages.swap(0, 2);
    for (m, i) in first_messages.iter().zip([2, 1, 0]) {
        assert_eq!(bob_store.accept(m, 0).unwrap().1, msg(i));
    }
    assert_eq!(bob_store.one_time_prekey_count(), 0);
    assert_eq!(bob_store.kem_one_time_prekey_count(), 0);
    // Handed out twice by a faulty server: the second use is refused.
    let alice_id = IdentityKeyPair::generate(&mut r);
    let mut late = Session::initiate(&mut r, &alice_id, &bundles[1]).unwrap();
    let m = late.encrypt(&mut r, b"late").unwrap();
    assert!(matches!(
        bob_store.accept(&m, 0).unwrap_err(),
        HandshakeError::UnknownOneTimePreKey(_) | HandshakeError::UnknownKemPreKey(_)
    ));
    // Once they are used up, one bundle again, with the last-resort key only.
    let left = bob_store.bundles(100);
    assert_eq!(left.len(), 1);
    assert!(left[0].one_time_prekey.is_none());
    assert_eq!(left[0].kem_prekey.kind, LastResort);
}

#[test]
fn a_forged_first_message_does_not_burn_one_time_prekeys() {
    let mut r = rng(13);
    let (mut alice, mut bob_store, _, _) = start(&mut r, true);
    let mut m = alice.encrypt(&mut r, b"x").unwrap();
    let last = m.len() - 1;
    m[last] ^= 1;
    let before = bob_store.one_time_prekey_count();
    assert!(matches!(
        bob_store.accept(&m, 0),
        Err(HandshakeError::Decrypt(DecryptError::AuthenticationFailed))
    ));
    assert_eq!(bob_store.one_time_prekey_count(), before);
}

#[test]
fn wrong_identity_and_bad_signatures_are_refused() {
    let mut r = rng(14);
    let (_, bob_store, alice_id, bundle) = start(&mut r, true);
    let mallory = IdentityKeyPair::generate(&mut r);

    // A bundle claiming Bob's prekeys under Mallory's identity.
    let mut forged = bundle.clone();
    forged.identity = *mallory.public();
    assert!(matches!(
        Session::initiate(&mut r, &alice_id, &forged),
        Err(HandshakeError::Verify(VerifyError::Signature(_)))
    ));
    // Every bit of the encoded bundle matters.
    let bytes = bundle.to_bytes();
    for bit in (0..bytes.len() * 8).step_by(7) {
        let mut t = bytes.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        match PreKeyBundle::from_bytes(&t) {
            Err(_) => {}
            Ok(b) => assert_ne!(b, bundle, "bit {bit}"),
        }
    }
    // A message for Bob decrypted by an unrelated session fails cleanly.
    let (mut other_alice, _, _, _) = start(&mut r, true);
    let mut p = established(&mut r);
    let c = p.alice.encrypt(&mut r, b"for bob").unwrap();
    let before = snapshot(&other_alice);
    assert!(other_alice.decrypt(&c).is_err());
    assert_eq!(before, snapshot(&other_alice));
    // Bob's store refuses a message that is not a prekey message.
    let mut store = PreKeyStore::from_bytes(&bob_store.to_bytes()).unwrap();
    assert_eq!(
        store.accept(&c, 0).unwrap_err(),
        HandshakeError::NotPreKeyMessage
    );
    assert_eq!(p.bob.decrypt(&c).unwrap(), b"for bob");
}

#[test]
fn unknown_prekey_ids_are_named() {
    let mut r = rng(15);
    let (mut alice, bob_store, _, _) = start(&mut r, false);
    let m = alice.encrypt(&mut r, b"x").unwrap();
    let other_id = IdentityKeyPair::generate(&mut r);
    let mut other = PreKeyStore::new(&mut r, other_id, 0);
    other.rotate_signed_prekey(&mut r, 0);
    // `other` has signed prekey ids 1 and 2 but the wrong secrets: the first
    // message cannot authenticate.
    assert!(other.accept(&m, 0).is_err());
    let mut store = PreKeyStore::from_bytes(&bob_store.to_bytes()).unwrap();
    for _ in 0..=qorgan::limits::MAX_RETIRED_SIGNED_PREKEYS {
        store.rotate_signed_prekey(&mut r, 0);
    }
    assert_eq!(
        store.accept(&m, 0).unwrap_err(),
        HandshakeError::UnknownSignedPreKey(1)
    );
    let mut store = PreKeyStore::from_bytes(&bob_store.to_bytes()).unwrap();
    for _ in 0..=qorgan::limits::MAX_RETIRED_SIGNED_PREKEYS {
        store.rotate_last_resort_kem_prekey(&mut r, 0);
    }
    assert_eq!(
        store.accept(&m, 0).unwrap_err(),
        HandshakeError::UnknownKemPreKey(1)
    );
    // Retired but within the limit: still accepted.
    let mut store = PreKeyStore::from_bytes(&bob_store.to_bytes()).unwrap();
    store.rotate_signed_prekey(&mut r, 0);
    store.rotate_last_resort_kem_prekey(&mut r, 0);
    assert!(store.accept(&m, 0).is_ok());
}

#[test]
fn skip_limit_edge_within_one_chain() {
    let mut r = rng(16);
    let mut p = established(&mut r);
    let n = MAX_SKIP_PER_CHAIN as usize;
    let sent: Vec<_> = (0..=n + 1)
        .map(|i| p.alice.encrypt(&mut r, &msg(i)).unwrap())
        .collect();
    // Alice's chain turned after Bob's reply, so these are indices 0..=n+1.
    let before = snapshot(&p.bob);
    assert_eq!(
        p.bob.decrypt(&sent[n + 1]),
        Err(DecryptError::TooFarAhead {
            gap: n as u64 + 1,
            limit: MAX_SKIP_PER_CHAIN
        })
    );
    assert_eq!(before, snapshot(&p.bob));
    assert_eq!(p.bob.decrypt(&sent[n]).unwrap(), msg(n));
    assert_eq!(p.bob.skipped_key_count(), n);
    assert_eq!(p.bob.decrypt(&sent[n + 1]).unwrap(), msg(n + 1));
    assert_eq!(p.bob.decrypt(&sent[0]).unwrap(), msg(0));
}

#[test]
fn skip_limit_edge_on_the_previous_chain() {
    let mut r = rng(17);
    let mut p = established(&mut r);
    let n = MAX_SKIP_PER_CHAIN as usize;
    // Alice sends n+1 messages Bob never sees, then Bob... cannot turn the
    // ratchet: only the previous-chain gap pn matters. Build it: Alice sends
    // n + 1 lost messages, receives a reply, sends again (pn = n + 1).
    for i in 0..=n {
        p.alice.encrypt(&mut r, &msg(i)).unwrap();
    }
    let reply = p.bob.encrypt(&mut r, b"reply").unwrap();
    p.alice.decrypt(&reply).unwrap();
    let next = p.alice.encrypt(&mut r, b"next").unwrap();
    let before = snapshot(&p.bob);
    assert!(matches!(
        p.bob.decrypt(&next),
        Err(DecryptError::TooFarAhead { .. })
    ));
    assert_eq!(before, snapshot(&p.bob));

    // Exactly n lost messages on the previous chain is fine.
    let mut p = established(&mut r);
    for i in 0..n {
        p.alice.encrypt(&mut r, &msg(i)).unwrap();
    }
    let reply = p.bob.encrypt(&mut r, b"reply").unwrap();
    p.alice.decrypt(&reply).unwrap();
    let next = p.alice.encrypt(&mut r, b"next").unwrap();
    assert_eq!(p.bob.decrypt(&next).unwrap(), b"next");
    assert_eq!(p.bob.skipped_key_count(), n);
}

#[test]
fn stored_skipped_keys_are_capped_with_oldest_evicted() {
    let mut r = rng(18);
    let mut p = established(&mut r);
    let per_chain = MAX_SKIP_PER_CHAIN as usize;
    let chains_needed = MAX_STORED_SKIPPED_KEYS / per_chain + 1;
    let mut first_lost = None;
    for round in 0..chains_needed {
        let lost: Vec<_> = (0..per_chain)
            .map(|i| p.alice.encrypt(&mut r, &msg(i)).unwrap())
            .collect();
        if round == 0 {
            first_lost = Some(lost[0].clone());
        }
        let c = p.alice.encrypt(&mut r, b"arrives").unwrap();
        assert_eq!(p.bob.decrypt(&c).unwrap(), b"arrives");
        let reply = p.bob.encrypt(&mut r, b"reply").unwrap();
        p.alice.decrypt(&reply).unwrap();
        assert!(p.bob.skipped_key_count() <= MAX_STORED_SKIPPED_KEYS);
    }
    assert_eq!(p.bob.skipped_key_count(), MAX_STORED_SKIPPED_KEYS);
    // The oldest chain's first keys were evicted: that message is gone.
    assert!(matches!(
        p.bob.decrypt(&first_lost.unwrap()),
        Err(DecryptError::Duplicate { index: 0 })
    ));
}

#[test]
fn old_receiving_chains_beyond_the_limit_are_forgotten() {
    let mut r = rng(19);
    let mut p = established(&mut r);
    let mut late = Vec::new();
    for _ in 0..=MAX_RECEIVING_CHAINS {
        late.push(p.alice.encrypt(&mut r, b"late").unwrap());
        let c = p.alice.encrypt(&mut r, b"on time").unwrap();
        p.bob.decrypt(&c).unwrap();
        let reply = p.bob.encrypt(&mut r, b"reply").unwrap();
        p.alice.decrypt(&reply).unwrap();
    }
    // The newest MAX_RECEIVING_CHAINS chains (the current one included) are
    // still readable...
    assert_eq!(late.len(), MAX_RECEIVING_CHAINS + 1);
    for m in late.iter().skip(1) {
        assert_eq!(p.bob.decrypt(m).unwrap(), b"late");
    }
    // ...the oldest is not.
    assert!(p.bob.decrypt(&late[0]).is_err());
}

#[test]
fn oversized_ciphertext_is_refused_before_work() {
    let mut r = rng(20);
    let mut p = established(&mut r);
    let c = p.alice.encrypt(&mut r, b"x").unwrap();
    let mut huge = c[..40].to_vec();
    huge.resize(100 * 1024 * 1024, 0);
    assert!(matches!(
        p.bob.decrypt(&huge),
        Err(DecryptError::Decode(DecodeError::TooLong { .. }))
    ));
}
