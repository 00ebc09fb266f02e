CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, lower(s) AS lo, upper(s) AS up, length(s) AS n, substr(s, 2, 3) AS sub, trim('  ' || s || ' ') AS tr, concat(s, '-', id) AS c, s || '!' AS bang FROM v;
