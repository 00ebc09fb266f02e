-- The rollup chain (raw -> 1 minute -> 1 hour, the hour computed from the
-- minutes with sample-weighted averages) gives the same hourly averages,
-- received counts and validity (>= 75% of 360 readings) as an hourly rollup
-- of the raw readings; about 20% of the readings are missing. Both sinks are
-- compared with the same rows, computed independently from the input; b's
-- second hour misses 40% and is not valid.
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, WATERMARK FOR ts AS ts)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE VIEW per_minute AS
    SELECT device_id, window_start AS minute, avg(pm25) AS pm25, count(*) AS n
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY device_id, window_start, window_end;
CREATE SINK chain WITH (connector = 'file', path = 'chain.jsonl') AS
    SELECT device_id, window_start AS hour, round(sum(pm25 * n) / sum(n), 6) AS pm25,
           sum(n) AS received, sum(n) >= 270 AS valid
    FROM TUMBLE(per_minute, minute, INTERVAL '1' HOUR) GROUP BY device_id, window_start, window_end;
CREATE SINK direct WITH (connector = 'file', path = 'direct.jsonl') AS
    SELECT device_id, window_start AS hour, round(avg(pm25), 6) AS pm25,
           count(*) AS received, count(*) >= 270 AS valid
    FROM TUMBLE(r, ts, INTERVAL '1' HOUR) GROUP BY device_id, window_start, window_end;
