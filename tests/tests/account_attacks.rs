//! Issue 11 as the operator would attack it, through the public API.
//!
//! Before accounts, an identity was a device and nothing signed which
//! devices were a person's: the operator could enrol "Bob's tablet", every
//! contact opened a session with it and handed it every message, and no
//! safety number changed. Now an account key signs a versioned, chained
//! device list; devices send only to listed devices, refuse rolled-back
//! lists, and compare list heads inside their sessions.

use qorgan::account::{
    Account, Comparison, Contact, DeviceEntry, DeviceList, LinkCode, LinkRequest, fanout, receive,
    seal_envelope,
};
use qorgan::{
    AccountError, FanoutError, IdentityKeyPair, PreKeyStore, SafetyNumber, Session, VerifyError,
};
use qorgan_tests::rng;

const NOW: u64 = 1_790_000_000;

struct Device {
    id: IdentityKeyPair,
    store: PreKeyStore,
}

fn device(r: &mut chacha20::ChaCha20Rng) -> Device {
    let id = IdentityKeyPair::generate(r);
    let store = PreKeyStore::new(r, id.clone(), NOW);
    Device { id, store }
}

/// A session from `from` to `to`'s current bundle.
fn session(r: &mut chacha20::ChaCha20Rng, from: &IdentityKeyPair, to: &mut Device) -> Session {
    Session::initiate(r, from, &to.store.bundle().unwrap()).unwrap()
}

/// What `to` reads of a fan-out delivery: the account envelope's body.
fn read(to: &mut Device, ciphertext: &[u8]) -> (qorgan::IdentityKey, Vec<u8>) {
    let (s, pt) = to.store.accept(ciphertext, NOW).unwrap();
    (*s.remote_identity(), pt)
}

/// A list as a device receives it from the server: bytes, verified.
fn served(list: &DeviceList) -> DeviceList {
    DeviceList::from_bytes(&list.to_bytes()).unwrap()
}

#[test]
fn a_server_added_ghost_device_receives_nothing_and_is_reported() {
    let mut r = rng(1201);
    let mut bob_phone = device(&mut r);
    let bob = Account::create(&mut r, bob_phone.id.public(), "Bob's phone").unwrap();
    let alice_phone = device(&mut r);
    let alice = Account::create(&mut r, alice_phone.id.public(), "Alice's phone").unwrap();
    let mut bob_contact = Contact::pin(served(bob.list()));

    // The operator enrols "Bob's tablet" and lists its bundle under Bob.
    let mut ghost = device(&mut r);
    // It cannot make a list naming it: its own account key is not Bob's...
    let operator = Account::create(&mut r, ghost.id.public(), "Bob's tablet").unwrap();
    let forged = DeviceList::first(
        &qorgan::account::AccountKeyPair::generate(&mut r),
        vec![
            DeviceEntry::new(*bob_phone.id.public(), "Bob's phone"),
            DeviceEntry::new(*ghost.id.public(), "Bob's tablet"),
        ],
    )
    .unwrap();
    let before = bob_contact.head();
    assert_eq!(
        bob_contact.update(&[served(&forged)]).unwrap_err(),
        AccountError::WrongAccount
    );
    assert_eq!(
        bob_contact.update(&[served(operator.list())]).unwrap_err(),
        AccountError::WrongAccount
    );
    // ...and editing Bob's list breaks his signature.
    let mut edited = bob.list().to_bytes();
    let at = edited.len() - 70;
    edited[at] ^= 1;
    assert!(matches!(
        DeviceList::from_bytes(&edited).unwrap_err(),
        AccountError::Verify(VerifyError::Signature(_))
    ));
    assert_eq!(bob_contact.head(), before);

    // Alice's app opened sessions with every bundle the directory served.
    let mut sessions = vec![
        session(&mut r, &alice_phone.id, &mut bob_phone),
        session(&mut r, &alice_phone.id, &mut ghost),
    ];
    let deliveries = fanout(&mut r, &alice, &mut bob_contact, &mut sessions, b"orders");
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries[0].device.ct_eq(bob_phone.id.public()));
    let to_phone = deliveries[0].result.as_ref().unwrap().clone();
    // The ghost gets nothing, and the app is told.
    assert!(deliveries[1].device.ct_eq(ghost.id.public()));
    assert_eq!(deliveries[1].result, Err(FanoutError::NotListed));

    // Bob's phone reads it (the heads agree with what it holds).
    let (from, pt) = read(&mut bob_phone, &to_phone);
    let alice_contact = Contact::pin(served(alice.list()));
    let got = receive(&bob, &alice_contact, &from, &pt).unwrap();
    assert_eq!(got.body, b"orders");
    let report = got.report.expect("heads go out with the first message");
    assert_eq!(
        (report.sender, report.peer),
        (Comparison::Same, Comparison::Same)
    );

    // The ghost writes to Alice as "Bob": the 1:1 layer opens it (the
    // ghost's identity is a real identity), the account layer refuses it.
    let mut alice_phone = alice_phone;
    let mut from_ghost = session(&mut r, &ghost.id, &mut alice_phone);
    let m = from_ghost
        .encrypt(
            &mut r,
            &seal_envelope(
                bob.account_key(),
                alice.account_key(),
                None,
                b"send me the files",
            ),
        )
        .unwrap();
    let (from, pt) = read(&mut alice_phone, &m);
    assert_eq!(
        receive(&alice, &bob_contact, &from, &pt).unwrap_err(),
        AccountError::DeviceNotListed
    );
}

