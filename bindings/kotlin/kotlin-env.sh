# Sourced (not run) by build-maven.sh, build-aar.sh and test.sh: the versions
# and compiler levels of the Kotlin packages, and the functions that install
# and run the compiler. Needs bash, a JDK 17 (javac, jar), npm and, for
# kotlin_find_jna, Debian's libjna-java.
#
# Why these levels (bindings/kotlin/README.md says it for users):
#   - JVM bytecode 1.8 (class file 52). Android's D8 reads it on every
#     minSdk with no desugaring of the bytecode level itself; AGP 8.x projects
#     that never set compileOptions still compile Kotlin for 1.8; and the
#     public inline functions (`use`) can be inlined into consumers compiled
#     for 1.8, which Kotlin refuses from 11 bytecode ("Cannot inline bytecode
#     built with JVM target 11 into bytecode that is being built with JVM
#     target 1.8").
#   - Kotlin language and API version 2.0, the lowest kotlinc 2.4.20 accepts
#     (1.9 "is no longer supported"; 2.0 and 2.1 are deprecated but
#     accepted). The metadata it writes (class mv=[2,0,0], module 1.9.9999)
#     is read by Kotlin 1.9 compilers (one minor version ahead of
#     themselves), so Android projects on Kotlin 1.9 or 2.x can use the
#     library; the API version keeps calls to the standard library within
#     what kotlin-stdlib 2.0.0 has, which is the version the POM requires.
# Each value here is read by the POM/module writer, so change them here only.

QORGAN_GROUP=kz.qorgan
# Version, licence and repository come from the workspace Cargo.toml.
kotlin_env_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QORGAN_VERSION=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$kotlin_env_root/Cargo.toml")
QORGAN_URL=$(sed -n '/^\[workspace.package\]/,/^\[/s/^repository *= *"\(.*\)"/\1/p' "$kotlin_env_root/Cargo.toml")
[[ -n $QORGAN_VERSION && -n $QORGAN_URL ]] || { echo "kotlin-env.sh: no version/repository in [workspace.package] of $kotlin_env_root/Cargo.toml" >&2; return 1; }

KOTLIN_VERSION=2.4.20          # the compiler that builds the artefacts (npm kotlin-compiler)
KOTLIN_LEVEL=2.0               # -language-version and -api-version
KOTLIN_STDLIB_VERSION=2.0.0    # kotlin-stdlib the POM requires: the one API level 2.0 needs
KOTLIN_CONSUMER_VERSION=1.9.0  # the older compiler test.sh builds a consumer with
JVM_TARGET=1.8                 # -jvm-target; javac --release 8 for the Java consumer
JVM_VERSION_ATTR=8             # Gradle's org.gradle.jvm.version for that bytecode
JNA_VERSION=5.13.0             # Debian bookworm's libjna-java (5.13.0-2), compiled against

KOTLIN_TOOLS=${QORGAN_KOTLIN_TOOLS:-$kotlin_env_root/bindings/kotlin/.tools}

# kotlin_integrity VERSION: npm's integrity value (SHA-512 of the tarball)
# of kotlin-compiler@VERSION, pinned here: the compiler writes the shipped
# classes, so a tarball substituted by a registry or mirror is refused
# before anything installs it. To move a pin: npm pack kotlin-compiler@V,
# then "sha512-" + base64 of the file's SHA-512 (npm view ... dist.integrity
# from the registry should agree).
kotlin_integrity() {
    case $1 in
    2.4.20) echo 'sha512-IF5IVM7LpPhA/ntHQQpaVt1yxpaaQovtEVYLyqWMuaLr0XelLPPm7/sM6HLhtcRjjjoSsK7I7lP2kzYJkMy73w==' ;;
    1.9.0) echo 'sha512-Unh2XGm0z28t52C5jV2RJATjfCWjsxT5Acwi0CfbQVCzYj3X8/fchUQt0o8t9rHFm4FiwjUfMfeK0l5WalOiNA==' ;;
    *) return 1 ;;
    esac
}

