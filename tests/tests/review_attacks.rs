//! Second, independent security review of group format version 2 (commit
//! 60f5cbf), through the public API only. Each `review_*` test is a finding
//! of that review, written to assert the safe behaviour: they failed on
//! 60f5cbf (a genuine export far ahead made a merge evict unread keys, and
//! three-copy merges depended on arrival order) and pass since merges
//! refuse rather than evict (§12.8). The others confirm a defence holds.

use qorgan::labels;
use qorgan::limits::{
    MAX_BATCH, MAX_EXPORT_ADVANCE, MAX_GROUP_ITERATION, MAX_GROUP_JUMP, MAX_GROUP_SKIPPED_KEYS,
};
use qorgan::primitives::kdf::hmac_sha256;
use qorgan::verify::{self, Item};
use qorgan::{
    DecodeError, DecryptError, GroupError, GroupPlaintext, InboundGroupSession,
    OutboundGroupSession, SenderKeyAnnouncement, SenderKeyDistribution, SenderKeyRing,
    SignatureError, SignedObject,
};
use qorgan_tests::{GroupMember, group_member, receive, rng};

const GROUP: &[u8] = b"ministry/chat/7";

type Member = GroupMember;

fn member(r: &mut chacha20::ChaCha20Rng, group: &[u8]) -> Member {
    group_member(r, group)
}

fn dist(m: &Member) -> SenderKeyDistribution {
    m.out.distribution(&m.id)
}

fn ring_of(m: &Member) -> SenderKeyRing {
    SenderKeyRing::new(&dist(m), m.id.public()).unwrap()
}

/// Offsets of an outbound state (docs/PROTOCOL.md §7.4) for group id `g`.
fn outbound_offsets(state: &[u8]) -> (usize, usize, usize) {
    let g = state[2] as usize;
    (3 + g, 11 + g, 43 + g) // chain id, chain key, iteration
}

/// The sender's outbound state as if it had sent messages up to `k`
/// (stepping the chain by hand with the §12.1 KDF; cheap, no signing).
fn advance(out: &OutboundGroupSession, k: u32) -> OutboundGroupSession {
    let mut s = out.to_bytes().to_vec();
    let (_, ck_off, i_off) = outbound_offsets(&s);
    let mut ck: [u8; 32] = s[ck_off..ck_off + 32].try_into().unwrap();
    let mut i = u32::from_be_bytes(s[i_off..i_off + 4].try_into().unwrap());
    assert!(i <= k);
    while i < k {
        ck = hmac_sha256(&ck, &[labels::GROUP_CHAIN_KEY_BYTE]);
        i += 1;
    }
    s[ck_off..ck_off + 32].copy_from_slice(&ck);
    s[i_off..i_off + 4].copy_from_slice(&k.to_be_bytes());
    OutboundGroupSession::from_bytes(&s).unwrap()
}

/// The message Alice sends at iteration `k`.
/// The sender's state relabelled to iteration `k` without stepping (a
/// sender that is simply that far along; its chain key is random anyway).
fn relabel(out: &OutboundGroupSession, k: u32) -> OutboundGroupSession {
    let mut s = out.to_bytes().to_vec();
    let (_, _, i_off) = outbound_offsets(&s);
    s[i_off..i_off + 4].copy_from_slice(&k.to_be_bytes());
    OutboundGroupSession::from_bytes(&s).unwrap()
}

fn message_at(r: &mut chacha20::ChaCha20Rng, m: &Member, k: u32, text: &[u8]) -> Vec<u8> {
    advance(&m.out, k).encrypt(r, &m.id, text).unwrap()
}

/// An export (type 0x22) assembled by hand, as a hostile exporter would.
fn export_bytes(a: &SenderKeyAnnouncement, iteration: u32, chain_key: [u8; 32]) -> Vec<u8> {
    let mut b = a.to_bytes();
    b[1] = qorgan::wire::TYPE_GROUP_EXPORT;
    b.extend_from_slice(&iteration.to_be_bytes());
    b.extend_from_slice(&chain_key);
    b
}

