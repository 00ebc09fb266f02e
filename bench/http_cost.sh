#!/usr/bin/env bash
# bench/http_cost.sh - what watching a job costs: runs the same bounded
# generator -> 1-minute tumbling window -> file job (N records) with the
# HTTP server off, on but idle, and on with the web UI open in headless
# chromium (streaming tab, polling every second) plus /metrics scraped every
# second. Runs alternate; prints each run and the medians.
#   usage: [WORKERS=1] bench/http_cost.sh BUILD_DIR [RECORDS] [ROUNDS]
# Figures: records/s = N / wall time of `ember run`; cpu = its user+sys s;
# http thread = CPU s of libmicrohttpd's thread. On a shared machine wall
# time is noisy: compare the cpu figures (records per CPU-second).
set -u
cd "$(dirname "$0")/.."
E=${1:-build}/ember
N=${2:-12000000}
ROUNDS=${3:-5}
WORKERS=${WORKERS:-1} # one core for the job, the other for the browser
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-cost.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cat >"$TMP/job.sql" <<SQL
SET batch_interval = '1s';
CREATE SOURCE readings (
    device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'generator', devices = 1000, count = $N, seed = 42);
CREATE SINK per_minute WITH (connector = 'file', path = '$TMP/out.jsonl') AS
    SELECT device_id, window_start, avg(pm25) AS pm25_avg, max(co2) AS co2_max, count(*) AS n
    FROM TUMBLE(readings, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;
SQL
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
run() { # run MODE: prints "wall cpu"
    local mode=$1 port watch=0 scrape=0
    port=$(free_port)
    local http=off
    [ "$mode" != off ] && http=127.0.0.1:$port
    if [ "$mode" = watched ]; then
        mkfifo "$TMP/ready.$port"
        node bench/ui_watch.js "$port" streaming >"$TMP/ready.$port" &
        watch=$!
        read -r _ <"$TMP/ready.$port"  # chromium is up
        (for _ in $(seq 600); do sleep 1; curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done) &
        scrape=$!
    fi
    /usr/bin/time -f "%e %U %S" -o "$TMP/time" "$E" run "$TMP/job.sql" --set "http=$http" \
        --set log_level=warn --set "workers=$WORKERS" 2>"$TMP/err" &
    local tpid=$! epid="" sampler
    echo 0 >"$TMP/mhd"
    ( # the HTTP thread's CPU ticks (utime + stime), sampled until the job exits
        while kill -0 $tpid 2>/dev/null; do
            [ -z "$epid" ] && epid=$(pgrep -P $tpid)
            for t in /proc/$epid/task/*; do
                [ "$(cat "$t/comm" 2>/dev/null)" = MHD-single ] && awk '{print $14 + $15}' "$t/stat" >"$TMP/mhd.new" 2>/dev/null && mv "$TMP/mhd.new" "$TMP/mhd"
            done
            sleep 0.2
        done
    ) &
    sampler=$!
    wait $tpid || { cat "$TMP/err" >&2; exit 1; }
    wait $sampler
    [ $scrape -ne 0 ] && kill $scrape 2>/dev/null
    [ $watch -ne 0 ] && wait $watch
    awk -v mhd="$(cat "$TMP/mhd")" -v hz="$(getconf CLK_TCK)" \
        '{printf "%s %.2f %.2f\n", $1, $2 + $3, mhd / hz}' "$TMP/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: >"$TMP/off"; : >"$TMP/idle"; : >"$TMP/watched"
for r in $(seq "$ROUNDS"); do
    for mode in off idle watched; do
        read -r wall cpu http < <(run $mode)
        rate=$(awk -v n="$N" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')
        echo "round $r  $mode: $wall s wall, $cpu s cpu (http thread $http s), $rate records/s"
        echo "$rate $cpu" >>"$TMP/$mode"
    done
done
for mode in off idle watched; do
    r=$(cut -d' ' -f1 "$TMP/$mode" | median)
    c=$(cut -d' ' -f2 "$TMP/$mode" | median)
    echo "$mode $r $c" >>"$TMP/summary"
done
awk 'NR == 1 {r0 = $2; c0 = $3}
     {printf "median %-8s %10.0f records/s (%+.1f%%), %.2f s cpu (%+.1f%%)\n", $1, $2, ($2 / r0 - 1) * 100, $3, ($3 / c0 - 1) * 100}' "$TMP/summary"
