CREATE SOURCE readings (device_id TEXT, kind TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'file', path = 'readings.jsonl');
CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT, pm25_max DOUBLE)
    WITH (connector = 'file', path = 'devices.jsonl');
CREATE SINK s WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT r.device_id, d.room FROM readings r JOIN devices d ON r.device_id = d.device_id
    WHERE r.kind = 'pm' AND r.pm2 > 10;
