#!/usr/bin/env bash
# Builds the Kotlin/JVM package of qorgan and tests it as it is published:
#   1. installs what is missing: JNA and JUnit 4 (Debian packages), the Kotlin
#      compilers (npm kotlin-compiler 2.4.20 to build, 1.9.0 for the older
#      consumer; into $QORGAN_KOTLIN_TOOLS, default bindings/kotlin/.tools,
#      ignored by git);
#   2. builds the native library (cargo build --release -p qorgan-ffi --lib,
#      in target/ as the Swift tests do) and
#   3. writes the Maven repository layout with build-maven.sh into
#      build/maven-repo; or, neither of them, takes $QORGAN_MAVEN_REPO as it
#      is (e.g. the one scripts/release.sh made); checks the layout (packaging/maven-resolve.cjs: POM,
#      module metadata, every checksum) and takes the jar and its dependencies
#      from its metadata; checks the jar (native library, manifest, class
#      file version 52, Kotlin metadata 2.0, no JDK 9+ Buffer methods);
#   4. compiles the tests (kotlinc 2.4.20) against that jar and runs them on
#      it (JUnit 4, org.junit.runner.JUnitCore), then a timing report
#      (QORGAN_KOTLIN_TIMING=0 skips it);
#   5. scans the jar's public API for JVM names Java cannot call (mangled or
#      hidden by inline-class parameters such as UInt/ULong): a failure
#      (QORGAN_JAVA_NAMES_FATAL=0 makes it a warning);
#   6. compiles and runs two consumers against the layout, each a round trip
#      (two devices, a 1:1 message each way, a group message): Kotlin
#      (consumers/kotlin, kotlinc 1.9.0, run on kotlin-stdlib 1.9.0 and JNA)
#      and Java (consumers/java, javac --release 8);
#   7. checks the Android packaging as far as Linux can: check-alignment.sh
#      on 16 KB and 4 KB aligned stub libraries (and a report on the JVM's
#      library), build-aar.sh with --jni/--classes on a 16 KB aligned stub
#      (its Maven layout checked like the JVM one, built twice to compare
#      bytes), refusing a 4 KB aligned library and an NDK older than r28;
#   8. prints "kotlin: N passed, M failed" (N: the JUnit tests and the
#      packaging checks) and exits non-zero on any failure.
# Usage: bash bindings/kotlin/test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=kotlin-env.sh
source "$here/kotlin-env.sh"
build=$here/build
scratch=$build/test
java_dir=/usr/share/java
java_names_fatal=${QORGAN_JAVA_NAMES_FATAL:-1}

# 1. Tools.
if [[ ! -f $java_dir/jna.jar || ! -f $java_dir/junit4.jar || ! -f $java_dir/hamcrest-core.jar ]]; then
    bash "$root/scripts/apt-install.sh" libjna-java libjna-jni junit4
fi
for j in jna.jar junit4.jar hamcrest-core.jar; do
    [[ -f $java_dir/$j ]] || { echo "missing $java_dir/$j" >&2; exit 1; }
done
command -v node >/dev/null || { echo "node missing (apt-get install nodejs npm)" >&2; exit 1; }
jna=$(kotlin_find_jna)
kotlin_home=$(kotlin_home "$KOTLIN_VERSION")
old_home=$(kotlin_home "$KOTLIN_CONSUMER_VERSION")
kotlin_lib=$kotlin_home/lib

# Packaging checks: each one a line, counted in the summary.
checks_passed=0
checks_failed=0
pass() { echo "packaging ok: $*"; checks_passed=$((checks_passed + 1)); }
fail() { echo "packaging FAILED: $*"; checks_failed=$((checks_failed + 1)); }
t0=$SECONDS
rm -rf "$scratch" "$build/qorgan-ffi.jar" "$build/junit.log"
mkdir -p "$scratch"

# 2. and 3. The native library and the Maven layout (or the given layout),
# checked, and what it resolves to.
t_layout=$SECONDS
if [[ -n ${QORGAN_MAVEN_REPO:-} ]]; then
    repo=$(cd "$QORGAN_MAVEN_REPO" && pwd)
    echo "using the Maven layout in $repo (QORGAN_MAVEN_REPO)"
else
    (cd "$root" && cargo build --release --locked -q -p qorgan-ffi --lib)
    repo=$build/maven-repo
    rm -rf "$repo"
    QORGAN_MAVEN_WORK=$build/maven-work bash "$here/build-maven.sh" "$repo" "$root/target/release/libqorgan_ffi.so"
