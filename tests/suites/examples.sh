#!/usr/bin/env bash
# Builds-and-runs the C API examples and checks what a user would see.
# usage: tests/suites/examples.sh BUILD_DIR [ASAN_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
root_build=$(cd "$build" && pwd)
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

# examples/airquality.sql, bounded to 3 hours of event time (1,000 devices
# every 10 s, with faults and outages): every output is written and
# consistent with what the job promises.
"$build/ember" check examples/airquality.sql >/dev/null 2>&1
check "examples/airquality.sql checks" $?
"$build/ember" check examples/airquality_mqtt_pg.sql >/dev/null 2>&1
check "examples/airquality_mqtt_pg.sql (MQTT in, PostgreSQL out) checks" $?
aq=$(mktemp -d)
sed "s/rate = 1000, interval = '10s',/count = 1080000, interval = '10s',/" examples/airquality.sql >"$aq/job.sql"
(cd "$aq" && "$root_build/ember" run job.sql --set http=off >"$aq/stdout.txt" 2>"$aq/err")
check "examples/airquality.sql runs to the end of bounded input" $?
python3 - "$aq" <<'PY'
import json, sys, os, sqlite3
d = sys.argv[1]
rd = lambda n: [json.loads(l) for l in open(os.path.join(d, n))]
db = sqlite3.connect(os.path.join(d, "aq.db"))
db.row_factory = sqlite3.Row
tb = lambda t: [dict(r) for r in db.execute("SELECT * FROM " + t)]
raw, minute, hour, nowcast = tb("aq_raw"), tb("aq_minute"), tb("aq_hour"), tb("aq_nowcast")
alerts, silent = rd("aq_alerts.jsonl"), rd("aq_silent.jsonl")
logged = [json.loads(l) for l in open(os.path.join(d, "stdout.txt"))]
assert sorted(map(json.dumps, logged)) == sorted(map(json.dumps, alerts)), "stdout log != alerts file"
assert 900000 < len(raw) < 1080000, len(raw)            # outages skip readings
flags = {r["qc_flag"] for r in raw}
assert {1, 3, 4, 9} <= flags <= {1, 2, 3, 4, 9}, flags    # faults are flagged
assert any(r["qc_flat"] >= 3 for r in raw), "no stuck sensor flagged"
assert any(r["qc_time"] == 4 for r in raw), "no duplicate flagged"
cats = [(0, 50, "Good"), (51, 100, "Moderate"), (101, 150, "Unhealthy for Sensitive Groups"),
        (151, 200, "Unhealthy"), (201, 300, "Very Unhealthy")]
for m in minute:
    assert m["valid"] == (m["received"] >= 5), m
    want = next((c for lo, hi, c in cats if m["aqi"] <= hi), "Hazardous")
    assert m["category"] == want, m
assert len({(h["device_id"], h["hour"]) for h in hour}) == len(hour), "an hour emitted twice"
full = [h for h in hour if h["hour"] == "2024-05-01T01:00:00.000Z"]
assert len(full) > 900 and sum(h["valid"] for h in full) > 900, len(full)
assert any(n["nowcast"] is not None for n in nowcast)
last = {}
for a in sorted(alerts, key=lambda a: (a["device_id"], a["ts"])):
    assert a["state"] in ("FIRING", "RESOLVED", "NO_DATA", "OK"), a
    assert last.get(a["device_id"]) != a["state"], ("repeated transition", a)
    if a["state"] == "RESOLVED":
        assert last.get(a["device_id"]) == "FIRING", a
    last[a["device_id"]] = a["state"]
assert any(a["state"] == "FIRING" for a in alerts)
assert any(s["status"] == "SILENT" for s in silent) and any(s["status"] == "BACK" for s in silent)
PY
check "examples/airquality.sql outputs: SQLite tables with QC flags, valid minutes and hours, AQI categories; alert transitions (file and stdout log), silent devices" $?
rm -rf "$aq"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
