#!/usr/bin/env python3
"""Tests of scripts/check-licences.py: the SPDX expression parser (AND, OR,
WITH, "/", "+", parentheses, malformed input), licence evaluation with
exceptions, bans (a banned crate, wildcards, duplicate versions), sources
(git, other registries), the deny.toml reader (unknown keys refused), the
`cargo tree` reader, and end to end on a throw-away Cargo workspace with a
GPL path crate, a `*` requirement and a git dependency from a local
repository (cargo and git, no network).

Needs: python3 >= 3.11, cargo and git for the end-to-end test.
Usage: python3 scripts/check-licences-test.py [-v]
Ends with `check-licences: N passed, M failed`; exits non-zero on failure.
"""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import tomllib
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


cl = load("check_licences", HERE / "check-licences.py")
L = cl.LicenseReq


def pkg(name, version="1.0.0", license="MIT", source="registry+" + cl.CRATES_IO, **kw):
    return {
        "name": name,
        "version": version,
        "id": f"{name}@{version}",
        "license": license,
        "license_file": kw.pop("license_file", None),
        "source": source,
        "publish": kw.pop("publish", None),
        "dependencies": kw.pop("dependencies", []),
        "manifest_path": kw.pop("manifest_path", f"/reg/{name}-{version}/Cargo.toml"),
    }


def policy(text: str):
    return cl.load_policy(tomllib.loads(textwrap.dedent(text)))


class SpdxParser(unittest.TestCase):
    def test_single_and_precedence(self):
        self.assertEqual(cl.parse_spdx("MIT"), L("MIT"))
        # AND binds tighter than OR
        tree = cl.parse_spdx("MIT OR Apache-2.0 AND BSD-3-Clause")
        self.assertEqual(tree, cl.Op("OR", (L("MIT"), cl.Op("AND", (L("Apache-2.0"), L("BSD-3-Clause"))))))
        self.assertEqual(
            cl.parse_spdx("A-1 AND B-1 OR C-1"),
            cl.Op("OR", (cl.Op("AND", (L("A-1"), L("B-1"))), L("C-1"))),
        )

    def test_parentheses(self):
        tree = cl.parse_spdx("(MIT OR Apache-2.0) AND Unicode-3.0")
        self.assertEqual(tree, cl.Op("AND", (cl.Op("OR", (L("MIT"), L("Apache-2.0"))), L("Unicode-3.0"))))
        self.assertEqual(cl.parse_spdx("((MIT))"), L("MIT"))
        self.assertEqual(cl.spdx_to_string(tree), "(MIT OR Apache-2.0) AND Unicode-3.0")

    def test_with_binds_tightest(self):
        tree = cl.parse_spdx("Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT")
        self.assertEqual(
            tree, cl.Op("OR", (L("Apache-2.0", False, "LLVM-exception"), L("Apache-2.0"), L("MIT")))
        )
        tree = cl.parse_spdx("GPL-2.0-only WITH Classpath-exception-2.0 AND MIT")
        self.assertEqual(tree, cl.Op("AND", (L("GPL-2.0-only", False, "Classpath-exception-2.0"), L("MIT"))))

    def test_crates_io_leniency(self):
        self.assertEqual(cl.parse_spdx("MIT/Apache-2.0"), cl.Op("OR", (L("MIT"), L("Apache-2.0"))))
        self.assertEqual(cl.parse_spdx("Apache-2.0 / MIT"), cl.Op("OR", (L("Apache-2.0"), L("MIT"))))
        self.assertEqual(cl.parse_spdx("MIT or Apache-2.0"), cl.Op("OR", (L("MIT"), L("Apache-2.0"))))
        self.assertEqual(cl.spdx_to_string(cl.parse_spdx("Unlicense/MIT")), "Unlicense OR MIT")
        self.assertEqual(cl.parse_spdx("GPL-2.0+"), L("GPL-2.0", True))
        self.assertEqual(cl.parse_spdx("LicenseRef-Proprietary"), L("LicenseRef-Proprietary"))

    def test_malformed(self):
        for bad in ["", "   ", "MIT OR", "OR MIT", "(MIT", "MIT)", "MIT AND AND BSD-3-Clause",
                    "MIT WITH", "MIT Apache-2.0", "MIT $ BSD", "()", "MIT WITH (X)"]:
            with self.subTest(bad=bad), self.assertRaises(cl.SpdxError):
                cl.parse_spdx(bad)

    def test_evaluation(self):
        def ok(expr, *allowed):
            allow = [cl.parse_spdx(a) for a in allowed]
            return cl.spdx_evaluate(
                cl.parse_spdx(expr), lambda r: any(cl.licensee_satisfies(a, r) for a in allow)
            )

        self.assertTrue(ok("MIT OR GPL-3.0-only", "MIT"))
        self.assertFalse(ok("MIT AND GPL-3.0-only", "MIT"))
        self.assertTrue(ok("(MIT OR Apache-2.0) AND Unicode-3.0", "Apache-2.0", "Unicode-3.0"))
        self.assertFalse(ok("(MIT OR Apache-2.0) AND Unicode-3.0", "Apache-2.0"))
        # an exception is a different licence from the bare one
        self.assertFalse(ok("Apache-2.0 WITH LLVM-exception", "Apache-2.0"))
        self.assertTrue(ok("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"))
        self.assertFalse(ok("Apache-2.0", "Apache-2.0 WITH LLVM-exception"))
        # "+": this version or a later one of the same licence
        self.assertTrue(ok("GPL-2.0+", "GPL-3.0"))
        self.assertTrue(ok("GPL-2.0+", "GPL-2.0"))
        self.assertFalse(ok("GPL-3.0+", "GPL-2.0"))
        self.assertFalse(ok("LGPL-2.1+", "GPL-3.0"))
        self.assertFalse(ok("GPL-2.0", "GPL-3.0"))


