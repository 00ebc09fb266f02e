CREATE SOURCE r (id TEXT) WITH (connector = 'file', path = 'x.jsonl');
CREATE VIEW r AS SELECT * FROM r;
