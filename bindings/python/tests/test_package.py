"""The installed wheel, not the source tree, is what the tests import."""

from __future__ import annotations

import os
import sys

import pytest

import qorgan


def test_imported_from_installed_wheel() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.dirname(here)
    assert not os.path.abspath(qorgan.__file__).startswith(src + os.sep), qorgan.__file__
    assert os.path.abspath(qorgan.__file__).startswith(os.path.abspath(sys.prefix))
    native = os.path.join(os.path.dirname(qorgan.__file__), "_native", "libqorgan_ffi.so")
    assert os.path.isfile(native)


def test_typed_package_installed() -> None:
    # PEP 561: the marker and the package's stub ship in the wheel, so mypy
    # checks code against the installed package (test.sh runs it on these tests).
    package = os.path.dirname(qorgan.__file__)
    assert os.path.isfile(os.path.join(package, "py.typed"))
    assert os.path.isfile(os.path.join(package, "__init__.pyi"))
    # The committed module ships once, beside the library it loads.
    assert not os.path.exists(os.path.join(package, "qorgan_ffi.py"))


def test_public_names_reexported() -> None:
    for name in [
        "Device", "Session", "OutboundGroup", "GroupReceiver", "GroupPolicy",
        "QorganError", "ErrorKind", "Failure", "BatchResult", "FanoutResult",
        "GroupPlaintext", "GroupBatchResult",
        "AcceptResult", "SafetyNumber", "VerifyItem", "VerifyResult", "RotationReason",
        "UploadInfo", "verify_upload",
        "Account", "Contact", "LinkRequest", "Provisioned", "ListHead", "ListChange",
        "DeviceInfo", "DeviceListInfo", "Delivery", "Received", "HeadReport", "Comparison",
        "EnvelopeAccounts",
        "fanout", "receive", "envelope_accounts", "link_code_device", "verify_device_list",
        "verify_device_list_after",
        "verify_identity", "verify_bundle", "verify_announcement",
        "verify_group_message", "verify_batch", "safety_numbers_match",
    ]:
        assert name in qorgan.__all__
        assert hasattr(qorgan, name)
    assert qorgan.__version__ == "0.1.0"


def test_groups_are_made_by_a_device() -> None:
    # OutboundGroup has no constructor of its own any more: Device.create_group
    # and Device.open_group give the chain the device's identity.
    with pytest.raises(ValueError):
        # The stub gives the class no constructor: this call is the mistake under test.
        qorgan.OutboundGroup(b"g", qorgan.GroupPolicy(max_messages=1, max_age_secs=1), 0)  # type: ignore[call-arg]
    assert not hasattr(qorgan.OutboundGroup, "open")
    assert callable(qorgan.Device.create_group) and callable(qorgan.Device.open_group)
