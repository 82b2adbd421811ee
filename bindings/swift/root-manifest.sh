#!/usr/bin/env bash
# Writes the Package.swift at the repository's root: SwiftPM reads a
# package's manifest at the root of its repository, so an app adding
#   .package(url: "https://example.invalid/qorgan", from: "0.1.0")
# needs one there. It is bindings/swift/Package.swift (the only one to edit)
# with `let packageRoot = ""` set to "bindings/swift/" so the target paths
# point into bindings/swift/, and a line saying where it comes from. The
# release constants are copied as they are, so run set-release.sh on the
# source manifest first (or pass the rewritten copy with --from).
#
# Needs: bash, awk. Usage:
#   bash bindings/swift/root-manifest.sh [--from SRC] [OUT]   write OUT
#   bash bindings/swift/root-manifest.sh --check [--from SRC] [OUT]
#                                    exit 1 if OUT differs from what would be written
#   SRC default bindings/swift/Package.swift; OUT default <repo>/Package.swift.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
check=0
src=$here/Package.swift
out=""
while [[ $# -gt 0 ]]; do
    case $1 in
        --check) check=1; shift ;;
        --from) [[ $# -ge 2 ]] || { echo "--from needs a file" >&2; exit 2; }; src=$2; shift 2 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) [[ -z $out ]] || { echo "one OUT only" >&2; exit 2; }; out=$1; shift ;;
    esac
done
out=${out:-$repo/Package.swift}
[[ -f $src ]] || { echo "no such manifest: $src" >&2; exit 1; }

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
awk '
    NR == 1 { if ($0 !~ /^\/\/ swift-tools-version:/) { print "first line is not // swift-tools-version:" > "/dev/stderr"; exit 1 }
              print
              print "// GENERATED from bindings/swift/Package.swift by bindings/swift/root-manifest.sh: edit that file."
              next }
    /^let packageRoot = ""$/ { print "let packageRoot = \"bindings/swift/\""; n++; next }
    { print }
    END { if (n != 1) { print "expected one line: let packageRoot = \"\"" > "/dev/stderr"; exit 1 } }
' "$src" > "$tmp" || { echo "$src: cannot make the root manifest" >&2; exit 1; }

if [[ $check == 1 ]]; then
    [[ -f $out ]] || { echo "no $out (write it: bash bindings/swift/root-manifest.sh)" >&2; exit 1; }
    diff -u "$out" "$tmp" >&2 || { echo "$out is not the root manifest of $src (rewrite it: bash bindings/swift/root-manifest.sh)" >&2; exit 1; }
    echo "$out is up to date"
else
    cp "$tmp" "$out"
    echo "wrote $out"
fi
