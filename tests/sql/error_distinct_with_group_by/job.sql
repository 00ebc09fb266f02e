CREATE SOURCE r (id TEXT, v DOUBLE) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT DISTINCT id, count(*) AS n FROM r GROUP BY id;
