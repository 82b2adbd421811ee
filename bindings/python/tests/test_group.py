"""A sender-key group: fan-out, removal, rotation, catch-up."""

from __future__ import annotations

import pytest

from conftest import NOW, establish, policy, some
from qorgan import Device, ErrorKind, GroupReceiver, QorganError, RotationReason

GROUP = b"group:book-club"


def test_three_members_removal_rotation_catch_up(storage_key: bytes) -> None:
    alice, bob, carol, dave = Device(NOW), Device(NOW), Device(NOW), Device(NOW)
    # Alice's 1:1 sessions with the other three members (and theirs with her).
    pairs = {name: establish(alice, dev) for name, dev in
             (("bob", bob), ("carol", carol), ("dave", dave))}
    ours = [pairs[n][0] for n in ("bob", "carol", "dave")]

    group = alice.create_group(GROUP, policy(), 1_000)
    assert group.group_id() == GROUP
    assert group.iteration() == 0
    assert group.rotation_due(1_000) is None
    first_chain = group.chain_id()

    # Fan-out of the distribution: one ciphertext per session.
    fanout = group.distribute(ours)
    assert len(fanout) == 3
    assert all(r.error is None and r.ciphertext for r in fanout)
    receivers = {}
    for name, result in zip(("bob", "carol", "dave"), fanout):
        theirs = pairs[name][1]
        dist = theirs.decrypt(some(result.ciphertext))
        assert dist == group.distribution()
        receivers[name] = GroupReceiver(dist, theirs.remote_identity())
        assert receivers[name].sender_identity() == alice.identity_key()

    assert group.rotation() == 0
    m0 = group.encrypt(b"welcome, all three")
    assert group.iteration() == 1
    for r in receivers.values():
        got = r.decrypt(m0)
        # The provenance, all of it covered by the chain's signature.
        assert got.plaintext == b"welcome, all three"
        assert got.sender == alice.identity_key()
        assert got.group_id == GROUP
        assert (got.chain_id, got.rotation, got.iteration) == (first_chain, 0, 0)

    # Dave leaves: Alice may not send on the old chain any more.
    group.mark_member_removed()
    assert group.rotation_due(1_001) == RotationReason.MEMBER_REMOVED
    with pytest.raises(QorganError.RotationRequired):
        group.encrypt(b"must not reach Dave")
    group.rotate(1_002)
    assert group.chain_id() != first_chain
    assert group.rotation() == 1
    second_chain = group.chain_id()
    assert group.rotation_due(1_002) is None

    # Redistribution to the remaining members only.
    refan = group.distribute([pairs["bob"][0], pairs["carol"][0]])
    assert [r.error for r in refan] == [None, None]
    for name, result in zip(("bob", "carol"), refan):
        theirs = pairs[name][1]
        receivers[name].add(theirs.decrypt(some(result.ciphertext)), theirs.remote_identity())

    m1 = group.encrypt(b"without Dave")
    for name in ("bob", "carol"):
        got = receivers[name].decrypt(m1)
        assert got.plaintext == b"without Dave"
        assert got.sender == alice.identity_key()
        assert (got.group_id, got.chain_id, got.rotation, got.iteration) == (
            GROUP, second_chain, 1, 0)
    with pytest.raises(QorganError.WrongChain):
        receivers["dave"].decrypt(m1)

    # Carol is offline for 100 messages, then catches up in one call, from
    # a receiver restored from storage; one tampered message in the queue
    # fails alone.
    sealed_carol = receivers["carol"].seal(storage_key)
    carol_generation = receivers["carol"].generation()
    assert receivers["carol"].group_id() == GROUP
    queue = [group.encrypt(f"msg {i}".encode()) for i in range(100)]
    for m in queue[:10]:
        assert receivers["bob"].decrypt(m).plaintext.startswith(b"msg ")
    carol_rx = GroupReceiver.open(storage_key, sealed_carol, GROUP, alice.identity_key(),
                                  carol_generation)
    results = carol_rx.decrypt_batch(queue)
    assert len(results) == 100
    assert [some(r.decrypted).plaintext for r in results] == [f"msg {i}".encode() for i in range(100)]
    assert all(r.error is None for r in results)
    assert [some(r.decrypted).iteration for r in results] == list(range(1, 101))
    assert {(d.sender, d.group_id, d.chain_id, d.rotation)
            for d in (some(r.decrypted) for r in results)} == {(alice.identity_key(), GROUP, second_chain, 1)}

    tampered = bytearray(group.encrypt(b"tampered"))
    tampered[12] ^= 0x01
    good = group.encrypt(b"good")
    forged = bytearray(group.encrypt(b"forged"))
    forged[-1] ^= 0x01  # the chain's signature
    mixed = carol_rx.decrypt_batch([bytes(tampered), good, queue[0], bytes(forged), b"junk"])
    assert [r.decrypted.plaintext if r.decrypted else None for r in mixed] == [
        None, b"good", None, None, None]
    assert some(mixed[1].decrypted).iteration == 102
    assert [r.error.kind if r.error else None for r in mixed] == [
        ErrorKind.BAD_SIGNATURE, None, ErrorKind.DUPLICATE, ErrorKind.BAD_SIGNATURE,
        ErrorKind.MALFORMED]
    assert some(mixed[2].error).message == "duplicate or expired message (index 1)"  # m1 was 0
    # Dave's receiver holds only the old chain.
    assert [some(r.error).kind for r in receivers["dave"].decrypt_batch(queue[:3])] == [
        ErrorKind.WRONG_CHAIN] * 3

    # The outbound chain survives a restore (by the same device) and keeps
    # its chain id, iteration and signing identity.
    chain, iteration = group.chain_id(), group.iteration()
    sealed = group.seal(storage_key)
    group = alice.open_group(storage_key, sealed, GROUP, group.generation())
    assert (group.chain_id(), group.iteration(), group.group_id()) == (chain, iteration, GROUP)
    assert group.rotation() == 1
    assert receivers["bob"].decrypt(group.encrypt(b"after restore")).plaintext == b"after restore"
    after = GroupReceiver(group.distribution(), alice.identity_key())
    got = after.decrypt(group.encrypt(b"new member"))
    assert got.plaintext == b"new member"
    assert (got.sender, got.rotation) == (alice.identity_key(), 1)


