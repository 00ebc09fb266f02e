# tests/lib/conn.sh - shared helpers of the connector suites (sourced).
# Provides: check NAME CMD..., free_port, wait_for CMD... (10 s), feeder
# (a TCP server that serves a file's lines in timed bursts), summary.
# Expects BUILD and TMP to be set by the suite.
PASSED=0
FAILED=0

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

skip_all() { # skip_all REASON: the suite cannot run here (counts as one failure in CI)
    echo "FAIL $1"
    echo "0 passed, 1 failed"
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s
    t=$1
    shift
    end=$(($(date +%s) + t))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.1
    done
}

# feeder PORT FILE BURSTS PAUSE: serves FILE's lines to the first client in
# BURSTS equal parts, PAUSE seconds apart, then closes. Runs in the
# background (at most 60 s); its pid is added to PIDS, which kill_all stops.
PIDS=""
kill_child() { # kill_child PID: stops PID if it is still a child of this shell
    [ -n "$1" ] && [ "$(ps -o ppid= -p "$1" 2>/dev/null | tr -d ' ')" = "$$" ] && kill "$1" 2>/dev/null
}
kill_all() { # stops the background processes in PIDS that are still running
    for p in $PIDS; do kill_child "$p"; done
    PIDS=""
}
feeder() {
    timeout 60 python3 - "$@" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
port, path, bursts, pause = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
lines = open(path, 'rb').read().splitlines(keepends=True)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', port))
srv.listen(1)
c, _ = srv.accept()
per = (len(lines) + bursts - 1) // bursts
for i in range(0, len(lines), per):
    c.sendall(b''.join(lines[i:i + per]))
    time.sleep(pause)
c.close()
PY
    PIDS="$PIDS $!"
}

summary() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}
