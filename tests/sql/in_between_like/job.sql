CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, x IN (1, 7, 9) AS i, x NOT IN (1, 7) AS ni, d BETWEEN -1 AND 1 AS bt, x NOT BETWEEN 0 AND 10 AS nbt, s LIKE 'H%o' AS l, s NOT LIKE '_O%' AS nl FROM v;
