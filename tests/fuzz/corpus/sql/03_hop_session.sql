CREATE VIEW h AS SELECT device_id, max(co2) m FROM HOP(readings, ts, INTERVAL '10' SECOND, INTERVAL '1 minute') GROUP BY device_id, window_start, window_end;
CREATE VIEW s AS SELECT device_id, count(DISTINCT room) FROM SESSION((SELECT * FROM readings WHERE co2 > 0), ts, INTERVAL '5' MINUTES) GROUP BY device_id, window_end;
