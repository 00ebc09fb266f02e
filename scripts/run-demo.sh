#!/usr/bin/env bash
# Runs the demo job on embedded defaults. Until the SQL front end lands this
# is the C API example: simulated sensors -> 1-minute tumbling window -> stdout.
set -euo pipefail
build=${1:-build}
if [ -x "$build/example_pipeline" ]; then
    echo "ember demo: simulated sensors -> 1-minute averages per device (Ctrl-C stops)" >&2
    exec "$build/example_pipeline" "${@:2}"
fi
echo "ember demo: the pipeline example is not built yet; showing generated readings" >&2
exec "$build/ember" generate --devices 5 --rate 5
