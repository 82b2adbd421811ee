//! Ed25519 signatures (RFC 8032) under qorgan's verification policy.
//!
//! Policy (docs/PROTOCOL.md §2.4). A signature `(R, S)` by key `A` on `M` is
//! accepted iff
//! 1. `S` is canonical (`S < L`),
//! 2. `A` and `R` are canonical encodings of curve points (re-encoding the
//!    decoded point gives the same 32 bytes) and neither is of small order,
//! 3. `[8]([S]B - R - [k]A)` is the identity, with `k = SHA-512(R || A || M) mod L`
//!    (the cofactored equation of RFC 8032 §5.1.7).
//!
//! Why cofactored: batch verification (a random linear combination of many
//! equations) can only agree exactly with single verification when both use
//! the cofactored equation. With the cofactorless equation a signer could
//! craft signatures with torsion components in `R` that batch verifiers
//! accept and single verifiers reject, so different devices would disagree
//! on the same group message. Signing is RFC 8032 unchanged, so every
//! honest signature verifies under both equations.
//!
//! Signing and point arithmetic come from `ed25519-dalek` and
//! `curve25519-dalek`; this module only composes their operations into the
//! policy above, which neither crate offers as one call.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use ed25519_dalek::ed25519::signature::MultipartSigner;
use ed25519_dalek::{Signer, SigningKey};
use rand_core::CryptoRng;
use sha2::{Digest, Sha512};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::error::DecodeError;

/// Decodes a point, requiring the canonical encoding.
fn decompress_canonical(bytes: &[u8; 32]) -> Option<EdwardsPoint> {
    // `decompress` reduces y mod p and accepts the sign bit on x = 0; both
    // are visible in the bytes, so they are refused there rather than by
    // re-encoding the point (an inversion: half the cost of a decode).
    if !is_canonical_encoding(bytes) {
        return None;
    }
    CompressedEdwardsY(*bytes).decompress()
}

/// Whether `bytes` is the only encoding of its point, if it is one: `y < p`
/// (`p = 2^255 - 19`), and the sign bit clear when `x = 0`, which is when
/// `y = 1` or `y = p - 1`.
fn is_canonical_encoding(bytes: &[u8; 32]) -> bool {
    let mut y = *bytes;
    let sign = y[31] >> 7;
    y[31] &= 0x7F;
    // p - 1 = 0x7FFF…FFEC, little-endian; y >= p iff y > p - 1.
    let mut p_minus_1 = [0xFFu8; 32];
    p_minus_1[0] = 0xEC;
    p_minus_1[31] = 0x7F;
    let mut one = [0u8; 32];
    one[0] = 1;
    let above = y.iter().rev().cmp(p_minus_1.iter().rev()) == core::cmp::Ordering::Greater;
    !above && !(sign == 1 && (y == one || y == p_minus_1))
}

/// An Ed25519 public key: canonical, on the curve, not of small order.
#[derive(Clone, Copy)]
pub struct Ed25519PublicKey {
    bytes: [u8; 32],
    point: EdwardsPoint,
}

impl PartialEq for Ed25519PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for Ed25519PublicKey {}

impl Ed25519PublicKey {
    /// Decodes a 32-byte key under the policy (canonical, not small order).
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, DecodeError> {
        let point = decompress_canonical(bytes).ok_or(DecodeError::InvalidKey("ed25519 point"))?;
        if point.is_small_order() {
            return Err(DecodeError::InvalidKey("ed25519 small-order point"));
        }
        Ok(Self {
            bytes: *bytes,
            point,
        })
    }

    /// The 32-byte encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Verifies under the policy in the module docs.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.verify_parts(&[message], signature)
    }

    /// Verifies a signature over the concatenation of `message_parts`.
    pub fn verify_parts(&self, message_parts: &[&[u8]], signature: &Signature) -> bool {
        let Some(parts) = SignatureParts::new(self, message_parts, signature) else {
            return false;
        };
        // [S]B - [k]A - R, times the cofactor.
        let sb_minus_ka =
            EdwardsPoint::vartime_double_scalar_mul_basepoint(&(-parts.k), &self.point, &parts.s);
        (sb_minus_ka - parts.r).mul_by_cofactor().is_identity()
    }
}

impl core::hash::Hash for Ed25519PublicKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl core::fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "Ed25519PublicKey", &self.bytes)
    }
}

