//! The one error type apps see. Each variant is something an app branches
//! on; messages are readable and never contain key material.

use qorgan::{
    AccountError, CertificateError, DecodeError, DecryptError, EncryptError, FanoutError,
    GroupError, HandshakeError, RosterError, SignatureError, StateError, VerifyError,
};

use crate::account::ListHead;
use crate::integer::{from_id, from_u32, from_u64, from_usize};
use crate::roster::RosterHead;

/// Every failure of the qorgan API, mapped once from the crate's typed errors.
///
/// Its readable text (the `Display` below) is what Kotlin's `message` and
/// `toString()`, Swift's `errorDescription` and `description`, and
/// Python's `str(e)` show; the fields carry the details to branch on.
#[derive(Debug, Clone, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum QorganError {
    /// Bytes that are not a valid message, bundle, key or distribution.
    #[error("malformed input: {reason}")]
    Malformed {
        /// What was wrong.
        reason: String,
    },
    /// A signature did not verify (`what`: identity binding, signed prekey,
    /// ML-KEM prekey, prekey upload (the identity's signature over a whole
    /// upload), sender-key distribution (the identity's signature on a
    /// chain's announcement), sender-key proof of possession (the chain
    /// signing key's own signature on it), group message).
    #[error("bad signature on {what}")]
    BadSignature {
        /// Which signed object failed.
        what: String,
    },
    /// The message was modified, or belongs to another session.
    #[error("message authentication failed")]
    AuthenticationFailed,
    /// Already decrypted (or its key expired under the documented limits).
    #[error("duplicate or expired message (index {index})")]
    Duplicate {
        /// The message's index in its chain.
        index: i64,
    },
    /// The message would skip more keys than the documented limit.
    #[error("message too far ahead: {gap} keys skipped, limit {limit}")]
    TooFarAhead {
        /// Keys that would be skipped.
        gap: i64,
        /// The limit.
        limit: i64,
    },
    /// A distribution from an identity other than the session's peer, or a
    /// prekey message that does not belong to this session.
    #[error("untrusted identity: {reason}")]
    UntrustedIdentity {
        /// What did not match.
        reason: String,
    },
    /// A handshake naming a prekey this device does not hold (never issued,
    /// rotated out and deleted, or a one-time prekey already used or
    /// dropped to make room for new ones).
    #[error("unknown or consumed {what} {id}")]
    UnknownPreKey {
        /// Which kind of prekey: "signed prekey", "ML-KEM prekey" (a
        /// one-time or last-resort one) or "one-time prekey" (X25519).
        what: String,
        /// The prekey id.
        id: i64,
    },
    /// A handshake naming a signed or last-resort ML-KEM prekey (`what`)
    /// retired longer ago than the documented maximum age (28 days): the
    /// initiator used a bundle fetched long ago. This device deleted (or
    /// will delete) that key; the initiator must fetch a new bundle.
    #[error("{what} {id} retired past its maximum age")]
    PreKeyExpired {
        /// Which kind of prekey: "signed prekey" or "last-resort ML-KEM prekey".
        what: String,
        /// The prekey id.
        id: i64,
    },
    /// A handshake without one-time prekey that was already accepted.
    #[error("replayed handshake")]
    Replay,
    /// A key agreement with a low-order (all-zero) result.
    #[error("non-contributory key")]
    NonContributory,
    /// The group chain must be rotated first (a member was removed, or the
    /// message limit was reached).
    #[error("rotation required: {reason}")]
    RotationRequired {
        /// Why.
        reason: String,
    },
    /// The chain cannot carry more messages until the peer replies.
    #[error("chain exhausted")]
    ChainExhausted,
    /// A group message for another chain than the receiver holds.
    #[error(
        "group message for chain {chain_id:#010x}, this receiver holds chain {held_chain_id:#010x}"
    )]
    WrongChain {
        /// The chain id the message names.
        chain_id: i64,
        /// The chain id the receiver holds.
        held_chain_id: i64,
    },
    /// A group message from before the receiver's first iteration (or an
    /// export asked for an iteration the receiver no longer holds).
    #[error("group message iteration {iteration} precedes this member's first iteration {first}")]
    BeforeFirstIteration {
        /// The message's (or the export's) iteration.
        iteration: i64,
        /// The first iteration the receiver holds.
        first: i64,
    },
    /// A distribution for another group, or a chain that is not a copy of
    /// the one it is merged with.
    #[error("wrong group: {reason}")]
    WrongGroup {
        /// What did not match.
        reason: String,
    },
    /// A group message, signed by its sender, whose key commitment differs
    /// from the key this receiver derives for it: the receiver holds another
    /// chain key than the sender used (a wrong export, or a sender that gave
    /// members different keys).
    #[error(
        "key commitment mismatch at iteration {iteration}: this receiver holds another chain key than the sender used"
    )]
    KeyCommitmentMismatch {
        /// The message's iteration.
        iteration: i64,
    },
    /// Two copies of one chain whose keys disagree (a distribution or
    /// export that is not the sender's): the copy already held is kept.
    #[error("conflicting chain keys for chain {chain_id:#010x}")]
    ConflictingChainKey {
        /// The chain id.
        chain_id: i64,
    },
    /// A second chain of the same sender announced with a rotation number
    /// already held (equivocation, or a sender whose state was rolled back).
    #[error("a different chain with rotation number {rotation} is already held")]
    ConflictingRotation {
        /// The rotation number.
        rotation: i64,
    },
    /// A chain older than every chain the receiver keeps: retired chains are
    /// never taken back.
    #[error("chain with rotation {rotation} is older than the oldest kept ({oldest})")]
    RetiredChain {
        /// The refused chain's rotation number.
        rotation: i64,
        /// The oldest rotation the receiver keeps.
        oldest: i64,
    },
    /// Stored state that is malformed, sealed under another key, or of
    /// another kind of object than the one opened.
    #[error("corrupt state: {reason}")]
    CorruptState {
        /// What was wrong.
        reason: String,
    },
    /// Authentic sealed state of another object than the one `open` was
    /// asked for (another session, device, group or sender): two stored
    /// blobs were swapped. Nothing was opened.
    #[error("sealed state belongs to another object than the one expected")]
    WrongOwner,
    /// Authentic sealed state of the expected object, but older than the
    /// generation the caller recorded (`min_generation`): a restored backup
    /// or another process's stale copy. Nothing was opened.
    #[error("sealed state is generation {found}, older than the expected {min_generation}")]
    RolledBack {
        /// The lowest generation the caller accepted.
        min_generation: i64,
        /// The generation of the blob.
        found: i64,
    },
    /// A device list that does not directly follow the head it was checked
    /// against (`verify_device_list_after`, `VerifyItem.DeviceListAfter`):
    /// not version `previous_version + 1`, not naming the held list's hash
    /// as its previous one, or another account's list. The server keeps
    /// the list it holds.
    #[error("device list version {version} does not follow version {previous_version}")]
    NotSuccessor {
        /// The offered list's version.
        version: i64,
        /// The version of the head it was checked against.
        previous_version: i64,
    },
    /// A device list signed by another account than the one pinned (or
    /// than this device's own): the server offered someone else's list,
    /// or a list it made itself. Nothing changed.
    #[error("device list of another account")]
    WrongAccount,
    /// A device list older than the one held: the server replays an old
    /// list (to bring back a removed device, or to hide a new one).
    /// Nothing changed; keep the held list.
    #[error("device list version {offered} is older than the held version {held}")]
    ListRolledBack {
        /// Version held.
        held: i64,
        /// Version offered.
        offered: i64,
    },
    /// Two different lists claim one place in an account's list chain (the
    /// same version, or a list that does not follow the held one), both
    /// signed by the account key: two devices holding it changed the list
    /// at once, or it was stolen; the server chose which one each person
    /// sees. Nothing changed. The app must show this to the user.
    #[error("device list fork at version {}", .seen.version)]
    Fork {
        /// The list this device holds.
        held: ListHead,
        /// The conflicting one (or the place in the chain the offered list
        /// claims).
        seen: ListHead,
    },
    /// Lists between the held one and the offered one are missing: fetch
    /// versions `first_missing` to `offered` and update with the whole
    /// chain. Nothing changed.
    #[error("device lists {first_missing}..{offered} missing")]
    Gap {
        /// First missing version.
        first_missing: i64,
        /// Version offered.
        offered: i64,
    },
    /// A device list that breaks the rules (no devices, more than 32, a
    /// label over 64 bytes, a device listed twice), or a change that would
    /// make one (adding a device already listed, removing one that is not,
    /// more contacts than a provisioning message carries).
    #[error("invalid device list: {reason}")]
    InvalidList {
        /// What was wrong.
        reason: String,
    },
    /// A provisioning message that does not open under this link request:
    /// made for another request, modified, or already used. The request
    /// stays usable for the right message.
    #[error("provisioning message refused")]
    ProvisioningFailed,
    /// A link code (the QR payload) that is not one.
    #[error("invalid link code: {reason}")]
    InvalidLinkCode {
        /// What was wrong.
        reason: String,
    },
    /// Linking and removing devices needs the account key, which this
    /// device was not given when it was linked.
    #[error("this device does not hold the account key")]
    NoAccountKey,
    /// A message from a device that is in neither the contact's nor this
    /// account's newest verified list: a device the server slipped in, or
    /// one removed. Drop the message.
    #[error("device not in its account's device list")]
    DeviceNotListed,
    /// A message whose account envelope names another account than this
    /// conversation's (`receive`): a device can be listed by several
    /// accounts, and this message was meant for another conversation.
    /// Never show it in this one.
    #[error("message addressed to another account")]
    Misaddressed,
    /// Fan-out only (`Delivery.error`): a session with a device that is in
    /// no verified list. Nothing was encrypted for it.
    #[error("device not in the account's device list: nothing sent")]
    NotListed,
    /// A device without a session: fetch its bundle, start a session
    /// (`StoreAccount.start_session`) and send again to it. Fan-out
    /// reports it per device (`Delivery.error`).
    #[error("no session with this device")]
    NoSession,
    /// A roster that breaks the rules (no member, no admin, more than the
    /// member limit, an account listed twice), or a change that would make
    /// one (removing an account that is not a member).
    #[error("invalid roster: {reason}")]
    InvalidRoster {
        /// What was wrong.
        reason: String,
    },
    /// A roster older than the one held: the server replays an old roster
    /// (to bring back a removed member). Nothing changed; keep the held
    /// roster.
    #[error("roster epoch {offered} is older than the held epoch {held}")]
    RosterRolledBack {
        /// Epoch held.
        held: i64,
        /// Epoch offered.
        offered: i64,
    },
    /// Two different rosters claim one epoch of a group, both signed by an
    /// admin (two admins changed the group at once, or an admin's account
    /// key was stolen), or a chain was announced under another roster of
    /// the held epoch: the server shows different members to different
    /// people. Nothing changed. The app must show this to the user.
    #[error("roster fork at epoch {}", .seen.epoch)]
    RosterFork {
        /// The roster this device holds.
        held: RosterHead,
        /// The conflicting one.
        seen: RosterHead,
    },
    /// Rosters between the held one and the offered one are missing: fetch
    /// epochs `first_missing` to `offered` and advance with the whole
    /// chain. Nothing changed.
    #[error("rosters {first_missing}..{offered} missing")]
    RosterGap {
        /// First missing epoch.
        first_missing: i64,
        /// Epoch offered.
        offered: i64,
    },
    /// A chain announced under a newer roster than the one held: fetch the
    /// rosters up to `announced`, `advance`, and take the chain again.
    #[error("chain announced at roster epoch {announced}, newer than the held {held}")]
    RosterBehind {
        /// Epoch held.
        held: i64,
        /// Epoch of the announcement.
        announced: i64,
    },
    /// A chain announced under an older roster than the one held: the
    /// sender has not rotated since the roster changed. Wait for its next
    /// chain (every roster change forces one).
    #[error("chain announced at roster epoch {announced}, older than the held {held}")]
    StaleChain {
        /// Epoch held.
        held: i64,
        /// Epoch of the announcement.
        announced: i64,
    },
    /// A chain sent by a device that is not in the verified device list of
    /// a roster member (a device the server enrolled, a removed member's,
    /// or a list of another account). Refused.
    #[error("sender is not a device of a roster member")]
    SenderNotMember,
    /// This device's account is not in the roster: it must not hold the
    /// group's keys (it was removed, or never added).
    #[error("this account is not a member of the roster")]
    NotMember,
    /// A rostered chain given to a call without a roster, or a chain
    /// without a roster given to a rostered call (`GroupReceiver.new` for
    /// a rostered group, `apply_roster` on a group created without one):
    /// use the matching call.
    #[error("chain and roster do not match: use the rostered call")]
    RosterMismatch,
    /// Changing a roster needs the account key of one of its admins: this
    /// account is not an admin (or, creating one, is not listed as one).
    #[error("only an admin can change the roster")]
    NotAdmin,
    /// A roster signed by an account that is not an admin of the roster it
    /// follows (of itself, for epoch 1): the server, or a plain member,
    /// tried to change the group. Refused; keep the held roster.
    #[error("roster signed by an account that is not an admin")]
    SignerNotAdmin,
    /// A roster that does not directly follow the roster it was checked
    /// against (`verify_roster_after`, `VerifyItem.RosterAfter`): not
    /// epoch `previous_epoch + 1`, not naming the held roster's hash, or
    /// another group's. The server keeps the roster it holds.
    #[error("roster epoch {epoch} does not follow epoch {previous_epoch}")]
    RosterNotSuccessor {
        /// The offered roster's epoch.
        epoch: i64,
        /// The epoch of the roster it was checked against.
        previous_epoch: i64,
    },
    /// Distribution only (`FanoutResult.error`): a session with a device
    /// that is in no verified device list of a roster member. Nothing was
    /// encrypted for it.
    #[error("device not of a roster member: nothing sent")]
    NotInRoster,
    /// A statement, certificate or revocation list that breaks the rules
    /// (a claim too long or twice, an empty validity period, a certificate
    /// without its required claim or with a subject that is not a key).
    #[error("invalid statement: {reason}")]
    InvalidStatement {
        /// What was wrong.
        reason: String,
    },
    /// The certificate chain does not start at a trusted organisation key
    /// (another organisation's, or a key the server or an impostor made).
    /// Show nothing: not "unverified", just no label.
    #[error("issuer is not a trusted organisation")]
    UnknownIssuer,
    /// A presentation that is not anchor, then at most one intermediate, then the leaf.
    #[error("invalid certificate chain: {reason}")]
    InvalidChain {
        /// What was wrong.
        reason: String,
    },
    /// A statement of the chain is not valid yet at the time given.
    #[error("statement {serial} is valid only from {valid_from}")]
    NotYetValid {
        /// The statement's serial.
        serial: i64,
        /// Its first valid second.
        valid_from: i64,
    },
    /// A statement of the chain has expired at the time given.
    #[error("statement {serial} expired at {valid_until}")]
    Expired {
        /// The statement's serial.
        serial: i64,
        /// Its first invalid second.
        valid_until: i64,
    },
    /// A statement of the chain is on its issuer's revocation list.
    #[error("statement {serial} is revoked")]
    Revoked {
        /// The statement's serial.
        serial: i64,
    },
    /// The certificate is genuine but for another account than the one it
    /// is shown for (`verify_account`), or not an account certificate.
    #[error("certificate for another subject")]
    WrongSubject,
    /// A QR text that is not a presentation's (prefix `QG1:`, the base45
    /// alphabet, its length).
    #[error("invalid statement text: {reason}")]
    InvalidText {
        /// What was wrong.
        reason: String,
    },
    /// The storage key does not open this store (its check value does not
    /// authenticate): another key, not a damaged file. Nothing was changed.
    #[error("wrong storage key for this store")]
    WrongStorageKey,
    /// The file is not a qorgan store, or a value in it does not
    /// authenticate or decode under the right key (a damaged file, or rows
    /// moved between slots).
    #[error("store is corrupt: {reason}")]
    CorruptStore {
        /// What was wrong.
        reason: String,
    },
    /// The store file was written by a newer library: update the app
    /// (the file is left as it is).
    #[error("store schema version {found} is newer than this library's {supported}")]
    NewerVersion {
        /// The file's schema version.
        found: i64,
        /// The newest this library reads.
        supported: i64,
    },
    /// The store's counter is below the copy the app keeps in its keystore
    /// (the anchor): an older copy of the file was put back (a backup,
    /// a restored image). `StoreAccount.open_rolled_back` opens it anyway,
    /// resetting every session.
    #[error("store was rolled back: its counter {store} is below the anchor {anchor}")]
    StoreRolledBack {
        /// The file's counter.
        store: i64,
        /// The counter the anchor recorded.
        anchor: i64,
    },
    /// SQLite failed (I/O, a full disk, a lock held by another process for
    /// longer than the busy timeout). Nothing was changed: retry later.
    #[error("database: {reason}")]
    Database {
        /// SQLite's message.
        reason: String,
    },
    /// No outbox or inbox entry, event, group or sender chain by that name
    /// (`what` says which).
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// An argument out of range (key length, sizes).
    #[error("invalid argument: {reason}")]
    InvalidArgument {
        /// What was wrong.
        reason: String,
    },
    /// The operating system's random generator failed, or an object was
    /// poisoned.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