#[test]
fn a_rolled_back_device_list_is_refused() {
    let mut r = rng(1202);
    let phone = device(&mut r);
    let tablet = device(&mut r);
    let mut bob = Account::create(&mut r, phone.id.public(), "phone").unwrap();
    let v1 = served(bob.list());
    let v2 = served(bob.add_device(tablet.id.public(), "tablet").unwrap());
    let mut contact = Contact::pin(v1.clone());
    // Missing versions are asked for, not guessed.
    let v3 = served(bob.remove_device(tablet.id.public()).unwrap());
    assert_eq!(
        contact.update(std::slice::from_ref(&v3)).unwrap_err(),
        AccountError::Gap { from: 2, to: 3 }
    );
    let change = contact.update(&[v2.clone(), v3.clone()]).unwrap();
    assert_eq!((change.from.version, change.to.version), (1, 3));
    assert!(change.added.is_empty() && change.removed.is_empty());
    assert!(!contact.allows(tablet.id.public()));

    // The tablet was stolen and removed; the operator serves the older
    // lists that still name it.
    for old in [&v2, &v1] {
        assert_eq!(
            contact.update(std::slice::from_ref(old)).unwrap_err(),
            AccountError::RolledBack {
                held: 3,
                offered: old.version()
            }
        );
    }
    assert_eq!(contact.head(), v3.head(), "nothing changed");
    assert!(!contact.allows(tablet.id.public()));
    // The same list again is no change.
    assert!(contact.update(&[v3]).unwrap().is_empty());
}

