-- a stream-table join keeps the stream's event time: a window over the enriched view
CREATE SOURCE r (device TEXT, ts TIMESTAMP, v BIGINT, WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE TABLE d (device TEXT PRIMARY KEY, room TEXT) WITH (connector = 'file', path = 'd.jsonl');
CREATE VIEW e AS SELECT r.device, d.room, r.ts, r.v FROM r JOIN d ON r.device = d.device;
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT room, window_start, sum(v) AS s, count(DISTINCT device) AS nd
    FROM TUMBLE(e, ts, INTERVAL '1' MINUTE) GROUP BY room, window_start, window_end;
