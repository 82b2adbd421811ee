#!/usr/bin/env bash
# Builds the Android package of qorgan as a Maven repository layout, the same
# as build-maven.sh writes for the JVM (shared code: maven-layout.sh):
#   OUT_REPO/kz/qorgan/qorgan-android/<version>/
#     qorgan-android-<version>.aar   classes.jar (the kz.qorgan classes, JVM
#                                    bytecode 1.8, Kotlin language/API 2.0 as
#                                    for the JVM jar), jni/<abi>/libqorgan_ffi.so
#                                    for arm64-v8a, armeabi-v7a, x86_64,
#                                    AndroidManifest.xml (minSdk API_LEVEL),
#                                    R.txt, proguard.txt (consumer keep rules
#                                    for JNA and kz.qorgan)
#     qorgan-android-<version>-sources.jar, -javadoc.jar (as for the JVM)
#     qorgan-android-<version>.pom   packaging aar; kotlin-stdlib 2.0.0 and
#                                    JNA 5.13.0 as <type>aar</type> (JNA's AAR
#                                    carries libjnidispatch.so for every ABI)
#     qorgan-android-<version>.module  Gradle module metadata 1.1 (library
#                                    elements aar, Kotlin platform androidJvm,
#                                    JNA's aar chosen by an artifactSelector)
#     checksums, and maven-metadata.xml one level up.
# Every library must be aligned for 16 KB pages (Android 15+ devices; Google
# Play requires it): the NDK must be r28 or later (Pkg.Revision in its
# source.properties; r28 aligns 64-bit libraries to 16 KB by default), the
# link passes -z max-page-size=16384 for every ABI (32-bit included), and
# check-alignment.sh then fails the build if any LOAD segment is aligned
# below 0x4000. Reproducible like build-maven.sh (SOURCE_DATE_EPOCH, sorted
# entries, paths remapped in the Rust build).
#
# Needs (none of them is on the CI machine, which only runs this script with
# --jni and --classes, see test.sh):
#   - the Android NDK r28+, located by ANDROID_NDK_HOME (or ANDROID_NDK_ROOT);
#   - cargo-ndk:  cargo install cargo-ndk --locked
#   - the Rust targets:
#       rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   - a JDK 17, npm (kotlin-compiler) and Debian's libjna-java 5.13.0 (or
#     JNA_JAR) to compile against; llvm-readelf (the NDK's) or readelf.
#
# Options (for CI and tests; without them the script builds everything):
#   --abis "A B"    only these ABIs (default: arm64-v8a armeabi-v7a x86_64)
#   --jni DIR       take DIR/<abi>/libqorgan_ffi.so instead of building them
#                   (no NDK needed; their alignment is still checked)
#   --classes DIR   take compiled kz.qorgan classes from DIR (compiled at the
#                   levels of kotlin-env.sh) instead of running kotlinc
# Scratch files go to $QORGAN_AAR_WORK (default bindings/kotlin/build/android).
#
# Usage: bash bindings/kotlin/build-aar.sh [options] OUT_REPO [API_LEVEL]   (API_LEVEL default 24)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=kotlin-env.sh
source "$here/kotlin-env.sh"

min_ndk=28
abis=(arm64-v8a armeabi-v7a x86_64)
jni_from=""
classes_from=""
usage() { echo "usage: bash bindings/kotlin/build-aar.sh [--abis \"A B\"] [--jni DIR] [--classes DIR] OUT_REPO [API_LEVEL]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
    case $1 in
        --abis) read -r -a abis <<<"$2"; shift 2 ;;
        --jni) jni_from=$(cd "$2" && pwd); shift 2 ;;
        --classes) classes_from=$(cd "$2" && pwd); shift 2 ;;
        -*) usage ;;
        *) break ;;
    esac
