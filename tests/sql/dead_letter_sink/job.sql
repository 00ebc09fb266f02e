-- SET dead_letter routes every bad record (source, location, reason, the raw
-- record) to a sink declared without a query; good rows flow on
SET dead_letter = 'rejects';
CREATE SOURCE r (id BIGINT, v DOUBLE, s TEXT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT id, v, s FROM r;
CREATE SINK rejects WITH (connector = 'file', path = 'rejects.jsonl');
