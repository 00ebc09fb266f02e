#!/bin/sh
# tests/suites/conn_file.sh - the file sink's size and time rotation, fed
# in bursts by the tcp source so that the output spans several batches.
#   usage: tests/suites/conn_file.sh BUILD_DIR [ASAN_DIR]   (KEEP=1 keeps the temp dir)
set -u
BUILD=${1:?usage: conn_file.sh BUILD_DIR [ASAN_DIR]}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-file.XXXXXX") || exit 1
trap 'kill_all; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
cd "$TMP" || exit 1
"$E" generate --devices 4 --count 2000 --seed 21 >r.jsonl
python3 -c '
import json
for l in open("r.jsonl"):
    r = json.loads(l)
    print(json.dumps({"device_id": r["device_id"], "ts": r["ts"], "co2": r["co2"]}, separators=(",", ":")))
' | sort >want

job() { # job DIR FORMAT ROTATE_OPTIONS: tcp (10 bursts) -> file sink in DIR
    PORT=$(free_port)
    feeder "$PORT" r.jsonl 10 0.2
    mkdir -p "$1"
    cat >"$1.sql" <<SQL
SET batch_interval = '50ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'tcp', port = $PORT, reconnect = false);
CREATE SINK out WITH (connector = 'file', path = '$1/out.$2', format = '$2'$3) AS
    SELECT device_id, ts, co2 FROM readings;
SQL
    "$E" run "$1.sql" 2>"$1.log"
}

check "size rotation job exits 0" job size json ", rotate_size = 20000"
check "size rotation: several files, named with their time" sh -c \
    "[ \$(ls size | wc -l) -ge 5 ] && ls size | grep -Eq '^out\.[0-9]{8}T[0-9]{6}\.[0-9]{3}Z\.json\$'"
check "size rotation: every row once across the files" sh -c \
    "python3 -c 'import json,sys
for f in sys.argv[1:]:
    for l in open(f):
        print(json.dumps(json.loads(l), separators=(\",\", \":\")))' size/* | sort | cmp - want"
check "size rotation: each rotated file reached rotate_size" sh -c \
    "for f in size/out.2*; do [ \$(stat -c %s \$f) -ge 20000 ] || exit 1; done"
check "time rotation job exits 0" job timed csv ", rotate_interval = '300ms'"
check "time rotation: several files" sh -c "[ \$(ls timed | wc -l) -ge 3 ]"
check "time rotation: a CSV header in every file" sh -c \
    "for f in timed/*; do [ -s \$f ] || continue; head -1 \$f | grep -qx 'device_id,ts,co2' || exit 1; done"
check "time rotation: every row once" sh -c \
    "[ \$(cat timed/* | grep -vc '^device_id,ts,co2\$') -eq 2000 ]"
# a source's batches are acknowledged without touching its input: a
# directory (or file) being read is never opened for writing
srcjob() {
    mkdir -p src_in && cp r.jsonl src_in/a.jsonl && cp r.jsonl src_in/b.jsonl
    cat >src.sql <<SQL
SET batch_interval = '10ms';
SET max_batch_records = 500;
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'file', path = '$TMP/src_in', format = 'json');
CREATE SINK out WITH (connector = 'file', path = '$TMP/src_out.jsonl') AS
    SELECT device_id, ts, co2 FROM readings;
SQL
    "$E" run src.sql 2>src.log
}
check "directory source job exits 0" srcjob
check "directory source: every row of both files" sh -c "[ \$(wc -l <src_out.jsonl) -eq 4000 ]"
check "directory source: no error or warning (its input not opened to write)" sh -c \
    "! grep -E 'ERROR|WARN' src.log"
summary
