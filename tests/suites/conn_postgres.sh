#!/bin/sh
# tests/suites/conn_postgres.sh - the postgres sink against a real
# PostgreSQL server that this suite starts (initdb + pg_ctl as the
# `postgres` user, on a free loopback port in a temporary directory) and
# stops on exit. Includes a server restart in the middle of a live job.
#   usage: tests/suites/conn_postgres.sh BUILD_DIR [ASAN_DIR]
set -u
BUILD=${1:?usage: conn_postgres.sh BUILD_DIR [ASAN_DIR]}
ASAN=${2:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-pg.XXXXXX") || exit 1
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pg() { # runs a PostgreSQL tool as the server's owner
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_stop() { [ -f "$TMP/pg/data/postmaster.pid" ] && pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m immediate stop >/dev/null 2>&1; }
trap 'kill_all; pg_stop; rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || skip_all "PostgreSQL server binaries missing (scripts/deps.sh test)"
[ "$(id -u)" -ne 0 ] || id postgres >/dev/null 2>&1 || skip_all "no 'postgres' user to run the server as"

mkdir -p "$TMP/pg" && chmod 755 "$TMP"
[ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg"
PGPORT=$(free_port)
pg "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U ember --no-sync >"$TMP/initdb.log" 2>&1 ||
    { cat "$TMP/initdb.log"; skip_all "initdb failed"; }
pg_start() {
    pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -o \
        "-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
}
pg_start || { cat "$TMP/pg/server.log"; skip_all "PostgreSQL did not start"; }
URL="postgresql://ember:s3cr3t@127.0.0.1:$PGPORT/postgres"
psq() { psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" -U ember postgres -c "$1"; }

cd "$TMP" || exit 1
"$E" generate --devices 7 --count 3000 --seed 9 >r.jsonl
python3 - <<'PY' >want_raw
import json
for l in open('r.jsonl'):
    r = json.loads(l)
    print('%s|%s|%s' % (r['device_id'], r['ts'], r['co2']))
PY
python3 - <<'PY' >want_tot
import json, collections
rows = [json.loads(l) for l in open('r.jsonl')]
c = collections.Counter(r['device_id'] for r in rows)
s = collections.Counter()
for r in rows:
    s[r['device_id']] += r['co2']
for d in c:
    print('%s|%d|%d' % (d, c[d], s[d]))
PY
same() {
    [ -s "$1" ] && [ -s "$2" ] || { echo "empty: $1 or $2"; return 1; }
    sort "$1" >"$1.s"; sort "$2" >"$2.s"
    diff "$1.s" "$2.s" >diff.out || { head -5 diff.out; return 1; }
}
raw_rows() { # TABLE: rows as device|ISO ts with ms|co2
    psq "SELECT device_id, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), co2 FROM $1"
}

cat >plain.sql <<SQL
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK raw WITH (connector = 'postgres', url = '$URL', table = 'raw', pool_size = 3) AS
    SELECT device_id, ts, co2 FROM readings;
CREATE SINK totals WITH (connector = 'postgres', url = '$URL', table = 'totals') AS
    SELECT device_id, count(*) AS n, sum(co2) AS co2_sum FROM readings GROUP BY device_id;
SQL
check "file -> postgres job exits 0" sh -c "'$E' run plain.sql 2>plain.log"
raw_rows raw >got_raw
check "every row in PostgreSQL once (COPY)" same got_raw want_raw
psq "SELECT device_id, n, co2_sum FROM totals" >got_tot
check "running aggregate upserted on the GROUP BY key" same got_tot want_tot
check "table created with PostgreSQL types" sh -c \
    "[ \"\$(psql -X -A -t -h 127.0.0.1 -p $PGPORT -U ember postgres -c \"SELECT data_type FROM information_schema.columns WHERE table_name = 'raw' AND column_name = 'ts'\")\" = 'timestamp with time zone' ]"
check "batch ids recorded in _ember_batches" sh -c \
    "[ \$(psql -X -A -t -h 127.0.0.1 -p $PGPORT -U ember postgres -c 'SELECT count(*) FROM _ember_batches WHERE batch_id >= 1') -eq 2 ]"
check "the password never appears in logs or explain" sh -c \
    "'$E' explain plain.sql >explain.out 2>&1; ! grep -q s3cr3t plain.log explain.out"

# Replay: with a checkpoint_dir batch ids are the job's lineage; a re-run of
# committed batches is skipped, inside the same transaction logic.
sed "1i SET checkpoint_dir = 'ck';" plain.sql | sed 's/raw/rawck/g; s/totals/totck/g' >ck.sql
mkdir -p ck
"$E" run ck.sql 2>/dev/null
# as after a crash before any snapshot: recovery replays every logged batch
rm -f ck/*.snap
"$E" run ck.sql 2>ck2.log
check "replayed batch ids skipped: no duplicate rows" sh -c \
    "[ \$(psql -X -A -t -h 127.0.0.1 -p $PGPORT -U ember postgres -c 'SELECT count(*) FROM rawck') -eq 3000 ]"
check "the skip is logged" grep -q "already committed" ck2.log

# PostgreSQL restarted in the middle of a live job: the batches in flight
# wait and are retried; nothing is lost or duplicated.
PORT=$(free_port)
feeder "$PORT" r.jsonl 12 0.4
cat >live.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'tcp', port = $PORT, reconnect = false);
CREATE SINK raw WITH (connector = 'postgres', url = '$URL', table = 'live_raw') AS
    SELECT device_id, ts, co2 FROM readings;
CREATE SINK totals WITH (connector = 'postgres', url = '$URL', table = 'live_tot') AS
    SELECT device_id, count(*) AS n, sum(co2) AS co2_sum FROM readings GROUP BY device_id;
SQL
"$E" run live.sql 2>live.log &
JOB=$!
PIDS="$PIDS $JOB"
wait_for 20 sh -c "[ \$(psql -X -A -t -h 127.0.0.1 -p $PGPORT -U ember postgres -c 'SELECT count(*) FROM live_raw') -gt 0 ]"
pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m immediate stop >/dev/null 2>&1
sleep 2
pg_start
wait "$JOB"
check "live job survives the restart and exits 0" test $? -eq 0
raw_rows live_raw >got_live
check "restart: every row once (none lost, none duplicated)" same got_live want_raw
psq "SELECT device_id, n, co2_sum FROM live_tot" >got_ltot
check "restart: upserted totals are exact" same got_ltot want_tot
check "the outage is reported in the log" grep -q "outage begins" live.log
check "the recovery is reported in the log" grep -q "reachable again" live.log

# A table that cannot take the rows fails the job with the server's reason.
psq "CREATE TABLE wrong (device_id bigint, ts text, co2 bigint)"
sed 's/table = .raw., pool_size = 3/table = '"'wrong'"'/' plain.sql >wrong.sql
check "type mismatch: exit 1 with PostgreSQL's message" sh -c \
    "! '$E' run wrong.sql 2>err && grep -q 'invalid input syntax' err"
summary
