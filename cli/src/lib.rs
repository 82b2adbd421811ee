//! `qorgan-verify`: bulk signature checks for servers, on top of
//! [`qorgan::verify`]. The binary (`src/main.rs`) only handles arguments
//! and files; everything testable lives here.
//!
//! Input: one item per line, hex-encoded, `#` comments and blank lines
//! ignored:
//!
//! ```text
//! identity       <identity-hex>
//! bundle         <bundle-hex>
//! upload         <upload-hex>
//! announcement   <announcement-hex>
//! group-message  <announcement-hex> <message-hex>
//! device-list    <list-hex>
//! device-list-after <account-hex> <version> <hash-hex> <list-hex>
//! ```
//!
//! An `upload` is a prekey upload (docs/PROTOCOL.md §4.10, what
//! `PreKeyStore::upload` / `Device.upload` make): its identity binding,
//! every prekey signature and the identity's signature over the whole
//! upload are checked. A `device-list` (docs/PROTOCOL.md §14.1) is checked
//! for every device's identity binding, the account's signature and the
//! list rules; `device-list-after` also checks that the list is the given
//! account's (its 32-byte key in hex) and directly follows the list whose
//! head (version in decimal, hash in hex) the server holds for it: version
//! one more, naming that hash (else `does not follow`, also for another
//! account's list).
//!
//! Output, in input order: one verdict per item (`SOURCE:LINE: KIND: valid`,
//! or `invalid:` with the reason, or `unreadable:` for a line that is not an
//! item), then a summary line. Items are checked in batches of at most
//! [`BATCH`] items and [`BATCH_BYTES`] decoded bytes, with one Ed25519 batch
//! verification each ([`qorgan::verify::verify_encoded_batch`], which
//! decodes each distinct announcement once); a verdict is the same as
//! checking the item alone (docs/PROTOCOL.md §2.4).

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod hex;
mod input;

use std::fmt::Write as _;

use qorgan::verify::{Encoded, EncodedError, verify_encoded_batch};

pub use input::{Line, ParseError, parse_line};

/// Items verified per batch: large enough to amortise batch verification,
/// small enough to bound memory on unbounded input.
pub const BATCH: usize = 4096;

/// Decoded bytes held per batch at most (a batch is verified as soon as it
/// holds this much, even with fewer than [`BATCH`] items): prekey uploads
/// reach about 1.6 MB each, and 4096 of them must not be held at once.
pub const BATCH_BYTES: usize = 64 << 20;

/// Longest accepted input line in bytes: the largest prekey upload the
/// limits allow (10 000 one-time X25519 and 1 000 one-time ML-KEM prekeys,
/// [`MAX_UPLOAD_LEN`] bytes) in hex, with its kind; a prekey bundle is
/// about 5 KB of hex.
pub const MAX_LINE: usize = 4 << 20;

/// Length of the largest prekey upload the limits allow (docs/PROTOCOL.md
/// §4.10): header 2, identity 128, flags 1, signed prekey 100, last-resort
/// ML-KEM prekey 1253, two counts, each one-time X25519 prekey 36, each
/// one-time ML-KEM prekey 1253, signature 64.
pub const MAX_UPLOAD_LEN: usize = 2
    + 128
    + 1
    + 100
    + 1253
    + 4
    + qorgan::limits::MAX_ONE_TIME_PREKEYS * 36
    + 4
    + qorgan::limits::MAX_KEM_ONE_TIME_PREKEYS * 1253
    + 64;

// The largest upload fits on one line ("upload " + hex + newline) and in
// one batch.
const _: () = assert!(7 + 2 * MAX_UPLOAD_LEN < MAX_LINE && MAX_UPLOAD_LEN <= BATCH_BYTES);

/// Counts over a whole run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Items whose every signature verified.
    pub valid: u64,
    /// Items that decoded but failed (a bad signature, a malformed field).
    pub invalid: u64,
    /// Lines that are not an item (unknown kind, bad hex, too long).
    pub unreadable: u64,
}

impl Summary {
    /// Whether everything verified.
    pub fn all_valid(&self) -> bool {
        self.invalid == 0 && self.unreadable == 0
    }

