//! Issue 12 (rosters) as the operator and hostile members would attack it,
//! through the public API.
//!
//! Before rosters, nothing said who was in a group: a sender handed its
//! chain key to whatever sessions the app passed, so the operator, which
//! runs the group service, could enrol a listener. Now an admin-signed,
//! hash-chained roster names the members; senders distribute only to
//! devices of members, receivers take chains only from members under the
//! roster they hold, and every roster change forces a new chain.

use qorgan::account::{Account, DeviceList};
use qorgan::roster::{Member, Role, Roster, RosterChange, distribute_in_roster};
use qorgan::{
    EncryptError, FanoutError, GroupError, IdentityKeyPair, InboundGroupSession,
    OutboundGroupSession, PreKeyStore, RosterError, RotationPolicy, RotationReason, SenderKeyRing,
    Session, VerifyError,
};
use qorgan_tests::rng;

const NOW: u64 = 1_790_000_000;
const GROUP: &[u8] = b"ministry-ops";

/// A person with one device: account, device identity, prekeys.
struct Person {
    id: IdentityKeyPair,
    store: PreKeyStore,
    account: Account,
}

fn person(r: &mut chacha20::ChaCha20Rng, label: &str) -> Person {
    let id = IdentityKeyPair::generate(r);
    let store = PreKeyStore::new(r, id.clone(), NOW);
    let account = Account::create(r, id.public(), label).unwrap();
    Person { id, store, account }
}

/// A session from `from` to `to`'s device.
fn session(r: &mut chacha20::ChaCha20Rng, from: &Person, to: &mut Person) -> Session {
    Session::initiate(r, &from.id, &to.store.bundle().unwrap()).unwrap()
}

/// A roster as a device receives it from the server: bytes, verified.
fn served(roster: &Roster) -> Roster {
    Roster::from_bytes(&roster.to_bytes()).unwrap()
}

fn members(admin: &Person, others: &[&Person]) -> Vec<Member> {
    let mut m = vec![Member::new(*admin.account.account_key(), Role::Admin)];
    m.extend(
        others
            .iter()
            .map(|p| Member::new(*p.account.account_key(), Role::Member)),
    );
    m
}

/// What `to` reads of a 1:1 first message: the plaintext.
fn open_first(to: &mut Person, ciphertext: &[u8]) -> Vec<u8> {
    to.store.accept(ciphertext, NOW).unwrap().1
}

