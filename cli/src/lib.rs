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
//! roster         <roster-hex>
//! roster-after   <previous-roster-hex> <roster-hex>
//! statement      <statement-hex>
//! revocation-list <list-hex>
//! presentation   <QG1:… QR text>
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
//! A `roster` (docs/PROTOCOL.md §15.1) is checked for its rules and its
//! signer's signature (for epoch 1, the signer must be one of its admins);
//! `roster-after` also checks that it directly follows the roster the
//! server holds for the group (given as its bytes: same group, epoch one
//! more, naming its hash) and is signed by one of that roster's admins. A
//! `statement` (a certificate, §16.1) and a `revocation-list` (§16.3) are
//! checked for their rules and their issuer's signature, whoever the issuer
//! is. A `presentation` is a QR text as a scanner reads it (`QG1:` and
//! base45; spaces are part of it, so it runs to the end of the line) and
//! is checked as [`qorgan::certificate::Presentation::verify`] does,
//! against the run's [`Trust`]: trusted organisation keys, revocation
//! lists and the time (the CLI's `--anchor`, `--revocations`, `--now`).
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

use qorgan::certificate::{ISSUER_KEY_LEN, IssuerKey, Presentation, RevocationList, TrustAnchor};
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

/// What `presentation` lines are checked against. Anchors come from the
/// operator's configuration (flags), never from the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// The organisation keys trusted, with the names they vouch as.
    pub anchors: Vec<TrustAnchor>,
    /// The issuers' revocation lists, verified.
    pub revocations: Vec<RevocationList>,
    /// The time presentations are checked at (Unix seconds).
    pub now: u64,
}

/// Parses a trust anchor given as `KEY=ORGANISATION`: the organisation
/// key in hex (32 bytes), then the name shown for it.
pub fn parse_anchor(arg: &str) -> Result<TrustAnchor, String> {
    let (key, organisation) = arg
        .split_once('=')
        .ok_or_else(|| format!("anchor {arg:?}: expected KEY=ORGANISATION"))?;
    let bytes = hex::decode(key.trim()).ok_or("anchor key is not hex")?;
    let bytes: [u8; ISSUER_KEY_LEN] = bytes.as_slice().try_into().map_err(|_| {
        format!(
            "anchor key must be {ISSUER_KEY_LEN} bytes, found {}",
            bytes.len()
        )
    })?;
    let key = IssuerKey::from_bytes(&bytes).map_err(|e| format!("anchor key: {e}"))?;
    if organisation.trim().is_empty() {
        return Err("anchor organisation name is empty".into());
    }
    Ok(TrustAnchor::new(key, organisation.trim()))
}

/// Reads revocation lists, one per line in hex (blank lines and `#`
/// comments ignored), each verified; `source` names the input in errors.
pub fn parse_revocation_lists(source: &str, text: &str) -> Result<Vec<RevocationList>, String> {
    let mut lists = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = i + 1;
        let bytes = hex::decode(line).ok_or_else(|| format!("{source}:{at}: not hex"))?;
        let list = RevocationList::from_bytes(&bytes)
            .map_err(|e| format!("{source}:{at}: revocation list: {e}"))?;
        lists.push(list);
    }
    Ok(lists)
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
    trust: Trust,
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

impl Verifier {
    /// An empty run, trusting no organisation (every `presentation` is
    /// then refused as of an unknown issuer).
    pub fn new() -> Self {
        Self::with_trust(Trust::default())
    }

    /// An empty run checking `presentation` lines against `trust`.
    pub fn with_trust(trust: Trust) -> Self {
        Self {
            pending: Vec::new(),
            pending_bytes: 0,
            batch_bytes: BATCH_BYTES,
            summary: Summary::default(),
            trust,
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
        // A presentation's QR text is decoded first: a text that is not one
        // is an invalid item (a scanned code altered, or not a
        // presentation), not an unreadable line.
        let texts: Vec<Option<Result<Vec<u8>, String>>> = pending
            .iter()
            .map(|(_, line)| match line {
                Ok(Line::Presentation(text)) => Some(
                    Presentation::from_text(text)
                        .map(|p| p.to_bytes())
                        .map_err(|e| e.to_string()),
                ),
                _ => None,
            })
            .collect();
        let trust = &self.trust;
        let encoded: Vec<Encoded<'_>> = pending
            .iter()
            .zip(&texts)
            .filter_map(|((_, line), text)| match (line, text) {
                (Err(_), _) | (_, Some(Err(_))) => None,
                (Ok(_), Some(Ok(bytes))) => Some(Encoded::Presentation {
                    presentation: bytes,
                    anchors: &trust.anchors,
                    revocations: &trust.revocations,
                    now: trust.now,
                }),
                (Ok(line), None) => line.encoded(),
            })
            .collect();
        // Each distinct announcement is decoded and verified once per batch.
        let mut verdicts = verify_encoded_batch(&encoded).into_iter();
        drop(encoded);
        for ((source, line), text) in pending.iter().zip(&texts) {
            let line = match line {
                Ok(line) => line,
                Err(why) => {
                    self.summary.unreadable += 1;
                    let _ = writeln!(out, "{source}: unreadable: {why}");
                    continue;
                }
            };
            // A text that did not decode has no verdict in the batch.
            let verdict = match text {
                Some(Err(why)) => Err(why.clone()),
                _ => match verdicts.next() {
                    Some(Ok(())) => Ok(()),
                    Some(Err(EncodedError::Announcement(e))) => Err(format!("announcement: {e}")),
                    Some(Err(EncodedError::Previous(e))) => Err(format!("held roster: {e}")),
                    Some(Err(EncodedError::Item(e))) => Err(e.to_string()),
                    None => Err("no verdict (internal error)".to_string()),
                },
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
