"""Accounts and devices: linking by code, contacts that notice new devices,
fan-out to listed devices only, refused rollbacks, forks seen through the
heads in messages, account safety numbers."""

from __future__ import annotations

import re

import pytest

from conftest import KEY, NOW
from qorgan import (Account, Comparison, Contact, Delivery, Device, DeviceInfo, ErrorKind,
                    LinkRequest, QorganError)
import qorgan


def flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def delivery_to(deliveries: list[Delivery], device: Device) -> Delivery:
    (d,) = [d for d in deliveries if d.identity_key == device.identity_key()]
    return d


def read(to: Device, delivery: Delivery) -> tuple[bytes, bytes]:
    """What `to` reads of a delivery that starts a session."""
    assert delivery.error is None, delivery.error
    assert delivery.ciphertext is not None
    accepted = to.accept(delivery.ciphertext, NOW)
    return accepted.session.remote_identity(), accepted.plaintext


def link(account: Account, device: Device, label: str, share_key: bool = False) -> Account:
    """Links `device` to `account` by its code; returns the new device's account."""
    request = LinkRequest(device)
    return request.complete(account.provision(request.code(), label, [], share_key)).account


def test_linking_a_second_device_by_its_code() -> None:
    phone, tablet = Device(NOW), Device(NOW)
    bob = Account.create(phone, "Bob's phone")
    alice = Account.create(Device(NOW), "Alice")
    alice_at_bob = Contact.pin(alice.device_list())

    # The tablet shows its code; the phone scans it and sees who asks.
    request = LinkRequest(tablet)
    code = request.code()
    assert len(code) == 285 and re.fullmatch(r"[A-Z2-7]+", code)  # QR alphanumeric mode
    assert qorgan.link_code_device(code) == tablet.identity_key()
    message = bob.provision(code, "Bob's tablet", [alice_at_bob], False)
    assert bob.head().version == 2

    # Modified on the way, or sent to another request: refused.
    with pytest.raises(QorganError.ProvisioningFailed):
        request.complete(flip(message, -1))
    with pytest.raises(QorganError.ProvisioningFailed):
        LinkRequest(Device(NOW)).complete(message)
    provisioned = request.complete(message)
    tablet_account = provisioned.account
    assert tablet_account.is_listed()
    assert not tablet_account.holds_account_key()
    assert tablet_account.device_list() == bob.device_list()
    assert sorted(d.label for d in tablet_account.devices()) == ["Bob's phone", "Bob's tablet"]
    assert [c.account_key() for c in provisioned.contacts] == [alice.account_key()]
    # Replayed: refused. Without the account key the tablet cannot change the list.
    with pytest.raises(QorganError.ProvisioningFailed):
        request.complete(message)
    with pytest.raises(QorganError.NoAccountKey):
        tablet_account.remove_device(phone.identity_key())
    with pytest.raises(QorganError.InvalidLinkCode):
        qorgan.link_code_device(code.lower())

    # A device trusted with the account key can link and remove devices.
    laptop = Device(NOW)
    laptop_account = link(bob, laptop, "laptop", share_key=True)
    assert laptop_account.holds_account_key()
    new_list = laptop_account.remove_device(tablet.identity_key())
    change = bob.update([new_list])
    assert [d.label for d in change.removed] == ["Bob's tablet"]
    assert change.before.version == 3 and change.after.version == 4

    # Sealed by its account key, restored at its generation.
    sealed = tablet_account.seal(KEY)
    generation = tablet_account.generation()
    assert generation == 1
    restored = Account.open(KEY, sealed, tablet_account.account_key(), generation)
    assert restored.head() == tablet_account.head()
    with pytest.raises(QorganError.WrongOwner):
        Account.open(KEY, sealed, alice.account_key(), 0)
    with pytest.raises(QorganError.RolledBack):
        Account.open(KEY, sealed, tablet_account.account_key(), generation + 1)