#[test]
fn a_forked_list_is_detected_by_both_peers_through_in_session_heads() {
    let mut r = rng(1203);
    let mut bob_phone = device(&mut r);
    let laptop = device(&mut r);
    let mut alice_phone = device(&mut r);
    let mut bob = Account::create(&mut r, bob_phone.id.public(), "phone").unwrap();
    let alice = Account::create(&mut r, alice_phone.id.public(), "phone").unwrap();

    // Bob links his laptop and trusts it with the account key.
    let mut request = LinkRequest::new(&mut r, laptop.id.public());
    let code = LinkCode::parse(&request.code()).unwrap();
    let message = bob.provision(&mut r, &code, "laptop", &[], true).unwrap();
    let (mut laptop_account, _) = request.complete(&message).unwrap();
    let v2 = served(bob.list());
    let mut bob_contact = Contact::pin(v2.clone());
    let mut alice_contact = Contact::pin(served(alice.list()));

    // The laptop is stolen. Bob removes it (version 3, from his phone);
    // the thief, holding the account key, signs another version 3 with a
    // ghost, and the operator shows that one to Alice.
    let honest_v3 = served(bob.remove_device(laptop.id.public()).unwrap());
    let ghost = device(&mut r);
    let forked_v3 = served(
        laptop_account
            .add_device(ghost.id.public(), "tablet")
            .unwrap(),
    );
    assert_eq!(forked_v3.version(), honest_v3.version());
    let change = bob_contact
        .update(std::slice::from_ref(&forked_v3))
        .unwrap();
    assert_eq!(change.added.len(), 1, "Alice's app shows a new device");

    // Bob's phone writes to Alice: its heads name the honest version 3.
    let mut to_alice = vec![session(&mut r, &bob_phone.id, &mut alice_phone)];
    let d = fanout(&mut r, &bob, &mut alice_contact, &mut to_alice, b"hi");
    let (from, pt) = read(&mut alice_phone, d[0].result.as_ref().unwrap());
    let report = receive(&alice, &bob_contact, &from, &pt)
        .unwrap()
        .report
        .unwrap();
    assert!(report.fork(), "Alice sees the fork");
    assert_eq!(
        report.sender,
        Comparison::Fork {
            held: forked_v3.head(),
            seen: honest_v3.head()
        }
    );

    // Alice writes to Bob: her heads name the forked list as Bob's.
    let mut to_bob = vec![session(&mut r, &alice_phone.id, &mut bob_phone)];
    let d = fanout(&mut r, &alice, &mut bob_contact, &mut to_bob, b"hello");
    let (from, pt) = read(&mut bob_phone, d[0].result.as_ref().unwrap());
    let report = receive(&bob, &alice_contact, &from, &pt)
        .unwrap()
        .report
        .unwrap();
    assert_eq!(
        report.peer,
        Comparison::Fork {
            held: honest_v3.head(),
            seen: forked_v3.head()
        },
        "Bob sees that Alice was shown another list of his"
    );
    // And Bob's own copy of a fork through the list chain: refused.
    assert!(matches!(
        bob.update(&[forked_v3]).unwrap_err(),
        AccountError::Fork { .. }
    ));
}

#[test]
fn a_replayed_provisioning_message_is_refused() {
    let mut r = rng(1204);
    let phone = device(&mut r);
    let tablet = device(&mut r);
    let other = device(&mut r);
    let mut bob = Account::create(&mut r, phone.id.public(), "phone").unwrap();
    let carol_phone = device(&mut r);
    let carol = Account::create(&mut r, carol_phone.id.public(), "carol").unwrap();
    let carol_contact = Contact::pin(served(carol.list()));

    let mut request = LinkRequest::new(&mut r, tablet.id.public());
    let code = request.code();
    // QR alphanumeric mode: upper case letters and digits only.
    assert_eq!(code.len(), 285);
    assert!(
        code.bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    );
    let scanned = LinkCode::parse(&code).unwrap();
    assert!(scanned.device().ct_eq(tablet.id.public()));
    let message = bob
        .provision(&mut r, &scanned, "tablet", &[&carol_contact], false)
        .unwrap();

    // Modified on the way: refused, and the request stays usable.
    let mut modified = message.clone();
    let last = modified.len() - 1;
    modified[last] ^= 1;
    assert_eq!(
        request.complete(&modified).unwrap_err(),
        AccountError::ProvisioningFailed
    );
    // Redirected to another device being linked: refused.
    let mut elsewhere = LinkRequest::new(&mut r, other.id.public());
    assert_eq!(
        elsewhere.complete(&message).unwrap_err(),
        AccountError::ProvisioningFailed
    );
    let (tablet_account, contacts) = request.complete(&message).unwrap();
    assert!(tablet_account.is_listed());
    assert!(!tablet_account.holds_account_key());
    assert_eq!(tablet_account.list(), bob.list());
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].account(), carol.account_key());
    // Replayed to the same device: refused.
    assert_eq!(
        request.complete(&message).unwrap_err(),
        AccountError::ProvisioningFailed
    );
    // A device without the account key cannot change the list.
    let mut tablet_account = tablet_account;
    assert_eq!(
        tablet_account.remove_device(phone.id.public()).unwrap_err(),
        AccountError::NoAccountKey
    );
}