def test_receiver_moves_to_another_device_by_export() -> None:
    alice = Device(NOW)
    out = alice.create_group(b"g", policy(), 0)
    dist = out.distribution()
    rx = GroupReceiver(dist, alice.identity_key())
    first = out.encrypt(b"one")
    assert rx.decrypt(first).plaintext == b"one"
    # The user's second device gets the export over their own 1:1 session;
    # the sender's announcement inside it is verified on import.
    moved = GroupReceiver.from_export(rx.export())
    assert moved.sender_identity() == alice.identity_key()
    with pytest.raises(QorganError.BeforeFirstIteration):
        moved.decrypt(first)
    two = out.encrypt(b"two")
    got = moved.decrypt(two)
    assert (got.plaintext, got.sender, got.iteration) == (b"two", alice.identity_key(), 1)
    # The sender's own distribution (from iteration 0) merges with the
    # export: iteration 0 becomes readable, iteration 1 stays consumed.
    moved.add(dist, alice.identity_key())
    assert moved.decrypt(first).iteration == 0
    with pytest.raises(QorganError.Duplicate):
        moved.decrypt(two)
    with pytest.raises(QorganError.Malformed):
        GroupReceiver.from_export(b"not an export")


def test_message_limit_and_age_rotation() -> None:
    group = Device(NOW).create_group(GROUP, policy(max_messages=3, max_age_secs=60), 0)
    for _ in range(3):
        group.encrypt(b"x")
    assert group.iteration() == 3
    assert group.rotation_due(1) == RotationReason.MESSAGE_LIMIT
    with pytest.raises(QorganError.RotationRequired):
        group.encrypt(b"one too many")
    group.rotate(10)
    assert group.iteration() == 0
    assert group.rotation() == 1
    assert group.rotation_due(11) is None
    assert group.rotation_due(10 + 61) == RotationReason.AGE


def test_fanout_failure_is_per_recipient() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    group = alice.create_group(GROUP, policy(), 0)
    # The same session twice and a fresh pending one all succeed independently.
    carol = Device(NOW)
    pending = alice.initiate(carol.bundle())
    results = group.distribute([a, pending, a])
    assert all(r.ciphertext and r.error is None for r in results)
    assert b.decrypt(some(results[0].ciphertext)) == b.decrypt(some(results[2].ciphertext))
    accepted = carol.accept(some(results[1].ciphertext), NOW)
    assert accepted.plaintext == group.distribution()
    rx = GroupReceiver(accepted.plaintext, accepted.session.remote_identity())
    got = rx.decrypt(group.encrypt(b"to carol"))
    assert (got.plaintext, got.sender) == (b"to carol", alice.identity_key())
