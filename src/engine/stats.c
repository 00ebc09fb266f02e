/*
 * engine/stats.c - publishing the engine's statistics to other threads
 * (ember/stats.h).
 *
 * The scheduler owns every counter it updates (source, sink and operator
 * stats live in its structures). Once per micro-batch it copies them into
 * a publication guarded by one mutex; readers (the HTTP server's threads)
 * copy the publication out under the same mutex. Both copies are a few
 * hundred bytes per component, so neither side waits long and the job's
 * hot path never takes the lock.
 *
 * A sink's latest rows are copied on the thread that wrote the sink (only
 * the last EM_STATS_ROWS rows of each micro-batch, em_batch_compact) and
 * rendered to NDJSON only when a reader asks for the statistics: most
 * micro-batches are never looked at, and rendering each one had cost the
 * sensor benchmark 3% of its instructions.
 */
#include "engine/engine_int.h"

#include "core/clock.h"
#include "core/str.h"
#include "ember/stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define EM_STATS_ROWS 20

static const double hist_bounds[EM_HIST_BOUNDS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,  0.1,    0.25,  0.5,  1,
                                                   2.5,   5,      10,    30};

/* Rows a sink wrote, copied; a list oldest first. */
typedef struct rows_copy {
    struct rows_copy *next;
    em_arena arena;
    em_batch *b;
} rows_copy;

typedef struct sink_side {
    em_writer *writer;       /* JSON writer for the sink's rows (lazily created,
                              * used under the publication's mutex) */
    rows_copy *head, *tail;  /* written since the last reader rendered them */
    uint32_t nrows;          /* rows in that list */
} sink_side;

static void free_copies(rows_copy *c)
{
    while (c) {
        rows_copy *next = c->next;
        em_arena_release(&c->arena);
        em_free(c);
        c = next;
    }
}

static void free_sides(sink_side *side, uint32_t n)
{
    if (!side)
        return;
    for (uint32_t i = 0; i < n; i++) {
        em_writer_destroy(side[i].writer);
        free_copies(side[i].head);
    }
    em_free(side);
}

struct em_stats_pub {
    pthread_mutex_t mu;
    em_stats s;                        /* the publication; arrays owned */
    em_batch_info hist[EM_STATS_KEEP]; /* batch history incl. failures */
    uint64_t nhist;
    /* scheduler side, not shared */
    uint64_t *prev_records;
    int64_t prev_us;
    sink_side *sinkside;
};

