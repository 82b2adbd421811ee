//! Model-based test of sender-key groups: one sender, two members (one
//! decrypts message by message, the other in batches), random sends,
//! rotations, reordered deliveries, drops, duplicates, save/restore, and
//! an operator replaying any earlier distribution (or an export of an
//! earlier state) at any time.
//! Every delivered message decrypts exactly once to what was sent, unless
//! its chain has left the member's ring (the documented bound); replays are
//! always refused; failures never change state.

use proptest::prelude::*;
use qorgan::group::GroupMessageInfo;
use qorgan::{IdentityKeyPair, OutboundGroupSession, RotationPolicy, SenderKeyRing, StorageKey};
use qorgan_tests::rng;

#[derive(Debug, Clone)]
enum Op {
    Send(usize),
    Rotate,
    Deliver {
        batch: bool,
        pick: usize,
    },
    DeliverMany {
        batch: bool,
        count: usize,
    },
    Duplicate {
        batch: bool,
        pick: usize,
    },
    Drop {
        batch: bool,
        pick: usize,
    },
    SaveRestore {
        batch: bool,
    },
    /// The operator re-delivers distribution `pick` (any earlier one).
    Replay {
        batch: bool,
        pick: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0usize..100).prop_map(Op::Send),
        1 => Just(Op::Rotate),
        4 => (any::<bool>(), any::<usize>()).prop_map(|(batch, pick)| Op::Deliver { batch, pick }),
        2 => (any::<bool>(), 1usize..20).prop_map(|(batch, count)| Op::DeliverMany { batch, count }),
        1 => (any::<bool>(), any::<usize>()).prop_map(|(batch, pick)| Op::Duplicate { batch, pick }),
        1 => (any::<bool>(), any::<usize>()).prop_map(|(batch, pick)| Op::Drop { batch, pick }),
        1 => any::<bool>().prop_map(|batch| Op::SaveRestore { batch }),
        1 => (any::<bool>(), any::<usize>()).prop_map(|(batch, pick)| Op::Replay { batch, pick }),
    ]
}

struct Member {
    ring: SenderKeyRing,
    in_flight: Vec<(Vec<u8>, Vec<u8>)>,
    delivered: Vec<Vec<u8>>,
}

impl Member {
    fn chain_held(&self, message: &[u8]) -> bool {
        let id = GroupMessageInfo::peek(message).unwrap().chain_id;
        self.ring.chains().any(|c| c.chain_id() == id)
    }
}

