#!/usr/bin/env bash
# Builds Qorgan.xcframework for iOS apps: the qorgan-ffi static library for
# devices (arm64) and simulators (arm64 + x86_64, merged with lipo), each
# slice with the generated C header and module map, so that Xcode imports
# it as the module QorganFFI. Needs a Mac with Xcode and the Rust targets:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
# It cannot run on the Linux CI machine (no xcodebuild); it is documented and
# checked by `bash -n` there.
#
# Usage: bash bindings/swift/build-xcframework.sh [OUT_DIR]   (default: bindings/swift/build)
# Then, in the app's Package.swift:
#   .binaryTarget(name: "QorganFFI", path: "build/Qorgan.xcframework"),
#   .target(name: "Qorgan", dependencies: ["QorganFFI"], path: "Sources/Qorgan")
# (Sources/Qorgan/Qorgan.swift is the generated Swift, unchanged.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$here/build}
command -v xcodebuild >/dev/null || { echo "xcodebuild not found: this script needs macOS with Xcode" >&2; exit 1; }

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
for t in "${targets[@]}"; do
    (cd "$repo" && cargo build --release --locked -p qorgan-ffi --lib --target "$t")
done

rm -rf "$out/headers" "$out/sim" "$out/Qorgan.xcframework"
mkdir -p "$out/headers" "$out/sim"
cp "$here/Sources/QorganFFI/include/QorganFFI.h" "$out/headers/"
cp "$here/Sources/QorganFFI/include/module.modulemap" "$out/headers/module.modulemap"
lipo -create \
    "$repo/target/aarch64-apple-ios-sim/release/libqorgan_ffi.a" \
    "$repo/target/x86_64-apple-ios/release/libqorgan_ffi.a" \
    -output "$out/sim/libqorgan_ffi.a"
xcodebuild -create-xcframework \
    -library "$repo/target/aarch64-apple-ios/release/libqorgan_ffi.a" -headers "$out/headers" \
    -library "$out/sim/libqorgan_ffi.a" -headers "$out/headers" \
    -output "$out/Qorgan.xcframework"
echo "wrote $out/Qorgan.xcframework"
