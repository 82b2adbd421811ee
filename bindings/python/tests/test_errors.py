"""Every QorganError variant reachable from Python, caught by its own class.

Not provoked here (see README.md, "Errors"):
  * ChainExhausted: a 1:1 sending chain ends after 2**24 - 1 messages
    without a reply (about 16.7 million encrypt calls); the group variant is
    unreachable while the policy's message limit is a u32.
  * Internal: only a failing OS random generator or a mutex poisoned by a
    panic raise it; neither can be caused through the API.
  * NotListed: never raised; ``fanout`` reports it per device in
    ``Delivery.error`` (test_accounts.py), as it does NoSession, which
    ``StoreAccount.encrypt`` raises (test_store.py). NotInRoster likewise, per session
    in ``FanoutResult.error`` of ``distribute_in_roster`` (test_rosters.py).
  * SignerNotAdmin: needs a roster signed by a key that is no admin's, which
    the API never makes (a forgery); the Rust FFI tests and the Kotlin
    tests (a JDK Ed25519 key) provoke it.
The account errors are provoked in test_accounts.py and test_server.py, and
below where those do not reach them.
"""

from __future__ import annotations

import re

import pytest

from conftest import DAY, KEY, NOW, establish, policy
from qorgan import Device, ErrorKind, GroupReceiver, QorganError, Session
import qorgan

ALL_VARIANTS = [
    "Malformed", "BadSignature", "AuthenticationFailed", "Duplicate", "TooFarAhead",
    "UntrustedIdentity", "UnknownPreKey", "PreKeyExpired", "Replay", "NonContributory",
    "RotationRequired", "ChainExhausted", "WrongChain", "BeforeFirstIteration",
    "WrongGroup", "KeyCommitmentMismatch", "ConflictingChainKey", "ConflictingRotation",
    "RetiredChain", "CorruptState", "WrongOwner", "RolledBack", "NotSuccessor", "WrongAccount",
    "ListRolledBack", "Fork", "Gap", "InvalidList", "ProvisioningFailed", "InvalidLinkCode",
    "NoAccountKey", "DeviceNotListed", "Misaddressed", "NotListed", "NoSession",
    # Rosters (test_rosters.py).
    "InvalidRoster", "RosterRolledBack", "RosterFork", "RosterGap", "RosterBehind", "StaleChain",
    "SenderNotMember", "NotMember", "RosterMismatch", "NotAdmin", "SignerNotAdmin",
    "RosterNotSuccessor", "NotInRoster",
    # Certificates (test_certificates.py).
    "InvalidStatement", "UnknownIssuer", "InvalidChain", "NotYetValid", "Expired", "Revoked",
    "WrongSubject", "InvalidText",
    # The store (test_store.py; not Database: SQLite failing, or a lock held
    # past the 10 s busy timeout).
    "WrongStorageKey", "CorruptStore", "NewerVersion", "StoreRolledBack", "Database", "NotFound",
    "InvalidArgument", "Internal",
]


def variants() -> set[str]:
    """The QorganError subclasses the module defines, by name."""
    return {name for name, cls in vars(QorganError).items()
            if isinstance(cls, type) and issubclass(cls, QorganError)}


def test_every_variant_is_a_qorgan_error_subclass() -> None:
    assert variants() == set(ALL_VARIANTS)
    for name in ALL_VARIANTS:
        cls = getattr(QorganError, name)
        assert issubclass(cls, QorganError) and issubclass(cls, Exception)


def test_error_kind_has_one_value_per_variant() -> None:
    # UnknownPreKey -> UNKNOWN_PRE_KEY, as uniffi names enum members.
    expected = {re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).upper() for name in variants()}
    kinds = [k.name for k in ErrorKind]
    assert len(kinds) == len(set(kinds)) == len(variants())
    assert set(kinds) == expected