# kotlin_home VERSION: prints the kotlin-compiler directory of VERSION,
# installing it from npm when missing (the current compiler into
# $KOTLIN_TOOLS, others into $KOTLIN_TOOLS/kotlin-VERSION): the tarball
# is fetched with npm pack, checked against kotlin_integrity, then
# installed from the checked file (it has no dependencies or scripts).
kotlin_home() {
    local version=$1 prefix=$KOTLIN_TOOLS
    [[ $version == "$KOTLIN_VERSION" ]] || prefix=$KOTLIN_TOOLS/kotlin-$version
    local home=$prefix/node_modules/kotlin-compiler
    if [[ ! -x $home/bin/kotlinc ]] || ! grep -q "\"version\": \"$version\"" "$home/package.json"; then
        command -v npm >/dev/null || { echo "npm missing (apt-get install npm): it installs kotlin-compiler@$version" >&2; return 1; }
        local want got tmp tgz
        want=$(kotlin_integrity "$version") || { echo "kotlin-env.sh: no integrity pinned for kotlin-compiler@$version (kotlin_integrity)" >&2; return 1; }
        tmp=$(mktemp -d)
        tgz=$tmp/kotlin-compiler-$version.tgz
        (cd "$tmp" && npm pack --silent --loglevel=error "kotlin-compiler@$version" >/dev/null) && [[ -f $tgz ]] \
            || { echo "npm pack kotlin-compiler@$version failed" >&2; rm -rf "$tmp"; return 1; }
        got=sha512-$(python3 -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tgz")
        if [[ $got != "$want" ]]; then
            echo "kotlin-compiler@$version from npm is not the pinned file (integrity $got, pinned $want): refused" >&2
            rm -rf "$tmp"
            return 1
        fi
        mkdir -p "$prefix"
        npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "$tgz" >/dev/null \
            || { echo "npm install of the checked kotlin-compiler-$version.tgz failed" >&2; rm -rf "$tmp"; return 1; }
        rm -rf "$tmp"
    fi
    printf '%s\n' "$home"
}

# kotlin_find_jna: prints the path of a JNA $JNA_VERSION jar ($JNA_JAR, or
# Debian's /usr/share/java/jna.jar); fails with what to install otherwise.
kotlin_find_jna() {
    local jar=${JNA_JAR:-/usr/share/java/jna.jar}
    [[ -f $jar ]] || { echo "JNA jar missing ($jar): apt-get install libjna-java, or set JNA_JAR" >&2; return 1; }
    local version
    version=$(jar_entry "$jar" META-INF/MANIFEST.MF | sed -n 's/^Bundle-Version: *\([^[:space:][:cntrl:]]*\).*/\1/p')
    if [[ $version != "$JNA_VERSION" ]]; then
        echo "JNA $jar is version '${version:-unknown}', the POM declares $JNA_VERSION (kotlin-env.sh JNA_VERSION): use a $JNA_VERSION jar (JNA_JAR) or change JNA_VERSION" >&2
        return 1
    fi
    printf '%s\n' "$jar"
}

# jar_entry JAR ENTRY: prints one entry of a jar (with the JDK's jar tool,
# so unzip is not needed).
jar_entry() {
    local jar tmp
    jar=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
    tmp=$(mktemp -d)
    (cd "$tmp" && jar --extract --file "$jar" "$2") && cat "$tmp/$2"
    rm -rf "$tmp"
}

# kotlin_compile_main OUT_DIR JNA_JAR: compiles src/main/kotlin (the
# generated bindings and ByteArrayOverloads.kt) with kotlinc $KOTLIN_VERSION
# at the levels above into OUT_DIR (module name qorgan_ffi, no daemon).
kotlin_compile_main() {
    local out=$1 jna=$2 home
    home=$(kotlin_home "$KOTLIN_VERSION") || return 1
    rm -rf "$out"
    mkdir -p "$out" || return 1
    JAVA_OPTS=${JAVA_OPTS:--Xmx1g -XX:TieredStopAtLevel=1} "$home/bin/kotlinc" -nowarn -Xsuppress-version-warnings \
        -jvm-target "$JVM_TARGET" -language-version "$KOTLIN_LEVEL" -api-version "$KOTLIN_LEVEL" \
        -module-name qorgan_ffi -cp "$jna" -d "$out" "$kotlin_env_root/bindings/kotlin/src/main/kotlin"
}

# kotlin_epoch: SOURCE_DATE_EPOCH, or the time of the last commit.
kotlin_epoch() {
    if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
        printf '%s\n' "$SOURCE_DATE_EPOCH"
    else
        git -C "$kotlin_env_root" log -1 --format=%ct
    fi
}

# The jar writer and the Maven layout (ml_* functions).
# shellcheck source=maven-layout.sh
source "$kotlin_env_root/bindings/kotlin/maven-layout.sh"

# kotlin_licences DIR: copies the licence texts of the repository root
# (LICENSE-APACHE, LICENSE-MIT, when present) to DIR/META-INF/qorgan/, a
# path of their own so they do not collide with other libraries' licences
# when an app merges jars.
kotlin_licences() {
    local f
    for f in LICENSE-APACHE LICENSE-MIT; do
        if [[ -f $kotlin_env_root/$f ]]; then
            mkdir -p "$1/META-INF/qorgan"
            cp "$kotlin_env_root/$f" "$1/META-INF/qorgan/$f"
        fi
    done
}

# kotlin_sources_jar OUT WORK_DIR: the -sources.jar, the Kotlin sources of
# src/main/kotlin at their package paths (kz/qorgan/*.kt).
kotlin_sources_jar() {
    local out=$1 work=$2
    rm -rf "$work"
    mkdir -p "$work"
    cp -r "$kotlin_env_root/bindings/kotlin/src/main/kotlin/." "$work/"
    kotlin_licences "$work"
    ml_manifest "$work.MF" "Automatic-Module-Name: kz.qorgan" "Implementation-Version: $QORGAN_VERSION"
    ml_jar "$out" "$work" "$work.MF"
}

# kotlin_javadoc_jar OUT WORK_DIR TITLE: the -javadoc.jar (no Dokka here):
# index.html, an API reference generated from the KDoc comments of the
# public declarations by packaging/KdocHtml.java, and README.md (this
# directory's guide).
kotlin_javadoc_jar() {
    local out=$1 work=$2 title=$3 src=$kotlin_env_root/bindings/kotlin/src/main/kotlin/kz/qorgan
    rm -rf "$work"
    mkdir -p "$work"
    java "$kotlin_env_root/bindings/kotlin/packaging/KdocHtml.java" "$work" "$title" "$src"/*.kt
    cp "$kotlin_env_root/bindings/kotlin/README.md" "$work/README.md"
    ml_manifest "$work.MF" "Implementation-Version: $QORGAN_VERSION"
    ml_jar "$out" "$work" "$work.MF"
}