#[test]
fn a_member_the_server_added_without_an_admin_signature_receives_no_sender_key() {
    let mut r = rng(1301);
    let alice = person(&mut r, "Alice");
    let mut bob = person(&mut r, "Bob");
    let mut mallory = person(&mut r, "operator's listener");
    let r1 = Roster::create(
        alice.account.key_pair().unwrap(),
        GROUP,
        members(&alice, &[&bob]),
    )
    .unwrap();

    // The operator serves a next roster adding its listener. It holds no
    // admin's key: signed by the listener's own account, or by Bob (a
    // plain member), the roster is refused as not signed by an admin...
    for forger in [&mallory, &bob] {
        assert_eq!(
            r1.with_member(
                forger.account.key_pair().unwrap(),
                mallory.account.account_key(),
                Role::Admin
            )
            .unwrap_err(),
            RosterError::NotAdmin
        );
    }
    // ...even when it builds the bytes itself: epoch 2, chained to r1,
    // naming the listener, signed (correctly) by a key of its own.
    let operator_key = ed25519_dalek::SigningKey::from_bytes(&[0x66; 32]);
    let template = r1
        .with_member(
            alice.account.key_pair().unwrap(),
            mallory.account.account_key(),
            Role::Member,
        )
        .unwrap()
        .to_bytes();
    let mut forged = template[..template.len() - 64].to_vec();
    let signer_at = forged.len() - 32;
    forged[signer_at..].copy_from_slice(operator_key.verifying_key().as_bytes());
    let signature = {
        use ed25519_dalek::Signer;
        operator_key.sign(&[b"qorgan/v1/roster".as_slice(), &forged].concat())
    };
    forged.extend_from_slice(&signature.to_bytes());
    let forged = Roster::from_bytes(&forged).unwrap(); // well formed, well signed
    assert_eq!(
        r1.advance(std::slice::from_ref(&forged)).unwrap_err(),
        RosterError::Verify(VerifyError::SignerNotAdmin)
    );
    // The server's own check refuses it too.
    assert_eq!(
        qorgan::verify::verify(&qorgan::verify::Item::RosterAfter {
            previous: &r1,
            roster: &forged.to_bytes()
        }),
        Err(VerifyError::SignerNotAdmin)
    );
    // Or a whole rogue history with a genesis of its own: a fork of r1.
    let rogue_genesis = Roster::create(
        mallory.account.key_pair().unwrap(),
        GROUP,
        vec![
            Member::new(*mallory.account.account_key(), Role::Admin),
            Member::new(*alice.account.account_key(), Role::Admin),
            Member::new(*bob.account.account_key(), Role::Member),
        ],
    )
    .unwrap();
    let rogue = rogue_genesis
        .successor(
            mallory.account.key_pair().unwrap(),
            rogue_genesis.members().to_vec(),
        )
        .unwrap();
    assert_eq!(
        r1.advance(&[served(&rogue)]).unwrap_err(),
        RosterError::Fork {
            held: r1.head(),
            seen: qorgan::account::ListHead {
                version: 1,
                hash: rogue.previous().unwrap()
            }
        }
    );
    // Or it edits Alice's roster: her signature breaks.
    let mut edited = r1.to_bytes();
    let last_member_role = edited.len() - 64 - 32 - 1;
    edited[last_member_role] ^= 1;
    assert!(matches!(
        Roster::from_bytes(&edited),
        Err(RosterError::Verify(VerifyError::Signature(_)))
    ));

    // Alice holds r1. The operator also enrolled a session with its
    // listener: Alice's fan-out of her chain skips it.
    let mut outbound = OutboundGroupSession::new_in_roster(
        &mut r,
        &r1,
        alice.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let mut to_bob = session(&mut r, &alice, &mut bob);
    let mut to_mallory = session(&mut r, &alice, &mut mallory);
    let lists = [
        alice.account.list(),
        bob.account.list(),
        mallory.account.list(),
    ];
    let results = distribute_in_roster(
        &mut r,
        &outbound.distribution(&alice.id),
        &r1,
        &lists,
        &mut [&mut to_bob, &mut to_mallory],
    )
    .unwrap();
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(FanoutError::NotInRoster));
    // Bob takes the chain; the listener was given nothing to take.
    let distribution = qorgan::SenderKeyDistribution::from_bytes(&open_first(
        &mut bob,
        results[0].as_ref().unwrap(),
    ))
    .unwrap();
    let mut inbound = InboundGroupSession::new_in_roster(
        &distribution,
        alice.id.public(),
        &r1,
        alice.account.list(),
        bob.account.account_key(),
    )
    .unwrap();
    let m = outbound.encrypt(&mut r, &alice.id, b"orders").unwrap();
    let pt = inbound
        .decrypt_in_roster(&m, &r1, alice.account.list())
        .unwrap();
    assert_eq!(pt.plaintext, b"orders");
    // The message is bound to the roster it was sent under.
    assert_eq!(pt.roster, Some(r1.head()));

    // Had the listener been handed the distribution anyway (by a careless
    // app), its own device refuses it: its account is not a member.
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &distribution,
            alice.id.public(),
            &r1,
            alice.account.list(),
            mallory.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::NotMember)
    );
}

/// Alice (admin), Bob and Carol in a group, Alice's chain delivered to both.
struct Group {
    alice: Person,
    bob: Person,
    carol: Person,
    r1: Roster,
    outbound: OutboundGroupSession,
}

