#!/usr/bin/env bash
# Builds the Kotlin/JVM package of qorgan as a Maven repository layout:
#   OUT_REPO/kz/qorgan/qorgan/<version>/
#     qorgan-<version>.jar          the kz.qorgan classes (JVM bytecode 1.8,
#                                   Kotlin language/API 2.0; kotlin-env.sh
#                                   says why) and the native library at JNA's
#                                   resource path (linux-x86-64/ or
#                                   linux-aarch64/libqorgan_ffi.so), manifest
#                                   with Automatic-Module-Name: kz.qorgan, the
#                                   licences (META-INF/qorgan/LICENSE-*)
#     qorgan-<version>-sources.jar  src/main/kotlin (and the licences)
#     qorgan-<version>-javadoc.jar  index.html generated from the KDoc of the
#                                   public API (packaging/KdocHtml.java, not
#                                   Dokka) and README.md
#     qorgan-<version>.pom          licences, scm, developers, dependencies
#                                   kotlin-stdlib 2.0.0 and JNA 5.13.0 (compile)
#     qorgan-<version>.module       Gradle module metadata 1.1
#     and .md5/.sha1/.sha256/.sha512 of each; maven-metadata.xml one level up.
# The version is the workspace's (Cargo.toml). Archives are reproducible:
# every timestamp is SOURCE_DATE_EPOCH (default: the last commit's time),
# entries sorted; the same sources, native library and tools give the same
# bytes.
#
# NATIVE_SO: the libqorgan_ffi.so to pack (e.g. the manylinux one of the
# Python wheel build). Default: a release build here, into target/dist with
# paths remapped (RUSTFLAGS --remap-path-prefix) so clones at different
# paths build the same library.
#
# Needs: a JDK 17 (javac, jar, java), npm (installs kotlin-compiler@2.4.20
# into bindings/kotlin/.tools, or $QORGAN_KOTLIN_TOOLS), Debian's
# libjna-java 5.13.0 (or JNA_JAR), coreutils; cargo for the default
# NATIVE_SO. Scratch files go to $QORGAN_MAVEN_WORK (default
# bindings/kotlin/build/maven-work).
#
# Usage: bash bindings/kotlin/build-maven.sh OUT_REPO [NATIVE_SO]
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=kotlin-env.sh
source "$here/kotlin-env.sh"

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: bash bindings/kotlin/build-maven.sh OUT_REPO [NATIVE_SO]" >&2
    exit 2
fi
mkdir -p "$1"
repo=$(cd "$1" && pwd)
native=${2:-}
work=${QORGAN_MAVEN_WORK:-$here/build/maven-work}

jna=$(kotlin_find_jna)
for tool in java javac jar; do
    command -v "$tool" >/dev/null || { echo "$tool missing: install a JDK 17 (apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
done

# 1. The native library.
if [[ -z $native ]]; then
    command -v cargo >/dev/null || { echo "cargo missing: install Rust, or pass NATIVE_SO" >&2; exit 1; }
    (cd "$root" && CARGO_TARGET_DIR=$root/target/dist \
        RUSTFLAGS="--remap-path-prefix=$root=/qorgan --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo" \
        cargo build --release --locked -q -p qorgan-ffi --lib)
    native=$root/target/dist/release/libqorgan_ffi.so
fi
[[ -f $native ]] || { echo "native library $native not found" >&2; exit 1; }
# JNA's resource directory for the library's machine (ELF e_machine, bytes 18-19).
case $(od -An -tx1 -j18 -N2 "$native" | tr -d ' \n') in
    3e00) platform=linux-x86-64 ;;
    b700) platform=linux-aarch64 ;;
    *) echo "$native is not an x86-64 or aarch64 ELF library" >&2; exit 1 ;;
esac

# 2. Classes.
ML_EPOCH=$(kotlin_epoch)
rm -rf "$work"
mkdir -p "$work"
kotlin_compile_main "$work/classes" "$jna"

# 3. The three archives.
mkdir -p "$work/jar/$platform"
cp -r "$work/classes/." "$work/jar/"
cp "$native" "$work/jar/$platform/libqorgan_ffi.so"
kotlin_licences "$work/jar"
ml_manifest "$work/jar.MF" \
    "Automatic-Module-Name: kz.qorgan" \
    "Implementation-Title: qorgan" \
    "Implementation-Version: $QORGAN_VERSION" \
    "Kotlin-Levels: jvm-target $JVM_TARGET, language and API $KOTLIN_LEVEL, kotlinc $KOTLIN_VERSION"
ml_jar "$work/qorgan.jar" "$work/jar" "$work/jar.MF"
kotlin_sources_jar "$work/sources.jar" "$work/sources"
kotlin_javadoc_jar "$work/javadoc.jar" "$work/javadoc" "qorgan $QORGAN_VERSION: Kotlin/JVM API"

# 4. The layout.
ML_GROUP=$QORGAN_GROUP
ML_ARTIFACT=qorgan
ML_VERSION=$QORGAN_VERSION
ML_NAME=qorgan
ML_DESCRIPTION="qorgan end-to-end encryption for Kotlin and Java on the JVM: uniffi bindings with the native library for $platform (loaded by JNA)"
ML_URL=$QORGAN_URL
ML_DEPS=(
    "org.jetbrains.kotlin:kotlin-stdlib:$KOTLIN_STDLIB_VERSION:compile"
    "net.java.dev.jna:jna:$JNA_VERSION:compile"
)
ML_PLATFORM=jvm
ML_JVM_VERSION=$JVM_VERSION_ATTR
ml_publish "$repo" jar "$work/qorgan.jar" "$work/sources.jar" "$work/javadoc.jar"
vdir=$ML_VDIR
echo "built $vdir ($platform, SOURCE_DATE_EPOCH=$ML_EPOCH):"
(cd "$vdir" && ls -l --time-style=+ -- *.pom *.module *.jar | awk '{print "  " $5 "\t" $NF}')
