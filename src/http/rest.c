/*
 * http/rest.c - the REST API's JSON documents (docs/rest.md).
 *
 * Every handler takes one snapshot (em_engine_stats) and renders it, so a
 * document is consistent within itself: all its figures are from the same
 * micro-batch.
 */
#include "http/http_int.h"

#include "core/clock.h"
#include "core/mem.h"
#include "ember/error.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LIMIT 1024

static void put_options(em__json *j, const em_stats *s, uint32_t first, uint32_t n)
{
    em__json_key(j, "options");
    em__json_open(j, '{');
    for (uint32_t i = 0; i < n && first + i < s->noptions; i++)
        em__json_kstr(j, s->options[first + i].name, s->options[first + i].value);
    em__json_close(j, '}');
}

static double uptime_s(const em_job_info *job)
{
    if (!job->started_us)
        return 0;
    int64_t end = job->ended_us ? job->ended_us : em_wall_us();
    return (end - job->started_us) / 1e6;
}

static void put_sources(em__json *j, const em_stats *s, bool full)
{
    em__json_key(j, "sources");
    em__json_open(j, '[');
    for (uint32_t i = 0; i < s->nsources; i++) {
        const em_source_info *si = &s->sources[i];
        em__json_open(j, '{');
        em__json_kstr(j, "name", si->name);
        em__json_kstr(j, "connector", si->connector);
        em__json_kstr(j, "kind", si->is_table ? "table" : "source");
        if (full) {
            em__json_ku64(j, "records", si->records);
            em__json_ku64(j, "bytes", si->bytes);
            em__json_knum(j, "rate", si->rate);
            em__json_ku64(j, "bad_records", si->bad);
            em__json_ku64(j, "late_records", si->late);
            em__json_kts(j, "max_event_time", si->max_event_us);
            em__json_kts(j, "watermark", si->watermark_us);
            em__json_key(j, "lag_s");
            if (si->watermark_us == INT64_MIN)
                em__json_null(j);
            else
                em__json_num(j, si->lag_us / 1e6);
            em__json_kbool(j, "finished", si->finished);
            em__json_kbool(j, "idle", si->idle);
        }
        put_options(j, s, si->opt_first, si->nopts);
        em__json_close(j, '}');
    }
    em__json_close(j, ']');
}

static double hist_avg_ms(const em_histogram *h)
{
    return h->count ? h->sum / (double)h->count * 1000 : 0;
}

static void put_sinks(em__json *j, const em_stats *s, bool full)
{
    em__json_key(j, "sinks");
    em__json_open(j, '[');
    for (uint32_t i = 0; i < s->nsinks; i++) {
        const em_sink_info *si = &s->sinks[i];
        em__json_open(j, '{');
        em__json_kstr(j, "name", si->name);
        em__json_kstr(j, "connector", si->connector);
        if (full) {
            em__json_ku64(j, "rows", si->rows);
            em__json_ku64(j, "batches", si->batches);
            em__json_ku64(j, "errors", si->errors);
            em__json_knum(j, "last_commit_ms", si->last_commit_us / 1000.0);
            em__json_knum(j, "avg_commit_ms", hist_avg_ms(&si->commit));
            em__json_knum(j, "max_commit_ms", si->max_commit_us / 1000.0);
            em__json_kstr(j, "status", si->last_status ? "failing" : "ok");
            em__json_key(j, "last_error");
            if (si->last_status)
                em__json_str(j, em_strerror(si->last_status));
            else
                em__json_null(j);
            em__json_kts(j, "failing_since", si->failing_since_us);
            em__json_ku64(j, "queued_batches", si->queued_batches);
            em__json_ku64(j, "queued_bytes", si->queued_bytes);
            em__json_key(j, "latest_rows");
            em__json_open(j, '[');
            /* the engine keeps them as NDJSON written by its own JSON
             * writer: each line is one object */
            const char *p = si->latest ? si->latest : "";
            while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                if (n) {
                    if (j->comma)
                        em__json_raw(j, ",");
                    if (!j->rc)
                        j->rc = em_buf_append(&j->b, p, n);
                    j->comma = true;
                }
                p += n + (nl != NULL);
            }
            em__json_close(j, ']');
        }
        put_options(j, s, si->opt_first, si->nopts);
        em__json_close(j, '}');
    }
    em__json_close(j, ']');
}

static void job_doc(const em__http_ctx *h, const em_stats *s, em__json *j)
{
    const em_job_info *job = &s->job;
    em__json_open(j, '{');
    em__json_kstr(j, "name", h->job_name);
    em__json_kstr(j, "version", EM_VERSION);
    em__json_kstr(j, "state", em_job_state_name(job->state));
    em__json_kts(j, "started", job->started_us);
    em__json_knum(j, "uptime_s", uptime_s(job));
    em__json_knum(j, "batch_interval_ms", job->batch_interval_us / 1000.0);
    em__json_ki64(j, "batches_completed", job->batches_completed);
    em__json_ki64(j, "batches_failed", job->batches_failed);
    em__json_ki64(j, "last_batch_id", job->last_batch_id);
    em__json_ku64(j, "records", job->records);
    em__json_kts(j, "watermark", job->watermark_us);
    em__json_ku64(j, "memory_bytes", job->memory_bytes);
    em__json_ku64(j, "memory_peak_bytes", job->memory_peak_bytes);
    em__json_key(j, "error");
    if (job->error[0])
        em__json_str(j, job->error);
    else
        em__json_null(j);
    em__json_key(j, "settings");
    em__json_open(j, '{');
    for (uint32_t i = 0; i < s->nsettings; i++)
        em__json_kstr(j, s->settings[i].name, s->settings[i].value);
    em__json_close(j, '}');
    put_sources(j, s, false);
    put_sinks(j, s, false);
    em__json_close(j, '}');
}

