-- a table keyed by BIGINT; the key may be matched by a stream expression
CREATE SOURCE r (device TEXT, room BIGINT, v DOUBLE) WITH (connector = 'file', path = 'r.jsonl');
CREATE TABLE rooms (room_id BIGINT PRIMARY KEY, name TEXT, floor BIGINT)
    WITH (connector = 'file', path = 'rooms.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT r.device, t.name, t.floor FROM r JOIN rooms t ON r.room = t.room_id;
CREATE SINK lefts WITH (connector = 'file', path = 'lefts.jsonl') AS
    SELECT r.device, t.name, t.floor FROM r LEFT JOIN rooms t ON r.room = t.room_id;
CREATE SINK next_room WITH (connector = 'file', path = 'next.jsonl') AS
    SELECT r.device, t.name FROM r JOIN rooms t ON t.room_id = r.room + 1;
