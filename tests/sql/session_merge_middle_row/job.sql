-- a's rows at :00 and :50 start two sessions (gap 30 s); the row at :25, arriving later in its
-- own micro-batch, bridges them into one session ending at :50 + 30 s
SET max_batch_records = 1;
SET batch_interval = '1ms';
CREATE SOURCE r (k TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, window_start, window_end, count(*) AS n, sum(v) AS s
    FROM SESSION(r, ts, INTERVAL '30' SECOND)
    GROUP BY k, window_start, window_end;