#[test]
fn account_safety_numbers_do_not_change_when_devices_do() {
    let mut r = rng(1205);
    let phone = device(&mut r);
    let tablet = device(&mut r);
    let mut bob = Account::create(&mut r, phone.id.public(), "phone").unwrap();
    let alice_phone = device(&mut r);
    let alice = Account::create(&mut r, alice_phone.id.public(), "phone").unwrap();
    let before =
        SafetyNumber::for_accounts(alice.account_key(), b"alice", bob.account_key(), b"bob");
    bob.add_device(tablet.id.public(), "tablet").unwrap();
    let contact = Contact::pin(served(bob.list()));
    let after = contact.safety_number(alice.account_key(), b"alice", b"bob");
    assert_eq!(before, after);
    assert!(after.matches_scanned(&before.scannable()));
    // A device number never matches an account number.
    let per_device = SafetyNumber::new(phone.id.public(), b"bob", tablet.id.public(), b"bob");
    assert!(!per_device.matches_scanned(&after.scannable()));
    assert_ne!(per_device.scannable()[0], after.scannable()[0]);
}

#[test]
fn a_server_verifies_lists_their_continuity_and_whose_upload_it_is() {
    use qorgan::verify::{Encoded, EncodedError, Item, verify, verify_encoded_batch};
    let mut r = rng(1206);
    let mut phone = device(&mut r);
    let tablet = device(&mut r);
    let mut bob = Account::create(&mut r, phone.id.public(), "phone").unwrap();
    let v1 = bob.list().to_bytes();
    let v1_head = bob.head();
    let v2 = bob
        .add_device(tablet.id.public(), "tablet")
        .unwrap()
        .to_bytes();
    assert!(verify(&Item::DeviceList(&v1)).is_ok());
    assert!(
        verify(&Item::DeviceListAfter {
            account: *bob.account_key(),
            previous: v1_head,
            list: &v2
        })
        .is_ok()
    );
    // Another account's list naming Bob's head as its previous one: it is
    // not Bob's successor, whatever its `previous` field says.
    let mallory_phone = device(&mut r);
    let mut mallory = Account::create(&mut r, mallory_phone.id.public(), "phone").unwrap();
    mallory.add_device(tablet.id.public(), "tablet").unwrap();
    let forged_successor = DeviceList::from_bytes(&mallory.list().to_bytes()).unwrap();
    assert_eq!(forged_successor.version(), 2);
    assert_eq!(
        verify(&Item::DeviceListAfter {
            account: *bob.account_key(),
            previous: mallory.list().head(),
            list: &mallory.list().to_bytes()
        })
        .unwrap_err(),
        VerifyError::NotSuccessor {
            version: 2,
            previous_version: 2
        }
    );
    // Not a successor of what the server holds: refused, typed.
    assert_eq!(
        verify(&Item::DeviceListAfter {
            account: *bob.account_key(),
            previous: v1_head,
            list: &v1
        })
        .unwrap_err(),
        VerifyError::NotSuccessor {
            version: 1,
            previous_version: 1
        }
    );
    let mut forged = v2.clone();
    let at = forged.len() - 1;
    forged[at] ^= 1;
    let verdicts = verify_encoded_batch(&[
        Encoded::DeviceList(&v1),
        Encoded::DeviceList(&forged),
        Encoded::DeviceListAfter {
            account: *bob.account_key(),
            previous: v1_head,
            list: &v2,
        },
    ]);
    assert!(verdicts[0].is_ok() && verdicts[2].is_ok());
    assert!(matches!(
        verdicts[1],
        Err(EncodedError::Item(VerifyError::Signature(_)))
    ));
    // An upload is the account's if its identity is in the account's list.
    let upload = phone.store.upload(&mut r, NOW).unwrap();
    let upload = qorgan::PreKeyUpload::from_bytes(&upload.to_bytes()).unwrap();
    let list = DeviceList::from_bytes(&v2).unwrap();
    assert!(list.contains(upload.identity()));
    assert_eq!(list.account(), bob.account_key());
}
