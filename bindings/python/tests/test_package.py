"""The installed wheel, not the source tree, is what the tests import."""

import os
import sys

import pytest

import qorgan


def test_imported_from_installed_wheel():
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.dirname(here)
    assert not os.path.abspath(qorgan.__file__).startswith(src + os.sep), qorgan.__file__
    assert os.path.abspath(qorgan.__file__).startswith(os.path.abspath(sys.prefix))
    native = os.path.join(os.path.dirname(qorgan.__file__), "_native", "libqorgan_ffi.so")
    assert os.path.isfile(native)


def test_public_names_reexported():
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


def test_groups_are_made_by_a_device():
    # OutboundGroup has no constructor of its own any more: Device.create_group
    # and Device.open_group give the chain the device's identity.
    with pytest.raises(ValueError):
        qorgan.OutboundGroup(b"g", qorgan.GroupPolicy(max_messages=1, max_age_secs=1), 0)
    assert not hasattr(qorgan.OutboundGroup, "open")
    assert callable(qorgan.Device.create_group) and callable(qorgan.Device.open_group)
