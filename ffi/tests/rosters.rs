//! Group rosters through the exported API, as the bindings call them: a
//! roster change forcing a rotation, distribution only to members'
//! devices, every refusal typed, and server verification.

use std::sync::Arc;

use qorgan::primitives::ed25519::Ed25519SigningKey;
use qorgan_ffi::*;

const NOW: i64 = 1_790_000_000;
const GROUP: &[u8] = b"ministry-ops";

/// A person with one device.
struct Person {
    device: Arc<Device>,
    account: Arc<Account>,
}

impl Person {
    fn new(label: &str) -> Self {
        let device = Device::new(NOW).unwrap();
        let account = Account::create(&device, label.into()).unwrap();
        Self { device, account }
    }

    fn key(&self) -> Vec<u8> {
        self.account.account_key().unwrap()
    }

    fn contact(&self) -> Arc<Contact> {
        Contact::pin(self.account.device_list().unwrap()).unwrap()
    }

    fn member(&self, role: RosterRole) -> RosterMember {
        RosterMember {
            account_key: self.key(),
            role,
        }
    }
}

/// A session from `from` to `to`'s device.
fn session(from: &Person, to: &Person) -> Arc<Session> {
    from.device.initiate(to.device.bundle().unwrap()).unwrap()
}

/// What `to` reads of a first message: its new session (with the
/// sender's identity) and the plaintext.
fn open_first(to: &Person, ciphertext: &[u8]) -> (Arc<Session>, Vec<u8>) {
    let accepted = to.device.accept(ciphertext, NOW).unwrap();
    (accepted.session, accepted.plaintext)
}

fn policy() -> GroupPolicy {
    GroupPolicy {
        max_messages: 1000,
        max_age_secs: 7 * 86_400,
    }
}

fn ciphertext(r: &FanoutResult) -> &[u8] {
    r.ciphertext
        .as_deref()
        .unwrap_or_else(|| panic!("{:?}", r.error))
}

/// A roster's bytes with the signer replaced by `forger` and signed by it:
/// well formed and well signed, by someone who is not an admin.
fn forged(template: &[u8], forger: &Ed25519SigningKey) -> Vec<u8> {
    let mut body = template[..template.len() - 64].to_vec();
    let signer_at = body.len() - 32;
    body[signer_at..].copy_from_slice(forger.public_key().as_bytes());
    let signature = forger.sign_parts(&[b"qorgan/v1/roster", &body]);
    body.extend_from_slice(&signature.to_bytes());
    body
}

