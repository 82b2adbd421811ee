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
use ed25519_dalek::{Signer, SigningKey};
use qorgan::account::{AccountKey, AccountKeyPair};
use qorgan::certificate::{
    Claim, IssuerKeyPair, Presentation, RevocationList, STATEMENT_TEXT_PREFIX, Statement,
    StatementKind, TrustAnchor,
};
use qorgan::error::Head;
use qorgan::group::GroupMessageInfo;
use qorgan::limits::{
    MAX_GROUP_SKIPPED_KEYS, MAX_RECEIVING_CHAINS, MAX_ROSTER_CHAIN, MAX_STATEMENT_TEXT_LEN,
};
use qorgan::roster::{Member, Role, Roster};
use qorgan::verify::{Item, verify, verify_batch};
use qorgan::{
    EncryptError, IdentityKey, IdentityKeyPair, InboundGroupSession, OutboundGroupSession,
    PreKeyBundle, PreKeyStore, PreKeyUpload, RosterError, RotationPolicy, SealedHeader,
    SenderKeyAnnouncement, SenderKeyDistribution, SenderKeyRing, Session, StateError, StateOwner,
    StorageKey, VerifyError,
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
    ("decode_roster", decode_roster),
    ("roster_advance", roster_advance),
    ("decode_statement", decode_statement),
    ("statement_text", statement_text),
    ("state_sealed", state_sealed),
    ("session_decrypt", session_decrypt),
    ("prekey_accept", prekey_accept),
    ("group_decrypt", group_decrypt),
    ("group_merge", group_merge),
    ("conversation", conversation),
    ("store_records", store_records),
];

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

/// `store_records`: every decoder of the account store's own records
/// (outbox and inbox entries, inbox rows, events, peer records, 1:1
/// payloads) on arbitrary bytes; what decodes re-encodes to the same bytes.
pub fn store_records(data: &[u8]) {
    qorgan_store::fuzzing::decode_records(data);
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
    let announcement = SenderKeyAnnouncement::from_bytes(data);
    // The server's verdict is the decoder's (versions 2 and 3).
    assert_eq!(
        announcement.is_ok(),
        verify(&Item::Announcement(data)).is_ok()
    );
    if let Ok(a) = announcement {
        assert_eq!(a.to_bytes(), data);
    }
}

pub fn decode_group_message(data: &[u8]) {
    let _ = GroupMessageInfo::peek(data);
}

pub fn decode_group_export(data: &[u8]) {
    if let Ok(s) = InboundGroupSession::import(data) {
        // Every import carries a verified announcement, of a group without
        // a roster (a rostered chain is imported only against a roster).
        assert!(s.announcement().verify().is_ok());
        assert!(s.announcement().roster.is_none());
        // Exporting at the imported position gives the same bytes back.
        assert_eq!(&s.export_at(s.position()).unwrap()[..], data);
    }
    // Against the fixed rostered group, holding its first or second roster.
    let g = rostered();
    for roster in &g.rosters {
        if let Ok(s) = InboundGroupSession::import_in_roster(data, roster, &g.sender_list, &g.me) {
            assert!(s.announcement().verify().is_ok());
            let head = s.announcement().roster.expect("a rostered chain");
            assert!(head.version <= roster.epoch());
            assert_eq!(&s.export_at(s.position()).unwrap()[..], data);
        }
    }
}

/// Version 3 (rostered) group objects, as the seeds hold them.
pub struct RosteredSeeds {
    pub distribution: Vec<u8>,
    pub announcement: Vec<u8>,
    pub rotated_distribution: Vec<u8>,
    pub export: Vec<u8>,
    pub export_behind: Vec<u8>,
    pub outbound: Vec<u8>,
    pub outbound_pending: Vec<u8>,
    pub outbound_rotated: Vec<u8>,
    pub inbound: Vec<u8>,
    pub ring: Vec<u8>,
    pub sealed_outbound: Vec<u8>,
    pub sealed_ring: Vec<u8>,
}

