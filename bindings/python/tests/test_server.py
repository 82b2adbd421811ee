"""A server team's view: stateless verification of what clients upload."""

from __future__ import annotations

import pytest

from conftest import DAY, NOW, establish, policy, some
from qorgan import Device, ErrorKind, GroupReceiver, QorganError, VerifyItem
import qorgan


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def test_single_verifications() -> None:
    dev = Device(NOW)
    dev.generate_one_time_prekeys(1)
    qorgan.verify_identity(dev.identity_key())
    qorgan.verify_bundle(dev.bundle())
    group = dev.create_group(b"g", policy(), 0)
    ann = group.announcement()
    msg = group.encrypt(b"hello")
    qorgan.verify_announcement(ann)
    qorgan.verify_group_message(ann, msg)
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_identity(flip(dev.identity_key(), -1))
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_bundle(flip(dev.bundle(), 140))
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_announcement(flip(ann, -1))
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_group_message(ann, flip(msg, -1))
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_group_message(flip(ann, -1), msg)
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_announcement(group.distribution())  # secret part: wrong type
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_identity(dev.bundle())
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_group_message(ann, b"")
    # After a rotation the old announcement does not cover the new chain.
    group.rotate(1)
    new = group.encrypt(b"new chain")
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_group_message(ann, new)
    qorgan.verify_group_message(group.announcement(), new)


def test_single_verifications_take_bytes_only() -> None:
    # The single-item functions borrow the caller's bytes without copying
    # (uniffi zero-copy &[u8]): only immutable `bytes` is accepted, not other
    # bytes-like objects; the check runs before the native call.
    identity = Device(NOW).identity_key()
    for other in (bytearray(identity), memoryview(identity), identity.hex()):
        with pytest.raises(TypeError, match="a bytes object is required"):
            qorgan.verify_identity(other)  # type: ignore[arg-type]  # the wrong type under test
    with pytest.raises(TypeError):
        qorgan.verify_group_message(Device(NOW).create_group(b"g", policy(), 0).announcement(),
                                    bytearray(1))  # type: ignore[arg-type]  # the wrong type under test
    qorgan.verify_identity(identity)


def test_batch_mixed_verdicts() -> None:
    devices = [Device(NOW) for _ in range(6)]
    items: list[VerifyItem] = []
    expected: list[ErrorKind | None] = []
    for i, dev in enumerate(devices):
        dev.generate_one_time_prekeys(2)
        bad = i % 3 == 2
        items.append(VerifyItem.BUNDLE(bytes=flip(dev.bundle(), 140) if bad else dev.bundle()))
        expected.append(ErrorKind.BAD_SIGNATURE if bad else None)
        bad = i % 4 == 1
        items.append(VerifyItem.IDENTITY(
            bytes=flip(dev.identity_key(), -64) if bad else dev.identity_key()))
        expected.append(ErrorKind.BAD_SIGNATURE if bad else None)
    # Group announcements and group messages checked against them.
    sender = devices[0]
    group = sender.create_group(b"team", policy(), 0)
    ann = group.announcement()
    messages = [group.encrypt(f"m{i}".encode()) for i in range(5)]
    items.append(VerifyItem.ANNOUNCEMENT(bytes=ann))
    expected.append(None)
    items.append(VerifyItem.ANNOUNCEMENT(bytes=flip(ann, -1)))
    expected.append(ErrorKind.BAD_SIGNATURE)
    for i, m in enumerate(messages):
        bad = i == 3
        items.append(VerifyItem.GROUP_MESSAGE(announcement=ann,
                                              message=flip(m, -1) if bad else m))
        expected.append(ErrorKind.BAD_SIGNATURE if bad else None)
    # A group message against a corrupted announcement, against another
    # sender's announcement, the secret distribution as an announcement, and garbage.
    items.append(VerifyItem.GROUP_MESSAGE(announcement=flip(ann, -1), message=messages[0]))
    expected.append(ErrorKind.BAD_SIGNATURE)
    other = devices[1].create_group(b"team", policy(), 0)
    items.append(VerifyItem.GROUP_MESSAGE(announcement=other.announcement(), message=messages[1]))
    expected.append(ErrorKind.MALFORMED)
    items.append(VerifyItem.ANNOUNCEMENT(bytes=group.distribution()))
    expected.append(ErrorKind.MALFORMED)
    items.append(VerifyItem.BUNDLE(bytes=b"garbage"))
    expected.append(ErrorKind.MALFORMED)

    results = qorgan.verify_batch(items)
    assert len(results) == len(items)
    assert [r.error.kind if r.error else None for r in results] == expected
    assert [r.valid for r in results] == [k is None for k in expected]
    assert some(results[-1].error).message.startswith("malformed input: ")
    assert some(results[-4].error).message.startswith("bad signature on ")
    # Each verdict is what the single-item function says.
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_group_message(flip(ann, -1), messages[0])
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_group_message(other.announcement(), messages[1])