#[test]
fn a_removal_forces_a_rotation_and_only_members_devices_get_the_chain() {
    let alice = Person::new("Alice");
    let bob = Person::new("Bob");
    let carol = Person::new("Carol");
    let mallory = Person::new("operator's listener");
    let r1 = Roster::create(
        &alice.account,
        GROUP.to_vec(),
        vec![
            alice.member(RosterRole::Admin),
            bob.member(RosterRole::Member),
            carol.member(RosterRole::Member),
        ],
    )
    .unwrap();
    assert_eq!(r1.epoch(), 1);
    assert_eq!(r1.previous(), None);
    assert_eq!(r1.signer(), alice.key());
    assert_eq!(r1.members().len(), 3);
    assert_eq!(r1.role_of(alice.key()).unwrap(), Some(RosterRole::Admin));
    assert_eq!(r1.role_of(mallory.key()).unwrap(), None);
    assert!(!r1.is_member(mallory.key()).unwrap());
    // As every device receives it: bytes, verified.
    let r1 = Roster::from_bytes(r1.to_bytes()).unwrap();

    let out = alice
        .device
        .create_group_in_roster(&r1, &alice.account, policy(), NOW)
        .unwrap();
    assert_eq!(out.roster().unwrap(), Some(r1.head()));
    // The operator's session with its listener is skipped.
    let sessions = vec![
        session(&alice, &bob),
        session(&alice, &carol),
        session(&alice, &mallory),
    ];
    let contacts = vec![bob.contact(), carol.contact(), mallory.contact()];
    let results = out
        .distribute_in_roster(&r1, &alice.account, contacts.clone(), sessions.clone())
        .unwrap();
    assert_eq!(results.len(), 3);
    let refused = results[2].error.as_ref().unwrap();
    assert_eq!(refused.kind, ErrorKind::NotInRoster);
    assert_eq!(
        refused.message,
        "device not of a roster member: nothing sent"
    );
    assert!(results[2].ciphertext.is_none());
    // The plain call refuses a rostered chain as a whole.
    assert!(matches!(
        out.distribute(sessions.clone()).unwrap_err(),
        QorganError::RosterMismatch
    ));

    let alice_at_bob = alice.contact();
    let alice_at_carol = alice.contact();
    let (bob_session, dist) = open_first(&bob, ciphertext(&results[0]));
    let from = bob_session.remote_identity().unwrap();
    // The plain constructor refuses a rostered chain.
    assert!(matches!(
        GroupReceiver::new(dist.clone(), from.clone()).unwrap_err(),
        QorganError::RosterMismatch
    ));
    r1.admit(
        out.announcement().unwrap(),
        &bob.account,
        Some(alice_at_bob.clone()),
    )
    .unwrap();
    let bob_rx =
        GroupReceiver::new_in_roster(dist, from, &r1, &bob.account, Some(alice_at_bob.clone()))
            .unwrap();
    let (carol_session, dist) = open_first(&carol, ciphertext(&results[1]));
    let from = carol_session.remote_identity().unwrap();
    let carol_rx =
        GroupReceiver::new_in_roster(dist, from, &r1, &carol.account, Some(alice_at_carol))
            .unwrap();
    let m = out.encrypt(b"orders").unwrap();
    for (rx, person) in [(&bob_rx, &bob), (&carol_rx, &carol)] {
        let read = rx
            .decrypt_in_roster(&m, &r1, &person.account, Some(alice.contact()))
            .unwrap();
        assert_eq!(read.plaintext, b"orders");
        assert_eq!(read.roster, Some(r1.head()));
    }
    // The plain calls refuse a rostered chain: the roster check cannot be
    // skipped.
    assert!(matches!(
        bob_rx.decrypt(&m).unwrap_err(),
        QorganError::RosterMismatch
    ));
    let batch = bob_rx.decrypt_batch(vec![m.clone()]).unwrap();
    assert_eq!(
        batch[0].error.as_ref().unwrap().kind,
        ErrorKind::RosterMismatch
    );
    // Another device of Bob's takes his receiver's export.
    let export = bob_rx.export().unwrap();
    assert!(matches!(
        GroupReceiver::from_export(export.clone()).unwrap_err(),
        QorganError::RosterMismatch
    ));
    GroupReceiver::from_export_in_roster(export.clone(), &r1, &bob.account, Some(alice.contact()))
        .unwrap();
    assert!(matches!(
        GroupReceiver::from_export_in_roster(export, &r1, &mallory.account, Some(alice.contact()))
            .unwrap_err(),
        QorganError::NotMember
    ));

    // Carol has a chain of her own in the group, which Bob holds.
    let carol_out = carol
        .device
        .create_group_in_roster(&r1, &carol.account, policy(), NOW)
        .unwrap();
    let carol_to_bob = session(&carol, &bob);
    let sent = carol_out
        .distribute_in_roster(&r1, &carol.account, vec![bob.contact()], vec![carol_to_bob])
        .unwrap();
    let (from_carol, dist) = open_first(&bob, ciphertext(&sent[0]));
    let carol_at_bob = carol.contact();
    let bob_from_carol = GroupReceiver::new_in_roster(
        dist,
        from_carol.remote_identity().unwrap(),
        &r1,
        &bob.account,
        Some(carol_at_bob.clone()),
    )
    .unwrap();
    // Sent before the removal, delivered after it.
    let carol_late = carol_out.encrypt(b"Carol, before her removal").unwrap();
    let alice_late = out.encrypt(b"Alice, before the removal").unwrap();

    // Alice removes Carol: epoch 2. Every device advances to it.
    let r2 = r1.without_member(&alice.account, carol.key()).unwrap();
    let update = r1.advance(vec![r2.to_bytes()]).unwrap();
    assert_eq!(update.roster.head(), r2.head());
    assert_eq!(update.change.before, r1.head());
    assert_eq!(update.change.after, r2.head());
    assert_eq!(update.change.removed, vec![carol.key()]);
    assert!(update.change.added.is_empty());
    assert_eq!(update.change.group_id, GROUP);
    // The same roster again: nothing changed.
    let same = update.roster.advance(vec![r2.to_bytes()]).unwrap();
    assert_eq!(same.change.before, same.change.after);

    let r1_announcement = out.announcement().unwrap();
    out.apply_roster(update.change.clone()).unwrap();
    assert_eq!(
        out.rotation_due(NOW).unwrap(),
        Some(RotationReason::MemberRemoved)
    );
    let e = out.encrypt(b"after the removal").unwrap_err();
    assert!(matches!(e, QorganError::RotationRequired { .. }), "{e:?}");
    assert_eq!(e.to_string(), "rotation required: a member was removed");
    // The old chain is stale under the new roster: refused as a whole.
    let e = out
        .distribute_in_roster(
            &update.roster,
            &alice.account,
            contacts.clone(),
            sessions.clone(),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::StaleChain {
                held: 2,
                announced: 1
            }
        ),
        "{e:?}"
    );
    out.rotate(NOW).unwrap();
    assert_eq!(out.roster().unwrap(), Some(r2.head()));
    let results = out
        .distribute_in_roster(&update.roster, &alice.account, contacts, sessions)
        .unwrap();
    assert!(results[0].error.is_none());
    assert_eq!(
        results[1].error.as_ref().unwrap().kind,
        ErrorKind::NotInRoster
    );
    assert_eq!(
        results[2].error.as_ref().unwrap().kind,
        ErrorKind::NotInRoster
    );

    // Bob, still at epoch 1, is told to fetch rosters; at epoch 2 he adds
    // the new chain.
    let dist = bob_session.decrypt(ciphertext(&results[0])).unwrap();
    let from = bob_session.remote_identity().unwrap();
    let e = bob_rx
        .add_in_roster(
            dist.clone(),
            from.clone(),
            &r1,
            &bob.account,
            Some(alice_at_bob.clone()),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::RosterBehind {
                held: 1,
                announced: 2
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "chain announced at roster epoch 2, newer than the held 1"
    );
    let bobs = r1.advance(vec![r2.to_bytes()]).unwrap().roster;
    let from = bob_session.remote_identity().unwrap();
    bob_rx
        .add_in_roster(dist, from, &bobs, &bob.account, Some(alice_at_bob.clone()))
        .unwrap();
    // Alice's old chain under the new roster: the sender has not rotated.
    let e = bobs
        .admit(
            r1_announcement.clone(),
            &bob.account,
            Some(alice_at_bob.clone()),
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::StaleChain {
                held: 2,
                announced: 1
            }
        ),
        "{e:?}"
    );
    // Carol, removed, may not take a chain of epoch 2 even if someone
    // hands it to her.
    let e = update
        .roster
        .admit(
            out.announcement().unwrap(),
            &carol.account,
            Some(alice.contact()),
        )
        .unwrap_err();
    assert!(matches!(e, QorganError::NotMember), "{e:?}");
    let m2 = out.encrypt(b"Carol's access is revoked").unwrap();
    let read = bob_rx
        .decrypt_in_roster(&m2, &bobs, &bob.account, Some(alice_at_bob.clone()))
        .unwrap();
    assert_eq!(read.plaintext, b"Carol's access is revoked");
    assert_eq!((read.rotation, read.roster), (1, Some(r2.head())));
    assert!(matches!(
        carol_rx
            .decrypt_in_roster(&m2, &r1, &carol.account, Some(alice.contact()))
            .unwrap_err(),
        QorganError::WrongChain { .. }
    ));
    // Alice's message from before the change still reads under epoch 2;
    // Carol, removed, keeps her chain key but her messages are refused.
    let read = bob_rx
        .decrypt_in_roster(&alice_late, &bobs, &bob.account, Some(alice_at_bob.clone()))
        .unwrap();
    assert_eq!(read.roster, Some(r1.head()));
    let e = bob_from_carol
        .decrypt_in_roster(&carol_late, &bobs, &bob.account, Some(carol_at_bob.clone()))
        .unwrap_err();
    assert!(matches!(e, QorganError::SenderNotMember), "{e:?}");
    let batch = bob_from_carol
        .decrypt_batch_in_roster(
            vec![carol_late.clone()],
            &bobs,
            &bob.account,
            Some(carol_at_bob.clone()),
        )
        .unwrap();
    assert_eq!(
        batch[0].error.as_ref().unwrap().kind,
        ErrorKind::SenderNotMember
    );
    // Under the roster it was sent in, it reads (nothing was consumed).
    let batch = bob_from_carol
        .decrypt_batch_in_roster(vec![carol_late], &r1, &bob.account, Some(carol_at_bob))
        .unwrap();
    assert_eq!(
        batch[0].decrypted.as_ref().unwrap().plaintext,
        b"Carol, before her removal"
    );
}

