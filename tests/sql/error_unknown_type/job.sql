CREATE SOURCE r (id TEXT, v DOUBEL) WITH (connector = 'file', path = 'x.jsonl');
