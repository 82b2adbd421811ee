//! Sender-key groups.

use std::sync::{Arc, Mutex};

use qorgan::{
    Expected, IdentityKeyPair, InboundGroupSession, OutboundGroupSession, SenderKeyDistribution,
    SenderKeyRing, StateOwner, SystemRng,
};

use crate::account::{Account, Contact};
use crate::error::{Failure, QorganError};
use crate::integer::{from_id, from_u32, id_arg, u32_arg, u64_arg};
use crate::lock::{check_group_id, lock, parse_identity, parse_storage_key};
use crate::roster::{Roster, RosterChange, RosterHead, sender_list, sender_list_only};
use crate::session::{Session, TakenSessions, distinct_positions};

/// When a chain must be rotated.
#[derive(uniffi::Record)]
pub struct GroupPolicy {
    /// Messages per chain.
    pub max_messages: i64,
    /// Seconds a chain may be used.
    pub max_age_secs: i64,
}

/// Why a rotation is due.
#[derive(uniffi::Enum, Debug, PartialEq, Eq)]
pub enum RotationReason {
    /// A member was removed.
    MemberRemoved,
    /// The message limit was reached.
    MessageLimit,
    /// The chain is too old.
    Age,
    /// The group's roster changed (members added, or roles changed): every
    /// chain is bound to one roster, so the next message needs a chain
    /// under the new one.
    RosterChanged,
}

impl From<qorgan::RotationReason> for RotationReason {
    fn from(r: qorgan::RotationReason) -> Self {
        match r {
            qorgan::RotationReason::MemberRemoved => Self::MemberRemoved,
            qorgan::RotationReason::MessageLimit => Self::MessageLimit,
            qorgan::RotationReason::Age => Self::Age,
            qorgan::RotationReason::RosterChanged => Self::RosterChanged,
        }
    }
}

/// One recipient's result of a fan-out: the 1:1 ciphertext or the failure.
#[derive(Debug, uniffi::Record)]
pub struct FanoutResult {
    /// The distribution encrypted for this recipient.
    pub ciphertext: Option<Vec<u8>>,
    /// Why this recipient failed (the others are unaffected).
    pub error: Option<Failure>,
}

/// A decrypted group message with its provenance. The sender's chain
/// signature covered every field: show `sender` as the author, and check
/// that `group_id` is the conversation the message is filed under.
#[derive(uniffi::Record)]
pub struct GroupPlaintext {
    /// The plaintext.
    pub plaintext: Vec<u8>,
    /// The sending device's identity key (standalone encoding, as
    /// `Device.identity_key` and `Session.remote_identity` return it).
    pub sender: Vec<u8>,
    /// The group.
    pub group_id: Vec<u8>,
    /// The sender chain's id.
    pub chain_id: i64,
    /// The sender chain's rotation number (0 for the sender's first chain,
    /// one more for each rotation).
    pub rotation: i64,
    /// The message's iteration in the chain.
    pub iteration: i64,
    /// The roster the sender's chain is bound to (`None` in a group
    /// without a roster): the sender announced the chain under it, and the
    /// message signature covers it.
    pub roster: Option<RosterHead>,
}

/// Without the plaintext (as the crate's `GroupPlaintext`), so that
/// logging a result does not log the message.
impl std::fmt::Debug for GroupPlaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupPlaintext")
            .field("len", &self.plaintext.len())
            .field("chain_id", &self.chain_id)
            .field("rotation", &self.rotation)
            .field("iteration", &self.iteration)
            .field("roster", &self.roster)
            .finish_non_exhaustive()
    }
}

impl From<qorgan::GroupPlaintext> for GroupPlaintext {
    fn from(d: qorgan::GroupPlaintext) -> Self {
        Self {
            sender: d.sender.to_bytes(),
            plaintext: d.plaintext,
            group_id: d.group_id,
            chain_id: from_u32(d.chain_id),
            rotation: from_u32(d.rotation),
            iteration: from_u32(d.iteration),
            roster: d.roster.map(RosterHead::from),
        }
    }
}

