CREATE SOURCE r (
    device_id TEXT,
    ts        TIMESTAMP,
    pm25      DOUBLE,
    co2       BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'readings.jsonl');
CREATE VIEW clean AS SELECT * FROM r WHERE pm25 BETWEEN 0 AND 1000;
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, count(*) AS n, sum(pm25) AS total
    FROM TUMBLE(clean, ts, INTERVAL '5' MINUTE)
    GROUP BY device_id, window_start
    HAVING count(*) >= 2;
