/*
 * engine/sched.c - the micro-batch scheduler.
 *
 * Every batch_interval the scheduler cuts a micro-batch:
 *   1. intake: poll each source (tables first) for what it has, up to its
 *      budget; a bounded table must be complete before any stream is read;
 *   2. push: feed each source's rows through the graph (tables first), after
 *      routing rows at or below the watermark to the source's LATE stream;
 *   3. advance: compute the new job watermark (min over sources with event
 *      time that are neither idle nor finished; +inf once all are finished)
 *      and let operators close windows;
 *   4. end_batch: running aggregates emit their changes;
 *   5. output: each sink's output batches go to its queue; the sink's own
 *      thread writes and commits them (sinkq.c), up to concurrent_outputs
 *      sinks at once, while the scheduler goes on; what every sink has
 *      committed is settled (commit log, snapshot, source acknowledgements);
 *   6. statistics; the micro-batch arena is freed.
 * A micro-batch that hit a source's budget (a backlog) is followed at once
 * by the next; otherwise the scheduler sleeps until the next tick.
 */
#include "engine/engine_int.h"

#include "core/clock.h"

#include <string.h>

/* ---- source output (the connector-facing side of intake) ---- */

struct em_source_out {
    em_source_node *src;
    em_arena *arena;
    int rc; /* first hard error (out of memory) */
    int64_t batch_id;
};

int64_t em_source_out_batch(const em_source_out *o)
{
    return o->batch_id;
}

static int close_block(em_source_out *o)
{
    em_source_node *s = o->src;
    if (!s->bb_open)
        return 0;
    s->bb_open = false;
    em_batch *b = em_batch_builder_finish(&s->bb);
    if (b->nrows == 0)
        return 0;
    if (s->nblocks == s->cap_blocks) {
        uint32_t ncap = s->cap_blocks ? s->cap_blocks * 2 : 8;
        em_batch **v = em_realloc(s->blocks, ncap * sizeof *v);
        if (!v)
            return EM_ENOMEM;
        s->blocks = v;
        s->cap_blocks = ncap;
    }
    s->blocks[s->nblocks++] = b;
    return 0;
}

static int open_block(em_source_out *o)
{
    em_source_node *s = o->src;
    if (s->bb_open && !em_batch_builder_full(&s->bb))
        return 0;
    int rc = close_block(o);
    if (rc)
        return rc;
    rc = em_batch_builder_init(&s->bb, s->schema, EM_BATCH_ROWS, o->arena);
    if (rc)
        return rc;
    s->bb_open = true;
    return 0;
}

uint32_t em_source_out_room(const em_source_out *o)
{
    return o->rc ? 0 : o->src->room;
}

int em_source_out_record(em_source_out *o, const char *p, size_t n, const char *where)
{
    em_source_node *s = o->src;
    if (o->rc)
        return o->rc;
    int rc = open_block(o);
    if (rc)
        return o->rc = rc;
    em_errbuf err;
    em_errbuf_clear(&err);
    s->stats.bytes += n;
    rc = em_reader_parse(s->reader, p, n, &s->bb, &err);
    if (rc == 0) {
        s->stats.records++;
        if (s->room)
            s->room--;
        return 0;
    }
    if (rc == EM_EOF) /* blank line or header */
        return 0;
    if (rc == EM_ENOMEM)
        return o->rc = rc;
    s->stats.bad++;
    em_log_warn(&s->engine->log, s->cx.component, "bad record at %s: %s", where ? where : "?",
                err.msg);
    rc = em__engine_bad_record(s->engine, o->arena, s->name, where, err.msg, p, n);
    return rc ? (o->rc = rc) : 0;
}

uint32_t em_source_out_lines(em_source_out *o, const char *p, size_t n, size_t max_line,
                             size_t *used, int *stopped)
{
    em_source_node *s = o->src;
    uint32_t lines = 0;
    size_t pos = 0;
    *stopped = 0;
    while (!o->rc && s->room && pos < n) {
        int rc = open_block(o);
        if (rc) {
            o->rc = rc;
            break;
        }
        uint32_t max = s->bb.cap - s->bb.b->nrows;
        if (max > s->room)
            max = s->room;
        em_reader_lines got;
        *stopped = em_reader_parse_lines(s->reader, p + pos, n - pos, max, max_line, &s->bb, &got);
        s->stats.records += got.rows;
        s->stats.bytes += got.bytes;
        s->room -= got.rows;
        lines += got.lines;
        pos += got.used;
        if (*stopped || got.rows < max) /* a bad line, or only a partial one left */
            break;
    }
    *used = pos;
    return lines;
}

