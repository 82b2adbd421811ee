"""Shared helpers: devices, established sessions, a group policy."""

import os

import pytest

import qorgan

KEY = bytes(range(32))
# The caller's clock (Unix seconds): the library reads none, every call that
# dates prekeys takes it.
NOW = 1_700_000_000
DAY = 86_400


def establish(initiator, responder, hello=b"hello"):
    """A 1:1 session pair: initiator -> responder, confirmed by one reply."""
    ours = initiator.initiate(responder.bundle())
    accepted = responder.accept(ours.encrypt(hello), NOW)
    assert accepted.plaintext == hello
    theirs = accepted.session
    assert ours.decrypt(theirs.encrypt(b"ack")) == b"ack"
    assert not ours.is_pending()
    return ours, theirs


def policy(max_messages=10_000, max_age_secs=7 * 24 * 3600):
    return qorgan.GroupPolicy(max_messages=max_messages, max_age_secs=max_age_secs)


@pytest.fixture
def storage_key():
    return os.urandom(32)
