//! `account.json`: accounts and devices (docs/PROTOCOL.md §14). Bob's
//! account from its first device list to its fourth (two devices linked by
//! provisioning, one removed), Alice's, the chain updates a contact and a
//! device of the account make, the heads schedule, account envelopes, what
//! a receiver learns from the heads, a fan-out, account safety numbers and
//! the sealed Account and Contact states. Also the account state fixtures
//! (`fixtures/account-state-v1.json`, `fixtures/contact-state-v1.json`).
//!
//! Shared with `account_negative.rs` and the tests: the RFC 4648 base32 of
//! link codes, and how the files write heads, lists, changes and reports.

use qorgan::account::{
    Account, Comparison, Contact, DeviceList, HeadReport, Heads, LinkCode, LinkRequest, ListChange,
    ListHead, fanout, open_envelope, receive, seal_envelope,
};
use qorgan::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use qorgan::primitives::{aead, kdf};
use qorgan::verify::{Item, verify};
use qorgan::{IdentityKey, IdentityKeyPair, PreKeyStore, SafetyNumber, Session, StorageKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{RecordingRng, identity_generate, identity_json, sealed_json, text_json};
use crate::hex::encode as hx;

/// Seed of `account.json`.
pub const ACCOUNT_SEED: u64 = 8;
/// Seed of the generator the fan-out's 1:1 sessions are made with (their
/// draws are not part of `account.json`).
pub const FANOUT_SESSIONS_SEED: u64 = 10;
/// Seed of the account and contact state fixtures of account version 1.
pub const ACCOUNT_FIXTURE_SEED: u64 = 105;

/// The device-list signature label (§3, §14.1).
pub const DEVICE_LIST_LABEL: &[u8] = b"qorgan/v1/device-list";
/// The head hash label (§3, §14.2).
pub const DEVICE_LIST_HASH_LABEL: &[u8] = b"qorgan/v1/device-list-hash";
/// The provisioning HKDF info label (§3, §14.4).
pub const PROVISIONING_LABEL: &[u8] = b"qorgan/v1/provisioning";

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, upper case, without padding (§14.4).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((acc >> bits) & 31) as usize]));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(BASE32[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of a base32 text that [`base32`] wrote (panics otherwise).
pub fn unbase32(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = BASE32.iter().position(|x| *x == c).expect("base32 digit") as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    assert!(bits < 5 && acc == 0, "canonical base32");
    out
}

/// A head as the files write it: `{version, hash}`.
pub fn head_json(h: &ListHead) -> Value {
    json!({"version": h.version, "hash": hx(&h.hash)})
}

/// Heads carried by an envelope (or held by a contact): `{sender, peer}`.
pub fn heads_json(h: &Heads) -> Value {
    json!({"sender": head_json(&h.sender), "peer": head_json(&h.peer)})
}

/// A device entry: the identity's field encoding and the label.
fn entry_json(identity: &IdentityKey, label: &str) -> Value {
    json!({
        "identity": hx(&identity.to_field_bytes()),
        "label": text_json(label.as_bytes()),
    })
}

/// What a list update changed (§14.3).
pub fn change_json(c: &ListChange) -> Value {
    json!({
        "from": head_json(&c.from),
        "to": head_json(&c.to),
        "added": c.added.iter().map(|d| entry_json(&d.identity, &d.label)).collect::<Vec<_>>(),
        "removed": c.removed.iter().map(|d| entry_json(&d.identity, &d.label)).collect::<Vec<_>>(),
        "is_empty": c.is_empty(),
    })
}

/// A head comparison (§14.5): `{result: same}` or `{result: newer | older
/// | fork, held, seen}`.
pub fn comparison_json(c: &Comparison) -> Value {
    let (result, pair) = match c {
        Comparison::Same => return json!({"result": "same"}),
        Comparison::Newer { held, seen } => ("newer", (held, seen)),
        Comparison::Older { held, seen } => ("older", (held, seen)),
        Comparison::Fork { held, seen } => ("fork", (held, seen)),
    };
    json!({"result": result, "held": head_json(pair.0), "seen": head_json(pair.1)})
}

/// What a receiver learns from an envelope's heads, or null.
pub fn report_json(r: Option<&HeadReport>) -> Value {
    match r {
        None => Value::Null,
        Some(r) => json!({
            "sender": comparison_json(&r.sender),
            "peer": comparison_json(&r.peer),
            "fork": r.fork(),
        }),
    }
}

/// A device list with every field (§14.1, §14.2).
fn list_json(name: &str, l: &DeviceList, previous: Option<&DeviceList>) -> Value {
    let bytes = l.to_bytes();
    let body = &bytes[..bytes.len() - 64];
    assert_eq!(DeviceList::from_bytes(&bytes).expect("verifies"), *l);
    let head = l.head();
    let hash: [u8; 32] = Sha256::digest([DEVICE_LIST_HASH_LABEL, &bytes].concat()).into();
    assert_eq!(head.hash, hash, "§14.2 head");
    assert_eq!(verify(&Item::DeviceList(&bytes)), Ok(()));
    let after = previous.map(|p| {
        assert!(l.follows(&p.head()));
        assert_eq!(
            verify(&Item::DeviceListAfter {
                account: *l.account(),
                previous: p.head(),
                list: &bytes
            }),
            Ok(())
        );
        "ok"
    });
    json!({
        "name": name,
        "account_key": hx(&l.account().to_bytes()),
        "version": l.version(),
        "previous": hx(&l.previous().unwrap_or([0; 32])),
        "devices": l.devices().iter().map(|d| entry_json(&d.identity, &d.label)).collect::<Vec<_>>(),
        "signed_message": hx(&[DEVICE_LIST_LABEL, body].concat()),
        "signature": hx(&bytes[bytes.len() - 64..]),
        "bytes": hx(&bytes),
        "head": head_json(&head),
        "verify": "ok",
        "verify_after_previous": after,
    })
}

/// What a device knows of its account (§14.3): the account key, whether it
/// holds the account key, its identity, its list's head, whether it is
/// listed.
pub fn account_json(a: &Account) -> Value {
    json!({
        "account_key": hx(&a.account_key().to_bytes()),
        "holds_account_key": a.holds_account_key(),
        "device": hx(&a.device().to_field_bytes()),
        "head": head_json(&a.head()),
        "is_listed": a.is_listed(),
    })
}

/// A contact: the pinned account and its list's head.
pub fn contact_json(c: &Contact) -> Value {
    json!({
        "account_key": hx(&c.account().to_bytes()),
        "head": head_json(&c.head()),
    })
}

/// A safety number as the files write it (§9, §14.6).
pub fn safety_number_json(sn: &SafetyNumber) -> Value {
    json!({
        "digits": sn.digits(),
        "display": sn.display_string(),
        "scannable": hx(&sn.scannable()),
    })
}

/// `X25519(secret, public)` and the provisioning key of §14.4.
pub fn provisioning_key(
    secret: &[u8; 32],
    public: &[u8; 32],
    link_secret: &[u8],
    code: &[u8],
    ephemeral_public: &[u8; 32],
) -> ([u8; 32], Vec<u8>, [u8; 32]) {
    let shared = *X25519SecretKey::from_bytes(secret)
        .diffie_hellman(&X25519PublicKey::from_bytes(*public))
        .expect("contributory")
        .as_bytes();
    let info = [PROVISIONING_LABEL, code, ephemeral_public].concat();
    let mut key = [0u8; 32];
    kdf::hkdf_sha256(link_secret, &shared, &info, &mut key).expect("32 bytes");
    (shared, info, key)
}

/// `0x01 0x32 || ephemeral public || ChaCha20-Poly1305(key, 0^12, ad = the
/// first 34 bytes, payload)` (§14.4).
pub fn provisioning_message(
    key: &[u8; 32],
    ephemeral_public: &[u8; 32],
    payload: &[u8],
) -> Vec<u8> {
    let mut out = [&[0x01, 0x32][..], ephemeral_public].concat();
    let ad = out.clone();
    aead::seal(key, &[0; 12], &ad, payload, &mut out);
    out
}

fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    *X25519SecretKey::from_bytes(secret).public_key().as_bytes()
}

/// One device linked by provisioning (§14.4).
struct Link<'a> {
    name: &'a str,
    device: &'a str,
    label: &'a str,
    share_account_key: bool,
    contacts: &'a [&'a str],
}