def test_a_contact_notices_the_new_device_and_sends_to_both() -> None:
    phone, tablet, alice_phone = Device(NOW), Device(NOW), Device(NOW)
    bob = Account.create(phone, "phone")
    alice = Account.create(alice_phone, "Alice")
    bob_at_alice = Contact.pin(bob.device_list())
    tablet_account = link(bob, tablet, "Bob's tablet")

    change = bob_at_alice.update([bob.device_list()])
    assert (change.before.version, change.after.version) == (1, 2)
    assert change.added == [DeviceInfo(identity_key=tablet.identity_key(), label="Bob's tablet")]
    assert change.removed == []
    assert bob_at_alice.allows(tablet.identity_key())
    same = bob_at_alice.update([bob.device_list()])
    assert same.before == same.after

    deliveries = qorgan.fanout(
        alice, bob_at_alice,
        [alice_phone.initiate(phone.bundle()), alice_phone.initiate(tablet.bundle())],
        b"to both")
    assert len(deliveries) == 2 and all(d.error is None for d in deliveries)
    alice_at_bob = Contact.pin(alice.device_list())
    for device, account in [(phone, bob), (tablet, tablet_account)]:
        sender, plaintext = read(device, delivery_to(deliveries, device))
        got = qorgan.receive(account, alice_at_bob, sender, plaintext)
        assert got.body == b"to both"
        assert got.report is not None
        assert got.report.sender == Comparison.SAME()
        assert got.report.peer.is_same()
        assert not got.report.fork


def test_a_device_the_server_slipped_in_is_refused() -> None:
    bob_phone, alice_phone, ghost = Device(NOW), Device(NOW), Device(NOW)
    bob = Account.create(bob_phone, "Bob's phone")
    alice = Account.create(alice_phone, "Alice's phone")
    bob_at_alice = Contact.pin(bob.device_list())
    # The operator cannot list its device under Bob's account key.
    operator = Account.create(ghost, "Bob's tablet")
    with pytest.raises(QorganError.WrongAccount):
        bob_at_alice.update([operator.device_list()])
    with pytest.raises(QorganError.BadSignature):
        bob_at_alice.update([flip(bob.device_list(), -70)])
    assert not bob_at_alice.allows(ghost.identity_key())

    deliveries = qorgan.fanout(
        alice, bob_at_alice,
        [alice_phone.initiate(bob_phone.bundle()), alice_phone.initiate(ghost.bundle())],
        b"orders")
    assert len(deliveries) == 2
    assert delivery_to(deliveries, bob_phone).ciphertext is not None
    to_ghost = delivery_to(deliveries, ghost)
    assert to_ghost.ciphertext is None
    assert to_ghost.error is not None
    assert to_ghost.error.kind == ErrorKind.NOT_LISTED
    assert to_ghost.error.message == "device not in the account's device list: nothing sent"

    # The ghost writes to Alice from the operator's account: its envelope
    # names that account, not Bob's conversation.
    (from_ghost,) = qorgan.fanout(operator, Contact.pin(alice.device_list()),
                                  [ghost.initiate(alice_phone.bundle())], b"files?")
    sender, plaintext = read(alice_phone, from_ghost)
    with pytest.raises(QorganError.Misaddressed):
        qorgan.receive(alice, bob_at_alice, sender, plaintext)
    # The ghost writes as "Bob" (an envelope naming Bob's account, made by
    # hand): refused by the account layer, the ghost is not in Bob's list.
    envelope = bytes([0x01, 0x31]) + bob.account_key() + alice.account_key() + b"\x00files?"
    accepted = alice_phone.accept(ghost.initiate(alice_phone.bundle()).encrypt(envelope), NOW)
    assert qorgan.envelope_accounts(accepted.plaintext).sender == bob.account_key()
    with pytest.raises(QorganError.DeviceNotListed):
        qorgan.receive(alice, bob_at_alice, accepted.session.remote_identity(), accepted.plaintext)


def test_a_rolled_back_list_is_refused() -> None:
    phone, tablet = Device(NOW), Device(NOW)
    bob = Account.create(phone, "phone")
    v1 = bob.device_list()
    link(bob, tablet, "tablet")
    v2 = bob.device_list()
    contact = Contact.pin(v1)
    v3 = bob.remove_device(tablet.identity_key())
    with pytest.raises(QorganError.Gap) as gap:
        contact.update([v3])
    assert (gap.value.first_missing, gap.value.offered) == (2, 3)
    contact.update([v2, v3])
    assert not contact.allows(tablet.identity_key())
    # The operator serves the older lists that still name the removed tablet.
    for old, version in [(v2, 2), (v1, 1)]:
        with pytest.raises(QorganError.ListRolledBack) as e:
            contact.update([old])
        assert (e.value.held, e.value.offered) == (3, version)
    assert contact.head() == bob.head()
    assert len(contact.devices()) == 1
    # Nor through the contact's stored state: an older blob is refused.
    sealed = contact.seal(KEY)
    contact.update([v3])
    newer = contact.seal(KEY)
    with pytest.raises(QorganError.RolledBack):
        Contact.open(KEY, sealed, contact.account_key(), contact.generation())
    assert Contact.open(KEY, newer, contact.account_key(), contact.generation()).head() == bob.head()


