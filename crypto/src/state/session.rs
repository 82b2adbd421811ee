//! Session state, format v1 (docs/PROTOCOL.md §7.2).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::{StateOwner, expect_kind};
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, StateError};
use crate::identity::{IDENTITY_KEY_LEN, IdentityKey};
use crate::limits::{MAX_RECEIVING_CHAINS, MAX_STORED_SKIPPED_KEYS};
use crate::primitives::kem::KEM_CIPHERTEXT_LEN;
use crate::primitives::x25519::{X25519PublicKey, X25519SecretKey};
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::message_key::MessageKey;
use crate::ratchet::root_key::RootKey;
use crate::ratchet::skipped_keys::{SkippedChain, SkippedKeys};
use crate::session::{RatchetKeyPair, Role, Session};
use crate::wire;

/// Handshake header lengths a pending initiator session may hold (without
/// and with a one-time prekey id).
const PENDING_LENS: [usize; 2] = [
    IDENTITY_KEY_LEN + 32 + 4 + 4 + 1 + KEM_CIPHERTEXT_LEN,
    IDENTITY_KEY_LEN + 32 + 4 + 4 + 1 + 4 + KEM_CIPHERTEXT_LEN,
];

fn write_chain(w: &mut Writer, chain: Option<&ChainKey>) {
    match chain {
        Some(c) => {
            w.u8(1).raw(c.as_bytes()).u32(c.index());
        }
        None => {
            w.u8(0);
        }
    }
}

fn read_chain(r: &mut Reader<'_>) -> Result<Option<ChainKey>, DecodeError> {
    Ok(if r.bool()? {
        let key = r.array()?;
        Some(ChainKey::new(key, r.u32()?))
    } else {
        None
    })
}

/// The skipped keys' section: `u32 count || count × (ratchet key (32) ||
/// u32 n || n × (u32 index || key (32)))`, chains oldest first, indices
/// strictly ascending.
fn write_skipped(w: &mut Writer, skipped: &SkippedKeys) {
    let chains: Vec<&SkippedChain> = skipped.chains().collect();
    w.count(chains.len());
    for chain in chains {
        w.raw(chain.ratchet.as_bytes()).count(chain.keys.len());
        for (index, key) in &chain.keys {
            w.u32(*index).raw(key.as_bytes());
        }
    }
}

fn read_skipped(r: &mut Reader<'_>) -> Result<SkippedKeys, StateError> {
    let chain_count = r.count("skipped chains", MAX_RECEIVING_CHAINS, 36)?;
    let mut chains = Vec::with_capacity(chain_count);
    let mut total = 0usize;
    for _ in 0..chain_count {
        let ratchet = X25519PublicKey::from_bytes(r.array()?);
        if chains.iter().any(|c: &SkippedChain| c.ratchet == ratchet) {
            return Err(DecodeError::InvalidField("duplicate skipped-key chain").into());
        }
        let n = r.count("skipped keys", MAX_STORED_SKIPPED_KEYS - total, 36)?;
        total += n;
        let mut keys = BTreeMap::new();
        for _ in 0..n {
            let index = r.u32()?;
            let key = alloc::boxed::Box::new(MessageKey::new(r.array()?, index));
            // Strictly ascending, as written: one state has one encoding.
            match keys.last_key_value() {
                Some((last, _)) if *last == index => {
                    return Err(DecodeError::InvalidField("duplicate skipped key index").into());
                }
                Some((last, _)) if *last > index => {
                    return Err(
                        DecodeError::InvalidField("skipped key indices not ascending").into(),
                    );
                }
                _ => {}
            }
            keys.insert(index, key);
        }
        chains.push(SkippedChain { ratchet, keys });
    }
    Ok(SkippedKeys::from_chains(chains))
}

