-- The air-quality job on real infrastructure: devices publish readings to
-- MQTT (sensors/<device_id>/readings, one JSON object per message), Ember
-- writes raw readings and rollups to PostgreSQL (exactly-once with a
-- checkpoint: each micro-batch is one transaction with its batch id) and
-- alerts to a file and stdout. The SQL is examples/airquality.sql with two
-- connectors swapped.
--
-- Start both servers locally (Debian: apt-get install mosquitto postgresql):
--
--   mosquitto -p 1883 &
--   sudo -u postgres psql -c "CREATE ROLE ember LOGIN" -c "CREATE DATABASE ember OWNER ember"
--   build/ember run examples/airquality_mqtt_pg.sql --checkpoint aq.ckpt
--
-- and publish a reading:
--
--   mosquitto_pub -q 1 -t sensors/dev-0001/readings \
--     -m '{"ts":"2024-05-01T12:00:00Z","pm25":12.5,"pm10":20,"co2":640,"temperature":21.5,"humidity":40}'
--
-- The web UI is at http://127.0.0.1:4040/.
SET batch_interval = '500ms';

CREATE SOURCE readings (
    device_id   TEXT,
    ts          TIMESTAMP,
    pm25        DOUBLE,
    pm10        DOUBLE,
    co2         BIGINT,
    temperature DOUBLE,
    humidity    DOUBLE,
    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (connector = 'mqtt', url = 'mqtt://127.0.0.1:1883', topic = 'sensors/+/readings',
        qos = 1, client_id = 'ember-airquality', clean_session = false,
        topic_columns = 'device_id=2');

-- QC of PM2.5: gross range (sensor spec 0-1000, suspect above 500), spikes
-- against the previous readings, rate of change, a stuck sensor (the same
-- value for 5 or 15 minutes), timestamps (duplicates, future).
CREATE VIEW checked AS
    SELECT * FROM QC(readings, device_id, ts, pm25,
                     fail_min => 0, fail_max => 1000, suspect_max => 500,
                     spike_suspect => 30, spike_fail => 100,
                     rate_suspect => 2, rate_fail => 10,
                     flat_tolerance => 0, flat_suspect => 30, flat_fail => 90);

CREATE SINK raw WITH (connector = 'postgres', url = 'postgresql://ember@127.0.0.1:5432/ember', pool_size = 4, table = 'aq_raw') AS
    SELECT device_id, ts, pm25, pm10, co2, temperature, humidity, qc_range, qc_spike,
           qc_rate, qc_flat, qc_time, qc_flag
    FROM checked;

-- Readings that passed (1), were not evaluated (2) or are only suspect (3).
CREATE VIEW clean AS
    SELECT device_id, ts, pm25, pm10, co2 FROM checked WHERE qc_flag <= 3;

-- 1 minute: 6 readings expected per device (one every 10 s); a minute is
-- valid with at least 75% of them.
CREATE VIEW per_minute AS
    SELECT device_id, window_start AS minute, avg(pm25) AS pm25, avg(pm10) AS pm10,
           max(co2) AS co2_max, count(*) AS n
    FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE)
    GROUP BY device_id, window_start, window_end;

CREATE SINK minute WITH (connector = 'postgres', url = 'postgresql://ember@127.0.0.1:5432/ember', pool_size = 4, table = 'aq_minute') AS
    SELECT device_id, minute, round(pm25, 1) AS pm25, round(pm10, 1) AS pm10, co2_max,
           aqi_pm25(pm25, minute) AS aqi, aqi_category(aqi_pm25(pm25, minute)) AS category,
           n AS received, 6 AS expected, n >= 5 AS valid
    FROM per_minute;

-- 1 hour, rolled up from the minutes (not from raw readings): sample-
-- weighted averages; valid with 75% of the 360 expected readings.
CREATE SINK hour WITH (connector = 'postgres', url = 'postgresql://ember@127.0.0.1:5432/ember', pool_size = 4, table = 'aq_hour') AS
    SELECT device_id, window_start AS hour, round(sum(pm25 * n) / sum(n), 1) AS pm25,
           round(sum(pm10 * n) / sum(n), 1) AS pm10, max(co2_max) AS co2_max,
           aqi_pm25(sum(pm25 * n) / sum(n), window_start) AS aqi,
           aqi_pm10(sum(pm10 * n) / sum(n), window_start) AS aqi_pm10,
           sum(n) AS received, 360 AS expected, sum(n) >= 270 AS valid
    FROM TUMBLE(per_minute, minute, INTERVAL '1' HOUR)
    GROUP BY device_id, window_start, window_end;

-- EPA NowCast over the last 12 hours, every hour, with its AQI and colour.
CREATE SINK nowcast WITH (connector = 'postgres', url = 'postgresql://ember@127.0.0.1:5432/ember', pool_size = 4, table = 'aq_nowcast') AS
    SELECT device_id, window_end AS hour, round(nowcast_pm(pm25, minute), 1) AS nowcast,
           aqi_pm25(nowcast_pm(pm25, minute), window_end) AS aqi,
           aqi_color(aqi_pm25(nowcast_pm(pm25, minute), window_end)) AS color
    FROM HOP(per_minute, minute, INTERVAL '1' HOUR, INTERVAL '12' HOUR)
    GROUP BY device_id, window_start, window_end;

-- Alerts on the 1-minute PM2.5 average: fire once it has been at or above
-- 35.5 (the 24-hour standard) for 5 minutes, resolve once it has stayed at
-- or below 25 for 10 minutes; NO_DATA after 15 minutes without a minute.
CREATE VIEW alert_events AS
    SELECT device_id, ts, state, round(value, 1) AS pm25
    FROM ALERTS(per_minute, device_id, minute, pm25, enter => 35.5, exit => 25,
                for => INTERVAL '5' MINUTE, hold => INTERVAL '10' MINUTE,
                no_data => INTERVAL '15' MINUTE);
CREATE SINK alerts WITH (connector = 'file', path = 'aq_alerts.jsonl', append = true) AS
    SELECT * FROM alert_events;
CREATE SINK alerts_log WITH (connector = 'stdout') AS
    SELECT * FROM alert_events;

-- Devices without any reading (QC'd or not) for 5 minutes, and their return.
CREATE SINK silent WITH (connector = 'file', path = 'aq_silent.jsonl', append = true) AS
    SELECT device_id, last_seen, silent_since, status
    FROM SILENCE(readings, device_id, ts, INTERVAL '5' MINUTE);
