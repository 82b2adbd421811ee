"""Timings through the Python bindings (not a test: printed by test.sh for
bindings/README.md; QORGAN_PYTHON_TIMING=0 skips). Each figure is the median
of 7 rounds after a warm-up, the same method as the Kotlin, Swift and Rust
timings."""

from __future__ import annotations

import statistics
import time
from typing import Callable

import qorgan

NOW = 1_700_000_000  # the caller's clock, Unix seconds


def per_call(iterations: int, fn: Callable[[], object]) -> float:
    """Median per-iteration time of fn in microseconds."""
    for _ in range(iterations):
        fn()
    samples = []
    for _ in range(7):
        t0 = time.perf_counter_ns()
        for _ in range(iterations):
            fn()
        samples.append((time.perf_counter_ns() - t0) / 1000 / iterations)
    return statistics.median(samples)


def main() -> None:
    alice, bob = qorgan.Device(NOW), qorgan.Device(NOW)
    a = alice.initiate(bob.bundle())
    b = bob.accept(a.encrypt(b"hello"), NOW).session
    a.decrypt(b.encrypt(b"hi"))

    trivial = per_call(20_000, a.is_pending)
    p64 = bytes(range(64))
    p1k = bytes(i & 0xFF for i in range(1024))
    rt64 = per_call(2_000, lambda: b.decrypt(a.encrypt(p64)))
    rt1k = per_call(2_000, lambda: b.decrypt(a.encrypt(p1k)))

    # 1:1 catch-up: 500 queued messages, each round on a restored copy.
    session_key = bytes([8]) * 32
    sealed_b = b.seal(session_key)
    session_id, generation = b.session_id(), b.generation()
    queue_1to1 = [a.encrypt(p64) for _ in range(500)]
    catch_up = []
    for round_ in range(6):
        s = qorgan.Session.open(session_key, sealed_b, session_id, generation)
        t0 = time.perf_counter_ns()
        one_to_one = s.decrypt_batch(queue_1to1)
        if round_:
            catch_up.append((time.perf_counter_ns() - t0) / 1e6)
        assert all(r.plaintext is not None for r in one_to_one)

    group = alice.create_group(b"timing", qorgan.GroupPolicy(max_messages=1_000_000, max_age_secs=86_400), 0)
    key = bytes([9]) * 32
    receiver = qorgan.GroupReceiver(group.distribution(), alice.identity_key())
    sealed = receiver.seal(key)
    rx_args = (key, sealed, b"timing", alice.identity_key(), receiver.generation())
    queue = [group.encrypt(p64) for _ in range(500)]
    batch, single = [], []
    for round_ in range(6):
        rx = qorgan.GroupReceiver.open(*rx_args)
        t0 = time.perf_counter_ns()
        results = rx.decrypt_batch(queue)
        ms = (time.perf_counter_ns() - t0) / 1e6
        assert all(r.decrypted is not None for r in results)
        if round_:
            batch.append(ms)
        rx = qorgan.GroupReceiver.open(*rx_args)
        t0 = time.perf_counter_ns()
        for m in queue:
            rx.decrypt(m)
        if round_:
            single.append((time.perf_counter_ns() - t0) / 1e6)
    print(f"timing: trivial call (Session.is_pending)       {trivial:8.2f} µs")
    print(f"timing: encrypt+decrypt 64 B (1:1)             {rt64:8.2f} µs")
    print(f"timing: encrypt+decrypt 1 KiB (1:1)            {rt1k:8.2f} µs")
    print(f"timing: group catch-up, 500 msgs, decrypt_batch {statistics.median(batch):7.2f} ms")
    print(f"timing: group catch-up, 500 msgs, decrypt x500 {statistics.median(single):8.2f} ms")
    print(f"timing: 1:1 catch-up, 500 msgs, decrypt_batch   {statistics.median(catch_up):7.2f} ms")
    store_timings()


def store_timings() -> None:
    """The store (files in a temporary directory, WAL, synchronous NORMAL):
    µs per StoreAccount.decrypt of a 64-byte message, committed, and ms per
    decrypt_batch of 500 queued messages; medians over rounds, each on
    messages encrypted for it."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        opts = qorgan.StoreOptions(durability=qorgan.Durability.NORMAL, device_label="", now=NOW)
        key = qorgan.StorageKey.generate()
        alice = qorgan.StoreAccount.open(f"{d}/alice.db", key, opts)
        bob = qorgan.StoreAccount.open(f"{d}/bob.db", key, opts)
        a_id, b_id = alice.identity(), bob.identity()
        alice.update_contact([bob.device_list()])
        bob.update_contact([alice.device_list()])
        bob.start_session(alice.bundle())
        alice.decrypt(b_id, bob.encrypt(a_id, bytes(64)).bytes, NOW)
        bob.decrypt(a_id, alice.encrypt(b_id, bytes(64)).bytes, NOW)
        p64 = bytes(range(64))

        def queue(n: int) -> list[qorgan.QueuedMessage]:
            return [qorgan.QueuedMessage(sender=b_id, bytes=bob.encrypt(a_id, p64).bytes) for _ in range(n)]

        single = []
        for round_ in range(5):
            q = queue(200)
            t0 = time.perf_counter_ns()
            for m in q:
                alice.decrypt(m.sender, m.bytes, NOW)
            if round_:
                single.append((time.perf_counter_ns() - t0) / 1000 / len(q))
        batch = []
        for round_ in range(4):
            q = queue(500)
            t0 = time.perf_counter_ns()
            results = alice.decrypt_batch(q, NOW)
            if round_:
                batch.append((time.perf_counter_ns() - t0) / 1e6)
            assert all(isinstance(r.delivery, qorgan.StoreDelivery.MESSAGE) for r in results)
        alice.close()
        bob.close()
    print(f"timing: store decrypt 64 B + commit            {statistics.median(single):8.2f} µs")
    print(f"timing: store catch-up, 500 msgs, decrypt_batch {statistics.median(batch):7.2f} ms")


if __name__ == "__main__":
    main()