pub(super) fn account_file() -> Value {
    let mut rng = RecordingRng::new(ACCOUNT_SEED);
    let names = ["bob_phone", "bob_laptop", "bob_tablet", "alice_phone"];
    let ids: Vec<IdentityKeyPair> = names
        .iter()
        .map(|n| identity_generate(&mut rng, n))
        .collect();
    let id = |n: &str| &ids[names.iter().position(|x| *x == n).expect("name")];
    let mut bob = Account::create(&mut rng, id("bob_phone").public(), "Bob's phone").expect("bob");
    rng.label(&[("bob.account_seed", 32)]);
    let alice = Account::create(&mut rng, id("alice_phone").public(), "").expect("alice");
    rng.label(&[("alice.account_seed", 32)]);
    let served = |l: &DeviceList| DeviceList::from_bytes(&l.to_bytes()).expect("verifies");
    let mut lists: Vec<(String, DeviceList)> = vec![
        ("bob.v1".into(), served(bob.list())),
        ("alice.v1".into(), served(alice.list())),
    ];
    // Bob's view of Alice, carried to the laptop by its provisioning.
    let bob_contact_of_alice = Contact::pin(served(alice.list()));

    // §14.4: the laptop (trusted with the account key, given Alice) and the
    // tablet (not trusted with it, given no contact).
    let links = [
        Link {
            name: "laptop",
            device: "bob_laptop",
            label: "Bob's laptop",
            share_account_key: true,
            contacts: &["alice.v1"],
        },
        Link {
            name: "tablet",
            device: "bob_tablet",
            label: "Бобтың планшеті",
            share_account_key: false,
            contacts: &[],
        },
    ];
    let mut link_inputs = Vec::new();
    let mut link_outputs = Vec::new();
    let mut linked: Vec<Account> = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let device = id(link.device).public();
        let mut request = LinkRequest::new(&mut rng, device);
        let secrets = rng.label(&[
            (&format!("link.{}.link_key_secret", link.name), 32),
            (&format!("link.{}.link_secret", link.name), 16),
        ]);
        let text = request.code().to_string();
        let code_bytes = unbase32(&text);
        assert_eq!(base32(&code_bytes), text);
        let link_key_secret: [u8; 32] = secrets[0].clone().try_into().expect("32");
        let link_key = x25519_public(&link_key_secret);
        assert_eq!(
            code_bytes,
            [
                &[0x01, 0x33][..],
                &device.to_field_bytes(),
                &link_key,
                &secrets[1]
            ]
            .concat(),
            "§14.4 link code"
        );
        let code = LinkCode::parse(&text).expect("parses");
        assert!(code.device().ct_eq(device));
        let contacts: Vec<&Contact> = link
            .contacts
            .iter()
            .map(|_| &bob_contact_of_alice)
            .collect();
        let before = bob.list().clone();
        let message = bob
            .provision(
                &mut rng,
                &code,
                link.label,
                &contacts,
                link.share_account_key,
            )
            .expect("provision");
        let eph: [u8; 32] = rng.label(&[(&format!("link.{}.ephemeral_secret", link.name), 32)])[0]
            .clone()
            .try_into()
            .expect("32");
        let after = served(bob.list());
        assert!(after.follows(&before.head()));
        let list_name = format!("bob.v{}", after.version());
        // The payload, made by hand from §14.4, and the message around it.
        let mut payload = Vec::new();
        if link.share_account_key {
            payload.push(1);
            payload.extend_from_slice(rng.get("bob.account_seed"));
        } else {
            payload.push(0);
        }
        let put = |p: &mut Vec<u8>, b: &[u8]| {
            p.extend_from_slice(&(b.len() as u32).to_be_bytes());
            p.extend_from_slice(b);
        };
        put(&mut payload, &after.to_bytes());
        payload.extend_from_slice(&(link.contacts.len() as u32).to_be_bytes());
        for c in link.contacts {
            let l = &lists.iter().find(|(n, _)| n == c).expect("list").1;
            put(&mut payload, &l.to_bytes());
        }
        let eph_pub = x25519_public(&eph);
        let (shared, info, key) =
            provisioning_key(&eph, &link_key, &secrets[1], &code_bytes, &eph_pub);
        assert_eq!(
            provisioning_message(&key, &eph_pub, &payload),
            message,
            "§14.4 provisioning message"
        );
        let (account, contacts) = request.complete(&message).expect("completes");
        assert_eq!(
            request.complete(&message).err(),
            Some(qorgan::AccountError::ProvisioningFailed),
            "one use"
        );
        assert_eq!(account.list(), &after);
        link_inputs.push(json!({
            "name": link.name,
            "device": link.device,
            "label": text_json(link.label.as_bytes()),
            "share_account_key": link.share_account_key,
            "contacts": link.contacts,
            "link_key_secret_draw": format!("link.{}.link_key_secret", link.name),
            "link_secret_draw": format!("link.{}.link_secret", link.name),
            "ephemeral_secret_draw": format!("link.{}.ephemeral_secret", link.name),
        }));
        link_outputs.push(json!({
            "name": link.name,
            "code": {
                "identity": hx(&device.to_field_bytes()),
                "link_key": hx(&link_key),
                "link_secret": hx(&secrets[1]),
                "bytes": hx(&code_bytes),
                "text": text,
            },
            "list_before": format!("bob.v{}", before.version()),
            "list_after": list_name,
            "provisioning": {
                "ephemeral_public": hx(&eph_pub),
                "shared_secret": hx(&shared),
                "salt": hx(&secrets[1]),
                "info": hx(&info),
                "key": hx(&key),
                "nonce": hx(&[0u8; 12]),
                "ad": hx(&message[..34]),
                "payload": hx(&payload),
                "ciphertext_and_tag": hx(&message[34..]),
                "bytes": hx(&message),
            },
            "completed": {
                "account": account_json(&account),
                "contacts": contacts.iter().map(contact_json).collect::<Vec<_>>(),
            },
        }));
        lists.push((list_name, after));
        linked.push(account);
        assert_eq!(i + 1, linked.len());
    }
    let mut laptop_account = linked.remove(0);
    let mut tablet_account = linked.remove(0);
    bob.remove_device(id("bob_laptop").public())
        .expect("remove the laptop");
    lists.push(("bob.v4".into(), served(bob.list())));
    let list = |n: &str| lists.iter().find(|(x, _)| x == n).expect("list").1.clone();
    let lists_json: Vec<Value> = lists
        .iter()
        .map(|(n, l)| {
            let prev = (l.version() > 1).then(|| list(&format!("bob.v{}", l.version() - 1)));
            list_json(n, l, prev.as_ref())
        })
        .collect();

    // §14.3: updates, from Alice's side (a contact of Bob) and from Bob's
    // other devices (their own account).
    let contact_updates: [(&str, &[&str]); 4] = [
        ("bob.v1", &["bob.v2"]),
        ("bob.v1", &["bob.v1", "bob.v2", "bob.v3", "bob.v4"]),
        ("bob.v2", &["bob.v3", "bob.v4"]),
        ("bob.v4", &["bob.v4"]),
    ];
    let mut update_inputs = Vec::new();
    let mut update_outputs = Vec::new();
    for (held, chain) in contact_updates {
        let mut c = Contact::pin(list(held));
        let chain_lists: Vec<DeviceList> = chain.iter().map(|n| list(n)).collect();
        let change = c.update(&chain_lists).expect("update");
        update_inputs.push(json!({"who": "contact", "held": held, "chain": chain}));
        update_outputs.push(json!({"change": change_json(&change), "after": contact_json(&c)}));
    }
    for (who, account, chain) in [
        ("laptop", &mut laptop_account, &["bob.v3", "bob.v4"][..]),
        ("tablet", &mut tablet_account, &["bob.v4"][..]),
    ] {
        let held = format!("bob.v{}", account.list().version());
        let chain_lists: Vec<DeviceList> = chain.iter().map(|n| list(n)).collect();
        let change = account.update(&chain_lists).expect("update");
        update_inputs.push(json!({"who": who, "held": held, "chain": chain}));
        update_outputs
            .push(json!({"change": change_json(&change), "after": account_json(account)}));
    }
    assert!(!laptop_account.is_listed() && tablet_account.is_listed());

    // §14.5: the heads schedule of Alice's contact of Bob.
    let mut alice_contact_of_bob = Contact::pin(list("bob.v1"));
    let mut schedule = Vec::new();
    let mut heads_sent = Vec::new();
    let calls_before = qorgan::limits::HEADS_EVERY_MESSAGES + 1;
    let calls_after = 4;
    for call in 0..calls_before + calls_after {
        if call == calls_before {
            alice_contact_of_bob
                .update(&[list("bob.v2"), list("bob.v3"), list("bob.v4")])
                .expect("update");
            schedule.push(json!({"update": ["bob.v2", "bob.v3", "bob.v4"]}));
        }
        let heads = alice_contact_of_bob.heads_to_send(alice.head());
        if let Some(h) = heads {
            heads_sent.push(h);
        }
        schedule.push(json!({"call": call, "heads": heads.as_ref().map(heads_json)}));
    }
    assert_eq!(
        heads_sent.len(),
        3,
        "calls 0, 32 and the first after the update"
    );

    // §14.5: envelopes.
    let envelopes: Vec<(Option<Heads>, &[u8])> = vec![
        (Some(heads_sent[0]), b"salem, Bob"),
        (None, b"again"),
        (None, b""),
        (Some(heads_sent[2]), b""),
    ];
    let envelopes_json: Vec<Value> = envelopes
        .iter()
        .map(|(heads, body)| {
            let bytes = seal_envelope(alice.account_key(), bob.account_key(), heads.as_ref(), body);
            let opened = open_envelope(&bytes).expect("opens");
            assert_eq!(
                (opened.sender, opened.recipient, opened.heads, opened.body),
                (*alice.account_key(), *bob.account_key(), *heads, *body)
            );
            json!({
                "sender": hx(&alice.account_key().to_bytes()),
                "recipient": hx(&bob.account_key().to_bytes()),
                "heads": heads.as_ref().map(heads_json),
                "body": hx(body),
                "bytes": hx(&bytes),
            })
        })
        .collect();

    // §14.5: what Bob's phone learns from the heads of what it receives.
    let unknown = ListHead {
        version: 2,
        hash: Sha256::digest(b"qorgan/vectors/a list Bob's phone has not seen").into(),
    };
    let forked = |h: ListHead| ListHead {
        version: h.version,
        hash: Sha256::digest(h.hash).into(),
    };
    let (av1, bv1, bv4) = (
        list("alice.v1").head(),
        list("bob.v1").head(),
        list("bob.v4").head(),
    );
    let receive_cases: Vec<(&str, &str, Option<Heads>)> = vec![
        (
            "alice_phone",
            "views agree",
            Some(Heads {
                sender: av1,
                peer: bv4,
            }),
        ),
        (
            "alice_phone",
            "Alice still holds Bob's version 1",
            Some(Heads {
                sender: av1,
                peer: bv1,
            }),
        ),
        (
            "alice_phone",
            "Alice names a version of her list Bob's phone has not fetched",
            Some(Heads {
                sender: unknown,
                peer: bv4,
            }),
        ),
        (
            "alice_phone",
            "both lists forked: one version, other hashes",
            Some(Heads {
                sender: forked(av1),
                peer: forked(bv4),
            }),
        ),
        (
            "bob_tablet",
            "Bob's own tablet: its own list as sender, Alice's as peer",
            Some(Heads {
                sender: bv4,
                peer: av1,
            }),
        ),
        ("alice_phone", "no heads", None),
    ];
    let receive_json: Vec<Value> = receive_cases
        .iter()
        .map(|(sender, about, heads)| {
            let body = b"ok";
            // Alice's devices write from her account to Bob's; Bob's own
            // other devices from his to the conversation's: Alice's.
            let (from, recipient) = if *sender == "alice_phone" {
                (alice.account_key(), bob.account_key())
            } else {
                (bob.account_key(), alice.account_key())
            };
            let envelope = seal_envelope(from, recipient, heads.as_ref(), body);
            let got = receive(&bob, &bob_contact_of_alice, id(sender).public(), &envelope)
                .expect("listed sender");
            assert_eq!(got.body, body);
            json!({
                "about": about,
                "sender": sender,
                "sender_account": hx(&from.to_bytes()),
                "recipient": hx(&recipient.to_bytes()),
                "envelope": hx(&envelope),
                "body": hx(got.body),
                "report": report_json(got.report.as_ref()),
            })
        })
        .collect();

    // §14.5: a fan-out from Bob's phone to Alice: her phone (a session),
    // Bob's tablet (no session yet), and the removed laptop (a session
    // left over: nothing is sent to it).
    let fanout_json = {
        let mut r = crate::rng(FANOUT_SESSIONS_SEED);
        let mut sessions = Vec::new();
        let mut stores = Vec::new();
        for to in ["alice_phone", "bob_laptop"] {
            let mut store = PreKeyStore::new(&mut r, id(to).clone(), 0);
            let bundle = store.bundle().expect("bundle");
            sessions.push(Session::initiate(&mut r, id("bob_phone"), &bundle).expect("initiate"));
            stores.push(store);
        }
        let mut contact = Contact::pin(list("alice.v1"));
        let body = b"one message, every device";
        let deliveries = fanout(&mut r, &bob, &mut contact, &mut sessions, body);
        let heads = Heads {
            sender: bob.head(),
            peer: contact.head(),
        };
        let envelope = seal_envelope(bob.account_key(), alice.account_key(), Some(&heads), body);
        let alice_ciphertext = deliveries[0].result.as_ref().expect("alice's phone");
        let (_, plaintext) = stores[0].accept(alice_ciphertext, 0).expect("accept");
        assert_eq!(plaintext, envelope);
        json!({
            "sender_account": hx(&bob.account_key().to_bytes()),
            "recipient": hx(&alice.account_key().to_bytes()),
            "envelope": hx(&envelope),
            "heads": heads_json(&heads),
            "contact_after": hx(&contact.to_bytes()),
            "deliveries": deliveries.iter().map(|d| {
                let name = names.iter().find(|n| id(n).public().ct_eq(&d.device)).expect("device");
                json!({
                    "device": name,
                    "result": match &d.result {
                        Ok(_) => json!({"result": "ok"}),
                        Err(e) => {
                            let (error, kind) = super::errors::fanout(e);
                            json!({"result": "error", "error": error, "kind": kind})
                        }
                    },
                })
            }).collect::<Vec<_>>(),
        })
    };

    // §14.6: account safety numbers.
    let sn_cases: [(&str, &[u8], &str, &[u8]); 4] = [
        ("alice", b"alice@example.org", "bob", b"+1 555 0100"),
        ("bob", b"+1 555 0100", "alice", b"alice@example.org"),
        ("alice", b"", "bob", b""),
        ("alice", "Алия".as_bytes(), "bob", b"\x00\x01\x02"),
    ];
    let key_of = |n: &str| {
        if n == "alice" {
            alice.account_key()
        } else {
            bob.account_key()
        }
    };
    let sn_json: Vec<Value> = sn_cases
        .iter()
        .map(|(a, a_id, b, b_id)| {
            let sn = SafetyNumber::for_accounts(key_of(a), a_id, key_of(b), b_id);
            assert!(
                !sn.matches_scanned(
                    &SafetyNumber::new(
                        id("alice_phone").public(),
                        a_id,
                        id("bob_phone").public(),
                        b_id
                    )
                    .scannable()
                )
            );
            safety_number_json(&sn)
        })
        .collect();

    // §14.7: sealed states.
    let key = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    let mut states = Vec::new();
    let seal_account = |name: &str, a: &mut Account, times: u64, rng: &mut RecordingRng| {
        let plain = a.to_bytes().to_vec();
        let mut sealed = Vec::new();
        let mut nonce = Vec::new();
        for i in 1..=times {
            sealed = a.seal(rng, &key);
            let purpose = format!("seal.{name}[{i}].nonce");
            nonce = rng.label(&[(&purpose, 24)]).remove(0);
        }
        let owner = a.state_owner();
        let opened = Account::open(&key, &sealed, &qorgan::Expected::new(owner, a.generation()))
            .expect("opens");
        assert_eq!(*opened.to_bytes(), plain);
        let mut v = sealed_json(&key, &sealed, &plain, (0x46, owner, a.generation()), &nonce);
        v["name"] = json!(name);
        v["nonce_draws"] = (1..=times)
            .map(|i| format!("seal.{name}[{i}].nonce"))
            .collect();
        v["account"] = account_json(a);
        v
    };
    states.push(seal_account("bob_phone_account", &mut bob, 1, &mut rng));
    states.push(seal_account(
        "bob_tablet_account",
        &mut tablet_account,
        1,
        &mut rng,
    ));
    let seal_contact = |name: &str, c: &mut Contact, times: u64, rng: &mut RecordingRng| {
        let plain = c.to_bytes().to_vec();
        let mut sealed = Vec::new();
        let mut nonce = Vec::new();
        for i in 1..=times {
            sealed = c.seal(rng, &key);
            let purpose = format!("seal.{name}[{i}].nonce");
            nonce = rng.label(&[(&purpose, 24)]).remove(0);
        }
        let owner = c.state_owner();
        let opened = Contact::open(&key, &sealed, &qorgan::Expected::new(owner, c.generation()))
            .expect("opens");
        assert_eq!(*opened.to_bytes(), plain);
        let mut v = sealed_json(&key, &sealed, &plain, (0x45, owner, c.generation()), &nonce);
        v["name"] = json!(name);
        v["nonce_draws"] = (1..=times)
            .map(|i| format!("seal.{name}[{i}].nonce"))
            .collect();
        v["contact"] = contact_json(c);
        v
    };
    let mut bob_contact_of_alice = bob_contact_of_alice;
    states.push(seal_contact(
        "alice_contact_of_bob",
        &mut alice_contact_of_bob,
        2,
        &mut rng,
    ));
    states.push(seal_contact(
        "bob_contact_of_alice",
        &mut bob_contact_of_alice,
        1,
        &mut rng,
    ));
    let draws = rng.take_log();

    json!({
        "description": "Accounts and devices (docs/PROTOCOL.md §14). One generator rng(seed); \
            inputs.draws lists every random draw in order (§2.6): four device identities, \
            Bob's and Alice's account keys (Account::create: the 32-byte Ed25519 seed), per \
            link the LinkRequest (X25519 link key secret 32, link secret 16) and the \
            provisioning (ephemeral X25519 secret 32), the storage key and one 24-byte nonce \
            per seal. expected.lists: every device list (§14.1) with its signed message \
            (\"qorgan/v1/device-list\" || every byte before the signature), signature, bytes \
            and head (§14.2); bob.v1 has Bob's phone, bob.v2 adds the laptop and bob.v3 the \
            tablet (each by provisioning, §14.4), bob.v4 removes the laptop. expected.links: \
            the link code (bytes and base32 text), the provisioning message with every \
            intermediate value (X25519, HKDF salt and info, key, nonce, AD, payload) and what \
            LinkRequest::complete returns; the laptop gets the account key and Alice's list, \
            the tablet neither. expected.updates: Contact::update / Account::update (§14.3) \
            from the held list over the chain given, with the change. expected.schedule: \
            Contact::heads_to_send (§14.5) called by Alice for Bob with her own head, \
            HEADS_EVERY_MESSAGES + 1 times, then after an update 4 times: the heads returned \
            or null. expected.envelopes: account envelopes (type 0x31) from Alice to Bob, \
            sender Alice's account, recipient Bob's. expected.receive: what Bob's phone \
            (holding bob.v4 and, for Alice, alice.v1) learns from an envelope from each \
            sender (§14.5): Alice's phone writes from Alice's account to Bob's, Bob's own \
            tablet from Bob's to Alice's (the conversation's); sender_account is the \
            envelope's sender account. expected.fanout: Bob's phone sends one body to Alice \
            (its own other devices too), from Bob's account to Alice's: one delivery per listed \
            device, in list order (the contact's, then its own), then NotListed for a \
            session with a device in neither list; the 1:1 sessions are made with \
            rng(fanout_sessions_seed) and the ciphertexts are not recorded (Alice's phone \
            decrypts the envelope); contact_after: the Contact state after (one delivery \
            succeeded: the heads are counted as sent). \
            expected.safety_numbers: account safety numbers (§14.6) of Alice's and Bob's \
            account keys. expected.states: Account (kind 0x46) and Contact (kind 0x45) states, \
            plain and sealed (§14.7, §7.1: the owner is the account key). All byte strings are \
            lower-case hex; texts are {hex, text}.",
        "seed": ACCOUNT_SEED,
        "fanout_sessions_seed": FANOUT_SESSIONS_SEED,
        "inputs": {
            "draws": draws,
            "identities": names,
            "accounts": {
                "bob": {"device": "bob_phone", "label": text_json(b"Bob's phone"), "seed_draw": "bob.account_seed"},
                "alice": {"device": "alice_phone", "label": text_json(b""), "seed_draw": "alice.account_seed"},
            },
            "links": link_inputs,
            "removals": [{"device": "bob_laptop", "list_after": "bob.v4"}],
            "updates": update_inputs,
            "schedule": {
                "contact": "alice's contact of bob, pinned at bob.v1",
                "own": "alice.v1",
                "calls_before_update": calls_before,
                "update": ["bob.v2", "bob.v3", "bob.v4"],
                "calls_after_update": calls_after,
            },
            "fanout": {
                "from": "bob_phone (account bob at bob.v4)",
                "contact": "alice.v1",
                "sessions": ["alice_phone", "bob_laptop"],
                "body": text_json(b"one message, every device"),
            },
            "safety_numbers": sn_cases.iter().map(|(a, a_id, b, b_id)| json!({
                "a": a, "a_id": hx(a_id), "b": b, "b_id": hx(b_id),
            })).collect::<Vec<_>>(),
        },
        "expected": {
            "identities": names.iter().map(|n| (n.to_string(), identity_json(id(n).public()))).collect::<serde_json::Map<_, _>>(),
            "accounts": {
                "bob": hx(&bob.account_key().to_bytes()),
                "alice": hx(&alice.account_key().to_bytes()),
            },
            "lists": lists_json,
            "links": link_outputs,
            "updates": update_outputs,
            "schedule": schedule,
            "envelopes": envelopes_json,
            "receive": receive_json,
            "fanout": fanout_json,
            "safety_numbers": sn_json,
            "states": states,
        },
    })
}

