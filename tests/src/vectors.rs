//! The deterministic protocol-vector generator (docs/PROTOCOL.md §13).
//!
//! [`generate`] drives qorgan with seeded ChaCha20 generators wrapped in a
//! [`RecordingRng`], so every random draw the library makes is listed in the
//! files (with its position in the generator's output and a purpose name),
//! next to every secret and every expected value. `tests/tests/vectors.rs`
//! checks that the committed files are exactly what [`generate`] produces and
//! re-derives every value from the recorded inputs without qorgan.
//!
//! [`generate_fixtures`] makes the state fixtures of the current version for
//! `tests/vectors/fixtures/` (1:1 state, prekey store state, group state and
//! sealed envelopes, plus the version 1 envelopes of `sealed-v1.json`); the `gen-vectors` binary
//! writes each only when no such file exists yet (fixtures are kept forever,
//! see the README there). `group.json` and the group fixture come from the
//! submodule `group` (tests/src/vectors/group.rs), `group_negative.json`
//! from `group_negative` (tests/src/vectors/group_negative.rs, whose
//! [`run_group_negative_case`] also replays the file in
//! tests/tests/vectors.rs), `negative.json` from `negative`
//! (tests/src/vectors/negative.rs, whose [`run_negative_case`] replays it
//! likewise), `prekey_upload.json` from `upload` (tests/src/vectors/upload.rs),
//! `account.json` and the account state fixtures from [`account`]
//! (tests/src/vectors/account.rs), `account_negative.json` from
//! `account_negative` (tests/src/vectors/account_negative.rs, whose
//! [`run_account_negative_case`] replays it likewise);
//! [`errors`] names errors as the files do.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::convert::Infallible;

use chacha20::ChaCha20Rng;
use qorgan::internals::{kdf_ck, kdf_rk, session_secrets};
use qorgan::primitives::aead;
use qorgan::primitives::kem::{KemCiphertext, KemSecretKey};
use qorgan::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use qorgan::{
    IdentityKey, IdentityKeyPair, PreKeyBundle, PreKeyStore, SafetyNumber, Session, StorageKey,
};
use rand_core::{Rng, TryCryptoRng, TryRng};
use serde_json::{Value, json};

use crate::hex::encode as hx;

pub mod account;
mod account_negative;
mod case_table;
pub mod certificate;
mod certificate_negative;
pub mod errors;
mod group;
mod group_negative;
mod negative;
pub mod roster;
mod roster_negative;
pub mod store;
pub mod store_fixture;
mod upload;
pub use account::{ACCOUNT_FIXTURE_SEED, ACCOUNT_SEED, account_fixture_files};
pub use account_negative::{ACCOUNT_NEGATIVE_SEED, run_case as run_account_negative_case};
pub use certificate_negative::{
    CERTIFICATE_NEGATIVE_SEED, run_case as run_certificate_negative_case,
};
pub use group::{GROUP_FIXTURE_SEED, GROUP_SEED, group_fixture_file};
pub use group_negative::{GROUP_NEGATIVE_SEED, run_case as run_group_negative_case};
pub use negative::{NEGATIVE_SEED, run_case as run_negative_case, upload_json};
pub use roster_negative::{ROSTER_NEGATIVE_SEED, run_case as run_roster_negative_case};
pub use store::{
    PayloadContext, SEALED_VALUE_NEGATIVE_SEED, SEALED_VALUE_SEED, STORE_NEGATIVE_SEED, STORE_SEED,
    run_sealed_value_negative_case, run_store_negative_case,
};
pub use upload::UPLOAD_SEED;

/// Seed of `kdf.json`'s inputs.
pub const KDF_SEED: u64 = 2;
/// Seed of the scenario shared by `handshake.json`, `session.json` and
/// `state.json` (one generator; the later files continue its stream).
pub const SCENARIO_SEED: u64 = 1;
/// Seed of `safety_number.json`.
pub const SAFETY_NUMBER_SEED: u64 = 3;
/// Seed of the state fixture of the current version.
pub const FIXTURE_SEED: u64 = 101;
/// Seed of the prekey store fixture of the current store version.
pub const STORE_FIXTURE_SEED: u64 = 103;
/// The caller's clock (seconds) at which the scenario's store is made and
/// accepts its handshakes (docs/PROTOCOL.md §4.9); state.json rotates its
/// prekeys `PREKEY_ROTATION_SECS` later, when they are due.
pub const SCENARIO_NOW: u64 = 1_700_000_000;

/// Where the fixture of the current state version lives, relative to
/// `tests/vectors/`: `fixtures/state-v{VERSION}.json`.
pub fn fixture_file() -> String {
    format!("fixtures/state-v{}.json", qorgan::wire::VERSION)
}

/// Where the prekey store fixture of the current store version lives,
/// relative to `tests/vectors/`: `fixtures/prekey-store-v{STORE_VERSION}.json`.
pub fn store_fixture_file() -> String {
    format!(
        "fixtures/prekey-store-v{}.json",
        qorgan::wire::STORE_VERSION
    )
}

/// What an `open` case of a negative file expects (docs/PROTOCOL.md §7.1):
/// the case's `owner` (32 bytes, hex) and `min_generation`.
pub(crate) fn expected_of(case: &Value) -> qorgan::Expected {
    let owner: [u8; 32] = crate::hex::decode(case["owner"].as_str().expect("owner"))
        .expect("hex")
        .try_into()
        .expect("32-byte owner");
    let min_generation = case["min_generation"].as_u64().expect("min_generation");
    qorgan::Expected::new(qorgan::StateOwner::from_bytes(owner), min_generation)
}

// ------------------------------------------------------------------ RNGs

/// One random draw: a single `fill_bytes` call of the library.
#[derive(Clone, Debug)]
pub struct Draw {
    /// What the library drew it for.
    pub purpose: String,
    /// Position of its first byte in the generator's output stream.
    pub offset: usize,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Draw {
    fn to_json(&self) -> Value {
        json!({
            "purpose": self.purpose,
            "offset": self.offset,
            "len": self.bytes.len(),
            "hex": hx(&self.bytes),
        })
    }
}

/// Wraps [`crate::rng`]`(seed)` and records every request. The generator
/// names the requests after each library call with [`RecordingRng::label`],
/// which also checks their number and sizes against docs/PROTOCOL.md §2.6.
pub struct RecordingRng {
    inner: ChaCha20Rng,
    offset: usize,
    /// Requests not labelled yet: (kind, offset, bytes).
    unlabelled: Vec<(&'static str, usize, Vec<u8>)>,
    /// Labelled draws not yet taken by [`RecordingRng::take_log`].
    log: Vec<Draw>,
    /// Every labelled draw, by purpose.
    all: BTreeMap<String, Vec<u8>>,
}

impl RecordingRng {
    /// A recorder over `rng(seed)`.
    pub fn new(seed: u64) -> Self {
        Self {
            inner: crate::rng(seed),
            offset: 0,
            unlabelled: Vec::new(),
            log: Vec::new(),
            all: BTreeMap::new(),
        }
    }

    fn record(&mut self, kind: &'static str, dst: &mut [u8]) {
        self.inner.fill_bytes(dst);
        // ChaCha20Rng hands out whole 32-bit words: a request of n bytes is
        // the next n bytes of the keystream, and the rest of its last word
        // is discarded, so the next request starts at the next multiple of 4
        // (docs/PROTOCOL.md §13; checked by the test
        // `chacha20_rng_requests_take_whole_words` in tests/tests/vectors.rs).
        self.unlabelled.push((kind, self.offset, dst.to_vec()));
        self.offset += dst.len().div_ceil(4) * 4;
    }

    /// Names the requests made since the last call. Panics unless they are
    /// exactly `expected` (purpose, size), in order, each a `fill_bytes`.
    pub fn label(&mut self, expected: &[(&str, usize)]) -> Vec<Vec<u8>> {
        let got: Vec<_> = self.unlabelled.drain(..).collect();
        let sizes: Vec<usize> = got.iter().map(|(_, _, b)| b.len()).collect();
        let want: Vec<usize> = expected.iter().map(|(_, n)| *n).collect();
        assert_eq!(sizes, want, "draws for {expected:?}");
        got.into_iter()
            .zip(expected)
            .map(|((kind, offset, bytes), (purpose, _))| {
                assert_eq!(kind, "fill_bytes", "{purpose} was drawn with {kind}");
                assert!(
                    self.all
                        .insert(purpose.to_string(), bytes.clone())
                        .is_none(),
                    "purpose {purpose} used twice"
                );
                self.log.push(Draw {
                    purpose: purpose.to_string(),
                    offset,
                    bytes: bytes.clone(),
                });
                bytes
            })
            .collect()
    }

    /// Asserts that nothing was drawn since the last label.
    pub fn label_none(&mut self, what: &str) {
        assert!(self.unlabelled.is_empty(), "{what} drew randomness");
    }

    /// The labelled draws since the previous call, as JSON.
    pub fn take_log(&mut self) -> Value {
        assert!(self.unlabelled.is_empty(), "unlabelled draws left");
        Value::Array(self.log.drain(..).map(|d| d.to_json()).collect())
    }

    /// A labelled draw by purpose.
    pub fn get(&self, purpose: &str) -> &[u8] {
        self.all
            .get(purpose)
            .unwrap_or_else(|| panic!("no draw {purpose}"))
    }

    /// A labelled 32-byte draw by purpose.
    pub fn get32(&self, purpose: &str) -> [u8; 32] {
        self.get(purpose).try_into().expect("32-byte draw")
    }
}

impl TryRng for RecordingRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.record("next_u32", &mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.record("next_u64", &mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.record("fill_bytes", dst);
        Ok(())
    }
}

impl TryCryptoRng for RecordingRng {}

/// Hands out pre-recorded draws, one per `fill_bytes` call, checking each
/// request's size. Used to replay the files' inputs through qorgan.
pub struct ReplayRng {
    queue: VecDeque<Vec<u8>>,
}

impl ReplayRng {
    /// Replays `draws` in order.
    pub fn new<I: IntoIterator<Item = Vec<u8>>>(draws: I) -> Self {
        Self {
            queue: draws.into_iter().collect(),
        }
    }

