#!/usr/bin/env bash
# Builds QorganFFI.xcframework and QorganFFI.xcframework.zip, the binary
# target of the Swift package's release mode (see Package.swift): the
# qorgan-ffi static library for
#   ios-arm64                      aarch64-apple-ios
#   ios-arm64_x86_64-simulator     aarch64-apple-ios-sim + x86_64-apple-ios (lipo)
#   macos-arm64_x86_64             aarch64-apple-darwin + x86_64-apple-darwin (lipo)
# each slice with Headers/QorganFFI/{QorganFFI.h,module.modulemap} (staged by
# stage-headers.sh: the module map sits in a directory named after the module
# so it cannot collide with another framework's Headers/module.modulemap).
# Then zips it reproducibly (zip-xcframework.sh) and prints its checksum.
#
# Needs macOS with Xcode (xcodebuild, lipo), rustup with the five targets:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios \
#                     aarch64-apple-darwin x86_64-apple-darwin
# and zip. On another host it stops with exit status 3 before building
# anything (the Linux CI checks the parts that run there: stage-headers.sh,
# zip-xcframework.sh, set-release.sh and both modes of Package.swift, in
# bindings/swift/test.sh).
#
# Usage: bash bindings/swift/build-xcframework.sh [--release-url URL]
#            [--package-swift FILE] [--verify] [OUT_DIR]
#   OUT_DIR          default bindings/swift/build; gets QorganFFI.xcframework,
#                    QorganFFI.xcframework.zip, QorganFFI.xcframework.zip.sha256
#                    and native-static-libs.txt (what the static library needs
#                    from the system, per target)
#   --release-url    then runs set-release.sh URL ZIP FILE, so FILE's release
#                    constants name URL and the zip's checksum
#   --package-swift  the manifest set-release.sh rewrites (default: the
#                    Package.swift next to this script; release tooling passes a
#                    copy under dist/)
#   --verify         then builds and runs, on this Mac, a throwaway package that
#                    depends on the new XCFramework by path (links the macOS
#                    slice and creates a Device): catches a missing system
#                    library before a release does
#
# Reproducibility: Rust is built in CARGO_TARGET_DIR=<repo>/target/dist with
# --locked and RUSTFLAGS remapping the checkout and cargo home to /qorgan and
# /cargo (two clones at different paths give the same objects); deployment
# targets are pinned to the package's platforms (iOS 13.0, macOS 10.15), which
# also keeps the linker from warning that objects are newer than the app;
# ZERO_AR_DATE=1 for Apple's archive tools; the zip is made by
# zip-xcframework.sh (sorted entries, SOURCE_DATE_EPOCH mtimes, no extra
# attributes). xcodebuild writes Info.plist itself, and the same Xcode gives
# the same one; record `xcodebuild -version` with a release
# (OUT_DIR/build-info.txt does).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
module=QorganFFI