#[test]
fn chains_from_another_device_of_the_same_account_and_from_non_members() {
    let alice = Person::new("Alice");
    let bob = Person::new("Bob");
    let outsider = Person::new("outsider");
    let r1 = Roster::create(
        &alice.account,
        GROUP.to_vec(),
        vec![
            alice.member(RosterRole::Admin),
            bob.member(RosterRole::Member),
        ],
    )
    .unwrap();
    let out = bob
        .device
        .create_group_in_roster(&r1, &bob.account, policy(), NOW)
        .unwrap();
    let dist = out.distribution().unwrap();
    // Bob's chain, taken by Bob's own account (contact None: the sender
    // is "another device of this account").
    GroupReceiver::new_in_roster(
        dist.clone(),
        bob.device.identity_key().unwrap(),
        &r1,
        &bob.account,
        None,
    )
    .unwrap();
    // Taken by Alice against the wrong list (her own): the sender is in no
    // member's list she passed.
    let e = GroupReceiver::new_in_roster(
        dist.clone(),
        bob.device.identity_key().unwrap(),
        &r1,
        &alice.account,
        None,
    )
    .unwrap_err();
    assert!(matches!(e, QorganError::SenderNotMember), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::SenderNotMember);
    // The outsider cannot start a chain in the group, nor take one.
    assert!(matches!(
        outsider
            .device
            .create_group_in_roster(&r1, &outsider.account, policy(), NOW)
            .unwrap_err(),
        QorganError::NotMember
    ));
    assert!(matches!(
        GroupReceiver::new_in_roster(
            dist.clone(),
            bob.device.identity_key().unwrap(),
            &r1,
            &outsider.account,
            Some(bob.contact()),
        )
        .unwrap_err(),
        QorganError::NotMember
    ));
    // A chain of a group without a roster is not a rostered chain.
    let plain = bob
        .device
        .create_group(GROUP.to_vec(), policy(), NOW)
        .unwrap();
    assert!(matches!(
        r1.admit(
            plain.announcement().unwrap(),
            &alice.account,
            Some(bob.contact())
        )
        .unwrap_err(),
        QorganError::RosterMismatch
    ));
    assert!(matches!(
        plain
            .apply_roster(r1.advance(vec![r1.to_bytes()]).unwrap().change)
            .unwrap_err(),
        QorganError::RosterMismatch
    ));
    // Another group's roster.
    let other = Roster::create(
        &alice.account,
        b"other".to_vec(),
        vec![
            alice.member(RosterRole::Admin),
            bob.member(RosterRole::Member),
        ],
    )
    .unwrap();
    let e = other
        .admit(
            out.announcement().unwrap(),
            &alice.account,
            Some(bob.contact()),
        )
        .unwrap_err();
    assert!(matches!(e, QorganError::WrongGroup { .. }), "{e:?}");
    // A receiver adds Bob's next chain with add_in_roster.
    let rx = GroupReceiver::new_in_roster(
        dist,
        bob.device.identity_key().unwrap(),
        &r1,
        &alice.account,
        Some(bob.contact()),
    )
    .unwrap();
    out.rotate(NOW).unwrap();
    rx.add_in_roster(
        out.distribution().unwrap(),
        bob.device.identity_key().unwrap(),
        &r1,
        &alice.account,
        Some(bob.contact()),
    )
    .unwrap();
    assert!(matches!(
        rx.add(
            out.distribution().unwrap(),
            bob.device.identity_key().unwrap()
        )
        .unwrap_err(),
        QorganError::RosterMismatch
    ));
    assert_eq!(
        rx.decrypt_in_roster(
            &out.encrypt(b"hi").unwrap(),
            &r1,
            &alice.account,
            Some(bob.contact())
        )
        .unwrap()
        .rotation,
        1
    );
}

