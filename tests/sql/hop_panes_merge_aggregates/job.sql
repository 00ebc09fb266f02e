-- HOP windows built from 1-minute panes: count(DISTINCT), variance and first/last (by event
-- time) must combine correctly across panes; rows arrive out of order
CREATE SOURCE r (d TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '2' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT window_start, count(*) AS n, count(DISTINCT d) AS nd, sum(v) AS s, var_pop(v) AS vp,
           var_samp(v) AS vs, first_value(v) AS f, last_value(v) AS l
    FROM HOP(r, ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)
    GROUP BY window_start, window_end;
