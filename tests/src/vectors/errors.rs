//! How the vector files name an error (docs/PROTOCOL.md §13): the exact
//! value qorgan returns, as `Enum::Variant` or `Enum::Variant(…)`, nested
//! errors written out the same way, struct fields as `name: value`, type and
//! kind bytes in hex, everything else in decimal. Examples:
//!
//! ```text
//! VerifyError::Decode(DecodeError::TooLong(field: group id, len: 65, limit: 64))
//! GroupError::Verify(VerifyError::Signature(SignatureError::Invalid(SenderKeyPossession)))
//! DecryptError::KeyCommitmentMismatch(iteration: 3)
//! StateError::WrongKind(expected: 0x42, found: 0x43)
//! ```
//!
//! Each function returns `(error, kind)`: the whole value, and its innermost
//! error alone (for example `DecodeError::UnsupportedVersion(1)`).

use qorgan::account::ListHead;
use qorgan::{
    AccountError, CertificateError, DecodeError, DecryptError, EncryptError, FanoutError,
    GroupError, HandshakeError, RosterError, SignatureError, StateError, VerifyError,
};

/// A [`DecodeError`].
pub fn decode(e: &DecodeError) -> (String, String) {
    let s = match e {
        DecodeError::Truncated { needed } => format!("DecodeError::Truncated(needed: {needed})"),
        DecodeError::TrailingBytes(n) => format!("DecodeError::TrailingBytes({n})"),
        DecodeError::UnsupportedVersion(v) => format!("DecodeError::UnsupportedVersion({v})"),
        DecodeError::UnexpectedType(t) => format!("DecodeError::UnexpectedType({t:#04x})"),
        DecodeError::InvalidField(f) => format!("DecodeError::InvalidField({f})"),
        DecodeError::InvalidKey(k) => format!("DecodeError::InvalidKey({k})"),
        DecodeError::TooLong { field, len, limit } => {
            format!("DecodeError::TooLong(field: {field}, len: {len}, limit: {limit})")
        }
    };
    (s.clone(), s)
}

/// A [`SignatureError`].
pub fn signature(e: &SignatureError) -> (String, String) {
    let SignatureError::Invalid(what) = e;
    let s = format!("SignatureError::Invalid({what:?})");
    (s.clone(), s)
}

fn wrap(outer: &str, (inner, kind): (String, String)) -> (String, String) {
    (format!("{outer}({inner})"), kind)
}

fn plain(s: String) -> (String, String) {
    (s.clone(), s)
}

/// A [`VerifyError`].
pub fn verify(e: &VerifyError) -> (String, String) {
    match e {
        VerifyError::Decode(d) => wrap("VerifyError::Decode", decode(d)),
        VerifyError::Signature(s) => wrap("VerifyError::Signature", signature(s)),
        VerifyError::NotSuccessor {
            version,
            previous_version,
        } => plain(format!(
            "VerifyError::NotSuccessor(version: {version}, previous_version: {previous_version})"
        )),
        VerifyError::SignerNotAdmin => plain("VerifyError::SignerNotAdmin".into()),
        VerifyError::RosterNotSuccessor {
            epoch,
            previous_epoch,
        } => plain(format!(
            "VerifyError::RosterNotSuccessor(epoch: {epoch}, previous_epoch: {previous_epoch})"
        )),
        VerifyError::Certificate(c) => wrap("VerifyError::Certificate", certificate(c)),
    }
}

