CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'file', path = 'readings.jsonl');
CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT, pm25_max DOUBLE)
    WITH (connector = 'file', path = 'devices.jsonl');
CREATE SINK inner_join WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT r.device_id, d.room, r.pm25 > d.pm25_max AS over
    FROM readings r JOIN devices d ON r.device_id = d.device_id;
CREATE SINK left_join WITH (connector = 'file', path = 'left.jsonl') AS
    SELECT r.device_id, d.room FROM readings AS r LEFT JOIN devices AS d ON d.device_id = r.device_id;
