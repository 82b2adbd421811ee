#!/usr/bin/env bash
# Builds every qorgan artefact this machine can build into dist/ (or OUT):
#
#   dist/
#     python/   qorgan-<v>-py3-none-manylinux2014_x86_64...whl (glibc 2.17,
#               checked by auditwheel) and qorgan-<v>.tar.gz (sdist)
#     maven/    kz/qorgan/qorgan/<v>/: jar (classes + linux-x86-64 native
#               library, the wheel's), sources and javadoc jars, POM, Gradle
#               module metadata, checksums; maven-metadata.xml
#     swift/    Package.swift for the release (binaryTarget URL filled in;
#               its checksum once the XCFramework zip exists) and NOTE.txt
#     crates/   qorgan, qorgan-store, qorgan-verify .crate files
#     native/   linux-x86_64/libqorgan_ffi.so (the wheel's, for C/other FFI)
#     LICENSE-APACHE, LICENSE-MIT
#     sbom.cdx.json        CycloneDX 1.5 bill of materials (scripts/sbom.py)
#     BUILD-INFO.txt       commit, SOURCE_DATE_EPOCH, tool versions
#     OTHER-HOSTS.md       what needs another host, and what to run there
#     SHA256SUMS           of every file above (sha256sum -c SHA256SUMS)
#
# Reproducible: SOURCE_DATE_EPOCH is the commit's time, Rust paths are
# remapped (see bindings/python/build.sh), archives are sorted with fixed
# timestamps; scripts/check-reproducible.sh builds twice from two clones
# and compares. Crates are packaged, not verified here: the test command's
# scripts/check-crates.sh compiles each from its package.
#
# Usage: bash scripts/release.sh [OUT]     (default: dist; emptied first)
# Environment: QORGAN_RELEASE_URL  base URL of the release downloads
#   (default https://example.invalid/qorgan/releases/download/v<version>)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
out=${1:-dist}
start=$(date +%s)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[[ -n $version ]] || { echo "release.sh: no version in Cargo.toml" >&2; exit 1; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
release_url=${QORGAN_RELEASE_URL:-https://example.invalid/qorgan/releases/download/v$version}

# Emptied first: only a directory that is empty or an earlier release.
if [[ -e $out && -n $(ls -A "$out" 2>/dev/null) && ! -f $out/SHA256SUMS ]]; then
    echo "release.sh: $out is not empty and not an earlier release; refusing to empty it" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"
# Every Rust build of the release goes to this checkout's target/, under
# the remapped path (an inherited CARGO_TARGET_DIR would be outside it).
unset CARGO_TARGET_DIR
out=$(cd "$out" && pwd)
step() { printf '\n== release: %s\n' "$*"; }

step "Python wheel and sdist"
bash bindings/python/build.sh "$out/python"
wheel=$(find "$out/python" -name "qorgan-$version-*.whl" | head -n1)
[[ -n $wheel ]] || { echo "release.sh: no wheel in $out/python" >&2; exit 1; }

step "native library (the wheel's, glibc 2.17)"
mkdir -p "$out/native/linux-x86_64"
python3 - "$wheel" "$out/native/linux-x86_64/libqorgan_ffi.so" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = [n for n in z.namelist() if n.endswith("/libqorgan_ffi.so")]
    if len(names) != 1:
        sys.exit(f"release.sh: expected one libqorgan_ffi.so in the wheel, found {names}")
    open(sys.argv[2], "wb").write(z.read(names[0]))
EOF
touch -d "@$SOURCE_DATE_EPOCH" "$out/native/linux-x86_64/libqorgan_ffi.so"

step "Kotlin/JVM Maven layout"
bash bindings/kotlin/build-maven.sh "$out/maven" "$out/native/linux-x86_64/libqorgan_ffi.so"

step "Swift release manifest"
mkdir -p "$out/swift"
zip_url=$release_url/QorganFFI.xcframework.zip
cp bindings/swift/Package.swift "$out/swift/Package.swift"
rc=0
bash bindings/swift/build-xcframework.sh --release-url "$zip_url" \
    --package-swift "$out/swift/Package.swift" "$out/swift" || rc=$?
if [[ -f $out/swift/QorganFFI.xcframework.zip ]]; then
    bash bindings/swift/set-release.sh "$zip_url" "$out/swift/QorganFFI.xcframework.zip" "$out/swift/Package.swift"
    bash bindings/swift/root-manifest.sh --from "$out/swift/Package.swift" "$out/swift/Package.root.swift"
elif [[ $rc -eq 3 ]]; then
    cat > "$out/swift/NOTE.txt" <<EOF
The XCFramework (iOS devices, iOS simulators, macOS) needs a Mac with Xcode,
and its checksum goes into the tagged Package.swift, so a release runs in
this order:
 1. on a Mac: bash bindings/swift/build-xcframework.sh --release-url $zip_url dist/swift
    (it calls set-release.sh on bindings/swift/Package.swift); then
    bash bindings/swift/root-manifest.sh, commit both Package.swift files,
    tag v$version, upload QorganFFI.xcframework.zip to $zip_url;
 2. here, on the tag: bash scripts/release.sh (so the Linux artefacts, their
    SOURCE_DATE_EPOCH and the crates' commit are the tag's, and a reviewer
    rebuilding the tag gets the same bytes).
Package.swift here is bindings/swift/Package.swift as committed: its
checksum is the committed one (the placeholder means local mode).
EOF
else
    echo "release.sh: build-xcframework.sh failed ($rc)" >&2
    exit 1
fi

step "Rust crates"
mkdir -p "$out/crates"
CARGO_TARGET_DIR=$repo/target/package-release cargo package --locked --no-verify --allow-dirty \
    -p qorgan -p qorgan-store -p qorgan-verify --quiet
for c in qorgan qorgan-store qorgan-verify; do
    cp "target/package-release/package/$c-$version.crate" "$out/crates/"
done

step "licences, bill of materials, build information"
cp LICENSE-APACHE LICENSE-MIT "$out/"
python3 scripts/sbom.py > "$out/sbom.cdx.json"
{
    echo "qorgan $version"
    echo "commit $(git rev-parse HEAD)"
    [[ -z $(git status --porcelain -- . ':!dist') ]] || echo "uncommitted changes: yes"
    echo "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH"
    echo "$(rustc --version)"
    echo "$(cargo --version)"
    echo "java $(java -version 2>&1 | head -n1)"
    echo "python tools: $(grep -v '^#' bindings/python/build-support/tools.txt | awk '{printf "%s ", $1}')"
    echo "kotlinc $(sed -n 's/^KOTLIN_VERSION=\([0-9.]*\).*/\1/p' bindings/kotlin/kotlin-env.sh)"
    echo "host $(uname -sm)"
} > "$out/BUILD-INFO.txt"
cat > "$out/OTHER-HOSTS.md" <<EOF
# qorgan $version: artefacts built on other hosts

This release directory was built on $(uname -sm). These need another host:

| artefact | host | command (same commit) |
|---|---|---|
| Android AAR (\`kz.qorgan:qorgan-android:$version\`, Maven layout, arm64-v8a, armeabi-v7a, x86_64; 16 KB page alignment checked) | Linux or macOS with the Android NDK r28+ and cargo-ndk | \`bash bindings/kotlin/build-aar.sh\` |
| XCFramework zip for Swift (iOS device, iOS simulator, macOS slices) and the release checksum in Package.swift | macOS with Xcode, before tagging (swift/NOTE.txt) | \`bash bindings/swift/build-xcframework.sh --release-url $zip_url dist/swift\` |
| Wheels for aarch64 Linux, musllinux, macOS, Windows | not built yet (build.sh makes the x86_64 manylinux wheel only) | there, \`pip install qorgan\` builds the sdist where Rust 1.88+ is |
| Native libraries for other JVM hosts (linux-aarch64, macOS, Windows) | not built yet | the jar carries linux-x86-64 only |

Publish: \`pip\`: upload dist/python with twine; Maven: upload dist/maven
(the layout is a repository); crates.io: \`cargo publish -p qorgan\`, then
qorgan-store, then qorgan-verify; SwiftPM: tag the commit whose
Package.swift holds the checksum.
EOF

step "checksums"
(cd "$out" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > SHA256SUMS)
echo
cat "$out/SHA256SUMS"
echo "release: $(wc -l < "$out/SHA256SUMS") files in $out ($(( $(date +%s) - start )) s)"