/// A [`GroupError`].
pub fn group(e: &GroupError) -> (String, String) {
    match e {
        GroupError::Verify(v) => wrap("GroupError::Verify", verify(v)),
        GroupError::Decrypt(d) => wrap("GroupError::Decrypt", decrypt(d)),
        GroupError::Roster(r) => wrap("GroupError::Roster", roster(r)),
        GroupError::UntrustedSender => plain("GroupError::UntrustedSender".into()),
        GroupError::ChainMismatch => plain("GroupError::ChainMismatch".into()),
        GroupError::GroupMismatch => plain("GroupError::GroupMismatch".into()),
        GroupError::IterationUnavailable {
            requested,
            available,
        } => plain(format!(
            "GroupError::IterationUnavailable(requested: {requested}, available: {available})"
        )),
        GroupError::TooFarAhead { ahead, limit } => plain(format!(
            "GroupError::TooFarAhead(ahead: {ahead}, limit: {limit})"
        )),
        GroupError::ConflictingChainKey { chain_id } => plain(format!(
            "GroupError::ConflictingChainKey(chain_id: {chain_id})"
        )),
        GroupError::ConflictingRotation { rotation } => plain(format!(
            "GroupError::ConflictingRotation(rotation: {rotation})"
        )),
        GroupError::RetiredChain { rotation, oldest } => plain(format!(
            "GroupError::RetiredChain(rotation: {rotation}, oldest: {oldest})"
        )),
        GroupError::TooManySkippedKeys { keys, limit } => plain(format!(
            "GroupError::TooManySkippedKeys(keys: {keys}, limit: {limit})"
        )),
    }
}

/// A [`DecryptError`].
pub fn decrypt(e: &DecryptError) -> (String, String) {
    match e {
        DecryptError::Decode(d) => wrap("DecryptError::Decode", decode(d)),
        DecryptError::Signature(s) => wrap("DecryptError::Signature", signature(s)),
        DecryptError::AuthenticationFailed => plain("DecryptError::AuthenticationFailed".into()),
        DecryptError::Duplicate { index } => {
            plain(format!("DecryptError::Duplicate(index: {index})"))
        }
        DecryptError::TooFarAhead { gap, limit } => plain(format!(
            "DecryptError::TooFarAhead(gap: {gap}, limit: {limit})"
        )),
        DecryptError::NonContributory => plain("DecryptError::NonContributory".into()),
        DecryptError::UnexpectedRatchetKey => plain("DecryptError::UnexpectedRatchetKey".into()),
        DecryptError::SessionMismatch => plain("DecryptError::SessionMismatch".into()),
        DecryptError::BeforeFirstIteration { iteration, first } => plain(format!(
            "DecryptError::BeforeFirstIteration(iteration: {iteration}, first: {first})"
        )),
        DecryptError::WrongChain { expected, got } => plain(format!(
            "DecryptError::WrongChain(expected: {expected}, got: {got})"
        )),
        DecryptError::KeyCommitmentMismatch { iteration } => plain(format!(
            "DecryptError::KeyCommitmentMismatch(iteration: {iteration})"
        )),
        DecryptError::RosterRequired => plain("DecryptError::RosterRequired".into()),
        // Unit variants added later (`RosterRequired`) are written by name.
        #[allow(unreachable_patterns)]
        other => plain(format!("DecryptError::{other:?}")),
    }
}

/// A [`StateError`].
pub fn state(e: &StateError) -> (String, String) {
    match e {
        StateError::Decode(d) => wrap("StateError::Decode", decode(d)),
        StateError::AuthenticationFailed => plain("StateError::AuthenticationFailed".into()),
        StateError::WrongKind { expected, found } => plain(format!(
            "StateError::WrongKind(expected: {expected:#04x}, found: {found:#04x})"
        )),
        StateError::WrongOwner => plain("StateError::WrongOwner".into()),
        StateError::RolledBack {
            min_generation,
            found,
        } => plain(format!(
            "StateError::RolledBack(min_generation: {min_generation}, found: {found})"
        )),
    }
}

/// An [`EncryptError`].
pub fn encrypt(e: &EncryptError) -> (String, String) {
    plain(match e {
        EncryptError::ChainExhausted(i) => format!("EncryptError::ChainExhausted({i})"),
        EncryptError::NonContributory => "EncryptError::NonContributory".into(),
        EncryptError::RotationRequired(r) => format!("EncryptError::RotationRequired({r:?})"),
        EncryptError::TooLarge { len, limit } => {
            format!("EncryptError::TooLarge(len: {len}, limit: {limit})")
        }
        EncryptError::RosterRequired => "EncryptError::RosterRequired".into(),
    })
}

