CREATE SOURCE a (id TEXT, v BIGINT) WITH (connector = 'file', path = 'a.jsonl');
CREATE SOURCE b (id TEXT, v BIGINT) WITH (connector = 'file', path = 'b.jsonl');
CREATE SOURCE c (id TEXT, v BIGINT) WITH (connector = 'file', path = 'c.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, v FROM a
    UNION ALL
    SELECT id, v * 10 AS v FROM b
    UNION ALL
    SELECT id, v FROM c WHERE v > 1;
