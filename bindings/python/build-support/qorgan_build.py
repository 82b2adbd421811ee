"""The PEP 517 build backend of qorgan's sdist (pyproject.toml:
``build-backend = "qorgan_build"``, ``backend-path = ["build-support"]``):
maturin's backend, with the committed Python module in place of a
regenerated one, so that a plain ``pip install qorgan-0.1.0.tar.gz`` (or
``pip install bindings/python``) builds where cargo is on PATH, with nothing
else to set up.

Why: maturin's uniffi mode writes the Python module by running
``cargo run --bin uniffi-bindgen --features bindgen ... --library <the built
library>``. For qorgan-ffi that is a second, debug build of the whole crate
graph with uniffi's generator (16 minutes against 5 for the release build,
measured on a busy 2-core machine), and it fails anyway on the zig-linked
or stripped library (no UNIFFI_META symbols left to read). The module is
already committed (bindings/generate.sh writes it with the same pinned
uniffi; bindings/check-generated.sh keeps it current; at import it checks its
API checksums against the library). So while maturin builds a wheel, the
``cargo`` it runs is build-support/cargo: that script answers the
uniffi-bindgen call with the committed module and hands every other call to
the real cargo, unchanged. bindings/python/build.sh does the same for the
release wheels.
"""

import os
import shutil
import stat
import tempfile

import maturin as _maturin
from maturin import (  # noqa: F401  (hooks that never run cargo: maturin's own)
    build_sdist,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    get_requires_for_build_wheel,
)

_HERE = os.path.dirname(os.path.abspath(__file__))


def _with_committed_module(hook):
    def run(*args, **kwargs):
        real = shutil.which("cargo")
        if real is None:
            raise RuntimeError(
                "qorgan: building from source needs Rust: cargo was not found on PATH "
                "(install Rust >= 1.88, e.g. with rustup, or use a qorgan wheel)"
            )
        saved = {k: os.environ.get(k) for k in ("PATH", "QORGAN_REAL_CARGO")}
        with tempfile.TemporaryDirectory(prefix="qorgan-build-") as shim_dir:
            # A copy, so that an sdist unpacked without the executable bit works.
            shim = os.path.join(shim_dir, "cargo")
            shutil.copyfile(os.path.join(_HERE, "cargo"), shim)
            os.chmod(shim, stat.S_IRWXU)
            os.environ["QORGAN_REAL_CARGO"] = real
            os.environ["QORGAN_COMMITTED_MODULE"] = os.path.join(
                os.path.dirname(_HERE), "qorgan", "qorgan_ffi.py"
            )
            os.environ["PATH"] = shim_dir + os.pathsep + os.environ.get("PATH", "")
            try:
                return hook(*args, **kwargs)
            finally:
                os.environ.pop("QORGAN_COMMITTED_MODULE", None)
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value

    run.__name__ = hook.__name__
    run.__doc__ = hook.__doc__
    return run


build_wheel = _with_committed_module(_maturin.build_wheel)
build_editable = _with_committed_module(_maturin.build_editable)
prepare_metadata_for_build_wheel = _with_committed_module(_maturin.prepare_metadata_for_build_wheel)
prepare_metadata_for_build_editable = _with_committed_module(_maturin.prepare_metadata_for_build_editable)
