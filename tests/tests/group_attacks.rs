//! The group findings of the attacker-minded review (issue 9), each written
//! as the attack itself: the attacker's steps through the public API, then
//! what must happen. Under group version 1 every one of these went through
//! (forgeries decrypted "from Alice", a message accepted as two authors',
//! rewinds, order-dependent merges, arrival order taken for age, a wrapping
//! iteration, equivocation); see docs/THREAT_MODEL.md for what is left.

use qorgan::labels;
use qorgan::limits::{MAX_GROUP_ITERATION, MAX_RETIRED_SENDER_CHAINS};
use qorgan::primitives::ed25519::{Ed25519SigningKey, Signature};
use qorgan::verify::{self, Item};
use qorgan::{
    DecodeError, DecryptError, EncryptError, GroupError, IdentityKeyPair, InboundGroupSession,
    OutboundGroupSession, PreKeyStore, SenderKeyAnnouncement, SenderKeyRing, SignatureError,
    SignedObject, VerifyError,
};
use qorgan_tests::{GroupMember, group_member, receive, rng};

const GROUP: &[u8] = b"ministry/chat/7";

fn member(r: &mut chacha20::ChaCha20Rng, group: &[u8]) -> GroupMember {
    group_member(r, group)
}

/// `F` of docs/PROTOCOL.md §12.2, as an attacker computes it.
fn announced_fields(a: &SenderKeyAnnouncement) -> Vec<u8> {
    let mut f = a.sender.signing_key().as_bytes().to_vec();
    f.push(a.group_id.len() as u8);
    f.extend_from_slice(&a.group_id);
    f.extend_from_slice(&a.chain_id.to_be_bytes());
    f.extend_from_slice(&a.rotation.to_be_bytes());
    f.extend_from_slice(a.signing_key.as_bytes());
    f
}

/// A member's own identity signing key, as she reads it from her own saved
/// prekey store (docs/PROTOCOL.md §7.3: the Ed25519 seed comes first).
fn own_identity_key(r: &mut chacha20::ChaCha20Rng, id: &IdentityKeyPair) -> Ed25519SigningKey {
    let state = PreKeyStore::new(r, id.clone(), 0).to_bytes();
    Ed25519SigningKey::from_seed(&state[2..34].try_into().unwrap())
}

fn sign(key: &Ed25519SigningKey, label: &[u8], fields: &[u8]) -> Signature {
    key.sign(&[label, fields].concat())
}

/// An export (type 0x22) of `announcement` at `iteration` with `chain_key`,
/// assembled by hand as a hostile exporter would.
fn export_bytes(
    announcement: &SenderKeyAnnouncement,
    iteration: u32,
    chain_key: [u8; 32],
) -> Vec<u8> {
    let mut b = announcement.to_bytes();
    b[1] = qorgan::wire::TYPE_GROUP_EXPORT;
    b.extend_from_slice(&iteration.to_be_bytes());
    b.extend_from_slice(&chain_key);
    b
}

/// The chain key an export carries (its last 32 bytes).
fn chain_key_of(export: &[u8]) -> [u8; 32] {
    export[export.len() - 32..].try_into().unwrap()
}

fn signed_by(err: GroupError) -> Option<SignedObject> {
    match err {
        GroupError::Verify(VerifyError::Signature(SignatureError::Invalid(what))) => Some(what),
        _ => None,
    }
}

