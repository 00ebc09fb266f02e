-- Same as alerts_hysteresis, two rows per micro-batch: timers fire from the watermark between batches.
-- ALERTS with hysteresis: enter at 35.5, exit at 25, 2 minutes above enter
-- before FIRING, 2 minutes at or below exit before RESOLVED, NO_DATA after 10
-- minutes without a reading. flap: a 1-minute excursion above enter does not
-- fire (back to 20 at 00:02), the next one fires at 00:05 (00:03 + 2 min);
-- 30 and 36 keep it firing (above exit), 20 at 00:08 starts clearing, 30 at
-- 00:09 cancels it, 20 from 00:10 resolves at 00:12. gap: fires at 00:02, goes
-- NO_DATA at 00:12 (last reading 00:02 + 10 min), is above enter again from
-- 00:20 (still shown NO_DATA while pending, no 'OK'), fires at 00:22, a NULL
-- reading is ignored, 10 at 00:22 resolves at 00:24 (from the watermark, no
-- input needed), and a row older than the newest (00:19) is dropped. quiet:
-- one reading above enter fires 2 minutes later and goes NO_DATA. back: NO_DATA
-- at 00:10, OK when data returns at 00:15, a 30-second excursion does not fire.
-- At the end of input time stops at the newest reading (00:40): later
-- deadlines are not invented. Each transition appears once.
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, ts, state, value
    FROM ALERTS(r, device_id, ts, pm25, enter => 35.5, exit => 25, for => INTERVAL '2' MINUTE,
                hold => INTERVAL '2' MINUTE, no_data => INTERVAL '10' MINUTE);