fn group(r: &mut chacha20::ChaCha20Rng) -> Group {
    let alice = person(r, "Alice");
    let bob = person(r, "Bob");
    let carol = person(r, "Carol");
    let r1 = Roster::create(
        alice.account.key_pair().unwrap(),
        GROUP,
        members(&alice, &[&bob, &carol]),
    )
    .unwrap();
    let outbound = OutboundGroupSession::new_in_roster(
        r,
        &r1,
        alice.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    Group {
        alice,
        bob,
        carol,
        r1,
        outbound,
    }
}

#[test]
fn a_removed_member_receives_no_new_key() {
    let mut r = rng(1302);
    let Group {
        alice,
        mut bob,
        mut carol,
        r1,
        mut outbound,
    } = group(&mut r);
    let carol_old = InboundGroupSession::new_in_roster(
        &outbound.distribution(&alice.id),
        alice.id.public(),
        &r1,
        alice.account.list(),
        carol.account.account_key(),
    )
    .unwrap();

    // Alice removes Carol: epoch 2. Her outbound session reads the change
    // and refuses to send on the chain Carol holds.
    let r2 = r1
        .without_member(
            alice.account.key_pair().unwrap(),
            carol.account.account_key(),
        )
        .unwrap();
    let (held, change): (Roster, RosterChange) = r1.advance(&[served(&r2)]).unwrap();
    assert_eq!(held, r2);
    assert_eq!(change.removed, vec![*carol.account.account_key()]);
    outbound.apply_roster(&change).unwrap();
    assert_eq!(
        outbound.rotation_due(NOW),
        Some(RotationReason::MemberRemoved)
    );
    assert_eq!(
        outbound.encrypt(&mut r, &alice.id, b"after").unwrap_err(),
        EncryptError::RotationRequired(RotationReason::MemberRemoved)
    );
    // The rotation persists through the sealed state: a restart does not
    // forget it (the state is format 3).
    let state = outbound.to_bytes();
    assert_eq!(state[0], qorgan::wire::ROSTERED_GROUP_VERSION);
    let mut outbound = OutboundGroupSession::from_bytes(&state).unwrap();
    assert!(outbound.encrypt(&mut r, &alice.id, b"after").is_err());

    // The old chain's distribution can no longer be handed out under r2.
    let mut to_bob = session(&mut r, &alice, &mut bob);
    let mut to_carol = session(&mut r, &alice, &mut carol);
    let lists = [
        alice.account.list(),
        bob.account.list(),
        carol.account.list(),
    ];
    assert_eq!(
        distribute_in_roster(
            &mut r,
            &outbound.distribution(&alice.id),
            &r2,
            &lists,
            &mut [&mut to_bob, &mut to_carol],
        )
        .unwrap_err(),
        RosterError::StaleChain {
            held: 2,
            announced: 1
        }
    );
    outbound.rotate(&mut r, NOW).unwrap();
    assert_eq!(outbound.roster(), Some(r2.head()));
    let results = distribute_in_roster(
        &mut r,
        &outbound.distribution(&alice.id),
        &r2,
        &lists,
        &mut [&mut to_bob, &mut to_carol],
    )
    .unwrap();
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(FanoutError::NotInRoster));

    // Carol's old chain cannot read the new one.
    let m = outbound
        .encrypt(&mut r, &alice.id, b"without Carol")
        .unwrap();
    let mut carol_old = carol_old;
    assert!(carol_old.decrypt(&m).is_err());
    // And her device, holding r2, refuses the new chain itself.
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &outbound.distribution(&alice.id),
            alice.id.public(),
            &r2,
            alice.account.list(),
            carol.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::NotMember)
    );
}

