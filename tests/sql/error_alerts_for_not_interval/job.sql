CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE) WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT * FROM ALERTS(r, device_id, ts, pm25, enter => 35.5, for => 5);
