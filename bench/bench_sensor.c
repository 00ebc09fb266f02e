/*
 * bench/bench_sensor.c - the end-to-end file benchmarks: `sensor` and `ysb`.
 *
 * Both write their input as NDJSON to a temporary file first (untimed and
 * synced to disk, so its writeback does not run in the timed region; the
 * file is then in the page cache), then time `ember run` of a SQL job that
 * reads it with the file source, as a user would run it: parse, filter,
 * window, (join), aggregate, into the null sink. records are input lines,
 * bytes are input file bytes.
 *
 * sensor: readings of the engine's generator (engine/generator.h; about
 *   136 bytes each, 10,000 devices reporting every 10 s of event time),
 *   QC filter pm25 BETWEEN 0 AND 1000, 1-minute tumbling avg/min/max/count
 *   per device.
 * ysb: the Yahoo Streaming Benchmark adapted: JSON ad events (7 fields,
 *   about 240 bytes; 100 campaigns x 10 ads; event types view/click/
 *   purchase in turn), filter event_type = 'view', join the campaign table
 *   (ad_id -> campaign_id, a reference table loaded from a file), 10 s
 *   event-time tumbling count per campaign.
 *
 * With em_bench_opts.emit_dir nothing is timed: a small input and the job
 * (with a file sink) are written there for tests/bench/sensor_ref.py.
 */
#include "bench_int.h"

#include "batch/batch.h"
#include "core/mem.h"
#include "core/str.h"
#include "engine/generator.h"
#include "ember/error.h"
#include "formats/format.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes count generator readings (10,000 devices, seed 1) as NDJSON. */
static int write_readings(FILE *f, uint64_t count, uint64_t *bytes)
{
    em_buf buf;
    em_buf_init(&buf, (size_t)1 << 30);
    long start = ftell(f);
    int rc = em__bench_readings("json", count, &buf, f, NULL);
    long end = ftell(f);
    *bytes = start >= 0 && end >= start ? (uint64_t)(end - start) : 0;
    em_buf_release(&buf);
    return rc;
}

static uint64_t scaled(const em_bench_opts *o, double n)
{
    double v = n * o->scale;
    return v < 1000 ? 1000 : (uint64_t)v;
}

/* The sensor job (bench/compare.sh runs the same query with a file sink). */
static const char sensor_sql[] =
    "SET batch_interval = '10ms';\n"
    "SET max_batch_records = 32768;\n"
    "SET http = 'off';\n"
    "SET log_level = 'warn';\n"
    "SET workers = %d;\n"
    "CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,\n"
    "    WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)\n"
    "    WITH (connector = 'file', path = '%s', format = 'json');\n"
    "CREATE VIEW clean AS SELECT * FROM readings WHERE pm25 BETWEEN 0 AND 1000;\n"
    "CREATE SINK per_minute WITH (%s) AS\n"
    "    SELECT device_id, window_start, window_end, avg(pm25) AS pm25_avg,\n"
    "           min(pm25) AS pm25_min, max(pm25) AS pm25_max, count(*) AS n\n"
    "    FROM TUMBLE(clean, ts, INTERVAL '1' MINUTE)\n"
    "    GROUP BY device_id, window_start, window_end;\n";

/* Opens DIR/NAME for writing (--emit). */
static int emit_open(const em_bench_opts *o, const char *name, char *path, size_t cap,
                     FILE **f)
{
    snprintf(path, cap, "%s/%s", o->emit_dir, name);
    if (!(*f = fopen(path, "w"))) {
        fprintf(stderr, "ember: bench: cannot write '%s'\n", path);
        return EM_EIO;
    }
    return 0;
}

/* Writes sql to DIR/NAME (--emit). */
static int emit_sql(const em_bench_opts *o, const char *name, const char *sql)
{
    char path[4096];
    FILE *f;
    int rc = emit_open(o, name, path, sizeof path, &f);
    if (rc)
        return rc;
    size_t n = strlen(sql);
    rc = fwrite(sql, 1, n, f) == n ? 0 : EM_EIO;
    if (fclose(f) && !rc)
        rc = EM_EIO;
    return rc;
}

/* With --emit: a small input (150,000 readings x scale: 2.5 minutes) in DIR/readings.jsonl
 * and the job as DIR/sensor.sql writing DIR/sensor.out. */
