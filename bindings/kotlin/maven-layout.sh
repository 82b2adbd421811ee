# Sourced (not run) by build-maven.sh and build-aar.sh: writes a Maven
# repository layout the way Gradle's maven-publish does, and reproducible jars.
#
#   REPO/<group as dirs>/<artifact>/<version>/
#       <artifact>-<version>.pom           name, description, url, licences,
#                                          scm, developers, dependencies
#       <artifact>-<version>.module        Gradle module metadata 1.1: variants
#                                          apiElements, runtimeElements,
#                                          sourcesElements, javadocElements with
#                                          each file's size, sha512/256/1, md5
#       <artifact>-<version>.<jar|aar>     the library
#       <artifact>-<version>-sources.jar
#       <artifact>-<version>-javadoc.jar
#       each of them + .md5 .sha1 .sha256 .sha512
#   REPO/<group as dirs>/<artifact>/maven-metadata.xml (+ checksums): every
#       version present in the directory, latest/release, lastUpdated.
#
# Needs: bash, a JDK 17 (jar --date), coreutils (md5sum, sha*sum, stat).
#
# Set before calling ml_publish:
#   ML_GROUP ML_ARTIFACT ML_VERSION       coordinates
#   ML_NAME ML_DESCRIPTION ML_URL         POM texts (ML_URL also scm)
#   ML_EPOCH                              seconds since 1970, for every timestamp
#   ML_DEPS=(group:artifact:version:scope[:type] ...)
#                                         scope compile (API and runtime) or
#                                         runtime (runtime only); type aar for
#                                         an AAR artefact of a POM-only module
#   ML_PLATFORM                           jvm or androidJvm (Kotlin's
#                                         org.jetbrains.kotlin.platform.type)
#   ML_JVM_VERSION                        org.gradle.jvm.version, or empty
# then: ml_publish REPO PACKAGING(jar|aar) LIBRARY SOURCES_JAR JAVADOC_JAR
# (it sets ML_VDIR to the version directory it wrote).

# ml_date: ML_EPOCH as ISO 8601 UTC (jar --date).
ml_date() { date -u -d "@$ML_EPOCH" +%Y-%m-%dT%H:%M:%SZ; }

# ml_manifest OUT [Key: value ...]: a JAR manifest with fixed contents (no
# JDK version in Created-By, so the bytes do not depend on the JDK build).
ml_manifest() {
    local out=$1 line
    shift
    {
        printf 'Manifest-Version: 1.0\r\n'
        printf 'Created-By: qorgan bindings/kotlin\r\n'
        for line in "$@"; do printf '%s\r\n' "$line"; done
        printf '\r\n'
    } > "$out"
}

# ml_jar OUT DIR MANIFEST: a reproducible jar (or AAR: any zip) of every
# file under DIR: MANIFEST first as META-INF/MANIFEST.MF (none if MANIFEST
# is "-"), then the files sorted by path (C locale), no directory entries,
# every timestamp ML_EPOCH. DIR must not hold its own META-INF/MANIFEST.MF.
ml_jar() {
    local out=$1 dir=$2 manifest=$3 files
    out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
    [[ ! -e $dir/META-INF/MANIFEST.MF ]] || { echo "ml_jar: $dir has its own META-INF/MANIFEST.MF" >&2; return 1; }
    mapfile -t files < <(cd "$dir" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)
    rm -f "$out"
    if [[ $manifest == - ]]; then
        (cd "$dir" && jar --create --file "$out" --no-manifest --date "$(ml_date)" "${files[@]}")
    else
        local tmp
        tmp=$(mktemp -d)
        mkdir -p "$tmp/META-INF"
        cp "$manifest" "$tmp/META-INF/MANIFEST.MF"
        # -C switches directory per argument: the manifest from $tmp, the rest from $dir.
        local args=(-C "$tmp" META-INF/MANIFEST.MF) f
        for f in "${files[@]}"; do args+=(-C "$dir" "$f"); done
        jar --create --file "$out" --no-manifest --date "$(ml_date)" "${args[@]}"
        rm -rf "$tmp"
    fi
}

# ml_checksums FILE: FILE.md5, .sha1, .sha256, .sha512 (hex only, no newline,
# as Maven and Gradle write them).
ml_checksums() {
    local f=$1 algo
    for algo in md5 sha1 sha256 sha512; do
        printf '%s' "$("${algo}sum" "$f" | cut -d' ' -f1)" > "$f.$algo"
    done
}

