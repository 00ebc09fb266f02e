-- one windowed view read by two sinks: a filter, and a running count of the emitted windows
CREATE SOURCE r (k TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE VIEW agg AS SELECT k, window_start, count(*) AS n
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY k, window_start, window_end;
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT k, n FROM agg WHERE n > 1;
CREATE SINK total WITH (connector = 'file', path = 'total.jsonl') AS
    SELECT count(*) AS windows, sum(n) AS rows_seen FROM agg;
