//! A roster entry: an account and its role.

use crate::account::AccountKey;
use crate::error::DecodeError;

/// What a member may do. Only admins sign the next roster, so only an
/// admin adds, removes or promotes anyone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads and sends.
    Member,
    /// Also signs roster changes.
    Admin,
}

impl Role {
    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Self::Member => 0,
            Self::Admin => 1,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Result<Self, DecodeError> {
        match b {
            0 => Ok(Self::Member),
            1 => Ok(Self::Admin),
            _ => Err(DecodeError::InvalidField("roster role")),
        }
    }
}

/// One member of a roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's account key.
    pub account: AccountKey,
    /// The member's role.
    pub role: Role,
}

impl Member {
    /// A member with `role`.
    pub fn new(account: AccountKey, role: Role) -> Self {
        Self { account, role }
    }

    pub(crate) fn sort_key(&self) -> [u8; 32] {
        self.account.to_bytes()
    }
}
