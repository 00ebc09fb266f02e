-- GROUP BY naming only window_end is still a windowed aggregation
CREATE SOURCE r (k TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, window_end, count(*) AS n FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY k, window_end;
