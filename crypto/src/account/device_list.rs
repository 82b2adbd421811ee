//! Device lists (docs/PROTOCOL.md §14.1, §14.2): which device identities
//! belong to an account, signed by the account key, versioned, each
//! version naming the hash of the one before, so that a holder can tell an
//! update from a rollback or a fork.
//!
//! `0x01 || 0x30 || account key (32) || version (u64) || previous (32) ||
//! u32 n || n × (identity (128) || u32 label length || label) ||
//! signature (64)`, the signature by the account key over
//! `"qorgan/v1/device-list" || every byte before it`. Devices are sorted by
//! their Ed25519 key, strictly ascending; `previous` is 32 zero bytes for
//! version 1 and the hash (head) of the previous version otherwise.

use alloc::string::String;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

use super::key::{AccountKey, AccountKeyPair};
use crate::codec::{Reader, Writer};
use crate::error::{AccountError, DecodeError, Head, SignedObject, VerifyError};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey, SignatureCheck};
use crate::labels;
use crate::limits::{MAX_DEVICE_LABEL_LEN, MAX_DEVICES_PER_ACCOUNT};
use crate::primitives::ed25519::{Ed25519PublicKey, Signature};
use crate::wire;

/// Longest encoding of a device list: header, account key, version,
/// previous hash, count, `MAX_DEVICES_PER_ACCOUNT` devices with labels of
/// `MAX_DEVICE_LABEL_LEN` bytes, signature.
pub const MAX_DEVICE_LIST_LEN: usize = 2
    + 32
    + 8
    + 32
    + 4
    + MAX_DEVICES_PER_ACCOUNT * (IDENTITY_KEY_LEN + 4 + MAX_DEVICE_LABEL_LEN)
    + 64;

/// One device of an account: its identity and a label for people ("Asel's
/// phone"), at most [`MAX_DEVICE_LABEL_LEN`] bytes of UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceEntry {
    /// The device identity.
    pub identity: IdentityKey,
    /// A label for people; may be empty.
    pub label: String,
}

impl DeviceEntry {
    /// An entry.
    pub fn new(identity: IdentityKey, label: &str) -> Self {
        Self {
            identity,
            label: label.into(),
        }
    }

    fn sort_key(&self) -> &[u8; 32] {
        self.identity.signing_key().as_bytes()
    }
}

/// A verified, signed device list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceList {
    account: AccountKey,
    version: u64,
    previous: [u8; 32],
    devices: Vec<DeviceEntry>,
    signature: Signature,
    /// Computed once: a list never changes after it is made or decoded.
    head: Head,
}

impl DeviceList {
    /// Version 1 of an account's list.
    pub fn first(
        account: &AccountKeyPair,
        devices: Vec<DeviceEntry>,
    ) -> Result<Self, AccountError> {
        Self::sign(account, 1, [0; 32], devices)
    }

    /// The next version, listing `devices`, chained to this one.
    pub fn successor(
        &self,
        account: &AccountKeyPair,
        devices: Vec<DeviceEntry>,
    ) -> Result<Self, AccountError> {
        if *account.public() != self.account {
            return Err(AccountError::WrongAccount);
        }
        let version = self
            .version
            .checked_add(1)
            .ok_or(AccountError::InvalidList("version exhausted"))?;
        Self::sign(account, version, self.head().hash, devices)
    }

    /// The next version, with `identity` added.
    pub fn with_device(
        &self,
        account: &AccountKeyPair,
        identity: &IdentityKey,
        label: &str,
    ) -> Result<Self, AccountError> {
        if self.contains(identity) {
            return Err(AccountError::InvalidList("device already listed"));
        }
        let mut devices = self.devices.clone();
        devices.push(DeviceEntry::new(*identity, label));
        self.successor(account, devices)
    }

    /// The next version, with `identity` removed.
    pub fn without_device(
        &self,
        account: &AccountKeyPair,
        identity: &IdentityKey,
    ) -> Result<Self, AccountError> {
        if !self.contains(identity) {
            return Err(AccountError::InvalidList("device not listed"));
        }
        let devices = self
            .devices
            .iter()
            .filter(|d| !d.identity.ct_eq(identity))
            .cloned()
            .collect();
        self.successor(account, devices)
    }

    fn sign(
        account: &AccountKeyPair,
        version: u64,
        previous: [u8; 32],
        mut devices: Vec<DeviceEntry>,
    ) -> Result<Self, AccountError> {
        devices.sort_by(|a, b| a.sort_key().cmp(b.sort_key()));
        check_devices(&devices)?;
        let mut list = Self {
            account: *account.public(),
            version,
            previous,
            devices,
            signature: Signature::from_bytes(&[0; 64]),
            head: Head {
                version,
                hash: [0; 32],
            },
        };
        list.signature = account.sign(labels::DEVICE_LIST, &list.signed_bytes());
        list.head = list.compute_head();
        Ok(list)
    }

    /// The account that signed it.
    pub fn account(&self) -> &AccountKey {
        &self.account
    }

    /// Its version (1 for the first list; one more for each change).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The hash of the previous version (`None` for version 1).
    pub fn previous(&self) -> Option<[u8; 32]> {
        (self.version > 1).then_some(self.previous)
    }

    /// The devices, sorted by their Ed25519 key.
    pub fn devices(&self) -> &[DeviceEntry] {
        &self.devices
    }

    /// Whether `identity` is one of the devices.
    pub fn contains(&self, identity: &IdentityKey) -> bool {
        self.devices.iter().any(|d| d.identity.ct_eq(identity))
    }

