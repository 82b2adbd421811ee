#!/usr/bin/env bash
# Checks that every LOAD segment of each ELF shared library is aligned to at
# least 16 KB (0x4000), which Android 15+ devices with 16 KB pages need
# (Google Play requires 16 KB support of new apps and updates that target
# Android 15 or later from 1 November 2025).
# NDK r28 and later link that way by default; build-aar.sh also passes
# -z max-page-size=16384 and runs this on every library it packs.
#
# Prints one line per library: its smallest LOAD alignment and ok/TOO SMALL.
# Exit status 1 if any library is below the minimum (or is not an ELF file),
# unless --warn is given (then the lines say so and the status is 0).
#
# Needs: llvm-readelf or readelf ($READELF if set; build-aar.sh passes the
# NDK's llvm-readelf).
#
# Usage: bash bindings/kotlin/check-alignment.sh [--warn] [--min BYTES] LIB.so...
set -euo pipefail
warn=0
min=16384
while [[ $# -gt 0 ]]; do
    case $1 in
        --warn) warn=1; shift ;;
        --min) min=$(($2)); shift 2 ;;
        --) shift; break ;;
        -*) echo "check-alignment.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || { echo "usage: check-alignment.sh [--warn] [--min BYTES] LIB.so..." >&2; exit 2; }
readelf=${READELF:-}
if [[ -z $readelf ]]; then
    for r in llvm-readelf readelf; do
        if command -v "$r" >/dev/null; then readelf=$r; break; fi
    done
fi
[[ -n $readelf ]] || { echo "check-alignment.sh: no llvm-readelf or readelf (apt-get install binutils, or set READELF)" >&2; exit 1; }

bad=0
for lib in "$@"; do
    # "LOAD off vaddr paddr filesz memsz flags align": flags may contain a
    # space ("R E"), so the alignment is the last field.
    if ! aligns=$("$readelf" -lW "$lib" 2>/dev/null | awk '$1 == "LOAD" { print $NF }') || [[ -z $aligns ]]; then
        echo "$lib: no LOAD segments (not an ELF shared library?)"
        bad=1
        continue
    fi
    smallest=
    for a in $aligns; do
        a=$((a))
        if [[ -z $smallest || $a -lt $smallest ]]; then smallest=$a; fi
    done
    if [[ $smallest -ge $min ]]; then
        printf '%s: LOAD alignment 0x%x: ok\n' "$lib" "$smallest"
    else
        printf '%s: LOAD alignment 0x%x: TOO SMALL (needs 0x%x for 16 KB pages)\n' "$lib" "$smallest" "$min"
        bad=1
    fi
done
if [[ $bad -ne 0 && $warn -eq 1 ]]; then
    echo "check-alignment.sh: (--warn: not failing)"
    exit 0
fi
exit "$bad"
