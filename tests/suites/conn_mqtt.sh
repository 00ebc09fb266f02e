#!/bin/sh
# tests/suites/conn_mqtt.sh - the mqtt source and sink against a mosquitto
# broker this suite starts on a free loopback port (generated config, temp
# dir) and stops on exit. Ember publishes with one job and subscribes with
# another; the subscriber writes into SQLite, read back with sqlite3.
# Also: a kill -9 of the subscriber mid-stream (the push log keeps what was
# acknowledged) and back pressure over the push log's quota.
#   usage: [KEEP=1] tests/suites/conn_mqtt.sh BUILD_DIR [ASAN_DIR]
#   (KEEP=1 leaves the temp dir with the logs and databases)
set -u
BUILD=${1:?usage: conn_mqtt.sh BUILD_DIR [ASAN_DIR]}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-mqtt.XXXXXX") || exit 1
BROKER=""
broker_stop() { kill_child "$BROKER" && wait "$BROKER" 2>/dev/null; BROKER=""; }
trap 'kill_all; broker_stop; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQ" ] || skip_all "mosquitto missing (scripts/deps.sh test)"
command -v sqlite3 >/dev/null || skip_all "sqlite3 CLI missing"
cd "$TMP" || exit 1
MPORT=$(free_port)
cat >mosquitto.conf <<CONF
listener $MPORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $TMP/
autosave_interval 1
max_queued_messages 100000
CONF
broker_start() {
    "$MOSQ" -c mosquitto.conf >>broker.log 2>&1 &
    BROKER=$!
    wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $MPORT))"
}
broker_start || skip_all "mosquitto did not start"

"$E" generate --devices 6 --count 3000 --seed 11 >r.jsonl
python3 -c '
import json
for l in open("r.jsonl"):
    r = json.loads(l)
    print("%s|%s|%s" % (r["device_id"], r["ts"], r["co2"]))
' | sort >want
rows_are_input() { # DB: table r holds exactly the input rows
    sqlite3 "$1" "SELECT device_id, ts, co2 FROM r" | sort >got
    cmp got want >/dev/null || { diff got want | head -5; echo "$(wc -l <got) rows"; return 1; }
}
count() { sqlite3 "$1" "SELECT count(*) FROM r" 2>/dev/null || echo 0; }

subscriber() { # subscriber DB CLIENT_ID EXTRA_SINK_OPTIONS [EXTRA_SOURCE_OPTIONS]
    cat >sub.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = 'sensors/+/readings',
          qos = 1, topic_columns = 'device_id=2', client_id = '$2', clean_session = false${4:-});
CREATE SINK out WITH (connector = 'sqlite', path = '$1', table = 'r'$3) AS
    SELECT device_id, ts, co2 FROM readings;
SQL
    "$E" run sub.sql 2>"$1.log" &
    SUB=$!
    PIDS="$PIDS $SUB"
    wait_for 10 grep -q "subscribed" "$1.log"
}

# 1. publish 3000 readings (topic per device, QoS 1) -> subscribe with a
#    wildcard, device id from the topic -> SQLite: counts match exactly.
subscriber a.db sub-a ""
cat >pub.sql <<SQL
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT',
                      topic = 'sensors/{dev}/readings', qos = 1) AS
    SELECT device_id AS dev, ts, co2 FROM readings;
SQL
check "publishing job exits 0 once the broker acknowledged everything" "$E" run pub.sql
wait_for 20 sh -c "[ \$(sqlite3 a.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.5
kill -TERM "$SUB"; wait "$SUB"
check "MQTT -> ember -> SQLite: every reading exactly once" rows_are_input a.db
check "device id taken from the topic level" sh -c \
    "[ \$(sqlite3 a.db 'SELECT count(DISTINCT device_id) FROM r') -eq 6 ]"

# 2. persistent session: readings published while the subscriber is away
#    are queued by the broker and delivered when it comes back.
check "publishing while the subscriber is away" "$E" run pub.sql
subscriber c.db sub-a ""
wait_for 20 sh -c "[ \$(sqlite3 c.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.5
kill -TERM "$SUB"; wait "$SUB"
check "persistent session: the queued readings arrive, exactly once" rows_are_input c.db

