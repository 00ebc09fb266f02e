CREATE TABLE t (id TEXT, room TEXT) WITH (connector = 'file', path = 'x.jsonl');