/// Finding 1: an export names Alice as sender with the exporter's own
/// signing key, then the exporter signs messages "from Alice".
#[test]
fn finding_1_an_export_cannot_carry_a_signing_key_alice_did_not_announce() {
    let mut r = rng(901);
    let alice = member(&mut r, GROUP);
    let mallory_key = Ed25519SigningKey::generate(&mut r);
    let mut bob = receive(&alice);
    let genuine = bob.export_at(bob.position()).unwrap();

    // Mallory swaps in her key and proves possession of it; she cannot
    // redo Alice's identity signature over the changed fields.
    let mut forged = alice.out.distribution(&alice.id).announcement.clone();
    forged.signing_key = mallory_key.public_key();
    forged.possession = sign(
        &mallory_key,
        labels::SENDER_KEY_POSSESSION,
        &announced_fields(&forged),
    );
    let export = export_bytes(&forged, 0, chain_key_of(&genuine));
    let err = InboundGroupSession::import(&export).unwrap_err();
    assert_eq!(signed_by(err), Some(SignedObject::SenderKeyDistribution));

    // Keeping Alice's identity signature and only swapping the key fails on
    // the possession proof first.
    let mut swapped = alice.out.distribution(&alice.id).announcement.clone();
    swapped.signing_key = mallory_key.public_key();
    let err = InboundGroupSession::import(&export_bytes(&swapped, 0, [0; 32])).unwrap_err();
    assert_eq!(signed_by(err), Some(SignedObject::SenderKeyPossession));

    // A genuine export still imports, and the ring it starts reads Alice.
    let mut ring = SenderKeyRing::from_session(InboundGroupSession::import(&genuine).unwrap());
    let mut alice_out = alice.out;
    let m = alice_out.encrypt(&mut r, &alice.id, b"real").unwrap();
    let read = ring.decrypt(&m).unwrap();
    assert!(read.sender.ct_eq(alice.id.public()));
    // Messages signed by Mallory's key never decrypt on Alice's chain.
    let mut fake = m.clone();
    let n = fake.len();
    let sig = mallory_key.sign(&fake[..n - 64]).to_bytes();
    fake[n - 64..].copy_from_slice(&sig);
    assert_eq!(
        bob.decrypt(&fake).unwrap_err(),
        DecryptError::Signature(SignatureError::Invalid(SignedObject::GroupMessage))
    );
}

/// Finding 2: Mallory announces Alice's chain id and signing key under her
/// own identity, so that Alice's messages read as Mallory's (and the same
/// bytes are accepted in two groups as two authors').
#[test]
fn finding_2_no_member_can_announce_another_members_chain() {
    let mut r = rng(902);
    let mut alice = member(&mut r, GROUP);
    let mallory = IdentityKeyPair::generate(&mut r);
    let mallory_key = own_identity_key(&mut r, &mallory);
    assert_eq!(mallory_key.public_key(), *mallory.public().signing_key());
    let alice_announcement = alice.out.distribution(&alice.id).announcement.clone();

    // Mallory's announcement: Alice's chain id, rotation, signing key and
    // possession proof, her own identity and identity signature.
    let mut claim = alice_announcement.clone();
    claim.sender = *mallory.public();
    claim.signature = sign(&mallory_key, labels::SENDER_KEY, &announced_fields(&claim));
    let bytes = claim.to_bytes();
    assert_eq!(
        SenderKeyAnnouncement::from_bytes(&bytes).unwrap_err(),
        VerifyError::Signature(SignatureError::Invalid(SignedObject::SenderKeyPossession))
    );
    assert!(verify::verify(&Item::Announcement(&bytes)).is_err());
    // The same in another group: possession binds the group too.
    let mut other_group = alice_announcement.clone();
    other_group.group_id = b"other".to_vec();
    other_group.sender = *mallory.public();
    other_group.signature = sign(
        &mallory_key,
        labels::SENDER_KEY,
        &announced_fields(&other_group),
    );
    assert!(SenderKeyAnnouncement::from_bytes(&other_group.to_bytes()).is_err());

    // And the message signature names its author: Alice's message does not
    // verify under an announcement naming anyone else, even one the server
    // accepted without checks.
    let m = alice.out.encrypt(&mut r, &alice.id, b"orders").unwrap();
    assert!(
        verify::verify(&Item::GroupMessage {
            announcement: &alice_announcement,
            message: &m
        })
        .is_ok()
    );
    assert_eq!(
        verify::verify(&Item::GroupMessage {
            announcement: &claim,
            message: &m
        }),
        Err(VerifyError::Signature(SignatureError::Invalid(
            SignedObject::GroupMessage
        )))
    );
    assert!(
        verify::verify(&Item::GroupMessage {
            announcement: &other_group,
            message: &m
        })
        .is_err()
    );
}