struct em_batch_builder *em_source_out_builder(em_source_out *o)
{
    if (o->rc || (o->rc = open_block(o)))
        return NULL;
    return &o->src->bb;
}

void em_source_out_added(em_source_out *o, uint32_t n)
{
    em_source_node *s = o->src;
    s->stats.records += n;
    s->room = n >= s->room ? 0 : s->room - n;
}

/* ---- bad records (the dead-letter stream) ---- */

int em__engine_bad_record(em_engine *e, em_arena *a, const char *source, const char *where,
                          const char *reason, const char *p, size_t n)
{
    if (!e->bad_op)
        return 0;
    if (e->bad_open && em_batch_builder_full(&e->bad_bb)) {
        /* a full block goes out now; the scheduler flushes the rest */
        em_batch *b = em_batch_builder_finish(&e->bad_bb);
        e->bad_open = false;
        em_errbuf err;
        em_op_ctx cx = {a, e->batch_id, em_wall_us(), e->watermark, &e->log, &err, 0};
        int rc = em_op_emit(e->bad_op, b, &cx);
        if (rc)
            return rc;
    }
    if (!e->bad_open) {
        int rc = em_batch_builder_init(&e->bad_bb, e->bad_op->out_schema, EM_BATCH_ROWS, a);
        if (rc)
            return rc;
        e->bad_open = true;
    }
    em_batch_builder *bb = &e->bad_bb;
    const char *w = where ? where : "";
    int rc = em_batch_builder_set_text(bb, 0, source, strlen(source));
    if (!rc)
        rc = em_batch_builder_set_text(bb, 1, w, strlen(w));
    if (!rc)
        rc = em_batch_builder_set_text(bb, 2, reason, strlen(reason));
    if (!rc)
        rc = em_batch_builder_set_text(bb, 3, p, n);
    return rc ? rc : em_batch_builder_end_row(bb);
}

static int flush_bad_records(em_engine *e, em_op_ctx *cx)
{
    if (!e->bad_open)
        return 0;
    e->bad_open = false;
    return em_op_emit(e->bad_op, em_batch_builder_finish(&e->bad_bb), cx);
}

/* ---- the loop ---- */

static void sched_log_start(em_engine *e)
{
    em_log_info(&e->log, "engine", "job started: %u sources, %u sinks, %u operators, "
                "batch_interval %lldms", e->nsources, e->nsinks, e->nops,
                (long long)(e->set.batch_interval_us / 1000));
}

static int start_all(em_engine *e)
{
    for (uint32_t i = 0; i < e->nsources; i++) {
        em_source_node *s = e->sources[i];
        if (s->conn->start && s->conn->start(s->self))
            return em__engine_fail(e, EM_EIO, "source %s: could not start (see the log)",
                                   s->name);
        s->started = true;
        s->last_data_us = em_wall_us();
    }
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *s = e->sinks[i];
        if (s->conn->start && s->conn->start(s->self))
            return em__engine_fail(e, EM_EIO, "sink %s: could not start (see the log)",
                                   s->name);
    }
    return 0;
}

static void stop_all(em_engine *e)
{
    for (uint32_t i = 0; i < e->nsources; i++) {
        em_source_node *s = e->sources[i];
        if (s->started && s->conn->stop)
            s->conn->stop(s->self);
        s->started = false;
    }
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *s = e->sinks[i];
        if (s->conn->stop)
            s->conn->stop(s->self);
    }
}

/* memory_limit: above it a source takes nothing (and is paused, so a
 * network source stops reading) until memory falls under 90% of it. */
