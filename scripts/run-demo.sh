#!/usr/bin/env bash
# `make run`: the flagship air-quality job (examples/airquality.sql) on
# embedded defaults: 1,000 simulated sensors, QC, rollups with AQI, alerts
# and silent devices, into SQLite, with the web UI. Data and the checkpoint
# live in demo/ (run it again and it resumes where it stopped). Ctrl-C stops
# gracefully.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/demo"
cd "$root/demo"
cat >&2 <<TXT
ember: the air-quality job (examples/airquality.sql): 1,000 simulated sensors
  web UI and REST API   http://127.0.0.1:4040/   (Prometheus: /metrics)
  readings and rollups  $PWD/aq.db  (SQLite: aq_raw, aq_minute, aq_hour, aq_nowcast)
                        e.g. sqlite3 $PWD/aq.db 'SELECT * FROM aq_minute ORDER BY minute DESC LIMIT 5'
  alerts                printed below, and $PWD/aq_alerts.jsonl
  silent devices        $PWD/aq_silent.jsonl
  checkpoint            $PWD/ckpt  (a restart resumes exactly where it stopped)
  Ctrl-C stops gracefully.
TXT
exec "$root/$build/ember" run "$root/examples/airquality.sql" --checkpoint ckpt "${@:2}"
