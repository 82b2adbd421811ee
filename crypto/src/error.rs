//! One error enum per area. None of them carries key material: variants hold
//! only identifiers, counts and static descriptions, so an error can be logged.

use thiserror::Error;

/// Which signed object failed verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignedObject {
    /// The identity's Ed25519 signature over its own X25519 key.
    IdentityBinding,
    /// The signed X25519 prekey.
    SignedPreKey,
    /// The signed ML-KEM-768 prekey.
    KemPreKey,
    /// A sender-key announcement's identity signature (carried by
    /// distributions and exports too).
    SenderKeyDistribution,
    /// A sender-key announcement's proof of possession (the chain signing
    /// key's own signature over the announcement, docs/PROTOCOL.md §12.2).
    SenderKeyPossession,
    /// A group message.
    GroupMessage,
    /// A prekey upload's identity signature.
    PreKeyUpload,
    /// A device list's account signature.
    DeviceList,
    /// A group roster's admin signature.
    Roster,
    /// A statement's (certificate's) issuer signature.
    Statement,
    /// A revocation list's issuer signature.
    RevocationList,
}

impl core::fmt::Display for SignedObject {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::IdentityBinding => "identity binding",
            Self::SignedPreKey => "signed prekey",
            Self::KemPreKey => "ML-KEM prekey",
            Self::SenderKeyDistribution => "sender-key distribution",
            Self::SenderKeyPossession => "sender-key proof of possession",
            Self::GroupMessage => "group message",
            Self::PreKeyUpload => "prekey upload",
            Self::DeviceList => "device list",
            Self::Roster => "group roster",
            Self::Statement => "statement",
            Self::RevocationList => "revocation list",
        })
    }
}

/// Malformed bytes: wire messages, bundles, keys and state blobs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended before the structure was complete.
    #[error("input truncated: needed {needed} more bytes")]
    Truncated {
        /// How many more bytes the decoder needed.
        needed: usize,
    },
    /// Bytes were left over after a complete structure.
    #[error("{0} unexpected trailing bytes")]
    TrailingBytes(usize),
    /// The version byte names a version this build does not know.
    #[error("unsupported version {0}")]
    UnsupportedVersion(u8),
    /// The type byte is not one this decoder accepts.
    #[error("unexpected type byte {0:#04x}")]
    UnexpectedType(u8),
    /// A field holds a value outside its allowed range.
    #[error("invalid field: {0}")]
    InvalidField(&'static str),
    /// A public key is not a valid encoding.
    #[error("invalid key encoding: {0}")]
    InvalidKey(&'static str),
    /// A length prefix exceeds the limit for its field.
    #[error("length {len} exceeds limit {limit} for {field}")]
    TooLong {
        /// The field whose length was claimed.
        field: &'static str,
        /// The claimed length.
        len: usize,
        /// The documented limit.
        limit: usize,
    },
}

/// A signature or key binding that did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    /// The named object's signature is invalid.
    #[error("invalid signature on {0}")]
    Invalid(SignedObject),
}

