CREATE SOURCE r (
    device_id TEXT,
    ts        TIMESTAMP,
    pm25      DOUBLE,
    co2       BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'readings.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, window_start, window_end, count(*) AS n
    FROM SESSION(r, ts, INTERVAL '30' SECOND)
    GROUP BY device_id, window_start, window_end;