/// Finding 3: merging an older copy of a chain (a delayed redistribution,
/// an export made before reading, a backup) made consumed iterations
/// decrypt again.
#[test]
fn finding_3_merges_never_rewind() {
    let mut r = rng(903);
    let mut alice = member(&mut r, GROUP);
    let early = alice.out.distribution(&alice.id);
    let mut ring = SenderKeyRing::new(&early, alice.id.public()).unwrap();
    let backup = ring.export_current().unwrap();
    let msgs: Vec<Vec<u8>> = (0..5u8)
        .map(|i| alice.out.encrypt(&mut r, &alice.id, &[i]).unwrap())
        .collect();
    // Bob reads 0, 1, 3 and 4; 2 is still in flight.
    for i in [0, 1, 3, 4] {
        ring.decrypt(&msgs[i]).unwrap();
    }
    // The operator replays the first distribution, then Bob's app restores
    // the early export.
    ring.add(&early, alice.id.public()).unwrap();
    ring.insert(InboundGroupSession::import(&backup).unwrap())
        .unwrap();
    for i in [0, 1, 3, 4] {
        assert_eq!(
            ring.decrypt(&msgs[i]).unwrap_err(),
            DecryptError::Duplicate { index: i as u32 }
        );
    }
    // What was never read stays readable, once.
    assert_eq!(ring.decrypt(&msgs[2]).unwrap().plaintext, [2]);
    assert!(ring.decrypt(&msgs[2]).is_err());
}

/// Finding 4: copies whose chain keys differ merged in an order-dependent
/// way, and the ring could hold the wrong key while reporting verified.
#[test]
fn finding_4_conflicting_copies_are_refused_whatever_the_order() {
    let mut r = rng(904);
    let mut alice = member(&mut r, GROUP);
    let genuine = receive(&alice);
    let export = genuine.export_at(0).unwrap();
    let mut wrong_key = chain_key_of(&export);
    wrong_key[0] ^= 1;
    let announcement = genuine.announcement().clone();
    let bad = InboundGroupSession::import(&export_bytes(&announcement, 0, wrong_key)).unwrap();

    assert_eq!(
        genuine.merge(&bad).unwrap_err(),
        GroupError::ConflictingChainKey {
            chain_id: genuine.chain_id()
        }
    );
    assert_eq!(
        bad.merge(&genuine).unwrap_err(),
        GroupError::ConflictingChainKey {
            chain_id: genuine.chain_id()
        }
    );
    // Also when the copies are at different positions.
    let mut ahead = genuine.clone();
    let m0 = alice.out.encrypt(&mut r, &alice.id, b"0").unwrap();
    let m1 = alice.out.encrypt(&mut r, &alice.id, b"1").unwrap();
    ahead.decrypt(&m1).unwrap();
    assert!(matches!(
        bad.merge(&ahead),
        Err(GroupError::ConflictingChainKey { .. })
    ));
    assert!(matches!(
        ahead.merge(&bad),
        Err(GroupError::ConflictingChainKey { .. })
    ));

    // A ring that started from the bad export keeps it and says why every
    // message fails; the sender's own distribution cannot be merged in.
    let mut ring = SenderKeyRing::from_session(bad);
    let before = ring.to_bytes();
    assert!(matches!(
        ring.add(&alice.out.distribution(&alice.id), alice.id.public()),
        Err(GroupError::ConflictingChainKey { .. }) | Err(GroupError::IterationUnavailable { .. })
    ));
    assert_eq!(ring.to_bytes(), before);
    assert_eq!(
        ring.decrypt(&m0).unwrap_err(),
        DecryptError::KeyCommitmentMismatch { iteration: 0 }
    );
    assert_eq!(ring.to_bytes(), before);

    // Agreeing copies merge to the same result either way round.
    let a = genuine.clone();
    let mut b = genuine.clone();
    b.decrypt(&m1).unwrap();
    assert_eq!(
        a.merge(&b).unwrap().to_bytes(),
        b.merge(&a).unwrap().to_bytes()
    );
}

