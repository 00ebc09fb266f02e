-- IN / NOT IN with a NULL in the list, BETWEEN with NULL, CASE x WHEN NULL never matches
CREATE SOURCE r (id BIGINT, x BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, x IN (1, NULL) AS i, x NOT IN (1, NULL) AS ni, x BETWEEN 0 AND NULL AS bt,
           CASE x WHEN NULL THEN 'n' ELSE 'e' END AS c, nullif(x, 1) AS nf, coalesce(NULL, x) AS co,
           x IS NULL AS isn
    FROM r;