/// A rostered group: Alice (admin) sends to Bob (member) under roster 1;
/// Carol joins in roster 2 and Alice rotates. The rosters, Alice's device
/// list and Bob's account are what Bob checks rostered chains against.
pub struct RosteredGroup {
    pub rosters: [Roster; 2],
    pub sender_list: qorgan::account::DeviceList,
    pub me: AccountKey,
    pub seeds: RosteredSeeds,
}

pub fn rostered() -> &'static RosteredGroup {
    static G: OnceLock<RosteredGroup> = OnceLock::new();
    G.get_or_init(|| {
        let mut r = rng(78);
        let key = corpus_storage_key();
        let alice_id = IdentityKeyPair::generate(&mut r);
        let bob_id = IdentityKeyPair::generate(&mut r);
        let alice = qorgan::account::Account::create(&mut r, alice_id.public(), "alice").unwrap();
        let bob = qorgan::account::Account::create(&mut r, bob_id.public(), "bob").unwrap();
        let carol = AccountKeyPair::generate(&mut r);
        let admin = alice.key_pair().unwrap();
        let list = alice.list();
        let me = bob.account_key();
        let r1 = Roster::create(
            admin,
            b"fuzz-rostered",
            vec![
                Member::new(*alice.account_key(), Role::Admin),
                Member::new(*me, Role::Member),
            ],
        )
        .unwrap();
        let policy = RotationPolicy {
            max_messages: 1000,
            max_age_secs: 86_400,
        };
        let mut out =
            OutboundGroupSession::new_in_roster(&mut r, &r1, alice.account_key(), policy, 0)
                .unwrap();
        let dist = out.distribution(&alice_id);
        let mut inbound =
            InboundGroupSession::new_in_roster(&dist, alice_id.public(), &r1, list, me).unwrap();
        let mut ring =
            SenderKeyRing::new_in_roster(&dist, alice_id.public(), &r1, list, me).unwrap();
        let export_behind = inbound.export_at(0).unwrap().to_vec();
        let sent: Vec<Vec<u8>> = (0..3u8)
            .map(|i| out.encrypt(&mut r, &alice_id, &[i; 20]).unwrap())
            .collect();
        // Read the last, so the first two wait as skipped keys.
        inbound.decrypt_in_roster(&sent[2], &r1, list).unwrap();
        ring.decrypt_in_roster(&sent[2], &r1, list).unwrap();
        let outbound = out.to_bytes().to_vec();
        let export = inbound.export_at(inbound.position()).unwrap().to_vec();

        let r2 = r1.with_member(admin, carol.public(), Role::Member).unwrap();
        let (_, change) = r1.advance(std::slice::from_ref(&r2)).unwrap();
        out.apply_roster(&change).unwrap();
        let outbound_pending = out.to_bytes().to_vec();
        out.rotate(&mut r, 10).unwrap();
        let outbound_rotated = out.to_bytes().to_vec();
        let dist2 = out.distribution(&alice_id);
        ring.add_in_roster(&dist2, alice_id.public(), &r2, list, me)
            .unwrap();
        let sealed_outbound = out.seal(&mut r, &key);
        let sealed_ring = ring.seal(&mut r, &key);
        let seeds = RosteredSeeds {
            distribution: dist.to_bytes().to_vec(),
            announcement: dist.announcement().to_bytes(),
            rotated_distribution: dist2.to_bytes().to_vec(),
            export,
            export_behind,
            outbound,
            outbound_pending,
            outbound_rotated,
            inbound: inbound.to_bytes().to_vec(),
            ring: ring.to_bytes().to_vec(),
            sealed_outbound,
            sealed_ring,
        };
        RosteredGroup {
            rosters: [r1, r2],
            sender_list: list.clone(),
            me: *me,
            seeds,
        }
    })
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

/// Reads one byte of a target's schedule (0 once it runs out).
fn take(rest: &mut &[u8]) -> u8 {
    match rest.split_first() {
        Some((b, tail)) => {
            *rest = tail;
            *b
        }
        None => 0,
    }
}