const char *em_job_state_name(em_job_state s)
{
    static const char *names[] = {"created", "running", "stopping", "finished", "failed"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const double *em_stats_hist_bounds(void)
{
    return hist_bounds;
}

static void hist_add(em_histogram *h, double seconds)
{
    uint32_t i = 0;
    while (i < EM_HIST_BOUNDS && seconds > hist_bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += seconds;
}

static void free_arrays(em_stats *s)
{
    for (uint32_t i = 0; i < s->nsinks; i++)
        em_free(s->sinks[i].latest);
    em_free(s->settings);
    em_free(s->sources);
    em_free(s->sinks);
    em_free(s->operators);
    em_free(s->options);
    s->settings = NULL;
    s->sources = NULL;
    s->sinks = NULL;
    s->operators = NULL;
    s->options = NULL;
    s->nsettings = s->nsources = s->nsinks = s->noperators = s->noptions = 0;
}

int em__stats_create(em_engine *e)
{
    em_stats_pub *p = em_calloc(1, sizeof *p);
    if (!p)
        return EM_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    p->s.job.watermark_us = EM_TS_MIN;
    e->pub = p;
    return 0;
}

void em__stats_destroy(em_engine *e)
{
    em_stats_pub *p = e->pub;
    if (!p)
        return;
    free_arrays(&p->s);
    free_sides(p->sinkside, e->nsinks);
    em_free(p->prev_records);
    pthread_mutex_destroy(&p->mu);
    em_free(p);
    e->pub = NULL;
}

static bool is_plumbing(const em_op *op)
{
    return !strcmp(op->vt->kind, "source") || !strcmp(op->vt->kind, "sink");
}

/* Appends a connector instance's options (secrets redacted) to kv. */
static uint32_t put_options(const em_conn_ctx *cx, em_stats_kv *kv, uint32_t at)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < cx->opts.n; i++) {
        const em_option_def *d = &cx->opts.defs[i];
        const char *v = em_opt_str(&cx->opts, d->name);
        if (!v)
            continue;
        em_stats_kv *o = &kv[at + n++];
        snprintf(o->name, sizeof o->name, "%s", d->name);
        snprintf(o->value, sizeof o->value, "%s",
                 (d->flags & EM_OPT_SECRET) ? "[redacted]" : v);
    }
    return n;
}

static void publish_counters(em_engine *e, em_stats *s, em_stats_pub *p);

/* The job starts: size the publication to the graph and fill in what does
 * not change while it runs (names, options, settings). */
void em__stats_started(em_engine *e)
{
    em_stats_pub *p = e->pub;
    uint32_t nops = 0, nopts = 0, nset = 0;
    char val[EM_STATS_VALUE];
    bool secret;
    for (uint32_t i = 0; i < e->nops; i++)
        nops += !is_plumbing(e->ops[i]);
    for (uint32_t i = 0; i < e->nsources; i++)
        nopts += e->sources[i]->cx.opts.n;
    for (uint32_t i = 0; i < e->nsinks; i++)
        nopts += e->sinks[i]->cx.opts.n;
    while (em__settings_value(e, nset, val, sizeof val, &secret))
        nset++;
    em_stats n = {0};
    n.settings = em_calloc(nset ? nset : 1, sizeof *n.settings);
    n.sources = em_calloc(e->nsources ? e->nsources : 1, sizeof *n.sources);
    n.sinks = em_calloc(e->nsinks ? e->nsinks : 1, sizeof *n.sinks);
    n.operators = em_calloc(nops ? nops : 1, sizeof *n.operators);
    n.options = em_calloc(nopts ? nopts : 1, sizeof *n.options);
    uint64_t *prev = em_calloc(e->nsources ? e->nsources : 1, sizeof *prev);
    sink_side *side = em_calloc(e->nsinks ? e->nsinks : 1, sizeof *side);
    if (!n.settings || !n.sources || !n.sinks || !n.operators || !n.options || !prev || !side) {
        /* statistics are best effort: the job runs without them */
        free_arrays(&n);
        em_free(prev);
        em_free(side);
        em_log_warn(&e->log, "engine", "out of memory: statistics are not published");
        return;
    }
    for (uint32_t i = 0; i < nset; i++) {
        const char *name = em__settings_value(e, i, val, sizeof val, &secret);
        snprintf(n.settings[i].name, sizeof n.settings[i].name, "%s", name);
        snprintf(n.settings[i].value, sizeof n.settings[i].value, "%s",
                 secret && val[0] ? "[redacted]" : val);
    }
    n.nsettings = nset;
    for (uint32_t i = 0; i < e->nsources; i++) {
        em_source_node *src = e->sources[i];
        em_source_info *si = &n.sources[i];
        snprintf(si->name, sizeof si->name, "%s", src->name);
        snprintf(si->connector, sizeof si->connector, "%s", src->conn->name);
        si->is_table = src->is_table;
        si->opt_first = n.noptions;
        si->nopts = put_options(&src->cx, n.options, n.noptions);
        n.noptions += si->nopts;
        prev[i] = src->stats.records;
    }
    n.nsources = e->nsources;
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *snk = e->sinks[i];
        em_sink_info *si = &n.sinks[i];
        snprintf(si->name, sizeof si->name, "%s", snk->name);
        snprintf(si->connector, sizeof si->connector, "%s", snk->conn->name);
        si->opt_first = n.noptions;
        si->nopts = put_options(&snk->cx, n.options, n.noptions);
        n.noptions += si->nopts;
    }
    n.nsinks = e->nsinks;
    for (uint32_t i = 0, k = 0; i < e->nops; i++) {
        if (is_plumbing(e->ops[i]))
            continue;
        snprintf(n.operators[k].id, sizeof n.operators[k].id, "%s", e->ops[i]->id);
        snprintf(n.operators[k].kind, sizeof n.operators[k].kind, "%s", e->ops[i]->vt->kind);
        k++;
    }
    n.noperators = nops;
    n.job.batch_interval_us = e->set.batch_interval_us;
    n.job.state = EM_JOB_RUNNING;
    n.job.started_us = em_wall_us();
    n.job.watermark_us = e->watermark;
    publish_counters(e, &n, p);

    pthread_mutex_lock(&p->mu);
    em_stats old = p->s;
    p->s = n;
    pthread_mutex_unlock(&p->mu);
    free_arrays(&old);
    em_free(p->prev_records);
    free_sides(p->sinkside, e->nsinks);
    p->prev_records = prev;
    p->sinkside = side;
    p->prev_us = em_wall_us();
}

/* Copies the scheduler's counters into s (the caller holds the mutex or
 * owns s). */
