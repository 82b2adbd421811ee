//! The Double Ratchet (Signal specification, revision 4) with KDF_RK =
//! HKDF-SHA256, KDF_CK = HMAC-SHA256 and ChaCha20-Poly1305 under single-use
//! message keys.

pub(crate) mod chain_key;
pub(crate) mod message_key;
pub(crate) mod root_key;
pub(crate) mod skipped_keys;
