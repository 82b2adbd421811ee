//! The root key and `KDF_RK`.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::chain_key::ChainKey;
use crate::labels;
use crate::primitives::kdf::hkdf_sha256;
use crate::primitives::x25519::SharedSecret;

/// The 32-byte root key of a session.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct RootKey([u8; 32]);

impl RootKey {
    pub(crate) fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// `KDF_RK(rk, dh)`: HKDF-SHA256 with salt = rk, IKM = dh output,
    /// info = "qorgan/v1/root", 64 bytes = next root key || chain key.
    pub(crate) fn advance(&self, dh: &SharedSecret) -> (RootKey, ChainKey) {
        let mut okm = zeroize::Zeroizing::new([0u8; 64]);
        // 64 bytes is far below HKDF's 8160-byte limit, so this cannot fail.
        let _ = hkdf_sha256(&self.0, dh.as_bytes(), labels::ROOT, okm.as_mut());
        let (rk, ck) = okm.split_at(32);
        let mut root = [0u8; 32];
        let mut chain = [0u8; 32];
        root.copy_from_slice(rk);
        chain.copy_from_slice(ck);
        (RootKey(root), ChainKey::new(chain, 0))
    }
}

impl core::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RootKey([redacted])")
    }
}