def test_a_fork_is_seen_through_the_heads_in_messages() -> None:
    bob_phone, laptop, alice_phone = Device(NOW), Device(NOW), Device(NOW)
    bob = Account.create(bob_phone, "phone")
    alice = Account.create(alice_phone, "Alice")
    laptop_account = link(bob, laptop, "laptop", share_key=True)
    bob_at_alice = Contact.pin(bob.device_list())
    # Bob removes the stolen laptop; the thief lists a ghost in another version 3.
    bob.remove_device(laptop.identity_key())
    link(laptop_account, Device(NOW), "ghost")
    bob_at_alice.update([laptop_account.device_list()])
    with pytest.raises(QorganError.Fork) as e:
        bob.update([laptop_account.device_list()])
    assert (e.value.held, e.value.seen) == (bob.head(), laptop_account.head())

    (d,) = qorgan.fanout(bob, Contact.pin(alice.device_list()),
                         [bob_phone.initiate(alice_phone.bundle())], b"hi")
    sender, plaintext = read(alice_phone, d)
    report = qorgan.receive(alice, bob_at_alice, sender, plaintext).report
    assert report is not None and report.fork
    assert report.sender == Comparison.FORK(held=laptop_account.head(), seen=bob.head())


def test_account_safety_numbers_stay_when_devices_change() -> None:
    bob = Account.create(Device(NOW), "phone")
    alice = Account.create(Device(NOW), "Alice")
    bob_at_alice = Contact.pin(bob.device_list())
    alice_at_bob = Contact.pin(alice.device_list())
    before = alice.safety_number(b"alice", bob_at_alice, b"bob")
    link(bob, Device(NOW), "tablet")
    bob_at_alice.update([bob.device_list()])
    after = alice.safety_number(b"alice", bob_at_alice, b"bob")
    assert before == after
    assert re.fullmatch(r"(\d{5} ){11}\d{5}", after.display)
    at_bob = bob.safety_number(b"bob", alice_at_bob, b"alice")
    assert at_bob.display == after.display
    assert qorgan.safety_numbers_match(at_bob, after.scannable)
    other = alice.safety_number(b"alice", bob_at_alice, b"eve")
    assert not qorgan.safety_numbers_match(other, after.scannable)


def test_own_device_copies_are_routed_by_their_envelope() -> None:
    phone, tablet = Device(NOW), Device(NOW)
    bob = Account.create(phone, "phone")
    tablet_account = link(bob, tablet, "tablet")
    alice = Account.create(Device(NOW), "Alice")
    carol = Account.create(Device(NOW), "Carol")
    # Bob's phone writes to Alice; his tablet gets a copy (no session with
    # Alice's phone here: NoSession for it).
    deliveries = qorgan.fanout(bob, Contact.pin(alice.device_list()),
                               [phone.initiate(tablet.bundle())], b"copy")
    assert sorted(d.error.kind.name if d.error else "" for d in deliveries) == ["", "NO_SESSION"]
    sender, plaintext = read(tablet, delivery_to(deliveries, tablet))
    # The envelope names the conversation: from Bob's account to Alice's,
    # so the tablet files it under Alice.
    assert qorgan.envelope_accounts(plaintext) == qorgan.EnvelopeAccounts(
        sender=bob.account_key(), recipient=alice.account_key())
    with pytest.raises(QorganError.Misaddressed):
        qorgan.receive(tablet_account, Contact.pin(carol.device_list()), sender, plaintext)
    got = qorgan.receive(tablet_account, Contact.pin(alice.device_list()), sender, plaintext)
    assert got.body == b"copy"
    with pytest.raises(QorganError.Malformed):
        qorgan.envelope_accounts(b"not an envelope")
