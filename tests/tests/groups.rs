//! Sender-key group scenarios.

use qorgan::group::{GROUP_MESSAGE_OVERHEAD, GroupMessageInfo, distribute};
use qorgan::limits::{MAX_GROUP_JUMP, MAX_GROUP_SKIPPED_KEYS, MAX_RETIRED_SENDER_CHAINS};
use qorgan::{
    DecryptError, EncryptError, GroupError, IdentityKeyPair, InboundGroupSession,
    OutboundGroupSession, PreKeyStore, RotationPolicy, RotationReason, SenderKeyDistribution,
    SenderKeyRing, Session, SignatureError, SignedObject, StorageKey,
};
use qorgan_tests::rng;
use rand_core::Rng;

const GROUP: &[u8] = b"ministry/chat/42";

struct Sender {
    identity: IdentityKeyPair,
    outbound: OutboundGroupSession,
}

fn sender(r: &mut chacha20::ChaCha20Rng) -> Sender {
    let identity = IdentityKeyPair::generate(r);
    let outbound = OutboundGroupSession::new(r, GROUP, RotationPolicy::DEFAULT, 1_000).unwrap();
    Sender { identity, outbound }
}

fn inbound(s: &Sender) -> InboundGroupSession {
    InboundGroupSession::new(&s.outbound.distribution(&s.identity), s.identity.public()).unwrap()
}

fn snapshot(s: &InboundGroupSession) -> Vec<u8> {
    s.to_bytes().to_vec()
}

#[test]
fn distribution_fans_out_over_one_to_one_sessions_and_everyone_reads() {
    let mut r = rng(100);
    let mut alice = sender(&mut r);
    // Alice has 1:1 sessions with 30 members; member 7's session is
    // exhausted-free but member 13 gets a corrupted copy in transit.
    let mut members = Vec::new();
    let mut sessions = Vec::new();
    for _ in 0..30 {
        let id = IdentityKeyPair::generate(&mut r);
        let mut store = PreKeyStore::new(&mut r, id, 0);
        let bundle = store.bundle().unwrap();
        let mut s = Session::initiate(&mut r, &alice.identity, &bundle).unwrap();
        let hello = s.encrypt(&mut r, b"hello").unwrap();
        let (peer, _) = store.accept(&hello, 0).unwrap();
        sessions.push(s);
        members.push(peer);
    }
    let dist = alice.outbound.distribution(&alice.identity);
    let mut refs: Vec<&mut Session> = sessions.iter_mut().collect();
    let wires = distribute(&mut r, &dist, &mut refs);
    assert_eq!(wires.len(), 30);
    let mut readers = Vec::new();
    for (i, (wire, member)) in wires.into_iter().zip(members.iter_mut()).enumerate() {
        let mut wire = wire.unwrap();
        if i == 13 {
            let n = wire.len();
            wire[n - 1] ^= 1;
            assert!(member.decrypt(&wire).is_err());
            continue;
        }
        let bytes = member.decrypt(&wire).unwrap();
        let dist = SenderKeyDistribution::from_bytes(&bytes).unwrap();
        readers.push(InboundGroupSession::new(&dist, member.remote_identity()).unwrap());
    }
    assert_eq!(readers.len(), 29);
    let m = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"meeting at 10")
        .unwrap();
    assert_eq!(m.len(), 13 + GROUP_MESSAGE_OVERHEAD);
    assert_eq!(GROUP_MESSAGE_OVERHEAD, 134);
    for reader in &mut readers {
        assert_eq!(reader.decrypt(&m).unwrap().plaintext, b"meeting at 10");
    }
}

#[test]
fn reordering_drops_and_duplicates() {
    let mut r = rng(101);
    let mut alice = sender(&mut r);
    let mut bob = inbound(&alice);
    let msgs: Vec<Vec<u8>> = (0..200)
        .map(|i| {
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, format!("m{i}").as_bytes())
                .unwrap()
        })
        .collect();
    let mut order: Vec<usize> = (0..200).filter(|i| i % 5 != 0).collect();
    for i in (1..order.len()).rev() {
        let j = (r.next_u32() as usize) % (i + 1);
        order.swap(i, j);
    }
    for &i in &order {
        assert_eq!(
            bob.decrypt(&msgs[i]).unwrap().plaintext,
            format!("m{i}").into_bytes()
        );
    }
    assert_eq!(bob.skipped_key_count(), 40, "the dropped ones still wait");
    for &i in order.iter().take(20) {
        let before = snapshot(&bob);
        assert_eq!(
            bob.decrypt(&msgs[i]),
            Err(DecryptError::Duplicate { index: i as u32 })
        );
        assert_eq!(before, snapshot(&bob));
    }
}

