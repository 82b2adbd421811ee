#!/usr/bin/env bash
# Runs every qorgan test on a fresh Debian machine with the Rust toolchain:
# formatting, lints, unit/integration/model/known-answer/vector/fixture tests,
# fuzz-corpus replay, FFI and CLI tests, doc tests, the Python, Kotlin and
# Swift bindings and the demo. Each section prints its runner's pass/fail
# counts. Installs what it needs when missing: python3-venv, maturin and
# pytest; JNA, JUnit and kotlinc; debootstrap and a Debian trixie chroot
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

section "Bindings: committed sources equal a fresh generation"
bash bindings/check-generated.sh

section "docs/INTEGRATION.md: every code sample equals the test that runs it"
bash bindings/check-samples.sh

section "Python bindings: wheel into a fresh venv, pytest"
QORGAN_PYTHON_TIMING=0 bash bindings/python/test.sh

section "Kotlin bindings: JVM jar with the native library, kotlin.test/JUnit"
QORGAN_KOTLIN_TIMING=0 bash bindings/kotlin/test.sh

section "Swift bindings: SwiftPM package, XCTest (Debian trixie chroot)"
QORGAN_SWIFT_TIMING=0 bash bindings/swift/test.sh

section "Packaging scripts that need other hosts (Android NDK, Xcode) parse"
bash -n bindings/kotlin/build-aar.sh
bash -n bindings/swift/build-xcframework.sh
echo "scripts: ok"

section "Demo runs"
cargo run --release --locked --quiet -p qorgan --example demo > /dev/null
echo "demo: ok"
