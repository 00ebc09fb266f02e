-- a directory path reads every file in it, in name order
CREATE SOURCE r (v BIGINT) WITH (connector = 'file', path = 'in');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT v FROM r;
CREATE SINK agg WITH (connector = 'file', path = 'agg.jsonl') AS
    SELECT count(*) AS n, first_value(v) AS f, last_value(v) AS l FROM r;
