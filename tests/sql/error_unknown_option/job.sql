CREATE SOURCE r (id TEXT, v DOUBLE) WITH (connector = 'file', pth = 'x.jsonl');
