"""The account store (StoreAccount): two stores exchanging through outbox and
inbox across a reopen, duplicates, wrong key versus corrupt file versus newer
schema, an anchor catching a rolled-back file, a group with a removal, prekey
uploads, message routing information, closing objects."""

from __future__ import annotations

import pathlib
import shutil
import sqlite3
import struct
from typing import Callable, Optional

import pytest

import qorgan
from conftest import some
from qorgan import (Destination, Durability, Incoming, MessageType, QorganError, QueuedMessage,
                    RosterMember, RosterRole, StorageKey, StoreAccount, StoreAnchor,
                    StoreDelivery, StoreEvent, StoreOptions)

NOW = 1_790_000_000


def options(label: str = "d") -> StoreOptions:
    return StoreOptions(durability=Durability.NORMAL, device_label=label, now=NOW)


class Person:
    def __init__(self, tmp_path: pathlib.Path, name: str) -> None:
        self.path = str(tmp_path / f"{name}.db")
        self.key = StorageKey.generate()
        self.store = StoreAccount.open(self.path, self.key, options(name))

    def reopen(self) -> None:
        self.store.close()
        self.store = StoreAccount.open(self.path, self.key, options())

    @property
    def id(self) -> bytes:
        return self.store.identity()


# The `people` fixture: a new store named `name` in the test's directory.
People = Callable[[str], Person]


def introduce(a: Person, b: Person) -> None:
    a.store.update_contact([b.store.device_list()])
    b.store.update_contact([a.store.device_list()])
    a.store.start_session(b.store.bundle())


def deliver(frm: Person, to: Person) -> list[StoreDelivery]:
    """Sends frm's 1:1 outbox entries for `to`; marks them sent."""
    out = []
    for o in frm.store.outbox():
        if o.to == Destination.DEVICE(identity_key=to.id):
            out.append(to.store.decrypt(frm.id, o.bytes, NOW))
            frm.store.mark_sent(o.id)
    return out


def incoming(d: StoreDelivery) -> Incoming:
    assert isinstance(d, StoreDelivery.MESSAGE), d
    return d.incoming


def text(d: Optional[StoreDelivery]) -> bytes:
    return incoming(some(d)).plaintext


def event(d: StoreDelivery) -> StoreEvent:
    assert isinstance(d, StoreDelivery.EVENT), d
    return d.event


@pytest.fixture
def people(tmp_path: pathlib.Path) -> People:
    return lambda name: Person(tmp_path, name)


def test_two_stores_exchange_through_outbox_and_inbox_across_a_reopen(people: People) -> None:
    alice, bob = people("alice"), people("bob")
    introduce(alice, bob)
    sent = alice.store.encrypt(bob.id, b"salem")
    info = qorgan.message_info(sent.bytes)
    assert info.message_type == MessageType.PRE_KEY and len(some(info.base_key)) == 32
    # The app crashed before the server acknowledged: the outbox still has it.
    alice.reopen()
    assert alice.store.outbox() == [sent]
    got = bob.store.decrypt(alice.id, sent.bytes, NOW)
    alice.store.mark_sent(sent.id)
    assert alice.store.outbox() == []
    assert text(got) == b"salem"
    assert incoming(got).sender == alice.id and len(some(incoming(got).session_id)) == 32
    assert incoming(got).group_id is None
    # Delivered again: a duplicate. Not acknowledged: pending after a reopen.
    assert bob.store.decrypt(alice.id, sent.bytes, NOW).is_duplicate()
    bob.reopen()
    [pending] = bob.store.pending()
    assert pending.plaintext == b"salem"
    bob.store.ack(pending.id)
    assert bob.store.pending() == []
    with pytest.raises(QorganError.NotFound) as e:
        bob.store.ack(pending.id)
    assert str(e.value) == "not found: inbox entry"
    # The reply, then a catch-up of five in one call.
    bob.store.encrypt(alice.id, b"qalaisyz")
    assert text(deliver(bob, alice)[0]) == b"qalaisyz"
    queued = [QueuedMessage(sender=bob.id, bytes=bob.store.encrypt(alice.id, bytes([i])).bytes)
              for i in range(5)]
    assert qorgan.message_info(queued[0].bytes).message_type == MessageType.MESSAGE
    results = alice.store.decrypt_batch(queued + [QueuedMessage(sender=bob.id, bytes=b"\x01\x02")],
                                        NOW)
    assert [text(r.delivery) for r in results[:5]] == [bytes([i]) for i in range(5)]
    assert results[5].delivery is None and some(results[5].error).kind == qorgan.ErrorKind.MALFORMED
    assert all(some(r.delivery).is_duplicate() for r in alice.store.decrypt_batch(queued, NOW))
    assert len(alice.store.pending()) == 6
    alice.store.close()
    bob.store.close()


