/*
 * bench/bench_latency.c - `ember bench latency-*`: end-to-end latency of a
 * stateful SQL job at a given offered load and batch_interval.
 *
 * The `probe` source offers `rate` events/s for `seconds`: event i is due
 * at start + i / rate and is delivered at the first poll after that time
 * (a backlog if the engine falls behind is kept, never dropped). The job is
 * a running count/sum per key (10,000 keys) into the `latency` sink, whose
 * commit ends the micro-batch: every event delivered in that micro-batch
 * has then reached the sink, and its latency is commit time minus due
 * time. Measuring from the due time (not the delivery time) keeps waiting
 * in front of the engine in the figure (no coordinated omission).
 *
 * The probe's state is file-static: the source and sink of one job share
 * it, and the harness runs one job at a time on one thread.
 */
#include "bench_int.h"

#include "batch/batch.h"
#include "core/clock.h"
#include "core/mem.h"
#include "ember/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct probe {
    double rate;          /* events/s offered */
    uint64_t total;       /* events to offer */
    int64_t start_ns;     /* due time of event 0 */
    uint64_t delivered;   /* events handed to the engine */
    uint64_t measured;    /* events whose latency is recorded */
    uint32_t *hist;       /* HIST_N buckets of HIST_US µs; the last is "or more" */
    double max_ms;
} probe;

#define HIST_US 10
#define HIST_N 100000 /* up to 1 s in 10 µs steps */

static probe the_probe;

static const em_option_def probe_options[] = {
    {"rate", EM_OPT_DOUBLE, "100000", 1, 1e9, NULL, 0, "events per second offered"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json", 0, "(typed rows)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int probe_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)cx, (void)kind;
    *self = &the_probe;
    return 0;
}

static int probe_start(void *self)
{
    probe *p = self;
    p->start_ns = em_mono_ns();
    return 0;
}

/* Delivers the events due by now: k = i % 10000, v = i. */
static int probe_poll(void *self, em_source_out *out)
{
    probe *p = self;
    double elapsed = (double)(em_mono_ns() - p->start_ns) / 1e9;
    uint64_t due = (uint64_t)(elapsed * p->rate) + 1;
    if (due > p->total)
        due = p->total;
    while (p->delivered < due && em_source_out_room(out) > 0) {
        em_batch_builder *bb = em_source_out_builder(out);
        if (!bb)
            return EM_ENOMEM;
        uint32_t n = 0, room = em_source_out_room(out);
        while (p->delivered < due && n < room && !em_batch_builder_full(bb)) {
            uint64_t i = p->delivered++;
            em_batch_builder_set_i64(bb, 0, (int64_t)(i % 10000));
            em_batch_builder_set_f64(bb, 1, (double)i);
            int rc = em_batch_builder_end_row(bb);
            if (rc)
                return rc;
            n++;
        }
        em_source_out_added(out, n);
    }
    return p->delivered >= p->total ? EM_EOF : 0;
}

const em_connector em__bench_probe_source = {
    .abi = EM_CONNECTOR_ABI,
    .name = "probe",
    .kinds = EM_CONNECTOR_SOURCE,
    .options = probe_options,
    .help = "benchmarks: events offered at a fixed rate, for latency",
    .init = probe_init,
    .start = probe_start,
    .poll = probe_poll,
};

