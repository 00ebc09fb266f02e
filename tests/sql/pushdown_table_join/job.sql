-- Predicate pushdown below a stream-table join (docs/sql.md, "Query
-- planning"): conditions on the stream alone filter it before the join;
-- conditions on the table, on both sides, or ORs across sides stay above.
CREATE SOURCE readings (device_id TEXT, kind TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'file', path = 'readings.jsonl');
CREATE TABLE devices (device_id TEXT PRIMARY KEY, room TEXT, pm25_max DOUBLE)
    WITH (connector = 'file', path = 'devices.jsonl');
-- only the stream's columns: all of it moves below the join
CREATE SINK stream_side WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT r.device_id, d.room, r.pm25 FROM readings r JOIN devices d ON r.device_id = d.device_id
    WHERE r.kind = 'pm' AND r.pm25 IS NOT NULL;
-- r.pm25 > 11 moves; the table's room and the cross-side comparison stay
CREATE SINK mixed WITH (connector = 'file', path = 'mixed.jsonl') AS
    SELECT r.device_id, d.room, r.pm25 FROM readings r JOIN devices d ON r.device_id = d.device_id
    WHERE r.pm25 > 11 AND d.room <> 'garage' AND r.pm25 > d.pm25_max;
-- an OR across sides is not split and stays; an OR of stream columns moves whole
CREATE SINK ors WITH (connector = 'file', path = 'ors.jsonl') AS
    SELECT r.device_id, d.room, r.pm25 FROM readings r JOIN devices d ON r.device_id = d.device_id
    WHERE (r.kind = 'co2' OR d.room = 'kitchen') AND (r.pm25 < 15 OR r.pm25 > 35);
-- an extra ON condition of an INNER join on the stream moves too
CREATE SINK on_cond WITH (connector = 'file', path = 'on_cond.jsonl') AS
    SELECT r.device_id, d.room, r.pm25 FROM readings r JOIN devices d
    ON r.device_id = d.device_id AND upper(r.kind) = 'PM' AND d.pm25_max < 20;
-- r.* keeps every stream column (nothing is pruned below the join)
CREATE SINK star WITH (connector = 'file', path = 'star.jsonl') AS
    SELECT r.*, d.room FROM readings r JOIN devices d ON r.device_id = d.device_id WHERE r.kind = 'co2';
