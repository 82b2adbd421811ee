//! The receiving side of one sender chain.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::distribution::SenderKeyDistribution;
use super::message::ParsedGroupMessage;
use super::{read_group_id, write_group_id};
use crate::codec::{Reader, Writer};
use crate::error::{
    DecodeError, DecryptError, GroupError, SignatureError, SignedObject, VerifyError,
};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey};
use crate::limits::{MAX_BATCH, MAX_EXPORT_ADVANCE, MAX_GROUP_JUMP, MAX_GROUP_SKIPPED_KEYS};
use crate::primitives::ed25519::{Ed25519PublicKey, Signature, verify_batch_parts};
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::message_key::MessageKey;
use crate::wire;

/// One sender chain as a member reads it.
///
/// `decrypt` verifies the signature first, then ratchets forward (at most
/// [`MAX_GROUP_JUMP`] per message), keeps skipped keys (at most
/// [`MAX_GROUP_SKIPPED_KEYS`], lowest evicted first), refuses duplicates and
/// is transactional: on any error the session is unchanged.
#[derive(Clone)]
pub struct InboundGroupSession {
    pub(crate) sender: IdentityKey,
    pub(crate) group_id: Vec<u8>,
    pub(crate) chain_id: u32,
    pub(crate) signing_key: Ed25519PublicKey,
    /// The earliest iteration this session was given.
    pub(crate) first_iteration: u32,
    pub(crate) chain: ChainKey,
    /// Boxed, as in 1:1 sessions, so removal leaves no stale key bytes.
    pub(crate) skipped: BTreeMap<u32, Box<MessageKey>>,
    /// False for imported sessions: their keys did not arrive with the
    /// sender identity's signature.
    pub(crate) verified: bool,
}

enum Commit {
    Skipped(u32),
    Advance {
        chain: ChainKey,
        skipped: Vec<Box<MessageKey>>,
    },
}

impl InboundGroupSession {
    /// Creates the session from a distribution that arrived over the 1:1
    /// session with `from`. Refuses a distribution signed by anyone else.
    pub fn new(
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
    ) -> Result<Self, GroupError> {
        let a = &distribution.announcement;
        a.verify().map_err(VerifyError::from)?;
        if !a.sender.ct_eq(from) {
            return Err(GroupError::UntrustedSender);
        }
        Ok(Self {
            sender: a.sender,
            group_id: a.group_id.clone(),
            chain_id: a.chain_id,
            signing_key: a.signing_key,
            first_iteration: distribution.iteration,
            chain: ChainKey::new(*distribution.chain_key, distribution.iteration),
            skipped: BTreeMap::new(),
            verified: true,
        })
    }

    fn check_header(&self, m: &ParsedGroupMessage<'_>) -> Result<(), DecryptError> {
        if m.chain_id != self.chain_id {
            return Err(DecryptError::WrongChain {
                expected: self.chain_id,
                got: m.chain_id,
            });
        }
        Ok(())
    }

    /// Decrypts one message: signature first, then the chain.
    pub fn decrypt(&mut self, message: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let m = ParsedGroupMessage::parse(message)?;
        self.check_header(&m)?;
        if !self
            .signing_key
            .verify_parts(&m.signed_parts(), &m.signature)
        {
            return Err(SignatureError::Invalid(SignedObject::GroupMessage).into());
        }
        let (plaintext, commit) = self.plan(&m)?;
        self.apply(commit);
        Ok(plaintext)
    }

