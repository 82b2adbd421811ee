//! Issue 10, findings 3, 4 and 5, as the attacker would run them, through
//! the public API.
//!
//! 3. The operator strips one-time keys from every bundle it serves and so
//!    pushes every initiator onto the last-resort ML-KEM prekey; if that key
//!    lives as long as the device, seizing the device later opens the
//!    post-quantum share of all those handshakes. Now: rotation is due after
//!    `PREKEY_ROTATION_SECS`, `upload` rotates, and a retired key is refused
//!    and deleted `MAX_RETIRED_PREKEY_AGE_SECS` after its retirement.
//! 4. Sealed state named only its kind: two sealed sessions swapped (or an
//!    older copy put back) opened without complaint. Now the envelope binds
//!    the owner and a generation, and `open` checks both.
//! 5. `bundles(max)` handed the same unused one-time keys out again at each
//!    call, and every re-upload was full bundles. Now each one-time key goes
//!    out once, and `upload` carries only what the server lacks, signed.

use qorgan::limits::{MAX_ONE_TIME_PREKEYS, MAX_RETIRED_PREKEY_AGE_SECS, PREKEY_ROTATION_SECS};
use qorgan::verify::{Item, verify};
use qorgan::{
    Expected, HandshakeError, IdentityKeyPair, KemPreKeyKind, OutboundGroupSession, PreKeyBundle,
    PreKeyStore, PreKeyUpload, RotationPolicy, SenderKeyRing, Session, SignatureError,
    SignedObject, StateError, StateOwner, StorageKey, VerifyError,
};
use qorgan_tests::{established, rng};

/// Unix time of the first day in these tests.
const T0: u64 = 1_790_000_000;
const DAY: u64 = 86_400;

/// What the operator serves from Bob's upload: his signed and last-resort
/// prekeys, every one-time key stripped.
fn stripped_bundle(upload: &PreKeyUpload) -> PreKeyBundle {
    let bundle = PreKeyBundle {
        identity: *upload.identity(),
        signed_prekey: upload.signed_prekey().unwrap().clone(),
        kem_prekey: upload.last_resort_kem_prekey().unwrap().clone(),
        one_time_prekey: None,
    };
    PreKeyBundle::from_bytes(&bundle.to_bytes()).unwrap()
}

fn first_message(r: &mut chacha20::ChaCha20Rng, bundle: &PreKeyBundle) -> Vec<u8> {
    let id = IdentityKeyPair::generate(r);
    Session::initiate(r, &id, bundle)
        .unwrap()
        .encrypt(r, b"report")
        .unwrap()
}

#[test]
fn a_last_resort_key_the_operator_steers_everyone_onto_is_retired_then_deleted() {
    let mut r = rng(1101);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut bob = PreKeyStore::new(&mut r, bob_id, T0);
    bob.generate_one_time_prekeys(&mut r, 5);
    let first_upload = bob.upload(&mut r, T0).unwrap();
    let server_copy = PreKeyUpload::from_bytes(&first_upload.to_bytes()).unwrap();

    // The operator strips the one-time keys: handshakes on the last resort.
    let old = stripped_bundle(&server_copy);
    assert_eq!(old.kem_prekey.kind, KemPreKeyKind::LastResort);
    let on_old = [
        first_message(&mut r, &old),
        first_message(&mut r, &old),
        first_message(&mut r, &old),
    ];
    assert!(bob.accept(&on_old[0], T0 + 3600).is_ok());

    // A week on, rotation is due; the periodic upload rotates both keys.
    assert!(!bob.needs_rotation(T0 + PREKEY_ROTATION_SECS - 1));
    let rotated_at = T0 + PREKEY_ROTATION_SECS;
    assert!(bob.needs_rotation(rotated_at));
    let second = bob.upload(&mut r, rotated_at).unwrap();
    assert_ne!(
        second.signed_prekey().unwrap().id,
        old.signed_prekey.id,
        "a new signed prekey"
    );
    assert_ne!(
        second.last_resort_kem_prekey().unwrap().id,
        old.kem_prekey.id,
        "a new last-resort key"
    );
    assert!(second.one_time_prekeys().is_empty(), "nothing else is new");
    assert!(!bob.needs_rotation(rotated_at));

    // First messages on the retired keys still open for a while...
    let expiry = rotated_at + MAX_RETIRED_PREKEY_AGE_SECS;
    assert!(bob.accept(&on_old[1], expiry - 1).is_ok());
    // ...and not from the maximum age on, whatever the operator replays.
    let before = bob.to_bytes();
    assert_eq!(
        bob.accept(&on_old[2], expiry).unwrap_err(),
        HandshakeError::ExpiredSignedPreKey(old.signed_prekey.id)
    );
    assert_eq!(bob.to_bytes(), before, "a refusal changes nothing");
    // Pruning deletes the retired keys: a device seized afterwards holds no
    // secret that opens those handshakes.
    assert_eq!(bob.prune(expiry), 2);
    assert_eq!(
        bob.accept(&on_old[2], expiry).unwrap_err(),
        HandshakeError::UnknownSignedPreKey(old.signed_prekey.id)
    );
    // New handshakes use the new keys.
    let new = stripped_bundle(&PreKeyUpload::from_bytes(&second.to_bytes()).unwrap());
    assert!(bob.accept(&first_message(&mut r, &new), expiry).is_ok());
}

