"""qorgan: end-to-end encryption (PQXDH handshake, Double Ratchet sessions,
sender-key groups, an SQLite account store, server-side verification),
through its uniffi bindings.

Everything public lives in the generated module ``qorgan_ffi`` (committed as
``qorgan/qorgan_ffi.py``, shipped in the wheel under ``qorgan/_native/`` next
to ``libqorgan_ffi.so``); this package re-exports it, so ``import qorgan`` is
enough::

    import qorgan
    alice, bob = qorgan.Device(), qorgan.Device()

Added here, by hand:

* every object is a context manager with ``close()``: ``with
  qorgan.StoreAccount.open(path, key, options) as store: ...`` frees the
  Rust object (and closes the store file) when the block ends; a closed
  object raises ``ValueError`` instead of reaching freed memory;
* ``str(e)`` of a ``QorganError`` is its readable text (the Rust
  ``Display``: "wrong storage key for this store"), the fields stay on the
  exception (``e.found``, ``e.supported``).
"""

import threading as _threading

from ._native import qorgan_ffi as _ffi
from ._native.qorgan_ffi import *  # noqa: F401,F403
from ._native.qorgan_ffi import __all__ as _ffi_all

__version__ = "0.1.0"
__all__ = list(_ffi_all)


def _error_str(self):
    try:
        return _ffi.error_message(self)
    except Exception:  # pragma: no cover - a text is better than a failure
        return Exception.__str__(self)


_ffi.QorganError.__str__ = _error_str

# One lock for closing and for the handle copy every call makes first, so
# that a call racing a close either runs on a live object or raises.
_handles = _threading.Lock()


def _closeable(cls):
    clone = cls._uniffi_clone_handle
    free = cls.__del__

    def _uniffi_clone_handle(self):
        with _handles:
            if getattr(self, "_handle", None) is None:
                raise ValueError(f"{type(self).__name__} is closed")
            return clone(self)

    def close(self):
        """Frees the Rust object now (a store closes its file). Idempotent."""
        with _handles:
            if getattr(self, "_handle", None) is not None:
                free(self)
                self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    cls._uniffi_clone_handle = _uniffi_clone_handle
    cls.close = close
    cls.__enter__ = __enter__
    cls.__exit__ = __exit__


for _name in _ffi_all:
    _cls = getattr(_ffi, _name)
    if isinstance(_cls, type) and "_uniffi_clone_handle" in vars(_cls) and "__del__" in vars(_cls):
        _closeable(_cls)
del _name, _cls