/// Finding 5: arrival order was taken for age. Four rotations delivered
/// newest-first dropped the real current chain, and `export_current` could
/// hand a retired chain to a new device.
#[test]
fn finding_5_chains_are_ordered_by_rotation_not_arrival() {
    let mut r = rng(905);
    let mut alice = member(&mut r, GROUP);
    let mut dists = vec![alice.out.distribution(&alice.id)];
    let mut last = Vec::new();
    for _ in 0..4 {
        alice.out.rotate(&mut r, 0).unwrap();
        dists.push(alice.out.distribution(&alice.id));
        last = alice.out.encrypt(&mut r, &alice.id, b"current").unwrap();
    }
    // The operator delivers rotations 4, 3, 2, 1, 0.
    let mut ring = SenderKeyRing::new(&dists[4], alice.id.public()).unwrap();
    for rotation in [3usize, 2] {
        ring.add(&dists[rotation], alice.id.public()).unwrap();
    }
    for rotation in [1usize, 0] {
        assert_eq!(
            ring.add(&dists[rotation], alice.id.public()).unwrap_err(),
            GroupError::RetiredChain {
                rotation: rotation as u32,
                oldest: 2
            }
        );
    }
    let rotations: Vec<u32> = ring.chains().map(InboundGroupSession::rotation).collect();
    assert_eq!(rotations, [2, 3, 4]);
    assert_eq!(rotations.len(), MAX_RETIRED_SENDER_CHAINS + 1);
    assert_eq!(ring.current().unwrap().rotation(), 4);
    assert_eq!(ring.decrypt(&last).unwrap().rotation, 4);
    let handed_on = InboundGroupSession::import(&ring.export_current().unwrap()).unwrap();
    assert_eq!(handed_on.rotation(), 4);
    // A second chain claiming a rotation already held is equivocation.
    let mut twin = member(&mut r, GROUP).out;
    for _ in 0..3 {
        twin.rotate(&mut r, 0).unwrap();
    }
    assert_eq!(
        ring.add(&twin.distribution(&alice.id), alice.id.public())
            .unwrap_err(),
        GroupError::ConflictingRotation { rotation: 3 }
    );
}

/// Finding 6: a crafted message at iteration 2^32-1 was accepted; the
/// position wrapped to 0 and the saved state no longer loaded.
#[test]
fn finding_6_iterations_never_wrap() {
    let mut r = rng(906);
    let alice = member(&mut r, GROUP);
    let mut bob = receive(&alice);
    // Alice (hostile) re-signs one of her messages at iteration 2^32 - 1 with
    // her chain key, read from her own saved state.
    let mut out = alice.out;
    let mut m = out.encrypt(&mut r, &alice.id, b"wrap").unwrap();
    let state = out.to_bytes();
    let g = GROUP.len();
    let seed: [u8; 32] = state[47 + g..79 + g].try_into().unwrap();
    let chain_key = Ed25519SigningKey::from_seed(&seed);
    m[6..10].copy_from_slice(&u32::MAX.to_be_bytes());
    let n = m.len();
    let mut signed = labels::GROUP_MESSAGE.to_vec();
    signed.extend_from_slice(alice.id.public().signing_key().as_bytes());
    signed.push(g as u8);
    signed.extend_from_slice(GROUP);
    signed.extend_from_slice(&m[..n - 64]);
    let sig = chain_key.sign(&signed).to_bytes();
    m[n - 64..].copy_from_slice(&sig);
    let before = bob.to_bytes();
    assert_eq!(
        bob.decrypt(&m).unwrap_err(),
        DecryptError::Decode(DecodeError::InvalidField("group iteration"))
    );
    assert_eq!(bob.to_bytes(), before);

    // A chain at its last iteration: one message, then no more, and the
    // state still loads on both sides.
    let mut at_end = state.to_vec();
    at_end[43 + g..47 + g].copy_from_slice(&MAX_GROUP_ITERATION.to_be_bytes());
    let mut out = OutboundGroupSession::from_bytes(&at_end).unwrap();
    let mut reader =
        InboundGroupSession::new(&out.distribution(&alice.id), alice.id.public()).unwrap();
    let last = out.encrypt(&mut r, &alice.id, b"last").unwrap();
    assert_eq!(
        reader.decrypt(&last).unwrap().iteration,
        MAX_GROUP_ITERATION
    );
    assert_eq!(reader.position(), u32::MAX);
    assert!(matches!(
        out.encrypt(&mut r, &alice.id, b"more"),
        Err(EncryptError::RotationRequired(_)) | Err(EncryptError::ChainExhausted(_))
    ));
    let reloaded = InboundGroupSession::from_bytes(&reader.to_bytes()).unwrap();
    assert_eq!(reloaded.position(), u32::MAX);
    let ring = SenderKeyRing::from_session(reloaded);
    assert!(SenderKeyRing::from_bytes(&ring.to_bytes()).is_ok());
    assert!(OutboundGroupSession::from_bytes(&out.to_bytes()).is_ok());
    assert!(reader.export_at(u32::MAX).is_ok());
}