def test_batch_empty_and_all_valid() -> None:
    assert qorgan.verify_batch([]) == []
    dev = Device(NOW)
    results = qorgan.verify_batch([VerifyItem.IDENTITY(bytes=dev.identity_key())] * 50)
    assert [(r.valid, r.error) for r in results] == [(True, None)] * 50


def test_announcement_matches_what_members_receive() -> None:
    # The server gets the public announcement, members the secret
    # distribution over 1:1 sessions; both describe the same chain.
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    group = alice.create_group(b"g", policy(), 0)
    received = b.decrypt(a.encrypt(group.distribution()))
    # The announcement is the distribution's public part (docs/PROTOCOL.md
    # §12.2): type 0x23 instead of 0x21, without the trailing iteration (4)
    # and chain key (32).
    # Group formats are version 2.
    assert received[:2] == b"\x02\x21"
    ann = group.announcement()
    assert ann == b"\x02\x23" + received[2:-36]
    rx = GroupReceiver(received, b.remote_identity())
    msg = group.encrypt(b"checked by the server, read by Bob")
    qorgan.verify_group_message(ann, msg)
    assert rx.decrypt(msg).plaintext == b"checked by the server, read by Bob"


def test_upload_verified_with_its_ids() -> None:
    dev = Device(NOW)
    assert dev.generate_one_time_prekeys(3) == 3
    assert dev.generate_kem_one_time_prekeys(2) == 2
    upload = some(dev.upload(NOW))
    info = qorgan.verify_upload(upload)
    assert info == qorgan.UploadInfo(
        identity_key=dev.identity_key(),
        signed_prekey_id=1,
        last_resort_kem_prekey_id=1,  # ML-KEM ids share one space
        one_time_prekey_ids=[1, 2, 3],
        kem_one_time_prekey_ids=[2, 3],
    )
    # Nothing new: nothing to send; then only what is new.
    assert dev.upload(NOW + 60) is None
    dev.generate_one_time_prekeys(2)
    info = qorgan.verify_upload(some(dev.upload(NOW + 120)))
    assert (info.signed_prekey_id, info.last_resort_kem_prekey_id) == (None, None)
    assert (info.one_time_prekey_ids, info.kem_one_time_prekey_ids) == ([4, 5], [])
    # After 7 days both long-lived prekeys are due, and upload rotates them.
    assert dev.needs_rotation(NOW + 7 * DAY - 1) is False
    assert dev.needs_rotation(NOW + 7 * DAY) is True
    info = qorgan.verify_upload(some(dev.upload(NOW + 7 * DAY)))
    assert (info.signed_prekey_id, info.last_resort_kem_prekey_id) == (2, 4)
    assert info.one_time_prekey_ids == []
    assert dev.needs_rotation(NOW + 7 * DAY) is False
    # Tampered, truncated, or not an upload at all.
    with pytest.raises(QorganError.BadSignature) as e:
        qorgan.verify_upload(flip(upload, -1))
    assert e.value.what == "prekey upload"
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_upload(upload[:-1])
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_upload(dev.bundle())
    # The same verdicts in a batch.
    results = qorgan.verify_batch([VerifyItem.UPLOAD(bytes=upload),
                                   VerifyItem.UPLOAD(bytes=flip(upload, -1)),
                                   VerifyItem.UPLOAD(bytes=b"junk")])
    assert [r.error.kind if r.error else None for r in results] == [
        None, ErrorKind.BAD_SIGNATURE, ErrorKind.MALFORMED]


