//! Stateless verification for servers.
//!
//! The single-item functions take borrowed bytes (`&[u8]`): uniffi passes
//! them without copying (Python `bytes`, Swift `Data`, Kotlin direct
//! `java.nio.ByteBuffer`), which matters on a server checking items at
//! volume.

use std::collections::BTreeMap;

use qorgan::account::DeviceList;
use qorgan::certificate as cert;
use qorgan::roster::Roster;
use qorgan::verify::{self, Encoded, EncodedError, Item};
use qorgan::{PreKeyUpload, SenderKeyAnnouncement};

use crate::account::{DeviceInfo, ListHead};
use crate::certificate::{RevocationListInfo, StatementInfo, TrustAnchor, Verified, parse_anchors};
use crate::error::{Failure, QorganError};
use crate::integer::{from_id, from_u32, u64_arg};
use crate::lock::{parse_account_key, parse_head};
use crate::roster::{RosterHead, RosterMember};

/// Verifies a standalone identity key (its binding signature).
#[uniffi::export]
pub fn verify_identity(identity: &[u8]) -> Result<(), QorganError> {
    Ok(verify::verify(&Item::Identity(identity))?)
}

/// Verifies a prekey bundle (all three signatures).
#[uniffi::export]
pub fn verify_bundle(bundle: &[u8]) -> Result<(), QorganError> {
    Ok(verify::verify(&Item::Bundle(bundle))?)
}

/// What a verified prekey upload carries, for the server's prekey store:
/// the keys are in the upload's bytes; these are the ids to index them by.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UploadInfo {
    /// The uploading device's identity key (standalone encoding, as
    /// `Device.identity_key` returns it).
    pub identity_key: Vec<u8>,
    /// The id of a new signed prekey, if the upload carries one.
    pub signed_prekey_id: Option<i64>,
    /// The id of a new last-resort ML-KEM prekey, if the upload carries one.
    pub last_resort_kem_prekey_id: Option<i64>,
    /// Ids of the new one-time X25519 prekeys, ascending: hand each out once.
    pub one_time_prekey_ids: Vec<i64>,
    /// Ids of the new one-time ML-KEM prekeys, ascending: hand each out once.
    pub kem_one_time_prekey_ids: Vec<i64>,
}

impl From<&PreKeyUpload> for UploadInfo {
    fn from(u: &PreKeyUpload) -> Self {
        Self {
            identity_key: u.identity().to_bytes(),
            signed_prekey_id: u.signed_prekey().map(|k| from_u32(k.id)),
            last_resort_kem_prekey_id: u.last_resort_kem_prekey().map(|k| from_u32(k.id)),
            one_time_prekey_ids: u.one_time_prekey_ids().into_iter().map(from_u32).collect(),
            kem_one_time_prekey_ids: u
                .kem_one_time_prekey_ids()
                .into_iter()
                .map(from_u32)
                .collect(),
        }
    }
}

/// Verifies a prekey upload (`Device.upload`): the identity binding, every
/// prekey signature and the identity's signature over the whole upload;
/// returns what it carries. Refused: `Malformed` (including an empty
/// upload), `BadSignature` (`what` names the first failing signature).
#[uniffi::export]
pub fn verify_upload(upload: &[u8]) -> Result<UploadInfo, QorganError> {
    Ok(UploadInfo::from(&PreKeyUpload::from_bytes(upload)?))
}

/// What a verified device list says, for the server's directory: whose
/// list it is, which version, and which devices it lists (an upload,
/// bundle or announcement is the account's if its identity key is one of
/// `devices`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceListInfo {
    /// The account key that signed it (32 bytes): the account to file it
    /// under.
    pub account_key: Vec<u8>,
    /// Its version (1 for the account's first list).
    pub version: i64,
    /// The hash of the version before (`None` for version 1).
    pub previous: Option<Vec<u8>>,
    /// The devices, sorted by key.
    pub devices: Vec<DeviceInfo>,
    /// Its own head: keep it to check the next version with
    /// `verify_device_list_after`.
    pub head: ListHead,
}

