//! Wire format v2 of 1:1 messages (docs/PROTOCOL.md §5).
//!
//! ```text
//! message:        02 01 | ratchet key (32) | n (u24) | pn (u24) | nonce (12)
//!                       | ciphertext || tag (16)
//! prekey message: 02 02 | identity (128) | base key (32) | signed prekey id (u32)
//!                       | ML-KEM prekey id (u32) | flag (1) [| one-time prekey id (u32)]
//!                       | ML-KEM ciphertext (1088) | ratchet key (32) | n (u24) | pn (u24)
//!                       | nonce (12) | ciphertext || tag (16)
//! ```
//!
//! Everything before the ciphertext is the header; the AEAD's associated data
//! is `session id (32) || header`, so flipping any header bit fails
//! authentication. The nonce is drawn at random for every message, so a
//! sender whose state was rolled back (a restored backup, two processes)
//! and who uses a message key again never repeats a ChaCha20 keystream or a
//! Poly1305 key. Version 1 (the same layouts without the nonce, which is
//! then all zero) is still read.

use crate::codec::Reader;
use crate::error::DecodeError;
use crate::identity::IDENTITY_KEY_LEN;
use crate::limits::MAX_MESSAGE_LEN;
use crate::prekey::PreKeyId;
use crate::primitives::aead::TAG_LEN;
use crate::primitives::kem::{KEM_CIPHERTEXT_LEN, KemCiphertext};
use crate::primitives::x25519::X25519PublicKey;
use crate::wire;

/// Ratchet header length: ratchet key, n, pn.
pub(crate) const RATCHET_HEADER_LEN: usize = 32 + 3 + 3;
/// Length of the random AEAD nonce of a version 2 message.
pub(crate) const MESSAGE_NONCE_LEN: usize = 12;
/// Bytes a normal message adds to its plaintext: version, type, ratchet
/// header, nonce and tag. Exactly 68.
pub const MESSAGE_OVERHEAD: usize = 2 + RATCHET_HEADER_LEN + MESSAGE_NONCE_LEN + TAG_LEN;

/// The handshake fields a prekey message carries.
#[derive(Clone, Debug)]
pub(crate) struct HandshakeHeader {
    pub(crate) identity: [u8; IDENTITY_KEY_LEN],
    pub(crate) base_key: X25519PublicKey,
    pub(crate) signed_prekey_id: PreKeyId,
    pub(crate) kem_prekey_id: PreKeyId,
    pub(crate) one_time_prekey_id: Option<PreKeyId>,
    pub(crate) kem_ciphertext: KemCiphertext,
}

impl HandshakeHeader {
    pub(crate) fn encode(&self) -> alloc::vec::Vec<u8> {
        let mut w =
            crate::codec::Writer::with_capacity(IDENTITY_KEY_LEN + 32 + 13 + KEM_CIPHERTEXT_LEN);
        w.raw(&self.identity)
            .raw(self.base_key.as_bytes())
            .u32(self.signed_prekey_id)
            .u32(self.kem_prekey_id);
        match self.one_time_prekey_id {
            Some(id) => w.u8(1).u32(id),
            None => w.u8(0),
        };
        w.raw(self.kem_ciphertext.as_bytes());
        w.into_vec()
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let identity = r.array()?;
        let base_key = X25519PublicKey::from_bytes(r.array()?);
        let signed_prekey_id = r.u32()?;
        let kem_prekey_id = r.u32()?;
        let one_time_prekey_id = match r.u8()? {
            0 => None,
            1 => Some(r.u32()?),
            _ => return Err(DecodeError::InvalidField("one-time prekey flag")),
        };
        let kem_ciphertext = KemCiphertext::from_bytes(&r.array()?);
        Ok(Self {
            identity,
            base_key,
            signed_prekey_id,
            kem_prekey_id,
            one_time_prekey_id,
            kem_ciphertext,
        })
    }
}

/// A decoded message, borrowing its bytes.
pub(crate) struct ParsedMessage<'a> {
    /// Every byte before the ciphertext (authenticated as associated data).
    pub(crate) header: &'a [u8],
    pub(crate) handshake: Option<HandshakeHeader>,
    pub(crate) ratchet_key: X25519PublicKey,
    pub(crate) index: u32,
    pub(crate) previous_length: u32,
    /// The AEAD nonce: the message's own (version 2), all zero (version 1).
    pub(crate) nonce: [u8; MESSAGE_NONCE_LEN],
    pub(crate) ciphertext: &'a [u8],
}

