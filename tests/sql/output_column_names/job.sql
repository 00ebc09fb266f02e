-- unnamed items: a column keeps its name, a function call is named after the function,
-- anything else is colN for the N-th item
CREATE SOURCE r (k TEXT, v BIGINT) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT k, avg(v), max(v) + 1, count(*) FROM r GROUP BY k;
CREATE SINK plain WITH (connector = 'file', path = 'plain.jsonl') AS
    SELECT r.k, upper(k), 1 + 2, v FROM r;