fi
t_layout=$((SECONDS - t_layout))
coords=$QORGAN_GROUP:qorgan:$QORGAN_VERSION
if resolved=$(node "$here/packaging/maven-resolve.cjs" "$repo" "$coords" runtimeElements); then
    pass "Maven layout of $coords (POM, module metadata, checksums, maven-metadata.xml)"
else
    fail "Maven layout of $coords"
    echo "kotlin: 0 passed, 1 failed"
    exit 1
fi
lib_jar=$(sed -n 's/^file //p' <<<"$resolved")
[[ $(wc -l <<<"$lib_jar") -eq 1 && -f $lib_jar ]] || { echo "runtimeElements should have one jar: $lib_jar" >&2; exit 1; }
# dep_jars STDLIB_JAR: the local jars of the runtime dependencies the metadata names.
dep_jars() {
    local line dep cp=""
    while read -r line; do
        dep=${line#dependency }
        case $dep in
            net.java.dev.jna:jna:"$JNA_VERSION") cp+=:$jna ;;
            org.jetbrains.kotlin:kotlin-stdlib:*) cp+=:$1 ;;
            *) echo "dependency $dep has no local jar in test.sh" >&2; return 1 ;;
        esac
    done < <(grep '^dependency ' <<<"$resolved")
    printf '%s\n' "${cp#:}"
}
deps_new=$(dep_jars "$kotlin_lib/kotlin-stdlib.jar")
deps_old=$(dep_jars "$old_home/lib/kotlin-stdlib.jar")

# The jar: native library for JNA, manifest, bytecode and Kotlin metadata levels.
entries=$(jar --list --file "$lib_jar")
manifest=$(jar_entry "$lib_jar" META-INF/MANIFEST.MF | tr -d '\r')
device=$(javap -v -cp "$lib_jar" kz.qorgan.Device)
if grep -qx 'linux-x86-64/libqorgan_ffi.so' <<<"$entries" \
    && grep -qx 'Automatic-Module-Name: kz.qorgan' <<<"$manifest" \
    && grep -q 'major version: 52' <<<"$device" \
    && grep -q 'mv=\[2,0,0\]' <<<"$device"; then
    pass "jar: linux-x86-64/libqorgan_ffi.so, Automatic-Module-Name, class files 52 (Java 8), Kotlin metadata 2.0.0"
else
    fail "jar contents or levels (native library, Automatic-Module-Name, class version 52, metadata mv=[2,0,0])"
fi
# Compiled for Java 8 against a JDK 17 class library: a call such as
# ByteBuffer.flip() would bind to the JDK 9+ override returning ByteBuffer,
# missing on Java 8 and older Android (NoSuchMethodError).
classes=$(grep -E '^kz/qorgan/.*\.class$' <<<"$entries" | sed 's/\.class$//; s|/|.|g')
# shellcheck disable=SC2086
jdk9=$(javap -c -p -cp "$lib_jar:$jna" $classes 2>/dev/null \
    | grep -oE 'Method java/nio/[A-Za-z]*Buffer\.(position|limit|flip|clear|mark|reset|rewind):\(I?\)Ljava/nio/[A-Za-z]+Buffer;' \
    | grep -v 'Ljava/nio/Buffer;$' | sort -u || true)
if [[ -z $jdk9 ]]; then
    pass "no JDK 9+ Buffer method overrides called (the bytecode runs on Java 8 and Android)"
else
    fail "JDK 9+ Buffer methods called (cast to java.nio.Buffer first): $jdk9"
fi

# 4. Tests, compiled against the jar of the layout and run on it. LoadingTest
#    checks that the classes and the native library come from a jar whose
#    name ends with qorgan-ffi.jar, or with the system property
#    qorgan.jarName once it reads that: until then build/qorgan-ffi.jar is a
#    hard link to (the same file as) the layout's jar (a copy if the layout
#    is on another file system; the JVM resolves symbolic links).
t_tests=$SECONDS
test_jar=$lib_jar
if ! grep -q 'qorgan.jarName' "$here/src/test/kotlin/kz/qorgan/tests/LoadingTest.kt"; then
    test_jar=$build/qorgan-ffi.jar
    ln -f "$lib_jar" "$test_jar" 2>/dev/null || cp "$lib_jar" "$test_jar"
    cmp -s "$lib_jar" "$test_jar"