impl<'a> ParsedMessage<'a> {
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != wire::MESSAGE_VERSION && version != wire::VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let handshake = match r.u8()? {
            wire::TYPE_MESSAGE => None,
            wire::TYPE_PREKEY_MESSAGE => Some(HandshakeHeader::read(&mut r)?),
            other => return Err(DecodeError::UnexpectedType(other)),
        };
        let ratchet_key = X25519PublicKey::from_bytes(r.array()?);
        let index = r.u24()?;
        let previous_length = r.u24()?;
        let nonce = if version == wire::MESSAGE_VERSION {
            r.array()?
        } else {
            crate::labels::MESSAGE_NONCE
        };
        let header_len = bytes.len() - r.remaining();
        let ciphertext = r.rest();
        if ciphertext.len() < TAG_LEN {
            return Err(DecodeError::Truncated {
                needed: TAG_LEN - ciphertext.len(),
            });
        }
        if ciphertext.len() - TAG_LEN > MAX_MESSAGE_LEN {
            return Err(DecodeError::TooLong {
                field: "ciphertext",
                len: ciphertext.len() - TAG_LEN,
                limit: MAX_MESSAGE_LEN,
            });
        }
        let (header, _) = bytes.split_at(header_len);
        Ok(Self {
            header,
            handshake,
            ratchet_key,
            index,
            previous_length,
            nonce,
            ciphertext,
        })
    }
}

/// What a received 1:1 message is, for routing it before decrypting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// A message for an established session.
    Message,
    /// A message that carries a handshake: give it to the session whose
    /// [`base_key`](crate::Session::base_key) matches, or to
    /// [`PreKeyStore::accept`](crate::PreKeyStore::accept) if none does.
    PreKey {
        /// The initiator's handshake ephemeral key, which names the session.
        base_key: X25519PublicKey,
        /// The initiator's claimed Ed25519 identity key (verified only by
        /// `accept`).
        claimed_sender: [u8; 32],
    },
}

/// Classifies a message without decrypting it.
pub fn peek(bytes: &[u8]) -> Result<MessageKind, DecodeError> {
    let parsed = ParsedMessage::parse(bytes)?;
    Ok(match parsed.handshake {
        None => MessageKind::Message,
        Some(h) => {
            let mut claimed_sender = [0u8; 32];
            if let Some(s) = h.identity.get(..32) {
                claimed_sender.copy_from_slice(s);
            }
            MessageKind::PreKey {
                base_key: h.base_key,
                claimed_sender,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normal(ct_len: usize) -> alloc::vec::Vec<u8> {
        let mut m = alloc::vec![wire::MESSAGE_VERSION, wire::TYPE_MESSAGE];
        m.extend_from_slice(&[7; RATCHET_HEADER_LEN]);
        m.extend_from_slice(&[9; MESSAGE_NONCE_LEN]);
        m.extend(core::iter::repeat_n(0, ct_len));
        m
    }

    #[test]
    fn normal_message_layout() {
        let bytes = normal(TAG_LEN + 5);
        let m = ParsedMessage::parse(&bytes).unwrap();
        assert!(m.handshake.is_none());
        assert_eq!(m.header.len(), 2 + RATCHET_HEADER_LEN + MESSAGE_NONCE_LEN);
        assert_eq!(m.index, 0x07_0707);
        assert_eq!(m.previous_length, 0x07_0707);
        assert_eq!(m.nonce, [9; MESSAGE_NONCE_LEN]);
        assert_eq!(m.ciphertext.len(), TAG_LEN + 5);
        assert_eq!(MESSAGE_OVERHEAD, 68);
        // Version 1: no nonce field, the all-zero nonce.
        let mut v1 = bytes.clone();
        v1[0] = wire::VERSION;
        v1.drain(2 + RATCHET_HEADER_LEN..2 + RATCHET_HEADER_LEN + MESSAGE_NONCE_LEN);
        let m = ParsedMessage::parse(&v1).unwrap();
        assert_eq!(m.header.len(), 2 + RATCHET_HEADER_LEN);
        assert_eq!(m.nonce, [0; MESSAGE_NONCE_LEN]);
    }

    #[test]
    fn decoder_rejections() {
        assert!(matches!(
            ParsedMessage::parse(&normal(TAG_LEN - 1)),
            Err(DecodeError::Truncated { needed: 1 })
        ));
        let mut v = normal(TAG_LEN);
        v[0] = 9;
        assert!(matches!(
            ParsedMessage::parse(&v),
            Err(DecodeError::UnsupportedVersion(9))
        ));
        let mut t = normal(TAG_LEN);
        t[1] = 0x7F;
        assert!(matches!(
            ParsedMessage::parse(&t),
            Err(DecodeError::UnexpectedType(0x7F))
        ));
        assert!(matches!(
            ParsedMessage::parse(&[]),
            Err(DecodeError::Truncated { .. })
        ));
        let mut pre = alloc::vec![wire::MESSAGE_VERSION, wire::TYPE_PREKEY_MESSAGE];
        pre.extend_from_slice(&[0; IDENTITY_KEY_LEN + 32 + 8]);
        pre.push(2); // one-time prekey flag out of range
        pre.extend_from_slice(&[0; 2000]);
        assert!(matches!(
            ParsedMessage::parse(&pre),
            Err(DecodeError::InvalidField("one-time prekey flag"))
        ));
        assert!(peek(&normal(TAG_LEN)).is_ok());
    }
}