def test_malformed() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, _ = establish(alice, bob)
    for call in (lambda: a.decrypt(b""),
                 lambda: a.decrypt(b"\x01\x01short"),
                 lambda: a.decrypt(b"\x07\x01" + bytes(80)),  # unknown version
                 lambda: alice.initiate(b"not a bundle"),
                 lambda: bob.accept(b"\x01\x02" + bytes(10), NOW),
                 lambda: qorgan.verify_bundle(b"\x01\x10"),
                 lambda: alice.safety_number(b"\x00" * 3, b"", b"")):
        with pytest.raises(QorganError.Malformed) as e:
            call()
        assert e.value.reason
    # A normal message is not a handshake.
    with pytest.raises(QorganError.Malformed):
        bob.accept(a.encrypt(b"not a prekey message"), NOW)


def test_bad_signature() -> None:
    alice, bob = Device(NOW), Device(NOW)
    identity = bytearray(bob.identity_key())
    identity[-64] ^= 0x01  # the identity's binding signature
    with pytest.raises(QorganError.BadSignature) as e:
        qorgan.verify_identity(bytes(identity))
    assert e.value.what
    bundle = bytearray(bob.bundle())
    bundle[-70] ^= 0x01  # inside the ML-KEM prekey's signature
    with pytest.raises(QorganError.BadSignature):
        alice.initiate(bytes(bundle))
    # A sender-key announcement ends with the chain key's proof of
    # possession (64 bytes) and the identity's signature (64 bytes).
    announcement = alice.create_group(b"g", policy(), 0).announcement()
    for index, what in ((-10, "sender-key distribution"),
                        (-64 - 10, "sender-key proof of possession")):
        flipped = bytearray(announcement)
        flipped[index] ^= 0x01
        with pytest.raises(QorganError.BadSignature) as e:
            qorgan.verify_announcement(bytes(flipped))
        assert e.value.what == what


def test_authentication_failed() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    msg = bytearray(b.encrypt(b"integrity"))
    msg[-1] ^= 0x80  # the tag
    with pytest.raises(QorganError.AuthenticationFailed):
        a.decrypt(bytes(msg))
    # A message of another session.
    c, _ = establish(Device(NOW), bob)
    with pytest.raises(QorganError.AuthenticationFailed):
        a.decrypt(c.encrypt(b"for someone else"))


def test_duplicate() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    msg = b.encrypt(b"once")
    assert a.decrypt(msg) == b"once"
    with pytest.raises(QorganError.Duplicate) as e:
        a.decrypt(msg)
    assert e.value.index == 1  # the reply "ack" of establish() was index 0


def test_too_far_ahead_one_to_one() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    undelivered = [b.encrypt(b"lost") for _ in range(2002)]
    with pytest.raises(QorganError.TooFarAhead) as e:
        a.decrypt(undelivered[-1])
    assert e.value.limit == 2000 and e.value.gap > 2000
    assert a.decrypt(undelivered[1999]) == b"lost"  # within the limit still fine


def test_too_far_ahead_group() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    group = alice.create_group(b"g", policy(), 0)
    rx = GroupReceiver(b.decrypt(a.encrypt(group.distribution())), b.remote_identity())
    msgs = [group.encrypt(b"m") for _ in range(2002)]
    with pytest.raises(QorganError.TooFarAhead):
        rx.decrypt(msgs[-1])


def test_untrusted_identity() -> None:
    alice, bob, carol = Device(NOW), Device(NOW), Device(NOW)
    ab, ba = establish(alice, bob)
    _, bc = establish(carol, bob)
    group = alice.create_group(b"g", policy(), 0)
    dist = ba.decrypt(ab.encrypt(group.distribution()))
    # Alice's distribution presented as if Carol had sent it.
    with pytest.raises(QorganError.UntrustedIdentity):
        GroupReceiver(dist, bc.remote_identity())
    rx = GroupReceiver(dist, ba.remote_identity())
    group.rotate(1)
    with pytest.raises(QorganError.UntrustedIdentity):
        rx.add(ba.decrypt(ab.encrypt(group.distribution())), carol.identity_key())
    # The refused chain was not added; the right sender's is.
    rx.add(ba.decrypt(ab.encrypt(group.distribution())), alice.identity_key())
    assert rx.decrypt(group.encrypt(b"rotated")).plaintext == b"rotated"
    # A prekey message of another session, given to an established session.
    other = alice.initiate(bob.bundle()).encrypt(b"new handshake")
    with pytest.raises(QorganError.UntrustedIdentity):
        ba.decrypt(other)


