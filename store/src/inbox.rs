//! The inbox (docs/PROTOCOL.md §17.2): one row per transaction that
//! decrypted something, holding every message it decrypted, so a catch-up
//! of 500 messages writes one row, not 500. A message's id is its row's id
//! times 2^16 plus its place in the row; `ack` marks it, and the row goes
//! once every message in it is acknowledged.

use qorgan::StorageKey;
use rusqlite::Connection;

use crate::StoreError;
use crate::db::{Mailbox, Tx, read_mailbox};
use crate::mail::Incoming;
use crate::record::{In, Out};

/// Messages per inbox row at most (the id keeps 16 bits for the place).
/// Row ids are themselves `generation × 2^16 + n` (`Tx::append`), so a
/// message id is `generation × 2^32 + n × 2^16 + place`: unique for
/// 2^31 commits.
pub(crate) const ROW_CAPACITY: usize = 1 << 16;

fn encode(items: &[(bool, Incoming)]) -> zeroize::Zeroizing<Vec<u8>> {
    let mut o = Out::default();
    o.u32(u32::try_from(items.len()).unwrap_or(u32::MAX));
    for (acked, item) in items {
        o.u8(u8::from(*acked)).bytes(&item.encode());
    }
    zeroize::Zeroizing::new(o.0)
}

fn decode(row: i64, v: &[u8]) -> Result<Vec<(bool, Incoming)>, StoreError> {
    let mut r = In(v);
    let n = r.u32()? as usize;
    if n > ROW_CAPACITY {
        return Err(StoreError::Corrupt("inbox row".into()));
    }
    let mut out = Vec::with_capacity(n.min(1024));
    // One sender's identity is checked once per row, not once per message.
    let mut known: Vec<(Vec<u8>, qorgan::IdentityKey)> = Vec::new();
    for i in 0..n {
        let acked = r.flag()?;
        out.push((
            acked,
            Incoming::decode_with(id(row, i), r.bytes()?, &mut known)?,
        ));
    }
    r.finish()?;
    Ok(out)
}

fn id(row: i64, place: usize) -> i64 {
    row.saturating_mul(ROW_CAPACITY as i64)
        .saturating_add(i64::try_from(place).unwrap_or(0))
}

/// Writes the messages a transaction decrypted as one row; returns them
/// with their ids.
pub(crate) fn commit(tx: &mut Tx<'_>, items: Vec<Incoming>) -> Result<Vec<Incoming>, StoreError> {
    if items.is_empty() {
        return Ok(items);
    }
    if items.len() > ROW_CAPACITY {
        return Err(StoreError::InvalidPayload(
            "too many messages in one transaction",
        ));
    }
    let rows: Vec<(bool, Incoming)> = items.into_iter().map(|i| (false, i)).collect();
    let row = tx.append(Mailbox::Inbox, &encode(&rows))?;
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(place, (_, mut item))| {
            item.id = id(row, place);
            item
        })
        .collect())
}

/// Every message not acknowledged, oldest first.
pub(crate) fn pending(conn: &Connection, key: &StorageKey) -> Result<Vec<Incoming>, StoreError> {
    let mut out = Vec::new();
    for (row, v) in read_mailbox(conn, key, Mailbox::Inbox)? {
        out.extend(
            decode(row, &v)?
                .into_iter()
                .filter(|(acked, _)| !acked)
                .map(|(_, item)| item),
        );
    }
    Ok(out)
}

/// Acknowledges one message.
pub(crate) fn ack(tx: &mut Tx<'_>, message: i64) -> Result<(), StoreError> {
    let row = message / ROW_CAPACITY as i64;
    let place = usize::try_from(message % ROW_CAPACITY as i64)
        .map_err(|_| StoreError::NotFound("inbox entry"))?;
    let v = tx
        .mail(Mailbox::Inbox, row)?
        .ok_or(StoreError::NotFound("inbox entry"))?;
    let mut items = decode(row, &v)?;
    match items.get_mut(place) {
        Some((acked, _)) if !*acked => *acked = true,
        _ => return Err(StoreError::NotFound("inbox entry")),
    }
    if items.iter().all(|(acked, _)| *acked) {
        tx.remove(Mailbox::Inbox, row)?;
    } else {
        tx.write_mail(Mailbox::Inbox, row, &encode(&items))?;
    }
    Ok(())
}

/// Fuzzing: an inbox row decodes, and re-encodes to the same bytes.
pub(crate) fn fuzz_row(bytes: &[u8]) {
    if let Ok(items) = decode(1, bytes) {
        assert_eq!(encode(&items).as_slice(), bytes);
    }
}

/// Fuzzing seed: a row of one acknowledged and one waiting message.
pub(crate) fn seed_row(item: Incoming) -> Vec<u8> {
    encode(&[(true, item.clone()), (false, item)]).to_vec()
}
