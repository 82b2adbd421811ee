//! Every resource limit, by name. Each is documented in docs/PROTOCOL.md §8
//! and tested at its edge.

/// Most message keys one incoming message may make the receiver skip in a
/// single chain (the gap `n - next_index`, and separately `pn - next_index`
/// on the previous chain when the ratchet turns).
pub const MAX_SKIP_PER_CHAIN: u32 = 2000;

/// Most skipped message keys a session stores in total; beyond it the oldest
/// are evicted (oldest chain first, lowest index first).
pub const MAX_STORED_SKIPPED_KEYS: usize = 4000;

/// Most receiving chains (the current one included) whose skipped keys are
/// kept; the oldest chain's keys are dropped when a newer one arrives.
pub const MAX_RECEIVING_CHAINS: usize = 5;

/// Message counters are 24-bit: a sending chain carries at most this many
/// messages (indices `0..MAX_CHAIN_INDEX`), so both `n` and `pn` always fit
/// the header. Once a chain holds this many, `encrypt` refuses until the
/// peer replies and the ratchet turns.
pub const MAX_CHAIN_INDEX: u32 = 0x00FF_FFFF;

/// Most one-time X25519 prekeys a store holds.
pub const MAX_ONE_TIME_PREKEYS: usize = 10_000;

/// Most one-time ML-KEM prekeys a store holds.
pub const MAX_KEM_ONE_TIME_PREKEYS: usize = 1_000;

/// Retired signed prekeys (and last-resort ML-KEM prekeys) kept after a
/// rotation, so handshakes already in flight still complete.
pub const MAX_RETIRED_SIGNED_PREKEYS: usize = 3;

/// Age (seconds of the caller's clock) at which the current signed prekey
/// and the current last-resort ML-KEM prekey are due for rotation (7 days):
/// `PreKeyStore::needs_rotation` reports it and `PreKeyStore::upload`
/// rotates them itself.
pub const PREKEY_ROTATION_SECS: u64 = 7 * 86_400;

/// How long (seconds) a retired signed or last-resort ML-KEM prekey stays
/// usable after the rotation that retired it (28 days), for first messages
/// from bundles fetched before it; from then on `accept` refuses handshakes
/// naming it (`HandshakeError::ExpiredSignedPreKey`, `ExpiredKemPreKey`)
/// and `prune`, the rotations and `upload` delete it, so a device seized
/// later cannot open handshakes made on it. A prekey lives at most about
/// `PREKEY_ROTATION_SECS + MAX_RETIRED_PREKEY_AGE_SECS` in all.
pub const MAX_RETIRED_PREKEY_AGE_SECS: u64 = 28 * 86_400;

/// Handshakes without a one-time X25519 prekey (so on the last-resort
/// ML-KEM prekey) that one signed prekey may admit. Each is remembered by its
/// base key exactly as long as that signed prekey is held, so a replay is
/// refused for as long as it could succeed; once a signed prekey has
/// admitted this many, `accept` refuses more under it
/// (`HandshakeError::ReplayRecordFull`) until the signed prekey is rotated,
/// rather than forgetting an old one. `PreKeyStore::needs_rotation` says so
/// at three quarters.
pub const MAX_REMEMBERED_HANDSHAKES: usize = 4096;

/// Largest plaintext `encrypt` accepts (64 MiB); `decrypt` refuses, before
/// any work, a message whose ciphertext minus its tag is longer.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024 * 1024;

/// Most iterations one group message may move an inbound chain forward.
pub const MAX_GROUP_JUMP: u32 = 2000;

/// Most skipped message keys an inbound group session stores; beyond it the
/// lowest iterations are evicted.
pub const MAX_GROUP_SKIPPED_KEYS: usize = 2000;

/// Last iteration of a group chain (`2^32 - 2`). A message claiming a later
/// one is refused on receive, and a chain at this position + 1 yields no
/// more keys: positions never wrap.
pub const MAX_GROUP_ITERATION: u32 = u32::MAX - 1;

/// Longest group id, in bytes.
pub const MAX_GROUP_ID_LEN: usize = 64;

/// Retired chains of one sender kept readable beside the current one after
/// a rotation, for messages still in flight.
pub const MAX_RETIRED_SENDER_CHAINS: usize = 2;

/// Furthest ahead of its current position an inbound group session can be
/// exported, and furthest apart two copies of one chain can be when they
/// are merged (each step is one HMAC computation).
pub const MAX_EXPORT_ADVANCE: u32 = 100_000;

/// Most messages `decrypt_batch` takes in one call.
pub const MAX_BATCH: usize = 10_000;

/// Most devices one account's device list holds.
pub const MAX_DEVICES_PER_ACCOUNT: usize = 32;

/// Longest device label, in bytes of UTF-8.
pub const MAX_DEVICE_LABEL_LEN: usize = 64;

/// Most contacts one provisioning message carries (the pinned contacts the
/// new device inherits).
pub const MAX_PROVISIONED_CONTACTS: usize = 10_000;

/// Most device lists one `Contact::update` takes (a chain from the held
/// list to the newest).
pub const MAX_LIST_CHAIN: usize = 64;

/// Messages after which the account envelope repeats the device-list heads
/// even when they have not changed (they are always sent when they change).
pub const HEADS_EVERY_MESSAGES: u32 = 32;

/// Members of a group roster (docs/PROTOCOL.md §15.1).
pub const MAX_ROSTER_MEMBERS: usize = 2048;

/// Rosters one update may walk (as [`MAX_LIST_CHAIN`] for device lists).
pub const MAX_ROSTER_CHAIN: usize = 64;

/// Claims in one statement (docs/PROTOCOL.md §16.1).
pub const MAX_CLAIMS: usize = 8;

/// Bytes of one claim's UTF-8 value.
pub const MAX_CLAIM_LEN: usize = 64;

/// Statements in one presentation: an optional intermediate and the leaf
/// (docs/PROTOCOL.md §16.2).
pub const MAX_PRESENTATION_STATEMENTS: usize = 2;

/// Serials on one revocation list (docs/PROTOCOL.md §16.3).
pub const MAX_REVOKED_SERIALS: usize = 65_536;

/// Characters of a statement's QR text: the capacity of the largest QR code
/// (version 40, level L) in alphanumeric mode (docs/PROTOCOL.md §16.5).
pub const MAX_STATEMENT_TEXT_LEN: usize = 4296;

/// How far `PreKeyStore::forget_after_rollback` moves each prekey id
/// counter: more ids than a lost copy could have published in between.
pub const ROLLBACK_ID_JUMP: u32 = 1 << 20;
