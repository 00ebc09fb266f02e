-- nowcast_pm in a running aggregate (no window): the NowCast as of the hour
-- of each device's newest reading; the EPA fact-sheet example gives 17.413919.
-- All rows arrive in one micro-batch, so each device is emitted once.
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,
                 WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, round(nowcast_pm(pm25, ts), 6) AS nowcast FROM r GROUP BY device_id;