/// Single `verify` and `verify_batch` agree item for item, and a valid
/// item batched with them (before and after) still verifies.
fn batch_agrees(items: &[Item<'_>], valid: Item<'_>) {
    let all: Vec<Item<'_>> = [&[valid][..], items, &[valid]].concat();
    let batch = verify_batch(&all);
    assert_eq!(batch.len(), all.len());
    for (item, got) in all.iter().zip(&batch) {
        assert_eq!(got, &verify(item), "batch and single verification disagree");
    }
    assert!(batch[0].is_ok() && batch[all.len() - 1].is_ok());
}

/// The group of the roster targets.
pub const ROSTER_GROUP: &[u8] = b"fuzz-roster";

/// A roster chain a device holds (epochs 1 to 4), and the keys that made
/// it. Accounts, by index: 0 Alice (an `AccountKeyPair`, admin at every
/// epoch), 1–3 D0, D1, D2 and 4 an outsider, raw Ed25519 keys that sign
/// whatever a target asks. D0: member at 1 and 2, absent at 3, admin at 4.
/// D1: member at 1, admin at 2 (and signs epoch 3), absent at 4. D2: member
/// from epoch 3.
pub struct Rosters {
    pub alice: AccountKeyPair,
    pub alice_id: IdentityKeyPair,
    pub raw: Vec<SigningKey>,
    pub chain: Vec<Roster>,
    /// Alice's outbound group state bound to each roster of `chain`.
    pub outbound: Vec<Vec<u8>>,
}

impl Rosters {
    /// Account `j` (see [`Rosters`]).
    pub fn account(&self, j: usize) -> AccountKey {
        match j.checked_sub(1) {
            None => *self.alice.public(),
            Some(i) => AccountKey::from_bytes(self.raw[i].verifying_key().as_bytes()).unwrap(),
        }
    }
}

/// Encodes a roster as docs/PROTOCOL.md §15.1 lays it out, members in the
/// order given (neither sorted nor checked), signed by `signer`, whose key
/// is written as the signer: rosters no `AccountKeyPair` would sign (rogue
/// signers, broken rules).
pub fn forge_roster(
    signer: &SigningKey,
    group: &[u8],
    epoch: u64,
    previous: [u8; 32],
    members: &[(AccountKey, u8)],
) -> Vec<u8> {
    let mut b = vec![
        qorgan::wire::ROSTER_VERSION,
        qorgan::wire::TYPE_ROSTER,
        group.len() as u8,
    ];
    b.extend_from_slice(group);
    b.extend_from_slice(&epoch.to_be_bytes());
    b.extend_from_slice(&previous);
    b.extend_from_slice(&(members.len() as u32).to_be_bytes());
    for (account, role) in members {
        b.extend_from_slice(&account.to_bytes());
        b.push(*role);
    }
    b.extend_from_slice(signer.verifying_key().as_bytes());
    let signature = signer.sign(&[qorgan::labels::ROSTER, &b].concat());
    b.extend_from_slice(&signature.to_bytes());
    b
}

pub fn rosters() -> &'static Rosters {
    static R: OnceLock<Rosters> = OnceLock::new();
    R.get_or_init(|| {
        let mut r = rng(71);
        let alice = AccountKeyPair::generate(&mut r);
        let alice_id = IdentityKeyPair::generate(&mut r);
        let raw: Vec<SigningKey> = (0..4u8)
            .map(|i| SigningKey::from_bytes(&[0x70 + i; 32]))
            .collect();
        let key = |i: usize| AccountKey::from_bytes(raw[i].verifying_key().as_bytes()).unwrap();
        let (a, d0, d1, d2) = (*alice.public(), key(0), key(1), key(2));
        let r1 = Roster::create(
            &alice,
            ROSTER_GROUP,
            vec![
                Member::new(a, Role::Admin),
                Member::new(d0, Role::Member),
                Member::new(d1, Role::Member),
            ],
        )
        .unwrap();
        let r2 = r1.with_member(&alice, &d1, Role::Admin).unwrap();
        let mut m3 = vec![(a, 1), (d1, 1), (d2, 0)];
        m3.sort_by_key(|(k, _)| k.to_bytes());
        let r3 = Roster::from_bytes(&forge_roster(&raw[1], ROSTER_GROUP, 3, r2.head().hash, &m3))
            .unwrap();
        let r4 = r3
            .successor(
                &alice,
                vec![
                    Member::new(a, Role::Admin),
                    Member::new(d0, Role::Admin),
                    Member::new(d2, Role::Member),
                ],
            )
            .unwrap();
        let chain = vec![r1, r2, r3, r4];
        assert_eq!(
            Roster::from_history(&chain, &chain[0].head()).unwrap(),
            chain[3]
        );
        let policy = RotationPolicy {
            max_messages: u32::MAX,
            max_age_secs: u64::MAX,
        };
        let outbound = chain
            .iter()
            .map(|roster| {
                OutboundGroupSession::new_in_roster(&mut r, roster, &a, policy, 0)
                    .unwrap()
                    .to_bytes()
                    .to_vec()
            })
            .collect();
        Rosters {
            alice,
            alice_id,
            raw,
            chain,
            outbound,
        }
    })
}

