-- the table is read completely before any reading is joined:
-- a's latest row wins (upsert), b's all-NULL row deletes it
CREATE SOURCE readings (device_id TEXT, pm25 DOUBLE)
    WITH (connector = 'file', path = 'readings.jsonl');
CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT)
    WITH (connector = 'file', path = 'devices.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT r.device_id, d.room FROM readings r LEFT JOIN devices d ON r.device_id = d.device_id;
