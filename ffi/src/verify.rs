//! Stateless verification for servers.
//!
//! The single-item functions take borrowed bytes (`&[u8]`): uniffi passes
//! them without copying (Python `bytes`, Swift `Data`, Kotlin direct
//! `java.nio.ByteBuffer`), which matters on a server checking items at
//! volume.

use qorgan::verify::{self, Encoded, EncodedError, Item};
use qorgan::{PreKeyUpload, SenderKeyAnnouncement};

use crate::error::{Failure, QorganError};

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
#[uniffi::export]
pub fn verify_batch(items: Vec<VerifyItem>) -> Vec<VerifyResult> {
    let encoded: Vec<Encoded<'_>> = items
        .iter()
        .map(|i| match i {
            VerifyItem::Identity { bytes } => Encoded::Identity(bytes),
            VerifyItem::Bundle { bytes } => Encoded::Bundle(bytes),
            VerifyItem::Upload { bytes } => Encoded::Upload(bytes),
            VerifyItem::Announcement { bytes } => Encoded::Announcement(bytes),
            VerifyItem::GroupMessage {
                announcement,
                message,
            } => Encoded::GroupMessage {
                announcement,
                message,
            },
        })
        .collect();
    verify::verify_encoded_batch(&encoded)
        .into_iter()
        .map(|r| match r {
            Ok(()) => VerifyResult {
                valid: true,
                error: None,
            },
            Err(EncodedError::Announcement(e) | EncodedError::Item(e)) => VerifyResult {
                valid: false,
                error: Some(QorganError::from(e).failure()),
            },
        })
        .collect()
}
