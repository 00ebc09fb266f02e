#!/bin/sh
# tests/suites/lineproto.sh - InfluxDB line protocol end to end: bodies
# POSTed to a running job's http source (format = 'influx') reach a file
# sink and SQLite; a malformed body is refused whole with 400 naming the
# line; file, tcp, mqtt and nats sources read line protocol (mosquitto and
# nats-server started here on free loopback ports); a sink cannot write it.
#   usage: tests/suites/lineproto.sh BUILD_DIR [ASAN_DIR]   (KEEP=1 keeps the temp dir)
set -u
BUILD=${1:?usage: lineproto.sh BUILD_DIR [ASAN_DIR]}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-lp.XXXXXX") || exit 1
trap 'kill_all; [ -n "${JOB:-}" ] && kill_child "$JOB"; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT INT TERM
. "$(dirname "$0")/../lib/conn.sh"
E=$(cd "$BUILD" && pwd)/ember
cd "$TMP" || exit 1

# ---- HTTP ingest of line protocol into a file sink and SQLite ----
PORT=$(free_port)
URL=http://127.0.0.1:$PORT/ingest/air
cat >http.sql <<SQL
SET batch_interval = '20ms';
SET http = '127.0.0.1:$PORT';
SET http_token = 'admin-token';
CREATE SOURCE air (measurement TEXT, device_id TEXT, pm25 DOUBLE, co2 BIGINT, ok BOOLEAN,
                   ts TIMESTAMP)
    WITH (connector = 'http', format = 'influx');
CREATE SINK raw WITH (connector = 'file', path = 'raw.jsonl') AS SELECT * FROM air;
CREATE SINK per_device WITH (connector = 'sqlite', path = 'counts.db', table = 'counts') AS
    SELECT device_id, count(*) AS n, sum(co2) AS co2 FROM air GROUP BY device_id;
SQL
"$E" run http.sql 2>http.err &
JOB=$!
check "the job's web server comes up" wait_for 10 curl -sf "http://127.0.0.1:$PORT/healthz"

post() { # post BODY_FILE: prints the status, the reply goes to reply.txt
    curl -s -o reply.txt -w '%{http_code}' -X POST -H 'Content-Type: text/plain; charset=utf-8' \
        --data-binary @"$1" "$URL"
}
status_is() { # status_is WANT BODY_FILE
    got=$(post "$2")
    echo "status $got: $(cat reply.txt)"
    [ "$got" = "$1" ]
}
printf '%s\n' '# two devices' \
    'air,device_id=dev-1 pm25=12.5,co2=415i,ok=t 1714564800000000000' \
    '' \
    'air,device_id=dev-2,site=lab pm25=7,co2=420i,ok=false 1714564801000000000' \
    'air,device_id=dev\ 3 pm25=1.5e1,co2=400u,unknown="x" 1714564802250000000' >good.lp
check "a line protocol body is accepted with 200" status_is 200 good.lp
check "the reply counts the 3 records (comments and blank lines are not records)" \
    grep -q '"accepted":3' reply.txt
printf 'air,device_id=dev-1 pm25=1,co2=1i 1714564803000000000\r\nair,device_id=dev-2 pm25=2,co2=2i 1714564804000000000\r\n' >crlf.lp
check "CRLF line endings are accepted" status_is 200 crlf.lp
before=$(date +%s%3N)
printf 'air,device_id=dev-t pm25=9,co2=9i\r\n# no timestamp above\nair,device_id=dev-t pm25=10,co2=10i 1714564810000000000\n' >nots.lp
check "lines without a timestamp are accepted" status_is 200 nots.lp
after=$(date +%s%3N)
printf '%s\n' 'air,device_id=dev-9 pm25=1,co2=5i 1714564805000000000' \
    'air,device_id=dev-9 pm25=2,co2=6i 1714564806000000000' \
    'air,device_id=dev-9 pm25=3,co2="six" 1714564807000000000' >badtype.lp
check "a value of the wrong type: 400" status_is 400 badtype.lp
check "... naming line 3, the field and the byte" \
    grep -q 'line 3: field \\"co2\\": expected BIGINT, got string at byte 31' reply.txt
printf '%s\n' 'air,device_id=dev-9 pm25=1 1714564805000000000' 'air,device_id=dev-9' >badsyntax.lp
check "a line without fields: 400" status_is 400 badsyntax.lp
check "... naming line 2 and the problem" \
    grep -q 'line 2: invalid line protocol: missing field set' reply.txt
