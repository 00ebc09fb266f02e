-- sum of BIGINT is BIGINT (so / 4 truncates), of DOUBLE is DOUBLE; avg is DOUBLE;
-- min/max keep their type: TEXT bytewise ('B' < 'a' < 'b'), TIMESTAMP, DOUBLE
CREATE SOURCE r (k TEXT, i BIGINT, d DOUBLE, s TEXT, t TIMESTAMP) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, sum(i) / 4 AS si4, sum(d) / 4 AS sd4, avg(i) AS ai, min(s) AS mins, max(s) AS maxs,
           min(t) AS mint, max(t) AS maxt, min(d) AS mind, max(i) AS maxi
    FROM r GROUP BY k;
