CREATE TABLE d (id TEXT PRIMARY KEY, room TEXT PRIMARY KEY) WITH (connector = 'file', path = 'd.jsonl');