printf 'air,device_id=dev-9 pm25=1 1714564805000000000\nair,device_id=dev-9 note="\377" 1\n' >badutf8.lp
check "invalid UTF-8 in a string: 400" status_is 400 badutf8.lp
check "... naming line 2" grep -q 'line 2: invalid line protocol: invalid UTF-8 in string' reply.txt
printf '# nothing but a comment\n\n' >empty.lp
check "a body without records: 400" status_is 400 empty.lp
rows_in_sink() { [ "$(wc -l <raw.jsonl 2>/dev/null)" -ge "$1" ]; }
check "the accepted records reach the file sink" wait_for 10 rows_in_sink 5
curl -s -o /dev/null -X POST -H 'Authorization: Bearer admin-token' \
    "http://127.0.0.1:$PORT/api/v1/stop"
wait "$JOB"
rc=$?
JOB=
check "the job stops gracefully (exit $rc)" test "$rc" -eq 0
cat >want_raw <<'EOF'
{"measurement":"air","device_id":"dev-1","pm25":12.5,"co2":415,"ok":true,"ts":"2024-05-01T12:00:00.000Z"}
{"measurement":"air","device_id":"dev-2","pm25":7,"co2":420,"ok":false,"ts":"2024-05-01T12:00:01.000Z"}
{"measurement":"air","device_id":"dev 3","pm25":15,"co2":400,"ok":null,"ts":"2024-05-01T12:00:02.250Z"}
{"measurement":"air","device_id":"dev-1","pm25":1,"co2":1,"ok":null,"ts":"2024-05-01T12:00:03.000Z"}
{"measurement":"air","device_id":"dev-2","pm25":2,"co2":2,"ok":null,"ts":"2024-05-01T12:00:04.000Z"}
EOF
same_rows() { sort "$1" >"$1.s"; sort "$2" >"$2.s"; diff "$1.s" "$2.s"; }
grep -v '"dev-t"' raw.jsonl >raw_rest
check "the file sink holds exactly the accepted rows (refused bodies left nothing)" \
    same_rows want_raw raw_rest
stamped() { # the line without a timestamp got its arrival time, the other its own
    python3 - "$before" "$after" <<'PY'
import json, sys, datetime
lo, hi = int(sys.argv[1]), int(sys.argv[2])
rows = [json.loads(l) for l in open("raw.jsonl") if '"dev-t"' in l]
ms = lambda t: round(datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ")
                     .replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
got = sorted((r["pm25"], ms(r["ts"])) for r in rows)
print(got, lo, hi)
assert len(got) == 2 and got[1] == (10, 1714564810000) and lo <= got[0][1] <= hi, got
PY
}
check "a line without a timestamp gets its time of arrival (InfluxDB's rule)" stamped
sqlite3 -separator ' ' counts.db 'SELECT device_id, n, co2 FROM counts ORDER BY device_id' >got_counts
printf '%s\n' 'dev 3 1 400' 'dev-1 2 416' 'dev-2 2 422' 'dev-t 2 19' >want_counts
check "running counts and sums per device in SQLite" diff want_counts got_counts

# ---- a file source with format = 'influx' ----
printf '%s\n' 'm,host=a v=1i 1000000000' 'm,host=b v=2i,v=3i 2000000000' 'm,host=c v=4' \
    'm,host=d v=x' '# end' >in.lp
cat >file.sql <<'SQL'
CREATE SOURCE m (host TEXT, v BIGINT, ts TIMESTAMP)
    WITH (connector = 'file', path = 'in.lp', format = 'influx', timestamp_unit = 'ns');
CREATE SINK out WITH (connector = 'file', path = 'file_out.jsonl') AS SELECT host, v, ts FROM m;
SQL
check "a bounded file source in line protocol runs to the end" sh -c "'$E' run file.sql --set http=off 2>file.err"
printf '%s\n' '{"host":"a","v":1,"ts":"1970-01-01T00:00:01.000Z"}' \
    '{"host":"b","v":2,"ts":"1970-01-01T00:00:02.000Z"}' \
    '{"host":"c","v":4,"ts":null}' >want_file
check "... its rows are the good lines (the first value of a repeated field wins)" \
    same_rows want_file file_out.jsonl
check "... the bad line is reported with file, line and byte" \
    grep -q 'in.lp:4: invalid line protocol: invalid field value .* at byte 11' file.err

# ---- a tcp source with format = 'influx' ----
PORT=$(free_port)
awk 'BEGIN { for (i = 0; i < 3000; i++)
    printf "air,device_id=dev-%d pm25=%d.5,co2=%di %d000000\n", i % 7, i % 50, 400 + i, 1714564800000 + i }' >tcp.lp