#[test]
fn a_retired_last_resort_key_alone_expires_too() {
    let mut r = rng(1102);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut bob = PreKeyStore::new(&mut r, bob_id, T0);
    let mut b = bob.bundle().unwrap();
    let on_old = first_message(&mut r, &b);
    // Only the last-resort key rotates; the signed prekey stays current.
    let rotated_at = T0 + DAY;
    bob.rotate_last_resort_kem_prekey(&mut r, rotated_at);
    assert!(bob.last_resort_kem_prekey().unwrap().id != b.kem_prekey.id);
    let expiry = rotated_at + MAX_RETIRED_PREKEY_AGE_SECS;
    assert_eq!(
        bob.accept(&on_old, expiry).unwrap_err(),
        HandshakeError::ExpiredKemPreKey(b.kem_prekey.id)
    );
    assert!(bob.accept(&on_old, expiry - 1).is_ok());
    // A clock set back before the rotation does not bring expiry forward.
    b = bob.bundle().unwrap();
    assert!(bob.accept(&first_message(&mut r, &b), 0).is_ok());
}

#[test]
fn swapped_and_rolled_back_sealed_state_is_refused() {
    let mut r = rng(1103);
    let key = StorageKey::generate(&mut r);
    // Alice holds sessions with Bob and with Carol, sealed under one key.
    let mut with_bob = established(&mut r).alice;
    let mut with_carol = established(&mut r).alice;
    let bob_blob = with_bob.seal(&mut r, &key);
    let bob_expected = Expected::new(with_bob.state_owner(), with_bob.generation());
    assert_eq!(
        bob_expected.owner,
        StateOwner::session(with_bob.session_id())
    );
    let carol_blob = with_carol.seal(&mut r, &key);
    // Swapped on disk (or by a backup tool): opening "the session with Bob"
    // finds Carol's and is refused, before anything is decrypted with it.
    assert_eq!(
        Session::open(&key, &carol_blob, &bob_expected).unwrap_err(),
        StateError::WrongOwner
    );
    assert!(Session::open(&key, &bob_blob, &bob_expected).is_ok());

    // A backup restored under a running app: the app has seen generation 2.
    let backup = with_bob.seal(&mut r, &key);
    let backup_generation = with_bob.generation();
    with_bob.encrypt(&mut r, b"after the backup").unwrap();
    let current = with_bob.seal(&mut r, &key);
    let seen = Expected::new(with_bob.state_owner(), with_bob.generation());
    assert_eq!(
        Session::open(&key, &backup, &seen).unwrap_err(),
        StateError::RolledBack {
            min_generation: seen.min_generation,
            found: backup_generation
        }
    );
    assert_eq!(
        Session::open(&key, &current, &seen).unwrap().generation(),
        seen.min_generation
    );

    // Device stores and group rings are bound the same way.
    let (i1, i2) = (
        IdentityKeyPair::generate(&mut r),
        IdentityKeyPair::generate(&mut r),
    );
    let mut d1 = PreKeyStore::new(&mut r, i1, T0);
    let mut d2 = PreKeyStore::new(&mut r, i2, T0);
    let d2_blob = d2.seal(&mut r, &key);
    let d1_expected = Expected::new(StateOwner::device(d1.identity_key()), 0);
    assert_eq!(d1.state_owner(), d1_expected.owner);
    assert_eq!(
        PreKeyStore::open(&key, &d2_blob, &d1_expected).unwrap_err(),
        StateError::WrongOwner
    );
    let _ = d1.seal(&mut r, &key);

    let group = b"ministry-ops";
    let (a, b) = (
        IdentityKeyPair::generate(&mut r),
        IdentityKeyPair::generate(&mut r),
    );
    let ring = |r: &mut chacha20::ChaCha20Rng, who: &IdentityKeyPair| {
        let out = OutboundGroupSession::new(r, group, RotationPolicy::default(), T0).unwrap();
        SenderKeyRing::new(&out.distribution(who), who.public()).unwrap()
    };
    let mut ring_b = ring(&mut r, &b);
    let b_blob = ring_b.seal(&mut r, &key);
    let expect_a = Expected::new(StateOwner::group_sender(group, a.public()), 0);
    assert_eq!(
        SenderKeyRing::open(&key, &b_blob, &expect_a).unwrap_err(),
        StateError::WrongOwner,
        "sender B's chains are not sender A's"
    );
    let expect_b = Expected::new(StateOwner::group_sender(group, b.public()), 0);
    assert!(SenderKeyRing::open(&key, &b_blob, &expect_b).is_ok());
}

