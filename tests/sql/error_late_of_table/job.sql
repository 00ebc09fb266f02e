CREATE TABLE d (id TEXT PRIMARY KEY, room TEXT) WITH (connector = 'file', path = 'd.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT id FROM LATE(d);
