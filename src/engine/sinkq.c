/*
 * engine/sinkq.c - every sink has its own queue and its own thread, so a
 * slow or dead sink never holds up the others or the engine.
 *
 * At the end of a micro-batch the scheduler copies each sink's output
 * batches out of the micro-batch arena into an entry (its own arena) and
 * appends the entry to the sink's queue, one entry per micro-batch even
 * when the output is empty (exactly-once sinks commit every batch id). The
 * sink's thread takes entries in order and writes and commits them,
 * retrying a failed attempt with backoff (write_sink) for as long as the
 * sink's server is down. The scheduler goes on with the next micro-batch.
 *
 * What the engine may forget follows the slowest sink: a batch counts as
 * committed (commit log, state snapshot, sources acknowledging upstream
 * and releasing their WAL) only once every sink has committed it
 * (em__sinkq_committed). So a sink that falls behind keeps its input
 * replayable, and a crash loses nothing: recovery replays from a snapshot
 * every sink had passed, and sinks skip the batch ids they committed.
 *
 * Memory: a queue holds at most sink_queue_limit bytes of copies. A sink
 * that reaches it stops the scheduler before the next entry (back pressure
 * reaches the sources, which buffer in their WAL up to its quota and then
 * push back), until the sink catches up. concurrent_outputs bounds how
 * many sinks write at the same moment.
 *
 * Sinks whose connector is EM_CONNECTOR_SINK_INLINE (a counter, the UI's
 * view pages: nothing that blocks) are written on the scheduler thread
 * with the micro-batch's own batches, with no copy and no thread.
 *
 * Locks: a queue's mutex may be held while taking the statistics mutex
 * (em__stats_sink_queue), never the other way round.
 */
#include "engine/engine_int.h"

#include "core/clock.h"

#include <pthread.h>
#include <string.h>

typedef struct sq_entry {
    struct sq_entry *next;
    int64_t batch_id;
    em_arena arena; /* the copies of the output batches */
    const em_batch **batches;
    uint32_t n;
    size_t bytes;
} sq_entry;

typedef struct em_sinkq {
    em_sink_node *sink;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t work; /* sink thread: an entry arrived, or stop */
    pthread_cond_t done; /* scheduler: an entry was committed, or the sink gave up */
    sq_entry *head, *tail;
    uint32_t queued;
    size_t bytes;
    int64_t committed; /* the highest batch id written and committed */
    int rc;            /* the sink gave up on a batch (the job fails) */
    bool stop;
    bool full; /* at the limit: the scheduler waits (logged once per episode) */
} em_sinkq;

/* concurrent_outputs: a counting semaphore shared by the sink threads */
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slots_cv = PTHREAD_COND_INITIALIZER;

static void slot_take(em_engine *e)
{
    pthread_mutex_lock(&slots_mu);
    while (e->sink_slots <= 0)
        pthread_cond_wait(&slots_cv, &slots_mu);
    e->sink_slots--;
    pthread_mutex_unlock(&slots_mu);
}

static void slot_give(em_engine *e)
{
    pthread_mutex_lock(&slots_mu);
    e->sink_slots++;
    pthread_cond_broadcast(&slots_cv); /* shared by every engine of the process */
    pthread_mutex_unlock(&slots_mu);
}

static void entry_free(sq_entry *en)
{
    if (!en)
        return;
    em_arena_release(&en->arena);
    em_free(en->batches);
    em_free(en);
}

static void *sink_main(void *arg)
{
    em_sinkq *q = arg;
    em_sink_node *s = q->sink;
    em_engine *e = s->engine;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->stop)
            pthread_cond_wait(&q->work, &q->mu);
        if (!q->head || q->rc || __atomic_load_n(&e->sinks_abandoned, __ATOMIC_RELAXED))
            break; /* stopping with nothing left, given up, or the run ended */
        sq_entry *en = q->head;
        pthread_mutex_unlock(&q->mu);
        slot_take(e);
        s->out = en->batches;
        s->nout = en->n;
        int rc = em__sink_write(s, en->batch_id);
        s->out = NULL;
        s->nout = 0;
        slot_give(e);
        pthread_mutex_lock(&q->mu);
        if (rc) {
            q->rc = rc;
            pthread_cond_broadcast(&q->done);
            break;
        }
        q->head = en->next;
        if (!q->head)
            q->tail = NULL;
        q->queued--;
        q->bytes -= en->bytes;
        q->committed = en->batch_id;
        pthread_cond_broadcast(&q->done);
        em__stats_sink_queue(s, q->queued, q->bytes);
        pthread_mutex_unlock(&q->mu);
        entry_free(en);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int em__sinkq_start(em_engine *e)
{
    e->sink_slots = e->set.concurrent_outputs > 0 ? e->set.concurrent_outputs : 1;
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *s = e->sinks[i];
        em_sinkq *q = em_calloc(1, sizeof *q);
        if (!q)
            return em__engine_fail(e, EM_ENOMEM, "out of memory");
        q->sink = s;
        q->committed = e->batch_id; /* recovery: the snapshot's batch */
        pthread_mutex_init(&q->mu, NULL);
        pthread_cond_init(&q->work, NULL);
        pthread_cond_init(&q->done, NULL);
        s->q = q;
        if (s->conn->kinds & EM_CONNECTOR_SINK_INLINE)
            continue; /* written on the scheduler thread: no queue needed */
        if (pthread_create(&q->thread, NULL, sink_main, q))
            return em__engine_fail(e, EM_ENOMEM, "sink %s: cannot start its thread", s->name);
        q->started = true;
    }
    return 0;
}

