#!/usr/bin/env bash
# Checks that qorgan's Rust crates can be published and that their
# dependencies meet deny.toml:
#   1. the tests of scripts/check-licences.py and scripts/sbom.py;
#   2. licences, bans and sources of the dependency graph against deny.toml
#      (scripts/check-licences.py; also `cargo deny check licenses bans
#      sources` when cargo-deny happens to be installed);
#   3. manifests: each publishable crate has the crates.io metadata, docs.rs
#      metadata with --cfg docsrs and without `hazmat-internals`, no path
#      dependency without a version or on an unpublished crate, and its
#      package contains LICENSE-APACHE, LICENSE-MIT and README.md;
#   4. `cargo publish --dry-run --workspace --locked`: packages every
#      publishable crate and compiles each from its package (crates not yet
#      on crates.io resolved from the packages of this run);
#   5. for each publishable crate, its documentation built as docs.rs builds
#      it: its [package.metadata.docs.rs] features and target, rustdoc with
#      `--cfg docsrs -D warnings`, RUSTC_BOOTSTRAP=1 (docs.rs uses nightly).
# Builds go to target/package-check (RUSTC_BOOTSTRAP=1 would otherwise
# rebuild and then invalidate everything in target/). The checkout may have
# uncommitted changes (--allow-dirty): this checks content, not git state.
#
# Needs: cargo (stable >= 1.90 for multi-package publish --dry-run), python3
# >= 3.11, git; the crates of Cargo.lock (fetched from crates.io if missing).
# Usage: scripts/check-crates.sh
# Ends with `crates: N checks passed, M failed`; exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export CARGO_TARGET_DIR="$repo/target/package-check"

for tool in cargo python3 git; do
    command -v "$tool" > /dev/null || { echo "check-crates: $tool not found on PATH" >&2; exit 2; }
done
python3 -c 'import sys, tomllib; sys.exit(sys.version_info < (3, 11))' 2> /dev/null ||
    { echo "check-crates: python3 >= 3.11 is needed (tomllib)" >&2; exit 2; }

passed=0
failed=0
failures=()
check() { # check NAME COMMAND...: runs one check and counts it
    local name=$1 start=$SECONDS
    shift
    printf -- '--- %s\n' "$name"
    if "$@"; then
        passed=$((passed + 1))
        printf -- '--- %s: ok (%ss)\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1))
        failures+=("$name")
        printf -- '--- %s: FAILED (%ss)\n' "$name" $((SECONDS - start))
    fi
}

check "licence checker tests" python3 scripts/check-licences-test.py
check "bill of materials tests" python3 scripts/sbom-test.py
check "licences, bans, sources (deny.toml)" python3 scripts/check-licences.py
if cargo deny --version > /dev/null 2>&1; then
    check "cargo deny check licenses bans sources" \
        cargo deny --locked check --hide-inclusion-graph licenses bans sources
else
    echo "(cargo-deny not installed: scripts/check-licences.py applied the same deny.toml)"
fi