static void publish_counters(em_engine *e, em_stats *s, em_stats_pub *p)
{
    int64_t now = em_wall_us();
    uint64_t total = 0;
    double dt = p->prev_records && now > p->prev_us ? (now - p->prev_us) / 1e6 : 0;
    for (uint32_t i = 0; i < s->nsources && i < e->nsources; i++) {
        em_source_node *src = e->sources[i];
        em_source_info *si = &s->sources[i];
        si->records = src->stats.records;
        si->bytes = src->stats.bytes;
        si->bad = src->stats.bad;
        si->late = src->stats.late;
        si->max_event_us = src->time_col >= 0 ? src->max_ts : EM_TS_MIN;
        si->watermark_us = src->time_col >= 0 && src->max_ts != EM_TS_MIN
                               ? src->max_ts - src->wm_delay_us
                               : EM_TS_MIN;
        si->lag_us = si->watermark_us != EM_TS_MIN ? now - si->watermark_us : 0;
        si->finished = src->eof;
        si->idle = !src->eof && now - src->last_data_us >= e->set.idle_timeout_us;
        if (dt > 0) {
            /* smoothed over about 5 s whatever the batch interval */
            double inst = (double)(src->stats.records - p->prev_records[i]) / dt;
            double alpha = dt >= 5 ? 1 : dt / 5;
            si->rate = si->rate + alpha * (inst - si->rate);
            p->prev_records[i] = src->stats.records;
        }
        total += src->stats.records;
    }
    if (dt > 0)
        p->prev_us = now;
    for (uint32_t i = 0, k = 0; i < e->nops && k < s->noperators; i++) {
        const em_op *op = e->ops[i];
        if (is_plumbing(op))
            continue;
        em_operator_info *oi = &s->operators[k++];
        oi->rows_in = op->stats.rows_in;
        oi->rows_out = op->stats.rows_out;
        oi->state_keys = op->stats.state_keys;
        oi->state_bytes = op->stats.state_bytes;
        oi->late_dropped = op->stats.late_dropped;
        oi->evicted = op->stats.evicted;
    }
    s->job.records = total;
    s->job.watermark_us = e->watermark;
    s->job.last_batch_id = e->batch_id;
    s->job.memory_bytes = em_mem_used();
    s->job.memory_peak_bytes = em_mem_peak();
}

void em__stats_batch(em_engine *e, int rc)
{
    em_stats_pub *p = e->pub;
    em_batch_info bi;
    if (rc == 0 && e->nstats) {
        bi = e->stats[(e->nstats - 1) % EM_STATS_KEEP];
    } else {
        memset(&bi, 0, sizeof bi);
        bi.id = e->batch_id;
        bi.logical_time_us = em_wall_us();
        bi.status = rc ? rc : EM_EINVAL;
    }
    pthread_mutex_lock(&p->mu);
    publish_counters(e, &p->s, p);
    p->hist[p->nhist++ % EM_STATS_KEEP] = bi;
    if (bi.status) {
        p->s.job.batches_failed++;
        snprintf(p->s.job.error, sizeof p->s.job.error, "%s", e->errmsg);
    } else {
        p->s.job.batches_completed++;
        hist_add(&p->s.processing, bi.processing_us / 1e6);
        hist_add(&p->s.scheduling_delay, bi.scheduling_delay_us / 1e6);
        hist_add(&p->s.total_delay, bi.total_delay_us / 1e6);
    }
    pthread_mutex_unlock(&p->mu);
}

static uint32_t sink_index(const em_engine *e, const em_sink_node *s)
{
    uint32_t idx = 0;
    while (idx < e->nsinks && e->sinks[idx] != s)
        idx++;
    return idx;
}

static void sink_rows(em_sink_node *s, uint32_t idx);

void em__stats_sink_done(em_sink_node *s, int rc)
{
    em_engine *e = s->engine;
    em_stats_pub *p = e->pub;
    uint32_t idx = sink_index(e, s);
    if (!p || idx >= p->s.nsinks)
        return;
    if (!rc)
        sink_rows(s, idx);
    pthread_mutex_lock(&p->mu);
    em_sink_info *si = &p->s.sinks[idx];
    si->rows = s->stats.rows;
    si->batches = s->stats.batches;
    si->errors = s->stats.errors;
    si->last_commit_us = s->stats.last_commit_us;
    si->last_status = rc;
    if (rc && !si->failing_since_us)
        si->failing_since_us = em_wall_us();
    else if (!rc)
        si->failing_since_us = 0;
    if (!rc) {
        hist_add(&si->commit, si->last_commit_us / 1e6);
        if (si->last_commit_us > si->max_commit_us)
            si->max_commit_us = si->last_commit_us;
    }
    pthread_mutex_unlock(&p->mu);
}

