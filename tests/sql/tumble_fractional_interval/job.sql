-- INTERVAL '1.5' MINUTE is 90 s, windows aligned to the epoch; '30 seconds' is the one-string form
CREATE SOURCE r (ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, window_end, count(*) AS n FROM TUMBLE(r, ts, INTERVAL '1.5' MINUTE)
    GROUP BY window_start, window_end;
CREATE SINK halfmin WITH (connector = 'file', path = 'halfmin.jsonl') AS
    SELECT window_start, count(*) AS n FROM TUMBLE(r, ts, INTERVAL '30 seconds')
    GROUP BY window_start, window_end;
