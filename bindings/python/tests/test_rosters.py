"""Group rosters: membership signed by admins, bound to every sender-key chain."""

from __future__ import annotations

import pytest

from conftest import NOW, policy, some
from qorgan import (Account, Contact, Device, ErrorKind, FanoutResult, GroupReceiver, QorganError,
                    Roster, RosterMember, RosterRole, RotationReason, VerifyItem)
import qorgan

GROUP = b"ministry-ops"


class Person:
    """A person with one device and its account."""

    def __init__(self, label: str) -> None:
        self.device = Device(NOW)
        self.account = Account.create(self.device, label)

    def key(self) -> bytes:
        return self.account.account_key()

    def contact(self) -> Contact:
        return Contact.pin(self.account.device_list())

    def member(self, role: RosterRole) -> RosterMember:
        return RosterMember(account_key=self.key(), role=role)


def ciphertext(result: FanoutResult) -> bytes:
    assert result.error is None, result.error
    return some(result.ciphertext)


def test_a_removal_forces_a_rotation_and_only_members_devices_get_the_chain() -> None:
    alice, bob, carol = Person("Alice"), Person("Bob"), Person("Carol")
    mallory = Person("operator's listener")
    created = Roster.create(alice.account, GROUP, [alice.member(RosterRole.ADMIN),
                                                   bob.member(RosterRole.MEMBER),
                                                   carol.member(RosterRole.MEMBER)])
    assert created.epoch() == 1 and created.previous() is None
    assert created.signer() == alice.key()
    assert created.role_of(alice.key()) == RosterRole.ADMIN
    assert created.role_of(mallory.key()) is None
    r1 = Roster.from_bytes(created.to_bytes())  # as devices get it: verified

    out = alice.device.create_group_in_roster(r1, alice.account, policy(), NOW)
    assert out.roster() == r1.head()
    sessions = [alice.device.initiate(p.device.bundle()) for p in (bob, carol, mallory)]
    contacts = [bob.contact(), carol.contact(), mallory.contact()]
    results = out.distribute_in_roster(r1, alice.account, contacts, sessions)
    # The operator's listener gets nothing.
    assert results[2].ciphertext is None
    assert some(results[2].error).kind == ErrorKind.NOT_IN_ROSTER
    assert some(results[2].error).message == "device not of a roster member: nothing sent"
    with pytest.raises(QorganError.RosterMismatch):
        out.distribute(sessions)

    alice_at_bob = alice.contact()
    bob_first = bob.device.accept(ciphertext(results[0]), NOW)
    from_alice = bob_first.session.remote_identity()
    with pytest.raises(QorganError.RosterMismatch):
        GroupReceiver(bob_first.plaintext, from_alice)
    bob_rx = GroupReceiver.new_in_roster(bob_first.plaintext, from_alice, r1, bob.account,
                                         alice_at_bob)
    carol_first = carol.device.accept(ciphertext(results[1]), NOW)
    carol_rx = GroupReceiver.new_in_roster(carol_first.plaintext,
                                           carol_first.session.remote_identity(), r1,
                                           carol.account, alice.contact())
    m1 = out.encrypt(b"orders")
    for rx, person in ((bob_rx, bob), (carol_rx, carol)):
        read = rx.decrypt_in_roster(m1, r1, person.account, alice.contact())
        assert read.plaintext == b"orders" and read.roster == r1.head()
    with pytest.raises(QorganError.RosterMismatch):
        bob_rx.decrypt(m1)  # the roster check cannot be skipped
    late = out.encrypt(b"sent before the removal")

    # Alice removes Carol (epoch 2); devices advance to it.
    r2 = r1.without_member(alice.account, carol.key())
    update = r1.advance([r2.to_bytes()])
    assert update.roster.head() == r2.head()
    assert (update.change.before, update.change.after) == (r1.head(), r2.head())
    assert update.change.removed == [carol.key()] and update.change.added == []
    old_announcement = out.announcement()

    out.apply_roster(update.change)
    assert out.rotation_due(NOW) == RotationReason.MEMBER_REMOVED
    with pytest.raises(QorganError.RotationRequired) as rotation_required:
        out.encrypt(b"too early")
    assert rotation_required.value.reason == "a member was removed"
    with pytest.raises(QorganError.StaleChain) as stale_chain:
        out.distribute_in_roster(update.roster, alice.account, contacts, sessions)
    assert (stale_chain.value.held, stale_chain.value.announced) == (2, 1)
    out.rotate(NOW)
    assert out.roster() == r2.head()
    again = out.distribute_in_roster(update.roster, alice.account, contacts, sessions)
    assert again[0].error is None
    assert [some(r.error).kind for r in again[1:]] == [ErrorKind.NOT_IN_ROSTER] * 2

    # Bob, still at epoch 1, is told to fetch rosters, then takes the chain.
    dist = bob_first.session.decrypt(ciphertext(again[0]))
    with pytest.raises(QorganError.RosterBehind) as roster_behind:
        bob_rx.add_in_roster(dist, from_alice, r1, bob.account, alice_at_bob)
    assert (roster_behind.value.held, roster_behind.value.announced) == (1, 2)
    bobs = r1.advance([r2.to_bytes()]).roster
    bob_rx.add_in_roster(dist, from_alice, bobs, bob.account, alice_at_bob)
    with pytest.raises(QorganError.StaleChain):
        bobs.admit(old_announcement, bob.account, alice_at_bob)
    with pytest.raises(QorganError.NotMember):
        bobs.admit(out.announcement(), carol.account, alice.contact())
    m2 = out.encrypt(b"Carol's access is revoked")
    read = bob_rx.decrypt_in_roster(m2, bobs, bob.account, alice_at_bob)
    assert (read.plaintext, read.rotation, read.roster) == (b"Carol's access is revoked", 1,
                                                            r2.head())
    # Sent before the change, it still reads under epoch 2.
    assert bob_rx.decrypt_in_roster(late, bobs, bob.account, alice_at_bob).roster == r1.head()
    with pytest.raises(QorganError.WrongChain):
        carol_rx.decrypt_in_roster(m2, r1, carol.account, alice.contact())
    [batch] = bob_rx.decrypt_batch_in_roster([m2], bobs, bob.account, alice_at_bob)
    assert some(batch.error).kind == ErrorKind.DUPLICATE

    # Adding a member (no removal) forces a rotation too.
    dana = Person("Dana")
    r3 = bobs.with_member(alice.account, dana.key(), RosterRole.MEMBER)
    change = bobs.advance([r3.to_bytes()]).change
    assert [m.account_key for m in change.added] == [dana.key()]
    out.apply_roster(change)
    assert out.rotation_due(NOW) == RotationReason.ROSTER_CHANGED
    with pytest.raises(QorganError.RotationRequired):
        out.encrypt(b"x")


