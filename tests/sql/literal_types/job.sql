CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT 1 AS i, 2.5 AS d, 'x' AS s, TRUE AS b, NULL AS n, TIMESTAMP '2024-05-01 00:00:00' AS t FROM v WHERE id = 1;
