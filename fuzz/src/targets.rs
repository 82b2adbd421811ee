//! Fuzz target bodies, shared by the libFuzzer binaries (`fuzz_targets/`)
//! and the stable corpus-replay test (`tests/tests/fuzz_corpus.rs`), so the
//! same checks run in both. Each body must not panic on any input except
//! through its own `assert!`s, which state the property being checked.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::OnceLock;

use chacha20::ChaCha20Rng;
use qorgan::group::GroupMessageInfo;
use qorgan::limits::{MAX_GROUP_SKIPPED_KEYS, MAX_RECEIVING_CHAINS};
use qorgan::{
    IdentityKey, IdentityKeyPair, InboundGroupSession, OutboundGroupSession, PreKeyBundle,
    PreKeyStore, PreKeyUpload, RotationPolicy, SealedHeader, SenderKeyAnnouncement,
    SenderKeyDistribution, SenderKeyRing, Session, StateError, StateOwner, StorageKey,
};
use rand_core::SeedableRng;

/// A target body.
pub type Target = fn(&[u8]);

/// Every target, by name: what the fuzz binaries and the replay test run.
pub const TARGETS: &[(&str, Target)] = &[
    ("decode_message", decode_message),
    ("decode_bundle", decode_bundle),
    ("decode_identity", decode_identity),
    ("decode_distribution", decode_distribution),
    ("decode_group_message", decode_group_message),
    ("decode_group_export", decode_group_export),
    ("decode_upload", decode_upload),
    ("state_session", state_session),
    ("state_prekey_store", state_prekey_store),
    ("state_group", state_group),
    ("decode_device_list", decode_device_list),
    ("decode_account_envelope", decode_account_envelope),
    ("link_complete", link_complete),
    ("state_account", state_account),
    ("state_sealed", state_sealed),
    ("session_decrypt", session_decrypt),
    ("prekey_accept", prekey_accept),
    ("group_decrypt", group_decrypt),
    ("group_merge", group_merge),
    ("conversation", conversation),
];

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

pub fn decode_message(data: &[u8]) {
    let _ = qorgan::message::peek(data);
}

pub fn decode_bundle(data: &[u8]) {
    if let Ok(b) = PreKeyBundle::from_bytes(data) {
        // Whatever decodes re-encodes to the same bytes and verifies.
        assert_eq!(b.to_bytes(), data);
        assert!(b.verify().is_ok());
    }
}

pub fn decode_upload(data: &[u8]) {
    let decoded = PreKeyUpload::from_bytes(data);
    // The batch verifier's verdict is the decoder's.
    let verdict = qorgan::verify::verify(&qorgan::verify::Item::Upload(data));
    assert_eq!(decoded.is_ok(), verdict.is_ok());
    if let Ok(u) = decoded {
        // Whatever decodes re-encodes to the same bytes.
        assert_eq!(u.to_bytes(), data);
        let ids = u.one_time_prekey_ids();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }
}

pub fn decode_identity(data: &[u8]) {
    if let Ok(id) = IdentityKey::from_bytes(data) {
        assert_eq!(id.to_bytes(), data);
    }
    let _ = IdentityKey::from_field_bytes(data);
}

pub fn decode_distribution(data: &[u8]) {
    if let Ok(d) = SenderKeyDistribution::from_bytes(data) {
        assert_eq!(&d.to_bytes()[..], data);
        assert!(d.announcement().verify().is_ok());
    }
    if let Ok(a) = SenderKeyAnnouncement::from_bytes(data) {
        assert_eq!(a.to_bytes(), data);
    }
}

pub fn decode_group_message(data: &[u8]) {
    let _ = GroupMessageInfo::peek(data);
}

pub fn decode_group_export(data: &[u8]) {
    if let Ok(s) = InboundGroupSession::import(data) {
        // Every import carries a verified announcement.
        assert!(s.announcement().verify().is_ok());
        // Exporting at the imported position gives the same bytes back.
        assert_eq!(&s.export_at(s.position()).unwrap()[..], data);
    }
}

/// Plain state that loads must re-encode to exactly the same bytes.
pub fn state_session(data: &[u8]) {
    if let Ok(s) = Session::from_bytes(data) {
        assert_eq!(&s.to_bytes()[..], data);
    }
}

pub fn state_prekey_store(data: &[u8]) {
    if let Ok(s) = PreKeyStore::from_bytes(data) {
        let written = s.to_bytes();
        if data.first() != Some(&qorgan::wire::STORE_VERSION) {
            // Versions 1 and 2 load migrated and are written as the current
            // version, which must then round-trip exactly.
            let again = PreKeyStore::from_bytes(&written).unwrap();
            assert_eq!(again.to_bytes(), written);
        } else {
            assert_eq!(&written[..], data);
        }
    }
}

