CREATE SOURCE r (id TEXT) WITH (connector = 'fiel', path = 'x.jsonl');
