#!/usr/bin/env bash
# Builds an Android library (AAR) of the qorgan Kotlin bindings:
#   build/android/qorgan-ffi.aar  with
#     classes.jar                    the committed bindings (package kz.qorgan)
#     jni/<abi>/libqorgan_ffi.so     for arm64-v8a, armeabi-v7a and x86_64
#     AndroidManifest.xml, R.txt, proguard.txt (consumer keep rules for JNA)
#
# Needs (none of them is on the CI machine, so this script is not run there):
#   - the Android NDK (r25 or later), located by ANDROID_NDK_HOME (or
#     ANDROID_NDK_ROOT); cargo-ndk reads it;
#   - cargo-ndk:  cargo install cargo-ndk --locked
#   - the Rust targets:
#       rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
#   - a JDK (jar), JNA's jar to compile against (Debian: libjna-java), and the
#     Kotlin compiler (npm kotlin-compiler, as test.sh installs it).
#
# The AAR does not bundle JNA or the Kotlin standard library; the app declares
#   implementation("net.java.dev.jna:jna:5.13.0@aar")
#   implementation("org.jetbrains.kotlin:kotlin-stdlib")
# (JNA's @aar carries libjnidispatch.so for every ABI).
#
# Usage: bash bindings/kotlin/build-aar.sh [API_LEVEL]   (default 24)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
api=${1:-24}
abis=(arm64-v8a armeabi-v7a x86_64)
tools=${QORGAN_KOTLIN_TOOLS:-$here/.tools}
kotlin_version=2.4.20
jna_jar=${JNA_JAR:-/usr/share/java/jna.jar}
out=$here/build/android

: "${ANDROID_NDK_HOME:=${ANDROID_NDK_ROOT:-}}"
[[ -n $ANDROID_NDK_HOME && -d $ANDROID_NDK_HOME ]] || { echo "set ANDROID_NDK_HOME to the Android NDK" >&2; exit 1; }
export ANDROID_NDK_HOME
command -v cargo-ndk >/dev/null || { echo "cargo-ndk missing: cargo install cargo-ndk --locked" >&2; exit 1; }
[[ -f $jna_jar ]] || { echo "JNA jar missing ($jna_jar): apt-get install libjna-java, or set JNA_JAR" >&2; exit 1; }
kotlin_home=$tools/node_modules/kotlin-compiler
if [[ ! -x $kotlin_home/bin/kotlinc ]]; then
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "kotlin-compiler@$kotlin_version" >/dev/null
fi

rm -rf "$out"
mkdir -p "$out/aar/jni" "$out/classes"

# 1. Native libraries: cargo-ndk maps each ABI to its Rust target
#    (arm64-v8a: aarch64-linux-android, armeabi-v7a: armv7-linux-androideabi,
#    x86_64: x86_64-linux-android), links with the NDK's clang for API $api,
#    and copies each libqorgan_ffi.so to jni/<abi>/.
ndk_args=()
for abi in "${abis[@]}"; do ndk_args+=(-t "$abi"); done
(cd "$root" && cargo ndk "${ndk_args[@]}" --platform "$api" -o "$out/aar/jni" \
    build --release --locked -p qorgan-ffi --lib)
for abi in "${abis[@]}"; do
    [[ -f $out/aar/jni/$abi/libqorgan_ffi.so ]] || { echo "missing jni/$abi/libqorgan_ffi.so" >&2; exit 1; }
done

# 2. classes.jar: the committed bindings, Java 11 bytecode (D8 desugars it).
"$kotlin_home/bin/kotlinc" -nowarn -jvm-target 11 -module-name qorgan_ffi \
    -cp "$jna_jar" -d "$out/classes" "$here/src/main/kotlin"
jar --create --file "$out/aar/classes.jar" -C "$out/classes" .

# 3. Manifest, empty R.txt, consumer ProGuard/R8 rules (JNA finds the native
#    functions and structures by reflection).
cat > "$out/aar/AndroidManifest.xml" <<XML
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="kz.qorgan">
    <uses-sdk android:minSdkVersion="$api" />
</manifest>
XML
: > "$out/aar/R.txt"
cat > "$out/aar/proguard.txt" <<'PRO'
-dontwarn java.awt.*
-keep class com.sun.jna.** { *; }
-keepclassmembers class * extends com.sun.jna.** { public *; }
-keep class kz.qorgan.** { *; }
PRO

# 4. The AAR is a zip of that layout.
(cd "$out/aar" && rm -f ../qorgan-ffi.aar && jar --create --file ../qorgan-ffi.aar --no-manifest .)
echo "built $out/qorgan-ffi.aar:"
jar --list --file "$out/qorgan-ffi.aar"
