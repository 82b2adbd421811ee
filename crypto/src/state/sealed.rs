//! The sealed envelope, version 2 (docs/PROTOCOL.md §7.1): state encrypted
//! at rest and bound to what it is.
//!
//! `0x02 || 0x5E || kind || owner (32) || generation (u64) || nonce (24) ||
//! XChaCha20-Poly1305(plain state) || tag`, with the 43 bytes before the
//! nonce as associated data. The **owner** names the object the state
//! belongs to ([`StateOwner`]); the **generation** grows by one with every
//! seal of that object. [`Expected`] is what the caller asks for when it
//! opens: a blob of another object is refused (`WrongOwner`), an older one
//! than the caller has already seen is refused (`RolledBack`), so two
//! sealed sessions cannot be swapped and a backup cannot be slipped under a
//! running app unnoticed.
//!
//! XChaCha20's 24-byte nonce is drawn at random for every seal, which is
//! safe for any number of seals under one key.

use alloc::vec::Vec;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::StorageKey;
use crate::account::AccountKey;
use crate::codec::{Reader, Writer};
use crate::error::{DecodeError, StateError};
use crate::identity::IdentityKey;
use crate::labels;
use crate::primitives::aead;
use crate::wire;

/// Length of the authenticated header: version, marker, kind, owner,
/// generation.
const AD_LEN: usize = 3 + 32 + 8;
/// Length of the version 2 header: the associated data and the nonce.
pub(crate) const SEALED_HEADER_LEN: usize = AD_LEN + 24;

/// The object a sealed state belongs to: 32 bytes, derived from what the
/// caller already knows about it (docs/PROTOCOL.md §7.1).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StateOwner([u8; 32]);

impl StateOwner {
    /// A 1:1 session: its session id ([`Session::session_id`](crate::Session::session_id)).
    pub fn session(session_id: &[u8; 32]) -> Self {
        Self(*session_id)
    }

    /// A device's identity and prekey store: its identity's Ed25519 key.
    pub fn device(identity: &IdentityKey) -> Self {
        Self(*identity.signing_key().as_bytes())
    }

    /// An account: this device's own account state (kind `0x46`) or a
    /// contact (kind `0x45`): its account key.
    pub fn account(key: &AccountKey) -> Self {
        Self(key.to_bytes())
    }

    /// This device's outbound group session in `group_id`.
    pub fn outbound_group(group_id: &[u8]) -> Self {
        Self::group(group_id, None)
    }

    /// The inbound group session or sender-key ring of `sender` in
    /// `group_id`.
    pub fn group_sender(group_id: &[u8], sender: &IdentityKey) -> Self {
        Self::group(group_id, Some(sender))
    }

    /// SHA-256(label || u8(len) || group id || [sender Ed25519 key]).
    fn group(group_id: &[u8], sender: Option<&IdentityKey>) -> Self {
        let mut h = Sha256::new();
        h.update(labels::SEALED_GROUP_OWNER);
        // Group ids are at most MAX_GROUP_ID_LEN (64) bytes, so the length
        // byte keeps `gid || sender` unambiguous. A longer id (no state
        // can have one) gives an owner that matches no state.
        h.update([u8::try_from(group_id.len()).unwrap_or(u8::MAX)]);
        h.update(group_id);
        if let Some(sender) = sender {
            h.update(sender.signing_key().as_bytes());
        }
        Self(h.finalize().into())
    }

    /// The 32 owner bytes as they appear in the envelope.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Wraps 32 owner bytes (for example read back from a store index).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl core::fmt::Debug for StateOwner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "StateOwner(")?;
        for b in &self.0[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

/// What the caller expects a sealed blob to hold: the object it belongs to,
/// and the lowest generation acceptable (the generation of the last blob
/// this caller sealed or opened for that object; 0 when it knows none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The object the state must belong to.
    pub owner: StateOwner,
    /// Blobs sealed before this generation are refused as rolled back.
    pub min_generation: u64,
}

impl Expected {
    /// Expects `owner`'s state, at generation `min_generation` or later.
    pub fn new(owner: StateOwner, min_generation: u64) -> Self {
        Self {
            owner,
            min_generation,
        }
    }
}

/// The public header of a sealed blob, readable without the key (for
/// indexing); nothing in it is authenticated until the blob is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedHeader {
    /// Envelope version (2; 1 for blobs from before the owner binding).
    pub version: u8,
    /// State kind byte (`wire::STATE_*`).
    pub kind: u8,
    /// The owner, for version 2.
    pub owner: Option<StateOwner>,
    /// The generation (0 for version 1).
    pub generation: u64,
}

