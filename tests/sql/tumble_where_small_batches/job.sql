-- a WHERE on the window function's input filters rows before they are
-- windowed: the GROUP BY of the window stays windowed, so each window is
-- emitted once when it closes, however many micro-batches fed it (here 2
-- rows per micro-batch)
SET max_batch_records = 2;
SET batch_interval = '1ms';
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, window_start, count(*) AS n, sum(pm25) AS total
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE)
    WHERE pm25 >= 0
    GROUP BY device_id, window_start, window_end;
