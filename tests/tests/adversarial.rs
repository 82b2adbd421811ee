//! Adversarial tests: secrets wiped from memory, redacted Debug output,
//! resource limits with bounded allocation, invalid and low-order keys,
//! non-canonical encodings and signature malleability.
//!
//! This test binary installs a global allocator that, while "armed", scans
//! every freed heap block for a 32-byte secret pattern and tracks the peak
//! number of live heap bytes. Tests that use it run one at a time (LOCK).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use qorgan::limits::{MAX_MESSAGE_LEN, MAX_SKIP_PER_CHAIN};
use qorgan::primitives::ed25519::{Ed25519PublicKey, Ed25519SigningKey, Signature};
use qorgan::primitives::kem::KemSecretKey;
use qorgan::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use qorgan::{
    DecodeError, DecryptError, IdentityKeyPair, InboundGroupSession, OutboundGroupSession,
    PreKeyStore, RotationPolicy, SenderKeyRing, Session, StateError, StorageKey,
};
use qorgan_tests::{established, rng, snapshot};

struct Watch;

static ARMED: AtomicBool = AtomicBool::new(false);
static PATTERN: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
static FOUND: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static LOCK: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Watch {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        if ARMED.load(Ordering::Relaxed) && layout.size() >= 32 {
            let mut pattern = [0u8; 32];
            for (i, w) in PATTERN.iter().enumerate() {
                pattern[i * 8..i * 8 + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
            }
            // SAFETY: the block is still allocated until System.dealloc below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            if block.windows(32).any(|w| w == pattern) {
                FOUND.fetch_add(1, Ordering::Relaxed);
            }
        }
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Watch = Watch;

/// Runs `f` with freed-memory scanning armed for `secret`; returns how many
/// freed blocks still contained it.
fn leaks_of(secret: [u8; 32], f: impl FnOnce()) -> usize {
    for (i, w) in PATTERN.iter().enumerate() {
        w.store(
            u64::from_le_bytes(secret[i * 8..i * 8 + 8].try_into().unwrap()),
            Ordering::Relaxed,
        );
    }
    FOUND.store(0, Ordering::Relaxed);
    ARMED.store(true, Ordering::Relaxed);
    f();
    ARMED.store(false, Ordering::Relaxed);
    FOUND.load(Ordering::Relaxed)
}

/// Peak extra heap bytes while `f` runs.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

const S: [u8; 32] = [0xA5; 32];

#[test]
fn secret_keys_are_wiped_before_their_memory_is_freed() {
    let _g = LOCK.lock().unwrap();
    assert_eq!(
        leaks_of(S, || drop(X25519SecretKey::from_bytes(&S))),
        0,
        "X25519SecretKey"
    );
    assert_eq!(
        leaks_of(S, || drop(Ed25519SigningKey::from_seed(&S))),
        0,
        "Ed25519SigningKey"
    );
    assert_eq!(
        leaks_of(S, || drop(Box::new(StorageKey::from_bytes(S)))),
        0,
        "StorageKey"
    );
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(&S);
    assert_eq!(
        leaks_of(S, || drop(KemSecretKey::from_seed(&seed))),
        0,
        "KemSecretKey"
    );
    // The detector works: an unwiped copy of the secret is found.
    assert!(
        leaks_of(S, || drop(S.to_vec())) > 0,
        "detector must see a plain Vec"
    );
}

#[test]
fn session_and_store_state_never_leave_secrets_in_freed_memory() {
    let _g = LOCK.lock().unwrap();
    let mut r = rng(300);
    let mut p = established(&mut r);
    // Drive some traffic so the session holds skipped keys.
    let msgs: Vec<_> = (0..20)
        .map(|i| p.alice.encrypt(&mut r, &[i; 10]).unwrap())
        .collect();
    p.bob.decrypt(&msgs[19]).unwrap();
    let root = qorgan::internals::session_secrets(&p.bob).root_key;
    let key = StorageKey::generate(&mut r);
    let leaks = leaks_of(root, || {
        let plain = p.bob.to_bytes();
        let sealed = p.bob.seal(&mut r, &key);
        let expected = qorgan::Expected::new(p.bob.state_owner(), p.bob.generation());
        let restored = Session::open(&key, &sealed, &expected).unwrap();
        let copy = Session::from_bytes(&plain).unwrap();
        drop((plain, restored, copy));
    });
    assert_eq!(leaks, 0, "root key found in freed memory");
    let skipped = qorgan::internals::session_secrets(&p.bob).skipped[0].2;
    let leaks = leaks_of(skipped, || {
        let mut copy = Session::from_bytes(&p.bob.to_bytes()).expect("state round trip");
        copy.decrypt(&msgs[0]).unwrap();
        drop(copy);
    });
    assert_eq!(leaks, 0, "a skipped message key found in freed memory");
    let store_bytes = p.bob_store.to_bytes().to_vec();
    let identity_seed: [u8; 32] = store_bytes[2..34].try_into().unwrap();
    let leaks = leaks_of(identity_seed, || {
        let mut s = PreKeyStore::from_bytes(&p.bob_store.to_bytes()).unwrap();
        drop(s.seal(&mut r, &key));
        drop(s);
    });
    assert_eq!(leaks, 0, "identity seed found in freed memory");
}

#[test]
fn group_state_never_leaves_chain_keys_in_freed_memory() {
    let _g = LOCK.lock().unwrap();
    let mut r = rng(301);
    let id = IdentityKeyPair::generate(&mut r);
    let policy = RotationPolicy::DEFAULT;
    let mut out = OutboundGroupSession::new(&mut r, b"g", policy, 0).unwrap();
    let dist = out.distribution(&id);
    let dist_bytes = dist.to_bytes();
    let chain_key: [u8; 32] = dist_bytes[dist_bytes.len() - 32..].try_into().unwrap();
    let leaks = leaks_of(chain_key, || {
        let inbound = InboundGroupSession::new(&dist, id.public()).unwrap();
        let ring = SenderKeyRing::new(&dist, id.public()).unwrap();
        drop((
            inbound.to_bytes(),
            ring.to_bytes(),
            out.to_bytes(),
            inbound.export_at(0).unwrap(),
        ));
        drop((inbound, ring, dist.to_bytes()));
    });
    assert_eq!(leaks, 0, "chain key found in freed memory");
    out.encrypt(&mut r, &id, b"x").unwrap();
}

#[test]
fn debug_output_of_every_secret_bearing_type_is_redacted() {
    let mut r = rng(302);
    let p = established(&mut r);
    let id = IdentityKeyPair::generate(&mut r);
    let out = OutboundGroupSession::new(&mut r, b"g", RotationPolicy::DEFAULT, 0).unwrap();
    let dist = out.distribution(&id);
    let inbound = InboundGroupSession::new(&dist, id.public()).unwrap();
    let ring = SenderKeyRing::new(&dist, id.public()).unwrap();
    let secrets = qorgan::internals::session_secrets(&p.alice);
    let hexes = |b: &[u8]| -> Vec<String> {
        vec![
            b.iter().map(|x| format!("{x:02x}")).collect(),
            format!("{b:?}"),
            format!("{:?}", &b[..4]),
        ]
    };
    let mut forbidden = hexes(&secrets.root_key);
    forbidden.extend(hexes(&dist.to_bytes()[dist.to_bytes().len() - 32..]));
    let shown = [
        format!("{:?}", p.alice),
        format!("{:?}", p.bob_store),
        format!("{:?}", p.alice_identity),
        format!("{:?}", X25519SecretKey::from_bytes(&S)),
        format!("{:?}", Ed25519SigningKey::from_seed(&S)),
        format!("{:?}", KemSecretKey::from_seed(&[0xA5; 64])),
        format!("{:?}", StorageKey::from_bytes(S)),
        format!("{out:?}"),
        format!("{inbound:?}"),
        format!("{ring:?}"),
        format!("{dist:?}"),
    ];
    // Snapshot of the redacted forms of the bare key types.
    assert_eq!(shown[3], "X25519SecretKey([redacted])");
    assert_eq!(shown[4], "Ed25519SigningKey([redacted])");
    assert_eq!(shown[5], "KemSecretKey([redacted])");
    assert_eq!(shown[6], "StorageKey([redacted])");
    for s in &shown {
        assert!(s.contains("redacted"), "{s}");
        assert!(!s.contains("a5a5a5a5"), "{s}");
        assert!(!s.contains("165, 165, 165"), "{s}");
        for f in &forbidden {
            assert!(
                f.is_empty() || !s.contains(f.as_str()),
                "{s} shows a secret"
            );
        }
    }
}

#[test]
fn absurd_counters_and_gaps_are_refused_quickly_with_bounded_memory() {
    let _g = LOCK.lock().unwrap();
    let mut r = rng(303);
    let mut p = established(&mut r);
    let genuine = p.alice.encrypt(&mut r, b"x").unwrap();
    // The highest index a header can carry (24-bit: u32::MAX is not
    // expressible) and a million-key gap: refused before any key derivation.
    for n in [0xFF_FFFFu32, 1_000_000, MAX_SKIP_PER_CHAIN + 1] {
        let mut m = genuine.clone();
        m[34..37].copy_from_slice(&n.to_be_bytes()[1..]);
        let before = snapshot(&p.bob);
        let peak = peak_of(|| {
            assert!(
                matches!(p.bob.decrypt(&m), Err(DecryptError::TooFarAhead { .. })),
                "n = {n}"
            );
        });
        assert!(peak < 64 * 1024, "n = {n}: {peak} bytes allocated");
        assert_eq!(before, snapshot(&p.bob));
    }
    // A previous-chain length of a million on a new ratchet key.
    let reply = p.bob.encrypt(&mut r, b"r").unwrap();
    p.alice.decrypt(&reply).unwrap();
    let mut turned = p.alice.encrypt(&mut r, b"t").unwrap();
    turned[37..40].copy_from_slice(&1_000_000u32.to_be_bytes()[1..]);
    let peak = peak_of(|| assert!(p.bob.decrypt(&turned).is_err()));
    assert!(peak < 64 * 1024, "{peak} bytes allocated");
}

#[test]
fn a_100_mib_ciphertext_is_refused_without_copying_it() {
    let _g = LOCK.lock().unwrap();
    let mut r = rng(304);
    let mut p = established(&mut r);
    let genuine = p.alice.encrypt(&mut r, b"x").unwrap();
    let mut huge = genuine[..40].to_vec();
    huge.resize(100 * 1024 * 1024, 0x42);
    let peak = peak_of(|| {
        assert!(matches!(
            p.bob.decrypt(&huge),
            Err(DecryptError::Decode(DecodeError::TooLong {
                limit: MAX_MESSAGE_LEN,
                ..
            }))
        ));
    });
    assert!(
        peak < 64 * 1024,
        "{peak} bytes allocated for a refused 100 MiB message"
    );
    let mut group_huge = vec![qorgan::wire::GROUP_VERSION, 0x20];
    group_huge.resize(100 * 1024 * 1024, 0);
    let id = IdentityKeyPair::generate(&mut r);
    let out = OutboundGroupSession::new(&mut r, b"g", RotationPolicy::DEFAULT, 0).unwrap();
    let mut inbound = InboundGroupSession::new(&out.distribution(&id), id.public()).unwrap();
    let peak = peak_of(|| assert!(inbound.decrypt(&group_huge).is_err()));
    assert!(
        peak < 64 * 1024,
        "{peak} bytes allocated for a refused 100 MiB group message"
    );
}

/// Issue 10, finding 6: a forged 1:1 message of 64 MiB (within the limit)
/// was copied whole before its tag was checked. The operator sends one;
/// the receiver must refuse it without an allocation of its size.
#[test]
fn a_forged_64_mib_message_is_authenticated_before_any_copy() {
    let _g = LOCK.lock().unwrap();
    let mut r = rng(306);
    let mut p = established(&mut r);
    let genuine = p.alice.encrypt(&mut r, b"x").unwrap();
    // The genuine header, then MAX_MESSAGE_LEN bytes of forged ciphertext
    // and a tag.
    let header_len = genuine.len() - 1 - 16;
    let mut forged = genuine[..header_len].to_vec();
    forged.resize(header_len + MAX_MESSAGE_LEN + 16, 0x42);
    let before = snapshot(&p.bob);
    let peak = peak_of(|| {
        assert_eq!(
            p.bob.decrypt(&forged).unwrap_err(),
            DecryptError::AuthenticationFailed
        );
    });
    assert!(
        peak < 64 * 1024,
        "{peak} bytes allocated for a forged 64 MiB message"
    );
    assert_eq!(before, snapshot(&p.bob));
    // A genuine large message still decrypts.
    let big = vec![7u8; 1 << 20];
    let m = p.alice.encrypt(&mut r, &big).unwrap();
    assert_eq!(p.bob.decrypt(&m).unwrap(), big);
}

#[test]
fn state_blobs_claiming_huge_lengths_are_refused_with_bounded_memory() {
    let _g = LOCK.lock().unwrap();
    let mut r = rng(305);
    let p = established(&mut r);
    let plain = p.alice.to_bytes().to_vec();
    // The state ends with the key count (0) of the one registered chain:
    // claim u32::MAX, a million, then 6 keys.
    assert_eq!(&plain[plain.len() - 4..], &[0, 0, 0, 0]);
    for claim in [u32::MAX, 1_000_000, 6] {
        let mut forged = plain.clone();
        let n = forged.len();
        forged[n - 4..].copy_from_slice(&claim.to_be_bytes());
        let peak = peak_of(|| {
            assert!(matches!(
                Session::from_bytes(&forged),
                Err(StateError::Decode(_))
            ));
        });
        assert!(peak < 64 * 1024, "claim {claim}: {peak} bytes");
    }
    // Two keys with the same index in one chain: refused, not merged.
    let mut forged = plain.clone();
    let n = forged.len();
    forged[n - 4..].copy_from_slice(&2u32.to_be_bytes());
    for _ in 0..2 {
        forged.extend_from_slice(&5u32.to_be_bytes());
        forged.extend_from_slice(&[7; 32]);
    }
    assert_eq!(
        Session::from_bytes(&forged).unwrap_err(),
        StateError::Decode(DecodeError::InvalidField("duplicate skipped key index"))
    );
    // Store: a million claimed one-time prekeys.
    let store = p.bob_store.to_bytes().to_vec();
    for cut in 0..store.len() {
        // Any truncation is refused.
        assert!(PreKeyStore::from_bytes(&store[..cut]).is_err());
    }
    let mut blob = store[..2 + 64 + 12].to_vec();
    blob.extend_from_slice(&1_000_000u32.to_be_bytes());
    let peak = peak_of(|| assert!(PreKeyStore::from_bytes(&blob).is_err()));
    assert!(peak < 64 * 1024, "{peak} bytes");
}

#[test]
fn low_order_and_zero_keys_are_refused_where_the_spec_says() {
    let mut r = rng(306);
    let mut p = established(&mut r);
    // Low-order X25519 points give the all-zero secret: refused.
    let low_order: [[u8; 32]; 3] = [
        [0; 32],
        {
            let mut k = [0u8; 32];
            k[0] = 1;
            k
        },
        // Order 8 point (RFC 7748 / Wycheproof).
        [
            0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f,
            0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16,
            0x5f, 0x49, 0xb8, 0x00,
        ],
    ];
    let secret = X25519SecretKey::generate(&mut r);
    for k in low_order {
        assert!(
            secret
                .diffie_hellman(&X25519PublicKey::from_bytes(k))
                .is_err()
        );
        // As a ratchet key in a message: refused, session unchanged.
        let mut m = p.alice.encrypt(&mut r, b"x").unwrap();
        m[2..34].copy_from_slice(&k);
        let before = snapshot(&p.bob);
        assert_eq!(p.bob.decrypt(&m), Err(DecryptError::NonContributory));
        assert_eq!(before, snapshot(&p.bob));
    }
    // Non-canonical X25519 u (≥ p) is accepted and means u mod p (RFC 7748).
    let mut noncanonical = [0xffu8; 32];
    noncanonical[0] = 0xee;
    noncanonical[31] = 0x7f; // p = 2^255 - 19 encodes as ed ff .. 7f
    let mut reduced = [0u8; 32];
    reduced[0] = 1; // 2^255 - 18 mod p = 1, a low-order point again
    assert!(
        secret
            .diffie_hellman(&X25519PublicKey::from_bytes(noncanonical))
            .is_err()
    );
    assert!(
        secret
            .diffie_hellman(&X25519PublicKey::from_bytes(reduced))
            .is_err()
    );
}

#[test]
fn ed25519_non_canonical_encodings_and_malleability_are_refused() {
    let mut r = rng(307);
    let key = Ed25519SigningKey::generate(&mut r);
    let public = key.public_key();
    let sig = key.sign(b"m");
    assert!(public.verify(b"m", &sig));
    // S + L: same value mod L, different bytes (classic malleability).
    let mut bytes = sig.to_bytes();
    let l: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(bytes[32 + i]) + u16::from(l[i]) + carry;
        bytes[32 + i] = v as u8;
        carry = v >> 8;
    }
    if carry == 0 {
        assert!(
            !public.verify(b"m", &Signature::from_bytes(&bytes)),
            "S + L accepted"
        );
    }
    // Non-canonical public keys (y = p + 1 encodes the same point as y = 1,
    // the identity) and small-order keys do not decode.
    let mut y_ge_p = [0xffu8; 32];
    y_ge_p[0] = 0xee;
    y_ge_p[31] = 0x7f;
    assert!(Ed25519PublicKey::from_bytes(&y_ge_p).is_err());
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert!(Ed25519PublicKey::from_bytes(&identity).is_err());
    let mut identity_sign_bit = identity;
    identity_sign_bit[31] = 0x80;
    assert!(Ed25519PublicKey::from_bytes(&identity_sign_bit).is_err());
    // A signature whose R is the identity is refused.
    let mut r_identity = sig.to_bytes();
    r_identity[..32].copy_from_slice(&identity);
    assert!(!public.verify(b"m", &Signature::from_bytes(&r_identity)));
}

