"""A full 1:1 conversation through the Python bindings."""

from __future__ import annotations

import random

import pytest

import qorgan
from conftest import DAY, NOW, establish, some
from qorgan import Device, ErrorKind, Failure, QorganError, Session


def test_conversation_out_of_order_restore_duplicate(storage_key: bytes) -> None:
    alice, bob = Device(NOW), Device(NOW)
    assert bob.generate_one_time_prekeys(5) == 5
    assert bob.generate_kem_one_time_prekeys(2) == 2
    assert bob.one_time_prekey_count() == 5

    # Alice fetches Bob's bundle (a server would have verified it) and starts.
    bundle = bob.bundle()
    qorgan.verify_bundle(bundle)
    a = alice.initiate(bundle)
    assert a.is_pending()
    assert a.remote_identity() == bob.identity_key()
    first = a.encrypt(b"salem, Bob")
    second = a.encrypt(b"second, still a prekey message")

    accepted = bob.accept(first, NOW)
    assert accepted.plaintext == b"salem, Bob"
    b = accepted.session
    assert b.remote_identity() == alice.identity_key()
    assert bob.one_time_prekey_count() == 4  # the handshake consumed one
    # Later prekey messages of the same handshake go to the session.
    assert b.owns_prekey_message(second)
    assert b.decrypt(second) == b"second, still a prekey message"

    # Bob replies: ten messages, delivered to Alice shuffled.
    replies = [(b.encrypt(f"reply {i}".encode()), f"reply {i}".encode()) for i in range(10)]
    rng = random.Random(7)
    shuffled = replies[:]
    rng.shuffle(shuffled)
    for msg, text in shuffled[:5]:
        assert a.decrypt(msg) == text
    assert not a.is_pending()

    # Alice's session goes to storage and back (as after an app restart).
    # The app records the session id and generation with the blob.
    sealed = a.seal(storage_key)
    assert len(sealed) > 0 and b"reply" not in sealed
    session_id, generation = a.session_id(), a.generation()
    assert session_id == b.session_id() and len(session_id) == 32
    assert generation == 1
    del a
    a = Session.open(storage_key, sealed, session_id, generation)
    assert a.generation() == 1
    assert a.remote_identity() == bob.identity_key()
    for msg, text in shuffled[5:]:
        assert a.decrypt(msg) == text

    # A duplicate is refused, and refusing it changes nothing.
    with pytest.raises(QorganError.Duplicate) as e:
        a.decrypt(shuffled[0][0])
    assert e.value.index == int(shuffled[0][1].split()[-1])
    assert a.decrypt(b.encrypt(b"after the duplicate")) == b"after the duplicate"

    # Back-and-forth turns the ratchet several times, out of order within turns.
    for turn in range(4):
        batch = [a.encrypt(f"a{turn}.{i}".encode()) for i in range(3)]
        for i in (2, 0, 1):
            assert b.decrypt(batch[i]) == f"a{turn}.{i}".encode()
        batch = [b.encrypt(f"b{turn}.{i}".encode()) for i in range(3)]
        for i in (1, 2, 0):
            assert a.decrypt(batch[i]) == f"b{turn}.{i}".encode()

    # Bob restores too, and the devices survive a restore.
    sealed_b = b.seal(storage_key)
    b = Session.open(storage_key, sealed_b, b.session_id(), b.generation())
    assert b.decrypt(a.encrypt(b"\x00binary\xff" * 100)) == b"\x00binary\xff" * 100
    assert a.decrypt(b.encrypt(b"")) == b""
    sealed_bob = bob.seal(storage_key)
    bob2 = Device.open(storage_key, sealed_bob, bob.identity_key(), bob.generation())
    assert bob2.identity_key() == bob.identity_key()
    assert bob2.one_time_prekey_count() == 4


