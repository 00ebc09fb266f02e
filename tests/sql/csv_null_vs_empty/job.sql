-- CSV input: an empty unquoted field is NULL, "" is the empty string, "" inside quotes is one quote;
-- a header line equal to the column names is skipped, a file without one starts with data
CREATE SOURCE h (id BIGINT, s TEXT, n BIGINT) WITH (connector = 'file', path = 'h.csv', format = 'csv');
CREATE SOURCE nh (id BIGINT, s TEXT, n BIGINT) WITH (connector = 'file', path = 'nh.csv', format = 'csv');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, s, n, s IS NULL AS s_null FROM h
    UNION ALL
    SELECT id, s, n, s IS NULL AS s_null FROM nh;
