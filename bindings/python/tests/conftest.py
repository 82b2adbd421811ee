"""Shared helpers: devices, established sessions, a group policy."""

from __future__ import annotations

import os
from typing import Optional, TypeVar

import pytest

import qorgan

KEY = bytes(range(32))
# The caller's clock (Unix seconds): the library reads none, every call that
# dates prekeys takes it.
NOW = 1_700_000_000
DAY = 86_400

T = TypeVar("T")


def some(value: Optional[T]) -> T:
    """The value of an optional field the test expects to be set (a
    result's plaintext, a failure's error): fails the test if it is None."""
    assert value is not None
    return value


def establish(initiator: qorgan.Device, responder: qorgan.Device,
              hello: bytes = b"hello") -> tuple[qorgan.Session, qorgan.Session]:
    """A 1:1 session pair: initiator -> responder, confirmed by one reply."""
    ours = initiator.initiate(responder.bundle())
    accepted = responder.accept(ours.encrypt(hello), NOW)
    assert accepted.plaintext == hello
    theirs = accepted.session
    assert ours.decrypt(theirs.encrypt(b"ack")) == b"ack"
    assert not ours.is_pending()
    return ours, theirs


def policy(max_messages: int = 10_000, max_age_secs: int = 7 * 24 * 3600) -> qorgan.GroupPolicy:
    return qorgan.GroupPolicy(max_messages=max_messages, max_age_secs=max_age_secs)


@pytest.fixture
def storage_key() -> bytes:
    return os.urandom(32)
