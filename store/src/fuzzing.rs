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

/// Valid encodings of every record kind, for the seed corpus: made from a
/// fixed identity (`identity`, the 128-byte field of any device).
pub fn seed_records(identity: &qorgan::IdentityKey) -> Vec<Vec<u8>> {
    use crate::mail::Destination;
    let incoming = Incoming {
        id: 0,
        from: *identity,
        group: Some(b"ops".to_vec()),
        session: Some([7; 32]),
        plaintext: b"hello".to_vec(),
    };
    let mut out = vec![
        Outgoing::encode(&Destination::Device(*identity), b"ciphertext"),
        Outgoing::encode(&Destination::Group(b"ops".to_vec()), b"group message"),
        incoming.encode().to_vec(),
        Event::SessionBroken { device: *identity }.encode(),
        Event::RosterChanged {
            group: b"ops".to_vec(),
            epoch: 3,
        }
        .encode(),
        Event::RolledBack {
            store: 4,
            anchor: 9,
        }
        .encode(),
        Event::Deferred { device: *identity }.encode(),
        Payload::Message(b"hi").encode().to_vec(),
        Payload::Reset.encode().to_vec(),
        Payload::Rosters(&[0, 0, 0, 0]).encode().to_vec(),
    ];
    out.push(crate::inbox::seed_row(incoming));
    out.push(crate::direct::seed_peer());
    out
}