/// The variant of a [`QorganError`] without its details, for results that
/// report a failure per item (batches, fan-out, verification) so that apps
/// branch on a value instead of parsing a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ErrorKind {
    /// See [`QorganError::Malformed`].
    Malformed,
    /// See [`QorganError::BadSignature`].
    BadSignature,
    /// See [`QorganError::AuthenticationFailed`].
    AuthenticationFailed,
    /// See [`QorganError::Duplicate`].
    Duplicate,
    /// See [`QorganError::TooFarAhead`].
    TooFarAhead,
    /// See [`QorganError::UntrustedIdentity`].
    UntrustedIdentity,
    /// See [`QorganError::UnknownPreKey`].
    UnknownPreKey,
    /// See [`QorganError::PreKeyExpired`].
    PreKeyExpired,
    /// See [`QorganError::Replay`].
    Replay,
    /// See [`QorganError::NonContributory`].
    NonContributory,
    /// See [`QorganError::RotationRequired`].
    RotationRequired,
    /// See [`QorganError::ChainExhausted`].
    ChainExhausted,
    /// See [`QorganError::WrongChain`].
    WrongChain,
    /// See [`QorganError::BeforeFirstIteration`].
    BeforeFirstIteration,
    /// See [`QorganError::WrongGroup`].
    WrongGroup,
    /// See [`QorganError::KeyCommitmentMismatch`].
    KeyCommitmentMismatch,
    /// See [`QorganError::ConflictingChainKey`].
    ConflictingChainKey,
    /// See [`QorganError::ConflictingRotation`].
    ConflictingRotation,
    /// See [`QorganError::RetiredChain`].
    RetiredChain,
    /// See [`QorganError::CorruptState`].
    CorruptState,
    /// See [`QorganError::WrongOwner`].
    WrongOwner,
    /// See [`QorganError::RolledBack`].
    RolledBack,
    /// See [`QorganError::NotSuccessor`].
    NotSuccessor,
    /// See [`QorganError::WrongAccount`].
    WrongAccount,
    /// See [`QorganError::ListRolledBack`].
    ListRolledBack,
    /// See [`QorganError::Fork`].
    Fork,
    /// See [`QorganError::Gap`].
    Gap,
    /// See [`QorganError::InvalidList`].
    InvalidList,
    /// See [`QorganError::ProvisioningFailed`].
    ProvisioningFailed,
    /// See [`QorganError::InvalidLinkCode`].
    InvalidLinkCode,
    /// See [`QorganError::NoAccountKey`].
    NoAccountKey,
    /// See [`QorganError::DeviceNotListed`].
    DeviceNotListed,
    /// See [`QorganError::Misaddressed`].
    Misaddressed,
    /// See [`QorganError::NotListed`].
    NotListed,
    /// See [`QorganError::NoSession`].
    NoSession,
    /// See [`QorganError::InvalidRoster`].
    InvalidRoster,
    /// See [`QorganError::RosterRolledBack`].
    RosterRolledBack,
    /// See [`QorganError::RosterFork`].
    RosterFork,
    /// See [`QorganError::RosterGap`].
    RosterGap,
    /// See [`QorganError::RosterBehind`].
    RosterBehind,
    /// See [`QorganError::StaleChain`].
    StaleChain,
    /// See [`QorganError::SenderNotMember`].
    SenderNotMember,
    /// See [`QorganError::NotMember`].
    NotMember,
    /// See [`QorganError::RosterMismatch`].
    RosterMismatch,
    /// See [`QorganError::NotAdmin`].
    NotAdmin,
    /// See [`QorganError::SignerNotAdmin`].
    SignerNotAdmin,
    /// See [`QorganError::RosterNotSuccessor`].
    RosterNotSuccessor,
    /// See [`QorganError::NotInRoster`].
    NotInRoster,
    /// See [`QorganError::InvalidStatement`].
    InvalidStatement,
    /// See [`QorganError::UnknownIssuer`].
    UnknownIssuer,
    /// See [`QorganError::InvalidChain`].
    InvalidChain,
    /// See [`QorganError::NotYetValid`].
    NotYetValid,
    /// See [`QorganError::Expired`].
    Expired,
    /// See [`QorganError::Revoked`].
    Revoked,
    /// See [`QorganError::WrongSubject`].
    WrongSubject,
    /// See [`QorganError::InvalidText`].
    InvalidText,
    /// See [`QorganError::WrongStorageKey`].
    WrongStorageKey,
    /// See [`QorganError::CorruptStore`].
    CorruptStore,
    /// See [`QorganError::NewerVersion`].
    NewerVersion,
    /// See [`QorganError::StoreRolledBack`].
    StoreRolledBack,
    /// See [`QorganError::Database`].
    Database,
    /// See [`QorganError::NotFound`].
    NotFound,
    /// See [`QorganError::InvalidArgument`].
    InvalidArgument,
    /// See [`QorganError::Internal`].
    Internal,
}

