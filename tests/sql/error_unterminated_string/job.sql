CREATE SOURCE r (id TEXT, v DOUBLE) WITH (connector = 'file', path = 'x.jsonl);
