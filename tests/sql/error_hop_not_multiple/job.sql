CREATE SOURCE r (id TEXT, ts TIMESTAMP) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS
    SELECT count(*) FROM HOP(r, ts, INTERVAL '2' MINUTE, INTERVAL '3' MINUTE) GROUP BY window_start;
