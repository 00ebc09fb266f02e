-- operator precedence and associativity; % takes the sign of the dividend
CREATE SOURCE r (id BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT 2 + 3 * 4 AS a, (2 + 3) * 4 AS b, 10 - 4 - 3 AS c, 2 * 3 % 4 AS d, -2 * -3 AS e,
           7 % -3 AS f, -7 % 3 AS g, 1 / 0.5 AS i, NOT 1 = 2 AS j, TRUE OR FALSE AND FALSE AS k,
           1 + 1 = 2 AND 3 != 4 AS l, 'a' || 'b' || 'c' AS m, greatest(1, 2.5) AS o, least(3, 2, 5) AS p,
           12 / 4 / 3 AS q
    FROM r;
