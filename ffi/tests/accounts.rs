//! Accounts and devices through the exported API, as the bindings call it:
//! the attacks of tests/tests/account_attacks.rs, and linking, sealed
//! state, fan-out and server verification.

use std::sync::Arc;

use qorgan::account::{AccountKey, seal_envelope};
use qorgan_ffi::*;

const KEY: [u8; 32] = [7; 32];
const NOW: i64 = 1_700_000_000;

/// A first message from `from` to `to`'s bundle, opened by `to`: the
/// initiator's session.
fn session(from: &Device, to: &Device) -> Arc<Session> {
    from.initiate(to.bundle().unwrap()).unwrap()
}

/// What `to` reads of a delivery that starts a session: the sender's
/// identity and the plaintext (an account envelope).
fn read(to: &Device, ciphertext: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let accepted = to.accept(ciphertext, NOW).unwrap();
    (
        accepted.session.remote_identity().unwrap(),
        accepted.plaintext,
    )
}

fn ciphertext(d: &Delivery) -> &[u8] {
    d.ciphertext
        .as_deref()
        .unwrap_or_else(|| panic!("{:?}", d.error))
}

fn flipped(bytes: &[u8], from_end: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    let i = v.len() - from_end;
    v[i] ^= 1;
    v
}

/// Links `device` to `account` by its code; returns what it received.
fn link(account: &Account, device: &Device, label: &str, share_key: bool) -> Provisioned {
    let request = LinkRequest::new(device).unwrap();
    let message = account
        .provision(request.code().unwrap(), label.into(), vec![], share_key)
        .unwrap();
    request.complete(message).unwrap()
}

#[test]
fn a_server_added_ghost_device_receives_nothing_and_is_reported() {
    let bob_phone = Device::new(NOW).unwrap();
    let bob = Account::create(&bob_phone, "Bob's phone".into()).unwrap();
    let alice_phone = Device::new(NOW).unwrap();
    let alice = Account::create(&alice_phone, "Alice's phone".into()).unwrap();
    let bob_contact = Contact::pin(bob.device_list().unwrap()).unwrap();
    let before = bob_contact.head().unwrap();

    // The operator enrols "Bob's tablet": it cannot sign a list as Bob...
    let ghost = Device::new(NOW).unwrap();
    let operator = Account::create(&ghost, "Bob's tablet".into()).unwrap();
    let e = bob_contact
        .update(vec![operator.device_list().unwrap()])
        .unwrap_err();
    assert!(matches!(e, QorganError::WrongAccount), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::WrongAccount);
    // ...and editing Bob's list breaks his signature.
    let edited = flipped(&bob.device_list().unwrap(), 70);
    assert!(matches!(
        bob_contact.update(vec![edited]).unwrap_err(),
        QorganError::BadSignature { .. }
    ));
    assert_eq!(bob_contact.head().unwrap(), before);
    assert!(!bob_contact.allows(ghost.identity_key().unwrap()).unwrap());

    // Alice's app opened sessions with every bundle the directory served.
    let sessions = vec![
        session(&alice_phone, &bob_phone),
        session(&alice_phone, &ghost),
    ];
    let d = fanout(&alice, &bob_contact, sessions.clone(), b"orders").unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].identity_key, bob_phone.identity_key().unwrap());
    assert!(d[0].error.is_none());
    // The ghost gets nothing, and the app is told.
    assert_eq!(d[1].identity_key, ghost.identity_key().unwrap());
    assert!(d[1].ciphertext.is_none());
    let failure = d[1].error.as_ref().unwrap();
    assert_eq!(failure.kind, ErrorKind::NotListed);
    assert_eq!(
        failure.message,
        "device not in the account's device list: nothing sent"
    );
    // The ghost's session did not advance: nothing was encrypted with it.
    assert!(sessions[1].is_pending().unwrap());

    // Bob's phone reads it; the heads agree with what it holds.
    let (from, pt) = read(&bob_phone, ciphertext(&d[0]));
    let alice_contact = Contact::pin(alice.device_list().unwrap()).unwrap();
    let got = receive(&bob, &alice_contact, from, &pt).unwrap();
    assert_eq!(got.body, b"orders");
    let report = got.report.expect("heads go out with the first message");
    assert_eq!(
        (report.sender, report.peer, report.fork),
        (Comparison::Same, Comparison::Same, false)
    );

    // The ghost writes to Alice from its own account: its session opens
    // (a real identity), but the envelope names the operator's account,
    // not Bob's conversation.
    let ghosts_view_of_alice = Contact::pin(alice.device_list().unwrap()).unwrap();
    let m = fanout(
        &operator,
        &ghosts_view_of_alice,
        vec![session(&ghost, &alice_phone)],
        b"send me the files",
    )
    .unwrap();
    let (from, pt) = read(&alice_phone, ciphertext(&m[0]));
    let e = receive(&alice, &bob_contact, from, &pt).unwrap_err();
    assert!(matches!(e, QorganError::Misaddressed), "{e:?}");
    // An envelope naming Bob's account, sealed by hand: the ghost is not
    // in Bob's list.
    let account = |k: Vec<u8>| AccountKey::from_bytes(&k.try_into().unwrap()).unwrap();
    let envelope = seal_envelope(
        &account(bob.account_key().unwrap()),
        &account(alice.account_key().unwrap()),
        None,
        b"send me the files",
    );
    let m = session(&ghost, &alice_phone).encrypt(&envelope).unwrap();
    let (from, pt) = read(&alice_phone, &m);
    let e = receive(&alice, &bob_contact, from, &pt).unwrap_err();
    assert!(matches!(e, QorganError::DeviceNotListed), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::DeviceNotListed);
    assert_eq!(e.to_string(), "device not in its account's device list");
}

