-- a late row counts in the HOP window that is still open and is dropped from the one that closed
SET max_batch_records = 1;
SET batch_interval = '1ms';
CREATE SOURCE r (ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, count(*) AS n, sum(v) AS s
    FROM HOP(r, ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE) GROUP BY window_start, window_end;
CREATE SINK late WITH (connector = 'file', path = 'late.jsonl') AS SELECT v FROM LATE(r);
