-- payments between 10 s and 2 s (inclusive) before the order
CREATE SOURCE orders (id TEXT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'orders.jsonl');
CREATE SOURCE payments (id TEXT, ts TIMESTAMP, amt BIGINT, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'payments.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT o.id, p.amt FROM orders o JOIN payments p
    ON o.id = p.id AND p.ts BETWEEN o.ts - INTERVAL '10' SECOND AND o.ts - INTERVAL '2' SECOND;
