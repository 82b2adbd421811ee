//! Sender-key distributions and exports (docs/PROTOCOL.md §12.2, §12.8):
//! an announcement with the chain key at some iteration.
//!
//! ```text
//! distribution: 02 21 | announcement body | iteration (u32) | chain key (32)
//! export:       02 22 | the same fields
//! ```
//!
//! The iteration and chain key travel only inside an authenticated 1:1
//! session (a distribution from the sender, an export from another device
//! of the same user). Decoding either verifies every signature of the
//! announcement, so no copy of a chain ever holds a signing key its
//! announcer did not prove to hold.

use alloc::vec::Vec;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::announcement::{SenderKeyAnnouncement, announcement_body_len};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, EncryptError, VerifyError};
use crate::session::Session;
use crate::wire;

/// Everything a member needs to read a sender's chain from `iteration` on.
/// Contains the chain key: send it only inside a 1:1 session.
#[derive(Clone)]
pub struct SenderKeyDistribution {
    /// The signed public part.
    pub announcement: SenderKeyAnnouncement,
    pub(crate) iteration: u32,
    pub(crate) chain_key: Zeroizing<[u8; 32]>,
}

impl SenderKeyDistribution {
    pub(crate) fn new(
        announcement: SenderKeyAnnouncement,
        iteration: u32,
        chain_key: [u8; 32],
    ) -> Self {
        Self {
            announcement,
            iteration,
            chain_key: Zeroizing::new(chain_key),
        }
    }

    /// The first iteration this distribution can decrypt.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    /// Encodes with type `ty` (`0x21` distribution, `0x22` export).
    pub(crate) fn encode(&self, ty: u8) -> Zeroizing<Vec<u8>> {
        let mut w =
            Writer::with_capacity(2 + announcement_body_len(self.announcement.group_id.len()) + 36);
        w.u8(self.announcement.format_version()).u8(ty);
        self.announcement.write(&mut w);
        w.u32(self.iteration).raw(self.chain_key.as_ref());
        Zeroizing::new(w.into_vec())
    }

    /// Decodes type `ty` and verifies every signature of the announcement.
    pub(crate) fn decode(bytes: &[u8], ty: u8) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        let version = wire::expect_chain_header(&mut r, ty)?;
        let announcement = SenderKeyAnnouncement::read_unverified(&mut r, version)?;
        let iteration = r.u32()?;
        let chain_key = Zeroizing::new(r.array()?);
        r.finish()?;
        announcement.verify_all()?;
        Ok(Self {
            announcement,
            iteration,
            chain_key,
        })
    }

    /// Encodes the distribution (version `0x02`, type `0x21`).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        self.encode(wire::TYPE_SENDER_KEY_DISTRIBUTION)
    }

    /// Decodes a distribution and verifies its announcement's signatures
    /// (identity binding, proof of possession, identity signature).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        Self::decode(bytes, wire::TYPE_SENDER_KEY_DISTRIBUTION)
    }

    /// The public part, for servers.
    pub fn announcement(&self) -> &SenderKeyAnnouncement {
        &self.announcement
    }
}

impl core::fmt::Debug for SenderKeyDistribution {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SenderKeyDistribution")
            .field("announcement", &self.announcement)
            .field("iteration", &self.iteration)
            .field("chain_key", &"[redacted]")
            .finish()
    }
}

/// Encrypts one distribution for many recipients' 1:1 sessions: one result
/// per session, in order. A failure for one recipient (for example a chain
/// that needs the peer's reply first) does not stop the others. A chain
/// bound to a roster is refused for every session
/// (`EncryptError::RosterRequired`): use
/// [`distribute_in_roster`](crate::roster::distribute_in_roster), which
/// sends only to members' devices.
pub fn distribute<R: CryptoRng + ?Sized>(
    rng: &mut R,
    distribution: &SenderKeyDistribution,
    sessions: &mut [&mut Session],
) -> Vec<Result<Vec<u8>, EncryptError>> {
    if distribution.announcement.roster.is_some() {
        return sessions
            .iter()
            .map(|_| Err(EncryptError::RosterRequired))
            .collect();
    }
    let bytes = distribution.to_bytes();
    sessions
        .iter_mut()
        .map(|s| s.encrypt(rng, &bytes))
        .collect()
}

impl From<DecodeError> for crate::error::GroupError {
    fn from(e: DecodeError) -> Self {
        Self::Verify(VerifyError::Decode(e))
    }
}