class Licences(unittest.TestCase):
    POLICY = """
        [licenses]
        allow = ["MIT", "Apache-2.0"]
        exceptions = [
            { crate = "uniffi", allow = ["MPL-2.0"] },
            { crate = "pinned@1.2.3", allow = ["Zlib"] },
        ]
    """

    def test_disallowed_licence(self):
        report = cl.check_licenses([pkg("gpl-thing", license="GPL-3.0-only"), pkg("fine")], policy(self.POLICY))
        self.assertEqual(len(report.errors), 1)
        self.assertIn("gpl-thing 1.0.0", report.errors[0])
        self.assertIn("GPL-3.0-only", report.errors[0])

    def test_exceptions_are_per_crate(self):
        p = policy(self.POLICY)
        self.assertEqual(cl.check_licenses([pkg("uniffi", license="MPL-2.0")], p).errors, [])
        self.assertEqual(len(cl.check_licenses([pkg("other", license="MPL-2.0")], p).errors), 1)
        self.assertEqual(cl.check_licenses([pkg("pinned", "1.2.3", license="Zlib")], p).errors, [])
        self.assertEqual(len(cl.check_licenses([pkg("pinned", "1.2.4", license="Zlib")], p).errors), 1)

    def test_missing_or_malformed_licence(self):
        p = policy(self.POLICY)
        errors = cl.check_licenses([pkg("nolicence", license=None, license_file="LICENSE")], p).errors
        self.assertIn("no SPDX", errors[0])
        errors = cl.check_licenses([pkg("broken", license="MIT OR")], p).errors
        self.assertIn("broken", errors[0])

    def test_only_the_failing_part_is_named(self):
        errors = cl.check_licenses([pkg("mixed", license="MIT AND (GPL-2.0-only OR LGPL-3.0-only)")], policy(self.POLICY)).errors
        self.assertIn("GPL-2.0-only, LGPL-3.0-only", errors[0])
        self.assertNotIn("MIT,", errors[0])


