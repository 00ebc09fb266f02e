-- JSON input: TEXT takes numbers/booleans as their text, BIGINT takes 5.0, fields match
-- case-insensitively, extra (nested) fields are ignored, missing ones are NULL,
-- a repeated field keeps its first value
CREATE SOURCE r (id BIGINT, s TEXT, n BIGINT, b BOOLEAN, d DOUBLE) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT id, s, n, b, d FROM r;
