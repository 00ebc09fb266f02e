-- AQI breakpoint edges under both EPA tables (2024 revision, in force from
-- 2024-05-06, and the 2012 table before it), truncation of the
-- concentration, NULL and negative inputs, and concentrations above the top
-- breakpoint (the top segment extended). Expected values were computed
-- independently from the published tables with decimal arithmetic.
CREATE SOURCE v (id BIGINT, c DOUBLE, at TIMESTAMP, note TEXT)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, aqi_pm25(c) AS aqi_now, aqi_pm25(c, at) AS aqi_at, aqi_pm10(c) AS pm10,
           aqi_pm10(c, at) AS pm10_at, aqi_category(aqi_pm25(c)) AS category,
           aqi_color(aqi_pm25(c)) AS color
    FROM v;
