-- 20 readings from 4 devices: round robin, one reading per device every 10 s from the start time
CREATE SOURCE g (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, WATERMARK FOR ts AS ts)
    WITH (connector = 'generator', devices = 4, count = 20, start = '2024-05-01T00:00:00Z');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, window_start, count(*) AS n, min(ts) AS first_ts, max(ts) AS last_ts
    FROM TUMBLE(g, ts, INTERVAL '1' DAY) GROUP BY device_id, window_start, window_end;
CREATE SINK total WITH (connector = 'file', path = 'total.jsonl') AS
    SELECT window_start, count(*) AS n, count(DISTINCT device_id) AS devices
    FROM TUMBLE(g, ts, INTERVAL '1' DAY) GROUP BY window_start, window_end;
