CREATE SOURCE r (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS
    SELECT id, window_start FROM SESSION(r, ts, INTERVAL '1' MINUTE);