pub fn decode_device_list(data: &[u8]) {
    let decoded = qorgan::account::DeviceList::from_bytes(data);
    let verdict = qorgan::verify::verify(&qorgan::verify::Item::DeviceList(data));
    assert_eq!(decoded.is_ok(), verdict.is_ok());
    if let Ok(list) = decoded {
        assert_eq!(list.to_bytes(), data);
        assert!(!list.devices().is_empty());
        // A list never follows itself.
        assert!(!list.follows(&list.head()));
    }
}

pub fn decode_account_envelope(data: &[u8]) {
    if let Ok(e) = qorgan::account::open_envelope(data) {
        assert_eq!(
            qorgan::account::seal_envelope(&e.sender, &e.recipient, e.heads.as_ref(), e.body),
            data
        );
    }
}

/// A link request made from a fixed seed, and the provisioning message a
/// device of a fixed account made for it (the first corpus seeds).
pub struct Linking {
    pub request_seed: u8,
    pub code: String,
    pub message: Vec<u8>,
}

pub fn linking() -> &'static Linking {
    static L: OnceLock<Linking> = OnceLock::new();
    L.get_or_init(|| {
        let mut r = rng(61);
        let phone = IdentityKeyPair::generate(&mut r);
        let tablet = IdentityKeyPair::generate(&mut r);
        let mut account =
            qorgan::account::Account::create(&mut r, phone.public(), "phone").unwrap();
        let request = qorgan::account::LinkRequest::new(&mut rng(62), tablet.public());
        let code = request.code().to_string();
        let parsed = qorgan::account::LinkCode::parse(&code).unwrap();
        let message = account
            .provision(&mut r, &parsed, "tablet", &[], false)
            .unwrap();
        Linking {
            request_seed: 62,
            code,
            message,
        }
    })
}

/// The input is a link code (as text) or a provisioning message: parsing
/// never panics, and a request refuses every message but its own, staying
/// usable after a refusal and refusing its own once used.
pub fn link_complete(data: &[u8]) {
    let l = linking();
    if let Ok(code) = core::str::from_utf8(data).map(qorgan::account::LinkCode::parse)
        && let Ok(code) = code
    {
        // Whatever parses is a code some request could have shown.
        assert_eq!(code.device().to_bytes().len(), 2 + 128);
    }
    let tablet = {
        let mut r = rng(61);
        let _phone = IdentityKeyPair::generate(&mut r);
        IdentityKeyPair::generate(&mut r)
    };
    let mut request = qorgan::account::LinkRequest::new(&mut rng(l.request_seed), tablet.public());
    assert_eq!(request.code().as_str(), l.code);
    match request.complete(data) {
        Ok((account, _)) => {
            assert_eq!(data, l.message.as_slice(), "only its own message opens");
            assert!(account.is_listed());
            assert!(request.complete(data).is_err(), "a message opens once");
        }
        Err(_) => assert!(request.complete(&l.message).is_ok(), "still usable"),
    }
}

pub fn state_account(data: &[u8]) {
    if let Ok(a) = qorgan::account::Account::from_bytes(data) {
        assert_eq!(&a.to_bytes()[..], data);
        // A removed device loads its own state (it is then not listed).
        assert_eq!(a.is_listed(), a.list().contains(a.device()));
    }
    if let Ok(c) = qorgan::account::Contact::from_bytes(data) {
        assert_eq!(&c.to_bytes()[..], data);
    }
}

pub fn state_group(data: &[u8]) {
    if let Ok(s) = OutboundGroupSession::from_bytes(data) {
        assert_eq!(&s.to_bytes()[..], data);
    }
    if let Ok(s) = InboundGroupSession::from_bytes(data) {
        assert_eq!(&s.to_bytes()[..], data);
    }
    if let Ok(s) = SenderKeyRing::from_bytes(data) {
        assert_eq!(&s.to_bytes()[..], data);
    }
}

/// The storage key the sealed seeds in the corpus were made with.
pub fn corpus_storage_key() -> StorageKey {
    StorageKey::from_bytes([0x51; 32])
}