class Bans(unittest.TestCase):
    POLICY = """
        [bans]
        multiple-versions = "warn"
        wildcards = "deny"
        allow-wildcard-paths = true
        deny = [{ crate = "openssl", reason = "no OpenSSL" }, "bad@0.1.0"]
        skip = ["windows-sys@0.52.0"]
    """

    def test_banned_crate(self):
        report = cl.check_bans([pkg("openssl", "0.10.0"), pkg("bad", "0.1.0"), pkg("bad", "0.2.0")], [], policy(self.POLICY))
        self.assertEqual(len(report.errors), 2)
        self.assertIn("openssl 0.10.0: banned by [bans] deny: no OpenSSL", report.errors)
        self.assertTrue(any(e.startswith("bad 0.1.0") for e in report.errors))

    def test_wildcards(self):
        path_dep = {"name": "core", "req": "*", "kind": None, "path": "/w/core", "source": None}
        reg_dep = {"name": "serde", "req": "*", "kind": None, "source": "registry+" + cl.CRATES_IO}
        dev_path = dict(path_dep, kind="dev")
        p = policy(self.POLICY)
        public = pkg("app", source=None, dependencies=[path_dep])
        private = pkg("ffi", source=None, publish=[], dependencies=[path_dep])
        private_reg = pkg("tool", source=None, publish=[], dependencies=[reg_dep])
        public_dev = pkg("lib", source=None, dependencies=[dev_path])
        errors = cl.check_bans([public, private, private_reg, public_dev], [], p).errors
        self.assertEqual(len(errors), 2, errors)
        self.assertIn("app 1.0.0: wildcard (`*`) requirement on core", errors[0])
        self.assertIn("needs a version", errors[0])
        self.assertIn("tool 1.0.0: wildcard (`*`) requirement on serde", errors[1])
        strict = policy('[bans]\nwildcards = "deny"\n')
        self.assertEqual(len(cl.check_bans([private, public_dev], [], strict).errors), 2)

    def test_multiple_versions(self):
        dupes = [pkg("syn", "1.0.0"), pkg("syn", "2.0.0"), pkg("windows-sys", "0.52.0"), pkg("windows-sys", "0.59.0")]
        report = cl.check_bans([], dupes, policy(self.POLICY))
        self.assertEqual(report.errors, [])
        self.assertEqual(report.warnings, ["syn: 2 versions (1.0.0, 2.0.0)"])
        strict = policy('[bans]\nmultiple-versions = "deny"\n')
        self.assertEqual(len(cl.check_bans([], dupes, strict).errors), 2)


class Sources(unittest.TestCase):
    POLICY = """
        [sources]
        unknown-registry = "deny"
        unknown-git = "deny"
        allow-git = ["https://example.org/team/allowed.git"]
    """

    def test_git_and_registries(self):
        crates = [
            pkg("ok"),
            pkg("sparse", source="sparse+https://index.crates.io/"),
            pkg("local", source=None),
            pkg("allowed", source="git+https://example.org/team/allowed?rev=abc#abcdef0"),
            pkg("forked", source="git+https://example.org/someone/fork#0123456"),
            pkg("private", source="sparse+https://registry.example.com/index/"),
        ]
        report = cl.check_sources(crates, policy(self.POLICY))
        self.assertEqual(len(report.errors), 2, report.errors)
        self.assertIn("forked 1.0.0: git source https://example.org/someone/fork#0123456 not in allow-git", report.errors)
        self.assertTrue(any(e.startswith("private 1.0.0: registry") for e in report.errors))
        lenient = policy('[sources]\nunknown-git = "warn"\n')
        report = cl.check_sources(crates, lenient)
        self.assertEqual(len(report.warnings), 3)  # two git sources and the other registry
        self.assertEqual(report.errors, [])


