//! One sender's chains in one group: the current chain and a bounded number
//! of retired ones, so messages still in flight when the sender rotated stay
//! readable.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::distribution::SenderKeyDistribution;
use super::inbound::InboundGroupSession;
use super::message::ParsedGroupMessage;
use crate::error::{DecryptError, GroupError};
use crate::identity::IdentityKey;
use crate::limits::MAX_RETIRED_SENDER_CHAINS;

/// A sender's chains in one group, newest last; at most
/// [`MAX_RETIRED_SENDER_CHAINS`] retired chains besides the current one.
#[derive(Clone, Debug)]
pub struct SenderKeyRing {
    pub(crate) sender: IdentityKey,
    pub(crate) group_id: Vec<u8>,
    pub(crate) chains: VecDeque<InboundGroupSession>,
}

impl SenderKeyRing {
    /// Starts the ring with the sender's first distribution, received over
    /// the 1:1 session with `from`.
    pub fn new(
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
    ) -> Result<Self, GroupError> {
        let session = InboundGroupSession::new(distribution, from)?;
        Ok(Self {
            sender: session.sender,
            group_id: session.group_id.clone(),
            chains: VecDeque::from([session]),
        })
    }

    /// Starts the ring from one chain alone, typically an
    /// [`InboundGroupSession::import`] of an export made by another device of
    /// the same user. The chain stays unverified until the sender's own
    /// distribution of it is [`add`](Self::add)ed, which merges the two.
    pub fn from_session(session: InboundGroupSession) -> Self {
        Self {
            sender: session.sender,
            group_id: session.group_id.clone(),
            chains: VecDeque::from([session]),
        }
    }

    /// Exports the current chain from its current position (the earliest
    /// iteration it can still derive), for another device of the same user.
    /// The export carries the chain key: send it only encrypted, over a 1:1
    /// session with that device.
    pub fn export_current(&self) -> Result<Zeroizing<Vec<u8>>, GroupError> {
        // A ring always holds a chain (constructors and the state loader
        // guarantee it); an empty one would report no iteration available.
        let chain = self.chains.back().ok_or(GroupError::IterationUnavailable {
            requested: 0,
            available: 0,
        })?;
        chain.export_at(chain.position())
    }

    /// Whether the current chain came with the sender identity's signature
    /// (false for a chain started from an export until its distribution is
    /// added).
    pub fn is_verified(&self) -> bool {
        self.chains
            .back()
            .is_some_and(InboundGroupSession::is_verified)
    }

    /// Adds a distribution from the same sender and group: a new chain
    /// becomes current (the oldest retired one is dropped past the bound);
    /// a distribution of a chain already held is merged into it.
    pub fn add(
        &mut self,
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
    ) -> Result<(), GroupError> {
        let session = InboundGroupSession::new(distribution, from)?;
        if !session.sender.ct_eq(&self.sender) {
            return Err(GroupError::UntrustedSender);
        }
        if session.group_id != self.group_id {
            return Err(GroupError::GroupMismatch);
        }
        if let Some(existing) = self
            .chains
            .iter_mut()
            .find(|c| c.chain_id == session.chain_id)
        {
            *existing = existing.merge(&session)?;
            return Ok(());
        }
        self.chains.push_back(session);
        while self.chains.len() > MAX_RETIRED_SENDER_CHAINS + 1 {
            self.chains.pop_front();
        }
        Ok(())
    }

    /// Decrypts a message of any chain the ring holds.
    pub fn decrypt(&mut self, message: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let m = ParsedGroupMessage::parse(message)?;
        let current = self.current_chain_id();
        match self
            .chains
            .iter_mut()
            .rev()
            .find(|c| c.chain_id == m.chain_id)
        {
            Some(chain) => chain.decrypt(message),
            None => Err(DecryptError::WrongChain {
                expected: current,
                got: m.chain_id,
            }),
        }
    }

    /// Decrypts a queue of messages, batching signature checks per chain.
    /// Results are in input order.
    pub fn decrypt_batch(&mut self, messages: &[&[u8]]) -> Vec<Result<Vec<u8>, DecryptError>> {
        let mut results: Vec<Option<Result<Vec<u8>, DecryptError>>> =
            messages.iter().map(|_| None).collect();
        let current = self.current_chain_id();
        for chain in self.chains.iter_mut() {
            let mine: Vec<usize> = messages
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    ParsedGroupMessage::parse(m).is_ok_and(|p| p.chain_id == chain.chain_id)
                })
                .map(|(i, _)| i)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let batch: Vec<&[u8]> = mine
                .iter()
                .filter_map(|i| messages.get(*i).copied())
                .collect();
            for (i, r) in mine.into_iter().zip(chain.decrypt_batch(&batch)) {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
        results
            .into_iter()
            .zip(messages.iter())
            .map(|(r, m)| {
                r.unwrap_or_else(|| match ParsedGroupMessage::parse(m) {
                    Err(e) => Err(e.into()),
                    Ok(p) => Err(DecryptError::WrongChain {
                        expected: current,
                        got: p.chain_id,
                    }),
                })
            })
            .collect()
    }

    fn current_chain_id(&self) -> u32 {
        self.chains.back().map(|c| c.chain_id).unwrap_or_default()
    }

    /// The sender.
    pub fn sender(&self) -> &IdentityKey {
        &self.sender
    }

    /// The group.
    pub fn group_id(&self) -> &[u8] {
        &self.group_id
    }

    /// The chains held, oldest first.
    pub fn chains(&self) -> impl Iterator<Item = &InboundGroupSession> {
        self.chains.iter()
    }
}