/// Arbitrary bytes as a roster: the decoder and the server's verdict agree
/// (single and batched); whatever decodes re-encodes to the same bytes,
/// obeys §15.1, and is accepted as the successor of a held roster by the
/// server (`RosterAfter`) exactly when `advance` accepts it.
pub fn decode_roster(data: &[u8]) {
    let f = rosters();
    let decoded = Roster::from_bytes(data);
    let verdict = verify(&Item::Roster(data));
    // One verdict, for the same reason (the epoch-1 rule before the
    // signature, both ways).
    assert_eq!(
        decoded.as_ref().map(|_| ()).map_err(Clone::clone),
        verdict.map_err(RosterError::Verify)
    );
    let genesis = f.chain[0].to_bytes();
    let mut items = vec![Item::Roster(data)];
    for held in &f.chain {
        items.push(Item::RosterAfter {
            previous: held,
            roster: data,
        });
        let after = verify(&Item::RosterAfter {
            previous: held,
            roster: data,
        });
        let follows = decoded.as_ref().is_ok_and(|r| {
            Some(r.epoch()) == held.epoch().checked_add(1)
                && held.advance(std::slice::from_ref(r)).is_ok()
        });
        assert_eq!(after.is_ok(), follows, "RosterAfter {after:?}");
    }
    batch_agrees(&items, Item::Roster(&genesis));
    if let Ok(r) = decoded {
        assert_eq!(r.to_bytes(), data);
        assert_eq!(r.head().version, r.epoch());
        assert!(r.epoch() >= 1);
        assert_eq!(r.previous().is_none(), r.epoch() == 1);
        let members = r.members();
        assert!(!members.is_empty());
        assert!(members.iter().any(|m| m.role == Role::Admin));
        assert!(
            members
                .windows(2)
                .all(|w| w[0].account.to_bytes() < w[1].account.to_bytes())
        );
        if r.epoch() == 1 {
            assert_eq!(r.role_of(r.signer()), Some(Role::Admin));
        }
        assert!(!r.follows(&r.head()));
        for held in &f.chain {
            assert_eq!(
                r.follows(&held.head()),
                Some(r.epoch()) == held.epoch().checked_add(1)
                    && r.previous() == Some(held.head().hash)
            );
        }
    }
}

