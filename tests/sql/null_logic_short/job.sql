CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, b AND FALSE AS f, b OR TRUE AS t, x IS NULL AS isn, s IS NOT NULL AS nn FROM v;
