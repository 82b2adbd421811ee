//! ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305, full 16-byte tags.

use alloc::vec::Vec;
use chacha20poly1305::aead::array::Array;
use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit, XChaCha20Poly1305};
use zeroize::Zeroize;

/// Poly1305 tag length; tags are never truncated.
pub const TAG_LEN: usize = 16;

/// Authentication failed (wrong key, nonce, associated data or ciphertext).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AeadError;

fn seal_with<A: AeadInOut>(
    cipher: &A,
    nonce: &Array<u8, A::NonceSize>,
    ad: &[u8],
    plaintext: &[u8],
    out: &mut Vec<u8>,
) {
    let start = out.len();
    out.reserve(plaintext.len() + TAG_LEN);
    out.extend_from_slice(plaintext);
    let Some(body) = out.get_mut(start..) else {
        return;
    };
    // Only fails for inputs beyond 2^38 bytes, which no caller can produce:
    // the plaintext is already in memory and capped by the message limits.
    match cipher.encrypt_inout_detached(nonce, ad, body.into()) {
        Ok(tag) => out.extend_from_slice(&tag),
        Err(_) => {
            out.truncate(start);
        }
    }
}

fn open_with<A: AeadInOut>(
    cipher: &A,
    nonce: &Array<u8, A::NonceSize>,
    ad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let body_len = ciphertext_and_tag
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(AeadError)?;
    let (body, tag) = ciphertext_and_tag.split_at(body_len);
    let tag = Array::<u8, A::TagSize>::try_from(tag).map_err(|_| AeadError)?;
    let mut buf = body.to_vec();
    match cipher.decrypt_inout_detached(nonce, ad, buf.as_mut_slice().into(), &tag) {
        Ok(()) => Ok(buf),
        Err(_) => {
            buf.zeroize();
            Err(AeadError)
        }
    }
}

/// ChaCha20-Poly1305 seal of `plaintext`, appending `ciphertext || tag` to `out`.
pub fn seal(key: &[u8; 32], nonce: &[u8; 12], ad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
    let cipher = ChaCha20Poly1305::new(key.into());
    seal_with(&cipher, nonce.into(), ad, plaintext, out);
}

/// ChaCha20-Poly1305 open of `ciphertext || tag`.
pub fn open(
    key: &[u8; 32],
    nonce: &[u8; 12],
    ad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let cipher = ChaCha20Poly1305::new(key.into());
    open_with(&cipher, nonce.into(), ad, ciphertext_and_tag)
}

/// XChaCha20-Poly1305 seal (24-byte nonce, safe to choose at random).
pub fn xseal(key: &[u8; 32], nonce: &[u8; 24], ad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
    let cipher = XChaCha20Poly1305::new(key.into());
    seal_with(&cipher, nonce.into(), ad, plaintext, out);
}

/// XChaCha20-Poly1305 open.
pub fn xopen(
    key: &[u8; 32],
    nonce: &[u8; 24],
    ad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    open_with(&cipher, nonce.into(), ad, ciphertext_and_tag)
}