static bool memory_full(em_engine *e, em_source_node *s)
{
    if (e->set.memory_limit <= 0)
        return false;
    int64_t used = (int64_t)em_mem_used();
    if (!s->paused && used > e->set.memory_limit) {
        s->paused = true;
        if (s->conn->pause)
            s->conn->pause(s->self);
        em_log_warn(&e->log, s->cx.component,
                    "memory_limit reached (%lld of %lld bytes in use): intake paused until "
                    "state and buffers shrink; raise memory_limit or set state_ttl if it stays",
                    (long long)used, (long long)e->set.memory_limit);
    } else if (s->paused && used < e->set.memory_limit / 10 * 9) {
        s->paused = false;
        if (s->conn->resume)
            s->conn->resume(s->self);
        em_log_info(&e->log, s->cx.component, "memory back under memory_limit: intake resumed");
    }
    return s->paused;
}

/* How long a replayed micro-batch waits for a source that has stopped
 * delivering before recovery gives up (the input changed). */
#define REPLAY_WAIT_US (30 * 1000000LL)

/* Polls one source for up to its budget. Returns 1 if the budget was
 * exhausted (more is probably waiting), 0 otherwise, or an error. */
static int intake(em_engine *e, em_source_node *s, em_arena *a)
{
    s->nblocks = 0; /* last micro-batch's blocks died with its arena */
    s->taken = 0;
    if (s->replaying) {
        /* a logged batch: exactly the records it took, then its end state */
        if (s->replay_take == 0) {
            s->eof = s->replay_eof;
            return 0;
        }
        s->eof = false;
    } else if (s->eof) {
        return 0;
    }
    uint32_t budget;
    bool capped = false; /* max_rate held the budget down */
    if (s->replaying) {
        budget = s->replay_take > UINT32_MAX ? UINT32_MAX : (uint32_t)s->replay_take;
    } else if (memory_full(e, s)) {
        return 0;
    } else {
        budget = em_rate_budget(&s->rate, e->set.max_rate, e->set.batch_interval_us,
                                em_pace_target(&e->pace, e->set.batch_interval_us),
                                e->set.max_batch_records);
        if (e->set.max_rate > 0) {
            /* max_rate is a rate, not only a batch size: a source earns
             * max_rate records a second of wall time (at most one
             * batch_interval's worth banked), so micro-batches run back to
             * back for another source's backlog do not let it exceed it */
            int64_t now = em_wall_us();
            double cap = e->set.max_rate * (double)e->set.batch_interval_us / 1e6;
            if (cap < 1)
                cap = 1;
            if (!s->rate_tokens_us)
                s->rate_tokens = cap;
            else
                s->rate_tokens += e->set.max_rate * (double)(now - s->rate_tokens_us) / 1e6;
            if (s->rate_tokens > cap)
                s->rate_tokens = cap;
            s->rate_tokens_us = now;
            if ((double)budget >= s->rate_tokens) {
                budget = (uint32_t)s->rate_tokens;
                capped = true;
            }
            if (budget == 0)
                return 0; /* its next records are due later: not a backlog */
        }
    }
    s->room = budget;
    em_source_out o = {s, a, 0, e->batch_id};
    uint64_t before = s->stats.records;
    int64_t waiting_since = 0;
    /* a connector returns after one chunk of work; keep asking while it
     * makes progress and budget remains */
    for (;;) {
        uint64_t got = s->stats.records, bad = s->stats.bad;
        int rc = s->conn->poll(s->self, &o);
        if (o.rc)
            return em__engine_fail(e, o.rc, "source %s: %s", s->name, em_strerror(o.rc));
        if (rc == EM_EOF) {
            s->eof = true;
            em_log_info(&e->log, s->cx.component, "end of input after %llu records",
                        (unsigned long long)s->stats.records);
            break;
        }
        if (rc)
            return em__engine_fail(e, rc, "source %s: poll failed: %s", s->name,
                                   em_strerror(rc));
        if (s->room == 0)
            break;
        if (s->stats.records == got && s->stats.bad == bad) {
            /* A replay needs every logged record, and a paced source (a
             * generator with a rate, a broker redelivering) may hand them
             * over only as time passes: wait for them, within reason. */
            if (!s->replaying)
                break;
            int64_t now = em_wall_us();
            if (!waiting_since)
                waiting_since = now;
            if (now - waiting_since > REPLAY_WAIT_US || e->stop_requests > 1)
                break;
            em_sleep_us(1000);
            continue;
        }
        waiting_since = 0;
    }
    int rc = close_block(&o);
    if (rc)
        return em__engine_fail(e, rc, "out of memory");
    s->taken = s->stats.records - before;
    if (s->replaying) {
        if (s->taken != s->replay_take)
            return em__engine_fail(e, EM_ECORRUPT,
                                   "source %s: replaying batch %lld took %llu records where the "
                                   "logged run took %llu: the input changed since the crash",
                                   s->name, (long long)e->batch_id,
                                   (unsigned long long)s->taken,
                                   (unsigned long long)s->replay_take);
        s->eof = s->replay_eof;
    }
    if (s->stats.records > before)
        s->last_data_us = em_wall_us();
    if (!s->replaying && e->set.max_rate > 0)
        s->rate_tokens -= (double)s->taken;
    return s->room == 0 && !s->eof && !capped;
}