/// A [`HandshakeError`] (`PreKeyStore::accept`, `Session::initiate`).
pub fn handshake(e: &HandshakeError) -> (String, String) {
    match e {
        HandshakeError::Verify(v) => wrap("HandshakeError::Verify", verify(v)),
        HandshakeError::Decrypt(d) => wrap("HandshakeError::Decrypt", decrypt(d)),
        HandshakeError::UnknownSignedPreKey(id) => {
            plain(format!("HandshakeError::UnknownSignedPreKey({id})"))
        }
        HandshakeError::UnknownKemPreKey(id) => {
            plain(format!("HandshakeError::UnknownKemPreKey({id})"))
        }
        HandshakeError::ExpiredSignedPreKey(id) => {
            plain(format!("HandshakeError::ExpiredSignedPreKey({id})"))
        }
        HandshakeError::ExpiredKemPreKey(id) => {
            plain(format!("HandshakeError::ExpiredKemPreKey({id})"))
        }
        HandshakeError::UnknownOneTimePreKey(id) => {
            plain(format!("HandshakeError::UnknownOneTimePreKey({id})"))
        }
        HandshakeError::NonContributory => plain("HandshakeError::NonContributory".into()),
        HandshakeError::Replay => plain("HandshakeError::Replay".into()),
        HandshakeError::ReplayRecordFull { signed_prekey_id } => plain(format!(
            "HandshakeError::ReplayRecordFull(signed_prekey_id: {signed_prekey_id})"
        )),
        HandshakeError::NotPreKeyMessage => plain("HandshakeError::NotPreKeyMessage".into()),
    }
}

/// A device-list head as the files write it inside an error:
/// `Head(version: 3, hash: <64 hex digits>)`.
pub fn head(h: &ListHead) -> String {
    format!(
        "Head(version: {}, hash: {})",
        h.version,
        crate::hex::encode(&h.hash)
    )
}

/// An [`AccountError`] (device lists, contacts, linking, docs/PROTOCOL.md §14).
pub fn account(e: &AccountError) -> (String, String) {
    match e {
        AccountError::Verify(v) => wrap("AccountError::Verify", verify(v)),
        AccountError::WrongAccount => plain("AccountError::WrongAccount".into()),
        AccountError::RolledBack { held, offered } => plain(format!(
            "AccountError::RolledBack(held: {held}, offered: {offered})"
        )),
        AccountError::Fork { held, seen } => plain(format!(
            "AccountError::Fork(held: {}, seen: {})",
            head(held),
            head(seen)
        )),
        AccountError::Gap { from, to } => {
            plain(format!("AccountError::Gap(from: {from}, to: {to})"))
        }
        AccountError::InvalidList(why) => plain(format!("AccountError::InvalidList({why})")),
        AccountError::ProvisioningFailed => plain("AccountError::ProvisioningFailed".into()),
        AccountError::InvalidLinkCode(why) => {
            plain(format!("AccountError::InvalidLinkCode({why})"))
        }
        AccountError::NoAccountKey => plain("AccountError::NoAccountKey".into()),
        AccountError::DeviceNotListed => plain("AccountError::DeviceNotListed".into()),
        AccountError::Misaddressed => plain("AccountError::Misaddressed".into()),
    }
}

/// A [`FanoutError`] (one device's outcome of a fan-out, §14.5).
pub fn fanout(e: &FanoutError) -> (String, String) {
    match e {
        FanoutError::NoSession => plain("FanoutError::NoSession".into()),
        FanoutError::NotListed => plain("FanoutError::NotListed".into()),
        FanoutError::NotInRoster => plain("FanoutError::NotInRoster".into()),
        FanoutError::Encrypt(x) => wrap("FanoutError::Encrypt", encrypt(x)),
    }
}

