#!/bin/sh
# tests/suites/cli.sh - end-to-end checks of the ember command.
#   usage: tests/suites/cli.sh BUILD_DIR [ASAN_DIR]
# Runs BUILD_DIR/ember (and ASAN_DIR/ember if given and built). Prints
# "ok"/"FAIL" per check and "N passed, N failed"; exits 1 on any failure.
set -u
BUILD=${1:?usage: cli.sh BUILD_DIR [ASAN_DIR]}
ASAN=${2:-}
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ember-cli.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM

check() { # check NAME COMMAND...: passes when COMMAND succeeds
    name=$1
    shift
    if "$@" >"$TMP/check.out" 2>&1; then
        echo "ok   $name"
        PASSED=$((PASSED + 1))
    else
        echo "FAIL $name"
        sed 's/^/    /' "$TMP/check.out" | head -20
        FAILED=$((FAILED + 1))
    fi
}

exit_is() { # exit_is CODE COMMAND...
    want=$1
    shift
    "$@" >/dev/null 2>"$TMP/stderr"
    got=$?
    [ "$got" -eq "$want" ] || { echo "exit $got, want $want"; cat "$TMP/stderr"; return 1; }
}

valid_ndjson() { # valid_ndjson FILE: every line an object with the 8 keys in order
    python3 -c '
import json, sys
keys = ["device_id", "ts", "pm25", "pm10", "co2", "voc", "temperature", "humidity"]
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert list(o) == keys, "keys %r" % list(o)
    assert o["ts"].endswith("Z") and len(o["ts"]) == 24, o["ts"]
    n += 1
assert n > 0, "no lines"
' "$1"
}

suite() { # suite EMBER
    E=$1
    check "version" sh -c "[ \"\$('$E' --version)\" = 'ember 0.1.0' ]"
    check "help exits 0" sh -c "'$E' --help | grep -q generate"
    "$E" generate --seed 42 --count 200 --faults >"$TMP/a" 2>&1
    "$E" generate --seed 42 --count 200 --faults >"$TMP/b" 2>&1
    "$E" generate --seed 43 --count 200 --faults >"$TMP/c" 2>&1
    check "generate is deterministic for a seed" cmp "$TMP/a" "$TMP/b"
    check "another seed gives other data" sh -c "! cmp -s '$TMP/a' '$TMP/c'"
    check "--count 200 gives 200 lines" sh -c "[ \$(wc -l <'$TMP/a') -eq 200 ]"
    check "default count is 10" sh -c "[ \$('$E' generate | wc -l) -eq 10 ]"
    check "lines are JSON with the 8 keys" valid_ndjson "$TMP/a"
    "$E" generate --devices 3 --count 30 >"$TMP/d" 2>&1
    check "--devices 3 gives 3 device ids" sh -c \
        "[ \$(python3 -c 'import json,sys; print(len({json.loads(l)[\"device_id\"] for l in open(sys.argv[1])}))' '$TMP/d') -eq 3 ]"
    check "--rate paces output" sh -c \
        "s=\$(date +%s%N); [ \$('$E' generate --rate 50 --count 20 | wc -l) -eq 20 ] && [ \$(( (\$(date +%s%N) - s) / 1000000 )) -ge 300 ]"
    check "usage error exits 2" exit_is 2 "$E" generate --count abc
    check "unknown option exits 2" exit_is 2 "$E" generate --bogus
    check "unknown command exits 2" exit_is 2 "$E" frobnicate
    check "no command exits 2" exit_is 2 "$E"
    check "run not available exits 1" exit_is 1 "$E" run job.sql
}

if [ ! -x "$BUILD/ember" ]; then
    echo "FAIL $BUILD/ember not built"
    FAILED=$((FAILED + 1))
else
    suite "$BUILD/ember"
fi
if [ -n "$ASAN" ] && [ -x "$ASAN/ember" ]; then
    echo "# asan: $ASAN/ember"
    suite "$ASAN/ember"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
