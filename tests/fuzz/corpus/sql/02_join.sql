CREATE SINK alerts WITH (connector = 'stdout') AS
SELECT r.device_id, d.room, r.pm25 FROM readings r
LEFT OUTER JOIN devices AS d ON r.device_id = d.device_id
WHERE r.pm25 > coalesce(d.pm25_max, 35.5) AND d.room IS NOT NULL;
