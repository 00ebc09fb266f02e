-- Predicate pushdown below interval joins of two streams: an INNER join
-- filters each side by its own conditions before joining; a LEFT join
-- only its left side. The conditions also stay above the join, for state
-- a checkpoint saved before they moved.
CREATE SOURCE clicks (id TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'file', path = 'clicks.jsonl');
CREATE SOURCE views (id TEXT, ts TIMESTAMP, w BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
    WITH (connector = 'file', path = 'views.jsonl');
CREATE SINK pairs WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT c.id, c.v, v.w FROM clicks c JOIN views v
    ON c.id = v.id AND v.ts BETWEEN c.ts - INTERVAL '5' SECOND AND c.ts + INTERVAL '5' SECOND
    WHERE c.v <> 2 AND v.w < 45 AND c.v + v.w >= 11;
-- LEFT: c.v moves to the left input; v.w < 35 sees unmatched rows' NULLs and stays
CREATE SINK lefts WITH (connector = 'file', path = 'lefts.jsonl') AS
    SELECT c.id, c.v, v.w FROM clicks c LEFT JOIN views v
    ON c.id = v.id AND v.ts BETWEEN c.ts - INTERVAL '5' SECOND AND c.ts + INTERVAL '5' SECOND
    WHERE c.v IS NOT NULL AND (v.w < 35 OR v.w IS NULL);
-- now() is the micro-batch's time and a pair may come out in a later one:
-- a condition calling it stays above the join only
CREATE SINK timed WITH (connector = 'file', path = 'timed.jsonl') AS
    SELECT c.id, c.v, v.w FROM clicks c JOIN views v
    ON c.id = v.id AND v.ts BETWEEN c.ts - INTERVAL '5' SECOND AND c.ts + INTERVAL '5' SECOND
    WHERE c.ts < now() - INTERVAL '1' DAY AND c.v > 1;
