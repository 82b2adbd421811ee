//! One sender's chains in one group: the current chain and a bounded number
//! of retired ones, so messages still in flight when the sender rotated stay
//! readable. Chains are ordered by the rotation number inside their signed
//! announcement, never by arrival.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use super::distribution::SenderKeyDistribution;
use super::inbound::InboundGroupSession;
use super::message::ParsedGroupMessage;
use super::plaintext::GroupPlaintext;
use crate::account::{AccountKey, DeviceList};
use crate::error::{DecodeError, DecryptError, GroupError, RosterError};
use crate::identity::IdentityKey;
use crate::limits::{MAX_BATCH, MAX_RETIRED_SENDER_CHAINS};
use crate::roster::Roster;

/// A sender's chains in one group, in ascending rotation order (the current
/// chain, the highest rotation, last); at most [`MAX_RETIRED_SENDER_CHAINS`]
/// retired chains besides the current one.
#[derive(Clone, Debug)]
pub struct SenderKeyRing {
    pub(crate) sender: IdentityKey,
    pub(crate) group_id: Vec<u8>,
    pub(crate) chains: VecDeque<InboundGroupSession>,
    /// The generation of the last seal or open (docs/PROTOCOL.md §7.1);
    /// not part of the plain state.
    pub(crate) generation: u64,
}

impl SenderKeyRing {
    /// Starts the ring with the sender's first distribution, received over
    /// the 1:1 session with `from`.
    pub fn new(
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
    ) -> Result<Self, GroupError> {
        Ok(Self::from_session(InboundGroupSession::new(
            distribution,
            from,
        )?))
    }

    /// Starts the ring from one chain alone, typically an
    /// [`InboundGroupSession::import`] of an export made by another device of
    /// the same user (the import verified the sender's announcement).
    pub fn from_session(session: InboundGroupSession) -> Self {
        Self {
            generation: 0,
            sender: *session.sender(),
            group_id: session.group_id().to_vec(),
            chains: VecDeque::from([session]),
        }
    }

    /// Exports the current chain (the highest rotation held) from its
    /// current position, for another device of the same user. The export
    /// carries the chain key: send it only encrypted, over a 1:1 session
    /// with that device.
    pub fn export_current(&self) -> Result<Zeroizing<Vec<u8>>, GroupError> {
        // A ring always holds a chain (constructors and the state loader
        // guarantee it); an empty one would report no iteration available.
        let chain = self.chains.back().ok_or(GroupError::IterationUnavailable {
            requested: 0,
            available: 0,
        })?;
        chain.export_at(chain.position())
    }

    /// Starts the ring with the sender's first distribution in a group with
    /// a roster; see [`InboundGroupSession::new_in_roster`].
    pub fn new_in_roster(
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
        roster: &Roster,
        sender_list: &DeviceList,
        me: &AccountKey,
    ) -> Result<Self, GroupError> {
        Ok(Self::from_session(InboundGroupSession::new_in_roster(
            distribution,
            from,
            roster,
            sender_list,
            me,
        )?))
    }

    /// Adds a distribution in a group with a roster; see
    /// [`InboundGroupSession::new_in_roster`] and [`insert`](Self::insert).
    pub fn add_in_roster(
        &mut self,
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
        roster: &Roster,
        sender_list: &DeviceList,
        me: &AccountKey,
    ) -> Result<(), GroupError> {
        self.insert(InboundGroupSession::new_in_roster(
            distribution,
            from,
            roster,
            sender_list,
            me,
        )?)
    }

    /// Adds a distribution from the same sender and group, received over
    /// the 1:1 session with `from`; see [`insert`](Self::insert).
    pub fn add(
        &mut self,
        distribution: &SenderKeyDistribution,
        from: &IdentityKey,
    ) -> Result<(), GroupError> {
        self.insert(InboundGroupSession::new(distribution, from)?)
    }

    /// Adds a copy of one of the sender's chains (from a distribution or an
    /// import). A chain already held is merged (§12.8: never rewinds,
    /// conflicting keys refused); a new chain takes its place by rotation
    /// number, the oldest dropped beyond the bound. Refused, with the ring
    /// unchanged: another sender ([`GroupError::UntrustedSender`]) or group
    /// ([`GroupError::GroupMismatch`]); a second chain with a rotation
    /// number already held ([`GroupError::ConflictingRotation`]); a chain
    /// older than every chain of a full ring ([`GroupError::RetiredChain`]),
    /// which is how a dropped chain stays dropped.
    pub fn insert(&mut self, session: InboundGroupSession) -> Result<(), GroupError> {
        if !session.sender().ct_eq(&self.sender) {
            return Err(GroupError::UntrustedSender);
        }
        if session.group_id() != self.group_id.as_slice() {
            return Err(GroupError::GroupMismatch);
        }
        let rostered = |c: &InboundGroupSession| c.announcement().roster.is_some();
        if self
            .chains
            .iter()
            .any(|c| rostered(c) != rostered(&session))
        {
            return Err(RosterError::RosterMismatch.into());
        }
        if let Some(existing) = self
            .chains
            .iter_mut()
            .find(|c| c.chain_id() == session.chain_id())
        {
            *existing = existing.merge(&session)?;
            return Ok(());
        }
        let rotation = session.rotation();
        if self.chains.iter().any(|c| c.rotation() == rotation) {
            return Err(GroupError::ConflictingRotation { rotation });
        }
        let oldest = self.chains.front().map_or(0, InboundGroupSession::rotation);
        if self.chains.len() > MAX_RETIRED_SENDER_CHAINS && rotation < oldest {
            return Err(GroupError::RetiredChain { rotation, oldest });
        }
        let at = self
            .chains
            .iter()
            .position(|c| c.rotation() > rotation)
            .unwrap_or(self.chains.len());
        self.chains.insert(at, session);
        while self.chains.len() > MAX_RETIRED_SENDER_CHAINS + 1 {
            self.chains.pop_front();
        }
        Ok(())
    }

