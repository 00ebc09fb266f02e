#!/usr/bin/env bash
# The kill -9 crash test (tests/crash/crash.sh) with 25 kills.
# usage: tests/suites/crash.sh BUILD_DIR [ASAN_DIR]
exec "$(dirname "$0")/../crash/crash.sh" "$1"
