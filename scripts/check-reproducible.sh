#!/usr/bin/env bash
# Proves the release is reproducible: builds it a second time with
# scripts/release.sh from a fresh clone of the same commit at another path
# (its own cargo target directory, so nothing is shared but the registry
# cache and the pinned tools) and compares, byte for byte, every artefact
# that must not depend on where or when it was built: the native library,
# the wheel, the sdist, the JVM jars and POM, the .crate files and the
# bill of materials. BUILD-INFO.txt (host) and SHA256SUMS are left out.
#
# Usage: bash scripts/check-reproducible.sh [DIST]
#   DIST: the first build (default dist/, built now by release.sh if absent).
# The checkout must be committed: the clone builds HEAD, so uncommitted
# changes would differ (refused unless QORGAN_ALLOW_DIRTY=1).
# Ends with `reproducible: N identical, M different`; exits non-zero on any
# difference.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
first=${1:-dist}
if [[ -n $(git status --porcelain -- . ':!dist') && ${QORGAN_ALLOW_DIRTY:-0} != 1 ]]; then
    echo "check-reproducible.sh: uncommitted changes; the second build is of HEAD (QORGAN_ALLOW_DIRTY=1 to compare anyway)" >&2
    exit 1
fi
[[ -f $first/SHA256SUMS ]] || bash scripts/release.sh "$first"
first=$(cd "$first" && pwd)
# The first build must be of HEAD, and the second uses its timestamp.
built=$(sed -n 's/^commit //p' "$first/BUILD-INFO.txt")
if [[ $built != "$(git rev-parse HEAD)" && ${QORGAN_ALLOW_DIRTY:-0} != 1 ]]; then
    echo "check-reproducible.sh: $first was built from '$built', not HEAD: run scripts/release.sh again" >&2
    exit 1
fi
epoch=$(sed -n 's/^SOURCE_DATE_EPOCH //p' "$first/BUILD-INFO.txt")

work=$(mktemp -d /tmp/qorgan-repro.XXXXXX)
trap 'rm -rf "$work"' EXIT
clone=$work/elsewhere/q
git clone -q "$repo" "$clone"
git -C "$clone" checkout -q "$(git rev-parse HEAD)"
echo "== second build in $clone"
# The pinned tools are reused (they are inputs, not outputs); everything
# Rust builds goes to the clone's own target directory.
(cd "$clone" &&
    QORGAN_PYTHON_TOOLS=${QORGAN_PYTHON_TOOLS:-$repo/bindings/python/.tools} \
    QORGAN_KOTLIN_TOOLS=${QORGAN_KOTLIN_TOOLS:-$repo/bindings/kotlin/.tools} \
    SOURCE_DATE_EPOCH=$epoch \
    bash scripts/release.sh "$work/second" > "$work/second.log" 2>&1) || {
    tail -n 40 "$work/second.log" >&2
    echo "check-reproducible.sh: the second build failed" >&2
    exit 1
}

same=0
different=0
while IFS= read -r f; do
    if cmp -s "$first/$f" "$work/second/$f"; then
        same=$((same + 1))
    else
        different=$((different + 1))
        echo "DIFFERENT: $f" >&2
        sha256sum "$first/$f" "$work/second/$f" >&2 || true
    fi
done < <(cd "$first" && find . -type f \( -name '*.so' -o -name '*.whl' -o -name '*.tar.gz' \
    -o -name '*.jar' -o -name '*.pom' -o -name '*.module' -o -name '*.crate' -o -name 'sbom.cdx.json' \) \
    -printf '%P\n' | LC_ALL=C sort)
[[ $same -gt 0 ]] || { echo "check-reproducible.sh: nothing compared" >&2; different=$((different + 1)); }
echo "reproducible: $same identical, $different different"
[[ $different -eq 0 ]]
