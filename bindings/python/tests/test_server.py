"""A server team's view: stateless verification of what clients upload."""

import pytest

from conftest import establish, policy
from qorgan import Device, OutboundGroup, QorganError, VerifyItem
import qorgan


def announcement_of(distribution):
    # The FFI exposes no announcement getter; the announcement is the
    # distribution's public part (docs/PROTOCOL.md §12.2): type 0x23 instead
    # of 0x21, without the trailing iteration (4) and chain key (32).
    assert distribution[:2] == b"\x01\x21"
    return b"\x01\x23" + distribution[2:-36]


def flip(data, index):
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def test_single_verifications():
    dev = Device()
    dev.generate_one_time_prekeys(1)
    qorgan.verify_identity(dev.identity_key())
    qorgan.verify_bundle(dev.bundle())
    group = OutboundGroup(b"g", policy(), 0)
    qorgan.verify_announcement(announcement_of(group.distribution(dev)))
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_identity(flip(dev.identity_key(), -1))
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_bundle(flip(dev.bundle(), 140))
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_announcement(flip(announcement_of(group.distribution(dev)), -1))
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_announcement(group.distribution(dev))  # secret part: wrong type
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_identity(dev.bundle())


def test_batch_mixed_verdicts():
    devices = [Device() for _ in range(6)]
    items, expected = [], []
    for i, dev in enumerate(devices):
        dev.generate_one_time_prekeys(2)
        bad = i % 3 == 2
        items.append(VerifyItem.BUNDLE(bytes=flip(dev.bundle(), 140) if bad else dev.bundle()))
        expected.append(not bad)
        bad = i % 4 == 1
        items.append(VerifyItem.IDENTITY(
            bytes=flip(dev.identity_key(), -64) if bad else dev.identity_key()))
        expected.append(not bad)
    # Group announcements and group messages checked against them.
    sender = devices[0]
    group = OutboundGroup(b"team", policy(), 0)
    ann = announcement_of(group.distribution(sender))
    messages = [group.encrypt(f"m{i}".encode()) for i in range(5)]
    items.append(VerifyItem.ANNOUNCEMENT(bytes=ann))
    expected.append(True)
    items.append(VerifyItem.ANNOUNCEMENT(bytes=flip(ann, -1)))
    expected.append(False)
    for i, m in enumerate(messages):
        bad = i == 3
        items.append(VerifyItem.GROUP_MESSAGE(announcement=ann,
                                              message=flip(m, -1) if bad else m))
        expected.append(not bad)
    # A group message against a corrupted announcement, and garbage.
    items.append(VerifyItem.GROUP_MESSAGE(announcement=flip(ann, -1), message=messages[0]))
    expected.append(False)
    items.append(VerifyItem.BUNDLE(bytes=b"garbage"))
    expected.append(False)

    results = qorgan.verify_batch(items)
    assert len(results) == len(items)
    assert [r.valid for r in results] == expected
    for r in results:
        assert (r.error is None) == r.valid
    assert "malformed" in results[-1].error
    assert "signature" in results[-2].error


def test_batch_empty_and_all_valid():
    assert qorgan.verify_batch([]) == []
    dev = Device()
    results = qorgan.verify_batch([VerifyItem.IDENTITY(bytes=dev.identity_key())] * 50)
    assert all(r.valid for r in results)


def test_announcement_matches_what_members_receive():
    alice, bob = Device(), Device()
    a, b = establish(alice, bob)
    group = OutboundGroup(b"g", policy(), 0)
    received = b.decrypt(a.encrypt(group.distribution(alice)))
    qorgan.verify_announcement(announcement_of(received))
