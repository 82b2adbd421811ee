#!/usr/bin/env bash
# Runs the README's install lines for Python and Rust against the locally
# built release (dist/, from scripts/release.sh), as a user would type them,
# with the local artefacts standing in for the registries:
#   pip install qorgan          -> pip install --no-index --find-links dist/python qorgan
#   cargo add qorgan            -> a new crate depending on qorgan = "<v>", the
#                                  registry's qorgan replaced by dist/crates/qorgan-<v>.crate
#   cargo install qorgan-verify -> cargo install --path of dist/crates/qorgan-verify-<v>.crate
#                                  (its qorgan from dist/crates too)
# Kotlin (Maven layout, consumers with an older kotlinc and with javac) and
# Swift (the package in local mode) are exercised by their test scripts.
#
# Usage: bash scripts/check-install.sh [DIST]    (default dist/)
# Ends with `install: N passed, M failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dist=$(cd "${1:-dist}" && pwd)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
work=$(mktemp -d /tmp/qorgan-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {
    local name=$1
    shift
    # In a subshell with errexit of its own: bash ignores `set -e` inside
    # an `if` condition, so a failing step would otherwise pass.
    if (set -e; "$@") > "$work/$name.log" 2>&1; then
        passed=$((passed + 1))
        echo "ok: $name"
    else
        failed=$((failed + 1))
        echo "FAILED: $name" >&2
        tail -n 30 "$work/$name.log" >&2
    fi
}

python_line() {
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install -q --disable-pip-version-check --no-index --find-links "$dist/python" qorgan
    (cd "$work" && "$work/venv/bin/python" - <<'EOF'
import qorgan
now = 1_790_000_000
alice, bob = qorgan.Device(now), qorgan.Device(now)
a = alice.initiate(bob.bundle())
accepted = bob.accept(a.encrypt(b"salem"), now)
assert accepted.plaintext == b"salem"
assert a.decrypt(accepted.session.encrypt(b"qalaisyz?")) == b"qalaisyz?"
assert qorgan.__file__.startswith(__import__("sys").prefix), qorgan.__file__
print("pip install qorgan: ok")
EOF
    )
}

unpack() {
    mkdir -p "$work/crates"
    tar -xzf "$dist/crates/$1-$version.crate" -C "$work/crates"
}

rust_line() {
    unpack qorgan
    mkdir -p "$work/app/src"
    cat > "$work/app/Cargo.toml" <<EOF
[package]
name = "app"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
qorgan = "$version"

# What crates.io would serve: the packaged crate of this release.
[patch.crates-io]
qorgan = { path = "$work/crates/qorgan-$version" }
EOF
    cat > "$work/app/src/main.rs" <<'EOF'
use qorgan::{IdentityKeyPair, PreKeyBundle, PreKeyStore, Session, SystemRng};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = SystemRng::new()?;
    let now = 1_790_000_000;
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let mut bob = PreKeyStore::new(&mut rng, bob_id, now);
    let bundle = PreKeyBundle::from_bytes(&bob.bundle().ok_or("no prekeys")?.to_bytes())?;
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let mut alice = Session::initiate(&mut rng, &alice_id, &bundle)?;
    let (_, text) = bob.accept(&alice.encrypt(&mut rng, b"salem")?, now)?;
    assert_eq!(text, b"salem");
    println!("cargo add qorgan: ok");
    Ok(())
}
EOF
    cp "$repo/Cargo.lock" "$work/app/Cargo.lock"
    (cd "$work/app" && CARGO_TARGET_DIR=$repo/target/install-check cargo run --quiet --offline)
}

cli_line() {
    unpack qorgan
    unpack qorgan-verify
    # The packaged qorgan-verify names qorgan = "<v>" from crates.io; the
    # release's own qorgan stands in for it.
    mkdir -p "$work/cargo-home"
    cat > "$work/cargo-home/config.toml" <<EOF
[patch.crates-io]
qorgan = { path = "$work/crates/qorgan-$version" }
EOF
    CARGO_TARGET_DIR=$repo/target/install-check \
        cargo install --quiet --offline --locked --root "$work/bin" \
        --config "$work/cargo-home/config.toml" --path "$work/crates/qorgan-verify-$version"
    "$work/bin/bin/qorgan-verify" --help > /dev/null
    echo "cargo install qorgan-verify: ok"
}

check "pip-install-qorgan" python_line
check "cargo-add-qorgan" rust_line
check "cargo-install-qorgan-verify" cli_line
echo "install: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