fn chain_key_of(export: &[u8]) -> [u8; 32] {
    export[export.len() - 32..].try_into().unwrap()
}

fn snap(ring: &SenderKeyRing) -> Vec<u8> {
    ring.to_bytes().to_vec()
}

// ---------------------------------------------------------------------------
// Findings
// ---------------------------------------------------------------------------

/// FINDING A (medium, fixed): a genuine export, made by anyone holding the
/// chain (any member) at up to `MAX_EXPORT_ADVANCE` iterations ahead, was
/// merged without complaint; the merge kept only `MAX_GROUP_SKIPPED_KEYS` of
/// the keys it stepped over, so every older unread message was silently
/// treated as consumed, and every message Alice sent until she rotated was
/// refused on that device as `Duplicate`. A merge now never evicts: it is
/// refused with `TooManySkippedKeys` and the ring is unchanged.
#[test]
fn review_a_far_ahead_genuine_export_discards_unread_messages() {
    let mut r = rng(7001);
    let mut alice = member(&mut r, GROUP);
    let mut bob = ring_of(&alice);
    // Alice's messages 0..3 are in flight to Bob.
    let in_flight: Vec<Vec<u8>> = (0..3u8)
        .map(|i| alice.out.encrypt(&mut r, &alice.id, &[i]).unwrap())
        .collect();
    // Mallory (a member) holds Alice's chain from the same distribution; she
    // exports it MAX_EXPORT_ADVANCE ahead. The key is the right one.
    let mallory = receive(&alice);
    let export = mallory.export_at(MAX_EXPORT_ADVANCE).unwrap();
    let before = bob.to_bytes();
    let inserted = bob.insert(InboundGroupSession::import(&export).unwrap());
    assert!(
        matches!(inserted, Err(GroupError::TooManySkippedKeys { .. })),
        "{inserted:?}"
    );
    assert_eq!(bob.to_bytes(), before);
    let next = alice.out.encrypt(&mut r, &alice.id, b"after").unwrap();
    // SAFE: the merge is refused (or keeps what it steps over), so nothing
    // Bob has not read is lost and Alice stays readable.
    for (i, m) in in_flight.iter().enumerate() {
        assert!(
            bob.decrypt(m).is_ok(),
            "unread message {i} lost to a genuine export: {:?}",
            bob.decrypt(m)
        );
    }
    assert!(bob.decrypt(&next).is_ok());
}

/// FINDING A, smallest case (fixed): an export only
/// `MAX_GROUP_SKIPPED_KEYS + 3` ahead lost exactly the three oldest unread
/// messages.
#[test]
fn review_a_export_just_past_the_cap_loses_the_oldest_unread() {
    let mut r = rng(7002);
    let mut alice = member(&mut r, GROUP);
    let mut bob = ring_of(&alice);
    let m0 = alice.out.encrypt(&mut r, &alice.id, b"0").unwrap();
    let export = receive(&alice)
        .export_at(MAX_GROUP_SKIPPED_KEYS as u32 + 3)
        .unwrap();
    let res = bob.insert(InboundGroupSession::import(&export).unwrap());
    assert!(
        res.is_err() || bob.decrypt(&m0).is_ok(),
        "merge accepted ({res:?}) and unread message 0 is gone: {:?}",
        bob.decrypt(&m0)
    );
}

