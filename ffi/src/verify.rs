//! Stateless verification for servers.
//!
//! The single-item functions take borrowed bytes (`&[u8]`): uniffi passes
//! them without copying (Python `bytes`, Swift `Data`, Kotlin direct
//! `java.nio.ByteBuffer`), which matters on a server checking items at
//! volume.

use qorgan::SenderKeyAnnouncement;
use qorgan::verify::{self, Item};

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
#[uniffi::export]
pub fn verify_batch(items: Vec<VerifyItem>) -> Vec<VerifyResult> {
    // Announcements of group-message items are decoded (and verified) first.
    let announcements: Vec<Option<Result<SenderKeyAnnouncement, QorganError>>> = items
        .iter()
        .map(|i| match i {
            VerifyItem::GroupMessage { announcement, .. } => {
                Some(SenderKeyAnnouncement::from_bytes(announcement).map_err(QorganError::from))
            }
            _ => None,
        })
        .collect();
    let mut batch = Vec::new();
    let mut slots = Vec::with_capacity(items.len());
    for (item, ann) in items.iter().zip(&announcements) {
        let prepared = match (item, ann) {
            (VerifyItem::Identity { bytes }, _) => Ok(Item::Identity(bytes)),
            (VerifyItem::Bundle { bytes }, _) => Ok(Item::Bundle(bytes)),
            (VerifyItem::Announcement { bytes }, _) => Ok(Item::Announcement(bytes)),
            (VerifyItem::GroupMessage { message, .. }, Some(Ok(a))) => Ok(Item::GroupMessage {
                announcement: a,
                message,
            }),
            (VerifyItem::GroupMessage { .. }, Some(Err(e))) => Err(e.failure()),
            (VerifyItem::GroupMessage { .. }, None) => Err(internal("missing announcement")),
        };
        slots.push(match prepared {
            Ok(i) => {
                batch.push(i);
                None
            }
            Err(e) => Some(e),
        });
    }
    let mut verdicts = verify::verify_batch(&batch).into_iter();
    slots
        .into_iter()
        .map(|slot| match slot {
            Some(error) => VerifyResult {
                valid: false,
                error: Some(error),
            },
            None => match verdicts.next() {
                Some(Ok(())) => VerifyResult {
                    valid: true,
                    error: None,
                },
                Some(Err(e)) => VerifyResult {
                    valid: false,
                    error: Some(QorganError::from(e).failure()),
                },
                None => VerifyResult {
                    valid: false,
                    error: Some(internal("missing verdict")),
                },
            },
        })
        .collect()
}

fn internal(reason: &str) -> Failure {
    QorganError::Internal {
        reason: reason.into(),
    }
    .failure()
}