/// One item's failure inside a batch result: the kind to branch on and the
/// readable message (never key material).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Failure {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The same text the thrown error would carry.
    pub message: String,
}

impl QorganError {
    /// The variant, without details.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Malformed { .. } => ErrorKind::Malformed,
            Self::BadSignature { .. } => ErrorKind::BadSignature,
            Self::AuthenticationFailed => ErrorKind::AuthenticationFailed,
            Self::Duplicate { .. } => ErrorKind::Duplicate,
            Self::TooFarAhead { .. } => ErrorKind::TooFarAhead,
            Self::UntrustedIdentity { .. } => ErrorKind::UntrustedIdentity,
            Self::UnknownPreKey { .. } => ErrorKind::UnknownPreKey,
            Self::PreKeyExpired { .. } => ErrorKind::PreKeyExpired,
            Self::Replay => ErrorKind::Replay,
            Self::NonContributory => ErrorKind::NonContributory,
            Self::RotationRequired { .. } => ErrorKind::RotationRequired,
            Self::ChainExhausted => ErrorKind::ChainExhausted,
            Self::WrongChain { .. } => ErrorKind::WrongChain,
            Self::BeforeFirstIteration { .. } => ErrorKind::BeforeFirstIteration,
            Self::WrongGroup { .. } => ErrorKind::WrongGroup,
            Self::KeyCommitmentMismatch { .. } => ErrorKind::KeyCommitmentMismatch,
            Self::ConflictingChainKey { .. } => ErrorKind::ConflictingChainKey,
            Self::ConflictingRotation { .. } => ErrorKind::ConflictingRotation,
            Self::RetiredChain { .. } => ErrorKind::RetiredChain,
            Self::CorruptState { .. } => ErrorKind::CorruptState,
            Self::WrongOwner => ErrorKind::WrongOwner,
            Self::RolledBack { .. } => ErrorKind::RolledBack,
            Self::NotSuccessor { .. } => ErrorKind::NotSuccessor,
            Self::WrongAccount => ErrorKind::WrongAccount,
            Self::ListRolledBack { .. } => ErrorKind::ListRolledBack,
            Self::Fork { .. } => ErrorKind::Fork,
            Self::Gap { .. } => ErrorKind::Gap,
            Self::InvalidList { .. } => ErrorKind::InvalidList,
            Self::ProvisioningFailed => ErrorKind::ProvisioningFailed,
            Self::InvalidLinkCode { .. } => ErrorKind::InvalidLinkCode,
            Self::NoAccountKey => ErrorKind::NoAccountKey,
            Self::DeviceNotListed => ErrorKind::DeviceNotListed,
            Self::Misaddressed => ErrorKind::Misaddressed,
            Self::NotListed => ErrorKind::NotListed,
            Self::NoSession => ErrorKind::NoSession,
            Self::InvalidRoster { .. } => ErrorKind::InvalidRoster,
            Self::RosterRolledBack { .. } => ErrorKind::RosterRolledBack,
            Self::RosterFork { .. } => ErrorKind::RosterFork,
            Self::RosterGap { .. } => ErrorKind::RosterGap,
            Self::RosterBehind { .. } => ErrorKind::RosterBehind,
            Self::StaleChain { .. } => ErrorKind::StaleChain,
            Self::SenderNotMember => ErrorKind::SenderNotMember,
            Self::NotMember => ErrorKind::NotMember,
            Self::RosterMismatch => ErrorKind::RosterMismatch,
            Self::NotAdmin => ErrorKind::NotAdmin,
            Self::SignerNotAdmin => ErrorKind::SignerNotAdmin,
            Self::RosterNotSuccessor { .. } => ErrorKind::RosterNotSuccessor,
            Self::NotInRoster => ErrorKind::NotInRoster,
            Self::InvalidStatement { .. } => ErrorKind::InvalidStatement,
            Self::UnknownIssuer => ErrorKind::UnknownIssuer,
            Self::InvalidChain { .. } => ErrorKind::InvalidChain,
            Self::NotYetValid { .. } => ErrorKind::NotYetValid,
            Self::Expired { .. } => ErrorKind::Expired,
            Self::Revoked { .. } => ErrorKind::Revoked,
            Self::WrongSubject => ErrorKind::WrongSubject,
            Self::InvalidText { .. } => ErrorKind::InvalidText,
            Self::WrongStorageKey => ErrorKind::WrongStorageKey,
            Self::CorruptStore { .. } => ErrorKind::CorruptStore,
            Self::NewerVersion { .. } => ErrorKind::NewerVersion,
            Self::StoreRolledBack { .. } => ErrorKind::StoreRolledBack,
            Self::Database { .. } => ErrorKind::Database,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// This error as a per-item [`Failure`].
    pub fn failure(&self) -> Failure {
        Failure {
            kind: self.kind(),
            message: self.to_string(),
        }
    }
}