/// FINDING B (low, fixed): merging three genuine copies of one chain was
/// not order-independent. §12.7 says arrival order never matters and §12.8 that
/// a merge is the same whichever way round; but (A ⊕ B) ⊕ C ≠ (A ⊕ C) ⊕ B
/// once an intermediate merge hits the skipped-key cap: the keys it drops
/// become "consumed" and stay lost even when the third copy would have
/// made room for them. Which unread messages survive on a device depends on
/// the order the operator (or the user's devices) delivers the copies. A
/// merge now never evicts (it is refused instead), so the outcome, refusals
/// included, is the same in both orders.
#[test]
fn review_b_merge_of_three_copies_depends_on_arrival_order() {
    let mut r = rng(7003);
    let alice = member(&mut r, GROUP);
    // A: Bob's ring, from Alice's distribution at 0 (nothing read).
    let a = receive(&alice);
    // B: an export at 3000 (from a device of Bob's that read up to 2999, or
    // a member's export; the key is genuine).
    let b = InboundGroupSession::import(&receive(&alice).export_at(3000).unwrap()).unwrap();
    // C: a device that joined at 2000 and read 2000..2999.
    let at_2000 = Member {
        id: alice.id.clone(),
        out: advance(&alice.out, 2000),
    };
    let mut c = receive(&at_2000);
    let mut sender = advance(&alice.out, 2000);
    let msgs: Vec<Vec<u8>> = (2000..3000u32)
        .map(|_| sender.encrypt(&mut r, &alice.id, b"x").unwrap())
        .collect();
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    assert!(c.decrypt_batch(&refs).iter().all(Result::is_ok));

    // B alone is too far ahead of A (3000 unread keys): refused. After C
    // (which read 2000..2999) only 2000 unread keys remain and B adds
    // nothing, so it merges. Which calls are refused depends on the order;
    // the ring they leave does not.
    let mut bc = SenderKeyRing::from_session(a.clone());
    assert!(matches!(
        bc.insert(b.clone()),
        Err(GroupError::TooManySkippedKeys {
            keys: 3000,
            limit: 2000
        })
    ));
    bc.insert(c.clone()).unwrap();
    let mut cb = SenderKeyRing::from_session(a);
    cb.insert(c).unwrap();
    cb.insert(b).unwrap();

    let m500 = message_at(&mut r, &alice, 500, b"unread 500");
    let in_bc = bc.clone().decrypt(&m500).map(|p| p.iteration);
    let in_cb = cb.clone().decrypt(&m500).map(|p| p.iteration);
    eprintln!("order B,C: {in_bc:?}; order C,B: {in_cb:?}");
    assert_eq!(
        in_bc, in_cb,
        "message 500 readable in one arrival order only"
    );
    assert_eq!(snap(&bc), snap(&cb), "ring state depends on arrival order");
}

// ---------------------------------------------------------------------------
// Defences confirmed
// ---------------------------------------------------------------------------

/// A hostile exporter shifts the genuine chain key: CK_j labelled as
/// iteration j' ≠ j ("exports at different iterations"). Every message
/// fails the key commitment, merging with the real copy (either order, any
/// shift direction) is refused, and the held ring is unchanged.
#[test]
fn shifted_export_is_caught_by_commitment_and_merge() {
    let mut r = rng(7010);
    let mut alice = member(&mut r, GROUP);
    let d = dist(&alice);
    let genuine = receive(&alice).export_at(5).unwrap();
    let ck5 = chain_key_of(&genuine);
    let msgs: Vec<Vec<u8>> = (0..8u8)
        .map(|i| alice.out.encrypt(&mut r, &alice.id, &[i]).unwrap())
        .collect();
    for label in [0u32, 3, 4, 6, 9] {
        let shifted = export_bytes(&d.announcement, label, ck5);
        let mut s = InboundGroupSession::import(&shifted).unwrap();
        let before = s.to_bytes().to_vec();
        for m in &msgs {
            let e = s.decrypt(m).unwrap_err();
            assert!(
                matches!(
                    e,
                    DecryptError::KeyCommitmentMismatch { .. }
                        | DecryptError::BeforeFirstIteration { .. }
                ),
                "{e:?}"
            );
        }
        assert_eq!(s.to_bytes().to_vec(), before);
        // Real copy first: the shifted one is refused, ring unchanged.
        let mut ring = ring_of_at(&d, &alice);
        let snap0 = snap(&ring);
        let err = ring.insert(s.clone()).unwrap_err();
        assert!(
            matches!(err, GroupError::ConflictingChainKey { .. }),
            "{err:?}"
        );
        assert_eq!(snap(&ring), snap0);
        // Shifted first, real second: refused too (documented DoS), and
        // merge refuses both ways round.
        let real = InboundGroupSession::new(&d, alice.id.public()).unwrap();
        assert!(s.merge(&real).is_err());
        assert!(real.merge(&s).is_err());
    }
    fn ring_of_at(d: &SenderKeyDistribution, m: &Member) -> SenderKeyRing {
        SenderKeyRing::new(d, m.id.public()).unwrap()
    }
}