/// Opens `data` as `T` expecting the owner its header names; whatever opens
/// reports the header's generation and is refused one generation later.
fn open_sealed<T>(
    data: &[u8],
    open: impl Fn(&StorageKey, &[u8], &qorgan::Expected) -> Result<T, StateError>,
    generation: impl Fn(&T) -> u64,
) {
    let key = corpus_storage_key();
    let Ok(header) = SealedHeader::parse(data) else {
        assert!(
            open(
                &key,
                data,
                &qorgan::Expected::new(StateOwner::from_bytes([0; 32]), 0)
            )
            .is_err()
        );
        return;
    };
    let owner = header.owner.unwrap_or(StateOwner::from_bytes([0; 32]));
    if let Ok(s) = open(&key, data, &qorgan::Expected::new(owner, header.generation)) {
        assert_eq!(generation(&s), header.generation);
        let later = header.generation.saturating_add(1);
        if later > header.generation {
            assert_eq!(
                open(&key, data, &qorgan::Expected::new(owner, later)).err(),
                Some(StateError::RolledBack {
                    min_generation: later,
                    found: header.generation
                })
            );
        }
        let mut other = owner.to_bytes();
        other[0] ^= 1;
        assert!(
            open(
                &key,
                data,
                &qorgan::Expected::new(StateOwner::from_bytes(other), 0)
            )
            .is_err()
        );
    }
}

pub fn state_sealed(data: &[u8]) {
    open_sealed(data, Session::open, Session::generation);
    open_sealed(data, PreKeyStore::open, PreKeyStore::generation);
    open_sealed(
        data,
        OutboundGroupSession::open,
        OutboundGroupSession::generation,
    );
    open_sealed(
        data,
        InboundGroupSession::open,
        InboundGroupSession::generation,
    );
    open_sealed(data, SenderKeyRing::open, SenderKeyRing::generation);
}

/// An established pair plus messages in flight, built once per process.
pub struct Live {
    pub alice: Session,
    pub bob: Session,
    pub store: PreKeyStore,
    /// Alice → Bob messages Bob has not seen: a prekey message from a
    /// second handshake (for `accept`) and normal messages.
    pub first_flight: Vec<u8>,
    pub to_bob: Vec<Vec<u8>>,
    pub group_sender: IdentityKeyPair,
    pub group_out: OutboundGroupSession,
    pub group_in: InboundGroupSession,
    pub group_msgs: Vec<Vec<u8>>,
}

pub fn live() -> &'static Live {
    static LIVE: OnceLock<Live> = OnceLock::new();
    LIVE.get_or_init(|| {
        let mut r = rng(1);
        let bob_id = IdentityKeyPair::generate(&mut r);
        let mut store = PreKeyStore::new(&mut r, bob_id, 0);
        store.generate_one_time_prekeys(&mut r, 2);
        store.generate_kem_one_time_prekeys(&mut r, 2);
        let alice_id = IdentityKeyPair::generate(&mut r);
        let mut alice = Session::initiate(&mut r, &alice_id, &store.bundle().unwrap()).unwrap();
        let hello = alice.encrypt(&mut r, b"hello").unwrap();
        let (mut bob, _) = store.accept(&hello, 0).unwrap();
        let reply = bob.encrypt(&mut r, b"hi").unwrap();
        alice.decrypt(&reply).unwrap();
        let to_bob = (0..4u8)
            .map(|i| alice.encrypt(&mut r, &[i; 40]).unwrap())
            .collect();
        let carol_id = IdentityKeyPair::generate(&mut r);
        let mut carol = Session::initiate(&mut r, &carol_id, &store.bundle().unwrap()).unwrap();
        let first_flight = carol.encrypt(&mut r, b"first flight").unwrap();
        let policy = RotationPolicy {
            max_messages: u32::MAX,
            max_age_secs: u64::MAX,
        };
        let mut group_out = OutboundGroupSession::new(&mut r, b"fuzz", policy, 0).unwrap();
        let group_in =
            InboundGroupSession::new(&group_out.distribution(&alice_id), alice_id.public())
                .unwrap();
        let group_msgs = (0..4u8)
            .map(|i| group_out.encrypt(&mut r, &alice_id, &[i; 40]).unwrap())
            .collect();
        Live {
            alice,
            bob,
            store,
            first_flight,
            to_bob,
            group_sender: alice_id,
            group_out,
            group_in,
            group_msgs,
        }
    })
}

/// Input byte 0 picks a mode: raw bytes, or a genuine message with the rest
/// of the input XORed over it (reaching past the decoder into the crypto).
fn shape(data: &[u8], genuine: &[Vec<u8>]) -> Vec<u8> {
    match data.split_first() {
        Some((mode, rest)) if mode % 2 == 1 && !genuine.is_empty() => {
            let mut m = genuine[usize::from(*mode / 2) % genuine.len()].clone();
            for (b, x) in m.iter_mut().zip(rest) {
                *b ^= x;
            }
            m
        }
        Some((_, rest)) => rest.to_vec(),
        None => Vec::new(),
    }
}

