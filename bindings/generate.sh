#!/usr/bin/env bash
# Regenerates the committed Kotlin, Swift and Python bindings from the
# qorgan-ffi library with the workspace's pinned uniffi-bindgen.
#   bash bindings/generate.sh            # writes bindings/{kotlin,swift,python}/…
#   bash bindings/generate.sh OUTDIR     # writes under OUTDIR instead (for the up-to-date check)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bindings}
cargo build --release --locked -p qorgan-ffi --lib
lib=target/release/libqorgan_ffi.so
# The generator builds with other uniffi features than the library: a
# target directory of its own keeps the two builds from invalidating each other.
bindgen() { CARGO_TARGET_DIR=target/bindgen cargo run --release --locked -q -p qorgan-ffi --features bindgen --bin uniffi-bindgen -- "$@"; }
bindgen generate --library "$lib" --language kotlin --out-dir "$out/kotlin/src/main/kotlin" --no-format
# Kotlin: an exception's `message` is the error's readable text (the Rust
# Display, which uniffi exports as `toString()`), not uniffi's field list
# ("what=one-time prekey, id=7"): the base class answers `message` with
# `toString()` and the per-variant field lists go. The fields stay.
perl -0pi -e 's/^(sealed class QorganException: kotlin\.Exception\(\) \{\n)/$1    \/\*\* The readable text: the Rust `Display` of this error, as `toString()`. \*\/\n    override val message: String\n        get() = toString()\n/m; s/\n        override val message\n            get\(\) = "[^"\n]*"\n/\n/g' \
    "$out/kotlin/src/main/kotlin/kz/qorgan/qorgan_ffi.kt"
grep -q '^        get() = toString()$' "$out/kotlin/src/main/kotlin/kz/qorgan/qorgan_ffi.kt" \
    || { echo "generate.sh: the Kotlin message patch no longer applies" >&2; exit 1; }
bindgen generate --library "$lib" --language python --out-dir "$out/python/qorgan" --no-format
# Python: the package's type stub, from that module and the hand-written
# additions of qorgan/__init__.py (context managers, close(), str(e)).
python3 bindings/python/build-support/stubgen.py "$out/python/qorgan/qorgan_ffi.py" \
    bindings/python/qorgan/__init__.py "$out/python/qorgan/__init__.pyi"
bindgen generate --library "$lib" --language swift --out-dir "$out/swift/generated" --no-format
# SwiftPM layout: the C header and module map form the system library target,
# the Swift source the library target.
mkdir -p "$out/swift/Sources/QorganFFI/include" "$out/swift/Sources/Qorgan"
mv "$out/swift/generated/QorganFFI.h" "$out/swift/Sources/QorganFFI/include/QorganFFI.h"
mv "$out/swift/generated/QorganFFI.modulemap" "$out/swift/Sources/QorganFFI/include/module.modulemap"
mv "$out/swift/generated/Qorgan.swift" "$out/swift/Sources/Qorgan/Qorgan.swift"
rmdir "$out/swift/generated"
echo "bindings written under $out/"