/// Errors while decoding and verifying a signed public object: an identity
/// key, a prekey bundle, a sender-key distribution.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The bytes are malformed.
    #[error("malformed: {0}")]
    Decode(#[from] DecodeError),
    /// A signature does not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A device list does not directly follow the head it was checked
    /// against, or is another account's (docs/PROTOCOL.md §14.8).
    #[error("device list version {version} does not follow version {previous_version}")]
    NotSuccessor {
        /// The list's version.
        version: u64,
        /// The version of the head it was checked against.
        previous_version: u64,
    },
    /// A roster does not directly follow the roster it was checked against
    /// (epoch one more, previous hash equal), or is another group's
    /// (docs/PROTOCOL.md §15.6).
    #[error("roster epoch {epoch} does not follow epoch {previous_epoch}")]
    RosterNotSuccessor {
        /// The roster's epoch.
        epoch: u64,
        /// The epoch of the roster it was checked against.
        previous_epoch: u64,
    },
    /// A roster is signed by an account that is not an admin of the roster
    /// it follows (of itself, for epoch 1): the server (or a plain member)
    /// changed the group (docs/PROTOCOL.md §15.1).
    #[error("roster signed by an account that is not an admin")]
    SignerNotAdmin,
    /// A statement or certificate chain is well formed and well signed but
    /// must not be believed (docs/PROTOCOL.md §16.4).
    #[error(transparent)]
    Certificate(#[from] CertificateError),
}

/// Errors while running the hybrid handshake, on either side.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HandshakeError {
    /// The peer's bundle or the initiator's identity did not verify, or the
    /// prekey message is malformed.
    #[error("rejected: {0}")]
    Verify(#[from] VerifyError),
    /// The message names a signed prekey this store does not hold.
    #[error("unknown signed prekey id {0}")]
    UnknownSignedPreKey(u32),
    /// The message names an ML-KEM prekey this store does not hold (or already consumed).
    #[error("unknown or consumed ML-KEM prekey id {0}")]
    UnknownKemPreKey(u32),
    /// The message names a one-time prekey this store does not hold (or already consumed).
    #[error("unknown or consumed one-time prekey id {0}")]
    UnknownOneTimePreKey(u32),
    /// An X25519 exchange produced the all-zero output (a low-order point).
    #[error("non-contributory X25519 key")]
    NonContributory,
    /// The message names a signed prekey retired longer ago than
    /// `MAX_RETIRED_PREKEY_AGE_SECS`.
    #[error("signed prekey {0} retired past its maximum age")]
    ExpiredSignedPreKey(u32),
    /// The message names a last-resort ML-KEM prekey retired longer ago than
    /// `MAX_RETIRED_PREKEY_AGE_SECS`.
    #[error("last-resort ML-KEM prekey {0} retired past its maximum age")]
    ExpiredKemPreKey(u32),
    /// A handshake without one-time keys whose ephemeral key was already seen.
    #[error("replayed handshake")]
    Replay,
    /// The signed prekey named by a handshake without one-time prekeys has
    /// admitted `MAX_REMEMBERED_HANDSHAKES` such handshakes: rotate the
    /// signed prekey (and publish new bundles) to accept more. Refusing,
    /// rather than forgetting the oldest, keeps every replay detectable.
    #[error("replay record of signed prekey {signed_prekey_id} is full: rotate the signed prekey")]
    ReplayRecordFull {
        /// The signed prekey whose record is full.
        signed_prekey_id: u32,
    },
    /// The message is not an initial (prekey) message.
    #[error("not a prekey message")]
    NotPreKeyMessage,
    /// The first message inside the handshake failed to decrypt (including a
    /// non-contributory ratchet key: `Decrypt(NonContributory)`).
    #[error("first message rejected: {0}")]
    Decrypt(#[from] DecryptError),
}

/// Errors from encrypting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncryptError {
    /// The sending chain reached its documented length limit; the peer must reply first.
    #[error("sending chain exhausted after {0} messages; a reply is needed before sending more")]
    ChainExhausted(u32),
    /// The peer's ratchet key gives a non-contributory exchange.
    #[error("non-contributory X25519 key")]
    NonContributory,
    /// The group's rotation policy requires a new chain before sending.
    #[error("sender-key rotation required: {0}")]
    RotationRequired(crate::group::RotationReason),
    /// The plaintext exceeds the documented maximum.
    #[error("plaintext of {len} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Plaintext length.
        len: usize,
        /// The documented limit.
        limit: usize,
    },
    /// The chain is bound to a group roster: distribute it with
    /// `distribute_in_roster`, which sends only to members' devices.
    #[error("chain bound to a roster: use distribute_in_roster")]
    RosterRequired,
}