/// Rewind attempts: after reading, every older copy (the original
/// distribution, an export made before reading, an export at the current
/// position from a device that read less) merges without making any read
/// message readable again; skipped keys survive; merge is commutative.
#[test]
fn no_copy_rewinds_and_merge_is_commutative() {
    let mut r = rng(7011);
    let mut alice = member(&mut r, GROUP);
    let d0 = dist(&alice);
    let early_export = receive(&alice).export_at(0).unwrap();
    let msgs: Vec<Vec<u8>> = (0..10u8)
        .map(|i| alice.out.encrypt(&mut r, &alice.id, &[i]).unwrap())
        .collect();
    let mut bob = InboundGroupSession::new(&d0, alice.id.public()).unwrap();
    // Bob reads 0,1,2, 5 and 9 (3,4,6,7,8 skipped).
    for i in [0usize, 1, 2, 5, 9] {
        bob.decrypt(&msgs[i]).unwrap();
    }
    let mut other = InboundGroupSession::import(&early_export).unwrap();
    other.decrypt(&msgs[3]).unwrap();
    other.decrypt(&msgs[7]).unwrap();
    let copies = [
        InboundGroupSession::new(&d0, alice.id.public()).unwrap(),
        InboundGroupSession::import(&early_export).unwrap(),
        other.clone(),
        InboundGroupSession::import(&other.export_at(other.position()).unwrap()).unwrap(),
    ];
    for c in &copies {
        let ab = bob.merge(c).unwrap();
        let ba = c.merge(&bob).unwrap();
        assert_eq!(ab.to_bytes().to_vec(), ba.to_bytes().to_vec());
        let mut merged = ab;
        for i in [0usize, 1, 2, 5, 9] {
            assert_eq!(
                merged.decrypt(&msgs[i]).unwrap_err(),
                DecryptError::Duplicate { index: i as u32 }
            );
        }
    }
    // bob ⊕ other: neither 3 nor 7 (other read them) nor bob's reads.
    let mut m = bob.merge(&other).unwrap();
    for i in [3usize, 7] {
        assert!(m.decrypt(&msgs[i]).is_err());
    }
    for i in [4usize, 6, 8] {
        assert_eq!(m.decrypt(&msgs[i]).unwrap().iteration, i as u32);
    }
}