void em__sinkq_stop(em_engine *e)
{
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *s = e->sinks[i];
        em_sinkq *q = s->q;
        if (!q)
            continue;
        pthread_mutex_lock(&q->mu);
        q->stop = true;
        pthread_cond_broadcast(&q->work);
        pthread_mutex_unlock(&q->mu);
        if (q->started)
            pthread_join(q->thread, NULL);
        while (q->head) {
            sq_entry *en = q->head;
            q->head = en->next;
            entry_free(en);
        }
        pthread_mutex_destroy(&q->mu);
        pthread_cond_destroy(&q->work);
        pthread_cond_destroy(&q->done);
        em_free(q);
        s->q = NULL;
    }
}

/* Copies the sink's collected output of this micro-batch into an entry. */
static int make_entry(em_sink_node *s, int64_t batch_id, sq_entry **out)
{
    sq_entry *en = em_calloc(1, sizeof *en);
    if (!en)
        return EM_ENOMEM;
    en->batch_id = batch_id;
    em_arena_init(&en->arena, 8192);
    if (s->npending) {
        en->batches = em_malloc(s->npending * sizeof *en->batches);
        if (!en->batches)
            goto oom;
        for (uint32_t i = 0; i < s->npending; i++) {
            if (em_batch_count(s->pending[i]) == 0)
                continue;
            em_batch *b = em_batch_compact(s->pending[i], &en->arena);
            if (!b)
                goto oom;
            en->batches[en->n++] = b;
        }
    }
    en->bytes = sizeof *en + en->arena.reserved;
    s->npending = 0;
    *out = en;
    return 0;
oom:
    entry_free(en);
    return EM_ENOMEM;
}

/* The sink's error once it gave up, as the job's. */
static int gave_up(em_engine *e, em_sink_node *s, int rc)
{
    return em__engine_fail(e, rc, "sink %s: write failed: %s", s->name, em_strerror(rc));
}

int em__sinkq_put(em_engine *e, int64_t batch_id)
{
    uint64_t limit = e->set.sink_queue_limit > 0 ? (uint64_t)e->set.sink_queue_limit : 0;
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *s = e->sinks[i];
        em_sinkq *q = s->q;
        sq_entry *en;
        int rc;
        if (s->conn->kinds & EM_CONNECTOR_SINK_INLINE) {
            s->out = s->pending;
            s->nout = s->npending;
            rc = em__sink_write(s, batch_id);
            s->out = NULL;
            s->nout = s->npending = 0;
            pthread_mutex_lock(&q->mu);
            q->rc = rc;
            if (!rc)
                q->committed = batch_id;
            pthread_mutex_unlock(&q->mu);
            if (rc)
                return gave_up(e, s, rc);
            continue;
        }
        rc = make_entry(s, batch_id, &en);
        if (rc)
            return em__engine_fail(e, rc, "sink %s: out of memory queueing batch %lld",
                                   s->name, (long long)batch_id);
        pthread_mutex_lock(&q->mu);
        /* back pressure: wait until the sink has room (an empty queue
         * always takes the entry, however large) */
        int64_t since = 0;
        while (!q->rc && q->head && limit && q->bytes + en->bytes > limit) {
            /* waiting out an outage says nothing about what a
             * micro-batch costs (the estimators skip this one) */
            if (__atomic_load_n(&s->failing, __ATOMIC_RELAXED))
                e->stalled = true;
            if (!q->full) {
                q->full = true;
                since = em_mono_ns();
                em_log_warn(&e->log, s->cx.component,
                            "%u batches (%zu bytes) queued, at sink_queue_limit: the job "
                            "waits for this sink",
                            q->queued, q->bytes);
            }
            pthread_cond_wait(&q->done, &q->mu);
        }
        if (q->full && !q->rc) {
            q->full = false;
            em_log_info(&e->log, s->cx.component, "the sink caught up after %.1f s: the job goes on",
                        since ? (double)(em_mono_ns() - since) / 1e9 : 0.0);
        }
        rc = q->rc;
        if (!rc) {
            if (q->tail)
                q->tail->next = en;
            else
                q->head = en;
            q->tail = en;
            q->queued++;
            q->bytes += en->bytes;
            pthread_cond_signal(&q->work);
            em__stats_sink_queue(s, q->queued, q->bytes);
            en = NULL;
        }
        pthread_mutex_unlock(&q->mu);
        entry_free(en);
        if (rc)
            return gave_up(e, s, rc);
    }
    return 0;
}

int em__sinkq_committed(em_engine *e, int64_t *upto)
{
    int64_t low = INT64_MAX;
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sinkq *q = e->sinks[i]->q;
        pthread_mutex_lock(&q->mu);
        int rc = q->rc;
        if (q->committed < low)
            low = q->committed;
        pthread_mutex_unlock(&q->mu);
        if (rc)
            return gave_up(e, e->sinks[i], rc);
    }
    *upto = e->nsinks ? low : e->batch_id;
    return 0;
}

int em__sinkq_drain(em_engine *e, int64_t batch_id)
{
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sinkq *q = e->sinks[i]->q;
        pthread_mutex_lock(&q->mu);
        while (!q->rc && q->committed < batch_id && q->head)
            pthread_cond_wait(&q->done, &q->mu);
        int rc = q->rc;
        pthread_mutex_unlock(&q->mu);
        if (rc)
            return gave_up(e, e->sinks[i], rc);
    }
    return 0;
}

int64_t em__sinkq_slowest_us(em_engine *e)
{
    int64_t slow = 0;
    for (uint32_t i = 0; i < e->nsinks; i++) {
        em_sink_node *s = e->sinks[i];
        if (__atomic_load_n(&s->failing, __ATOMIC_RELAXED))
            continue;
        int64_t t = __atomic_load_n(&s->stats.last_commit_us, __ATOMIC_RELAXED);
        if (t > slow)
            slow = t;
    }
    return slow;
}