fn run(seed: u64, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut r = rng(seed);
    let identity = IdentityKeyPair::generate(&mut r);
    let policy = RotationPolicy {
        max_messages: u32::MAX,
        max_age_secs: u64::MAX,
    };
    let mut out = OutboundGroupSession::new(&mut r, b"model", policy, 0).unwrap();
    let dist = out.distribution(&identity);
    let mut sent_distributions = vec![dist.clone()];
    let mut members = [true, false].map(|_| Member {
        ring: SenderKeyRing::new(&dist, identity.public()).unwrap(),
        in_flight: Vec::new(),
        delivered: Vec::new(),
    });
    let key = StorageKey::generate(&mut r);
    let mut counter = 0u32;

    for op in ops {
        match op {
            Op::Send(len) => {
                counter += 1;
                let mut pt = counter.to_be_bytes().to_vec();
                pt.resize(4 + len, 0xAB);
                let m = out.encrypt(&mut r, &identity, &pt).unwrap();
                // A distribution of the chain at its new position: what a
                // member joining now would get, and what the operator can
                // replay later.
                sent_distributions.push(out.distribution(&identity));
                for member in &mut members {
                    member.in_flight.push((m.clone(), pt.clone()));
                }
            }
            Op::Rotate => {
                out.rotate(&mut r, 0).unwrap();
                let d = out.distribution(&identity);
                sent_distributions.push(d.clone());
                for member in &mut members {
                    member.ring.add(&d, identity.public()).unwrap();
                }
            }
            Op::Deliver { batch, pick } => {
                let member = &mut members[usize::from(batch)];
                if member.in_flight.is_empty() {
                    continue;
                }
                let (m, pt) = member.in_flight.remove(pick % member.in_flight.len());
                let held = member.chain_held(&m);
                let before = member.ring.to_bytes().to_vec();
                match member.ring.decrypt(&m) {
                    Ok(got) => {
                        prop_assert_eq!(got.plaintext, pt);
                        prop_assert!(got.sender.ct_eq(identity.public()));
                        member.delivered.push(m);
                    }
                    Err(e) => {
                        prop_assert!(!held, "delivery failed for a held chain: {e:?}");
                        prop_assert_eq!(before, member.ring.to_bytes().to_vec());
                    }
                }
            }
            Op::DeliverMany { batch, count } => {
                let member = &mut members[usize::from(batch)];
                let n = count.min(member.in_flight.len());
                // Take from the back: the newest messages, out of order with
                // respect to those left in flight.
                let taken: Vec<(Vec<u8>, Vec<u8>)> =
                    member.in_flight.split_off(member.in_flight.len() - n);
                let refs: Vec<&[u8]> = taken.iter().map(|(m, _)| m.as_slice()).collect();
                let held: Vec<bool> = taken.iter().map(|(m, _)| member.chain_held(m)).collect();
                let results = if batch {
                    member.ring.decrypt_batch(&refs)
                } else {
                    refs.iter().map(|m| member.ring.decrypt(m)).collect()
                };
                for (((m, pt), res), held) in taken.iter().zip(results).zip(held) {
                    match res {
                        Ok(got) => {
                            prop_assert_eq!(&got.plaintext, pt);
                            member.delivered.push(m.clone());
                        }
                        Err(e) => {
                            prop_assert!(!held, "batch delivery failed for a held chain: {e:?}")
                        }
                    }
                }
            }
            Op::Duplicate { batch, pick } => {
                let member = &mut members[usize::from(batch)];
                if member.delivered.is_empty() {
                    continue;
                }
                let m = member.delivered[pick % member.delivered.len()].clone();
                let before = member.ring.to_bytes().to_vec();
                let res = if batch {
                    member.ring.decrypt_batch(&[&m]).remove(0)
                } else {
                    member.ring.decrypt(&m)
                };
                prop_assert!(res.is_err(), "replay accepted");
                prop_assert_eq!(before, member.ring.to_bytes().to_vec());
            }
            Op::Drop { batch, pick } => {
                let member = &mut members[usize::from(batch)];
                if !member.in_flight.is_empty() {
                    let n = member.in_flight.len();
                    member.in_flight.remove(pick % n);
                }
            }
            Op::Replay { batch, pick } => {
                let member = &mut members[usize::from(batch)];
                let d = &sent_distributions[pick % sent_distributions.len()];
                let before = member.ring.to_bytes().to_vec();
                // A replayed distribution merges (never rewinding) or is
                // refused as retired; nothing else.
                match member.ring.add(d, identity.public()) {
                    Ok(()) => {}
                    Err(qorgan::GroupError::RetiredChain { .. }) => {
                        prop_assert_eq!(before, member.ring.to_bytes().to_vec());
                    }
                    Err(e) => prop_assert!(false, "replayed distribution: {e:?}"),
                }
            }
            Op::SaveRestore { batch } => {
                let member = &mut members[usize::from(batch)];
                let restored =
                    qorgan_tests::seal_and_open!(SenderKeyRing, member.ring, &mut r, &key).unwrap();
                prop_assert_eq!(restored.to_bytes(), member.ring.to_bytes());
                member.ring = restored;
                out = OutboundGroupSession::from_bytes(&out.to_bytes()).unwrap();
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn every_group_message_decrypts_exactly_once(seed in any::<u64>(), ops in prop::collection::vec(op(), 1..80)) {
        run(seed, ops)?;
    }
}
