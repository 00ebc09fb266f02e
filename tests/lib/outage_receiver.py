#!/usr/bin/env python3
"""tests/lib/outage_receiver.py - a webhook receiver for the outage suite.

Records every POST it gets and de-duplicates nothing: one line per request
in OUT/requests ("Idempotency-Key<TAB>request id<TAB>rows<TAB>sha1 of the
body"), and each row in OUT/rows as "Idempotency-Key<TAB>request id<TAB>row
JSON". Rows are written first and the request line last, both flushed
before the reply is sent: a request whose line is missing was cut short by
a kill and never answered. Both files are appended, so a receiver killed
and started again on the same port keeps what it had. Answers 200 to every
request.

usage: outage_receiver.py PORT OUT
"""
import hashlib
import http.server
import json
import os
import sys
import threading

port, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
requests = open(os.path.join(out, 'requests'), 'a', buffering=1)
rows = open(os.path.join(out, 'rows'), 'a')
lock = threading.Lock()
next_id = [0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', '0')))
        key = self.headers.get('Idempotency-Key', '')
        if self.headers.get('Content-Type') == 'application/x-ndjson':
            got = [json.loads(line) for line in body.decode().splitlines() if line]
        else:
            got = json.loads(body)
        with lock:
            next_id[0] += 1
            rid = '%d.%d' % (os.getpid(), next_id[0])
            rows.write(''.join('%s\t%s\t%s\n' % (key, rid, json.dumps(r, sort_keys=True))
                               for r in got))
            rows.flush()
            requests.write('%s\t%s\t%d\t%s\n' % (key, rid, len(got), hashlib.sha1(body).hexdigest()))
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()


http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
