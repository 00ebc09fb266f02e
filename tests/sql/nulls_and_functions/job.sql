CREATE SOURCE r (
    device_id TEXT,
    ts        TIMESTAMP,
    pm25      DOUBLE,
    co2       BIGINT,
    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (connector = 'file', path = 'readings.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, coalesce(pm25, -99) AS pm, pm25 + co2 AS s,
           CASE WHEN co2 IS NULL THEN 'missing' WHEN co2 > 450 THEN 'high' ELSE 'ok' END AS c,
           upper(device_id) || '-' || CAST(co2 AS TEXT) AS tag,
           co2 / 0 AS div0, 7 / 2 AS idiv, round(pm25 / 3, 2) AS r3
    FROM r WHERE device_id IN ('a', 'b') AND NOT (co2 = 600);
