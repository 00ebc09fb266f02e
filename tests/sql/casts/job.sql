CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, CAST(x AS DOUBLE) AS xd, CAST(d AS BIGINT) AS di, CAST(x AS TEXT) AS xs, CAST('42' AS BIGINT) AS p, CAST('nope' AS BIGINT) AS bad, CAST(t AS TEXT) AS ts FROM v;
