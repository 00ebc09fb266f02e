CREATE VIEW e AS SELECT
  CASE WHEN a > 1 THEN 'hi' WHEN a IS NULL THEN NULL ELSE 'lo' END AS c1,
  CASE a WHEN 1 THEN 'one' ELSE 'other' END,
  CAST(a + 1 AS TEXT) || 'x', extract(hour FROM ts), -a * 2 % 3,
  a NOT IN (1, 2, 3) OR NOT b LIKE 'x%' AND c NOT BETWEEN 1 AND 2,
  TIMESTAMP '2024-05-01T12:00:00Z', 1.5e3, .5, 'it''s'
FROM t;
