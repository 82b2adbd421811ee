//! The store's limits (docs/PROTOCOL.md §17.5).

/// Group payloads (chain keys, rosters) kept until they can apply; beyond
/// this, a payload that cannot apply is refused.
pub const MAX_DEFERRED_PAYLOADS: usize = 256;

/// Sessions kept per peer device: the active one and older ones still
/// decrypting messages in flight. The least recently created beyond this
/// are deleted.
pub const MAX_SESSIONS_PER_DEVICE: usize = 4;

/// Consecutive undecryptable messages from one device after which its
/// session is declared broken (the app is told, and `heal` starts a new
/// one with a reset message).
pub const HEAL_AFTER_FAILURES: u32 = 3;

/// One-time X25519 prekeys the store keeps on the server; when fewer than
/// [`PREKEY_LOW_WATER`] remain unused, an upload is due.
pub const PREKEY_TARGET: usize = 100;

/// See [`PREKEY_TARGET`].
pub const PREKEY_LOW_WATER: usize = 25;

/// One-time ML-KEM prekeys kept on the server (they are 1.2 KB each).
pub const KEM_PREKEY_TARGET: usize = 20;