/// One message's result of a group batch decrypt.
#[derive(uniffi::Record)]
pub struct GroupBatchResult {
    /// The message with its provenance, if it decrypted.
    pub decrypted: Option<GroupPlaintext>,
    /// The failure, if it did not.
    pub error: Option<Failure>,
}

impl FanoutResult {
    fn from_result(r: Result<Vec<u8>, QorganError>) -> Self {
        match r {
            Ok(c) => Self {
                ciphertext: Some(c),
                error: None,
            },
            Err(e) => Self {
                ciphertext: None,
                error: Some(e.failure()),
            },
        }
    }
}

impl GroupBatchResult {
    fn from_result(r: Result<qorgan::GroupPlaintext, QorganError>) -> Self {
        match r {
            Ok(p) => Self {
                decrypted: Some(p.into()),
                error: None,
            },
            Err(e) => Self {
                decrypted: None,
                error: Some(e.failure()),
            },
        }
    }
}

/// This device's sending chain in one group. Made by
/// [`Device::create_group`](crate::Device::create_group) or [`Device::open_group`](crate::Device::open_group), so that it signs its
/// distributions with the device's identity without taking the device as an
/// argument.
#[derive(Debug, uniffi::Object)]
pub struct OutboundGroup {
    inner: Mutex<OutboundGroupSession>,
    identity: Box<IdentityKeyPair>,
    rng: Mutex<SystemRng>,
}

fn to_policy(policy: &GroupPolicy) -> Result<qorgan::RotationPolicy, QorganError> {
    Ok(qorgan::RotationPolicy {
        max_messages: u32_arg(policy.max_messages, "max_messages")?,
        max_age_secs: u64_arg(policy.max_age_secs, "max_age_secs")?,
    })
}

impl OutboundGroup {
    pub(crate) fn create(
        identity: Box<IdentityKeyPair>,
        group_id: &[u8],
        policy: &GroupPolicy,
        now: i64,
    ) -> Result<Arc<Self>, QorganError> {
        check_group_id(group_id)?;
        let mut rng = SystemRng::new()?;
        let session = OutboundGroupSession::new(
            &mut rng,
            group_id,
            to_policy(policy)?,
            u64_arg(now, "now")?,
        )?;
        Ok(Self::wrap(session, identity, rng))
    }

    pub(crate) fn create_in_roster(
        identity: Box<IdentityKeyPair>,
        roster: &Roster,
        account: &Account,
        policy: &GroupPolicy,
        now: i64,
    ) -> Result<Arc<Self>, QorganError> {
        let me = account.public_key()?;
        let mut rng = SystemRng::new()?;
        let session = OutboundGroupSession::new_in_roster(
            &mut rng,
            roster.core(),
            &me,
            to_policy(policy)?,
            u64_arg(now, "now")?,
        )?;
        Ok(Self::wrap(session, identity, rng))
    }

    pub(crate) fn open(
        identity: Box<IdentityKeyPair>,
        storage_key: &[u8],
        sealed: &[u8],
        group_id: &[u8],
        min_generation: i64,
    ) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(storage_key)?;
        check_group_id(group_id)?;
        let expected = Expected::new(StateOwner::outbound_group(group_id), id_arg(min_generation));
        let session = OutboundGroupSession::open(&key, sealed, &expected)?;
        Ok(Self::wrap(session, identity, SystemRng::new()?))
    }

    fn wrap(
        session: OutboundGroupSession,
        identity: Box<IdentityKeyPair>,
        rng: SystemRng,
    ) -> Arc<Self> {
        Arc::new(Self {
            inner: Mutex::new(session),
            identity,
            rng: Mutex::new(rng),
        })
    }

    fn current_distribution(&self) -> Result<SenderKeyDistribution, QorganError> {
        Ok(lock(&self.inner)?.distribution(&self.identity))
    }
}

