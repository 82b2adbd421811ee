//! Linking a device (docs/PROTOCOL.md §14.4).
//!
//! The new device shows a **link code** (a QR code): its identity, a fresh
//! X25519 link key and a 16-byte link secret, in base32 (QR alphanumeric
//! mode). A device of the account scans it, adds the new device to the
//! list and answers with a **provisioning message** that only the link
//! request can open: the account key, the new list and the pinned
//! contacts. The link code travels screen to camera, never through the
//! server, so the server can neither read the message nor make one; a
//! message opens once, under the request it was made for.
//!
//! Link code bytes: `0x01 || 0x33 || identity (128) || link key (32) ||
//! link secret (16)` (178 bytes, 285 base32 characters). Provisioning
//! message: `0x01 || 0x32 || ephemeral key (32) ||
//! ChaCha20-Poly1305(k, nonce 0, ad = the first 34 bytes, payload)`, with
//! `k = HKDF-SHA256(salt = link secret, ikm = X25519(ephemeral, link key),
//! info = "qorgan/v1/provisioning" || link code bytes || ephemeral key)`.
//! Payload: `flag || [account seed (32)] || u32 len || list || u32 n || n ×
//! (u32 len || contact list)`; flag 1: the account key follows (the new
//! device may link and remove devices), 0: it does not.

use alloc::string::String;
use alloc::vec::Vec;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::contact::Contact;
use super::device_list::{DeviceList, MAX_DEVICE_LIST_LEN, expect_header};
use super::key::AccountKeyPair;
use super::own::Account;
use crate::codec::{Reader, Writer};
use crate::error::{AccountError, DecodeError, VerifyError};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey};
use crate::labels;
use crate::limits::MAX_PROVISIONED_CONTACTS;
use crate::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use crate::primitives::{aead, kdf};
use crate::wire;

/// Length of a link code's bytes.
pub const LINK_CODE_LEN: usize = 2 + IDENTITY_KEY_LEN + 32 + 16;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, upper case, no padding.
fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(
                BASE32
                    .get(((acc >> bits) & 31) as usize)
                    .copied()
                    .unwrap_or(b'A'),
            ));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(char::from(
            BASE32
                .get(((acc << (5 - bits)) & 31) as usize)
                .copied()
                .unwrap_or(b'A'),
        ));
    }
    out
}

/// Strict inverse of [`base32`]: upper case only, no padding, unused
/// trailing bits zero (one text per byte string).
fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = BASE32.iter().position(|x| *x == c)? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    (bits < 5 && acc == 0).then_some(out)
}

/// A parsed link code, as the scanning device sees it.
pub struct LinkCode {
    device: IdentityKey,
    link_key: X25519PublicKey,
    link_secret: Zeroizing<[u8; 16]>,
    bytes: Zeroizing<Vec<u8>>,
}

impl LinkCode {
    /// Parses the scanned text and verifies the device identity's binding.
    pub fn parse(text: &str) -> Result<Self, AccountError> {
        let bytes = Zeroizing::new(unbase32(text).ok_or(AccountError::InvalidLinkCode(
            "not base32 (RFC 4648, upper case, unpadded)",
        ))?);
        let mut r = Reader::new(&bytes);
        expect_header(&mut r, wire::TYPE_LINK_CODE).map_err(VerifyError::from)?;
        let device =
            IdentityKey::from_field_bytes(r.take(IDENTITY_KEY_LEN).map_err(VerifyError::from)?)?;
        let link_key = X25519PublicKey::from_bytes(r.array().map_err(VerifyError::from)?);
        let link_secret = Zeroizing::new(r.array().map_err(VerifyError::from)?);
        r.finish().map_err(VerifyError::from)?;
        Ok(Self {
            device,
            link_key,
            link_secret,
            bytes,
        })
    }

    /// The identity of the device asking to be linked: show it (or its
    /// label) before confirming.
    pub fn device(&self) -> &IdentityKey {
        &self.device
    }
}

/// The new device's half: keep it in memory until the provisioning message
/// arrives (it is not `Clone` and has no state format: a restart means a
/// new code).
pub struct LinkRequest {
    device: IdentityKey,
    secret: X25519SecretKey,
    link_secret: Zeroizing<[u8; 16]>,
    used: bool,
}

impl LinkRequest {
    /// A request for this device (`device` is its public identity).
    pub fn new<R: CryptoRng + ?Sized>(rng: &mut R, device: &IdentityKey) -> Self {
        let secret = X25519SecretKey::generate(rng);
        let mut link_secret = Zeroizing::new([0u8; 16]);
        rng.fill_bytes(link_secret.as_mut());
        Self {
            device: *device,
            secret,
            link_secret,
            used: false,
        }
    }

