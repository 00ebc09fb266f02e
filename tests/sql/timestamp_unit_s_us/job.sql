-- numeric timestamps in seconds and microseconds; ISO strings still work; output has milliseconds
CREATE SOURCE secs (id BIGINT, ts TIMESTAMP)
    WITH (connector = 'file', path = 'secs.jsonl', timestamp_unit = 's');
CREATE SOURCE micros (id BIGINT, ts TIMESTAMP)
    WITH (connector = 'file', path = 'micros.jsonl', timestamp_unit = 'us');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT id, ts FROM secs;
CREATE SINK us WITH (connector = 'file', path = 'us.jsonl') AS
    SELECT id, ts, extract(second FROM ts) AS sec FROM micros;
