//! Pieces shared by the benchmarks' "limit" functions.

use chacha20poly1305::aead::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// One HMAC-SHA256 over a single byte with a fresh keyed state: the chain
/// step cost a straightforward implementation pays (twice per message).
pub fn hmac(key: &[u8; 32], byte: u8) -> [u8; 32] {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("hmac key");
    m.update(&[byte]);
    m.finalize().into_bytes().into()
}
