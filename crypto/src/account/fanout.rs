//! Sending one message to every device of a conversation (docs/PROTOCOL.md
//! §14.5): the contact's listed devices and this account's other devices,
//! and no one else.

use alloc::vec::Vec;
use rand_core::CryptoRng;

use super::contact::Contact;
use super::envelope::{open_envelope, seal_envelope};
use super::heads::HeadReport;
use super::own::Account;
use crate::error::{AccountError, FanoutError, VerifyError};
use crate::identity::IdentityKey;
use crate::session::Session;

/// One device's outcome of a fan-out.
#[derive(Debug)]
pub struct Delivery {
    /// The device.
    pub device: IdentityKey,
    /// The ciphertext to send it, or why it gets nothing.
    pub result: Result<Vec<u8>, FanoutError>,
}

/// Encrypts `body` (in an account envelope addressed to `contact`'s
/// account, with the device-list heads when they are due:
/// [`Contact::heads_to_send`]) for every device of `contact`'s newest list
/// and every other device of `account`, each through its session in
/// `sessions`. One [`Delivery`] per listed device (in list order, the
/// contact's first), then one `NotListed` per session with a device in
/// neither list: such a device gets nothing. The heads schedule counts the
/// message only if at least one device got it. Persist the sessions that
/// encrypted, and the contact, before sending.
pub fn fanout<R: CryptoRng + ?Sized>(
    rng: &mut R,
    account: &Account,
    contact: &mut Contact,
    sessions: &mut [Session],
    body: &[u8],
) -> Vec<Delivery> {
    let own = account.head();
    let heads = contact.heads_due(own);
    let envelope = seal_envelope(contact.account(), heads.as_ref(), body);
    let targets: Vec<IdentityKey> = contact
        .devices()
        .iter()
        .chain(account.other_devices().iter())
        .map(|d| d.identity)
        .collect();
    let mut out: Vec<Delivery> = targets
        .iter()
        .map(|device| {
            let result = match sessions
                .iter_mut()
                .find(|s| s.remote_identity().ct_eq(device))
            {
                Some(s) => s.encrypt(rng, &envelope).map_err(FanoutError::from),
                None => Err(FanoutError::NoSession),
            };
            Delivery {
                device: *device,
                result,
            }
        })
        .collect();
    if out.iter().any(|d| d.result.is_ok()) {
        contact.message_sent(heads);
    }
    for s in sessions.iter() {
        let remote = s.remote_identity();
        if !targets.iter().any(|t| t.ct_eq(remote)) {
            out.push(Delivery {
                device: *remote,
                result: Err(FanoutError::NotListed),
            });
        }
    }
    out
}

/// A received account envelope.
#[derive(Debug)]
pub struct Received<'a> {
    /// The application's body.
    pub body: &'a [u8],
    /// How the heads it carried compare with the lists held (`None` when it
    /// carried none). Show a fork to the user; fetch lists when newer.
    pub report: Option<HeadReport>,
}

/// Opens the account envelope of a message decrypted from `sender`'s
/// session in a conversation with `contact`. Refuses a sender in neither
/// `contact`'s nor `account`'s newest list (`DeviceNotListed`), and a
/// message addressed to another conversation (`Misaddressed`): from the
/// contact's devices it must name this account, from this account's other
/// devices the contact's.
pub fn receive<'a>(
    account: &Account,
    contact: &Contact,
    sender: &IdentityKey,
    plaintext: &'a [u8],
) -> Result<Received<'a>, AccountError> {
    let (held_sender, held_peer, addressed) = if contact.allows(sender) {
        (contact.head(), account.head(), account.account_key())
    } else if account.list().contains(sender) && !sender.ct_eq(account.device()) {
        (account.head(), contact.head(), contact.account())
    } else {
        return Err(AccountError::DeviceNotListed);
    };
    let envelope = open_envelope(plaintext).map_err(VerifyError::from)?;
    if envelope.recipient != *addressed {
        return Err(AccountError::Misaddressed);
    }
    Ok(Received {
        body: envelope.body,
        report: envelope
            .heads
            .map(|h| HeadReport::new(&h, held_sender, held_peer)),
    })
}
