CREATE SOURCE v (id BIGINT, x BIGINT, y BIGINT, d DOUBLE, s TEXT, t TIMESTAMP, b BOOLEAN)
    WITH (connector = 'file', path = 'v.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, date_trunc('hour', t) AS h, date_trunc('day', t) AS dd, extract(year FROM t) AS yr, extract(minute FROM t) AS mi, extract(second FROM t) AS sec, t + INTERVAL '1' DAY AS tomorrow FROM v;
