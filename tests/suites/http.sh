#!/usr/bin/env bash
# tests/suites/http.sh - the HTTP server end to end: REST contract
# (docs/rest.md), /metrics, health checks, embedded assets, security
# (tokens, non-loopback binds, body limits, path traversal), and log files
# with JSON lines and rotation. Runs real `ember run` jobs on free loopback
# ports and checks responses with curl and python3.
#   usage: tests/suites/http.sh BUILD_DIR [ASAN_DIR]
# Prints ok/FAIL per check and "N passed, N failed"; exits 1 on failure.
set -u
BUILD=${1:?usage: http.sh BUILD_DIR [ASAN_DIR]}
ASAN=${2:-}
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-http.XXXXXX") || exit 1
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
TOKEN=suite-token-8c1e0b

ok() { echo "ok   $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | head -20 | sed 's/^/    /'; FAILED=$((FAILED + 1)); }
check() { # check NAME COMMAND...: passes when COMMAND succeeds
    local name=$1
    shift
    if "$@" >"$TMP/check.out" 2>&1; then ok "$name"; else fail "$name" "$(cat "$TMP/check.out")"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# job FILE [RATE] [COUNT]: a generator -> window -> file job, plus a filter sink
job() {
    cat >"$1" <<SQL
SET batch_interval = '200ms';
CREATE SOURCE readings (
    device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'generator', devices = 30, rate = ${2:-2000}, count = ${3:-0}, seed = 3, faults = true);
CREATE SINK per_minute WITH (connector = 'file', path = '$TMP/per_minute.jsonl') AS
    SELECT device_id, window_start, avg(pm25) AS pm25_avg, count(*) AS n
    FROM TUMBLE(readings, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;
CREATE VIEW hot AS SELECT device_id, ts, pm25 FROM readings WHERE pm25 > 40;
CREATE SINK high WITH (connector = 'file', path = '$TMP/high.jsonl') AS
    SELECT device_id, ts, pm25 FROM hot;
SQL
}

wait_ready() { # wait_ready PORT: up to 15 s
    for _ in $(seq 150); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}

status_is() { # status_is CODE CURL_ARGS...
    local want=$1
    shift
    local got
    got=$(curl -s -o "$TMP/body" -w '%{http_code}' "$@")
    [ "$got" = "$want" ] || { echo "HTTP $got, want $want"; head -c 600 "$TMP/body"; return 1; }
}

# pycheck URL SCRIPT: fetches URL and runs SCRIPT with `d` = parsed JSON
pycheck() {
    curl -sf "$1" >"$TMP/doc.json" || { echo "GET $1 failed"; return 1; }
    python3 - "$TMP/doc.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
try:
    exec(sys.argv[2])
except AssertionError as e:
    print("assertion failed:", e, "\n", json.dumps(d)[:800])
    sys.exit(1)
PY
}

suite() { # suite EMBER TAG
    local E=$1 T=$2
    local port base pid
    port=$(free_port)
    base=http://127.0.0.1:$port
    job "$TMP/rest.sql"
    "$E" run "$TMP/rest.sql" --set "http=127.0.0.1:$port" --set "http_token=$TOKEN" \
        2>"$TMP/rest.log" &
    pid=$!
    PIDS+=("$pid")
    if ! wait_ready "$port"; then
        fail "$T job serves /readyz" "$(cat "$TMP/rest.log")"
        kill "$pid" 2>/dev/null
        return
    fi
    ok "$T job serves /readyz"
    sleep 1.5

    check "$T healthz ok" pycheck "$base/healthz" 'assert d == {"status": "ok", "state": "running"}, d'
    check "$T readyz ready" pycheck "$base/readyz" 'assert d["ready"] is True'
    check "$T job document" pycheck "$base/api/v1/job" '
assert d["name"] == "rest", d["name"]
assert d["state"] == "running"
assert d["uptime_s"] > 1
assert d["batch_interval_ms"] == 200
assert d["batches_completed"] >= 5
assert d["records"] > 0 and d["memory_bytes"] > 0
assert d["error"] is None
assert d["settings"]["batch_interval"] == "200ms"
assert d["settings"]["http_token"] == "[redacted]"
assert [s["name"] for s in d["sources"]] == ["readings"]
assert d["sources"][0]["options"]["rate"] == "2000"
assert sorted(s["name"] for s in d["sinks"]) == ["high", "hot", "per_minute"]
assert d["sinks"][0]["connector"] == "file"'
    check "$T token never in any document" sh -c "
        for p in /api/v1/job /api/v1/sources /api/v1/sinks /api/v1/operators /api/v1/statistics /metrics; do
            curl -s '$base'\$p | grep -q '$TOKEN' && { echo \"token in \$p\"; exit 1; }
        done; exit 0"
    check "$T batches limit and order" pycheck "$base/api/v1/batches?limit=5" '
b = d["batches"]
assert len(b) == 5, len(b)
assert all(b[i]["id"] == b[i + 1]["id"] + 1 for i in range(4)), [x["id"] for x in b]
keys = {"id", "time", "input_records", "scheduling_delay_ms", "processing_time_ms", "total_delay_ms", "status", "error"}
assert all(set(x) == keys for x in b), b[0].keys()
assert all(x["status"] == "completed" and x["error"] is None for x in b)
assert all(abs(x["total_delay_ms"] - x["scheduling_delay_ms"] - x["processing_time_ms"]) < 0.01 for x in b)
assert sum(x["input_records"] for x in b) > 0
assert d["active"] and d["active"][0]["id"] == b[0]["id"] + 1
assert d["waiting"] == 0'
    check "$T batches limit=0 is 400" status_is 400 "$base/api/v1/batches?limit=0"
    check "$T batches limit=abc is 400" status_is 400 "$base/api/v1/batches?limit=abc"
    check "$T statistics averages" pycheck "$base/api/v1/statistics" '
assert d["num_total_completed_batches"] >= 5
assert 1000 < d["avg_input_rate"] < 3000, d["avg_input_rate"]
assert d["avg_processing_time_ms"] > 0
assert abs(d["avg_total_delay_ms"] - d["avg_scheduling_delay_ms"] - d["avg_processing_time_ms"]) < 0.01
assert d["num_sources"] == 1 and d["num_active_sources"] == 1
assert d["num_received_records"] >= d["num_retained_records"] > 0'
    curl -s "$base/api/v1/sources" >"$TMP/src1.json"
    sleep 1
    check "$T sources counters grow" pycheck "$base/api/v1/sources" '
import json
a = json.load(open("'"$TMP"'/src1.json"))["sources"][0]
s = d["sources"][0]
assert s["name"] == "readings" and s["kind"] == "source"
assert s["records"] > a["records"] > 0, (a["records"], s["records"])
assert 500 < s["rate"] < 4000, s["rate"]
assert s["watermark"] > a["watermark"], (a["watermark"], s["watermark"])
assert s["max_event_time"] >= s["watermark"]
assert isinstance(s["late_records"], int) and isinstance(s["bad_records"], int)
assert s["finished"] is False and s["idle"] is False'
    check "$T sinks rows and latest rows" pycheck "$base/api/v1/sinks" '
s = {x["name"]: x for x in d["sinks"]}
p = s["per_minute"]
assert p["rows"] > 0 and p["batches"] >= 5 and p["errors"] == 0
assert p["status"] == "ok" and p["last_error"] is None and p["failing_since"] is None
assert p["avg_commit_ms"] >= 0 and p["max_commit_ms"] >= p["last_commit_ms"]
assert 0 < len(p["latest_rows"]) <= 20
assert set(p["latest_rows"][0]) == {"device_id", "window_start", "pm25_avg", "n"}
assert all(r["pm25"] > 40 for r in s["high"]["latest_rows"])
v = s["hot"]
assert v["connector"] == "view" and v["rows"] > 0, v
assert 0 < len(v["latest_rows"]) <= 20 and all(r["pm25"] > 40 for r in v["latest_rows"]), v'
    check "$T operators state" pycheck "$base/api/v1/operators" '
ops = {o["kind"]: o for o in d["operators"]}
agg = [o for o in d["operators"] if "window_aggregate" in o["id"]]
assert agg and agg[0]["state_keys"] > 0 and agg[0]["state_bytes"] > 0, d
assert "filter" in ops and ops["filter"]["rows_in"] > ops["filter"]["rows_out"]
assert d["watermark"] is not None'
    check "$T unknown endpoint is 404 JSON" status_is 404 "$base/api/v1/nope"
    check "$T metrics exposition" sh -c "curl -s -D '$TMP/mh' '$base/metrics' >'$TMP/m1' && sleep 1 && curl -s '$base/metrics' >'$TMP/m2' && python3 - '$TMP/m1' '$TMP/m2' '$TMP/mh'" <<'PY'
import re, sys
def parse(path):
    out, types = {}, {}
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# TYPE"):
            _, _, name, t = line.split(" ")
            types[name] = t
            continue
        if line.startswith("#") or not line:
            continue
        m = re.fullmatch(r'([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)', line)
        assert m, "bad line: " + line
        out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out, types
a, types = parse(sys.argv[1])
b, _ = parse(sys.argv[2])
assert "text/plain; version=0.0.4" in open(sys.argv[3]).read()
assert all(n.startswith("ember_") for n in a), [n for n in a if not n.startswith("ember_")]
for n, t in types.items():
    if t == "counter":
        assert n.endswith("_total"), n
k = 'ember_source_records_total{source="readings"}'
assert b[k] > a[k] > 0, (a.get(k), b.get(k))
assert b['ember_batches_total{status="completed"}'] > a['ember_batches_total{status="completed"}']
assert a['ember_job_state{state="running"}'] == 1
assert a['ember_memory_bytes'] > 0
assert a['ember_sink_up{sink="per_minute"}'] == 1
for h in ["ember_batch_processing_seconds", "ember_batch_scheduling_delay_seconds", "ember_batch_total_delay_seconds"]:
    assert types[h] == "histogram", h
    buckets = [v for k2, v in a.items() if k2.startswith(h + "_bucket")]
    assert buckets == sorted(buckets), h
    assert a[h + '_bucket{le="+Inf"}'] == a[h + "_count"] > 0, h
assert any(k2.startswith("ember_operator_state_keys{") and v > 0 for k2, v in a.items())
assert 'ember_sink_commit_seconds_count{sink="high"}' in a
PY
    check "$T UI index with CSP" sh -c "curl -s -D '$TMP/h' '$base/' | grep -q '<canvas id=\"ch-rate\"' && grep -qi '^content-security-policy: default-src .self.' '$TMP/h'"
    check "$T UI script served" sh -c "curl -s -D '$TMP/h' '$base/app.js' | grep -q 'function chart' && grep -qi '^content-type: text/javascript' '$TMP/h'"

    # security
    check "$T stop without token is 401" status_is 401 -X POST "$base/api/v1/stop"
    check "$T stop with a wrong token is 401" status_is 401 -X POST -H "Authorization: Bearer nope" "$base/api/v1/stop"
    check "$T stop with a token prefix is 401" status_is 401 -X POST -H "Authorization: Bearer ${TOKEN%?}" "$base/api/v1/stop"
    check "$T GET stop is 405" status_is 405 "$base/api/v1/stop"
    check "$T POST to a GET endpoint is 405" status_is 405 -X POST -H "Authorization: Bearer $TOKEN" "$base/api/v1/job"
    head -c 100000 /dev/zero | tr '\0' x >"$TMP/big"
    check "$T oversize body is 413" status_is 413 -X POST -H "Authorization: Bearer $TOKEN" --data-binary @"$TMP/big" "$base/api/v1/stop"
    for p in '/../../../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/..%2f..%2fetc%2fpasswd' '/app.js/../../CMakeLists.txt' '/web/index.html' '/.%2e/CMakeLists.txt' '//etc/passwd'; do
        check "$T traversal $p is 404" sh -c "
            code=\$(curl -s --path-as-is -o '$TMP/tb' -w '%{http_code}' '$base$p')
            [ \"\$code\" = 404 ] && ! grep -q 'root:' '$TMP/tb' || { echo \"HTTP \$code\"; head -c 200 '$TMP/tb'; exit 1; }"
    done
    check "$T job still running after refused requests" pycheck "$base/api/v1/job" 'assert d["state"] == "running"'
    check "$T stop with the token is 202" status_is 202 -X POST -H "Authorization: Bearer $TOKEN" "$base/api/v1/stop"
    local rc=0 waited=0
    while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    wait "$pid"
    rc=$?
    check "$T POST stop ends the job gracefully (exit 0)" sh -c "[ $rc -eq 0 ] && grep -q 'stopped on request' '$TMP/rest.log' && grep -q 'graceful stop requested over HTTP' '$TMP/rest.log'"
    check "$T no secret in the log" sh -c "! grep -q '$TOKEN' '$TMP/rest.log'"

    # no token: POST endpoints disabled
    port=$(free_port)
    "$E" run "$TMP/rest.sql" --set "http=127.0.0.1:$port" 2>"$TMP/nt.log" &
    pid=$!
    PIDS+=("$pid")
    if wait_ready "$port"; then
        check "$T without http_token POST is 403" status_is 403 -X POST -H "Authorization: Bearer x" "http://127.0.0.1:$port/api/v1/stop"
    else
        fail "$T without http_token POST is 403" "$(cat "$TMP/nt.log")"
    fi
    kill -TERM "$pid"
    wait "$pid"

    # non-loopback bind
    port=$(free_port)
    check "$T non-loopback bind without token refused" sh -c "
        '$E' run '$TMP/rest.sql' --set http=0.0.0.0:$port 2>'$TMP/nl.log'; rc=\$?
        [ \$rc -eq 1 ] && grep -q 'refusing to serve on non-loopback address 0.0.0.0:$port without a token' '$TMP/nl.log' || { echo exit \$rc; cat '$TMP/nl.log'; exit 1; }"
    "$E" run "$TMP/rest.sql" --set "http=0.0.0.0:$port" --set "http_token=$TOKEN" 2>"$TMP/nl2.log" &
    pid=$!
    PIDS+=("$pid")
    check "$T non-loopback bind with a token serves" wait_ready "$port"
    kill -TERM "$pid"
    wait "$pid"
    check "$T bad http address refused" sh -c "
        '$E' run '$TMP/rest.sql' --set http=localhost 2>'$TMP/ba.log'; [ \$? -eq 1 ] && grep -q 'is not HOST:PORT' '$TMP/ba.log'"

    # http = off, and a port already taken: bounded jobs still run
    job "$TMP/bounded.sql" 0 3000
    port=$(free_port)
    check "$T http=off runs without a server" sh -c "
        '$E' run '$TMP/bounded.sql' --set http=off --set http_token=x 2>'$TMP/off.log' && ! grep -q 'web UI' '$TMP/off.log'"
    python3 -c 'import socket,time,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(); time.sleep(20)' "$port" &
    local holder=$!
    PIDS+=("$holder")
    sleep 0.3
    check "$T a taken port only costs the UI" sh -c "
        '$E' run '$TMP/bounded.sql' --set http=127.0.0.1:$port 2>'$TMP/busy.log' && grep -q 'running without the web UI' '$TMP/busy.log' && [ \$(wc -l <'$TMP/high.jsonl') -gt 0 ]"
    kill "$holder" 2>/dev/null

    # structured logs: JSON lines in a rotated file with retention
    mkdir -p "$TMP/logs"
    check "$T log_file with JSON lines, rotation and retention" sh -c "
        '$E' run '$TMP/bounded.sql' --set http=off --set log_format=json --set log_level=debug \
            --set batch_interval=5ms --set max_batch_records=50 \
            --set log_file='$TMP/logs/ember.log' --set log_max_size=2KB --set log_retention=2 2>'$TMP/lf.err' &&
        python3 - '$TMP/logs' <<'PY'
import json, os, sys
d = sys.argv[1]
files = sorted(os.listdir(d))
assert 'ember.log' in files, files
rotated = [f for f in files if f.startswith('ember.log.20')]
assert len(rotated) == 2, files
n = 0
for f in files:
    assert os.path.getsize(os.path.join(d, f)) < 2048 + 4700, f
    for line in open(os.path.join(d, f)):
        o = json.loads(line)
        assert list(o) == ['ts', 'level', 'component', 'msg'], o
        n += 1
assert n > 10, n
PY"
}

if [ ! -x "$BUILD/ember" ]; then
    fail "$BUILD/ember not built"
else
    suite "$BUILD/ember" rest
fi
if [ -n "$ASAN" ] && [ -x "$ASAN/ember" ]; then
    suite "$ASAN/ember" asan
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
