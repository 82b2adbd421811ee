//! ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305, full 16-byte tags.
//!
//! Sealing uses the `chacha20poly1305` crate. Opening authenticates the
//! ciphertext where it lies and only then copies and decrypts it, so a
//! forged message costs no allocation proportional to its size (the
//! crate's in-place API needs a writable copy before it checks the tag).
//! Opening is the RFC 8439 §2.8 composition of the `chacha20` and
//! `poly1305` crates, step for step as `chacha20poly1305` does it, and is
//! checked against the crate and against Wycheproof's vectors.

use alloc::vec::Vec;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::{ChaCha20, XChaCha20};
use chacha20poly1305::aead::array::Array;
use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit, XChaCha20Poly1305};
use poly1305::Poly1305;
use poly1305::universal_hash::UniversalHash;
use zeroize::Zeroizing;

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

/// ChaCha20 block length; the message keystream starts at block 1.
const BLOCK_LEN: u64 = 64;

/// RFC 8439 §2.8 decryption with the tag checked first: Poly1305 key from
/// keystream block 0, tag over `AD || pad || ciphertext || pad || le64(|AD|)
/// || le64(|ciphertext|)` compared in constant time, then the copy, then
/// the keystream from block 1.
fn open_with<C: StreamCipher + StreamCipherSeek>(
    mut cipher: C,
    ad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Vec<u8>, AeadError> {
    let body_len = ciphertext_and_tag
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(AeadError)?;
    let (body, tag) = ciphertext_and_tag.split_at(body_len);
    // ChaCha20's 32-bit block counter bounds a message to 2^38 bytes.
    if (body_len as u64) / BLOCK_LEN >= u64::from(u32::MAX) {
        return Err(AeadError);
    }
    let mut mac_key = Zeroizing::new([0u8; 32]);
    cipher.apply_keystream(mac_key.as_mut_slice());
    let mut mac = Poly1305::new((&*mac_key).into());
    mac.update_padded(ad);
    mac.update_padded(body);
    let mut lengths = poly1305::Block::default();
    let (ad_len, body_len_bytes) = lengths.split_at_mut(8);
    ad_len.copy_from_slice(&(ad.len() as u64).to_le_bytes());
    body_len_bytes.copy_from_slice(&(body_len as u64).to_le_bytes());
    mac.update(&[lengths]);
    let tag = poly1305::Tag::try_from(tag).map_err(|_| AeadError)?;
    // Constant-time comparison (`subtle`, inside `universal-hash`).
    mac.verify(&tag).map_err(|_| AeadError)?;
    cipher.seek(BLOCK_LEN);
    let mut out = body.to_vec();
    cipher.apply_keystream(&mut out);
    Ok(out)
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
    open_with(
        ChaCha20::new(key.into(), nonce.into()),
        ad,
        ciphertext_and_tag,
    )
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
    open_with(
        XChaCha20::new(key.into(), nonce.into()),
        ad,
        ciphertext_and_tag,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20poly1305::aead::Aead;
    use chacha20poly1305::aead::Payload;

    /// Opening agrees with the `chacha20poly1305` crate on every length
    /// around the block and Poly1305 boundaries, and refuses every
    /// single-bit change of ciphertext, tag or AD.
    #[test]
    fn open_matches_the_crate_and_refuses_every_bit_flip() {
        let key = [0x42; 32];
        let nonce = [7; 12];
        let xnonce = [9; 24];
        for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 300] {
            let pt: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let ad: Vec<u8> = (0..len % 40).map(|i| (i * 3) as u8).collect();
            let ct = ChaCha20Poly1305::new(&key.into())
                .encrypt(&nonce.into(), Payload { msg: &pt, aad: &ad })
                .unwrap();
            let mut ours = Vec::new();
            seal(&key, &nonce, &ad, &pt, &mut ours);
            assert_eq!(ours, ct);
            assert_eq!(open(&key, &nonce, &ad, &ct).unwrap(), pt);
            let xct = XChaCha20Poly1305::new(&key.into())
                .encrypt(&xnonce.into(), Payload { msg: &pt, aad: &ad })
                .unwrap();
            assert_eq!(xopen(&key, &xnonce, &ad, &xct).unwrap(), pt);
            for bit in 0..ct.len() * 8 {
                let mut t = ct.clone();
                t[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(
                    open(&key, &nonce, &ad, &t),
                    Err(AeadError),
                    "len {len} bit {bit}"
                );
            }
            if !ad.is_empty() {
                let mut bad_ad = ad.clone();
                bad_ad[0] ^= 1;
                assert_eq!(open(&key, &nonce, &bad_ad, &ct), Err(AeadError));
            }
        }
        assert_eq!(open(&key, &nonce, &[], &[0; 15]), Err(AeadError));
    }
}