/// A roster made from 5 bytes of the schedule: signer (one of the raw keys,
/// or Alice through the API), which held roster it builds on and how (the
/// next epoch, a second roster for the same epoch, a gap, a genesis of its
/// own; this group or another), and members (2 bits each: absent, member,
/// admin).
fn forged_roster(f: &Rosters, rest: &mut &[u8]) -> Option<Roster> {
    let (signer, base, how) = (take(rest), take(rest), take(rest));
    let bits = u16::from_be_bytes([take(rest), take(rest)]);
    let base = &f.chain[usize::from(base) % f.chain.len()];
    let members: Vec<Member> = (0..5)
        .filter_map(|j| match (bits >> (2 * j)) & 3 {
            0 => None,
            2 => Some(Member::new(f.account(j), Role::Admin)),
            _ => Some(Member::new(f.account(j), Role::Member)),
        })
        .collect();
    let group: &[u8] = if how & 0x80 != 0 {
        b"other-group"
    } else {
        ROSTER_GROUP
    };
    if signer % 5 == 4 {
        return if how % 4 == 3 {
            Roster::create(&f.alice, group, members).ok()
        } else {
            base.successor(&f.alice, members).ok()
        };
    }
    let (epoch, previous) = match how % 4 {
        0 => (base.epoch() + 1, base.head().hash),
        1 => (base.epoch(), base.previous().unwrap_or([0; 32])),
        2 => (base.epoch() + 2, base.head().hash),
        _ => (1, [0; 32]),
    };
    let mut m: Vec<(AccountKey, u8)> = members
        .iter()
        .map(|m| (m.account, u8::from(m.role == Role::Admin)))
        .collect();
    m.sort_by_key(|(k, _)| k.to_bytes());
    let key = &f.raw[usize::from(signer % 5)];
    Roster::from_bytes(&forge_roster(key, group, epoch, previous, &m)).ok()
}

/// What walking `chain` from `held` must give, walked here from the rules
/// of docs/PROTOCOL.md §15.3 rather than by the core's walker (with no
/// length limit: `advance` refuses more than `MAX_ROSTER_CHAIN`,
/// `from_history` walks any number).
fn expected_walk<'a>(held: &'a Roster, chain: &'a [Roster]) -> Result<&'a Roster, RosterError> {
    let mut current = held;
    for next in chain {
        let (h, seen) = (current.head(), next.head());
        if next.group_id() != held.group_id() {
            return Err(RosterError::WrongGroup);
        }
        if seen.version < h.version {
            return Err(RosterError::RolledBack {
                held: h.version,
                offered: seen.version,
            });
        }
        if seen.version == h.version {
            if seen != h {
                return Err(RosterError::Fork { held: h, seen });
            }
            continue;
        }
        if Some(seen.version) != h.version.checked_add(1) {
            return Err(RosterError::Gap {
                from: h.version.saturating_add(1),
                to: seen.version,
            });
        }
        let previous = next.previous().unwrap_or([0; 32]);
        if previous != h.hash {
            return Err(RosterError::Fork {
                held: h,
                seen: Head {
                    version: h.version,
                    hash: previous,
                },
            });
        }
        if current.role_of(next.signer()) != Some(Role::Admin) {
            return Err(RosterError::Verify(VerifyError::SignerNotAdmin));
        }
        current = next;
    }
    Ok(current)
}

