-- InfluxDB line protocol from a file: tags and fields go to the columns of
-- the same name (case-insensitive), the measurement to `measurement`, the
-- line's timestamp (nanoseconds) to the TIMESTAMP column no tag or field set;
-- escapes, every field type, comments, blank lines; unknown keys are ignored
CREATE SOURCE air (
    measurement TEXT, device_id TEXT, floor BIGINT, pm25 DOUBLE, co2 BIGINT,
    ok BOOLEAN, note TEXT, ts TIMESTAMP
) WITH (connector = 'file', path = 'air.lp', format = 'influx');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT measurement, device_id, floor, pm25, co2, ok, note, ts FROM air;