/// Chain-id collisions: Mallory (a member) gives her own chain Alice's
/// chain id (by editing her own outbound state, or a chosen RNG). Nothing
/// crosses: Alice's ring refuses Mallory's messages, Mallory's refuses
/// Alice's, and a server's verify agrees. A hostile sender re-using one
/// chain id for two rotations gets `ChainMismatch`, ring unchanged.
#[test]
fn chain_id_collisions_across_senders_and_rotations() {
    let mut r = rng(7012);
    let mut alice = member(&mut r, GROUP);
    let mut mallory = member(&mut r, GROUP);
    let mut s = mallory.out.to_bytes().to_vec();
    let (cid, _, _) = outbound_offsets(&s);
    s[cid..cid + 4].copy_from_slice(&alice.out.chain_id().to_be_bytes());
    mallory.out = OutboundGroupSession::from_bytes(&s).unwrap();
    assert_eq!(mallory.out.chain_id(), alice.out.chain_id());
    let mut alice_ring = ring_of(&alice);
    let mut mallory_ring = ring_of(&mallory);
    let am = alice.out.encrypt(&mut r, &alice.id, b"alice").unwrap();
    let mm = mallory
        .out
        .encrypt(&mut r, &mallory.id, b"mallory")
        .unwrap();
    let (sa, sm) = (snap(&alice_ring), snap(&mallory_ring));
    assert_eq!(
        alice_ring.decrypt(&mm).unwrap_err(),
        DecryptError::Signature(SignatureError::Invalid(SignedObject::GroupMessage))
    );
    assert_eq!(
        mallory_ring.decrypt(&am).unwrap_err(),
        DecryptError::Signature(SignatureError::Invalid(SignedObject::GroupMessage))
    );
    let batch = alice_ring.decrypt_batch(&[&mm, &mm]);
    assert!(batch.iter().all(Result::is_err));
    assert_eq!((snap(&alice_ring), snap(&mallory_ring)), (sa, sm));
    let aa = dist(&alice).announcement;
    let ma = dist(&mallory).announcement;
    assert!(
        verify::verify(&Item::GroupMessage {
            announcement: &aa,
            message: &mm
        })
        .is_err()
    );
    assert!(
        verify::verify(&Item::GroupMessage {
            announcement: &ma,
            message: &am
        })
        .is_err()
    );
    assert!(
        alice_ring
            .decrypt(&am)
            .unwrap()
            .sender
            .ct_eq(alice.id.public())
    );
    assert!(
        mallory_ring
            .decrypt(&mm)
            .unwrap()
            .sender
            .ct_eq(mallory.id.public())
    );
    // Sessions cannot be merged across senders.
    assert_eq!(
        receive(&alice).merge(&receive(&mallory)).unwrap_err(),
        GroupError::ChainMismatch
    );
    assert_eq!(
        alice_ring.insert(receive(&mallory)).unwrap_err(),
        GroupError::UntrustedSender
    );

    // Alice re-uses her chain id for rotation 1.
    let old_id = alice.out.chain_id();
    alice.out.rotate(&mut r, 0).unwrap();
    let mut s = alice.out.to_bytes().to_vec();
    let (cid, _, _) = outbound_offsets(&s);
    s[cid..cid + 4].copy_from_slice(&old_id.to_be_bytes());
    let reused = OutboundGroupSession::from_bytes(&s).unwrap();
    let before = snap(&alice_ring);
    assert_eq!(
        alice_ring
            .add(&reused.distribution(&alice.id), alice.id.public())
            .unwrap_err(),
        GroupError::ChainMismatch
    );
    assert_eq!(snap(&alice_ring), before);
}

/// Same chain id in another group: the message signature covers the group,
/// so Alice's message of group 1 is refused by her group-2 session even
/// with the same chain id and signing key (state edited to force both).
#[test]
fn same_chain_and_signing_key_in_two_groups_do_not_cross() {
    let mut r = rng(7013);
    let mut g1 = member(&mut r, b"g1");
    // Alice's group-2 session: the same state with another group id of the
    // same length (chain id, key, signing seed identical).
    let mut s = g1.out.to_bytes().to_vec();
    s[3..5].copy_from_slice(b"g2");
    let g2 = Member {
        id: g1.id.clone(),
        out: OutboundGroupSession::from_bytes(&s).unwrap(),
    };
    let mut ring2 = ring_of(&g2);
    let m = g1.out.encrypt(&mut r, &g1.id, b"for g1 only").unwrap();
    let before = snap(&ring2);
    assert_eq!(
        ring2.decrypt(&m).unwrap_err(),
        DecryptError::Signature(SignatureError::Invalid(SignedObject::GroupMessage))
    );
    assert_eq!(snap(&ring2), before);
    assert_eq!(
        ring_of(&g1).insert(receive(&g2)).unwrap_err(),
        GroupError::GroupMismatch
    );
}