impl From<DecodeError> for QorganError {
    fn from(e: DecodeError) -> Self {
        Self::Malformed {
            reason: e.to_string(),
        }
    }
}

impl From<SignatureError> for QorganError {
    fn from(e: SignatureError) -> Self {
        let SignatureError::Invalid(what) = e;
        Self::BadSignature {
            what: what.to_string(),
        }
    }
}

impl From<VerifyError> for QorganError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Decode(d) => d.into(),
            VerifyError::Signature(s) => s.into(),
            VerifyError::NotSuccessor {
                version,
                previous_version,
            } => Self::NotSuccessor {
                version: from_id(version),
                previous_version: from_id(previous_version),
            },
            VerifyError::SignerNotAdmin => Self::SignerNotAdmin,
            VerifyError::RosterNotSuccessor {
                epoch,
                previous_epoch,
            } => Self::RosterNotSuccessor {
                epoch: from_id(epoch),
                previous_epoch: from_id(previous_epoch),
            },
            VerifyError::Certificate(c) => c.into(),
        }
    }
}

impl From<DecryptError> for QorganError {
    fn from(e: DecryptError) -> Self {
        match e {
            DecryptError::Decode(d) => d.into(),
            DecryptError::AuthenticationFailed => Self::AuthenticationFailed,
            DecryptError::Duplicate { index } => Self::Duplicate {
                index: from_u32(index),
            },
            DecryptError::TooFarAhead { gap, limit } => Self::TooFarAhead {
                gap: from_u64(gap),
                limit: from_u32(limit),
            },
            DecryptError::NonContributory => Self::NonContributory,
            DecryptError::UnexpectedRatchetKey => Self::AuthenticationFailed,
            DecryptError::SessionMismatch => Self::UntrustedIdentity {
                reason: "prekey message of another session".into(),
            },
            DecryptError::BeforeFirstIteration { iteration, first } => Self::BeforeFirstIteration {
                iteration: from_u32(iteration),
                first: from_u32(first),
            },
            DecryptError::WrongChain { expected, got } => Self::WrongChain {
                chain_id: from_u32(got),
                held_chain_id: from_u32(expected),
            },
            DecryptError::KeyCommitmentMismatch { iteration } => Self::KeyCommitmentMismatch {
                iteration: from_u32(iteration),
            },
            DecryptError::Signature(s) => s.into(),
            DecryptError::RosterRequired => Self::RosterMismatch,
        }
    }
}

