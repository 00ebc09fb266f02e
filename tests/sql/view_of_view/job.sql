CREATE SOURCE r (id TEXT, x BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE VIEW v1 AS SELECT id, x * 2 AS x2 FROM r WHERE x > 0;
CREATE VIEW v2 AS SELECT id, x2 + 1 AS x3 FROM v1 WHERE x2 < 10;
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT * FROM v2;
