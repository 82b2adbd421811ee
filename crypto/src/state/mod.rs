//! Versioned state encodings and encryption at rest (docs/PROTOCOL.md §7).
//!
//! Plain state: `version || kind || fields`. Sealed state: the envelope of
//! [`sealed`], bound to its kind, its owner and a generation counter.

/// Implements [`Sealable`] and the public `seal`, `open`, `generation` and
/// `state_owner` of a state type whose `generation: u64` field holds the
/// generation it was last sealed or opened at.
macro_rules! sealed_state {
    ($ty:ty, $kind:expr, |$s:ident| $owner:expr) => {
        impl crate::state::Sealable for $ty {
            const KIND: u8 = $kind;
            fn owner(&self) -> crate::state::StateOwner {
                let $s = self;
                $owner
            }
            fn plain(&self) -> zeroize::Zeroizing<alloc::vec::Vec<u8>> {
                self.to_bytes()
            }
            fn from_plain(bytes: &[u8]) -> Result<Self, crate::error::StateError> {
                Self::from_bytes(bytes)
            }
            fn generation(&self) -> u64 {
                self.generation
            }
            fn set_generation(&mut self, generation: u64) {
                self.generation = generation;
            }
        }

        impl $ty {
            /// State encrypted at rest under `key` (XChaCha20-Poly1305,
            /// random nonce), bound to this object's owner and to the next
            /// generation, which [`generation`](Self::generation) then
            /// reports: record it, and pass it to `open` next time.
            pub fn seal<R: rand_core::CryptoRng + ?Sized>(
                &mut self,
                rng: &mut R,
                key: &crate::state::StorageKey,
            ) -> alloc::vec::Vec<u8> {
                crate::state::seal(self, rng, key)
            }

            /// Opens state sealed by `seal`, refusing a blob of another
            /// object (`StateError::WrongOwner`) or of a generation below
            /// `expected.min_generation` (`StateError::RolledBack`).
            pub fn open(
                key: &crate::state::StorageKey,
                sealed: &[u8],
                expected: &crate::state::Expected,
            ) -> Result<Self, crate::error::StateError> {
                crate::state::open(key, sealed, expected)
            }

            /// The generation this object was last sealed or opened at (0
            /// if neither): the `min_generation` to expect when opening it
            /// again.
            pub fn generation(&self) -> u64 {
                self.generation
            }

            /// Raises the generation to at least `generation`, so that the
            /// next seal is above it: call it with the generation recorded
            /// for this owner after re-creating the object (a new receiver
            /// from a distribution, a store made again for an identity) or
            /// after deliberately opening an older copy; otherwise its blobs
            /// would start again at 1 and be refused as `RolledBack`.
            pub fn resume_generation(&mut self, generation: u64) {
                self.generation = self.generation.max(generation);
            }

            /// The owner its sealed state is bound to.
            pub fn state_owner(&self) -> crate::state::StateOwner {
                <Self as crate::state::Sealable>::owner(self)
            }
        }
    };
}

mod account;
mod group;
mod prekey_store;
mod sealed;
mod session;
mod value;

pub use sealed::{Expected, SealedHeader, StateOwner};
pub(crate) use sealed::{Sealable, open, seal};
pub use value::SEALED_VALUE_OVERHEAD;

use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::codec::Reader;
use crate::error::{DecodeError, StateError};
use crate::wire;

/// A 32-byte key for sealing state at rest. Wiped on drop. It also holds
/// the two keys derived from it for sealed values and keyed names (§7.5),
/// derived once.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StorageKey {
    pub(crate) key: [u8; 32],
    pub(crate) value_key: [u8; 32],
    pub(crate) index_key: [u8; 32],
}

impl StorageKey {
    /// A fresh random key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(k.as_mut());
        Self::from_bytes(*k)
    }

    /// Wraps key bytes (e.g. from the platform keystore).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut k = Self {
            key: bytes,
            value_key: [0; 32],
            index_key: [0; 32],
        };
        k.value_key = *k.derived(crate::labels::SEALED_VALUE);
        k.index_key = *k.derived(crate::labels::SEALED_INDEX);
        k
    }

    /// The key bytes, to hand to the platform keystore.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key)
    }
}

impl core::fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("StorageKey([redacted])")
    }
}

/// Checks the version and kind bytes of a plain 1:1 state blob.
pub(crate) fn expect_kind(r: &mut Reader<'_>, kind: u8) -> Result<(), StateError> {
    expect_versioned_kind(r, wire::VERSION, kind)
}

/// Checks the version and kind bytes of a plain state blob of `version`.
pub(crate) fn expect_versioned_kind(
    r: &mut Reader<'_>,
    expected_version: u8,
    kind: u8,
) -> Result<(), StateError> {
    let version = r.u8()?;
    if version != expected_version {
        return Err(DecodeError::UnsupportedVersion(version).into());
    }
    let found = r.u8()?;
    if found != kind {
        return Err(StateError::WrongKind {
            expected: kind,
            found,
        });
    }
    Ok(())
}
