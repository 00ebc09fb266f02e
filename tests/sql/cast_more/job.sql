-- CAST from TEXT parses (NULL when it does not);
-- CAST to TEXT prints like the JSON writer
CREATE SOURCE r (s TEXT, d DOUBLE, b BOOLEAN) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT CAST(s AS BOOLEAN) AS sb, CAST(s AS TIMESTAMP) AS st, CAST(s AS DOUBLE) AS sd,
           CAST(d AS TEXT) AS ds, CAST(b AS TEXT) AS bs
    FROM r;
