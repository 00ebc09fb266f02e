#!/bin/sh
# tests/suites/sink_queue.sh - every sink has its own queue: a dead sink
# (a webhook whose receiver is not running) never holds up another sink
# (SQLite) or the engine; its outage and its queue show in the REST API and
# /metrics; it catches up by itself when the receiver starts; a kill -9
# while it is behind loses and duplicates nothing; and at sink_queue_limit
# the job waits for it instead of growing without bound.
#   usage: tests/suites/sink_queue.sh BUILD_DIR [ASAN_DIR]
set -u
BUILD=${1:?usage: sink_queue.sh BUILD_DIR [ASAN_DIR]}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-sinkq.XXXXXX") || exit 1
trap 'kill_all; [ -n "${JOB:-}" ] && kill -9 "$JOB" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
cd "$TMP" || exit 1
JOB=""

# receiver PORT DIR: accepts webhook POSTs (JSON arrays), logs
# "key<TAB>rows" per request and stores every row with its key.
receiver() {
    timeout 120 python3 - "$@" >/dev/null 2>>recv.err <<'PY' &
import http.server, json, os, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        key = self.headers.get('Idempotency-Key', '')
        rows = json.loads(body)
        with open(os.path.join(out, 'requests.log'), 'a') as f:
            f.write('%s\t%d\n' % (key, len(rows)))
        with open(os.path.join(out, 'rows.log'), 'a') as f:
            for r in rows:
                f.write(key + '\t' + json.dumps(r, sort_keys=True) + '\n')
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
PY
    RECV=$!
    PIDS="$PIDS $RECV"
}

N=16000
"$E" generate --devices 20 --count $N --seed 11 >all.jsonl
python3 -c '
import json
for l in open("all.jsonl"):
    r = json.loads(l)
    print(json.dumps({"device_id": r["device_id"], "co2": r["co2"]}, sort_keys=True))
' | sort >want

job() { # job HOOK_PORT HTTP_PORT DIR EXTRA_SETTINGS
    cat >"$3/job.sql" <<SQL
SET batch_interval = '100ms';
SET checkpoint_dir = '$3/ckpt';
SET checkpoint_interval = '500ms';
SET http = '127.0.0.1:$2';
$4
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'generator', devices = 20, count = $N, seed = 11, rate = 1600);
CREATE SINK db WITH (connector = 'sqlite', path = '$3/out.db', table = 'readings') AS
    SELECT device_id, co2 FROM readings;
CREATE SINK hook WITH (connector = 'webhook', url = 'http://127.0.0.1:$1/in',
                       retries = 0, max_rows = 500) AS
    SELECT device_id, co2 FROM readings;
SQL
}

