-- timestamp_unit sets the precision of line timestamps (default ns); with two
-- TIMESTAMP columns the line's timestamp goes to the first one that no tag or
-- field of the line sets, and integer fields into a TIMESTAMP are in the same unit
CREATE SOURCE s (id BIGINT, seen TIMESTAMP, ts TIMESTAMP)
    WITH (connector = 'file', path = 's.lp', format = 'influx', timestamp_unit = 's');
CREATE SOURCE ms (id BIGINT, ts TIMESTAMP)
    WITH (connector = 'file', path = 'ms.lp', format = 'influx', timestamp_unit = 'ms');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS SELECT id, seen, ts FROM s;
CREATE SINK millis WITH (connector = 'file', path = 'millis.jsonl') AS SELECT id, ts FROM ms;
