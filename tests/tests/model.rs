//! Model-based test: random schedules of sends by either side, deliveries in
//! any order, drops, duplicates and save/restore. Checked after every step:
//! every delivered message decrypts exactly once to what was sent, every
//! replay is rejected, and every failed decrypt leaves the session unchanged.
//!
//! The one allowed failure of a first delivery is the documented limit: a
//! message whose chain is no longer among the receiver's newest
//! `MAX_RECEIVING_CHAINS` chains.

use proptest::prelude::*;
use qorgan::limits::MAX_RECEIVING_CHAINS;
use qorgan::{Session, StorageKey};
use qorgan_tests::{established, rng, snapshot};

#[derive(Debug, Clone)]
enum Op {
    Send { from_alice: bool, len: usize },
    Deliver { to_alice: bool, pick: usize },
    Duplicate { to_alice: bool, pick: usize },
    Drop { to_alice: bool, pick: usize },
    SaveRestore { alice: bool, sealed: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0usize..200).prop_map(|(from_alice, len)| Op::Send { from_alice, len }),
        4 => (any::<bool>(), any::<usize>()).prop_map(|(to_alice, pick)| Op::Deliver { to_alice, pick }),
        1 => (any::<bool>(), any::<usize>()).prop_map(|(to_alice, pick)| Op::Duplicate { to_alice, pick }),
        1 => (any::<bool>(), any::<usize>()).prop_map(|(to_alice, pick)| Op::Drop { to_alice, pick }),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(alice, sealed)| Op::SaveRestore { alice, sealed }),
    ]
}

struct InFlight {
    bytes: Vec<u8>,
    plaintext: Vec<u8>,
}

/// Per receiving side: messages in flight, messages delivered, and the
/// sender's chains in the order this side first decrypted from them.
#[derive(Default)]
struct Inbox {
    in_flight: Vec<InFlight>,
    delivered: Vec<Vec<u8>>,
    chains_seen: Vec<[u8; 32]>,
}

fn chain_of(message: &[u8]) -> [u8; 32] {
    // Normal messages (the model starts from an established pair): the
    // ratchet key follows the version and type bytes.
    message[2..34].try_into().unwrap()
}

fn run(seed: u64, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut r = rng(seed);
    let p = established(&mut r);
    let (mut alice, mut bob) = (p.alice, p.bob);
    let key = StorageKey::generate(&mut r);
    let mut to_alice = Inbox::default();
    let mut to_bob = Inbox::default();
    let mut counter = 0u32;

    for op in ops {
        match op {
            Op::Send { from_alice, len } => {
                counter += 1;
                let mut plaintext = counter.to_be_bytes().to_vec();
                plaintext.resize(4 + len, from_alice as u8);
                let (sender, inbox) = if from_alice {
                    (&mut alice, &mut to_bob)
                } else {
                    (&mut bob, &mut to_alice)
                };
                let bytes = sender.encrypt(&mut r, &plaintext).unwrap();
                inbox.in_flight.push(InFlight { bytes, plaintext });
            }
            Op::Deliver { to_alice: ta, pick } => {
                let (receiver, inbox) = if ta {
                    (&mut alice, &mut to_alice)
                } else {
                    (&mut bob, &mut to_bob)
                };
                if inbox.in_flight.is_empty() {
                    continue;
                }
                let m = inbox.in_flight.remove(pick % inbox.in_flight.len());
                let chain = chain_of(&m.bytes);
                let position = inbox.chains_seen.iter().position(|c| *c == chain);
                let must_work = match position {
                    None => true,
                    Some(i) => inbox.chains_seen.len() - i <= MAX_RECEIVING_CHAINS,
                };
                let before = snapshot(receiver);
                match receiver.decrypt(&m.bytes) {
                    Ok(pt) => {
                        prop_assert_eq!(&pt, &m.plaintext, "wrong plaintext");
                        if position.is_none() {
                            inbox.chains_seen.push(chain);
                        }
                        inbox.delivered.push(m.bytes);
                    }
                    Err(e) => {
                        prop_assert!(!must_work, "delivery failed within limits: {e:?}");
                        prop_assert_eq!(before, snapshot(receiver), "failed decrypt changed state");
                    }
                }
            }
            Op::Duplicate { to_alice: ta, pick } => {
                let (receiver, inbox) = if ta {
                    (&mut alice, &mut to_alice)
                } else {
                    (&mut bob, &mut to_bob)
                };
                if inbox.delivered.is_empty() {
                    continue;
                }
                let m = &inbox.delivered[pick % inbox.delivered.len()];
                let before = snapshot(receiver);
                prop_assert!(receiver.decrypt(m).is_err(), "replay accepted");
                prop_assert_eq!(before, snapshot(receiver), "rejected replay changed state");
            }
            Op::Drop { to_alice: ta, pick } => {
                let inbox = if ta { &mut to_alice } else { &mut to_bob };
                if !inbox.in_flight.is_empty() {
                    let n = inbox.in_flight.len();
                    inbox.in_flight.remove(pick % n);
                }
            }
            Op::SaveRestore { alice: a, sealed } => {
                let s = if a { &mut alice } else { &mut bob };
                let restored = if sealed {
                    qorgan_tests::seal_and_open!(Session, *s, &mut r, &key).unwrap()
                } else {
                    Session::from_bytes(&s.to_bytes()).unwrap()
                };
                prop_assert_eq!(snapshot(s), snapshot(&restored));
                *s = restored;
            }
        }
    }
    // Everything still in flight and within limits decrypts at the end.
    for (receiver, inbox) in [(&mut alice, &mut to_alice), (&mut bob, &mut to_bob)] {
        for m in std::mem::take(&mut inbox.in_flight) {
            let chain = chain_of(&m.bytes);
            let must_work = match inbox.chains_seen.iter().position(|c| *c == chain) {
                None => true,
                Some(i) => inbox.chains_seen.len() - i <= MAX_RECEIVING_CHAINS,
            };
            match receiver.decrypt(&m.bytes) {
                Ok(pt) => {
                    prop_assert_eq!(pt, m.plaintext);
                    if !inbox.chains_seen.contains(&chain) {
                        inbox.chains_seen.push(chain);
                    }
                }
                Err(e) => prop_assert!(!must_work, "final delivery failed within limits: {e:?}"),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_delivered_message_decrypts_exactly_once(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..80)) {
        run(seed, ops)?;
    }
}
