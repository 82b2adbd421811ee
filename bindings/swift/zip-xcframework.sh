#!/usr/bin/env bash
# Zips an XCFramework reproducibly for a SwiftPM binary target: the archive
# holds the directory itself at its root (QorganFFI.xcframework/..., as
# `ditto -c -k --keepParent` would), which is where SwiftPM looks for the
# artifact named after the target after downloading the zip.
#
# Reproducible: entries in byte order of their paths (LC_ALL=C sort), every
# mtime set to SOURCE_DATE_EPOCH (default: the last commit's time) and stored
# as UTC, modes normalised (directories 755, files 644, executables 755), no
# extra attributes (`zip -X`: no uid/gid, no extended timestamps; no
# __MACOSX or resource forks, which ditto would add unless told not to).
# The same tree gives the same bytes on macOS and Linux (both ship Info-ZIP
# zip 3.0). Symlinks are stored as links (-y); the XCFramework of static
# libraries has none. It modifies the mtimes and modes of the tree it zips.
#
# Needs: zip, find, sort, touch, date (GNU or BSD). Runs on Linux too
# (bindings/swift/test.sh zips a stand-in tree twice and compares).
# Usage: bash bindings/swift/zip-xcframework.sh XCFRAMEWORK_DIR OUT_ZIP
# Prints "checksum <sha256 hex>" (what `swift package compute-checksum` prints).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[[ $# -eq 2 ]] || { echo "usage: $0 XCFRAMEWORK_DIR OUT_ZIP" >&2; exit 2; }
command -v zip >/dev/null || { echo "zip not found (Info-ZIP; apt-get install zip)" >&2; exit 1; }
dir=${1%/}
[[ -d $dir ]] || { echo "no such directory: $dir" >&2; exit 1; }
case $dir in *.xcframework) ;; *) echo "not an .xcframework directory: $dir" >&2; exit 1 ;; esac
[[ -f $dir/Info.plist ]] || { echo "$dir has no Info.plist: not an XCFramework" >&2; exit 1; }
parent=$(cd "$(dirname "$dir")" && pwd)
name=$(basename "$dir")
out_dir=$(cd "$(dirname "$2")" && pwd)
out=$out_dir/$(basename "$2")

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 315532800)}
# Zip's DOS times start in 1980; earlier epochs would be clamped differently.
(( epoch >= 315532800 )) || epoch=315532800
stamp=$(TZ=UTC0 date -u -d "@$epoch" +%Y%m%d%H%M.%S 2>/dev/null \
        || TZ=UTC0 date -u -r "$epoch" +%Y%m%d%H%M.%S)

cd "$parent"
find "$name" -type d -exec chmod 755 {} +
find "$name" -type f -perm -u+x -exec chmod 755 {} +
find "$name" -type f ! -perm -u+x -exec chmod 644 {} +
find "$name" -exec env TZ=UTC0 touch -h -t "$stamp" {} +
rm -f "$out"
find "$name" | LC_ALL=C sort | TZ=UTC0 zip -X -y -q -9 "$out" -@
if command -v sha256sum >/dev/null; then
    sum=$(sha256sum "$out" | awk '{print $1}')
else
    sum=$(shasum -a 256 "$out" | awk '{print $1}')
fi
echo "wrote $out ($(wc -c < "$out" | tr -d ' ') bytes)"
echo "checksum $sum"
