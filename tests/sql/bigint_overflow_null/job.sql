-- BIGINT overflow gives NULL, including -MIN, abs(MIN), MIN / -1; MIN % -1 is 0
CREATE SOURCE r (x BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT x, x + 1 AS inc, x - 1 AS dec, x * 2 AS dbl, -x AS neg, abs(x) AS a, x / -1 AS q, x % -1 AS m
    FROM r;