def test_wrong_key_corrupt_file_and_newer_schema_are_told_apart(people: People, tmp_path: pathlib.Path) -> None:
    p = people("p")
    p.store.close()
    with pytest.raises(QorganError.WrongStorageKey) as wrong_storage_key:
        StoreAccount.open(p.path, StorageKey.generate(), options())
    assert str(wrong_storage_key.value) == "wrong storage key for this store"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, not at all, really")
    with pytest.raises(QorganError.CorruptStore) as corrupt_store:
        StoreAccount.open(str(junk), p.key, options())
    assert str(corrupt_store.value).startswith("store is corrupt: ") and corrupt_store.value.reason
    # A newer library wrote schema version 2.
    with sqlite3.connect(p.path) as db:
        db.execute("UPDATE meta SET value = ? WHERE name = 'schema'", (struct.pack(">I", 2),))
    db.close()
    with pytest.raises(QorganError.NewerVersion) as newer_version:
        StoreAccount.open(p.path, p.key, options())
    assert (newer_version.value.found, newer_version.value.supported) == (2, 1)
    assert str(newer_version.value) == "store schema version 2 is newer than this library's 1"
    # The key goes to the keystore and comes back.
    assert len(p.key.to_bytes()) == 32
    with pytest.raises(QorganError.InvalidArgument):
        StorageKey.from_bytes(b"short")


class Keystore(StoreAnchor):
    """The app's copy of the store's counter (the platform keystore)."""

    def __init__(self) -> None:
        self.counter: Optional[int] = None

    def load(self) -> Optional[int]:
        return self.counter

    def store(self, counter: int) -> None:
        self.counter = counter


def test_an_anchor_detects_a_rolled_back_file(people: People) -> None:
    alice, bob = people("alice"), people("bob")
    introduce(alice, bob)
    bob.store.close()
    keystore = Keystore()
    bob.store = StoreAccount.open_anchored(bob.path, bob.key, options(), keystore)
    assert keystore.counter == bob.store.counter()
    bob.store.close()
    shutil.copy(bob.path, bob.path + ".bak")         # the backup
    bob.store = StoreAccount.open_anchored(bob.path, bob.key, options(), keystore)
    bob.store.decrypt(alice.id, alice.store.encrypt(bob.id, b"after the backup").bytes, NOW)
    held = keystore.counter
    bob.store.close()
    shutil.copy(bob.path + ".bak", bob.path)         # put back
    with pytest.raises(QorganError.StoreRolledBack) as e:
        StoreAccount.open_anchored(bob.path, bob.key, options(), keystore)
    assert e.value.anchor == held and e.value.store < held
    assert str(e.value) == (f"store was rolled back: its counter {e.value.store} "
                            f"is below the anchor {held}")
    with StoreAccount.open_rolled_back(bob.path, bob.key, options(), keystore) as store:
        assert any(isinstance(ev.event, StoreEvent.ROLLED_BACK) for ev in store.events())
        for ev in store.events():
            store.dismiss(ev.id)
        assert store.events() == []


