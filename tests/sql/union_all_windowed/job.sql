-- event time and watermarks carry through UNION ALL: a window over the merged stream
CREATE SOURCE a (k TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
    WITH (connector = 'file', path = 'a.jsonl');
CREATE SOURCE b (k TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
    WITH (connector = 'file', path = 'b.jsonl');
CREATE VIEW u AS SELECT k, ts FROM a UNION ALL SELECT k, ts FROM b;
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, count(*) AS n, count(DISTINCT k) AS nk
    FROM TUMBLE(u, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;
