//! Shared helpers for qorgan's integration tests and the vector generator.

use chacha20::ChaCha20Rng;
use qorgan::{IdentityKeyPair, PreKeyBundle, PreKeyStore, Session};
use rand_core::SeedableRng;

pub mod hex;
pub mod vectors;

/// A deterministic CSPRNG for tests and vectors.
pub fn rng(seed: u64) -> ChaCha20Rng {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&seed.to_le_bytes());
    ChaCha20Rng::from_seed(s)
}

/// Alice (initiator) and Bob (responder) after Alice's first message was
/// accepted and Bob replied once, so both sides are fully established.
pub struct Pair {
    pub alice: Session,
    pub bob: Session,
    pub bob_store: PreKeyStore,
    pub alice_identity: IdentityKeyPair,
}

/// Creates Alice's session and Bob's store; nothing is sent yet.
pub fn start(
    rng: &mut ChaCha20Rng,
    with_one_time: bool,
) -> (Session, PreKeyStore, IdentityKeyPair, PreKeyBundle) {
    let bob_id = IdentityKeyPair::generate(rng);
    let mut bob_store = PreKeyStore::new(rng, bob_id, 0);
    if with_one_time {
        bob_store.generate_one_time_prekeys(rng, 4);
        bob_store.generate_kem_one_time_prekeys(rng, 2);
    }
    let bundle = bob_store.bundle().expect("bundle");
    let alice_id = IdentityKeyPair::generate(rng);
    let alice = Session::initiate(rng, &alice_id, &bundle).expect("initiate");
    (alice, bob_store, alice_id, bundle)
}

/// A fully established pair (one message each way already exchanged).
pub fn established(rng: &mut ChaCha20Rng) -> Pair {
    let (mut alice, mut bob_store, alice_identity, _) = start(rng, true);
    let m = alice.encrypt(rng, b"hello").expect("encrypt");
    let (mut bob, pt) = bob_store.accept(&m, 0).expect("accept");
    assert_eq!(pt, b"hello");
    let r = bob.encrypt(rng, b"hi").expect("encrypt");
    assert_eq!(alice.decrypt(&r).expect("decrypt"), b"hi");
    Pair {
        alice,
        bob,
        bob_store,
        alice_identity,
    }
}

/// The session's full plain state, to check that failures change nothing.
pub fn snapshot(s: &Session) -> Vec<u8> {
    s.to_bytes().to_vec()
}

/// A group member's sending side: its device identity and its outbound
/// session, with a policy that never forces a rotation (attack tests
/// rotate when they mean to).
pub struct GroupMember {
    /// The device identity.
    pub id: IdentityKeyPair,
    /// The member's chain in the group.
    pub out: qorgan::OutboundGroupSession,
}

/// A new member of `group`.
pub fn group_member(r: &mut ChaCha20Rng, group: &[u8]) -> GroupMember {
    let id = IdentityKeyPair::generate(r);
    let policy = qorgan::RotationPolicy {
        max_messages: u32::MAX,
        max_age_secs: u64::MAX,
    };
    let out = qorgan::OutboundGroupSession::new(r, group, policy, 0).expect("group id");
    GroupMember { id, out }
}

/// Another member's inbound session of `m`'s current chain, from its
/// distribution.
pub fn receive(m: &GroupMember) -> qorgan::InboundGroupSession {
    qorgan::InboundGroupSession::new(&m.out.distribution(&m.id), m.id.public())
        .expect("distribution")
}

/// Seals `$obj` (a place: it moves to its next generation) under `$key` and
/// opens the blob as `$ty`, expecting `$obj`'s owner at that generation:
/// the save-and-restore round trip of an app.
#[macro_export]
macro_rules! seal_and_open {
    ($ty:ty, $obj:expr, $rng:expr, $key:expr) => {{
        let obj = &mut $obj;
        let sealed = obj.seal($rng, $key);
        let expected = qorgan::Expected::new(obj.state_owner(), obj.generation());
        <$ty>::open($key, &sealed, &expected)
    }};
}
