CREATE SOURCE r (
    device_id TEXT,
    ts        TIMESTAMP,
    pm25      DOUBLE,
    co2       BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'readings.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, 'low' AS level FROM r WHERE pm25 < 10
    UNION ALL
    SELECT device_id, 'high' AS level FROM r WHERE pm25 >= 1000;
