#!/usr/bin/env bash
# Installs the Debian packages Ember needs that are missing (as root, via apt).
# usage: scripts/deps.sh build|test
set -euo pipefail
what=${1:-build}
pkgs=(gcc make cmake ninja-build pkg-config)
if [ "$what" = test ]; then
    pkgs+=(clang libclang-rt-14-dev python3)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages (${missing[*]}) and not root: install them with apt-get" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
