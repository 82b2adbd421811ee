//! Stateless signature checks for servers: device identities, prekey
//! bundles and uploads, sender-key announcements and group messages, device
//! lists, group rosters, statements (certificates), presentations and
//! revocation lists, one at a time or in batches. No session, no secret,
//! nothing stored.
//!
//! A batch decodes every item, gathers every Ed25519 signature the items
//! carry (a bundle has three: identity binding, signed prekey, ML-KEM
//! prekey) and checks them all with one batch verification (docs/PROTOCOL.md
//! §2.4: the same verdict as one-by-one verification, item for item). Each
//! item gets its own result, naming the first signature that failed.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::account::{AccountKey, DeviceList};
use crate::bundle::PreKeyBundle;
use crate::certificate::{Presentation, RevocationList, Statement, TrustAnchor};
use crate::codec::Reader;
use crate::error::{AccountError, Head};
use crate::error::{DecodeError, SignatureError, SignedObject, VerifyError};
use crate::group::SenderKeyAnnouncement;
use crate::group::message::ParsedGroupMessage;
use crate::identity::{IdentityKey, SignatureCheck};
use crate::primitives::ed25519::{verify_all_parts, verify_batch_parts};
use crate::roster::Roster;
use crate::roster::signed_by_admin_of;
use crate::upload::PreKeyUpload;
use crate::wire;

