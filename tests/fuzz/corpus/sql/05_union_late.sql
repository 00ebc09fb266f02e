CREATE SINK late_rows WITH (connector = 'file', path = 'late.jsonl') AS
SELECT * FROM LATE(readings) UNION ALL SELECT * FROM LATE(other);
