//! Account and contact state (docs/PROTOCOL.md §14.7), account version 1.
//!
//! Account (`0x46`): `0x01 || 0x46 || flag || [account seed (32)] ||
//! device identity (128) || u32 len || device list` (flag 1: this device
//! holds the account key). Contact (`0x45`): `0x01 || 0x45 ||
//! u32 len || device list || flags || [sender head || peer head] || u32
//! messages since the heads went out`; flag bit 0: heads were sent. Lists
//! are verified again on load.

use alloc::vec::Vec;
use zeroize::Zeroizing;

use super::{StateOwner, expect_versioned_kind};
use crate::account::heads::{read_head, write_head};
use crate::account::{Account, AccountKeyPair, Contact, DeviceList, Heads, MAX_DEVICE_LIST_LEN};
use crate::codec::{Reader, Writer};
use crate::error::{AccountError, DecodeError, StateError, VerifyError};
use crate::identity::IdentityKey;
use crate::wire;

fn list_error(e: AccountError) -> StateError {
    match e {
        AccountError::Verify(VerifyError::Decode(d)) => StateError::Decode(d),
        _ => StateError::Decode(DecodeError::InvalidField(
            "stored device list does not verify",
        )),
    }
}

fn read_list(r: &mut Reader<'_>) -> Result<DeviceList, StateError> {
    DeviceList::from_bytes(r.bytes("device list", MAX_DEVICE_LIST_LEN)?).map_err(list_error)
}

impl Account {
    /// Plain state. Contains the account's secret key.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let list = self.list.to_bytes();
        let mut w = Writer::with_capacity(3 + 32 + 128 + 4 + list.len());
        w.u8(wire::ACCOUNT_VERSION).u8(wire::STATE_ACCOUNT);
        match &self.key {
            Some(k) => {
                w.u8(1).raw(k.to_seed().as_ref());
            }
            None => {
                w.u8(0);
            }
        }
        self.device.write(&mut w);
        w.bytes(&list);
        Zeroizing::new(w.into_vec())
    }

    /// Loads plain state written by [`Account::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(bytes);
        expect_versioned_kind(&mut r, wire::ACCOUNT_VERSION, wire::STATE_ACCOUNT)?;
        let seed = match r.u8()? {
            0 => None,
            1 => Some(Zeroizing::new(r.array::<32>()?)),
            _ => return Err(DecodeError::InvalidField("account key flag").into()),
        };
        let device = IdentityKey::read_trusted(&mut r)?;
        let list = read_list(&mut r)?;
        r.finish()?;
        let key = seed.map(|s| AccountKeyPair::from_seed(&s));
        Account::from_parts(key, list, device).map_err(|e| match e {
            AccountError::WrongAccount => {
                DecodeError::InvalidField("device list of another account").into()
            }
            other => list_error(other),
        })
    }
}

impl Contact {
    /// Plain state.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let list = self.list.to_bytes();
        let mut w = Writer::with_capacity(2 + 4 + list.len() + 1 + 80 + 4);
        w.u8(wire::ACCOUNT_VERSION).u8(wire::STATE_CONTACT);
        w.bytes(&list);
        match &self.sent {
            Some(h) => {
                w.u8(1);
                write_head(&mut w, &h.sender);
                write_head(&mut w, &h.peer);
            }
            None => {
                w.u8(0);
            }
        }
        w.u32(self.since_heads);
        Zeroizing::new(w.into_vec())
    }

    /// Loads plain state written by [`Contact::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(bytes);
        expect_versioned_kind(&mut r, wire::ACCOUNT_VERSION, wire::STATE_CONTACT)?;
        let list = read_list(&mut r)?;
        let sent = match r.u8()? {
            0 => None,
            1 => Some(Heads {
                sender: read_head(&mut r)?,
                peer: read_head(&mut r)?,
            }),
            _ => return Err(DecodeError::InvalidField("contact heads flag").into()),
        };
        let since_heads = r.u32()?;
        if since_heads >= crate::limits::HEADS_EVERY_MESSAGES {
            return Err(DecodeError::InvalidField("messages since heads out of range").into());
        }
        r.finish()?;
        let mut contact = Contact::pin(list);
        contact.sent = sent;
        contact.since_heads = since_heads;
        Ok(contact)
    }
}

sealed_state!(Account, wire::STATE_ACCOUNT, |s| StateOwner::account(
    s.account_key()
));
sealed_state!(Contact, wire::STATE_CONTACT, |s| StateOwner::account(
    s.account()
));