static const em_option_def latency_options[] = {
    {"format", EM_OPT_ENUM, "json", 0, 0, "json", 0, "(nothing is written)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int lat_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)cx, (void)kind;
    *self = &the_probe;
    return 0;
}

static int lat_write(void *self, const em_batch *b, int64_t batch_id)
{
    (void)self, (void)b, (void)batch_id;
    return 0;
}

/* The micro-batch is done: everything delivered so far has been processed. */
static int lat_commit(void *self, int64_t batch_id)
{
    (void)batch_id;
    probe *p = self;
    int64_t now = em_mono_ns();
    for (uint64_t i = p->measured; i < p->delivered; i++) {
        double due = (double)p->start_ns + (double)i * 1e9 / p->rate;
        double us = ((double)now - due) / 1e3;
        uint64_t b = us <= 0 ? 0 : (uint64_t)(us / HIST_US);
        p->hist[b < HIST_N ? b : HIST_N - 1]++;
        if (us / 1e3 > p->max_ms)
            p->max_ms = us / 1e3;
    }
    p->measured = p->delivered;
    return 0;
}

const em_connector em__bench_latency_sink = {
    .abi = EM_CONNECTOR_ABI,
    .name = "latency",
    .kinds = EM_CONNECTOR_SINK,
    .options = latency_options,
    .help = "benchmarks: records each event's latency when its micro-batch commits",
    .init = lat_init,
    .write = lat_write,
    .commit = lat_commit,
};

/* The latency (ms, upper edge of its bucket) below which a fraction q of
 * the events fall. */
static double quantile(const probe *p, double q)
{
    uint64_t want = (uint64_t)((double)p->measured * q), seen = 0;
    for (uint32_t b = 0; b < HIST_N; b++) {
        seen += p->hist[b];
        if (seen > want)
            return (double)(b + 1) * HIST_US / 1e3;
    }
    return p->max_ms;
}

static const char latency_sql[] =
    "SET batch_interval = '%dms';\n"
    "SET http = 'off';\n"
    "SET log_level = 'warn';\n"
    "SET workers = %d;\n"
    "CREATE SOURCE probe (k BIGINT, v DOUBLE) WITH (connector = 'probe', rate = %.0f);\n"
    "CREATE SINK per_key WITH (connector = 'latency') AS\n"
    "    SELECT k, count(*) AS n, sum(v) AS s FROM probe GROUP BY k;\n";

static int run_latency(const em_bench_opts *o, em__bench_result *r, double rate, int interval_ms)
{
    char sql[1024];
    double seconds = 2.0 * (o->scale < 1 ? o->scale : 1);
    const em_connector *extra[] = {&em__bench_probe_source, &em__bench_latency_sink};
    probe *p = &the_probe;
    memset(p, 0, sizeof *p);
    p->rate = rate;
    p->total = (uint64_t)(rate * seconds);
    if (p->total < 100)
        p->total = 100;
    p->hist = em_calloc(HIST_N, sizeof *p->hist);
    if (!p->hist)
        return EM_ENOMEM;
    snprintf(sql, sizeof sql, latency_sql, interval_ms, o->workers, rate);
    em__bench_rss_reset();
    int rc = em__bench_job_run(sql, extra, 2, NULL, r, NULL);
    if (!rc && p->measured < p->total)
        rc = EM_ESTATE; /* the last micro-batch did not commit everything */
    if (!rc) {
        r->records = p->measured;
        em__bench_extra(r, "latency_p50_ms", quantile(p, 0.50));
        em__bench_extra(r, "latency_p99_ms", quantile(p, 0.99));
        em__bench_extra(r, "latency_max_ms", p->max_ms);
        em__bench_extra(r, "offered_per_s", rate);
        em__bench_extra(r, "batch_interval_ms", interval_ms);
        if (rate == 1e5 && interval_ms == 1)
            r->note = "target p99 <= 5 ms";
    }
    em_free(p->hist);
    p->hist = NULL;
    return rc;
}

#define LATENCY_FN(name, rate, ms)                                                        \
    static int name(const em_bench_opts *o, em__bench_result *r)                          \
    {                                                                                     \
        return run_latency(o, r, rate, ms);                                               \
    }
LATENCY_FN(lat_10k_1, 1e4, 1)
LATENCY_FN(lat_10k_10, 1e4, 10)
LATENCY_FN(lat_10k_100, 1e4, 100)
LATENCY_FN(lat_100k_1, 1e5, 1)
LATENCY_FN(lat_100k_10, 1e5, 10)
LATENCY_FN(lat_100k_100, 1e5, 100)
LATENCY_FN(lat_1m_1, 1e6, 1)
LATENCY_FN(lat_1m_10, 1e6, 10)
LATENCY_FN(lat_1m_100, 1e6, 100)

const em__bench_def em__bench_latency[] = {
    {"latency-10k-1ms", "latency at 10k events/s, batch_interval 1 ms", lat_10k_1},
    {"latency-10k-10ms", "latency at 10k events/s, batch_interval 10 ms", lat_10k_10},
    {"latency-10k-100ms", "latency at 10k events/s, batch_interval 100 ms", lat_10k_100},
    {"latency-100k-1ms", "latency at 100k events/s, batch_interval 1 ms", lat_100k_1},
    {"latency-100k-10ms", "latency at 100k events/s, batch_interval 10 ms", lat_100k_10},
    {"latency-100k-100ms", "latency at 100k events/s, batch_interval 100 ms", lat_100k_100},
    {"latency-1m-1ms", "latency at 1M events/s, batch_interval 1 ms", lat_1m_1},
    {"latency-1m-10ms", "latency at 1M events/s, batch_interval 10 ms", lat_1m_10},
    {"latency-1m-100ms", "latency at 1M events/s, batch_interval 100 ms", lat_1m_100},
};
const uint32_t em__bench_latency_n = sizeof em__bench_latency / sizeof em__bench_latency[0];
