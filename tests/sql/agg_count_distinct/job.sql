-- count(*) counts rows, count(x) non-NULL values, count(DISTINCT x) distinct non-NULL values
CREATE SOURCE v (g TEXT, x BIGINT, s TEXT) WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT g, count(*) AS n, count(x) AS nx, count(DISTINCT x) AS dx, count(DISTINCT s) AS ds
    FROM v GROUP BY g;
