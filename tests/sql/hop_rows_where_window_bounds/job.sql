-- HOP without GROUP BY lists each row once per window containing it; WHERE may use the bounds
CREATE SOURCE r (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT id, window_start, window_end
    FROM HOP(r, ts, INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)
    WHERE window_start >= TIMESTAMP '2024-05-01 12:00:00';
