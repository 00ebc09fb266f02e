-- watermark = max event time (no delay), one row per micro-batch.
-- :20 arrives late but its window is open: counted and sent to LATE;
-- the second 12:01:30 equals the watermark: late, window open, counted;
-- 12:00:50 arrives after window 12:00 closed: dropped by the aggregate, sent to LATE;
-- the raw sink keeps every row.
SET max_batch_records = 1;
SET batch_interval = '1ms';
CREATE SOURCE r (ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK per_minute WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, count(*) AS n, sum(v) AS s
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;
CREATE SINK late WITH (connector = 'file', path = 'late.jsonl') AS SELECT ts, v FROM LATE(r);
CREATE SINK raw WITH (connector = 'file', path = 'raw.jsonl') AS SELECT v FROM r;
