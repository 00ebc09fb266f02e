-- source a has one row and finishes; it then stops holding the job's watermark back, so b's
-- row at 12:02 (after b reached 12:05) is late: sent to LATE(b) and dropped by the closed window
SET max_batch_records = 1;
SET batch_interval = '1ms';
CREATE SOURCE a (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'a.jsonl');
CREATE SOURCE b (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'b.jsonl');
CREATE SINK late WITH (connector = 'file', path = 'late.jsonl') AS SELECT id FROM LATE(b);
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, count(*) AS n FROM TUMBLE(b, ts, INTERVAL '1' MINUTE)
    GROUP BY window_start, window_end;
