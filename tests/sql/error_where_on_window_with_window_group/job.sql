CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, window_start, count(*) AS n
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE)
    WHERE window_start >= TIMESTAMP '2024-05-01 00:01:00'
    GROUP BY device_id, window_start, window_end;
