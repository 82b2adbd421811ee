//! The statement format (docs/PROTOCOL.md §16.1): an issuer's signed,
//! dated assertion about a subject. A certificate is a statement.
//!
//! `0x01 || 0x35 || kind (u8) || issuer (32) || subject (32) ||
//! serial (u64) || valid_from (u64) || valid_until (u64) || u8 n ||
//! n × (tag (u8) || u8 len || value) || signature (64)`, the signature by
//! the issuer over `"qorgan/v1/statement" || every byte before it`. Claims
//! are sorted by tag, strictly ascending; `valid_from < valid_until`
//! (seconds since 1970, the first valid and the first invalid second).

use alloc::vec::Vec;

use super::claim::{Claim, ClaimTag};
use super::issuer::{IssuerKey, IssuerKeyPair};
use crate::account::AccountKey;
use crate::codec::{Reader, Writer};
use crate::error::{CertificateError, DecodeError, SignedObject, VerifyError};
use crate::identity::SignatureCheck;
use crate::labels;
use crate::limits::{MAX_CLAIM_LEN, MAX_CLAIMS};
use crate::primitives::ed25519::{Ed25519PublicKey, Signature};
use crate::wire;

/// Longest encoding of a statement.
pub const MAX_STATEMENT_LEN: usize =
    2 + 1 + 32 + 32 + 24 + 1 + MAX_CLAIMS * (2 + MAX_CLAIM_LEN) + 64;

/// What a statement's subject is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatementKind {
    /// A certificate of an account key (the subject); it must claim a
    /// display name.
    Account,
    /// An intermediate certificate of another issuer key (the subject),
    /// which may then issue account certificates and statements; it must
    /// claim the organisation name it issues for. Only an anchor issues
    /// one.
    Intermediate,
    /// Any other signed statement; the subject is 32 bytes the verifier
    /// knows how to compare (a hash of a document, a badge number's hash).
    Statement,
}

impl StatementKind {
    fn to_byte(self) -> u8 {
        match self {
            Self::Account => 1,
            Self::Intermediate => 2,
            Self::Statement => 3,
        }
    }

    fn from_byte(b: u8) -> Result<Self, DecodeError> {
        match b {
            1 => Ok(Self::Account),
            2 => Ok(Self::Intermediate),
            3 => Ok(Self::Statement),
            _ => Err(DecodeError::InvalidField("statement kind")),
        }
    }
}

/// A statement, signed by its issuer (verified when decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    kind: StatementKind,
    issuer: IssuerKey,
    subject: [u8; 32],
    serial: u64,
    valid_from: u64,
    valid_until: u64,
    claims: Vec<Claim>,
    signature: Signature,
}

