-- in a window first_value/last_value order by event time (ties by arrival) and skip NULLs;
-- in a running aggregate they order by arrival
CREATE SOURCE r (k TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, window_start, first_value(v) AS f, last_value(v) AS l, count(*) AS n, count(v) AS nv
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY k, window_start, window_end;
CREATE SINK arrival WITH (connector = 'file', path = 'arrival.jsonl') AS
    SELECT k, first_value(v) AS f, last_value(v) AS l FROM r GROUP BY k;