class PolicyFile(unittest.TestCase):
    def test_repository_policy_loads(self):
        with open(ROOT / "deny.toml", "rb") as f:
            p = cl.load_policy(tomllib.load(f))
        self.assertIn(L("MIT"), p.allow)
        self.assertTrue(any(s.name == "openssl" for s in p.deny))
        self.assertEqual(p.wildcards, "deny")
        self.assertEqual(p.unknown_git, "deny")
        self.assertIn("x86_64-unknown-linux-gnu", p.targets)

    def test_unimplemented_keys_refused(self):
        for text in ['[licenses]\nconfidence-threshold = 0.9\n', '[bans]\nskip-tree = []\n',
                     '[sources]\nallow-org = { github = ["x"] }\n', '[unknown]\nx = 1\n',
                     '[graph]\ntargets = [{ triple = "x86_64-unknown-linux-gnu" }]\n',
                     '[bans]\ndeny = [{ crate = "x", wrappers = ["y"] }]\n']:
            with self.subTest(text=text), self.assertRaises(cl.ConfigError):
                policy(text)

    def test_bad_values(self):
        for text in ['[bans]\nwildcards = "error"\n', '[licenses]\nallow = ["MIT OR Apache-2.0"]\n',
                     '[licenses]\nallow = ["MIT OR"]\n', '[licenses]\nexceptions = [{ crate = "x" }]\n',
                     '[bans]\ndeny = ["not a spec"]\n', '[graph]\nexclude-dev = "yes"\n']:
            with self.subTest(text=text), self.assertRaises(cl.ConfigError):
                policy(text)
        self.assertEqual(policy("[advisories]\nignore = []\n").allow, [])


class TreeReader(unittest.TestCase):
    def test_edges_dedup_marks_and_paths(self):
        metadata = {"packages": [
            pkg("app", "0.1.0", source=None, manifest_path="/w/app/Cargo.toml"),
            pkg("util", "0.1.0", source=None, manifest_path="/w/util/Cargo.toml"),
            pkg("util", "0.1.0", source="registry+" + cl.CRATES_IO),
            pkg("derive", "1.0.0"),
            pkg("syn", "2.0.0"),
        ]}
        for m in metadata["packages"]:  # distinct ids for the two `util`s
            m["id"] = f"{m['source'] or 'path'}#{m['name']}@{m['version']}"
        output = textwrap.dedent("""\
            0app v0.1.0 (/w/app)
            1derive v1.0.0 (proc-macro)
            2syn v2.0.0
            1util v0.1.0 (/w/util)
            2syn v2.0.0 (*)
            1util v0.1.0

            0util v0.1.0 (/w/util) (*)
        """)
        g = cl.parse_tree(output, metadata)
        names = {i: f"{p['name']}{'(path)' if p['source'] is None else ''}" for i, p in g.packages.items()}
        self.assertEqual(sorted(names.values()), ["app(path)", "derive", "syn", "util", "util(path)"])
        edges = sorted((names[a], names[b]) for a, b in g.edges)
        self.assertEqual(edges, [("app(path)", "derive"), ("app(path)", "util"), ("app(path)", "util(path)"),
                                 ("derive", "syn"), ("util(path)", "syn")])
        self.assertEqual([names[r] for r in g.roots], ["app(path)", "util(path)"])
        pruned = cl.prune(g, cl.CrateSpec("derive"))
        self.assertNotIn("derive", {p["name"] for p in pruned.packages.values()})
        self.assertIn("syn", {p["name"] for p in pruned.packages.values()})  # still via util