impl Statement {
    /// Issues a statement. Claims are sorted by tag; refused when two share
    /// a tag, when there are more than [`MAX_CLAIMS`], when the period is
    /// empty, or when the kind's required claim is missing (or, for
    /// account and intermediate certificates, the subject is not a valid
    /// key).
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        issuer: &IssuerKeyPair,
        kind: StatementKind,
        subject: [u8; 32],
        serial: u64,
        valid_from: u64,
        valid_until: u64,
        mut claims: Vec<Claim>,
    ) -> Result<Self, CertificateError> {
        claims.sort_by_key(|c| c.tag);
        let mut s = Self {
            kind,
            issuer: *issuer.public(),
            subject,
            serial,
            valid_from,
            valid_until,
            claims,
            signature: Signature::from_bytes(&[0; 64]),
        };
        s.check_rules()?;
        s.signature = issuer.sign(labels::STATEMENT, &s.signed_bytes());
        Ok(s)
    }

    /// Certifies an account key.
    pub fn certify_account(
        issuer: &IssuerKeyPair,
        account: &AccountKey,
        serial: u64,
        valid_from: u64,
        valid_until: u64,
        claims: Vec<Claim>,
    ) -> Result<Self, CertificateError> {
        Self::issue(
            issuer,
            StatementKind::Account,
            account.to_bytes(),
            serial,
            valid_from,
            valid_until,
            claims,
        )
    }

    /// Certifies an intermediate issuer key (only an anchor's certificate
    /// of an intermediate is believed).
    pub fn certify_intermediate(
        anchor: &IssuerKeyPair,
        intermediate: &IssuerKey,
        serial: u64,
        valid_from: u64,
        valid_until: u64,
        claims: Vec<Claim>,
    ) -> Result<Self, CertificateError> {
        Self::issue(
            anchor,
            StatementKind::Intermediate,
            intermediate.to_bytes(),
            serial,
            valid_from,
            valid_until,
            claims,
        )
    }

    /// The kind.
    pub fn kind(&self) -> StatementKind {
        self.kind
    }

    /// The issuer's key.
    pub fn issuer(&self) -> &IssuerKey {
        &self.issuer
    }

    /// The subject: an account key, an issuer key, or 32 opaque bytes.
    pub fn subject(&self) -> &[u8; 32] {
        &self.subject
    }

    /// The serial, unique per issuer: what revocation lists name.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The first valid second.
    pub fn valid_from(&self) -> u64 {
        self.valid_from
    }

    /// The first second it is no longer valid.
    pub fn valid_until(&self) -> u64 {
        self.valid_until
    }

    /// The claims, sorted by tag.
    pub fn claims(&self) -> &[Claim] {
        &self.claims
    }

    /// The value of the claim with `tag`, if any.
    pub fn claim(&self, tag: ClaimTag) -> Option<&str> {
        self.claims
            .iter()
            .find(|c| c.tag == tag)
            .map(|c| c.value.as_str())
    }

    /// §16.1: claim count, order and lengths, the period, the kind's
    /// required claim and subject.
    fn check_rules(&self) -> Result<(), CertificateError> {
        if self.claims.len() > MAX_CLAIMS {
            return Err(CertificateError::InvalidStatement(
                "more than MAX_CLAIMS claims",
            ));
        }
        if self.claims.iter().any(|c| !c.tag.is_known()) {
            return Err(CertificateError::InvalidStatement("reserved claim tag"));
        }
        if self.claims.iter().any(|c| c.value.len() > MAX_CLAIM_LEN) {
            return Err(CertificateError::InvalidStatement(
                "claim longer than MAX_CLAIM_LEN",
            ));
        }
        if self
            .claims
            .windows(2)
            .any(|w| w.first().map(|c| c.tag) >= w.get(1).map(|c| c.tag))
        {
            return Err(CertificateError::InvalidStatement(
                "claims not strictly ascending by tag (or a tag twice)",
            ));
        }
        if self.valid_from >= self.valid_until {
            return Err(CertificateError::InvalidStatement(
                "valid_from not before valid_until",
            ));
        }
        let required = match self.kind {
            StatementKind::Account => Some(ClaimTag::DISPLAY_NAME),
            StatementKind::Intermediate => Some(ClaimTag::ORGANISATION),
            StatementKind::Statement => None,
        };
        if let Some(tag) = required {
            if self.claim(tag).is_none() {
                return Err(CertificateError::InvalidStatement(match self.kind {
                    StatementKind::Account => "account certificate without a display name",
                    _ => "intermediate certificate without an organisation name",
                }));
            }
            if Ed25519PublicKey::from_bytes(&self.subject).is_err() {
                return Err(CertificateError::InvalidStatement(
                    "subject is not a valid key",
                ));
            }
        }
        Ok(())
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(MAX_STATEMENT_LEN);
        w.u8(wire::CERTIFICATE_VERSION)
            .u8(wire::TYPE_STATEMENT)
            .u8(self.kind.to_byte())
            .raw(&self.issuer.to_bytes())
            .raw(&self.subject)
            .u64(self.serial)
            .u64(self.valid_from)
            .u64(self.valid_until)
            .u8(u8::try_from(self.claims.len()).unwrap_or(u8::MAX));
        for c in &self.claims {
            c.write(&mut w);
        }
        w.into_vec()
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes a statement and verifies its signature and the rules of
    /// §16.1. Says nothing of whether its issuer is trusted, or whether it
    /// is valid now: see [`Presentation::verify`](super::Presentation::verify).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let s = Self::decode_unverified(bytes)?;
        crate::verify::run_checks(&[s.check()])?;
        Ok(s)
    }

    /// The issuer's signature.
    pub(crate) fn check(&self) -> SignatureCheck {
        SignatureCheck::labeled(
            &self.issuer.0,
            labels::STATEMENT,
            &self.signed_bytes(),
            &self.signature,
            SignedObject::Statement,
        )
    }

    /// Decodes without checking the signature; §16.1 rule violations are
    /// errors here.
    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        let s = Self::read(&mut r)?;
        r.finish()?;
        s.check_rules()?;
        Ok(s)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        wire::expect_versioned_header(r, wire::CERTIFICATE_VERSION, wire::TYPE_STATEMENT)?;
        let kind = StatementKind::from_byte(r.u8()?)?;
        let issuer = IssuerKey(Ed25519PublicKey::from_bytes(&r.array()?)?);
        let subject = r.array()?;
        let serial = r.u64()?;
        let valid_from = r.u64()?;
        let valid_until = r.u64()?;
        let n = usize::from(r.u8()?);
        if n > MAX_CLAIMS {
            return Err(DecodeError::TooLong {
                field: "claims",
                len: n,
                limit: MAX_CLAIMS,
            });
        }
        let mut claims = Vec::with_capacity(n);
        for _ in 0..n {
            claims.push(Claim::read(r)?);
        }
        let signature = Signature::from_bytes(&r.array()?);
        Ok(Self {
            kind,
            issuer,
            subject,
            serial,
            valid_from,
            valid_until,
            claims,
            signature,
        })
    }
}
