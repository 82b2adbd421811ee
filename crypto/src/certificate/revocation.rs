//! Revocation lists (docs/PROTOCOL.md §16.3): an issuer's signed list of
//! the serials it withdrew, with the time it was issued and the time by
//! which the next list is due.
//!
//! `0x01 || 0x37 || issuer (32) || issued_at (u64) || next_update (u64) ||
//! u32 n || n × serial (u64, strictly ascending) || signature (64)`, the
//! signature by the issuer over `"qorgan/v1/revocation-list" || every byte
//! before it`; `issued_at < next_update`.

use alloc::vec::Vec;

use super::issuer::{IssuerKey, IssuerKeyPair};
use crate::codec::{Reader, Writer};
use crate::error::{CertificateError, DecodeError, SignedObject, VerifyError};
use crate::identity::SignatureCheck;
use crate::labels;
use crate::limits::MAX_REVOKED_SERIALS;
use crate::primitives::ed25519::{Ed25519PublicKey, Signature};
use crate::wire;

/// A revocation list, signed by its issuer (verified when decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationList {
    issuer: IssuerKey,
    issued_at: u64,
    next_update: u64,
    serials: Vec<u64>,
    signature: Signature,
}

impl RevocationList {
    /// Issues a list revoking `serials` (sorted here; duplicates refused).
    pub fn issue(
        issuer: &IssuerKeyPair,
        issued_at: u64,
        next_update: u64,
        mut serials: Vec<u64>,
    ) -> Result<Self, CertificateError> {
        serials.sort_unstable();
        let mut list = Self {
            issuer: *issuer.public(),
            issued_at,
            next_update,
            serials,
            signature: Signature::from_bytes(&[0; 64]),
        };
        list.check_rules()?;
        list.signature = issuer.sign(labels::REVOCATION_LIST, &list.signed_bytes());
        Ok(list)
    }

    /// The issuer.
    pub fn issuer(&self) -> &IssuerKey {
        &self.issuer
    }

    /// When it was issued.
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// When the next list is due: from then on this one is stale.
    pub fn next_update(&self) -> u64 {
        self.next_update
    }

    /// The revoked serials, ascending.
    pub fn serials(&self) -> &[u64] {
        &self.serials
    }

    /// Whether `serial` is revoked.
    pub fn revokes(&self, serial: u64) -> bool {
        self.serials.binary_search(&serial).is_ok()
    }

    /// Whether the list is stale at `now` (the next one was due).
    pub fn is_stale(&self, now: u64) -> bool {
        now >= self.next_update
    }

    fn check_rules(&self) -> Result<(), CertificateError> {
        if self.serials.len() > MAX_REVOKED_SERIALS {
            return Err(CertificateError::InvalidStatement(
                "more than MAX_REVOKED_SERIALS serials",
            ));
        }
        if self.issued_at >= self.next_update {
            return Err(CertificateError::InvalidStatement(
                "issued_at not before next_update",
            ));
        }
        if self.serials.windows(2).any(|w| w.first() >= w.get(1)) {
            return Err(CertificateError::InvalidStatement(
                "serials not strictly ascending (or listed twice)",
            ));
        }
        Ok(())
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(2 + 32 + 16 + 4 + self.serials.len() * 8);
        w.u8(wire::CERTIFICATE_VERSION)
            .u8(wire::TYPE_REVOCATION_LIST)
            .raw(&self.issuer.to_bytes())
            .u64(self.issued_at)
            .u64(self.next_update)
            .count(self.serials.len());
        for s in &self.serials {
            w.u64(*s);
        }
        w.into_vec()
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes a list and verifies its signature and the rules of §16.3.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let list = Self::decode_unverified(bytes)?;
        crate::verify::run_checks(&[list.check()])?;
        Ok(list)
    }

    /// The issuer's signature.
    pub(crate) fn check(&self) -> SignatureCheck {
        SignatureCheck::labeled(
            &self.issuer.0,
            labels::REVOCATION_LIST,
            &self.signed_bytes(),
            &self.signature,
            SignedObject::RevocationList,
        )
    }

    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        let list = Self::read(&mut r)?;
        r.finish()?;
        list.check_rules()?;
        Ok(list)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        wire::expect_versioned_header(r, wire::CERTIFICATE_VERSION, wire::TYPE_REVOCATION_LIST)?;
        let issuer = IssuerKey(Ed25519PublicKey::from_bytes(&r.array()?)?);
        let issued_at = r.u64()?;
        let next_update = r.u64()?;
        let n = r.count("revoked serials", MAX_REVOKED_SERIALS, 8)?;
        let mut serials = Vec::with_capacity(n);
        for _ in 0..n {
            serials.push(r.u64()?);
        }
        let signature = Signature::from_bytes(&r.array()?);
        Ok(Self {
            issuer,
            issued_at,
            next_update,
            serials,
            signature,
        })
    }
}
