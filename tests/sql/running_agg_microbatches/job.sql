-- micro-batches of two rows: after each, every group that changed is emitted again,
-- and the file sink keeps every version
SET max_batch_records = 2;
SET batch_interval = '1ms';
CREATE SOURCE r (k TEXT, v BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, count(*) AS n, sum(v) AS s FROM r GROUP BY k;
