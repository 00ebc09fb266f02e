CREATE SOURCE r (id TEXT, v DOUBLE) WITH (connector = 'file', path = 'x.jsonl')
CREATE SINK s WITH (connector = 'stdout') AS SELECT id FROM r;
