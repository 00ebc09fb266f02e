#!/usr/bin/env bash
# HTTP ingest (the `http` source): readings POSTed to the job's web server
# are acknowledged only once durable and arrive exactly once; malformed
# bodies are refused whole with the line and reason; tokens, size limits and
# the push log's quota (503 + Retry-After) are enforced; 1,000,000 readings
# from 64 concurrent connections all arrive.
# usage: tests/suites/ingest.sh BUILD_DIR [ASAN_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
ember=$PWD/$1/ember
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
pass=0
fail=0
check() {
    if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
cd "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port/ingest/readings
cat > job.sql <<SQL
SET batch_interval = '20ms';
SET http = '127.0.0.1:$port';
SET http_token = 'admin-token';
SET checkpoint_interval = '200ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'http', token = 'dev-token', max_body = 4000000, quota = 8388608);
CREATE SINK raw WITH (connector = 'file', path = 'raw.jsonl') AS SELECT * FROM readings;
CREATE SINK per_device WITH (connector = 'sqlite', path = 'counts.db', table = 'counts') AS
    SELECT device_id, count(*) AS n FROM readings GROUP BY device_id;
SQL
"$ember" run job.sql --checkpoint ck 2>run.err &
pid=$!
for i in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
post() { curl -s -o body.txt -w '%{http_code}' -X POST -H "Authorization: Bearer ${TOKEN:-dev-token}" --data-binary "$@" "$url"; }
code=$(post $'{"device_id":"a","ts":"2024-05-01T00:00:00Z","pm25":1}\n{"device_id":"b","ts":1714521600000,"pm25":2}\n')
[ "$code" = 200 ] && grep -q '"accepted":2' body.txt
check "NDJSON body: 200 with the count accepted ($code $(cat body.txt))" $?
code=$(post '[{"device_id":"c","ts":"2024-05-01T00:00:01Z","pm25":3},{"device_id":"d","ts":"2024-05-01T00:00:02Z","pm25":4}]')
[ "$code" = 200 ] && grep -q '"accepted":2' body.txt
check "JSON array body: 200 ($code)" $?
code=$(post $'{"device_id":"e","ts":"2024-05-01T00:00:00Z","pm25":1}\n{"device_id":"f","ts":"2024-05-01T00:00:00Z","pm25":"high"}\n')
[ "$code" = 400 ] && grep -q 'line 2: field \\"pm25\\"' body.txt
check "malformed line: 400 naming line 2 and the field ($(cat body.txt))" $?
code=$(TOKEN=wrong post '{"device_id":"g","ts":0,"pm25":1}')
[ "$code" = 401 ]
check "wrong token: 401" $?
head -c 4100000 /dev/zero | tr '\0' ' ' > big.txt
code=$(post @big.txt)
[ "$code" = 413 ]
check "body above max_body: 413" $?
# 1,000,000 readings from 64 concurrent connections
python3 - "$port" > load.txt <<'PY'
import http.client, sys, threading, json
port, n_conn, per_req, total = int(sys.argv[1]), 64, 1000, 1000000
codes, lock = {}, threading.Lock()
def worker(w):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for r in range(w, total // per_req, n_conn):
        body = "".join('{"device_id":"dev-%d","ts":%d,"pm25":%d}\n' % (i % 100, 1714521600000 + i, i % 50)
                       for i in range(r * per_req, (r + 1) * per_req))
        while True:
            c.request("POST", "/ingest/readings", body, {"Authorization": "Bearer dev-token"})
            resp = c.getresponse(); resp.read()
            with lock: codes[resp.status] = codes.get(resp.status, 0) + 1
            if resp.status != 503: break
            if not resp.getheader("Retry-After"):
                with lock: codes["503 without Retry-After"] = codes.get("503 without Retry-After", 0) + 1
            import time; time.sleep(float(resp.getheader("Retry-After", "1")) / 10)
ts = [threading.Thread(target=worker, args=(w,)) for w in range(n_conn)]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(codes))
PY
grep -q '"200": 1000' load.txt && ! grep -qv '"200"\|"503"' <(tr ',' '\n' < load.txt | tr -d '{} ')
check "1,000,000 readings in 1,000 requests from 64 connections acknowledged ($(cat load.txt))" $?
sleep 1
curl -s -o /dev/null -X POST -H 'Authorization: Bearer admin-token' "http://127.0.0.1:$port/api/v1/stop"
wait $pid
check "the job stops gracefully on POST /api/v1/stop (exit $?)" $?
n=$(wc -l < raw.jsonl)
[ "$n" -eq 1000004 ]
check "every acknowledged reading is in the sink exactly once ($n of 1000004)" $?
total=$(sqlite3 counts.db 'SELECT sum(n) FROM counts')
[ "$total" = 1000004 ]
check "running counts per device add up in SQLite ($total)" $?
grep -q '"503"' load.txt && ! grep -q "without Retry-After" load.txt
check "the push log's quota pushed back with 503 + Retry-After under load" $?
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
