CREATE SOURCE r (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECUND)
    WITH (connector = 'file', path = 'x.jsonl');