static int emit_sensor(const em_bench_opts *o, em__bench_result *r)
{
    char path[4096], sink[4200], sql[16384];
    FILE *f;
    uint64_t count = (uint64_t)(150000 * o->scale), bytes;
    int rc = emit_open(o, "readings.jsonl", path, sizeof path, &f);
    if (rc)
        return rc;
    rc = write_readings(f, count, &bytes);
    if (fclose(f) && !rc)
        rc = EM_EIO;
    snprintf(sink, sizeof sink, "connector = 'file', path = '%s/sensor.out'", o->emit_dir);
    snprintf(sql, sizeof sql, sensor_sql, o->workers, path, sink);
    if (!rc)
        rc = emit_sql(o, "sensor.sql", sql);
    r->records = count;
    r->note = "emitted; nothing timed";
    return rc;
}

static int bench_sensor(const em_bench_opts *o, em__bench_result *r)
{
    char path[512], sql[4096];
    FILE *f = NULL;
    uint64_t count = scaled(o, 8e6), bytes = 0, out = 0;
    if (o->emit_dir)
        return emit_sensor(o, r);
    int rc = em__bench_tmpfile(path, sizeof path, "sensor", &f);
    if (rc)
        return rc;
    rc = write_readings(f, count, &bytes);
    if (em__bench_close_synced(f) && !rc)
        rc = EM_EIO;
    if (rc)
        goto done;
    snprintf(sql, sizeof sql, sensor_sql, o->workers, path, "connector = 'null'");
    em__bench_rss_reset();
    if ((rc = em__bench_job_run(sql, NULL, 0, NULL, r, &out)))
        goto done;
    r->records = count;
    r->bytes = bytes;
    em__bench_extra(r, "rows_out", (double)out);
    em__bench_extra(r, "devices", 10000);
    r->note = "target >= 8M readings/s with <= 15 MB peak RSS on one core";
done:
    unlink(path);
    return rc;
}

/* ---- ysb ---- */

#define YSB_CAMPAIGNS 100
#define YSB_ADS_PER_CAMPAIGN 10

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* A UUID-shaped id derived from (kind, n). */
static void uuid(char out[37], uint64_t kind, uint64_t n)
{
    uint64_t a = mix(kind * 1000003 + n), b = mix(a ^ n);
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xffff, (unsigned)(b >> 48),
             (unsigned long long)(b & UINT64_C(0xffffffffffff)));
}

/* Campaign table: one row per ad. */
static int write_campaigns(FILE *f)
{
    char ad[37], camp[37];
    for (uint32_t c = 0; c < YSB_CAMPAIGNS; c++) {
        uuid(camp, 1, c);
        for (uint32_t k = 0; k < YSB_ADS_PER_CAMPAIGN; k++) {
            uuid(ad, 2, c * YSB_ADS_PER_CAMPAIGN + k);
            if (fprintf(f, "{\"ad_id\":\"%s\",\"campaign_id\":\"%s\"}\n", ad, camp) < 0)
                return EM_EIO;
        }
    }
    return 0;
}

/* count events, event time gap_us apart (10: 100,000 events per second of
 * event time) from 2026-01-01, in milliseconds as YSB's generator writes
 * them. */
static int write_ad_events(FILE *f, uint64_t count, int64_t gap_us, uint64_t *bytes)
{
    static const char *const types[] = {"view", "click", "purchase"};
    static const char *const ad_types[] = {"banner", "modal", "sponsored-search", "mail",
                                           "mobile"};
    char ads[YSB_CAMPAIGNS * YSB_ADS_PER_CAMPAIGN][37], user[37], page[37];
    char line[512];
    int64_t t0 = INT64_C(1767225600000);
    for (uint32_t i = 0; i < YSB_CAMPAIGNS * YSB_ADS_PER_CAMPAIGN; i++)
        uuid(ads[i], 2, i);
    *bytes = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t h = mix(i + 77);
        uuid(user, 3, h % 100000);
        uuid(page, 4, (h >> 20) % 100000);
        int n = snprintf(line, sizeof line,
                         "{\"user_id\":\"%s\",\"page_id\":\"%s\",\"ad_id\":\"%s\","
                         "\"ad_type\":\"%s\",\"event_type\":\"%s\",\"event_time\":%lld,"
                         "\"ip_address\":\"10.%u.%u.%u\"}\n",
                         user, page, ads[(h >> 40) % (YSB_CAMPAIGNS * YSB_ADS_PER_CAMPAIGN)],
                         ad_types[(h >> 8) % 5], types[i % 3], (long long)(t0 + (int64_t)i * gap_us / 1000),
                         (unsigned)(h >> 12) & 255, (unsigned)(h >> 24) & 255,
                         (unsigned)(h >> 32) & 255);
        if (fwrite(line, 1, (size_t)n, f) != (size_t)n)
            return EM_EIO;
        *bytes += (uint64_t)n;
    }
    return 0;
}

