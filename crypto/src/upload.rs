//! Prekey uploads (docs/PROTOCOL.md §4.10): what a device sends its server
//! so that the server can hand out bundles, carrying only what the server
//! does not have yet.
//!
//! `0x01 || 0x12 || identity (128) || flags || [signed prekey (100)] ||
//! [last-resort ML-KEM prekey (1253)] || u32 n || n × (id || X25519 key) ||
//! u32 m || m × one-time ML-KEM prekey (1253) || signature (64)`.
//!
//! Flag bit 0: a signed prekey follows; bit 1: a last-resort ML-KEM prekey
//! follows; other bits zero. The identity signs
//! `"qorgan/v1/prekey-upload" || every byte before the signature`, so a
//! server (or anyone) can check that the upload, unsigned one-time X25519
//! keys included, comes from that identity. Decoding checks every
//! signature, in one batch.

use alloc::vec::Vec;

use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, SignedObject, VerifyError};
use crate::identity::{IdentityKey, IdentityKeyPair, SignatureCheck};
use crate::labels;
use crate::limits::{MAX_KEM_ONE_TIME_PREKEYS, MAX_ONE_TIME_PREKEYS};
use crate::prekey::{KemPreKey, KemPreKeyKind, OneTimePreKey, PreKeyId, SignedPreKey};
use crate::primitives::ed25519::Signature;
use crate::primitives::x25519::X25519PublicKey;
use crate::wire;

const FLAG_SIGNED_PREKEY: u8 = 0x01;
const FLAG_LAST_RESORT: u8 = 0x02;

/// A verified prekey upload: what a device publishes beyond what its server
/// already holds. Made by [`PreKeyStore::upload`](crate::PreKeyStore::upload);
/// read by servers with [`PreKeyUpload::from_bytes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreKeyUpload {
    identity: IdentityKey,
    signed_prekey: Option<SignedPreKey>,
    last_resort_kem_prekey: Option<KemPreKey>,
    one_time_prekeys: Vec<OneTimePreKey>,
    kem_one_time_prekeys: Vec<KemPreKey>,
    signature: Signature,
}

impl PreKeyUpload {
    /// Signs an upload; the parts come from the store, ids ascending.
    pub(crate) fn sign(
        identity: &IdentityKeyPair,
        signed_prekey: Option<SignedPreKey>,
        last_resort_kem_prekey: Option<KemPreKey>,
        one_time_prekeys: Vec<OneTimePreKey>,
        kem_one_time_prekeys: Vec<KemPreKey>,
    ) -> Self {
        let mut upload = Self {
            identity: *identity.public(),
            signed_prekey,
            last_resort_kem_prekey,
            one_time_prekeys,
            kem_one_time_prekeys,
            signature: Signature::from_bytes(&[0; 64]),
        };
        upload.signature = identity.sign(labels::PREKEY_UPLOAD, &upload.signed_bytes());
        upload
    }

    /// The device identity that signed the upload.
    pub fn identity(&self) -> &IdentityKey {
        &self.identity
    }

    /// A new signed prekey, if the upload carries one.
    pub fn signed_prekey(&self) -> Option<&SignedPreKey> {
        self.signed_prekey.as_ref()
    }

    /// A new last-resort ML-KEM prekey, if the upload carries one.
    pub fn last_resort_kem_prekey(&self) -> Option<&KemPreKey> {
        self.last_resort_kem_prekey.as_ref()
    }

    /// New one-time X25519 prekeys, ids ascending: hand each out once.
    pub fn one_time_prekeys(&self) -> &[OneTimePreKey] {
        &self.one_time_prekeys
    }

    /// New one-time ML-KEM prekeys, ids ascending: hand each out once.
    pub fn kem_one_time_prekeys(&self) -> &[KemPreKey] {
        &self.kem_one_time_prekeys
    }

    /// Ids of the one-time X25519 prekeys.
    pub fn one_time_prekey_ids(&self) -> Vec<PreKeyId> {
        self.one_time_prekeys.iter().map(|k| k.id).collect()
    }