@unittest.skipUnless(shutil.which("cargo") and shutil.which("git"), "needs cargo and git")
class EndToEnd(unittest.TestCase):
    """A throw-away workspace: app (MIT) -> gpl (path, GPL-3.0-only, `*`),
    app -> fromgit (a git dependency on a local repository)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="check-licences-test-")
        root = Path(cls.tmp.name)
        env = dict(os.environ, CARGO_HOME=str(root / "cargo-home"), GIT_CONFIG_GLOBAL="/dev/null",
                   GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@t")
        cls.env = env

        def crate(path: Path, toml: str):
            (path / "src").mkdir(parents=True)
            (path / "Cargo.toml").write_text(textwrap.dedent(toml))
            (path / "src" / "lib.rs").write_text("")

        repo = root / "gitrepo"
        crate(repo, """
            [package]
            name = "fromgit"
            version = "0.1.0"
            edition = "2021"
            license = "MIT"
        """)
        for cmd in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "x"]):
            subprocess.run(["git", *cmd], cwd=repo, check=True, env=env)
        ws = root / "ws"
        ws.mkdir()
        (ws / "Cargo.toml").write_text('[workspace]\nresolver = "2"\nmembers = ["app", "gpl"]\n')
        crate(ws / "app", f"""
            [package]
            name = "app"
            version = "0.1.0"
            edition = "2021"
            license = "MIT"

            [dependencies]
            gpl = {{ path = "../gpl" }}
            fromgit = {{ git = "file://{repo}" }}
        """)
        crate(ws / "gpl", """
            [package]
            name = "gpl"
            version = "0.1.0"
            edition = "2021"
            license = "GPL-3.0-only"
        """)
        done = subprocess.run(["cargo", "generate-lockfile", "--manifest-path", str(ws / "Cargo.toml")],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise unittest.SkipTest(f"cargo generate-lockfile failed: {done.stderr}")
        cls.ws = ws

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_checker(self, config: str) -> tuple[int, str]:
        path = Path(self.tmp.name) / "deny.toml"
        path.write_text(textwrap.dedent(config))
        old = dict(os.environ)
        os.environ.update(self.env)
        out = io.StringIO()
        try:
            with redirect_stdout(out), redirect_stderr(out):
                rc = cl.main(["--config", str(path), "--manifest-path", str(self.ws / "Cargo.toml")])
        finally:
            os.environ.clear()
            os.environ.update(old)
        return rc, out.getvalue()

    def test_violations_found(self):
        rc, out = self.run_checker("""
            [licenses]
            allow = ["MIT"]
            [bans]
            wildcards = "deny"
            deny = ["fromgit"]
            [sources]
            unknown-git = "deny"
        """)
        self.assertEqual(rc, 1, out)
        self.assertIn("error[licenses]: gpl 0.1.0: licence 'GPL-3.0-only' not allowed", out)
        self.assertIn("error[bans]: app 0.1.0: wildcard (`*`) requirement on gpl", out)
        self.assertIn("error[bans]: fromgit 0.1.0: banned by [bans] deny", out)
        self.assertIn("error[sources]: fromgit 0.1.0: git source file://", out)
        self.assertIn("licenses FAILED, bans FAILED, sources FAILED", out)

    def test_policy_that_accepts_them(self):
        rc, out = self.run_checker(f"""
            [licenses]
            allow = ["MIT"]
            exceptions = [{{ crate = "gpl", allow = ["GPL-3.0-only"] }}]
            [sources]
            unknown-git = "deny"
            allow-git = ["file://{Path(self.tmp.name) / 'gitrepo'}"]
        """)
        self.assertEqual(rc, 0, out)
        self.assertIn("graph: 3 crates shipped", out)
        self.assertIn("licenses ok, bans ok, sources ok", out)

    def test_excluded_member(self):
        rc, out = self.run_checker("""
            [graph]
            exclude = ["gpl"]
            [licenses]
            allow = ["MIT"]
        """)
        self.assertEqual(rc, 0, out)
        self.assertIn("graph: 2 crates shipped (normal and build dependencies of app)", out)

    def test_bad_config_is_exit_2(self):
        rc, _ = self.run_checker("[licenses]\nclarify = []\n")
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2 if "-v" in sys.argv else 1).result
    failed = len(result.failures) + len(result.errors)
    print(f"check-licences: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed"
          + (f", {len(result.skipped)} skipped" if result.skipped else ""))
    sys.exit(1 if failed else 0)
