-- avg, min, max and count of one DOUBLE column per key and minute: the
-- rollup the aggregate updates in one pass over the rows (no NULLs), and
-- the same over a column with NULLs (field by field)
CREATE SOURCE r (k TEXT, ts TIMESTAMP, v DOUBLE, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'file', path = 'in.jsonl');
CREATE SOURCE rn (k TEXT, ts TIMESTAMP, v DOUBLE, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'file', path = 'nulls.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, window_start, avg(v) AS avg_v, min(v) AS min_v, max(v) AS max_v, count(*) AS n
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY k, window_start, window_end;
CREATE SINK out_nulls WITH (connector = 'file', path = 'out_nulls.jsonl') AS
    SELECT k, window_start, avg(v) AS avg_v, min(v) AS min_v, max(v) AS max_v, count(v) AS nv,
           count(*) AS n
    FROM TUMBLE(rn, ts, INTERVAL '1' MINUTE) GROUP BY k, window_start, window_end;