def test_unknown_prekey() -> None:
    alice, bob, carol = Device(NOW), Device(NOW), Device(NOW)
    bob.generate_one_time_prekeys(1)
    bundle = bob.bundle()  # carries Bob's only one-time prekey
    bob.accept(alice.initiate(bundle).encrypt(b"first"), NOW)
    late = carol.initiate(bundle).encrypt(b"same one-time prekey")
    with pytest.raises(QorganError.UnknownPreKey) as e:
        bob.accept(late, NOW)
    assert e.value.id >= 0
    assert e.value.what == "one-time prekey"
    assert str(e.value) == f"unknown or consumed one-time prekey {e.value.id}"


def test_replay() -> None:
    alice, bob = Device(NOW), Device(NOW)
    assert bob.one_time_prekey_count() == 0
    first = alice.initiate(bob.bundle()).encrypt(b"no one-time prekey")
    bob.accept(first, NOW)
    with pytest.raises(QorganError.Replay):
        bob.accept(first, NOW)


def test_non_contributory() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    # A reply whose ratchet key is the all-zero (low-order) point; the
    # key agreement is refused before the tag is even checked.
    msg = bytearray(b.encrypt(b"x"))
    msg[2:34] = bytes(32)
    a.encrypt(b"Alice's turn: she now holds a ratchet key to agree with")
    with pytest.raises(QorganError.NonContributory):
        a.decrypt(bytes(msg))


def test_rotation_required() -> None:
    group = Device(NOW).create_group(b"g", policy(), 0)
    group.mark_member_removed()
    with pytest.raises(QorganError.RotationRequired) as e:
        group.encrypt(b"x")
    assert e.value.reason


def test_wrong_chain() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    group = alice.create_group(b"g", policy(), 0)
    rx = GroupReceiver(b.decrypt(a.encrypt(group.distribution())), b.remote_identity())
    group.rotate(1)
    with pytest.raises(QorganError.WrongChain):
        rx.decrypt(group.encrypt(b"new chain, never distributed to Bob"))


def test_before_first_iteration() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    group = alice.create_group(b"g", policy(), 0)
    early = [group.encrypt(f"early {i}".encode()) for i in range(3)]
    assert group.iteration() == 3
    # Bob joins late: the distribution starts at the current iteration.
    rx = GroupReceiver(b.decrypt(a.encrypt(group.distribution())), b.remote_identity())
    later = group.encrypt(b"after joining")
    for m in early:
        with pytest.raises(QorganError.BeforeFirstIteration):
            rx.decrypt(m)
    assert rx.decrypt(later).plaintext == b"after joining"


