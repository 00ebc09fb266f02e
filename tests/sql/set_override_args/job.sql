-- the args file passes --set max_batch_records=1 --set batch_interval=1ms, overriding the SETs
-- below: every row is its own micro-batch, so the running count emits each version
SET max_batch_records = 1000;
CREATE SOURCE r (k TEXT) WITH (connector = 'file', path = 'r.jsonl');
SET batch_interval = '1s';
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, count(*) AS n FROM r GROUP BY k;
