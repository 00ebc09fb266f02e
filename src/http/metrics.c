/*
 * http/metrics.c - GET /metrics: Prometheus text exposition format 0.0.4.
 *
 * Names follow Prometheus conventions: counters end in _total, durations
 * are _seconds, sizes _bytes; labels name the job's components. Latencies
 * are histograms (em_stats_hist_bounds) accumulated by the engine since the
 * job started.
 */
#include "http/http_int.h"

#include "core/clock.h"

#include <stdio.h>

/* Writes a label value escaped as the format requires (\\, \", \n). */
static void label(em__json *m, const char *v)
{
    em__json_raw(m, "\"");
    for (; *v; v++) {
        char c[3] = {*v, 0, 0};
        if (*v == '\\' || *v == '"') {
            c[0] = '\\';
            c[1] = *v;
        } else if (*v == '\n') {
            c[0] = '\\';
            c[1] = 'n';
        }
        em__json_raw(m, c);
    }
    em__json_raw(m, "\"");
}

static void head(em__json *m, const char *name, const char *type, const char *help)
{
    em__json_printf(m, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{key="val"} value */
static void sample(em__json *m, const char *name, const char *key, const char *val, double v)
{
    em__json_raw(m, name);
    if (key) {
        em__json_printf(m, "{%s=", key);
        label(m, val);
        em__json_raw(m, "}");
    }
    em__json_printf(m, " %.15g\n", v);
}

static void histogram(em__json *m, const char *name, const char *key, const char *val,
                      const em_histogram *h)
{
    const double *bounds = em_stats_hist_bounds();
    uint64_t cum = 0;
    for (int i = 0; i <= EM_HIST_BOUNDS; i++) {
        cum += h->counts[i];
        em__json_printf(m, "%s_bucket{", name);
        if (key) {
            em__json_printf(m, "%s=", key);
            label(m, val);
            em__json_raw(m, ",");
        }
        if (i < EM_HIST_BOUNDS)
            em__json_printf(m, "le=\"%g\"} %llu\n", bounds[i], (unsigned long long)cum);
        else
            em__json_printf(m, "le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    char n[128];
    snprintf(n, sizeof n, "%s_sum", name);
    sample(m, n, key, val, h->sum);
    snprintf(n, sizeof n, "%s_count", name);
    sample(m, n, key, val, (double)h->count);
}

static void job_metrics(const em__http_ctx *h, const em_stats *s, em__json *m)
{
    const em_job_info *job = &s->job;
    head(m, "ember_info", "gauge", "Ember version and job name.");
    em__json_raw(m, "ember_info{version=");
    label(m, EM_VERSION);
    em__json_raw(m, ",job=");
    label(m, h->job_name);
    em__json_raw(m, "} 1\n");
    head(m, "ember_job_state", "gauge", "1 for the job's current state.");
    for (int st = EM_JOB_CREATED; st <= EM_JOB_FAILED; st++)
        sample(m, "ember_job_state", "state", em_job_state_name((em_job_state)st),
               job->state == (em_job_state)st);
    head(m, "ember_job_start_time_seconds", "gauge", "When the job started (Unix time).");
    sample(m, "ember_job_start_time_seconds", NULL, NULL, job->started_us / 1e6);
    head(m, "ember_batches_total", "counter", "Micro-batches run, by outcome.");
    sample(m, "ember_batches_total", "status", "completed", (double)job->batches_completed);
    sample(m, "ember_batches_total", "status", "failed", (double)job->batches_failed);
    head(m, "ember_batch_interval_seconds", "gauge", "The batch_interval setting.");
    sample(m, "ember_batch_interval_seconds", NULL, NULL, job->batch_interval_us / 1e6);
    head(m, "ember_input_records_total", "counter", "Records taken from all sources.");
    sample(m, "ember_input_records_total", NULL, NULL, (double)job->records);
    head(m, "ember_batch_processing_seconds", "histogram",
         "Time to run a micro-batch's graph and sinks.");
    histogram(m, "ember_batch_processing_seconds", NULL, NULL, &s->processing);
    head(m, "ember_batch_scheduling_delay_seconds", "histogram",
         "How late micro-batches started.");
    histogram(m, "ember_batch_scheduling_delay_seconds", NULL, NULL, &s->scheduling_delay);
    head(m, "ember_batch_total_delay_seconds", "histogram",
         "Scheduling delay plus processing time.");
    histogram(m, "ember_batch_total_delay_seconds", NULL, NULL, &s->total_delay);
    head(m, "ember_watermark_seconds", "gauge", "The job's event-time watermark (Unix time).");
    if (job->watermark_us != INT64_MIN && job->watermark_us != INT64_MAX)
        sample(m, "ember_watermark_seconds", NULL, NULL, job->watermark_us / 1e6);
    head(m, "ember_memory_bytes", "gauge", "Bytes allocated by Ember's allocator.");
    sample(m, "ember_memory_bytes", NULL, NULL, (double)job->memory_bytes);
    head(m, "ember_memory_peak_bytes", "gauge", "High-water mark of ember_memory_bytes.");
    sample(m, "ember_memory_peak_bytes", NULL, NULL, (double)job->memory_peak_bytes);
}

#define EACH_SOURCE(mname, type, help, expr)                                                       \
    do {                                                                                           \
        head(m, mname, type, help);                                                                \
        for (uint32_t i = 0; i < s->nsources; i++) {                                               \
            const em_source_info *si = &s->sources[i];                                            \
            sample(m, mname, "source", si->name, (double)(expr));                                 \
        }                                                                                          \
    } while (0)

#define EACH_SINK(mname, type, help, expr)                                                         \
    do {                                                                                           \
        head(m, mname, type, help);                                                                \
        for (uint32_t i = 0; i < s->nsinks; i++) {                                                 \
            const em_sink_info *si = &s->sinks[i];                                                \
            sample(m, mname, "sink", si->name, (double)(expr));                                   \
        }                                                                                          \
    } while (0)

#define EACH_OP(mname, type, help, expr)                                                           \
    do {                                                                                           \
        head(m, mname, type, help);                                                                \
        for (uint32_t i = 0; i < s->noperators; i++) {                                             \
            const em_operator_info *o = &s->operators[i];                                         \
            sample(m, mname, "operator", o->id, (double)(expr));                                  \
        }                                                                                          \
    } while (0)

static void component_metrics(const em_stats *s, em__json *m)
{
    EACH_SOURCE("ember_source_records_total", "counter", "Records delivered by a source.",
                si->records);
    EACH_SOURCE("ember_source_bytes_total", "counter", "Raw bytes parsed from a source.",
                si->bytes);
    EACH_SOURCE("ember_source_bad_records_total", "counter", "Records that did not parse.",
                si->bad);
    EACH_SOURCE("ember_source_late_records_total", "counter",
                "Rows at or below the watermark on arrival.", si->late);
    EACH_SOURCE("ember_source_input_rate", "gauge", "Records per second, smoothed over 5 s.",
                si->rate);
    head(m, "ember_source_watermark_lag_seconds", "gauge",
         "Wall clock minus the source's watermark.");
    for (uint32_t i = 0; i < s->nsources; i++)
        if (s->sources[i].watermark_us != INT64_MIN)
            sample(m, "ember_source_watermark_lag_seconds", "source", s->sources[i].name,
                   s->sources[i].lag_us / 1e6);
    EACH_SINK("ember_sink_rows_total", "counter", "Rows written by a sink.", si->rows);
    EACH_SINK("ember_sink_batches_total", "counter", "Micro-batches committed by a sink.",
              si->batches);
    EACH_SINK("ember_sink_errors_total", "counter", "Failed writes or commits.", si->errors);
    EACH_SINK("ember_sink_up", "gauge", "0 while the sink's last write failed.",
              si->last_status == 0);
    EACH_SINK("ember_sink_queued_batches", "gauge",
              "Micro-batch outputs waiting in the sink's queue.", si->queued_batches);
    EACH_SINK("ember_sink_queued_bytes", "gauge", "Memory held by the sink's queue.",
              si->queued_bytes);
    head(m, "ember_sink_commit_seconds", "histogram", "Write plus commit time per micro-batch.");
    for (uint32_t i = 0; i < s->nsinks; i++)
        histogram(m, "ember_sink_commit_seconds", "sink", s->sinks[i].name, &s->sinks[i].commit);
    EACH_OP("ember_operator_rows_in_total", "counter", "Rows into an operator.", o->rows_in);
    EACH_OP("ember_operator_rows_out_total", "counter", "Rows out of an operator.", o->rows_out);
    EACH_OP("ember_operator_state_keys", "gauge", "Live keys in an operator's state.",
            o->state_keys);
    EACH_OP("ember_operator_state_bytes", "gauge", "Bytes of an operator's state.",
            o->state_bytes);
    EACH_OP("ember_operator_late_dropped_total", "counter",
            "Rows dropped because their window had closed.", o->late_dropped);
    EACH_OP("ember_operator_evicted_total", "counter", "Keys evicted by state_ttl.", o->evicted);
}

void em__metrics(const em__http_ctx *h, em__reply *r)
{
    em_stats *s = NULL;
    if (em_engine_stats(h->engine, &s)) {
        em__reply_error(r, 503, "out of memory");
        return;
    }
    em__json m;
    em__json_init(&m);
    job_metrics(h, s, &m);
    component_metrics(s, &m);
    em__json_reply(&m, r);
    if (r->status == 200)
        r->type = "text/plain; version=0.0.4; charset=utf-8";
    em_stats_free(s);
}
