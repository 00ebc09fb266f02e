-- ISO-8601 inputs with offsets, fractions, a space for T, and a date alone; output is UTC with ms
CREATE SOURCE r (id BIGINT, t TIMESTAMP) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT id, t FROM r;