#[test]
fn a_roster_rollback_or_fork_is_detected() {
    let mut r = rng(1303);
    let Group {
        alice,
        bob,
        carol,
        r1,
        ..
    } = group(&mut r);
    let admin = alice.account.key_pair().unwrap();
    let r2 = r1
        .without_member(admin, carol.account.account_key())
        .unwrap();
    let (bob_held, _) = r1.advance(&[served(&r2)]).unwrap();

    // The operator replays epoch 1 to bring Carol back.
    assert_eq!(
        bob_held.advance(&[served(&r1)]).unwrap_err(),
        RosterError::RolledBack {
            held: 2,
            offered: 1
        }
    );
    // It withholds epoch 3 and serves epoch 4.
    let r3 = r2
        .with_member(admin, carol.account.account_key(), Role::Member)
        .unwrap();
    let r4 = r3.without_member(admin, bob.account.account_key()).unwrap();
    assert_eq!(
        bob_held.advance(&[served(&r4)]).unwrap_err(),
        RosterError::Gap { from: 3, to: 4 }
    );
    // Shown the whole chain, Bob moves on (and learns he was removed).
    let (newest, change) = bob_held.advance(&[served(&r3), served(&r4)]).unwrap();
    assert_eq!(newest, r4);
    assert_eq!(change.removed, vec![*bob.account.account_key()]);

    // A fork: two different epoch-3 rosters, both signed by an admin (a
    // compromised or equivocating admin key with the operator's help).
    // Bob holds one, Carol the other.
    let r3_other = r2
        .with_member(admin, carol.account.account_key(), Role::Admin)
        .unwrap();
    assert_ne!(r3.head(), r3_other.head());
    assert_eq!(
        r3.advance(&[served(&r3_other)]).unwrap_err(),
        RosterError::Fork {
            held: r3.head(),
            seen: r3_other.head()
        }
    );
    // A chain announced under the other roster exposes the fork to every
    // member that receives it, as device-list heads do.
    let carol_out = OutboundGroupSession::new_in_roster(
        &mut r,
        &r3_other,
        carol.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &carol_out.distribution(&carol.id),
            carol.id.public(),
            &r3,
            carol.account.list(),
            bob.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::Fork {
            held: r3.head(),
            seen: r3_other.head()
        })
    );
    // A verified history from epoch 1, through the roster a joiner was
    // invited under, holds.
    assert_eq!(
        Roster::from_history(&[r1.clone(), r2.clone(), r3.clone()], &r2.head()).unwrap(),
        r3
    );
    assert_eq!(
        Roster::from_history(&[r2.clone(), r3.clone()], &r2.head()).unwrap_err(),
        RosterError::Gap { from: 1, to: 2 }
    );
}