impl From<EncryptError> for QorganError {
    fn from(e: EncryptError) -> Self {
        match e {
            EncryptError::ChainExhausted(_) => Self::ChainExhausted,
            EncryptError::NonContributory => Self::NonContributory,
            EncryptError::RotationRequired(r) => Self::RotationRequired {
                reason: r.to_string(),
            },
            EncryptError::TooLarge { len, limit } => Self::InvalidArgument {
                reason: format!("plaintext of {len} bytes exceeds {limit}"),
            },
            EncryptError::RosterRequired => Self::RosterMismatch,
        }
    }
}

impl From<HandshakeError> for QorganError {
    fn from(e: HandshakeError) -> Self {
        match e {
            HandshakeError::Verify(v) => v.into(),
            HandshakeError::UnknownSignedPreKey(id) => Self::UnknownPreKey {
                what: "signed prekey".into(),
                id: from_u32(id),
            },
            HandshakeError::UnknownKemPreKey(id) => Self::UnknownPreKey {
                what: "ML-KEM prekey".into(),
                id: from_u32(id),
            },
            HandshakeError::UnknownOneTimePreKey(id) => Self::UnknownPreKey {
                what: "one-time prekey".into(),
                id: from_u32(id),
            },
            HandshakeError::NonContributory => Self::NonContributory,
            HandshakeError::ExpiredSignedPreKey(id) => Self::PreKeyExpired {
                what: "signed prekey".into(),
                id: from_u32(id),
            },
            HandshakeError::ExpiredKemPreKey(id) => Self::PreKeyExpired {
                what: "last-resort ML-KEM prekey".into(),
                id: from_u32(id),
            },
            HandshakeError::Replay => Self::Replay,
            // The signed prekey must be rotated before it admits more
            // handshakes without one-time prekeys (`Device.needsRotation`).
            HandshakeError::ReplayRecordFull { signed_prekey_id } => Self::RotationRequired {
                reason: format!(
                    "signed prekey {signed_prekey_id} admitted all the handshakes without \
                     one-time prekeys it can remember: rotate it"
                ),
            },
            HandshakeError::NotPreKeyMessage => Self::Malformed {
                reason: "not a prekey message".into(),
            },
            HandshakeError::Decrypt(d) => d.into(),
        }
    }
}