    /// Decrypts many queued messages (a device coming online). All
    /// signatures are checked together with batch verification; a failing
    /// batch is bisected so exactly the bad messages are reported. Results
    /// are in input order; each message is applied transactionally in turn.
    /// At most [`MAX_BATCH`] messages per call; the rest get
    /// `DecodeError::TooLong`.
    pub fn decrypt_batch(&mut self, messages: &[&[u8]]) -> Vec<Result<Vec<u8>, DecryptError>> {
        let parsed: Vec<Result<ParsedGroupMessage<'_>, DecryptError>> = messages
            .iter()
            .enumerate()
            .map(|(i, bytes)| {
                if i >= MAX_BATCH {
                    return Err(DecodeError::TooLong {
                        field: "batch",
                        len: messages.len(),
                        limit: MAX_BATCH,
                    }
                    .into());
                }
                let m = ParsedGroupMessage::parse(bytes)?;
                self.check_header(&m)?;
                Ok(m)
            })
            .collect();
        let signed: Vec<[&[u8]; 2]> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .map(ParsedGroupMessage::signed_parts)
            .collect();
        let items: Vec<(&[&[u8]], &Signature, &Ed25519PublicKey)> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok())
            .zip(signed.iter())
            .map(|(m, parts)| (parts.as_slice(), &m.signature, &self.signing_key))
            .collect();
        let mut verdicts = verify_batch_parts(&items).into_iter();
        parsed
            .into_iter()
            .map(|p| {
                let m = p?;
                if !verdicts.next().unwrap_or(false) {
                    return Err(SignatureError::Invalid(SignedObject::GroupMessage).into());
                }
                let (plaintext, commit) = self.plan(&m)?;
                self.apply(commit);
                Ok(plaintext)
            })
            .collect()
    }

    /// Works out the key and what would change; changes nothing.
    fn plan(&self, m: &ParsedGroupMessage<'_>) -> Result<(Vec<u8>, Commit), DecryptError> {
        if m.iteration < self.first_iteration {
            return Err(DecryptError::BeforeFirstIteration {
                iteration: m.iteration,
                first: self.first_iteration,
            });
        }
        let open = |key: &MessageKey| {
            key.open(m.header, m.ciphertext)
                .map_err(|_| DecryptError::AuthenticationFailed)
        };
        if m.iteration < self.chain.index() {
            let key = self
                .skipped
                .get(&m.iteration)
                .ok_or(DecryptError::Duplicate { index: m.iteration })?;
            return Ok((open(key)?, Commit::Skipped(m.iteration)));
        }
        let gap = u64::from(m.iteration - self.chain.index());
        if gap > u64::from(MAX_GROUP_JUMP) {
            return Err(DecryptError::TooFarAhead {
                gap,
                limit: MAX_GROUP_JUMP,
            });
        }
        let mut chain = self.chain.clone();
        let mut skipped = Vec::with_capacity(gap as usize);
        while chain.index() < m.iteration {
            skipped.push(Box::new(chain.step()));
        }
        let key = chain.step();
        Ok((open(&key)?, Commit::Advance { chain, skipped }))
    }

    fn apply(&mut self, commit: Commit) {
        match commit {
            Commit::Skipped(iteration) => {
                self.skipped.remove(&iteration);
            }
            Commit::Advance { chain, skipped } => {
                self.chain = chain;
                for key in skipped {
                    self.skipped.insert(key.index(), key);
                }
                while self.skipped.len() > MAX_GROUP_SKIPPED_KEYS {
                    self.skipped.pop_first();
                }
            }
        }
    }

    /// Exports the session from `iteration` on, for key backup or a new
    /// device. `iteration` must be at or after the session's chain position
    /// (the export cannot reach back before it) and at most
    /// [`MAX_EXPORT_ADVANCE`] ahead. The export carries the chain key: keep
    /// it encrypted.
    pub fn export_at(&self, iteration: u32) -> Result<Zeroizing<Vec<u8>>, GroupError> {
        let position = self.chain.index();
        if iteration < position {
            return Err(GroupError::IterationUnavailable {
                requested: iteration,
                available: position,
            });
        }
        let ahead = u64::from(iteration - position);
        if ahead > u64::from(MAX_EXPORT_ADVANCE) {
            return Err(GroupError::TooFarAhead {
                ahead,
                limit: MAX_EXPORT_ADVANCE,
            });
        }
        let mut chain = self.chain.clone();
        while chain.index() < iteration {
            chain.step();
        }
        let mut w = Writer::with_capacity(2 + IDENTITY_KEY_LEN + 1 + self.group_id.len() + 72);
        w.u8(wire::VERSION).u8(wire::TYPE_GROUP_EXPORT);
        self.sender.write(&mut w);
        write_group_id(&mut w, &self.group_id);
        w.u32(self.chain_id)
            .raw(self.signing_key.as_bytes())
            .u32(chain.index())
            .raw(chain.as_bytes());
        Ok(Zeroizing::new(w.into_vec()))
    }

    /// Imports an export. The session is marked unverified: its keys came
    /// from a backup, not with the sender identity's signature.
    pub fn import(bytes: &[u8]) -> Result<Self, GroupError> {
        let mut r = Reader::new(bytes);
        wire::expect_header(&mut r, wire::TYPE_GROUP_EXPORT)?;
        let sender = IdentityKey::read(&mut r)?;
        let group_id = read_group_id(&mut r)?;
        let chain_id = r.u32()?;
        let signing_key = Ed25519PublicKey::from_bytes(&r.array()?)?;
        let iteration = r.u32()?;
        let key = r.array()?;
        r.finish()?;
        Ok(Self {
            sender,
            group_id,
            chain_id,
            signing_key,
            first_iteration: iteration,
            chain: ChainKey::new(key, iteration),
            skipped: BTreeMap::new(),
            verified: false,
        })
    }

    /// Merges two copies of the same chain into one that reads everything
    /// either could: the earlier chain position, the union of stored
    /// skipped keys, the earlier first iteration; verified if either was.
    pub fn merge(&self, other: &Self) -> Result<Self, GroupError> {
        if self.chain_id != other.chain_id
            || self.signing_key != other.signing_key
            || self.group_id != other.group_id
            || !self.sender.ct_eq(&other.sender)
        {
            return Err(GroupError::ChainMismatch);
        }
        let (base, extra) = if self.chain.index() <= other.chain.index() {
            (self, other)
        } else {
            (other, self)
        };
        let mut merged = base.clone();
        for (iteration, key) in &extra.skipped {
            if *iteration < merged.chain.index() {
                merged
                    .skipped
                    .entry(*iteration)
                    .or_insert_with(|| key.clone());
            }
        }
        while merged.skipped.len() > MAX_GROUP_SKIPPED_KEYS {
            merged.skipped.pop_first();
        }
        merged.first_iteration = self.first_iteration.min(other.first_iteration);
        merged.verified = self.verified || other.verified;
        Ok(merged)
    }

    /// The sending device.
    pub fn sender(&self) -> &IdentityKey {
        &self.sender
    }

    /// The group.
    pub fn group_id(&self) -> &[u8] {
        &self.group_id
    }

    /// The chain id.
    pub fn chain_id(&self) -> u32 {
        self.chain_id
    }

    /// The earliest iteration this session can decrypt.
    pub fn first_iteration(&self) -> u32 {
        self.first_iteration
    }

    /// The next iteration the chain would yield.
    pub fn position(&self) -> u32 {
        self.chain.index()
    }

    /// Whether the keys arrived with the sender identity's signature (false
    /// after [`import`](Self::import), unless merged with a verified copy).
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// Stored skipped keys.
    pub fn skipped_key_count(&self) -> usize {
        self.skipped.len()
    }
}

impl core::fmt::Debug for InboundGroupSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InboundGroupSession")
            .field("chain_id", &self.chain_id)
            .field("first_iteration", &self.first_iteration)
            .field("position", &self.chain.index())
            .field("verified", &self.verified)
            .field("secrets", &"[redacted]")
            .finish_non_exhaustive()
    }
}