    /// Version and hash: what holders compare.
    pub fn head(&self) -> Head {
        self.head
    }

    fn compute_head(&self) -> Head {
        let mut h = Sha256::new();
        h.update(labels::DEVICE_LIST_HASH);
        h.update(self.to_bytes());
        Head {
            version: self.version,
            hash: h.finalize().into(),
        }
    }

    /// Whether this list is the direct successor of the list with head
    /// `previous`.
    pub fn follows(&self, previous: &Head) -> bool {
        crate::versioned::follows(self, previous)
    }

    fn signed_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(
            2 + 32 + 8 + 32 + 4 + self.devices.len() * (IDENTITY_KEY_LEN + 4 + 16),
        );
        w.u8(wire::ACCOUNT_VERSION)
            .u8(wire::TYPE_DEVICE_LIST)
            .raw(self.account.0.as_bytes())
            .u64(self.version)
            .raw(&self.previous);
        w.count(self.devices.len());
        for d in &self.devices {
            d.identity.write(&mut w);
            w.bytes(d.label.as_bytes());
        }
        w.into_vec()
    }

    /// The encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature.to_bytes());
        out
    }

    /// Decodes a list and verifies it: every device's identity binding and
    /// the account's signature (one combination), and the rules of §14.1.
    /// Says nothing of whether it is the account's newest: see
    /// [`Contact`](super::Contact).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccountError> {
        let list = Self::decode_unverified(bytes)?;
        crate::verify::run_checks(&list.checks()).map_err(VerifyError::from)?;
        Ok(list)
    }

    /// Every signature, in order: the devices' identity bindings, then the
    /// account's signature.
    pub(crate) fn checks(&self) -> Vec<SignatureCheck> {
        let mut checks: Vec<SignatureCheck> = self
            .devices
            .iter()
            .map(|d| d.identity.binding_check())
            .collect();
        checks.push(SignatureCheck::labeled(
            self.account.key(),
            labels::DEVICE_LIST,
            &self.signed_bytes(),
            &self.signature,
            SignedObject::DeviceList,
        ));
        checks
    }

    /// Decodes without checking any signature (for batch verification).
    pub(crate) fn decode_unverified(bytes: &[u8]) -> Result<Self, AccountError> {
        let mut r = Reader::new(bytes);
        expect_header(&mut r, wire::TYPE_DEVICE_LIST).map_err(VerifyError::from)?;
        let list = read_body(&mut r).map_err(VerifyError::from)?;
        r.finish().map_err(VerifyError::from)?;
        list
    }
}

/// Reads the version and type bytes of an account format.
pub(crate) fn expect_header(r: &mut Reader<'_>, ty: u8) -> Result<(), DecodeError> {
    let version = r.u8()?;
    if version != wire::ACCOUNT_VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    let found = r.u8()?;
    if found != ty {
        return Err(DecodeError::UnexpectedType(found));
    }
    Ok(())
}

/// Reads everything after the header; the outer `Result` is for bytes, the
/// inner one for the §14.1 rules.
fn read_body(r: &mut Reader<'_>) -> Result<Result<DeviceList, AccountError>, DecodeError> {
    let account = AccountKey(Ed25519PublicKey::from_bytes(&r.array()?)?);
    let version = r.u64()?;
    let previous: [u8; 32] = r.array()?;
    let n = r.count("devices", MAX_DEVICES_PER_ACCOUNT, IDENTITY_KEY_LEN + 4)?;
    let mut devices = Vec::with_capacity(n);
    for _ in 0..n {
        let identity = IdentityKey::read_trusted(r)?;
        let label = r.bytes("device label", MAX_DEVICE_LABEL_LEN)?;
        let label = core::str::from_utf8(label)
            .map_err(|_| DecodeError::InvalidField("device label is not UTF-8"))?;
        devices.push(DeviceEntry::new(identity, label));
    }
    let signature = Signature::from_bytes(&r.array()?);
    if version == 0 {
        return Err(DecodeError::InvalidField("device list version 0"));
    }
    if (version == 1) != (previous == [0; 32]) {
        return Err(DecodeError::InvalidField(
            "previous hash must be zero exactly for version 1",
        ));
    }
    Ok(check_devices(&devices).map(|()| {
        let mut list = DeviceList {
            account,
            version,
            previous,
            devices,
            signature,
            head: Head {
                version,
                hash: [0; 32],
            },
        };
        list.head = list.compute_head();
        list
    }))
}

/// §14.1: 1 to `MAX_DEVICES_PER_ACCOUNT` devices, strictly ascending by
/// Ed25519 key (so distinct), labels within `MAX_DEVICE_LABEL_LEN`.
fn check_devices(devices: &[DeviceEntry]) -> Result<(), AccountError> {
    if devices.is_empty() {
        return Err(AccountError::InvalidList("no devices"));
    }
    if devices.len() > MAX_DEVICES_PER_ACCOUNT {
        return Err(AccountError::InvalidList(
            "more than MAX_DEVICES_PER_ACCOUNT devices",
        ));
    }
    if devices.iter().any(|d| d.label.len() > MAX_DEVICE_LABEL_LEN) {
        return Err(AccountError::InvalidList(
            "label longer than MAX_DEVICE_LABEL_LEN",
        ));
    }
    if devices
        .windows(2)
        .any(|w| w.first().map(DeviceEntry::sort_key) >= w.get(1).map(DeviceEntry::sort_key))
    {
        return Err(AccountError::InvalidList(
            "devices not strictly ascending by Ed25519 key (or listed twice)",
        ));
    }
    Ok(())
}
