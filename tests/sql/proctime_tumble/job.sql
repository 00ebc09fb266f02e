-- processing-time windows; at the end of bounded input every open one is emitted
CREATE SOURCE r (v BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT count(*) AS n, sum(v) AS s FROM TUMBLE(r, PROCTIME(), INTERVAL '1' DAY)
    GROUP BY window_start, window_end;