/// A device holding a roster of the fixed chain (byte 0 picks which) is
/// offered a chain of candidates built from the rest of the input, an
/// operation at a time: a held roster (`0`, index), a held roster with one
/// byte changed (`1`, index, position u16, xor: it must never verify), raw
/// bytes (`2`, length u16, bytes), or a roster signed by any key over
/// any members (`3`, see `forged_roster`). `advance` never accepts a
/// roster not signed by an admin of the roster before it, never goes
/// back, answers what the rules of §15.3 say (error for error), agrees
/// with `from_history` (which walks any length) and with the server's
/// `RosterAfter`; a change it reports is the difference of the two
/// rosters, and applied to the held roster's outbound session it forces
/// one new chain under the new roster (applied twice, still one).
pub fn roster_advance(data: &[u8]) {
    let f = rosters();
    let Some((&pick, mut rest)) = data.split_first() else {
        return;
    };
    let at = usize::from(pick) % f.chain.len();
    let held = &f.chain[at];
    let mut chain: Vec<Roster> = Vec::new();
    while !rest.is_empty() && chain.len() <= MAX_ROSTER_CHAIN {
        match take(&mut rest) % 4 {
            0 => chain.push(f.chain[usize::from(take(&mut rest)) % f.chain.len()].clone()),
            1 => {
                let i = usize::from(take(&mut rest)) % f.chain.len();
                let pos = usize::from(u16::from_be_bytes([take(&mut rest), take(&mut rest)]));
                let x = take(&mut rest).max(1);
                let mut bytes = f.chain[i].to_bytes();
                let n = bytes.len();
                bytes[pos % n] ^= x;
                assert!(
                    Roster::from_bytes(&bytes).is_err(),
                    "a changed roster verified"
                );
            }
            2 => {
                let len = usize::from(u16::from_be_bytes([take(&mut rest), take(&mut rest)]));
                let (raw, tail) = rest.split_at(len.min(rest.len()));
                rest = tail;
                if let Ok(r) = Roster::from_bytes(raw) {
                    chain.push(r);
                }
            }
            _ => {
                if let Some(r) = forged_roster(f, &mut rest) {
                    chain.push(r);
                }
            }
        }
    }

    let result = held.advance(&chain);
    let walked = expected_walk(held, &chain);
    if chain.len() > MAX_ROSTER_CHAIN {
        assert!(matches!(result, Err(RosterError::InvalidRoster(_))));
    } else {
        match (&result, &walked) {
            (Ok((newest, _)), Ok(model)) => assert_eq!(newest, *model),
            (Err(got), Err(want)) => assert_eq!(got, want),
            (got, want) => panic!("advance answered {got:?}, the rules say {want:?}"),
        }
    }

    // The whole history from epoch 1, through the held roster, walks the
    // same way, however long; not through it, it is refused.
    let history: Vec<Roster> = f.chain[..=at].iter().chain(&chain).cloned().collect();
    assert_eq!(
        Roster::from_history(&history, &held.head()),
        walked.cloned()
    );
    let elsewhere = Head {
        version: held.epoch(),
        hash: [0x55; 32],
    };
    assert!(Roster::from_history(&history, &elsewhere).is_err());
    // The server's check of one successor agrees.
    for c in chain.iter().take(4) {
        let after = verify(&Item::RosterAfter {
            previous: held,
            roster: &c.to_bytes(),
        });
        let follows = Some(c.epoch()) == held.epoch().checked_add(1)
            && held.advance(std::slice::from_ref(c)).is_ok();
        assert_eq!(after.is_ok(), follows, "RosterAfter {after:?}");
    }

    let Ok((newest, change)) = result else {
        return;
    };
    assert!(newest.epoch() >= held.epoch(), "went back");
    let mut current = held;
    for next in &chain {
        if next.epoch() > current.epoch() {
            assert_eq!(
                current.role_of(next.signer()),
                Some(Role::Admin),
                "accepted a roster not signed by an admin of the one before"
            );
            assert_eq!(next.previous(), Some(current.head().hash));
            current = next;
        } else {
            assert_eq!(next, current, "accepted a second roster for one epoch");
        }
    }
    assert_eq!(current, &newest);

    assert_eq!(change.group_id, held.group_id());
    assert_eq!((change.from, change.to), (held.head(), newest.head()));
    let added: Vec<Member> = newest
        .members()
        .iter()
        .filter(|m| !held.is_member(&m.account))
        .copied()
        .collect();
    let removed: Vec<AccountKey> = held
        .members()
        .iter()
        .filter(|m| !newest.is_member(&m.account))
        .map(|m| m.account)
        .collect();
    let role_changed: Vec<Member> = newest
        .members()
        .iter()
        .filter(|m| held.role_of(&m.account).is_some_and(|r| r != m.role))
        .copied()
        .collect();
    assert_eq!(
        (&change.added, &change.removed, &change.role_changed),
        (&added, &removed, &role_changed)
    );

    // Every roster change forces Alice onto a new chain, bound to it.
    let mut out = OutboundGroupSession::from_bytes(&f.outbound[at]).unwrap();
    out.apply_roster(&change)
        .expect("a change from the held roster applies");
    let mut r = rng(72);
    let sent = out.encrypt(&mut r, &f.alice_id, b"roster");
    if change.is_empty() {
        assert!(sent.is_ok());
        assert_eq!(out.roster(), Some(held.head()));
    } else {
        assert!(
            matches!(sent, Err(EncryptError::RotationRequired(_))),
            "sent on a chain of an old roster: {sent:?}"
        );
        out.rotate(&mut r, 0).unwrap();
        assert_eq!(out.roster(), Some(newest.head()));
        assert_eq!(
            out.distribution(&f.alice_id).announcement().roster,
            Some(newest.head())
        );
        assert!(out.encrypt(&mut r, &f.alice_id, b"roster").is_ok());
        // The same change again (a retry) forces no second rotation.
        out.apply_roster(&change).unwrap();
        assert!(out.encrypt(&mut r, &f.alice_id, b"roster").is_ok());
        assert_eq!(out.roster(), Some(newest.head()));
    }
}