impl From<StateError> for QorganError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::WrongOwner => Self::WrongOwner,
            StateError::RolledBack {
                min_generation,
                found,
            } => Self::RolledBack {
                min_generation: from_id(min_generation),
                found: from_id(found),
            },
            // Malformed, failed authentication (wrong key, modified bytes),
            // or another kind of object.
            StateError::Decode(_)
            | StateError::AuthenticationFailed
            | StateError::WrongKind { .. } => Self::CorruptState {
                reason: e.to_string(),
            },
        }
    }
}

impl From<GroupError> for QorganError {
    fn from(e: GroupError) -> Self {
        match e {
            GroupError::Verify(v) => v.into(),
            GroupError::Decrypt(d) => d.into(),
            GroupError::UntrustedSender => Self::UntrustedIdentity {
                reason: "distribution signed by another identity than its sender".into(),
            },
            GroupError::ChainMismatch | GroupError::GroupMismatch => Self::WrongGroup {
                reason: e.to_string(),
            },
            GroupError::IterationUnavailable {
                requested,
                available,
            } => Self::BeforeFirstIteration {
                iteration: from_u32(requested),
                first: from_u32(available),
            },
            GroupError::TooFarAhead { ahead, limit } => Self::TooFarAhead {
                gap: from_u64(ahead),
                limit: from_u32(limit),
            },
            // A merge that would skip (keep) more keys than allowed: the same
            // "too far ahead" the app already handles for one message.
            GroupError::TooManySkippedKeys { keys, limit } => Self::TooFarAhead {
                gap: from_usize(keys),
                limit: from_usize(limit),
            },
            GroupError::ConflictingChainKey { chain_id } => Self::ConflictingChainKey {
                chain_id: from_u32(chain_id),
            },
            GroupError::ConflictingRotation { rotation } => Self::ConflictingRotation {
                rotation: from_u32(rotation),
            },
            GroupError::RetiredChain { rotation, oldest } => Self::RetiredChain {
                rotation: from_u32(rotation),
                oldest: from_u32(oldest),
            },
            GroupError::Roster(r) => r.into(),
        }
    }
}

