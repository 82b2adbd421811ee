//! Organisation certificates and signed statements (docs/PROTOCOL.md §16):
//! an organisation key (`IssuerKeyPair`) signs `Statement`s (account
//! certificates, intermediate certificates, other statements) and
//! `RevocationList`s; a `Presentation` carries a leaf and at most one
//! intermediate, as bytes or as QR text ("QG1:" + base45), and says who
//! vouches for it (`Verified.label`, "verified by ⟨organisation⟩") only
//! when `verify` accepts the whole chain against the app's trust anchors,
//! the clock and the revocation lists.
//!
//! Every object here is an immutable value (no lock). The issuer's secret
//! stays inside `IssuerKeyPair`; only `to_seed` takes it out.

use std::sync::Arc;

use qorgan::certificate as cert;

use crate::error::QorganError;
use crate::integer::{from_id, from_u64, id_arg, u64_arg};
use crate::lock::parse_account_key;

/// What a claim says: the defined tags, or an organisation's own (128–255).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ClaimTag {
    /// The subject's name as people know it (required in an account
    /// certificate).
    DisplayName,
    /// The subject's unit or department.
    Unit,
    /// The subject's role or rank.
    Role,
    /// The organisation an intermediate key issues for (required in an
    /// intermediate certificate).
    Organisation,
    /// A free-text statement ("may enter building 3").
    Text,
    /// An organisation's own tag, 128 to 255 (others are refused).
    Custom {
        /// The tag number (a byte: 128 to 255).
        number: i64,
    },
}

impl From<cert::ClaimTag> for ClaimTag {
    fn from(t: cert::ClaimTag) -> Self {
        match t {
            cert::ClaimTag::DISPLAY_NAME => Self::DisplayName,
            cert::ClaimTag::UNIT => Self::Unit,
            cert::ClaimTag::ROLE => Self::Role,
            cert::ClaimTag::ORGANISATION => Self::Organisation,
            cert::ClaimTag::TEXT => Self::Text,
            cert::ClaimTag(number) => Self::Custom {
                number: i64::from(number),
            },
        }
    }
}

impl TryFrom<ClaimTag> for cert::ClaimTag {
    type Error = QorganError;

    fn try_from(t: ClaimTag) -> Result<Self, QorganError> {
        Ok(match t {
            ClaimTag::DisplayName => Self::DISPLAY_NAME,
            ClaimTag::Unit => Self::UNIT,
            ClaimTag::Role => Self::ROLE,
            ClaimTag::Organisation => Self::ORGANISATION,
            ClaimTag::Text => Self::TEXT,
            // A byte, and not one of the tags above (it would turn into
            // that claim); the statement refuses the reserved ones.
            ClaimTag::Custom { number } => match u8::try_from(number) {
                Ok(tag) if !(1..=5).contains(&tag) => Self(tag),
                _ => {
                    return Err(QorganError::InvalidArgument {
                        reason: format!(
                            "a custom claim tag is a byte other than the named tags 1 to 5 \
                             (got {number})"
                        ),
                    });
                }
            },
        })
    }
}

/// One claim of a statement: a tag and a UTF-8 value of at most 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Claim {
    /// What it says.
    pub tag: ClaimTag,
    /// The value.
    pub value: String,
}

impl From<&cert::Claim> for Claim {
    fn from(c: &cert::Claim) -> Self {
        Self {
            tag: c.tag.into(),
            value: c.value.clone(),
        }
    }
}

fn claims_of(claims: &[cert::Claim]) -> Vec<Claim> {
    claims.iter().map(Claim::from).collect()
}

/// Claims as the crate takes them: `InvalidStatement` for a reserved tag
/// or a value over 64 bytes.
fn parse_claims(claims: &[Claim]) -> Result<Vec<cert::Claim>, QorganError> {
    claims
        .iter()
        .map(|c| Ok(cert::Claim::new(c.tag.try_into()?, &c.value)?))
        .collect()
}

/// What a statement's subject is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StatementKind {
    /// A certificate of an account key (claims a display name).
    Account,
    /// A certificate of another issuer key, which may then issue (claims
    /// the organisation it issues for). Only an anchor's is believed.
    Intermediate,
    /// Any other signed statement: the subject is 32 bytes the verifier
    /// knows how to compare (a document's hash).
    Statement,
}

