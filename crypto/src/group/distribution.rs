//! Sender-key distributions and their public announcements
//! (docs/PROTOCOL.md §12.2).
//!
//! ```text
//! announcement: 01 23 | sender identity (128) | group id len (1) | group id
//!                     | chain id (u32) | signing key (32) | signature (64)
//! distribution: 01 21 | the same fields | iteration (u32) | chain key (32)
//! ```
//!
//! The identity signature covers `"qorgan/v1/sender-key" || sender Ed25519
//! key || group id len || group id || chain id || signing key`: the public
//! part, which a server can check without seeing any secret. The iteration
//! and chain key travel only inside an authenticated 1:1 session.

use alloc::vec::Vec;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{check_group_id, read_group_id, write_group_id};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, EncryptError, SignatureError, SignedObject, VerifyError};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey, IdentityKeyPair, SignatureCheck};
use crate::labels;
use crate::primitives::ed25519::{Ed25519PublicKey, Signature};
use crate::session::Session;
use crate::wire;

/// The public, identity-signed part of a distribution: which device sends
/// with which signing key in which group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SenderKeyAnnouncement {
    /// The sending device.
    pub sender: IdentityKey,
    /// The group.
    pub group_id: Vec<u8>,
    /// The chain's id.
    pub chain_id: u32,
    /// The key that signs every message of the chain.
    pub signing_key: Ed25519PublicKey,
    /// The sender identity's signature over the fields above.
    pub signature: Signature,
}

impl SenderKeyAnnouncement {
    fn signed_fields(
        sender: &IdentityKey,
        group_id: &[u8],
        chain_id: u32,
        signing_key: &Ed25519PublicKey,
    ) -> Vec<u8> {
        let mut w = Writer::with_capacity(32 + 1 + group_id.len() + 4 + 32);
        w.raw(sender.signing_key().as_bytes());
        write_group_id(&mut w, group_id);
        w.u32(chain_id).raw(signing_key.as_bytes());
        w.into_vec()
    }

    pub(crate) fn sign(
        identity: &IdentityKeyPair,
        group_id: &[u8],
        chain_id: u32,
        signing_key: Ed25519PublicKey,
    ) -> Self {
        let fields = Self::signed_fields(identity.public(), group_id, chain_id, &signing_key);
        Self {
            sender: *identity.public(),
            group_id: group_id.to_vec(),
            chain_id,
            signing_key,
            signature: identity.sign(labels::SENDER_KEY, &fields),
        }
    }

    /// Checks the sender identity's signature.
    pub fn verify(&self) -> Result<(), SignatureError> {
        self.check().run()
    }

    /// Every signature an announcement carries, in verification order: the
    /// sender's identity binding, then the announcement signature.
    pub(crate) fn checks(&self) -> [SignatureCheck; 2] {
        [self.sender.binding_check(), self.check()]
    }

    pub(crate) fn check(&self) -> SignatureCheck {
        let fields = Self::signed_fields(
            &self.sender,
            &self.group_id,
            self.chain_id,
            &self.signing_key,
        );
        SignatureCheck::labeled(
            self.sender.signing_key(),
            labels::SENDER_KEY,
            &fields,
            &self.signature,
            SignedObject::SenderKeyDistribution,
        )
    }

    fn write(&self, w: &mut Writer) {
        self.sender.write(w);
        write_group_id(w, &self.group_id);
        w.u32(self.chain_id)
            .raw(self.signing_key.as_bytes())
            .raw(&self.signature.to_bytes());
    }

    /// Reads the fields; no signature is checked here.
    pub(crate) fn read_unverified(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let sender = IdentityKey::read_trusted(r)?;
        let group_id = read_group_id(r)?;
        let chain_id = r.u32()?;
        let signing_key = Ed25519PublicKey::from_bytes(&r.array()?)?;
        let signature = Signature::from_bytes(&r.array()?);
        Ok(Self {
            sender,
            group_id,
            chain_id,
            signing_key,
            signature,
        })
    }

    /// Encodes the announcement (type `0x23`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(2 + IDENTITY_KEY_LEN + 1 + self.group_id.len() + 100);
        w.u8(wire::VERSION).u8(wire::TYPE_SENDER_KEY_ANNOUNCEMENT);
        self.write(&mut w);
        w.into_vec()
    }

    /// Decodes an announcement and verifies its signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let a = Self::decode_unverified(bytes)?;
        for check in a.checks() {
            check.run()?;
        }
        Ok(a)
    }

    /// Decodes without checking any signature (for batch verification).
    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        wire::expect_header(&mut r, wire::TYPE_SENDER_KEY_ANNOUNCEMENT)?;
        let a = Self::read_unverified(&mut r)?;
        r.finish()?;
        Ok(a)
    }
}

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

    /// Encodes the distribution (type `0x21`).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(
            2 + IDENTITY_KEY_LEN + 1 + self.announcement.group_id.len() + 136,
        );
        w.u8(wire::VERSION).u8(wire::TYPE_SENDER_KEY_DISTRIBUTION);
        self.announcement.write(&mut w);
        w.u32(self.iteration).raw(self.chain_key.as_ref());
        Zeroizing::new(w.into_vec())
    }

    /// Decodes a distribution and verifies the identity signature.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let mut r = Reader::new(bytes);
        wire::expect_header(&mut r, wire::TYPE_SENDER_KEY_DISTRIBUTION)?;
        let announcement = SenderKeyAnnouncement::read_unverified(&mut r)?;
        announcement.sender.binding_check().run()?;
        let iteration = r.u32()?;
        let chain_key = Zeroizing::new(r.array()?);
        r.finish()?;
        check_group_id(&announcement.group_id).map_err(VerifyError::from)?;
        announcement.verify()?;
        Ok(Self {
            announcement,
            iteration,
            chain_key,
        })
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
/// that needs the peer's reply first) does not stop the others.
pub fn distribute<R: CryptoRng + ?Sized>(
    rng: &mut R,
    distribution: &SenderKeyDistribution,
    sessions: &mut [&mut Session],
) -> Vec<Result<Vec<u8>, EncryptError>> {
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
