#!/usr/bin/env bash
# Crash test: a job over 1,000,000 generated readings with a window, a
# stream-table join, a running aggregate and a plain filter, writing file
# (and, when built, SQLite) sinks, is killed with SIGKILL at random moments
# (while processing, snapshotting, committing) and restarted each time; the
# final sink contents must equal an uninterrupted run's exactly. Then the
# newest snapshot and the offsets log are damaged: recovery must fall back
# to the previous good state and say so in the log.
# usage: tests/crash/crash.sh BUILD_DIR   (CRASH_KILLS, default 25)
set -uo pipefail
cd "$(dirname "$0")/../.."
ember=$PWD/$1/ember
kills=${CRASH_KILLS:-25}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
check() {
    if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
cd "$work"
for i in $(seq 0 999); do
    printf '{"device_id":"dev-%04d","room":"room-%d","pm25_max":%d}\n' "$i" $((i % 37)) $((20 + i % 30))
done > devices.jsonl
sqlite=0
"$ember" check /dev/stdin >/dev/null 2>&1 <<'SQL' && sqlite=1
CREATE SOURCE r (id BIGINT) WITH (connector = 'generator', count = 1);
CREATE SINK s WITH (connector = 'sqlite', path = 'probe.db', table = 't') AS SELECT count(*) AS n FROM r;
SQL
cat > job.sql <<'SQL'
SET batch_interval = '1ms';
SET max_batch_records = 1000;
SET checkpoint_interval = '30ms';
CREATE SOURCE readings (
    device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, co2 BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE
) WITH (connector = 'generator', devices = 1000, count = 1000000, seed = 11, faults = true);
CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT, pm25_max DOUBLE)
    WITH (connector = 'file', path = 'devices.jsonl');
CREATE VIEW clean AS SELECT * FROM readings WHERE pm25 BETWEEN 0 AND 1000;
CREATE SINK per_room_minute WITH (connector = 'file', path = 'windows.jsonl') AS
    SELECT d.room, window_start, count(*) AS n, avg(c.pm25) AS pm25_avg, max(c.co2) AS co2_max
    FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE) c JOIN devices d ON c.device_id = d.device_id
    GROUP BY d.room, window_start, window_end;
CREATE SINK over_limit WITH (connector = 'file', path = 'alerts.jsonl') AS
    SELECT c.device_id, c.ts, c.pm25, d.pm25_max
    FROM clean c JOIN devices d ON c.device_id = d.device_id WHERE c.pm25 > d.pm25_max;
CREATE VIEW checked AS
    SELECT * FROM QC(readings, device_id, ts, pm25, fail_min => 0, fail_max => 1000,
                     spike_suspect => 50);
CREATE SINK qc_alerts WITH (connector = 'file', path = 'qc_alerts.jsonl') AS
    SELECT device_id, ts, state, value
    FROM ALERTS(checked, device_id, ts, pm25,
                enter => 35.5, exit => 25, for => INTERVAL '2' MINUTE,
                hold => INTERVAL '2' MINUTE, no_data => INTERVAL '10' MINUTE);
CREATE SINK totals WITH (connector = 'file', path = 'totals.jsonl') AS
    SELECT device_id, count(*) AS n, sum(co2) AS co2_sum FROM readings GROUP BY device_id;
SQL
if [ $sqlite -eq 1 ]; then
    cat >> job.sql <<'SQL'
CREATE SINK totals_db WITH (connector = 'sqlite', path = 'totals.db', table = 'totals') AS
    SELECT device_id, count(*) AS n, sum(co2) AS co2_sum FROM readings GROUP BY device_id;
SQL
fi
outputs="windows.jsonl alerts.jsonl qc_alerts.jsonl"
# the running aggregate's file sink gets every change: compare the last row per key
last_per_key() { tac "$1" | awk -F'"n":' '!seen[$1]++' | sort; }
dump_db() { sqlite3 -separator ' ' "$1" "SELECT device_id, n, co2_sum FROM totals ORDER BY device_id"; }

mkdir ref && (cd ref && cp ../job.sql ../devices.jsonl . && "$ember" run job.sql 2>ref.err)
check "uninterrupted run exits 0" $?
n=$(wc -l < ref/windows.jsonl)
[ "$n" -gt 1000 ]
check "uninterrupted run wrote windows ($n rows)" $?

mkdir run && cp job.sql devices.jsonl run/ && cd run
killed=0
for i in $(seq 1 "$kills"); do
    "$ember" run job.sql --checkpoint ck 2>>crash.err &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 130 + 20)))"
    if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); fi
    wait $pid 2>/dev/null
done
"$ember" run job.sql --checkpoint ck 2>>crash.err
check "final run after $killed kills exits 0" $?
[ "$killed" -ge $((kills * 3 / 4)) ]
check "the job was killed mid-run $killed of $kills times" $?
recoveries=$(grep -c 'recovering from ck' crash.err)
[ "$recoveries" -ge 5 ]
check "recovery ran ($recoveries times)" $?
for f in $outputs; do
    cmp -s <(sort ../ref/$f) <(sort $f)
    check "$f equals the uninterrupted run's (nothing lost, nothing duplicated)" $?
done
cmp -s <(last_per_key ../ref/totals.jsonl) <(last_per_key totals.jsonl)
check "running totals end where the uninterrupted run's end" $?
if [ $sqlite -eq 1 ]; then
    cmp -s <(dump_db ../ref/totals.db) <(dump_db totals.db)
    check "SQLite table equals the uninterrupted run's" $?
fi

# A damaged newest snapshot and a torn offsets log: recovery falls back.
cd "$work" && mkdir torn && cp job.sql devices.jsonl torn/ && cd torn
sed -i "s/count = 1000000/count = 200000/" job.sql
"$ember" run job.sql --checkpoint ck 2>run1.err &
pid=$!
sleep 0.3
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
snaps=$(ls ck/*.snap 2>/dev/null | wc -l)
newest=$(ls ck/*.snap 2>/dev/null | tail -1)
if [ -n "$newest" ]; then
    printf 'garbage' | dd of="$newest" bs=1 seek=40 conv=notrunc 2>/dev/null
fi
printf '\x20\x00\x00\x00torn' >> ck/offsets.log
"$ember" run job.sql --checkpoint ck 2>run2.err
check "a run after damage exits 0" $?
[ "$snaps" -ge 2 ] && grep -q "is unusable (checksum mismatch); falling back to the previous snapshot" run2.err
check "a corrupt newest snapshot is reported and the previous one used" $?
grep -q "offsets.log: a torn record" run2.err
check "a torn offsets record is reported and dropped" $?
mkdir ../ref2 && cp job.sql devices.jsonl ../ref2/ && (cd ../ref2 && "$ember" run job.sql 2>/dev/null)
for f in $outputs; do
    cmp -s <(sort ../ref2/$f) <(sort $f)
    check "after falling back, $f still equals an uninterrupted run's" $?
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
