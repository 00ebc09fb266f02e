CREATE SOURCE a (id TEXT, ts TIMESTAMP) WITH (connector = 'file', path = 'a.jsonl');
CREATE SOURCE b (id TEXT, ts TIMESTAMP) WITH (connector = 'file', path = 'b.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT a.id FROM a JOIN b ON a.id = b.id;
