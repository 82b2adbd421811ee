#!/usr/bin/env bash
# Stages the C interface of the XCFramework: the generated header and module
# map of QorganFFI in a subdirectory named after the module,
#
#   OUT_DIR/QorganFFI/QorganFFI.h
#   OUT_DIR/QorganFFI/module.modulemap
#
# OUT_DIR is what build-xcframework.sh passes to `xcodebuild -create-xcframework
# -headers`, so every slice gets Headers/QorganFFI/module.modulemap. Why the
# subdirectory: Xcode copies each static-library XCFramework's Headers/ into
# one shared include directory of the build, so two frameworks that both ship
# Headers/module.modulemap collide ("Multiple commands produce
# .../include/module.modulemap"); QorganFFI/module.modulemap cannot collide.
# Clang still finds it from `-I <Headers>`: for `import QorganFFI` it looks
# for <search dir>/module.modulemap and then <search dir>/QorganFFI/
# module.modulemap (clang/lib/Lex/HeaderSearch.cpp, HeaderSearch::lookupModule:
# "Search for a module map in a subdirectory with the same name as the
# module"). bindings/swift/test.sh checks that on Linux by compiling a Swift
# file against OUT_DIR with nothing but -I.
#
# The sources are the generated files (bindings/generate.sh), copied unchanged;
# their mtimes are set to SOURCE_DATE_EPOCH (default: the last commit's time)
# so that archives made from OUT_DIR do not depend on when this ran.
# Runs anywhere (bash, coreutils or BSD touch); needs no Apple tools.
#
# Usage: bash bindings/swift/stage-headers.sh OUT_DIR
#   OUT_DIR is created or emptied (it must not be the source directory).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
[[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
out=$1
module=QorganFFI
src=$here/Sources/$module/include
for f in "$module.h" module.modulemap; do
    [[ -f $src/$f ]] || { echo "missing $src/$f (run bash bindings/generate.sh)" >&2; exit 1; }
done
grep -qE "^ *module +$module +\{" "$src/module.modulemap" \
    || { echo "$src/module.modulemap does not declare module $module" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
[[ $out != "$src" ]] || { echo "OUT_DIR must not be $src" >&2; exit 1; }
rm -rf "${out:?}/$module" "$out/module.modulemap"
mkdir "$out/$module"
cp "$src/$module.h" "$src/module.modulemap" "$out/$module/"

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}
# touch -t takes local time: compute and apply it in UTC (GNU and BSD alike).
stamp=$(TZ=UTC0 date -u -d "@$epoch" +%Y%m%d%H%M.%S 2>/dev/null \
        || TZ=UTC0 date -u -r "$epoch" +%Y%m%d%H%M.%S)
TZ=UTC0 touch -t "$stamp" "$out/$module" "$out/$module/$module.h" "$out/$module/module.modulemap"
echo "staged $out/$module/{$module.h,module.modulemap}"
