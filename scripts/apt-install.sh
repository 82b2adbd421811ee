#!/usr/bin/env bash
# Installs Debian packages for the test scripts (through sudo when not
# root): the one place that knows how, for scripts/test.sh and the
# bindings' test.sh. Callers decide what is missing.
# Usage: bash scripts/apt-install.sh PACKAGE...
set -euo pipefail
[[ $# -gt 0 ]] || { echo "usage: bash scripts/apt-install.sh PACKAGE..." >&2; exit 2; }
sudo=""
[[ $(id -u) -eq 0 ]] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