def test_device_lists_verified_with_what_they_say_and_their_continuity() -> None:
    # What a server's directory does with the lists accounts publish: verify
    # each, file it under its account key, accept a new one only as the
    # direct successor of the one it holds, and tie uploads to an account.
    phone, tablet = Device(NOW), Device(NOW)
    bob = qorgan.Account.create(phone, "phone")
    v1, v1_head = bob.device_list(), bob.head()
    request = qorgan.LinkRequest(tablet)
    request.complete(bob.provision(request.code(), "tablet", [], False))
    v2 = bob.device_list()

    info = qorgan.verify_device_list(v1)
    assert info == qorgan.DeviceListInfo(
        account_key=bob.account_key(), version=1, previous=None,
        devices=[qorgan.DeviceInfo(identity_key=phone.identity_key(), label="phone")],
        head=v1_head)
    assert len(info.account_key) == 32 and len(info.head.hash) == 32
    key = bob.account_key()
    nxt = qorgan.verify_device_list_after(key, v1_head, v2)
    assert (nxt.version, nxt.previous, nxt.head) == (2, v1_head.hash, bob.head())
    assert {d.label for d in nxt.devices} == {"phone", "tablet"}

    # Not the successor of what the server holds: a replay, a skipped
    # version, or another version 2.
    with pytest.raises(QorganError.NotSuccessor) as not_successor:
        qorgan.verify_device_list_after(key, v1_head, v1)
    assert (not_successor.value.version, not_successor.value.previous_version) == (1, 1)
    with pytest.raises(QorganError.NotSuccessor):
        qorgan.verify_device_list_after(key, qorgan.ListHead(version=1, hash=bytes(32)), v2)
    with pytest.raises(QorganError.InvalidArgument):
        qorgan.verify_device_list_after(key, qorgan.ListHead(version=1, hash=b"short"), v2)
    with pytest.raises(QorganError.InvalidArgument):
        qorgan.verify_device_list_after(key[:31], v1_head, v2)
    # Another account's list is not Bob's next one, even when it names the
    # head held for Bob (here Mallory's own first head) as its previous.
    mallory = qorgan.Account.create(qorgan.Device(NOW), "phone")
    held = mallory.head()
    request = qorgan.LinkRequest(qorgan.Device(NOW))
    request.complete(mallory.provision(request.code(), "tablet", [], False))
    mallory_v2 = mallory.device_list()
    assert qorgan.verify_device_list_after(mallory.account_key(), held, mallory_v2).previous == held.hash
    with pytest.raises(QorganError.NotSuccessor):
        qorgan.verify_device_list_after(key, held, mallory_v2)
    with pytest.raises(QorganError.BadSignature) as bad_signature:
        qorgan.verify_device_list(flip(v2, -1))
    assert bad_signature.value.what == "device list"
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_device_list(v2[:-1])
    with pytest.raises(QorganError.Malformed):
        qorgan.verify_device_list(phone.identity_key())

    # The same verdicts in a batch, next to other items.
    results = qorgan.verify_batch([
        VerifyItem.DEVICE_LIST(bytes=v1),
        VerifyItem.DEVICE_LIST(bytes=flip(v2, -1)),
        VerifyItem.DEVICE_LIST_AFTER(account_key=key, previous=v1_head, bytes=v2),
        VerifyItem.DEVICE_LIST_AFTER(account_key=key, previous=v1_head, bytes=v1),
        VerifyItem.DEVICE_LIST_AFTER(account_key=key, previous=qorgan.ListHead(version=1, hash=b""),
                                     bytes=v2),
        VerifyItem.DEVICE_LIST_AFTER(account_key=key, previous=held, bytes=mallory_v2),
        VerifyItem.DEVICE_LIST_AFTER(account_key=b"", previous=v1_head, bytes=v2),
        VerifyItem.IDENTITY(bytes=tablet.identity_key()),
        VerifyItem.DEVICE_LIST(bytes=b"junk"),
    ])
    assert [r.error.kind if r.error else None for r in results] == [
        None, ErrorKind.BAD_SIGNATURE, None, ErrorKind.NOT_SUCCESSOR,
        ErrorKind.INVALID_ARGUMENT, ErrorKind.NOT_SUCCESSOR, ErrorKind.INVALID_ARGUMENT,
        None, ErrorKind.MALFORMED]

    # An upload is the account's if its identity is in the account's list.
    upload = qorgan.verify_upload(some(tablet.upload(NOW)))
    assert upload.identity_key in [d.identity_key for d in nxt.devices]
    assert upload.identity_key not in [d.identity_key for d in info.devices]