def test_admit_refuses_non_members_other_groups_and_chains_without_a_roster() -> None:
    alice, bob, outsider = Person("Alice"), Person("Bob"), Person("outsider")
    r1 = Roster.create(alice.account, GROUP,
                       [alice.member(RosterRole.ADMIN), bob.member(RosterRole.MEMBER)])
    out = bob.device.create_group_in_roster(r1, bob.account, policy(), NOW)
    announcement = out.announcement()
    r1.admit(announcement, alice.account, bob.contact())
    # Another device of Bob's account: his own list (no contact).
    r1.admit(announcement, bob.account, None)
    own = GroupReceiver.new_in_roster(out.distribution(), bob.device.identity_key(), r1,
                                      bob.account, None)
    assert own.decrypt_in_roster(out.encrypt(b"hi"), r1, bob.account, None).plaintext == b"hi"
    with pytest.raises(QorganError.RosterMismatch):
        GroupReceiver.from_export(own.export())
    GroupReceiver.from_export_in_roster(own.export(), r1, bob.account, None)
    with pytest.raises(QorganError.SenderNotMember):
        r1.admit(announcement, alice.account, None)  # Bob's device is not in Alice's list
    with pytest.raises(QorganError.NotMember):
        r1.admit(announcement, outsider.account, bob.contact())
    with pytest.raises(QorganError.NotMember):
        outsider.device.create_group_in_roster(r1, outsider.account, policy(), NOW)
    other = Roster.create(alice.account, b"other", [alice.member(RosterRole.ADMIN)])
    with pytest.raises(QorganError.WrongGroup):
        other.admit(announcement, alice.account, bob.contact())
    plain = bob.device.create_group(GROUP, policy(), NOW)
    with pytest.raises(QorganError.RosterMismatch):
        r1.admit(plain.announcement(), alice.account, bob.contact())
    with pytest.raises(QorganError.RosterMismatch):
        plain.apply_roster(r1.advance([r1.to_bytes()]).change)