release_url=""
package_swift=$here/Package.swift
verify=0
out=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --release-url) [[ $# -ge 2 ]] || { echo "--release-url needs a URL" >&2; exit 2; }; release_url=$2; shift 2 ;;
        --package-swift) [[ $# -ge 2 ]] || { echo "--package-swift needs a file" >&2; exit 2; }; package_swift=$2; shift 2 ;;
        --verify) verify=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) [[ -z $out ]] || { echo "one OUT_DIR only" >&2; exit 2; }; out=$1; shift ;;
    esac
done
out=${out:-$here/build}

# The Apple-only part: refuse clearly, before building anything, elsewhere.
if [[ $(uname -s) != Darwin ]]; then
    echo "build-xcframework.sh needs macOS with Xcode (xcodebuild, lipo); this host is $(uname -s)." >&2
    echo "What runs here: stage-headers.sh (the header layout), zip-xcframework.sh, set-release.sh." >&2
    exit 3
fi
missing=()
for tool in xcodebuild lipo xcrun cargo rustup zip; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
[[ ${#missing[@]} -eq 0 ]] || { echo "missing: ${missing[*]} (xcodebuild/lipo/xcrun: Xcode; cargo/rustup: rustup.rs)" >&2; exit 3; }
xcodebuild -version >/dev/null 2>&1 || { echo "xcodebuild does not run (Command Line Tools only? select Xcode: sudo xcode-select -s /Applications/Xcode.app)" >&2; exit 3; }

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin)
installed=$(rustup target list --installed)
need=()
for t in "${targets[@]}"; do grep -qx "$t" <<<"$installed" || need+=("$t"); done
[[ ${#need[@]} -eq 0 ]] || { echo "missing Rust targets; run: rustup target add ${need[*]}" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
export CARGO_TARGET_DIR=$repo/target/dist
export RUSTFLAGS="--remap-path-prefix=$repo=/qorgan --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
export IPHONEOS_DEPLOYMENT_TARGET=13.0 MACOSX_DEPLOYMENT_TARGET=10.15
export ZERO_AR_DATE=1
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct)}

# 1. One static library per Rust target. `cargo rustc --crate-type staticlib`
# builds only the .a (no cdylib to link) and prints what it needs from the
# system, which the package must provide (Package.swift links nothing extra in
# release mode: libSystem comes with every app).
: > "$out/native-static-libs.txt"
for t in "${targets[@]}"; do
    echo "== cargo: $t"
    log=$(mktemp)
    (cd "$repo" && cargo rustc --release --locked -p qorgan-ffi --lib --target "$t" \
        --crate-type staticlib -- --print native-static-libs) 2>&1 | tee "$log" >&2
    libs=$(sed -n 's/.*native-static-libs: //p' "$log" | tail -1)
    rm -f "$log"
    echo "$t: ${libs:-(not printed: cargo replayed a cached build)}" >> "$out/native-static-libs.txt"
    for lib in $libs; do
        case $lib in
            -lSystem|-lc|-lm|-liconv|-lresolv|-lobjc) ;;   # in libSystem or the SDK's default link
            *) echo "qorgan-ffi for $t needs $lib from the system: add it to the release mode's linkerSettings in Package.swift" >&2; exit 1 ;;
        esac
    done
    [[ -f $CARGO_TARGET_DIR/$t/release/libqorgan_ffi.a ]] || { echo "no $CARGO_TARGET_DIR/$t/release/libqorgan_ffi.a" >&2; exit 1; }
done
lib() { echo "$CARGO_TARGET_DIR/$1/release/libqorgan_ffi.a"; }

# 2. Fat libraries for the simulator and macOS; the header layout.
work=$out/work
rm -rf "$work" "$out/$module.xcframework"
mkdir -p "$work/ios-sim" "$work/macos"
lipo -create "$(lib aarch64-apple-ios-sim)" "$(lib x86_64-apple-ios)" -output "$work/ios-sim/libqorgan_ffi.a"
lipo -create "$(lib aarch64-apple-darwin)" "$(lib x86_64-apple-darwin)" -output "$work/macos/libqorgan_ffi.a"
bash "$here/stage-headers.sh" "$work/headers" >/dev/null

# 3. The XCFramework, checked: three slices, each with the nested module map
# and none at the root of Headers/ (the layout that collides).
xcodebuild -create-xcframework \
    -library "$(lib aarch64-apple-ios)" -headers "$work/headers" \
    -library "$work/ios-sim/libqorgan_ffi.a" -headers "$work/headers" \
    -library "$work/macos/libqorgan_ffi.a" -headers "$work/headers" \
    -output "$out/$module.xcframework" >/dev/null
slices=0
for h in "$out/$module.xcframework"/*/Headers; do
    [[ -f $h/$module/module.modulemap && -f $h/$module/$module.h && ! -e $h/module.modulemap ]] \
        || { echo "unexpected header layout in $h" >&2; exit 1; }
    slices=$((slices + 1))
done
[[ $slices == 3 ]] || { echo "expected 3 slices in $out/$module.xcframework, found $slices" >&2; exit 1; }
for d in "$out/$module.xcframework"/*/; do
    echo "  $(basename "$d"): $(lipo -archs "$d/libqorgan_ffi.a")"
done
{
    echo "qorgan $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
    echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
    xcodebuild -version
    rustc --version
    cargo --version
} > "$out/build-info.txt"
rm -rf "$work"

# 4. The zip and its checksum (= `swift package compute-checksum`).
bash "$here/zip-xcframework.sh" "$out/$module.xcframework" "$out/$module.xcframework.zip" | tee "$work.log"
sum=$(sed -n 's/^checksum //p' "$work.log")
rm -f "$work.log"
echo "$sum  $module.xcframework.zip" > "$out/$module.xcframework.zip.sha256"

# 5. Optional: the release constants, and a link test on this Mac.
if [[ -n $release_url ]]; then
    bash "$here/set-release.sh" "$release_url" "$out/$module.xcframework.zip" "$package_swift"
fi
if [[ $verify == 1 ]]; then
    v=$out/verify
    rm -rf "$v"
    mkdir -p "$v/Sources/Verify"
    cp -R "$out/$module.xcframework" "$v/"
    cp -R "$here/Sources/Qorgan" "$v/Sources/Qorgan"
    cat > "$v/Package.swift" <<'EOF'
// swift-tools-version:5.9
// Throwaway package made by build-xcframework.sh --verify.
import PackageDescription
let package = Package(
    name: "QorganVerify",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    targets: [
        .binaryTarget(name: "QorganFFI", path: "QorganFFI.xcframework"),
        .target(name: "Qorgan", dependencies: ["QorganFFI"], path: "Sources/Qorgan"),
        .executableTarget(name: "Verify", dependencies: ["Qorgan"], path: "Sources/Verify"),
    ]
)
EOF
    cat > "$v/Sources/Verify/main.swift" <<'EOF'
import Qorgan
let device = try Device(now: 1_700_000_000)
let key = try device.identityKey()
precondition(!key.isEmpty)
print("verify: linked QorganFFI.xcframework, identity key of \(key.count) bytes")
EOF
    (cd "$v" && swift build -c release --product Verify && "$(swift build -c release --show-bin-path)/Verify")
    rm -rf "$v"
fi
echo "wrote $out/$module.xcframework and $out/$module.xcframework.zip"
echo "checksum $sum"
