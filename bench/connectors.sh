#!/bin/sh
# bench/connectors.sh - throughput of the connectors, end to end through
# real `ember run` jobs and real servers started in a temp dir (like the
# test suites), printed as figures. Not part of `make test`.
#   usage: bench/connectors.sh [BUILD_DIR] [ROWS]
# Figures: sqlite and postgres sink rows/s (generator -> sink, compared with
# the same job writing to /dev/null), MQTT publish and ingest readings/s
# (QoS 1; ingest drains what the broker queued for a persistent session).
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

if command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; then
    MPORT=$(port)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$MPORT" >m.conf
    $(command -v mosquitto || echo /usr/sbin/mosquitto) -c m.conf >/dev/null 2>&1 &
    BROKER=$!
    sleep 0.5
    M=$((N / 5))
    cat >sub.sql <<SQL
SET batch_interval = '100ms';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT)
    WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = 'bench/+', qos = 1,
          client_id = 'bench', clean_session = false);
CREATE SINK out WITH (connector = 'file', path = 'sub.jsonl') AS SELECT * FROM readings;
SQL
    cat >pub.sql <<SQL
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT)
    WITH (connector = 'generator', devices = 1000, count = $M);
CREATE SINK out WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = 'bench/{device_id}', qos = 1) AS
    SELECT * FROM readings;
SQL
    # the subscriber's persistent session exists; the broker queues what is
    # published while it is away; then ember drains the queue (ingest only)
    "$E" run sub.sql --set log_level=warn --set http=off &
    SUB=$!
    sleep 1
    kill "$SUB"; wait "$SUB" 2>/dev/null
    t0=$(now)
    "$E" run pub.sql --set log_level=warn --set http=off
    t1=$(now)
    printf '%-44s %s\n' "MQTT publish QoS 1 (ember -> mosquitto)" "$(rate "$M" "$t0" "$t1")"
    rm -f sub.jsonl
    t0=$(now)
    "$E" run sub.sql --set log_level=warn --set http=off &
    SUB=$!
    i=0
    while [ "$(cat sub.jsonl 2>/dev/null | wc -l)" -lt "$M" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
    t1=$(now)
    kill "$SUB"; wait "$SUB" 2>/dev/null
    printf '%-44s %s\n' "MQTT ingest QoS 1 (mosquitto -> ember)" "$(rate "$(wc -l <sub.jsonl)" "$t0" "$t1")"
fi