# Publishable crates and their docs.rs settings, one line each:
# NAME|CARGO-DOC-FLAGS|TARGET|RUSTDOC-ARGS
crates=$(cargo metadata --format-version 1 --locked --no-deps | python3 -c '
import json, shlex, sys
m = json.load(sys.stdin)
members = set(m["workspace_members"])
for p in sorted(m["packages"], key=lambda p: p["name"]):
    if p["id"] not in members or p["publish"] == []:
        continue
    d = ((p.get("metadata") or {}).get("docs") or {}).get("rs") or {}
    flags = []
    if d.get("all-features"):
        flags.append("--all-features")
    if d.get("no-default-features"):
        flags.append("--no-default-features")
    if d.get("features"):
        flags += ["--features", ",".join(d["features"])]
    target = d.get("default-target") or (d.get("targets") or ["x86_64-unknown-linux-gnu"])[0]
    print("|".join([p["name"], shlex.join(flags), target, shlex.join(d.get("rustdoc-args", []))]))
')
[ -n "$crates" ] || { echo "check-crates: no publishable crate in the workspace" >&2; exit 2; }

manifests() { # runs as an `if` condition (check): a failure does not stop it
    cargo metadata --format-version 1 --locked --no-deps | python3 -c '
import json, sys
m = json.load(sys.stdin)
members = {p["id"]: p for p in m["packages"] if p["id"] in set(m["workspace_members"])}
by_name = {p["name"]: p for p in members.values()}
problems = []
for p in sorted(members.values(), key=lambda p: p["name"]):
    if p["publish"] == []:
        continue
    name = p["name"]
    for key in ("description", "license", "repository", "documentation", "readme"):
        if not p.get(key):
            problems.append(f"{name}: no `{key}`")
    for key in ("keywords", "categories"):
        if not p.get(key):
            problems.append(f"{name}: no `{key}`")
    if len(p.get("keywords") or []) > 5:
        problems.append(f"{name}: more than 5 keywords (crates.io limit)")
    d = ((p.get("metadata") or {}).get("docs") or {}).get("rs")
    if d is None:
        problems.append(f"{name}: no [package.metadata.docs.rs]")
    else:
        args = d.get("rustdoc-args", [])
        if not any(a == "docsrs" and i and args[i - 1] == "--cfg" for i, a in enumerate(args)):
            problems.append(f"{name}: docs.rs rustdoc-args lack --cfg docsrs")
        if "hazmat-internals" in p["features"] and (
            d.get("all-features") or "hazmat-internals" in d.get("features", [])
        ):
            problems.append(f"{name}: docs.rs would document hazmat-internals")
    for dep in p["dependencies"]:
        if dep.get("path") is None or dep["kind"] == "dev":
            continue
        dep_name = dep["name"]
        if dep["req"] == "*":
            problems.append(f"{name}: path dependency {dep_name} has no version")
        target = by_name.get(dep_name)
        if target is not None and target["publish"] == []:
            problems.append(f"{name}: depends on unpublished {dep_name}")
for problem in problems:
    print(f"manifest: {problem}")
sys.exit(1 if problems else 0)
'
    local ok=$? name _ list
    while IFS='|' read -r name _; do
        list=$(cargo package --list --locked --allow-dirty -p "$name" 2> /dev/null) ||
            { echo "manifest: cargo package --list -p $name failed"; ok=1; continue; }
        for file in LICENSE-APACHE LICENSE-MIT README.md; do
            grep -qx "$file" <<< "$list" || { echo "manifest: $name: $file not in its package"; ok=1; }
        done
        echo "$name: $(wc -l <<< "$list") files packaged"
    done <<< "$crates"
    return $ok
}
check "manifests and packaged files" manifests

check "cargo publish --dry-run --workspace" \
    cargo publish --dry-run --workspace --locked --allow-dirty --quiet

docs_rs() { # docs_rs NAME FLAGS TARGET RUSTDOC-ARGS
    # docs.rs builds the package alone, so without the workspace's
    # [profile.dev.package."*"] opt-level = 3 (which makes SQLite's C and
    # every build script compile optimised): undone here, as there.
    local name=$1 target=$3 flags
    read -r -a flags <<< "$2"
    RUSTDOCFLAGS="$4 -D warnings" RUSTC_BOOTSTRAP=1 DOCS_RS=1 \
        cargo doc --no-deps --locked --quiet -p "$name" --target "$target" "${flags[@]}" \
        --config 'profile.dev.package."*".opt-level = 0'
}
while IFS='|' read -r name flags target rustdoc_args; do
    check "docs.rs build of $name ($target${flags:+ $flags})" docs_rs "$name" "$flags" "$target" "$rustdoc_args"
done <<< "$crates"

if [ "$failed" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
fi
echo "crates: $passed checks passed, $failed failed"
[ "$failed" -eq 0 ]
