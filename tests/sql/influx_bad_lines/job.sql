-- malformed line protocol and values that do not fit their column are bad
-- records: counted, routed to the dead-letter sink with the reason and the
-- byte offset, never stopping the job; the good lines flow
SET dead_letter = 'rejects';
CREATE SOURCE m (host TEXT, v DOUBLE, n BIGINT, ts TIMESTAMP)
    WITH (connector = 'file', path = 'm.lp', format = 'line_protocol');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT host, v, n, ts FROM m;
CREATE SINK rejects WITH (connector = 'file', path = 'rejects.jsonl');
