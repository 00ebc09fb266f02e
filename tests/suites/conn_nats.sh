#!/bin/sh
# tests/suites/conn_nats.sh - the nats source and sink, core NATS and
# JetStream, against nats-server -js started by this suite on a free
# loopback port with its store in a temp dir, stopped on exit.
#   usage: tests/suites/conn_nats.sh BUILD_DIR [ASAN_DIR]
set -u
BUILD=${1:?usage: conn_nats.sh BUILD_DIR [ASAN_DIR]}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-nats.XXXXXX") || exit 1
SERVER=""
trap 'kill_all; kill_child "$SERVER"; rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
[ -x "$NATS" ] || skip_all "nats-server missing (scripts/deps.sh test)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 CLI missing"
cd "$TMP" || exit 1
NPORT=$(free_port)
server_start() {
    "$NATS" -js -a 127.0.0.1 -p "$NPORT" -sd "$TMP/store" >>server.log 2>&1 &
    SERVER=$!
    wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $NPORT))"
}
server_start || skip_all "nats-server did not start"
URL="nats://127.0.0.1:$NPORT"

"$E" generate --devices 6 --count 3000 --seed 13 >r.jsonl
python3 -c '
import json
for l in open("r.jsonl"):
    r = json.loads(l)
    print("%s|%s|%s" % (r["device_id"], r["ts"], r["co2"]))
' | sort >want
rows_are_input() {
    sqlite3 "$1" "SELECT device_id, ts, co2 FROM r" | sort >got
    cmp got want >/dev/null || { diff got want | head -5; echo "$(wc -l <got) rows"; return 1; }
}
count() { sqlite3 "$1" "SELECT count(*) FROM r" 2>/dev/null || echo 0; }

consumer() { # consumer DB SOURCE_OPTIONS: starts a job nats -> sqlite
    cat >"$1.sql" <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'nats', url = '$URL'$2);
CREATE SINK out WITH (connector = 'sqlite', path = '$1', table = 'r') AS
    SELECT device_id, ts, co2 FROM readings;
SQL
    "$E" run "$1.sql" 2>>"$1.log" &
    SUB=$!
    PIDS="$PIDS $SUB"
}
publisher() { # publisher SINK_OPTIONS [SETTINGS]
    cat >pub.sql <<SQL
${2:-}
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'nats', url = '$URL'$1) AS
    SELECT device_id, ts, co2 FROM readings;
SQL
    "$E" run pub.sql
}

# 1. core NATS: wildcard subscription, publish, counts match.
consumer plain.db ", subject = 'plain.>'"
sleep 1
check "core NATS publishing job exits 0" publisher ", subject = 'plain.readings'"
wait_for 20 sh -c "[ \$(sqlite3 plain.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.3
kill -TERM "$SUB"; wait "$SUB"
check "core NATS -> SQLite: every reading once" rows_are_input plain.db

# 2. JetStream publish with dedupe ids: the same lineage (checkpoint_dir)
#    published twice stores each reading once.
mkdir -p ck
check "JetStream publish exits 0 (stream created)" publisher \
    ", subject = 'js.readings', stream = 'READINGS'" "SET checkpoint_dir = 'ck';"
check "JetStream publish again (replay of the same batches)" publisher \
    ", subject = 'js.readings', stream = 'READINGS'" "SET checkpoint_dir = 'ck';"

# 3. durable pull consumer: everything arrives once; acked after commit, so
#    a restarted consumer gets nothing twice.
consumer js.db ", subject = 'js.readings', stream = 'READINGS', durable = 'ember1', ack_wait = '1s'"
wait_for 20 sh -c "[ \$(sqlite3 js.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.5
kill -TERM "$SUB"; wait "$SUB"
check "JetStream -> SQLite: every reading exactly once (dedupe ids)" rows_are_input js.db
consumer js.db ", subject = 'js.readings', stream = 'READINGS', durable = 'ember1', ack_wait = '1s'"
sleep 3
kill -TERM "$SUB"; wait "$SUB"
check "restarted durable consumer: acked messages not redelivered" rows_are_input js.db
consumer js2.db ", subject = 'js.readings', stream = 'READINGS', durable = 'ember2'"
wait_for 20 sh -c "[ \$(sqlite3 js2.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.3
kill -TERM "$SUB"; wait "$SUB"
check "another durable replays the stream from the start" rows_are_input js2.db
# 4. nats-server restarted while a live job publishes to JetStream: the
#    unacknowledged batch is published again with the same ids; the stream
#    holds every reading once.
PORT=$(free_port)
feeder "$PORT" r.jsonl 15 0.3
cat >live.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'tcp', port = $PORT, reconnect = false);
CREATE SINK out WITH (connector = 'nats', url = '$URL', subject = 'live.readings',
                      stream = 'LIVE', ack_timeout = '1s') AS
    SELECT device_id, ts, co2 FROM readings;
SQL
"$E" run live.sql 2>live.log &
PUB=$!
PIDS="$PIDS $PUB"
sleep 1.5
kill_child "$SERVER"; wait "$SERVER" 2>/dev/null
sleep 3 # longer than ack_timeout: the batch in flight fails and is retried
server_start
wait "$PUB"
check "publisher survives the server restart and exits 0" test $? -eq 0
check "the outage was logged" grep -q "published again" live.log
consumer live.db ", subject = 'live.readings', stream = 'LIVE', durable = 'l1'"
wait_for 30 sh -c "[ \$(sqlite3 live.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.5
kill -TERM "$SUB"; wait "$SUB"
check "restart: every reading in the stream exactly once" rows_are_input live.db

check "unreachable server: exit 1 with a message" sh -c \
    "sed 's#$URL#nats://127.0.0.1:1#' pub.sql >bad.sql; ! '$E' run bad.sql 2>err && grep -q 'connecting to the NATS server' err"
summary