/// Finding 7: a sender gave members different chain keys and published one
/// signed ciphertext that opened to different plaintexts for each.
#[test]
fn finding_7_one_signed_message_opens_to_one_plaintext_for_everyone() {
    let mut r = rng(907);
    let alice = member(&mut r, GROUP);
    let honest = alice.out.distribution(&alice.id);
    // Alice hands Carol a different chain key under the same announcement.
    let mut forked_state = alice.out.to_bytes().to_vec();
    let g = GROUP.len();
    forked_state[11 + g] ^= 0x55;
    let forked = OutboundGroupSession::from_bytes(&forked_state).unwrap();
    let to_carol = forked.distribution(&alice.id);
    assert_eq!(honest.announcement, to_carol.announcement);
    let mut bob = InboundGroupSession::new(&honest, alice.id.public()).unwrap();
    let mut carol = InboundGroupSession::new(&to_carol, alice.id.public()).unwrap();

    let mut out = alice.out;
    let m = out.encrypt(&mut r, &alice.id, b"attack at dawn").unwrap();
    assert_eq!(bob.decrypt(&m).unwrap().plaintext, b"attack at dawn");
    assert_eq!(
        carol.decrypt(&m).unwrap_err(),
        DecryptError::KeyCommitmentMismatch { iteration: 0 }
    );
    // The copies cannot be reconciled either.
    assert!(matches!(
        bob.merge(&carol),
        Err(GroupError::ConflictingChainKey { .. })
    ));
}

/// Finding 8 (correctness half; the cost bound is measured by the
/// `group_catch_up/qorgan_hostile_batch/500` benchmark): a catch-up in
/// which every fourth signature is bad gives exactly single verification's
/// verdicts.
#[test]
fn finding_8_hostile_batches_get_single_verifications_verdicts() {
    let mut r = rng(908);
    let mut alice = member(&mut r, GROUP);
    let bob = receive(&alice);
    let msgs: Vec<Vec<u8>> = (0..200u32)
        .map(|i| {
            let mut m = alice
                .out
                .encrypt(&mut r, &alice.id, &i.to_be_bytes())
                .unwrap();
            if i % 4 == 3 {
                let n = m.len();
                m[n - 1] ^= 1;
            }
            m
        })
        .collect();
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    let batch = bob.clone().decrypt_batch(&refs);
    let mut one_by_one = bob.clone();
    let single: Vec<_> = refs.iter().map(|m| one_by_one.decrypt(m)).collect();
    assert_eq!(batch, single);
    assert_eq!(batch.iter().filter(|r| r.is_err()).count(), 50);
}

/// Finding 9: group chains used the 1:1 chain's HMAC inputs.
#[test]
fn finding_9_group_chains_have_their_own_labels() {
    assert_ne!(labels::GROUP_MESSAGE_KEY_BYTE, labels::MESSAGE_KEY_BYTE);
    assert_ne!(labels::GROUP_CHAIN_KEY_BYTE, labels::CHAIN_KEY_BYTE);
    assert_ne!(labels::GROUP_MESSAGE_KEY_BYTE, labels::CHAIN_KEY_BYTE);
    assert_ne!(labels::GROUP_CHAIN_KEY_BYTE, labels::MESSAGE_KEY_BYTE);
    // And a group chain key used as a 1:1 chain key yields other keys.
    let mut r = rng(909);
    let alice = member(&mut r, GROUP);
    let reader = receive(&alice);
    let ck = chain_key_of(&reader.export_at(0).unwrap());
    let (one_to_one_mk, _) = qorgan::internals::kdf_ck(&ck);
    let mut out = alice.out;
    let m = out.encrypt(&mut r, &alice.id, b"x").unwrap();
    // The message's commitment is not the commitment of the 1:1 key.
    let commitment =
        qorgan::primitives::kdf::hmac_sha256(&one_to_one_mk, labels::GROUP_KEY_COMMITMENT);
    assert_ne!(&m[22..54], &commitment);
}

