-- sqrt/ln/log10 outside their domain give NULL; NULL in, NULL out
CREATE SOURCE r (id BIGINT, d DOUBLE) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, sqrt(d) AS sq, ln(d) AS l, log10(d) AS lg, exp(d) AS e, power(d, 2) AS p,
           abs(d) AS a, ceil(d) AS c, floor(d) AS f
    FROM r;