impl From<AccountError> for QorganError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Verify(v) => v.into(),
            AccountError::WrongAccount => Self::WrongAccount,
            AccountError::RolledBack { held, offered } => Self::ListRolledBack {
                held: from_id(held),
                offered: from_id(offered),
            },
            AccountError::Fork { held, seen } => Self::Fork {
                held: held.into(),
                seen: seen.into(),
            },
            AccountError::Gap { from, to } => Self::Gap {
                first_missing: from_id(from),
                offered: from_id(to),
            },
            AccountError::InvalidList(why) => Self::InvalidList { reason: why.into() },
            AccountError::ProvisioningFailed => Self::ProvisioningFailed,
            AccountError::InvalidLinkCode(why) => Self::InvalidLinkCode { reason: why.into() },
            AccountError::NoAccountKey => Self::NoAccountKey,
            AccountError::DeviceNotListed => Self::DeviceNotListed,
            AccountError::Misaddressed => Self::Misaddressed,
        }
    }
}

impl QorganError {
    /// A device list's failure as server verification reports it
    /// (`verify_device_list*`), equal to what `verify_batch` says of the
    /// same bytes: the qorgan crate's verifier counts a broken list rule
    /// (`InvalidList`) as a malformed field.
    pub(crate) fn from_list_verification(e: AccountError) -> Self {
        match e {
            AccountError::InvalidList(why) => DecodeError::InvalidField(why).into(),
            other => other.into(),
        }
    }
}