def test_corrupt_state() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, _ = establish(alice, bob)
    sealed = a.seal(KEY)
    sid = a.session_id()
    with pytest.raises(QorganError.CorruptState):
        Session.open(bytes(32), sealed, sid, 0)  # another key
    flipped = bytearray(sealed)
    flipped[len(flipped) // 2] ^= 1
    with pytest.raises(QorganError.CorruptState):
        Session.open(KEY, bytes(flipped), sid, 0)
    with pytest.raises(QorganError.CorruptState):
        Device.open(KEY, b"", alice.identity_key(), 0)
    with pytest.raises(QorganError.CorruptState):
        alice.open_group(KEY, alice.create_group(b"g", policy(), 0).seal(bytes(32)), b"g", 0)
    # A sealed session is not a sealed device.
    with pytest.raises(QorganError.CorruptState):
        Device.open(KEY, sealed, alice.identity_key(), 0)


def test_invalid_argument() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    for call in (lambda: a.seal(b"short key"),
                 lambda: Session.open(bytes(31), b"", bytes(32), 0),
                 lambda: Session.open(KEY, a.seal(KEY), a.session_id()[:31], 0),
                 lambda: alice.seal(bytes(33)),
                 lambda: alice.create_group(b"g", policy(), 0).seal(b""),
                 lambda: alice.open_group(bytes(16), b"", b"g", 0),
                 lambda: alice.open_group(KEY, b"", b"x" * 65, 0),
                 # A group id over 64 bytes.
                 lambda: alice.create_group(b"x" * 65, policy(), 0)):
        with pytest.raises(QorganError.InvalidArgument) as e:
            call()
        assert e.value.reason
    assert alice.create_group(b"x" * 64, policy(), 0).group_id() == b"x" * 64


def test_wrong_group() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    g1, g2 = alice.create_group(b"g1", policy(), 0), alice.create_group(b"g2", policy(), 0)
    rx = GroupReceiver(b.decrypt(a.encrypt(g1.distribution())), b.remote_identity())
    # A distribution of another group's chain (same sender) added to the receiver.
    with pytest.raises(QorganError.WrongGroup) as e:
        rx.add(b.decrypt(a.encrypt(g2.distribution())), b.remote_identity())
    assert e.value.reason
    assert rx.decrypt(g1.encrypt(b"still g1")).plaintext == b"still g1"
    with pytest.raises(QorganError.WrongChain):
        rx.decrypt(g2.encrypt(b"g2 stays unreadable"))


def test_key_commitment_mismatch_and_conflicting_chain_key_from_a_tampered_export() -> None:
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    group = alice.create_group(b"g", policy(), 0)
    dist = b.decrypt(a.encrypt(group.distribution()))
    rx = GroupReceiver(dist, b.remote_identity())
    export = rx.export()
    # The export's announcement is signed (checked on import); its chain
    # key, the last 32 bytes, is not: the import succeeds ...
    tampered = bytearray(export)
    tampered[-1] ^= 0x01
    wrong = GroupReceiver.from_export(bytes(tampered))
    assert wrong.sender_identity() == alice.identity_key()
    # ... and every message then fails its key commitment.
    msg = group.encrypt(b"m")
    with pytest.raises(QorganError.KeyCommitmentMismatch) as mismatch:
        wrong.decrypt(msg)
    assert mismatch.value.iteration == 0
    [result] = wrong.decrypt_batch([msg])
    assert result.decrypted is None
    assert result.error is not None
    assert result.error.kind == ErrorKind.KEY_COMMITMENT_MISMATCH
    assert "key commitment mismatch at iteration 0" in result.error.message
    # The sender's own distribution of that chain does not merge with it.
    with pytest.raises(QorganError.ConflictingChainKey) as conflicting:
        wrong.add(dist, b.remote_identity())
    assert conflicting.value.chain_id == group.chain_id()
    # The genuine copy reads the message.
    assert rx.decrypt(msg).plaintext == b"m"
    # A flipped bit in the export's announcement is a bad signature.
    signed = bytearray(export)
    signed[-36 - 10] ^= 0x01  # the identity's signature, before iteration and chain key
    with pytest.raises(QorganError.BadSignature) as bad:
        GroupReceiver.from_export(bytes(signed))
    assert bad.value.what == "sender-key distribution"


def test_conflicting_rotation() -> None:
    alice = Device(NOW)
    group = alice.create_group(b"g", policy(), 0)
    rx = GroupReceiver(group.distribution(), alice.identity_key())
    # A copy of the sender's state, rotated apart from the original: two
    # different chains announced as rotation 1.
    # (The app's own rollback protection would refuse this copy once it
    # recorded a later generation; here both copies are at generation 1.)
    fork = alice.open_group(KEY, group.seal(KEY), b"g", group.generation())
    group.rotate(1)
    fork.rotate(1)
    assert group.rotation() == fork.rotation() == 1
    rx.add(group.distribution(), alice.identity_key())
    with pytest.raises(QorganError.ConflictingRotation) as e:
        rx.add(fork.distribution(), alice.identity_key())
    assert e.value.rotation == 1
    assert rx.decrypt(group.encrypt(b"kept")).rotation == 1
    with pytest.raises(QorganError.WrongChain):
        rx.decrypt(fork.encrypt(b"refused"))


def test_retired_chain() -> None:
    alice = Device(NOW)
    group = alice.create_group(b"g", policy(), 0)
    first = group.distribution()
    rx = GroupReceiver(first, alice.identity_key())
    # A receiver keeps the current chain and two retired ones: after three
    # rotations rotation 0 is dropped, and stays dropped.
    for now in (1, 2, 3):
        group.rotate(now)
        rx.add(group.distribution(), alice.identity_key())
    with pytest.raises(QorganError.RetiredChain) as e:
        rx.add(first, alice.identity_key())
    assert (e.value.rotation, e.value.oldest) == (0, 1)
    got = rx.decrypt(group.encrypt(b"current"))
    assert (got.plaintext, got.rotation) == (b"current", 3)


def test_wrong_owner() -> None:
    """Authentic sealed state of another object than the one asked for."""
    alice, bob, carol = Device(NOW), Device(NOW), Device(NOW)
    ab, _ = establish(alice, bob)
    ac, _ = establish(alice, carol)
    # Carol's session stored where Bob's should be.
    with pytest.raises(QorganError.WrongOwner):
        Session.open(KEY, ac.seal(KEY), ab.session_id(), 0)
    # Another device's state.
    with pytest.raises(QorganError.WrongOwner):
        Device.open(KEY, bob.seal(KEY), carol.identity_key(), 0)
    # Another group's chain, another sender's receiver.
    group = alice.create_group(b"g1", policy(), 0)
    with pytest.raises(QorganError.WrongOwner):
        alice.open_group(KEY, group.seal(KEY), b"g2", 0)
    rx = GroupReceiver(group.distribution(), alice.identity_key())
    with pytest.raises(QorganError.WrongOwner):
        GroupReceiver.open(KEY, rx.seal(KEY), b"g1", bob.identity_key(), 0)
    assert rx.group_id() == b"g1"
    GroupReceiver.open(KEY, rx.seal(KEY), b"g1", alice.identity_key(), rx.generation())


def test_rolled_back() -> None:
    """An older blob of the expected object than the generation recorded."""
    alice, bob = Device(NOW), Device(NOW)
    a, b = establish(alice, bob)
    older = a.seal(KEY)
    assert b.decrypt(a.encrypt(b"sent after the backup")) == b"sent after the backup"
    newer = a.seal(KEY)
    assert a.generation() == 2
    with pytest.raises(QorganError.RolledBack) as e:
        Session.open(KEY, older, a.session_id(), a.generation())
    assert (e.value.min_generation, e.value.found) == (2, 1)
    assert Session.open(KEY, newer, a.session_id(), 2).generation() == 2
    old_device = bob.seal(KEY)
    bob.seal(KEY)
    with pytest.raises(QorganError.RolledBack):
        Device.open(KEY, old_device, bob.identity_key(), bob.generation())


def test_prekey_expired() -> None:
    alice, bob = Device(NOW), Device(NOW)
    first = alice.initiate(bob.bundle()).encrypt(b"from a bundle fetched long ago")
    bob.rotate_signed_prekey(NOW + DAY)
    # 28 days after its retirement the old signed prekey is refused.
    with pytest.raises(QorganError.PreKeyExpired) as e:
        bob.accept(first, NOW + DAY + 28 * DAY)
    assert (e.value.what, e.value.id) == ("signed prekey", 1)
    assert bob.prune(NOW + DAY + 28 * DAY) == 1
    with pytest.raises(QorganError.UnknownPreKey):
        bob.accept(first, NOW + DAY + 28 * DAY)


def test_account_errors_not_reached_elsewhere() -> None:
    phone = Device(NOW)
    with pytest.raises(QorganError.InvalidList) as e:
        qorgan.Account.create(phone, "x" * 65)
    assert e.value.reason
    bob = qorgan.Account.create(phone, "phone")
    with pytest.raises(QorganError.InvalidList):
        bob.remove_device(Device(NOW).identity_key())
    with pytest.raises(QorganError.InvalidLinkCode):
        qorgan.link_code_device("not a link code")
    with pytest.raises(QorganError.InvalidArgument):
        qorgan.Account.open(KEY, bob.seal(KEY), b"short", 0)
    with pytest.raises(QorganError.Malformed):
        qorgan.Contact.pin(b"not a list")
