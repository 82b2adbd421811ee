#!/usr/bin/env bash
# Builds the Python distributions of qorgan into OUT_DIR:
#   qorgan-0.1.0-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl
#       the library linked against glibc 2.17 symbols with zig (maturin
#       --zig --compatibility manylinux2014), checked by auditwheel;
#   qorgan-0.1.0.tar.gz
#       the sdist (maturin sdist): the Python package, the committed module
#       and the workspace crates it needs; `pip install` builds it where Rust is.
# The wheel is reproducible: the same commit gives the same bytes from any
# checkout path (SOURCE_DATE_EPOCH, remapped paths, sorted archive entries).
#
#   bash bindings/python/build.sh OUT_DIR
#
# Needs: cargo (Rust >= 1.88) with the x86_64-unknown-linux-gnu target, python3
# >= 3.9 with venv, objdump (binutils), git (for SOURCE_DATE_EPOCH). Installs
# the pinned tools of build-support/tools.txt (maturin, ziglang, auditwheel)
# into a cached venv.
# Environment:
#   QORGAN_PYTHON_TOOLS  the tools venv (default: bindings/python/.tools)
#   SOURCE_DATE_EPOCH    timestamp of archive entries (default: last commit)
#   CARGO_TARGET_DIR     (default: <repo>/target/dist, the release builds' own)
#   PYTHON               interpreter for the tools venv (default: python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}
start=$(date +%s)

if [ $# -ne 1 ]; then
    echo "usage: bash bindings/python/build.sh OUT_DIR" >&2
    exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)

for tool in cargo objdump git "$python"; do
    command -v "$tool" >/dev/null 2>&1 || { echo "build.sh: $tool not found on PATH (see the header of $0)" >&2; exit 1; }
done
if [ "$(uname -m)" != x86_64 ]; then
    echo "build.sh: builds the x86_64 wheel on an x86_64 host only (this is $(uname -m))" >&2
    exit 1
fi

# --- the pinned tools, in a venv reused while tools.txt is unchanged -------
tools=${QORGAN_PYTHON_TOOLS:-$here/.tools}
pins=$here/build-support/tools.txt
if ! cmp -s "$pins" "$tools/.qorgan-pins" 2>/dev/null; then
    echo "== installing the build tools into $tools"
    if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
        echo "build.sh: $python cannot make a venv (Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
    rm -rf "$tools"
    "$python" -m venv "$tools"
    "$tools/bin/pip" install -q --disable-pip-version-check --require-hashes --only-binary :all: -r "$pins"
    cp "$pins" "$tools/.qorgan-pins"
fi
maturin=$tools/bin/maturin
echo "== $("$maturin" --version), zig $("$tools/bin/python" -m ziglang version), auditwheel $("$tools/bin/pip" show auditwheel 2>/dev/null | sed -n 's/^Version: //p')"

# --- reproducibility --------------------------------------------------------
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target/dist}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export RUSTFLAGS="--remap-path-prefix=$repo=/qorgan --remap-path-prefix=$cargo_home=/cargo"
# C code (SQLite, built by rusqlite's build script through zig cc): the same
# remapping for its debug info and __FILE__ strings.
export CFLAGS="-ffile-prefix-map=$repo=/qorgan -ffile-prefix-map=$cargo_home=/cargo"
# maturin and zig find the tools venv's zig through PATH; build-support/cargo
# answers maturin's uniffi-bindgen call with the committed module
# (build-support/qorgan_build.py says why) and passes the rest to cargo.
export QORGAN_REAL_CARGO=$(command -v cargo)
export PATH="$here/build-support:$tools/bin:$PATH"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# --- the wheel --------------------------------------------------------------
echo "== building the wheel (CARGO_TARGET_DIR=$CARGO_TARGET_DIR, SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
# pyproject.toml (tool.maturin) points maturin at ffi/Cargo.toml and names
# the package layout.
(cd "$here" && nice -n 10 "$maturin" build --release --locked --strip \
    --zig --compatibility manylinux2014 --target x86_64-unknown-linux-gnu \
    --out "$scratch/wheel")
wheel=$(find "$scratch/wheel" -name 'qorgan-*.whl')
[ "$(wc -l <<<"$wheel")" -eq 1 ] && [ -n "$wheel" ] || { echo "build.sh: expected one wheel, got: $wheel" >&2; exit 1; }

# --- checks of the wheel ----------------------------------------------------
echo "== checking $(basename "$wheel")"
unpacked=$scratch/unpacked
"$tools/bin/python" - "$wheel" "$unpacked" "$here/qorgan/qorgan_ffi.py" <<'PY'
import sys, zipfile
wheel, dest, committed = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    z.extractall(dest)
    shipped = z.read("qorgan/_native/qorgan_ffi.py")
need = ["qorgan/__init__.py", "qorgan/__init__.pyi", "qorgan/py.typed",
        "qorgan/_native/__init__.py", "qorgan/_native/qorgan_ffi.py",
        "qorgan/_native/libqorgan_ffi.so"]
missing = [n for n in need if n not in names]
if missing:
    sys.exit(f"build.sh: the wheel lacks {missing}")
if "qorgan/qorgan_ffi.py" in names:
    sys.exit("build.sh: the wheel ships the module twice (qorgan/qorgan_ffi.py)")
if shipped != open(committed, "rb").read():
    sys.exit("build.sh: the module maturin generated differs from the committed "
             "qorgan/qorgan_ffi.py (run bash bindings/generate.sh)")
print(f"   {len(names)} files; qorgan/_native/qorgan_ffi.py == the committed module")
PY
so=$unpacked/qorgan/_native/libqorgan_ffi.so
# `|| true`: with pipefail, a grep that finds nothing would end the script
# here, before the explanatory error below.
glibc=$(objdump -T "$so" | grep -oE 'GLIBC_[0-9]+(\.[0-9]+)*' | sort -uV | tail -n1 || true)
echo "   libqorgan_ffi.so needs at most $glibc ($(stat -c %s "$so") bytes)"
auditwheel_out=$("$tools/bin/auditwheel" show "$wheel")
echo "$auditwheel_out" | sed 's/^/   auditwheel: /'
tag=$(grep -oE '"(manylinux|musllinux)_[0-9]+_[0-9]+_x86_64"' <<<"$auditwheel_out" | head -n1 | tr -d '"' || true)
case "$tag" in
    manylinux_2_5_x86_64|manylinux_2_12_x86_64|manylinux_2_17_x86_64) ;;
    *) echo "build.sh: auditwheel says the wheel is ${tag:-of no manylinux tag}, not manylinux_2_17_x86_64 or lower" >&2; exit 1 ;;
esac
case "$(basename "$wheel")" in
    qorgan-*-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl) ;;
    *) echo "build.sh: unexpected wheel name $(basename "$wheel")" >&2; exit 1 ;;
esac

# --- the sdist ----------------------------------------------------------------
echo "== building the sdist"
(cd "$here" && "$maturin" sdist --out "$scratch/sdist")
sdist=$(find "$scratch/sdist" -name 'qorgan-*.tar.gz')
[ -n "$sdist" ] || { echo "build.sh: no sdist built" >&2; exit 1; }

rm -f "$out"/qorgan-*.whl "$out"/qorgan-*.tar.gz
mv "$wheel" "$sdist" "$out/"
echo "== in $out ($(( $(date +%s) - start )) s):"
(cd "$out" && for f in qorgan-*.whl qorgan-*.tar.gz; do
    echo "   $f  $(stat -c %s "$f") bytes  sha256 $(sha256sum "$f" | cut -d' ' -f1)"
done)
