CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, x + d AS a, d * 2 AS m, d / 0 AS z, x / 2.0 AS h FROM v;