/// Arbitrary bytes into a live session: never a panic; on error the session
/// is byte-for-byte unchanged; on success the plaintext is one Alice sent.
pub fn session_decrypt(data: &[u8]) {
    let l = live();
    let input = shape(data, &l.to_bob);
    let mut bob = Session::from_bytes(&l.bob.to_bytes()).expect("state round trip");
    let before = bob.to_bytes();
    match bob.decrypt(&input) {
        Ok(pt) => {
            assert!(
                l.to_bob.contains(&input),
                "accepted a message Alice never sent"
            );
            assert_eq!(pt.len(), 40);
        }
        Err(_) => assert_eq!(bob.to_bytes(), before, "failed decrypt changed the session"),
    }
}

/// Arbitrary bytes into `accept`: the store changes only on success.
pub fn prekey_accept(data: &[u8]) {
    let l = live();
    let input = shape(data, std::slice::from_ref(&l.first_flight));
    let mut store = PreKeyStore::from_bytes(&l.store.to_bytes()).unwrap();
    let before = store.to_bytes();
    match store.accept(&input, 0) {
        Ok((_, pt)) => {
            assert_eq!(input, l.first_flight, "accepted a forged first message");
            assert_eq!(pt, b"first flight");
        }
        Err(_) => assert_eq!(store.to_bytes(), before, "failed accept changed the store"),
    }
}

/// Arbitrary bytes into a live inbound group session, single and batched.
pub fn group_decrypt(data: &[u8]) {
    let l = live();
    let input = shape(data, &l.group_msgs);
    let mut s = l.group_in.clone();
    let before = s.to_bytes();
    match s.decrypt(&input) {
        Ok(pt) => {
            assert!(
                l.group_msgs.contains(&input),
                "accepted a forged group message"
            );
            assert_eq!(pt.plaintext.len(), 40);
            assert!(pt.sender.ct_eq(l.group_sender.public()));
        }
        Err(_) => assert_eq!(
            s.to_bytes(),
            before,
            "failed group decrypt changed the session"
        ),
    }
    let mut s = l.group_in.clone();
    let genuine = &l.group_msgs[0];
    let results = s.decrypt_batch(&[&input, genuine, &input]);
    assert_eq!(results.len(), 3);
    if &input != genuine {
        let genuine = results[1].as_ref().map(|p| p.plaintext.as_slice());
        assert_eq!(genuine.ok(), Some(&[0u8; 40][..]));
    }
}

/// An export of the live chain (at the position byte 0 picks, near or far
/// ahead, the rest of the input XORed over it) merged into a copy that has
/// read some messages: the merge either fails and changes nothing, or never
/// rewinds (what the copy read stays refused), never loses an unread
/// message, and never admits a message Alice did not send.
pub fn group_merge(data: &[u8]) {
    let l = live();
    let (pick, rest) = data.split_first().unwrap_or((&0, &[]));
    let mut reader = l.group_in.clone();
    let read = usize::from(*pick % 5);
    for m in l.group_msgs.iter().take(read) {
        reader.decrypt(m).unwrap();
    }
    // Where the export starts: near the copy, or at the edge of the
    // skipped-key limit and far beyond it (a genuine copy far ahead must be
    // refused, never make unread messages unreadable).
    let at = match *pick / 5 % 8 {
        x @ 0..=5 => u32::from(x),
        6 => MAX_GROUP_SKIPPED_KEYS as u32 + u32::from(*pick % 5),
        _ => 50_000,
    };
    let mut export = l.group_in.export_at(at).unwrap().to_vec();
    for (b, x) in export.iter_mut().zip(rest) {
        *b ^= x;
    }
    let Ok(copy) = InboundGroupSession::import(&export) else {
        return;
    };
    let before = reader.to_bytes();
    let Ok(mut merged) = reader.merge(&copy) else {
        assert_eq!(reader.to_bytes(), before);
        return;
    };
    for (i, m) in l.group_msgs.iter().enumerate() {
        match merged.decrypt(m) {
            Ok(p) => {
                assert!(i >= read, "a merge made a consumed iteration readable");
                assert_eq!(p.plaintext, [i as u8; 40]);
            }
            Err(e) => assert!(i < read, "a merge lost an unread message: {e:?}"),
        }
    }
}

