//! Issue 10, finding 2, as the operator would run it: first messages
//! replayed after the replay cache was flushed.
//!
//! One-time X25519 prekeys are unsigned, so the server can strip them from
//! the bundles it serves (and serve the long-lived last-resort ML-KEM prekey
//! instead of a one-time one). Alice's first message is then protected
//! against replay only by the store's record of accepted handshakes. Version
//! 1 of the store kept a FIFO of 4096 base keys: the operator opened 4096
//! throw-away handshakes of its own, Alice's base key fell out, and the
//! replayed first message was accepted again as a new session under Alice's
//! verified identity. The record is now exact for as long as the signed
//! prekey lives, and full means "rotate", not "forget".

use qorgan::limits::MAX_REMEMBERED_HANDSHAKES;
use qorgan::{HandshakeError, IdentityKeyPair, PreKeyBundle, PreKeyStore, Session};
use qorgan_tests::rng;

/// The bundle the operator serves: no one-time X25519 prekey, the
/// last-resort ML-KEM prekey (every part still carries Bob's signature).
fn stripped(store: &mut PreKeyStore) -> PreKeyBundle {
    let mut b = store.bundle().unwrap();
    b.one_time_prekey = None;
    b.kem_prekey = store.last_resort_kem_prekey().unwrap().clone();
    PreKeyBundle::from_bytes(&b.to_bytes()).unwrap()
}

#[test]
fn a_flooded_replay_record_never_forgets_a_first_message() {
    let mut r = rng(1001);
    let bob_id = IdentityKeyPair::generate(&mut r);
    let mut bob = PreKeyStore::new(&mut r, bob_id, 0);
    bob.generate_one_time_prekeys(&mut r, 10);
    bob.generate_kem_one_time_prekeys(&mut r, 10);
    let bundle = stripped(&mut bob);

    // Alice starts a session through the stripped bundle; Bob accepts.
    let alice_id = IdentityKeyPair::generate(&mut r);
    let mut alice = Session::initiate(&mut r, &alice_id, &bundle).unwrap();
    let first = alice.encrypt(&mut r, b"orders for Monday").unwrap();
    let (_, pt) = bob.accept(&first, 0).unwrap();
    assert_eq!(pt, b"orders for Monday");
    assert_eq!(bob.accept(&first, 0).unwrap_err(), HandshakeError::Replay);

    // The operator floods the record with handshakes of its own.
    let operator = IdentityKeyPair::generate(&mut r);
    for i in 1..MAX_REMEMBERED_HANDSHAKES {
        let mut s = Session::initiate(&mut r, &operator, &bundle).unwrap();
        let m = s.encrypt(&mut r, b"x").unwrap();
        assert!(bob.accept(&m, 0).is_ok(), "throw-away handshake {i}");
        // Rotation is asked for from three quarters on.
        assert_eq!(
            bob.needs_rotation(0),
            bob.remembered_handshakes() >= MAX_REMEMBERED_HANDSHAKES / 4 * 3
        );
    }
    assert!(bob.needs_rotation(0));
    assert_eq!(bob.remembered_handshakes(), MAX_REMEMBERED_HANDSHAKES);

    // The replay of Alice's first message is still refused, also after the
    // store is saved and restored.
    assert_eq!(bob.accept(&first, 0).unwrap_err(), HandshakeError::Replay);
    let mut restored = PreKeyStore::from_bytes(&bob.to_bytes()).unwrap();
    assert_eq!(
        restored.accept(&first, 0).unwrap_err(),
        HandshakeError::Replay
    );

    // The record is full: a further handshake without one-time prekeys is
    // refused (nothing forgotten, the store unchanged) until rotation.
    let before = bob.to_bytes();
    let mut s = Session::initiate(&mut r, &operator, &bundle).unwrap();
    let one_more = s.encrypt(&mut r, b"x").unwrap();
    let signed_id = bundle.signed_prekey.id;
    assert_eq!(
        bob.accept(&one_more, 0).unwrap_err(),
        HandshakeError::ReplayRecordFull {
            signed_prekey_id: signed_id
        }
    );
    assert_eq!(bob.to_bytes(), before);
    // A handshake that uses one-time prekeys needs no record.
    let mut carol = Session::initiate(&mut r, &operator, &bob.bundle().unwrap()).unwrap();
    assert!(bob.accept(&carol.encrypt(&mut r, b"x").unwrap(), 0).is_ok());

    // Rotation: new handshakes under the new signed prekey are accepted,
    // and Alice's replay under the retired one is still refused.
    bob.rotate_signed_prekey(&mut r, 0);
    assert!(!bob.needs_rotation(0));
    let mut s = Session::initiate(&mut r, &operator, &stripped(&mut bob)).unwrap();
    assert!(bob.accept(&s.encrypt(&mut r, b"x").unwrap(), 0).is_ok());
    assert_eq!(bob.accept(&first, 0).unwrap_err(), HandshakeError::Replay);
    // Once the signed prekey that admitted it is deleted, the handshake
    // fails as unknown and its record goes with the key.
    for _ in 0..qorgan::limits::MAX_RETIRED_SIGNED_PREKEYS {
        bob.rotate_signed_prekey(&mut r, 0);
    }
    assert_eq!(
        bob.accept(&first, 0).unwrap_err(),
        HandshakeError::UnknownSignedPreKey(signed_id)
    );
    assert_eq!(bob.remembered_handshakes(), 1);
}