/// Where the fixtures of account version `version` live, relative to
/// `tests/vectors/`.
pub fn account_fixture_files(version: u8) -> (String, String) {
    (
        format!("fixtures/account-state-v{version}.json"),
        format!("fixtures/contact-state-v{version}.json"),
    )
}

/// The account and contact state fixtures of the current account version
/// (§14.7), from one scenario: Bob's phone makes his account (v1), links
/// his tablet without the account key (v2) and adds his laptop (v3);
/// Alice pinned Bob at v1 and has written to him five times since.
pub(super) fn account_fixtures() -> (Value, Value) {
    let mut rng = crate::rng(ACCOUNT_FIXTURE_SEED);
    let phone = IdentityKeyPair::generate(&mut rng);
    let tablet = IdentityKeyPair::generate(&mut rng);
    let laptop = IdentityKeyPair::generate(&mut rng);
    let alice_phone = IdentityKeyPair::generate(&mut rng);
    let mut bob = Account::create(&mut rng, phone.public(), "phone").expect("bob");
    let alice = Account::create(&mut rng, alice_phone.public(), "Alice").expect("alice");
    let v1 = bob.list().clone();
    let mut request = LinkRequest::new(&mut rng, tablet.public());
    let code = LinkCode::parse(&request.code()).expect("code");
    let message = bob
        .provision(&mut rng, &code, "tablet", &[], false)
        .expect("provision");
    let (mut tablet_account, _) = request.complete(&message).expect("complete");
    let v2 = bob.list().clone();
    bob.add_device(laptop.public(), "laptop").expect("laptop");
    let v3 = bob.list().clone();
    let mut alice_contact_of_bob = Contact::pin(v1.clone());
    for _ in 0..5 {
        let _ = alice_contact_of_bob.heads_to_send(alice.head());
    }
    let mut alice_contact_unsent = Contact::pin(v1.clone());
    let key = StorageKey::generate(&mut rng);
    let mut account_entry = |a: &mut Account, seals: u64| {
        let plain = a.to_bytes().to_vec();
        let sealed = (0..seals)
            .map(|_| a.seal(&mut rng, &key))
            .last()
            .expect("sealed");
        json!({
            "plain": hx(&plain),
            "sealed": hx(&sealed),
            "owner": hx(&a.state_owner().to_bytes()),
            "generation": a.generation(),
            "account": account_json(a),
        })
    };
    let phone_entry = account_entry(&mut bob, 2);
    let tablet_entry = account_entry(&mut tablet_account, 1);
    let mut contact_entry = |c: &mut Contact, seals: u64| {
        let plain = c.to_bytes().to_vec();
        let sealed = (0..seals)
            .map(|_| c.seal(&mut rng, &key))
            .last()
            .expect("sealed");
        json!({
            "plain": hx(&plain),
            "sealed": hx(&sealed),
            "owner": hx(&c.state_owner().to_bytes()),
            "generation": c.generation(),
            "contact": contact_json(c),
        })
    };
    let sent_entry = contact_entry(&mut alice_contact_of_bob, 3);
    let unsent_entry = contact_entry(&mut alice_contact_unsent, 1);
    let lists = json!({
        "bob.v1": hx(&v1.to_bytes()),
        "bob.v2": hx(&v2.to_bytes()),
        "bob.v3": hx(&v3.to_bytes()),
        "alice.v1": hx(&alice.list().to_bytes()),
    });
    let identities = json!({
        "bob_phone": hx(&phone.public().to_field_bytes()),
        "bob_tablet": hx(&tablet.public().to_field_bytes()),
        "bob_laptop": hx(&laptop.public().to_field_bytes()),
        "alice_phone": hx(&alice_phone.public().to_field_bytes()),
    });
    let account = json!({
        "description": "Account state fixture (kind 0x46) of account_version below \
            (docs/PROTOCOL.md §14.7), generated once by gen-vectors (tests/src/vectors/account.rs, \
            account_fixtures, seed below) and kept unchanged forever: every later release must \
            still load it (tests/tests/fixtures.rs). Bob's phone made his account (bob.v1), \
            linked his tablet without giving it the account key (bob.v2) and added his laptop \
            (bob.v3). states.bob_phone: the phone's account (holds the account key, at \
            bob.v3), plain and sealed twice (the second blob kept); states.bob_tablet: the \
            tablet's (no account key, at bob.v2), plain and sealed once. Each sealed blob \
            opens with `owner` (the account key) at `generation`. pending_for_tablet: the \
            lists the tablet has not received yet (Account::update takes them). lists: every \
            list of the scenario. All byte strings are lower-case hex.",
        "seed": ACCOUNT_FIXTURE_SEED,
        "account_version": qorgan::wire::ACCOUNT_VERSION,
        "storage_key": hx(&*key.to_bytes()),
        "identities": identities,
        "lists": lists,
        "states": {"bob_phone": phone_entry, "bob_tablet": tablet_entry},
        "pending_for_tablet": ["bob.v3"],
    });
    let contact = json!({
        "description": "Contact state fixture (kind 0x45) of account_version below \
            (docs/PROTOCOL.md §14.7), generated once by gen-vectors (tests/src/vectors/account.rs, \
            account_fixtures, seed below) and kept unchanged forever: every later release must \
            still load it (tests/tests/fixtures.rs). Alice pinned Bob at bob.v1. \
            states.alice_contact_of_bob: after five messages to Bob (heads sent with the \
            first, four since), plain and sealed three times (the third blob kept); \
            states.alice_contact_unsent: pinned, nothing sent, sealed once. Each sealed blob \
            opens with `owner` (Bob's account key) at `generation`. pending_lists: the lists \
            after bob.v1 that Alice has not fetched yet (Contact::update takes them). \
            alice_head: the head of Alice's own list (what heads_to_send is given). All byte \
            strings are lower-case hex.",
        "seed": ACCOUNT_FIXTURE_SEED,
        "account_version": qorgan::wire::ACCOUNT_VERSION,
        "storage_key": hx(&*key.to_bytes()),
        "identities": identities,
        "lists": lists,
        "alice_head": head_json(&alice.head()),
        "states": {"alice_contact_of_bob": sent_entry, "alice_contact_unsent": unsent_entry},
        "messages_since_heads": 4,
        "pending_lists": ["bob.v2", "bob.v3"],
    });
    (account, contact)
}
