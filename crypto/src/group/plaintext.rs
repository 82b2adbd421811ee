//! What a group decrypt returns: the plaintext and who said it where.

use alloc::vec::Vec;

use crate::error::Head;
use crate::identity::IdentityKey;

/// A decrypted group message with its provenance, every field of which the
/// sender's chain signature covered: the sending device, the group, the
/// chain (by id and rotation number) and the message's position in it. An
/// app shows `sender` as the author and can check that `group_id` is the
/// conversation it filed the message under.
#[derive(Clone, PartialEq, Eq)]
pub struct GroupPlaintext {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The sending device's identity.
    pub sender: IdentityKey,
    /// The group.
    pub group_id: Vec<u8>,
    /// The roster head the sender's chain is bound to (`None` for a group
    /// without a roster).
    pub roster: Option<Head>,
    /// The sender chain's id.
    pub chain_id: u32,
    /// The sender chain's rotation number.
    pub rotation: u32,
    /// The message's iteration in the chain.
    pub iteration: u32,
}

impl core::fmt::Debug for GroupPlaintext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GroupPlaintext")
            .field("len", &self.plaintext.len())
            .field("sender", &self.sender)
            .field("roster", &self.roster)
            .field("chain_id", &self.chain_id)
            .field("rotation", &self.rotation)
            .field("iteration", &self.iteration)
            .finish_non_exhaustive()
    }
}