/* Splits a block into on-time and late rows (event time <= wm) and pushes
 * both; also tracks the source's max event time. */
static int push_block(em_engine *e, em_source_node *s, em_batch *b, em_op_ctx *cx)
{
    if (s->time_col < 0)
        return em_op_emit(s->op, b, cx);
    const em_column *tc = &b->cols[s->time_col];
    uint32_t n = b->nrows, nlate = 0;
    uint32_t *late = NULL;
    int64_t wm = e->watermark;
    for (uint32_t i = 0; i < n; i++) {
        if (em_column_is_null(tc, i))
            continue;
        int64_t t = tc->v.i64[i];
        if (t > s->max_ts)
            s->max_ts = t;
        if (t <= wm) {
            if (!late && !(late = em_arena_alloc(cx->arena, n * sizeof *late)))
                return EM_ENOMEM;
            late[nlate++] = i;
        }
    }
    s->stats.late += nlate;
    if (nlate && s->late_op) {
        em_batch *lb = em_arena_alloc(cx->arena, sizeof *lb);
        if (!lb)
            return EM_ENOMEM;
        *lb = *b;
        lb->sel = late;
        lb->nsel = nlate;
        int rc = em_op_emit(s->late_op, lb, cx);
        if (rc)
            return rc;
    }
    /* late rows also continue downstream: stateless consumers keep them,
     * windows drop those whose window has closed (docs/sql.md) */
    return em_op_emit(s->op, b, cx);
}

/* The job watermark: the minimum over event-time sources that are live and
 * not idle. A finished source no longer holds event time back. When no
 * source is active (all idle or finished), event time moves up to the final
 * watermark of the finished ones (never backwards); once every source has
 * finished it is +inf, which closes every window. */
static int64_t job_watermark(em_engine *e, int64_t now_us)
{
    int64_t wm = EM_TS_MAX, finished = EM_TS_MIN;
    bool active = false, live_et = false, live = false, have_et = false;
    for (uint32_t i = 0; i < e->nsources; i++) {
        em_source_node *s = e->sources[i];
        live |= !s->eof;
        if (s->time_col < 0)
            continue;
        have_et = true;
        int64_t own = s->max_ts == EM_TS_MIN ? EM_TS_MIN : s->max_ts - s->wm_delay_us;
        if (s->eof) {
            if (own > finished)
                finished = own;
            continue;
        }
        live_et = true;
        if (now_us - s->last_data_us >= e->set.idle_timeout_us)
            continue; /* idle: does not hold the watermark back */
        active = true;
        if (own < wm)
            wm = own;
    }
    if (have_et ? !live_et : !live)
        return EM_TS_MAX;
    if (!active)
        return finished > e->watermark ? finished : e->watermark;
    return wm;
}

/* One attempt: every output batch of the micro-batch, then the commit. */
static int write_sink_once(em_sink_node *s, int64_t batch_id)
{
    int rc = 0;
    for (uint32_t i = 0; i < s->nout && !rc; i++)
        if (s->conn->write)
            rc = s->conn->write(s->self, s->out[i], batch_id);
    if (!rc && s->conn->commit)
        rc = s->conn->commit(s->self, batch_id);
    return rc;
}

