CREATE SOURCE a (id TEXT, v DOUBLE) WITH (connector = 'file', path = 'a.jsonl');
CREATE SOURCE b (id TEXT, v TEXT) WITH (connector = 'file', path = 'b.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT id, v FROM a UNION ALL SELECT id, v FROM b;