static const char *batch_status(const em_batch_info *b)
{
    return b->status ? "failed" : "completed";
}

/* Batches a slow scheduler is behind by: Spark's "waiting batches". */
static int64_t waiting(const em_stats *s, const em_batch_info *last, size_t n)
{
    if (!n || s->job.state != EM_JOB_RUNNING || s->job.batch_interval_us <= 0)
        return 0;
    return last->scheduling_delay_us / s->job.batch_interval_us;
}

static void batches_doc(const em_stats *s, const em_batch_info *b, size_t n, em__json *j)
{
    em__json_open(j, '{');
    em__json_key(j, "active");
    em__json_open(j, '[');
    if (s->job.state == EM_JOB_RUNNING || s->job.state == EM_JOB_STOPPING) {
        em__json_open(j, '{');
        em__json_ki64(j, "id", s->job.last_batch_id + 1);
        em__json_kstr(j, "status", "active");
        em__json_close(j, '}');
    }
    em__json_close(j, ']');
    em__json_ki64(j, "waiting", waiting(s, b, n));
    em__json_key(j, "batches");
    em__json_open(j, '[');
    for (size_t i = 0; i < n; i++) {
        em__json_open(j, '{');
        em__json_ki64(j, "id", b[i].id);
        em__json_kts(j, "time", b[i].logical_time_us);
        em__json_ku64(j, "input_records", b[i].input_records);
        em__json_knum(j, "scheduling_delay_ms", b[i].scheduling_delay_us / 1000.0);
        em__json_knum(j, "processing_time_ms", b[i].processing_us / 1000.0);
        em__json_knum(j, "total_delay_ms", b[i].total_delay_us / 1000.0);
        em__json_kstr(j, "status", batch_status(&b[i]));
        em__json_key(j, "error");
        if (b[i].status)
            em__json_str(j, s->job.error[0] ? s->job.error : em_strerror(b[i].status));
        else
            em__json_null(j);
        em__json_close(j, '}');
    }
    em__json_close(j, ']');
    em__json_close(j, '}');
}

/* Spark's streaming statistics over the retained batches. */
static void statistics_doc(const em_stats *s, const em_batch_info *b, size_t n, em__json *j)
{
    double sched = 0, proc = 0, total = 0;
    uint64_t recs = 0;
    size_t ok = 0;
    int64_t newest = 0, oldest = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i].status)
            continue;
        if (!ok)
            newest = b[i].logical_time_us;
        oldest = b[i].logical_time_us;
        ok++;
        sched += b[i].scheduling_delay_us / 1000.0;
        proc += b[i].processing_us / 1000.0;
        total += b[i].total_delay_us / 1000.0;
        recs += b[i].input_records;
    }
    /* the retained batches cover their spread plus one interval */
    double span = (newest - oldest + s->job.batch_interval_us) / 1e6;
    uint32_t active_src = 0;
    for (uint32_t i = 0; i < s->nsources; i++)
        active_src += !s->sources[i].finished && !s->sources[i].idle;
    em__json_open(j, '{');
    em__json_kstr(j, "state", em_job_state_name(s->job.state));
    em__json_kts(j, "start_time", s->job.started_us);
    em__json_knum(j, "uptime_s", uptime_s(&s->job));
    em__json_knum(j, "batch_interval_ms", s->job.batch_interval_us / 1000.0);
    em__json_ku64(j, "num_sources", s->nsources);
    em__json_ku64(j, "num_active_sources", active_src);
    em__json_ku64(j, "num_inactive_sources", s->nsources - active_src);
    em__json_ki64(j, "num_total_completed_batches", s->job.batches_completed);
    em__json_ki64(j, "num_failed_batches", s->job.batches_failed);
    em__json_ku64(j, "num_retained_completed_batches", ok);
    em__json_ku64(j, "num_active_batches",
                  s->job.state == EM_JOB_RUNNING || s->job.state == EM_JOB_STOPPING);
    em__json_ki64(j, "num_waiting_batches", waiting(s, b, n));
    em__json_ku64(j, "num_received_records", s->job.records);
    em__json_ku64(j, "num_retained_records", recs);
    em__json_knum(j, "avg_input_rate", ok && span > 0 ? recs / span : 0);
    em__json_knum(j, "avg_scheduling_delay_ms", ok ? sched / ok : 0);
    em__json_knum(j, "avg_processing_time_ms", ok ? proc / ok : 0);
    em__json_knum(j, "avg_total_delay_ms", ok ? total / ok : 0);
    em__json_close(j, '}');
}

