-- every type alias: INT/INTEGER are BIGINT (integer division), FLOAT/REAL/DOUBLE PRECISION are
-- binary64 (0.1 prints as 0.1), VARCHAR/STRING are TEXT, BOOL is BOOLEAN
CREATE SOURCE t (
    a INT, b INTEGER, c FLOAT, d REAL, e DOUBLE PRECISION,
    f VARCHAR, g STRING, h BOOL, i BOOLEAN
) WITH (connector = 'file', path = 't.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT a / b AS q, a % b AS m, a + b AS ab, c, d, e * 2 AS e2, f || g AS s, h AND NOT i AS hb
    FROM t;