#[test]
fn forged_signatures_and_every_bit_flip_are_rejected_without_state_change() {
    let mut r = rng(102);
    let mut alice = sender(&mut r);
    let mut bob = inbound(&alice);
    let m = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"orders")
        .unwrap();
    let before = snapshot(&bob);
    for bit in 0..m.len() * 8 {
        let mut t = m.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        assert!(bob.decrypt(&t).is_err(), "bit {bit}");
        assert_eq!(before, snapshot(&bob), "bit {bit}");
    }
    // Mallory knows the chain key (say, a member) but not the signing key.
    let mut mallory =
        OutboundGroupSession::from_bytes(&alice.outbound.to_bytes()).expect("state round trip");
    mallory.rotate(&mut r, 1_000).unwrap();
    let forged = {
        // Same chain id and key material as Alice's, Mallory's signing key.
        let mut f =
            OutboundGroupSession::from_bytes(&alice.outbound.to_bytes()).expect("state round trip");
        let sig_from_other = mallory.encrypt(&mut r, &alice.identity, b"orders").unwrap();
        let mut m2 = f.encrypt(&mut r, &alice.identity, b"fake orders").unwrap();
        let n = m2.len();
        m2[n - 64..].copy_from_slice(&sig_from_other[sig_from_other.len() - 64..]);
        m2
    };
    assert_eq!(
        bob.decrypt(&forged),
        Err(DecryptError::Signature(SignatureError::Invalid(
            SignedObject::GroupMessage
        )))
    );
    assert_eq!(bob.decrypt(&m).unwrap().plaintext, b"orders");
}

#[test]
fn a_removed_member_cannot_read_after_rotation() {
    let mut r = rng(103);
    let mut alice = sender(&mut r);
    let mut bob_ring = SenderKeyRing::new(
        &alice.outbound.distribution(&alice.identity),
        alice.identity.public(),
    )
    .unwrap();
    let mut eve = inbound(&alice);
    let m = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"before")
        .unwrap();
    assert_eq!(eve.decrypt(&m).unwrap().plaintext, b"before");

    alice.outbound.mark_member_removed();
    assert_eq!(
        alice.outbound.encrypt(&mut r, &alice.identity, b"secret"),
        Err(EncryptError::RotationRequired(
            RotationReason::MemberRemoved
        ))
    );
    assert_eq!(
        alice.outbound.rotation_due(1_000),
        Some(RotationReason::MemberRemoved)
    );
    alice.outbound.rotate(&mut r, 2_000).unwrap();
    // The new distribution goes to everyone but Eve.
    bob_ring
        .add(
            &alice.outbound.distribution(&alice.identity),
            alice.identity.public(),
        )
        .unwrap();

    let after = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"after")
        .unwrap();
    assert_eq!(bob_ring.decrypt(&after).unwrap().plaintext, b"after");
    assert_eq!(
        bob_ring.decrypt(&m).unwrap().plaintext,
        b"before",
        "the old chain stays readable"
    );
    // Eve still holds the old chain: the new message is on another chain.
    assert!(matches!(
        eve.decrypt(&after),
        Err(DecryptError::WrongChain { .. })
    ));
    // Even forcing the old chain id onto the new message fails.
    let mut spoofed = after.clone();
    spoofed[2..6].copy_from_slice(&eve.chain_id().to_be_bytes());
    assert!(eve.decrypt(&spoofed).is_err());
}

#[test]
fn retired_chains_stay_readable_up_to_the_bound() {
    let mut r = rng(104);
    let mut alice = sender(&mut r);
    let mut ring = SenderKeyRing::new(
        &alice.outbound.distribution(&alice.identity),
        alice.identity.public(),
    )
    .unwrap();
    let mut in_flight = Vec::new();
    for round in 0..=MAX_RETIRED_SENDER_CHAINS + 1 {
        in_flight.push(
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, format!("late {round}").as_bytes())
                .unwrap(),
        );
        alice.outbound.rotate(&mut r, 1_000).unwrap();
        ring.add(
            &alice.outbound.distribution(&alice.identity),
            alice.identity.public(),
        )
        .unwrap();
    }
    assert_eq!(ring.chains().count(), MAX_RETIRED_SENDER_CHAINS + 1);
    // The oldest chain fell out of the ring; the next ones are readable.
    assert!(matches!(
        ring.decrypt(&in_flight[0]),
        Err(DecryptError::WrongChain { .. })
    ));
    assert!(matches!(
        ring.decrypt(&in_flight[1]),
        Err(DecryptError::WrongChain { .. })
    ));
    for (i, m) in in_flight.iter().enumerate().skip(2) {
        assert_eq!(
            ring.decrypt(m).unwrap().plaintext,
            format!("late {i}").into_bytes()
        );
    }
    let now = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"current")
        .unwrap();
    assert_eq!(ring.decrypt(&now).unwrap().plaintext, b"current");
}

