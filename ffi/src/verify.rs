//! Stateless verification for servers.
//!
//! The single-item functions take borrowed bytes (`&[u8]`): uniffi passes
//! them without copying (Python `bytes`, Swift `Data`, Kotlin direct
//! `java.nio.ByteBuffer`), which matters on a server checking items at
//! volume.

use qorgan::account::DeviceList;
use qorgan::verify::{self, Encoded, EncodedError, Item};
use qorgan::{PreKeyUpload, SenderKeyAnnouncement};

use crate::account::{DeviceInfo, ListHead};
use crate::error::{Failure, QorganError};
use crate::lock::{parse_account_key, parse_head};

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
    pub signed_prekey_id: Option<u32>,
    /// The id of a new last-resort ML-KEM prekey, if the upload carries one.
    pub last_resort_kem_prekey_id: Option<u32>,
    /// Ids of the new one-time X25519 prekeys, ascending: hand each out once.
    pub one_time_prekey_ids: Vec<u32>,
    /// Ids of the new one-time ML-KEM prekeys, ascending: hand each out once.
    pub kem_one_time_prekey_ids: Vec<u32>,
}

impl From<&PreKeyUpload> for UploadInfo {
    fn from(u: &PreKeyUpload) -> Self {
        Self {
            identity_key: u.identity().to_bytes(),
            signed_prekey_id: u.signed_prekey().map(|k| k.id),
            last_resort_kem_prekey_id: u.last_resort_kem_prekey().map(|k| k.id),
            one_time_prekey_ids: u.one_time_prekey_ids(),
            kem_one_time_prekey_ids: u.kem_one_time_prekey_ids(),
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
    pub version: u64,
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
            version: l.version(),
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
}

/// One item's verdict.
#[derive(uniffi::Record)]
pub struct VerifyResult {
    /// Whether every signature of the item verified.
    pub valid: bool,
    /// Why not.
    pub error: Option<Failure>,
}

/// Verifies many items with one batch verification; one result per item.
/// Each distinct announcement is decoded and verified once.
/// A `DeviceListAfter` whose account key or head hash is not 32 bytes
/// fails as `InvalidArgument` (`Malformed`: 32 bytes that are not an
/// account key), without entering the batch.
#[uniffi::export]
pub fn verify_batch(items: Vec<VerifyItem>) -> Vec<VerifyResult> {
    let prepared: Vec<Result<Encoded<'_>, QorganError>> = items
        .iter()
        .map(|i| {
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
                    Some(Err(
                        EncodedError::Announcement(e)
                        | EncodedError::Item(e)
                        | EncodedError::Previous(e),
                    )) => Err(e.into()),
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