    /// The closing line of a report.
    pub fn line(&self) -> String {
        format!(
            "summary: {} items: {} valid, {} invalid, {} unreadable",
            self.valid + self.invalid + self.unreadable,
            self.valid,
            self.invalid,
            self.unreadable
        )
    }
}

/// Collects items and writes verdicts, a batch at a time.
pub struct Verifier {
    /// Lines of the current batch in input order: an item, or why the
    /// line is not one (reported in place so output follows input order).
    pending: Vec<(String, Result<Line, String>)>,
    /// Decoded bytes of the pending items.
    pending_bytes: usize,
    /// [`BATCH_BYTES`] (smaller in tests).
    batch_bytes: usize,
    summary: Summary,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// An empty run.
    pub fn new() -> Self {
        Self {
            pending: Vec::new(),
            pending_bytes: 0,
            batch_bytes: BATCH_BYTES,
            summary: Summary::default(),
        }
    }

    /// Takes one input line from `source` (e.g. `file.txt:12`); verdicts are
    /// appended to `out` whenever a batch fills.
    pub fn push(&mut self, source: String, text: &str, out: &mut String) {
        match parse_line(text) {
            Ok(None) => {}
            Ok(Some(line)) => self.queue(source, Ok(line), out),
            Err(e) => self.queue(source, Err(e.to_string()), out),
        }
    }

    /// Records a line that could not be read at all (e.g. too long).
    pub fn unreadable(&mut self, source: String, why: &str, out: &mut String) {
        self.queue(source, Err(why.to_string()), out);
    }

    fn queue(&mut self, source: String, line: Result<Line, String>, out: &mut String) {
        self.pending_bytes += line.as_ref().map_or(0, Line::len);
        self.pending.push((source, line));
        if self.pending.len() >= BATCH || self.pending_bytes >= self.batch_bytes {
            self.flush(out);
        }
    }

    /// Verifies what is pending and appends its verdicts to `out`.
    pub fn flush(&mut self, out: &mut String) {
        let pending = std::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        let encoded: Vec<Encoded<'_>> = pending
            .iter()
            .filter_map(|(_, line)| line.as_ref().ok())
            .map(Line::encoded)
            .collect();
        // Each distinct announcement is decoded and verified once per batch.
        let mut verdicts = verify_encoded_batch(&encoded).into_iter();
        for (source, line) in &pending {
            let line = match line {
                Ok(line) => line,
                Err(why) => {
                    self.summary.unreadable += 1;
                    let _ = writeln!(out, "{source}: unreadable: {why}");
                    continue;
                }
            };
            let verdict = match verdicts.next() {
                Some(Ok(())) => Ok(()),
                Some(Err(EncodedError::Announcement(e))) => Err(format!("announcement: {e}")),
                Some(Err(EncodedError::Previous(e))) => Err(format!("held roster: {e}")),
                Some(Err(EncodedError::Item(e))) => Err(e.to_string()),
                None => Err("no verdict (internal error)".to_string()),
            };
            match verdict {
                Ok(()) => {
                    self.summary.valid += 1;
                    let _ = writeln!(out, "{source}: {}: valid", line.kind());
                }
                Err(why) => {
                    self.summary.invalid += 1;
                    let _ = writeln!(out, "{source}: {}: invalid: {why}", line.kind());
                }
            }
        }
    }

    /// Verifies what is left and returns the counts.
    pub fn finish(mut self, out: &mut String) -> Summary {
        self.flush(out);
        self.summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_verified_once_it_holds_batch_bytes() {
        let mut v = Verifier {
            batch_bytes: 1000,
            ..Verifier::new()
        };
        let mut out = String::new();
        let item = format!("upload {}", "00".repeat(500));
        v.push("a:1".into(), &item, &mut out);
        assert!(out.is_empty(), "half the budget: still pending");
        v.push("a:2".into(), &item, &mut out);
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(out.starts_with("a:1: upload: invalid: "), "{out}");
        assert_eq!(v.pending_bytes, 0);
        let summary = v.finish(&mut out);
        assert_eq!(summary.invalid, 2);
    }
}