db_rows() { python3 -c "
import sqlite3, sys
try: print(sqlite3.connect(sys.argv[1]).execute('select count(*) from readings').fetchone()[0])
except Exception: print(0)" "$1"; }

sink() { # sink HTTP_PORT NAME FIELD: a field of a sink in GET /api/v1/sinks
    python3 -c "
import json, sys, urllib.request
d = json.load(urllib.request.urlopen('http://127.0.0.1:%s/api/v1/sinks' % sys.argv[1], timeout=2))
print([s for s in d['sinks'] if s['name'] == sys.argv[2]][0][sys.argv[3]])" "$@" 2>/dev/null
}

sink_over() { v=$(sink "$1" "$2" "$3"); echo "$3 = $v"; [ "${v:-0}" -gt "$4" ]; }
sink_under() { v=$(sink "$1" "$2" "$3"); echo "$3 = $v"; [ -n "$v" ] && [ "$v" -le "$4" ]; }
sink_is() { v=$(sink "$1" "$2" "$3"); echo "$3 = $v"; [ "$v" = "$4" ]; }

db_exactly_once() { # DIR
    python3 -c "
import json, sqlite3, sys
rows = sqlite3.connect(sys.argv[1] + '/out.db').execute('select device_id, co2 from readings').fetchall()
for d, c in rows: print(json.dumps({'device_id': d, 'co2': c}, sort_keys=True))" "$1" | sort >"$1/db.got"
    cmp "$1/db.got" want >/dev/null || { wc -l "$1/db.got" want; return 1; }
}

hook_exactly_once() { # DIR: every row once after de-duplicating by Idempotency-Key
    python3 - "$1" <<'PY' | sort >"$1/hook.got"
import sys
seen, rows = {}, {}
for l in open(sys.argv[1] + '/rows.log'):
    key, row = l.rstrip('\n').split('\t', 1)
    rows.setdefault(key, []).append(row)
# a key whose request was sent twice appears twice: keep its rows once
for l in open(sys.argv[1] + '/requests.log'):
    key, n = l.rstrip('\n').split('\t')
    seen[key] = int(n)
for key, n in seen.items():
    for r in rows[key][:n]:
        print(r)
PY
    cmp "$1/hook.got" want >/dev/null || { wc -l "$1/hook.got" want; return 1; }
}

grows_while_down() { # DIR HTTP_PORT: SQLite gains rows while the hook is failing
    a=$(db_rows "$1/out.db")
    sleep 1.5
    b=$(db_rows "$1/out.db")
    st=$(sink "$2" hook status)
    echo "sqlite rows $a -> $b, hook $st"
    [ "$b" -gt "$a" ] && [ "$st" = failing ]
}

# 1. The receiver is down for the first ~5 s of an 10 s stream.
mkdir a
HOOK=$(free_port)
HP=$(free_port)
job "$HOOK" "$HP" "$TMP/a" ""
"$E" run a/job.sql >a/out 2>a/err &
JOB=$!
wait_for 10 sink "$HP" hook status
sleep 2
check "dead sink: SQLite keeps receiving rows while the webhook is failing" grows_while_down a "$HP"
check "dead sink: its queue shows in the REST API" sink_over "$HP" hook queued_batches 3
check "dead sink: /metrics shows it down with batches queued" sh -c "
    curl -s http://127.0.0.1:$HP/metrics >a/metrics
    grep -q '^ember_sink_up{sink=\"hook\"} 0' a/metrics &&
    grep '^ember_sink_queued_batches{sink=\"hook\"}' a/metrics | awk '{exit !(\$2 > 3)}'"
check "dead sink: the other sink reports no outage" sink_is "$HP" db status ok
receiver "$HOOK" "$TMP/a"
wait "$JOB"
rc=$?
JOB=""
check "dead sink: the job ends normally once the receiver is up (exit $rc)" test "$rc" -eq 0
check "dead sink: every reading in SQLite exactly once" db_exactly_once a
check "dead sink: every reading at the receiver exactly once (by Idempotency-Key)" \
    hook_exactly_once a
check "dead sink: the failed attempts were logged" grep -q "sink.hook.*attempt [0-9]* failed" a/err
kill_all

# 2. kill -9 while the webhook is several batches behind, then restart
#    with the receiver up: nothing lost or doubled in either sink.
mkdir b
HOOK=$(free_port)
HP=$(free_port)
job "$HOOK" "$HP" "$TMP/b" ""
"$E" run b/job.sql >b/out 2>b/err &
JOB=$!
wait_for 10 sink "$HP" hook status
sleep 3
behind=$(sink "$HP" hook queued_batches)
kill -9 "$JOB"
wait "$JOB" 2>/dev/null
JOB=""
check "crash: the webhook was behind when killed ($behind batches queued)" test "${behind:-0}" -gt 3
receiver "$HOOK" "$TMP/b"
HP=$(free_port)
sed -i "s/^SET http = .*/SET http = '127.0.0.1:$HP';/" b/job.sql
"$E" run b/job.sql >>b/out 2>b/err2
rc=$?
check "crash: the restarted job ends normally (exit $rc)" test "$rc" -eq 0
check "crash: every reading in SQLite exactly once" db_exactly_once b
check "crash: every reading at the receiver exactly once (by Idempotency-Key)" \
    hook_exactly_once b
kill_all

# 3. sink_queue_limit: with a tiny limit the job waits for the dead sink
#    (SQLite stops growing) instead of queueing without bound.
mkdir c
HOOK=$(free_port)
HP=$(free_port)
job "$HOOK" "$HP" "$TMP/c" "SET sink_queue_limit = '64KB';"
"$E" run c/job.sql >c/out 2>c/err &
JOB=$!
wait_for 10 grep -q "at sink_queue_limit" c/err
a=$(db_rows c/out.db)
sleep 1.5
b=$(db_rows c/out.db)
check "queue limit: logged, and the job waits for the sink (SQLite $a -> $b rows)" test "$a" -eq "$b"
check "queue limit: the queue stays near the limit" sink_under "$HP" hook queued_bytes 200000
receiver "$HOOK" "$TMP/c"
wait "$JOB"
rc=$?
JOB=""
check "queue limit: the job catches up and ends normally (exit $rc)" test "$rc" -eq 0
check "queue limit: the catch-up was logged" grep -q "caught up" c/err
check "queue limit: every reading in SQLite exactly once" db_exactly_once c
check "queue limit: every reading at the receiver exactly once" hook_exactly_once c

summary
