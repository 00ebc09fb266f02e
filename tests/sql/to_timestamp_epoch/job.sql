CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, to_timestamp(1714566896) AS t1, extract(epoch FROM t) AS e FROM v WHERE id = 1;