# ml_xml TEXT: TEXT with &, <, > escaped.
ml_xml() { local s=${1//&/&amp;}; s=${s//</&lt;}; printf '%s' "${s//>/&gt;}"; }

# ml_json TEXT: TEXT as a JSON string (quotes and backslashes escaped).
ml_json() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

# ml_pom OUT PACKAGING
ml_pom() {
    local out=$1 packaging=$2 dep g a v scope type
    {
        cat <<XML
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <!-- This module was also published with a richer model, Gradle metadata,  -->
  <!-- which should be used instead. Do not delete the following line which  -->
  <!-- is to indicate to Gradle or any Gradle module metadata file consumer  -->
  <!-- that they should prefer consuming it instead. -->
  <!-- do_not_remove: published-with-gradle-metadata -->
  <modelVersion>4.0.0</modelVersion>
  <groupId>$(ml_xml "$ML_GROUP")</groupId>
  <artifactId>$(ml_xml "$ML_ARTIFACT")</artifactId>
  <version>$(ml_xml "$ML_VERSION")</version>
  <packaging>$packaging</packaging>
  <name>$(ml_xml "$ML_NAME")</name>
  <description>$(ml_xml "$ML_DESCRIPTION")</description>
  <url>$(ml_xml "$ML_URL")</url>
  <licenses>
    <!-- Dual-licensed: Apache-2.0 OR MIT, at the user's choice. -->
    <license>
      <name>Apache-2.0</name>
      <url>https://www.apache.org/licenses/LICENSE-2.0.txt</url>
      <distribution>repo</distribution>
    </license>
    <license>
      <name>MIT</name>
      <url>https://opensource.org/licenses/MIT</url>
      <distribution>repo</distribution>
    </license>
  </licenses>
  <developers>
    <developer>
      <id>qorgan</id>
      <name>The qorgan developers</name>
      <url>$(ml_xml "$ML_URL")</url>
    </developer>
  </developers>
  <scm>
    <connection>scm:git:$(ml_xml "$ML_URL").git</connection>
    <developerConnection>scm:git:$(ml_xml "$ML_URL").git</developerConnection>
    <url>$(ml_xml "$ML_URL")</url>
  </scm>
  <dependencies>
XML
        for dep in "${ML_DEPS[@]}"; do
            IFS=: read -r g a v scope type <<<"$dep"
            printf '    <dependency>\n      <groupId>%s</groupId>\n      <artifactId>%s</artifactId>\n      <version>%s</version>\n' "$g" "$a" "$v"
            [[ -z $type ]] || printf '      <type>%s</type>\n' "$type"
            printf '      <scope>%s</scope>\n    </dependency>\n' "$scope"
        done
        printf '  </dependencies>\n</project>\n'
    } > "$out"
}

# ml_module_file FILE: the "files" entry of FILE (name, url, size, hashes).
ml_module_file() {
    local f=$1 name
    name=$(basename "$f")
    printf '        {\n          "name": %s,\n          "url": %s,\n          "size": %s,\n' "$(ml_json "$name")" "$(ml_json "$name")" "$(stat -c %s "$f")"
    printf '          "sha512": "%s",\n' "$(sha512sum "$f" | cut -d' ' -f1)"
    printf '          "sha256": "%s",\n' "$(sha256sum "$f" | cut -d' ' -f1)"
    printf '          "sha1": "%s",\n' "$(sha1sum "$f" | cut -d' ' -f1)"
    printf '          "md5": "%s"\n        }\n' "$(md5sum "$f" | cut -d' ' -f1)"
}

# ml_module_deps SCOPES: the "dependencies" entries of ML_DEPS whose scope is
# one of SCOPES (space-separated), with a trailing comma when there are any.
ml_module_deps() {
    local scopes=" $1 " dep g a v scope type list=()
    for dep in "${ML_DEPS[@]}"; do
        IFS=: read -r g a v scope type <<<"$dep"
        [[ $scopes == *" $scope "* ]] || continue
        local entry
        entry=$(printf '        {\n          "group": %s,\n          "module": %s,\n          "version": {\n            "requires": %s\n          }' \
            "$(ml_json "$g")" "$(ml_json "$a")" "$(ml_json "$v")")
        if [[ -n $type ]]; then
            # A POM-only module (JNA): select its $type artefact, as "@aar" does.
            entry+=$(printf ',\n          "thirdPartyCompatibility": {\n            "artifactSelector": {\n              "name": %s,\n              "type": %s,\n              "extension": %s\n            }\n          }' \
                "$(ml_json "$a")" "$(ml_json "$type")" "$(ml_json "$type")")
        fi
        list+=("$entry"$'\n        }')
    done
    [[ ${#list[@]} -gt 0 ]] || return 0
    printf '      "dependencies": [\n'
    local i
    for i in "${!list[@]}"; do
        printf '%s' "${list[$i]}"
        [[ $i -eq $((${#list[@]} - 1)) ]] && printf '\n' || printf ',\n'
    done
    printf '      ],\n'
}

# ml_module OUT LIBRARYELEMENTS LIBRARY SOURCES_JAR JAVADOC_JAR
ml_module() {
    local out=$1 elements=$2 lib=$3 sources=$4 javadoc=$5 jvm=""
    [[ -z ${ML_JVM_VERSION:-} ]] || jvm=$(printf '        "org.gradle.jvm.version": %s,\n' "$ML_JVM_VERSION")
    library_variant() { # NAME USAGE SCOPES
        printf '    {\n      "name": "%s",\n      "attributes": {\n' "$1"
        printf '        "org.gradle.category": "library",\n        "org.gradle.dependency.bundling": "external",\n'
        [[ -z $jvm ]] || printf '%s\n' "$jvm"
        printf '        "org.gradle.libraryelements": "%s",\n        "org.gradle.usage": "%s",\n' "$elements" "$2"
        printf '        "org.jetbrains.kotlin.platform.type": "%s"\n      },\n' "$ML_PLATFORM"
        ml_module_deps "$3"
        printf '      "files": [\n'
        ml_module_file "$lib"
        printf '      ]\n    },\n'
    }
    docs_variant() { # NAME DOCSTYPE FILE LAST
        printf '    {\n      "name": "%s",\n      "attributes": {\n' "$1"
        printf '        "org.gradle.category": "documentation",\n        "org.gradle.dependency.bundling": "external",\n'
        printf '        "org.gradle.docstype": "%s",\n        "org.gradle.usage": "java-runtime"\n      },\n' "$2"
        printf '      "files": [\n'
        ml_module_file "$3"
        printf '      ]\n    }%s\n' "$4"
    }
    {
        printf '{\n  "formatVersion": "1.1",\n  "component": {\n'
        printf '    "group": %s,\n    "module": %s,\n    "version": %s,\n' "$(ml_json "$ML_GROUP")" "$(ml_json "$ML_ARTIFACT")" "$(ml_json "$ML_VERSION")"
        printf '    "attributes": {\n      "org.gradle.status": "release"\n    }\n  },\n'
        printf '  "variants": [\n'
        library_variant apiElements java-api compile
        library_variant runtimeElements java-runtime "compile runtime"
        docs_variant sourcesElements sources "$sources" ,
        docs_variant javadocElements javadoc "$javadoc" ""
        printf '  ]\n}\n'
    } > "$out"
    unset -f library_variant docs_variant
}

# ml_metadata ARTIFACT_DIR: maven-metadata.xml listing every version
# directory that holds its POM, highest (sort -V) as latest/release
# (release: the highest without -SNAPSHOT).
ml_metadata() {
    local dir=$1 versions=() v latest release=""
    for v in "$dir"/*/; do
        v=$(basename "$v")
        [[ -f $dir/$v/$ML_ARTIFACT-$v.pom ]] && versions+=("$v")
    done
    mapfile -t versions < <(printf '%s\n' "${versions[@]}" | sort -V)
    latest=${versions[-1]}
    for v in "${versions[@]}"; do [[ $v == *-SNAPSHOT ]] || release=$v; done
    {
        printf '<?xml version="1.0" encoding="UTF-8"?>\n<metadata>\n'
        printf '  <groupId>%s</groupId>\n  <artifactId>%s</artifactId>\n  <versioning>\n' "$(ml_xml "$ML_GROUP")" "$(ml_xml "$ML_ARTIFACT")"
        printf '    <latest>%s</latest>\n' "$latest"
        [[ -z $release ]] || printf '    <release>%s</release>\n' "$release"
        printf '    <versions>\n'
        for v in "${versions[@]}"; do printf '      <version>%s</version>\n' "$v"; done
        printf '    </versions>\n    <lastUpdated>%s</lastUpdated>\n  </versioning>\n</metadata>\n' "$(date -u -d "@$ML_EPOCH" +%Y%m%d%H%M%S)"
    } > "$dir/maven-metadata.xml"
    ml_checksums "$dir/maven-metadata.xml"
}

# ml_publish REPO PACKAGING LIBRARY SOURCES_JAR JAVADOC_JAR: copies the three
# archives into REPO under their Maven names (replacing that version's
# directory), writes the POM, the module metadata, every checksum file and
# maven-metadata.xml; sets ML_VDIR to the version directory. (Call it
# directly, not in $(...), where set -e would not stop at a failure.)
ml_publish() {
    local repo=$1 packaging=$2 lib=$3 sources=$4 javadoc=$5 var
    for var in ML_GROUP ML_ARTIFACT ML_VERSION ML_NAME ML_DESCRIPTION ML_URL ML_EPOCH ML_PLATFORM; do
        [[ -n ${!var:-} ]] || { echo "ml_publish: $var is not set" >&2; return 1; }
    done
    case $packaging in
        jar | aar) ;;
        *) echo "ml_publish: packaging must be jar or aar, not '$packaging'" >&2; return 1 ;;
    esac
    local adir=$repo/${ML_GROUP//.//}/$ML_ARTIFACT
    local vdir=$adir/$ML_VERSION base=$ML_ARTIFACT-$ML_VERSION
    rm -rf "$vdir"
    mkdir -p "$vdir"
    cp "$lib" "$vdir/$base.$packaging"
    cp "$sources" "$vdir/$base-sources.jar"
    cp "$javadoc" "$vdir/$base-javadoc.jar"
    ml_pom "$vdir/$base.pom" "$packaging"
    ml_module "$vdir/$base.module" "$packaging" "$vdir/$base.$packaging" "$vdir/$base-sources.jar" "$vdir/$base-javadoc.jar"
    local f
    for f in "$vdir/$base.pom" "$vdir/$base.module" "$vdir/$base.$packaging" "$vdir/$base-sources.jar" "$vdir/$base-javadoc.jar"; do
        ml_checksums "$f"
    done
    ml_metadata "$adir"
    ML_VDIR=$vdir
}