/// One thing to verify.
// `DeviceListAfter` carries a decoded account key (about 200 bytes): items
// live briefly, in batches, and a reference would make callers keep the key.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
pub enum Item<'a> {
    /// A standalone identity key (`0x01 0x11 …`): its binding signature.
    Identity(&'a [u8]),
    /// A prekey bundle: identity binding, signed prekey, ML-KEM prekey.
    Bundle(&'a [u8]),
    /// A prekey upload (`0x01 0x12 …`): identity binding, every prekey
    /// signature and the upload's own signature.
    Upload(&'a [u8]),
    /// A sender-key announcement (`0x02 0x23 …`): identity binding, the
    /// chain key's proof of possession and the identity's signature.
    Announcement(&'a [u8]),
    /// A device list (`0x01 0x30 …`): every device's identity binding and
    /// the account's signature, and the rules of docs/PROTOCOL.md §14.1.
    DeviceList(&'a [u8]),
    /// A device list that must directly follow the list with head
    /// `previous` (version one more, previous hash equal): what a server
    /// checks before replacing the list it holds.
    DeviceListAfter {
        /// The account whose list is held (a list of another account is
        /// refused, whatever its `previous` field says).
        account: AccountKey,
        /// Head of the list held.
        previous: Head,
        /// The new list's bytes.
        list: &'a [u8],
    },
    /// A group roster (`0x01 0x34 …`): the rules of docs/PROTOCOL.md
    /// §15.1 and the signer's signature; for epoch 1, the signer must be
    /// one of its admins.
    Roster(&'a [u8]),
    /// A roster that must directly follow `previous` (same group, epoch
    /// one more, previous hash equal) and be signed by one of `previous`'s
    /// admins: what a server checks before replacing the roster it holds.
    RosterAfter {
        /// The roster held.
        previous: &'a Roster,
        /// The new roster's bytes.
        roster: &'a [u8],
    },
    /// A statement or certificate (`0x01 0x35 …`): the rules of §16.1 and
    /// the issuer's signature, whoever the issuer is.
    Statement(&'a [u8]),
    /// A revocation list (`0x01 0x37 …`): the rules of §16.3 and the
    /// issuer's signature.
    RevocationList(&'a [u8]),
    /// A presentation (`0x01 0x36 …`) checked as
    /// [`Presentation::verify`] does: anchored, chained, valid at `now`,
    /// not revoked, every signature.
    Presentation {
        /// The presentation's bytes (decode a QR text with
        /// [`Presentation::from_text`] and pass `to_bytes`, or use
        /// [`Presentation::verify`] directly).
        presentation: &'a [u8],
        /// The organisation keys trusted.
        anchors: &'a [TrustAnchor],
        /// Revocation lists, verified.
        revocations: &'a [RevocationList],
        /// Seconds since 1970.
        now: u64,
    },
    /// A group message, against its chain's (already verified)
    /// announcement: chain id and signature, which covers the announced
    /// sender and group, so a message verifies under its author's
    /// announcement only.
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

/// Decodes a device list for verification; its §14.1 rule violations are
/// decoding errors here.
fn device_list(bytes: &[u8]) -> Result<DeviceList, VerifyError> {
    DeviceList::decode_unverified(bytes).map_err(|e| match e {
        AccountError::Verify(v) => v,
        AccountError::InvalidList(why) => DecodeError::InvalidField(why).into(),
        _ => DecodeError::InvalidField("device list").into(),
    })
}

fn checks(item: &Item<'_>) -> Result<Vec<SignatureCheck>, VerifyError> {
    match item {
        Item::Identity(bytes) => identity_checks(bytes),
        Item::Bundle(bytes) => Ok(PreKeyBundle::decode_unverified(bytes)?.checks().into()),
        Item::Upload(bytes) => Ok(PreKeyUpload::decode_unverified(bytes)?.checks()),
        Item::Announcement(bytes) => Ok(SenderKeyAnnouncement::decode_unverified(bytes)?
            .checks()
            .into()),
        Item::DeviceList(bytes) => Ok(device_list(bytes)?.checks()),
        Item::DeviceListAfter {
            account,
            previous,
            list,
        } => {
            let list = device_list(list)?;
            if list.account() != account || !list.follows(previous) {
                return Err(VerifyError::NotSuccessor {
                    version: list.version(),
                    previous_version: previous.version,
                });
            }
            Ok(list.checks())
        }
        Item::Roster(bytes) => {
            let roster = Roster::decode_unverified(bytes)?;
            roster.check_genesis_signer()?;
            Ok(roster.checks())
        }
        Item::RosterAfter { previous, roster } => {
            let roster = Roster::decode_unverified(roster)?;
            if roster.group_id() != previous.group_id() || !roster.follows(&previous.head()) {
                return Err(VerifyError::RosterNotSuccessor {
                    epoch: roster.epoch(),
                    previous_epoch: previous.epoch(),
                });
            }
            signed_by_admin_of(&roster, previous)?;
            Ok(roster.checks())
        }
        Item::Statement(bytes) => Ok(alloc::vec![Statement::decode_unverified(bytes)?.check()]),
        Item::RevocationList(bytes) => Ok(alloc::vec![
            RevocationList::decode_unverified(bytes)?.check()
        ]),
        Item::Presentation {
            presentation,
            anchors,
            revocations,
            now,
        } => Ok(Presentation::from_bytes(presentation)?
            .evaluate(anchors, revocations, *now)?
            .1),
        Item::GroupMessage {
            announcement,
            message,
        } => {
            let m = ParsedGroupMessage::parse(message)?;
            if m.chain_id != announcement.chain_id {
                return Err(DecodeError::InvalidField("group message for another chain").into());
            }
            let signed = m.signed_parts(&announcement.message_context()).concat();
            Ok(alloc::vec![SignatureCheck {
                message: signed,
                signature: m.signature,
                key: announcement.signing_key,
                what: SignedObject::GroupMessage,
            }])
        }
    }
}

/// Runs the checks of one object together (one combination when they all
/// hold, `verify_all_parts`) and names the first that fails, as running
/// them one by one would.
pub(crate) fn run_checks(checks: &[SignatureCheck]) -> Result<(), SignatureError> {
    let parts: Vec<[&[u8]; 1]> = checks.iter().map(|c| [c.message.as_slice()]).collect();
    let all: Vec<(&[&[u8]], _, _)> = checks
        .iter()
        .zip(parts.iter())
        .map(|(c, p)| (p.as_slice(), &c.signature, &c.key))
        .collect();
    match verify_all_parts(&all).and_then(|i| checks.get(i)) {
        Some(check) => Err(SignatureError::Invalid(check.what)),
        None => Ok(()),
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

/// An item as a server receives it: a group message names its chain's
/// announcement by bytes rather than as a decoded [`SenderKeyAnnouncement`].
#[allow(clippy::large_enum_variant)] // as `Item`
#[derive(Clone, Copy, Debug)]
pub enum Encoded<'a> {
    /// As [`Item::Identity`].
    Identity(&'a [u8]),
    /// As [`Item::Bundle`].
    Bundle(&'a [u8]),
    /// As [`Item::Upload`].
    Upload(&'a [u8]),
    /// As [`Item::DeviceList`].
    DeviceList(&'a [u8]),
    /// As [`Item::DeviceListAfter`].
    DeviceListAfter {
        /// The account whose list is held.
        account: AccountKey,
        /// Head of the list held.
        previous: Head,
        /// The new list's bytes.
        list: &'a [u8],
    },
    /// As [`Item::Announcement`].
    Announcement(&'a [u8]),
    /// As [`Item::Roster`].
    Roster(&'a [u8]),
    /// As [`Item::RosterAfter`], the held roster encoded (it was verified
    /// when it was stored; it is decoded, not verified again).
    RosterAfter {
        /// The held roster's bytes.
        previous: &'a [u8],
        /// The new roster's bytes.
        roster: &'a [u8],
    },
    /// As [`Item::Statement`].
    Statement(&'a [u8]),
    /// As [`Item::RevocationList`].
    RevocationList(&'a [u8]),
    /// As [`Item::Presentation`].
    Presentation {
        /// The presentation's bytes.
        presentation: &'a [u8],
        /// The organisation keys trusted.
        anchors: &'a [TrustAnchor],
        /// Revocation lists, verified.
        revocations: &'a [RevocationList],
        /// Seconds since 1970.
        now: u64,
    },
    /// A group message and its chain's announcement, both encoded.
    GroupMessage {
        /// The announcement's bytes.
        announcement: &'a [u8],
        /// The group message's bytes.
        message: &'a [u8],
    },
}

/// Why an [`Encoded`] item failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncodedError {
    /// The group message's announcement did not decode or verify.
    Announcement(VerifyError),
    /// The held roster of a `RosterAfter` item did not decode.
    Previous(VerifyError),
    /// The item itself did not decode or verify.
    Item(VerifyError),
}

/// Verifies encoded items with one batch verification; one result per
/// item, in order. Each distinct announcement named by group messages is
/// decoded and verified once, however many messages name it; the rest is
/// [`verify_batch`].
pub fn verify_encoded_batch(items: &[Encoded<'_>]) -> Vec<Result<(), EncodedError>> {
    let mut announcements: BTreeMap<&[u8], Result<SenderKeyAnnouncement, VerifyError>> =
        BTreeMap::new();
    for item in items {
        if let Encoded::GroupMessage { announcement, .. } = item {
            announcements
                .entry(announcement)
                .or_insert_with(|| SenderKeyAnnouncement::from_bytes(announcement));
        }
    }
    let mut rosters: BTreeMap<&[u8], Result<Roster, VerifyError>> = BTreeMap::new();
    for item in items {
        if let Encoded::RosterAfter { previous, .. } = item {
            rosters
                .entry(previous)
                .or_insert_with(|| Roster::decode_unverified(previous));
        }
    }
    // Each item either goes into the batch or has failed already.
    let prepared: Vec<Result<Item<'_>, EncodedError>> = items
        .iter()
        .map(|item| match *item {
            Encoded::Identity(b) => Ok(Item::Identity(b)),
            Encoded::Bundle(b) => Ok(Item::Bundle(b)),
            Encoded::Upload(b) => Ok(Item::Upload(b)),
            Encoded::DeviceList(b) => Ok(Item::DeviceList(b)),
            Encoded::DeviceListAfter {
                account,
                previous,
                list,
            } => Ok(Item::DeviceListAfter {
                account,
                previous,
                list,
            }),
            Encoded::Announcement(b) => Ok(Item::Announcement(b)),
            Encoded::Roster(b) => Ok(Item::Roster(b)),
            Encoded::RosterAfter { previous, roster } => match rosters.get(previous) {
                Some(Ok(previous)) => Ok(Item::RosterAfter { previous, roster }),
                Some(Err(e)) => Err(EncodedError::Previous(e.clone())),
                None => Err(EncodedError::Previous(
                    DecodeError::InvalidField("roster").into(),
                )),
            },
            Encoded::Statement(b) => Ok(Item::Statement(b)),
            Encoded::RevocationList(b) => Ok(Item::RevocationList(b)),
            Encoded::Presentation {
                presentation,
                anchors,
                revocations,
                now,
            } => Ok(Item::Presentation {
                presentation,
                anchors,
                revocations,
                now,
            }),
            Encoded::GroupMessage {
                announcement,
                message,
            } => match announcements.get(announcement) {
                Some(Ok(a)) => Ok(Item::GroupMessage {
                    announcement: a,
                    message,
                }),
                Some(Err(e)) => Err(EncodedError::Announcement(e.clone())),
                // Every announcement was decoded above.
                None => Err(EncodedError::Announcement(
                    DecodeError::InvalidField("announcement").into(),
                )),
            },
        })
        .collect();
    let batch: Vec<Item<'_>> = prepared
        .iter()
        .filter_map(|p| p.as_ref().ok().copied())
        .collect();
    let mut verdicts = verify_batch(&batch).into_iter();
    prepared
        .into_iter()
        .map(|p| match p {
            Err(e) => Err(e),
            Ok(_) => match verdicts.next() {
                Some(v) => v.map_err(EncodedError::Item),
                None => Err(EncodedError::Item(
                    DecodeError::InvalidField("verdict").into(),
                )),
            },
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
            bundles.push(
                PreKeyStore::new(&mut rng, id, 0)
                    .bundle()
                    .unwrap()
                    .to_bytes(),
            );
        }
        let id = IdentityKeyPair::generate(&mut rng);
        let mut out =
            OutboundGroupSession::new(&mut rng, b"g", RotationPolicy::DEFAULT, 0).unwrap();
        let announcement_bytes = out.distribution(&id).announcement().to_bytes();
        let announcement = SenderKeyAnnouncement::from_bytes(&announcement_bytes).unwrap();
        let msgs: Vec<Vec<u8>> = (0..5)
            .map(|i| out.encrypt(&mut rng, &id, &[i]).unwrap())
            .collect();
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

    #[test]
    fn encoded_batch_decodes_each_announcement_once_and_names_where_it_failed() {
        let mut rng = ChaCha20Rng::from_seed([12; 32]);
        let id = IdentityKeyPair::generate(&mut rng);
        let identity = id.public().to_bytes();
        let mut out =
            OutboundGroupSession::new(&mut rng, b"g", RotationPolicy::DEFAULT, 0).unwrap();
        let ann = out.distribution(&id).announcement().to_bytes();
        let mut bad_ann = ann.clone();
        let n = bad_ann.len();
        bad_ann[n - 1] ^= 1;
        let m0 = out.encrypt(&mut rng, &id, b"0").unwrap();
        let mut m1 = out.encrypt(&mut rng, &id, b"1").unwrap();
        let k = m1.len();
        m1[k - 1] ^= 1;
        let items = [
            Encoded::Identity(&identity),
            Encoded::GroupMessage {
                announcement: &ann,
                message: &m0,
            },
            Encoded::GroupMessage {
                announcement: &ann,
                message: &m1,
            },
            Encoded::GroupMessage {
                announcement: &bad_ann,
                message: &m0,
            },
            Encoded::Bundle(&[1, 2, 3]),
        ];
        let results = verify_encoded_batch(&items);
        assert_eq!(results.len(), 5);
        assert_eq!(results[0], Ok(()));
        assert_eq!(results[1], Ok(()));
        assert_eq!(
            results[2],
            Err(EncodedError::Item(
                SignatureError::Invalid(SignedObject::GroupMessage).into()
            ))
        );
        assert_eq!(
            results[3],
            Err(EncodedError::Announcement(
                SenderKeyAnnouncement::from_bytes(&bad_ann).unwrap_err()
            ))
        );
        assert!(matches!(
            results[4],
            Err(EncodedError::Item(VerifyError::Decode(_)))
        ));
        // The same verdicts as decoding the announcement and using verify.
        let a = SenderKeyAnnouncement::from_bytes(&ann).unwrap();
        for (m, r) in [(&m0, &results[1]), (&m1, &results[2])] {
            let single = verify(&Item::GroupMessage {
                announcement: &a,
                message: m,
            });
            assert_eq!(single.map_err(EncodedError::Item), *r);
        }
    }
}
