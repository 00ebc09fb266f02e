CREATE VIEW n AS SELECT ((((a + (b * (c - (d / 2)))))) ) AS x FROM (SELECT * FROM (SELECT a, b, c, d FROM t) q1) q2 JOIN u ON q2.a = u.a INNER JOIN w ON TRUE;
