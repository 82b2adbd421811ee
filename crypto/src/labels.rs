//! Every domain-separation string and fixed byte that enters a KDF, a MAC or
//! a signature. Changing any of these changes the protocol: they are listed
//! in docs/PROTOCOL.md §3. The `v1` labels belong to the 1:1 formats (wire
//! version 1), the `v2` labels to the group formats (group version 2, §12).

/// Signature over an identity's X25519 key by its Ed25519 key.
pub const IDENTITY_BINDING: &[u8] = b"qorgan/v1/identity-binding";
/// Signature over a signed X25519 prekey.
pub const SIGNED_PREKEY: &[u8] = b"qorgan/v1/signed-prekey";
/// Signature over an ML-KEM-768 prekey.
pub const KEM_PREKEY: &[u8] = b"qorgan/v1/kem-prekey";
/// Prefix of the handshake transcript hash (the session id).
pub const TRANSCRIPT: &[u8] = b"qorgan/v1/pqxdh-transcript";
/// HKDF info prefix for the handshake secret (followed by the transcript hash).
pub const HANDSHAKE: &[u8] = b"qorgan/v1/pqxdh/x25519/mlkem768/sha256";
/// HKDF info for `KDF_RK`.
pub const ROOT: &[u8] = b"qorgan/v1/root";
/// HMAC input byte for a message key (`KDF_CK`).
pub const MESSAGE_KEY_BYTE: u8 = 0x01;
/// HMAC input byte for the next chain key (`KDF_CK`).
pub const CHAIN_KEY_BYTE: u8 = 0x02;
/// Signature by a device identity over a sender-key announcement.
pub const SENDER_KEY: &[u8] = b"qorgan/v2/sender-key";
/// Signature by a chain's own signing key over the same announcement fields:
/// proof that the announcer holds the signing key.
pub const SENDER_KEY_POSSESSION: &[u8] = b"qorgan/v2/sender-key-possession";
/// Signature by a chain's signing key over a group message.
pub const GROUP_MESSAGE: &[u8] = b"qorgan/v2/group-message";
/// HMAC message of a group message's key commitment, keyed by its message key.
pub const GROUP_KEY_COMMITMENT: &[u8] = b"qorgan/v2/group-key-commitment";
/// HMAC input byte for a group message key (group `KDF_CK`), distinct from
/// the 1:1 chain's so the two chains never share a derivation.
pub const GROUP_MESSAGE_KEY_BYTE: u8 = 0x03;
/// HMAC input byte for the next group chain key (group `KDF_CK`).
pub const GROUP_CHAIN_KEY_BYTE: u8 = 0x04;
/// Prefix of the seed of Ed25519 batch-verification weights.
pub const ED25519_BATCH: &[u8] = b"qorgan/v1/ed25519-batch";
/// Prefix of the owner hash of sealed group state (docs/PROTOCOL.md §7.1).
pub const SEALED_GROUP_OWNER: &[u8] = b"qorgan/v2/sealed-group-owner";
/// Signature by a device identity over a prekey upload (docs/PROTOCOL.md §4.10).
pub const PREKEY_UPLOAD: &[u8] = b"qorgan/v1/prekey-upload";
/// Signature by an account key over a device list (§14.1).
pub const DEVICE_LIST: &[u8] = b"qorgan/v1/device-list";
/// Prefix of a device list's hash (its head, §14.2).
pub const DEVICE_LIST_HASH: &[u8] = b"qorgan/v1/device-list-hash";
/// HKDF info of the key of sealed values (§7.5).
pub const SEALED_VALUE: &[u8] = b"qorgan/v1/sealed-value";
/// HKDF info of the key of keyed names (§7.5).
pub const SEALED_INDEX: &[u8] = b"qorgan/v1/sealed-index";
/// Signature by an admin's account key over a group roster (§15.1).
pub const ROSTER: &[u8] = b"qorgan/v1/roster";
/// Prefix of a roster's hash (its head, §15.2).
pub const ROSTER_HASH: &[u8] = b"qorgan/v1/roster-hash";
/// Signature by an issuer over a statement or certificate (§16.1).
pub const STATEMENT: &[u8] = b"qorgan/v1/statement";
/// Signature by an issuer over a revocation list (§16.3).
pub const REVOCATION_LIST: &[u8] = b"qorgan/v1/revocation-list";
/// HKDF info prefix of a provisioning message key (§14.4).
pub const PROVISIONING: &[u8] = b"qorgan/v1/provisioning";
/// Prefix of the per-account fingerprint hash (account safety numbers).
pub const ACCOUNT_FINGERPRINT: &[u8] = b"qorgan/v1/account-fingerprint";
/// Prefix of the per-party fingerprint hash.
pub const FINGERPRINT: &[u8] = b"qorgan/v1/fingerprint";
/// The 32 bytes of 0xFF that open the handshake IKM (as in X3DH/PQXDH, so the
/// IKM never starts like an X25519 output of another protocol).
pub const HANDSHAKE_IKM_PREFIX: [u8; 32] = [0xFF; 32];
/// The AEAD nonce of version 1 1:1 messages, which carried none (read only:
/// `encrypt` writes version 2, whose messages carry a random nonce).
pub const MESSAGE_NONCE: [u8; 12] = [0u8; 12];
