CREATE SOURCE r (id TEXT, v BIGINT) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT id FROM r WHERE id + v > 1;
