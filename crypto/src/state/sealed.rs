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
    aead::xseal(&key.key, &nonce, &ad, &plain, &mut out);
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
    let plain = aead::xopen(&key.key, &nonce, ad, r.rest())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{OutboundGroupSession, RotationPolicy};
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn group(rng: &mut ChaCha20Rng, gid: &[u8]) -> OutboundGroupSession {
        OutboundGroupSession::new(rng, gid, RotationPolicy::default(), 0).unwrap()
    }

    #[test]
    fn sealed_blobs_bind_kind_owner_and_generation() {
        let mut rng = ChaCha20Rng::from_seed([6; 32]);
        let key = StorageKey::generate(&mut rng);
        let mut a = group(&mut rng, b"group a");
        let mut b = group(&mut rng, b"group b");
        let a_owner = StateOwner::outbound_group(b"group a");
        assert_eq!(a.state_owner(), a_owner);
        assert_eq!(a.generation(), 0);
        let first = a.seal(&mut rng, &key);
        let second = a.seal(&mut rng, &key);
        assert_eq!(a.generation(), 2, "one more per seal");
        let plain_len = a.to_bytes().len();
        assert_eq!(second.len(), SEALED_HEADER_LEN + plain_len + aead::TAG_LEN);
        let h = SealedHeader::parse(&second).unwrap();
        assert_eq!(
            (h.version, h.kind, h.owner, h.generation),
            (2, wire::STATE_OUTBOUND_GROUP, Some(a_owner), 2)
        );

        // The newest opens at what the caller expects, and remembers it.
        let opened = OutboundGroupSession::open(&key, &second, &Expected::new(a_owner, 2)).unwrap();
        assert_eq!(opened.generation(), 2);
        // An older copy is refused once the caller has seen a newer one.
        assert_eq!(
            OutboundGroupSession::open(&key, &first, &Expected::new(a_owner, 2)).unwrap_err(),
            StateError::RolledBack {
                min_generation: 2,
                found: 1
            }
        );
        // Another object's blob is refused, though it is authentic.
        let other = b.seal(&mut rng, &key);
        assert_eq!(
            OutboundGroupSession::open(&key, &other, &Expected::new(a_owner, 0)).unwrap_err(),
            StateError::WrongOwner
        );
        // Rewriting the owner or the generation in the header breaks the tag.
        for at in [3, 3 + 31, 3 + 32 + 7] {
            let mut t = second.clone();
            t[at] ^= 1;
            assert_eq!(
                OutboundGroupSession::open(&key, &t, &Expected::new(a_owner, 0)).unwrap_err(),
                StateError::AuthenticationFailed
            );
        }
        // Every other byte is authenticated too; the kind as well.
        for i in 2..second.len() {
            let mut t = second.clone();
            t[i] ^= 0x80;
            assert!(OutboundGroupSession::open(&key, &t, &Expected::new(a_owner, 0)).is_err());
        }
        assert_eq!(
            crate::Session::open(&key, &second, &Expected::new(a_owner, 0)).unwrap_err(),
            StateError::WrongKind {
                expected: wire::STATE_SESSION,
                found: wire::STATE_OUTBOUND_GROUP
            }
        );
        let wrong_key = StorageKey::generate(&mut rng);
        assert_eq!(
            OutboundGroupSession::open(&wrong_key, &second, &Expected::new(a_owner, 0))
                .unwrap_err(),
            StateError::AuthenticationFailed
        );
        assert!(matches!(
            OutboundGroupSession::open(&key, &second[..40], &Expected::new(a_owner, 0)),
            Err(StateError::Decode(_))
        ));
        assert!(matches!(
            SealedHeader::parse(&[3, 0x5E, 0x42]),
            Err(DecodeError::UnsupportedVersion(3))
        ));
        assert_eq!(
            alloc::format!("{:?}", StorageKey::generate(&mut rng)),
            "StorageKey([redacted])"
        );
    }

    #[test]
    fn another_objects_older_blob_is_wrong_owner_and_resumed_objects_seal_above() {
        let mut rng = ChaCha20Rng::from_seed([8; 32]);
        let key = StorageKey::generate(&mut rng);
        let mut a = group(&mut rng, b"group a");
        let mut b = group(&mut rng, b"group b");
        for _ in 0..3 {
            let _ = a.seal(&mut rng, &key);
        }
        let b_blob = b.seal(&mut rng, &key);
        // B's blob is at generation 1, below A's 3: still not A's.
        assert_eq!(
            OutboundGroupSession::open(&key, &b_blob, &Expected::new(a.state_owner(), 3))
                .unwrap_err(),
            StateError::WrongOwner
        );
        // A made anew for the same owner seals above what was recorded.
        let mut again = group(&mut rng, b"group a");
        again.resume_generation(a.generation());
        again.resume_generation(1);
        let blob = again.seal(&mut rng, &key);
        assert_eq!(again.generation(), 4);
        assert!(
            OutboundGroupSession::open(&key, &blob, &Expected::new(a.state_owner(), 4)).is_ok()
        );
    }

    /// A version 1 envelope (no owner, no generation), as sealed before
    /// version 2: opens only while the caller expects generation 0.
    #[test]
    fn version_1_envelopes_open_only_at_generation_0() {
        let mut rng = ChaCha20Rng::from_seed([7; 32]);
        let key = StorageKey::generate(&mut rng);
        let a = group(&mut rng, b"group a");
        let plain = a.to_bytes();
        let ad = [
            wire::VERSION,
            wire::STATE_SEALED,
            wire::STATE_OUTBOUND_GROUP,
        ];
        let nonce = [9u8; 24];
        let mut v1 = ad.to_vec();
        v1.extend_from_slice(&nonce);
        aead::xseal(&key.key, &nonce, &ad, &plain, &mut v1);
        let owner = StateOwner::outbound_group(b"group a");
        let opened = OutboundGroupSession::open(&key, &v1, &Expected::new(owner, 0)).unwrap();
        assert_eq!(opened.generation(), 0);
        assert_eq!(
            OutboundGroupSession::open(&key, &v1, &Expected::new(owner, 1)).unwrap_err(),
            StateError::RolledBack {
                min_generation: 1,
                found: 0
            }
        );
        let other = StateOwner::outbound_group(b"group b");
        assert_eq!(
            OutboundGroupSession::open(&key, &v1, &Expected::new(other, 0)).unwrap_err(),
            StateError::WrongOwner
        );
    }
}
