//! Accepting a first (prekey) message: the responder side of the handshake
//! (docs/PROTOCOL.md §4.4–§4.6), with the one-time keys consumed and the
//! replay record updated only once the first message authenticates.

use alloc::vec::Vec;

use super::PreKeyStore;
use super::lifecycle::expired;
use crate::error::{HandshakeError, VerifyError};
use crate::handshake::{Transcript, derive_root};
use crate::identity::IdentityKey;
use crate::limits::MAX_REMEMBERED_HANDSHAKES;
use crate::message::ParsedMessage;
use crate::prekey::KemPreKeyKind;
use crate::session::Session;

impl PreKeyStore {
    /// Accepts a prekey message: verifies the initiator's identity, runs the
    /// responder side of the handshake, decrypts the first message, and on
    /// success consumes the one-time prekeys it used. `now` is the caller's
    /// clock in seconds: a handshake on a signed or last-resort prekey
    /// retired [`MAX_RETIRED_PREKEY_AGE_SECS`](crate::limits::MAX_RETIRED_PREKEY_AGE_SECS)
    /// ago is refused. On any error the store is unchanged.
    pub fn accept(
        &mut self,
        message: &[u8],
        now: u64,
    ) -> Result<(Session, Vec<u8>), HandshakeError> {
        let parsed = ParsedMessage::parse(message).map_err(VerifyError::from)?;
        let handshake = parsed
            .handshake
            .as_ref()
            .ok_or(HandshakeError::NotPreKeyMessage)?;
        let initiator = IdentityKey::from_field_bytes(&handshake.identity)?;
        let signed_at = self
            .signed
            .iter()
            .position(|r| r.public.id == handshake.signed_prekey_id)
            .ok_or(HandshakeError::UnknownSignedPreKey(
                handshake.signed_prekey_id,
            ))?;
        if expired(&self.signed, signed_at, now) {
            return Err(HandshakeError::ExpiredSignedPreKey(
                handshake.signed_prekey_id,
            ));
        }
        let signed = self
            .signed
            .get(signed_at)
            .ok_or(HandshakeError::UnknownSignedPreKey(
                handshake.signed_prekey_id,
            ))?;
        let kem = match self.kem_one_time.get(&handshake.kem_prekey_id) {
            Some(k) => k,
            None => {
                let at = self
                    .kem_last_resort
                    .iter()
                    .position(|r| r.id == handshake.kem_prekey_id)
                    .ok_or(HandshakeError::UnknownKemPreKey(handshake.kem_prekey_id))?;
                if expired(&self.kem_last_resort, at, now) {
                    return Err(HandshakeError::ExpiredKemPreKey(handshake.kem_prekey_id));
                }
                self.kem_last_resort
                    .get(at)
                    .ok_or(HandshakeError::UnknownKemPreKey(handshake.kem_prekey_id))?
            }
        };
        let one_time = match handshake.one_time_prekey_id {
            Some(id) => Some(
                self.one_time
                    .get(&id)
                    .ok_or(HandshakeError::UnknownOneTimePreKey(id))?,
            ),
            None => {
                let base = handshake.base_key.as_bytes();
                if self.replay_record.values().any(|r| r.contains(base)) {
                    return Err(HandshakeError::Replay);
                }
                None
            }
        };
        // Only a handshake with no one-time prekey of either kind can be
        // replayed (one-time keys are consumed): such ones are recorded, and
        // refused once the signed prekey's record is full.
        let recorded =
            handshake.one_time_prekey_id.is_none() && kem.kind == KemPreKeyKind::LastResort;
        if recorded
            && self
                .replay_record
                .get(&handshake.signed_prekey_id)
                .is_some_and(|r| r.len() >= MAX_REMEMBERED_HANDSHAKES)
        {
            return Err(HandshakeError::ReplayRecordFull {
                signed_prekey_id: handshake.signed_prekey_id,
            });
        }

        let nc = |_| HandshakeError::NonContributory;
        let base = &handshake.base_key;
        let dh1 = signed
            .secret
            .diffie_hellman(initiator.dh_key())
            .map_err(nc)?;
        let dh2 = self.identity.dh_secret().diffie_hellman(base).map_err(nc)?;
        let dh3 = signed.secret.diffie_hellman(base).map_err(nc)?;
        let dh4 = match one_time {
            Some(r) => Some(r.secret.diffie_hellman(base).map_err(nc)?),
            None => None,
        };
        let kem_secret = kem.secret.decapsulate(&handshake.kem_ciphertext);
        let session_id = Transcript {
            initiator: &initiator,
            responder: self.identity.public(),
            base_key: base,
            signed_prekey: &signed.public.key,
            kem_prekey: &kem.public().key,
            kem_ciphertext: &handshake.kem_ciphertext,
            one_time_prekey: one_time.map(|r| &r.public),
        }
        .hash();
        let mut secrets = alloc::vec![&dh1, &dh2, &dh3];
        if let Some(dh4) = &dh4 {
            secrets.push(dh4);
        }
        let root = derive_root(&secrets, &kem_secret, &session_id);

        let mut session = Session::new_responder(
            *self.identity.public(),
            initiator,
            session_id,
            root,
            *base,
            parsed.ratchet_key,
        );
        let (plaintext, commit) = session.plan(&parsed, Some(&signed.secret))?;
        session.apply(commit);

        // Authenticated: now consume.
        if kem.kind == KemPreKeyKind::OneTime {
            self.kem_one_time.remove(&handshake.kem_prekey_id);
        }
        if let Some(id) = handshake.one_time_prekey_id {
            self.one_time.remove(&id);
        }
        if recorded {
            self.replay_record
                .entry(handshake.signed_prekey_id)
                .or_default()
                .insert(*base.as_bytes());
        }
        Ok((session, plaintext))
    }
}
