//! Opening a rolled-back store (docs/PROTOCOL.md §17.4).

use crate::StoreError;
use crate::account::{load_device, save_device};
use crate::db::{Kind, Mailbox, Tx};
use crate::mail::Event;

/// What the lost copy may have moved on is deleted, so nothing is
/// encrypted or decrypted twice: every session, its skipped keys and which
/// one each peer uses (their ratchets may have moved on); every prekey
/// (first messages the lost copy accepted would be accepted again:
/// `PreKeyStore::forget_after_rollback`); every other member's group chain
/// and the record of who has this device's chain (group messages it read
/// would read again; members redistribute after the reset); every
/// outbound group chain must rotate. The event tells the app.
pub(crate) fn reset(tx: &mut Tx<'_>, store: u64, anchor: u64, now: u64) -> Result<(), StoreError> {
    tx.delete_all_sessions()?;
    for kind in [Kind::Peer, Kind::Skipped, Kind::Ring, Kind::Distributed] {
        tx.delete_kind(kind)?;
    }
    let mut device = load_device(tx)?;
    device.forget_after_rollback(tx.rng, now);
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