#[test]
fn roster_chain_refusals_are_typed() {
    let alice = Person::new("Alice");
    let bob = Person::new("Bob");
    let dana = Person::new("Dana");
    let r1 = Roster::create(
        &alice.account,
        GROUP.to_vec(),
        vec![
            alice.member(RosterRole::Admin),
            bob.member(RosterRole::Admin),
        ],
    )
    .unwrap();
    // Not listed as an admin, not an admin, not a member, no admin left.
    assert!(matches!(
        Roster::create(
            &alice.account,
            GROUP.to_vec(),
            vec![
                alice.member(RosterRole::Member),
                bob.member(RosterRole::Admin)
            ],
        )
        .unwrap_err(),
        QorganError::NotAdmin
    ));
    assert!(matches!(
        r1.with_member(&dana.account, dana.key(), RosterRole::Admin)
            .unwrap_err(),
        QorganError::NotAdmin
    ));
    let e = r1.without_member(&alice.account, dana.key()).unwrap_err();
    assert!(matches!(e, QorganError::InvalidRoster { .. }), "{e:?}");
    assert_eq!(e.to_string(), "invalid roster: account not a member");
    assert!(matches!(
        Roster::create(&alice.account, GROUP.to_vec(), vec![]).unwrap_err(),
        QorganError::NotAdmin | QorganError::InvalidRoster { .. }
    ));
    assert!(matches!(
        Roster::create(
            &alice.account,
            vec![0; 65],
            vec![alice.member(RosterRole::Admin)]
        )
        .unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    assert!(matches!(
        r1.with_member(&alice.account, vec![1; 31], RosterRole::Member)
            .unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));

    // A device linked without the account key cannot sign rosters.
    let tablet = Device::new(NOW).unwrap();
    let request = LinkRequest::new(&tablet).unwrap();
    let message = alice
        .account
        .provision(request.code().unwrap(), "tablet".into(), vec![], false)
        .unwrap();
    let tablet_account = request.complete(message).unwrap().account;
    assert!(matches!(
        r1.with_member(&tablet_account, dana.key(), RosterRole::Member)
            .unwrap_err(),
        QorganError::NoAccountKey
    ));

    // Alice adds Dana (epoch 2) while Bob, also an admin, removes Alice
    // (another epoch 2): a fork.
    let r2 = r1
        .with_member(&alice.account, dana.key(), RosterRole::Member)
        .unwrap();
    let r2_fork = r1.without_member(&bob.account, alice.key()).unwrap();
    let held = r1.advance(vec![r2.to_bytes()]).unwrap().roster;
    let e = held.advance(vec![r2_fork.to_bytes()]).unwrap_err();
    let QorganError::RosterFork { held: h, seen } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*h, r2.head());
    assert_eq!(seen.epoch, 2);
    assert_eq!(e.kind(), ErrorKind::RosterFork);
    assert_eq!(e.to_string(), "roster fork at epoch 2");
    // Rolled back, a gap, another group's roster.
    let r3 = r2.without_member(&alice.account, dana.key()).unwrap();
    let e = held.advance(vec![r1.to_bytes()]).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::RosterRolledBack {
                held: 2,
                offered: 1
            }
        ),
        "{e:?}"
    );
    let r4 = r3
        .with_member(&alice.account, dana.key(), RosterRole::Member)
        .unwrap();
    let e = held.advance(vec![r4.to_bytes()]).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::RosterGap {
                first_missing: 3,
                offered: 4
            }
        ),
        "{e:?}"
    );
    let newest = held
        .advance(vec![r3.to_bytes(), r4.to_bytes()])
        .unwrap()
        .roster;
    assert_eq!(newest.epoch(), 4);
    assert!(matches!(
        Roster::from_history(vec![
            r1.to_bytes(),
            r2.to_bytes(),
            r3.to_bytes(),
            r4.to_bytes()
        ], r2.head())
        .unwrap()
        .head(),
        h if h == r4.head()
    ));
    let other = Roster::create(
        &alice.account,
        b"other".to_vec(),
        vec![alice.member(RosterRole::Admin)],
    )
    .unwrap();
    assert!(matches!(
        other.advance(vec![r2.to_bytes()]).unwrap_err(),
        QorganError::WrongGroup { .. }
    ));

    // A roster signed by someone who is not an admin (the server's own
    // key, chained correctly to r1): refused.
    let forger = Ed25519SigningKey::from_seed(&[0x66; 32]);
    let forgery = forged(&r2.to_bytes(), &forger);
    let e = r1.advance(vec![forgery.clone()]).unwrap_err();
    assert!(matches!(e, QorganError::SignerNotAdmin), "{e:?}");
    assert_eq!(
        e.to_string(),
        "roster signed by an account that is not an admin"
    );
    let e = verify_roster_after(r1.to_bytes(), &forgery).unwrap_err();
    assert!(matches!(e, QorganError::SignerNotAdmin), "{e:?}");
    // An edited roster: the signature breaks.
    let mut edited = r2.to_bytes();
    let role = edited.len() - 64 - 32 - 1;
    edited[role] ^= 1;
    let e = Roster::from_bytes(edited).unwrap_err();
    assert!(
        matches!(e, QorganError::BadSignature { ref what } if what == "group roster"),
        "{e:?}"
    );
    assert!(matches!(
        Roster::from_bytes(vec![1, 0x34]).unwrap_err(),
        QorganError::Malformed { .. }
    ));
}

