#!/usr/bin/env bash
# tests/suites/bench_check.sh - the benchmarks compute the right answers.
#   usage: tests/suites/bench_check.sh BUILD_DIR [ASAN_DIR]
# `ember bench NAME --emit DIR` writes a small input and the benchmark's SQL
# job (with a file sink) to DIR; this runs each job with `ember run` and
# compares its output with a reference computed in plain Python
# (tests/bench/*_ref.py). It also checks the shape of `ember bench --json`
# on tiny inputs (never the figures: performance is printed, not asserted).
# Prints "ok"/"FAIL" per check and "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:?usage: bench_check.sh BUILD_DIR [ASAN_DIR]}
ASAN=${2:-}
E=$BUILD/ember
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-bench-check.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

check() { # check NAME COMMAND...: passes when COMMAND succeeds
    local name=$1
    shift
    if "$@" >"$TMP/check.out" 2>&1; then
        echo "ok   $name"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL $name"
        sed 's/^/    /' "$TMP/check.out" | head -20
        FAILED=$((FAILED + 1))
    fi
}

run_and_compare() { # run_and_compare DIR NAME REF: ember run DIR/NAME.sql, then REF DIR NAME
    local dir=$1 name=$2 ref=$3
    (cd "$dir" && "$OLDPWD/$E" run "$name.sql") || return 1
    python3 "$ref" "$dir" "$name"
}

# ---- answers ----
D=$TMP/emit
mkdir -p "$D"
"$E" bench sensor --emit "$D" >/dev/null 2>"$TMP/emit.err" &&
    "$E" bench ysb --emit "$D" >/dev/null 2>>"$TMP/emit.err" &&
    "$E" bench nexmark --emit "$D" >/dev/null 2>>"$TMP/emit.err"
check "bench --emit writes inputs and jobs" sh -c "
    for f in readings.jsonl sensor.sql ad_events.jsonl campaigns.jsonl ysb.sql \
             person.jsonl auction.jsonl bid.jsonl nexmark-q0.sql nexmark-q8.sql; do
        [ -s '$D/'\$f ] || { echo \"missing \$f\"; cat '$TMP/emit.err'; exit 1; }
    done"
check "sensor: QC filter + 1-minute avg/min/max/count per device" \
    run_and_compare "$D" sensor tests/bench/sensor_ref.py
check "ysb: views joined to campaigns, 10 s count per campaign" \
    run_and_compare "$D" ysb tests/bench/sensor_ref.py
for q in 0 1 2 3 4 5 7 8; do
    check "nexmark-q$q agrees with the reference" \
        run_and_compare "$D" "nexmark-q$q" tests/bench/nexmark_ref.py
done

# ---- the command's output ----
json_has_keys() { # json_has_keys FILE NAME...: one object per named benchmark, with the keys
    python3 - "$@" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
names = [r["name"] for r in rows]
want = sys.argv[2:]
assert names == want, "benchmarks %r, want %r" % (names, want)
keys = ["name", "records", "seconds", "records_per_s", "bytes_per_s", "cpu_seconds",
        "peak_rss_bytes"]
for r in rows:
    assert "error" not in r, r
    for k in keys:
        assert k in r, "%s: no %r in %r" % (r["name"], k, r)
    assert r["records"] > 0 and r["seconds"] > 0 and r["peak_rss_bytes"] > 0, r
PY
}
"$E" bench sensor --scale 0.001 --json >"$TMP/sensor.json" 2>"$TMP/sensor.err"
check "bench sensor --json prints the figures" json_has_keys "$TMP/sensor.json" sensor
"$E" bench nexmark --scale 0.001 --json >"$TMP/nx.json" 2>"$TMP/nx.err"
check "bench nexmark runs q0-q5, q7, q8" json_has_keys "$TMP/nx.json" nexmark-q0 nexmark-q1 \
    nexmark-q2 nexmark-q3 nexmark-q4 nexmark-q5 nexmark-q7 nexmark-q8
# the timed runs put events 10 us apart, a million in a 10 s window, so a
# window spans several micro-batches, which the correctness runs above (1 ms
# apart) never do: q8's join on matching windows came out empty then
"$E" bench nexmark-q8 --scale 0.15 --json >"$TMP/q8.json" 2>"$TMP/q8.err"
check "bench nexmark-q8 at 1.5M events joins its windows (rows_out > 0)" sh -c "
    python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r[\"rows_out\"] > 0, r
' '$TMP/q8.json' || { cat '$TMP/q8.json' '$TMP/q8.err'; exit 1; }"
"$E" bench latency-100k-1ms --scale 0.1 --json >"$TMP/lat.json" 2>"$TMP/lat.err"
check "bench latency reports p50 and p99 of every event" sh -c "
    python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r[\"name\"] == \"latency-100k-1ms\" and r[\"records\"] == 20000, r
assert 0 < r[\"latency_p50_ms\"] <= r[\"latency_p99_ms\"] <= r[\"latency_max_ms\"] + 0.01, r
' '$TMP/lat.json' || { cat '$TMP/lat.json' '$TMP/lat.err'; exit 1; }"
"$E" bench footprint --scale 0.01 --json >"$TMP/fp.json" 2>"$TMP/fp.err"
check "bench footprint measures size, idle RSS, first batch, keyed state" sh -c "
    python3 -c '
import json, os, sys
r = json.loads(open(sys.argv[1]).read())
assert r[\"binary_bytes\"] == os.path.getsize(sys.argv[2]), r
assert r[\"idle_rss_bytes\"] > 0 and r[\"first_batch_ms\"] > 0, r
assert r[\"keys\"] == 10000 and r[\"keys_rss_bytes\"] > r[\"idle_rss_bytes\"], r
' '$TMP/fp.json' '$E' || { cat '$TMP/fp.json' '$TMP/fp.err'; exit 1; }"
check "bench with an unknown name exits 2 and lists the benchmarks" sh -c "
    '$E' bench nosuch >'$TMP/unknown.out' 2>&1; [ \$? -eq 2 ] &&
    grep -q 'nexmark-q5' '$TMP/unknown.out' && grep -q '^  sensor' '$TMP/unknown.out'"
check "bench --scale rejects a bad factor (exit 2)" sh -c "
    '$E' bench sensor --scale 0 >/dev/null 2>&1; [ \$? -eq 2 ]"
if [ -n "$ASAN" ] && [ -x "$ASAN/ember" ]; then
    "$ASAN/ember" bench nexmark --scale 0.002 --json >"$TMP/nx-asan.json" 2>"$TMP/nx-asan.err"
    check "bench nexmark under ASan" json_has_keys "$TMP/nx-asan.json" nexmark-q0 nexmark-q1 \
        nexmark-q2 nexmark-q3 nexmark-q4 nexmark-q5 nexmark-q7 nexmark-q8
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
