#!/bin/sh
# tests/suites/conn_sqlite.sh - the sqlite sink and the tcp source, end to
# end with real `ember run` jobs; results are read back with the sqlite3 CLI.
#   usage: tests/suites/conn_sqlite.sh BUILD_DIR [ASAN_DIR]
set -u
BUILD=${1:?usage: conn_sqlite.sh BUILD_DIR [ASAN_DIR]}
ASAN=${2:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-sqlite.XXXXXX") || exit 1
trap 'kill_all; rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
[ -n "$ASAN" ] && ASAN=$(cd "$ASAN" && pwd)
command -v sqlite3 >/dev/null || skip_all "sqlite3 CLI missing (scripts/deps.sh test)"
cd "$TMP" || exit 1
"$E" generate --devices 7 --count 3000 --seed 5 >r.jsonl

q() { sqlite3 "$@"; }

# expected rows of a query over the input, computed by python from r.jsonl
expect() { # expect KIND: raw | counts | minutes
    python3 - "$1" <<'PY'
import json, sys, collections
rows = [json.loads(l) for l in open('r.jsonl')]
kind = sys.argv[1]
if kind == 'raw':
    for r in rows:
        print('%s|%s|%s' % (r['device_id'], r['ts'], r['co2']))
elif kind == 'counts':
    c = collections.Counter(r['device_id'] for r in rows)
    m = {}
    for r in rows:
        m[r['device_id']] = max(m.get(r['device_id'], 0), r['co2'])
    for d in c:
        print('%s|%d|%d' % (d, c[d], m[d]))
elif kind == 'minutes':
    c = collections.Counter((r['device_id'], r['ts'][:16]) for r in rows)
    for (d, mnt), n in c.items():
        print('%s|%s:00.000Z|%d' % (d, mnt, n))
PY
}

same() { # same FILE_A FILE_B: equal as multisets, and not empty
    [ -s "$1" ] && [ -s "$2" ] || { echo "empty: $1 or $2"; return 1; }
    sort "$1" >"$1.s"
    sort "$2" >"$2.s"
    diff "$1.s" "$2.s" >"$TMP/diff" || { head -5 "$TMP/diff"; return 1; }
}

cat >plain.sql <<'SQL'
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK raw WITH (connector = 'sqlite', path = 'out.db', table = 'raw') AS
    SELECT device_id, ts, co2 FROM readings;
CREATE SINK per_min WITH (connector = 'sqlite', path = 'out.db', table = 'per_min') AS
    SELECT device_id, window_start, count(*) AS n
    FROM TUMBLE(readings, ts, INTERVAL '1' MINUTE) GROUP BY device_id, window_start;
SQL
check "file -> sqlite job exits 0" "$E" run plain.sql
q out.db "SELECT device_id, ts, co2 FROM raw" >got_raw
expect raw >want_raw
check "every input row is in the table, once" same got_raw want_raw
q out.db "SELECT device_id, window_start, n FROM per_min" >got_min
expect minutes >want_min
check "windowed aggregate rows appended once per window" same got_min want_min
check "table created with the query's column types" sh -c \
    "sqlite3 out.db '.schema raw' | grep -q '\"co2\" INTEGER'"
check "database in WAL journal mode" sh -c "[ \"\$(sqlite3 out.db 'PRAGMA journal_mode')\" = wal ]"
check "batch id recorded per sink" sh -c \
    "[ \"\$(sqlite3 out.db \"SELECT count(*) FROM _ember_batches WHERE sink IN ('raw','per_min') AND batch_id >= 1\")\" = 2 ]"

# Running aggregate over a live TCP stream in bursts: several batches
# change the same keys; the table must hold one row per key, final values.
PORT=$(free_port)
feeder "$PORT" r.jsonl 6 0.3
cat >live.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'tcp', port = $PORT, reconnect = false);
CREATE SINK totals WITH (connector = 'sqlite', path = 'live.db', table = 'totals') AS
    SELECT device_id, count(*) AS n, max(co2) AS co2_max FROM readings GROUP BY device_id;
