#!/usr/bin/env bash
# Runs every test suite and prints one closing line: "N passed, N failed".
#
# usage: tests/run.sh BUILD_DIR [ASAN_BUILD_DIR]
# Unit tests run from both builds. Every suite reports its own
# "N passed, N failed" line; this script adds them up. A suite that exits
# non-zero without such a line (a crash) counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
asan=${2:-}
out=tests/out
rm -rf "$out"
mkdir -p "$out"
total_pass=0
total_fail=0
failed_suites=()

# run_suite NAME CMD...: runs CMD, logs to tests/out/NAME.log, adds its counts
run_suite() {
    local name=$1
    shift
    local log="$out/$name.log"
    "$@" >"$log" 2>&1
    local rc=$?
    local line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    local p=0 f=0
    if [ -n "$line" ]; then
        p=$(echo "$line" | awk '{print $1}')
        f=$(echo "$line" | awk '{print $3}')
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
    fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$f" -ne 0 ]; then
        failed_suites+=("$name")
        echo "FAIL $name ($p passed, $f failed; log: $log)"
        grep -E '^(FAIL|    )' "$log" | head -20
        [ -n "$line" ] || tail -n 20 "$log"
    else
        echo "ok   $name ($p passed)"
    fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

for dir in "$build" $asan; do
    tag=$( [ "$dir" = "$build" ] && echo unit || echo asan )
    for t in "$dir"/test_*; do
        [ -x "$t" ] || continue
        run_suite "$tag.$(basename "$t")" "$t"
    done
done

# Further suites (examples, CLI, SQL golden cases, fuzzing, integration)
# are scripts in tests/suites/, each printing its own closing line.
for s in tests/suites/*.sh; do
    [ -x "$s" ] || continue
    run_suite "$(basename "$s" .sh)" "$s" "$build" "$asan"
done

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
    echo "failed suites: ${failed_suites[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