#[test]
fn state_with_keys_out_of_order_is_refused_so_each_state_has_one_encoding() {
    let mut r = rng(308);
    let mut p = established(&mut r);
    let msgs: Vec<_> = (0..3)
        .map(|i| p.alice.encrypt(&mut r, &[i]).unwrap())
        .collect();
    p.bob.decrypt(&msgs[2]).unwrap();
    let plain = p.bob.to_bytes().to_vec();
    // The state ends with the two skipped keys (indices 0 and 1): swap them.
    let n = plain.len();
    let mut swapped = plain[..n - 72].to_vec();
    swapped.extend_from_slice(&plain[n - 36..]);
    swapped.extend_from_slice(&plain[n - 72..n - 36]);
    assert_eq!(
        Session::from_bytes(&plain).unwrap().to_bytes().to_vec(),
        plain
    );
    assert_eq!(
        Session::from_bytes(&swapped).unwrap_err(),
        StateError::Decode(DecodeError::InvalidField(
            "skipped key indices not ascending"
        ))
    );
    // Prekey store: one-time prekeys out of id order.
    let id = IdentityKeyPair::generate(&mut r);
    let mut store = PreKeyStore::new(&mut r, id, 0);
    store.generate_one_time_prekeys(&mut r, 2);
    let plain = store.to_bytes().to_vec();
    // Layout tail: count(2) || 2 × (id || secret || published) || count(0)
    // of replay records.
    let n = plain.len();
    let (a, b) = (n - 4 - 74, n - 4 - 37);
    let mut swapped = plain[..a].to_vec();
    swapped.extend_from_slice(&plain[b..n - 4]);
    swapped.extend_from_slice(&plain[a..b]);
    swapped.extend_from_slice(&plain[n - 4..]);
    assert_eq!(
        PreKeyStore::from_bytes(&plain).unwrap().to_bytes().to_vec(),
        plain
    );
    assert_eq!(
        PreKeyStore::from_bytes(&swapped).unwrap_err(),
        StateError::Decode(DecodeError::InvalidField(
            "one-time prekey ids not ascending"
        ))
    );
}
