-- length/substr count UTF-8 characters, upper changes ASCII letters only,
-- LIKE: \ escapes % and _, matching is case-sensitive
CREATE SOURCE r (id BIGINT, s TEXT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, length(s) AS n, upper(s) AS u, substr(s, 2, 4) AS sub,
           s LIKE '100\%' AS pct, s LIKE 'a\_c' AS us, s LIKE '%ö%' AS has_o,
           s LIKE 'ABC' AS caps
    FROM r;