/// Provenance: what a decrypt returns is what the signature covered.
#[test]
fn decrypts_return_the_signed_provenance() {
    let mut r = rng(910);
    let mut alice = member(&mut r, GROUP);
    let mut ring =
        SenderKeyRing::new(&alice.out.distribution(&alice.id), alice.id.public()).unwrap();
    let m0 = alice.out.encrypt(&mut r, &alice.id, b"a").unwrap();
    alice.out.rotate(&mut r, 5).unwrap();
    ring.add(&alice.out.distribution(&alice.id), alice.id.public())
        .unwrap();
    let _skip = alice.out.encrypt(&mut r, &alice.id, b"b").unwrap();
    let m2 = alice.out.encrypt(&mut r, &alice.id, b"c").unwrap();
    let results = ring.decrypt_batch(&[&m2, &m0]);
    let c = results[0].as_ref().unwrap();
    let a = results[1].as_ref().unwrap();
    assert_eq!(
        (c.rotation, c.iteration, c.plaintext.as_slice()),
        (1, 1, &b"c"[..])
    );
    assert_eq!(
        (a.rotation, a.iteration, a.plaintext.as_slice()),
        (0, 0, &b"a"[..])
    );
    for p in [a, c] {
        assert!(p.sender.ct_eq(alice.id.public()));
        assert_eq!(p.group_id, GROUP);
    }
    assert_eq!(c.chain_id, alice.out.chain_id());
}

/// Rollback: a sender whose outbound state was restored encrypts the same
/// iteration again; the two messages share no keystream (distinct nonces),
/// and receivers accept only the first.
#[test]
fn a_rolled_back_sender_never_repeats_a_keystream() {
    let mut r = rng(911);
    let alice = member(&mut r, GROUP);
    let mut bob = receive(&alice);
    let saved = alice.out.to_bytes();
    let mut first = OutboundGroupSession::from_bytes(&saved).unwrap();
    let mut restored = OutboundGroupSession::from_bytes(&saved).unwrap();
    let p1 = [0u8; 64];
    let p2 = [0xFFu8; 64];
    let c1 = first.encrypt(&mut r, &alice.id, &p1).unwrap();
    let c2 = restored.encrypt(&mut r, &alice.id, &p2).unwrap();
    assert_eq!(c1[6..10], c2[6..10], "same iteration");
    assert_ne!(c1[10..22], c2[10..22], "different nonces");
    // p1 ⊕ p2 is not c1 ⊕ c2: the keystreams differ.
    let x: Vec<u8> = c1[54..118]
        .iter()
        .zip(&c2[54..118])
        .map(|(a, b)| a ^ b)
        .collect();
    assert_ne!(x, vec![0xFF; 64]);
    assert_eq!(bob.decrypt(&c1).unwrap().plaintext, p1);
    assert_eq!(
        bob.decrypt(&c2).unwrap_err(),
        DecryptError::Duplicate { index: 0 }
    );
}

/// One state, one encoding: skipped keys out of order, or ring chains out of
/// rotation order, are refused (the fuzz corpus keeps the first, in a ring,
/// as `state_group/regression-unsorted-skipped-keys`).
#[test]
fn group_state_has_one_encoding() {
    let mut r = rng(912);
    let mut alice = member(&mut r, GROUP);
    let mut bob = receive(&alice);
    let msgs: Vec<Vec<u8>> = (0..3u8)
        .map(|i| alice.out.encrypt(&mut r, &alice.id, &[i]).unwrap())
        .collect();
    bob.decrypt(&msgs[2]).unwrap();
    let state = bob.to_bytes().to_vec();
    // The two skipped keys (iterations 0 and 1) are the last 72 bytes.
    let n = state.len();
    let mut swapped = state.clone();
    swapped[n - 72..n - 36].copy_from_slice(&state[n - 36..]);
    swapped[n - 36..].copy_from_slice(&state[n - 72..n - 36]);
    assert_eq!(
        InboundGroupSession::from_bytes(&swapped).unwrap_err(),
        qorgan::StateError::Decode(DecodeError::InvalidField(
            "skipped key iterations not ascending"
        ))
    );
    // A ring whose chains are not in ascending rotation order.
    alice.out.rotate(&mut r, 0).unwrap();
    let mut ring = SenderKeyRing::from_session(bob);
    ring.add(&alice.out.distribution(&alice.id), alice.id.public())
        .unwrap();
    let bytes = ring.to_bytes().to_vec();
    let first_len = InboundGroupSession::to_bytes(ring.chains().next().unwrap()).len() - 2;
    let (head, bodies) = bytes.split_at(6);
    let (a, b) = bodies.split_at(first_len);
    let reordered = [head, b, a].concat();
    assert_eq!(
        SenderKeyRing::from_bytes(&reordered).unwrap_err(),
        qorgan::StateError::Decode(DecodeError::InvalidField(
            "ring chains not in ascending rotation order"
        ))
    );
    assert!(SenderKeyRing::from_bytes(&bytes).is_ok());
}
