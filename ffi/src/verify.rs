//! Stateless verification for servers.
//!
//! The single-item functions take borrowed bytes (`&[u8]`): uniffi passes
//! them without copying (Python `bytes`, Swift `Data`, Kotlin direct
//! `java.nio.ByteBuffer`), which matters on a server checking items at
//! volume.

use qorgan::SenderKeyAnnouncement;
use qorgan::verify::{self, Encoded, EncodedError, Item};

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
