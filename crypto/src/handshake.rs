//! The hybrid handshake (PQXDH-style): four X25519 exchanges (three without a
//! one-time prekey) and one ML-KEM-768 encapsulation, combined by HKDF-SHA256
//! into the first root key. docs/PROTOCOL.md §4.

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::bundle::PreKeyBundle;
use crate::error::HandshakeError;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::labels;
use crate::message::HandshakeHeader;
use crate::primitives::kdf::hkdf_sha256_parts;
use crate::primitives::kem::{KemCiphertext, KemPublicKey, KemSharedSecret};
use crate::primitives::x25519::{SharedSecret, X25519PublicKey, X25519SecretKey};
use crate::ratchet::root_key::RootKey;
use crate::session::Session;

/// The public values both sides hash into the session id.
pub(crate) struct Transcript<'a> {
    pub(crate) initiator: &'a IdentityKey,
    pub(crate) responder: &'a IdentityKey,
    pub(crate) base_key: &'a X25519PublicKey,
    pub(crate) signed_prekey: &'a X25519PublicKey,
    pub(crate) kem_prekey: &'a KemPublicKey,
    pub(crate) kem_ciphertext: &'a KemCiphertext,
    pub(crate) one_time_prekey: Option<&'a X25519PublicKey>,
}

impl Transcript<'_> {
    /// `SHA-256(label || IK_A || IK_B || EK_A || SPK_B || PQPK_B || CT || [OPK_B])`.
    pub(crate) fn hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(labels::TRANSCRIPT);
        h.update(self.initiator.to_field_bytes());
        h.update(self.responder.to_field_bytes());
        h.update(self.base_key.as_bytes());
        h.update(self.signed_prekey.as_bytes());
        h.update(self.kem_prekey.as_bytes());
        h.update(self.kem_ciphertext.as_bytes());
        if let Some(otk) = self.one_time_prekey {
            h.update(otk.as_bytes());
        }
        h.finalize().into()
    }
}

/// `SK = HKDF(salt = 0^32, IKM = 0xFF^32 || DH1 || DH2 || DH3 || [DH4] || SS,
/// info = label || session id)`.
pub(crate) fn derive_root(
    dh: &[&SharedSecret],
    kem: &KemSharedSecret,
    session_id: &[u8; 32],
) -> RootKey {
    let mut ikm: [&[u8]; 6] = [&labels::HANDSHAKE_IKM_PREFIX, &[], &[], &[], &[], &[]];
    let mut n = 1;
    for (slot, secret) in ikm.iter_mut().skip(1).zip(dh.iter()) {
        *slot = secret.as_bytes();
        n += 1;
    }
    if let Some(slot) = ikm.get_mut(n) {
        *slot = kem.as_bytes();
        n += 1;
    }
    let mut info = [0u8; labels::HANDSHAKE.len() + 32];
    let (label, id) = info.split_at_mut(labels::HANDSHAKE.len());
    label.copy_from_slice(labels::HANDSHAKE);
    id.copy_from_slice(session_id);
    let mut sk = Zeroizing::new([0u8; 32]);
    // 32 bytes of output cannot exceed HKDF's limit.
    let _ = hkdf_sha256_parts(&[0u8; 32], ikm.get(..n).unwrap_or(&[]), &info, sk.as_mut());
    RootKey::new(*sk)
}

/// Starts a session with the owner of `bundle`. Verifies every signature in
/// the bundle first. The returned session's first messages carry the
/// handshake until the peer answers.
pub fn initiate<R: CryptoRng + ?Sized>(
    rng: &mut R,
    identity: &IdentityKeyPair,
    bundle: &PreKeyBundle,
) -> Result<Session, HandshakeError> {
    bundle.verify()?;
    let nc = |_| HandshakeError::NonContributory;
    let base = X25519SecretKey::generate(rng);
    let base_key = base.public_key();
    let spk = &bundle.signed_prekey.key;
    let dh1 = identity.dh_secret().diffie_hellman(spk).map_err(nc)?;
    let dh2 = base.diffie_hellman(bundle.identity.dh_key()).map_err(nc)?;
    let dh3 = base.diffie_hellman(spk).map_err(nc)?;
    let dh4 = match &bundle.one_time_prekey {
        Some(otk) => Some(base.diffie_hellman(&otk.key).map_err(nc)?),
        None => None,
    };
    let (kem_ciphertext, kem_secret) = bundle.kem_prekey.key.encapsulate(rng);
    let session_id = Transcript {
        initiator: identity.public(),
        responder: &bundle.identity,
        base_key: &base_key,
        signed_prekey: spk,
        kem_prekey: &bundle.kem_prekey.key,
        kem_ciphertext: &kem_ciphertext,
        one_time_prekey: bundle.one_time_prekey.as_ref().map(|o| &o.key),
    }
    .hash();
    let mut secrets = alloc::vec![&dh1, &dh2, &dh3];
    if let Some(dh4) = &dh4 {
        secrets.push(dh4);
    }
    let root = derive_root(&secrets, &kem_secret, &session_id);
    let header = HandshakeHeader {
        identity: identity.public().to_field_bytes(),
        base_key,
        signed_prekey_id: bundle.signed_prekey.id,
        kem_prekey_id: bundle.kem_prekey.id,
        one_time_prekey_id: bundle.one_time_prekey.map(|o| o.id),
        kem_ciphertext,
    };
    Ok(Session::new_initiator(
        *identity.public(),
        bundle.identity,
        session_id,
        root,
        *spk,
        header,
    ))
}
