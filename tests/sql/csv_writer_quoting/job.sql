-- the CSV writer: header line first, RFC 4180 quoting, NULL as an empty unquoted field,
-- the empty string as "" (the sink writes CSV into csvout.jsonl so the runner compares its lines)
CREATE SOURCE r (id BIGINT, s TEXT, d DOUBLE, b BOOLEAN, t TIMESTAMP)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK csvout WITH (connector = 'file', path = 'csvout.jsonl', format = 'csv') AS
    SELECT id, s, d, b, t FROM r;
