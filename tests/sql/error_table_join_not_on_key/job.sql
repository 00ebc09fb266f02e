CREATE SOURCE r (id TEXT, room TEXT) WITH (connector = 'file', path = 'r.jsonl');
CREATE TABLE d (id TEXT PRIMARY KEY, room TEXT) WITH (connector = 'file', path = 'd.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT r.id FROM r JOIN d ON r.room = d.room;
