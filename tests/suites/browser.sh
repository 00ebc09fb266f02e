#!/usr/bin/env bash
# tests/suites/browser.sh - the web UI in a real browser: runs
# tests/browser/ui.test.js (playwright-core driving Debian's chromium
# headless) against a live `ember run` job. Screenshots go to tests/out/.
#   usage: tests/suites/browser.sh BUILD_DIR [ASAN_DIR]
# Needs `scripts/deps.sh test` (chromium, node, npm ci in tests/browser).
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:?usage: browser.sh BUILD_DIR [ASAN_DIR]}
if [ ! -x "$BUILD/ember" ]; then
    echo "FAIL $BUILD/ember not built"; echo "0 passed, 1 failed"; exit 1
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || ! command -v node >/dev/null || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "FAIL browser test needs node, chromium and tests/browser/node_modules (run scripts/deps.sh test)"
    echo "0 passed, 1 failed"
    exit 1
fi
mkdir -p tests/out
exec timeout 180 node tests/browser/ui.test.js "$BUILD/ember" tests/out
