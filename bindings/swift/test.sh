#!/usr/bin/env bash
# Builds the Swift package against the qorgan native library and runs its
# XCTest suite, checks the packaging (both modes of Package.swift, the
# XCFramework's header layout, set-release.sh, the reproducible zip), then
# prints timings through Swift.
#
# Debian 12 has no Swift, so the package runs inside a Debian trixie chroot
# that has swiftlang (6.0): it is made once with debootstrap (about 70 s,
# 540 MB download, 2.6 GB on disk) under $QORGAN_SWIFT_ROOT (default
# /var/tmp/qorgan-swift-root, outside the repository) and reused when present.
# The Rust library built here (glibc 2.36) runs there unchanged.
#
# Steps: 1. debootstrap + chroot if missing (needs root or sudo);
#        2. the native library: $QORGAN_NATIVE_LIB if set (libqorgan_ffi.so or
#           its directory, e.g. <repo>/target/dist/release from the release
#           build), else cargo build --release -p qorgan-ffi --lib;
#        3. copy the package and libqorgan_ffi.so into the chroot;
#        4. mount /proc, `swift build --build-tests` and `swift test` in local
#           mode (the library found through -L and rpath), unmount on exit;
#           QORGAN_SWIFT_XCTEST=0 skips this step;
#        5. packaging checks, a few seconds (each is one check in the count):
#           - local mode: dump-package shows the systemLibrary target and the
#             qorgan_ffi link, by default and with QORGAN_SWIFT_LOCAL=1, and
#             `swift package resolve` succeeds;
#           - release mode (QORGAN_SWIFT_LOCAL=0) on the placeholders parses
#             and shows the binaryTarget;
#           - no unsafeFlags in Package.swift (a remote dependency may not
#             have them);
#           - stage-headers.sh gives Headers/QorganFFI/{QorganFFI.h,
#             module.modulemap} and nothing at Headers/module.modulemap, and
#             a Swift file doing `import QorganFFI` compiles with only
#             `-I Headers`, links the library and gets the contract version
#             Qorgan.swift expects;
#           - zip-xcframework.sh on a stand-in XCFramework: the same bytes
#             twice (another copy, other mtimes and modes), the directory at
#             the root of the zip;
#           - set-release.sh URL ZIP on a copy of Package.swift: the checkout
#             is untouched, the copy parses, release mode names the URL and
#             the zip's SHA-256, Linux's default is still local mode; bad URLs
#             are refused;
#           - root-manifest.sh: the copy for the repository's root loads
#             (describe) with every path under bindings/swift and has both
#             modes; if <repo>/Package.swift exists it must be up to date;
#           - build-xcframework.sh refuses this host with status 3;
#        6. `swift run -c release QorganTiming` (QORGAN_SWIFT_TIMING=0 skips);
#        7. print "swift: N passed, M failed" (XCTest tests + packaging
#           checks); exit non-zero on any failure.
# Needs: root or sudo, python3 (reads dump-package's JSON), zip, unzip.
# Usage: bash bindings/swift/test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
chroot_dir=${QORGAN_SWIFT_ROOT:-/var/tmp/qorgan-swift-root}
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo
for tool in python3 zip unzip; do
    command -v "$tool" >/dev/null || { echo "swift: test.sh needs $tool"; echo "swift: 0 passed, 1 failed (setup)"; exit 1; }
done

