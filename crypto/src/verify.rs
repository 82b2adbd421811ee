//! Stateless signature checks for servers: device identities, prekey
//! bundles, sender-key announcements and group messages, one at a time or
//! in batches. No session, no secret, nothing stored.
//!
//! A batch decodes every item, gathers every Ed25519 signature the items
//! carry (a bundle has three: identity binding, signed prekey, ML-KEM
//! prekey) and checks them all with one batch verification (docs/PROTOCOL.md
//! §2.4: the same verdict as one-by-one verification, item for item). Each
//! item gets its own result, naming the first signature that failed.

use alloc::vec::Vec;

use crate::bundle::PreKeyBundle;
use crate::codec::Reader;
use crate::error::{DecodeError, SignatureError, SignedObject, VerifyError};
use crate::group::SenderKeyAnnouncement;
use crate::group::message::ParsedGroupMessage;
use crate::identity::{IdentityKey, SignatureCheck};
use crate::labels;
use crate::primitives::ed25519::verify_batch_parts;
use crate::wire;

/// One thing to verify.
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    /// A standalone identity key (`0x01 0x11 …`): its binding signature.
    Identity(&'a [u8]),
    /// A prekey bundle: identity binding, signed prekey, ML-KEM prekey.
    Bundle(&'a [u8]),
    /// A sender-key announcement (`0x01 0x23 …`): identity binding and the
    /// identity's signature over the announcement.
    Announcement(&'a [u8]),
    /// A group message, against its chain's (already verified)
    /// announcement: chain id and signature.
    GroupMessage {
        /// The chain's announcement, from [`SenderKeyAnnouncement::from_bytes`].
        announcement: &'a SenderKeyAnnouncement,
        /// The group message bytes.
        message: &'a [u8],
    },
}

fn identity_checks(bytes: &[u8]) -> Result<Vec<SignatureCheck>, VerifyError> {
    let mut r = Reader::new(bytes);
    wire::expect_header(&mut r, wire::TYPE_IDENTITY)?;
    let key = IdentityKey::read_trusted(&mut r)?;
    r.finish()?;
    Ok(alloc::vec![key.binding_check()])
}

fn checks(item: &Item<'_>) -> Result<Vec<SignatureCheck>, VerifyError> {
    match item {
        Item::Identity(bytes) => identity_checks(bytes),
        Item::Bundle(bytes) => Ok(PreKeyBundle::decode_unverified(bytes)?.checks().into()),
        Item::Announcement(bytes) => {
            let a = SenderKeyAnnouncement::decode_unverified(bytes)?;
            Ok(alloc::vec![a.sender.binding_check(), a.check()])
        }
        Item::GroupMessage {
            announcement,
            message,
        } => {
            let m = ParsedGroupMessage::parse(message)?;
            if m.chain_id != announcement.chain_id {
                return Err(DecodeError::InvalidField("group message for another chain").into());
            }
            let mut signed = Vec::with_capacity(labels::GROUP_MESSAGE.len() + m.signed.len());
            signed.extend_from_slice(labels::GROUP_MESSAGE);
            signed.extend_from_slice(m.signed);
            Ok(alloc::vec![SignatureCheck {
                message: signed,
                signature: m.signature,
                key: announcement.signing_key,
                what: SignedObject::GroupMessage,
            }])
        }
    }
}

/// Verifies one item.
pub fn verify(item: &Item<'_>) -> Result<(), VerifyError> {
    for check in checks(item)? {
        check.run()?;
    }
    Ok(())
}

/// Verifies many items with one batch verification; one result per item,
/// in order, equal to what [`verify`] says of each.
pub fn verify_batch(items: &[Item<'_>]) -> Vec<Result<(), VerifyError>> {
    let decoded: Vec<Result<Vec<SignatureCheck>, VerifyError>> = items.iter().map(checks).collect();
    let flat: Vec<&SignatureCheck> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok())
        .flatten()
        .collect();
    let parts: Vec<[&[u8]; 1]> = flat.iter().map(|c| [c.message.as_slice()]).collect();
    let batch: Vec<(&[&[u8]], _, _)> = flat
        .iter()
        .zip(parts.iter())
        .map(|(c, p)| (p.as_slice(), &c.signature, &c.key))
        .collect();
    let mut verdicts = verify_batch_parts(&batch).into_iter();
    decoded
        .into_iter()
        .map(|d| {
            let mut first_failure = None;
            for check in d? {
                let ok = verdicts.next().unwrap_or(false);
                if !ok && first_failure.is_none() {
                    first_failure = Some(SignatureError::Invalid(check.what));
                }
            }
            first_failure.map_or(Ok(()), |e| Err(e.into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IdentityKeyPair, OutboundGroupSession, PreKeyStore, RotationPolicy};
    use chacha20::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn batch_equals_single_and_names_the_failing_signature() {
        let mut rng = ChaCha20Rng::from_seed([11; 32]);
        let mut bundles = Vec::new();
        let mut identities = Vec::new();
        for _ in 0..5 {
            let id = IdentityKeyPair::generate(&mut rng);
            identities.push(id.public().to_bytes());
            bundles.push(PreKeyStore::new(&mut rng, id).bundle().unwrap().to_bytes());
        }
        let id = IdentityKeyPair::generate(&mut rng);
        let mut out =
            OutboundGroupSession::new(&mut rng, b"g", RotationPolicy::DEFAULT, 0).unwrap();
        let announcement_bytes = out.distribution(&id).announcement().to_bytes();
        let announcement = SenderKeyAnnouncement::from_bytes(&announcement_bytes).unwrap();
        let msgs: Vec<Vec<u8>> = (0..5).map(|i| out.encrypt(&[i]).unwrap()).collect();
        // Break: bundle 2's ML-KEM prekey signature, identity 4's binding,
        // message 1's signature; bundle 3 malformed.
        let n = bundles[2].len();
        bundles[2][n - 40] ^= 1;
        identities[4][10] ^= 1;
        let mut msgs = msgs;
        let m = msgs[1].len();
        msgs[1][m - 1] ^= 1;
        bundles[3].truncate(100);
        let mut items: Vec<Item<'_>> = Vec::new();
        items.extend(bundles.iter().map(|b| Item::Bundle(b)));
        items.extend(identities.iter().map(|b| Item::Identity(b)));
        items.push(Item::Announcement(&announcement_bytes));
        items.extend(msgs.iter().map(|m| Item::GroupMessage {
            announcement: &announcement,
            message: m,
        }));
        let batch = verify_batch(&items);
        let single: Vec<_> = items.iter().map(verify).collect();
        assert_eq!(batch, single);
        assert_eq!(
            batch[2],
            Err(SignatureError::Invalid(SignedObject::KemPreKey).into())
        );
        assert!(matches!(batch[3], Err(VerifyError::Decode(_))));
        assert_eq!(
            batch[9],
            Err(SignatureError::Invalid(SignedObject::IdentityBinding).into())
        );
        assert_eq!(
            batch[12],
            Err(SignatureError::Invalid(SignedObject::GroupMessage).into())
        );
        let ok = batch.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, items.len() - 4);
    }
}