    /// Decrypts a message of a group with a roster: the chain it names must
    /// pass [`Roster::check_sender`] (the sender is still a member), then
    /// as [`decrypt`](Self::decrypt).
    pub fn decrypt_in_roster(
        &mut self,
        message: &[u8],
        roster: &Roster,
        sender_list: &DeviceList,
    ) -> Result<GroupPlaintext, GroupError> {
        let m = ParsedGroupMessage::parse(message).map_err(DecryptError::from)?;
        let current = self.current_chain_id();
        let chain = self
            .chains
            .iter_mut()
            .find(|c| c.chain_id() == m.chain_id)
            .ok_or(DecryptError::WrongChain {
                expected: current,
                got: m.chain_id,
            })?;
        chain.decrypt_in_roster(message, roster, sender_list)
    }

    /// Decrypts a message of any chain the ring holds.
    pub fn decrypt(&mut self, message: &[u8]) -> Result<GroupPlaintext, DecryptError> {
        let m = ParsedGroupMessage::parse(message)?;
        let current = self.current_chain_id();
        match self.chains.iter_mut().find(|c| c.chain_id() == m.chain_id) {
            Some(chain) => chain.decrypt(message),
            None => Err(DecryptError::WrongChain {
                expected: current,
                got: m.chain_id,
            }),
        }
    }

    /// Decrypts a queue of messages, batching signature checks per chain.
    /// Results are in input order. At most [`MAX_BATCH`] messages per call,
    /// as for one chain: the rest get `DecodeError::TooLong` untouched.
    pub fn decrypt_batch(
        &mut self,
        messages: &[&[u8]],
    ) -> Vec<Result<GroupPlaintext, DecryptError>> {
        self.batch(messages, |chain, batch| chain.decrypt_batch(batch))
    }

    /// [`decrypt_batch`](Self::decrypt_batch) for a group with a roster:
    /// each chain's messages pass [`Roster::check_sender`] first (all of
    /// them refused, with nothing changed, when it does not hold).
    pub fn decrypt_batch_in_roster(
        &mut self,
        messages: &[&[u8]],
        roster: &Roster,
        sender_list: &DeviceList,
    ) -> Vec<Result<GroupPlaintext, GroupError>> {
        self.batch(messages, |chain, batch| {
            chain.decrypt_batch_in_roster(batch, roster, sender_list)
        })
    }

    /// Runs `run` on each chain's share of `messages`; results in input
    /// order.
    fn batch<E: From<DecryptError>>(
        &mut self,
        messages: &[&[u8]],
        mut run: impl FnMut(&mut InboundGroupSession, &[&[u8]]) -> Vec<Result<GroupPlaintext, E>>,
    ) -> Vec<Result<GroupPlaintext, E>> {
        let too_many = DecodeError::TooLong {
            field: "batch",
            len: messages.len(),
            limit: MAX_BATCH,
        };
        let mut results: Vec<Option<Result<GroupPlaintext, E>>> = messages
            .iter()
            .enumerate()
            .map(|(i, _)| {
                (i >= MAX_BATCH).then(|| Err(DecryptError::from(too_many.clone()).into()))
            })
            .collect();
        let messages = messages.get(..MAX_BATCH).unwrap_or(messages);
        let current = self.current_chain_id();
        let chain_ids: Vec<Option<u32>> = messages
            .iter()
            .map(|m| ParsedGroupMessage::parse(m).ok().map(|p| p.chain_id))
            .collect();
        for chain in self.chains.iter_mut() {
            let mine: Vec<usize> = chain_ids
                .iter()
                .enumerate()
                .filter(|(_, id)| **id == Some(chain.chain_id()))
                .map(|(i, _)| i)
                .collect();
            if mine.is_empty() {
                continue;
            }
            let batch: Vec<&[u8]> = mine
                .iter()
                .filter_map(|i| messages.get(*i).copied())
                .collect();
            for (i, r) in mine.into_iter().zip(run(chain, &batch)) {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
        results
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|| {
                    Err(E::from(
                        match messages.get(i).map(|m| ParsedGroupMessage::parse(m)) {
                            None => too_many.clone().into(),
                            Some(Err(e)) => e.into(),
                            Some(Ok(p)) => DecryptError::WrongChain {
                                expected: current,
                                got: p.chain_id,
                            },
                        },
                    ))
                })
            })
            .collect()
    }

    fn current_chain_id(&self) -> u32 {
        self.chains
            .back()
            .map(InboundGroupSession::chain_id)
            .unwrap_or_default()
    }

    /// The sender.
    pub fn sender(&self) -> &IdentityKey {
        &self.sender
    }

    /// The group.
    pub fn group_id(&self) -> &[u8] {
        &self.group_id
    }

    /// The current chain: the highest rotation held.
    pub fn current(&self) -> Option<&InboundGroupSession> {
        self.chains.back()
    }

    /// The chains held, in ascending rotation order.
    pub fn chains(&self) -> impl Iterator<Item = &InboundGroupSession> {
        self.chains.iter()
    }
}