/// Batch catch-up gives exactly the verdicts, plaintexts and final state of
/// decrypting the same queue one by one, on a hostile mixed queue across
/// three rotations (duplicates, tampered bytes, foreign chains, too far
/// ahead, truncations, a replay of a message read before the batch).
#[test]
fn batch_equals_single_on_a_hostile_queue() {
    let mut r = rng(7014);
    let mut alice = member(&mut r, GROUP);
    let mallory = member(&mut r, GROUP);
    let mut ring = ring_of(&alice);
    let mut queue: Vec<Vec<u8>> = Vec::new();
    let mut read_before = Vec::new();
    for rot in 0..3 {
        if rot > 0 {
            alice.out.rotate(&mut r, 0).unwrap();
            ring.add(&dist(&alice), alice.id.public()).unwrap();
        }
        for i in 0..12u8 {
            let m = alice.out.encrypt(&mut r, &alice.id, &[rot, i]).unwrap();
            if i == 0 {
                read_before.push(m.clone());
            }
            queue.push(m);
        }
    }
    for m in &read_before {
        ring.decrypt(m).unwrap();
    }
    // Too far ahead on the current chain.
    let far = advance(&alice.out, alice.out.iteration() + MAX_GROUP_JUMP + 1)
        .encrypt(&mut r, &alice.id, b"far")
        .unwrap();
    let mut hostile: Vec<Vec<u8>> = queue.clone();
    hostile.reverse();
    hostile.extend(queue.iter().step_by(5).cloned()); // duplicates
    let mut t = queue[4].clone();
    let n = t.len();
    t[n - 70] ^= 1; // ciphertext under the signature
    hostile.push(t);
    let mut t = queue[5].clone();
    t[30] ^= 1; // commitment
    hostile.push(t);
    hostile.push(queue[6][..40].to_vec());
    hostile.push(far);
    let mut mal =
        OutboundGroupSession::from_bytes(&mallory.out.to_bytes()).expect("state round trip");
    hostile.push(mal.encrypt(&mut r, &mallory.id, b"foreign").unwrap());
    hostile.extend(read_before.iter().cloned());
    hostile.push(vec![]);
    hostile.push(vec![2, 0x20]);

    let mut single = ring.clone();
    let mut batched = ring.clone();
    let want: Vec<Result<GroupPlaintext, DecryptError>> =
        hostile.iter().map(|m| single.decrypt(m)).collect();
    let refs: Vec<&[u8]> = hostile.iter().map(Vec::as_slice).collect();
    let got = batched.decrypt_batch(&refs);
    assert_eq!(got, want);
    assert_eq!(snap(&batched), snap(&single));
    // Every genuine message was read exactly once.
    let ok = got.iter().filter(|g| g.is_ok()).count();
    assert_eq!(ok, queue.len() - read_before.len());
    // A second pass reads nothing.
    assert!(batched.decrypt_batch(&refs).iter().all(Result::is_err));
}

/// More than MAX_BATCH messages: the rest are refused untouched (a message
/// past the limit is not consumed and decrypts later).
#[test]
fn oversized_batch_leaves_the_tail_untouched() {
    let mut r = rng(7015);
    let mut alice = member(&mut r, GROUP);
    let mut ring = ring_of(&alice);
    let real = alice.out.encrypt(&mut r, &alice.id, b"tail").unwrap();
    let junk = vec![2u8, 0x20, 0, 0];
    let mut batch: Vec<&[u8]> = vec![&junk; MAX_BATCH];
    batch.push(&real);
    let results = ring.decrypt_batch(&batch);
    assert_eq!(results.len(), MAX_BATCH + 1);
    assert!(matches!(
        results[MAX_BATCH],
        Err(DecryptError::Decode(DecodeError::TooLong {
            field: "batch",
            ..
        }))
    ));
    assert_eq!(ring.decrypt(&real).unwrap().plaintext, b"tail");
}

