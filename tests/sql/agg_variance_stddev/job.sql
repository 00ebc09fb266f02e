-- population and sample variance / standard deviation; the sample forms of one value are NULL
CREATE SOURCE v (g TEXT, x DOUBLE) WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT g, var_pop(x) AS vp, var_samp(x) AS vs, variance(x) AS v2,
           stddev_pop(x) AS sp, stddev_samp(x) AS ss, stddev(x) AS s2
    FROM v GROUP BY g;
