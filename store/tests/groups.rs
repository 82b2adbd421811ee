//! Groups through the store: a roster, chain keys to members' devices
//! only, a removal forcing a new chain the removed member cannot read.

mod common;

use common::*;
use qorgan::roster::{Member, Role};
use qorgan_store::{Delivery, Destination, Event, StoreError};

/// Delivers `from`'s group message (the outbox entry for the group) to
/// `to`.
fn deliver_group(
    from: &mut Person,
    to: &mut Person,
    group: &[u8],
) -> Vec<Result<Delivery, StoreError>> {
    let sender = *from.account.identity();
    from.account
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|o| o.to == Destination::Group(group.to_vec()))
        .map(|o| to.account.group_decrypt(group, &sender, &o.bytes))
        .collect()
}

fn clear_group_outbox(p: &mut Person) {
    for o in p.account.outbox().unwrap() {
        if matches!(o.to, Destination::Group(_)) {
            p.account.mark_sent(o.id).unwrap();
        }
    }
}

#[test]
fn a_group_reaches_members_and_a_removal_locks_the_removed_member_out() {
    let group = b"ops".as_slice();
    let mut alice = person("alice", 21);
    let mut bob = person("bob", 22);
    let mut carol = person("carol", 23);
    introduce(&mut alice, &mut bob);
    introduce(&mut alice, &mut carol);
    // Bob and Carol know each other too (for their own chains).
    let (lb, lc) = (
        bob.account.device_list().unwrap(),
        carol.account.device_list().unwrap(),
    );
    bob.account.update_contact(&[lc]).unwrap();
    carol.account.update_contact(&[lb]).unwrap();

    let members = [
        Member::new(*bob.account.account_key(), Role::Member),
        Member::new(*carol.account.account_key(), Role::Member),
    ];
    let roster = alice.account.create_group(group, &members, NOW).unwrap();
    assert_eq!(roster.epoch(), 1);
    let bob_id = *bob.account.identity();
    let carol_id = *carol.account.identity();
    alice.account.invite(group, &bob_id).unwrap();
    alice.account.invite(group, &carol_id).unwrap();
    for d in deliver(&mut alice, &mut bob) {
        assert_eq!(
            d,
            Delivery::Event(Event::RosterChanged {
                group: group.to_vec(),
                epoch: 1
            })
        );
    }
    deliver(&mut alice, &mut carol);

    // Alice's first group message hands her chain to both.
    let sent = alice.account.group_encrypt(group, b"orders", NOW).unwrap();
    assert_eq!(sent.distributions.len(), 2);
    assert!(sent.missing.is_empty());
    for d in deliver(&mut alice, &mut bob) {
        assert!(matches!(d, Delivery::Event(Event::GroupKey { .. })));
    }
    deliver(&mut alice, &mut carol);
    for p in [&mut bob, &mut carol] {
        let got = deliver_group(&mut alice, p, group);
        assert_eq!(text(got[0].as_ref().unwrap()), b"orders");
    }
    clear_group_outbox(&mut alice);
    // A second message needs no distribution.
    let sent = alice.account.group_encrypt(group, b"more", NOW).unwrap();
    assert!(sent.distributions.is_empty());
    assert_eq!(
        text(
            deliver_group(&mut alice, &mut bob, group)[0]
                .as_ref()
                .unwrap()
        ),
        b"more"
    );
    clear_group_outbox(&mut alice);

    // Alice removes Carol: the roster goes to Bob, her next message is on
    // a new chain that only Bob gets.
    let (r2, queued) = alice
        .account
        .change_members(
            group,
            &[
                Member::new(*bob.account.account_key(), Role::Member),
                Member::new(*alice.account.account_key(), Role::Admin),
            ],
        )
        .unwrap();
    assert_eq!(r2.epoch(), 2);
    assert_eq!(queued.len(), 1);
    deliver(&mut alice, &mut bob);
    assert_eq!(bob.account.roster(group).unwrap().unwrap().epoch(), 2);
    let sent = alice
        .account
        .group_encrypt(group, b"without Carol", NOW)
        .unwrap();
    assert_eq!(sent.distributions.len(), 1);
    assert_eq!(sent.distributions[0].to, Destination::Device(bob_id));
    deliver(&mut alice, &mut bob);
    assert_eq!(
        text(
            deliver_group(&mut alice, &mut bob, group)[0]
                .as_ref()
                .unwrap()
        ),
        b"without Carol"
    );
    // Carol holds only the old chain: she cannot read it.
    assert!(deliver_group(&mut alice, &mut carol, group)[0].is_err());
    // Reopened, everything still holds.
    bob.reopen();
    assert_eq!(bob.account.roster(group).unwrap().unwrap().epoch(), 2);
}