#[test]
fn late_joiners_and_exports_cannot_read_earlier_messages() {
    let mut r = rng(105);
    let mut alice = sender(&mut r);
    let mut bob = inbound(&alice);
    let early: Vec<_> = (0..5)
        .map(|i| {
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, &[i])
                .unwrap()
        })
        .collect();
    let carol_dist = alice.outbound.distribution(&alice.identity);
    assert_eq!(carol_dist.iteration(), 5);
    let mut carol = InboundGroupSession::new(&carol_dist, alice.identity.public()).unwrap();
    assert_eq!(
        carol.decrypt(&early[4]),
        Err(DecryptError::BeforeFirstIteration {
            iteration: 4,
            first: 5
        })
    );
    // Bob reads 0..5, then exports at 8 for his new device.
    for (i, m) in early.iter().enumerate() {
        assert_eq!(bob.decrypt(m).unwrap().plaintext, [i as u8]);
    }
    assert!(matches!(
        bob.export_at(4),
        Err(GroupError::IterationUnavailable {
            requested: 4,
            available: 5
        })
    ));
    let export = bob.export_at(8).unwrap();
    let mut bob2 = InboundGroupSession::import(&export).unwrap();
    assert_eq!(bob2.first_iteration(), 8);
    let later: Vec<_> = (5..10)
        .map(|i| {
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, &[i])
                .unwrap()
        })
        .collect();
    for m in &later[..3] {
        assert!(matches!(
            bob2.decrypt(m),
            Err(DecryptError::BeforeFirstIteration { .. })
        ));
    }
    assert_eq!(bob2.decrypt(&later[3]).unwrap().plaintext, [8]);
    // Merging with Carol's copy keeps the earliest readable point, and
    // what bob2 read stays read.
    let merged = bob2.merge(&carol).unwrap();
    assert_eq!(merged.first_iteration(), 5);
    assert!(!merged.can_decrypt(8));
    let mut merged = merged;
    assert_eq!(merged.decrypt(&later[0]).unwrap().plaintext, [5]);
    let stranger = inbound(&sender(&mut r));
    assert_eq!(
        bob2.merge(&stranger).unwrap_err(),
        GroupError::ChainMismatch
    );
}

#[test]
fn batch_catch_up_pinpoints_one_bad_signature_in_500() {
    let mut r = rng(106);
    let mut alice = sender(&mut r);
    let mut bob = inbound(&alice);
    let mut msgs: Vec<Vec<u8>> = (0..500u32)
        .map(|i| {
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, &i.to_be_bytes())
                .unwrap()
        })
        .collect();
    let genuine_321 = msgs[321].clone();
    let n = msgs[321].len();
    msgs[321][n - 10] ^= 0x40; // inside the signature
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    let results = bob.decrypt_batch(&refs);
    for (i, res) in results.iter().enumerate() {
        if i == 321 {
            assert_eq!(
                res,
                &Err(DecryptError::Signature(SignatureError::Invalid(
                    SignedObject::GroupMessage
                )))
            );
        } else {
            assert_eq!(res.as_ref().unwrap().plaintext, (i as u32).to_be_bytes());
        }
    }
    // The genuine message 321 still decrypts later from its skipped key.
    assert_eq!(bob.skipped_key_count(), 1);
    assert_eq!(
        bob.decrypt(&genuine_321).unwrap().plaintext,
        321u32.to_be_bytes()
    );
    assert_eq!(bob.skipped_key_count(), 0);
    // Duplicates inside one batch: the second copy is refused.
    let m = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"dup")
        .unwrap();
    let results = bob.decrypt_batch(&[&m, &m]);
    assert_eq!(results[0].as_ref().unwrap().plaintext, b"dup");
    assert!(matches!(results[1], Err(DecryptError::Duplicate { .. })));
}