# the same with MQTT 5 (a session lasts its expiry interval)
subscriber d.db sub-d "" ", protocol = '5'"
kill -TERM "$SUB"; wait "$SUB"
"$E" run pub.sql
subscriber d.db sub-d "" ", protocol = '5'"
wait_for 20 sh -c "[ \$(sqlite3 d.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.5
kill -TERM "$SUB"; wait "$SUB"
check "MQTT 5 persistent session: queued readings arrive, exactly once" rows_are_input d.db

# 3. mosquitto restarted mid-stream, QoS 1 and a persistent session: the
#    publisher's unacknowledged batch is published again and the broker
#    keeps the subscriber's queue; the SQLite sink, keyed on (device_id, ts),
#    holds every reading exactly once.
subscriber b.db sub-b ", key = 'device_id, ts'"
PORT=$(free_port)
feeder "$PORT" r.jsonl 15 0.3
cat >live.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'tcp', port = $PORT, reconnect = false);
CREATE SINK out WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT',
                      topic = 'sensors/{dev}/readings', qos = 1, ack_timeout = '1s') AS
    SELECT device_id AS dev, ts, co2 FROM readings;
SQL
"$E" run live.sql 2>live.log &
PUB=$!
PIDS="$PIDS $PUB"
wait_for 20 sh -c "[ \$(sqlite3 b.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -gt 200 ]"
broker_stop
sleep 1
broker_start
wait "$PUB"
check "publisher survives the broker restart and exits 0" test $? -eq 0
wait_for 30 sh -c "[ \$(sqlite3 b.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 0.5
kill -TERM "$SUB"; wait "$SUB"
check "restart: every reading in SQLite exactly once" rows_are_input b.db
check "restart: the outage was logged and the batch published again" sh -c \
    "grep -q 'lost the connection' live.log && grep -q 'published again' live.log"
check "restart: the subscriber reconnected" grep -q "lost the connection" b.db.log

# 5. kill -9 of the subscriber in the middle of a QoS 1 stream (persistent
#    session, checkpoint dir, 1 s batches so a second of readings is always
#    acknowledged to the broker but not yet in a committed batch): those
#    readings are in the source's push log, so after a restart every
#    reading is in SQLite exactly once (the key absorbs the messages the
#    broker delivers again because their PUBACK had not left).
cat >crash.sql <<SQL
SET batch_interval = '1s';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = 'sensors/+/readings',
          qos = 1, topic_columns = 'device_id=2', client_id = 'sub-crash', clean_session = false);
CREATE SINK out WITH (connector = 'sqlite', path = 'e.db', table = 'r', key = 'device_id, ts') AS
    SELECT device_id, ts, co2 FROM readings;
SQL
"$E" run crash.sql --checkpoint ck 2>e1.log &
SUB=$!
PIDS="$PIDS $SUB"
wait_for 10 grep -q "subscribed" e1.log
PORT=$(free_port)
feeder "$PORT" r.jsonl 30 0.2
sed "s/port = [0-9]*/port = $PORT/" live.sql >live2.sql
"$E" run live2.sql 2>live2.log &
PUB=$!
PIDS="$PIDS $PUB"
wait_for 20 sh -c "[ \$(sqlite3 e.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -gt 300 ]"
sleep 0.5
kill -KILL "$SUB"; wait "$SUB" 2>/dev/null
killed_at=$(count e.db)
check "kill -9 mid-stream: readings were still arriving" test "$killed_at" -lt 3000
wal_readings() { # distinct readings in the push log's segments (framed u32 len, u32 crc, bytes)
    python3 - ck/sources/readings/wal-*.log <<'PY'
import json, os, struct, sys
seen = set()
for path in sys.argv[1:]:
    if not os.path.exists(path):
        continue
    data, pos = open(path, 'rb').read(), 0
    while pos + 8 <= len(data):
        n = struct.unpack_from('<I', data, pos)[0]
        for line in data[pos + 8:pos + 8 + n].splitlines():
            if line.strip():
                r = json.loads(line)
                seen.add((r['device_id'], r['ts']))
        pos += 8 + n
print(len(seen))
PY
}
check "kill -9: the source's push log is in the checkpoint" sh -c "ls ck/sources/readings/wal-*.log"
in_wal=$(wal_readings)
check "kill -9: the push log held readings not yet in SQLite ($in_wal > $killed_at)" \
    test "$in_wal" -gt "$killed_at"
