-- a poll that stops at its room (max_batch_records) leaves many complete lines
-- in the source's buffer, more bytes than max_line: they are read in the next
-- micro-batches, not mistaken for one over-long line and dropped
SET max_batch_records = 7;
SET batch_interval = '1ms';
CREATE SOURCE r (k TEXT, v BIGINT) WITH (connector = 'file', path = 'r.jsonl', max_line = 64);
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, count(*) AS n, sum(v) AS total FROM r GROUP BY k HAVING count(*) = 500;
