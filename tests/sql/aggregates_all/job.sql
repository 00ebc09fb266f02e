CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT count(*) AS n, count(x) AS nx, count(DISTINCT y) AS dy, sum(x) AS sx, avg(d) AS ad, min(s) AS mn, max(s) AS mx, stddev_samp(y) AS sd, var_pop(y) AS vp FROM v;