/// The clock of the certificate targets (seconds since 1970).
pub const CERT_NOW: u64 = 1_790_000_000;
const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// An organisation the certificate targets trust, its intermediate, an
/// account it certified, and the revocation lists a verifier holds.
pub struct Certs {
    pub ministry: IssuerKeyPair,
    pub personnel: IssuerKeyPair,
    pub colonel: AccountKeyPair,
    /// The ministry's certificate of `personnel`.
    pub intermediate: Statement,
    /// `personnel`'s certificate of `colonel` (serial 1001).
    pub leaf: Statement,
    pub anchors: Vec<TrustAnchor>,
    /// `personnel` revokes serials 7 and 9; the ministry none.
    pub revocations: Vec<RevocationList>,
    /// `intermediate`'s bytes: a statement that verifies.
    pub valid: Vec<u8>,
}

pub fn certs() -> &'static Certs {
    static C: OnceLock<Certs> = OnceLock::new();
    C.get_or_init(|| {
        let ministry = IssuerKeyPair::from_seed(&[0x81; 32]);
        let personnel = IssuerKeyPair::from_seed(&[0x82; 32]);
        let colonel = AccountKeyPair::generate(&mut rng(81));
        let intermediate = Statement::certify_intermediate(
            &ministry,
            personnel.public(),
            1,
            CERT_NOW - YEAR,
            CERT_NOW + 5 * YEAR,
            vec![Claim::organisation("Personnel").unwrap()],
        )
        .unwrap();
        let leaf = Statement::certify_account(
            &personnel,
            colonel.public(),
            1001,
            CERT_NOW - DAY,
            CERT_NOW + YEAR,
            vec![
                Claim::display_name("Colonel N.").unwrap(),
                Claim::unit("Staff").unwrap(),
            ],
        )
        .unwrap();
        let anchors = vec![TrustAnchor::new(*ministry.public(), "Ministry of Fuzzing")];
        let revocations = vec![
            RevocationList::issue(&personnel, CERT_NOW - 3600, CERT_NOW + DAY, vec![7, 9]).unwrap(),
            RevocationList::issue(&ministry, CERT_NOW - 3600, CERT_NOW + DAY, vec![]).unwrap(),
        ];
        let valid = intermediate.to_bytes();
        Certs {
            ministry,
            personnel,
            colonel,
            intermediate,
            leaf,
            anchors,
            revocations,
            valid,
        }
    })
}

