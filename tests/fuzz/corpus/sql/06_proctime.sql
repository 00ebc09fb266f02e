/* processing-time windows */
SET workers = 4; SET http = off; SET x = -2.5;
CREATE SINK p WITH (connector = 'sqlite', path = 'o.db', table = 'agg', 'tls.ca' = true) AS
SELECT device_id, avg(pm25) FROM TUMBLE(readings, PROCTIME(), INTERVAL '250' MILLISECOND) GROUP BY device_id, window_start HAVING count(*) > 2;