    /// Panics unless every draw was used.
    pub fn finish(&self) {
        assert!(
            self.queue.is_empty(),
            "{} draws left over",
            self.queue.len()
        );
    }
}

impl TryRng for ReplayRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        panic!("replayed operations only use fill_bytes")
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        panic!("replayed operations only use fill_bytes")
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let next = self.queue.pop_front().expect("no draw left to replay");
        assert_eq!(next.len(), dst.len(), "replayed draw has the wrong size");
        dst.copy_from_slice(&next);
        Ok(())
    }
}

impl TryCryptoRng for ReplayRng {}

// ------------------------------------------------------------- helpers

fn chain_json(chain: Option<([u8; 32], u32)>) -> Value {
    match chain {
        Some((key, index)) => json!({"key": hx(&key), "index": index}),
        None => Value::Null,
    }
}

/// The session's secret state (`qorgan::internals::session_secrets`).
pub fn snapshot_json(s: &Session) -> Value {
    let x = session_secrets(s);
    json!({
        "session_id": hx(&x.session_id),
        "root_key": hx(&x.root_key),
        "our_ratchet_secret": x.our_ratchet_secret.map(|k| hx(&k)),
        "their_ratchet": hx(&x.their_ratchet),
        "sending_chain": chain_json(x.sending_chain),
        "receiving_chain": chain_json(x.receiving_chain),
        "skipped": x.skipped.iter().map(|(r, i, k)| json!({
            "ratchet": hx(r), "index": i, "message_key": hx(k),
        })).collect::<Vec<_>>(),
    })
}

fn identity_json(id: &IdentityKey) -> Value {
    let field = id.to_field_bytes();
    json!({
        "ed25519_public": hx(id.signing_key().as_bytes()),
        "x25519_public": hx(id.dh_key().as_bytes()),
        "binding_signature": hx(&field[64..]),
        "field_encoding": hx(&field),
        "standalone_encoding": hx(&id.to_bytes()),
    })
}

fn dh(secret: &[u8; 32], public: &[u8; 32]) -> [u8; 32] {
    *X25519SecretKey::from_bytes(secret)
        .diffie_hellman(&X25519PublicKey::from_bytes(*public))
        .expect("contributory")
        .as_bytes()
}

fn x25519_public(secret: &[u8; 32]) -> [u8; 32] {
    *X25519SecretKey::from_bytes(secret).public_key().as_bytes()
}

fn text_json(text: &[u8]) -> Value {
    json!({"hex": hx(text), "text": String::from_utf8(text.to_vec()).expect("utf-8")})
}

/// Offset of the ratchet key in a 1:1 message (§5.1, §5.2): after the
/// version and type bytes, and for a prekey message the handshake header.
fn ratchet_offset(message: &[u8]) -> usize {
    match message[1] {
        0x01 => 2,
        0x02 if message[170] == 0 => 171 + 1088,
        0x02 => 175 + 1088,
        t => panic!("message type {t}"),
    }
}

/// Length of the nonce field of a message of this version (§5): 12 in
/// version 2, none in version 1 (whose nonce is all zero).
fn nonce_len(message: &[u8]) -> usize {
    match message[0] {
        1 => 0,
        2 => 12,
        v => panic!("message version {v}"),
    }
}

/// Header length of a message (everything before the ciphertext, §5.4).
fn header_len(message: &[u8]) -> usize {
    ratchet_offset(message) + 38 + nonce_len(message)
}

fn ratchet_header(message: &[u8]) -> ([u8; 32], u32, u32) {
    let o = ratchet_offset(message);
    let key: [u8; 32] = message[o..o + 32].try_into().expect("32");
    let u24 = |b: &[u8]| u32::from_be_bytes([0, b[0], b[1], b[2]]);
    (
        key,
        u24(&message[o + 32..o + 35]),
        u24(&message[o + 35..o + 38]),
    )
}

/// The AEAD nonce a message carries (§6.2): its nonce field (version 2), or
/// all zero (version 1).
fn message_nonce(message: &[u8]) -> [u8; 12] {
    let o = ratchet_offset(message) + 38;
    match nonce_len(message) {
        0 => [0u8; 12],
        _ => message[o..o + 12].try_into().expect("12"),
    }
}

/// What happens to the sender's chain when it encrypts message `id`, checked
/// against the session's secrets before and after. The draws are named
/// `{id}.ratchet_secret` (if a sending chain starts) and `{id}.nonce`, in
/// that order (§2.6, §6.3).
fn encrypt_traced(
    rng: &mut RecordingRng,
    session: &mut Session,
    plaintext: &[u8],
    id: &str,
) -> (Vec<u8>, Value) {
    let before = session_secrets(session);
    let message = session.encrypt(rng, plaintext).expect("encrypt");
    let after = session_secrets(session);
    let ratchet_purpose = format!("{id}.ratchet_secret");
    let nonce_purpose = format!("{id}.nonce");
    let (new_chain, chain_key, index, nonce) =
        match (before.our_ratchet_secret, before.sending_chain) {
            (Some(_), Some((key, index))) => {
                let nonce = rng.label(&[(&nonce_purpose, 12)]).remove(0);
                assert_eq!(after.root_key, before.root_key);
                (Value::Null, key, index, nonce)
            }
            _ => {
                let mut d = rng.label(&[(&ratchet_purpose, 32), (&nonce_purpose, 12)]);
                let nonce = d.pop().expect("nonce");
                let secret: [u8; 32] = d.pop().expect("secret").try_into().expect("32");
                let shared = dh(&secret, &before.their_ratchet);
                let (root, chain) = kdf_rk(&before.root_key, &shared);
                assert_eq!(after.root_key, root);
                assert_eq!(after.our_ratchet_secret, Some(secret));
                (
                    json!({
                        "ratchet_secret_draw": ratchet_purpose,
                        "their_ratchet": hx(&before.their_ratchet),
                        "dh": hx(&shared),
                        "root_key_before": hx(&before.root_key),
                        "root_key_after": hx(&root),
                    }),
                    chain,
                    0,
                    nonce,
                )
            }
        };
    let nonce: [u8; 12] = nonce.try_into().expect("12");
    let (message_key, next) = kdf_ck(&chain_key);
    assert_eq!(after.sending_chain, Some((next, index + 1)));
    assert_eq!(message[0], qorgan::wire::MESSAGE_VERSION);
    let (ratchet, n, pn) = ratchet_header(&message);
    assert_eq!(n, index);
    assert_eq!(
        Some(ratchet),
        after.our_ratchet_secret.map(|s| x25519_public(&s))
    );
    assert_eq!(
        message_nonce(&message),
        nonce,
        "the message carries its draw"
    );
    // §6.2: ChaCha20-Poly1305 under the message key and the message's
    // nonce, AD = session id || header.
    let h = header_len(&message);
    let mut ad = before.session_id.to_vec();
    ad.extend_from_slice(&message[..h]);
    let mut sealed = Vec::new();
    aead::seal(&message_key, &nonce, &ad, plaintext, &mut sealed);
    assert_eq!(message[h..], sealed);
    let trace = json!({
        "type": message[1],
        "ratchet_public": hx(&ratchet),
        "n": n,
        "pn": pn,
        "new_chain": new_chain,
        "chain_key_before": hx(&chain_key),
        "message_key": hx(&message_key),
        "chain_key_after": hx(&next),
        "nonce_draw": nonce_purpose,
        "nonce": hx(&nonce),
        "bytes": hx(&message),
    });
    (message, trace)
}

// ------------------------------------------------------------- kdf.json

/// One §6.2 AEAD case of kdf.json.
struct AeadCase {
    /// 2: a nonce drawn like a message's; 1: the all-zero nonce of version 1.
    version: u8,
    key: [u8; 32],
    nonce: [u8; 12],
    ad: Vec<u8>,
    plaintext: Vec<u8>,
}

fn kdf_file() -> Value {
    let mut r = crate::rng(KDF_SEED);
    let mut draw = |n: usize| {
        let mut v = vec![0u8; n];
        r.fill_bytes(&mut v);
        v
    };
    let a32 = |v: Vec<u8>| -> [u8; 32] { v.try_into().expect("32") };

    // KDF_RK: four random cases, then two fixed edge cases.
    let mut rk_cases: Vec<([u8; 32], [u8; 32])> =
        (0..4).map(|_| (a32(draw(32)), a32(draw(32)))).collect();
    rk_cases.push(([0u8; 32], [0xFF; 32]));
    rk_cases.push(([0xFF; 32], [0u8; 32]));
    // KDF_CK: four random chain keys, one all-zero; then a chain of 6 steps.
    let mut ck_cases: Vec<[u8; 32]> = (0..4).map(|_| a32(draw(32))).collect();
    ck_cases.push([0u8; 32]);
    let chain_start = a32(draw(32));
    // AEAD: (plaintext length, AD length, message version) covering empty
    // inputs, one and several ChaCha20 blocks, and the AD sizes the protocol
    // uses: 84 for a normal message and 1341/1345 for prekey messages of
    // version 2 (each with its drawn nonce), 72 for a normal message of
    // version 1 (read only; its nonce is 0x00^12, not drawn).
    let aead_shapes = [
        (0usize, 0usize, 2u8),
        (0, 84, 2),
        (1, 84, 2),
        (64, 84, 2),
        (65, 84, 2),
        (300, 1341, 2),
        (17, 1345, 2),
        (5, 72, 1),
    ];
    let aead_cases: Vec<AeadCase> = aead_shapes
        .iter()
        .map(|&(pt, ad, version)| {
            let key = a32(draw(32));
            let nonce: [u8; 12] = match version {
                1 => [0u8; 12],
                _ => draw(12).try_into().expect("12"),
            };
            AeadCase {
                version,
                key,
                nonce,
                ad: draw(ad),
                plaintext: draw(pt),
            }
        })
        .collect();

    let mut chain = Vec::new();
    let mut ck = chain_start;
    for index in 0..6u32 {
        let (mk, next) = kdf_ck(&ck);
        chain.push(json!({"index": index, "chain_key": hx(&ck), "message_key": hx(&mk), "next_chain_key": hx(&next)}));
        ck = next;
    }

    json!({
        "description": "KDF_RK and KDF_CK (docs/PROTOCOL.md §6.1) and the message AEAD \
            (§6.2: ChaCha20-Poly1305 under the message key with the message's nonce; \
            message_version 2: the 12-byte nonce the message carries, drawn at random; \
            message_version 1, read only: the all-zero nonce 0x00^12, not drawn). \
            Random inputs are consecutive fill_bytes draws from rng(seed) in the order they \
            appear in `inputs` (kdf_rk root_key, dh_output pairs; kdf_ck chain keys; the chain \
            start; per aead case the key, the nonce (version 2 only), the ad and the \
            plaintext); fixed edge cases are marked. \
            expected.* lists correspond index by index to inputs.*. All byte strings are lower-case hex.",
        "seed": KDF_SEED,
        "inputs": {
            "kdf_rk": rk_cases.iter().enumerate().map(|(i, (rk, d))| json!({
                "root_key": hx(rk), "dh_output": hx(d), "fixed": i >= 4,
            })).collect::<Vec<_>>(),
            "kdf_ck": ck_cases.iter().enumerate().map(|(i, ck)| json!({
                "chain_key": hx(ck), "fixed": i >= 4,
            })).collect::<Vec<_>>(),
            "chain": {"chain_key": hx(&chain_start), "steps": 6},
            "aead": aead_cases.iter().map(|c| json!({
                "message_version": c.version,
                "message_key": hx(&c.key),
                "nonce": hx(&c.nonce),
                "nonce_drawn": c.version == 2,
                "ad": hx(&c.ad),
                "plaintext": hx(&c.plaintext),
            })).collect::<Vec<_>>(),
        },
        "expected": {
            "kdf_rk": rk_cases.iter().map(|(rk, d)| {
                let (root, chain) = kdf_rk(rk, d);
                json!({"root_key": hx(&root), "chain_key": hx(&chain)})
            }).collect::<Vec<_>>(),
            "kdf_ck": ck_cases.iter().map(|ck| {
                let (mk, next) = kdf_ck(ck);
                json!({"message_key": hx(&mk), "next_chain_key": hx(&next)})
            }).collect::<Vec<_>>(),
            "chain": chain,
            "aead": aead_cases.iter().map(|c| {
                let mut out = Vec::new();
                aead::seal(&c.key, &c.nonce, &c.ad, &c.plaintext, &mut out);
                assert_eq!(aead::open(&c.key, &c.nonce, &c.ad, &out).expect("open"), c.plaintext);
                json!({"ciphertext_and_tag": hx(&out)})
            }).collect::<Vec<_>>(),
        },
    })
}