#[uniffi::export]
impl OutboundGroup {
    /// Encrypts and signs one group message as this device (the signature
    /// covers this device's identity and the group).
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, QorganError> {
        let mut s = lock(&self.inner)?;
        Ok(s.encrypt(&mut *lock(&self.rng)?, &self.identity, plaintext)?)
    }

    /// The distribution of the current chain (secret: send it only over
    /// 1:1 sessions), signed by this device's identity.
    pub fn distribution(&self) -> Result<Vec<u8>, QorganError> {
        Ok(self.current_distribution()?.to_bytes().to_vec())
    }

    /// The public announcement of the current chain (this device, the
    /// group, the chain id, rotation number and signing key, signed by the
    /// chain's signing key and by this device's identity): what a server
    /// needs to check this chain's group messages with `verify_batch`.
    pub fn announcement(&self) -> Result<Vec<u8>, QorganError> {
        Ok(self.current_distribution()?.announcement().to_bytes())
    }

    /// Encrypts the distribution for every session in one call; one result
    /// per session, in order; a failure does not stop the others. Each
    /// session advances as after `Session.encrypt`: persist them all.
    ///
    /// Kotlin: pass only sessions that are still open. uniffi checks that
    /// the object a method is called on is open, but not its arguments.
    ///
    /// A chain bound to a roster is refused as a whole (`RosterMismatch`):
    /// use `distribute_in_roster`, which sends only to members' devices.
    pub fn distribute(
        &self,
        sessions: Vec<Arc<Session>>,
    ) -> Result<Vec<FanoutResult>, QorganError> {
        let dist = self.current_distribution()?;
        if dist.announcement.roster.is_some() {
            return Err(qorgan::RosterError::RosterMismatch.into());
        }
        let dist = dist.to_bytes();
        Ok(sessions
            .iter()
            .map(|s| FanoutResult::from_result(s.encrypt_locked(&dist)))
            .collect())
    }

    /// Encrypts the distribution of this rostered chain for each session
    /// whose device is in the verified device list of a member of `roster`
    /// (`account`'s own list and `contacts`' lists: pass the contacts of
    /// the group's members); one result per session, in order. A session
    /// with any other device (one the server enrolled, a removed member's)
    /// gets `NotInRoster` and nothing is encrypted for it. The whole call
    /// is refused when the chain is not announced under `roster` itself:
    /// `StaleChain` (the roster moved on: `apply_roster`, `rotate`, then
    /// distribute), `RosterBehind`, `RosterFork`, `WrongGroup`,
    /// `RosterMismatch` (a group without a roster: use `distribute`).
    /// Each session that encrypted advances: persist them. A session
    /// passed twice is encrypted for once and reported twice.
    ///
    /// Reads the account and each contact under its own lock, released
    /// before the sessions are locked (by address). Kotlin: pass only
    /// objects that are still open.
    pub fn distribute_in_roster(
        &self,
        roster: &Roster,
        account: &Account,
        contacts: Vec<Arc<Contact>>,
        sessions: Vec<Arc<Session>>,
    ) -> Result<Vec<FanoutResult>, QorganError> {
        let mut lists = Vec::with_capacity(contacts.len() + 1);
        lists.push(account.list_copy()?);
        for c in &contacts {
            lists.push(c.list_copy()?);
        }
        let list_refs: Vec<&qorgan::account::DeviceList> = lists.iter().collect();
        let dist = self.current_distribution()?;
        let mut rng = SystemRng::new()?;
        let positions = distinct_positions(&sessions);
        let mut taken = TakenSessions::take(&sessions)?;
        let mut refs: Vec<&mut qorgan::Session> = taken.sessions_mut().iter_mut().collect();
        let results = qorgan::roster::distribute_in_roster(
            &mut rng,
            &dist,
            roster.core(),
            &list_refs,
            &mut refs,
        );
        drop(refs);
        drop(taken);
        let results = results?;
        Ok(positions
            .into_iter()
            .map(|i| {
                FanoutResult::from_result(match results.get(i) {
                    Some(r) => r.clone().map_err(QorganError::from),
                    None => Err(QorganError::Internal {
                        reason: "no result for a session".into(),
                    }),
                })
            })
            .collect())
    }