/// Server verify agrees with device decrypt on every single-byte change of a
/// message, and neither changes state on refusal.
#[test]
fn verify_agrees_with_decrypt_on_every_byte_flip() {
    let mut r = rng(7016);
    let mut alice = member(&mut r, GROUP);
    let ann = dist(&alice).announcement;
    let ann_bytes = ann.to_bytes();
    let mut ring = ring_of(&alice);
    let m = alice
        .out
        .encrypt(&mut r, &alice.id, b"hello group")
        .unwrap();
    let before = snap(&ring);
    let mut items = Vec::new();
    for i in 0..m.len() {
        let mut t = m.clone();
        t[i] ^= 0x80;
        items.push(t);
    }
    let verdicts = verify::verify_encoded_batch(
        &items
            .iter()
            .map(|t| verify::Encoded::GroupMessage {
                announcement: &ann_bytes,
                message: t,
            })
            .collect::<Vec<_>>(),
    );
    for (t, v) in items.iter().zip(&verdicts) {
        let single = verify::verify(&Item::GroupMessage {
            announcement: &ann,
            message: t,
        });
        assert_eq!(v.is_ok(), single.is_ok());
        let d = ring.decrypt(t);
        assert!(d.is_err(), "tampered message decrypted");
        assert!(single.is_err(), "server accepted a tampered message");
        assert_eq!(snap(&ring), before);
    }
    assert!(
        verify::verify(&Item::GroupMessage {
            announcement: &ann,
            message: &m
        })
        .is_ok()
    );
    assert_eq!(ring.decrypt(&m).unwrap().plaintext, b"hello group");
}

/// Failed ring calls change nothing: every refusal of insert/add/decrypt.
#[test]
fn every_refused_ring_call_leaves_state_unchanged() {
    let mut r = rng(7017);
    let mut alice = member(&mut r, GROUP);
    let other = member(&mut r, GROUP);
    let d0 = dist(&alice);
    let mut ring = ring_of(&alice);
    let mut msgs = Vec::new();
    for rot in 1..=3 {
        msgs.push(alice.out.encrypt(&mut r, &alice.id, b"m").unwrap());
        alice.out.rotate(&mut r, 0).unwrap();
        if rot < 3 {
            ring.add(&dist(&alice), alice.id.public()).unwrap();
        }
    }
    // Ring holds rotations 0,1,2 (full). Read one message of rotation 0.
    ring.decrypt(&msgs[0]).unwrap();
    let before = snap(&ring);
    // Rotation 3 arrives later; meanwhile all the refusals:
    let wrong_key = export_bytes(&d0.announcement, 0, [9; 32]);
    let wrong = InboundGroupSession::import(&wrong_key).unwrap();
    let mut conflicting =
        OutboundGroupSession::from_bytes(&alice.out.to_bytes()).expect("state round trip");
    conflicting.rotate(&mut r, 0).unwrap(); // rotation 4
    let mut s = conflicting.to_bytes().to_vec();
    let g = s[2] as usize;
    s[7 + g..11 + g].copy_from_slice(&1u32.to_be_bytes()); // rotation 1 again
    let dup_rotation = OutboundGroupSession::from_bytes(&s).unwrap();
    let results = [
        ring.insert(wrong).unwrap_err(),
        ring.insert(receive(&other)).unwrap_err(),
        ring.add(&dup_rotation.distribution(&alice.id), alice.id.public())
            .unwrap_err(),
        ring.add(&dist(&other), alice.id.public()).unwrap_err(),
    ];
    assert!(matches!(results[0], GroupError::ConflictingChainKey { .. }));
    assert_eq!(results[1], GroupError::UntrustedSender);
    assert_eq!(results[2], GroupError::ConflictingRotation { rotation: 1 });
    assert_eq!(results[3], GroupError::UntrustedSender);
    assert_eq!(snap(&ring), before);
    for m in [&msgs[0], &vec![0u8; 200], &msgs[0][..100].to_vec()] {
        assert!(ring.decrypt(m).is_err());
        assert_eq!(snap(&ring), before);
    }
    // Now rotation 3 pushes out rotation 0, which then stays out.
    ring.add(&dist(&alice), alice.id.public()).unwrap();
    let before = snap(&ring);
    assert_eq!(
        ring.add(&d0, alice.id.public()).unwrap_err(),
        GroupError::RetiredChain {
            rotation: 0,
            oldest: 1
        }
    );
    assert_eq!(snap(&ring), before);
}