/// Errors from decrypting. The session is unchanged whenever one is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecryptError {
    /// The message bytes are malformed.
    #[error("malformed message: {0}")]
    Decode(#[from] DecodeError),
    /// The ciphertext or its header was modified, or it belongs to another session.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The message was already decrypted, or its key was evicted by
    /// [`MAX_STORED_SKIPPED_KEYS`](crate::limits::MAX_STORED_SKIPPED_KEYS).
    /// (A message whose whole chain was dropped by
    /// [`MAX_RECEIVING_CHAINS`](crate::limits::MAX_RECEIVING_CHAINS) can no
    /// longer be told apart from a forgery and fails authentication.)
    #[error("duplicate or expired message (chain index {index})")]
    Duplicate {
        /// The message's index in its chain.
        index: u32,
    },
    /// The message would need more skipped keys than the documented limit.
    #[error("message too far ahead: {gap} skipped keys needed, limit {limit}")]
    TooFarAhead {
        /// Keys that would have to be skipped.
        gap: u64,
        /// The documented limit.
        limit: u32,
    },
    /// The message's ratchet key gives a non-contributory exchange.
    #[error("non-contributory X25519 key")]
    NonContributory,
    /// A new ratchet key arrived where the protocol does not allow one.
    #[error("unexpected ratchet key")]
    UnexpectedRatchetKey,
    /// A prekey message that belongs to a different handshake than this session's.
    #[error("prekey message belongs to another session")]
    SessionMismatch,
    /// A group message from an iteration before this session's first one.
    #[error("message iteration {iteration} precedes the first known iteration {first}")]
    BeforeFirstIteration {
        /// The message's iteration.
        iteration: u32,
        /// The session's first decryptable iteration.
        first: u32,
    },
    /// A group message whose chain id does not match the session.
    #[error("group message for chain {got:#010x}, session holds {expected:#010x}")]
    WrongChain {
        /// The chain id the session holds.
        expected: u32,
        /// The chain id in the message.
        got: u32,
    },
    /// A group message signed by its sender whose key commitment is not the
    /// one of the key this session derives for its iteration: the session
    /// holds another chain key than the one the sender used (a wrong
    /// export, or a sender that gave members different keys).
    #[error(
        "key commitment mismatch at iteration {iteration}: this copy of the chain holds another key than the sender used"
    )]
    KeyCommitmentMismatch {
        /// The message's iteration.
        iteration: u32,
    },
    /// A group message whose signature is invalid.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The chain is bound to a group roster: decrypt through the rostered
    /// call, which checks the sender is still a member (docs/PROTOCOL.md
    /// §15.5).
    #[error("chain bound to a roster: use the rostered call")]
    RosterRequired,
}