#[test]
fn a_device_refuses_keys_from_a_sender_outside_the_roster_or_its_device_list() {
    let mut r = rng(1304);
    let Group {
        alice,
        bob,
        carol,
        r1,
        outbound,
    } = group(&mut r);
    let distribution = outbound.distribution(&alice.id);

    // A non-member's chain for the group.
    let mallory = person(&mut r, "Mallory");
    let mallory_roster = Roster::create(
        mallory.account.key_pair().unwrap(),
        GROUP,
        members(&mallory, &[&bob]),
    )
    .unwrap();
    let theirs = OutboundGroupSession::new_in_roster(
        &mut r,
        &mallory_roster,
        mallory.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    // Announced under another roster of the same name: a fork at epoch 1.
    assert!(matches!(
        InboundGroupSession::new_in_roster(
            &theirs.distribution(&mallory.id),
            mallory.id.public(),
            &r1,
            mallory.account.list(),
            bob.account.account_key(),
        ),
        Err(GroupError::Roster(RosterError::Fork { .. }))
    ));
    // A device the operator presents as Alice's, with Alice's list: not
    // in it.
    let ghost = IdentityKeyPair::generate(&mut r);
    let ghost_roster_chain = OutboundGroupSession::new_in_roster(
        &mut r,
        &r1,
        alice.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &ghost_roster_chain.distribution(&ghost),
            ghost.public(),
            &r1,
            alice.account.list(),
            bob.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::SenderNotMember)
    );
    // A member's list that does not name the sending device.
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &distribution,
            alice.id.public(),
            &r1,
            carol.account.list(),
            bob.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::SenderNotMember)
    );
    // The unrostered calls refuse a rostered chain, so the roster check
    // cannot be skipped by calling the old API.
    assert_eq!(
        InboundGroupSession::new(&distribution, alice.id.public()).unwrap_err(),
        GroupError::Roster(RosterError::RosterMismatch)
    );
    assert_eq!(
        SenderKeyRing::new(&distribution, alice.id.public()).unwrap_err(),
        GroupError::Roster(RosterError::RosterMismatch)
    );
    // A roster of another group.
    let other = Roster::create(
        alice.account.key_pair().unwrap(),
        b"other",
        members(&alice, &[&bob]),
    )
    .unwrap();
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &distribution,
            alice.id.public(),
            &other,
            alice.account.list(),
            bob.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::WrongGroup)
    );
    // A lagging member is told to fetch rosters rather than refusing for
    // good.
    let r2 = r1
        .without_member(
            alice.account.key_pair().unwrap(),
            carol.account.account_key(),
        )
        .unwrap();
    let mut newer = OutboundGroupSession::new_in_roster(
        &mut r,
        &r2,
        alice.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let mut ring = SenderKeyRing::new_in_roster(
        &newer.distribution(&alice.id),
        alice.id.public(),
        &r2,
        alice.account.list(),
        bob.account.account_key(),
    )
    .unwrap();
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &newer.distribution(&alice.id),
            alice.id.public(),
            &r1,
            alice.account.list(),
            bob.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::RosterBehind {
            held: 1,
            announced: 2
        })
    );
    // Rostered rings survive their state format (version 3) and decrypt.
    let m = newer.encrypt(&mut r, &alice.id, b"hello").unwrap();
    let state = ring.to_bytes();
    assert_eq!(state[0], qorgan::wire::ROSTERED_GROUP_VERSION);
    ring = SenderKeyRing::from_bytes(&state).unwrap();
    assert_eq!(
        ring.decrypt_in_roster(&m, &r2, alice.account.list())
            .unwrap()
            .roster,
        Some(r2.head())
    );
    // A ring never mixes rostered and unrostered chains.
    let plain = OutboundGroupSession::new(&mut r, GROUP, RotationPolicy::DEFAULT, NOW).unwrap();
    assert_eq!(
        ring.add(&plain.distribution(&alice.id), alice.id.public())
            .unwrap_err(),
        GroupError::Roster(RosterError::RosterMismatch)
    );
    let _ = DeviceList::from_bytes(&alice.account.list().to_bytes()).unwrap();
}

