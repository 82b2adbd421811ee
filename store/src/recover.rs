//! Opening a rolled-back store (docs/PROTOCOL.md §17.4).

use crate::StoreError;
use crate::account::{load_device, save_device};
use crate::db::{Kind, Mailbox, Tx};
use crate::mail::Event;

/// Deletes every session and forgets which one each peer uses (the lost
/// copy may have moved their ratchets on: using them could repeat a
/// message key or decrypt a message twice); rotates the prekeys the lost
/// copy may have handed out; forces every outbound group chain to rotate;
/// queues the event.
pub(crate) fn reset(tx: &mut Tx<'_>, store: u64, anchor: u64, now: u64) -> Result<(), StoreError> {
    tx.delete_all_sessions()?;
    for (id, _) in tx.all(Kind::Peer)? {
        tx.delete(Kind::Peer, &id)?;
    }
    let mut device = load_device(tx)?;
    device.rotate_signed_prekey(tx.rng, now);
    device.rotate_last_resort_kem_prekey(tx.rng, now);
    save_device(tx, &device)?;
    for (id, plain) in tx.all(Kind::Outbound)? {
        let mut s = qorgan::OutboundGroupSession::from_bytes(&plain)?;
        s.mark_member_removed();
        tx.put(Kind::Outbound, &id, &s.to_bytes())?;
    }
    tx.append(
        Mailbox::Events,
        &Event::RolledBack { store, anchor }.encode(),
    )?;
    Ok(())
}
