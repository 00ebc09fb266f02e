-- Same as silence_devices with all rows in one micro-batch: b's silence between
-- two of its own rows is reported as its timer would have (SILENT at 00:08).
-- SILENCE(input, key, time, timeout): b reports at 00:00 and 00:03, then
-- nothing until 00:11. Its SILENT event (silent since 00:03 + 5 min = 00:08)
-- comes from a timer driven by a's readings moving the watermark, without any
-- row of b; BACK comes with b's next reading. a, reporting every 2 minutes,
-- never goes silent. Two rows per micro-batch, so the timer fires between
-- batches, before b's next reading arrives. At the end of bounded input the
-- watermark becomes +infinity and every key still in state is reported SILENT.
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, last_seen, silent_since, status
    FROM SILENCE(r, device_id, ts, INTERVAL '5' MINUTE);