static const char ysb_sql[] =
    "SET batch_interval = '10ms';\n"
    "SET max_batch_records = 32768;\n"
    "SET http = 'off';\n"
    "SET log_level = 'warn';\n"
    "SET workers = %d;\n"
    "CREATE SOURCE ad_events (ad_id TEXT, event_type TEXT, event_time TIMESTAMP,\n"
    "    WATERMARK FOR event_time AS event_time - INTERVAL '1' SECOND)\n"
    "    WITH (connector = 'file', path = '%s', format = 'json');\n"
    "CREATE TABLE campaigns (ad_id TEXT PRIMARY KEY, campaign_id TEXT)\n"
    "    WITH (connector = 'file', path = '%s', format = 'json');\n"
    "CREATE VIEW views AS SELECT c.campaign_id, e.event_time\n"
    "    FROM ad_events e JOIN campaigns c ON e.ad_id = c.ad_id\n"
    "    WHERE e.event_type = 'view';\n"
    "CREATE SINK per_campaign WITH (%s) AS\n"
    "    SELECT campaign_id, window_start, window_end, count(*) AS views\n"
    "    FROM TUMBLE(views, event_time, INTERVAL '10' SECOND)\n"
    "    GROUP BY campaign_id, window_start, window_end;\n";

/* With --emit: DIR/ad_events.jsonl (120,000 events x scale, 250 µs apart:
 * 30 s of event time), DIR/campaigns.jsonl and DIR/ysb.sql writing DIR/ysb.out. */
static int emit_ysb(const em_bench_opts *o, em__bench_result *r)
{
    char epath[4096], cpath[4096], sink[4200], sql[16384];
    FILE *ef, *cf;
    uint64_t count = (uint64_t)(120000 * o->scale), bytes;
    int rc = emit_open(o, "ad_events.jsonl", epath, sizeof epath, &ef);
    if (rc)
        return rc;
    rc = write_ad_events(ef, count, 250, &bytes);
    if (fclose(ef) && !rc)
        rc = EM_EIO;
    if (!rc && !(rc = emit_open(o, "campaigns.jsonl", cpath, sizeof cpath, &cf))) {
        rc = write_campaigns(cf);
        if (fclose(cf) && !rc)
            rc = EM_EIO;
    }
    snprintf(sink, sizeof sink, "connector = 'file', path = '%s/ysb.out'", o->emit_dir);
    snprintf(sql, sizeof sql, ysb_sql, o->workers, epath, cpath, sink);
    if (!rc)
        rc = emit_sql(o, "ysb.sql", sql);
    r->records = count;
    r->note = "emitted; nothing timed";
    return rc;
}

static int bench_ysb(const em_bench_opts *o, em__bench_result *r)
{
    char epath[512], cpath[512], sql[4096];
    FILE *ef = NULL, *cf = NULL;
    uint64_t count = scaled(o, 10e6), bytes = 0, out = 0;
    if (o->emit_dir)
        return emit_ysb(o, r);
    int rc = em__bench_tmpfile(epath, sizeof epath, "ysb-events", &ef);
    if (rc)
        return rc;
    if ((rc = em__bench_tmpfile(cpath, sizeof cpath, "ysb-campaigns", &cf))) {
        fclose(ef);
        unlink(epath);
        return rc;
    }
    rc = write_ad_events(ef, count, 10, &bytes);
    if (!rc)
        rc = write_campaigns(cf);
    if (em__bench_close_synced(ef) && !rc)
        rc = EM_EIO;
    if (em__bench_close_synced(cf) && !rc)
        rc = EM_EIO;
    if (rc)
        goto done;
    snprintf(sql, sizeof sql, ysb_sql, o->workers, epath, cpath, "connector = 'null'");
    em__bench_rss_reset();
    if ((rc = em__bench_job_run(sql, NULL, 0, NULL, r, &out)))
        goto done;
    r->records = count;
    r->bytes = bytes;
    em__bench_extra(r, "rows_out", (double)out);
    em__bench_extra(r, "campaigns", YSB_CAMPAIGNS);
    r->note = "target >= 10M events/s on one core";
done:
    unlink(epath);
    unlink(cpath);
    return rc;
}

const em__bench_def em__bench_sensor[] = {
    {"sensor", "NDJSON readings file -> parse -> QC filter -> 1-min tumble per device",
     bench_sensor},
    {"ysb", "Yahoo Streaming Benchmark: JSON ad events, filter, join campaigns, 10 s count",
     bench_ysb},
};
const uint32_t em__bench_sensor_n = sizeof em__bench_sensor / sizeof em__bench_sensor[0];