impl From<cert::StatementKind> for StatementKind {
    fn from(k: cert::StatementKind) -> Self {
        match k {
            cert::StatementKind::Account => Self::Account,
            cert::StatementKind::Intermediate => Self::Intermediate,
            cert::StatementKind::Statement => Self::Statement,
        }
    }
}

impl From<StatementKind> for cert::StatementKind {
    fn from(k: StatementKind) -> Self {
        match k {
            StatementKind::Account => Self::Account,
            StatementKind::Intermediate => Self::Intermediate,
            StatementKind::Statement => Self::Statement,
        }
    }
}

/// 32 bytes, or `InvalidArgument` naming `what`.
fn bytes32(bytes: &[u8], what: &str) -> Result<[u8; 32], QorganError> {
    bytes.try_into().map_err(|_| QorganError::InvalidArgument {
        reason: format!("{what} must be 32 bytes, got {}", bytes.len()),
    })
}

/// An issuer key (32 bytes): `InvalidArgument` for another length,
/// `Malformed` for an invalid key.
pub(crate) fn parse_issuer_key(bytes: &[u8]) -> Result<cert::IssuerKey, QorganError> {
    Ok(cert::IssuerKey::from_bytes(&bytes32(bytes, "issuer key")?)?)
}

/// An organisation key the app trusts and the name it shows for it
/// ("verified by ⟨organisation⟩"). Anchors come with the app or its
/// managed configuration, never from the server.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TrustAnchor {
    /// The organisation's issuer key (32 bytes, `IssuerKeyPair.public_key`).
    pub key: Vec<u8>,
    /// The organisation's name, as shown to users.
    pub organisation: String,
}

/// Anchors as the crate takes them (`InvalidArgument`/`Malformed` for a
/// key that is not one).
pub(crate) fn parse_anchors(
    anchors: &[TrustAnchor],
) -> Result<Vec<cert::TrustAnchor>, QorganError> {
    anchors
        .iter()
        .map(|a| {
            Ok(cert::TrustAnchor::new(
                parse_issuer_key(&a.key)?,
                &a.organisation,
            ))
        })
        .collect()
}

/// An issuer's secret key: an organisation's (keep it offline) or an
/// intermediate's. The secret never leaves this object except through
/// `to_seed`.
#[derive(Debug, uniffi::Object)]
pub struct IssuerKeyPair {
    inner: Box<cert::IssuerKeyPair>,
}

#[uniffi::export]
impl IssuerKeyPair {
    /// A fresh issuer key.
    #[uniffi::constructor]
    pub fn generate() -> Result<Arc<Self>, QorganError> {
        let mut rng = qorgan::SystemRng::new()?;
        Ok(Arc::new(Self {
            inner: Box::new(cert::IssuerKeyPair::generate(&mut rng)),
        }))
    }

    /// The key from its 32-byte seed (as `to_seed` returned it, from the
    /// issuer's own safekeeping). The argument is overwritten after use;
    /// the caller's own copy is not.
    #[uniffi::constructor]
    pub fn from_seed(mut seed: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        let parsed = bytes32(&seed, "issuer seed");
        seed.fill(0);
        std::hint::black_box(&seed);
        let mut bytes = parsed?;
        let inner = Box::new(cert::IssuerKeyPair::from_seed(&bytes));
        bytes.fill(0);
        std::hint::black_box(&bytes);
        Ok(Arc::new(Self { inner }))
    }

    /// The public issuer key (32 bytes): what apps trust as a
    /// `TrustAnchor` (for an organisation key) and what intermediate
    /// certificates certify. Not secret.
    pub fn public_key(&self) -> Vec<u8> {
        self.inner.public().to_bytes().to_vec()
    }

    /// The 32-byte secret seed, for the issuer's own safekeeping (an HSM,
    /// an offline backup). Secret: whoever holds it issues certificates
    /// in the organisation's name.
    pub fn to_seed(&self) -> Vec<u8> {
        self.inner.to_seed().to_vec()
    }
}