def test_a_group_with_a_removal(people: People) -> None:
    group = b"ops"
    alice, bob, carol = people("alice"), people("bob"), people("carol")
    introduce(alice, bob)
    introduce(alice, carol)

    def member(p: Person, role: RosterRole = RosterRole.MEMBER) -> RosterMember:
        return RosterMember(account_key=p.store.account_key(), role=role)

    roster = alice.store.create_group(group, [member(bob), member(carol)], NOW)
    assert roster.epoch() == 1
    for p in (bob, carol):
        alice.store.invite(group, p.id)
        [d] = deliver(alice, p)
        assert d.is_event() and event(d) == StoreEvent.ROSTER_CHANGED(group_id=group, epoch=1)
        assert some(p.store.roster(group)).epoch() == 1
    sent = alice.store.group_encrypt(group, b"orders", NOW)
    assert len(sent.distributions) == 2 and sent.missing == []
    for p in (bob, carol):
        [d] = deliver(alice, p)
        assert isinstance(event(d), StoreEvent.GROUP_KEY)
        got = p.store.group_decrypt(group, alice.id, sent.message.bytes)
        assert text(got) == b"orders" and incoming(got).group_id == group
    # Carol removed: the roster goes to Bob, the next message is on a new
    # chain that only Bob gets.
    changed = alice.store.change_members(group, [member(bob), member(alice, RosterRole.ADMIN)])
    assert changed.roster.epoch() == 2 and len(changed.queued) == 1
    deliver(alice, bob)
    assert some(bob.store.roster(group)).epoch() == 2
    sent = alice.store.group_encrypt(group, b"without Carol", NOW)
    assert [d.to for d in sent.distributions] == [Destination.DEVICE(identity_key=bob.id)]
    deliver(alice, bob)
    assert text(bob.store.group_decrypt(group, alice.id, sent.message.bytes)) == b"without Carol"
    with pytest.raises(QorganError) as e:
        carol.store.group_decrypt(group, alice.id, sent.message.bytes)
    assert str(e.value)
    with pytest.raises(QorganError.NotFound):
        alice.store.group_encrypt(b"no such group", b"x", NOW)


def test_prekey_upload(people: People) -> None:
    p = people("p")
    upload = some(p.store.prekey_upload(NOW))      # a new store's first upload
    info = qorgan.verify_upload(upload)            # what the server checks
    assert info.identity_key == p.id and len(info.one_time_prekey_ids) == 100
    assert not p.store.upload_due(NOW)
    assert p.store.prekey_upload(NOW) is None
    assert p.store.upload_due(NOW + 8 * 86_400)    # the signed prekey is due
    assert qorgan.verify_upload(some(p.store.prekey_upload(NOW + 8 * 86_400))).signed_prekey_id


def test_objects_close(people: People, tmp_path: pathlib.Path) -> None:
    p = people("p")
    with StoreAccount.open(str(tmp_path / "q.db"), StorageKey.generate(), options()) as q:
        q.bundle()
    with pytest.raises(ValueError, match="StoreAccount is closed"):
        q.bundle()
    q.close()                                      # idempotent
    with StorageKey.generate() as key:
        pass
    with pytest.raises(ValueError, match="StorageKey is closed"):
        StoreAccount.open(str(tmp_path / "r.db"), key, options())
    # Every object is a context manager.
    with qorgan.Device(NOW) as d:
        assert d.identity_key()
    p.store.close()


def test_errors_read_as_sentences() -> None:
    e = QorganError.UnknownPreKey(what="one-time prekey", id=7)
    assert str(e) == "unknown or consumed one-time prekey 7"
    assert qorgan.error_message(e) == str(e)
    assert str(QorganError.WrongChain(chain_id=1, held_chain_id=2)) == (
        "group message for chain 0x00000001, this receiver holds chain 0x00000002")
    with pytest.raises(QorganError.Malformed):
        qorgan.message_info(b"\x01")
