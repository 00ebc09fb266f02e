CREATE SOURCE r (id TEXT, v DOUBLE) WITH (connector = 'file', path = 'r.jsonl');
CREATE TABLE d (id TEXT PRIMARY KEY, room TEXT) WITH (connector = 'file', path = 'd.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT id, room FROM r JOIN d ON r.id = d.id;
