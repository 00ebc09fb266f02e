CREATE SOURCE clicks (id TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'file', path = 'clicks.jsonl');
CREATE SOURCE views (id TEXT, ts TIMESTAMP, w BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'file', path = 'views.jsonl');
CREATE SINK pairs WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT c.id, c.v, v.w FROM clicks c JOIN views v
    ON c.id = v.id AND v.ts BETWEEN c.ts - INTERVAL '5' SECOND AND c.ts + INTERVAL '5' SECOND;
CREATE SINK lefts WITH (connector = 'file', path = 'lefts.jsonl') AS
    SELECT c.id, c.v, v.w FROM clicks c LEFT JOIN views v
    ON c.id = v.id AND v.ts BETWEEN c.ts - INTERVAL '5' SECOND AND c.ts + INTERVAL '5' SECOND;
