#!/bin/sh
# bench/connectors.sh - throughput of the connectors, end to end through
# real `ember run` jobs and real servers started in a temp dir (like the
# test suites), printed as figures. Not part of `make test`.
#   usage: [ONLY=mqtt] bench/connectors.sh [BUILD_DIR] [ROWS]
# Figures: sqlite and postgres sink rows/s (generator -> sink, compared with
# the same job writing to /dev/null), MQTT publish and ingest readings/s
# (ingest drains what the broker queued for a persistent session: QoS 1
# and 0, one reading a message and MQTT_PER_MESSAGE (10) NDJSON lines a
# message; MQTT_INFLIGHT sets the broker's max_inflight_messages).
set -u
BUILD=${1:-build}
N=${2:-1000000}
E=$(cd "$BUILD" && pwd)/ember
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-bench.XXXXXX") || exit 1
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
BROKER=""
cleanup() {
    [ -n "$BROKER" ] && kill "$BROKER" 2>/dev/null
    [ -f "$TMP/pg/data/postmaster.pid" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
cd "$TMP" || exit 1
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; n, t = float(sys.argv[1]), float(sys.argv[3]) - float(sys.argv[2]); print('%.0f rows/s (%.0f rows in %.2f s)' % (n / t, n, t))" "$@"; }

job() { # job SINK_WITH SELECT_SUFFIX
    cat >job.sql <<SQL
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT, temperature DOUBLE)
    WITH (connector = 'generator', devices = 1000, count = $N);
CREATE SINK out WITH ($1) AS $2;
SQL
    t0=$(now)
    "$E" run job.sql --set log_level=warn --set http=off || echo "job failed"
    t1=$(now)
    rate "$N" "$t0" "$t1"
}
RAW="SELECT device_id, ts, pm25, co2, temperature FROM readings"
AGG="SELECT device_id, count(*) AS n, avg(pm25) AS pm25_avg FROM readings GROUP BY device_id"

echo "ember connector benchmarks: $N generated readings, $(nproc) cores"
if [ "${ONLY:-}" != mqtt ]; then
printf '%-44s %s\n' "generator -> file /dev/null (baseline)" "$(job "connector = 'file', path = '/dev/null'" "$RAW")"
printf '%-44s %s\n' "generator -> sqlite (append)" "$(job "connector = 'sqlite', path = 'b.db', table = 'raw'" "$RAW")"
printf '%-44s %s\n' "generator -> sqlite (upsert, 1000 keys)" "$(job "connector = 'sqlite', path = 'b.db', table = 'agg'" "$AGG")"

if [ -n "$PGBIN" ] && id postgres >/dev/null 2>&1; then
    mkdir -p pg && chown postgres pg && chmod 755 "$TMP"
    PGPORT=$(port)
    runuser -u postgres -- "$PGBIN/initdb" -D pg/data -A trust -U ember --no-sync >/dev/null 2>&1
    runuser -u postgres -- "$PGBIN/pg_ctl" -D pg/data -l pg/log -w -o \
        "-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1" start >/dev/null
    URL="postgresql://ember@127.0.0.1:$PGPORT/postgres"
    printf '%-44s %s\n' "generator -> postgres (COPY)" "$(job "connector = 'postgres', url = '$URL', table = 'raw'" "$RAW")"
    printf '%-44s %s\n' "generator -> postgres (upsert, 1000 keys)" "$(job "connector = 'postgres', url = '$URL', table = 'agg'" "$AGG")"
fi
fi

if command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; then
    MPORT=$(port)
    # no queue limits; QoS 0 messages are queued for absent persistent
    # sessions too, so every ingest figure drains a queue the broker holds;
    # MQTT_INFLIGHT (default 20, mosquitto's default) is how many QoS 1
    # messages the broker sends before it waits for our PUBACKs
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_queued_bytes 0\nqueue_qos0_messages true\nmax_inflight_messages %s\n' \
        "$MPORT" "${MQTT_INFLIGHT:-20}" >m.conf
    $(command -v mosquitto || echo /usr/sbin/mosquitto) -c m.conf >/dev/null 2>&1 &
    BROKER=$!
    sleep 0.5
    M=$((N / 5))
    sub_sql() { # sub_sql NAME CLIENT_ID QOS TOPIC [SOURCE_OPTIONS]
        cat >"sub-$1.sql" <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT)
    WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = '$4', qos = $3,
          client_id = '$2', clean_session = false${5:-});
