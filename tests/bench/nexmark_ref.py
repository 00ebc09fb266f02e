#!/usr/bin/env python3
"""Reference results for the NEXMark queries of `ember bench nexmark`.

usage: nexmark_ref.py DIR QUERY   (QUERY: nexmark-q0 ... nexmark-q8)

DIR holds what `ember bench nexmark --emit DIR` wrote (person.jsonl,
auction.jsonl, bid.jsonl) and what `ember run DIR/QUERY.sql` produced
(DIR/QUERY.out). This computes the query's answer straight from the input
with plain Python (dicts and loops, no Ember code or SQL) and compares it with
Ember's output as a multiset. Exit 0 when they agree, 1 with the first
differences otherwise.
"""
import collections
import datetime
import json
import sys

MS = 1000
SEC = 1000 * MS  # microseconds


def ts(s):
    """ISO-8601 UTC with milliseconds -> microseconds since the epoch."""
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    d = d.replace(tzinfo=datetime.timezone.utc)
    return int(round(d.timestamp() * 1e6))


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def floor_to(t, size):
    return t - (t % size)


def q0(inp):
    return [(b["auction"], b["bidder"], b["price"], ts(b["date_time"]), b["extra"])
            for b in inp["bid"]]


def q1(inp):
    return [(b["auction"], b["bidder"], 0.908 * b["price"], ts(b["date_time"]), b["extra"])
            for b in inp["bid"]]


def q2(inp):
    return [(b["auction"], b["price"]) for b in inp["bid"] if b["auction"] % 123 == 0]


def q3(inp):
    people = {p["id"]: p for p in inp["person"]}
    out = []
    for a in inp["auction"]:
        p = people.get(a["seller"])
        if a["category"] == 10 and p and p["state"] in ("OR", "ID", "CA"):
            out.append((p["name"], p["city"], p["state"], a["id"]))
    return out


def q4(inp):
    bids = collections.defaultdict(list)
    for b in inp["bid"]:
        bids[b["auction"]].append(b)
    finals = collections.defaultdict(list)
    for a in inp["auction"]:
        start, end = ts(a["date_time"]), ts(a["expires"])
        prices = [b["price"] for b in bids[a["id"]] if start <= ts(b["date_time"]) <= end]
        if prices:
            finals[a["category"]].append(max(prices))
    return [(c, sum(v) / len(v)) for c, v in finals.items()]


def q5(inp):
    size, slide = 10 * SEC, 2 * SEC
    counts = collections.Counter()
    for b in inp["bid"]:
        t = ts(b["date_time"])
        ws = floor_to(t, slide)
        while ws > t - size:
            counts[(ws, b["auction"])] += 1
            ws -= slide
    best = {}
    for (ws, _), n in counts.items():
        best[ws] = max(best.get(ws, 0), n)
    return [(a, n, ws) for (ws, a), n in counts.items() if n == best[ws]]


def q7(inp):
    size = 10 * SEC
    maxp = {}
    for b in inp["bid"]:
        ws = floor_to(ts(b["date_time"]), size)
        maxp[ws] = max(maxp.get(ws, 0), b["price"])
    out = []
    for ws, m in maxp.items():
        we = ws + size
        for b in inp["bid"]:
            if b["price"] == m and we - size <= ts(b["date_time"]) <= we:
                out.append((b["auction"], b["price"], b["bidder"], ts(b["date_time"])))
    return out


def q8(inp):
    size = 10 * SEC
    people = {(p["id"], p["name"], floor_to(ts(p["date_time"]), size)) for p in inp["person"]}
    sellers = {(a["seller"], floor_to(ts(a["date_time"]), size)) for a in inp["auction"]}
    return [(i, n, ws) for (i, n, ws) in people if (i, ws) in sellers]


# Ember's output columns per query, in order, and which are timestamps.
COLUMNS = {
    "nexmark-q0": (q0, ["auction", "bidder", "price", "date_time", "extra"], {"date_time"}),
    "nexmark-q1": (q1, ["auction", "bidder", "price", "date_time", "extra"], {"date_time"}),
    "nexmark-q2": (q2, ["auction", "price"], set()),
    "nexmark-q3": (q3, ["name", "city", "state", "id"], set()),
    "nexmark-q4": (q4, ["category", "avg_price"], set()),
    "nexmark-q5": (q5, ["auction", "num", "hop_start"], {"hop_start"}),
    "nexmark-q7": (q7, ["auction", "price", "bidder", "date_time"], {"date_time"}),
    "nexmark-q8": (q8, ["id", "name", "window_start"], {"window_start"}),
}


def norm(row):
    """Rounds doubles so that summation order does not matter."""
    return tuple(round(v, 6) if isinstance(v, float) else v for v in row)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in COLUMNS:
        sys.exit("usage: nexmark_ref.py DIR nexmark-qN (one of %s)" % ", ".join(COLUMNS))
    d, q = sys.argv[1], sys.argv[2]
    fn, cols, tcols = COLUMNS[q]
    inp = {k: load("%s/%s.jsonl" % (d, k)) for k in ("person", "auction", "bid")}
    got_rows = load("%s/%s.out" % (d, q))
    if q == "nexmark-q4":
        # a running aggregate: every change is emitted; the last row per
        # category is its result over the whole input
        last = {}
        for r in got_rows:
            last[r["category"]] = r
        got_rows = list(last.values())
    got = collections.Counter(
        norm(tuple(ts(r[c]) if c in tcols else r[c] for c in cols)) for r in got_rows)
    want = collections.Counter(norm(r) for r in fn(inp))
    if not want:
        print("%s: the reference has no rows: the input is too small to test" % q)
        sys.exit(1)
    if got == want:
        print("%s: %d rows agree" % (q, sum(want.values())))
        return
    missing, extra = want - got, got - want
    print("%s: %d rows from Ember, %d expected; %d missing, %d unexpected" %
          (q, sum(got.values()), sum(want.values()), sum(missing.values()),
           sum(extra.values())))
    for r in list(missing)[:5]:
        print("  missing    %r" % (r,))
    for r in list(extra)[:5]:
        print("  unexpected %r" % (r,))
    sys.exit(1)


if __name__ == "__main__":
    main()