/// The decoded parts of one signature check.
struct SignatureParts {
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

impl SignatureParts {
    /// Applies the encoding rules (1, 2) and computes `k`; `None` if the
    /// signature is rejected before any equation.
    fn new(key: &Ed25519PublicKey, message: &[&[u8]], signature: &Signature) -> Option<Self> {
        let (r_bytes, s_bytes) = signature.split();
        let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
        let r = decompress_canonical(&r_bytes)?;
        if r.is_small_order() {
            return None;
        }
        let mut h = Sha512::new();
        h.update(r_bytes);
        h.update(key.bytes);
        for part in message {
            h.update(part);
        }
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        Some(Self { r, s, k })
    }
}

/// A 64-byte Ed25519 signature. Decoding never fails; validity is decided by
/// verification.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    /// Encoded length.
    pub const LEN: usize = 64;

    /// Wraps 64 bytes.
    pub fn from_bytes(bytes: &[u8; 64]) -> Self {
        Self(*bytes)
    }

    /// The 64-byte encoding.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0
    }

    fn split(&self) -> ([u8; 32], [u8; 32]) {
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        let (a, b) = self.0.split_at(32);
        r.copy_from_slice(a);
        s.copy_from_slice(b);
        (r, s)
    }
}

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        super::fmt_public(f, "Signature", &self.0)
    }
}

/// An Ed25519 signing key, boxed and wiped on drop.
#[derive(Clone)]
pub struct Ed25519SigningKey(Box<SigningKey>);

impl Ed25519SigningKey {
    /// Generates a fresh key from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// Rebuilds the key from its 32-byte RFC 8032 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(Box::new(SigningKey::from_bytes(seed)))
    }

    /// The 32-byte seed, for sealed state only.
    pub(crate) fn to_seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key. A key derived from a seed is never of small order.
    pub fn public_key(&self) -> Ed25519PublicKey {
        let vk = self.0.verifying_key();
        Ed25519PublicKey {
            bytes: vk.to_bytes(),
            point: vk.to_edwards(),
        }
    }

    /// Signs `message` (deterministic, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }

    /// Signs the concatenation of `message_parts` without building it.
    pub fn sign_parts(&self, message_parts: &[&[u8]]) -> Signature {
        Signature(MultipartSigner::multipart_sign(&*self.0, message_parts).to_bytes())
    }
}

impl ZeroizeOnDrop for Ed25519SigningKey {}

impl core::fmt::Debug for Ed25519SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Ed25519SigningKey([redacted])")
    }
}

/// At most this many items are settled one by one instead of combined.
const BATCH_SPLIT_MIN: usize = 4;

/// How much work failed combinations may waste, in hundredths of one single
/// verification per item: a batch whose combinations all fail (a hostile
/// one) costs at most this much more than verifying it one by one.
pub const BATCH_WASTE_BUDGET: u64 = 20;

/// Cost of one item's `R` term in a combination (a 128-bit weight), in
/// hundredths of a single verification. Measured with
/// `cargo run --release -p qorgan --example batch_cost` (a whole batch
/// costs 0.34 of single verification per item under one key, 0.40-0.57
/// under distinct keys, of which about 0.1 is decoding and hashing that
/// single verification does too) and rounded up, so the budget is an upper
/// bound.
const COMBINED_R_COST: u64 = 30;

/// Cost of one distinct public key's term in a combination (a full-size
/// scalar), in hundredths of a single verification; measured as above and
/// rounded up.
const COMBINED_KEY_COST: u64 = 30;

/// Verifies many signatures and returns one verdict per item, in order,
/// always equal to what [`Ed25519PublicKey::verify`] says of each item.
///
/// Items that fail the encoding rules are rejected at once. The rest are
/// checked together with one multiscalar multiplication over
/// `[8](Σ zᵢRᵢ + Σ (zᵢkᵢ)Aᵢ − (Σ zᵢSᵢ)B)`, with terms of the same key merged
/// (a catch-up from one sender costs about one point per message). The
/// 128-bit weights `zᵢ` are derived by SHA-512 from every item, so no
/// signature can be chosen after its weight is known. If the combination
/// fails, the set is split in halves and each half re-checked, down to
/// single verification, which pinpoints the bad items.
///
/// A combination is tried only while the work it would waste if it failed
/// fits a budget of [`BATCH_WASTE_BUDGET`] hundredths of a single
/// verification per item; past that, halves are split further untried, and
/// sets of at most four items are verified one by one. An all-bad or
/// densely bad batch therefore costs at most about 1.2x one-by-one
/// verification (less in practice: the cost model is an upper bound),
/// while an honest batch is settled by two to four combinations.
pub fn verify_batch(items: &[(&[u8], &Signature, &Ed25519PublicKey)]) -> Vec<bool> {
    let parts: Vec<[&[u8]; 1]> = items.iter().map(|(m, _, _)| [*m]).collect();
    let items: Vec<(&[&[u8]], &Signature, &Ed25519PublicKey)> = items
        .iter()
        .zip(parts.iter())
        .map(|((_, s, k), m)| (m.as_slice(), *s, *k))
        .collect();
    verify_batch_parts(&items)
}