/// What a statement says (public, signed by its issuer).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatementInfo {
    /// The kind.
    pub kind: StatementKind,
    /// The issuer's key (32 bytes).
    pub issuer: Vec<u8>,
    /// The subject: an account key, an issuer key, or 32 opaque bytes.
    pub subject: Vec<u8>,
    /// The serial, unique per issuer: what revocation lists name.
    pub serial: i64,
    /// The first valid second (Unix time).
    pub valid_from: i64,
    /// The first second it is no longer valid.
    pub valid_until: i64,
    /// The claims, sorted by tag.
    pub claims: Vec<Claim>,
}

impl From<&cert::Statement> for StatementInfo {
    fn from(s: &cert::Statement) -> Self {
        Self {
            kind: s.kind().into(),
            issuer: s.issuer().to_bytes().to_vec(),
            subject: s.subject().to_vec(),
            serial: from_id(s.serial()),
            valid_from: from_u64(s.valid_from()),
            valid_until: from_u64(s.valid_until()),
            claims: claims_of(s.claims()),
        }
    }
}

/// An issuer's signed, dated statement about a subject; a certificate is
/// one. Its signature is verified when it is decoded, but nothing in it is
/// believed until a `Presentation` of it verifies against trust anchors.
#[derive(Debug, uniffi::Object)]
pub struct Statement {
    inner: cert::Statement,
}

impl Statement {
    fn wrap(inner: cert::Statement) -> Arc<Self> {
        Arc::new(Self { inner })
    }
}

#[uniffi::export]
impl Statement {
    /// Issues a statement of `kind` about `subject` (32 bytes), valid from
    /// `valid_from` until `valid_until` (Unix seconds, the first invalid
    /// one), with `serial` (unique per issuer) and at most 8 `claims` (one
    /// per tag). Refused with `InvalidStatement`: a tag twice, an empty
    /// period, a certificate without its required claim or whose subject
    /// is not a key.
    #[uniffi::constructor]
    pub fn issue(
        issuer: &IssuerKeyPair,
        kind: StatementKind,
        subject: Vec<u8>,
        serial: i64,
        valid_from: i64,
        valid_until: i64,
        claims: Vec<Claim>,
    ) -> Result<Arc<Self>, QorganError> {
        let subject = bytes32(&subject, "subject")?;
        Ok(Self::wrap(cert::Statement::issue(
            &issuer.inner,
            kind.into(),
            subject,
            id_arg(serial),
            u64_arg(valid_from, "valid_from")?,
            u64_arg(valid_until, "valid_until")?,
            parse_claims(&claims)?,
        )?))
    }

    /// Certifies an account key (32 bytes, `Account.account_key`); the
    /// claims must include a display name.
    #[uniffi::constructor]
    pub fn certify_account(
        issuer: &IssuerKeyPair,
        account_key: Vec<u8>,
        serial: i64,
        valid_from: i64,
        valid_until: i64,
        claims: Vec<Claim>,
    ) -> Result<Arc<Self>, QorganError> {
        let account = parse_account_key(&account_key)?;
        Ok(Self::wrap(cert::Statement::certify_account(
            &issuer.inner,
            &account,
            id_arg(serial),
            u64_arg(valid_from, "valid_from")?,
            u64_arg(valid_until, "valid_until")?,
            parse_claims(&claims)?,
        )?))
    }

    /// Certifies an intermediate issuer key (32 bytes,
    /// `IssuerKeyPair.public_key`) under the organisation key `anchor`; the
    /// claims must include the organisation name. Only an anchor's
    /// intermediate certificate is believed.
    #[uniffi::constructor]
    pub fn certify_intermediate(
        anchor: &IssuerKeyPair,
        intermediate_key: Vec<u8>,
        serial: i64,
        valid_from: i64,
        valid_until: i64,
        claims: Vec<Claim>,
    ) -> Result<Arc<Self>, QorganError> {
        let intermediate = parse_issuer_key(&intermediate_key)?;
        Ok(Self::wrap(cert::Statement::certify_intermediate(
            &anchor.inner,
            &intermediate,
            id_arg(serial),
            u64_arg(valid_from, "valid_from")?,
            u64_arg(valid_until, "valid_until")?,
            parse_claims(&claims)?,
        )?))
    }

