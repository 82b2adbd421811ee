#!/usr/bin/env bash
# Builds the qorgan wheel with maturin, installs it into a fresh venv and
# runs the pytest suite against the installed package, then prints timings
# (timing.py; QORGAN_PYTHON_TIMING=0 skips).
#   bash bindings/python/test.sh
# Environment: WORK (scratch directory; default: a temporary one, removed
# afterwards), PYTHON (default python3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
python=${PYTHON:-python3}
start=$(date +%s)

if [ -n "${WORK:-}" ]; then
    work=$WORK
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi

# python3 -m venv needs ensurepip (Debian: python3-venv).
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "== installing python3-venv"
    sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    $sudo apt-get install -y -qq python3-venv || $sudo apt-get install -y -qq "python$ver-venv"
fi

# maturin: the one on PATH, else a throwaway venv.
if command -v maturin >/dev/null 2>&1; then
    maturin=$(command -v maturin)
else
    echo "== installing maturin into a throwaway venv"
    "$python" -m venv "$work/maturin-venv"
    "$work/maturin-venv/bin/pip" install -q --disable-pip-version-check 'maturin>=1.8,<2.0'
    maturin=$work/maturin-venv/bin/maturin
fi

echo "== building the wheel ($("$maturin" --version))"
rm -rf "$work/wheels"
# build-support/cargo answers maturin's uniffi-bindgen call with the committed
# qorgan/qorgan_ffi.py and passes every other call to the real cargo.
# pyproject.toml (tool.maturin) points maturin at ffi/Cargo.toml.
(cd "$here" && QORGAN_REAL_CARGO=$(command -v cargo) PATH="$here/build-support:$PATH" \
    "$maturin" build --release --locked --out "$work/wheels")
wheel=$(find "$work/wheels" -name 'qorgan-*.whl' | head -n1)
if [ -z "$wheel" ]; then
    echo "no wheel built" >&2
    exit 1
fi
echo "   $wheel"

echo "== installing it into a fresh venv"
rm -rf "$work/venv"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel" pytest

echo "== running the tests"
# From the tests directory with the venv's pytest (not python -m pytest),
# so `import qorgan` can only resolve to the installed wheel.
cd "$here/tests"
set +e
"$work/venv/bin/pytest" -q -p no:cacheprovider "$@" | tee "$work/pytest.log"
status=${PIPESTATUS[0]}
set -e
if [ "${QORGAN_PYTHON_TIMING:-1}" != 0 ]; then
    # Copied out of the source tree, so `import qorgan` finds the wheel only.
    cp "$here/timing.py" "$work/timing.py"
    "$work/venv/bin/python" "$work/timing.py" || status=1
fi
summary=$(grep -E '[0-9]+ (passed|failed|error)' "$work/pytest.log" | tail -n1 || true)
passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
failed=$(( $(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | grep -oE '[0-9]+' | paste -sd+ - || echo 0) + 0 ))
[ "$passed" -gt 0 ] || status=1
echo "python: $passed passed, $failed failed ($(( $(date +%s) - start )) s)"
exit "$status"
