-- one row per micro-batch, so the watermark moves between rows
SET max_batch_records = 1;
SET batch_interval = '1ms';
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,
                 WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'readings.jsonl');
CREATE SINK per_minute WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, count(*) AS n, sum(pm25) AS s
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;
CREATE SINK late WITH (connector = 'file', path = 'late.jsonl') AS
    SELECT device_id, ts, pm25 FROM LATE(r);