/* Writes and commits a sink's output for batch_id, on the sink's thread. A
 * failed attempt (the sink's server is down) is retried with exponential
 * backoff (100 ms doubling to 5 s) from the first output batch, so the
 * batch is never dropped: the sink's contract (ember/connector.h) is to
 * discard what it had buffered for a batch whose write or commit failed.
 * Meanwhile the other sinks and the engine go on (sinkq.c). It gives up
 * (the job then fails) on an error that retrying cannot fix (bad options,
 * out of memory, a type the sink cannot store), when a stop was requested
 * and shutdown_timeout has passed, a second stop arrived, or the job is
 * ending without this sink (its queue is being dropped). */
int em__sink_write(em_sink_node *s, int64_t batch_id)
{
    em_engine *e = s->engine;
    int64_t t0, delay_us = 100000, stop_seen_us = 0;
    int rc;
    for (uint32_t attempt = 1;; attempt++) {
        t0 = em_mono_ns(); /* the commit time is the last attempt's, not the outage's */
        rc = write_sink_once(s, batch_id);
        if (!rc)
            break;
        s->stats.errors++; /* every failed attempt */
        __atomic_store_n(&s->failing, true, __ATOMIC_RELAXED);
        em__stats_sink_failing(s, rc);
        if (rc == EM_EINVAL || rc == EM_ENOMEM || rc == EM_ETYPE || rc == EM_EUNSUPPORTED)
            break;
        if (e->stop_requests && !stop_seen_us)
            stop_seen_us = em_wall_us();
        if (e->stop_requests > 1 || __atomic_load_n(&e->sinks_abandoned, __ATOMIC_RELAXED) ||
            (stop_seen_us && em_wall_us() - stop_seen_us >= e->set.shutdown_timeout_us))
            break;
        em_log_warn(&e->log, s->cx.component,
                    "batch %lld: attempt %u failed (%s); retrying in %lld ms", (long long)batch_id,
                    attempt, em_strerror(rc), (long long)(delay_us / 1000));
        for (int64_t slept = 0; slept < delay_us && e->stop_requests < 2 &&
                                !__atomic_load_n(&e->sinks_abandoned, __ATOMIC_RELAXED);
             slept += 50000)
            em_sleep_us(delay_us - slept < 50000 ? delay_us - slept : 50000);
        delay_us = delay_us * 2 > 5000000 ? 5000000 : delay_us * 2;
    }
    if (!rc) {
        for (uint32_t i = 0; i < s->nout; i++)
            s->stats.rows += em_batch_count(s->out[i]);
        s->stats.batches++;
    }
    __atomic_store_n(&s->stats.last_commit_us, (em_mono_ns() - t0) / 1000, __ATOMIC_RELAXED);
    __atomic_store_n(&s->failing, rc != 0, __ATOMIC_RELAXED);
    s->rc = rc;
    em__stats_sink_done(s, rc);
    return rc;
}

/* What every sink has committed becomes final: the commit log, a snapshot
 * waiting for it, and (without a checkpoint, where nothing replays) the
 * sources' acknowledgements upstream. With a checkpoint, sources are told
 * once a snapshot makes it safe (durable.c). `last`: the job is ending, so
 * wait for every sink to commit batch_id and snapshot the final state. */
static int settle(em_engine *e, int64_t batch_id, bool last)
{
    int rc;
    int64_t upto;
    if (last && (rc = em__sinkq_drain(e, batch_id)))
        return rc;
    if ((rc = em__sinkq_committed(e, &upto)))
        return rc;
    if ((rc = em__durable_commit(e, upto, batch_id, last)))
        return rc;
    if (!e->ckpt && upto > e->acked) {
        em__sources_commit(e, upto);
        e->acked = upto;
    }
    return 0;
}

static int run_phase(em_engine *e, int phase, int64_t wm, em_op_ctx *cx)
{
    for (uint32_t i = 0; i < e->nops; i++) {
        em_op *op = e->ops[i];
        int rc = 0;
        if (phase == 0 && op->vt->advance)
            rc = op->vt->advance(op, wm, cx);
        else if (phase == 1 && op->vt->end_batch)
            rc = op->vt->end_batch(op, cx);
        if (rc)
            return em__engine_fail(e, rc, "operator %s: %s", op->id,
                                   cx->err->msg[0] ? cx->err->msg : em_strerror(rc));
    }
    return 0;
}

