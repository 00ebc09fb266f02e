#!/usr/bin/env bash
# bench/compare.sh - the sensor workload, side by side, on one input file.
#
#   usage: bench/compare.sh [READINGS]        (default 2000000)
#   env:   EMBER=path/to/ember (default build/ember)
#          FLUENT_BIT=path/to/fluent-bit (optional: also run Fluent Bit)
#          PG_BIN=/usr/lib/postgresql/15/bin (PostgreSQL server binaries)
# needs:   GNU time and python3; sqlite3 and PostgreSQL are skipped with a
#          message when missing (Debian: apt-get install time sqlite3 postgresql)
#
# Writes READINGS simulated readings (`ember generate`, 10,000 devices) as
# NDJSON once, reads the file once so it is in the page cache, then runs, on
# that same file, one after the other:
#   wc -l        the read floor: the cheapest pass over the bytes;
#   ember        `ember run` of the sensor job (QC filter, 1-minute tumbling
#                avg/min/max/count per device, file sink);
#   sqlite3      in-memory database: .import the lines, json_extract the
#                fields, then the same GROUP BY;
#   postgres     a temporary server on a free loopback port: COPY the lines
#                into a jsonb column, then the same GROUP BY;
#   fluent-bit   if FLUENT_BIT is set: tail input with the json parser and a
#                stream processor task (1-minute tumbling AVG/MIN/MAX by
#                device), timed until its input has counted every record.
# Each line shows wall seconds, readings/s, peak RSS and the ratio of
# Ember's rate to the tool's ("Ember x N" = Ember is N times faster). To add
# a peer, write a run_<name> function that times itself with `measure` and
# calls `report` (docs/performance.md).
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000000}
EMBER=${EMBER:-build/ember}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$EMBER" ] || { echo "compare.sh: no ember at $EMBER (build first or set EMBER)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "compare.sh: needs GNU time (apt-get install time)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "compare.sh: needs python3" >&2; exit 2; }
EMBER=$(cd "$(dirname "$EMBER")" && pwd)/$(basename "$EMBER")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-compare.XXXXXX") || exit 1
chmod 755 "$TMP"
PG_PID=""
cleanup() {
    if [ -n "$PG_PID" ]; then pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -m immediate stop >/dev/null 2>&1; fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
DATA=$TMP/readings.jsonl

# measure OUT CMD...: runs CMD; OUT gets "seconds peak_rss_kB" (GNU time)
measure() {
    local out=$1
    shift
    /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>"$out.err"
    local rc=$?
    [ $rc -eq 0 ] || { echo "  (failed, exit $rc: $(tail -n 3 "$out.err" | tr '\n' ' '))" >&2; }
    return $rc
}

EMBER_RATE=""
# report NAME SECONDS RSS_KB NOTE: one result line
report() {
    local name=$1 secs=$2 rss=$3 note=${4:-}
    python3 - "$name" "$secs" "$rss" "$N" "${EMBER_RATE:-0}" "$note" <<'PY'
import sys
name, secs, rss, n, ember_rate, note = sys.argv[1:]
secs, n, ember_rate = float(secs), int(n), float(ember_rate)
rate = n / secs if secs > 0 else float("inf")
rss_s = "%8.1f" % (int(rss) / 1024) if rss not in ("", "-") else "%8s" % "-"
if name == "ember" or not ember_rate:
    ratio = "1.00" if name == "ember" else "-"
elif rate >= ember_rate:
    ratio = "Ember x %.2f (%.0f%% of this floor)" % (ember_rate / rate, 100 * ember_rate / rate)
else:
    ratio = "Ember x %.1f" % (ember_rate / rate)
print("%-12s %9.3f %14.0f %s   %s %s" % (name, secs, rate, rss_s, ratio, note))
PY
}

rate_of() { python3 -c "import sys; print(int(sys.argv[1]) / float(sys.argv[2]))" "$N" "$1"; }

run_wc() {
    measure "$TMP/wc.t" wc -l "$DATA" || return
    read -r s m <"$TMP/wc.t"
    report "wc -l" "$s" "$m" "(read floor)"
}

run_ember() {
    cat >"$TMP/sensor.sql" <<EOF
SET batch_interval = '10ms';
SET max_batch_records = 32768;
SET http = 'off';
SET log_level = 'warn';
SET workers = 1;
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
    WITH (connector = 'file', path = '$DATA', format = 'json');
CREATE VIEW clean AS SELECT * FROM readings WHERE pm25 BETWEEN 0 AND 1000;
CREATE SINK per_minute WITH (connector = 'file', path = '$TMP/ember.out', format = 'json') AS
    SELECT device_id, window_start, window_end, avg(pm25) AS pm25_avg,
           min(pm25) AS pm25_min, max(pm25) AS pm25_max, count(*) AS n
    FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;
EOF
    measure "$TMP/ember.t" "$EMBER" run "$TMP/sensor.sql" || return
    read -r s m <"$TMP/ember.t"
    EMBER_RATE=$(rate_of "$s")
    report ember "$s" "$m" "($(wc -l <"$TMP/ember.out") windows)"
}

run_sqlite() {
    command -v sqlite3 >/dev/null || { echo "sqlite3      (not installed: skipped)"; return; }
    {
        printf 'CREATE TABLE raw(line TEXT);\n.mode ascii\n.separator "\037" "\\n"\n'
        printf '.import %s raw\n.mode list\n' "$DATA"
        cat <<'EOF'
CREATE TABLE readings AS SELECT json_extract(line, '$.device_id') AS device_id,
    json_extract(line, '$.ts') AS ts, json_extract(line, '$.pm25') AS pm25 FROM raw;
CREATE TABLE per_minute AS
    SELECT device_id, substr(ts, 1, 16) AS minute, avg(pm25) AS pm25_avg,
           min(pm25) AS pm25_min, max(pm25) AS pm25_max, count(*) AS n
    FROM readings WHERE pm25 BETWEEN 0 AND 1000 GROUP BY device_id, minute;
SELECT count(*) FROM per_minute;
EOF
    } >"$TMP/sqlite.sql"
    measure "$TMP/sqlite.t" sh -c "sqlite3 :memory: <'$TMP/sqlite.sql' >'$TMP/sqlite.out'" || return
    read -r s m <"$TMP/sqlite.t"
    report sqlite3 "$s" "$m" "($(tail -n 1 "$TMP/sqlite.out") windows; :memory:)"
}

pg_as() { # runs a PostgreSQL binary as the postgres user when we are root
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

run_postgres() {
    [ -x "$PG_BIN/initdb" ] || { echo "postgres     (no $PG_BIN/initdb: skipped)"; return; }
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "postgres     (running as root without a postgres user: skipped)"
        return
    fi
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$TMP/pg" "$TMP/pgsock"
    [ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg" "$TMP/pgsock"
    pg_as "$PG_BIN/initdb" -D "$TMP/pg" -A trust -U postgres >"$TMP/initdb.log" 2>&1 ||
        { echo "postgres     (initdb failed: skipped)"; return; }
    pg_as "$PG_BIN/pg_ctl" -D "$TMP/pg" -l "$TMP/pgsock/log" -w \
        -o "-p $port -k $TMP/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c shared_buffers=256MB" \
        start >/dev/null 2>&1 || { echo "postgres     (server did not start: skipped)"; return; }
    PG_PID=started
    local psql=(psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1)
    cat >"$TMP/pg.sql" <<EOF
CREATE UNLOGGED TABLE raw (j jsonb);
COPY raw FROM '$DATA' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02');
CREATE UNLOGGED TABLE per_minute AS
    SELECT j->>'device_id' AS device_id, date_trunc('minute', (j->>'ts')::timestamptz) AS minute,
           avg((j->>'pm25')::float8) AS pm25_avg, min((j->>'pm25')::float8) AS pm25_min,
           max((j->>'pm25')::float8) AS pm25_max, count(*) AS n
    FROM raw WHERE (j->>'pm25')::float8 BETWEEN 0 AND 1000 GROUP BY 1, 2;
SELECT count(*) FROM per_minute;
EOF
    measure "$TMP/pg.t" sh -c "$(printf '%q ' "${psql[@]}") -t -A -f '$TMP/pg.sql' >'$TMP/pg.out'" ||
        return
    read -r s _ <"$TMP/pg.t"
    local rss
    rss=$(awk '/VmHWM/ {print $2}' /proc/"$(head -n 1 "$TMP/pg/postmaster.pid")"/status 2>/dev/null)
    report postgres "$s" "${rss:--}" "($(tail -n 1 "$TMP/pg.out") windows; COPY + GROUP BY; RSS: postmaster only)"
}

run_fluent_bit() {
    [ -n "${FLUENT_BIT:-}" ] || return
    [ -x "$FLUENT_BIT" ] || { echo "fluent-bit   ($FLUENT_BIT is not executable: skipped)"; return; }
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat >"$TMP/parsers.conf" <<'EOF'
[PARSER]
    Name   json
    Format json
EOF
    cat >"$TMP/streams.conf" <<'EOF'
[STREAM_TASK]
    Name per_minute
    Exec CREATE STREAM per_minute WITH (tag='per_minute') AS SELECT device_id, AVG(pm25), MIN(pm25), MAX(pm25) FROM TAG:'readings' WINDOW TUMBLING (60 SECOND) WHERE pm25 >= 0 AND pm25 <= 1000 GROUP BY device_id;
EOF
    cat >"$TMP/fluent-bit.conf" <<EOF
[SERVICE]
    Flush        1
    Log_Level    error
    HTTP_Server  On
    HTTP_Listen  127.0.0.1
    HTTP_Port    $port
    Parsers_File $TMP/parsers.conf
    Streams_File $TMP/streams.conf
[INPUT]
    Name              tail
    Tag               readings
    Path              $DATA
    Parser            json
    Read_from_Head    On
    Buffer_Chunk_Size 1M
    Buffer_Max_Size   4M
    Mem_Buf_Limit     64M
[OUTPUT]
    Name  null
    Match *
EOF
    local t0 t1 pid
    t0=$(date +%s.%N)
    "$FLUENT_BIT" -c "$TMP/fluent-bit.conf" >"$TMP/fb.log" 2>&1 &
    pid=$!
    # done when the tail input has counted every record
    python3 - "$port" "$N" <<'PY'
import json, sys, time, urllib.request
port, n = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 3600
while time.time() < deadline:
    try:
        m = json.load(urllib.request.urlopen("http://127.0.0.1:%s/api/v1/metrics" % port, timeout=1))
        if sum(v.get("records", 0) for k, v in m.get("input", {}).items() if k.startswith("tail")) >= n:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.01)
sys.exit(1)
PY
    t1=$(date +%s.%N)
    local rss
    rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null)
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    report fluent-bit "$(python3 -c "print($t1 - $t0)")" "${rss:--}" "(tail + stream processor)"
}

echo "compare.sh: $N readings, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores"
"$EMBER" generate --devices 10000 --count "$N" --seed 1 >"$DATA" || exit 1
chmod 644 "$DATA"
# written back before any tool is timed: the kernel's writeback of the fresh
# file otherwise runs during the first tool's run (Ember's); then read into
# the page cache
sync "$DATA"
cat "$DATA" >/dev/null
echo "input: $DATA, $(wc -c <"$DATA") bytes"
printf '%-12s %9s %14s %8s   %s\n' tool seconds readings/s rss_MiB "ratio (Ember's rate / tool's)"
run_ember
run_wc
run_sqlite
run_postgres
run_fluent_bit
