#!/usr/bin/env bash
# Points the Swift package's release mode at a published XCFramework zip:
# computes the zip's checksum and rewrites the two release constants of
# Package.swift (qorganFFIReleaseURL, qorganFFIReleaseChecksum), so that an
# app adding the repository by URL gets `.binaryTarget(name: "QorganFFI",
# url: URL, checksum: ...)`.
#
# The checksum is what `swift package compute-checksum ZIP` prints: the
# SHA-256 of the zip file, in lowercase hex. It is computed here with
# sha256sum (or `shasum -a 256`, or openssl) so that no Swift toolchain is
# needed. SwiftPM accepts only https URLs ending in .zip for remote binary
# targets; both are checked. The rewrite is done into a temporary file and
# checked (each constant present exactly once, with the new value) before it
# replaces PACKAGE_SWIFT, which is never left half-written.
#
# Needs: bash, awk, sha256sum or shasum or openssl.
# Usage: bash bindings/swift/set-release.sh URL ZIP [PACKAGE_SWIFT]
#   URL            where the zip will be downloaded from, e.g.
#                  https://example.invalid/qorgan/releases/download/v0.1.0/QorganFFI.xcframework.zip
#   ZIP            the QorganFFI.xcframework.zip made by build-xcframework.sh
#   PACKAGE_SWIFT  the manifest to rewrite in place (default: the
#                  Package.swift next to this script; pass a copy, e.g. in
#                  dist/, to leave the checkout alone)
# Prints the checksum on its last line: "checksum <hex>".
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ $# -eq 2 || $# -eq 3 ]] || { echo "usage: $0 URL ZIP [PACKAGE_SWIFT]" >&2; exit 2; }
url=$1
zip=$2
manifest=${3:-$here/Package.swift}

url_re='^https://[^[:space:]"\\]+\.zip$'
[[ $url =~ $url_re ]] \
    || { echo "URL must be https://... ending in .zip, without quotes, backslashes or spaces (SwiftPM accepts only that): $url" >&2; exit 2; }
[[ -f $zip ]] || { echo "no such zip: $zip" >&2; exit 1; }
[[ $(head -c 4 "$zip" | od -An -tx1 | tr -d ' \n') == 504b0304 ]] \
    || { echo "not a zip archive (no PK\\3\\4 header): $zip" >&2; exit 1; }
[[ -f $manifest ]] || { echo "no such manifest: $manifest" >&2; exit 1; }

if command -v sha256sum >/dev/null; then
    sum=$(sha256sum "$zip" | awk '{print $1}')
elif command -v shasum >/dev/null; then
    sum=$(shasum -a 256 "$zip" | awk '{print $1}')
elif command -v openssl >/dev/null; then
    sum=$(openssl dgst -sha256 -r "$zip" | awk '{print $1}')
else
    echo "need sha256sum, shasum or openssl to compute the checksum" >&2; exit 1
fi
[[ $sum =~ ^[0-9a-f]{64}$ ]] || { echo "unexpected checksum output: $sum" >&2; exit 1; }

tmp=$(mktemp "$manifest.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v url="$url" -v sum="$sum" '
    /^let qorganFFIReleaseURL = "[^"]*"$/      { print "let qorganFFIReleaseURL = \"" url "\""; n_url++; next }
    /^let qorganFFIReleaseChecksum = "[^"]*"$/ { print "let qorganFFIReleaseChecksum = \"" sum "\""; n_sum++; next }
    { print }
    END { if (n_url != 1 || n_sum != 1) { printf "found %d URL and %d checksum lines, expected one each\n", n_url, n_sum > "/dev/stderr"; exit 1 } }
' "$manifest" > "$tmp" || { echo "$manifest: the release constants were not found as expected (one line each: let qorganFFIReleaseURL = \"...\" / let qorganFFIReleaseChecksum = \"...\")" >&2; exit 1; }
[[ $(grep -cxF "let qorganFFIReleaseURL = \"$url\"" "$tmp") == 1 \
    && $(grep -cxF "let qorganFFIReleaseChecksum = \"$sum\"" "$tmp") == 1 ]] \
    || { echo "rewrite check failed for $manifest" >&2; exit 1; }
chmod --reference="$manifest" "$tmp" 2>/dev/null || chmod 644 "$tmp"
mv "$tmp" "$manifest"
trap - EXIT
echo "set $manifest: release URL $url"
echo "checksum $sum"
