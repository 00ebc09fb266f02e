#!/usr/bin/env bash
# Installs the Debian packages Ember needs that are missing (as root, via apt).
# usage: scripts/deps.sh build|test
set -euo pipefail
what=${1:-build}
pkgs=(gcc make cmake ninja-build pkg-config)
pkgs+=(libmicrohttpd-dev) # web UI, REST API, /metrics (EMBER_HTTP)
# connector libraries (each connector switches off when its library is missing)
pkgs+=(libsqlite3-dev libpq-dev libcurl4-openssl-dev libmosquitto-dev libnats-dev)
if [ "$what" = test ]; then
    pkgs+=(clang libclang-rt-14-dev)
    pkgs+=(curl python3 chromium) # tests/suites/http.sh, browser.sh
    # connector suites: real servers and clients they start and query
    pkgs+=(sqlite3 postgresql mosquitto nats-server)
    # node and npm from Debian unless some other node is already installed
    command -v node >/dev/null || pkgs+=(nodejs)
    command -v npm >/dev/null || pkgs+=(npm)
fi
# browser_modules: the browser test's npm packages, from the committed lock file
browser_modules() {
    [ "$what" = test ] || return 0
    local dir
    dir="$(dirname "$0")/../tests/browser"
    [ -d "$dir/node_modules/playwright-core" ] && return 0
    command -v npm >/dev/null || return 0
    echo "deps: npm ci in tests/browser" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    browser_modules
    exit 0
fi
echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages (${missing[*]}) and not root: install them with apt-get" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
browser_modules
