//! Thin, typed wrappers over the audited primitive crates. Every protocol
//! module goes through these, and the known-answer tests (Wycheproof, RFCs)
//! drive these same functions, so what is tested is what the protocol runs.

pub mod aead;
pub mod ed25519;
pub mod kdf;
pub mod kem;
pub mod x25519;

/// Formats the first bytes of a public value for `Debug` output.
pub(crate) fn fmt_public(
    f: &mut core::fmt::Formatter<'_>,
    name: &str,
    bytes: &[u8],
) -> core::fmt::Result {
    write!(f, "{name}(")?;
    for b in bytes.iter().take(8) {
        write!(f, "{b:02x}")?;
    }
    if bytes.len() > 8 {
        f.write_str("…")?;
    }
    f.write_str(")")
}
