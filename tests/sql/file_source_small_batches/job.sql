-- a file read in many small micro-batches (max_batch_records) delivers every
-- line exactly once: the lines left when a batch is full wait for the next
SET max_batch_records = 100;
SET batch_interval = '1ms';
CREATE SOURCE r (id BIGINT, v BIGINT) WITH (connector = 'file', path = 'r.jsonl', max_line = 4096);
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT id, v FROM r;
