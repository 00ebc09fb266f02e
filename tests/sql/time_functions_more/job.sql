-- extract fields, date_trunc('minute'), interval forms (quoted unit, fractional, plural,
-- milliseconds), timestamp comparison, to_timestamp with a fraction; a leap-day rollover
CREATE SOURCE r (id BIGINT, t TIMESTAMP) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, extract(month FROM t) AS mo, extract(day FROM t) AS dy, extract(hour FROM t) AS hr,
           extract(second FROM t) AS sec, extract(epoch FROM t) AS ep, date_trunc('minute', t) AS tm,
           t - INTERVAL '1' HOUR AS h1, t + INTERVAL '1 minute' AS m1, t + INTERVAL '1.5' HOUR AS h15,
           t + INTERVAL '250' MILLISECOND AS ms, t + INTERVAL '2' DAYS AS d2,
           t > TIMESTAMP '2024-03-01 00:00:00' AS after, to_timestamp(1.5) AS z
    FROM r;
