#!/usr/bin/env python3
"""tests/lib/outage_client.py - a device posting numbered readings to an
Ember HTTP ingest source at a steady rate, as the outage suite's client.

Each request carries PER readings {"device_id", "seq", "ts", "pm25"} with
consecutive seq numbers. A 503 is push back: the client waits Retry-After
seconds and sends the same body again (nothing refused is lost on the
client's side); any other failure is recorded and the body is resent after
a short pause. The client never catches up after a pause (it does not burst).

Files written in OUT (appended as it goes, so the suite can read them live):
  acked      one line per seq that got a 2xx
  events     one line per request: Unix time of the reply, HTTP status (0 for
             a connection error), first seq, last seq, Retry-After or '-'
  summary    written on exit: JSON with the counts

It stops once the file STOP exists (finishing the body in hand first, for
at most 90 s) or after MAX_SECONDS.

usage: outage_client.py URL OUT STOP RATE PER [MAX_SECONDS]
"""
import http.client
import json
import os
import sys
import time
import urllib.parse

url, out, stop, rate, per = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
max_seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 600
u = urllib.parse.urlparse(url)
os.makedirs(out, exist_ok=True)
acked = open(os.path.join(out, 'acked'), 'a', buffering=1)
events = open(os.path.join(out, 'events'), 'a', buffering=1)
t0 = time.time()
counts = {'requests': 0, 'acked_requests': 0, 'acked_readings': 0, 'sent_readings': 0,
          'status_503': 0, 'status_503_without_retry_after': 0, 'errors': 0,
          'first_503': None, 'last_503': None}
conn = None


def body_for(first):
    lines = []
    for seq in range(first, first + per):
        ms = 1714521600000 + seq * 10
        lines.append('{"device_id":"dev-%d","seq":%d,"ts":%d,"pm25":%.1f}'
                     % (seq % 20, seq, ms, (seq % 500) / 10.0))
    return ('\n'.join(lines) + '\n').encode()


def post(body):
    """One attempt: (status, Retry-After or None); status 0 on a connection error."""
    global conn
    try:
        if conn is None:
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        conn.request('POST', u.path, body, {'Content-Type': 'application/x-ndjson'})
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader('Retry-After')
    except (OSError, http.client.HTTPException):
        if conn is not None:
            conn.close()
        conn = None
        return 0, None


seq = 0
next_at = time.time()
deadline = t0 + max_seconds
while time.time() < deadline and not os.path.exists(stop):
    now = time.time()
    if now < next_at:
        time.sleep(next_at - now)
    body = body_for(seq)
    counts['sent_readings'] += per
    give_up = None
    while True:
        status, ra = post(body)
        t = time.time()
        counts['requests'] += 1
        events.write('%.3f\t%d\t%d\t%d\t%s\n' % (t, status, seq, seq + per - 1, ra or '-'))
        if 200 <= status < 300:
            counts['acked_requests'] += 1
            counts['acked_readings'] += per
            acked.write(''.join('%d\n' % s for s in range(seq, seq + per)))
            break
        if status == 503:
            counts['status_503'] += 1
            if counts['first_503'] is None:
                counts['first_503'] = round(t, 3)
            counts['last_503'] = round(t, 3)
            if not ra:
                counts['status_503_without_retry_after'] += 1
            wait = float(ra) if ra else 1.0
        else:
            counts['errors'] += 1
            wait = 0.5
        if os.path.exists(stop):
            give_up = give_up or time.time() + 90
            if time.time() > give_up:
                break
        time.sleep(wait)
    seq += per
    # no catching up after push back: the next reading is due one period from now
    next_at = max(next_at + per / rate, time.time())

counts['duration_s'] = round(time.time() - t0, 3)
with open(os.path.join(out, 'summary'), 'w') as f:
    json.dump(counts, f)