done
[[ $# -ge 1 && $# -le 2 ]] || usage
mkdir -p "$1"
repo=$(cd "$1" && pwd)
api=${2:-24}
[[ $api =~ ^[0-9]+$ ]] || { echo "API_LEVEL must be a number, not '$api'" >&2; exit 2; }
work=${QORGAN_AAR_WORK:-$here/build/android}

# ELF e_machine of each ABI (bytes 18-19, little-endian).
machine_of() {
    case $1 in
        arm64-v8a) echo b700 ;;
        armeabi-v7a) echo 2800 ;;
        x86_64) echo 3e00 ;;
        x86) echo 0300 ;;
        *) echo "unknown ABI $1" >&2; return 1 ;;
    esac
}
for abi in "${abis[@]}"; do machine_of "$abi" >/dev/null; done

readelf=""
if [[ -z $jni_from ]]; then
    # The NDK: r28 or later.
    ndk=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
    [[ -n $ndk && -d $ndk ]] || { echo "set ANDROID_NDK_HOME to the Android NDK (r$min_ndk or later)" >&2; exit 1; }
    [[ -f $ndk/source.properties ]] || { echo "$ndk/source.properties missing: is ANDROID_NDK_HOME an NDK?" >&2; exit 1; }
    revision=$(sed -n 's/^Pkg\.Revision *= *\([0-9.]*\).*/\1/p' "$ndk/source.properties" | tr -d '\r')
    [[ -n $revision ]] || { echo "no Pkg.Revision in $ndk/source.properties" >&2; exit 1; }
    if [[ ${revision%%.*} -lt $min_ndk ]]; then
        echo "NDK $revision at $ndk is too old: r$min_ndk or later is needed, which links 64-bit libraries with 16 KB page alignment (Android 15+ devices with 16 KB pages, required by Google Play). Install it, e.g. sdkmanager --install 'ndk;28.2.13676358', and set ANDROID_NDK_HOME." >&2
        exit 1
    fi
    export ANDROID_NDK_HOME=$ndk
    command -v cargo-ndk >/dev/null || { echo "cargo-ndk missing: cargo install cargo-ndk --locked" >&2; exit 1; }
    for r in "$ndk"/toolchains/llvm/prebuilt/*/bin/llvm-readelf; do
        if [[ -x $r ]]; then readelf=$r; fi
    done
fi
jna=""
if [[ -z $classes_from ]]; then jna=$(kotlin_find_jna); fi

ML_EPOCH=$(kotlin_epoch)
rm -rf "$work"
mkdir -p "$work/aar/jni"

# 1. Native libraries: cargo-ndk maps each ABI to its Rust target
#    (arm64-v8a: aarch64-linux-android, armeabi-v7a: armv7-linux-androideabi,
#    x86_64: x86_64-linux-android), links with the NDK's clang for API $api,
#    and copies each libqorgan_ffi.so to jni/<abi>/.
if [[ -z $jni_from ]]; then
    ndk_args=()
    for abi in "${abis[@]}"; do ndk_args+=(-t "$abi"); done
    (cd "$root" && CARGO_TARGET_DIR=$root/target/dist \
        RUSTFLAGS="--remap-path-prefix=$root=/qorgan --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo -C link-arg=-Wl,-z,max-page-size=16384" \
        cargo ndk "${ndk_args[@]}" --platform "$api" -o "$work/aar/jni" \
        build --release --locked -p qorgan-ffi --lib)
else
    for abi in "${abis[@]}"; do
        mkdir -p "$work/aar/jni/$abi"
        cp "$jni_from/$abi/libqorgan_ffi.so" "$work/aar/jni/$abi/" 2>/dev/null \
            || { echo "--jni: $jni_from/$abi/libqorgan_ffi.so missing" >&2; exit 1; }
    done
fi
libs=()
for abi in "${abis[@]}"; do
    lib=$work/aar/jni/$abi/libqorgan_ffi.so
    [[ -f $lib ]] || { echo "missing jni/$abi/libqorgan_ffi.so" >&2; exit 1; }
    [[ $(od -An -tx1 -j18 -N2 "$lib" | tr -d ' \n') == "$(machine_of "$abi")" ]] \
        || { echo "jni/$abi/libqorgan_ffi.so is not a library for $abi (ELF machine)" >&2; exit 1; }
    libs+=("$lib")
done
found=$(cd "$work/aar/jni" && find . -type f | sort)
expected=$(for abi in "${abis[@]}"; do echo "./$abi/libqorgan_ffi.so"; done | sort)
[[ $found == "$expected" ]] || { echo "jni/ holds other files than the libraries: $found" >&2; exit 1; }

# 2. 16 KB page alignment of every library.
READELF=$readelf bash "$here/check-alignment.sh" "${libs[@]}" \
    || { echo "build-aar.sh: a library is not aligned for 16 KB pages (see above); refusing to package it" >&2; exit 1; }

# 3. classes.jar: the same classes as the JVM jar, without a native library.
if [[ -z $classes_from ]]; then
    kotlin_compile_main "$work/classes" "$jna"
else
    [[ -f $classes_from/kz/qorgan/Device.class ]] || { echo "--classes: $classes_from has no kz/qorgan/Device.class" >&2; exit 1; }
    mkdir -p "$work/classes"
    cp -r "$classes_from/." "$work/classes/"
fi
kotlin_licences "$work/classes"
ml_manifest "$work/classes.MF" "Automatic-Module-Name: kz.qorgan" "Implementation-Version: $QORGAN_VERSION"
ml_jar "$work/aar/classes.jar" "$work/classes" "$work/classes.MF"

# 4. Manifest, empty R.txt, consumer ProGuard/R8 rules (JNA finds the native
#    functions and structures by reflection).
cat > "$work/aar/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="kz.qorgan">
    <uses-sdk android:minSdkVersion="$api" />
</manifest>
XML
: > "$work/aar/R.txt"
cat > "$work/aar/proguard.txt" <<'PRO'
-dontwarn java.awt.*
-keep class com.sun.jna.** { *; }
-keepclassmembers class * extends com.sun.jna.** { public *; }
-keep class kz.qorgan.** { *; }
PRO

# 5. The AAR (a zip of that directory, no JAR manifest), sources, docs, layout.
ml_jar "$work/qorgan-android.aar" "$work/aar" -
kotlin_sources_jar "$work/sources.jar" "$work/sources"
kotlin_javadoc_jar "$work/javadoc.jar" "$work/javadoc" "qorgan $QORGAN_VERSION: Kotlin API (Android)"
ML_GROUP=$QORGAN_GROUP
ML_ARTIFACT=qorgan-android
ML_VERSION=$QORGAN_VERSION
ML_NAME=qorgan-android
ML_DESCRIPTION="qorgan end-to-end encryption for Android: uniffi Kotlin bindings with the native library for ${abis[*]} (loaded by JNA), minSdk $api"
ML_URL=$QORGAN_URL
ML_DEPS=(
    "org.jetbrains.kotlin:kotlin-stdlib:$KOTLIN_STDLIB_VERSION:compile"
    "net.java.dev.jna:jna:$JNA_VERSION:compile:aar"
)
ML_PLATFORM=androidJvm
ML_JVM_VERSION=""
ml_publish "$repo" aar "$work/qorgan-android.aar" "$work/sources.jar" "$work/javadoc.jar"
vdir=$ML_VDIR
echo "built $vdir (${abis[*]}, minSdk $api, SOURCE_DATE_EPOCH=$ML_EPOCH):"
(cd "$vdir" && ls -l --time-style=+ -- *.pom *.module *.aar *.jar | awk '{print "  " $5 "\t" $NF}')
jar --list --file "$vdir/$ML_ARTIFACT-$ML_VERSION.aar" | sed 's/^/    /'