// ------------------------------------------------------- the scenario

/// A handshake's results, kept for the later files.
struct HandshakeRun {
    initiator: Session,
    responder: Session,
    first_message: Vec<u8>,
    inputs: Value,
    expected: Value,
}

fn identity_generate(rng: &mut RecordingRng, who: &str) -> IdentityKeyPair {
    let id = IdentityKeyPair::generate(rng);
    rng.label(&[
        (&format!("{who}.identity.ed25519_seed"), 32),
        (&format!("{who}.identity.x25519_secret"), 32),
    ]);
    id
}

/// One handshake against `store`'s current bundle: the initiator's identity
/// is generated, `initiate` runs, its first message is encrypted and the
/// store accepts it.
fn run_handshake(
    rng: &mut RecordingRng,
    store: &mut PreKeyStore,
    name: &str,
    initiator: &str,
    plaintext: &[u8],
    first_message_id: &str,
) -> HandshakeRun {
    let id = identity_generate(rng, initiator);
    let bundle = store.bundle().expect("bundle");
    let bundle_bytes = bundle.to_bytes();
    assert_eq!(
        PreKeyBundle::from_bytes(&bundle_bytes).expect("decode"),
        bundle
    );
    let mut session = Session::initiate(rng, &id, &bundle).expect("initiate");
    let base_draw = format!("{name}.base_key_secret");
    let m_draw = format!("{name}.kem_m");
    let d = rng.label(&[(&base_draw, 32), (&m_draw, 32)]);
    let base_secret: [u8; 32] = d[0].clone().try_into().expect("32");
    let m = d[1].clone();
    let start = session_secrets(&session);
    assert_eq!(start.our_ratchet_secret, None);
    assert_eq!(start.sending_chain, None);
    assert_eq!(&start.their_ratchet, bundle.signed_prekey.key.as_bytes());

    let ik_x = rng.get32(&format!("{initiator}.identity.x25519_secret"));
    let spk = *bundle.signed_prekey.key.as_bytes();
    let dh1 = dh(&ik_x, &spk);
    let dh2 = dh(&base_secret, bundle.identity.dh_key().as_bytes());
    let dh3 = dh(&base_secret, &spk);
    let dh4 = bundle
        .one_time_prekey
        .map(|o| dh(&base_secret, o.key.as_bytes()));
    let (ct, ss) = bundle
        .kem_prekey
        .key
        .encapsulate(&mut ReplayRng::new([m.clone()]));
    // The responder's decapsulation gives the same secret.
    let kem_seed_purpose = match bundle.kem_prekey.kind {
        qorgan::KemPreKeyKind::OneTime => {
            format!("bob.one_time_kem_prekey[{}].seed", bundle.kem_prekey.id)
        }
        qorgan::KemPreKeyKind::LastResort => {
            format!("bob.last_resort_kem_prekey[{}].seed", bundle.kem_prekey.id)
        }
    };
    let kem_seed: [u8; 64] = rng.get(&kem_seed_purpose).try_into().expect("64");
    assert_eq!(
        KemSecretKey::from_seed(&kem_seed)
            .decapsulate(&KemCiphertext::from_bytes(ct.as_bytes()))
            .as_bytes(),
        ss.as_bytes()
    );
    let mut ikm = vec![0xFF; 32];
    for d in [Some(dh1), Some(dh2), Some(dh3), dh4].into_iter().flatten() {
        ikm.extend_from_slice(&d);
    }
    ikm.extend_from_slice(ss.as_bytes());

    let (message, trace) = encrypt_traced(rng, &mut session, plaintext, first_message_id);
    let o = if bundle.one_time_prekey.is_some() {
        175
    } else {
        171
    };
    assert_eq!(&message[o..o + 1088], ct.as_bytes());
    let handshake_header = &message[2..o + 1088];

    let (responder, pt) = store.accept(&message, SCENARIO_NOW).expect("accept");
    rng.label_none("accept");
    assert_eq!(pt, plaintext);
    assert_eq!(session_secrets(&responder).session_id, start.session_id);

    let inputs = json!({
        "name": name,
        "initiator": initiator,
        "initiator_identity_draws": [
            format!("{initiator}.identity.ed25519_seed"),
            format!("{initiator}.identity.x25519_secret"),
        ],
        "base_key_secret_draw": base_draw,
        "kem_m_draw": m_draw,
        "first_message": {"id": first_message_id, "plaintext": text_json(plaintext)},
    });
    let expected = json!({
        "name": name,
        "initiator_identity": identity_json(id.public()),
        "bundle": hx(&bundle_bytes),
        "bundle_prekeys": {
            "signed_prekey_id": bundle.signed_prekey.id,
            "kem_prekey_id": bundle.kem_prekey.id,
            "kem_prekey_kind": match bundle.kem_prekey.kind {
                qorgan::KemPreKeyKind::LastResort => 0,
                qorgan::KemPreKeyKind::OneTime => 1,
            },
            "one_time_prekey_id": bundle.one_time_prekey.map(|o| o.id),
        },
        "base_key": hx(&x25519_public(&base_secret)),
        "dh1": hx(&dh1),
        "dh2": hx(&dh2),
        "dh3": hx(&dh3),
        "dh4": dh4.map(|d| hx(&d)),
        "kem_ciphertext": hx(ct.as_bytes()),
        "kem_shared_secret": hx(ss.as_bytes()),
        "session_id": hx(&start.session_id),
        "handshake_ikm": hx(&ikm),
        "root_key": hx(&start.root_key),
        "handshake_header": hx(handshake_header),
        "first_message": trace,
        "responder_after_accept": snapshot_json(&responder),
    });
    HandshakeRun {
        initiator: session,
        responder,
        first_message: message,
        inputs,
        expected,
    }
}