impl QorganError {
    /// A link code that does not parse, whatever the reason (not base32,
    /// truncated, another type, an identity that does not verify): to the
    /// app it is one thing, a code that is not a link code.
    pub(crate) fn from_link_code(e: AccountError) -> Self {
        match e {
            AccountError::InvalidLinkCode(why) => Self::InvalidLinkCode { reason: why.into() },
            other => Self::InvalidLinkCode {
                reason: other.to_string(),
            },
        }
    }
}

impl From<FanoutError> for QorganError {
    fn from(e: FanoutError) -> Self {
        match e {
            FanoutError::NoSession => Self::NoSession,
            FanoutError::NotListed => Self::NotListed,
            FanoutError::NotInRoster => Self::NotInRoster,
            FanoutError::Encrypt(e) => e.into(),
        }
    }
}

impl From<RosterError> for QorganError {
    fn from(e: RosterError) -> Self {
        match e {
            RosterError::Verify(v) => v.into(),
            RosterError::InvalidRoster(why) => Self::InvalidRoster { reason: why.into() },
            RosterError::WrongGroup => Self::WrongGroup {
                reason: e.to_string(),
            },
            RosterError::RolledBack { held, offered } => Self::RosterRolledBack {
                held: from_id(held),
                offered: from_id(offered),
            },
            RosterError::Fork { held, seen } => Self::RosterFork {
                held: held.into(),
                seen: seen.into(),
            },
            RosterError::Gap { from, to } => Self::RosterGap {
                first_missing: from_id(from),
                offered: from_id(to),
            },
            RosterError::RosterBehind { held, announced } => Self::RosterBehind {
                held: from_id(held),
                announced: from_id(announced),
            },
            RosterError::StaleChain { held, announced } => Self::StaleChain {
                held: from_id(held),
                announced: from_id(announced),
            },
            RosterError::SenderNotMember => Self::SenderNotMember,
            RosterError::NotMember => Self::NotMember,
            RosterError::RosterMismatch => Self::RosterMismatch,
            RosterError::NotAdmin => Self::NotAdmin,
        }
    }
}

impl From<CertificateError> for QorganError {
    fn from(e: CertificateError) -> Self {
        match e {
            CertificateError::InvalidStatement(why) => {
                Self::InvalidStatement { reason: why.into() }
            }
            CertificateError::UnknownIssuer => Self::UnknownIssuer,
            CertificateError::InvalidChain(why) => Self::InvalidChain { reason: why.into() },
            CertificateError::NotYetValid { serial, valid_from } => Self::NotYetValid {
                serial: from_id(serial),
                valid_from: from_u64(valid_from),
            },
            CertificateError::Expired {
                serial,
                valid_until,
            } => Self::Expired {
                serial: from_id(serial),
                valid_until: from_u64(valid_until),
            },
            CertificateError::Revoked { serial } => Self::Revoked {
                serial: from_id(serial),
            },
            CertificateError::WrongSubject => Self::WrongSubject,
            CertificateError::InvalidText(why) => Self::InvalidText { reason: why.into() },
        }
    }
}

impl From<qorgan::RngError> for QorganError {
    fn from(e: qorgan::RngError) -> Self {
        Self::Internal {
            reason: e.to_string(),
        }
    }
}

impl From<qorgan_store::StoreError> for QorganError {
    fn from(e: qorgan_store::StoreError) -> Self {
        use qorgan_store::StoreError as S;
        match e {
            S::WrongKey => Self::WrongStorageKey,
            S::Corrupt(reason) => Self::CorruptStore { reason },
            S::NewerVersion { found, supported } => Self::NewerVersion {
                found: from_u32(found),
                supported: from_u32(supported),
            },
            S::RolledBack { store, anchor } => Self::StoreRolledBack {
                store: from_id(store),
                anchor: from_id(anchor),
            },
            S::Database(d) => Self::Database {
                reason: d.to_string(),
            },
            S::NoSession => Self::NoSession,
            S::NotFound(what) => Self::NotFound { what: what.into() },
            S::InvalidPayload(why) => Self::Malformed {
                reason: format!("invalid payload: {why}"),
            },
            S::Handshake(h) => h.into(),
            S::Decrypt(d) => d.into(),
            S::Encrypt(x) => x.into(),
            S::Verify(v) => v.into(),
            S::Account(a) => a.into(),
            S::Group(g) => g.into(),
            S::Roster(r) => r.into(),
            S::Rng => Self::Internal {
                reason: "operating system randomness unavailable".into(),
            },
        }
    }
}

/// The readable text of an error: the same as Kotlin's `message`, Swift's
/// `errorDescription` and Python's `str(e)` (which call this), for logs
/// and support screens. Never contains key material or message content.
#[uniffi::export]
pub fn error_message(error: QorganError) -> String {
    error.to_string()
}