#[test]
fn each_one_time_key_goes_out_once_and_uploads_carry_only_what_is_new() {
    let mut r = rng(1104);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut bob = PreKeyStore::new(&mut r, bob_id, T0);
    let otks = bob.generate_one_time_prekeys(&mut r, 3);
    let kems = bob.generate_kem_one_time_prekeys(&mut r, 2);
    let upload = bob.upload(&mut r, T0).unwrap();
    let bytes = upload.to_bytes();

    // The server verifies and reads it.
    let got = PreKeyUpload::from_bytes(&bytes).unwrap();
    assert!(verify(&Item::Upload(&bytes)).is_ok());
    assert_eq!(got.identity(), bob.identity_key());
    assert_eq!(got.signed_prekey(), bob.signed_prekey());
    assert_eq!(got.last_resort_kem_prekey(), bob.last_resort_kem_prekey());
    assert_eq!(
        got.one_time_prekey_ids(),
        otks.iter().map(|k| k.id).collect::<Vec<_>>()
    );
    assert_eq!(
        got.kem_one_time_prekey_ids(),
        kems.iter().map(|k| k.id).collect::<Vec<_>>()
    );
    // Nothing new: no upload (also after a save and restore, which keeps
    // what went out); and no bundle re-hands an uploaded key.
    assert!(bob.upload(&mut r, T0).is_none());
    let mut restored = PreKeyStore::from_bytes(&bob.to_bytes()).unwrap();
    assert!(restored.upload(&mut r, T0).is_none());
    let b = bob.bundles(10);
    assert_eq!(b.len(), 1);
    assert!(b[0].one_time_prekey.is_none());
    // Incremental: only the new key, a few hundred bytes instead of bundles.
    let more = bob.generate_one_time_prekeys(&mut r, 1);
    let small = bob.upload(&mut r, T0 + 60).unwrap();
    assert!(small.signed_prekey().is_none() && small.last_resort_kem_prekey().is_none());
    assert_eq!(small.one_time_prekey_ids(), vec![more[0].id]);
    assert_eq!(small.to_bytes().len(), 2 + 128 + 1 + 4 + 36 + 4 + 64);

    // The one-time X25519 keys are covered by the identity's signature:
    // a server cannot slip in keys of its own.
    let mut forged = small.to_bytes();
    let key_at = 2 + 128 + 1 + 4 + 4;
    forged[key_at] ^= 1;
    assert_eq!(
        PreKeyUpload::from_bytes(&forged).unwrap_err(),
        VerifyError::Signature(SignatureError::Invalid(SignedObject::PreKeyUpload))
    );
    assert!(verify(&Item::Upload(&forged)).is_err());
}

#[test]
fn a_full_pool_makes_room_only_by_dropping_keys_already_handed_out() {
    let mut r = rng(1105);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut bob = PreKeyStore::new(&mut r, bob_id, T0);
    let first = bob.generate_one_time_prekeys(&mut r, MAX_ONE_TIME_PREKEYS);
    assert_eq!(first.len(), MAX_ONE_TIME_PREKEYS);
    // None handed out yet: no room is made, nothing is generated.
    assert!(bob.generate_one_time_prekeys(&mut r, 5).is_empty());
    // Two handed out: exactly those two make room, oldest first.
    let handed = bob.bundles(2);
    let made = bob.generate_one_time_prekeys(&mut r, 5);
    assert_eq!(made.len(), 2);
    assert_eq!(bob.one_time_prekey_count(), MAX_ONE_TIME_PREKEYS);
    let late = first_message(&mut r, &handed[0]);
    assert_eq!(
        bob.accept(&late, T0).unwrap_err(),
        HandshakeError::UnknownOneTimePreKey(first[0].id)
    );
}