void em__stats_sink_queue(em_sink_node *s, uint32_t queued, uint64_t bytes)
{
    em_engine *e = s->engine;
    em_stats_pub *p = e->pub;
    uint32_t idx = sink_index(e, s);
    if (!p || idx >= p->s.nsinks)
        return;
    pthread_mutex_lock(&p->mu);
    p->s.sinks[idx].queued_batches = queued;
    p->s.sinks[idx].queued_bytes = bytes;
    pthread_mutex_unlock(&p->mu);
}

void em__stats_sink_failing(em_sink_node *snk, int rc)
{
    em_engine *e = snk->engine;
    em_stats_pub *p = e->pub;
    pthread_mutex_lock(&p->mu);
    for (uint32_t i = 0; i < p->s.nsinks && i < e->nsinks; i++) {
        if (e->sinks[i] != snk)
            continue;
        em_sink_info *si = &p->s.sinks[i];
        si->errors = snk->stats.errors;
        si->last_status = rc;
        if (!si->failing_since_us)
            si->failing_since_us = em_wall_us();
    }
    pthread_mutex_unlock(&p->mu);
}

void em__stats_ended(em_engine *e, int rc)
{
    em_stats_pub *p = e->pub;
    pthread_mutex_lock(&p->mu);
    publish_counters(e, &p->s, p);
    p->s.job.state = rc ? EM_JOB_FAILED : EM_JOB_FINISHED;
    p->s.job.ended_us = em_wall_us();
    if (rc)
        snprintf(p->s.job.error, sizeof p->s.job.error, "%s", e->errmsg);
    pthread_mutex_unlock(&p->mu);
}

/* Keeps the last EM_STATS_ROWS lines of text (drops older ones in place). */
static void keep_last_lines(em_buf *b, uint32_t *nlines)
{
    uint32_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->ptr[i] == '\n';
    size_t cut = 0;
    for (uint32_t drop = n > EM_STATS_ROWS ? n - EM_STATS_ROWS : 0; drop; cut++)
        drop -= b->ptr[cut] == '\n';
    if (cut) {
        memmove(b->ptr, b->ptr + cut, b->len - cut);
        b->len -= cut;
        b->ptr[b->len] = 0;
    }
    *nlines = n > EM_STATS_ROWS ? EM_STATS_ROWS : n;
}

/* The sink's writes of this micro-batch succeeded: remember its last rows.
 * Runs on the sink's thread, while s->out holds what it wrote. */
static void sink_rows(em_sink_node *s, uint32_t idx)
{
    em_engine *e = s->engine;
    em_stats_pub *p = e->pub;
    if (!p->sinkside || s->nout == 0)
        return;
    sink_side *side = &p->sinkside[idx];
    /* the batches holding the last EM_STATS_ROWS rows */
    uint32_t first = s->nout, want = EM_STATS_ROWS;
    while (first > 0 && want > 0) {
        uint32_t c = em_batch_count(s->out[first - 1]);
        first--;
        want = c >= want ? 0 : want - c;
    }
    rows_copy *head = NULL, **link = &head, *tail = NULL;
    uint32_t added = 0;
    for (uint32_t i = first; i < s->nout; i++) {
        const em_batch *in = s->out[i];
        uint32_t c = em_batch_count(in);
        if (c == 0)
            continue;
        uint32_t from = c > EM_STATS_ROWS ? c - EM_STATS_ROWS : 0;
        uint32_t sel[EM_STATS_ROWS];
        em_batch view = *in;
        for (uint32_t r = from; r < c; r++)
            sel[r - from] = em_batch_row(in, r);
        view.sel = sel;
        view.nsel = c - from;
        rows_copy *cp = em_calloc(1, sizeof *cp);
        if (!cp)
            break;
        em_arena_init(&cp->arena, 4096);
        if (!(cp->b = em_batch_compact(&view, &cp->arena))) {
            free_copies(cp);
            break;
        }
        *link = tail = cp;
        link = &cp->next;
        added += view.nsel;
    }
    if (!head)
        return;
    rows_copy *drop = NULL, **dlink = &drop;
    pthread_mutex_lock(&p->mu);
    if (side->tail)
        side->tail->next = head;
    else
        side->head = head;
    side->tail = tail;
    side->nrows += added;
    /* copies whose rows are all older than the last EM_STATS_ROWS */
    while (side->head && side->nrows - em_batch_count(side->head->b) >= EM_STATS_ROWS) {
        rows_copy *old = side->head;
        side->nrows -= em_batch_count(old->b);
        side->head = old->next;
        old->next = NULL;
        *dlink = old;
        dlink = &old->next;
    }
    pthread_mutex_unlock(&p->mu);
    free_copies(drop);
}

