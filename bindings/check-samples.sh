#!/usr/bin/env bash
# Fails unless every code sample of docs/INTEGRATION.md equals the region of
# a test file that the bindings' test scripts compile and run. In the guide,
# a sample is a fenced block right after a line
#   <!-- sample: PATH NAME -->
# and in PATH the region is the lines between `[sample NAME]` and the next
# `[/sample]` (comment markers of the language), with their common
# indentation removed. Every region in a sample file must be in the guide.
#   bash bindings/check-samples.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - <<'PY'
import re, sys, textwrap

doc_path = "docs/INTEGRATION.md"
doc = open(doc_path, encoding="utf-8").read().split("\n")
regions, failures, seen = {}, [], set()

def region(path, name):
    if path not in regions:
        lines = open(path, encoding="utf-8").read().split("\n")
        found, current = {}, None
        for line in lines:
            m = re.search(r"\[sample ([\w-]+)\]", line)
            if m:
                current = m.group(1); found[current] = []; continue
            if "[/sample]" in line:
                current = None; continue
            if current is not None:
                found[current].append(line)
        regions[path] = {k: textwrap.dedent("\n".join(v)).strip("\n") for k, v in found.items()}
    return regions[path].get(name)

count = 0
for i, line in enumerate(doc):
    m = re.match(r"<!-- sample: (\S+) ([\w-]+) -->", line)
    if not m:
        continue
    path, name = m.groups()
    seen.add((path, name))
    count += 1
    if i + 1 >= len(doc) or not doc[i + 1].startswith("```"):
        failures.append(f"{doc_path}:{i + 1}: no fenced block after the sample marker"); continue
    end = next((j for j in range(i + 2, len(doc)) if doc[j].startswith("```")), None)
    block = "\n".join(doc[i + 2:end]).strip("\n")
    try:
        code = region(path, name)
    except FileNotFoundError:
        failures.append(f"{doc_path}:{i + 1}: {path} does not exist"); continue
    if code is None:
        failures.append(f"{doc_path}:{i + 1}: no region [sample {name}] in {path}")
    elif code != block:
        failures.append(f"{doc_path}:{i + 1}: sample {name} differs from {path}")
for path in list(regions):
    for name in regions[path]:
        if (path, name) not in seen:
            failures.append(f"{path}: region [sample {name}] is not in {doc_path}")
for f in failures:
    print(f)
print(f"samples: {count - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures or count == 0 else 0)
PY
