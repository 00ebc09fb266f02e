CREATE SOURCE r (
    device_id TEXT,
    ts        TIMESTAMP,
    pm25      DOUBLE,
    co2       BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'readings.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, pm25 * 2 AS double_pm, co2 + 1 AS co2p
    FROM r WHERE pm25 BETWEEN 0 AND 1000;
