-- NULL v makes both WHENs unknown, so it falls to ELSE
CREATE SOURCE r (v BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT CASE WHEN v < 10 THEN 'low' WHEN v < 100 THEN 'mid' ELSE 'high' END AS level,
           count(*) AS n, sum(v) AS s
    FROM r
    GROUP BY CASE WHEN v < 10 THEN 'low' WHEN v < 100 THEN 'mid' ELSE 'high' END;