    /// Decodes a statement and verifies its issuer's signature and its
    /// rules; says nothing of whether the issuer is trusted.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap(cert::Statement::from_bytes(&bytes)?))
    }

    /// The encoding, signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// What it says (not yet believed: see `Presentation.verify`).
    pub fn info(&self) -> StatementInfo {
        StatementInfo::from(&self.inner)
    }
}

/// What a revocation list says.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RevocationListInfo {
    /// The issuer's key (32 bytes).
    pub issuer: Vec<u8>,
    /// When it was issued (Unix seconds).
    pub issued_at: i64,
    /// When the next list is due: from then on this one is stale.
    pub next_update: i64,
    /// The revoked serials, ascending.
    pub serials: Vec<i64>,
}

/// An issuer's signed list of the serials it withdrew. Fetch each issuer's
/// newest list regularly (before `next_update`) and pass the lists to
/// `Presentation.verify`.
#[derive(Debug, uniffi::Object)]
pub struct RevocationList {
    inner: cert::RevocationList,
}

#[uniffi::export]
impl RevocationList {
    /// Issues a list revoking `serials` (at most 65 536, no duplicates),
    /// dated `issued_at`, the next one due at `next_update` (later).
    #[uniffi::constructor]
    pub fn issue(
        issuer: &IssuerKeyPair,
        issued_at: i64,
        next_update: i64,
        serials: Vec<i64>,
    ) -> Result<Arc<Self>, QorganError> {
        Ok(Arc::new(Self {
            inner: cert::RevocationList::issue(
                &issuer.inner,
                u64_arg(issued_at, "issued_at")?,
                u64_arg(next_update, "next_update")?,
                serials.iter().copied().map(id_arg).collect(),
            )?,
        }))
    }

    /// Decodes a list and verifies its issuer's signature and rules.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        Ok(Arc::new(Self {
            inner: cert::RevocationList::from_bytes(&bytes)?,
        }))
    }

    /// The encoding, signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// What it says.
    pub fn info(&self) -> RevocationListInfo {
        RevocationListInfo::from(&self.inner)
    }

    /// Whether `serial` is revoked by this list.
    pub fn revokes(&self, serial: i64) -> bool {
        self.inner.revokes(id_arg(serial))
    }

    /// Whether the list is stale at `now` (its successor was due).
    pub fn is_stale(&self, now: i64) -> Result<bool, QorganError> {
        Ok(self.inner.is_stale(u64_arg(now, "now")?))
    }
}

impl From<&cert::RevocationList> for RevocationListInfo {
    fn from(l: &cert::RevocationList) -> Self {
        Self {
            issuer: l.issuer().to_bytes().to_vec(),
            issued_at: from_u64(l.issued_at()),
            next_update: from_u64(l.next_update()),
            serials: l.serials().iter().copied().map(from_id).collect(),
        }
    }
}

/// How current the revocation information behind a verdict was.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RevocationStatus {
    /// Every issuer of the chain had a list that is not stale.
    Current,
    /// An issuer's newest list is stale (its successor was due at
    /// `next_update`): a revocation since then would not be seen. Show the
    /// label with a warning, and fetch a new list.
    Stale {
        /// When the stale list's successor was due.
        next_update: i64,
    },
    /// An issuer of the chain had no list at all.
    Missing,
}

impl From<cert::RevocationStatus> for RevocationStatus {
    fn from(s: cert::RevocationStatus) -> Self {
        match s {
            cert::RevocationStatus::Current => Self::Current,
            cert::RevocationStatus::Stale { next_update } => Self::Stale {
                next_update: from_u64(next_update),
            },
            cert::RevocationStatus::Missing => Self::Missing,
        }
    }
}

/// What a verified presentation says, and who vouches for it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Verified {
    /// "verified by ⟨organisation⟩": the only words to show for a
    /// certificate, and only from a `Verified`.
    pub label: String,
    /// The anchor organisation's name.
    pub organisation: String,
    /// The leaf's kind.
    pub kind: StatementKind,
    /// The leaf's subject (32 bytes).
    pub subject: Vec<u8>,
    /// The leaf's serial.
    pub serial: i64,
    /// The leaf's claims.
    pub claims: Vec<Claim>,
    /// The first second at which some statement of the chain expires.
    pub valid_until: i64,
    /// How current the revocation lists were (the worst over the chain).
    pub revocation: RevocationStatus,
}

