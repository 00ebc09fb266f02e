-- QC with QARTOD flags (1 pass, 2 not evaluated, 3 suspect, 4 fail, 9 missing)
-- on a crafted series for device a, read in file order:
--   10, 11, 12          pass (the first reading has no history: spike/rate 2)
--   90 at 00:03         spike 4 (|90 - median(10,11,12)| = 78 >= 50), rate 4 (78/60 s)
--   12 at 00:04         spike 1 (median of 11,12,90 is 12), rate 4 (back down 78 in 60 s)
--   12 at 00:04 again   time 4 (duplicate timestamp), stateful tests not evaluated
--   12 at 00:03:30      time 3 (older than the newest reading)
--   NULL at 00:05       value tests 9 and flag 9 (missing)
--   12 in 2099          time 4 (in the future)
--   -5                  range 4 (below fail_min 0), not kept as history
--   600                 range 3 (above suspect_max 250), spike 4, rate 4
--   13                  spike 4 (median of 600, 12, 90 is 90), rate 4
--   13, 13, 13.05, 13   flat line: a run of 3 within 0.1 is suspect, 5 fails
-- and device b's first reading, 300: range 3, no history.
CREATE SOURCE r (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
    WITH (connector = 'file', path = 'r.jsonl');
CREATE SINK out WITH (connector = 'file', path = 'out.jsonl') AS
    SELECT device_id, ts, pm25, qc_range, qc_spike, qc_rate, qc_flat, qc_time, qc_flag
    FROM QC(r, device_id, ts, pm25, fail_min => 0, fail_max => 1000, suspect_max => 250,
            spike_suspect => 20, spike_fail => 50, rate_suspect => 0.5, rate_fail => 1,
            flat_tolerance => 0.1, flat_suspect => 3, flat_fail => 5);
