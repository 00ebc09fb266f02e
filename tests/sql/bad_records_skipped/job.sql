-- bad records (not JSON, a string for a DOUBLE, 4.5 for a BIGINT, an unterminated object)
-- are counted and skipped; the good rows flow and the job exits 0
CREATE SOURCE r (id BIGINT, v DOUBLE, s TEXT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT id, v, s FROM r;
