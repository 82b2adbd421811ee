#!/usr/bin/env bash
# Tests the Python bindings as users get them: the manylinux2014 wheel
# (QORGAN_WHEEL, or built by build.sh into the scratch directory) installed
# into a fresh venv, then
#   * pytest on tests/ against the installed package,
#   * mypy --strict on tests/ and timing.py against the installed package's
#     stubs (qorgan/__init__.pyi, py.typed): prints "mypy: ok",
#   * mypy's stubtest: the stub against the installed package at run time,
#   * timings (timing.py; QORGAN_PYTHON_TIMING=0 skips),
#   * the sdist (check-sdist.sh: a plain pip install that compiles the Rust
#     code, minutes) when QORGAN_SDIST names one, or with QORGAN_CHECK_SDIST=1
#     (the sdist built beside the wheel).
# Ends with "python: N passed, M failed" (N pytest tests; a failing mypy,
# stubtest or sdist check counts as one failure each).
#
#   bash bindings/python/test.sh [PYTEST ARGS...]
#
# Needs: python3 >= 3.9 with venv (installed with apt-get if missing), and
# unless QORGAN_WHEEL is set what build.sh needs (cargo, objdump, git).
# Environment: QORGAN_WHEEL, QORGAN_SDIST, QORGAN_CHECK_SDIST, WORK (scratch
# directory; default: a temporary one, removed afterwards), PYTHON (default
# python3), QORGAN_PYTHON_TIMING.
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
work=$(cd "$work" && pwd)

# python3 -m venv needs ensurepip (Debian: python3-venv).
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "== installing python3-venv"
    ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    bash "$here/../../scripts/apt-install.sh" python3-venv || bash "$here/../../scripts/apt-install.sh" "python$ver-venv"
fi

sdist=${QORGAN_SDIST:-}
if [ -n "$sdist" ]; then
    [ -f "$sdist" ] || { echo "test.sh: QORGAN_SDIST=$sdist is not a file" >&2; exit 1; }
    sdist=$(cd "$(dirname "$sdist")" && pwd)/$(basename "$sdist")
fi
if [ -n "${QORGAN_WHEEL:-}" ]; then
    [ -f "$QORGAN_WHEEL" ] || { echo "test.sh: QORGAN_WHEEL=$QORGAN_WHEEL is not a file" >&2; exit 1; }
    wheel=$(cd "$(dirname "$QORGAN_WHEEL")" && pwd)/$(basename "$QORGAN_WHEEL")
    echo "== testing the given wheel $wheel"
    if [ -z "$sdist" ] && [ "${QORGAN_CHECK_SDIST:-0}" = 1 ]; then
        sdist=$(find "$(dirname "$wheel")" -maxdepth 1 -name 'qorgan-*.tar.gz' | head -n1)
        [ -n "$sdist" ] || { echo "test.sh: QORGAN_CHECK_SDIST=1 but no qorgan-*.tar.gz beside $wheel" >&2; exit 1; }
    fi
else
    bash "$here/build.sh" "$work/dist"
    wheel=$(find "$work/dist" -name 'qorgan-*.whl' | head -n1)
    if [ -z "$sdist" ] && [ "${QORGAN_CHECK_SDIST:-0}" = 1 ]; then
        sdist=$(find "$work/dist" -name 'qorgan-*.tar.gz' | head -n1)
    fi
fi

echo "== installing it into a fresh venv"
rm -rf "$work/venv"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel" -r "$here/build-support/test-tools.txt"

echo "== running the tests"
# From the tests directory with the venv's pytest (not python -m pytest),
# so `import qorgan` can only resolve to the installed wheel.
cd "$here/tests"
set +e
"$work/venv/bin/pytest" -q -p no:cacheprovider "$@" | tee "$work/pytest.log"
status=${PIPESTATUS[0]}
set -e
extra_failed=0

echo "== mypy --strict on the tests, against the installed package"
# Run from tests/, where `qorgan` resolves to the venv's installed package
# (its __init__.pyi and py.typed), never the source tree; timing.py is
# checked from a copy outside the source tree for the same reason.
mkdir -p "$work/typing"
cp "$here/timing.py" "$work/typing/timing.py"
mypy_start=$(date +%s)
if "$work/venv/bin/mypy" --strict --cache-dir "$work/mypy-cache" . "$work/typing/timing.py" > "$work/mypy.log" 2>&1; then
    echo "mypy: ok ($(tail -n1 "$work/mypy.log"); $(( $(date +%s) - mypy_start )) s)"
else
    cat "$work/mypy.log"
    echo "mypy: failed"
    status=1
    extra_failed=$(( extra_failed + 1 ))
fi

echo "== stubtest: the installed stub against the installed package at run time"
# Every public name, signature, class and member of qorgan/__init__.pyi must
# exist at run time as typed, and every public runtime name be in the stub,
# except what build-support/stubgen.py --stubtest-allowlist leaves out on
# purpose (entries unused on this Python version are fine). Run outside the
# source tree; the generated module's own (untyped) code is not checked.
printf '[mypy]\n[mypy-qorgan._native.*]\nignore_errors = True\n' > "$work/stubtest.ini"
"$python" "$here/build-support/stubgen.py" --stubtest-allowlist > "$work/stubtest-allowlist.txt"
if (cd "$work" && "$work/venv/bin/python" -m mypy.stubtest qorgan --mypy-config-file "$work/stubtest.ini" \
        --allowlist "$work/stubtest-allowlist.txt" --ignore-unused-allowlist) > "$work/stubtest.log" 2>&1; then
    echo "stubtest: ok ($(tail -n1 "$work/stubtest.log"))"
else
    cat "$work/stubtest.log"
    echo "stubtest: failed"
    status=1
    extra_failed=$(( extra_failed + 1 ))
fi

if [ "${QORGAN_PYTHON_TIMING:-1}" != 0 ]; then
    # Copied out of the source tree, so `import qorgan` finds the wheel only.
    cp "$here/timing.py" "$work/timing.py"
    "$work/venv/bin/python" "$work/timing.py" || status=1
fi

if [ -n "$sdist" ]; then
    if ! WORK="$work/sdist" bash "$here/check-sdist.sh" "$sdist"; then
        status=1
        extra_failed=$(( extra_failed + 1 ))
    fi
else
    echo "== sdist not checked (QORGAN_SDIST=PATH or QORGAN_CHECK_SDIST=1 runs check-sdist.sh)"
fi

summary=$(grep -E '[0-9]+ (passed|failed|error)' "$work/pytest.log" | tail -n1 || true)
passed=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
failed=$(( $(grep -oE '[0-9]+ (failed|errors?)' <<<"$summary" | grep -oE '[0-9]+' | paste -sd+ - || echo 0) + 0 ))
[ "$passed" -gt 0 ] || status=1
echo "python: $passed passed, $(( failed + extra_failed )) failed ($(( $(date +%s) - start )) s)"
exit "$status"
