#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a
# bounded time on its checked-in seed corpus. A crash, leak or timeout fails.
# usage: tests/suites/fuzz.sh BUILD_DIR ASAN_DIR   (FUZZ_SECONDS, default 60)
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
bdir=build-fuzz
pass=0
fail=0
if ! command -v clang >/dev/null; then
    echo "FAIL fuzz: clang is not installed (scripts/deps.sh test installs it)"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! { CC=clang cmake -S . -B "$bdir" -G Ninja -DEMBER_FUZZ=ON -DEMBER_SANITIZE=ON \
        -DCMAKE_BUILD_TYPE=Debug >/dev/null && cmake --build "$bdir" >"$bdir.log" 2>&1; }; then
    echo "FAIL fuzz build (see $bdir.log)"
    tail -20 "$bdir.log"
    echo "0 passed, 1 failed"
    exit 1
fi
for f in "$bdir"/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    what=${name#fuzz_}         # formats_json -> corpus "json"
    corpus=tests/fuzz/corpus/${what#*_}
    work=$(mktemp -d)
    [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
    if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        "$work" >"tests/out/$name.log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "tests/out/$name.log" | grep -o '[0-9]*$')
        echo "ok   $name (${runs:-?} runs in ${secs}s)"
        pass=$((pass + 1))
    else
        echo "FAIL $name (log: tests/out/$name.log)"
        grep -E 'ERROR|SUMMARY|Test unit written' "tests/out/$name.log" | head -5
        fail=$((fail + 1))
    fi
    rm -rf "$work"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
