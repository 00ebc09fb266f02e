-- two windowed aggregates joined on matching windows, one record per
-- micro-batch: a window's rows leave its aggregate batches after its first
-- row arrived, when the watermark passes window_end, so window_start is
-- below the watermark by then; they are results, not late rows
SET max_batch_records = 1;
CREATE SOURCE a (k TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'a.jsonl');
CREATE SOURCE b (k TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'b.jsonl');
CREATE VIEW ca AS SELECT k, window_start, count(*) AS na
    FROM TUMBLE(a, ts, INTERVAL '1' MINUTE) GROUP BY k, window_start, window_end;
CREATE VIEW cb AS SELECT k, window_start, count(*) AS nb
    FROM TUMBLE(b, ts, INTERVAL '1' MINUTE) GROUP BY k, window_start, window_end;
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT ca.k, ca.window_start, ca.na, cb.nb
    FROM ca JOIN cb ON ca.k = cb.k AND ca.window_start = cb.window_start;
