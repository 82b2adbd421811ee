#!/usr/bin/env bash
# Installs the qorgan sdist the way a user without a wheel for their platform
# would, a plain `pip install qorgan-0.1.0.tar.gz` in a fresh venv (no PATH
# shims, no extra options; pip fetches the build backend, maturin, from
# PyPI), then smoke-tests the installed package: import, a 1:1 session's
# encrypt/decrypt, and the installed module equal to the one in the sdist
# (the committed bindings/python/qorgan/qorgan_ffi.py).
# This compiles the Rust library (a release build and qorgan-ffi's
# uniffi-bindgen): minutes, not seconds.
#
#   bash bindings/python/check-sdist.sh dist/qorgan-0.1.0.tar.gz
#
# Needs: python3 >= 3.9 with venv, cargo (Rust >= 1.88) on PATH, and the
# crates of Cargo.lock (fetched from crates.io unless cached).
# Environment: PYTHON (default python3), WORK (scratch directory; default: a
# temporary one, removed afterwards), CARGO_TARGET_DIR is ignored (pip builds
# in its own temporary directory, as a user's install does).
set -euo pipefail
python=${PYTHON:-python3}
start=$(date +%s)

if [ $# -ne 1 ] || [ ! -f "$1" ]; then
    echo "usage: bash bindings/python/check-sdist.sh SDIST (a qorgan-*.tar.gz)" >&2
    exit 2
fi
sdist=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
command -v cargo >/dev/null 2>&1 || { echo "check-sdist.sh: cargo not found on PATH: the sdist needs Rust" >&2; exit 1; }

if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

echo "== pip install $(basename "$sdist") into a fresh venv"
rm -rf "$work/sdist-venv"
"$python" -m venv "$work/sdist-venv"
# A user's environment: no CARGO_TARGET_DIR or RUSTFLAGS of ours.
env -u CARGO_TARGET_DIR -u RUSTFLAGS -u CFLAGS \
    nice -n 10 "$work/sdist-venv/bin/pip" install --disable-pip-version-check --no-cache-dir "$sdist" \
    > "$work/sdist-install.log" 2>&1 || { tail -n 60 "$work/sdist-install.log"; echo "check-sdist.sh: pip install failed" >&2; exit 1; }
installed=$(( $(date +%s) - start ))
echo "   installed in $installed s"

echo "== smoke test"
mkdir -p "$work/sdist-smoke"
tar -xzf "$sdist" -C "$work/sdist-smoke" --wildcards '*/qorgan/qorgan_ffi.py'
committed=$(find "$work/sdist-smoke" -path '*/qorgan/qorgan_ffi.py' | head -n1)
# From an empty directory, so that `import qorgan` finds the installed package only.
(cd "$work/sdist-smoke" && "$work/sdist-venv/bin/python" - "$committed" <<'PY'
import os, sys
import qorgan

committed = sys.argv[1]
native = os.path.join(os.path.dirname(qorgan.__file__), "_native")
assert os.path.isfile(os.path.join(native, "libqorgan_ffi.so")), native
with open(os.path.join(native, "qorgan_ffi.py"), "rb") as a, open(committed, "rb") as b:
    assert a.read() == b.read(), "the installed module is not the committed one"
assert os.path.isfile(os.path.join(os.path.dirname(qorgan.__file__), "py.typed"))
now = 1_700_000_000
alice, bob = qorgan.Device(now), qorgan.Device(now)
a = alice.initiate(bob.bundle())
accepted = bob.accept(a.encrypt(b"salem"), now)
assert accepted.plaintext == b"salem"
b = accepted.session
assert a.decrypt(b.encrypt(b"hi Alice")) == b"hi Alice"
with qorgan.Device(now) as d:
    assert len(d.identity_key()) > 0
print(f"   qorgan {qorgan.__version__} from {os.path.dirname(qorgan.__file__)}: 1:1 encrypt/decrypt ok")
PY
) && status=0 || status=1
echo "sdist: $(( 1 - status )) passed, $status failed ($(( $(date +%s) - start )) s)"
exit $status
