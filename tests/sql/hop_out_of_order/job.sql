-- one row per micro-batch, arriving out of order but within the 2-minute watermark delay
SET max_batch_records = 1;
SET batch_interval = '1ms';
CREATE SOURCE r (ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '2' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, window_end, count(*) AS n, sum(v) AS s
    FROM HOP(r, ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)
    GROUP BY window_start, window_end;