#[test]
fn a_rolled_back_device_list_is_refused() {
    let phone = Device::new(NOW).unwrap();
    let tablet = Device::new(NOW).unwrap();
    let bob = Account::create(&phone, "phone".into()).unwrap();
    let v1 = bob.device_list().unwrap();
    link(&bob, &tablet, "tablet", false);
    let v2 = bob.device_list().unwrap();
    let contact = Contact::pin(v1.clone()).unwrap();
    let at_v1 = contact.seal(KEY.to_vec()).unwrap();
    let v3 = bob.remove_device(tablet.identity_key().unwrap()).unwrap();
    assert_eq!(v3, bob.device_list().unwrap());
    // Missing versions are asked for, not guessed.
    let e = contact.update(vec![v3.clone()]).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::Gap {
                first_missing: 2,
                offered: 3
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "device lists 2..3 missing");
    let change = contact.update(vec![v2.clone(), v3.clone()]).unwrap();
    assert_eq!((change.before.version, change.after.version), (1, 3));
    assert!(change.added.is_empty() && change.removed.is_empty());
    assert!(!contact.allows(tablet.identity_key().unwrap()).unwrap());

    // The tablet was stolen and removed; the operator serves the older
    // lists that still name it.
    for (old, version) in [(&v2, 2), (&v1, 1)] {
        let e = contact.update(vec![old.clone()]).unwrap_err();
        assert!(
            matches!(e, QorganError::ListRolledBack { held: 3, offered } if offered == version),
            "{e:?}"
        );
        assert_eq!(e.kind(), ErrorKind::ListRolledBack);
    }
    assert_eq!(
        contact.head().unwrap(),
        bob.head().unwrap(),
        "nothing changed"
    );
    // The same list again is no change.
    let same = contact.update(vec![v3]).unwrap();
    assert_eq!(same.before, same.after);

    // Nor can the rollback come through the contact's stored state: the
    // copy sealed at version 1 is older than the generation recorded.
    let at_v3 = contact.seal(KEY.to_vec()).unwrap();
    let generation = contact.generation().unwrap();
    assert_eq!(generation, 2);
    let account_key = contact.account_key().unwrap();
    assert_eq!(account_key, bob.account_key().unwrap());
    assert!(matches!(
        Contact::open(KEY.to_vec(), at_v1, account_key.clone(), generation).unwrap_err(),
        QorganError::RolledBack {
            min_generation: 2,
            found: 1
        }
    ));
    let restored = Contact::open(KEY.to_vec(), at_v3, account_key, generation).unwrap();
    assert_eq!(restored.head().unwrap().version, 3);
    assert_eq!(restored.devices().unwrap().len(), 1);
}

