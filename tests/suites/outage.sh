#!/bin/sh
# tests/suites/outage.sh - a sink's server down for 60 s under live HTTP
# ingest, for the postgres and the webhook sinks, one after the other.
#
# Each scenario runs a real `ember run` job (http source with a checkpoint
# and a 1 MiB push-log quota, one sink), a client posting numbered readings
# at a steady rate (tests/lib/outage_client.py, which resends whatever got
# a 503), and stops the sink's server for OUTAGE_SECONDS (default 60) in the
# middle. It asserts what a user sees: the ingest keeps answering 200 until
# the quota, then 503 with Retry-After; the log names the sink and the
# server's error; /metrics has ember_sink_up 0 and /api/v1/sinks status
# "failing" with failing_since and last_error; once the server is back the
# same Ember process turns the sink ok again by itself, and every reading
# the client got a 200 for is at the server exactly once (webhook: once
# after de-duplicating by Idempotency-Key, no key with two bodies). Figures
# (how long the push log lasted, recovery and drain times) are printed as
# "figure:" lines. OUTAGE_SCENARIOS='postgres' or 'webhook' runs one,
# OUTAGE_KEEP=1 keeps the directory with every log and record.
#   usage: tests/suites/outage.sh BUILD_DIR [ASAN_DIR]
set -u
BUILD=${1:?usage: outage.sh BUILD_DIR [ASAN_DIR]}
OUTAGE=${OUTAGE_SECONDS:-60}
RATE=600      # readings/s: ~40 KB/s into the push log, so 1 MiB lasts ~25 s
PER=50        # readings per request: 12 requests/s, each waiting for an fsync
QUOTA=1048576 # the smallest quota the http source takes
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-outage.XXXXXX") || exit 1
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pg() { # runs a PostgreSQL tool as the server's owner
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_stop() { [ -f "$TMP/pg/data/postmaster.pid" ] && pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop >/dev/null 2>&1; }
# OUTAGE_KEEP=1 keeps the directory (logs, client events, receiver records)
trap 'kill_all; pg_stop; [ -n "${OUTAGE_KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"' EXIT INT TERM
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
. "$LIB/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
cd "$TMP" || exit 1

now() { date +%s.%N | cut -c1-14; }
since() { python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# sink_state HTTP_PORT SINK: one line "status|failing_since|last_error|up|errors"
# (up and errors are ember_sink_up and ember_sink_errors_total)
# from GET /api/v1/sinks and GET /metrics (what a user's dashboard reads)
sink_state() {
    python3 - "$1" "$2" <<'PY'
import json, re, sys, urllib.request
port, name = sys.argv[1], sys.argv[2]
base = 'http://127.0.0.1:%s' % port
try:
    sinks = json.load(urllib.request.urlopen(base + '/api/v1/sinks', timeout=5))['sinks']
    s = [x for x in sinks if x['name'] == name][0]
    m = urllib.request.urlopen(base + '/metrics', timeout=5).read().decode()
    def metric(m_name):
        v = re.search(r'^%s\{sink="%s"\} (\S+)$' % (m_name, re.escape(name)), m, re.M)
        return v.group(1) if v else '-'
    print('%s|%s|%s|%s|%s' % (s['status'], s['failing_since'], s['last_error'],
                              metric('ember_sink_up'), metric('ember_sink_errors_total')))
except Exception as e:
    print('unreachable|-|%s|-|-' % e)
PY
}

status_is() { # status_is SINK STATUS: the sink's REST status is STATUS
    sink_state "$HP" "$1" | grep -q "^$2|"
}

last_acked_before() { # last_acked_before T: the highest seq acknowledged before time T
    awk -F'\t' -v t="$1" '$1 < t && $2 == 200 { s = $4 } END { print s + 0 }' client/events
}

# accepting_again T: prints when the push back that followed time T ended
# (the first 200 after the last 503), once the client has had only 200s
# for 3 s; fails before that
accepting_again() {
    python3 - "$1" <<'PY'
import sys, time
t = float(sys.argv[1])
ev = [l.split('\t') for l in open('client/events')]
ev = [(float(e[0]), e[1]) for e in ev if float(e[0]) > t]
last = max([w for w, st in ev if st != '200'], default=t)
ok = [w for w, st in ev if w > last and st == '200']
sys.exit(not (ok and time.time() - last >= 3) or print('%.3f' % ok[0]))
PY
}

batches_done() { # micro-batches completed so far, from /metrics
    curl -s "http://127.0.0.1:$HP/metrics" |
        awk '/^ember_batches_total\{status="completed"\}/ { print $2 }'
}

# cadence_checks WHO: once the server is back, micro-batches run at their
# 50 ms interval again (one slow batch must not space the next ones out)
cadence_checks() {
    b0=$(batches_done)
    sleep 5
    b1=$(batches_done)
    check "$1: micro-batches back to their interval after the outage ($((b1 - b0)) in 5 s, want >= 25)" \
        test $((b1 - b0)) -ge 25
}

# recovery_checks WHO SINK WHAT: once the server (WHAT) is back and the
# backlog delivered: the cadence, the sink ok again in REST and /metrics
# without a restart, push back over; then the client stops (T_UP, T_OK set)
recovery_checks() {
    cadence_checks "$1"
    check "$1: sink ok again by itself ($(since "$T_UP" "$T_OK") s after the $3 returned)" \
        status_is "$2" ok
    check "$1: /metrics shows ember_sink_up 1 again" sh -c \
        "curl -s http://127.0.0.1:$HP/metrics | grep -qx 'ember_sink_up{sink=\"$2\"} 1'"
    wait_for 90 accepting_again "$T_UP"
    T_ACCEPT=$(accepting_again "$T_UP" || now)
    # the push log keeps what was read until a snapshot every sink has
    # passed covers it: push back may outlast the delivery by a little
    check "$1: push back ends by itself ($(since "$T_UP" "$T_ACCEPT") s after the $3 returned, limit 35 s)" \
        python3 -c "import sys; sys.exit(not $T_ACCEPT - $T_UP <= 35)"
    touch stop
    wait "$CLIENT"
}

# start_job SQL LOG: runs the job in the background (JOB = its pid) and
# waits for its web server
start_job() {
    "$E" run "$1" --checkpoint ck 2>"$2" &
    JOB=$!
    PIDS="$PIDS $JOB"
    wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$HP/healthz"
}

# start_client: the posting client in the background (CLIENT = its pid)
start_client() {
    rm -f stop
    python3 "$LIB/outage_client.py" "http://127.0.0.1:$HP/ingest/readings" client stop \
        "$RATE" "$PER" 600 2>client.err &
    CLIENT=$!
    PIDS="$PIDS $CLIENT"
}

# watch_outage SINK SECONDS: samples the sink's state every second while
# the server is down, into states (time|state)
watch_outage() {
    end=$(($(date +%s) + $2))
    while [ "$(date +%s)" -lt "$end" ]; do
        echo "$(now)|$(sink_state "$HP" "$1")" >>states
        sleep 1
    done
}

# outage_checks SINK LOG SERVER_ERROR_REGEX: the assertions on what was
# observable during the outage (T_DOWN..T_UP), shared by both scenarios
outage_checks() {
    sink=$1 log=$2 errre=$3
    check "$sink: ingest kept answering 200 after the server stopped" sh -c \
        "awk -F'\t' -v d=$T_DOWN '\$1 > d + 1 && \$2 == 200' client/events | grep -q ."
    check "$sink: push log quota reached during the outage: 503 with Retry-After" python3 -c "
import json, sys
s = json.load(open('client/summary'))
ev = [l.split('\t') for l in open('client/events')]
first = [float(e[0]) for e in ev if e[1] == '503']
print(s)
sys.exit(not (first and $T_DOWN < first[0] < $T_UP and s['status_503_without_retry_after'] == 0))"
    check "$sink: no request failed otherwise (only 200 and 503 answers)" sh -c \
        "! awk -F'\t' '\$2 != 200 && \$2 != 503' client/events | grep ."
    check "$sink: the log names the sink and the server's error" sh -c \
        "grep '\\[sink $sink\\]' '$log' | grep -Eq '$errre'"
    check "$sink: REST shows status failing with failing_since and last_error" sh -c \
        "grep -q '|failing|20[0-9-]*T[0-9:.]*Z|[a-z]' states"
    check "$sink: /metrics shows ember_sink_up 0 during the outage" sh -c \
        "cut -d'|' -f2,5 states | grep -qx 'failing|0'"
    check "$sink: /metrics: ember_sink_errors_total grows while the server is down" sh -c \
        "[ \$(grep '|failing|' states | tail -n 1 | cut -d'|' -f6) -gt \$(grep '|failing|' states | head -n 1 | cut -d'|' -f6) ]"
}

# delivered_checks SINK GOT: after the server is back, without a restart
delivered_checks() {
    sink=$1 got=$2
    check "$sink: the same Ember process served the whole outage" kill -0 "$JOB"
    check "$sink: every acknowledged reading delivered exactly once" \
        python3 "$LIB/outage_check.py" exactly "$got" client/acked client/summary
    echo "figure: $sink: $(cat "$TMP/check.out")"
    kill "$JOB" 2>/dev/null
    wait "$JOB"
    check "$sink: graceful stop afterwards exits 0" test $? -eq 0
}

# figures SINK: how long the push log lasted, recovery and drain times
figures() {
    python3 - "$1" "$T_DOWN" "$T_UP" "$T_OK" "$T_ACCEPT" "$T_DRAIN" <<'PY'
import json, sys
sink, down, up, ok, accept, drained = sys.argv[1], *map(float, sys.argv[2:])
ev = [l.split('\t') for l in open('client/events')]
per = int(ev[0][3]) - int(ev[0][2]) + 1
before = [float(e[0]) for e in ev if float(e[0]) < down and e[1] == '200']
rate = (len(before) - 1) * per / (before[-1] - before[0]) if len(before) > 1 else 0
first = [float(e[0]) for e in ev if e[1] == '503']
acked_down = sum(per for e in ev if down <= float(e[0]) < up and e[1] == '200')
s = json.load(open('client/summary'))
print('figure: %s: client rate %.0f readings/s; push log (quota 1 MiB) lasted %s after the '
      'server stopped; %d readings acknowledged while it was down; %d answers 503 '
      '(push back), each resent; after the server returned: sink ok in %.1f s, '
      'the push log backlog delivered in %.1f s, push back over in %.1f s'
      % (sink, rate, '%.1f s' % (first[0] - down) if first else 'the whole outage', acked_down,
         s['status_503'], ok - up, drained - up, accept - up))
PY
}

# ---------------------------------------------------------------- postgres
scenario_postgres() {
    [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { check "postgres: server binaries (scripts/deps.sh test)" false; return; }
    mkdir -p "$TMP/pg" && chmod 755 "$TMP"
    [ "$(id -u)" -eq 0 ] && chown postgres "$TMP/pg"
    PGPORT=$(free_port)
    pg "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U ember --no-sync >initdb.log 2>&1 ||
        { check "postgres: initdb" false; return; }
    pg_start() {
        pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -l "$TMP/pg/server.log" -w -o \
            "-p $PGPORT -k $TMP/pg -c listen_addresses=127.0.0.1" start >/dev/null
    }
    pg_start || { check "postgres: server starts" false; return; }
    psq() { psql -X -q -A -t -h 127.0.0.1 -p "$PGPORT" -U ember postgres -c "$1"; }
    mkdir -p pgs && cd pgs || return
    HP=$(free_port)
    cat >job.sql <<SQL
SET batch_interval = '50ms';
SET http = '127.0.0.1:$HP';
CREATE SOURCE readings (device_id TEXT, seq BIGINT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'http', quota = $QUOTA);
CREATE SINK raw WITH (connector = 'postgres', table = 'readings',
                      url = 'postgresql://ember@127.0.0.1:$PGPORT/postgres') AS
    SELECT device_id, seq, ts, pm25 FROM readings;
SQL
    start_job job.sql run.log || { check "postgres: job starts" false; return; }
    start_client
    check "postgres: readings reach PostgreSQL before the outage" wait_for 20 sh -c \
        "[ \$(psql -X -A -t -h 127.0.0.1 -p $PGPORT -U ember postgres -c 'SELECT count(*) FROM readings') -gt 1000 ]"
    T_DOWN=$(now)
    pg "$PGBIN/pg_ctl" -D "$TMP/pg/data" -m fast -w stop >/dev/null 2>&1
    watch_outage raw "$OUTAGE"
    pg_start
    T_UP=$(now)
    wait_for 60 status_is raw ok
    T_OK=$(now)
    last=$(last_acked_before "$T_UP")
    wait_for 60 sh -c "[ \$(psql -X -A -t -h 127.0.0.1 -p $PGPORT -U ember postgres -c 'SELECT count(*) FROM readings WHERE seq = $last') -gt 0 ]"
    T_DRAIN=$(now)
    recovery_checks postgres raw server
    acked=$(wc -l <client/acked)
    wait_for 60 sh -c "[ \$(psql -X -A -t -h 127.0.0.1 -p $PGPORT -U ember postgres -c 'SELECT count(*) FROM readings') -ge $acked ]"
    sleep 1 # anything a duplicate would add arrives too
    psq "SELECT seq FROM readings" >got
    outage_checks raw run.log \
        'failed: .*(terminating connection|server closed the connection|Connection refused|could not connect|could not send|could not receive|no connection to the server).*outage begins'
    delivered_checks raw got
    check "postgres: the outage's end is logged with its duration" grep -q "reachable again after" run.log
    figures raw
    cd "$TMP" || return
    pg_stop
}

# ----------------------------------------------------------------- webhook
scenario_webhook() {
    mkdir -p hook && cd hook || return
    HP=$(free_port)
    RP=$(free_port)
    receiver() {
        python3 "$LIB/outage_receiver.py" "$RP" recv 2>>recv.err &
        RECV=$!
        PIDS="$PIDS $RECV"
        wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $RP))"
    }
    receiver || { check "webhook: receiver starts" false; return; }
    cat >job.sql <<SQL
SET batch_interval = '50ms';
SET http = '127.0.0.1:$HP';
CREATE SOURCE readings (device_id TEXT, seq BIGINT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'http', quota = $QUOTA);
CREATE SINK hook WITH (connector = 'webhook', url = 'http://127.0.0.1:$RP/in') AS
    SELECT device_id, seq, ts, pm25 FROM readings;
SQL
    start_job job.sql run.log || { check "webhook: job starts" false; return; }
    start_client
    check "webhook: readings reach the receiver before the outage" wait_for 20 sh -c \
        "[ \$(cat recv/rows 2>/dev/null | wc -l) -gt 1000 ]"
    T_DOWN=$(now)
    kill "$RECV"
    wait "$RECV" 2>/dev/null
    watch_outage hook "$OUTAGE"
    receiver
    T_UP=$(now)
    wait_for 60 status_is hook ok
    T_OK=$(now)
    last=$(last_acked_before "$T_UP")
    wait_for 60 grep -q "\"seq\": $last," recv/rows
    T_DRAIN=$(now)
    recovery_checks webhook hook receiver
    acked=$(wc -l <client/acked)
    wait_for 60 sh -c "python3 '$LIB/outage_check.py' webhook recv got >/dev/null && [ \$(wc -l <got) -ge $acked ]"
    sleep 1
    check "webhook: no Idempotency-Key carried two different bodies" \
        python3 "$LIB/outage_check.py" webhook recv got
    echo "figure: hook: receiver: $(cat "$TMP/check.out")"
    # libcurl's reason: "Couldn't connect to server" when the kill fell
    # between requests, "Server returned nothing..." or "Recv failure..." when
    # it cut one short
    outage_checks hook run.log "request hook-c-[0-9-]* failed: [A-Z]"
    delivered_checks hook got
    check "webhook: the outage's end is logged with its duration" grep -q "accepting again after" run.log
    figures hook
    cd "$TMP" || return
}

for sc in ${OUTAGE_SCENARIOS:-postgres webhook}; do # OUTAGE_SCENARIOS picks some
    "scenario_$sc"
    kill_all
done
summary
