CREATE SOURCE r (id TEXT, g TEXT, x BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT s.id, s.y FROM (SELECT id, x + 1 AS y FROM r WHERE x IS NOT NULL) AS s WHERE s.y > 2;
CREATE SINK grouped WITH (connector = 'file', path = 'grouped.jsonl') AS
    SELECT g, sum(y) AS t FROM (SELECT g, x * 10 AS y FROM r) q GROUP BY g;
