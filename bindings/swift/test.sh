#!/usr/bin/env bash
# Builds the Swift package against the qorgan native library and runs its
# XCTest suite, then prints timings through Swift.
#
# Debian 12 has no Swift, so the package runs inside a Debian trixie chroot
# that has swiftlang (6.0): it is made once with debootstrap (about 70 s,
# 540 MB download, 2.6 GB on disk) under $QORGAN_SWIFT_ROOT (default
# /var/tmp/qorgan-swift-root, outside the repository) and reused when present.
# The Rust library built here (glibc 2.36) runs there unchanged.
#
# Steps: 1. debootstrap + chroot if missing (needs root or sudo);
#        2. cargo build --release -p qorgan-ffi --lib;
#        3. copy the package and libqorgan_ffi.so into the chroot;
#        4. mount /proc, `swift build --build-tests` and `swift test`
#           (the library found through -L and rpath), unmount;
#        5. `swift run -c release QorganTiming` (QORGAN_SWIFT_TIMING=0 skips);
#        6. print "swift: N passed, M failed"; exit non-zero on any failure.
# Usage: bash bindings/swift/test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
chroot_dir=${QORGAN_SWIFT_ROOT:-/var/tmp/qorgan-swift-root}
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo

# 1. The chroot. A marker written after a complete debootstrap tells a
# usable chroot from a half-made one (/usr/bin/swift is an absolute symlink
# that does not resolve from outside the chroot, so it cannot be tested).
ready=$chroot_dir/.qorgan-swift-ready
if [[ ! -f $ready ]]; then
    if ! command -v debootstrap >/dev/null; then
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq debootstrap >/dev/null
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
(cd "$repo" && cargo build --release --locked -q -p qorgan-ffi --lib)

# 3. Package and library into the chroot; .build there is kept between runs.
pkg=/build/qorgan-swift
$sudo mkdir -p "$chroot_dir$pkg/lib"
$sudo rm -rf "$chroot_dir$pkg/Sources" "$chroot_dir$pkg/Tests"
$sudo cp -r "$here/Package.swift" "$here/Sources" "$here/Tests" "$chroot_dir$pkg/"
$sudo cp "$repo/target/release/libqorgan_ffi.so" "$chroot_dir$pkg/lib/"

# 4. Build and test with /proc mounted (swift needs it), unmounted on exit.
mounted=0
if ! mountpoint -q "$chroot_dir/proc"; then
    $sudo mount -t proc proc "$chroot_dir/proc"
    mounted=1
fi
cleanup() { if [[ $mounted == 1 ]]; then $sudo umount "$chroot_dir/proc" || true; fi; }
trap cleanup EXIT
link="-Xlinker -L$pkg/lib -Xlinker -rpath -Xlinker $pkg/lib"
in_chroot() { $sudo chroot "$chroot_dir" /usr/bin/env -i HOME=/root PATH=/usr/bin:/bin LANG=C.UTF-8 sh -c "cd $pkg && $1"; }
log=$(mktemp)
status=0
in_chroot "swift build --build-tests $link" > "$log" 2>&1 || { cat "$log"; echo "swift: 0 passed, 1 failed (build)"; exit 1; }
in_chroot "swift test --skip-build $link" 2>&1 | tee "$log" || status=1

# 5. Timings through Swift (release build).
if [[ ${QORGAN_SWIFT_TIMING:-1} != 0 ]]; then
    in_chroot "swift run -c release $link QorganTiming 2>/dev/null" || status=1
fi

# 6. Summary from XCTest's last "Executed N tests, with M failures" line.
line=$(grep -E 'Executed [0-9]+ tests?, with [0-9]+ failures?' "$log" | tail -1 || true)
run=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$line")
failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$line")
[[ -n $line ]] || { run=0; failed=1; }
[[ $failed == 0 && $run -gt 0 ]] || status=1
rm -f "$log"
echo "swift: $((run - failed)) passed, $failed failed"
exit "$status"