/// [`verify_batch`] for messages given in parts.
pub fn verify_batch_parts(items: &[(&[&[u8]], &Signature, &Ed25519PublicKey)]) -> Vec<bool> {
    let mut verdicts = alloc::vec![false; items.len()];
    let mut pending = Vec::with_capacity(items.len());
    let mut seed = Sha512::new();
    seed.update(crate::labels::ED25519_BATCH);
    for (i, (message, signature, key)) in items.iter().enumerate() {
        if let Some(parts) = SignatureParts::new(key, message, signature) {
            seed.update(signature.0);
            seed.update(key.bytes);
            seed.update(parts.k.as_bytes());
            pending.push((i, *key, parts));
        }
    }
    let seed: [u8; 64] = seed.finalize().into();
    let weighted: Vec<(usize, &Ed25519PublicKey, SignatureParts, Scalar)> = pending
        .into_iter()
        .map(|(i, key, parts)| (i, key, parts, weight(&seed, i)))
        .collect();
    let mut budget = (weighted.len() as u64).saturating_mul(BATCH_WASTE_BUDGET);
    settle(&weighted, &mut verdicts, &mut budget);
    verdicts
}

/// Verifies the signatures of one object that should all hold (a bundle,
/// an upload) and returns the position of the first that does not, if
/// any: the same verdict as verifying them one by one, in order. All of
/// them are checked with one combination (terms of one key merged, as in
/// [`verify_batch_parts`]); only if it fails are they verified one by one,
/// to name the first bad one. An honest object costs one combination (for
/// three signatures under one identity, about half of one-by-one); a forged
/// one at most that combination more than one-by-one.
pub fn verify_all_parts(items: &[(&[&[u8]], &Signature, &Ed25519PublicKey)]) -> Option<usize> {
    let mut pending = Vec::with_capacity(items.len());
    let mut malformed = None;
    let mut seed = Sha512::new();
    seed.update(crate::labels::ED25519_BATCH);
    for (i, (message, signature, key)) in items.iter().enumerate() {
        let Some(parts) = SignatureParts::new(key, message, signature) else {
            // The first failure, unless an earlier item fails too.
            malformed = Some(i);
            break;
        };
        seed.update(signature.0);
        seed.update(key.bytes);
        seed.update(parts.k.as_bytes());
        pending.push((i, *key, parts));
    }
    let seed: [u8; 64] = seed.finalize().into();
    let weighted: Vec<Weighted<'_>> = pending
        .into_iter()
        .map(|(i, key, parts)| (i, key, parts, weight(&seed, i)))
        .collect();
    if malformed.is_none() && combination_holds(&weighted) {
        return None;
    }
    weighted
        .iter()
        .find(|item| !holds(item))
        .map(|(i, ..)| *i)
        .or(malformed)
}

/// The 128-bit weight of item `i`: SHA-512 of the batch seed and `i`.
fn weight(seed: &[u8; 64], i: usize) -> Scalar {
    let mut h = Sha512::new();
    h.update(seed);
    h.update((i as u64).to_be_bytes());
    let digest: [u8; 64] = h.finalize().into();
    let mut z = [0u8; 32];
    z.iter_mut()
        .zip(digest.iter())
        .take(16)
        .for_each(|(d, s)| *d = *s);
    Scalar::from_bytes_mod_order(z)
}

/// Estimated cost of one combination of `items`, in hundredths of a single
/// verification.
fn combination_cost(items: &[Weighted<'_>]) -> u64 {
    let mut keys: Vec<&[u8; 32]> = items.iter().map(|(_, key, ..)| &key.bytes).collect();
    keys.sort_unstable();
    keys.dedup();
    (items.len() as u64)
        .saturating_mul(COMBINED_R_COST)
        .saturating_add((keys.len() as u64).saturating_mul(COMBINED_KEY_COST))
}

/// Single (cofactored) verification of one item.
fn holds((_, key, parts, _): &Weighted<'_>) -> bool {
    (EdwardsPoint::vartime_double_scalar_mul_basepoint(&(-parts.k), &key.point, &parts.s) - parts.r)
        .mul_by_cofactor()
        .is_identity()
}

fn verify_one(item: &Weighted<'_>, verdicts: &mut [bool]) {
    if let Some(v) = verdicts.get_mut(item.0) {
        *v = holds(item);
    }
}

type Weighted<'a> = (usize, &'a Ed25519PublicKey, SignatureParts, Scalar);