#[test]
fn a_removed_member_keeps_its_old_chain_key_but_its_messages_are_refused() {
    let mut r = rng(1305);
    let Group {
        alice,
        bob,
        carol,
        r1,
        ..
    } = group(&mut r);
    // Carol's own chain, held by Bob.
    let mut carol_out = OutboundGroupSession::new_in_roster(
        &mut r,
        &r1,
        carol.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let mut bob_ring = SenderKeyRing::new_in_roster(
        &carol_out.distribution(&carol.id),
        carol.id.public(),
        &r1,
        carol.account.list(),
        bob.account.account_key(),
    )
    .unwrap();
    let before = carol_out
        .encrypt(&mut r, &carol.id, b"sent while a member")
        .unwrap();
    // Alice removes Carol; Bob moves to r2.
    let r2 = r1
        .without_member(
            alice.account.key_pair().unwrap(),
            carol.account.account_key(),
        )
        .unwrap();
    let (bob_roster, _) = r1.advance(&[served(&r2)]).unwrap();
    // Carol keeps sending on the chain Bob holds: refused, and Bob's ring is
    // unchanged (the message she sent earlier still waits to be read).
    let after = carol_out.encrypt(&mut r, &carol.id, b"still here").unwrap();
    let state = bob_ring.to_bytes();
    assert_eq!(
        bob_ring
            .decrypt_in_roster(&after, &bob_roster, carol.account.list())
            .unwrap_err(),
        GroupError::Roster(RosterError::SenderNotMember)
    );
    assert_eq!(bob_ring.to_bytes(), state);
    // Under the roster she was a member of, her earlier message reads.
    let pt = bob_ring
        .decrypt_in_roster(&before, &r1, carol.account.list())
        .unwrap();
    assert_eq!(pt.plaintext, b"sent while a member");
    // A member's message sent before a change and delivered after it still
    // reads under the new roster (an earlier epoch, a current member).
    let mut alice_out = OutboundGroupSession::new_in_roster(
        &mut r,
        &r1,
        alice.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let mut bob_from_alice = InboundGroupSession::new_in_roster(
        &alice_out.distribution(&alice.id),
        alice.id.public(),
        &r1,
        alice.account.list(),
        bob.account.account_key(),
    )
    .unwrap();
    let in_flight = alice_out.encrypt(&mut r, &alice.id, b"in flight").unwrap();
    assert_eq!(
        bob_from_alice
            .decrypt_in_roster(&in_flight, &bob_roster, alice.account.list())
            .unwrap()
            .roster,
        Some(r1.head())
    );
}

// Found by the attacker review of issue 12 (each failed before its fix).

#[test]
fn a_removed_members_messages_are_refused_by_the_plain_and_batch_calls_too() {
    let mut r = rng(1306);
    let Group {
        alice,
        bob,
        carol,
        r1,
        ..
    } = group(&mut r);
    let mut carol_out = OutboundGroupSession::new_in_roster(
        &mut r,
        &r1,
        carol.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let mut bob_ring = SenderKeyRing::new_in_roster(
        &carol_out.distribution(&carol.id),
        carol.id.public(),
        &r1,
        carol.account.list(),
        bob.account.account_key(),
    )
    .unwrap();
    let r2 = r1
        .without_member(
            alice.account.key_pair().unwrap(),
            carol.account.account_key(),
        )
        .unwrap();
    let (bob_roster, _) = r1.advance(&[served(&r2)]).unwrap();
    let after = carol_out
        .encrypt(&mut r, &carol.id, b"posted after removal")
        .unwrap();
    // The operator holds it back until Bob comes online and reads his queue
    // in a batch: refused, nothing changed.
    let state = bob_ring.to_bytes();
    let results = bob_ring.decrypt_batch_in_roster(&[&after], &bob_roster, carol.account.list());
    assert_eq!(
        results[0].as_ref().unwrap_err(),
        &GroupError::Roster(RosterError::SenderNotMember)
    );
    assert_eq!(bob_ring.to_bytes(), state);
    // The calls without a roster refuse rostered chains altogether.
    assert_eq!(
        bob_ring.decrypt_batch(&[&after])[0].as_ref().unwrap_err(),
        &qorgan::DecryptError::RosterRequired
    );
    assert_eq!(
        bob_ring.decrypt(&after).unwrap_err(),
        qorgan::DecryptError::RosterRequired
    );
    // Under the roster that still lists her, the batch reads.
    let ok = bob_ring.decrypt_batch_in_roster(&[&after], &r1, carol.account.list());
    assert_eq!(ok[0].as_ref().unwrap().plaintext, b"posted after removal");
}

#[test]
fn a_history_served_by_the_operator_is_refused_unless_it_holds_the_inviters_roster() {
    let mut r = rng(1307);
    let alice = person(&mut r, "Alice");
    let dana = person(&mut r, "Dana");
    let op = person(&mut r, "operator");
    // Alice's real group, which she invites Dana to.
    let real = Roster::create(
        alice.account.key_pair().unwrap(),
        GROUP,
        members(&alice, &[&dana]),
    )
    .unwrap();
    // The operator's own history for the same group id.
    let g1 = Roster::create(
        op.account.key_pair().unwrap(),
        GROUP,
        vec![
            Member::new(*op.account.account_key(), Role::Admin),
            Member::new(*alice.account.account_key(), Role::Admin),
            Member::new(*dana.account.account_key(), Role::Member),
        ],
    )
    .unwrap();
    let g2 = g1
        .with_member(
            op.account.key_pair().unwrap(),
            alice.account.account_key(),
            Role::Member,
        )
        .unwrap();
    assert!(matches!(
        Roster::from_history(&[served(&g1), served(&g2)], &real.head()),
        Err(RosterError::InvalidRoster(_))
    ));
    assert_eq!(
        Roster::from_history(&[served(&real)], &real.head()).unwrap(),
        real
    );
}

#[test]
fn a_fork_at_the_previous_epoch_is_reported_as_a_fork_not_as_a_stale_chain() {
    let mut r = rng(1308);
    let Group {
        alice,
        bob,
        carol,
        r1,
        ..
    } = group(&mut r);
    let dave = person(&mut r, "Dave");
    let admin = alice.account.key_pair().unwrap();
    let r2 = r1
        .with_member(admin, bob.account.account_key(), Role::Admin)
        .unwrap();
    let r2_fork = r1
        .with_member(admin, dave.account.account_key(), Role::Member)
        .unwrap();
    let r3 = r2
        .with_member(admin, carol.account.account_key(), Role::Admin)
        .unwrap();
    let (bob_roster, _) = r1.advance(&[served(&r2), served(&r3)]).unwrap();
    let carol_out = OutboundGroupSession::new_in_roster(
        &mut r,
        &r2_fork,
        carol.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let fork = GroupError::Roster(RosterError::Fork {
        held: r2.head(),
        seen: r2_fork.head(),
    });
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &carol_out.distribution(&carol.id),
            carol.id.public(),
            &bob_roster,
            carol.account.list(),
            bob.account.account_key(),
        )
        .unwrap_err(),
        fork
    );
    // A chain of the real previous epoch is only stale.
    let honest = OutboundGroupSession::new_in_roster(
        &mut r,
        &r2,
        carol.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    assert_eq!(
        InboundGroupSession::new_in_roster(
            &honest.distribution(&carol.id),
            carol.id.public(),
            &bob_roster,
            carol.account.list(),
            bob.account.account_key(),
        )
        .unwrap_err(),
        GroupError::Roster(RosterError::StaleChain {
            held: 3,
            announced: 2
        })
    );
}

#[test]
fn an_imported_chain_passes_the_roster_too() {
    let mut r = rng(1309);
    let Group {
        alice,
        bob,
        carol,
        r1,
        ..
    } = group(&mut r);
    let r2 = r1
        .with_member(
            alice.account.key_pair().unwrap(),
            carol.account.account_key(),
            Role::Admin,
        )
        .unwrap();
    let (bob_roster, _) = r1.advance(&[served(&r2)]).unwrap();
    // Carol signs a roster of her own for the group and exports a chain
    // under it to Bob.
    let rogue = Roster::create(
        carol.account.key_pair().unwrap(),
        GROUP,
        vec![Member::new(*carol.account.account_key(), Role::Admin)],
    )
    .unwrap();
    let carol_out = OutboundGroupSession::new_in_roster(
        &mut r,
        &rogue,
        carol.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let own = InboundGroupSession::new_in_roster(
        &carol_out.distribution(&carol.id),
        carol.id.public(),
        &rogue,
        carol.account.list(),
        carol.account.account_key(),
    )
    .unwrap();
    let export = own.export_at(own.position()).unwrap();
    assert_eq!(
        InboundGroupSession::import(&export).unwrap_err(),
        GroupError::Roster(RosterError::RosterMismatch)
    );
    assert!(matches!(
        InboundGroupSession::import_in_roster(
            &export,
            &bob_roster,
            carol.account.list(),
            bob.account.account_key()
        ),
        Err(GroupError::Roster(RosterError::Fork { .. }))
    ));
    // An export of a chain under the held roster imports.
    let honest = OutboundGroupSession::new_in_roster(
        &mut r,
        &r2,
        carol.account.account_key(),
        RotationPolicy::DEFAULT,
        NOW,
    )
    .unwrap();
    let theirs = InboundGroupSession::new_in_roster(
        &honest.distribution(&carol.id),
        carol.id.public(),
        &r2,
        carol.account.list(),
        carol.account.account_key(),
    )
    .unwrap();
    assert!(
        InboundGroupSession::import_in_roster(
            &theirs.export_at(theirs.position()).unwrap(),
            &bob_roster,
            carol.account.list(),
            bob.account.account_key()
        )
        .is_ok()
    );
}