fi
mkdir -p "$scratch/test-classes"
JAVA_OPTS=${JAVA_OPTS:--Xmx1g -XX:TieredStopAtLevel=1} "$kotlin_home/bin/kotlinc" -nowarn \
    -cp "$test_jar:$deps_new:$java_dir/junit4.jar:$kotlin_lib/kotlin-test.jar:$kotlin_lib/kotlin-test-junit.jar" \
    -d "$scratch/test-classes" "$here/src/test/kotlin"
t_compile=$((SECONDS - t_tests))
run_cp=$test_jar:$scratch/test-classes:$deps_new:$java_dir/junit4.jar:$java_dir/hamcrest-core.jar:$kotlin_lib/kotlin-test.jar:$kotlin_lib/kotlin-test-junit.jar
tests=$(cd "$scratch/test-classes" && find . -name '*Test.class' | sed 's|^\./||; s|\.class$||; s|/|.|g' | sort)
jvm=(java -Dqorgan.expectJar=true "-Dqorgan.jarName=$(basename "$lib_jar")" -cp "$run_cp")
set +e
# shellcheck disable=SC2086
LD_LIBRARY_PATH='' "${jvm[@]}" org.junit.runner.JUnitCore $tests 2>&1 | tee "$build/junit.log"
status=${PIPESTATUS[0]}
set -e
if [[ ${QORGAN_KOTLIN_TIMING:-1} != 0 ]]; then
    LD_LIBRARY_PATH='' "${jvm[@]}" kz.qorgan.tests.TimingReport || status=1
fi
t_tests=$((SECONDS - t_tests))
t_pack=$SECONDS

# 5. Public names Java cannot call.
names_args=("$lib_jar" "$scratch/java-names.txt")
[[ $java_names_fatal != 1 ]] || names_args+=(--fatal)
if java -cp "$lib_jar:$deps_new" "$here/packaging/ApiScan.java" "${names_args[@]}"; then
    if grep -q '^api ' "$scratch/java-names.txt"; then
        echo "WARNING: the public API has JVM names Java cannot call (not fatal: QORGAN_JAVA_NAMES_FATAL=0); the first of them:"
        grep '^api ' "$scratch/java-names.txt" | head -5 | sed 's/^/  /'
    fi
    pass "Java-callable names (fatal: $java_names_fatal)"
else
    grep '^api ' "$scratch/java-names.txt" | head -20 | sed 's/^/  /'
    fail "public API with JVM names Java cannot call (list: $scratch/java-names.txt)"
fi

# 6. Consumers.
mkdir -p "$scratch/consumer-kotlin" "$scratch/consumer-java"
if JAVA_OPTS=${JAVA_OPTS:--Xmx512m -XX:TieredStopAtLevel=1} "$old_home/bin/kotlinc" -nowarn \
        -cp "$lib_jar:$jna" -d "$scratch/consumer-kotlin" "$here/consumers/kotlin/Main.kt" \
    && LD_LIBRARY_PATH='' java -cp "$scratch/consumer-kotlin:$lib_jar:$deps_old" MainKt; then
    pass "Kotlin consumer compiled by kotlinc $KOTLIN_CONSUMER_VERSION, run on its kotlin-stdlib"
else
    fail "Kotlin consumer compiled by kotlinc $KOTLIN_CONSUMER_VERSION"
