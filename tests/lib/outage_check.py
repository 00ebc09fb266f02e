#!/usr/bin/env python3
"""tests/lib/outage_check.py - what the outage suite asserts about delivery.

  outage_check.py exactly GOT ACKED SUMMARY
      GOT holds one seq per line as the sink's server has them. Passes when
      every seq the client got a 2xx for (ACKED) is there exactly once and
      nothing is there that the client never sent (SUMMARY's sent_readings).
      Prints the counts either way.

  outage_check.py webhook RECEIVER_DIR GOT_OUT
      Reads what the receiver recorded (outage_receiver.py), checks that no
      Idempotency-Key carried two different bodies, de-duplicates the rows
      by key and writes their seqs to GOT_OUT. Prints how many requests and
      rows were repeats.
"""
import collections
import json
import os
import sys


def exactly(got_path, acked_path, summary_path):
    got = collections.Counter(int(l) for l in open(got_path) if l.strip())
    acked = set(int(l) for l in open(acked_path) if l.strip())
    sent = json.load(open(summary_path))['sent_readings']
    missing = sorted(acked - set(got))
    dups = sorted(s for s, n in got.items() if n > 1)
    phantom = sorted(s for s in got if s < 0 or s >= sent)
    print('acked %d, rows %d (%d distinct), missing %d, duplicated %d, never sent %d'
          % (len(acked), sum(got.values()), len(got), len(missing), len(dups), len(phantom)))
    if missing:
        print('missing seqs (first 10):', missing[:10])
    if dups:
        print('duplicated seqs (first 10):', dups[:10])
    if phantom:
        print('seqs never sent (first 10):', phantom[:10])
    return 0 if acked and not missing and not dups and not phantom else 1


def webhook(dirname, got_out):
    bodies = collections.defaultdict(set)
    first = {}  # key -> id of the first complete request with that key
    nreq = collections.Counter()
    for line in open(os.path.join(dirname, 'requests')):
        parts = line.rstrip('\n').split('\t')
        if len(parts) != 4:
            continue  # cut short by a kill: never answered
        key, rid, _, sha = parts
        bodies[key].add(sha)
        nreq[key] += 1
        first.setdefault(key, rid)
    keep = set(first.values())
    nrows = 0
    with open(got_out, 'w') as f:
        kept = 0
        for line in open(os.path.join(dirname, 'rows')):
            parts = line.rstrip('\n').split('\t', 2)
            if len(parts) != 3:
                continue
            nrows += 1
            if parts[1] in keep:
                f.write('%d\n' % json.loads(parts[2])['seq'])
                kept += 1
    conflicting = sorted(k for k, v in bodies.items() if len(v) > 1)
    repeated = sum(n - 1 for n in nreq.values())
    print('requests %d, keys %d, repeated requests (duplicates the receiver saw) %d, '
          'rows %d, rows after de-duplication by key %d, keys with different bodies %d'
          % (sum(nreq.values()), len(nreq), repeated, nrows, kept, len(conflicting)))
    if conflicting:
        print('keys with different bodies (first 5):', conflicting[:5])
    return 1 if conflicting or not nreq else 0


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == 'exactly':
        sys.exit(exactly(*sys.argv[2:]))
    if len(sys.argv) == 4 and sys.argv[1] == 'webhook':
        sys.exit(webhook(*sys.argv[2:]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