/* Renders sink idx's copied rows into its `latest` text (the last
 * EM_STATS_ROWS lines of the old text and the new rows). Under p->mu. */
static void render_rows(em_stats_pub *p, uint32_t idx)
{
    sink_side *side = &p->sinkside[idx];
    rows_copy *c = side->head;
    if (!c)
        return;
    side->head = side->tail = NULL;
    side->nrows = 0;
    em_errbuf err;
    em_errbuf_clear(&err);
    if (!side->writer && em_writer_create(&side->writer, "json", c->b->schema, &err)) {
        free_copies(c);
        return;
    }
    em_buf b;
    em_buf_init(&b, 1 << 20);
    const char *old = p->s.sinks[idx].latest;
    int rc = old ? em_buf_puts(&b, old) : 0;
    for (rows_copy *x = c; x && !rc; x = x->next)
        rc = em_writer_write(side->writer, x->b, &b);
    free_copies(c);
    uint32_t nlines = 0;
    if (!rc)
        keep_last_lines(&b, &nlines);
    char *text = rc ? NULL : em_buf_detach(&b, NULL);
    em_buf_release(&b);
    if (!text)
        return;
    em_free(p->s.sinks[idx].latest);
    p->s.sinks[idx].latest = text;
    p->s.sinks[idx].nlatest = nlines;
}

/* ---- readers (any thread) ---- */

static int copy_array(void **dst, const void *src, size_t n, size_t size)
{
    *dst = em_malloc(n ? n * size : 1);
    if (!*dst)
        return EM_ENOMEM;
    if (n)
        memcpy(*dst, src, n * size);
    return 0;
}

int em_engine_stats(em_engine *e, em_stats **out)
{
    em_stats_pub *p = e->pub;
    em_stats *s = em_calloc(1, sizeof *s);
    if (!s)
        return EM_ENOMEM;
    pthread_mutex_lock(&p->mu);
    *s = p->s;
    s->settings = NULL;
    s->sources = NULL;
    s->sinks = NULL;
    s->operators = NULL;
    s->options = NULL;
    int rc = copy_array((void **)&s->settings, p->s.settings, p->s.nsettings,
                        sizeof *s->settings);
    if (!rc)
        rc = copy_array((void **)&s->sources, p->s.sources, p->s.nsources, sizeof *s->sources);
    if (!rc)
        rc = copy_array((void **)&s->operators, p->s.operators, p->s.noperators,
                        sizeof *s->operators);
    if (!rc)
        rc = copy_array((void **)&s->options, p->s.options, p->s.noptions, sizeof *s->options);
    if (!rc && (rc = copy_array((void **)&s->sinks, p->s.sinks, p->s.nsinks, sizeof *s->sinks)) == 0) {
        for (uint32_t i = 0; i < s->nsinks; i++)
            s->sinks[i].latest = NULL;
        for (uint32_t i = 0; i < s->nsinks && p->sinkside; i++) {
            render_rows(p, i);
            s->sinks[i].nlatest = p->s.sinks[i].nlatest;
        }
        for (uint32_t i = 0; i < s->nsinks && !rc; i++)
            if (!(s->sinks[i].latest = em_strdup(p->s.sinks[i].latest ? p->s.sinks[i].latest
                                                                         : "")))
                rc = EM_ENOMEM;
    } else {
        s->nsinks = 0;
    }
    pthread_mutex_unlock(&p->mu);
    if (rc) {
        em_stats_free(s);
        return rc;
    }
    if (s->job.state == EM_JOB_RUNNING && e->stop_requests)
        s->job.state = EM_JOB_STOPPING;
    *out = s;
    return 0;
}

void em_stats_free(em_stats *s)
{
    if (!s)
        return;
    free_arrays(s);
    em_free(s);
}

size_t em_engine_batch_history(em_engine *e, em_batch_info *out, size_t max)
{
    em_stats_pub *p = e->pub;
    pthread_mutex_lock(&p->mu);
    size_t n = p->nhist < EM_STATS_KEEP ? (size_t)p->nhist : EM_STATS_KEEP;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        out[i] = p->hist[(p->nhist - 1 - i) % EM_STATS_KEEP];
    pthread_mutex_unlock(&p->mu);
    return n;
}

void em_engine_log(em_engine *e, int level, const char *component, const char *fmt, ...)
{
    if (level < EM_LOG_ERROR || level > EM_LOG_DEBUG || (em_log_level)level > e->log.level)
        return;
    va_list ap;
    va_start(ap, fmt);
    em_log_vwrite(&e->log, (em_log_level)level, component, fmt, ap);
    va_end(ap);
}
