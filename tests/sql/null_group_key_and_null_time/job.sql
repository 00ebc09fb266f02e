-- a NULL key is a group of its own; a row with a NULL event time belongs to no window
CREATE SOURCE r (k TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, count(*) AS n FROM r GROUP BY k;
CREATE SINK win WITH (connector = 'file', path = 'win.jsonl') AS
    SELECT k, window_start, count(*) AS n FROM TUMBLE(r, ts, INTERVAL '1' MINUTE)
    GROUP BY k, window_start, window_end;