#[test]
fn jump_and_skipped_key_limits_at_their_edges() {
    let mut r = rng(107);
    let mut alice = sender(&mut r);
    alice.outbound = OutboundGroupSession::new(
        &mut r,
        GROUP,
        RotationPolicy {
            max_messages: u32::MAX,
            max_age_secs: u64::MAX,
        },
        0,
    )
    .unwrap();
    let mut bob = inbound(&alice);
    let j = MAX_GROUP_JUMP as usize;
    let msgs: Vec<_> = (0..=j + 1)
        .map(|_| {
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, b"x")
                .unwrap()
        })
        .collect();
    let before = snapshot(&bob);
    assert_eq!(
        bob.decrypt(&msgs[j + 1]),
        Err(DecryptError::TooFarAhead {
            gap: j as u64 + 1,
            limit: MAX_GROUP_JUMP
        })
    );
    assert_eq!(before, snapshot(&bob));
    bob.decrypt(&msgs[j]).unwrap();
    assert_eq!(bob.skipped_key_count(), j.min(MAX_GROUP_SKIPPED_KEYS));
    // One more skipped key (msgs[j + 1]) pushes the lowest stored key out.
    let next = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"y")
        .unwrap();
    bob.decrypt(&next).unwrap();
    assert_eq!(bob.skipped_key_count(), MAX_GROUP_SKIPPED_KEYS);
    assert_eq!(
        bob.decrypt(&msgs[0]),
        Err(DecryptError::Duplicate { index: 0 })
    );
    assert_eq!(bob.decrypt(&msgs[1]).unwrap().plaintext, b"x");
}

#[test]
fn message_limit_and_age_policy() {
    let mut r = rng(108);
    let policy = RotationPolicy {
        max_messages: 3,
        max_age_secs: 60,
    };
    let id = IdentityKeyPair::generate(&mut r);
    let mut out = OutboundGroupSession::new(&mut r, GROUP, policy, 100).unwrap();
    for _ in 0..3 {
        out.encrypt(&mut r, &id, b"m").unwrap();
    }
    assert_eq!(
        out.encrypt(&mut r, &id, b"m"),
        Err(EncryptError::RotationRequired(RotationReason::MessageLimit))
    );
    out.rotate(&mut r, 200).unwrap();
    assert_eq!(out.rotation_due(259), None);
    assert_eq!(out.rotation_due(260), Some(RotationReason::Age));
    assert!(out.encrypt(&mut r, &id, b"m").is_ok());
}

#[test]
fn distributions_from_the_wrong_identity_are_refused() {
    let mut r = rng(109);
    let alice = sender(&mut r);
    let mallory = IdentityKeyPair::generate(&mut r);
    let dist = alice.outbound.distribution(&alice.identity);
    assert_eq!(
        InboundGroupSession::new(&dist, mallory.public()).unwrap_err(),
        GroupError::UntrustedSender
    );
    // A distribution re-signed claims Mallory but arrives from Alice.
    let mallory_dist = alice.outbound.distribution(&mallory);
    assert_eq!(
        InboundGroupSession::new(&mallory_dist, alice.identity.public()).unwrap_err(),
        GroupError::UntrustedSender
    );
    // Tampered announcement fields fail the identity signature.
    let bytes = dist.to_bytes();
    for bit in (0..(bytes.len() - 36) * 8).step_by(5) {
        let mut t = bytes.to_vec();
        t[bit / 8] ^= 1 << (bit % 8);
        assert!(SenderKeyDistribution::from_bytes(&t).is_err(), "bit {bit}");
    }
    // The public announcement verifies on its own, for servers.
    let a = dist.announcement().to_bytes();
    assert_eq!(
        qorgan::SenderKeyAnnouncement::from_bytes(&a).unwrap(),
        *dist.announcement()
    );
}