    /// Records a roster change of this group (`RosterUpdate.change` from
    /// `Roster.advance`): `encrypt` then refuses (`RotationRequired`) until
    /// `rotate`, which starts a chain under the new roster; distribute it
    /// with `distribute_in_roster` and the new roster. Refused:
    /// `RosterMismatch` (a group created without a roster), `WrongGroup`,
    /// `RosterRolledBack` (older than a change already applied),
    /// `RosterFork`; `InvalidArgument`/`Malformed` for a record whose keys
    /// or hashes are not. Persist the outbound group after.
    pub fn apply_roster(&self, change: RosterChange) -> Result<(), QorganError> {
        let change = change.to_core()?;
        Ok(lock(&self.inner)?.apply_roster(&change)?)
    }

    /// The head of the roster the current chain is bound to (`None` in a
    /// group without a roster). After `apply_roster` it stays the old one
    /// until `rotate`.
    pub fn roster(&self) -> Result<Option<RosterHead>, QorganError> {
        Ok(lock(&self.inner)?.roster().map(RosterHead::from))
    }

    /// Starts a new chain with the next rotation number; distribute it to
    /// the remaining members. Refused (`ChainExhausted`) once the rotation
    /// number has reached its maximum.
    pub fn rotate(&self, now: i64) -> Result<(), QorganError> {
        let mut s = lock(&self.inner)?;
        Ok(s.rotate(&mut *lock(&self.rng)?, u64_arg(now, "now")?)?)
    }

    /// Records a removal: `encrypt` refuses until `rotate`.
    pub fn mark_member_removed(&self) -> Result<(), QorganError> {
        lock(&self.inner)?.mark_member_removed();
        Ok(())
    }

    /// Whether the policy requires a rotation at `now`.
    pub fn rotation_due(&self, now: i64) -> Result<Option<RotationReason>, QorganError> {
        Ok(lock(&self.inner)?
            .rotation_due(u64_arg(now, "now")?)
            .map(RotationReason::from))
    }

    /// The current chain id.
    pub fn chain_id(&self) -> Result<i64, QorganError> {
        Ok(from_u32(lock(&self.inner)?.chain_id()))
    }

    /// The current chain's rotation number (0 for the first chain, one more
    /// for each `rotate`).
    pub fn rotation(&self) -> Result<i64, QorganError> {
        Ok(from_u32(lock(&self.inner)?.rotation()))
    }

    /// The index the next message of the current chain will carry.
    pub fn iteration(&self) -> Result<i64, QorganError> {
        Ok(from_u32(lock(&self.inner)?.iteration()))
    }

    /// The group id this chain was made for.
    pub fn group_id(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.group_id().to_vec())
    }

    /// The chain encrypted under a 32-byte storage key, bound to its group
    /// id and to the next generation, which [`OutboundGroup::generation`]
    /// then returns: record it with the blob and pass it to
    /// `Device.open_group`.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let mut s = lock(&self.inner)?;
        Ok(s.seal(&mut *lock(&self.rng)?, &key))
    }

    /// The generation of the last `seal` or open (0 if neither): the
    /// `min_generation` to pass to `Device.open_group` next time.
    pub fn generation(&self) -> Result<i64, QorganError> {
        Ok(from_id(lock(&self.inner)?.generation()))
    }

    /// Raises the generation to at least `generation` (the one recorded
    /// for this owner), so that the next `seal` is above it: after making
    /// the object anew for an owner that already has sealed blobs, or after
    /// opening an older copy on purpose (docs/INTEGRATION.md).
    pub fn resume_generation(&self, generation: i64) -> Result<(), QorganError> {
        lock(&self.inner)?.resume_generation(id_arg(generation));
        Ok(())
    }
}

/// One sender's chains in one group, as a member reads them.
#[derive(Debug, uniffi::Object)]
pub struct GroupReceiver {
    inner: Mutex<SenderKeyRing>,
    rng: Mutex<SystemRng>,
}

