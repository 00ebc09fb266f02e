-- The demo job `make run` starts (until the air-quality job lands):
-- 100 simulated sensors, cleaned, rolled up per device and minute.
-- Event time advances 50 simulated seconds per wall second, so a
-- 1-minute window closes about every 1.2 s. Ctrl-C stops gracefully.
SET batch_interval = '200ms';

CREATE SOURCE readings (
    device_id   TEXT,
    ts          TIMESTAMP,
    pm25        DOUBLE,
    co2         BIGINT,
    temperature DOUBLE,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'generator', devices = 100, rate = 500, seed = 42, faults = true);

-- QC: drop physically impossible values (faults injects some)
CREATE VIEW clean AS
    SELECT * FROM readings
    WHERE pm25 BETWEEN 0 AND 1000 AND co2 BETWEEN 300 AND 10000;

CREATE SINK per_minute WITH (connector = 'stdout') AS
    SELECT device_id, window_start, round(avg(pm25), 1) AS pm25_avg,
           max(co2) AS co2_max, round(avg(temperature), 1) AS temp_avg, count(*) AS n
    FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end
    HAVING max(co2) > 1000 OR avg(pm25) > 25;
