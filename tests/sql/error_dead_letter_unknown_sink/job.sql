SET dead_letter = 'rejected';
CREATE SOURCE r (id BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT * FROM r;
