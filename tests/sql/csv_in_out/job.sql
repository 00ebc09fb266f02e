CREATE SOURCE s (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE)
    WITH (connector = 'file', path = 'in.csv', format = 'csv');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT * FROM s;
CREATE SINK copy WITH (connector = 'file', path = 'copy.csv', format = 'csv') AS
    SELECT device_id, pm25 FROM s;