impl From<&DeviceList> for DeviceListInfo {
    fn from(l: &DeviceList) -> Self {
        Self {
            account_key: l.account().to_bytes().to_vec(),
            version: from_id(l.version()),
            previous: l.previous().map(|p| p.to_vec()),
            devices: l.devices().iter().map(DeviceInfo::from).collect(),
            head: l.head().into(),
        }
    }
}

/// Verifies a device list (`Account.device_list`): every device's identity
/// binding, the account's signature and the list rules; returns what it
/// says. Refused: `Malformed` (including a broken list rule),
/// `BadSignature` (`what`: "identity binding" or "device list"). Says
/// nothing of whether it is the account's newest: see
/// `verify_device_list_after`.
#[uniffi::export]
pub fn verify_device_list(device_list: &[u8]) -> Result<DeviceListInfo, QorganError> {
    let list = DeviceList::from_bytes(device_list).map_err(QorganError::from_list_verification)?;
    Ok(DeviceListInfo::from(&list))
}

/// Verifies a device list as `verify_device_list` does, and that it is
/// `account_key`'s and directly follows the list with head `previous` (the
/// one the server holds for that account: version one more, naming its
/// hash), which is what a server checks before replacing the list it
/// holds. Refused as `verify_device_list` does, and with `NotSuccessor`
/// when it does not follow (a rollback, a skipped version, a fork, or
/// another account's list, whatever its previous hash says);
/// `InvalidArgument` for an account key or a hash that is not 32 bytes,
/// `Malformed` for 32 bytes that are not an account key.
#[uniffi::export]
pub fn verify_device_list_after(
    account_key: Vec<u8>,
    previous: ListHead,
    device_list: &[u8],
) -> Result<DeviceListInfo, QorganError> {
    let account = parse_account_key(&account_key)?;
    let previous = parse_head(&previous)?;
    let list = DeviceList::from_bytes(device_list).map_err(QorganError::from_list_verification)?;
    if *list.account() != account || !list.follows(&previous) {
        return Err(qorgan::VerifyError::NotSuccessor {
            version: list.version(),
            previous_version: previous.version,
        }
        .into());
    }
    Ok(DeviceListInfo::from(&list))
}

/// Verifies one group message against its chain's announcement (both
/// signatures: the identity's on the announcement, the chain's on the
/// message).
#[uniffi::export]
pub fn verify_group_message(announcement: &[u8], message: &[u8]) -> Result<(), QorganError> {
    let announcement = SenderKeyAnnouncement::from_bytes(announcement)?;
    Ok(verify::verify(&Item::GroupMessage {
        announcement: &announcement,
        message,
    })?)
}

/// Verifies a sender-key announcement.
#[uniffi::export]
pub fn verify_announcement(announcement: &[u8]) -> Result<(), QorganError> {
    Ok(verify::verify(&Item::Announcement(announcement))?)
}

/// What a verified roster says, for the server's group directory: whose
/// group, which epoch, who is in it, and its head (keep the roster's bytes
/// to check the next epoch with `verify_roster_after`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RosterInfo {
    /// The group.
    pub group_id: Vec<u8>,
    /// The epoch (1 for the group's first roster).
    pub epoch: i64,
    /// The hash of the previous roster (`None` for epoch 1).
    pub previous: Option<Vec<u8>>,
    /// The members, sorted by account key.
    pub members: Vec<RosterMember>,
    /// The account key (32 bytes) of the admin who signed it.
    pub signer: Vec<u8>,
    /// Its head.
    pub head: RosterHead,
}

impl From<&Roster> for RosterInfo {
    fn from(r: &Roster) -> Self {
        Self {
            group_id: r.group_id().to_vec(),
            epoch: from_id(r.epoch()),
            previous: r.previous().map(|p| p.to_vec()),
            members: r.members().iter().map(RosterMember::from).collect(),
            signer: r.signer().to_bytes().to_vec(),
            head: r.head().into(),
        }
    }
}

