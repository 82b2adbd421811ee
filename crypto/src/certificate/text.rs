//! The QR text form of a presentation (docs/PROTOCOL.md §16.5):
//! `"QG1:" || base45(presentation bytes)` (base45 as RFC 9285), every
//! character in the QR alphanumeric set (`0–9 A–Z space $ % * + - . / :`),
//! so a scanner reads it in alphanumeric mode, 5.5 bits a character, and
//! checks it offline.

use alloc::string::String;
use alloc::vec::Vec;

use super::presentation::Presentation;
use crate::error::{CertificateError, VerifyError};
use crate::limits::MAX_STATEMENT_TEXT_LEN;

/// What every statement text starts with: the format and its version.
pub const STATEMENT_TEXT_PREFIX: &str = "QG1:";

const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

impl Presentation {
    /// The QR text: [`STATEMENT_TEXT_PREFIX`] then the bytes in base45.
    /// Always within [`MAX_STATEMENT_TEXT_LEN`] (a presentation is at most
    /// about 1.4 KB).
    pub fn to_text(&self) -> String {
        let mut out = String::from(STATEMENT_TEXT_PREFIX);
        out.push_str(&base45_encode(&self.to_bytes()));
        out
    }

    /// Reads a QR text (without line ending): prefix, alphabet, length,
    /// then [`from_bytes`](Self::from_bytes). Nothing is believed until
    /// [`verify`](Self::verify).
    pub fn from_text(text: &str) -> Result<Self, VerifyError> {
        if text.len() > MAX_STATEMENT_TEXT_LEN {
            return Err(CertificateError::InvalidText("longer than MAX_STATEMENT_TEXT_LEN").into());
        }
        let body = text
            .strip_prefix(STATEMENT_TEXT_PREFIX)
            .ok_or(CertificateError::InvalidText("missing QG1: prefix"))?;
        let bytes = base45_decode(body)?;
        Self::from_bytes(&bytes)
    }
}

/// RFC 9285: each two bytes `n = 256a + b` as three characters
/// `n mod 45, n / 45 mod 45, n / 2025`; a last single byte as two.
pub(crate) fn base45_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let mut push = |v: usize| {
        if let Some(&c) = ALPHABET.get(v % 45) {
            out.push(char::from(c));
        }
    };
    for pair in bytes.chunks(2) {
        match *pair {
            [a, b] => {
                let n = usize::from(a) * 256 + usize::from(b);
                push(n);
                push(n / 45);
                push(n / 2025);
            }
            [a] => {
                let n = usize::from(a);
                push(n);
                push(n / 45);
            }
            _ => {}
        }
    }
    out
}

/// The inverse of [`base45_encode`], strict: only the 45 characters, no
/// group above its range (so every byte string has one text).
pub(crate) fn base45_decode(text: &str) -> Result<Vec<u8>, CertificateError> {
    let value = |c: &u8| {
        ALPHABET
            .iter()
            .position(|a| a == c)
            .ok_or(CertificateError::InvalidText(
                "character outside the base45 alphabet",
            ))
    };
    let digits = text.as_bytes();
    if digits.len() % 3 == 1 {
        return Err(CertificateError::InvalidText("base45 length"));
    }
    let mut out = Vec::with_capacity(digits.len() / 3 * 2 + 1);
    for group in digits.chunks(3) {
        let mut n = 0usize;
        for (i, c) in group.iter().enumerate() {
            n += value(c)? * [1, 45, 2025].get(i).copied().unwrap_or(0);
        }
        if group.len() == 3 {
            let n = u16::try_from(n)
                .map_err(|_| CertificateError::InvalidText("base45 group out of range"))?;
            out.extend_from_slice(&n.to_be_bytes());
        } else {
            out.push(
                u8::try_from(n)
                    .map_err(|_| CertificateError::InvalidText("base45 group out of range"))?,
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base45_matches_rfc_9285_examples() {
        // RFC 9285 §4.3 and §4.4.
        assert_eq!(base45_encode(b"AB"), "BB8");
        assert_eq!(base45_encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(base45_encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(base45_decode("QED8WEX0").unwrap(), b"ietf!");
        assert_eq!(base45_decode("").unwrap(), b"");
    }

    #[test]
    fn base45_refuses_what_has_no_bytes() {
        // ":::" is 44 + 44*45 + 44*2025 = 91124 > 65535 (RFC 9285 §6).
        assert!(base45_decode(":::").is_err());
        assert!(base45_decode("a").is_err());
        assert!(base45_decode("AAAA").is_err());
        // Two characters above 255.
        assert!(base45_decode("::").is_err());
        for bytes in [
            &b""[..],
            b"\x00",
            b"\xff\xff",
            b"\xff\xff\xff",
            b"\x00\x00\x00\x00",
        ] {
            assert_eq!(base45_decode(&base45_encode(bytes)).unwrap(), bytes);
        }
    }
}