def test_roster_chain_refusals_are_typed() -> None:
    alice, bob, dana = Person("Alice"), Person("Bob"), Person("Dana")
    r1 = Roster.create(alice.account, GROUP,
                       [alice.member(RosterRole.ADMIN), bob.member(RosterRole.ADMIN)])
    with pytest.raises(QorganError.NotAdmin):
        Roster.create(alice.account, GROUP,
                      [alice.member(RosterRole.MEMBER), bob.member(RosterRole.ADMIN)])
    with pytest.raises(QorganError.NotAdmin):
        r1.with_member(dana.account, dana.key(), RosterRole.ADMIN)
    with pytest.raises(QorganError.InvalidRoster) as invalid_roster:
        r1.without_member(alice.account, dana.key())
    assert invalid_roster.value.reason == "account not a member"
    with pytest.raises(QorganError.InvalidArgument):
        r1.with_member(alice.account, bytes(31), RosterRole.MEMBER)

    # Two admins change the group at once: a fork.
    r2 = r1.with_member(alice.account, dana.key(), RosterRole.MEMBER)
    r2_fork = r1.without_member(bob.account, alice.key())
    held = r1.advance([r2.to_bytes()]).roster
    with pytest.raises(QorganError.RosterFork) as roster_fork:
        held.advance([r2_fork.to_bytes()])
    assert roster_fork.value.held == r2.head() and roster_fork.value.seen.epoch == 2
    with pytest.raises(QorganError.RosterRolledBack) as roster_rolled_back:
        held.advance([r1.to_bytes()])
    assert (roster_rolled_back.value.held, roster_rolled_back.value.offered) == (2, 1)
    r3 = r2.without_member(alice.account, dana.key())
    r4 = r3.with_member(alice.account, dana.key(), RosterRole.MEMBER)
    with pytest.raises(QorganError.RosterGap) as roster_gap:
        held.advance([r4.to_bytes()])
    assert (roster_gap.value.first_missing, roster_gap.value.offered) == (3, 4)
    assert held.advance([r3.to_bytes(), r4.to_bytes()]).roster.epoch() == 4
    history = [r.to_bytes() for r in (r1, r2, r3, r4)]
    assert Roster.from_history(history, r2.head()).head() == r4.head()
    with pytest.raises(QorganError.InvalidRoster):
        Roster.from_history(history, r2_fork.head())
    # An edited roster: its signature breaks.
    edited = bytearray(r2.to_bytes())
    edited[-64 - 32 - 1] ^= 1
    with pytest.raises(QorganError.BadSignature) as bad_signature:
        Roster.from_bytes(bytes(edited))
    assert bad_signature.value.what == "group roster"


def test_a_server_verifies_rosters_one_by_one_and_in_a_batch() -> None:
    alice, bob = Person("Alice"), Person("Bob")
    r1 = Roster.create(alice.account, GROUP, [alice.member(RosterRole.ADMIN)])
    r2 = r1.with_member(alice.account, bob.key(), RosterRole.MEMBER)
    info = qorgan.verify_roster(r1.to_bytes())
    assert (info.group_id, info.epoch, info.previous, info.signer) == (GROUP, 1, None, alice.key())
    assert info.head == r1.head() and info.members == r1.members()
    after = qorgan.verify_roster_after(r1.to_bytes(), r2.to_bytes())
    assert after.previous == r1.head().hash and len(after.members) == 2
    with pytest.raises(QorganError.RosterNotSuccessor) as e:
        qorgan.verify_roster_after(r2.to_bytes(), r1.to_bytes())
    assert (e.value.epoch, e.value.previous_epoch) == (1, 2)
    with pytest.raises(QorganError.InvalidArgument):
        qorgan.verify_roster_after(b"junk", r2.to_bytes())
    bad = r1.to_bytes()[:-1] + bytes([r1.to_bytes()[-1] ^ 1])
    results = qorgan.verify_batch([
        VerifyItem.ROSTER(bytes=r1.to_bytes()),
        VerifyItem.ROSTER(bytes=bad),
        VerifyItem.ROSTER_AFTER(previous=r1.to_bytes(), bytes=r2.to_bytes()),
        VerifyItem.ROSTER_AFTER(previous=r2.to_bytes(), bytes=r1.to_bytes()),
        VerifyItem.ROSTER_AFTER(previous=b"junk", bytes=r2.to_bytes()),
    ])
    assert [r.valid for r in results] == [True, False, True, False, False]
    assert [r.error and r.error.kind for r in results] == [
        None, ErrorKind.BAD_SIGNATURE, None, ErrorKind.ROSTER_NOT_SUCCESSOR,
        ErrorKind.INVALID_ARGUMENT]