def test_safety_numbers() -> None:
    alice, bob = Device(NOW), Device(NOW)
    ours = alice.safety_number(bob.identity_key(), b"alice@example", b"bob@example")
    theirs = bob.safety_number(alice.identity_key(), b"bob@example", b"alice@example")
    assert ours.display == theirs.display
    groups = ours.display.split()
    assert len(groups) == 12 and all(len(g) == 5 and g.isdigit() for g in groups)
    assert len(ours.scannable) == 65
    assert qorgan.safety_numbers_match(ours, theirs.scannable)
    mallory = Device(NOW)
    other = alice.safety_number(mallory.identity_key(), b"alice@example", b"bob@example")
    assert not qorgan.safety_numbers_match(ours, other.scannable)
    assert not qorgan.safety_numbers_match(ours, b"")


def test_uploaded_bundles_serve_concurrent_initiators() -> None:
    bob = Device(NOW)
    assert bob.bundles(10) == [bob.bundle()]
    assert bob.generate_one_time_prekeys(3) == 3
    assert bob.generate_kem_one_time_prekeys(1) == 1
    bundles = bob.bundles(100)
    assert len(bundles) == 3 and len(set(bundles)) == 3
    # Each went out once: the next bundle carries none of their one-time keys.
    assert bob.bundle() not in bundles
    for b in bundles:
        qorgan.verify_bundle(b)
    # Three initiators fetch while Bob is offline; he accepts all three later.
    firsts = [Device(NOW).initiate(b).encrypt(f"from {i}".encode()) for i, b in enumerate(bundles)]
    for i in reversed(range(3)):
        assert bob.accept(firsts[i], NOW).plaintext == f"from {i}".encode()
    assert bob.one_time_prekey_count() == 0
    assert bob.kem_one_time_prekey_count() == 0
    with pytest.raises(QorganError.UnknownPreKey):
        bob.accept(firsts[1], NOW)


def test_signed_prekey_rotation_keeps_old_bundles_usable() -> None:
    alice, bob = Device(NOW), Device(NOW)
    old_bundle = bob.bundle()
    # A fresh store is neither old nor near its replay-record limit.
    assert bob.needs_rotation(NOW) is False
    bob.rotate_signed_prekey(NOW + DAY)
    bob.rotate_last_resort_kem_prekey(NOW + DAY)
    assert bob.bundle() != old_bundle
    a = alice.initiate(old_bundle)
    assert bob.accept(a.encrypt(b"late"), NOW + DAY).plaintext == b"late"


def test_decrypt_batch_catch_up_is_per_message() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    # Bob was offline: 20 of Alice's messages arrive reversed, a forged copy
    # of m14 (last byte flipped) just before the real one, m19 again at the end.
    sent = [a.encrypt(f"m{i}".encode()) for i in range(20)]
    queue = sent[::-1]
    assert queue[5] == sent[14]
    forged = bytearray(queue[5])
    forged[-1] ^= 0x01
    queue.insert(5, bytes(forged))
    queue.append(queue[0])
    assert len(queue) == 22

    results = b.decrypt_batch(queue)
    assert len(results) == 22
    expected = ([f"m{i}".encode() for i in range(19, 14, -1)] + [None]
                + [f"m{i}".encode() for i in range(14, -1, -1)] + [None])
    assert [r.plaintext for r in results] == expected
    assert [r.error for r in results if r.plaintext is not None] == [None] * 20
    # The forgery failed alone (the real m14 still decrypted); the replay is a duplicate.
    assert results[5].error == Failure(kind=ErrorKind.AUTHENTICATION_FAILED,
                                       message="message authentication failed")
    # Index 19: Alice's chain restarted at 0 after Bob's "ack" in establish().
    assert results[21].error == Failure(kind=ErrorKind.DUPLICATE,
                                        message="duplicate or expired message (index 19)")
    # As one decrypt would have said.
    with pytest.raises(QorganError.Duplicate) as e:
        b.decrypt(sent[19])
    assert e.value.index == 19

    # The session goes on, both ways, and an empty batch is fine.
    assert b.decrypt(a.encrypt(b"after")) == b"after"
    assert a.decrypt(b.encrypt(b"reply")) == b"reply"
    assert b.decrypt_batch([]) == []
    assert [some(r.error).kind for r in b.decrypt_batch([sent[0], sent[14], b"\x01"])] == [
        ErrorKind.DUPLICATE, ErrorKind.DUPLICATE, ErrorKind.MALFORMED]
