CREATE SOURCE r (k TEXT, v BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, count(*) AS n FROM r GROUP BY k HAVING sum(v) > 5 AND max(v) < 10;
