#!/usr/bin/env bash
# Golden SQL cases: tests/sql/<case>/ holds job.sql, its input files and
#   expected.jsonl          rows the job writes to out.jsonl (a multiset), and/or
#   expected_<name>.jsonl   rows of <name>.jsonl, for jobs with several sinks;
#   expected_error.txt      the exact stderr of a job that must fail (exit 1);
#   expected_graph.txt      the operator graph, one `[op] (columns) => next, ...` line per
#                           operator of `ember explain job.sql` (which operator runs where);
#   args                    optional extra arguments for `ember run`.
# Each case runs in a scratch copy of its folder, with the normal build and,
# when given, the ASan+UBSan build. Adding a case adds no code.
# usage: tests/suites/sql.sh BUILD_DIR [ASAN_DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
abs() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
bins=("$(abs "$1")/ember")
[ -n "${2:-}" ] && [ -x "$(abs "$2")/ember" ] && bins+=("$(abs "$2")/ember")
pass=0
fail=0
for case in tests/sql/${SQL_CASES:-*}/; do
    name=$(basename "$case")
    for bin in "${bins[@]}"; do
        tag=$name
        [ "$bin" != "${bins[0]}" ] && tag="$name (asan)"
        work=$(mktemp -d)
        cp -r "$case". "$work"/
        args=()
        [ -f "$work/args" ] && read -r -a args <"$work/args"
        (cd "$work" && timeout 120 "$bin" run job.sql "${args[@]}" >stdout.txt 2>stderr.txt)
        rc=$?
        ok=1
        why=""
        if [ -f "$work/expected_error.txt" ]; then
            if [ $rc -ne 1 ]; then
                ok=0; why="exit $rc, expected 1"
            elif ! diff -u "$work/expected_error.txt" "$work/stderr.txt" >"$work/diff.txt"; then
                ok=0; why="stderr differs"
            fi
        else
            if [ $rc -ne 0 ]; then
                ok=0; why="exit $rc: $(head -c 400 "$work/stderr.txt")"
            fi
            for exp in "$work"/expected*.jsonl; do
                [ -f "$exp" ] || continue
                b=$(basename "$exp" .jsonl)
                out=out.jsonl
                [ "$b" != expected ] && out=${b#expected_}.jsonl
                if ! diff -u <(sort "$exp") <(sort "$work/$out" 2>/dev/null) >"$work/diff.txt"; then
                    ok=0; why="$out differs from $(basename "$exp")"
                    break
                fi
            done
        fi
        if [ $ok -eq 1 ] && [ -f "$work/expected_graph.txt" ]; then
            (cd "$work" && timeout 120 "$bin" explain job.sql >explain.txt 2>&1)
            sed -nE 's/^  \[([^]]+)\] .* -> (\([^)]*\)) => ([^(]*[^ (])( \(state.*)?$/[\1] \2 => \3/p' \
                "$work/explain.txt" >"$work/graph.txt"
            if ! diff -u "$work/expected_graph.txt" "$work/graph.txt" >"$work/diff.txt"; then
                ok=0; why="operator graph differs from expected_graph.txt"
            fi
        fi
        if [ $ok -eq 1 ]; then
            echo "ok   $tag"
            pass=$((pass + 1))
        else
            echo "FAIL $tag: $why"
            head -20 "$work/diff.txt" 2>/dev/null | sed 's/^/    /'
            fail=$((fail + 1))
        fi
        rm -rf "$work"
    done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