#[test]
fn a_server_verifies_rosters_and_their_continuity_one_by_one_and_in_a_batch() {
    let alice = Person::new("Alice");
    let bob = Person::new("Bob");
    let r1 = Roster::create(
        &alice.account,
        GROUP.to_vec(),
        vec![alice.member(RosterRole::Admin)],
    )
    .unwrap();
    let r2 = r1
        .with_member(&alice.account, bob.key(), RosterRole::Member)
        .unwrap();
    let info = verify_roster(&r1.to_bytes()).unwrap();
    assert_eq!(
        info,
        RosterInfo {
            group_id: GROUP.to_vec(),
            epoch: 1,
            previous: None,
            members: r1.members(),
            signer: alice.key(),
            head: r1.head(),
        }
    );
    let info = verify_roster_after(r1.to_bytes(), &r2.to_bytes()).unwrap();
    assert_eq!(info.epoch, 2);
    assert_eq!(info.previous, Some(r1.head().hash));
    assert_eq!(info.members.len(), 2);
    let e = verify_roster_after(r2.to_bytes(), &r1.to_bytes()).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::RosterNotSuccessor {
                epoch: 1,
                previous_epoch: 2
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "roster epoch 1 does not follow epoch 2");
    let e = verify_roster_after(vec![1, 2, 3], &r2.to_bytes()).unwrap_err();
    assert!(matches!(e, QorganError::InvalidArgument { .. }), "{e:?}");
    let mut bad = r2.to_bytes();
    let last = bad.len() - 1;
    bad[last] ^= 1;

    let items = vec![
        VerifyItem::Roster {
            bytes: r1.to_bytes(),
        },
        VerifyItem::Roster { bytes: bad.clone() },
        VerifyItem::RosterAfter {
            previous: r1.to_bytes(),
            bytes: r2.to_bytes(),
        },
        VerifyItem::RosterAfter {
            previous: r2.to_bytes(),
            bytes: r1.to_bytes(),
        },
        VerifyItem::RosterAfter {
            previous: b"junk".to_vec(),
            bytes: r2.to_bytes(),
        },
        VerifyItem::RosterAfter {
            previous: r1.to_bytes(),
            bytes: bad.clone(),
        },
    ];
    let results = verify_batch(items);
    let kinds: Vec<Option<ErrorKind>> = results
        .iter()
        .map(|r| r.error.as_ref().map(|f| f.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            None,
            Some(ErrorKind::BadSignature),
            None,
            Some(ErrorKind::RosterNotSuccessor),
            Some(ErrorKind::InvalidArgument),
            Some(ErrorKind::BadSignature),
        ]
    );
    assert_eq!(
        results.iter().map(|r| r.valid).collect::<Vec<_>>(),
        vec![true, false, true, false, false, false]
    );
    // The same verdicts one by one.
    assert_eq!(
        verify_roster(&bad).unwrap_err().failure(),
        results[1].error.clone().unwrap()
    );
}
