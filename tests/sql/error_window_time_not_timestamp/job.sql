CREATE SOURCE r (id TEXT, v DOUBLE) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS
    SELECT count(*) FROM TUMBLE(r, v, INTERVAL '1' MINUTE) GROUP BY window_start;