fi
if javac --release 8 -Xlint:-options -cp "$lib_jar:$deps_new" -d "$scratch/consumer-java" "$here"/consumers/java/*.java \
    && LD_LIBRARY_PATH='' java -cp "$scratch/consumer-java:$lib_jar:$deps_new" JavaConsumer \
    && LD_LIBRARY_PATH='' java -cp "$scratch/consumer-java:$lib_jar:$deps_new" JavaRoundTrip; then
    pass "Java consumers compiled by javac --release 8"
else
    fail "Java consumers compiled by javac --release 8"
fi

# 7. Android packaging, as far as it runs without an NDK.
printf 'int qorgan_stub(void) { return 1; }\n' > "$scratch/stub.c"
mkdir -p "$scratch/jni16/x86_64" "$scratch/jni4/x86_64" "$scratch/ndk27" "$scratch/classes"
cc -shared -fPIC -Wl,-z,max-page-size=16384 -o "$scratch/jni16/x86_64/libqorgan_ffi.so" "$scratch/stub.c"
cc -shared -fPIC -Wl,-z,max-page-size=4096 -o "$scratch/jni4/x86_64/libqorgan_ffi.so" "$scratch/stub.c"
if bash "$here/check-alignment.sh" "$scratch/jni16/x86_64/libqorgan_ffi.so" >/dev/null \
    && ! bash "$here/check-alignment.sh" "$scratch/jni4/x86_64/libqorgan_ffi.so" >/dev/null; then
    pass "check-alignment.sh accepts 0x4000 and refuses 0x1000"
else
    fail "check-alignment.sh on 16 KB / 4 KB aligned stubs"
fi
(cd "$scratch/classes" && jar --extract --file "$lib_jar" && mv linux-x86-64 ../native && rm -rf linux-* META-INF/MANIFEST.MF)
echo "(the jar's library, for information; only Android libraries need 16 KB:)"
bash "$here/check-alignment.sh" --warn "$scratch/native/libqorgan_ffi.so" | sed 's/^/  /'
aar_layout() { # OUT_REPO TZ: the AAR layout from the stub and the layout's classes
    TZ=$2 QORGAN_AAR_WORK=$scratch/aar-work bash "$here/build-aar.sh" --abis x86_64 \
        --jni "$scratch/jni16" --classes "$scratch/classes" "$1" >"$scratch/aar.log" 2>&1
}
if aar_layout "$scratch/aar-repo" UTC && aar_layout "$scratch/aar-repo2" Asia/Almaty \
    && node "$here/packaging/maven-resolve.cjs" "$scratch/aar-repo" "$QORGAN_GROUP:qorgan-android:$QORGAN_VERSION" >/dev/null \
    && grep -q '<type>aar</type>' "$scratch/aar-repo/kz/qorgan/qorgan-android/$QORGAN_VERSION/qorgan-android-$QORGAN_VERSION.pom" \
    && [[ $(jar --list --file "$scratch/aar-repo/kz/qorgan/qorgan-android/$QORGAN_VERSION/qorgan-android-$QORGAN_VERSION.aar" | tr '\n' ' ') \
        == "AndroidManifest.xml R.txt classes.jar jni/x86_64/libqorgan_ffi.so proguard.txt " ]] \
    && diff -r "$scratch/aar-repo" "$scratch/aar-repo2" >/dev/null; then
    pass "build-aar.sh layout (stub library, aar packaging, JNA as aar; same bytes in two time zones)"
else
    cat "$scratch/aar.log"
    fail "build-aar.sh layout from a 16 KB aligned stub"
fi
if ! QORGAN_AAR_WORK=$scratch/aar-work bash "$here/build-aar.sh" --abis x86_64 --jni "$scratch/jni4" \
        --classes "$scratch/classes" "$scratch/aar-repo4" >"$scratch/aar4.log" 2>&1 \
    && grep -q 'not aligned for 16 KB pages' "$scratch/aar4.log" && [[ ! -d $scratch/aar-repo4/kz ]]; then
    pass "build-aar.sh refuses a 4 KB aligned library"
else
    fail "build-aar.sh packaged a 4 KB aligned library"
fi
printf 'Pkg.Desc = Android NDK\nPkg.Revision = 27.2.12479018\n' > "$scratch/ndk27/source.properties"
if ! ANDROID_NDK_HOME=$scratch/ndk27 bash "$here/build-aar.sh" "$scratch/aar-repo-old" >"$scratch/ndk.log" 2>&1 \
    && grep -q 'NDK 27.2.12479018 .* too old' "$scratch/ndk.log"; then
    pass "build-aar.sh refuses NDK r27"
else
    cat "$scratch/ndk.log"
    fail "build-aar.sh accepted NDK r27"
fi
t_pack=$((SECONDS - t_pack))
echo "kotlin timing: layout ${t_layout}s, tests ${t_tests}s (compiling ${t_compile}s), packaging checks ${t_pack}s, total $((SECONDS - t0))s"

# 8. Summary.
if ok=$(grep -oE '^OK \(([0-9]+) tests?\)' "$build/junit.log"); then
    run=$(grep -oE '[0-9]+' <<<"$ok"); failed=0
elif counts=$(grep -oE '^Tests run: [0-9]+, +Failures: [0-9]+' "$build/junit.log"); then
    run=$(grep -oE '[0-9]+' <<<"$counts" | sed -n 1p); failed=$(grep -oE '[0-9]+' <<<"$counts" | sed -n 2p)
else
    run=0; failed=1
fi
[[ $run -gt 0 ]] || status=1
[[ $checks_failed -eq 0 ]] || status=1
echo "kotlin tests: $((run - failed)) passed, $failed failed; packaging checks: $checks_passed passed, $checks_failed failed"
echo "kotlin: $((run - failed + checks_passed)) passed, $((failed + checks_failed)) failed"
exit "$status"