sleep 0.5
"$E" run crash.sql --checkpoint ck 2>e2.log &
SUB=$!
PIDS="$PIDS $SUB"
wait "$PUB"
wait_for 30 sh -c "[ \$(sqlite3 e.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 3000 ]"
sleep 1.5
kill -TERM "$SUB"; wait "$SUB"
check "kill -9 and restart: every reading in SQLite exactly once" rows_are_input e.db

# 6. back pressure: while the SQLite sink cannot write (another process
#    holds the database locked) batches do not commit, the push log reaches
#    its quota and the source stops reading from the broker, which keeps
#    the rest; once the lock goes, every reading arrives exactly once.
#    (This job acknowledges after fdatasync: ack_after = 'sync'.)
"$E" generate --devices 20 --count 20000 --seed 12 >q.jsonl
python3 -c '
import json
for l in open("q.jsonl"):
    r = json.loads(l)
    print("%s|%s|%s" % (r["device_id"], r["ts"], r["co2"]))
' | sort >want_q
cat >quota.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, co2 BIGINT)
    WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = 'quota/+/r',
          qos = 1, topic_columns = 'device_id=2', client_id = 'sub-quota',
          clean_session = false, quota = 1048576, ack_after = 'sync');
CREATE SINK out WITH (connector = 'sqlite', path = 'f.db', table = 'r', key = 'device_id, ts',
                      busy_timeout = '50ms') AS
    SELECT device_id, ts, co2 FROM readings;
SQL
"$E" run quota.sql 2>f.log &
SUB=$!
PIDS="$PIDS $SUB"
wait_for 10 grep -q "subscribed" f.log
wait_for 10 grep -q "job started" f.log
timeout 60 python3 -c '
import sqlite3, time
c = sqlite3.connect("f.db", isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open("locked", "w").close()
time.sleep(8)
c.execute("COMMIT")
' &
LOCK=$!
PIDS="$PIDS $LOCK"
wait_for 10 test -f locked
sed "s/r.jsonl/q.jsonl/; s#sensors/{dev}/readings#quota/{dev}/r#" pub.sql >pubq.sql
check "back pressure: publishing 20000 readings (1.5 MB) exits 0" "$E" run pubq.sql
check "back pressure: over the quota the source stops reading from the broker" \
    wait_for 10 grep -q "not reading from the broker" f.log
wait "$LOCK"
wait_for 40 sh -c "[ \$(sqlite3 f.db 'SELECT count(*) FROM r' 2>/dev/null || echo 0) -ge 20000 ]"
sleep 0.5
kill -TERM "$SUB"; wait "$SUB"
rows_q() {
    sqlite3 f.db "SELECT device_id, ts, co2 FROM r" | sort >got_q
    cmp got_q want_q >/dev/null || { diff got_q want_q | head -5; echo "$(wc -l <got_q) rows"; return 1; }
}
check "back pressure: after the lock every reading is in SQLite exactly once" rows_q
check "back pressure: reading resumed below the quota" grep -q "below its quota again" f.log

# 4. bad options are errors naming the option
sed 's/topic_columns = .device_id=2./topic_columns = '"'nope=2'"'/' sub.sql >bad.sql
check "unknown topic column: exit 1 naming it" sh -c "! '$E' run bad.sql 2>err && grep -q \"topic_columns\" err"
sed 's#mqtt://127.0.0.1#http://127.0.0.1#' pub.sql >bad2.sql
check "bad url scheme: exit 1" sh -c "! '$E' run bad2.sql 2>err && grep -q \"option 'url'\" err"
summary