    /// Ids of the one-time ML-KEM prekeys.
    pub fn kem_one_time_prekey_ids(&self) -> Vec<PreKeyId> {
        self.kem_one_time_prekeys.iter().map(|k| k.id).collect()
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(
            140 + SignedPreKey::LEN
                + KemPreKey::LEN * (1 + self.kem_one_time_prekeys.len())
                + self.one_time_prekeys.len() * 36,
        );
        w.u8(wire::VERSION).u8(wire::TYPE_PREKEY_UPLOAD);
        self.identity.write(&mut w);
        let mut flags = 0;
        if self.signed_prekey.is_some() {
            flags |= FLAG_SIGNED_PREKEY;
        }
        if self.last_resort_kem_prekey.is_some() {
            flags |= FLAG_LAST_RESORT;
        }
        w.u8(flags);
        if let Some(s) = &self.signed_prekey {
            s.write(&mut w);
        }
        if let Some(k) = &self.last_resort_kem_prekey {
            k.write(&mut w);
        }
        w.count(self.one_time_prekeys.len());
        for k in &self.one_time_prekeys {
            w.u32(k.id).raw(k.key.as_bytes());
        }
        w.count(self.kem_one_time_prekeys.len());
        for k in &self.kem_one_time_prekeys {
            k.write(&mut w);
        }
        w.into_vec()
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes an upload and verifies every signature it carries.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VerifyError> {
        let upload = Self::decode_unverified(bytes)?;
        crate::verify::run_checks(&upload.checks())?;
        Ok(upload)
    }

    /// Every signature, in order: identity binding, signed prekey,
    /// last-resort ML-KEM prekey, one-time ML-KEM prekeys, the upload.
    pub(crate) fn checks(&self) -> Vec<SignatureCheck> {
        let mut checks = alloc::vec![self.identity.binding_check()];
        checks.extend(self.signed_prekey.iter().map(|s| s.check(&self.identity)));
        checks.extend(
            self.last_resort_kem_prekey
                .iter()
                .chain(&self.kem_one_time_prekeys)
                .map(|k| k.check(&self.identity)),
        );
        checks.push(SignatureCheck::labeled(
            self.identity.signing_key(),
            labels::PREKEY_UPLOAD,
            &self.signed_bytes(),
            &self.signature,
            SignedObject::PreKeyUpload,
        ));
        checks
    }

    /// Decodes without checking any signature (for batch verification).
    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        wire::expect_header(&mut r, wire::TYPE_PREKEY_UPLOAD)?;
        let identity = IdentityKey::read_trusted(&mut r)?;
        let flags = r.u8()?;
        if flags & !(FLAG_SIGNED_PREKEY | FLAG_LAST_RESORT) != 0 {
            return Err(DecodeError::InvalidField("upload flags"));
        }
        let signed_prekey = if flags & FLAG_SIGNED_PREKEY != 0 {
            Some(SignedPreKey::read(&mut r)?)
        } else {
            None
        };
        let last_resort_kem_prekey = if flags & FLAG_LAST_RESORT != 0 {
            let k = KemPreKey::read(&mut r)?;
            if k.kind != KemPreKeyKind::LastResort {
                return Err(DecodeError::InvalidField("last-resort ML-KEM prekey kind"));
            }
            Some(k)
        } else {
            None
        };
        let n = r.count("one-time prekeys", MAX_ONE_TIME_PREKEYS, 36)?;
        let mut one_time_prekeys: Vec<OneTimePreKey> = Vec::with_capacity(n);
        for _ in 0..n {
            let k = OneTimePreKey {
                id: r.u32()?,
                key: X25519PublicKey::from_bytes(r.array()?),
            };
            if one_time_prekeys.last().is_some_and(|last| last.id >= k.id) {
                return Err(DecodeError::InvalidField(
                    "one-time prekey ids not strictly ascending",
                ));
            }
            one_time_prekeys.push(k);
        }
        let m = r.count(
            "one-time ML-KEM prekeys",
            MAX_KEM_ONE_TIME_PREKEYS,
            KemPreKey::LEN,
        )?;
        let mut kem_one_time_prekeys: Vec<KemPreKey> = Vec::with_capacity(m);
        for _ in 0..m {
            let k = KemPreKey::read(&mut r)?;
            if k.kind != KemPreKeyKind::OneTime {
                return Err(DecodeError::InvalidField("one-time ML-KEM prekey kind"));
            }
            if kem_one_time_prekeys
                .last()
                .is_some_and(|last| last.id >= k.id)
            {
                return Err(DecodeError::InvalidField(
                    "one-time ML-KEM prekey ids not strictly ascending",
                ));
            }
            if last_resort_kem_prekey
                .as_ref()
                .is_some_and(|l| l.id == k.id)
            {
                return Err(DecodeError::InvalidField("duplicate ML-KEM prekey id"));
            }
            kem_one_time_prekeys.push(k);
        }
        let signature = Signature::from_bytes(&r.array()?);
        r.finish()?;
        if signed_prekey.is_none()
            && last_resort_kem_prekey.is_none()
            && one_time_prekeys.is_empty()
            && kem_one_time_prekeys.is_empty()
        {
            return Err(DecodeError::InvalidField("empty upload"));
        }
        Ok(Self {
            identity,
            signed_prekey,
            last_resort_kem_prekey,
            one_time_prekeys,
            kem_one_time_prekeys,
            signature,
        })
    }
}
