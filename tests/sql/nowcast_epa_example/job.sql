-- nowcast_pm over HOP(1 hour, 12 hours): the EPA PM NowCast fact-sheet example
-- (hourly averages 50 80 75 90 82 53 64 74 21 10 16 13, newest last: w = 0.5,
-- NowCast 17.4 ug/m3, AQI 66 under the 2024 table), every window as hours arrive
-- and leave (rounded to 6 decimals), hourly averages of two readings each, a constant series (w = 1),
-- a missing second hour (still valid) and missing second and third hours (NULL:
-- EPA needs 2 of the 3 most recent hours). Expected values come from an
-- independent implementation of the fact sheet's steps.
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,
                 WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, window_end, round(nowcast_pm(pm25, ts), 6) AS nowcast,
           aqi_pm25(nowcast_pm(pm25, ts), window_end) AS aqi
    FROM HOP(r, ts, INTERVAL '1' HOUR, INTERVAL '12' HOUR)
    GROUP BY device_id, window_start, window_end;
