-- every aggregate over a group whose values are all NULL (group n) next to one with values (group m)
CREATE SOURCE v (g TEXT, x BIGINT, d DOUBLE, s TEXT, t TIMESTAMP) WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT g, count(*) AS n, count(x) AS cx, count(DISTINCT s) AS cds, sum(x) AS sx, sum(d) AS sd,
           avg(d) AS ad, min(s) AS mins, max(t) AS maxt, var_pop(d) AS vp, stddev_samp(d) AS ss,
           first_value(x) AS fx, last_value(s) AS ls
    FROM v GROUP BY g;