static bool tables_loading(em_engine *e)
{
    for (uint32_t i = 0; i < e->nsources; i++)
        if (e->sources[i]->is_table && !e->sources[i]->eof && e->sources[i]->cx.bounded)
            return true;
    return false;
}

static bool all_eof(em_engine *e)
{
    for (uint32_t i = 0; i < e->nsources; i++)
        if (!e->sources[i]->eof)
            return false;
    return true;
}

/* One micro-batch. Sets *backlog when a source had more than its budget. */
static int micro_batch(em_engine *e, int64_t scheduled_us, bool *backlog)
{
    int64_t start_ns = em_mono_ns(), now_us = em_wall_us();
    em_errbuf err;
    em_errbuf_clear(&err);
    em_op_ctx cx = {
        .arena = &e->batch_arena,
        .batch_id = ++e->batch_id,
        .logical_time = now_us,
        .watermark = e->watermark,
        .log = &e->log,
        .err = &err,
        .state_ttl_us = e->set.state_ttl_us,
    };
    /* after a crash: the logged batches re-run with what they read and the
     * time and watermark they had, so they give the same rows */
    bool replaying = false;
    int64_t logged_wm = EM_TS_MIN;
    int rc = em__durable_replay_next(e, cx.batch_id, &cx.logical_time, &logged_wm, &replaying);
    if (rc)
        return rc;
    if (replaying)
        now_us = cx.logical_time;
    uint64_t in_before = 0, in_after = 0;
    for (uint32_t i = 0; i < e->nsources; i++)
        in_before += e->sources[i]->stats.records;
    *backlog = false;
    bool loading = tables_loading(e);
    /* 1+2: intake and push, tables first */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        for (uint32_t i = 0; i < e->nsources && !rc; i++) {
            em_source_node *s = e->sources[i];
            if (s->is_table != (pass == 0) || (pass == 1 && loading))
                continue;
            int more = intake(e, s, cx.arena);
            if (more < 0)
                return more;
            *backlog |= more > 0;
            for (uint32_t b = 0; b < s->nblocks && !rc; b++)
                rc = push_block(e, s, s->blocks[b], &cx);
        }
    }
    if (!rc)
        rc = flush_bad_records(e, &cx);
    if (rc)
        return em__engine_fail(e, rc, "%s", err.msg[0] ? err.msg : em_strerror(rc));
    if (loading)
        *backlog = true; /* reference data loads as fast as it can */
    /* 3: watermark; the batch is logged (durably) before any output */
    int64_t wm = replaying ? logged_wm : job_watermark(e, em_wall_us());
    if (!replaying && (rc = em__durable_log_batch(e, cx.batch_id, cx.logical_time, wm)))
        return rc;
    if (replaying)
        *backlog = true; /* replayed batches run back to back */
    if (wm > e->watermark) {
        e->watermark = wm;
        if ((rc = run_phase(e, 0, wm, &cx)))
            return rc;
    }
    /* 4, 5. Once all input is in (watermark +inf), processing time ends
     * too: end_batch sees logical time +inf, so every processing-time window
     * closes. Rows were already assigned their times during push. */
    if (wm == EM_TS_MAX)
        cx.logical_time = EM_TS_MAX;
    if ((rc = run_phase(e, 1, wm, &cx)) || (rc = em__sinkq_put(e, cx.batch_id)))
        return rc;
    bool last = e->stop_requests || (wm == EM_TS_MAX && all_eof(e));
    if ((rc = settle(e, cx.batch_id, last)))
        return rc;
    for (uint32_t i = 0; i < e->nsources; i++)
        in_after += e->sources[i]->stats.records;
    /* 6 */
    em_batch_stat *st = &e->stats[e->nstats++ % EM_STATS_KEEP];
    int64_t end_ns = em_mono_ns();
    st->id = cx.batch_id;
    st->logical_time_us = now_us;
    st->input_records = in_after - in_before;
    st->scheduling_delay_us = now_us > scheduled_us ? now_us - scheduled_us : 0;
    st->processing_us = (end_ns - start_ns) / 1000;
    st->total_delay_us = st->scheduling_delay_us + st->processing_us;
    st->status = 0;
    /* A micro-batch that waited for a sink's server to come back (its
     * queue was full) says nothing about what micro-batches cost: the pace
     * and rate estimators skip it (else one 60 s outage spaced the next
     * batches seconds apart and kept the push logs full long after the
     * server was back; tests/suites/outage.sh checks the cadence). */
    bool stalled = e->stalled;
    e->stalled = false;
    if (!stalled)
        em_pace_note(&e->pace, st->input_records, st->processing_us);
    int64_t target = em_pace_target(&e->pace, e->set.batch_interval_us);
    /* a slow sink sets the pace as if it were part of the micro-batch */
    int64_t pace_us = em__sinkq_slowest_us(e);
    if (pace_us < st->processing_us)
        pace_us = st->processing_us;
    for (uint32_t i = 0; i < e->nsources && !stalled; i++)
        em_rate_update(&e->sources[i]->rate, now_us + st->processing_us, e->sources[i]->taken,
                       pace_us, st->scheduling_delay_us, target);
    em_log_debug(&e->log, "engine",
                 "batch %lld: %llu records in %.3f ms, scheduling delay %.3f ms",
                 (long long)cx.batch_id, (unsigned long long)st->input_records,
                 st->processing_us / 1000.0, st->scheduling_delay_us / 1000.0);
    em_arena_reset(&e->batch_arena);
    return 0;
}


