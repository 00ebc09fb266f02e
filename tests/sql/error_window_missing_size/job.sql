CREATE SOURCE r (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS
    SELECT window_start, count(*) AS n FROM TUMBLE(r, ts) GROUP BY window_start;