CREATE SINK seen WITH (connector = 'sqlite', path = 'live.db', table = 'seen') AS
    SELECT device_id, ts, co2 FROM readings;
CREATE VIEW per_device AS
    SELECT device_id, count(*) AS n, max(co2) AS co2_max FROM readings GROUP BY device_id;
CREATE SINK viewed WITH (connector = 'sqlite', path = 'live.db', table = 'viewed') AS
    SELECT * FROM per_device;
SQL
check "tcp -> sqlite job ends when the peer closes" "$E" run live.sql
q live.db "SELECT device_id, n, co2_max FROM totals" >got_tot
expect counts >want_tot
check "running aggregate upserted: one row per key, final values" same got_tot want_tot
q live.db "SELECT device_id, n, co2_max FROM viewed" >got_view
check "a sink reading a running-aggregate view is keyed too" same got_view want_tot
check "updates came in several batches" sh -c \
    "[ \$(sqlite3 live.db \"SELECT batch_id FROM _ember_batches WHERE sink = 'totals'\") -ge 3 ]"
q live.db "SELECT device_id, ts, co2 FROM seen" >got_seen
check "tcp source delivered every line once" same got_seen want_raw
check "key column is the primary key" sh -c \
    "sqlite3 live.db '.schema totals' | grep -q 'PRIMARY KEY (\"device_id\")'"

# Explicit key option: last reading per device.
cat >keyed.sql <<'SQL'
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK latest WITH (connector = 'sqlite', path = 'k.db', table = 'latest', key = 'device_id') AS
    SELECT device_id, co2 FROM readings;
SQL
check "key option job exits 0" "$E" run keyed.sql
check "key option: one row per device" sh -c "[ \$(sqlite3 k.db 'SELECT count(*) FROM latest') -eq 7 ]"
check "unknown key column is an error naming it" sh -c \
    "sed 's/key = .device_id./key = \"nope\"/' keyed.sql | sed \"s/\\\"nope\\\"/'nope'/\" >bad.sql; ! '$E' run bad.sql 2>err && grep -q \"no column 'nope'\" err"

# Exactly-once across a replay: with a checkpoint_dir, batch ids continue
# the job's lineage, so a re-run of the same batches is skipped.
cat >ck.sql <<'SQL'
SET checkpoint_dir = 'ck';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK raw WITH (connector = 'sqlite', path = 'ck.db', table = 'raw') AS
    SELECT device_id, ts, co2 FROM readings;
SQL
mkdir -p ck
"$E" run ck.sql 2>/dev/null
# as after a crash before any snapshot: recovery replays every logged batch
rm -f ck/*.snap
"$E" run ck.sql 2>replay.log
check "replayed batch ids are skipped: no duplicates" sh -c \
    "[ \$(sqlite3 ck.db 'SELECT count(*) FROM raw') -eq 3000 ]"
check "the skip is logged" grep -q "already committed" replay.log
"$E" run plain.sql 2>/dev/null
check "without a checkpoint a re-run is a new lineage (appends)" sh -c \
    "[ \$(sqlite3 out.db 'SELECT count(*) FROM raw') -eq 6000 ]"

# A database the sink cannot open fails the job with a message naming it.
sed 's#out.db#/nonexistent/dir/x.db#' plain.sql >nodb.sql
check "unopenable database: exit 1, message names it" sh -c \
    "! '$E' run nodb.sql 2>err && grep -q '/nonexistent/dir/x.db' err"

if [ -n "$ASAN" ] && [ -x "$ASAN/ember" ]; then
    rm -f out.db*
    check "asan: file -> sqlite job" "$ASAN/ember" run plain.sql
    check "asan: rows match" sh -c "sqlite3 out.db 'SELECT device_id, ts, co2 FROM raw' >a && sort a >a.s && cmp a.s want_raw.s"
fi
summary
