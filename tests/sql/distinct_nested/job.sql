-- DISTINCT over a DISTINCT subquery, each planned once (a DISTINCT is a
-- GROUP BY of its columns, decided before its FROM is planned)
CREATE SOURCE readings (device_id TEXT, kind TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'file', path = 'readings.jsonl');
CREATE SINK kinds WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT DISTINCT k FROM (SELECT DISTINCT device_id, kind AS k FROM readings WHERE pm25 > 9) s;