CREATE SINK out WITH (connector = 'file', path = 'sub-$1.jsonl') AS SELECT * FROM readings;
SQL
    }
    register() { # register NAME: the persistent session exists (the broker queues for it)
        "$E" run "sub-$1.sql" --set log_level=warn --set http=off &
        SUB=$!
        sleep 1
        kill "$SUB"; wait "$SUB" 2>/dev/null
        rm -f "sub-$1.jsonl"
    }
    drain() { # drain NAME READINGS LABEL: ember ingests what the broker queued
        t0=$(now)
        "$E" run "sub-$1.sql" --set log_level=warn --set http=off &
        SUB=$!
        i=0
        while [ "$(cat "sub-$1.jsonl" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
        t1=$(now)
        kill "$SUB"; wait "$SUB" 2>/dev/null
        printf '%-44s %s\n' "$3" "$(rate "$(cat "sub-$1.jsonl" | wc -l)" "$t0" "$t1")"
    }
    # one reading a message: ember's mqtt sink publishes the generator's rows
    sub_sql q1 bench 1 'bench/+'
    sub_sql q0 bench0 0 'bench/+'
    sub_sql q1s benchs 1 'bench/+' ", ack_after = 'sync'"
    for c in q1 q0 q1s; do register "$c"; done
    cat >pub.sql <<SQL
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT)
    WITH (connector = 'generator', devices = 1000, count = $M);
CREATE SINK out WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = 'bench/{device_id}', qos = 1) AS
    SELECT * FROM readings;
SQL
    t0=$(now)
    "$E" run pub.sql --set log_level=warn --set http=off
    t1=$(now)
    printf '%-44s %s\n' "MQTT publish QoS 1 (ember -> mosquitto)" "$(rate "$M" "$t0" "$t1")"
    drain q1 "$M" "MQTT ingest QoS 1, 1 reading/message"
    drain q1s "$M" "  the same, PUBACK after fdatasync"
    drain q0 "$M" "MQTT ingest QoS 0, 1 reading/message"

    # several readings a message (NDJSON lines), published by a plain
    # MQTT 3.1.1 client (python, QoS 1, pipelined)
    K=${MQTT_PER_MESSAGE:-10}
    "$E" generate --devices 1000 --count "$M" --seed 5 >multi.jsonl
    cat >mpub.py <<'PY'
import socket, struct, sys, threading
port, k, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def rl(n):
    out = b''
    while True:
        b, n = n % 128, n // 128
        out += bytes([b | (128 if n else 0)])
        if not n:
            return out
lines = open(path, 'rb').read().splitlines()
msgs = [b'\n'.join(lines[i:i + k]) for i in range(0, len(lines), k)]
s = socket.create_connection(('127.0.0.1', port))
cid = b'bench-pub'
var = struct.pack('!H', 4) + b'MQTT' + bytes([4, 2]) + struct.pack('!H', 60) + struct.pack('!H', len(cid)) + cid
s.sendall(b'\x10' + rl(len(var)) + var)
acks = [0]
def reader():
    buf, need = b'', 4 + 4 * len(msgs)  # CONNACK, then a PUBACK per message
    got = 0
    while got < need:
        d = s.recv(65536)
        if not d:
            break
        got += len(d)
        acks[0] = (got - 4) // 4
t = threading.Thread(target=reader)
t.start()
out = []
for i, m in enumerate(msgs):
    topic = b'multi/' + m[14:22]
    body = struct.pack('!H', len(topic)) + topic + struct.pack('!H', i % 65535 + 1) + m
    out.append(b'\x32' + rl(len(body)) + body)
    if len(out) == 1000:
        while i - acks[0] > 30000:
            threading.Event().wait(0.001)
        s.sendall(b''.join(out))
        out = []
s.sendall(b''.join(out))
t.join()
s.sendall(b'\xe0\x00')
s.close()
PY
    sub_sql q1k multi 1 'multi/+'
    sub_sql q0k multi0 0 'multi/+'
    for c in q1k q0k; do register "$c"; done
    python3 mpub.py "$MPORT" "$K" multi.jsonl
    drain q1k "$M" "MQTT ingest QoS 1, $K readings/message"
    drain q0k "$M" "MQTT ingest QoS 0, $K readings/message"
fi
