"""A sender-key group: fan-out, removal, rotation, catch-up."""

import pytest

from conftest import establish, policy
from qorgan import Device, GroupReceiver, OutboundGroup, QorganError, RotationReason

GROUP = b"group:book-club"


def test_three_members_removal_rotation_catch_up(storage_key):
    alice, bob, carol, dave = Device(), Device(), Device(), Device()
    # Alice's 1:1 sessions with the other three members (and theirs with her).
    pairs = {name: establish(alice, dev) for name, dev in
             (("bob", bob), ("carol", carol), ("dave", dave))}
    ours = [pairs[n][0] for n in ("bob", "carol", "dave")]

    group = OutboundGroup(GROUP, policy(), 1_000)
    assert group.rotation_due(1_000) is None
    first_chain = group.chain_id()

    # Fan-out of the distribution: one ciphertext per session.
    fanout = group.distribute(alice, ours)
    assert len(fanout) == 3
    assert all(r.error is None and r.ciphertext for r in fanout)
    receivers = {}
    for name, result in zip(("bob", "carol", "dave"), fanout):
        theirs = pairs[name][1]
        receivers[name] = GroupReceiver(theirs.decrypt(result.ciphertext), theirs)

    m0 = group.encrypt(b"welcome, all three")
    for r in receivers.values():
        assert r.decrypt(m0) == b"welcome, all three"

    # Dave leaves: Alice may not send on the old chain any more.
    group.mark_member_removed()
    assert group.rotation_due(1_001) == RotationReason.MEMBER_REMOVED
    with pytest.raises(QorganError.RotationRequired):
        group.encrypt(b"must not reach Dave")
    group.rotate(1_002)
    assert group.chain_id() != first_chain
    assert group.rotation_due(1_002) is None

    # Redistribution to the remaining members only.
    refan = group.distribute(alice, [pairs["bob"][0], pairs["carol"][0]])
    assert [r.error for r in refan] == [None, None]
    for name, result in zip(("bob", "carol"), refan):
        theirs = pairs[name][1]
        receivers[name].add(theirs.decrypt(result.ciphertext), theirs)

    m1 = group.encrypt(b"without Dave")
    assert receivers["bob"].decrypt(m1) == b"without Dave"
    assert receivers["carol"].decrypt(m1) == b"without Dave"
    with pytest.raises(QorganError.WrongChain):
        receivers["dave"].decrypt(m1)

    # Carol is offline for 100 messages, then catches up in one call, from
    # a receiver restored from storage; one tampered message in the queue
    # fails alone.
    sealed_carol = receivers["carol"].seal(storage_key)
    queue = [group.encrypt(f"msg {i}".encode()) for i in range(100)]
    for m in queue[:10]:
        assert receivers["bob"].decrypt(m).startswith(b"msg ")
    carol_rx = GroupReceiver.open(storage_key, sealed_carol)
    results = carol_rx.decrypt_batch(queue)
    assert len(results) == 100
    assert [r.plaintext for r in results] == [f"msg {i}".encode() for i in range(100)]
    assert all(r.error is None for r in results)

    tampered = bytearray(group.encrypt(b"tampered"))
    tampered[12] ^= 0x01
    good = group.encrypt(b"good")
    mixed = carol_rx.decrypt_batch([bytes(tampered), good, queue[0]])
    assert mixed[0].plaintext is None and mixed[0].error
    assert mixed[1].plaintext == b"good" and mixed[1].error is None
    assert mixed[2].plaintext is None and "duplicate" in mixed[2].error

    # The outbound chain survives a restore and keeps its chain id.
    chain = group.chain_id()
    group = OutboundGroup.open(storage_key, group.seal(storage_key))
    assert group.chain_id() == chain
    assert receivers["bob"].decrypt(group.encrypt(b"after restore")) == b"after restore"


def test_message_limit_and_age_rotation():
    group = OutboundGroup(GROUP, policy(max_messages=3, max_age_secs=60), 0)
    for _ in range(3):
        group.encrypt(b"x")
    assert group.rotation_due(1) == RotationReason.MESSAGE_LIMIT
    with pytest.raises(QorganError.RotationRequired):
        group.encrypt(b"one too many")
    group.rotate(10)
    assert group.rotation_due(11) is None
    assert group.rotation_due(10 + 61) == RotationReason.AGE


def test_fanout_failure_is_per_recipient():
    alice, bob = Device(), Device()
    a, b = establish(alice, bob)
    group = OutboundGroup(GROUP, policy(), 0)
    # The same session twice and a fresh pending one all succeed independently.
    carol = Device()
    pending = alice.initiate(carol.bundle())
    results = group.distribute(alice, [a, pending, a])
    assert all(r.ciphertext and r.error is None for r in results)
    assert b.decrypt(results[0].ciphertext) == b.decrypt(results[2].ciphertext)