int em_engine_run(em_engine *e)
{
    if (e->running)
        return em__engine_fail(e, EM_ESTATE, "the engine is already running");
    if (e->nsinks == 0)
        return em__engine_fail(e, EM_EINVAL, "the job has no sink: nothing would be output");
    e->running = true;
    int rc = em__durable_open(e);
    if (!rc)
        rc = start_all(e);
    if (!rc)
        rc = em__durable_recover(e);
    if (!rc)
        rc = em__sinkq_start(e);
    if (rc)
        goto done;
    for (uint32_t i = 0; i < e->nsources; i++)
        em_rate_init(&e->sources[i]->rate, e->set.initial_rate);
    em__stats_started(e);
    sched_log_start(e);
    int64_t next = em_wall_us();
    while (!e->stop_requests) {
        bool backlog = false;
        rc = micro_batch(e, next, &backlog);
        em__stats_batch(e, rc);
        if (rc)
            break;
        if (all_eof(e) && e->watermark == EM_TS_MAX)
            break; /* bounded input done: the last batch closed every window */
        /* ticks come every batch_interval, or as often as micro-batches
         * can run at all (em_pace_target) */
        next += em_pace_target(&e->pace, e->set.batch_interval_us);
        int64_t now = em_wall_us();
        if (backlog || all_eof(e)) {
            /* Catching up: the next micro-batch starts now. Ahead of the
             * schedule, the schedule moves to now; behind it, it stays, so
             * the scheduling delay shows how far behind the job runs (as in
             * Spark) and falls back only as the job catches up. */
            if (next > now)
                next = now;
            continue;
        }
        if (next < now)
            next = now; /* live again: no burst of micro-batches to catch a schedule up */
        if (next > now)
            em_sleep_us(next - now < 50000 || e->stop_requests ? next - now : 50000);
        while (!e->stop_requests && em_wall_us() < next)
            em_sleep_us(next - em_wall_us() < 50000 ? next - em_wall_us() : 50000);
    }
    if (!rc && e->stop_requests) {
        /* what is queued is written first, then the state as of the last
         * batch is snapshotted */
        rc = settle(e, e->batch_id, true);
        if (!rc)
            rc = em__durable_finish(e);
        em_log_info(&e->log, "engine", "stopped on request after batch %lld",
                    (long long)e->batch_id);
    }
done:
    __atomic_store_n(&e->sinks_abandoned, true, __ATOMIC_RELAXED);
    em__sinkq_stop(e);
    __atomic_store_n(&e->sinks_abandoned, false, __ATOMIC_RELAXED);
    stop_all(e);
    em__durable_close(e);
    e->running = false;
    em__stats_ended(e, rc);
    return rc;
}

size_t em_engine_batches(const em_engine *e, em_batch_info *out, size_t max)
{
    size_t n = e->nstats < EM_STATS_KEEP ? (size_t)e->nstats : EM_STATS_KEEP;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        out[i] = e->stats[(e->nstats - 1 - i) % EM_STATS_KEEP];
    return n;
}
