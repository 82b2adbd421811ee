//! Sending one message to every device of a conversation (docs/PROTOCOL.md
//! §14.5): the contact's listed devices and this account's other devices,
//! and no one else.

use alloc::collections::{BTreeMap, BTreeSet};
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
    let envelope = seal_envelope(
        account.account_key(),
        contact.account(),
        heads.as_ref(),
        body,
    );
    // Devices are matched by their Ed25519 key (public values: no need for
    // constant time), through an index, so the work is linear in devices.
    let key = |id: &IdentityKey| *id.signing_key().as_bytes();
    let own_device = key(account.device());
    let targets: Vec<IdentityKey> = contact
        .devices()
        .iter()
        .chain(account.list().devices())
        .map(|d| d.identity)
        .filter(|id| key(id) != own_device)
        .collect();
    let target_keys: BTreeSet<[u8; 32]> = targets.iter().map(key).collect();
    // The first session with a device is the one used, as before.
    let mut by_device: BTreeMap<[u8; 32], usize> = BTreeMap::new();
    for (i, s) in sessions.iter().enumerate() {
        by_device.entry(key(s.remote_identity())).or_insert(i);
    }
    let mut out: Vec<Delivery> = targets
        .iter()
        .map(|device| {
            let result = match by_device
                .get(&key(device))
                .and_then(|i| sessions.get_mut(*i))
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
        if !target_keys.contains(&key(remote)) {
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
/// session in a conversation with `contact`. The envelope names the
/// sending account and the addressed one: the contact's account to this
/// one, or (a copy from this account's other device) this account to the
/// contact's; anything else is `Misaddressed`, and a sending device not in
/// the named sending account's newest list is `DeviceNotListed`. So a
/// device that several accounts list is always attributed to the account
/// its own envelope names.
pub fn receive<'a>(
    account: &Account,
    contact: &Contact,
    sender: &IdentityKey,
    plaintext: &'a [u8],
) -> Result<Received<'a>, AccountError> {
    let envelope = open_envelope(plaintext).map_err(VerifyError::from)?;
    let (held_sender, held_peer, listed) = if envelope.sender == *contact.account()
        && envelope.recipient == *account.account_key()
    {
        (contact.head(), account.head(), contact.allows(sender))
    } else if envelope.sender == *account.account_key() && envelope.recipient == *contact.account()
    {
        let listed = account.list().contains(sender) && !sender.ct_eq(account.device());
        (account.head(), contact.head(), listed)
    } else {
        return Err(AccountError::Misaddressed);
    };
    if !listed {
        return Err(AccountError::DeviceNotListed);
    }
    Ok(Received {
        body: envelope.body,
        report: envelope
            .heads
            .map(|h| HeadReport::new(&h, held_sender, held_peer)),
    })
}
