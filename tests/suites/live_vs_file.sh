#!/usr/bin/env bash
# One job, two inputs: readings live from the generator, and the same
# readings from a file written by `ember generate`. The rows must be equal:
# a job recomputes history from files or runs live and gives the same rows.
# usage: tests/suites/live_vs_file.sh BUILD_DIR [ASAN_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
ember=$PWD/$1/ember
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
check() {
    if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
cd "$work"
"$ember" generate --devices 20 --count 20000 --seed 7 --faults > readings.jsonl
check "ember generate writes the readings" $?
query="SELECT device_id, window_start, count(*) AS n, avg(pm25) AS pm25_avg,
           max(co2) AS co2_max, min(temperature) AS t_min
    FROM TUMBLE(readings, ts, INTERVAL '5' MINUTE)
    GROUP BY device_id, window_start, window_end"
cols="device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT, temperature DOUBLE,
      WATERMARK FOR ts AS ts - INTERVAL '2' MINUTE"
settings="SET batch_interval = '5ms'; SET max_batch_records = 700;"
printf '%s\nCREATE SOURCE readings (%s)\n  WITH (connector = '"'generator'"', devices = 20, count = 20000, seed = 7, faults = true);\nCREATE SINK out WITH (connector = '"'file'"', path = '"'live.jsonl'"') AS %s;\n' \
    "$settings" "$cols" "$query" > live.sql
printf '%s\nCREATE SOURCE readings (%s)\n  WITH (connector = '"'file'"', path = '"'readings.jsonl'"');\nCREATE SINK out WITH (connector = '"'file'"', path = '"'file.jsonl'"') AS %s;\n' \
    "$settings" "$cols" "$query" > file.sql
"$ember" run live.sql 2>live.err
check "live job exits 0" $?
"$ember" run file.sql 2>file.err
check "file job exits 0" $?
n=$(wc -l < live.jsonl)
[ "$n" -gt 500 ]
check "live job emitted windows ($n)" $?
diff <(sort live.jsonl) <(sort file.jsonl) > diff.txt
check "live and file runs give the same rows" $?
head -5 diff.txt
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