/// A [`CertificateError`] (docs/PROTOCOL.md §16).
pub fn certificate(e: &CertificateError) -> (String, String) {
    plain(match e {
        CertificateError::InvalidStatement(why) => {
            format!("CertificateError::InvalidStatement({why:?})")
        }
        CertificateError::UnknownIssuer => "CertificateError::UnknownIssuer".into(),
        CertificateError::InvalidChain(why) => format!("CertificateError::InvalidChain({why:?})"),
        CertificateError::NotYetValid { serial, valid_from } => {
            format!("CertificateError::NotYetValid(serial: {serial}, valid_from: {valid_from})")
        }
        CertificateError::Expired {
            serial,
            valid_until,
        } => format!("CertificateError::Expired(serial: {serial}, valid_until: {valid_until})"),
        CertificateError::Revoked { serial } => {
            format!("CertificateError::Revoked(serial: {serial})")
        }
        CertificateError::WrongSubject => "CertificateError::WrongSubject".into(),
        CertificateError::InvalidText(why) => format!("CertificateError::InvalidText({why:?})"),
    })
}

/// A [`RosterError`] (docs/PROTOCOL.md §15).
pub fn roster(e: &RosterError) -> (String, String) {
    match e {
        RosterError::Verify(v) => wrap("RosterError::Verify", verify(v)),
        RosterError::InvalidRoster(why) => plain(format!("RosterError::InvalidRoster({why:?})")),
        RosterError::WrongGroup => plain("RosterError::WrongGroup".into()),
        RosterError::RolledBack { held, offered } => plain(format!(
            "RosterError::RolledBack(held: {held}, offered: {offered})"
        )),
        RosterError::Fork { held, seen } => plain(format!(
            "RosterError::Fork(held: {}, seen: {})",
            head(held),
            head(seen)
        )),
        RosterError::Gap { from, to } => plain(format!("RosterError::Gap(from: {from}, to: {to})")),
        RosterError::RosterBehind { held, announced } => plain(format!(
            "RosterError::RosterBehind(held: {held}, announced: {announced})"
        )),
        RosterError::StaleChain { held, announced } => plain(format!(
            "RosterError::StaleChain(held: {held}, announced: {announced})"
        )),
        RosterError::SenderNotMember => plain("RosterError::SenderNotMember".into()),
        RosterError::NotMember => plain("RosterError::NotMember".into()),
        RosterError::RosterMismatch => plain("RosterError::RosterMismatch".into()),
        RosterError::NotAdmin => plain("RosterError::NotAdmin".into()),
    }
}

/// A [`qorgan_store::StoreError`] (docs/PROTOCOL.md §17): the store's own
/// variants with their static text (`Corrupt` with the text it carries),
/// the protocol's errors inside written out as above.
pub fn store(e: &qorgan_store::StoreError) -> (String, String) {
    use qorgan_store::StoreError as S;
    match e {
        S::WrongKey => plain("StoreError::WrongKey".into()),
        S::Corrupt(why) => plain(format!("StoreError::Corrupt({why})")),
        S::NewerVersion { found, supported } => plain(format!(
            "StoreError::NewerVersion(found: {found}, supported: {supported})"
        )),
        S::RolledBack { store, anchor } => plain(format!(
            "StoreError::RolledBack(store: {store}, anchor: {anchor})"
        )),
        S::Database(d) => plain(format!("StoreError::Database({d})")),
        S::NoSession => plain("StoreError::NoSession".into()),
        S::NotFound(what) => plain(format!("StoreError::NotFound({what})")),
        S::InvalidPayload(why) => plain(format!("StoreError::InvalidPayload({why})")),
        S::Handshake(h) => wrap("StoreError::Handshake", handshake(h)),
        S::Decrypt(d) => wrap("StoreError::Decrypt", decrypt(d)),
        S::Encrypt(x) => wrap("StoreError::Encrypt", encrypt(x)),
        S::Verify(v) => wrap("StoreError::Verify", verify(v)),
        S::Account(a) => wrap("StoreError::Account", account(a)),
        S::Group(g) => wrap("StoreError::Group", group(g)),
        S::Roster(r) => wrap("StoreError::Roster", roster(r)),
        S::Rng => plain("StoreError::Rng".into()),
    }
}
