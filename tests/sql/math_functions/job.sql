CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, abs(x) AS a, round(d) AS r, round(d * 1.25, 1) AS r2, floor(d) AS f, ceil(d) AS c, sqrt(y) AS q, power(y, 3) AS p, least(x, y) AS lo, greatest(x, y) AS hi FROM v;
