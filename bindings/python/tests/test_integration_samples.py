"""The Python samples of docs/INTEGRATION.md ("The account store"), run as a
test. Each region between ``# [sample …]`` and ``# [/sample]`` is in the
guide verbatim (bindings/check-samples.sh compares them). The stand-ins are
what a service has of its own: a secret store, a server client, a database.

The guide shows its samples without type annotations, so the functions of
the sample regions have none (mypy: allow-untyped-defs, allow-untyped-calls
for this file only); everything around them is annotated.
"""
# mypy: allow-untyped-defs, allow-untyped-calls

from __future__ import annotations

import pathlib
from typing import Optional, Union

import qorgan
from qorgan import (Destination, Durability, QorganError, QueuedMessage, StorageKey,
                    StoreAccount, StoreAnchor, StoreOptions)

NOW = 1_790_000_000


class Secrets:
    """Stand-in for the service's secret store (a KMS, a vault)."""

    def __init__(self) -> None:
        self.items: dict[str, Union[bytes, int]] = {}

    def get(self, name: str) -> Optional[Union[bytes, int]]:
        return self.items.get(name)

    def put(self, name: str, value: Union[bytes, int]) -> None:
        self.items[name] = value


class SecretsAnchor(StoreAnchor):
    """The store's counter, kept in the secret store: restoring a disk
    snapshot does not restore it."""

    def __init__(self, secrets: Secrets) -> None:
        self.secrets = secrets

    def load(self) -> Optional[int]:
        counter = self.secrets.get("qorgan-counter")
        assert counter is None or isinstance(counter, int)
        return counter

    def store(self, counter: int) -> None:
        self.secrets.put("qorgan-counter", counter)


class Server:
    """Stand-in for the messaging server: a queue per device, bundles."""

    def __init__(self) -> None:
        self.queues: dict[bytes, list[QueuedMessage]] = {}
        self.bundles: dict[bytes, bytes] = {}
        self.uploads: list[bytes] = []

    def register(self, store: StoreAccount) -> None:
        self.bundles[store.identity()] = store.bundle()

    def send(self, sender: bytes, to: Destination, data: bytes) -> None:
        assert isinstance(to, Destination.DEVICE)
        self.queues.setdefault(to.identity_key, []).append(QueuedMessage(sender=sender, bytes=data))

    def fetch(self, device: bytes) -> list[QueuedMessage]:
        return self.queues.pop(device, [])

    def upload_prekeys(self, upload: bytes) -> None:
        qorgan.verify_upload(upload)
        self.uploads.append(upload)


# [sample python-open]
def open_store(path, secrets):
    raw = secrets.get("qorgan-storage-key")
    key = StorageKey.from_bytes(raw) if raw else StorageKey.generate()
    if raw is None:
        secrets.put("qorgan-storage-key", key.to_bytes())
    options = StoreOptions(durability=Durability.FULL, device_label="notary bot", now=NOW)
    with key:
        try:
            return StoreAccount.open_anchored(path, key, options, SecretsAnchor(secrets))
        except QorganError.StoreRolledBack as e:
            print("store rolled back:", e)  # "store was rolled back: its counter 7 is below the anchor 9"
            return StoreAccount.open_rolled_back(path, key, options, SecretsAnchor(secrets))
# [/sample]


# [sample python-loops]
def send(store, server, device, text):
    store.encrypt(device, text.encode())        # committed, in the outbox
    flush_outbox(store, server)


def flush_outbox(store, server):                # also at start-up, after a crash
    for out in store.outbox():
        server.send(store.identity(), out.to, out.bytes)
        store.mark_sent(out.id)


def receive(store, server, db):
    for m in store.pending():                   # decrypted before a crash, not saved
        db.append(m.plaintext.decode())
        store.ack(m.id)
    for r in store.decrypt_batch(server.fetch(store.identity()), NOW):
        if r.delivery is not None and r.delivery.is_message():
            db.append(r.delivery.incoming.plaintext.decode())
            store.ack(r.delivery.incoming.id)
        elif r.error is not None:
            print("dropped:", r.error.kind, r.error.message)
# [/sample]


# [sample python-prekeys]
def keep_prekeys_supplied(store, server):
    # At start-up and after receiving; a new store's first call returns its
    # first upload. Committed: upload it again after a crash.
    upload = store.prekey_upload(NOW)
    if upload is not None:                      # None: the server lacks nothing
        server.upload_prekeys(upload)
    # store.upload_due(NOW) is a cheap check for a job between those calls.
# [/sample]


def test_the_guides_samples_run(tmp_path: pathlib.Path) -> None:
    server = Server()
    secrets_a, secrets_b = Secrets(), Secrets()
    alice = open_store(str(tmp_path / "alice.db"), secrets_a)
    bob = open_store(str(tmp_path / "bob.db"), secrets_b)
    for s in (alice, bob):
        keep_prekeys_supplied(s, server)
        server.register(s)
    assert len(server.uploads) == 2
    alice.update_contact([bob.device_list()])
    bob.update_contact([alice.device_list()])
    alice.start_session(server.bundles[bob.identity()])
    send(alice, server, bob.identity(), "salem")
    db: list[str] = []
    receive(bob, server, db)
    assert db == ["salem"]
    # A crash after decrypting, before saving: pending after reopening.
    send(alice, server, bob.identity(), "after a crash")
    bob.decrypt_batch(server.fetch(bob.identity()), NOW)
    bob.close()
    with open_store(str(tmp_path / "bob.db"), secrets_b) as bob:
        receive(bob, server, db)
        assert db == ["salem", "after a crash"]
    alice.close()
