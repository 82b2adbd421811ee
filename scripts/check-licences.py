#!/usr/bin/env python3
"""Checks the workspace's dependencies against deny.toml: licences, bans and
sources, the subset of `cargo deny check licenses bans sources` that
deny.toml uses, without installing cargo-deny (compiling it costs ~7 minutes
on a fresh 2-core machine; see scripts/check-crates.sh).

What it checks (same meaning as cargo-deny 0.18+, on the same keys):
  graph     the crates of `cargo tree` for the workspace members less
            [graph] exclude, on [graph] targets, with the [graph] features;
            Cargo resolves the features, as for a real build.
  licenses  every crate of the normal and build graph (and dev when
            [licenses] include-dev) has a `license` SPDX expression that is
            satisfiable with [licenses] allow plus that crate's exceptions.
            "/" counts as OR (old crates.io syntax); "A WITH E" needs an
            allow entry "A WITH E"; "A+" accepts A or a later version of A.
  bans      no crate of the graph (dev included unless [graph] exclude-dev)
            is in [bans] deny; no dependency requirement is `*` (wildcards),
            except path ones of unpublished crates or dev-dependencies when
            allow-wildcard-paths; names with several versions are reported at
            the multiple-versions level (normal and build graph unless
            multiple-versions-include-dev), except [bans] skip entries.
  sources   every crate comes from the workspace or a path, an allowed
            registry (allow-registry) or an allowed git repository
            (allow-git); others at the unknown-registry / unknown-git level.
Any key of deny.toml it does not implement is an error: the policy file stays
the single source of truth for both tools.

Needs: python3 >= 3.11 (tomllib), cargo (reads Cargo.lock with --locked;
crates must be downloadable or already in the cargo cache).
Usage: scripts/check-licences.py [--config deny.toml] [--manifest-path Cargo.toml]
           [--list]     also print every crate with its licence
Exit status: 0 all checks pass (warnings allowed), 1 a check failed, 2 the
configuration or cargo could not be read.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------
# SPDX license expressions


class SpdxError(ValueError):
    """A licence expression that cannot be parsed."""


@dataclass(frozen=True)
class LicenseReq:
    """One licence of an expression: `id`, `id+` or `id WITH exception`."""

    id: str
    or_later: bool = False
    exception: str | None = None

    def __str__(self) -> str:
        text = self.id + ("+" if self.or_later else "")
        return f"{text} WITH {self.exception}" if self.exception else text


@dataclass(frozen=True)
class Op:
    """AND / OR over two or more sub-expressions."""

    op: str  # "AND" or "OR"
    args: tuple


_TOKEN = re.compile(r"\s*(?:(\()|(\))|(/)|([A-Za-z0-9][A-Za-z0-9.\-:]*)(\+)?)")
_OPERATORS = {"AND": "AND", "and": "AND", "OR": "OR", "or": "OR", "WITH": "WITH", "with": "WITH"}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise SpdxError(f"invalid character at {pos} in licence expression {text!r}")
        pos = m.end()
        if m.group(1):
            tokens.append(("(", "("))
        elif m.group(2):
            tokens.append((")", ")"))
        elif m.group(3):
            tokens.append(("OR", "/"))
        else:
            word, plus = m.group(4), m.group(5)
            if word in _OPERATORS and not plus:
                tokens.append((_OPERATORS[word], word))
            else:
                tokens.append(("ID+" if plus else "ID", word))
    return tokens


def parse_spdx(text: str):
    """Parses an SPDX expression into LicenseReq / Op nodes.

    Precedence: WITH binds tightest, then AND, then OR; parentheses group.
    """
    if text is None or not text.strip():
        raise SpdxError("empty licence expression")
    tokens = _tokenize(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos][0] if pos < len(tokens) else None

    def take(kind: str) -> str:
        nonlocal pos
        if peek() != kind:
            found = tokens[pos][1] if pos < len(tokens) else "end of expression"
            raise SpdxError(f"expected {kind}, found {found!r} in {text!r}")
        pos += 1
        return tokens[pos - 1][1]

    def primary():
        nonlocal pos
        kind = peek()
        if kind == "(":
            take("(")
            inner = or_expr()
            take(")")
            return inner
        if kind in ("ID", "ID+"):
            word = tokens[pos][1]
            pos += 1
            exception = None
            if peek() == "WITH":
                take("WITH")
                exception = take("ID")
            return LicenseReq(word, kind == "ID+", exception)
        found = tokens[pos][1] if pos < len(tokens) else "end of expression"
        raise SpdxError(f"expected a licence, found {found!r} in {text!r}")

    def chain(sub, op: str):
        args = [sub()]
        while peek() == op:
            take(op)
            args.append(sub())
        return args[0] if len(args) == 1 else Op(op, tuple(args))

    def and_expr():
        return chain(primary, "AND")

    def or_expr():
        return chain(and_expr, "OR")

    tree = or_expr()
    if pos != len(tokens):
        raise SpdxError(f"unexpected {tokens[pos][1]!r} in {text!r}")
    return tree


def spdx_to_string(tree, parent: str | None = None) -> str:
    """The canonical form: operators in capitals, "/" as OR, parentheses only
    where AND contains OR."""
    if isinstance(tree, LicenseReq):
        return str(tree)
    inner = f" {tree.op} ".join(spdx_to_string(a, tree.op) for a in tree.args)
    return f"({inner})" if parent == "AND" and tree.op == "OR" else inner


def spdx_requirements(tree) -> list[LicenseReq]:
    if isinstance(tree, LicenseReq):
        return [tree]
    return [r for a in tree.args for r in spdx_requirements(a)]


def spdx_evaluate(tree, accepts) -> bool:
    if isinstance(tree, LicenseReq):
        return accepts(tree)
    results = [spdx_evaluate(a, accepts) for a in tree.args]
    return all(results) if tree.op == "AND" else any(results)


def _version_parts(license_id: str) -> tuple[str, tuple[int, ...]] | None:
    m = re.fullmatch(r"(.*?)-(\d+(?:\.\d+)*)", license_id)
    if not m:
        return None
    return m.group(1), tuple(int(x) for x in m.group(2).split("."))


def licensee_satisfies(allowed: LicenseReq, req: LicenseReq) -> bool:
    """Whether an allowed licence meets one requirement of an expression."""
    if allowed.exception != req.exception:
        return False
    if allowed.id == req.id:
        return True
    if req.or_later:
        a, r = _version_parts(allowed.id), _version_parts(req.id)
        return a is not None and r is not None and a[0] == r[0] and a[1] >= r[1]
    return False


# --------------------------------------------------------------------------
# The policy file


class ConfigError(Exception):
    """deny.toml asks for something this checker cannot do."""


SUPPORTED = {
    "graph": {"targets", "exclude", "all-features", "no-default-features", "features", "exclude-dev"},
    "licenses": {"include-dev", "allow", "exceptions"},
    "bans": {
        "multiple-versions",
        "multiple-versions-include-dev",
        "wildcards",
        "allow-wildcard-paths",
        "deny",
        "skip",
    },
    "sources": {"unknown-registry", "unknown-git", "allow-registry", "allow-git"},
}
LEVELS = ("deny", "warn", "allow")
CRATES_IO = "https://github.com/rust-lang/crates.io-index"
CRATES_IO_SPARSE = "https://index.crates.io"


@dataclass
class CrateSpec:
    """`name` or `name@version` (a Package ID spec as deny.toml writes it)."""

    name: str
    version: str | None = None
    reason: str | None = None

    @classmethod
    def parse(cls, text: str, where: str, reason: str | None = None) -> CrateSpec:
        m = re.fullmatch(r"([A-Za-z0-9_\-]+)(?:@([0-9A-Za-z.+\-]+))?", text)
        if not m:
            raise ConfigError(f"{where}: {text!r} is not `name` or `name@version`")
        return cls(m.group(1), m.group(2), reason)

    def matches(self, pkg: dict) -> bool:
        return pkg["name"] == self.name and self.version in (None, pkg["version"])

    def __str__(self) -> str:
        return self.name + (f"@{self.version}" if self.version else "")


@dataclass
class Policy:
    targets: list[str] = field(default_factory=list)
    exclude: list[CrateSpec] = field(default_factory=list)
    all_features: bool = False
    no_default_features: bool = False
    features: list[str] = field(default_factory=list)
    exclude_dev: bool = False
    licenses_include_dev: bool = False
    allow: list[LicenseReq] = field(default_factory=list)
    exceptions: list[tuple[CrateSpec, list[LicenseReq]]] = field(default_factory=list)
    multiple_versions: str = "warn"
    multiple_versions_include_dev: bool = False
    wildcards: str = "allow"
    allow_wildcard_paths: bool = False
    deny: list[CrateSpec] = field(default_factory=list)
    skip: list[CrateSpec] = field(default_factory=list)
    unknown_registry: str = "warn"
    unknown_git: str = "warn"
    allow_registry: list[str] = field(default_factory=lambda: [CRATES_IO])
    allow_git: list[str] = field(default_factory=list)


def _typed(table: dict, key: str, kind, where: str, default):
    if key not in table:
        return default
    value = table[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}.{key}: expected {kind.__name__}, found {value!r}")
    return value


def _level(table: dict, key: str, where: str, default: str) -> str:
    value = _typed(table, key, str, where, default)
    if value not in LEVELS:
        raise ConfigError(f"{where}.{key}: {value!r} is not one of {', '.join(LEVELS)}")
    return value


def _licensee(text: str, where: str) -> LicenseReq:
    try:
        tree = parse_spdx(text)
    except SpdxError as e:
        raise ConfigError(f"{where}: {e}") from None
    if not isinstance(tree, LicenseReq):
        raise ConfigError(f"{where}: {text!r} must be one licence, not an expression")
    return tree


def _crate_list(value, where: str) -> list[CrateSpec]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list")
    out = []
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if isinstance(item, str):
            out.append(CrateSpec.parse(item, here))
        elif isinstance(item, dict):
            unknown = set(item) - {"crate", "reason", "use-instead"}
            if unknown or "crate" not in item:
                raise ConfigError(
                    f"{here}: needs `crate` (and optionally `reason`, `use-instead`); "
                    f"not supported: {', '.join(sorted(unknown)) or '-'}"
                )
            reason = item.get("reason")
            if item.get("use-instead"):
                reason = f"{reason or 'banned'}; use {item['use-instead']} instead"
            out.append(CrateSpec.parse(item["crate"], here, reason))
        else:
            raise ConfigError(f"{here}: expected a string or a table")
    return out


def load_policy(data: dict) -> Policy:
    """Reads the parsed deny.toml, refusing keys this checker does not implement."""
    for section, value in data.items():
        if section in ("advisories", "output"):
            continue  # cargo-deny only: advisories are not part of this check
        if section not in SUPPORTED:
            raise ConfigError(f"[{section}] is not implemented by scripts/check-licences.py")
        if not isinstance(value, dict):
            raise ConfigError(f"[{section}] must be a table")
        unknown = set(value) - SUPPORTED[section]
        if unknown:
            raise ConfigError(
                f"[{section}] {', '.join(sorted(unknown))}: not implemented by "
                "scripts/check-licences.py (implement it there too, or drop it)"
            )
    graph = data.get("graph", {})
    lic = data.get("licenses", {})
    bans = data.get("bans", {})
    src = data.get("sources", {})
    p = Policy()
    for i, t in enumerate(_typed(graph, "targets", list, "graph", [])):
        if not isinstance(t, str):
            raise ConfigError(f"graph.targets[{i}]: only plain target triples are implemented")
        p.targets.append(t)
    p.exclude = _crate_list(_typed(graph, "exclude", list, "graph", []), "graph.exclude")
    p.all_features = _typed(graph, "all-features", bool, "graph", False)
    p.no_default_features = _typed(graph, "no-default-features", bool, "graph", False)
    p.features = [str(f) for f in _typed(graph, "features", list, "graph", [])]
    p.exclude_dev = _typed(graph, "exclude-dev", bool, "graph", False)

    p.licenses_include_dev = _typed(lic, "include-dev", bool, "licenses", False)
    for i, text in enumerate(_typed(lic, "allow", list, "licenses", [])):
        p.allow.append(_licensee(text, f"licenses.allow[{i}]"))
    for i, item in enumerate(_typed(lic, "exceptions", list, "licenses", [])):
        here = f"licenses.exceptions[{i}]"
        if not isinstance(item, dict) or set(item) - {"crate", "name", "allow"}:
            raise ConfigError(f"{here}: expected {{ crate = ..., allow = [...] }}")
        name = item.get("crate", item.get("name"))
        allow = item.get("allow")
        if not isinstance(name, str) or not isinstance(allow, list) or not allow:
            raise ConfigError(f"{here}: needs `crate` and a non-empty `allow`")
        spec = CrateSpec.parse(name, here)
        p.exceptions.append(
            (spec, [_licensee(t, f"{here}.allow[{j}]") for j, t in enumerate(allow)])
        )

    p.multiple_versions = _level(bans, "multiple-versions", "bans", "warn")
    p.multiple_versions_include_dev = _typed(
        bans, "multiple-versions-include-dev", bool, "bans", False
    )
    p.wildcards = _level(bans, "wildcards", "bans", "allow")
    p.allow_wildcard_paths = _typed(bans, "allow-wildcard-paths", bool, "bans", False)
    p.deny = _crate_list(_typed(bans, "deny", list, "bans", []), "bans.deny")
    p.skip = _crate_list(_typed(bans, "skip", list, "bans", []), "bans.skip")

    p.unknown_registry = _level(src, "unknown-registry", "sources", "warn")
    p.unknown_git = _level(src, "unknown-git", "sources", "warn")
    p.allow_registry = [
        str(u) for u in _typed(src, "allow-registry", list, "sources", [CRATES_IO])
    ]
    p.allow_git = [str(u) for u in _typed(src, "allow-git", list, "sources", [])]
    return p


# --------------------------------------------------------------------------
# The dependency graph (cargo metadata for facts, cargo tree for what is built)


class CargoError(Exception):
    pass


def run_cargo(args: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(
            ["cargo", *args], cwd=cwd, check=False, capture_output=True, text=True
        )
    except FileNotFoundError:
        raise CargoError("cargo not found on PATH (install the Rust toolchain)") from None
    if done.returncode != 0:
        raise CargoError(f"cargo {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


@dataclass
class Graph:
    """Packages (metadata dicts by id) and edges (parent id, child id)."""

    packages: dict[str, dict]
    edges: set[tuple[str, str]]
    roots: list[str]


_TREE_LINE = re.compile(r"^(\d+)(\S+) v(\S+)(?: \((.*?)\))?$")


def parse_tree(output: str, metadata: dict) -> Graph:
    """Reads `cargo tree --prefix depth -f '{p}'` into a Graph of metadata packages."""
    by_key: dict[tuple[str, str], list[dict]] = {}
    for pkg in metadata["packages"]:
        by_key.setdefault((pkg["name"], pkg["version"]), []).append(pkg)

    def resolve(name: str, version: str, hint: str | None) -> dict:
        candidates = by_key.get((name, version), [])
        if len(candidates) > 1:
            if hint is None:  # crates.io: cargo tree names no source
                candidates = [c for c in candidates if (c["source"] or "").endswith(CRATES_IO)]
            elif hint.startswith("/"):
                candidates = [
                    c for c in candidates
                    if c["source"] is None and str(Path(c["manifest_path"]).parent) == hint
                ]
            elif hint.startswith("registry "):
                candidates = [
                    c for c in candidates
                    if (c["source"] or "").startswith(("registry+", "sparse+"))
                    and not c["source"].endswith(CRATES_IO)
                ]
            else:
                url = hint.split("#")[0]
                candidates = [c for c in candidates if c["source"] and url in c["source"]]
        if len(candidates) != 1:
            raise CargoError(f"cannot match cargo tree's {name} v{version} ({hint}) to one package")
        return candidates[0]

    packages: dict[str, dict] = {}
    edges: set[tuple[str, str]] = set()
    roots: list[str] = []
    stack: list[str] = []
    for raw in output.splitlines():
        line = raw.rstrip()
        while line.endswith(" (*)") or line.endswith(" (proc-macro)"):
            line = line.rsplit(" (", 1)[0]
        m = _TREE_LINE.match(line)
        if not m:
            continue  # blank separators between roots
        depth = int(m.group(1))
        pkg = resolve(m.group(2), m.group(3), m.group(4))
        packages[pkg["id"]] = pkg
        del stack[depth:]
        if depth == 0:
            if pkg["id"] not in roots:
                roots.append(pkg["id"])
        else:
            if len(stack) != depth:
                raise CargoError(f"cargo tree output out of order at {raw!r}")
            edges.add((stack[-1], pkg["id"]))
        stack.append(pkg["id"])
    return Graph(packages, edges, roots)


def workspace_roots(metadata: dict, policy: Policy) -> list[dict]:
    members = set(metadata["workspace_members"])
    pkgs = [p for p in metadata["packages"] if p["id"] in members]
    for spec in policy.exclude:
        if not any(spec.matches(p) for p in metadata["packages"]):
            raise ConfigError(f"graph.exclude: {spec} is not a package of the workspace graph")
    return sorted(
        (p for p in pkgs if not any(s.matches(p) for s in policy.exclude)),
        key=lambda p: p["name"],
    )


def cargo_graph(manifest: Path, metadata: dict, policy: Policy, kinds: str) -> Graph:
    """The graph Cargo builds for the workspace roots, with edge kinds `kinds`."""
    args = ["tree", "--locked", "--manifest-path", str(manifest), "--prefix", "depth",
            "-f", "{p}", "-e", kinds]
    for t in policy.targets or ["all"]:
        args += ["--target", t]
    for p in workspace_roots(metadata, policy):
        args += ["-p", f"{p['name']}@{p['version']}"]
    if policy.all_features:
        args.append("--all-features")
    if policy.no_default_features:
        args.append("--no-default-features")
    if policy.features:
        args += ["--features", ",".join(policy.features)]
    graph = parse_tree(run_cargo(args), metadata)
    for spec in policy.exclude:  # an excluded dependency (not a root) and what only it pulls
        graph = prune(graph, spec)
    return graph


def prune(graph: Graph, spec: CrateSpec) -> Graph:
    banned = {i for i, p in graph.packages.items() if spec.matches(p)}
    keep: set[str] = set()
    todo = [r for r in graph.roots if r not in banned]
    children: dict[str, list[str]] = {}
    for a, b in graph.edges:
        children.setdefault(a, []).append(b)
    while todo:
        i = todo.pop()
        if i in keep or i in banned:
            continue
        keep.add(i)
        todo.extend(children.get(i, []))
    return Graph(
        {i: p for i, p in graph.packages.items() if i in keep},
        {(a, b) for a, b in graph.edges if a in keep and b in keep},
        [r for r in graph.roots if r in keep],
    )


def load_metadata(manifest: Path) -> dict:
    return json.loads(
        run_cargo(["metadata", "--format-version", "1", "--locked", "--manifest-path", str(manifest)])
    )


# --------------------------------------------------------------------------
# The checks


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, level: str, message: str) -> None:
        if level == "deny":
            self.errors.append(message)
        elif level == "warn":
            self.warnings.append(message)


def crate_label(pkg: dict) -> str:
    return f"{pkg['name']} {pkg['version']}"


def check_licenses(packages: list[dict], policy: Policy) -> Report:
    report = Report()
    for pkg in sorted(packages, key=crate_label):
        expr = pkg.get("license")
        if not expr:
            found = pkg.get("license_file") or "no licence file either"
            report.errors.append(
                f"{crate_label(pkg)}: no SPDX `license` expression ({found}); "
                "cargo-deny would need a [[licenses.clarify]] entry"
            )
            continue
        try:
            tree = parse_spdx(expr)
        except SpdxError as e:
            report.errors.append(f"{crate_label(pkg)}: {e}")
            continue
        allowed = list(policy.allow)
        for spec, extra in policy.exceptions:
            if spec.matches(pkg):
                allowed += extra
        if not spdx_evaluate(tree, lambda r: any(licensee_satisfies(a, r) for a in allowed)):
            rejected = [
                str(r)
                for r in spdx_requirements(tree)
                if not any(licensee_satisfies(a, r) for a in allowed)
            ]
            report.errors.append(
                f"{crate_label(pkg)}: licence {expr!r} not allowed "
                f"(not in [licenses] allow: {', '.join(rejected)})"
            )
    return report


def is_private(pkg: dict) -> bool:
    return pkg.get("publish") == []


def check_bans(packages: list[dict], dupe_packages: list[dict], policy: Policy) -> Report:
    report = Report()
    for pkg in sorted(packages, key=crate_label):
        for spec in policy.deny:
            if spec.matches(pkg):
                why = f": {spec.reason}" if spec.reason else ""
                report.errors.append(f"{crate_label(pkg)}: banned by [bans] deny{why}")
        if policy.wildcards != "allow" and not (pkg.get("source") or "").startswith("git+"):
            for dep in pkg.get("dependencies", []):
                if dep["req"] != "*" or dep["name"] == pkg["name"]:
                    continue
                registry = dep.get("path") is None and not (dep.get("source") or "").startswith("git+")
                if policy.allow_wildcard_paths and not registry and (
                    is_private(pkg) or dep.get("kind") == "dev"
                ):
                    continue
                report.add(
                    policy.wildcards,
                    f"{crate_label(pkg)}: wildcard (`*`) requirement on {dep['name']}"
                    + (" (a path or git dependency of a publishable crate needs a version)" if not registry else ""),
                )
    versions: dict[str, set[str]] = {}
    for pkg in dupe_packages:
        if not any(s.matches(pkg) for s in policy.skip):
            versions.setdefault(pkg["name"], set()).add(pkg["version"])
    for name, vs in sorted(versions.items()):
        if len(vs) > 1:
            report.add(policy.multiple_versions, f"{name}: {len(vs)} versions ({', '.join(sorted(vs))})")
    return report


def _norm_url(url: str) -> str:
    url = url.split("#")[0].split("?")[0].rstrip("/")
    url = url.removesuffix(".git")
    return url.lower()


def check_sources(packages: list[dict], policy: Policy) -> Report:
    report = Report()
    registries = {_norm_url(u) for u in policy.allow_registry}
    if _norm_url(CRATES_IO) in registries:
        registries.add(_norm_url(CRATES_IO_SPARSE))
    gits = {_norm_url(u) for u in policy.allow_git}
    for pkg in sorted(packages, key=crate_label):
        source = pkg.get("source")
        if source is None:
            continue  # the workspace or a path dependency
        kind, _, url = source.partition("+")
        if kind in ("registry", "sparse"):
            if _norm_url(url) not in registries:
                report.add(policy.unknown_registry, f"{crate_label(pkg)}: registry {url} not in allow-registry")
        elif kind == "git":
            if _norm_url(url) not in gits:
                report.add(policy.unknown_git, f"{crate_label(pkg)}: git source {url} not in allow-git")
        else:
            report.errors.append(f"{crate_label(pkg)}: unknown kind of source {source}")
    return report


def run_checks(manifest: Path, policy: Policy, metadata: dict, listing: bool = False) -> int:
    dev = "normal,build,dev"
    no_dev = "normal,build"
    shipped = cargo_graph(manifest, metadata, policy, no_dev)
    everything = shipped if policy.exclude_dev else cargo_graph(manifest, metadata, policy, dev)
    lic_graph = everything if policy.licenses_include_dev else shipped
    dupe_graph = everything if policy.multiple_versions_include_dev else shipped
    reports = {
        "licenses": check_licenses(list(lic_graph.packages.values()), policy),
        "bans": check_bans(list(everything.packages.values()), list(dupe_graph.packages.values()), policy),
        "sources": check_sources(list(everything.packages.values()), policy),
    }
    if listing:
        for pkg in sorted(lic_graph.packages.values(), key=crate_label):
            print(f"  {crate_label(pkg)}: {pkg.get('license')}")
    print(
        f"graph: {len(lic_graph.packages)} crates shipped (normal and build dependencies of "
        f"{', '.join(sorted(shipped.packages[r]['name'] for r in shipped.roots))}), "
        f"{len(everything.packages)} with dev-dependencies; targets: {len(policy.targets) or 'all'}"
    )
    failed = 0
    for name, report in reports.items():
        for w in report.warnings:
            print(f"warning[{name}]: {w}")
        for e in report.errors:
            print(f"error[{name}]: {e}")
        failed += bool(report.errors)
    print(", ".join(f"{n} {'FAILED' if r.errors else 'ok'}" for n, r in reports.items()))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--config", type=Path, default=root / "deny.toml")
    parser.add_argument("--manifest-path", type=Path, default=root / "Cargo.toml")
    parser.add_argument("--list", action="store_true", help="print every shipped crate and its licence")
    args = parser.parse_args(argv)
    try:
        with open(args.config, "rb") as f:
            policy = load_policy(tomllib.load(f))
        metadata = load_metadata(args.manifest_path)
        return run_checks(args.manifest_path, policy, metadata, args.list)
    except FileNotFoundError as e:
        print(f"check-licences: {e.filename}: not found", file=sys.stderr)
    except (tomllib.TOMLDecodeError, ConfigError) as e:
        print(f"check-licences: {args.config}: {e}", file=sys.stderr)
    except CargoError as e:
        print(f"check-licences: {e}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
