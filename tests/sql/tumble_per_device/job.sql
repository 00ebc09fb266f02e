CREATE SOURCE r (
    device_id TEXT,
    ts        TIMESTAMP,
    pm25      DOUBLE,
    co2       BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'readings.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, window_start, window_end, count(*) AS n, count(pm25) AS n_pm,
           avg(pm25) AS pm25_avg, max(co2) AS co2_max
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;
