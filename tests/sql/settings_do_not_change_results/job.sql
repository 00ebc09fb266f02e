-- settings that only change resources or timing leave the results alone:
-- max_rate 100/s x batch_interval 10ms = one record per micro-batch
SET workers = 3;
SET batch_interval = '10ms';
SET max_rate = 100;
SET max_batch_records = 3;
SET concurrent_outputs = 1;
SET log_level = 'error';
SET log_format = 'json';
SET checkpoint_interval = '1s';
SET idle_timeout = '1 min';
SET shutdown_timeout = 5;
SET memory_limit = '64MB';
SET initial_rate = 10;
SET http = 'off';
CREATE SOURCE r (device TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '10' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device, window_start, count(*) AS n, sum(v) AS s, min(v) AS lo
    FROM TUMBLE(r, ts, INTERVAL '1' MINUTE) GROUP BY device, window_start, window_end;
