#!/usr/bin/env python3
"""Tests of scripts/sbom.py: the repository's bill of materials has the
fields CycloneDX 1.5 requires (and the ones this project promises: purl,
licence expression, SHA-256 from Cargo.lock, scope, a closed dependency
graph), contains what ships and nothing that does not (dev-dependencies,
qorgan-tests), names the bundled SQLite, and is byte-identical when made
twice; plus a synthetic graph with a git crate and a purl collision.

Needs: python3 >= 3.11, cargo, git (the repository's commit and its time).
Usage: python3 scripts/sbom-test.py [-v]
Ends with `sbom: N passed, M failed`; exits non-zero on failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sbom = load("sbom", HERE / "sbom.py")
cl = sbom.cl

UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PURL = re.compile(r"^pkg:(cargo|generic)/[A-Za-z0-9_.\-]+@[0-9A-Za-z.+\-]+(\?.*)?$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
TYPES = {"application", "framework", "library", "container", "platform", "operating-system",
         "device", "device-driver", "firmware", "file", "machine-learning-model", "data"}


def make(epoch: str, out: Path) -> bytes:
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch)
    done = subprocess.run([sys.executable, str(HERE / "sbom.py"), "-o", str(out)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"sbom.py failed: {done.stderr}")
    return out.read_bytes()


class RepositoryBom(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="sbom-test-")
        cls.raw = make("1700000000", Path(cls.tmp.name) / "a.json")
        cls.bom = json.loads(cls.raw)
        cls.by_name = {}
        for c in cls.bom["components"]:
            cls.by_name.setdefault(c["name"], []).append(c)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_required_top_level(self):
        b = self.bom
        self.assertEqual(b["bomFormat"], "CycloneDX")
        self.assertEqual(b["specVersion"], "1.5")
        self.assertIsInstance(b["version"], int)
        self.assertGreaterEqual(b["version"], 1)
        self.assertRegex(b["serialNumber"], UUID)
        self.assertEqual(b["metadata"]["timestamp"], "2023-11-14T22:13:20Z")
        main = b["metadata"]["component"]
        self.assertEqual((main["name"], main["purl"]), ("qorgan", "pkg:cargo/qorgan@0.1.0"))
        self.assertEqual(main["licenses"], [{"expression": "Apache-2.0 OR MIT"}])
        self.assertEqual(b["metadata"]["tools"]["components"][0]["name"], "scripts/sbom.py")

    def test_components(self):
        refs = set()
        for c in self.bom["components"]:
            with self.subTest(component=c.get("bom-ref")):
                for key in ("type", "name", "version", "bom-ref", "purl", "scope", "licenses"):
                    self.assertIn(key, c)
                self.assertIn(c["type"], TYPES)
                self.assertEqual(c["scope"], "required")
                self.assertRegex(c["purl"], PURL)
                self.assertEqual(c["bom-ref"], c["purl"])
                self.assertNotIn(c["bom-ref"], refs)
                refs.add(c["bom-ref"])
                self.assertEqual(len(c["licenses"]), 1)
                expression = c["licenses"][0]["expression"]
                self.assertEqual(cl.spdx_to_string(cl.parse_spdx(expression)), expression)
                self.assertNotIn("/", expression)
                for h in c.get("hashes", []):
                    self.assertEqual(h["alg"], "SHA-256")
                    self.assertRegex(h["content"], SHA256)
                if c["purl"].startswith("pkg:cargo/") and not c["name"].startswith("qorgan"):
                    self.assertIn("hashes", c, "registry crates carry Cargo.lock's checksum")

    def test_hashes_are_cargo_lock_checksums(self):
        with open(ROOT / "Cargo.lock", "rb") as f:
            lock = {(p["name"], p["version"]): p.get("checksum") for p in tomllib.load(f)["package"]}
        checked = 0
        for c in self.bom["components"]:
            if c["purl"].startswith("pkg:cargo/") and "hashes" in c:
                self.assertEqual(c["hashes"][0]["content"], lock[(c["name"], c["version"])])
                checked += 1
        self.assertGreater(checked, 50)

    def test_what_ships_and_what_does_not(self):
        for shipped in ("qorgan-store", "qorgan-ffi", "qorgan-verify", "libcrux-ml-kem",
                        "rusqlite", "uniffi", "x25519-dalek"):
            self.assertIn(shipped, self.by_name)
        for absent in ("qorgan-tests", "criterion", "proptest", "vodozemac", "ml-kem", "serde_json",
                       "crabgrind", "hax-lib", "r-efi"):  # dev-only, excluded, or other targets
            self.assertNotIn(absent, self.by_name)
        self.assertEqual(self.by_name["qorgan-verify"][0]["type"], "application")
        self.assertEqual(self.by_name["qorgan-ffi"][0]["type"], "library")
        self.assertEqual(self.by_name["uniffi"][0]["licenses"], [{"expression": "MPL-2.0"}])

    def test_bundled_sqlite(self):
        sqlite = self.by_name["sqlite"][0]
        self.assertRegex(sqlite["version"], r"^3\.\d+\.\d+$")
        self.assertEqual(sqlite["licenses"], [{"expression": "blessing"}])
        self.assertTrue(sqlite["cpe"].startswith(f"cpe:2.3:a:sqlite:sqlite:{sqlite['version']}:"))
        deps = {d["ref"]: d["dependsOn"] for d in self.bom["dependencies"]}
        libsqlite = self.by_name["libsqlite3-sys"][0]["bom-ref"]
        self.assertIn(sqlite["bom-ref"], deps[libsqlite])

    def test_dependency_graph_closed(self):
        known = {c["bom-ref"] for c in self.bom["components"]}
        known.add(self.bom["metadata"]["component"]["bom-ref"])
        listed = [d["ref"] for d in self.bom["dependencies"]]
        self.assertEqual(sorted(listed), listed)
        self.assertEqual(set(listed), known)
        for d in self.bom["dependencies"]:
            self.assertEqual(sorted(d["dependsOn"]), d["dependsOn"])
            self.assertLessEqual(set(d["dependsOn"]), known)
        deps = {d["ref"]: d["dependsOn"] for d in self.bom["dependencies"]}
        self.assertIn("pkg:cargo/qorgan@0.1.0", deps["pkg:cargo/qorgan-store@0.1.0"])
        # every component is reachable from a workspace crate
        seen, todo = set(), [r for r in deps if "/qorgan" in r]
        while todo:
            r = todo.pop()
            if r not in seen:
                seen.add(r)
                todo.extend(deps[r])
        self.assertEqual(seen, known)

    def test_deterministic(self):
        again = make("1700000000", Path(self.tmp.name) / "b.json")
        self.assertEqual(again, self.raw)
        later = json.loads(make("1800000000", Path(self.tmp.name) / "c.json"))
        self.assertEqual(later["metadata"]["timestamp"], "2027-01-15T08:00:00Z")
        self.assertNotEqual(later["serialNumber"], self.bom["serialNumber"])
        self.assertEqual(later["components"], self.bom["components"])


class SyntheticGraph(unittest.TestCase):
    def pkg(self, name, version, source, **kw):
        return {"id": f"{name}@{version}#{source}", "name": name, "version": version, "source": source,
                "license": kw.get("license", "MIT"), "description": None, "repository": None,
                "homepage": None, "targets": kw.get("targets", [{"kind": ["lib"]}]),
                "manifest_path": f"/x/{name}/Cargo.toml"}

    def test_git_crate_and_collision(self):
        main = self.pkg("app", "0.1.0", None, targets=[{"kind": ["bin"]}], license="Apache-2.0/MIT")
        git = self.pkg("fork", "1.0.0", "git+https://example.org/fork.git?rev=1#abc")
        reg = self.pkg("dep", "2.0.0", "registry+" + cl.CRATES_IO)
        graph = cl.Graph({p["id"]: p for p in (main, git, reg)},
                         {(main["id"], git["id"]), (git["id"], reg["id"])}, [main["id"]])
        checksums = {("dep", "2.0.0", "registry+" + cl.CRATES_IO): "ab" * 32}
        bom = sbom.build_bom(graph, {"resolve": {"nodes": []}}, checksums, "app", "c0ffee", 0)
        comps = {c["name"]: c for c in bom["components"]}
        self.assertEqual(comps["fork"]["purl"], "pkg:cargo/fork@1.0.0?vcs_url=https://example.org/fork.git")
        self.assertNotIn("hashes", comps["fork"])
        self.assertEqual(comps["dep"]["hashes"], [{"alg": "SHA-256", "content": "ab" * 32}])
        self.assertEqual(bom["metadata"]["component"]["type"], "application")
        self.assertEqual(bom["metadata"]["component"]["licenses"], [{"expression": "Apache-2.0 OR MIT"}])
        self.assertEqual(bom["metadata"]["timestamp"], "1970-01-01T00:00:00Z")
        deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
        self.assertEqual(deps["pkg:cargo/app@0.1.0"], [comps["fork"]["bom-ref"]])
        twin = self.pkg("dep", "2.0.0", None)
        graph.packages[twin["id"]] = twin
        with self.assertRaises(sbom.SbomError):
            sbom.build_bom(graph, {"resolve": {"nodes": []}}, checksums, "app", "c0ffee", 0)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2 if "-v" in sys.argv else 1).result
    failed = len(result.failures) + len(result.errors)
    print(f"sbom: {result.testsRun - failed - len(result.skipped)} passed, {failed} failed")
    sys.exit(1 if failed else 0)