    fn code_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(LINK_CODE_LEN);
        w.u8(wire::ACCOUNT_VERSION).u8(wire::TYPE_LINK_CODE);
        self.device.write(&mut w);
        w.raw(self.secret.public_key().as_bytes())
            .raw(self.link_secret.as_ref());
        Zeroizing::new(w.into_vec())
    }

    /// The text to show as a QR code (alphanumeric mode). It carries the
    /// link secret: show it only on this device's screen.
    pub fn code(&self) -> Zeroizing<String> {
        Zeroizing::new(base32(&self.code_bytes()))
    }

    /// Opens the provisioning message made for this request: the account
    /// (this device listed in it) and the pinned contacts. A message opens
    /// once; any other (for another request, modified, replayed) is
    /// refused with `ProvisioningFailed`, leaving the request usable.
    pub fn complete(&mut self, message: &[u8]) -> Result<(Account, Vec<Contact>), AccountError> {
        if self.used {
            return Err(AccountError::ProvisioningFailed);
        }
        let fail = |_| AccountError::ProvisioningFailed;
        let mut r = Reader::new(message);
        expect_header(&mut r, wire::TYPE_PROVISIONING).map_err(fail)?;
        let ephemeral = X25519PublicKey::from_bytes(r.array().map_err(fail)?);
        let ad = message
            .get(..2 + 32)
            .ok_or(AccountError::ProvisioningFailed)?;
        let key = message_key(
            &self.secret,
            &ephemeral,
            &self.link_secret,
            &self.code_bytes(),
            &ephemeral,
        )
        .ok_or(AccountError::ProvisioningFailed)?;
        let payload = Zeroizing::new(
            aead::open(&key, &[0; 12], ad, r.rest())
                .map_err(|_| AccountError::ProvisioningFailed)?,
        );
        let (seed, list, contacts) = read_payload(&payload).map_err(VerifyError::from)?;
        let key = seed.map(|s| AccountKeyPair::from_seed(&s));
        let list = DeviceList::from_bytes(list)?;
        if !list.contains(&self.device) {
            return Err(AccountError::InvalidList("this device is not in the list"));
        }
        let account = Account::from_parts(key, list, self.device)?;
        let contacts = contacts
            .into_iter()
            .map(|l| DeviceList::from_bytes(l).map(Contact::pin))
            .collect::<Result<Vec<_>, _>>()?;
        self.used = true;
        Ok((account, contacts))
    }
}

impl core::fmt::Debug for LinkRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LinkRequest")
            .field("device", &self.device)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// `HKDF-SHA256(salt = link secret, ikm = X25519, info = label || code ||
/// ephemeral)`; `None` for a non-contributory exchange.
fn message_key(
    secret: &X25519SecretKey,
    public: &X25519PublicKey,
    link_secret: &[u8; 16],
    code: &[u8],
    ephemeral_public: &X25519PublicKey,
) -> Option<Zeroizing<[u8; 32]>> {
    let shared = secret.diffie_hellman(public).ok()?;
    let mut info = Vec::with_capacity(labels::PROVISIONING.len() + code.len() + 32);
    info.extend_from_slice(labels::PROVISIONING);
    info.extend_from_slice(code);
    info.extend_from_slice(ephemeral_public.as_bytes());
    let mut key = Zeroizing::new([0u8; 32]);
    kdf::hkdf_sha256(link_secret, shared.as_bytes(), &info, key.as_mut()).ok()?;
    Some(key)
}

type Payload<'a> = (Option<Zeroizing<[u8; 32]>>, &'a [u8], Vec<&'a [u8]>);

fn read_payload(payload: &[u8]) -> Result<Payload<'_>, DecodeError> {
    let mut r = Reader::new(payload);
    let seed = match r.u8()? {
        0 => None,
        1 => Some(Zeroizing::new(r.array::<32>()?)),
        _ => return Err(DecodeError::InvalidField("account key flag")),
    };
    let list = r.bytes("device list", MAX_DEVICE_LIST_LEN)?;
    let n = r.count("contacts", MAX_PROVISIONED_CONTACTS, 4)?;
    let mut contacts = Vec::with_capacity(n);
    for _ in 0..n {
        contacts.push(r.bytes("contact device list", MAX_DEVICE_LIST_LEN)?);
    }
    r.finish()?;
    Ok((seed, list, contacts))
}

impl Account {
    /// Links the device that shows `code`: adds it to the list as `label`
    /// (a new version, to publish) and returns the provisioning message for
    /// it, carrying the new list, `contacts`' lists (at most
    /// [`MAX_PROVISIONED_CONTACTS`]) and, if `share_account_key`, the
    /// account key. Share it only with devices that should link and remove
    /// devices: removing a device does not take back a key it was given.
    /// Needs the account key. On error nothing changes.
    pub fn provision<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        code: &LinkCode,
        label: &str,
        contacts: &[&Contact],
        share_account_key: bool,
    ) -> Result<Vec<u8>, AccountError> {
        if contacts.len() > MAX_PROVISIONED_CONTACTS {
            return Err(AccountError::InvalidList(
                "more than MAX_PROVISIONED_CONTACTS contacts",
            ));
        }
        let account_key = self.key_pair()?;
        let list = self.list.with_device(account_key, &code.device, label)?;
        let ephemeral = X25519SecretKey::generate(rng);
        let ephemeral_public = ephemeral.public_key();
        let key = message_key(
            &ephemeral,
            &code.link_key,
            &code.link_secret,
            &code.bytes,
            &ephemeral_public,
        )
        .ok_or(AccountError::InvalidLinkCode("non-contributory link key"))?;
        let mut payload = Writer::with_capacity(4096);
        if share_account_key {
            payload.u8(1).raw(account_key.to_seed().as_ref());
        } else {
            payload.u8(0);
        }
        payload.bytes(&list.to_bytes());
        payload.count(contacts.len());
        for c in contacts {
            payload.bytes(&c.list().to_bytes());
        }
        let payload = Zeroizing::new(payload.into_vec());
        let mut out = Vec::with_capacity(2 + 32 + payload.len() + aead::TAG_LEN);
        out.extend_from_slice(&[wire::ACCOUNT_VERSION, wire::TYPE_PROVISIONING]);
        out.extend_from_slice(ephemeral_public.as_bytes());
        let ad = out.clone();
        aead::seal(&key, &[0; 12], &ad, &payload, &mut out);
        self.list = list;
        Ok(out)
    }
}