/// A schedule of operations on two parties and a group, decoded from the
/// input two bytes at a time: every delivered message must decrypt exactly
/// once to what was sent (within the documented chain bounds), replays are
/// refused, and failures change nothing.
pub fn conversation(data: &[u8]) {
    let l = live();
    let mut r = rng(9);
    let (mut a, mut b) = (
        Session::from_bytes(&l.alice.to_bytes()).expect("state round trip"),
        Session::from_bytes(&l.bob.to_bytes()).expect("state round trip"),
    );
    let mut out =
        OutboundGroupSession::from_bytes(&l.group_out.to_bytes()).expect("state round trip");
    let mut member = l.group_in.clone();
    let key = corpus_storage_key();
    let mut to_a: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut to_b: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut group: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut done_a: Vec<Vec<u8>> = Vec::new();
    let mut done_b: Vec<Vec<u8>> = Vec::new();
    let mut done_g: Vec<Vec<u8>> = Vec::new();
    let mut seen_a: Vec<Vec<u8>> = Vec::new();
    let mut seen_b: Vec<Vec<u8>> = Vec::new();
    let mut rotated = false;
    let mut n = 0u32;
    for pair in data.chunks(2).take(200) {
        let (op, arg) = (pair[0], usize::from(*pair.get(1).unwrap_or(&0)));
        n += 1;
        let pt = n.to_be_bytes().to_vec();
        match op % 12 {
            0 => to_b.push((a.encrypt(&mut r, &pt).unwrap(), pt)),
            1 => to_a.push((b.encrypt(&mut r, &pt).unwrap(), pt)),
            2 | 3 => {
                let (s, q, done, seen) = if op % 12 == 2 {
                    (&mut a, &mut to_a, &mut done_a, &mut seen_a)
                } else {
                    (&mut b, &mut to_b, &mut done_b, &mut seen_b)
                };
                if !q.is_empty() {
                    let (m, p) = q.remove(arg % q.len());
                    let chain = m[2..34].to_vec();
                    // The one documented reason to fail: the message's chain
                    // left the receiver's newest MAX_RECEIVING_CHAINS.
                    let must_work = match seen.iter().position(|c| *c == chain) {
                        None => true,
                        Some(i) => seen.len() - i <= MAX_RECEIVING_CHAINS,
                    };
                    let before = s.to_bytes();
                    match s.decrypt(&m) {
                        Ok(got) => {
                            assert_eq!(got, p, "wrong plaintext");
                            if !seen.contains(&chain) {
                                seen.push(chain);
                            }
                            done.push(m);
                        }
                        Err(e) => {
                            assert!(!must_work, "in-flight message failed: {e:?}");
                            assert_eq!(s.to_bytes(), before);
                        }
                    }
                }
            }
            4 | 5 => {
                let (s, done) = if op % 12 == 4 {
                    (&mut a, &done_a)
                } else {
                    (&mut b, &done_b)
                };
                if !done.is_empty() {
                    let before = s.to_bytes();
                    assert!(
                        s.decrypt(&done[arg % done.len()]).is_err(),
                        "replay accepted"
                    );
                    assert_eq!(s.to_bytes(), before);
                }
            }
            6 => {
                if !to_b.is_empty() {
                    let i = arg % to_b.len();
                    to_b.remove(i);
                }
            }
            7 => {
                let sealed = a.seal(&mut r, &key);
                let expected = qorgan::Expected::new(a.state_owner(), a.generation());
                a = Session::open(&key, &sealed, &expected).unwrap();
                b = Session::from_bytes(&b.to_bytes()).unwrap();
            }
            8 | 9 => {
                if !rotated {
                    group.push((out.encrypt(&mut r, &l.group_sender, &pt).unwrap(), pt));
                }
            }
            10 => {
                if !group.is_empty() {
                    let (m, p) = group.remove(arg % group.len());
                    assert_eq!(
                        member.decrypt(&m).unwrap().plaintext,
                        p,
                        "in-flight group message failed"
                    );
                    done_g.push(m);
                } else if !done_g.is_empty() {
                    assert!(
                        member.decrypt(&done_g[arg % done_g.len()]).is_err(),
                        "group replay accepted"
                    );
                }
            }
            _ => {
                // Rotation: the member is not given the new chain and must
                // not read anything sent on it.
                out.rotate(&mut r, 0).unwrap();
                let m = out
                    .encrypt(&mut r, &l.group_sender, b"after rotation")
                    .unwrap();
                assert!(
                    member.decrypt(&m).is_err(),
                    "read a rotated chain without its distribution"
                );
                rotated = true;
                member = InboundGroupSession::from_bytes(&member.to_bytes()).unwrap();
            }
        }
    }
}