/// One step of the conversation in session.json.
#[derive(Clone, Copy)]
enum Event {
    /// The sender encrypts the message with this id.
    Encrypt(&'static str),
    /// The receiver decrypts it.
    Deliver(&'static str),
}

use Event::{Deliver, Encrypt};

/// The conversation after the handshake (a0 was sent and accepted there).
const EVENTS: &[Event] = &[
    Encrypt("a1"),
    Encrypt("a2"),
    Deliver("a2"),
    Deliver("a1"),
    Encrypt("b0"),
    Encrypt("b1"),
    Encrypt("b2"),
    Encrypt("b3"),
    Deliver("b0"),
    Deliver("b1"),
    Deliver("b2"),
    Encrypt("a3"),
    Encrypt("a4"),
    Encrypt("a5"),
    Deliver("a3"),
    Deliver("a5"),
    Deliver("a4"),
    Encrypt("b4"),
    Encrypt("b5"),
    Encrypt("b6"),
    Deliver("b4"),
    Deliver("b5"),
    Deliver("b6"),
    Deliver("b3"),
    Encrypt("a6"),
    Encrypt("a7"),
    Deliver("a6"),
    Deliver("a7"),
    Encrypt("b7"),
    Encrypt("b8"),
    Encrypt("b9"),
    Deliver("b9"),
    Deliver("b7"),
    Deliver("b8"),
    Encrypt("a8"),
    Encrypt("a9"),
    Deliver("a8"),
    Deliver("a9"),
];

/// After this event (index into EVENTS) Alice's session is kept for
/// state.json: b3 is still outstanding, so it holds a skipped key.
const ALICE_MID_EVENT: usize = 22;

fn plaintext_of(id: &str) -> Vec<u8> {
    match id {
        "a0" => b"a0: salem, Bob".to_vec(),
        "b5" => Vec::new(),
        "a6" => {
            let mut t = b"a6: ".to_vec();
            t.extend(std::iter::repeat_n(b'~', 296));
            t
        }
        _ => format!("{id}: message {id}").into_bytes(),
    }
}

struct Party {
    name: &'static str,
    session: Session,
    /// Ratchet keys this party has received messages under.
    seen_ratchets: BTreeSet<[u8; 32]>,
    delivered: usize,
}

/// Builds handshake.json, session.json and state.json from one generator.
fn scenario_files() -> (Value, Value, Value) {
    let mut rng = RecordingRng::new(SCENARIO_SEED);

    // --- Bob's identity and store
    let bob_id = identity_generate(&mut rng, "bob");
    let mut store = PreKeyStore::new(&mut rng, bob_id, SCENARIO_NOW);
    rng.label(&[
        ("bob.signed_prekey[1].secret", 32),
        ("bob.last_resort_kem_prekey[1].seed", 64),
    ]);
    let otks = store.generate_one_time_prekeys(&mut rng, 1);
    rng.label(&[("bob.one_time_prekey[1].secret", 32)]);
    let kotks = store.generate_kem_one_time_prekeys(&mut rng, 1);
    rng.label(&[("bob.one_time_kem_prekey[2].seed", 64)]);
    assert_eq!((otks[0].id, kotks[0].id), (1, 2));
    let spk = store.signed_prekey().expect("spk").clone();
    let lr = store.last_resort_kem_prekey().expect("lr").clone();
    let bob_expected = json!({
        "identity": identity_json(store.identity_key()),
        "signed_prekey": {"id": spk.id, "public": hx(spk.key.as_bytes()), "signature": hx(&spk.signature.to_bytes())},
        "last_resort_kem_prekey": {"id": lr.id, "encapsulation_key": hx(lr.key.as_bytes()), "signature": hx(&lr.signature.to_bytes())},
        "one_time_prekey": {"id": otks[0].id, "public": hx(otks[0].key.as_bytes())},
        "one_time_kem_prekey": {"id": kotks[0].id, "encapsulation_key": hx(kotks[0].key.as_bytes()), "signature": hx(&kotks[0].signature.to_bytes())},
    });

    // --- the two handshakes
    let h1 = run_handshake(
        &mut rng,
        &mut store,
        "handshake1",
        "alice",
        &plaintext_of("a0"),
        "a0",
    );
    assert_eq!(store.one_time_prekey_count(), 0);
    assert_eq!(store.kem_one_time_prekey_count(), 0);
    let h2 = run_handshake(
        &mut rng,
        &mut store,
        "handshake2",
        "carol",
        b"c0: salem, Bob, from Carol",
        "c0",
    );
    let handshake_draws = rng.take_log();
    // c0 used no one-time X25519 prekey and the last-resort ML-KEM prekey:
    // its base key is recorded under signed prekey 1 (§4.8).
    let carol_base_key = h2.expected["base_key"].clone();
    assert_eq!(store.remembered_handshakes(), 1);
    let handshake = json!({
        "description": "The hybrid handshake (docs/PROTOCOL.md §4, §5.2). One generator rng(seed) \
            drives the whole scenario; inputs.draws lists every random draw in order (offset = \
            position of its first byte in the generator's output, purpose = what qorgan drew it \
            for, see §2.6), and session.json and state.json continue the same stream. Bob \
            generates his identity and a store (signed prekey 1, last-resort ML-KEM prekey 1), \
            one one-time X25519 prekey (1) and one one-time ML-KEM prekey (2), all at the \
            caller's clock inputs.bob.now (which dates the signed and last-resort prekeys, \
            §4.9, and at which Bob accepts both handshakes). handshakes[0]: Alice fetches the \
            bundle (with both one-time prekeys: 4 DHs; handing it out marks them as handed out, \
            §4.10), initiates and sends a0, which Bob accepts (consuming both one-time \
            prekeys). handshakes[1]: Carol fetches the next bundle (no one-time prekey left that \
            was not handed out: last-resort ML-KEM prekey, 3 DHs, dh4 = null) and sends c0, \
            which Bob accepts (recording her base key in the replay record of signed prekey 1, \
            §4.8). (Changed with store version 3 and the prekey lifecycle: the store is made \
            and accepts at inputs.bob.now, and bundles mark what they hand out; no byte of \
            this file's handshakes changed.) expected.* \
            handshakes[i].first_message traces the initiator's first encrypt (§6.3): a new \
            sending chain from KDF_RK(root_key, dh), then KDF_CK, and the message's 12-byte \
            AEAD nonce, drawn after the ratchet secret (message version 2, §5.2, §6.2). \
            responder_after_accept is \
            Bob's session secrets after accept. All byte strings are lower-case hex.",
        "seed": SCENARIO_SEED,
        "inputs": {
            "draws": handshake_draws,
            "bob": {
                "identity_draws": ["bob.identity.ed25519_seed", "bob.identity.x25519_secret"],
                "now": SCENARIO_NOW,
                "store_operations": [
                    "new (signed prekey 1, last-resort ML-KEM prekey 1)",
                    "generate_one_time_prekeys(1)",
                    "generate_kem_one_time_prekeys(1)",
                ],
            },
            "handshakes": [h1.inputs, h2.inputs],
        },
        "expected": {
            "bob": bob_expected,
            "handshakes": [h1.expected, h2.expected],
        },
    });

    // --- the conversation
    let mut alice = Party {
        name: "alice",
        session: h1.initiator,
        seen_ratchets: BTreeSet::new(),
        delivered: 0,
    };
    let mut bob = Party {
        name: "bob",
        session: h1.responder,
        seen_ratchets: BTreeSet::new(),
        delivered: 1,
    };
    let (a0_ratchet, _, _) = ratchet_header(&h1.first_message);
    bob.seen_ratchets.insert(a0_ratchet);
    let mut sent: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    sent.insert("a0", h1.first_message.clone());
    let mut traces: BTreeMap<&str, Value> = BTreeMap::new();
    let mut a0_trace = h1.expected["first_message"].clone();
    a0_trace["sent_in"] = json!("handshake.json handshakes[0]");
    traces.insert("a0", a0_trace);
    let mut delivery: BTreeMap<&str, Value> = BTreeMap::new();
    delivery.insert(
        "a0",
        json!({"receiver": "bob", "order": 0, "event": null, "case": "accept (handshake.json)"}),
    );
    let mut deliveries = Vec::new();
    let mut alice_mid = None;
    for (e, event) in EVENTS.iter().enumerate() {
        match *event {
            Encrypt(id) => {
                let party = if id.starts_with('a') {
                    &mut alice
                } else {
                    &mut bob
                };
                let (message, trace) =
                    encrypt_traced(&mut rng, &mut party.session, &plaintext_of(id), id);
                let mut trace = trace;
                trace["sent_in"] = json!(format!("event {e}"));
                traces.insert(id, trace);
                sent.insert(id, message);
            }
            Deliver(id) => {
                let party = if id.starts_with('a') {
                    &mut bob
                } else {
                    &mut alice
                };
                let message = &sent[id];
                let (ratchet, n, _) = ratchet_header(message);
                let before = session_secrets(&party.session);
                let case = match before.receiving_chain {
                    Some((_, next)) if ratchet == before.their_ratchet => {
                        if n < next {
                            "current chain, stored skipped key"
                        } else {
                            "current chain"
                        }
                    }
                    _ if party.seen_ratchets.contains(&ratchet) => {
                        "older chain, stored skipped key"
                    }
                    _ => "new ratchet key",
                };
                party.seen_ratchets.insert(ratchet);
                let pt = party.session.decrypt(message).expect("decrypt");
                rng.label_none("decrypt");
                assert_eq!(pt, plaintext_of(id));
                delivery.insert(
                    id,
                    json!({"receiver": party.name, "order": party.delivered, "event": e, "case": case}),
                );
                party.delivered += 1;
                deliveries.push(json!({
                    "event": e,
                    "message": id,
                    "receiver": party.name,
                    "case": case,
                    "receiver_after": snapshot_json(&party.session),
                }));
                if e == ALICE_MID_EVENT {
                    alice_mid = Some(
                        Session::from_bytes(&alice.session.to_bytes()).expect("state round trip"),
                    );
                }
            }
        }
    }
    let session_draws = rng.take_log();
    let ids: Vec<String> = std::iter::once("a0".to_string())
        .chain(EVENTS.iter().filter_map(|e| match e {
            Encrypt(id) => Some(id.to_string()),
            Deliver(_) => None,
        }))
        .collect();
    let session = json!({
        "description": "A Double Ratchet conversation (docs/PROTOCOL.md §5, §6) continuing \
            handshake.json handshakes[0] (Alice's session after sending a0, Bob's after \
            accepting it; the generator stream continues at the offsets given). Ten messages \
            each way (a0..a9 from Alice, b0..b9 from Bob) in alternating bursts, so the DH \
            ratchet turns six times. inputs.events is the exact order of sends and deliveries \
            after the handshake; inputs.messages lists the messages in sending order with their \
            plaintexts. Coverage: a0-a2 are prekey messages (type 2; Alice has not yet decrypted \
            anything), later ones normal (type 1); reordered pairs a2/a1, a5/a4 and b9/b7,b8 \
            (b9 first: a new ratchet key with n = 2, so the keys of b7 and b8 are stored); b3 is \
            held back (skipped) and delivered late: b4 arrives first with pn = 4 while Alice's \
            receiving index is 3, so b3's key is stored from the previous chain, and b3 is then \
            decrypted from that older chain; b5 has an empty plaintext; a6 is 300 bytes. \
            Every message is of message version 2 (§5) and carries a 12-byte AEAD nonce drawn \
            for it ({id}.nonce, after {id}.ratchet_secret when a sending chain starts; §6.3). \
            expected.messages traces each encrypt (new_chain is non-null when the sender started \
            a sending chain: its ratchet secret draw, the DH with the peer's ratchet key, and \
            KDF_RK's root keys; nonce_draw and nonce name and give the message's nonce) and \
            records the receiver's delivery order; expected.deliveries \
            gives, after each delivery, the receiver's session secrets (root key, chains, stored \
            skipped keys: oldest receiving chain first, ascending index). All byte strings are \
            lower-case hex.",
        "seed": SCENARIO_SEED,
        "inputs": {
            "continues": "handshake.json handshakes[0]",
            "draws": session_draws,
            "messages": ids.iter().map(|id| json!({
                "id": id,
                "sender": if id.starts_with('a') { "alice" } else { "bob" },
                "plaintext": text_json(&plaintext_of(id)),
            })).collect::<Vec<_>>(),
            "events": EVENTS.iter().map(|e| match e {
                Encrypt(id) => json!({"send": id}),
                Deliver(id) => json!({"deliver": id, "to": if id.starts_with('a') { "bob" } else { "alice" }}),
            }).collect::<Vec<_>>(),
            "notes": {
                "reordered": ["a2 before a1", "a5 before a4", "b9 before b7 and b8"],
                "skipped_then_delivered": "b3: sent in event 7, skipped when b4 arrives (event 20, pn = 4), delivered in event 23 from the older chain",
                "empty_plaintext": "b5",
            },
        },
        "expected": {
            "messages": ids.iter().map(|id| {
                let mut t = traces[id.as_str()].clone();
                t["id"] = json!(id);
                t["delivery"] = delivery[id.as_str()].clone();
                t
            }).collect::<Vec<_>>(),
            "deliveries": deliveries,
        },
    });

    // --- state at rest
    let alice_mid = alice_mid.expect("mid-conversation state");
    let storage_key = StorageKey::generate(&mut rng);
    rng.label(&[("storage_key", 32)]);
    // A week later both dated prekeys are due (§4.9): rotate them.
    let rotated_at = SCENARIO_NOW + qorgan::limits::PREKEY_ROTATION_SECS;
    assert!(!store.needs_rotation(rotated_at - 1));
    assert!(store.signed_prekey_rotation_due(rotated_at));
    assert!(store.last_resort_kem_prekey_rotation_due(rotated_at));
    store.rotate_signed_prekey(&mut rng, rotated_at);
    rng.label(&[("bob.signed_prekey[2].secret", 32)]);
    store.rotate_last_resort_kem_prekey(&mut rng, rotated_at);
    rng.label(&[("bob.last_resort_kem_prekey[3].seed", 64)]);
    assert!(!store.needs_rotation(rotated_at));
    store.generate_one_time_prekeys(&mut rng, 2);
    rng.label(&[
        ("bob.one_time_prekey[2].secret", 32),
        ("bob.one_time_prekey[3].secret", 32),
    ]);
    store.generate_kem_one_time_prekeys(&mut rng, 1);
    rng.label(&[("bob.one_time_kem_prekey[4].seed", 64)]);

    let sessions: [(&str, &Session, &str); 4] = [
        (
            "alice_final",
            &alice.session,
            "Alice after the conversation (event 37): initiator, sending chain present",
        ),
        (
            "alice_b3_outstanding",
            &alice_mid,
            "Alice after event 22 (b6 delivered, b3 not yet): no sending chain, one stored skipped key",
        ),
        (
            "bob_final",
            &bob.session,
            "Bob after the conversation: responder, no sending chain, four skipped-key entries",
        ),
        (
            "carol_pending",
            &h2.initiator,
            "Carol after sending c0 (handshake.json handshakes[1]) and before any reply: pending handshake header of 1257 bytes",
        ),
    ];
    let mut sealed_sessions = Vec::new();
    for (name, s, what) in sessions {
        // Each state is sealed once (generation 1), from a copy: a loaded
        // state is at generation 0 (§7.1).
        let mut s = Session::from_bytes(&s.to_bytes()).expect("copy");
        assert_eq!(s.generation(), 0);
        let sealed = s.seal(&mut rng, &storage_key);
        let nonce_purpose = format!("seal.{name}.nonce");
        let nonce = rng.label(&[(&nonce_purpose, 24)]).remove(0);
        let plain = s.to_bytes();
        let owner = s.state_owner();
        assert_eq!(
            owner.to_bytes(),
            *s.session_id(),
            "a session's owner: its id"
        );
        let v = sealed_json(
            &storage_key,
            &sealed,
            &plain,
            (qorgan::wire::STATE_SESSION, owner, 1),
            &nonce,
        );
        let reopened = Session::open(
            &storage_key,
            &sealed,
            &qorgan::Expected::new(owner, s.generation()),
        )
        .expect("open");
        assert_eq!(*reopened.to_bytes(), *plain);
        let mut entry = json!({"name": name, "about": what, "nonce_draw": nonce_purpose});
        for (k, x) in v.as_object().expect("object") {
            entry[k] = x.clone();
        }
        sealed_sessions.push(entry);
    }
    let store_sealed = store.seal(&mut rng, &storage_key);
    let store_nonce = rng.label(&[("seal.bob_store.nonce", 24)]).remove(0);
    let store_plain = store.to_bytes();
    let store_owner = store.state_owner();
    assert_eq!(
        store_owner.to_bytes(),
        *store.identity_key().signing_key().as_bytes(),
        "a store's owner: its identity's Ed25519 key"
    );
    let store_json = sealed_json(
        &storage_key,
        &store_sealed,
        &store_plain,
        (qorgan::wire::STATE_PREKEY_STORE, store_owner, 1),
        &store_nonce,
    );
    assert_eq!(
        *PreKeyStore::open(
            &storage_key,
            &store_sealed,
            &qorgan::Expected::new(store_owner, store.generation())
        )
        .expect("open")
        .to_bytes(),
        *store_plain
    );
    assert_eq!(store_plain[0], qorgan::wire::STORE_VERSION);
    // The last section (§7.3): one replay record, signed prekey 1, one key.
    let record_tail = [
        &[0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1][..],
        &crate::hex::decode(carol_base_key.as_str().expect("hex")).expect("hex"),
    ]
    .concat();
    assert!(store_plain.ends_with(&record_tail));
    assert_eq!(store.remembered_handshakes(), 1);
    let state_draws = rng.take_log();
    // What §7.3 stores of each prekey: made at bob_now or rotated_at;
    // handed out (in handshake.json's bundles) or not.
    let t = |at: u64, published: bool| json!({"created_at": at, "published": published});
    let mut want = json!({
        "signed_prekeys": [t(SCENARIO_NOW, true), t(rotated_at, false)],
        "last_resort_kem_prekeys": [t(SCENARIO_NOW, true), t(rotated_at, false)],
        "one_time_kem_prekeys": [{"published": false}],
        "one_time_prekeys": [{"published": false}, {"published": false}],
    });
    for (list, ids) in [
        ("signed_prekeys", [1, 2].as_slice()),
        ("last_resort_kem_prekeys", &[1, 3]),
        ("one_time_kem_prekeys", &[4]),
        ("one_time_prekeys", &[2, 3]),
    ] {
        for (e, id) in want[list].as_array_mut().expect("list").iter_mut().zip(ids) {
            e["id"] = json!(id);
        }
    }
    assert_eq!(store_dates(&store_plain), want);
    let mut prekey_store = json!({
        "store_version": qorgan::wire::STORE_VERSION,
        "dates": store_dates(&store_plain),
        "replay_record": [
            {"signed_prekey_id": 1, "base_keys": [carol_base_key]},
        ],
    });
    for (k, x) in store_json.as_object().expect("object") {
        prekey_store[k] = x.clone();
    }
    let state = json!({
        "description": "State at rest (docs/PROTOCOL.md §7), continuing the generator stream of \
            handshake.json and session.json. A storage key is drawn; at the caller's clock \
            inputs.rotated_at (inputs.bob_now + PREKEY_ROTATION_SECS, when both dated prekeys \
            are due, §4.9) Bob's store rotates its signed prekey (id 2) and its last-resort \
            ML-KEM prekey (id 3); it then generates one-time X25519 prekeys 2 and 3 and one-time \
            ML-KEM prekey 4. Then four sessions and the store are sealed, in the order listed, \
            each with a fresh 24-byte nonce, each once (generation 1; a state loaded from \
            plain bytes is at generation 0, §7.1). plain is Session::to_bytes / \
            PreKeyStore::to_bytes (§7.2, §7.3); sealed is the envelope of §7.1, version 2: \
            0x02 0x5E kind || owner (32) || u64(generation) || nonce (24) || \
            XChaCha20-Poly1305 under the storage key with the 43 bytes before the nonce as AD. \
            Each sealed entry lists the parsed header (envelope_version, kind, owner, \
            generation, nonce) and the expected value `open` is given (owner, min_generation \
            = the generation). A session's owner is its session id (§4.6), the store's its \
            identity's Ed25519 key. The store state is of store version 3 \
            (expected.prekey_store.store_version): signed prekeys 1 (made at bob_now, handed \
            out in handshake.json's bundles) and 2 (made at rotated_at, not handed out), \
            last-resort ML-KEM prekeys 1 and 3 likewise, one-time ML-KEM prekey 4, one-time \
            X25519 prekeys 2 and 3 (1 and 2 were consumed by handshake1), none handed out \
            (expected.prekey_store.dates lists created_at and published of each), and one \
            replay record (§4.8, §7.3): signed prekey 1 with Carol's base key (handshake2 used \
            no one-time X25519 prekey and the last-resort ML-KEM prekey), listed in \
            expected.prekey_store.replay_record. All byte strings are lower-case hex. \
            Changed with sealed envelope version 2 and store version 3: the envelopes (were \
            version 1, AD the three header bytes) now bind owner and generation, each sealed \
            entry lists them; the store state gained the dates and published flags; the \
            store's clock (bob_now, rotated_at) is given, and the rotations happen when due.",
        "seed": SCENARIO_SEED,
        "inputs": {
            "continues": "session.json",
            "draws": state_draws,
            "storage_key_draw": "storage_key",
            "bob_now": SCENARIO_NOW,
            "rotated_at": rotated_at,
            "store_operations": [
                "rotate_signed_prekey(rotated_at)",
                "rotate_last_resort_kem_prekey(rotated_at)",
                "generate_one_time_prekeys(2)",
                "generate_kem_one_time_prekeys(1)",
            ],
            "sessions_note": "after_event: the party's session after that event of \
                session.json inputs.events; null: Carol's session from handshake.json \
                handshakes[1] after sending c0",
            "sessions": [
                {"name": "alice_final", "party": "alice", "after_event": EVENTS.len() - 1},
                {"name": "alice_b3_outstanding", "party": "alice", "after_event": ALICE_MID_EVENT},
                {"name": "bob_final", "party": "bob", "after_event": EVENTS.len() - 1},
                {"name": "carol_pending", "party": "carol", "after_event": null},
            ],
            "store_nonce_draw": "seal.bob_store.nonce",
        },
        "expected": {
            "sessions": sealed_sessions,
            "prekey_store": prekey_store,
        },
    });
    (handshake, session, state)
}

/// A sealed blob of envelope version 2 (docs/PROTOCOL.md §7.1), checked
/// against its layout, as the files list it: the parsed header, the
/// expected value `open` is given, the plain state and the blob.
pub(crate) fn sealed_json(
    key: &StorageKey,
    sealed: &[u8],
    plain: &[u8],
    (kind, owner, generation): (u8, qorgan::StateOwner, u64),
    nonce: &[u8],
) -> Value {
    let header = qorgan::SealedHeader::parse(sealed).expect("header");
    assert_eq!(
        (header.version, header.kind, header.owner, header.generation),
        (qorgan::wire::SEALED_VERSION, kind, Some(owner), generation)
    );
    assert_eq!(&sealed[..3], &[qorgan::wire::SEALED_VERSION, 0x5E, kind]);
    assert_eq!(&sealed[3..35], &owner.to_bytes());
    assert_eq!(&sealed[35..43], &generation.to_be_bytes());
    assert_eq!(&sealed[43..67], nonce);
    let nonce: [u8; 24] = nonce.try_into().expect("24");
    let mut ours = sealed[..67].to_vec();
    aead::xseal(&key.to_bytes(), &nonce, &sealed[..43], plain, &mut ours);
    assert_eq!(ours, sealed, "§7.1 layout");
    json!({
        "envelope_version": header.version,
        "kind": kind,
        "owner": hx(&owner.to_bytes()),
        "generation": generation,
        "nonce": hx(&nonce),
        "min_generation": generation,
        "plain": hx(plain),
        "sealed": hx(sealed),
    })
}

/// The bytes before the last section (the replay records, or in store
/// version 1 the replay list) of a store state of store version 3
/// (docs/PROTOCOL.md §7.3), in the layout of store `version` (1, 2 or 3):
/// versions 1 and 2 have no dates and no published flags. `migrated`: as
/// loading a version 1 or 2 state gives them, every prekey made at 0 and
/// handed out.
pub fn store_prefix(plain: &[u8], version: u8, migrated: bool) -> Vec<u8> {
    let st = negative::Store::parse(plain);
    let st = if migrated { st.migrated() } else { st };
    st.lists(version)
}

/// `created_at` (signed and last-resort prekeys) and `published` of every
/// prekey of a store state of store version 3 (§7.3), by list.
pub fn store_dates(plain: &[u8]) -> Value {
    let st = negative::Store::parse(plain);
    let names = [
        "signed_prekeys",
        "last_resort_kem_prekeys",
        "one_time_kem_prekeys",
        "one_time_prekeys",
    ];
    let mut out = json!({});
    for (i, name) in names.iter().enumerate() {
        out[*name] = st
            .dates(i)
            .into_iter()
            .map(|(id, created_at, published)| {
                let mut e = json!({"id": id, "published": published == 1});
                if let Some(at) = created_at {
                    e["created_at"] = json!(at);
                }
                e
            })
            .collect();
    }
    out
}

// ------------------------------------------------ safety_number.json

fn safety_number_file() -> Value {
    let mut rng = RecordingRng::new(SAFETY_NUMBER_SEED);
    let alice = identity_generate(&mut rng, "alice");
    let bob = identity_generate(&mut rng, "bob");
    let draws = rng.take_log();
    let cases: [(&str, &[u8], &str, &[u8]); 4] = [
        ("alice", b"alice@example.org", "bob", b"+1 555 0100"),
        ("bob", b"+1 555 0100", "alice", b"alice@example.org"),
        ("alice", b"", "bob", b""),
        ("alice", "Алия".as_bytes(), "bob", b"\x00\x01\x02"),
    ];
    let pick = |n: &str| if n == "alice" { &alice } else { &bob };
    json!({
        "description": "Safety numbers (docs/PROTOCOL.md §9). Two identities from rng(seed) \
            (draws as in handshake.json); each case names the two parties and their stable \
            account ids (hex; any bytes, possibly empty). Case 1 swaps the parties of case 0 and \
            must give the same result. expected: the 60 digits, the display string (12 groups \
            of 5), and the 65-byte scannable form 0x01 || low || high. All byte strings are \
            lower-case hex.",
        "seed": SAFETY_NUMBER_SEED,
        "inputs": {
            "draws": draws,
            "cases": cases.iter().map(|(a, a_id, b, b_id)| json!({
                "a": a, "a_id": hx(a_id), "b": b, "b_id": hx(b_id),
            })).collect::<Vec<_>>(),
        },
        "expected": {
            "identities": {
                "alice": identity_json(alice.public()),
                "bob": identity_json(bob.public()),
            },
            "cases": cases.iter().map(|(a, a_id, b, b_id)| {
                let sn = SafetyNumber::new(pick(a).public(), a_id, pick(b).public(), b_id);
                json!({
                    "digits": sn.digits(),
                    "display": sn.display_string(),
                    "scannable": hx(&sn.scannable()),
                })
            }).collect::<Vec<_>>(),
        },
    })
}

/// Every vector file: name (relative to `tests/vectors/`) -> contents.
pub fn generate() -> BTreeMap<String, Value> {
    let (handshake, session, state) = scenario_files();
    let mut files = BTreeMap::new();
    files.insert("kdf.json".to_string(), kdf_file());
    files.insert("handshake.json".to_string(), handshake);
    files.insert("session.json".to_string(), session);
    files.insert("state.json".to_string(), state);
    files.insert("safety_number.json".to_string(), safety_number_file());
    files.insert("group.json".to_string(), group::group_file());
    files.insert(
        "group_negative.json".to_string(),
        group_negative::group_negative_file(),
    );
    files.insert("negative.json".to_string(), negative::negative_file());
    files.insert("prekey_upload.json".to_string(), upload::upload_file());
    files.insert("account.json".to_string(), account::account_file());
    files.insert(
        "account_negative.json".to_string(),
        account_negative::account_negative_file(),
    );
    files.insert("roster.json".to_string(), roster::roster_file());
    files.insert(
        "certificate.json".to_string(),
        certificate::certificate_file(),
    );
    files.insert(
        "certificate_negative.json".to_string(),
        certificate_negative::certificate_negative_file(),
    );
    files.insert(
        "roster_negative.json".to_string(),
        roster_negative::roster_negative_file(),
    );
    files.insert("sealed_value.json".to_string(), store::sealed_value_file());
    files.insert(
        "sealed_value_negative.json".to_string(),
        store::sealed_value_negative_file(),
    );
    files.insert("store.json".to_string(), store::store_file());
    files.insert(
        "store_negative.json".to_string(),
        store::store_negative_file(),
    );
    files
}

/// The exact bytes of a vector file: pretty JSON and a trailing newline.
pub fn render(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("serialize");
    s.push('\n');
    s
}

// --------------------------------------------------------- fixtures

/// The state fixture of the current version (made with the current code,
/// so it is only ever written for the version the code produces).
fn fixture_current() -> Value {
    let mut rng = crate::rng(FIXTURE_SEED);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PreKeyStore::new(&mut rng, bob_id, 0);
    store.generate_one_time_prekeys(&mut rng, 3);
    store.generate_kem_one_time_prekeys(&mut rng, 3);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bundle = store.bundle().expect("bundle");
    let mut alice = Session::initiate(&mut rng, &alice_id, &bundle).expect("initiate");
    let text = |s: &str| s.as_bytes().to_vec();
    let a0 = alice.encrypt(&mut rng, &text("a0: first")).expect("a0");
    let a1 = alice
        .encrypt(&mut rng, &text("a1: second, still a prekey message"))
        .expect("a1");
    let (mut bob, pt) = store.accept(&a0, 0).expect("accept");
    assert_eq!(pt, text("a0: first"));
    let b0 = bob.encrypt(&mut rng, &text("b0: held back")).expect("b0");
    let b1 = bob.encrypt(&mut rng, &text("b1: delivered")).expect("b1");
    assert_eq!(alice.decrypt(&b1).expect("b1"), text("b1: delivered"));
    let a2 = alice
        .encrypt(&mut rng, &text("a2: skipped by a3"))
        .expect("a2");
    let a3 = alice.encrypt(&mut rng, &text("a3: delivered")).expect("a3");
    assert_eq!(bob.decrypt(&a3).expect("a3"), text("a3: delivered"));
    let a4 = alice
        .encrypt(&mut rng, &text("a4: not yet delivered"))
        .expect("a4");
    assert_eq!(bob.skipped_key_count(), 2, "a1 (older chain) and a2");
    assert_eq!(alice.skipped_key_count(), 1, "b0");
    let key = StorageKey::generate(&mut rng);
    let bob_plain = bob.to_bytes();
    let bob_sealed = bob.seal(&mut rng, &key);
    let alice_sealed = alice.seal(&mut rng, &key);
    let store_plain = store.to_bytes();
    let store_sealed = store.seal(&mut rng, &key);
    let msg = |id: &str, bytes: &[u8], pt: &str| json!({"id": id, "bytes": hx(bytes), "plaintext": text_json(pt.as_bytes())});
    json!({
        "description": "State fixture of the state_version below, generated once by \
            gen-vectors (tests/src/vectors.rs, fixture_current, seed below) with the release \
            that introduced that version, and kept unchanged forever: every later release must \
            still load it (tests/tests/fixtures.rs). Alice initiated with Bob's \
            bundle (one-time prekeys used) and sent a0, a1 (prekey messages); Bob accepted a0 \
            and sent b0, b1; Alice received b1 only; Alice sent a2, a3 on a new chain; Bob \
            received a3 (storing the keys of a1, from the older chain, and a2); Alice sent a4. \
            pending_for_bob are the messages Bob has not received, in the order the test \
            delivers them; pending_for_alice likewise. already_accepted is a0, which the restored \
            store must refuse (its one-time prekeys are consumed). All byte strings are \
            lower-case hex.",
        "seed": FIXTURE_SEED,
        "state_version": qorgan::wire::VERSION,
        "storage_key": hx(&*key.to_bytes()),
        "bob_session": {"plain": hx(&bob_plain), "sealed": hx(&bob_sealed)},
        "alice_session": {"sealed": hx(&alice_sealed)},
        "bob_store": {"plain": hx(&store_plain), "sealed": hx(&store_sealed)},
        "pending_for_bob": [
            msg("a2", &a2, "a2: skipped by a3"),
            msg("a4", &a4, "a4: not yet delivered"),
            msg("a1", &a1, "a1: second, still a prekey message"),
        ],
        "pending_for_alice": [msg("b0", &b0, "b0: held back")],
        "already_accepted": msg("a0", &a0, "a0: first"),
    })
}

/// The prekey store fixture of the current store version (made with the
/// current code): a sealed store whose replay record holds handshakes under
/// two signed prekeys, whose prekeys are dated and partly handed out
/// (§4.9, §4.10), the first messages it must refuse, and one it has not
/// seen yet and must accept.
fn store_fixture_current() -> Value {
    use crate::vectors::errors::handshake as error_name;
    let mut rng = crate::rng(STORE_FIXTURE_SEED);
    let made_at = SCENARIO_NOW;
    let rotated_at = made_at + qorgan::limits::PREKEY_ROTATION_SECS;
    let uploaded_at = rotated_at + 60;
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PreKeyStore::new(&mut rng, bob_id, made_at);
    // A new initiator's first message on the store's current bundle.
    let first = |rng: &mut ChaCha20Rng, store: &mut PreKeyStore, text: &str| {
        let id = IdentityKeyPair::generate(rng);
        let bundle = store.bundle().expect("bundle");
        let mut s = Session::initiate(rng, &id, &bundle).expect("initiate");
        let m = s.encrypt(rng, text.as_bytes()).expect("encrypt");
        let ids = (
            bundle.signed_prekey.id,
            bundle.kem_prekey.id,
            bundle.kem_prekey.kind,
            bundle.one_time_prekey.map(|o| o.id),
        );
        (m, ids)
    };
    let base_key = |m: &[u8]| -> [u8; 32] { m[130..162].try_into().expect("32") };
    let mut accepted = Vec::new();
    let mut accept = |store: &mut PreKeyStore, id: &str, m: Vec<u8>, text: &str, now: u64| {
        let (_, pt) = store.accept(&m, now).expect("accept");
        assert_eq!(pt, text.as_bytes());
        accepted.push((id.to_string(), m, text.to_string()));
    };
    use qorgan::KemPreKeyKind::{LastResort, OneTime};
    // Signed prekey 1, last-resort ML-KEM prekey 1, no one-time prekeys:
    // both recorded under signed prekey 1.
    let t = "a0: Alice, signed prekey 1, last resort";
    let (a0, ids) = first(&mut rng, &mut store, t);
    assert_eq!(ids, (1, 1, LastResort, None));
    accept(&mut store, "a0", a0, t, made_at + 10);
    let t = "c0: Carol, signed prekey 1, last resort";
    let (c0, ids) = first(&mut rng, &mut store, t);
    assert_eq!(ids, (1, 1, LastResort, None));
    accept(&mut store, "c0", c0, t, made_at + 20);
    // A week later, signed prekey 2 (1 is retired, still held with its
    // record).
    assert!(store.signed_prekey_rotation_due(rotated_at));
    store.rotate_signed_prekey(&mut rng, rotated_at);
    // A one-time ML-KEM prekey (2), no one-time X25519 prekey: not recorded.
    store.generate_kem_one_time_prekeys(&mut rng, 1);
    let t = "f0: Frank, signed prekey 2, one-time ML-KEM prekey 2";
    let (f0, ids) = first(&mut rng, &mut store, t);
    assert_eq!(ids, (2, 2, OneTime, None));
    accept(&mut store, "f0", f0, t, rotated_at);
    // A one-time X25519 prekey (1) and the last-resort ML-KEM prekey: not
    // recorded.
    store.generate_one_time_prekeys(&mut rng, 1);
    let t = "g0: Gulnar, signed prekey 2, last resort, one-time prekey 1";
    let (g0, ids) = first(&mut rng, &mut store, t);
    assert_eq!(ids, (2, 1, LastResort, Some(1)));
    accept(&mut store, "g0", g0, t, rotated_at);
    // Recorded under signed prekey 2.
    let t = "d0: Dana, signed prekey 2, last resort";
    let (d0, ids) = first(&mut rng, &mut store, t);
    assert_eq!(ids, (2, 1, LastResort, None));
    accept(&mut store, "d0", d0, t, rotated_at);
    // Sent, not yet received.
    let t = "e0: Erlan, signed prekey 2, last resort, not yet accepted";
    let (e0, ids) = first(&mut rng, &mut store, t);
    assert_eq!(ids, (2, 1, LastResort, None));
    assert_eq!(store.remembered_handshakes(), 3);
    // New one-time keys, uploaded: the upload also rotates the last-resort
    // ML-KEM prekey, due since rotated_at (id 4; 1 is retired).
    store.generate_one_time_prekeys(&mut rng, 2);
    store.generate_kem_one_time_prekeys(&mut rng, 1);
    assert!(!store.signed_prekey_rotation_due(uploaded_at));
    assert!(store.last_resort_kem_prekey_rotation_due(uploaded_at));
    let upload = store.upload(&mut rng, uploaded_at).expect("upload");
    assert_eq!(
        upload.last_resort_kem_prekey().map(|k| k.id),
        Some(4),
        "rotated"
    );
    assert!(upload.signed_prekey().is_none(), "handed out in bundles");
    assert_eq!(upload.one_time_prekey_ids(), [2, 3]);
    assert_eq!(upload.kem_one_time_prekey_ids(), [3]);
    assert!(!store.needs_rotation(uploaded_at));
    // One more, not handed out yet.
    store.generate_one_time_prekeys(&mut rng, 1);

    let key = StorageKey::generate(&mut rng);
    let store_plain = store.to_bytes();
    // Sealed twice: the blob kept is of generation 2.
    store.seal(&mut rng, &key);
    let store_sealed = store.seal(&mut rng, &key);
    assert_eq!(store.generation(), 2);
    assert_eq!(store_plain[0], qorgan::wire::STORE_VERSION);

    let by_id = |want: &str| {
        let (_, m, _) = accepted.iter().find(|(id, _, _)| id == want).expect(want);
        base_key(m)
    };
    let mut record: BTreeMap<u32, BTreeSet<[u8; 32]>> = BTreeMap::new();
    for (spk, id) in [(1, "a0"), (1, "c0"), (2, "d0")] {
        record.entry(spk).or_default().insert(by_id(id));
    }
    let refused: Vec<Value> = accepted
        .iter()
        .map(|(id, m, text)| {
            let mut again = PreKeyStore::from_bytes(&store.to_bytes()).expect("copy");
            let e = again.accept(m, uploaded_at).expect_err("already accepted");
            let (error, _) = error_name(&e);
            json!({
                "id": id,
                "bytes": hx(m),
                "plaintext": text_json(text.as_bytes()),
                "base_key": hx(&base_key(m)),
                "error": error,
            })
        })
        .collect();
    {
        let mut again = PreKeyStore::from_bytes(&store.to_bytes()).expect("copy");
        assert_eq!(
            again.accept(&e0, uploaded_at).expect("e0").1,
            "e0: Erlan, signed prekey 2, last resort, not yet accepted".as_bytes()
        );
        assert_eq!(
            again.accept(&e0, uploaded_at).err(),
            Some(qorgan::HandshakeError::Replay)
        );
    }
    json!({
        "description": "Prekey store fixture of the store_version below (docs/PROTOCOL.md \
            §4.8–§4.10, §7.1, §7.3), generated once by gen-vectors (tests/src/vectors.rs, \
            store_fixture_current, seed below) with the release that introduced that \
            version, and kept unchanged forever: every later release must still load it \
            (tests/tests/fixtures.rs). Bob's store is made at clock.made_at (signed prekey 1, \
            last-resort ML-KEM prekey 1) and accepts a0 and c0 (no one-time prekeys: \
            recorded under signed prekey 1); at clock.rotated_at it rotates to signed prekey \
            2, generates one-time ML-KEM prekey 2 and accepts f0 (which uses it: not \
            recorded), generates one-time X25519 prekey 1 and accepts g0 (which uses it with \
            the last-resort ML-KEM prekey: not recorded), and accepts d0 (recorded under \
            signed prekey 2). e0 was made from the same bundle as d0 and not yet received. \
            Every bundle marked the one-time keys it carried as handed out (§4.10). Then it \
            generates one-time X25519 prekeys 2 and 3 and one-time ML-KEM prekey 3 and, at \
            clock.uploaded_at, makes the upload `upload` (§4.10), which first rotates the \
            due last-resort ML-KEM prekey (new id 4) and carries it and the three new \
            one-time keys, marking them handed out; then it generates one-time X25519 \
            prekey 4, not handed out. The store is sealed twice; bob_store.sealed is the \
            second blob (generation 2, owner: Bob's Ed25519 key, envelope version 2). \
            dates lists created_at and published of every prekey as the state holds them. \
            replay_record lists the record the state holds (signed prekey ids ascending, \
            base keys ascending). already_accepted are the accepted first messages in order, \
            each with the error the restored store must refuse it with at \
            clock.uploaded_at; pending is e0, which the restored store must accept once \
            (then refuse as a replay). All byte strings are lower-case hex.",
        "seed": STORE_FIXTURE_SEED,
        "store_version": qorgan::wire::STORE_VERSION,
        "clock": {"made_at": made_at, "rotated_at": rotated_at, "uploaded_at": uploaded_at},
        "storage_key": hx(&*key.to_bytes()),
        "bob_store": {
            "plain": hx(&store_plain),
            "sealed": hx(&store_sealed),
            "owner": hx(&store.state_owner().to_bytes()),
            "generation": store.generation(),
        },
        "dates": store_dates(&store_plain),
        "upload": hx(&upload.to_bytes()),
        "replay_record": record.iter().map(|(spk, keys)| json!({
            "signed_prekey_id": spk,
            "base_keys": keys.iter().map(|k| hx(k)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "already_accepted": refused,
        "pending": [{
            "id": "e0",
            "bytes": hx(&e0),
            "plaintext": text_json(b"e0: Erlan, signed prekey 2, last resort, not yet accepted"),
            "base_key": hx(&base_key(&e0)),
        }],
    })
}

/// Seed of the sealed-envelope fixtures.
pub const SEALED_FIXTURE_SEED: u64 = 104;

/// Where the sealed-envelope fixture of `version` lives, relative to
/// `tests/vectors/`: `fixtures/sealed-v{version}.json`.
pub fn sealed_fixture_file(version: u8) -> String {
    format!("fixtures/sealed-v{version}.json")
}

/// The sealed-envelope fixtures (§7.1): one blob of each of the five state
/// kinds under one storage key, with the owner `open` must be given.
/// Version 2 (the current one) from `seal`, each at a generation of its
/// own; version 1 as it was written before envelope version 2 (`0x01 0x5E
/// kind || nonce || XChaCha20-Poly1305` with the three header bytes as AD,
/// made here by hand, byte for byte what that `seal` wrote, with the
/// plain state each kind had then: the prekey store of store version 2).
fn sealed_fixture(version: u8) -> Value {
    use qorgan::{InboundGroupSession, OutboundGroupSession, SenderKeyRing, StateOwner};
    let mut rng = crate::rng(SEALED_FIXTURE_SEED);
    let group: &[u8] = b"qorgan/fixtures/sealed";
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut store = PreKeyStore::new(&mut rng, bob_id, SCENARIO_NOW);
    store.generate_one_time_prekeys(&mut rng, 2);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bundle = store.bundle().expect("bundle");
    let mut alice = Session::initiate(&mut rng, &alice_id, &bundle).expect("initiate");
    let a0 = alice.encrypt(&mut rng, b"a0").expect("a0");
    let (mut bob, _) = store.accept(&a0, SCENARIO_NOW).expect("accept");
    let mut out = OutboundGroupSession::new(
        &mut rng,
        group,
        qorgan::RotationPolicy::DEFAULT,
        SCENARIO_NOW,
    )
    .expect("group");
    let dist = out.distribution(&alice_id);
    let mut inbound = InboundGroupSession::new(&dist, alice_id.public()).expect("inbound");
    let mut ring = SenderKeyRing::new(&dist, alice_id.public()).expect("ring");
    let g0 = out.encrypt(&mut rng, &alice_id, b"g0").expect("g0");
    inbound.decrypt(&g0).expect("g0");
    let key = StorageKey::generate(&mut rng);
    let owners = [
        StateOwner::session(bob.session_id()),
        StateOwner::device(store.identity_key()),
        StateOwner::outbound_group(group),
        StateOwner::group_sender(group, alice_id.public()),
        StateOwner::group_sender(group, alice_id.public()),
    ];
    /// (name, kind, plain, sealed, generation)
    type Blob = (&'static str, u8, Vec<u8>, Vec<u8>, u64);
    let blobs: Vec<Blob> = if version == 2 {
        // Seal `n` times, keep the last.
        fn times(n: u64, mut seal: impl FnMut() -> Vec<u8>) -> Vec<u8> {
            (0..n).map(|_| seal()).last().expect("sealed")
        }
        let s = times(3, || bob.seal(&mut rng, &key));
        let p = times(1, || store.seal(&mut rng, &key));
        let o = times(2, || out.seal(&mut rng, &key));
        let i = times(1, || inbound.seal(&mut rng, &key));
        let r = times(4, || ring.seal(&mut rng, &key));
        vec![
            (
                "bob_session",
                0x40,
                bob.to_bytes().to_vec(),
                s,
                bob.generation(),
            ),
            (
                "bob_store",
                0x41,
                store.to_bytes().to_vec(),
                p,
                store.generation(),
            ),
            (
                "alice_outbound",
                0x42,
                out.to_bytes().to_vec(),
                o,
                out.generation(),
            ),
            (
                "bob_inbound",
                0x43,
                inbound.to_bytes().to_vec(),
                i,
                inbound.generation(),
            ),
            (
                "carol_ring",
                0x44,
                ring.to_bytes().to_vec(),
                r,
                ring.generation(),
            ),
        ]
    } else {
        let store_v2 = negative::Store::parse(&store.to_bytes()).v2();
        [
            ("bob_session", 0x40, bob.to_bytes().to_vec()),
            ("bob_store", 0x41, store_v2),
            ("alice_outbound", 0x42, out.to_bytes().to_vec()),
            ("bob_inbound", 0x43, inbound.to_bytes().to_vec()),
            ("carol_ring", 0x44, ring.to_bytes().to_vec()),
        ]
        .into_iter()
        .map(|(name, kind, plain)| {
            let mut nonce = [0u8; 24];
            rng.fill_bytes(&mut nonce);
            let ad = [0x01, 0x5E, kind];
            let mut sealed = [&ad[..], &nonce].concat();
            aead::xseal(&key.to_bytes(), &nonce, &ad, &plain, &mut sealed);
            (name, kind, plain, sealed, 0)
        })
        .collect()
    };
    let mut entries = serde_json::Map::new();
    for ((name, kind, plain, sealed, generation), owner) in blobs.into_iter().zip(owners) {
        let expected = qorgan::Expected::new(owner, generation);
        // Each opens, as what it is, at its generation, and not at the next.
        let next = qorgan::Expected::new(owner, generation + 1);
        let back = |r: Result<Vec<u8>, qorgan::StateError>| {
            assert_eq!(
                r.err(),
                Some(qorgan::StateError::RolledBack {
                    min_generation: generation + 1,
                    found: generation
                })
            );
        };
        let opened =
            match kind {
                0x40 => {
                    back(Session::open(&key, &sealed, &next).map(|s| s.to_bytes().to_vec()));
                    Session::open(&key, &sealed, &expected).map(|s| s.to_bytes().to_vec())
                }
                0x41 => {
                    back(PreKeyStore::open(&key, &sealed, &next).map(|s| s.to_bytes().to_vec()));
                    PreKeyStore::open(&key, &sealed, &expected).map(|s| s.to_bytes().to_vec())
                }
                0x42 => OutboundGroupSession::open(&key, &sealed, &expected)
                    .map(|s| s.to_bytes().to_vec()),
                0x43 => InboundGroupSession::open(&key, &sealed, &expected)
                    .map(|s| s.to_bytes().to_vec()),
                _ => SenderKeyRing::open(&key, &sealed, &expected).map(|s| s.to_bytes().to_vec()),
            }
            .expect("opens");
        if version == 2 {
            assert_eq!(opened, plain);
        }
        entries.insert(
            name.to_string(),
            json!({
                "kind": kind,
                "owner": hx(&owner.to_bytes()),
                "generation": generation,
                "plain": hx(&plain),
                "sealed": hx(&sealed),
            }),
        );
    }
    let how = if version == 2 {
        "written by seal (§7.1, envelope version 2: 0x02 0x5E kind || owner || \
         u64(generation) || nonce || ciphertext, AD the 43 bytes before the nonce), each \
         object sealed as many times as its generation says and the last blob kept"
    } else {
        "in envelope version 1 (0x01 0x5E kind || nonce || ciphertext, AD the three header \
         bytes), as seal wrote it before envelope version 2: made by hand by the release that \
         introduced version 2 (the version 1 envelopes written by earlier releases \
         themselves are in state-v1.json, prekey-store-v2.json and the group fixtures), \
         around the plain state each kind had then (the prekey store in store version 2, \
         which migrates on load); a version 1 envelope is generation 0 and names no owner: \
         the owner is the opened object's own"
    };
    json!({
        "description": format!("Sealed-envelope fixture of envelope_version below \
            (docs/PROTOCOL.md §7.1), generated once by gen-vectors (tests/src/vectors.rs, \
            sealed_fixture, seed below) and kept unchanged forever: every later release must \
            still open it (tests/tests/fixtures.rs). One blob of each state kind under \
            storage_key, {how}. Bob's store (one-time prekeys 1, 2; made at 1700000000) \
            accepted Alice's a0 (Bob's session); Alice's outbound group session in group_id \
            sent g0, which Bob's inbound session read; Carol's ring holds Alice's chain \
            unread. Each entry gives kind, owner and generation: `open` with that owner and \
            min_generation = generation succeeds, with min_generation = generation + 1 it \
            fails with StateError::RolledBack, with another owner with WrongOwner. plain is \
            the state inside. All byte strings are lower-case hex."),
        "seed": SEALED_FIXTURE_SEED,
        "envelope_version": version,
        "storage_key": hx(&*key.to_bytes()),
        "group_id": text_json(group),
        "states": entries,
    })
}

/// The fixtures of the current state versions (the 1:1 state fixture, the
/// prekey store fixture, the group state fixture, the sealed-envelope
/// fixtures and the account and contact state fixtures): path (relative to `tests/vectors/`) ->
/// contents. gen-vectors writes each only if no file of that name exists, so
/// each version's fixtures are made once, by the release that introduced the
/// version, and the fixtures of older versions stay as they were. Never
/// compared with the current generator.
pub fn generate_fixtures() -> BTreeMap<String, Value> {
    let mut files = BTreeMap::new();
    files.insert(fixture_file(), fixture_current());
    files.insert(store_fixture_file(), store_fixture_current());
    files.insert(group_fixture_file(), group::group_fixture_current());
    files.insert(
        sealed_fixture_file(qorgan::wire::SEALED_VERSION),
        sealed_fixture(qorgan::wire::SEALED_VERSION),
    );
    // Version 1 envelopes, as written before version 2 (see sealed_fixture).
    files.insert(sealed_fixture_file(1), sealed_fixture(1));
    let (account_file, contact_file) = account_fixture_files(qorgan::wire::ACCOUNT_VERSION);
    let (account, contact) = account::account_fixtures();
    files.insert(account_file, account);
    files.insert(contact_file, contact);
    files.insert(
        roster::roster_fixture_file(qorgan::wire::ROSTER_VERSION),
        roster::roster_fixture(),
    );
    files.insert(
        roster::rostered_group_fixture_file(qorgan::wire::ROSTERED_GROUP_VERSION),
        roster::rostered_group_fixture(),
    );
    files.insert(
        certificate::certificate_fixture_file(qorgan::wire::CERTIFICATE_VERSION),
        certificate::certificate_fixture(),
    );
    files
}
