#!/usr/bin/env bash
# Fails if regenerating the bindings would change the committed sources:
# regenerates into a scratch directory and compares every generated file.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
bash bindings/generate.sh "$scratch" > "$scratch/generate.log" 2>&1 || { cat "$scratch/generate.log"; exit 1; }
status=0
for f in kotlin/src/main/kotlin/kz/qorgan/qorgan_ffi.kt \
         python/qorgan/qorgan_ffi.py \
         python/qorgan/__init__.pyi \
         swift/Sources/Qorgan/Qorgan.swift \
         swift/Sources/QorganFFI/include/QorganFFI.h \
         swift/Sources/QorganFFI/include/module.modulemap; do
    if ! cmp -s "bindings/$f" "$scratch/$f"; then
        echo "stale: bindings/$f differs from a fresh generation (run bash bindings/generate.sh)"
        diff -u "bindings/$f" "$scratch/$f" | head -20 || true
        status=1
    fi
done
generated=$(cd "$scratch" && find kotlin python swift -type f | sort)
expected=$(printf '%s\n' kotlin/src/main/kotlin/kz/qorgan/qorgan_ffi.kt python/qorgan/qorgan_ffi.py \
    python/qorgan/__init__.pyi \
    swift/Sources/Qorgan/Qorgan.swift swift/Sources/QorganFFI/include/QorganFFI.h \
    swift/Sources/QorganFFI/include/module.modulemap | sort)
if [ "$generated" != "$expected" ]; then
    echo "the generator now writes other files:"; echo "$generated"; status=1
fi
[ $status -eq 0 ] && echo "bindings: 6 generated files up to date, 0 stale"
exit $status