static void operators_doc(const em_stats *s, em__json *j)
{
    em__json_open(j, '{');
    em__json_kts(j, "watermark", s->job.watermark_us);
    em__json_key(j, "operators");
    em__json_open(j, '[');
    for (uint32_t i = 0; i < s->noperators; i++) {
        const em_operator_info *o = &s->operators[i];
        em__json_open(j, '{');
        em__json_kstr(j, "id", o->id);
        em__json_kstr(j, "kind", o->kind);
        em__json_ku64(j, "rows_in", o->rows_in);
        em__json_ku64(j, "rows_out", o->rows_out);
        em__json_ku64(j, "state_keys", o->state_keys);
        em__json_ku64(j, "state_bytes", o->state_bytes);
        em__json_ku64(j, "late_dropped", o->late_dropped);
        em__json_ku64(j, "evicted", o->evicted);
        em__json_close(j, '}');
    }
    em__json_close(j, ']');
    em__json_close(j, '}');
}

/* limit: 1..1024, default 100; anything else is a 400. */
static int parse_limit(const char *v, size_t *out)
{
    if (!v) {
        *out = 100;
        return 0;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > MAX_LIMIT)
        return -1;
    *out = (size_t)n;
    return 0;
}

bool em__rest_get(const em__http_ctx *h, const char *path, const char *limit, em__reply *r)
{
    enum { JOB, BATCHES, STATS, SOURCES, SINKS, OPERATORS } what;
    if (!strcmp(path, "/job"))
        what = JOB;
    else if (!strcmp(path, "/batches"))
        what = BATCHES;
    else if (!strcmp(path, "/statistics"))
        what = STATS;
    else if (!strcmp(path, "/sources"))
        what = SOURCES;
    else if (!strcmp(path, "/sinks"))
        what = SINKS;
    else if (!strcmp(path, "/operators"))
        what = OPERATORS;
    else
        return false;
    size_t lim = 100;
    if (what == BATCHES && parse_limit(limit, &lim)) {
        em__reply_error(r, 400, "limit must be an integer from 1 to 1024");
        return true;
    }
    em_stats *s = NULL;
    em_batch_info *b = NULL;
    size_t n = 0;
    if (em_engine_stats(h->engine, &s)) {
        em__reply_error(r, 503, "out of memory");
        return true;
    }
    if (what == BATCHES || what == STATS) {
        b = em_malloc(MAX_LIMIT * sizeof *b);
        if (!b) {
            em_stats_free(s);
            em__reply_error(r, 503, "out of memory");
            return true;
        }
        n = em_engine_batch_history(h->engine, b, what == BATCHES ? lim : MAX_LIMIT);
    }
    em__json j;
    em__json_init(&j);
    switch (what) {
    case JOB: job_doc(h, s, &j); break;
    case BATCHES: batches_doc(s, b, n, &j); break;
    case STATS: statistics_doc(s, b, n, &j); break;
    case SOURCES:
        em__json_open(&j, '{');
        put_sources(&j, s, true);
        em__json_close(&j, '}');
        break;
    case SINKS:
        em__json_open(&j, '{');
        put_sinks(&j, s, true);
        em__json_close(&j, '}');
        break;
    case OPERATORS: operators_doc(s, &j); break;
    }
    em__json_raw(&j, "\n");
    em__json_reply(&j, r);
    em_free(b);
    em_stats_free(s);
    return true;
}

void em__rest_healthz(const em__http_ctx *h, em__reply *r)
{
    em_stats *s = NULL;
    if (em_engine_stats(h->engine, &s)) {
        em__reply_error(r, 503, "out of memory");
        return;
    }
    em__json j;
    em__json_init(&j);
    bool ok = s->job.state != EM_JOB_FAILED;
    em__json_open(&j, '{');
    em__json_kstr(&j, "status", ok ? "ok" : "failed");
    em__json_kstr(&j, "state", em_job_state_name(s->job.state));
    em__json_close(&j, '}');
    em__json_raw(&j, "\n");
    em__json_reply(&j, r);
    if (r->status == 200 && !ok)
        r->status = 503;
    em_stats_free(s);
}

void em__rest_readyz(const em__http_ctx *h, em__reply *r)
{
    em_stats *s = NULL;
    if (em_engine_stats(h->engine, &s)) {
        em__reply_error(r, 503, "out of memory");
        return;
    }
    /* ready once the job runs and has completed a micro-batch */
    bool ready = s->job.state == EM_JOB_RUNNING && s->job.batches_completed > 0;
    em__json j;
    em__json_init(&j);
    em__json_open(&j, '{');
    em__json_kbool(&j, "ready", ready);
    em__json_kstr(&j, "state", em_job_state_name(s->job.state));
    em__json_close(&j, '}');
    em__json_raw(&j, "\n");
    em__json_reply(&j, r);
    if (r->status == 200 && !ready)
        r->status = 503;
    em_stats_free(s);
}
