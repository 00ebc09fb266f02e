#!/usr/bin/env bash
# Durability as a user sees it (issue 4): graceful stop on SIGTERM, a second
# signal, a bounded checkpoint directory over a long run at a small batch
# interval, `ember check --against` and `--reset-state` across job changes,
# and the crash test (tests/crash/crash.sh).
# usage: tests/suites/durability.sh BUILD_DIR [ASAN_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
ember=$root/$1/ember
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
pass=0
fail=0
check() {
    if [ "$2" -eq 0 ]; then echo "ok   $1"; pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}
cd "$work"
# expect_first N: the first N generated readings as the job writes them
expect_first() {
    "$ember" generate --devices 50 --count "$1" --seed 5 |
        python3 -c 'import sys,json
for l in sys.stdin:
    r=json.loads(l); print(json.dumps({"device_id":r["device_id"],"ts":r["ts"],"pm25":r["pm25"]},separators=(",",":")))' > expect.jsonl
}

# --- graceful stop: every reading exactly once across stops and restarts
cat > live.sql <<'SQL'
SET batch_interval = '20ms';
SET checkpoint_interval = '200ms';
SET http = 'off';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'generator', devices = 50, rate = 20000, seed = 5);
CREATE SINK raw WITH (connector = 'file', path = 'raw.jsonl') AS SELECT device_id, ts, pm25 FROM readings;
SQL
for round in 1 2 3; do
    "$ember" run live.sql --checkpoint ck 2>>live.err &
    pid=$!
    sleep 1
    t0=$(date +%s%N)
    kill -TERM $pid
    wait $pid
    rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ $rc -eq 0 ] && [ $ms -lt 5000 ]
    check "SIGTERM stops round $round gracefully: exit $rc after $ms ms" $?
done
grep -q "stopped on request" live.err
check "the log says the job stopped on request" $?
n=$(wc -l < raw.jsonl)
expect_first "$n"
cmp -s expect.jsonl raw.jsonl
check "three runs wrote the first $n readings exactly once, in order" $?
snap=$(ls ck/*.snap | tail -1 | sed 's/.*snap-0*\([0-9]*\)\.snap/\1/')
committed=$(cut -d' ' -f1 ck/sinks/raw/manifest)
[ "$snap" = "$committed" ]
check "the last snapshot ($snap) is of the last committed batch ($committed)" $?

# --- a second signal stops at once; the checkpoint still recovers
"$ember" run live.sql --checkpoint ck 2>>live.err &
pid=$!
sleep 0.5
kill -TERM $pid; kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 1 ] && grep -q "second signal: stopping now" live.err
check "a second signal exits at once (status $rc)" $?
"$ember" run live.sql --checkpoint ck 2>>live.err &
pid=$!
sleep 0.7
kill -TERM $pid
wait $pid
check "the next run recovers and stops cleanly" $?
n=$(wc -l < raw.jsonl)
expect_first "$n"
cmp -s expect.jsonl raw.jsonl
check "after the hard stop, still every reading exactly once ($n)" $?

# --- retention: the checkpoint directory stays bounded
cat > long.sql <<'SQL'
SET batch_interval = '1ms';
SET checkpoint_interval = '50ms';
SET http = 'off';
CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,
    WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'generator', devices = 200, rate = 50000, seed = 9);
CREATE SINK m WITH (connector = 'file', path = 'minutes.jsonl') AS
    SELECT device_id, window_start, avg(pm25) AS pm25 FROM TUMBLE(readings, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;
SQL
"$ember" run long.sql --checkpoint ck2 2>long.err &
pid=$!
sleep 2
s1=$(du -sb ck2 | cut -f1)
sleep 4
s2=$(du -sb ck2 | cut -f1)
nsnap=$(ls ck2/*.snap | wc -l)
kill -TERM $pid; wait $pid
batches=$(wc -c < ck2/commits.log)
[ "$s2" -lt $((2 * s1 + 65536)) ] && [ "$nsnap" -le 3 ]
check "checkpoint directory bounded over thousands of batches: $s1 then $s2 bytes, $nsnap snapshots" $?

# --- upgrades: which state a changed job keeps
cat > v1.sql <<'SQL'
SET http = 'off';
CREATE SOURCE r (k TEXT, v BIGINT) WITH (connector = 'file', path = 'in.jsonl');
CREATE SINK totals WITH (connector = 'file', path = 'totals.jsonl') AS
    SELECT k, count(*) AS n, sum(v) AS s FROM r GROUP BY k;
SQL
printf '{"k":"a","v":1}\n{"k":"b","v":2}\n{"k":"a","v":3}\n' > in.jsonl
"$ember" run v1.sql --checkpoint up 2>v1.err
check "v1 runs" $?
sed -e "s/SET http = 'off';/SET http = 'off'; SET batch_interval = '5ms'; SET workers = 1;/" v1.sql > v2.sql
cat >> v2.sql <<'SQL'
CREATE SINK copy WITH (connector = 'file', path = 'copy.jsonl') AS SELECT k, v FROM r;
SQL
"$ember" check v2.sql --against up > v2.check 2>&1
grep -q "kept *totals/aggregate" v2.check
check "new settings and a new sink keep the aggregate's state" $?
sed -e 's/sum(v) AS s/sum(v) AS s, max(v) AS top/' v1.sql > v3.sql
"$ember" check v3.sql --against up > v3.check 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "incompatible *totals/aggregate" v3.check
check "a changed aggregate is reported incompatible by check --against (exit $rc)" $?
"$ember" run v3.sql --checkpoint up > /dev/null 2>v3.err
rc=$?
[ $rc -eq 1 ] && grep -q "reset-state" v3.err
check "run refuses the incompatible job and names --reset-state (exit $rc)" $?
"$ember" run v3.sql --checkpoint up --reset-state totals/aggregate 2>v3b.err
check "run with --reset-state totals/aggregate starts" $?

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