/// A batch verdict's failure as the app sees it: the held roster of a
/// `RosterAfter` item that does not decode is the caller's argument
/// (`InvalidArgument`), anything else the item's own error.
fn encoded_error(e: EncodedError) -> QorganError {
    match e {
        EncodedError::Announcement(e) | EncodedError::Item(e) => e.into(),
        EncodedError::Previous(e) => QorganError::InvalidArgument {
            reason: format!("held roster: {e}"),
        },
    }
}

/// Verifies a group roster: its rules, the signer's signature, and for
/// epoch 1 that the signer is one of its admins; returns what it says.
/// Refused: `Malformed` (including a broken roster rule), `BadSignature`
/// (`what`: "group roster"), `SignerNotAdmin`. Says nothing of whether
/// it follows the roster held for the group: see `verify_roster_after`.
#[uniffi::export]
pub fn verify_roster(roster: &[u8]) -> Result<RosterInfo, QorganError> {
    match Roster::from_bytes(roster) {
        Ok(r) => Ok(RosterInfo::from(&r)),
        // The verdict as `verify_batch` gives it (the same checks, in its
        // order).
        Err(e) => Err(match verify::verify(&Item::Roster(roster)) {
            Err(v) => v.into(),
            Ok(()) => e.into(),
        }),
    }
}

/// Verifies a roster as `verify_roster` does, and that it directly
/// follows `previous` (the bytes of the roster the server holds for the
/// group, verified when it was stored): same group, epoch one more,
/// naming its hash, signed by one of its admins. What a server checks
/// before replacing the roster it holds. Refused as `verify_roster`, with
/// `RosterNotSuccessor` when it does not follow (a replay, a skipped
/// epoch, a fork, another group's roster), `SignerNotAdmin` when its
/// signer is not an admin of `previous`; `InvalidArgument` when
/// `previous` does not decode.
#[uniffi::export]
pub fn verify_roster_after(previous: Vec<u8>, roster: &[u8]) -> Result<RosterInfo, QorganError> {
    let item = Encoded::RosterAfter {
        previous: &previous,
        roster,
    };
    match verify::verify_encoded_batch(&[item]).into_iter().next() {
        Some(Ok(())) => Ok(RosterInfo::from(&Roster::from_bytes(roster)?)),
        Some(Err(e)) => Err(encoded_error(e)),
        None => Err(QorganError::Internal {
            reason: "no verdict for a roster".into(),
        }),
    }
}

/// Verifies a statement or certificate: its rules and its issuer's
/// signature, whoever the issuer is; returns what it says. Refused:
/// `Malformed`, `InvalidStatement`, `BadSignature` (`what`: "statement").
/// Says nothing of whether the issuer is trusted or the statement valid
/// now: see `verify_presentation`.
#[uniffi::export]
pub fn verify_statement(statement: &[u8]) -> Result<StatementInfo, QorganError> {
    Ok(StatementInfo::from(&cert::Statement::from_bytes(
        statement,
    )?))
}

/// Verifies a revocation list: its rules and its issuer's signature;
/// returns what it says. Refused: `Malformed`, `InvalidStatement`,
/// `BadSignature` (`what`: "revocation list").
#[uniffi::export]
pub fn verify_revocation_list(revocation_list: &[u8]) -> Result<RevocationListInfo, QorganError> {
    Ok(RevocationListInfo::from(&cert::RevocationList::from_bytes(
        revocation_list,
    )?))
}

/// Revocation lists given as bytes, each decoded and verified.
fn parse_revocations(lists: &[Vec<u8>]) -> Result<Vec<cert::RevocationList>, QorganError> {
    lists
        .iter()
        .map(|l| cert::RevocationList::from_bytes(l).map_err(QorganError::from))
        .collect()
}

