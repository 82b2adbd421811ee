//! Claims: the attributes a statement asserts about its subject
//! (docs/PROTOCOL.md §16.1), each a tag and a short UTF-8 value.

use alloc::string::String;

use crate::codec::{Reader, Writer};
use crate::error::{CertificateError, DecodeError};
use crate::limits::MAX_CLAIM_LEN;

/// What a claim says. Tags 1–5 are defined here; 128–255 are free for an
/// organisation's own use; others are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClaimTag(pub u8);

impl ClaimTag {
    /// The subject's name as people know it ("Colonel N. Serikbayev").
    pub const DISPLAY_NAME: Self = Self(1);
    /// The subject's unit or department.
    pub const UNIT: Self = Self(2);
    /// The subject's role or rank.
    pub const ROLE: Self = Self(3);
    /// The name of the organisation an intermediate key issues for.
    pub const ORGANISATION: Self = Self(4);
    /// A free-text statement ("may enter building 3").
    pub const TEXT: Self = Self(5);
    /// The first tag free for an organisation's own use.
    pub const PRIVATE_FIRST: Self = Self(128);

    pub(crate) fn is_known(self) -> bool {
        (1..=5).contains(&self.0) || self.0 >= Self::PRIVATE_FIRST.0
    }
}

/// One claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// What it says.
    pub tag: ClaimTag,
    /// The value: UTF-8, at most [`MAX_CLAIM_LEN`] bytes.
    pub value: String,
}

impl Claim {
    /// A claim; refused when the tag is reserved or the value too long.
    pub fn new(tag: ClaimTag, value: &str) -> Result<Self, CertificateError> {
        if !tag.is_known() {
            return Err(CertificateError::InvalidStatement("reserved claim tag"));
        }
        if value.len() > MAX_CLAIM_LEN {
            return Err(CertificateError::InvalidStatement(
                "claim longer than MAX_CLAIM_LEN",
            ));
        }
        Ok(Self {
            tag,
            value: value.into(),
        })
    }

    /// A display name claim.
    pub fn display_name(value: &str) -> Result<Self, CertificateError> {
        Self::new(ClaimTag::DISPLAY_NAME, value)
    }

    /// A unit claim.
    pub fn unit(value: &str) -> Result<Self, CertificateError> {
        Self::new(ClaimTag::UNIT, value)
    }

    /// A role claim.
    pub fn role(value: &str) -> Result<Self, CertificateError> {
        Self::new(ClaimTag::ROLE, value)
    }

    /// An organisation-name claim (for intermediates).
    pub fn organisation(value: &str) -> Result<Self, CertificateError> {
        Self::new(ClaimTag::ORGANISATION, value)
    }

    /// A free-text claim.
    pub fn text(value: &str) -> Result<Self, CertificateError> {
        Self::new(ClaimTag::TEXT, value)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.u8(self.tag.0)
            .u8(u8::try_from(self.value.len()).unwrap_or(u8::MAX))
            .raw(self.value.as_bytes());
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let tag = ClaimTag(r.u8()?);
        let len = usize::from(r.u8()?);
        if len > MAX_CLAIM_LEN {
            return Err(DecodeError::TooLong {
                field: "claim",
                len,
                limit: MAX_CLAIM_LEN,
            });
        }
        let value = core::str::from_utf8(r.take(len)?)
            .map_err(|_| DecodeError::InvalidField("claim is not UTF-8"))?;
        if !tag.is_known() {
            return Err(DecodeError::InvalidField("reserved claim tag"));
        }
        Ok(Self {
            tag,
            value: value.into(),
        })
    }
}
