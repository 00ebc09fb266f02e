#!/usr/bin/env bash
# Builds-and-runs the C API examples and checks what a user would see.
# usage: tests/suites/examples.sh BUILD_DIR [ASAN_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
pass=0
fail=0
check() { # check NAME CONDITION-EXIT-CODE
    if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# 5 devices x 1200 readings every 10 s = 200 one-minute windows per device,
# 6 readings each; every window closes at the end of the bounded input.
"$build/example_pipeline" 6000 >"$out" 2>"$out.err"
check "example_pipeline exits 0" $?
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 1000, f"expected 1000 windows, got {len(rows)}"
keys = list(rows[0].keys())
assert keys == ["device_id", "window_start", "window_end", "pm25_avg", "pm25_min", "pm25_max", "n"], keys
devices = {r["device_id"] for r in rows}
assert len(devices) == 5, devices
for r in rows:
    assert r["n"] == 6, r
    assert r["pm25_min"] <= r["pm25_avg"] <= r["pm25_max"], r
    assert r["window_start"].endswith(":00.000Z") and r["window_end"] > r["window_start"], r
assert len({(r["device_id"], r["window_start"]) for r in rows}) == 1000, "a window emitted twice"
PY
check "example_pipeline emits every (device, minute) window once with 6 readings" $?
rm -f "$out.err"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