feeder "$PORT" tcp.lp 5 0.1
cat >tcp.sql <<SQL
SET batch_interval = '20ms';
CREATE SOURCE air (device_id TEXT, pm25 DOUBLE, co2 BIGINT, ts TIMESTAMP)
    WITH (connector = 'tcp', port = $PORT, reconnect = false, format = 'influx');
CREATE SINK out WITH (connector = 'file', path = 'tcp_out.jsonl') AS
    SELECT device_id, count(*) AS n, sum(co2) AS co2, max(ts) AS last
    FROM TUMBLE(air, ts, INTERVAL '1' HOUR) GROUP BY device_id, window_start, window_end;
SQL
check "a tcp source in line protocol ends when the peer closes" "$E" run tcp.sql --set http=off
awk 'BEGIN { for (i = 0; i < 3000; i++) { d = i % 7; n[d]++; s[d] += 400 + i; l[d] = 1714564800000 + i }
    for (d = 0; d < 7; d++) printf "dev-%d %d %d %d\n", d, n[d], s[d], l[d] }' | sort >want_tcp
python3 -c '
import json, datetime
for l in open("tcp_out.jsonl"):
    r = json.loads(l)
    t = datetime.datetime.strptime(r["last"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    print(r["device_id"], r["n"], r["co2"], round(t.timestamp() * 1000))
' | sort >got_tcp
check "... every line arrived once: counts, sums and last timestamps per device" diff want_tcp got_tcp
kill_all

# ---- an mqtt source with format = 'influx' (a payload may hold several lines) ----
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
if [ -x "$MOSQ" ]; then
    MPORT=$(free_port)
    printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$MPORT" >mosquitto.conf
    "$MOSQ" -c mosquitto.conf >broker.log 2>&1 &
    PIDS="$PIDS $!"
    check "mosquitto starts" wait_for 10 python3 -c \
        "import socket; socket.create_connection(('127.0.0.1', $MPORT))"
    cat >mqtt.sql <<SQL
SET batch_interval = '20ms';
CREATE SOURCE air (device_id TEXT, pm25 DOUBLE, co2 BIGINT, ts TIMESTAMP)
    WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:$MPORT', topic = 'lp/#', qos = 0,
          format = 'influx', timestamp_unit = 'ms');
CREATE SINK out WITH (connector = 'file', path = 'mqtt_out.jsonl') AS SELECT * FROM air;
SQL
    "$E" run mqtt.sql --set http=off 2>mqtt.err &
    MJOB=$!
    PIDS="$PIDS $MJOB"
    check "the mqtt job subscribes" wait_for 10 grep -q "subscribed" mqtt.err
    # a minimal MQTT 3.1.1 publisher (CONNECT, PUBLISH QoS 0, DISCONNECT)
    python3 - "$MPORT" <<'PY'
import socket, struct, sys
def pkt(kind, body):
    n, rl = len(body), b""
    while True:
        b, n = n % 128, n // 128
        rl += bytes([b | (0x80 if n else 0)])
        if not n: break
    return bytes([kind]) + rl + body
s16 = lambda b: struct.pack("!H", len(b)) + b
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(pkt(0x10, s16(b"MQTT") + bytes([4, 2]) + struct.pack("!H", 30) + s16(b"lp-test")))
assert c.recv(4)[:2] == b"\x20\x02"
msgs = [b"air,device_id=m1 pm25=1.5,co2=400i 1714564800000\nair,device_id=m2 pm25=2.5,co2=410i 1714564800001",
        b"# a comment\nair,device_id=m3 pm25=oops 1714564800002\nair,device_id=m3 pm25=3.5 1714564800003\n"]
for m in msgs:
    c.sendall(pkt(0x30, s16(b"lp/room1") + m))
c.sendall(b"\xe0\x00")
c.close()
PY
    mqtt_rows() { [ "$(wc -l <mqtt_out.jsonl 2>/dev/null)" -ge 3 ]; }
    check "line protocol payloads reach the sink" wait_for 10 mqtt_rows
    kill_child "$MJOB"
    wait "$MJOB"
    printf '%s\n' '{"device_id":"m1","pm25":1.5,"co2":400,"ts":"2024-05-01T12:00:00.000Z"}' \
        '{"device_id":"m2","pm25":2.5,"co2":410,"ts":"2024-05-01T12:00:00.001Z"}' \
        '{"device_id":"m3","pm25":3.5,"co2":null,"ts":"2024-05-01T12:00:00.003Z"}' >want_mqtt
    check "... every line of every payload once, in ms precision" same_rows want_mqtt mqtt_out.jsonl
    check "... and the bad line is reported" grep -q "invalid field value" mqtt.err
    kill_all
else
    check "mosquitto is installed (scripts/deps.sh test)" false
fi

# ---- a nats (JetStream) source with format = 'influx' ----
NATS=$(command -v nats-server || echo /usr/sbin/nats-server)
if [ -x "$NATS" ]; then
    NPORT=$(free_port)
    "$NATS" -js -a 127.0.0.1 -p "$NPORT" -sd "$TMP/nats" >nats.log 2>&1 &
    PIDS="$PIDS $!"
    check "nats-server starts" wait_for 10 python3 -c \
        "import socket; socket.create_connection(('127.0.0.1', $NPORT))"
    cat >nats.sql <<SQL
SET batch_interval = '20ms';
CREATE SOURCE air (device_id TEXT, pm25 DOUBLE, co2 BIGINT, ts TIMESTAMP)
    WITH (connector = 'nats', url = 'nats://127.0.0.1:$NPORT', subject = 'lp.>',
          stream = 'LP', format = 'influx');
CREATE SINK out WITH (connector = 'file', path = 'nats_out.jsonl') AS SELECT * FROM air;
SQL
    "$E" run nats.sql --set http=off --set log_level=debug 2>nats.err &
    NJOB=$!
    PIDS="$PIDS $NJOB"
    check "the nats job creates its stream" wait_for 10 grep -q "created JetStream stream LP" nats.err
    # core NATS publishes (the text protocol); the stream keeps them for the consumer
    python3 - "$NPORT" <<'PY'
import socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
f = c.makefile("rb")
assert f.readline().startswith(b"INFO")
c.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n')
msgs = [b"air,device_id=n1 pm25=4.5,co2=500i 1714564800000000000\nair,device_id=n2 pm25=5.5 1714564801000000000",
        b"air,device_id=n3 co2=7u 1714564802000000000\nair,device_id=n3 co2=-7u 1714564803000000000"]
for m in msgs:
    c.sendall(b"PUB lp.room2 %d\r\n" % len(m) + m + b"\r\n")
c.sendall(b"PING\r\n")
while not f.readline().startswith(b"PONG"):
    pass
c.close()
PY
    nats_rows() { [ "$(wc -l <nats_out.jsonl 2>/dev/null)" -ge 3 ]; }
    check "line protocol messages reach the sink" wait_for 10 nats_rows
    kill_child "$NJOB"
    wait "$NJOB"
    printf '%s\n' '{"device_id":"n1","pm25":4.5,"co2":500,"ts":"2024-05-01T12:00:00.000Z"}' \
        '{"device_id":"n2","pm25":5.5,"co2":null,"ts":"2024-05-01T12:00:01.000Z"}' \
        '{"device_id":"n3","pm25":null,"co2":7,"ts":"2024-05-01T12:00:02.000Z"}' >want_nats
    check "... every line of every message once (ns timestamps)" same_rows want_nats nats_out.jsonl
    check "... and the bad line (a negative unsigned) is reported" grep -q "invalid field value" nats.err
    kill_all
else
    check "nats-server is installed (scripts/deps.sh test)" false
fi

# ---- what is refused ----
cat >sink.sql <<'SQL'
CREATE SOURCE m (v BIGINT) WITH (connector = 'file', path = 'in.lp', format = 'influx');
CREATE SINK out WITH (connector = 'file', path = 'out.lp', format = 'influx') AS SELECT v FROM m;
SQL
refused() { ! "$E" run sink.sql --set http=off 2>sink.err && grep -q "format 'influx' is only read" sink.err; }
check "a file sink with format = 'influx' is refused with the reason" refused
cat >unit.sql <<'SQL'
CREATE SOURCE m (v BIGINT) WITH (connector = 'file', path = 'in.lp', format = 'json', timestamp_unit = 'ns');
CREATE SINK out WITH (connector = 'file', path = 'x.jsonl') AS SELECT v FROM m;
SQL
unit_refused() { ! "$E" run unit.sql --set http=off 2>unit.err && grep -q "'ns' is for format 'influx'" unit.err; }
check "timestamp_unit = 'ns' with format = 'json' is refused with the reason" unit_refused
summary
