#!/usr/bin/env python3
"""Writes a CycloneDX 1.5 JSON bill of materials of what qorgan ships: the
crates qorgan, qorgan-store, qorgan-verify and qorgan-ffi (the native library
of the Kotlin, Swift and Python packages) and every crate compiled into them
(normal and build dependencies, default features, on the targets of
deny.toml [graph], which also says which workspace crates are left out), plus
the SQLite amalgamation that libsqlite3-sys compiles in.

Each component has its name, version, purl (pkg:cargo/NAME@VERSION), licence
expression (SPDX; old "MIT/Apache-2.0" written "MIT OR Apache-2.0"),
SHA-256 of the .crate from Cargo.lock, scope "required", and its repository;
`dependencies` is the graph. The output is deterministic: sorted, timestamp
from SOURCE_DATE_EPOCH (default: the last commit's time), serialNumber a
UUIDv5 of the commit and the content.

Needs: python3 >= 3.11, cargo (offline once the crates are fetched), git
(for the commit and its time, unless --commit and SOURCE_DATE_EPOCH are set).
Usage: scripts/sbom.py [-o FILE] [--config deny.toml] [--manifest-path Cargo.toml]
                       [--commit SHA]
Writes to standard output without -o.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
import uuid
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOL = "scripts/sbom.py"


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_licences", HERE / "check-licences.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_licences"] = module
    spec.loader.exec_module(module)
    return module


cl = _load_checker()


class SbomError(Exception):
    pass


def purl(pkg: dict) -> str:
    """pkg:cargo/NAME@VERSION; a git crate carries its repository."""
    text = f"pkg:cargo/{pkg['name']}@{pkg['version']}"
    source = pkg.get("source") or ""
    if source.startswith("git+"):
        url = source[4:].split("#")[0].split("?")[0]
        text += "?vcs_url=" + url.replace("%", "%25").replace("@", "%40").replace("?", "%3F")
    return text


def licence_expression(pkg: dict) -> str | None:
    if not pkg.get("license"):
        return None
    return cl.spdx_to_string(cl.parse_spdx(pkg["license"]))


def is_application(pkg: dict) -> bool:
    return any("bin" in t["kind"] and not t.get("required-features") for t in pkg["targets"])


def lock_checksums(lock_path: Path) -> dict[tuple[str, str, str], str]:
    with open(lock_path, "rb") as f:
        lock = tomllib.load(f)
    return {
        (p["name"], p["version"], p.get("source", "")): p["checksum"]
        for p in lock.get("package", [])
        if "checksum" in p
    }


def component(pkg: dict, checksums: dict) -> dict:
    comp: dict = {
        "type": "application" if pkg["source"] is None and is_application(pkg) else "library",
        "bom-ref": purl(pkg),
        "name": pkg["name"],
        "version": pkg["version"],
    }
    if pkg.get("description"):
        comp["description"] = " ".join(pkg["description"].split())
    comp["scope"] = "required"
    checksum = checksums.get((pkg["name"], pkg["version"], pkg.get("source") or ""))
    if checksum:
        comp["hashes"] = [{"alg": "SHA-256", "content": checksum}]
    expression = licence_expression(pkg)
    if expression:
        comp["licenses"] = [{"expression": expression}]
    comp["purl"] = purl(pkg)
    refs = []
    if pkg.get("repository"):
        refs.append({"type": "vcs", "url": pkg["repository"]})
    if pkg.get("homepage") and pkg.get("homepage") != pkg.get("repository"):
        refs.append({"type": "website", "url": pkg["homepage"]})
    if refs:
        comp["externalReferences"] = refs
    return comp


SQLITE_VERSION = re.compile(r'^#define SQLITE_VERSION\s+"([0-9.]+)"', re.M)


def sqlite_component(libsqlite: dict) -> dict | None:
    """The SQLite amalgamation inside libsqlite3-sys (feature `bundled`)."""
    src = Path(libsqlite["manifest_path"]).parent / "sqlite3"
    header, amalgamation = src / "sqlite3.h", src / "sqlite3.c"
    if not header.is_file() or not amalgamation.is_file():
        raise SbomError(f"{src}: no bundled sqlite3.h / sqlite3.c in {libsqlite['name']}")
    m = SQLITE_VERSION.search(header.read_text(encoding="utf-8", errors="replace"))
    if not m:
        raise SbomError(f"{header}: no SQLITE_VERSION")
    version = m.group(1)
    digest = hashlib.sha256(amalgamation.read_bytes()).hexdigest()
    return {
        "type": "library",
        "bom-ref": f"pkg:generic/sqlite@{version}",
        "name": "sqlite",
        "version": version,
        "description": (
            f"SQLite amalgamation (sqlite3.c) bundled in {libsqlite['name']} "
            f"{libsqlite['version']} and compiled into it (rusqlite feature `bundled`); "
            "public domain"
        ),
        "scope": "required",
        "hashes": [{"alg": "SHA-256", "content": digest}],
        "licenses": [{"expression": "blessing"}],
        "cpe": f"cpe:2.3:a:sqlite:sqlite:{version}:*:*:*:*:*:*:*",
        "purl": f"pkg:generic/sqlite@{version}",
        "externalReferences": [
            {"type": "website", "url": "https://sqlite.org/"},
            {"type": "license", "url": "https://sqlite.org/copyright.html"},
        ],
    }


def resolved_features(metadata: dict, pkg_id: str) -> list[str]:
    for node in metadata.get("resolve", {}).get("nodes", []):
        if node["id"] == pkg_id:
            return node.get("features", [])
    return []


def build_bom(
    graph, metadata: dict, checksums: dict, main_name: str, commit: str, epoch: int
) -> dict:
    """The BOM as a dict; `graph` is check-licences.py's Graph of what ships."""
    pkgs = graph.packages
    refs = {i: purl(p) for i, p in pkgs.items()}
    if len(set(refs.values())) != len(refs):
        dupes = sorted(r for r in refs.values() if list(refs.values()).count(r) > 1)
        raise SbomError(f"two packages share a purl: {', '.join(sorted(set(dupes)))}")
    main = [i for i, p in pkgs.items() if p["name"] == main_name and p["source"] is None]
    if len(main) != 1:
        raise SbomError(f"{main_name}: not a workspace crate of the shipped graph")
    main_id = main[0]

    depends: dict[str, set[str]] = {refs[i]: set() for i in pkgs}
    for a, b in graph.edges:
        depends[refs[a]].add(refs[b])
    components = [component(p, checksums) for i, p in pkgs.items() if i != main_id]
    for i, p in pkgs.items():
        if p["name"] == "libsqlite3-sys" and "bundled" in resolved_features(metadata, i):
            sqlite = sqlite_component(p)
            components.append(sqlite)
            depends[sqlite["bom-ref"]] = set()
            depends[refs[i]].add(sqlite["bom-ref"])
    components.sort(key=lambda c: (c["name"], c["version"], c["bom-ref"]))

    main_pkg = pkgs[main_id]
    root = component(main_pkg, checksums)
    del root["scope"]
    timestamp = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": "",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "lifecycles": [{"phase": "build"}],
            "tools": {"components": [{"type": "application", "group": main_name, "name": TOOL}]},
            "component": root,
            "properties": [{"name": f"{main_name}:commit", "value": commit}],
        },
        "components": components,
        "dependencies": [
            {"ref": ref, "dependsOn": sorted(deps)} for ref, deps in sorted(depends.items())
        ],
    }
    body = json.dumps(bom, sort_keys=True, separators=(",", ":")).encode()
    name = f"{main_pkg.get('repository') or main_name}@{commit}#{hashlib.sha256(body).hexdigest()}"
    bom["serialNumber"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"
    return bom


def git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    except FileNotFoundError:
        raise SbomError("git not found: pass --commit and set SOURCE_DATE_EPOCH") from None
    if done.returncode != 0:
        raise SbomError(f"git {' '.join(args)} failed in {repo}: {done.stderr.strip()}")
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    root = HERE.parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path)
    parser.add_argument("--config", type=Path, default=root / "deny.toml")
    parser.add_argument("--manifest-path", type=Path, default=root / "Cargo.toml")
    parser.add_argument("--main", default="qorgan", help="the BOM's metadata.component")
    parser.add_argument("--commit", help="default: git rev-parse HEAD")
    args = parser.parse_args(argv)
    repo = args.manifest_path.resolve().parent
    try:
        with open(args.config, "rb") as f:
            policy = cl.load_policy(tomllib.load(f))
        commit = args.commit or git(repo, "rev-parse", "HEAD")
        epoch_text = os.environ.get("SOURCE_DATE_EPOCH") or git(repo, "log", "-1", "--format=%ct")
        if not epoch_text.isdigit():
            raise SbomError(f"SOURCE_DATE_EPOCH={epoch_text!r} is not a number of seconds")
        metadata = cl.load_metadata(args.manifest_path)
        graph = cl.cargo_graph(args.manifest_path, metadata, policy, "normal,build")
        checksums = lock_checksums(repo / "Cargo.lock")
        bom = build_bom(graph, metadata, checksums, args.main, commit, int(epoch_text))
    except FileNotFoundError as e:
        print(f"sbom: {e.filename}: not found", file=sys.stderr)
        return 2
    except (cl.ConfigError, cl.CargoError, cl.SpdxError, SbomError, tomllib.TOMLDecodeError) as e:
        print(f"sbom: {e}", file=sys.stderr)
        return 2
    text = json.dumps(bom, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"sbom: {args.output}: {len(bom['components'])} components", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
