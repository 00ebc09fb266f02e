#!/bin/sh
# tests/suites/conn_webhook.sh - the webhook sink against a local HTTP
# receiver (python3 http.server) that fails its first requests and
# de-duplicates by Idempotency-Key, as a careful receiver would.
#   usage: tests/suites/conn_webhook.sh BUILD_DIR [ASAN_DIR]
set -u
BUILD=${1:?usage: conn_webhook.sh BUILD_DIR [ASAN_DIR]}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-webhook.XXXXXX") || exit 1
trap 'kill_all; rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
cd "$TMP" || exit 1

# receiver PORT FAIL_FIRST MODE: MODE 'status' answers 503 to the first
# FAIL_FIRST requests; 'drop' processes them but closes without replying
# (a lost response). Logs every request as "key<TAB>n_rows<TAB>new|dup" to
# requests.log and stores the rows of keys seen first in rows.jsonl.
receiver() {
    timeout 120 python3 - "$@" >/dev/null 2>recv.err <<'PY' &
import http.server, json, sys
port, fail_first, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
seen, count = set(), [0]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        count[0] += 1
        key = self.headers.get('Idempotency-Key', '')
        auth = self.headers.get('Authorization', '')
        if count[0] <= fail_first and mode == 'status':
            with open('requests.log', 'a') as f:
                f.write('%s\t0\tfail\t%s\n' % (key, auth))
            self.send_response(503); self.send_header('Content-Length', '0'); self.end_headers()
            return
        if self.headers.get('Content-Type') == 'application/x-ndjson':
            rows = [json.loads(l) for l in body.decode().splitlines() if l]
        else:
            rows = json.loads(body)
        new = key not in seen
        with open('requests.log', 'a') as f:
            f.write('%s\t%d\t%s\t%s\n' % (key, len(rows), 'new' if new else 'dup', auth))
        if new:
            seen.add(key)
            with open('rows.jsonl', 'a') as f:
                for r in rows:
                    f.write(json.dumps(r, sort_keys=True) + '\n')
        if count[0] <= fail_first and mode == 'drop':
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
PY
    PIDS="$PIDS $!"
}

"$E" generate --devices 5 --count 2500 --seed 3 >r.jsonl
python3 -c '
import json
for l in open("r.jsonl"):
    r = json.loads(l)
    print(json.dumps({"device_id": r["device_id"], "ts": r["ts"], "co2": r["co2"]}, sort_keys=True))
' | sort >want
same_rows() { sort rows.jsonl >got; cmp got want >/dev/null || { diff got want | head -5; return 1; }; }

job() { # job PORT EXTRA_OPTIONS
    cat >job.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK hook WITH (connector = 'webhook', url = 'http://127.0.0.1:$1/in',
                       token = 'tok123', retry_backoff = '20ms', max_rows = 300$2) AS
    SELECT device_id, ts, co2 FROM readings;
SQL
}

PORT=$(free_port)
receiver "$PORT" 3 status
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))"
job "$PORT" ""
check "job exits 0 although the first requests fail" sh -c "'$E' run job.sql 2>run.log"
check "every row delivered exactly once (by idempotency key)" same_rows
check "the 3 refused requests were retried with the same key" sh -c \
    "[ \$(grep -c '	fail	' requests.log) -eq 3 ] && grep '	fail	' requests.log | cut -f1 | while read k; do grep -q \"^\$k	[0-9]*	new\" requests.log || exit 1; done"
check "batches split into parts of max_rows" sh -c \
    "[ \$(cut -f2 requests.log | sort -n | tail -1) -eq 300 ] && [ \$(grep -c '	new	' requests.log) -ge 9 ]"
check "bearer token sent" sh -c "cut -f4 requests.log | sort -u | grep -qx 'Bearer tok123'"
check "the outage and the recovery are logged" sh -c \
    "grep -q 'retrying with backoff' run.log && grep -q 'accepting again' run.log"
check "the token never appears in the log" sh -c "! grep -q tok123 run.log"
kill_all

# Lost responses: the receiver processes the first requests but the reply
# never arrives; retries carry the same key, the receiver drops the dups.
rm -f rows.jsonl requests.log
PORT=$(free_port)
receiver "$PORT" 2 drop
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))"
job "$PORT" ", format = 'ndjson'"
check "ndjson job exits 0 despite lost responses" sh -c "'$E' run job.sql 2>run2.log"
check "lost responses: retries were duplicates, rows still exactly once" sh -c \
    "grep -q '	dup	' requests.log && sort rows.jsonl | cmp - want"
kill_all

# Receiver down when the job starts (connection refused), up 3 s later:
# the batch waits and is delivered once.
rm -f rows.jsonl requests.log
PORT=$(free_port)
job "$PORT" ", retries = 2"
"$E" run job.sql 2>run3.log &
JOB=$!
PIDS="$PIDS $JOB"
sleep 3
receiver "$PORT" 0 status
wait "$JOB"
check "receiver down at start: job exits 0 once it is up" test $? -eq 0
check "receiver down at start: every row delivered exactly once" same_rows
check "receiver down at start: the engine retried the batch" grep -q "retrying in" run3.log
kill_all

# A receiver that refuses the rows (HTTP 400) fails the job, naming the status.
PORT=$(free_port)
timeout 60 python3 -c "
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers['Content-Length']))
        self.send_response(400); self.send_header('Content-Length', '9'); self.end_headers()
        self.wfile.write(b'bad rows!')
http.server.HTTPServer(('127.0.0.1', $PORT), H).serve_forever()
" >/dev/null 2>&1 &
PIDS="$PIDS $!"
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))"
job "$PORT" ""
check "HTTP 400: exit 1 with the status and reply" sh -c \
    "! '$E' run job.sql 2>err && grep -q 'HTTP 400: bad rows!' err"
summary
