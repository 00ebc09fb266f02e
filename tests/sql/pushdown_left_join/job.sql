-- Predicate pushdown below a LEFT stream-table join: a condition on the
-- stream (the side a LEFT join keeps) filters it before the join; one on
-- the table must see the NULLs of unmatched rows, so it stays above.
CREATE SOURCE readings (device_id TEXT, kind TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'file', path = 'readings.jsonl');
CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT, pm25_max DOUBLE)
    WITH (connector = 'file', path = 'devices.jsonl');
-- the stream's condition moves below the join; unmatched rows still come out
CREATE SINK stream_side WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT r.device_id, d.room, r.pm25 FROM readings r LEFT JOIN devices d
    ON r.device_id = d.device_id WHERE r.kind = 'pm';
-- on the table's columns: stays above (keeps the rows that did not match)
CREATE SINK table_side WITH (connector = 'file', path = 'table_side.jsonl') AS
    SELECT r.device_id, r.pm25 FROM readings r LEFT JOIN devices d
    ON r.device_id = d.device_id WHERE d.pm25_max IS NULL;
-- both: r.pm25 >= 10 moves, coalesce(...) over both sides stays
CREATE SINK both_sides WITH (connector = 'file', path = 'both_sides.jsonl') AS
    SELECT r.device_id, d.room, r.pm25 FROM readings r LEFT JOIN devices d
    ON r.device_id = d.device_id WHERE r.pm25 >= 10 AND coalesce(d.room, 'none') <> 'office';