/// Verifies a presentation (its binary form; for a scanned QR text,
/// `Presentation.from_text(text).to_bytes()`) as `Presentation.verify`
/// does: anchored at one of `anchors`, chained, valid at `now` (Unix
/// seconds), revoked by none of `revocations` (revocation lists as bytes,
/// each verified here: one that does not verify fails the call with its
/// own error), every signature. Returns who vouches for it and what it
/// says.
#[uniffi::export]
pub fn verify_presentation(
    presentation: &[u8],
    anchors: Vec<TrustAnchor>,
    revocations: Vec<Vec<u8>>,
    now: i64,
) -> Result<Verified, QorganError> {
    let anchors = parse_anchors(&anchors)?;
    let lists = parse_revocations(&revocations)?;
    Ok(cert::Presentation::from_bytes(presentation)?
        .verify(&anchors, &lists, u64_arg(now, "now")?)?
        .into())
}

/// One item of a verification batch.
#[derive(uniffi::Enum)]
pub enum VerifyItem {
    /// A standalone identity key.
    Identity {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A prekey bundle.
    Bundle {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A prekey upload.
    Upload {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A sender-key announcement.
    Announcement {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A device list (`verify_device_list`).
    DeviceList {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A device list that must be `account_key`'s and directly follow the
    /// list with head `previous` (`verify_device_list_after`).
    DeviceListAfter {
        /// The account whose list the server holds (32 bytes).
        account_key: Vec<u8>,
        /// Head of the list the server holds.
        previous: ListHead,
        /// The new list's bytes.
        bytes: Vec<u8>,
    },
    /// A group message against its chain's announcement.
    GroupMessage {
        /// The announcement's bytes.
        announcement: Vec<u8>,
        /// The message's bytes.
        message: Vec<u8>,
    },
    /// A group roster (`verify_roster`).
    Roster {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A roster that must directly follow the roster `previous` and be
    /// signed by one of its admins (`verify_roster_after`).
    RosterAfter {
        /// The bytes of the roster the server holds for the group.
        previous: Vec<u8>,
        /// The new roster's bytes.
        bytes: Vec<u8>,
    },
    /// A statement or certificate (`verify_statement`).
    Statement {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A revocation list (`verify_revocation_list`).
    RevocationList {
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// A presentation checked against trust anchors, revocation lists and
    /// a time (`verify_presentation`).
    Presentation {
        /// The presentation's binary form.
        presentation: Vec<u8>,
        /// The organisation keys trusted.
        anchors: Vec<TrustAnchor>,
        /// The issuers' revocation lists (bytes, verified here once per
        /// batch however many items carry them).
        revocations: Vec<Vec<u8>>,
        /// Unix seconds.
        now: i64,
    },
}

/// The anchors and revocation lists of a `Presentation` item, parsed and
/// verified.
struct Trust {
    anchors: Vec<cert::TrustAnchor>,
    lists: Vec<cert::RevocationList>,
}

/// What identifies an item's trust inputs: equal inputs are parsed and
/// verified once per batch.
type TrustKey<'a> = (Vec<(&'a [u8], &'a str)>, &'a [Vec<u8>]);

/// The parsed trust inputs of every `Presentation` item (`None` for other
/// items): one entry per distinct set of inputs.
fn batch_trusts(items: &[VerifyItem]) -> (Vec<Result<Trust, QorganError>>, Vec<Option<usize>>) {
    let mut trusts = Vec::new();
    let mut seen: BTreeMap<TrustKey<'_>, usize> = BTreeMap::new();
    let index = items
        .iter()
        .map(|item| {
            let VerifyItem::Presentation {
                anchors,
                revocations,
                ..
            } = item
            else {
                return None;
            };
            let key: TrustKey<'_> = (
                anchors
                    .iter()
                    .map(|a| (a.key.as_slice(), a.organisation.as_str()))
                    .collect(),
                revocations.as_slice(),
            );
            Some(*seen.entry(key).or_insert_with(|| {
                trusts.push(parse_anchors(anchors).and_then(|anchors| {
                    Ok(Trust {
                        anchors,
                        lists: parse_revocations(revocations)?,
                    })
                }));
                trusts.len() - 1
            }))
        })
        .collect();
    (trusts, index)
}

/// One item's verdict.
#[derive(uniffi::Record)]
pub struct VerifyResult {
    /// Whether every signature of the item verified.
    pub valid: bool,
    /// Why not.
    pub error: Option<Failure>,
}

/// Verifies many items with one batch verification; one result per item,
/// equal to what the single-item function says of it. Each distinct
/// announcement, held roster and set of presentation trust inputs (anchors
/// and revocation lists) is decoded and verified once. A presentation
/// whose anchors or revocation lists do not parse fails with their error.
/// A `DeviceListAfter` whose account key or head hash is not 32 bytes
/// fails as `InvalidArgument` (`Malformed`: 32 bytes that are not an
/// account key), without entering the batch.
#[uniffi::export]
pub fn verify_batch(items: Vec<VerifyItem>) -> Vec<VerifyResult> {
    let (trusts, trust_of) = batch_trusts(&items);
    let prepared: Vec<Result<Encoded<'_>, QorganError>> = items
        .iter()
        .zip(&trust_of)
        .map(|(i, trust)| {
            Ok(match i {
                VerifyItem::Identity { bytes } => Encoded::Identity(bytes),
                VerifyItem::Bundle { bytes } => Encoded::Bundle(bytes),
                VerifyItem::Upload { bytes } => Encoded::Upload(bytes),
                VerifyItem::Announcement { bytes } => Encoded::Announcement(bytes),
                VerifyItem::DeviceList { bytes } => Encoded::DeviceList(bytes),
                VerifyItem::DeviceListAfter {
                    account_key,
                    previous,
                    bytes,
                } => Encoded::DeviceListAfter {
                    account: parse_account_key(account_key)?,
                    previous: parse_head(previous)?,
                    list: bytes,
                },
                VerifyItem::GroupMessage {
                    announcement,
                    message,
                } => Encoded::GroupMessage {
                    announcement,
                    message,
                },
                VerifyItem::Roster { bytes } => Encoded::Roster(bytes),
                VerifyItem::RosterAfter { previous, bytes } => Encoded::RosterAfter {
                    previous,
                    roster: bytes,
                },
                VerifyItem::Statement { bytes } => Encoded::Statement(bytes),
                VerifyItem::RevocationList { bytes } => Encoded::RevocationList(bytes),
                VerifyItem::Presentation {
                    presentation, now, ..
                } => {
                    let trust = match trust.and_then(|t| trusts.get(t)) {
                        Some(Ok(trust)) => trust,
                        Some(Err(e)) => return Err(e.clone()),
                        None => {
                            return Err(QorganError::Internal {
                                reason: "no trust inputs for a presentation".into(),
                            });
                        }
                    };
                    Encoded::Presentation {
                        presentation,
                        anchors: &trust.anchors,
                        revocations: &trust.lists,
                        now: u64_arg(*now, "now")?,
                    }
                }
            })
        })
        .collect();
    let batch: Vec<Encoded<'_>> = prepared
        .iter()
        .filter_map(|p| p.as_ref().ok().copied())
        .collect();
    let mut verdicts = verify::verify_encoded_batch(&batch).into_iter();
    prepared
        .into_iter()
        .map(|p| {
            let verdict = match p {
                Err(e) => Err(e),
                Ok(_) => match verdicts.next() {
                    Some(Ok(())) => Ok(()),
                    Some(Err(e)) => Err(encoded_error(e)),
                    None => Err(QorganError::Internal {
                        reason: "no verdict for a batch item".into(),
                    }),
                },
            };
            match verdict {
                Ok(()) => VerifyResult {
                    valid: true,
                    error: None,
                },
                Err(e) => VerifyResult {
                    valid: false,
                    error: Some(e.failure()),
                },
            }
        })
        .collect()
}
