CREATE SOURCE r (id TEXT) WITH (path = 'x.jsonl');
