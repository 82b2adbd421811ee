//! Presentations (docs/PROTOCOL.md §16.2, §16.4): a leaf statement and at
//! most one intermediate certificate, as a colleague's app or a badge shows
//! them, and their verification against trust anchors, the clock and
//! revocation lists.
//!
//! `0x01 || 0x36 || u8 n (1 or 2) || n × (u16 len || statement)`, the
//! intermediate (if any) first, the leaf last.

use alloc::string::String;
use alloc::vec::Vec;

use super::claim::Claim;
use super::issuer::TrustAnchor;
use super::revocation::RevocationList;
use super::statement::{MAX_STATEMENT_LEN, Statement, StatementKind};
use crate::account::AccountKey;
use crate::codec::{Reader, Writer};
use crate::error::{CertificateError, DecodeError, VerifyError};
use crate::identity::SignatureCheck;
use crate::limits::MAX_PRESENTATION_STATEMENTS;
use crate::wire;

/// A leaf statement and at most one intermediate certificate. Decoding
/// checks only the form: nothing in it is believed until
/// [`verify`](Self::verify) returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presentation {
    statements: Vec<Statement>,
}

/// How current the revocation information behind a verdict was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevocationStatus {
    /// Every issuer of the chain had a list that is not stale.
    Current,
    /// An issuer's newest list is stale (its next update was due at
    /// `next_update`): a revocation since then would not be seen. Show it,
    /// and fetch a new list.
    Stale {
        /// When the stale list's successor was due.
        next_update: u64,
    },
    /// An issuer of the chain had no list at all.
    Missing,
}

impl RevocationStatus {
    /// The worse of two: `Missing`, then `Stale` (of two stale lists, the
    /// one stale the longest: the earlier `next_update`), then `Current`.
    fn worse(self, other: Self) -> Self {
        match (self, other) {
            (Self::Missing, _) | (_, Self::Missing) => Self::Missing,
            (Self::Stale { next_update: a }, Self::Stale { next_update: b }) => Self::Stale {
                next_update: a.min(b),
            },
            (s @ Self::Stale { .. }, _) | (_, s @ Self::Stale { .. }) => s,
            (Self::Current, Self::Current) => Self::Current,
        }
    }
}

/// What a verified presentation says, and who vouches for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The anchor organisation's name.
    pub organisation: String,
    /// The leaf's kind.
    pub kind: StatementKind,
    /// The leaf's subject.
    pub subject: [u8; 32],
    /// The leaf's serial.
    pub serial: u64,
    /// The leaf's claims.
    pub claims: Vec<Claim>,
    /// The first second at which some statement of the chain expires.
    pub valid_until: u64,
    /// How current the revocation information was (the worst over the
    /// chain: missing, then the list stale the longest).
    pub revocation: RevocationStatus,
}

impl Verified {
    /// "verified by ⟨organisation⟩": the only words an app should show for
    /// a certificate, and only from a `Verified`.
    pub fn label(&self) -> String {
        alloc::format!("verified by {}", self.organisation)
    }
}

impl Presentation {
    /// A presentation of a leaf (`[leaf]`) or of an intermediate and a leaf
    /// (`[intermediate, leaf]`).
    pub fn new(statements: Vec<Statement>) -> Result<Self, CertificateError> {
        if statements.is_empty() || statements.len() > MAX_PRESENTATION_STATEMENTS {
            return Err(CertificateError::InvalidChain(
                "a presentation holds one or two statements",
            ));
        }
        Ok(Self { statements })
    }

    /// The statements, the leaf last.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The leaf statement.
    pub fn leaf(&self) -> Option<&Statement> {
        self.statements.last()
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(3 + self.statements.len() * (2 + MAX_STATEMENT_LEN));
        w.u8(wire::CERTIFICATE_VERSION)
            .u8(wire::TYPE_PRESENTATION)
            .u8(u8::try_from(self.statements.len()).unwrap_or(u8::MAX));
        for s in &self.statements {
            let bytes = s.to_bytes();
            // A statement is at most MAX_STATEMENT_LEN (< 2^16) bytes.
            w.raw(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes())
                .raw(&bytes);
        }
        w.into_vec()
    }