# 1. The chroot. A marker written after a complete debootstrap tells a
# usable chroot from a half-made one (/usr/bin/swift is an absolute symlink
# that does not resolve from outside the chroot, so it cannot be tested).
ready=$chroot_dir/.qorgan-swift-ready
if [[ ! -f $ready ]]; then
    if ! command -v debootstrap >/dev/null; then
        bash "$repo/scripts/apt-install.sh" debootstrap
    fi
    # The mirror apt already uses here (deb822 .sources or a sources.list line).
    mirror=$(grep -hsoE '^URIs: *[^ ]+' /etc/apt/sources.list.d/*.sources | grep -v security | head -1 | sed 's/^URIs: *//' || true)
    [[ -n $mirror ]] || mirror=$(grep -hsoE '^deb +(\[[^]]*\] +)?[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | grep -v security | head -1 | awk '{print $NF}' || true)
    [[ -n $mirror ]] || mirror=http://deb.debian.org/debian
    echo "== creating the Swift chroot in $chroot_dir from $mirror (once)"
    # A half-made chroot is removed, never across a mount (its /proc).
    if mountpoint -q "$chroot_dir/proc" 2>/dev/null; then $sudo umount "$chroot_dir/proc"; fi
    $sudo rm -rf --one-file-system "$chroot_dir"
    $sudo debootstrap --variant=minbase --include=swiftlang,libc6-dev trixie "$chroot_dir" "$mirror" >/dev/null
    $sudo touch "$ready"
fi

# 2. The native library.
if [[ -n ${QORGAN_NATIVE_LIB:-} ]]; then
    native=$QORGAN_NATIVE_LIB
    [[ -d $native ]] && native=$native/libqorgan_ffi.so
    [[ -f $native ]] || { echo "QORGAN_NATIVE_LIB: no $native"; echo "swift: 0 passed, 1 failed (native library)"; exit 1; }
else
    (cd "$repo" && cargo build --release --locked -q -p qorgan-ffi --lib)
    native=$repo/target/release/libqorgan_ffi.so
fi

# 3. Package and library into the chroot; .build there is kept between runs.
pkg=/build/qorgan-swift
$sudo mkdir -p "$chroot_dir$pkg/lib"
$sudo rm -rf "$chroot_dir$pkg/Sources" "$chroot_dir$pkg/Tests"
$sudo cp -r "$here/Package.swift" "$here/Sources" "$here/Tests" "$chroot_dir$pkg/"
$sudo cp "$native" "$chroot_dir$pkg/lib/libqorgan_ffi.so"

# 4. Build and test with /proc mounted (swift needs it), unmounted on exit.
mounted=0
if ! mountpoint -q "$chroot_dir/proc"; then
    $sudo mount -t proc proc "$chroot_dir/proc"
    mounted=1
fi
scratch=$(mktemp -d)
cleanup() {
    if [[ $mounted == 1 ]]; then $sudo umount "$chroot_dir/proc" || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
link="-Xlinker -L$pkg/lib -Xlinker -rpath -Xlinker $pkg/lib"
in_chroot() { $sudo chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 sh -c "cd $pkg && $1"; }
log=$scratch/xctest.log
status=0
run=0
failed=0
if [[ ${QORGAN_SWIFT_XCTEST:-1} != 0 ]]; then
    in_chroot "swift build --build-tests $link" > "$log" 2>&1 || { cat "$log"; echo "swift: 0 passed, 1 failed (build)"; exit 1; }
    in_chroot "swift test --skip-build $link" 2>&1 | tee "$log" || status=1
    # XCTest's last "Executed N tests, with M failures" line.
    line=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -1 || true)
    run=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$line")
    failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$line")
    [[ -n $line ]] || { run=0; failed=1; }
    [[ $failed == 0 && $run -gt 0 ]] || status=1
fi

# 5. Packaging checks. Each check() runs a shell function and counts it.
pack_ok=0
pack_failed=0
pack_start=$SECONDS
check() {
    local name=$1
    shift
    local out
    if out=$("$@" 2>&1); then
        pack_ok=$((pack_ok + 1))
        echo "packaging ok: $name"
    else
        pack_failed=$((pack_failed + 1))
        status=1
        echo "packaging FAILED: $name"
        sed 's/^/    /' <<<"$out"
    fi
}
# dump-package of the manifest in chroot dir $1 with environment $2, reduced
# to one line per target: "name type url checksum linked-libraries".
targets_of() {
    $sudo chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 $2 \
        sh -c "cd $1 && swift package dump-package" > "$scratch/dump.json" || return 1
    python3 - "$scratch/dump.json" <<'EOF'
import json, sys
for t in json.load(open(sys.argv[1]))["targets"]:
    libs = ",".join(s["kind"]["linkedLibrary"]["_0"] for s in t.get("settings") or [] if "linkedLibrary" in s.get("kind", {}))
    print(t["name"], t["type"], t.get("url") or "-", t.get("checksum") or "-", libs or "-")
EOF
}
expect_line() {  # expect_line TEXT LINE: LINE is one of TEXT's lines
    grep -qxF -- "$2" <<<"$1" || { echo "expected the line: $2"; echo "got:"; echo "$1"; return 1; }
}
placeholder_url=$(sed -n 's/^let qorganFFIReleaseURL = "\(.*\)"$/\1/p' "$here/Package.swift")
placeholder_sum=$(sed -n 's/^let qorganFFIReleaseChecksum = "\(.*\)"$/\1/p' "$here/Package.swift")

local_mode() {
    local t
    for env in "" QORGAN_SWIFT_LOCAL=1; do
        t=$(targets_of "$pkg" "$env") || return 1
        expect_line "$t" "QorganFFI system - - -" || return 1
        expect_line "$t" "Qorgan regular - - qorgan_ffi" || return 1
    done
    in_chroot "QORGAN_SWIFT_LOCAL=1 swift package resolve"
}
release_mode_placeholders() {
    [[ -n $placeholder_url && -n $placeholder_sum ]] || { echo "release constants not found in Package.swift"; return 1; }
    local t
    t=$(targets_of "$pkg" QORGAN_SWIFT_LOCAL=0) || return 1
    expect_line "$t" "QorganFFI binary $placeholder_url $placeholder_sum -" || return 1
    expect_line "$t" "Qorgan regular - - -"
}
no_unsafe_flags() {
    ! grep -v '^ *//' "$here/Package.swift" | grep -n 'unsafeFlags'
}
header_layout() {
    local d=/build/qorgan-swift-layout
    $sudo rm -rf "$chroot_dir$d"
    $sudo mkdir -p "$chroot_dir$d"
    $sudo bash "$here/stage-headers.sh" "$chroot_dir$d/Headers" || return 1
    (cd "$chroot_dir$d/Headers" && find . | LC_ALL=C sort) > "$scratch/layout"
    printf '.\n./QorganFFI\n./QorganFFI/QorganFFI.h\n./QorganFFI/module.modulemap\n' | diff - "$scratch/layout" || return 1
    printf 'import QorganFFI\nprint(ffi_qorgan_ffi_uniffi_contract_version())\n' | $sudo tee "$chroot_dir$d/main.swift" >/dev/null
    local want got
    want=$(sed -n 's/^ *let bindings_contract_version = \([0-9]*\)$/\1/p' "$here/Sources/Qorgan/Qorgan.swift")
    [[ -n $want ]] || { echo "no bindings_contract_version in Qorgan.swift"; return 1; }
    got=$(in_chroot "cd $d && swiftc -I Headers main.swift -L $pkg/lib -lqorgan_ffi -Xlinker -rpath -Xlinker $pkg/lib -o contract && ./contract") || return 1
    [[ $got == "$want" ]] || { echo "contract version: library $got, Qorgan.swift $want"; return 1; }
}
# A stand-in XCFramework: Info.plist, the staged headers in two slices, a
# fake library. Made in $1.
standin() {
    local x=$1/QorganFFI.xcframework s
    mkdir -p "$x"
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n' > "$x/Info.plist"
    for s in ios-arm64 ios-arm64_x86_64-simulator; do
        mkdir -p "$x/$s"
        bash "$here/stage-headers.sh" "$x/$s/Headers" >/dev/null
        printf '!<arch>\n' > "$x/$s/libqorgan_ffi.a"
    done
}
zip_reproducible() {
    standin "$scratch/z1" && standin "$scratch/z2" || return 1
    chmod 600 "$scratch/z2/QorganFFI.xcframework/Info.plist"
    touch "$scratch/z2/QorganFFI.xcframework/ios-arm64/libqorgan_ffi.a"
    local a b
    a=$(bash "$here/zip-xcframework.sh" "$scratch/z1/QorganFFI.xcframework" "$scratch/z1/QorganFFI.xcframework.zip" | sed -n 's/^checksum //p')
    b=$(cd "$scratch/z2" && bash "$here/zip-xcframework.sh" QorganFFI.xcframework/ QorganFFI.xcframework.zip | sed -n 's/^checksum //p')
    [[ -n $a && $a == "$b" ]] || { echo "two zips of the same tree differ: $a vs $b"; return 1; }
    cmp "$scratch/z1/QorganFFI.xcframework.zip" "$scratch/z2/QorganFFI.xcframework.zip" || return 1
    [[ $(sha256sum "$scratch/z1/QorganFFI.xcframework.zip" | awk '{print $1}') == "$a" ]] || { echo "printed checksum is not the zip's SHA-256"; return 1; }
    unzip -Z1 "$scratch/z1/QorganFFI.xcframework.zip" > "$scratch/entries"
    LC_ALL=C sort -c "$scratch/entries" || return 1
    grep -qxF QorganFFI.xcframework/ios-arm64/Headers/QorganFFI/module.modulemap "$scratch/entries" || return 1
    ! grep -v '^QorganFFI\.xcframework/' "$scratch/entries"
}
set_release() {
    local zip=$scratch/z1/QorganFFI.xcframework.zip
    [[ -f $zip ]] || { standin "$scratch/z3" && bash "$here/zip-xcframework.sh" "$scratch/z3/QorganFFI.xcframework" "$zip" >/dev/null; } || return 1
    local d=/build/qorgan-swift-release url=https://example.invalid/qorgan/releases/download/v9.9.9/QorganFFI.xcframework.zip
    local sum before t
    sum=$(sha256sum "$zip" | awk '{print $1}')
    before=$(sha256sum "$here/Package.swift")
    $sudo rm -rf "$chroot_dir$d"
    $sudo mkdir -p "$chroot_dir$d"
    $sudo cp "$here/Package.swift" "$chroot_dir$d/Package.swift"
    $sudo bash "$here/set-release.sh" "$url" "$zip" "$chroot_dir$d/Package.swift" | tail -1 > "$scratch/set.out" || return 1
    [[ $(cat "$scratch/set.out") == "checksum $sum" ]] || { echo "set-release.sh printed: $(cat "$scratch/set.out")"; return 1; }
    [[ $(sha256sum "$here/Package.swift") == "$before" ]] || { echo "set-release.sh changed the checkout's Package.swift"; return 1; }
    t=$(targets_of "$d" QORGAN_SWIFT_LOCAL=0) || return 1
    expect_line "$t" "QorganFFI binary $url $sum -" || return 1
    t=$(targets_of "$d" "") || return 1
    expect_line "$t" "QorganFFI system - - -" || return 1
    # Refused: not https, not .zip, not a zip file; the copy is unchanged.
    before=$(sha256sum "$chroot_dir$d/Package.swift")
    ! $sudo bash "$here/set-release.sh" http://example.invalid/a.zip "$zip" "$chroot_dir$d/Package.swift" || return 1
    ! $sudo bash "$here/set-release.sh" https://example.invalid/a.tar "$zip" "$chroot_dir$d/Package.swift" || return 1
    ! $sudo bash "$here/set-release.sh" https://example.invalid/a.zip "$here/Package.swift" "$chroot_dir$d/Package.swift" || return 1
    [[ $(sha256sum "$chroot_dir$d/Package.swift") == "$before" ]]
}
root_manifest() {
    # The copy at the repository's root, in a stand-in of the repository's
    # layout: its target paths lead into bindings/swift (describe loads them).
    local d=/build/qorgan-swift-rootcheck t
    $sudo rm -rf "$chroot_dir$d"
    $sudo mkdir -p "$chroot_dir$d/bindings/swift"
    $sudo bash "$here/root-manifest.sh" "$chroot_dir$d/Package.swift" || return 1
    $sudo cp -r "$here/Sources" "$here/Tests" "$chroot_dir$d/bindings/swift/"
    in_chroot "cd $d && swift package describe" > "$scratch/describe" || { cat "$scratch/describe"; return 1; }
    grep -qE '^ *Path: bindings/swift/Sources/Qorgan$' "$scratch/describe" || { cat "$scratch/describe"; return 1; }
    t=$(targets_of "$d" QORGAN_SWIFT_LOCAL=0) || return 1
    expect_line "$t" "QorganFFI binary $placeholder_url $placeholder_sum -" || return 1
    # Once the root holds one, it must be the current generation.
    if [[ -f $repo/Package.swift ]]; then
        bash "$here/root-manifest.sh" --check || return 1
    fi
}
refuses_linux() {
    local rc=0
    bash "$here/build-xcframework.sh" "$scratch/xcf" || rc=$?
    [[ $rc == 3 ]] || { echo "build-xcframework.sh exited $rc, expected 3"; return 1; }
    [[ ! -e $scratch/xcf ]] || { echo "build-xcframework.sh made $scratch/xcf before refusing"; return 1; }
}
check "local mode: systemLibrary + qorgan_ffi, resolves" local_mode
check "release mode (QORGAN_SWIFT_LOCAL=0) parses with a binaryTarget" release_mode_placeholders
check "no unsafeFlags in Package.swift" no_unsafe_flags
check "Headers/QorganFFI/module.modulemap found by swiftc -I Headers" header_layout
check "zip-xcframework.sh reproducible" zip_reproducible
check "set-release.sh on a copy" set_release
check "root-manifest.sh: paths into bindings/swift$([[ -f $repo/Package.swift ]] && echo ', <repo>/Package.swift up to date')" root_manifest
check "build-xcframework.sh refuses a non-Mac host (status 3)" refuses_linux
echo "packaging: $pack_ok passed, $pack_failed failed ($((SECONDS - pack_start)) s)"

# 6. Timings through Swift (release build).
if [[ ${QORGAN_SWIFT_TIMING:-1} != 0 ]]; then
    in_chroot "swift run -c release $link QorganTiming 2>/dev/null" || status=1
fi

# 7. Summary: XCTest tests and packaging checks.
echo "swift: $((run - failed + pack_ok)) passed, $((failed + pack_failed)) failed"
exit "$status"
