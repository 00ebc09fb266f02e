CREATE SOURCE r (id TEXT) WITH (connector = 'file', path = 'x.jsonl');
