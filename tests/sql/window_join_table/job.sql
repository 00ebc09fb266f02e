-- a window function on the left of a join: the window applies to the joined rows
CREATE SOURCE readings (
    device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'generator', devices = 3, count = 36);
CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT)
    WITH (connector = 'file', path = 'devices.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT r.device_id, d.room, window_start, count(*) AS n
    FROM TUMBLE(readings, ts, INTERVAL '1' MINUTE) r
    LEFT JOIN devices d ON r.device_id = d.device_id
    GROUP BY r.device_id, d.room, window_start, window_end;