const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// A decoded presentation: its text form round-trips within the QR limit;
/// verified against the fixed anchor (now, at its leaf's first second and
/// at its expiry) `Presentation::verify` and the server's item agree, an
/// expired leaf never verifies, and what verifies is what the chain says.
fn check_presentation(p: &Presentation) {
    let c = certs();
    let bytes = p.to_bytes();
    let text = p.to_text();
    assert!(text.len() <= MAX_STATEMENT_TEXT_LEN);
    let body = text.strip_prefix(STATEMENT_TEXT_PREFIX).unwrap();
    assert!(body.bytes().all(|b| BASE45.contains(&b)));
    assert_eq!(Presentation::from_text(&text).as_ref(), Ok(p));
    let leaf = p.leaf().unwrap();
    for now in [CERT_NOW, leaf.valid_from(), leaf.valid_until()] {
        let single = p.verify(&c.anchors, &c.revocations, now);
        let item = Item::Presentation {
            presentation: &bytes,
            anchors: &c.anchors,
            revocations: &c.revocations,
            now,
        };
        assert_eq!(
            single.as_ref().map(|_| ()).map_err(Clone::clone),
            verify(&item)
        );
        if now == leaf.valid_until() {
            assert!(single.is_err(), "an expired statement verified");
        }
        let Ok(v) = single else { continue };
        assert_eq!(v.organisation, c.anchors[0].organisation);
        assert_eq!(v.label(), "verified by Ministry of Fuzzing");
        assert_eq!(p.statements()[0].issuer(), &c.anchors[0].key);
        assert_ne!(v.kind, StatementKind::Intermediate);
        assert_eq!(
            (v.kind, &v.subject, v.serial, &v.claims[..]),
            (leaf.kind(), leaf.subject(), leaf.serial(), leaf.claims())
        );
        for s in p.statements() {
            assert!(Statement::from_bytes(&s.to_bytes()).is_ok());
            assert!(s.valid_from() <= now && now < s.valid_until());
            assert!(v.valid_until <= s.valid_until());
            assert!(
                !c.revocations
                    .iter()
                    .any(|l| l.issuer() == s.issuer() && l.revokes(s.serial()))
            );
        }
        if v.kind == StatementKind::Account {
            let account = AccountKey::from_bytes(&v.subject).unwrap();
            assert_eq!(
                p.verify_account(&account, &c.anchors, &c.revocations, now),
                Ok(v.clone())
            );
            if account != *c.colonel.public() {
                assert!(
                    p.verify_account(c.colonel.public(), &c.anchors, &c.revocations, now)
                        .is_err()
                );
            }
        }
    }
}

/// Arbitrary bytes as a statement, a revocation list and a presentation:
/// decoders and the server's items agree (single and batched); whatever
/// decodes re-encodes to the same bytes and obeys §16.1 and §16.3; every
/// decoded presentation (and every statement, presented alone) is checked
/// as `check_presentation` says.
pub fn decode_statement(data: &[u8]) {
    let c = certs();
    let statement = Statement::from_bytes(data);
    assert_eq!(
        statement.as_ref().map(|_| ()).map_err(Clone::clone),
        verify(&Item::Statement(data))
    );
    if let Ok(s) = &statement {
        assert_eq!(s.to_bytes(), data);
        assert!(s.valid_from() < s.valid_until());
        assert!(s.claims().windows(2).all(|w| w[0].tag < w[1].tag));
        check_presentation(&Presentation::new(vec![s.clone()]).unwrap());
    }
    let list = RevocationList::from_bytes(data);
    assert_eq!(
        list.as_ref().map(|_| ()).map_err(Clone::clone),
        verify(&Item::RevocationList(data))
    );
    if let Ok(l) = &list {
        assert_eq!(l.to_bytes(), data);
        assert!(l.issued_at() < l.next_update());
        assert!(l.serials().windows(2).all(|w| w[0] < w[1]));
        assert!(l.serials().iter().all(|s| l.revokes(*s)));
    }
    let presented = Item::Presentation {
        presentation: data,
        anchors: &c.anchors,
        revocations: &c.revocations,
        now: CERT_NOW,
    };
    match Presentation::from_bytes(data) {
        Ok(p) => {
            assert_eq!(p.to_bytes(), data);
            assert!((1..=2).contains(&p.statements().len()));
            check_presentation(&p);
        }
        Err(e) => assert_eq!(verify(&presented), Err(e)),
    }
    batch_agrees(
        &[Item::Statement(data), Item::RevocationList(data), presented],
        Item::Statement(&c.valid),
    );
}

/// An arbitrary string as a presentation's QR text: what parses prints
/// back as the same text (one text per presentation) and is checked as
/// `check_presentation` says.
pub fn statement_text(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = Presentation::from_text(text) {
        assert_eq!(p.to_text(), text, "two texts for one presentation");
        assert_eq!(Presentation::from_bytes(&p.to_bytes()).as_ref(), Ok(&p));
        check_presentation(&p);
    }
}