impl GroupReceiver {
    fn wrap(ring: SenderKeyRing) -> Result<Arc<Self>, QorganError> {
        Ok(Arc::new(Self {
            inner: Mutex::new(ring),
            rng: Mutex::new(SystemRng::new()?),
        }))
    }
}

#[uniffi::export]
impl GroupReceiver {
    /// Starts from a distribution that arrived (decrypted) over a 1:1
    /// session; pass that session's `remote_identity()` as
    /// `sender_identity`. Refused unless the distribution is signed by it,
    /// and for a chain bound to a roster (`RosterMismatch`: use
    /// `new_in_roster`).
    #[uniffi::constructor]
    pub fn new(distribution: Vec<u8>, sender_identity: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        let dist = SenderKeyDistribution::from_bytes(&distribution)?;
        Self::wrap(SenderKeyRing::new(
            &dist,
            &parse_identity(&sender_identity)?,
        )?)
    }

    /// Starts from a distribution of a group with a roster, received
    /// (decrypted) over the 1:1 session with `sender_identity` (that
    /// session's `remote_identity()`): the signatures as `new`, then
    /// `roster.admit`: the chain is announced under `roster` itself (the
    /// newest this device holds), `account` (this device's) is a member,
    /// and the sending device is in the verified list of a member:
    /// `contact`'s (the sender's account), or `account`'s own when the
    /// sender is another device of this account (`None`). Refused:
    /// `RosterBehind` (fetch the rosters up to the announced epoch,
    /// `advance`, try again), `StaleChain` (wait for the sender's rotation),
    /// `RosterFork` (show it), `NotMember`, `SenderNotMember`,
    /// `UntrustedIdentity`, `WrongGroup`, `RosterMismatch` (a chain
    /// without a roster: use `new`). Kotlin: pass objects that are still
    /// open.
    #[uniffi::constructor]
    pub fn new_in_roster(
        distribution: Vec<u8>,
        sender_identity: Vec<u8>,
        roster: &Roster,
        account: &Account,
        contact: Option<Arc<Contact>>,
    ) -> Result<Arc<Self>, QorganError> {
        let dist = SenderKeyDistribution::from_bytes(&distribution)?;
        let from = parse_identity(&sender_identity)?;
        let (me, list) = sender_list(account, contact.as_deref())?;
        Self::wrap(SenderKeyRing::new_in_roster(
            &dist,
            &from,
            roster.core(),
            &list,
            &me,
        )?)
    }