impl Session {
    /// Plain (unencrypted) state, for apps that encrypt storage themselves.
    /// Contains secrets: treat like a private key.
    pub fn to_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut w = Writer::with_capacity(512 + self.skipped.len() * 36);
        w.u8(wire::VERSION).u8(wire::STATE_SESSION);
        w.u8(match self.role {
            Role::Initiator => 0,
            Role::Responder => 1,
        });
        self.local_identity.write(&mut w);
        self.remote_identity.write(&mut w);
        w.raw(&self.session_id)
            .raw(self.root.as_bytes())
            .raw(self.their_ratchet.as_bytes());
        match &self.our_ratchet {
            Some(pair) => {
                w.u8(1).raw(pair.secret.to_bytes().as_ref());
            }
            None => {
                w.u8(0);
            }
        }
        write_chain(&mut w, self.sending.as_ref());
        w.u32(self.previous_sending_length);
        write_chain(&mut w, self.receiving.as_ref());
        w.raw(self.base_key.as_bytes());
        match &self.pending_handshake {
            Some(h) => {
                w.u8(1).bytes(h);
            }
            None => {
                w.u8(0);
            }
        }
        write_skipped(&mut w, &self.skipped);
        zeroize::Zeroizing::new(w.into_vec())
    }

    /// The plain state in two parts (docs/PROTOCOL.md §7.2): the state with
    /// no skipped keys (the "core", itself a valid state), and the skipped
    /// keys' section alone (`u32 count || chains`, as at the end of the
    /// state). A store keeps them apart so that a message read in order
    /// rewrites only the core, however many keys wait for late messages.
    pub fn to_parts(&self) -> (zeroize::Zeroizing<Vec<u8>>, zeroize::Zeroizing<Vec<u8>>) {
        let full = self.to_bytes();
        let mut w = Writer::with_capacity(4 + self.skipped.len() * 36);
        write_skipped(&mut w, &self.skipped);
        let skipped = w.into_vec();
        // The full state ends with the skipped section: the core is the
        // rest and an empty section.
        let head = full.len().saturating_sub(skipped.len());
        let mut core = zeroize::Zeroizing::new(Vec::with_capacity(head + 4));
        core.extend_from_slice(full.get(..head).unwrap_or_default());
        core.extend_from_slice(&0u32.to_be_bytes());
        (core, zeroize::Zeroizing::new(skipped))
    }

    /// Joins the parts [`to_parts`](Self::to_parts) made. The core must
    /// hold no skipped keys.
    pub fn from_parts(core: &[u8], skipped: &[u8]) -> Result<Self, StateError> {
        let mut session = Self::from_bytes(core)?;
        if session.skipped.len() != 0 || session.skipped.chains().next().is_some() {
            return Err(DecodeError::InvalidField("session core holds skipped keys").into());
        }
        let mut r = Reader::new(skipped);
        session.skipped = read_skipped(&mut r)?;
        r.finish()?;
        Ok(session)
    }

    /// Loads plain state written by [`Session::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(bytes);
        expect_kind(&mut r, wire::STATE_SESSION)?;
        let role = match r.u8()? {
            0 => Role::Initiator,
            1 => Role::Responder,
            _ => return Err(DecodeError::InvalidField("session role").into()),
        };
        let local_identity = IdentityKey::read_trusted(&mut r)?;
        let remote_identity = IdentityKey::read_trusted(&mut r)?;
        let session_id = r.array()?;
        let root = RootKey::new(r.array()?);
        let their_ratchet = X25519PublicKey::from_bytes(r.array()?);
        let our_ratchet = if r.bool()? {
            // The public half is recomputed, so it always matches the secret.
            let secret = X25519SecretKey::from_bytes(&zeroize::Zeroizing::new(r.array()?));
            let public = secret.public_key();
            Some(RatchetKeyPair { secret, public })
        } else {
            None
        };
        let sending = read_chain(&mut r)?;
        let previous_sending_length = r.u32()?;
        let receiving = read_chain(&mut r)?;
        let base_key = X25519PublicKey::from_bytes(r.array()?);
        let pending_handshake = if r.bool()? {
            let h = r.bytes("pending handshake", PENDING_LENS[1])?;
            if !PENDING_LENS.contains(&h.len()) {
                return Err(DecodeError::InvalidField("pending handshake length").into());
            }
            Some(h.to_vec().into_boxed_slice())
        } else {
            None
        };
        if our_ratchet.is_some() != sending.is_some() {
            return Err(DecodeError::InvalidField("ratchet key without sending chain").into());
        }
        let skipped = read_skipped(&mut r)?;
        r.finish()?;
        Ok(Self {
            role,
            local_identity,
            remote_identity,
            session_id,
            root,
            our_ratchet,
            their_ratchet,
            sending,
            previous_sending_length,
            receiving,
            skipped,
            base_key,
            pending_handshake,
            generation: 0,
        })
    }
}

sealed_state!(Session, wire::STATE_SESSION, |s| StateOwner::session(
    &s.session_id
));