impl From<cert::Verified> for Verified {
    fn from(v: cert::Verified) -> Self {
        Self {
            label: v.label(),
            kind: v.kind.into(),
            subject: v.subject.to_vec(),
            serial: from_id(v.serial),
            claims: claims_of(&v.claims),
            valid_until: from_u64(v.valid_until),
            revocation: v.revocation.into(),
            organisation: v.organisation,
        }
    }
}

/// A leaf statement and at most one intermediate certificate, as a
/// colleague's app or a badge shows them (bytes, or QR text). Decoding
/// checks only the form: nothing in it is believed until `verify`.
#[derive(Debug, uniffi::Object)]
pub struct Presentation {
    inner: cert::Presentation,
}

impl Presentation {
    fn wrap(inner: cert::Presentation) -> Arc<Self> {
        Arc::new(Self { inner })
    }
}

fn revocations_of(lists: &[Arc<RevocationList>]) -> Vec<cert::RevocationList> {
    lists.iter().map(|l| l.inner.clone()).collect()
}

#[uniffi::export]
impl Presentation {
    /// A presentation of `[leaf]` or `[intermediate, leaf]`
    /// (`InvalidChain` otherwise). Kotlin: pass statements that are still
    /// open.
    #[uniffi::constructor]
    pub fn new(statements: Vec<Arc<Statement>>) -> Result<Arc<Self>, QorganError> {
        let statements = statements.iter().map(|s| s.inner.clone()).collect();
        Ok(Self::wrap(cert::Presentation::new(statements)?))
    }

    /// Reads a scanned QR text ("QG1:" and base45, without line ending).
    /// `InvalidText` for a text that is not one; `Malformed` for one whose
    /// bytes do not decode.
    #[uniffi::constructor]
    pub fn from_text(text: String) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap(cert::Presentation::from_text(&text)?))
    }

    /// Decodes the binary form.
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        Ok(Self::wrap(cert::Presentation::from_bytes(&bytes)?))
    }

    /// The QR text: "QG1:" and the bytes in base45 (QR alphanumeric mode).
    pub fn to_text(&self) -> String {
        self.inner.to_text()
    }

    /// The binary form.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.inner.to_bytes()
    }

    /// The statements, the leaf last.
    pub fn statements(&self) -> Vec<Arc<Statement>> {
        self.inner
            .statements()
            .iter()
            .map(|s| Statement::wrap(s.clone()))
            .collect()
    }

    /// Verifies the chain at `now` (Unix seconds) against `anchors` (from
    /// the app's configuration, never from the server) and the issuers'
    /// `revocations`: it starts at an anchor, is anchor → (intermediate →)
    /// leaf, every statement is valid at `now` and revoked by none of the
    /// lists, every signature holds. Refused, in that order:
    /// `UnknownIssuer`, `InvalidChain`, `NotYetValid`, `Expired`,
    /// `Revoked`, `BadSignature`. For a contact, use `verify_account`.
    /// Kotlin: pass lists that are still open.
    pub fn verify(
        &self,
        anchors: Vec<TrustAnchor>,
        revocations: Vec<Arc<RevocationList>>,
        now: i64,
    ) -> Result<Verified, QorganError> {
        let anchors = parse_anchors(&anchors)?;
        Ok(self
            .inner
            .verify(
                &anchors,
                &revocations_of(&revocations),
                u64_arg(now, "now")?,
            )?
            .into())
    }

    /// As `verify`, and the leaf must be an account certificate of
    /// `account_key` (32 bytes, the contact's `Contact.account_key`):
    /// `WrongSubject` otherwise. What an app checks before showing
    /// "verified by ⟨organisation⟩" beside a contact.
    pub fn verify_account(
        &self,
        account_key: Vec<u8>,
        anchors: Vec<TrustAnchor>,
        revocations: Vec<Arc<RevocationList>>,
        now: i64,
    ) -> Result<Verified, QorganError> {
        let account = parse_account_key(&account_key)?;
        let anchors = parse_anchors(&anchors)?;
        Ok(self
            .inner
            .verify_account(
                &account,
                &anchors,
                &revocations_of(&revocations),
                u64_arg(now, "now")?,
            )?
            .into())
    }
}
