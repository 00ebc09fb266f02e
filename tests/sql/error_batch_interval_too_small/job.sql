SET batch_interval = '0ms';
CREATE SOURCE r (id TEXT) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT id FROM r;