/// Errors of the group protocol outside encrypt and decrypt.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GroupError {
    /// A distribution, announcement or export did not decode or verify.
    #[error("rejected: {0}")]
    Verify(#[from] VerifyError),
    /// The distribution was signed by another identity than the device it
    /// came from.
    #[error("distribution signed by an identity other than its sender's")]
    UntrustedSender,
    /// Two sessions that are not copies of the same chain.
    #[error("sessions belong to different chains")]
    ChainMismatch,
    /// A distribution or chain for another group.
    #[error("distribution is for another group")]
    GroupMismatch,
    /// An export was asked for an iteration the session can no longer derive.
    #[error("cannot export at iteration {requested}: the session starts at {available}")]
    IterationUnavailable {
        /// The iteration asked for.
        requested: u32,
        /// The earliest iteration the session can export.
        available: u32,
    },
    /// An export too far ahead of the session's position.
    #[error("cannot export {ahead} iterations ahead (limit {limit})")]
    TooFarAhead {
        /// How far ahead the export was asked for.
        ahead: u64,
        /// The documented limit.
        limit: u32,
    },
    /// Two copies of one chain whose keys disagree (stepped to the same
    /// iteration, their chain or message keys differ): one of them was not
    /// the sender's. The copy already held is kept.
    #[error("conflicting chain keys for chain {chain_id:#010x}")]
    ConflictingChainKey {
        /// The chain.
        chain_id: u32,
    },
    /// A second chain announced with a rotation number the ring already
    /// holds under another chain id: the sender announced two chains as
    /// one rotation (equivocation, or a sender state rolled back).
    #[error("a different chain with rotation number {rotation} is already held")]
    ConflictingRotation {
        /// The rotation number.
        rotation: u32,
    },
    /// A merge whose result would hold more unread message keys than
    /// `MAX_GROUP_SKIPPED_KEYS` (a copy far ahead of the one held): refused
    /// rather than evicting keys of messages not yet read.
    #[error("merge would keep {keys} unread message keys (limit {limit})")]
    TooManySkippedKeys {
        /// Keys the merge would have to keep (at least).
        keys: usize,
        /// The documented limit.
        limit: usize,
    },
    /// The message did not decrypt.
    #[error("decrypt failed: {0}")]
    Decrypt(#[from] DecryptError),
    /// The roster refuses the chain (docs/PROTOCOL.md §15.5).
    #[error("roster: {0}")]
    Roster(#[from] RosterError),
    /// A chain older than every chain of a full ring: it was (or would at
    /// once be) retired, and a retired chain is never taken back.
    #[error("chain with rotation {rotation} is older than the oldest kept ({oldest})")]
    RetiredChain {
        /// The refused chain's rotation number.
        rotation: u32,
        /// The oldest rotation the ring keeps.
        oldest: u32,
    },
}

/// A device list version and hash (the head of an account's list chain),
/// as errors report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The list version.
    pub version: u64,
    /// SHA-256 of the list (docs/PROTOCOL.md §14.2).
    pub hash: [u8; 32],
}

/// Errors of accounts, device lists, contacts and linking (§14).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AccountError {
    /// The bytes or signatures did not verify.
    #[error("rejected: {0}")]
    Verify(#[from] VerifyError),
    /// The list is signed by another account than the pinned one.
    #[error("device list of another account")]
    WrongAccount,
    /// A list older than the one held: the server replays an old list
    /// (to bring back a removed device, or hide a new one).
    #[error("device list version {offered} is older than the held version {held}")]
    RolledBack {
        /// Version held.
        held: u64,
        /// Version offered.
        offered: u64,
    },
    /// Two different lists claim one place in the chain (same version, or a
    /// list that does not follow the held one): the server shows different
    /// lists to different people. The app must show this to the user.
    #[error("device list fork at version {}", .seen.version)]
    Fork {
        /// What this device holds.
        held: Head,
        /// The conflicting list (or the one that does not chain).
        seen: Head,
    },
    /// Lists between the held one and the offered one are missing: fetch
    /// them and update with the whole chain.
    #[error("device lists {from}..{to} missing")]
    Gap {
        /// First missing version.
        from: u64,
        /// Version offered.
        to: u64,
    },
    /// A device list must hold between 1 and `MAX_DEVICES_PER_ACCOUNT`
    /// distinct devices with labels of at most `MAX_DEVICE_LABEL_LEN` bytes.
    #[error("invalid device list: {0}")]
    InvalidList(&'static str),
    /// The provisioning message does not open under this link request (not
    /// for this device, modified, or replayed to another request).
    #[error("provisioning message refused")]
    ProvisioningFailed,
    /// The link code (QR payload) is malformed.
    #[error("invalid link code: {0}")]
    InvalidLinkCode(&'static str),
    /// Linking and removing devices needs the account key, which this
    /// device was not given.
    #[error("this device does not hold the account key")]
    NoAccountKey,
    /// A message came from a device that is not in its account's newest
    /// verified list (a device the server slipped in, or one removed).
    #[error("device not in its account's device list")]
    DeviceNotListed,
    /// The message names another account as its recipient: meant for
    /// another conversation (any account can list any device), never to be
    /// shown in this one.
    #[error("message addressed to another account")]
    Misaddressed,
}

/// Errors of group rosters (docs/PROTOCOL.md §15).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RosterError {
    /// The bytes or signatures did not verify, or the signer is not an
    /// admin.
    #[error("rejected: {0}")]
    Verify(#[from] VerifyError),
    /// A roster must list 1 to `MAX_ROSTER_MEMBERS` distinct accounts, at
    /// least one of them an admin.
    #[error("invalid roster: {0}")]
    InvalidRoster(&'static str),
    /// A roster, announcement or change of another group.
    #[error("roster or chain of another group")]
    WrongGroup,
    /// A roster older than the one held: the server replays an old roster
    /// (to bring back a removed member).
    #[error("roster epoch {offered} is older than the held epoch {held}")]
    RolledBack {
        /// Epoch held.
        held: u64,
        /// Epoch offered.
        offered: u64,
    },
    /// Two different rosters claim one epoch: the server shows different
    /// members to different people. The app must show this to the user.
    #[error("roster fork at epoch {}", .seen.version)]
    Fork {
        /// What this device holds.
        held: Head,
        /// The conflicting roster (or the one a chain was announced under).
        seen: Head,
    },
    /// Rosters between the held one and the offered one are missing: fetch
    /// them and update with the whole chain.
    #[error("rosters {from}..{to} missing")]
    Gap {
        /// First missing epoch.
        from: u64,
        /// Epoch offered.
        to: u64,
    },
    /// The chain was announced under a newer roster than the one held:
    /// fetch the rosters up to it, update, and try again.
    #[error("chain announced at roster epoch {announced}, newer than the held {held}")]
    RosterBehind {
        /// Epoch held.
        held: u64,
        /// Epoch of the announcement.
        announced: u64,
    },
    /// The chain was announced under an older roster than the one held: the
    /// sender must rotate (every roster change forces a new chain).
    #[error("chain announced at roster epoch {announced}, older than the held {held}")]
    StaleChain {
        /// Epoch held.
        held: u64,
        /// Epoch of the announcement.
        announced: u64,
    },
    /// The sending device is not in a verified device list of a member.
    #[error("sender is not a device of a roster member")]
    SenderNotMember,
    /// This device's account is not in the roster: it must not hold the
    /// group's keys.
    #[error("this account is not a member of the roster")]
    NotMember,
    /// A rostered chain offered to an API without a roster (or the
    /// reverse): use the roster-checking call.
    #[error("chain and roster do not match: use the rostered call")]
    RosterMismatch,
    /// Signing a roster needs an admin's account key.
    #[error("only an admin can change the roster")]
    NotAdmin,
}

/// Why a well-formed, well-signed statement or certificate chain is not
/// believed (docs/PROTOCOL.md §16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CertificateError {
    /// A field breaks the statement rules (claims order, lengths, dates).
    #[error("invalid statement: {0}")]
    InvalidStatement(&'static str),
    /// The chain does not start at a trusted organisation key (for example
    /// another organisation's key, or a key the server made).
    #[error("issuer is not a trusted organisation")]
    UnknownIssuer,
    /// The chain is not anchor → \[intermediate\] → certificate.
    #[error("invalid certificate chain: {0}")]
    InvalidChain(&'static str),
    /// A statement of the chain is not valid yet.
    #[error("statement {serial} is valid only from {valid_from}")]
    NotYetValid {
        /// The statement's serial.
        serial: u64,
        /// Its first valid second.
        valid_from: u64,
    },
    /// A statement of the chain has expired.
    #[error("statement {serial} expired at {valid_until}")]
    Expired {
        /// The statement's serial.
        serial: u64,
        /// Its first invalid second.
        valid_until: u64,
    },
    /// A statement of the chain is on its issuer's revocation list.
    #[error("statement {serial} is revoked")]
    Revoked {
        /// The statement's serial.
        serial: u64,
    },
    /// The certificate is for another account than the one it is shown for.
    #[error("certificate for another subject")]
    WrongSubject,
    /// The QR text is malformed (prefix, alphabet, length).
    #[error("invalid statement text: {0}")]
    InvalidText(&'static str),
}

/// Why one device of a fan-out got nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FanoutError {
    /// The device is listed but there is no session with it yet: fetch its
    /// bundle and start one.
    #[error("no session with this listed device")]
    NoSession,
    /// A session exists with a device that is not in the newest verified
    /// list (a device the server slipped in, or one removed): nothing was
    /// sent to it.
    #[error("device not in the account's device list: nothing sent")]
    NotListed,
    /// The device is not in a verified device list of a member of the
    /// group's roster: nothing was sent to it.
    #[error("device not of a roster member: nothing sent")]
    NotInRoster,
    /// The session refused to encrypt.
    #[error("encrypt failed: {0}")]
    Encrypt(#[from] EncryptError),
}

/// Errors when loading stored state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StateError {
    /// The plaintext state is malformed.
    #[error("corrupt state: {0}")]
    Decode(#[from] DecodeError),
    /// The sealed blob failed authentication: wrong key, or modified bytes.
    #[error("sealed state failed authentication")]
    AuthenticationFailed,
    /// The blob holds another kind of object than the one asked for.
    #[error("state holds object kind {found:#04x}, expected {expected:#04x}")]
    WrongKind {
        /// The kind byte expected.
        expected: u8,
        /// The kind byte found.
        found: u8,
    },
    /// The blob belongs to another object than the one expected (another
    /// session, device or group member): it was swapped.
    #[error("sealed state belongs to another object than the one expected")]
    WrongOwner,
    /// The blob was sealed before the generation the caller has already
    /// seen: an older copy (a restored backup, a second process) was put
    /// in place of the current one.
    #[error("sealed state is generation {found}, older than the expected {min_generation}")]
    RolledBack {
        /// The lowest generation the caller accepts.
        min_generation: u64,
        /// The generation of the blob.
        found: u64,
    },
}

/// The operating system's random number generator failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("operating system randomness unavailable")]
pub struct RngError;
