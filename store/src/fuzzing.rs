//! Entry points for the fuzz targets (docs/FUZZING.md): every decoder of
//! the store's own records, on arbitrary bytes. Not an API: hidden from the
//! docs, and nothing here reaches a file.

use crate::mail::{Event, Incoming, Outgoing};
use crate::payload::Payload;

/// Runs every record decoder on `bytes` (outbox entries, inbox entries,
/// events, inbox rows, 1:1 payloads) and checks that what decodes encodes
/// back to the same bytes. Panics only on a broken round trip.
pub fn decode_records(bytes: &[u8]) {
    if let Ok(o) = Outgoing::decode(1, bytes) {
        assert_eq!(Outgoing::encode(&o.to, &o.bytes), bytes);
    }
    if let Ok(i) = Incoming::decode_with(1, bytes, &mut Vec::new()) {
        assert_eq!(i.encode().as_slice(), bytes);
    }
    if let Ok(e) = Event::decode(bytes) {
        assert_eq!(e.encode(), bytes);
    }
    if let Ok(p) = Payload::decode(bytes) {
        assert_eq!(p.encode().as_slice(), bytes);
    }
    crate::inbox::fuzz_row(bytes);
    crate::direct::fuzz_peer(bytes);
}