#[test]
fn a_forked_list_is_detected_by_both_peers_through_in_session_heads() {
    let bob_phone = Device::new(NOW).unwrap();
    let laptop = Device::new(NOW).unwrap();
    let alice_phone = Device::new(NOW).unwrap();
    let bob = Account::create(&bob_phone, "phone".into()).unwrap();
    let alice = Account::create(&alice_phone, "phone".into()).unwrap();

    // Bob links his laptop and trusts it with the account key.
    let laptop_account = link(&bob, &laptop, "laptop", true).account;
    assert!(laptop_account.holds_account_key().unwrap());
    let bob_contact = Contact::pin(bob.device_list().unwrap()).unwrap();
    let alice_contact = Contact::pin(alice.device_list().unwrap()).unwrap();

    // The laptop is stolen. Bob removes it (version 3, from his phone);
    // the thief links a ghost with the account key (another version 3),
    // and the operator shows that one to Alice.
    bob.remove_device(laptop.identity_key().unwrap()).unwrap();
    let honest = bob.head().unwrap();
    let ghost = Device::new(NOW).unwrap();
    link(&laptop_account, &ghost, "tablet", false);
    let forked_v3 = laptop_account.device_list().unwrap();
    let forked = laptop_account.head().unwrap();
    assert_eq!(forked.version, honest.version);
    assert_ne!(forked.hash, honest.hash);
    let change = bob_contact.update(vec![forked_v3.clone()]).unwrap();
    assert_eq!(change.added.len(), 1, "Alice's app shows a new device");
    assert_eq!(change.added[0].label, "tablet");
    assert_eq!(change.added[0].identity_key, ghost.identity_key().unwrap());

    // Bob's phone writes to Alice: its heads name the honest version 3.
    let d = fanout(
        &bob,
        &alice_contact,
        vec![session(&bob_phone, &alice_phone)],
        b"hi",
    )
    .unwrap();
    let (from, pt) = read(&alice_phone, ciphertext(&d[0]));
    let report = receive(&alice, &bob_contact, from, &pt)
        .unwrap()
        .report
        .unwrap();
    assert!(report.fork, "Alice sees the fork");
    assert_eq!(
        report.sender,
        Comparison::Fork {
            held: forked.clone(),
            seen: honest.clone()
        }
    );

    // Alice writes to Bob: her heads name the forked list as Bob's. (Her
    // contact now lists the laptop and the ghost too: no session, nothing
    // sent to them.)
    let d = fanout(
        &alice,
        &bob_contact,
        vec![session(&alice_phone, &bob_phone)],
        b"hello",
    )
    .unwrap();
    assert_eq!(d.len(), 3);
    let to_phone = d
        .iter()
        .find(|x| x.identity_key == bob_phone.identity_key().unwrap())
        .unwrap();
    for other in d.iter().filter(|x| x.ciphertext.is_none()) {
        assert_eq!(other.error.as_ref().unwrap().kind, ErrorKind::NoSession);
    }
    let (from, pt) = read(&bob_phone, ciphertext(to_phone));
    let report = receive(&bob, &alice_contact, from, &pt)
        .unwrap()
        .report
        .unwrap();
    assert_eq!(
        report.peer,
        Comparison::Fork {
            held: honest.clone(),
            seen: forked.clone()
        },
        "Bob sees that Alice was shown another list of his"
    );
    // Bob's own copy of the fork through the list chain: refused, typed.
    match bob.update(vec![forked_v3]).unwrap_err() {
        QorganError::Fork { held, seen } => {
            assert_eq!((held, seen), (honest, forked));
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn a_replayed_provisioning_message_is_refused() {
    let phone = Device::new(NOW).unwrap();
    let tablet = Device::new(NOW).unwrap();
    let other = Device::new(NOW).unwrap();
    let bob = Account::create(&phone, "phone".into()).unwrap();
    let carol_phone = Device::new(NOW).unwrap();
    let carol = Account::create(&carol_phone, "carol".into()).unwrap();
    let carol_contact = Contact::pin(carol.device_list().unwrap()).unwrap();

    let request = LinkRequest::new(&tablet).unwrap();
    let code = request.code().unwrap();
    // QR alphanumeric mode: upper case letters and digits only.
    assert_eq!(code.len(), 285);
    assert!(
        code.bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    );
    // The scanning phone can show who asks.
    assert_eq!(
        link_code_device(code.clone()).unwrap(),
        tablet.identity_key().unwrap()
    );
    for bad in [
        code.to_lowercase(),
        code[..200].to_string(),
        "QORGAN".into(),
    ] {
        let e = link_code_device(bad.clone()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidLinkCode, "{e:?}");
        assert!(bob.provision(bad, "x".into(), vec![], false).is_err());
    }
    assert_eq!(
        bob.head().unwrap().version,
        1,
        "refused codes change nothing"
    );
    let message = bob
        .provision(code, "tablet".into(), vec![carol_contact.clone()], false)
        .unwrap();

    // Modified on the way: refused, and the request stays usable.
    let e = request.complete(flipped(&message, 1)).unwrap_err();
    assert!(matches!(e, QorganError::ProvisioningFailed), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::ProvisioningFailed);
    // Redirected to another device being linked: refused.
    let elsewhere = LinkRequest::new(&other).unwrap();
    assert!(matches!(
        elsewhere.complete(message.clone()).unwrap_err(),
        QorganError::ProvisioningFailed
    ));
    let got = request.complete(message.clone()).unwrap();
    let tablet_account = got.account;
    assert!(tablet_account.is_listed().unwrap());
    assert!(!tablet_account.holds_account_key().unwrap());
    assert_eq!(
        tablet_account.device_list().unwrap(),
        bob.device_list().unwrap()
    );
    assert_eq!(got.contacts.len(), 1);
    assert_eq!(
        got.contacts[0].account_key().unwrap(),
        carol.account_key().unwrap()
    );
    // Replayed to the same device: refused.
    assert!(matches!(
        request.complete(message).unwrap_err(),
        QorganError::ProvisioningFailed
    ));
    // A device without the account key can neither remove nor link.
    let e = tablet_account
        .remove_device(phone.identity_key().unwrap())
        .unwrap_err();
    assert!(matches!(e, QorganError::NoAccountKey), "{e:?}");
    assert_eq!(e.to_string(), "this device does not hold the account key");
    let another = LinkRequest::new(&other).unwrap();
    assert!(matches!(
        tablet_account
            .provision(another.code().unwrap(), "x".into(), vec![], false)
            .unwrap_err(),
        QorganError::NoAccountKey
    ));
    // Linking a device already listed: refused, nothing changed.
    let again = LinkRequest::new(&tablet).unwrap();
    let e = bob
        .provision(again.code().unwrap(), "tablet".into(), vec![], false)
        .unwrap_err();
    assert!(matches!(e, QorganError::InvalidList { .. }), "{e:?}");
    assert_eq!(bob.head().unwrap().version, 2);
}

#[test]
fn linking_end_to_end_with_sealed_state_and_own_devices() {
    let phone = Device::new(NOW).unwrap();
    let tablet = Device::new(NOW).unwrap();
    let alice_phone = Device::new(NOW).unwrap();
    let bob = Account::create(&phone, "phone".into()).unwrap();
    let alice = Account::create(&alice_phone, "Alice".into()).unwrap();
    let alice_on_phone = Contact::pin(alice.device_list().unwrap()).unwrap();
    let bob_at_alice = Contact::pin(bob.device_list().unwrap()).unwrap();
    assert!(bob.holds_account_key().unwrap());

    let got = {
        let request = LinkRequest::new(&tablet).unwrap();
        let message = bob
            .provision(
                request.code().unwrap(),
                "Bob's tablet".into(),
                vec![alice_on_phone.clone()],
                true,
            )
            .unwrap();
        request.complete(message).unwrap()
    };
    let tablet_account = got.account;
    let alice_on_tablet = got.contacts[0].clone();
    assert!(tablet_account.holds_account_key().unwrap());
    assert_eq!(tablet_account.head().unwrap(), bob.head().unwrap());
    assert_eq!(
        alice_on_tablet.head().unwrap(),
        alice_on_phone.head().unwrap()
    );
    let labels: Vec<String> = bob
        .devices()
        .unwrap()
        .into_iter()
        .map(|d| d.label)
        .collect();
    assert_eq!(labels.len(), 2);
    assert!(labels.contains(&"phone".to_string()) && labels.contains(&"Bob's tablet".to_string()));

    // Alice learns of the tablet from Bob's published list.
    let change = bob_at_alice
        .update(vec![bob.device_list().unwrap()])
        .unwrap();
    assert_eq!(
        change.added,
        [DeviceInfo {
            identity_key: tablet.identity_key().unwrap(),
            label: "Bob's tablet".into()
        }]
    );
    assert!(change.removed.is_empty());

    // Bob writes from his phone: Alice and his own tablet get it.
    let sessions = vec![session(&phone, &alice_phone), session(&phone, &tablet)];
    let d = fanout(&bob, &alice_on_phone, sessions, b"from the phone").unwrap();
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].identity_key, alice_phone.identity_key().unwrap());
    assert_eq!(d[1].identity_key, tablet.identity_key().unwrap());
    let (from, pt) = read(&alice_phone, ciphertext(&d[0]));
    assert_eq!(
        envelope_accounts(&pt).unwrap(),
        EnvelopeAccounts {
            sender: bob.account_key().unwrap(),
            recipient: alice.account_key().unwrap(),
        }
    );
    assert_eq!(
        receive(&alice, &bob_at_alice, from, &pt).unwrap().body,
        b"from the phone"
    );
    // The tablet reads its copy as one of its own account's devices: the
    // envelope names the conversation (Alice's account), and a copy read
    // in another conversation is refused.
    let (from, pt) = read(&tablet, ciphertext(&d[1]));
    assert_eq!(
        envelope_accounts(&pt).unwrap(),
        EnvelopeAccounts {
            sender: bob.account_key().unwrap(),
            recipient: alice.account_key().unwrap(),
        }
    );
    let carol = Account::create(&Device::new(NOW).unwrap(), "Carol".into()).unwrap();
    let carol_on_tablet = Contact::pin(carol.device_list().unwrap()).unwrap();
    let e = receive(&tablet_account, &carol_on_tablet, from.clone(), &pt).unwrap_err();
    assert!(matches!(e, QorganError::Misaddressed), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Misaddressed);
    assert!(matches!(
        envelope_accounts(b"not an envelope").unwrap_err(),
        QorganError::Malformed { .. }
    ));
    let got = receive(&tablet_account, &alice_on_tablet, from, &pt).unwrap();
    assert_eq!(got.body, b"from the phone");
    let report = got.report.unwrap();
    assert_eq!(
        (report.sender, report.peer),
        (Comparison::Same, Comparison::Same)
    );

    // Sealed and opened by account key; another account's, or a contact's
    // blob, is refused.
    let sealed = tablet_account.seal(KEY.to_vec()).unwrap();
    let generation = tablet_account.generation().unwrap();
    assert_eq!(generation, 1);
    let key = tablet_account.account_key().unwrap();
    assert_eq!(key, bob.account_key().unwrap());
    let restored = Account::open(KEY.to_vec(), sealed.clone(), key.clone(), generation).unwrap();
    assert!(restored.holds_account_key().unwrap());
    assert_eq!(restored.head().unwrap(), bob.head().unwrap());
    assert!(matches!(
        Account::open(
            KEY.to_vec(),
            sealed.clone(),
            alice.account_key().unwrap(),
            0
        )
        .unwrap_err(),
        QorganError::WrongOwner
    ));
    assert!(matches!(
        Account::open(KEY.to_vec(), sealed, vec![0; 31], 0).unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    let contact_blob = bob_at_alice.seal(KEY.to_vec()).unwrap();
    assert!(matches!(
        Account::open(KEY.to_vec(), contact_blob, key, 0).unwrap_err(),
        QorganError::CorruptState { .. }
    ));
    restored.resume_generation(5).unwrap();
    restored.seal(KEY.to_vec()).unwrap();
    assert_eq!(restored.generation().unwrap(), 6);

    // The tablet (holding the key) removes the phone; the phone catches up
    // and finds itself removed.
    let v3 = tablet_account
        .remove_device(phone.identity_key().unwrap())
        .unwrap();
    assert!(bob.is_listed().unwrap());
    let change = bob.update(vec![v3]).unwrap();
    assert_eq!(change.removed.len(), 1);
    assert!(!bob.is_listed().unwrap());
}

#[test]
fn a_device_listed_by_two_accounts_is_attributed_by_its_envelope() {
    // Any account can list any device: Bob's phone is in Bob's list and in
    // Mallory's (made on it here; an operator could list it unasked).
    let shared = Device::new(NOW).unwrap();
    let bob = Account::create(&shared, "Bob's phone".into()).unwrap();
    let mallory = Account::create(&shared, "Mallory's phone".into()).unwrap();
    let alice_phone = Device::new(NOW).unwrap();
    let alice = Account::create(&alice_phone, "Alice".into()).unwrap();
    let bob_at_alice = Contact::pin(bob.device_list().unwrap()).unwrap();
    let mallory_at_alice = Contact::pin(mallory.device_list().unwrap()).unwrap();
    let id = shared.identity_key().unwrap();
    assert!(bob_at_alice.allows(id.clone()).unwrap());
    assert!(mallory_at_alice.allows(id).unwrap());
    let alice_at_shared = Contact::pin(alice.device_list().unwrap()).unwrap();

    // Each account's message is attributed to that account by its envelope,
    // whichever conversation the app tries: never to the other account.
    for (sender, conversation, other, body) in [
        (&bob, &bob_at_alice, &mallory_at_alice, &b"from Bob"[..]),
        (
            &mallory,
            &mallory_at_alice,
            &bob_at_alice,
            &b"from Mallory"[..],
        ),
    ] {
        let d = fanout(
            sender,
            &alice_at_shared,
            vec![session(&shared, &alice_phone)],
            body,
        )
        .unwrap();
        assert_eq!(d.len(), 1);
        let (from, pt) = read(&alice_phone, ciphertext(&d[0]));
        let accounts = envelope_accounts(&pt).unwrap();
        assert_eq!(accounts.sender, sender.account_key().unwrap());
        assert_eq!(accounts.sender, conversation.account_key().unwrap());
        assert_eq!(accounts.recipient, alice.account_key().unwrap());
        let e = receive(&alice, other, from.clone(), &pt).unwrap_err();
        assert!(matches!(e, QorganError::Misaddressed), "{e:?}");
        assert_eq!(receive(&alice, conversation, from, &pt).unwrap().body, body);
    }

    // An envelope naming an account that does not list the sending device
    // is refused: Carol's account does not list the shared phone.
    let carol = Account::create(&Device::new(NOW).unwrap(), "Carol".into()).unwrap();
    let carol_at_alice = Contact::pin(carol.device_list().unwrap()).unwrap();
    let d = fanout(
        &carol,
        &alice_at_shared,
        vec![session(&shared, &alice_phone)],
        b"from Carol?",
    )
    .unwrap();
    let (from, pt) = read(&alice_phone, ciphertext(&d[0]));
    assert_eq!(
        envelope_accounts(&pt).unwrap().sender,
        carol.account_key().unwrap()
    );
    let e = receive(&alice, &carol_at_alice, from, &pt).unwrap_err();
    assert!(matches!(e, QorganError::DeviceNotListed), "{e:?}");
}

#[test]
fn account_safety_numbers_do_not_change_when_devices_do() {
    let phone = Device::new(NOW).unwrap();
    let tablet = Device::new(NOW).unwrap();
    let bob = Account::create(&phone, "phone".into()).unwrap();
    let alice_phone = Device::new(NOW).unwrap();
    let alice = Account::create(&alice_phone, "phone".into()).unwrap();
    let bob_at_alice = Contact::pin(bob.device_list().unwrap()).unwrap();
    let alice_at_bob = Contact::pin(alice.device_list().unwrap()).unwrap();
    let before = alice
        .safety_number(b"alice".to_vec(), &bob_at_alice, b"bob".to_vec())
        .unwrap();
    link(&bob, &tablet, "tablet", false);
    bob_at_alice
        .update(vec![bob.device_list().unwrap()])
        .unwrap();
    let after = alice
        .safety_number(b"alice".to_vec(), &bob_at_alice, b"bob".to_vec())
        .unwrap();
    assert_eq!(before.display, after.display);
    assert_eq!(before.display.len(), 71, "60 digits in 12 groups");
    // Bob computes the same number from his side, and the scan matches.
    let at_bob = bob
        .safety_number(b"bob".to_vec(), &alice_at_bob, b"alice".to_vec())
        .unwrap();
    assert_eq!(at_bob.display, after.display);
    assert!(safety_numbers_match(&at_bob, after.scannable.clone()));
    // Other ids: another number.
    let other = alice
        .safety_number(b"alice".to_vec(), &bob_at_alice, b"mallory".to_vec())
        .unwrap();
    assert!(!safety_numbers_match(&other, after.scannable.clone()));
    // A per-device number never matches an account number.
    let per_device = alice_phone
        .safety_number(
            phone.identity_key().unwrap(),
            b"alice".to_vec(),
            b"bob".to_vec(),
        )
        .unwrap();
    assert!(!safety_numbers_match(&per_device, after.scannable.clone()));
    assert_ne!(per_device.scannable[0], after.scannable[0]);
}

#[test]
fn a_server_verifies_lists_their_continuity_and_whose_upload_it_is() {
    let phone = Device::new(NOW).unwrap();
    let tablet = Device::new(NOW).unwrap();
    let bob = Account::create(&phone, "phone".into()).unwrap();
    let v1 = bob.device_list().unwrap();
    let v1_head = bob.head().unwrap();
    link(&bob, &tablet, "tablet", false);
    let v2 = bob.device_list().unwrap();

    let info = verify_device_list(&v1).unwrap();
    assert_eq!(
        info,
        DeviceListInfo {
            account_key: bob.account_key().unwrap(),
            version: 1,
            previous: None,
            devices: vec![DeviceInfo {
                identity_key: phone.identity_key().unwrap(),
                label: "phone".into()
            }],
            head: v1_head.clone(),
        }
    );
    let bob_key = bob.account_key().unwrap();
    let info = verify_device_list_after(bob_key.clone(), v1_head.clone(), &v2).unwrap();
    assert_eq!(info.version, 2);
    assert_eq!(info.previous.as_deref(), Some(v1_head.hash.as_slice()));
    assert_eq!(info.head, bob.head().unwrap());
    assert_eq!(info.devices.len(), 2);
    // Not a successor of what the server holds: refused, typed.
    let e = verify_device_list_after(bob_key.clone(), v1_head.clone(), &v1).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::NotSuccessor {
                version: 1,
                previous_version: 1
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.kind(), ErrorKind::NotSuccessor);
    assert_eq!(
        e.to_string(),
        "device list version 1 does not follow version 1"
    );
    let skipped = ListHead {
        version: 0,
        hash: vec![0; 32],
    };
    assert!(matches!(
        verify_device_list_after(bob_key.clone(), skipped, &v2).unwrap_err(),
        QorganError::NotSuccessor { .. }
    ));
    let short = ListHead {
        version: 1,
        hash: vec![0; 31],
    };
    assert!(matches!(
        verify_device_list_after(bob_key.clone(), short.clone(), &v2).unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    assert!(matches!(
        verify_device_list_after(bob_key[..31].to_vec(), v1_head.clone(), &v2).unwrap_err(),
        QorganError::InvalidArgument { .. }
    ));
    // Another account's list that names the head held for Bob as its
    // previous one is not Bob's next list. (The server holds `held` for
    // Bob; Mallory's second list names it.)
    let mallory = Account::create(&Device::new(NOW).unwrap(), "phone".into()).unwrap();
    let held = mallory.head().unwrap();
    link(&mallory, &Device::new(NOW).unwrap(), "tablet", false);
    let mallory_v2 = mallory.device_list().unwrap();
    let mallory_key = mallory.account_key().unwrap();
    assert_eq!(
        verify_device_list_after(mallory_key.clone(), held.clone(), &mallory_v2)
            .unwrap()
            .previous
            .as_deref(),
        Some(held.hash.as_slice())
    );
    let e = verify_device_list_after(bob_key.clone(), held.clone(), &mallory_v2).unwrap_err();
    assert!(
        matches!(
            e,
            QorganError::NotSuccessor {
                version: 2,
                previous_version: 1
            }
        ),
        "{e:?}"
    );
    let forged = flipped(&v2, 1);
    match verify_device_list(&forged).unwrap_err() {
        QorganError::BadSignature { what } => assert_eq!(what, "device list"),
        e => panic!("{e:?}"),
    }
    assert!(matches!(
        verify_device_list(&v2[..v2.len() - 1]).unwrap_err(),
        QorganError::Malformed { .. }
    ));
    assert!(matches!(
        verify_device_list(&phone.identity_key().unwrap()).unwrap_err(),
        QorganError::Malformed { .. }
    ));

    // The same verdicts in a batch, among other items.
    let items = vec![
        VerifyItem::DeviceList { bytes: v1.clone() },
        VerifyItem::DeviceList {
            bytes: forged.clone(),
        },
        VerifyItem::DeviceListAfter {
            account_key: bob_key.clone(),
            previous: v1_head.clone(),
            bytes: v2.clone(),
        },
        VerifyItem::DeviceListAfter {
            account_key: bob_key.clone(),
            previous: v1_head.clone(),
            bytes: v1.clone(),
        },
        VerifyItem::DeviceListAfter {
            account_key: bob_key.clone(),
            previous: short,
            bytes: v2.clone(),
        },
        VerifyItem::DeviceListAfter {
            account_key: bob_key.clone(),
            previous: held.clone(),
            bytes: mallory_v2.clone(),
        },
        VerifyItem::DeviceListAfter {
            account_key: mallory_key.clone(),
            previous: held,
            bytes: mallory_v2,
        },
        VerifyItem::DeviceListAfter {
            account_key: vec![0; 33],
            previous: v1_head.clone(),
            bytes: v2.clone(),
        },
        VerifyItem::Identity {
            bytes: phone.identity_key().unwrap(),
        },
        VerifyItem::DeviceList {
            bytes: b"junk".to_vec(),
        },
    ];
    let kinds: Vec<_> = verify_batch(items)
        .iter()
        .map(|r| (r.valid, r.error.as_ref().map(|f| f.kind)))
        .collect();
    assert_eq!(
        kinds,
        [
            (true, None),
            (false, Some(ErrorKind::BadSignature)),
            (true, None),
            (false, Some(ErrorKind::NotSuccessor)),
            (false, Some(ErrorKind::InvalidArgument)),
            (false, Some(ErrorKind::NotSuccessor)),
            (true, None),
            (false, Some(ErrorKind::InvalidArgument)),
            (true, None),
            (false, Some(ErrorKind::Malformed)),
        ]
    );

    // An upload is the account's if its identity is in the account's list.
    let upload = verify_upload(&phone.upload(NOW).unwrap().unwrap()).unwrap();
    let list = verify_device_list(&v2).unwrap();
    assert!(
        list.devices
            .iter()
            .any(|d| d.identity_key == upload.identity_key)
    );
    assert_eq!(list.account_key, bob.account_key().unwrap());
}

#[test]
fn fanout_puts_every_session_back_and_never_deadlocks() {
    let alice_phone = Device::new(NOW).unwrap();
    let alice = Account::create(&alice_phone, "a".into()).unwrap();
    let alice_too = Account::create(&alice_phone, "a".into()).unwrap();
    let bob_phone = Device::new(NOW).unwrap();
    let bob_tablet = Device::new(NOW).unwrap();
    let bob = Account::create(&bob_phone, "phone".into()).unwrap();
    link(&bob, &bob_tablet, "tablet", false);
    let bob_contact = Contact::pin(bob.device_list().unwrap()).unwrap();
    let bob_contact_too = Contact::pin(bob.device_list().unwrap()).unwrap();
    let s1 = session(&alice_phone, &bob_phone);
    let s2 = session(&alice_phone, &bob_tablet);

    // The same session twice is taken once.
    let d = fanout(&alice, &bob_contact, vec![s1.clone(), s1.clone()], b"x").unwrap();
    assert_eq!(d.len(), 2);
    for x in &d {
        if x.identity_key == bob_phone.identity_key().unwrap() {
            assert!(x.ciphertext.is_some());
        } else {
            assert_eq!(x.error.as_ref().unwrap().kind, ErrorKind::NoSession);
        }
    }
    // Two fan-outs over the same sessions in opposite orders, at once.
    let threads: Vec<_> = [
        (
            alice.clone(),
            bob_contact.clone(),
            vec![s1.clone(), s2.clone()],
        ),
        (
            alice_too.clone(),
            bob_contact_too.clone(),
            vec![s2.clone(), s1.clone()],
        ),
    ]
    .into_iter()
    .map(|(a, c, s)| {
        std::thread::spawn(move || {
            for _ in 0..200 {
                let d = fanout(&a, &c, s.clone(), b"y").unwrap();
                assert!(d.iter().all(|d| d.ciphertext.is_some()));
            }
        })
    })
    .collect();
    for t in threads {
        t.join().unwrap();
    }
    // The sessions are back in their objects and go on.
    let m = s1.encrypt(b"after").unwrap();
    let (_, pt) = read(&bob_phone, &m);
    assert_eq!(pt, b"after");
    assert!(s2.seal(KEY.to_vec()).is_ok());

    // Heads go out with the first message, then only every 32 messages
    // while neither list changes.
    let (to_bob, at_bob) = pair(&alice_phone, &bob_phone);
    let fresh = Contact::pin(bob.device_list().unwrap()).unwrap();
    let alice_at_bob = Contact::pin(alice.device_list().unwrap()).unwrap();
    let mut with_heads = Vec::new();
    let phone_id = bob_phone.identity_key().unwrap();
    for i in 0..64 {
        let d = fanout(&alice, &fresh, vec![to_bob.clone()], b"z").unwrap();
        let to_phone = d.iter().find(|x| x.identity_key == phone_id).unwrap();
        let pt = at_bob.decrypt(ciphertext(to_phone)).unwrap();
        let got = receive(
            &bob,
            &alice_at_bob,
            alice_phone.identity_key().unwrap(),
            &pt,
        )
        .unwrap();
        assert_eq!(got.body, b"z");
        if got.report.is_some() {
            with_heads.push(i);
        }
    }
    assert_eq!(with_heads, [0, 32]);
}

/// An established pair from `from` to `to` (the responder has replied).
fn pair(from: &Device, to: &Device) -> (Arc<Session>, Arc<Session>) {
    let ours = session(from, to);
    let theirs = to
        .accept(&ours.encrypt(b"hello").unwrap(), NOW)
        .unwrap()
        .session;
    ours.decrypt(&theirs.encrypt(b"ack").unwrap()).unwrap();
    (ours, theirs)
}
