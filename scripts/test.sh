#!/usr/bin/env bash
# Runs every qorgan test on a fresh Debian machine with the Rust toolchain:
# formatting, lints, unit/integration/model/known-answer/vector/fixture tests,
# fuzz-corpus replay, FFI and CLI tests, doc tests, the crates' publishing
# checks, then builds the release (scripts/release.sh -> dist/) and tests the
# Python, Kotlin and Swift bindings against those artefacts, the README's
# install lines, the release's reproducibility, and the demo. Each section
# prints its runner's pass/fail counts. Installs what it needs when missing:
# python3-venv, maturin, zig, auditwheel, pytest and mypy (pinned, in venvs);
# JNA, JUnit and two kotlinc versions; debootstrap and a Debian trixie chroot
# with swiftlang (outside the repository, reused).
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n=== %s\n' "$*"; }

section "Rust: formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

section "Rust: unit, integration, model, known-answer, vector, fixture and doc tests"
cargo test --workspace --locked

section "Rust: documentation builds without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked --quiet

section "Rust crates: dependency policy (deny.toml), publish dry-run, docs.rs build"
bash scripts/check-crates.sh

section "Bindings: committed sources equal a fresh generation"
bash bindings/check-generated.sh

section "docs/INTEGRATION.md: every code sample equals the test that runs it"
bash bindings/check-samples.sh

section "Debian packages the release and the bindings need, when missing"
need=()
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
[[ -f /usr/share/java/jna.jar && -f /usr/share/java/junit4.jar && -f /usr/share/java/hamcrest-core.jar ]] ||
    need+=(libjna-java libjna-jni junit4)
command -v objdump >/dev/null || need+=(binutils)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
[[ ${#need[@]} -eq 0 ]] || bash scripts/apt-install.sh "${need[@]}"
echo "packages: ok${need[*]:+ (installed ${need[*]})}"

section "Release: every artefact this machine can build (scripts/release.sh -> dist/)"
bash scripts/release.sh dist
(cd dist && sha256sum --quiet -c SHA256SUMS && echo "SHA256SUMS: ok")

section "Python: the manylinux wheel of dist/ in a fresh venv, pytest, mypy --strict; the sdist by plain pip install"
QORGAN_PYTHON_TIMING=0 QORGAN_WHEEL=$(ls "$PWD"/dist/python/qorgan-*.whl) QORGAN_SDIST=$(ls "$PWD"/dist/python/qorgan-*.tar.gz) \
    bash bindings/python/test.sh

section "Kotlin: the Maven layout of dist/, JUnit on its jar, Kotlin 1.9 and Java consumers, AAR checks"
QORGAN_KOTLIN_TIMING=0 QORGAN_MAVEN_REPO=$PWD/dist/maven bash bindings/kotlin/test.sh

section "Swift: SwiftPM package on the native library of dist/, XCTest, packaging checks (Debian trixie chroot)"
QORGAN_SWIFT_TIMING=0 QORGAN_NATIVE_LIB=$PWD/dist/native/linux-x86_64/libqorgan_ffi.so bash bindings/swift/test.sh

section "README install lines (pip, cargo) against dist/"
bash scripts/check-install.sh dist

section "Reproducible: a second release from a clone at another path equals dist/"
bash scripts/check-reproducible.sh dist

section "Packaging scripts that need other hosts (Android NDK, Xcode) parse"
bash -n bindings/kotlin/build-aar.sh
bash -n bindings/swift/build-xcframework.sh
bash -n scripts/release.sh
echo "scripts: ok"

section "Demo runs"
cargo run --release --locked --quiet -p qorgan --example demo > /dev/null
echo "demo: ok"
