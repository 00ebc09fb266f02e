CREATE SOURCE r (id TEXT, ts BIGINT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'x.jsonl');
