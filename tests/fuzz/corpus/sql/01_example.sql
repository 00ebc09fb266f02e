SET batch_interval = '1s';
CREATE SOURCE readings (
    device_id  TEXT,
    ts         TIMESTAMP,
    pm25       DOUBLE,
    co2        BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'file', path = 'readings.jsonl', format = 'json');
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    room      TEXT,
    pm25_max  DOUBLE
) WITH (connector = 'file', path = 'devices.jsonl', format = 'json');
CREATE VIEW clean AS
    SELECT * FROM readings WHERE pm25 BETWEEN 0 AND 1000;
CREATE SINK per_minute WITH (connector = 'file', path = 'out.jsonl', format = 'json') AS
    SELECT device_id, window_start, window_end, avg(pm25) AS pm25_avg, count(*) AS n
    FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;