fn settle(items: &[Weighted<'_>], verdicts: &mut [bool], budget: &mut u64) {
    if items.len() <= BATCH_SPLIT_MIN {
        for item in items {
            verify_one(item, verdicts);
        }
        return;
    }
    let cost = combination_cost(items);
    if cost <= *budget {
        if combination_holds(items) {
            for (i, ..) in items {
                if let Some(v) = verdicts.get_mut(*i) {
                    *v = true;
                }
            }
            return;
        }
        *budget -= cost;
    }
    let (a, b) = items.split_at(items.len() / 2);
    settle(a, verdicts, budget);
    settle(b, verdicts, budget);
}

fn combination_holds(items: &[Weighted<'_>]) -> bool {
    let mut b_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(items.len() + 2);
    let mut points = Vec::with_capacity(items.len() + 2);
    // One term per distinct key, its coefficients summed.
    let mut keys: BTreeMap<[u8; 32], (EdwardsPoint, Scalar)> = BTreeMap::new();
    for (_, key, parts, z) in items {
        b_coefficient -= z * parts.s;
        scalars.push(*z);
        points.push(parts.r);
        let entry = keys.entry(key.bytes).or_insert((key.point, Scalar::ZERO));
        entry.1 += z * parts.k;
    }
    for (point, c) in keys.into_values() {
        scalars.push(c);
        points.push(point);
    }
    scalars.push(b_coefficient);
    points.push(curve25519_dalek::constants::ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(scalars, points)
        .mul_by_cofactor()
        .is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chacha20::ChaCha20Rng;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_TABLE, EIGHT_TORSION};
    use rand_core::SeedableRng;

    fn keys(n: usize) -> Vec<Ed25519SigningKey> {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        (0..n)
            .map(|_| Ed25519SigningKey::generate(&mut rng))
            .collect()
    }

    /// A signature only the key holder can make, with an order-8 component
    /// added to `R`: the case where cofactorless batch and single
    /// verification can disagree.
    fn torsioned(key: &Ed25519SigningKey, msg: &[u8]) -> Signature {
        let a = key.0.to_scalar();
        let r = Scalar::from_bytes_mod_order([9; 32]);
        let big_r = (&r * ED25519_BASEPOINT_TABLE + EIGHT_TORSION[1]).compress();
        let mut h = Sha512::new();
        h.update(big_r.as_bytes());
        h.update(key.public_key().bytes);
        h.update(msg);
        let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
        let s = r + k * a;
        let mut bytes = [0u8; 64];
        bytes[..32].copy_from_slice(big_r.as_bytes());
        bytes[32..].copy_from_slice(s.as_bytes());
        Signature(bytes)
    }

    #[test]
    fn verify_all_names_the_first_failure_as_one_by_one_would() {
        let ks = keys(2);
        let msgs: Vec<Vec<u8>> = (0..3u8).map(|i| alloc::vec![i; 40]).collect();
        let good: Vec<Signature> = msgs.iter().map(|m| ks[0].sign(m)).collect();
        let pubs = [ks[0].public_key(), ks[1].public_key()];
        let run = |sigs: &[Signature], key: usize| {
            let parts: Vec<[&[u8]; 1]> = msgs.iter().map(|m| [m.as_slice()]).collect();
            let items: Vec<(&[&[u8]], &Signature, &Ed25519PublicKey)> = parts
                .iter()
                .zip(sigs)
                .map(|(p, s)| (p.as_slice(), s, &pubs[key]))
                .collect();
            let single = items.iter().position(|(m, s, k)| !k.verify_parts(m, s));
            assert_eq!(verify_all_parts(&items), single);
            single
        };
        assert_eq!(run(&good, 0), None);
        assert_eq!(run(&good, 1), Some(0), "wrong key");
        // A torsioned but valid signature holds in both.
        let mut t = good.clone();
        t[1] = torsioned(&ks[0], &msgs[1]);
        assert_eq!(run(&t, 0), None);
        for bad in 0..3 {
            let mut sigs = good.clone();
            sigs[bad].0[40] ^= 1;
            assert_eq!(run(&sigs, 0), Some(bad));
            // A non-canonical S (malformed) after a bad item: the bad one
            // is named first; before it: the malformed one.
            let mut m = sigs.clone();
            let other = (bad + 1) % 3;
            m[other].0[63] = 0xFF;
            assert_eq!(run(&m, 0), Some(bad.min(other)));
        }
    }

    #[test]
    fn batch_pinpoints_bad_items_among_many() {
        let ks = keys(7);
        let msgs: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut sigs: Vec<Signature> = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| ks[i % 7].sign(m))
            .collect();
        let pubs: Vec<Ed25519PublicKey> = ks.iter().map(Ed25519SigningKey::public_key).collect();
        for bad in [0usize, 137, 299] {
            sigs[bad].0[40] ^= 1;
        }
        sigs[200] = ks[1].sign(b"another message");
        let items: Vec<(&[u8], &Signature, &Ed25519PublicKey)> = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| (m.as_slice(), &sigs[i], &pubs[i % 7]))
            .collect();
        let verdicts = verify_batch(&items);
        let bad: Vec<usize> = verdicts
            .iter()
            .enumerate()
            .filter(|(_, ok)| !**ok)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(bad, [0, 137, 200, 299]);
        for (i, (m, s, k)) in items.iter().enumerate() {
            assert_eq!(k.verify(m, s), verdicts[i], "item {i}");
        }
        assert!(verify_batch(&[]).is_empty());
    }

    #[test]
    fn torsion_in_r_gets_the_same_verdict_from_batch_and_single() {
        let ks = keys(1);
        let key = ks[0].public_key();
        let sig = torsioned(&ks[0], b"m");
        // The cofactored equation accepts it (only the key holder can make
        // it); what matters is that every verifier says the same.
        assert!(key.verify(b"m", &sig));
        let honest = ks[0].sign(b"n");
        assert_eq!(
            verify_batch(&[(b"m", &sig, &key), (b"n", &honest, &key)]),
            [true, true]
        );
        // A small-order R is refused by both.
        let mut small = [0u8; 64];
        small[..32].copy_from_slice(EIGHT_TORSION[2].compress().as_bytes());
        let small = Signature(small);
        assert!(!key.verify(b"m", &small));
        assert_eq!(
            verify_batch(&[(b"m", &small, &key), (b"n", &honest, &key)]),
            [false, true]
        );
    }

    #[test]
    fn the_canonical_check_agrees_with_re_encoding() {
        // The old rule: decompress, re-encode, compare.
        let old = |b: &[u8; 32]| {
            CompressedEdwardsY(*b)
                .decompress()
                .filter(|p| p.compress().as_bytes() == b)
        };
        let mut cases: Vec<[u8; 32]> = Vec::new();
        for low in 0u8..=255 {
            for top in [0x00u8, 0x7F, 0x80, 0xFF] {
                let mut b = [0xFFu8; 32];
                b[0] = low;
                b[31] = top;
                cases.push(b);
                let mut z = [0u8; 32];
                z[0] = low;
                z[31] = top;
                cases.push(z);
            }
        }
        let mut seed = [7u8; 32];
        for _ in 0..2000 {
            seed = Sha512::digest(seed)[..32].try_into().unwrap();
            cases.push(seed);
        }
        for point in EIGHT_TORSION.iter() {
            let b = *point.compress().as_bytes();
            cases.push(b);
            let mut flipped = b;
            flipped[31] ^= 0x80;
            cases.push(flipped);
        }
        for b in &cases {
            assert_eq!(decompress_canonical(b), old(b), "{b:02x?}");
        }
    }

    #[test]
    fn non_canonical_s_and_keys_are_refused() {
        let ks = keys(1);
        let key = ks[0].public_key();
        let mut sig = ks[0].sign(b"m");
        // S + L has the same value mod L but is not canonical.
        // L = 2^252 + 27742317777372353535851937790883648493, little-endian.
        let l = Scalar::ZERO - Scalar::ONE;
        let mut l_bytes = *l.as_bytes();
        l_bytes[0] += 1;
        let l = l_bytes;
        let s = Scalar::from_canonical_bytes(sig.0[32..].try_into().unwrap()).unwrap();
        let mut carry = 0u16;
        let mut sum = [0u8; 32];
        for i in 0..32 {
            let v = u16::from(s.as_bytes()[i]) + u16::from(l[i]) + carry;
            sum[i] = v as u8;
            carry = v >> 8;
        }
        assert_eq!(carry, 0);
        sig.0[32..].copy_from_slice(&sum);
        assert!(!key.verify(b"m", &sig));
        assert_eq!(verify_batch(&[(b"m", &sig, &key)]), [false]);
        // Small-order keys do not decode.
        assert!(Ed25519PublicKey::from_bytes(EIGHT_TORSION[0].compress().as_bytes()).is_err());
        assert!(Ed25519PublicKey::from_bytes(EIGHT_TORSION[3].compress().as_bytes()).is_err());
    }
}
