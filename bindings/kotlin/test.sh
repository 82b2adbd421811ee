#!/usr/bin/env bash
# Builds the Kotlin/JVM bindings of qorgan and runs their tests:
#   1. installs what is missing: JNA and JUnit 4 (Debian packages) and the
#      Kotlin compiler (npm package kotlin-compiler, into $QORGAN_KOTLIN_TOOLS,
#      default bindings/kotlin/.tools, ignored by git);
#   2. builds the native library (cargo build --release -p qorgan-ffi --lib);
#   3. compiles the committed bindings and the tests in one kotlinc run;
#   4. packs build/qorgan-ffi.jar: the binding classes plus the native library
#      under JNA's resource path linux-x86-64/libqorgan_ffi.so;
#   5. runs the JUnit 4 tests against that jar (org.junit.runner.JUnitCore),
#      then prints a timing report (QORGAN_KOTLIN_TIMING=0 skips it);
#   6. prints "kotlin: N passed, M failed" and exits non-zero on any failure.
# Usage: bash bindings/kotlin/test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=${QORGAN_KOTLIN_TOOLS:-$here/.tools}
kotlin_version=2.4.20
build=$here/build
java_dir=/usr/share/java

# 1. Tools.
if [[ ! -f $java_dir/jna.jar || ! -f $java_dir/junit4.jar || ! -f $java_dir/hamcrest-core.jar ]]; then
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq libjna-java libjna-jni junit4 >/dev/null
fi
kotlin_home=$tools/node_modules/kotlin-compiler
if [[ ! -x $kotlin_home/bin/kotlinc ]] || ! grep -q "\"version\": \"$kotlin_version\"" "$kotlin_home/package.json"; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "kotlin-compiler@$kotlin_version" >/dev/null
fi
for j in jna.jar junit4.jar hamcrest-core.jar; do
    [[ -f $java_dir/$j ]] || { echo "missing $java_dir/$j" >&2; exit 1; }
done
kotlinc=$kotlin_home/bin/kotlinc
kotlin_lib=$kotlin_home/lib

# 2. Native library.
(cd "$root" && cargo build --release --locked -q -p qorgan-ffi --lib)
native=$root/target/release/libqorgan_ffi.so

# 3. One kotlinc run for bindings and tests (no daemon: kotlinc compiles in-process).
rm -rf "$build"
mkdir -p "$build/classes" "$build/jar/linux-x86-64" "$build/test-classes/kz/qorgan"
compile_cp=$java_dir/jna.jar:$java_dir/junit4.jar:$kotlin_lib/kotlin-test.jar:$kotlin_lib/kotlin-test-junit.jar
JAVA_OPTS=${JAVA_OPTS:--Xmx1g -XX:TieredStopAtLevel=1} "$kotlinc" -nowarn -jvm-target 17 -module-name qorgan_ffi \
    -cp "$compile_cp" -d "$build/classes" \
    "$here/src/main/kotlin" "$here/src/test/kotlin"

# 4. The jar: binding classes (package kz.qorgan, not the tests) and the native library.
mv "$build/classes/kz/qorgan/tests" "$build/test-classes/kz/qorgan/tests"
cp -r "$build/classes/." "$build/jar/"
cp "$native" "$build/jar/linux-x86-64/libqorgan_ffi.so"
jar --create --file "$build/qorgan-ffi.jar" -C "$build/jar" .

# 5. Tests against the jar; JNA finds the library as a classpath resource.
run_cp=$build/qorgan-ffi.jar:$build/test-classes:$java_dir/jna.jar:$java_dir/junit4.jar:$java_dir/hamcrest-core.jar:$kotlin_lib/kotlin-stdlib.jar:$kotlin_lib/kotlin-test.jar:$kotlin_lib/kotlin-test-junit.jar
tests=$(cd "$build/test-classes" && find . -name '*Test.class' | sed 's|^\./||; s|\.class$||; s|/|.|g' | sort)
jvm=(java -Dqorgan.expectJar=true -cp "$run_cp")
set +e
LD_LIBRARY_PATH= "${jvm[@]}" org.junit.runner.JUnitCore $tests 2>&1 | tee "$build/junit.log"
status=${PIPESTATUS[0]}
set -e
if [[ ${QORGAN_KOTLIN_TIMING:-1} != 0 ]]; then
    LD_LIBRARY_PATH= "${jvm[@]}" kz.qorgan.tests.TimingReport || status=1
fi

# 6. Summary.
if ok=$(grep -oE '^OK \(([0-9]+) tests?\)' "$build/junit.log"); then
    run=$(grep -oE '[0-9]+' <<<"$ok"); failed=0
elif counts=$(grep -oE '^Tests run: [0-9]+, +Failures: [0-9]+' "$build/junit.log"); then
    run=$(grep -oE '[0-9]+' <<<"$counts" | sed -n 1p); failed=$(grep -oE '[0-9]+' <<<"$counts" | sed -n 2p)
else
    run=0; failed=1
fi
[[ $run -gt 0 ]] || status=1
echo "kotlin: $((run - failed)) passed, $failed failed"
exit "$status"
