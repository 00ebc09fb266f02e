#!/usr/bin/env python3
"""Reference results for `ember bench sensor` and `ember bench ysb`.

usage: sensor_ref.py DIR sensor|ysb

DIR holds what `ember bench sensor --emit DIR` / `ember bench ysb --emit DIR`
wrote (readings.jsonl; ad_events.jsonl and campaigns.jsonl) and the output of
`ember run DIR/sensor.sql` / `DIR/ysb.sql` (DIR/sensor.out, DIR/ysb.out).
This computes the answer with plain Python and compares it with Ember's
output as a multiset. Exit 0 when they agree, 1 with differences otherwise.
"""
import collections
import datetime
import json
import sys


def ts_us(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    return int(round(d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6))


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def sensor(d):
    """QC filter 0 <= pm25 <= 1000, 1-minute windows: avg/min/max/count."""
    groups = collections.defaultdict(list)
    for r in load(d + "/readings.jsonl"):
        v = r.get("pm25")
        if v is None or not 0 <= v <= 1000:
            continue
        t = ts_us(r["ts"])
        ws = t - t % 60_000_000
        groups[(r["device_id"], ws)].append(v)
    want = collections.Counter()
    for (dev, ws), vs in groups.items():
        want[(dev, ws, ws + 60_000_000, round(sum(vs) / len(vs), 6), min(vs), max(vs),
              len(vs))] += 1
    got = collections.Counter()
    for r in load(d + "/sensor.out"):
        got[(r["device_id"], ts_us(r["window_start"]), ts_us(r["window_end"]),
             round(r["pm25_avg"], 6), r["pm25_min"], r["pm25_max"], r["n"])] += 1
    return want, got


def ysb(d):
    """views joined to campaigns, 10 s windows, count per campaign."""
    campaign = {r["ad_id"]: r["campaign_id"] for r in load(d + "/campaigns.jsonl")}
    want = collections.Counter()
    counts = collections.Counter()
    for e in load(d + "/ad_events.jsonl"):
        if e["event_type"] != "view" or e["ad_id"] not in campaign:
            continue
        t = e["event_time"] * 1000
        counts[(campaign[e["ad_id"]], t - t % 10_000_000)] += 1
    for (c, ws), n in counts.items():
        want[(c, ws, ws + 10_000_000, n)] += 1
    got = collections.Counter()
    for r in load(d + "/ysb.out"):
        got[(r["campaign_id"], ts_us(r["window_start"]), ts_us(r["window_end"]),
             r["views"])] += 1
    return want, got


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("sensor", "ysb"):
        sys.exit("usage: sensor_ref.py DIR sensor|ysb")
    want, got = (sensor if sys.argv[2] == "sensor" else ysb)(sys.argv[1])
    name = sys.argv[2]
    if not want:
        print("%s: the reference has no rows: the input is too small to test" % name)
        sys.exit(1)
    if got == want:
        print("%s: %d rows agree" % (name, sum(want.values())))
        return
    missing, extra = want - got, got - want
    print("%s: %d rows from Ember, %d expected; %d missing, %d unexpected" %
          (name, sum(got.values()), sum(want.values()), sum(missing.values()),
           sum(extra.values())))
    for r in list(missing)[:5]:
        print("  missing    %r" % (r,))
    for r in list(extra)[:5]:
        print("  unexpected %r" % (r,))
    sys.exit(1)


if __name__ == "__main__":
    main()