impl SealedHeader {
    /// Reads the header of a sealed blob.
    pub fn parse(sealed: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(sealed);
        let version = r.u8()?;
        if version != wire::SEALED_VERSION && version != wire::VERSION {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let marker = r.u8()?;
        if marker != wire::STATE_SEALED {
            return Err(DecodeError::UnexpectedType(marker));
        }
        let kind = r.u8()?;
        let (owner, generation) = if version == wire::SEALED_VERSION {
            (Some(StateOwner(r.array()?)), r.u64()?)
        } else {
            (None, 0)
        };
        Ok(Self {
            version,
            kind,
            owner,
            generation,
        })
    }
}

/// An object that can be sealed: its kind, owner, plain state and the
/// generation it was last sealed or opened at.
pub(crate) trait Sealable: Sized {
    const KIND: u8;
    fn owner(&self) -> StateOwner;
    fn plain(&self) -> Zeroizing<Vec<u8>>;
    fn from_plain(bytes: &[u8]) -> Result<Self, StateError>;
    fn generation(&self) -> u64;
    fn set_generation(&mut self, generation: u64);
}

/// Seals `state` at the next generation, which it then remembers.
pub(crate) fn seal<T: Sealable, R: CryptoRng + ?Sized>(
    state: &mut T,
    rng: &mut R,
    key: &StorageKey,
) -> Vec<u8> {
    // 2^64 seals do not happen; saturating keeps this total.
    let generation = state.generation().saturating_add(1);
    let plain = state.plain();
    let mut ad = Writer::with_capacity(AD_LEN);
    ad.u8(wire::SEALED_VERSION)
        .u8(wire::STATE_SEALED)
        .u8(T::KIND)
        .raw(&state.owner().0)
        .u64(generation);
    let ad = ad.into_vec();
    let mut nonce = [0u8; 24];
    rng.fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(SEALED_HEADER_LEN + plain.len() + aead::TAG_LEN);
    out.extend_from_slice(&ad);
    out.extend_from_slice(&nonce);
    aead::xseal(&key.0, &nonce, &ad, &plain, &mut out);
    state.set_generation(generation);
    out
}

/// Opens a sealed blob of `T` and checks it against `expected`: the tag
/// first, then the kind, the owner (another object's blob is `WrongOwner`
/// whatever its generation) and last the generation, so that every typed
/// refusal after `AuthenticationFailed` describes an authentic blob and
/// `RolledBack` always means an older copy of the expected object.
pub(crate) fn open<T: Sealable>(
    key: &StorageKey,
    sealed: &[u8],
    expected: &Expected,
) -> Result<T, StateError> {
    let header = SealedHeader::parse(sealed)?;
    let ad_len = if header.version == wire::SEALED_VERSION {
        AD_LEN
    } else {
        3
    };
    let mut r = Reader::new(sealed);
    let ad = r.take(ad_len)?;
    let nonce: [u8; 24] = r.array()?;
    let plain = aead::xopen(&key.0, &nonce, ad, r.rest())
        .map(Zeroizing::new)
        .map_err(|_| StateError::AuthenticationFailed)?;
    if header.kind != T::KIND {
        return Err(StateError::WrongKind {
            expected: T::KIND,
            found: header.kind,
        });
    }
    if header
        .owner
        .is_some_and(|named| !named.ct_eq(&expected.owner))
    {
        return Err(StateError::WrongOwner);
    }
    let mut state = T::from_plain(&plain)?;
    // Version 1 named no owner: the object itself must be the one expected.
    // Version 2: the header's owner must also be the object's own (a blob
    // cannot claim another object's name).
    if !state.owner().ct_eq(&expected.owner) {
        return Err(StateError::WrongOwner);
    }
    if header.generation < expected.min_generation {
        return Err(StateError::RolledBack {
            min_generation: expected.min_generation,
            found: header.generation,
        });
    }
    state.set_generation(header.generation);
    Ok(state)
}
