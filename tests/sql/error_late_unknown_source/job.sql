CREATE SOURCE readings (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts) WITH (connector = 'file', path = 'x.jsonl');
CREATE SINK s WITH (connector = 'stdout') AS SELECT id FROM LATE(reading);
