"""qorgan: end-to-end encryption (PQXDH handshake, Double Ratchet sessions,
sender-key groups, server-side verification), through its uniffi bindings.

Everything public lives in the generated module ``qorgan_ffi`` (committed as
``qorgan/qorgan_ffi.py``, shipped in the wheel under ``qorgan/_native/`` next
to ``libqorgan_ffi.so``); this package re-exports it, so ``import qorgan`` is
enough::

    import qorgan
    alice, bob = qorgan.Device(), qorgan.Device()
"""

from ._native.qorgan_ffi import *  # noqa: F401,F403
from ._native.qorgan_ffi import __all__ as _ffi_all

__version__ = "0.1.0"
__all__ = list(_ffi_all)
