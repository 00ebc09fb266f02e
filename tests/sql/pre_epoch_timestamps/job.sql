-- times before 1970: windows and date_trunc round down (floor), extract(second) is positive
CREATE SOURCE r (t TIMESTAMP, WATERMARK FOR t AS t) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT t, date_trunc('minute', t) AS m, extract(second FROM t) AS sec, extract(epoch FROM t) AS ep,
           extract(year FROM t) AS yr, window_start
    FROM TUMBLE(r, t, INTERVAL '1' MINUTE);
CREATE SINK neg WITH (connector = 'file', path = 'neg.jsonl') AS
    SELECT to_timestamp(-1.5) AS z FROM r WHERE t = TIMESTAMP '1970-01-01 00:00:00';
