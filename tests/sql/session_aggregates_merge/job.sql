-- aggregates survive a session merge: a's rows at :00 and :50 are two sessions until :25 arrives
SET max_batch_records = 1;
SET batch_interval = '1ms';
CREATE SOURCE r (k TEXT, d TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, window_start, window_end, count(*) AS n, count(DISTINCT d) AS nd, first_value(v) AS f,
           last_value(v) AS l, min(v) AS lo, max(v) AS hi, sum(v) AS s
    FROM SESSION(r, ts, INTERVAL '30' SECOND)
    GROUP BY k, window_start, window_end;
