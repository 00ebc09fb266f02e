#!/usr/bin/env bash
# Runs the demo job on embedded defaults: simulated sensors -> 1-minute
# rollups per device, printed as JSON lines. Ctrl-C stops it gracefully.
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
echo "ember demo: examples/demo.sql - 100 simulated sensors, minutes with high CO2 or PM2.5" >&2
echo "ember demo: Ctrl-C stops gracefully" >&2
exec "$build/ember" run examples/demo.sql "${@:2}"
