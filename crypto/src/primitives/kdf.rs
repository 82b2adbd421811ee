//! HKDF-SHA256 (RFC 5869) and HMAC-SHA256 (RFC 2104).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// HMAC-SHA256 keyed state.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Requested output longer than HKDF-SHA256 allows (255 × 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputTooLong;

/// HKDF-SHA256 extract-then-expand into `out`.
pub fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), OutputTooLong> {
    hkdf::Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, out)
        .map_err(|_| OutputTooLong)
}

/// HKDF-SHA256 over several IKM parts, concatenated, without building the
/// concatenation in memory.
pub(crate) fn hkdf_sha256_parts(
    salt: &[u8],
    ikm: &[&[u8]],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), OutputTooLong> {
    let mut extract = hkdf::HkdfExtract::<Sha256>::new(Some(salt));
    for part in ikm {
        extract.input_ikm(part);
    }
    let (_, hk) = extract.finalize();
    hk.expand(info, out).map_err(|_| OutputTooLong)
}

/// A keyed HMAC-SHA256 state for a 32-byte key. RFC 2104 pads keys shorter
/// than the 64-byte block with zeros, so this is exactly HMAC under `key`,
/// without the fallible variable-length constructor.
pub(crate) fn hmac_sha256_keyed(key: &[u8; 32]) -> HmacSha256 {
    let mut block = zeroize::Zeroizing::new([0u8; 64]);
    if let Some(head) = block.get_mut(..32) {
        head.copy_from_slice(key);
    }
    <HmacSha256 as KeyInit>::new(&(*block).into())
}

/// HMAC-SHA256 of `data` under `key` (any key length).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // `new_from_slice` accepts every length for HMAC (RFC 2104 hashes long keys).
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
    mac.update(data);
    mac.finalize().into_bytes().into()
}