    /// Decodes a presentation: the form of every statement and the rules of
    /// §16.1, no signature, no trust.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        wire::expect_versioned_header(&mut r, wire::CERTIFICATE_VERSION, wire::TYPE_PRESENTATION)?;
        let n = usize::from(r.u8()?);
        if n == 0 || n > MAX_PRESENTATION_STATEMENTS {
            return Err(
                DecodeError::InvalidField("presentation holds one or two statements").into(),
            );
        }
        let mut statements = Vec::with_capacity(n);
        for _ in 0..n {
            let len = usize::from(u16::from_be_bytes(r.array()?));
            if len > MAX_STATEMENT_LEN {
                return Err(DecodeError::TooLong {
                    field: "statement",
                    len,
                    limit: MAX_STATEMENT_LEN,
                }
                .into());
            }
            statements.push(Statement::decode_unverified(r.take(len)?)?);
        }
        r.finish()?;
        Ok(Self { statements })
    }

    /// Verifies the chain at `now` (seconds since 1970): it starts at one
    /// of `anchors`, is anchor → \[intermediate →\] leaf, every statement is
    /// within its validity period and on no revocation list of its issuer
    /// among `revocations`, and every signature holds. Failures are
    /// reported in that order (§16.4).
    pub fn verify(
        &self,
        anchors: &[TrustAnchor],
        revocations: &[RevocationList],
        now: u64,
    ) -> Result<Verified, VerifyError> {
        let (verified, checks) = self.evaluate(anchors, revocations, now)?;
        crate::verify::run_checks(&checks)?;
        Ok(verified)
    }

    /// As [`verify`](Self::verify), and the leaf must be an account
    /// certificate of `account`: what an app checks before showing
    /// "verified by ⟨organisation⟩" beside a contact.
    pub fn verify_account(
        &self,
        account: &AccountKey,
        anchors: &[TrustAnchor],
        revocations: &[RevocationList],
        now: u64,
    ) -> Result<Verified, VerifyError> {
        let verified = self.verify(anchors, revocations, now)?;
        if verified.kind != StatementKind::Account || verified.subject != account.to_bytes() {
            return Err(CertificateError::WrongSubject.into());
        }
        Ok(verified)
    }

    /// Every rule but the signatures, and the signature checks to run.
    pub(crate) fn evaluate(
        &self,
        anchors: &[TrustAnchor],
        revocations: &[RevocationList],
        now: u64,
    ) -> Result<(Verified, Vec<SignatureCheck>), VerifyError> {
        let (root, leaf) = match self.statements.as_slice() {
            [leaf] => (leaf, leaf),
            [intermediate, leaf] => {
                if intermediate.kind() != StatementKind::Intermediate {
                    return Err(CertificateError::InvalidChain(
                        "the first of two statements must be an intermediate certificate",
                    )
                    .into());
                }
                if leaf.issuer().to_bytes() != *intermediate.subject() {
                    return Err(CertificateError::InvalidChain(
                        "the leaf is not issued by the intermediate",
                    )
                    .into());
                }
                (intermediate, leaf)
            }
            _ => return Err(CertificateError::InvalidChain("one or two statements").into()),
        };
        if leaf.kind() == StatementKind::Intermediate {
            return Err(CertificateError::InvalidChain("the leaf is an intermediate").into());
        }
        let anchor = anchors
            .iter()
            .find(|a| a.key == *root.issuer())
            .ok_or(CertificateError::UnknownIssuer)?;
        for s in &self.statements {
            if now < s.valid_from() {
                return Err(CertificateError::NotYetValid {
                    serial: s.serial(),
                    valid_from: s.valid_from(),
                }
                .into());
            }
            if now >= s.valid_until() {
                return Err(CertificateError::Expired {
                    serial: s.serial(),
                    valid_until: s.valid_until(),
                }
                .into());
            }
        }
        let mut status = RevocationStatus::Current;
        for s in &self.statements {
            status = status.worse(revocation_status(s, revocations, now)?);
        }
        let checks = self.statements.iter().map(Statement::check).collect();
        let verified = Verified {
            organisation: anchor.organisation.clone(),
            kind: leaf.kind(),
            subject: *leaf.subject(),
            serial: leaf.serial(),
            claims: leaf.claims().to_vec(),
            valid_until: self
                .statements
                .iter()
                .map(Statement::valid_until)
                .min()
                .unwrap_or(0),
            revocation: status,
        };
        Ok((verified, checks))
    }
}

/// Revoked if any list of the statement's issuer names its serial (stale
/// or not: a revocation is never undone); otherwise how current the
/// issuer's newest list is.
fn revocation_status(
    s: &Statement,
    revocations: &[RevocationList],
    now: u64,
) -> Result<RevocationStatus, CertificateError> {
    let lists = || revocations.iter().filter(|l| l.issuer() == s.issuer());
    if lists().any(|l| l.revokes(s.serial())) {
        return Err(CertificateError::Revoked { serial: s.serial() });
    }
    // Newest by issue time; of two issued at once, the later next update
    // (so the verdict does not depend on the order lists are given in).
    Ok(
        match lists().max_by_key(|l| (l.issued_at(), l.next_update())) {
            None => RevocationStatus::Missing,
            Some(l) if l.is_stale(now) => RevocationStatus::Stale {
                next_update: l.next_update(),
            },
            Some(_) => RevocationStatus::Current,
        },
    )
}