#[test]
fn group_state_round_trips_plain_and_sealed() {
    let mut r = rng(110);
    let mut alice = sender(&mut r);
    let mut bob = inbound(&alice);
    let key = StorageKey::generate(&mut r);
    let msgs: Vec<_> = (0..6)
        .map(|i| {
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, &[i])
                .unwrap()
        })
        .collect();
    bob.decrypt(&msgs[5]).unwrap();

    let mut alice_out =
        qorgan_tests::seal_and_open!(OutboundGroupSession, alice.outbound, &mut r, &key).unwrap();
    let mut bob2 = qorgan_tests::seal_and_open!(InboundGroupSession, bob, &mut r, &key).unwrap();
    assert_eq!(snapshot(&bob), snapshot(&bob2));
    let bob3 = InboundGroupSession::from_bytes(&bob.to_bytes()).unwrap();
    assert_eq!(snapshot(&bob), snapshot(&bob3));
    for (i, m) in msgs.iter().enumerate().take(5) {
        assert_eq!(bob2.decrypt(m).unwrap().plaintext, [i as u8]);
    }
    let next = alice_out
        .encrypt(&mut r, &alice.identity, b"after restore")
        .unwrap();
    assert_eq!(GroupMessageInfo::peek(&next).unwrap().iteration, 6);
    assert_eq!(bob2.decrypt(&next).unwrap().plaintext, b"after restore");

    let mut ring = SenderKeyRing::new(
        &alice.outbound.distribution(&alice.identity),
        alice.identity.public(),
    )
    .unwrap();
    let ring2 = qorgan_tests::seal_and_open!(SenderKeyRing, ring, &mut r, &key).unwrap();
    assert_eq!(ring.to_bytes(), ring2.to_bytes());
    // Kinds are not interchangeable.
    assert!(
        qorgan_tests::seal_and_open!(InboundGroupSession, alice.outbound, &mut r, &key).is_err()
    );
}

#[test]
fn a_ring_exported_to_another_device_reads_on_and_merges_with_the_distribution() {
    let mut r = rng(140);
    let mut alice = sender(&mut r);
    let dist = alice.outbound.distribution(&alice.identity);
    let mut bob = SenderKeyRing::new(&dist, alice.identity.public()).unwrap();
    let early: Vec<_> = (0..5u8)
        .map(|i| {
            alice
                .outbound
                .encrypt(&mut r, &alice.identity, &[i])
                .unwrap()
        })
        .collect();
    for (i, m) in early.iter().enumerate() {
        assert_eq!(bob.decrypt(m).unwrap().plaintext, [i as u8]);
    }
    // Bob's new device gets the current chain from his position on.
    let export = bob.export_current().unwrap();
    let mut bob2 = SenderKeyRing::from_session(InboundGroupSession::import(&export).unwrap());
    assert_eq!(bob2.sender(), bob.sender());
    assert!(matches!(
        bob2.decrypt(&early[4]).unwrap_err(),
        DecryptError::BeforeFirstIteration { .. }
    ));
    let later = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"later")
        .unwrap();
    assert_eq!(bob2.decrypt(&later).unwrap().plaintext, b"later");
    // The sender's own distribution of the chain merges into the import:
    // what bob2 read stays read.
    bob2.add(&dist, alice.identity.public()).unwrap();
    assert_eq!(bob2.chains().count(), 1);
    assert!(matches!(
        bob2.decrypt(&later).unwrap_err(),
        DecryptError::Duplicate { .. }
    ));
    // Another sender's distribution cannot join it.
    let mallory = sender(&mut r);
    assert_eq!(
        bob2.add(
            &mallory.outbound.distribution(&mallory.identity),
            mallory.identity.public()
        )
        .unwrap_err(),
        GroupError::UntrustedSender
    );
}

#[test]
fn a_ring_batch_takes_at_most_max_batch_messages_per_call() {
    use qorgan::limits::MAX_BATCH;
    let mut r = rng(141);
    let mut alice = sender(&mut r);
    let mut ring = SenderKeyRing::new(
        &alice.outbound.distribution(&alice.identity),
        alice.identity.public(),
    )
    .unwrap();
    let genuine = alice
        .outbound
        .encrypt(&mut r, &alice.identity, b"first")
        .unwrap();
    let garbage = [0u8; 3];
    // The genuine message comes just beyond the limit: it is not touched.
    let mut queue: Vec<&[u8]> = vec![&garbage; MAX_BATCH + 1];
    queue[MAX_BATCH] = &genuine;
    let before = ring.to_bytes();
    let results = ring.decrypt_batch(&queue);
    assert_eq!(results.len(), MAX_BATCH + 1);
    assert!(matches!(results[0], Err(DecryptError::Decode(_))));
    assert_eq!(
        results[MAX_BATCH],
        Err(DecryptError::Decode(qorgan::DecodeError::TooLong {
            field: "batch",
            len: MAX_BATCH + 1,
            limit: MAX_BATCH
        }))
    );
    assert_eq!(ring.to_bytes(), before);
    assert_eq!(ring.decrypt(&genuine).unwrap().plaintext, b"first");
}
