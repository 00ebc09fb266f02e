-- append = true keeps what the file held; without it the sink starts a fresh file
CREATE SOURCE r (id TEXT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl', append = true) AS SELECT id FROM r;
CREATE SINK fresh WITH (connector = 'file', path = 'fresh.jsonl') AS SELECT id FROM r;
