CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, x > y AS gt, x = 7 AS eq, x <> 7 AS ne, d <= 0 AS le, (x > 0) AND b AS a, (x > 0) OR b AS o, NOT b AS nb FROM v;