/// The end of a chain: a receiver at the last iteration reads it once, its
/// position stops at 2³² − 1, exports and merges there work without
/// wrapping, and nothing panics.
#[test]
fn end_of_chain_never_wraps() {
    let mut r = rng(7018);
    let alice = member(&mut r, GROUP);
    let near = Member {
        id: alice.id.clone(),
        out: relabel(&alice.out, MAX_GROUP_ITERATION - 1),
    };
    let mut bob = receive(&near);
    let mut out = OutboundGroupSession::from_bytes(&near.out.to_bytes()).expect("state round trip");
    let a = out.encrypt(&mut r, &alice.id, b"penultimate").unwrap();
    let b = out.encrypt(&mut r, &alice.id, b"last").unwrap();
    assert!(out.encrypt(&mut r, &alice.id, b"more").is_err());
    assert_eq!(bob.decrypt(&b).unwrap().iteration, MAX_GROUP_ITERATION);
    assert_eq!(bob.position(), u32::MAX);
    let e = bob.export_at(u32::MAX).unwrap();
    let imported = InboundGroupSession::import(&e).unwrap();
    let merged = bob.merge(&imported).unwrap();
    assert_eq!(merged.position(), u32::MAX);
    let mut merged2 = imported.merge(&bob).unwrap();
    assert_eq!(merged.to_bytes().to_vec(), merged2.to_bytes().to_vec());
    assert_eq!(merged2.decrypt(&a).unwrap().plaintext, b"penultimate");
    assert!(merged2.decrypt(&b).is_err());
    assert!(bob.export_at(0).is_err());
}

/// No panic and bounded work on truncated or bit-flipped encodings of every
/// group format (state, export, distribution, announcement, message).
#[test]
fn no_panic_on_mangled_group_encodings() {
    let mut r = rng(7019);
    let mut alice = member(&mut r, GROUP);
    let mut ring = ring_of(&alice);
    let msgs: Vec<Vec<u8>> = (0..4u8)
        .map(|i| alice.out.encrypt(&mut r, &alice.id, &[i]).unwrap())
        .collect();
    ring.decrypt(&msgs[2]).unwrap();
    alice.out.rotate(&mut r, 0).unwrap();
    ring.add(&dist(&alice), alice.id.public()).unwrap();
    let ring_state = snap(&ring);
    let inbound_state = ring.current().unwrap().to_bytes().to_vec();
    let out_state = alice.out.to_bytes().to_vec();
    let export = ring.export_current().unwrap().to_vec();
    let distribution = dist(&alice).to_bytes().to_vec();
    let announcement = dist(&alice).announcement.to_bytes();
    for (name, bytes) in [
        ("ring", &ring_state),
        ("inbound", &inbound_state),
        ("outbound", &out_state),
        ("export", &export),
        ("distribution", &distribution),
        ("announcement", &announcement),
        ("message", &msgs[3]),
    ] {
        let mut variants: Vec<Vec<u8>> = (0..bytes.len()).map(|n| bytes[..n].to_vec()).collect();
        for i in 0..bytes.len() {
            for bit in [0x01u8, 0x80] {
                let mut t = bytes.clone();
                t[i] ^= bit;
                variants.push(t);
            }
        }
        let mut longer = bytes.clone();
        longer.push(0);
        variants.push(longer);
        for v in &variants {
            let _ = SenderKeyRing::from_bytes(v);
            let _ = InboundGroupSession::from_bytes(v);
            let _ = OutboundGroupSession::from_bytes(v);
            if name != "ring" && name != "inbound" && name != "outbound" {
                let _ = InboundGroupSession::import(v);
                let _ = SenderKeyDistribution::from_bytes(v);
                let _ = SenderKeyAnnouncement::from_bytes(v);
                let mut c = ring.clone();
                let _ = c.decrypt(v);
            }
            // Loaded state must be usable without panics.
            if let Ok(mut s) = SenderKeyRing::from_bytes(v) {
                for m in &msgs {
                    let _ = s.decrypt(m);
                }
                let _ = s.export_current();
                let _ = s.decrypt_batch(&[&msgs[0], &msgs[1]]);
            }
        }
    }
}
