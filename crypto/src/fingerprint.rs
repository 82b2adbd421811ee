//! Safety numbers: a 60-digit number to read aloud and a 65-byte
//! fingerprint to scan, both independent of which side computes them.

use alloc::string::String;
use alloc::vec::Vec;
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use crate::account::AccountKey;
use crate::identity::IdentityKey;
use crate::labels;

/// SHA-512 iterations per party: slows a search for a colliding identity
/// (as Signal's 5200) while staying a few milliseconds on a phone.
pub const FINGERPRINT_ITERATIONS: u32 = 5200;
/// Version of the fingerprint format (first byte of the scannable form) of
/// per-device safety numbers.
pub const FINGERPRINT_VERSION: u8 = 1;
/// First byte of the scannable form of per-account safety numbers
/// (docs/PROTOCOL.md §14.6): a scanned device number never matches an
/// account number.
pub const ACCOUNT_FINGERPRINT_VERSION: u8 = 2;
/// Length of the scannable fingerprint.
pub const SCANNABLE_LEN: usize = 1 + 32 + 32;

/// Per-party fingerprint: 32 bytes of an iterated SHA-512 over the party's
/// identity and a stable account id.
fn party_fingerprint(identity: &IdentityKey, stable_id: &[u8]) -> [u8; 32] {
    let keys = {
        let mut k = [0u8; 64];
        let (a, b) = k.split_at_mut(32);
        a.copy_from_slice(identity.signing_key().as_bytes());
        b.copy_from_slice(identity.dh_key().as_bytes());
        k
    };
    iterate(labels::FINGERPRINT, FINGERPRINT_VERSION, &keys, stable_id)
}

/// Per-account fingerprint: as per device, over the 32-byte account key
/// with its own label and version.
fn account_fingerprint(account: &AccountKey, stable_id: &[u8]) -> [u8; 32] {
    iterate(
        labels::ACCOUNT_FINGERPRINT,
        ACCOUNT_FINGERPRINT_VERSION,
        &account.to_bytes(),
        stable_id,
    )
}

/// `SHA-512(label || version || keys || u64(len id) || id)`, then
/// `FINGERPRINT_ITERATIONS` times `SHA-512(digest || keys)`; the first 32
/// bytes.
fn iterate(label: &[u8], version: u8, keys: &[u8], stable_id: &[u8]) -> [u8; 32] {
    let mut h = Sha512::new();
    h.update(label);
    h.update([version]);
    h.update(keys);
    h.update((stable_id.len() as u64).to_be_bytes());
    h.update(stable_id);
    let mut digest = h.finalize();
    for _ in 0..FINGERPRINT_ITERATIONS {
        let mut h = Sha512::new();
        h.update(digest);
        h.update(keys);
        digest = h.finalize();
    }
    let mut out = [0u8; 32];
    if let Some(head) = digest.get(..32) {
        out.copy_from_slice(head);
    }
    out
}

/// 30 digits: six 5-byte big-endian chunks, each reduced mod 100000.
fn digits(fp: &[u8; 32]) -> String {
    let mut s = String::with_capacity(30);
    for chunk in fp.chunks(5).take(6) {
        let v = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        s.push_str(&alloc::format!("{:05}", v % 100_000));
    }
    s
}

/// The safety number of a pair of identities (per device) or of a pair of
/// accounts.
#[derive(Clone, PartialEq, Eq)]
pub struct SafetyNumber {
    version: u8,
    low: [u8; 32],
    high: [u8; 32],
}

impl SafetyNumber {
    /// Computes the safety number of two devices. Each identity goes with a
    /// stable account id (e.g. the user id; may be empty). Swapping the two
    /// parties gives the same result.
    pub fn new(a: &IdentityKey, a_id: &[u8], b: &IdentityKey, b_id: &[u8]) -> Self {
        Self::ordered(
            FINGERPRINT_VERSION,
            party_fingerprint(a, a_id),
            party_fingerprint(b, b_id),
        )
    }

    /// The safety number of two accounts: it does not change when either
    /// side adds or removes devices (docs/PROTOCOL.md §14.6). The per-device
    /// number ([`new`](Self::new)) stays available for diagnostics.
    pub fn for_accounts(a: &AccountKey, a_id: &[u8], b: &AccountKey, b_id: &[u8]) -> Self {
        Self::ordered(
            ACCOUNT_FINGERPRINT_VERSION,
            account_fingerprint(a, a_id),
            account_fingerprint(b, b_id),
        )
    }

    fn ordered(version: u8, fa: [u8; 32], fb: [u8; 32]) -> Self {
        let (low, high) = if fa <= fb { (fa, fb) } else { (fb, fa) };
        Self { version, low, high }
    }

    /// 60 digits (the lower party's 30, then the higher party's).
    pub fn digits(&self) -> String {
        let mut s = digits(&self.low);
        s.push_str(&digits(&self.high));
        s
    }

    /// The digits in twelve groups of five, as shown to users.
    pub fn display_string(&self) -> String {
        let d = self.digits();
        let groups: Vec<&str> = (0..12).filter_map(|i| d.get(i * 5..i * 5 + 5)).collect();
        groups.join(" ")
    }

    /// `version || lower fingerprint || higher fingerprint`, for a QR code.
    pub fn scannable(&self) -> [u8; SCANNABLE_LEN] {
        let mut out = [0u8; SCANNABLE_LEN];
        let (v, rest) = out.split_at_mut(1);
        let (a, b) = rest.split_at_mut(32);
        v.copy_from_slice(&[self.version]);
        a.copy_from_slice(&self.low);
        b.copy_from_slice(&self.high);
        out
    }

    /// Compares with a scanned fingerprint in constant time. Any length or
    /// version mismatch is simply "no match".
    pub fn matches_scanned(&self, scanned: &[u8]) -> bool {
        scanned.len() == SCANNABLE_LEN && bool::from(self.scannable().as_slice().ct_eq(scanned))
    }
}

impl core::fmt::Debug for SafetyNumber {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SafetyNumber({})", self.display_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdentityKeyPair;
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn order_independent_sixty_digits_and_scannable_match() {
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let a = IdentityKeyPair::generate(&mut rng);
        let b = IdentityKeyPair::generate(&mut rng);
        let ab = SafetyNumber::new(a.public(), b"a", b.public(), b"b");
        let ba = SafetyNumber::new(b.public(), b"b", a.public(), b"a");
        assert_eq!(ab, ba);
        assert_eq!(ab.digits().len(), 60);
        assert!(ab.digits().bytes().all(|c| c.is_ascii_digit()));
        assert_eq!(ab.display_string().split(' ').count(), 12);
        assert!(ab.matches_scanned(&ba.scannable()));
        assert!(!ab.matches_scanned(&ba.scannable()[..64]));
    }

    #[test]
    fn a_different_identity_or_account_changes_the_number() {
        let mut rng = ChaCha20Rng::from_seed([5; 32]);
        let a = IdentityKeyPair::generate(&mut rng);
        let b = IdentityKeyPair::generate(&mut rng);
        let m = IdentityKeyPair::generate(&mut rng);
        let real = SafetyNumber::new(a.public(), b"a", b.public(), b"b");
        let mitm = SafetyNumber::new(a.public(), b"a", m.public(), b"b");
        let other_account = SafetyNumber::new(a.public(), b"a", b.public(), b"c");
        assert!(!real.matches_scanned(&mitm.scannable()));
        assert!(!real.matches_scanned(&other_account.scannable()));
        assert_ne!(real.digits(), mitm.digits());
    }
}