    /// Restores a receiver sealed by [`GroupReceiver::seal`]: the
    /// receiver of `sender_identity`'s chains in `group_id`, at
    /// `min_generation` (its [`GroupReceiver::generation`] recorded after
    /// the last seal; 0 if none) or later. Another sender's or group's
    /// receiver is refused with `WrongOwner`, an older one with
    /// `RolledBack`.
    #[uniffi::constructor]
    pub fn open(
        storage_key: Vec<u8>,
        sealed: Vec<u8>,
        group_id: Vec<u8>,
        sender_identity: Vec<u8>,
        min_generation: i64,
    ) -> Result<Arc<Self>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        check_group_id(&group_id)?;
        let sender = parse_identity(&sender_identity)?;
        let owner = StateOwner::group_sender(&group_id, &sender);
        let expected = Expected::new(owner, id_arg(min_generation));
        Self::wrap(SenderKeyRing::open(&key, &sealed, &expected)?)
    }

    /// Starts from an export made by another device of this user
    /// (`GroupReceiver.export`, received over the 1:1 session with that
    /// device). Reads messages from the export's iteration on. The export
    /// carries the sender's signed announcement, verified here, so it names
    /// no chain the sender did not announce; its chain key is the
    /// exporter's word: with a wrong one every message fails with
    /// `KeyCommitmentMismatch`, and `add`ing the sender's own distribution
    /// of the chain fails with `ConflictingChainKey` (start a new receiver
    /// from that distribution instead). (Not named `import`: a keyword in
    /// Swift and Python.) A chain bound to a roster is refused
    /// (`RosterMismatch`): use `from_export_in_roster`.
    #[uniffi::constructor]
    pub fn from_export(export: Vec<u8>) -> Result<Arc<Self>, QorganError> {
        let session = InboundGroupSession::import(&export)?;
        Self::wrap(SenderKeyRing::from_session(session))
    }

    /// `from_export` for a group with a roster: the export's signatures as
    /// `from_export`, then the chain must still be admitted by `roster`
    /// (announced under it or an earlier epoch, the sender still a member
    /// with its device in `contact`'s verified list, or `account`'s own
    /// when the sender is another device of this account: `None`), and
    /// `account` (this device's) a member (`NotMember`). Kotlin: pass
    /// objects that are still open.
    #[uniffi::constructor]
    pub fn from_export_in_roster(
        export: Vec<u8>,
        roster: &Roster,
        account: &Account,
        contact: Option<Arc<Contact>>,
    ) -> Result<Arc<Self>, QorganError> {
        let (me, list) = sender_list(account, contact.as_deref())?;
        let session = InboundGroupSession::import_in_roster(&export, roster.core(), &list, &me)?;
        Self::wrap(SenderKeyRing::from_session(session))
    }

    /// The current chain from this receiver's position on, for another
    /// device of the same user. Secret (it carries the chain key): send it
    /// only over a 1:1 session with that device.
    pub fn export(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.export_current()?.to_vec())
    }

    /// Adds a chain of the sender's (the next one after a rotation, or a
    /// copy of one already held, which is merged and never rewinds);
    /// `sender_identity` as for [`GroupReceiver::new`]. Chains are ordered
    /// by their announced rotation number, and the oldest beyond the bound
    /// are dropped. Refused, with the receiver unchanged: another sender
    /// (`UntrustedIdentity`) or group (`WrongGroup`); another chain with a
    /// rotation number already held (`ConflictingRotation`); a chain older
    /// than every chain kept (`RetiredChain`); a copy of a held chain with
    /// another chain key (`ConflictingChainKey`); a copy so far ahead that
    /// the receiver would have to drop keys of unread messages
    /// (`TooFarAhead`); a chain bound to a roster (`RosterMismatch`: use
    /// `add_in_roster`).
    pub fn add(&self, distribution: Vec<u8>, sender_identity: Vec<u8>) -> Result<(), QorganError> {
        let dist = SenderKeyDistribution::from_bytes(&distribution)?;
        let sender = parse_identity(&sender_identity)?;
        Ok(lock(&self.inner)?.add(&dist, &sender)?)
    }

    /// Adds a distribution of the sender's in a group with a roster (its
    /// next chain after a rotation, or a copy of one held); the arguments
    /// and refusals as `new_in_roster`, the ordering and merging as `add`.
    /// The receiver is unchanged on error.
    pub fn add_in_roster(
        &self,
        distribution: Vec<u8>,
        sender_identity: Vec<u8>,
        roster: &Roster,
        account: &Account,
        contact: Option<Arc<Contact>>,
    ) -> Result<(), QorganError> {
        let dist = SenderKeyDistribution::from_bytes(&distribution)?;
        let from = parse_identity(&sender_identity)?;
        let (me, list) = sender_list(account, contact.as_deref())?;
        Ok(lock(&self.inner)?.add_in_roster(&dist, &from, roster.core(), &list, &me)?)
    }

    /// Decrypts one message of a group with a roster: the chain it names
    /// must still be admitted by `roster` (the newest this device holds):
    /// announced under it or an earlier epoch (messages sent before a
    /// change still read), the sender still a member with its device in
    /// the verified list of `contact` (the sender's account), or of
    /// `account`'s own when the sender is another device of this account
    /// (`None`). A removed member's messages are refused
    /// (`SenderNotMember`) before anything is decrypted; then as `decrypt`.
    /// `RosterBehind`: fetch rosters and `advance`. Kotlin: pass objects
    /// that are still open (the `ByteArray` overload checks).
    pub fn decrypt_in_roster(
        &self,
        message: &[u8],
        roster: &Roster,
        account: &Account,
        contact: Option<Arc<Contact>>,
    ) -> Result<GroupPlaintext, QorganError> {
        let list = sender_list_only(account, contact.as_deref())?;
        Ok(lock(&self.inner)?
            .decrypt_in_roster(message, roster.core(), &list)?
            .into())
    }

    /// `decrypt_batch` for a group with a roster: each chain's messages are
    /// first checked as `decrypt_in_roster` checks one (all of a chain's
    /// messages refused, with nothing changed, when it does not hold);
    /// arguments as `decrypt_in_roster`. One result per message, in order.
    pub fn decrypt_batch_in_roster(
        &self,
        messages: Vec<Vec<u8>>,
        roster: &Roster,
        account: &Account,
        contact: Option<Arc<Contact>>,
    ) -> Result<Vec<GroupBatchResult>, QorganError> {
        let list = sender_list_only(account, contact.as_deref())?;
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        Ok(lock(&self.inner)?
            .decrypt_batch_in_roster(&refs, roster.core(), &list)
            .into_iter()
            .map(|r| GroupBatchResult::from_result(r.map_err(QorganError::from)))
            .collect())
    }

    /// Decrypts one group message of a group without a roster; returns it
    /// with its provenance (sender, group, chain, rotation, iteration). On
    /// error the receiver is unchanged. A chain bound to a roster is
    /// refused (`RosterMismatch`): use `decrypt_in_roster`, so that the
    /// roster check cannot be skipped.
    pub fn decrypt(&self, message: &[u8]) -> Result<GroupPlaintext, QorganError> {
        Ok(lock(&self.inner)?.decrypt(message)?.into())
    }

    /// Decrypts a queue of messages in one call (signatures batch-verified);
    /// one result per message, in order, each with its provenance. A chain
    /// bound to a roster is refused (`RosterMismatch`) for every message:
    /// use `decrypt_batch_in_roster`.
    pub fn decrypt_batch(
        &self,
        messages: Vec<Vec<u8>>,
    ) -> Result<Vec<GroupBatchResult>, QorganError> {
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        Ok(lock(&self.inner)?
            .decrypt_batch(&refs)
            .into_iter()
            .map(|r| GroupBatchResult::from_result(r.map_err(QorganError::from)))
            .collect())
    }

    /// The sender's identity key (standalone encoding).
    pub fn sender_identity(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.sender().to_bytes())
    }

    /// The group id of the sender's chains.
    pub fn group_id(&self) -> Result<Vec<u8>, QorganError> {
        Ok(lock(&self.inner)?.group_id().to_vec())
    }

    /// The receiver encrypted under a 32-byte storage key, bound to its
    /// group and sender and to the next generation, which
    /// [`GroupReceiver::generation`] then returns: record it with the blob
    /// and pass it to `open`.
    pub fn seal(&self, storage_key: Vec<u8>) -> Result<Vec<u8>, QorganError> {
        let key = parse_storage_key(&storage_key)?;
        let mut ring = lock(&self.inner)?;
        Ok(ring.seal(&mut *lock(&self.rng)?, &key))
    }

    /// The generation of the last `seal` or `open` (0 if neither): the
    /// `min_generation` to pass to `open` next time.
    pub fn generation(&self) -> Result<i64, QorganError> {
        Ok(from_id(lock(&self.inner)?.generation()))
    }

    /// Raises the generation to at least `generation` (the one recorded
    /// for this owner), so that the next `seal` is above it: after making
    /// the object anew for an owner that already has sealed blobs, or after
    /// opening an older copy on purpose (docs/INTEGRATION.md).
    pub fn resume_generation(&self, generation: i64) -> Result<(), QorganError> {
        lock(&self.inner)?.resume_generation(id_arg(generation));
        Ok(())
    }
}
