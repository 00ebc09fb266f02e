/*
 * Unit tests for src/ops/keyed.c: keyed state with TTL eviction and
 * per-key timers (firing without input, moved, cleared, removed), and the
 * silence detector's SILENT / BACK events on event and processing time.
 */
#include "batch/batch.h"
#include "ember/error.h"
#include "ops/keyed.h"
#include "t.h"

#include <stdlib.h>

/* ---- a collector: (key TEXT, last_seen, silent_since, status) rows ---- */

typedef struct srow {
    char key[16];
    int64_t last_seen, since;
    char status[8];
    int64_t batch;
} srow;

typedef struct collector {
    em_op op;
    srow rows[256];
    uint32_t n;
} collector;

static int col_push(em_op *op, int port, const em_batch *b, em_op_ctx *cx)
{
    collector *c = (collector *)op;
    (void)port;
    for (uint32_t i = 0; i < em_batch_count(b) && c->n < 256; i++) {
        uint32_t r = em_batch_row(b, i);
        srow *o = &c->rows[c->n++];
        em_slice k = em_column_text(&b->cols[0], r), s = em_column_text(&b->cols[3], r);
        snprintf(o->key, sizeof o->key, "%.*s", (int)k.len, k.ptr);
        snprintf(o->status, sizeof o->status, "%.*s", (int)s.len, s.ptr);
        o->last_seen = b->cols[1].v.i64[r];
        o->since = b->cols[2].v.i64[r];
        o->batch = cx->batch_id;
    }
    return 0;
}

static void col_destroy(em_op *op)
{
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable col_vt = {.kind = "collector", .push = col_push, .destroy = col_destroy};

static collector *collect(em_op *from)
{
    collector *c = em_calloc(1, sizeof *c);
    em_op_init(&c->op, &col_vt, "sink", NULL, 1);
    em_op_connect(from, &c->op, 0);
    return c;
}

static int has(const collector *c, const char *key, int64_t last_seen, int64_t since,
               const char *status)
{
    int n = 0;
    for (uint32_t i = 0; i < c->n; i++)
        n += strcmp(c->rows[i].key, key) == 0 && c->rows[i].last_seen == last_seen &&
             c->rows[i].since == since && strcmp(c->rows[i].status, status) == 0;
    return n;
}

/* A BIGINT key column holding vals. */
static em_column i64_col(int64_t *vals, uint32_t n)
{
    em_column c;
    memset(&c, 0, sizeof c);
    c.type = EM_TYPE_BIGINT;
    c.len = n;
    c.v.i64 = vals;
    return c;
}

static const uint32_t ROWS[] = {0, 1, 2, 3, 4, 5, 6, 7};

TEST(ttl_evicts_untouched_keys)
{
    em_keyed *k = NULL;
    CHECK_EQ_INT(em_keyed_create(&k, EM_TYPE_BIGINT, sizeof(int64_t), 100), 0);
    int64_t kv[] = {1, 2, 3};
    em_column c = i64_col(kv, 3);
    int32_t ids[3];
    uint8_t cr[3];
    CHECK_EQ_INT(em_keyed_upsert(k, &c, ROWS, 3, ids, cr), 0);
    CHECK(cr[0] && cr[1] && cr[2]);
    *(int64_t *)em_keyed_state(k, (uint32_t)ids[0]) = 42;
    em_keyed_touch(k, (uint32_t)ids[0], 0);
    em_keyed_touch(k, (uint32_t)ids[1], 50);
    em_keyed_touch(k, (uint32_t)ids[2], 0);
    uint64_t ev = 0;
    CHECK_EQ_INT(em_keyed_expire(k, 99, NULL, NULL, &ev), 0);
    CHECK_EQ_INT(ev, 0);
    CHECK_EQ_INT(em_keyed_count(k), 3);
    CHECK_EQ_INT(em_keyed_expire(k, 100, NULL, NULL, &ev), 0);
    CHECK_EQ_INT(ev, 2); /* keys 1 and 3: last seen 0 + ttl 100 <= 100 */
    CHECK_EQ_INT(em_keyed_count(k), 1);
    int32_t f[3];
    em_keyed_find(k, &c, ROWS, 3, f);
    CHECK_EQ_INT(f[0], -1);
    CHECK_EQ_INT(f[1], ids[1]);
    CHECK_EQ_INT(f[2], -1);
    em_keyed_touch(k, (uint32_t)ids[1], 120); /* re-armed: deadline 220 */
    CHECK_EQ_INT(em_keyed_expire(k, 200, NULL, NULL, &ev), 0);
    CHECK_EQ_INT(ev, 2);
    CHECK_EQ_INT(em_keyed_expire(k, 220, NULL, NULL, &ev), 0);
    CHECK_EQ_INT(ev, 3);
    CHECK_EQ_INT(em_keyed_count(k), 0);
    /* a re-created key starts from zeroed state */
    CHECK_EQ_INT(em_keyed_upsert(k, &c, ROWS, 1, ids, cr), 0);
    CHECK_EQ_INT(cr[0], 1);
    CHECK_EQ_INT(*(int64_t *)em_keyed_state(k, (uint32_t)ids[0]), 0);
    CHECK_EQ_INT(em_keyed_last_seen(k, (uint32_t)ids[0]), EM_TS_MIN);
    em_keyed_destroy(k);
}

typedef struct fired {
    int64_t key[16], t[16];
    int n;
    int remove_key; /* remove this key's entry from the callback */
} fired;

static int on_fire(void *ud, em_keyed *k, uint32_t id, int64_t t)
{
    fired *f = ud;
    CHECK_EQ_INT(em_keyed_timer(k, id), EM_TS_MAX); /* cleared before the call */
    int64_t key = *(int64_t *)em_keyed_state(k, id);
    if (f->n < 16) {
        f->key[f->n] = key;
        f->t[f->n++] = t;
    }
    if (key == f->remove_key)
        em_keyed_remove(k, id);
    return 0;
}

TEST(timers_fire_in_order_without_input)
{
    em_keyed *k = NULL;
    CHECK_EQ_INT(em_keyed_create(&k, EM_TYPE_BIGINT, sizeof(int64_t), 0), 0);
    int64_t kv[] = {10, 20, 30, 40, 50};
    em_column c = i64_col(kv, 5);
    int32_t ids[5];
    CHECK_EQ_INT(em_keyed_upsert(k, &c, ROWS, 5, ids, NULL), 0);
    for (int i = 0; i < 5; i++)
        *(int64_t *)em_keyed_state(k, (uint32_t)ids[i]) = kv[i];
    em_keyed_set_timer(k, (uint32_t)ids[0], 300);
    em_keyed_set_timer(k, (uint32_t)ids[1], 100);
    em_keyed_set_timer(k, (uint32_t)ids[2], 200);
    em_keyed_set_timer(k, (uint32_t)ids[3], 150);
    em_keyed_set_timer(k, (uint32_t)ids[4], 120);
    /* heartbeat: key 20's timer pushed later a thousand times */
    for (int i = 0; i < 1000; i++)
        em_keyed_set_timer(k, (uint32_t)ids[1], 100 + i);
    em_keyed_set_timer(k, (uint32_t)ids[2], 50); /* moved earlier */
    em_keyed_clear_timer(k, (uint32_t)ids[3]);   /* cancelled */
    fired f = {.remove_key = 50};
    CHECK_EQ_INT(em_keyed_fire(k, 99, on_fire, &f), 0);
    CHECK_EQ_INT(f.n, 1);
    CHECK_EQ_INT(f.key[0], 30);
    CHECK_EQ_INT(f.t[0], 50);
    CHECK_EQ_INT(em_keyed_fire(k, 1000, on_fire, &f), 0);
    CHECK_EQ_INT(f.n, 3);
    CHECK_EQ_INT(f.key[1], 50);
    CHECK_EQ_INT(f.t[1], 120);
    CHECK_EQ_INT(f.key[2], 10);
    CHECK_EQ_INT(f.t[2], 300);
    CHECK_EQ_INT(em_keyed_count(k), 4); /* 50 removed by its callback */
    CHECK_EQ_INT(em_keyed_fire(k, 1099, on_fire, &f), 0);
    CHECK_EQ_INT(f.n, 4);
    CHECK_EQ_INT(f.key[3], 20);
    CHECK_EQ_INT(f.t[3], 1099);
    CHECK_EQ_INT(em_keyed_fire(k, EM_TS_MAX, on_fire, &f), 0);
    CHECK_EQ_INT(f.n, 4); /* nothing fires twice; the cleared one never */
    /* a removed key's id reused by a new key does not inherit its timers */
    em_keyed_set_timer(k, (uint32_t)ids[0], 5000);
    em_keyed_remove(k, (uint32_t)ids[0]);
    int64_t nk[] = {99};
    em_column c2 = i64_col(nk, 1);
    int32_t nid;
    CHECK_EQ_INT(em_keyed_upsert(k, &c2, ROWS, 1, &nid, NULL), 0);
    CHECK_EQ_INT(nid, ids[0]);
    CHECK_EQ_INT(em_keyed_fire(k, EM_TS_MAX, on_fire, &f), 0);
    CHECK_EQ_INT(f.n, 4);
    em_keyed_destroy(k);
}

/* ---- silence detector: input (dev TEXT, ts TIMESTAMP) ---- */

static em_schema *dev_schema(void)
{
    const char *names[] = {"dev", "ts"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TIMESTAMP};
    return em_schema_create(2, names, types);
}

static em_batch *dev_batch(const em_schema *s, const char *const *devs, const int64_t *ts,
                           uint32_t n, em_arena *a)
{
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, n ? n : 1, a))
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (devs[i])
            em_batch_builder_set_text(&bb, 0, devs[i], strlen(devs[i]));
        em_batch_builder_set_i64(&bb, 1, ts[i]);
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

/* Device A reports at 0 and 10, then stops; B reports every 10 until 100
 * and drives the watermark (ts - 5). A's timer (10 + 30 = 40) fires with no
 * row for A once the watermark reaches 40; A's row at 70 reports BACK. */
TEST(silence_event_time)
{
    em_schema *s = dev_schema();
    em_arena a;
    em_arena_init(&a, 0);
    em_errbuf err;
    em_op_ctx cx = {.arena = &a, .watermark = EM_TS_MIN, .err = &err};
    em_op *op = NULL;
    CHECK_EQ_INT(em_silence_create(&op, "sil", s, 0, 1, 30, &err), 0);
    CHECK_EQ_STR(op->out_schema->fields[0].name, "dev");
    CHECK_EQ_INT(op->out_schema->fields[1].type, EM_TYPE_TIMESTAMP);
    collector *c = collect(op);
    for (int64_t t = 0; t <= 100; t += 10) {
        cx.batch_id = t / 10 + 1;
        const char *devs[3];
        int64_t ts[3];
        uint32_t n = 0;
        devs[n] = "B";
        ts[n++] = t;
        if (t <= 10) {
            devs[n] = "A";
            ts[n++] = t;
        }
        if (t == 70) {
            devs[n] = "A";
            ts[n++] = 70;
        }
        devs[n] = NULL; /* a NULL key is ignored */
        ts[n++] = t;
        CHECK_EQ_INT(op->vt->push(op, 0, dev_batch(s, devs, ts, n, &a), &cx), 0);
        if (t == 40)
            CHECK_EQ_INT(c->n, 0); /* wm is still 30 */
        int64_t wm = t - 5;
        CHECK_EQ_INT(op->vt->advance(op, wm, &cx), 0);
        cx.watermark = wm;
        if (t == 40)
            CHECK_EQ_INT(c->n, 0); /* wm 35 < 40 */
        if (t == 50) {
            CHECK_EQ_INT(c->n, 1); /* wm 45 >= 40 */
            CHECK_EQ_INT(has(c, "A", 10, 40, "SILENT"), 1);
        }
        em_arena_reset(&a);
    }
    CHECK_EQ_INT(has(c, "A", 70, 40, "BACK"), 1);
    CHECK_EQ_INT(c->n, 2);
    CHECK_EQ_INT(op->stats.state_keys, 2);
    /* a late row (below the watermark 95) is dropped, not a BACK */
    cx.batch_id = 20;
    const char *ld[] = {"A"};
    int64_t lt[] = {60};
    CHECK_EQ_INT(op->vt->push(op, 0, dev_batch(s, ld, lt, 1, &a), &cx), 0);
    CHECK_EQ_INT(op->stats.late_dropped, 1);
    /* end of input: both devices fall silent */
    CHECK_EQ_INT(op->vt->advance(op, EM_TS_MAX, &cx), 0);
    CHECK_EQ_INT(has(c, "A", 70, 100, "SILENT"), 1);
    CHECK_EQ_INT(has(c, "B", 100, 130, "SILENT"), 1);
    CHECK_EQ_INT(c->n, 4);
    em_arena_release(&a);
    em_op_destroy(&c->op);
    em_op_destroy(op);
    em_schema_destroy(s);
}

TEST(silence_processing_time)
{
    em_schema *s = dev_schema();
    em_arena a;
    em_arena_init(&a, 0);
    em_errbuf err;
    em_op_ctx cx = {.arena = &a, .watermark = EM_TS_MIN, .err = &err};
    em_op *op = NULL;
    CHECK_EQ_INT(em_silence_create(&op, "sil", s, 0, -1, 3 * EM_USEC_PER_SEC, &err), 0);
    collector *c = collect(op);
    const char *devs[] = {"A", "B"};
    int64_t ts[] = {0, 0}; /* ignored: processing time */
    for (int b = 1; b <= 10; b++) {
        cx.batch_id = b;
        cx.logical_time = b * EM_USEC_PER_SEC;
        /* A every batch except 3..7, B only in batch 1 */
        uint32_t n = (b < 3 || b > 7) ? 1 : 0;
        const char *d[2] = {devs[0], devs[1]};
        if (b == 1)
            n = 2;
        if (n)
            CHECK_EQ_INT(op->vt->push(op, 0, dev_batch(s, d, ts, n, &a), &cx), 0);
        CHECK_EQ_INT(op->vt->end_batch(op, &cx), 0);
        em_arena_reset(&a);
    }
    /* B: last seen 1s, silent at 4s (batch 4); A: last 2s, silent at 5s,
     * back at 8s */
    CHECK_EQ_INT(has(c, "B", 1 * EM_USEC_PER_SEC, 4 * EM_USEC_PER_SEC, "SILENT"), 1);
    CHECK_EQ_INT(has(c, "A", 2 * EM_USEC_PER_SEC, 5 * EM_USEC_PER_SEC, "SILENT"), 1);
    CHECK_EQ_INT(has(c, "A", 8 * EM_USEC_PER_SEC, 5 * EM_USEC_PER_SEC, "BACK"), 1);
    CHECK_EQ_INT(c->n, 3);
    for (uint32_t i = 0; i < c->n; i++)
        if (strcmp(c->rows[i].status, "SILENT") == 0)
            CHECK_EQ_INT(c->rows[i].batch, c->rows[i].since / EM_USEC_PER_SEC);
    em_arena_release(&a);
    em_op_destroy(&c->op);
    em_op_destroy(op);
    em_schema_destroy(s);
}

TEST(silence_rejects_bad_arguments)
{
    em_schema *s = dev_schema();
    em_errbuf err;
    em_errbuf_clear(&err);
    em_op *op = NULL;
    CHECK_EQ_INT(em_silence_create(&op, "x", s, 0, 0, 10, &err), EM_ETYPE);
    CHECK_EQ_INT(em_silence_create(&op, "x", s, 2, 1, 10, &err), EM_EINVAL);
    CHECK_EQ_INT(em_silence_create(&op, "x", s, 0, 1, 0, &err), EM_EINVAL);
    CHECK(strstr(err.msg, "timeout") != NULL);
    CHECK(op == NULL);
    em_schema_destroy(s);
}

/* Every allocation failing in turn: the detector returns EM_ENOMEM (or
 * succeeds) and leaks nothing. */
TEST(silence_out_of_memory_at_every_allocation)
{
    em_schema *s = dev_schema();
    em_arena in, out;
    em_arena_init(&in, 0);
    em_arena_init(&out, 0);
    const char *devs[] = {"A", "B", "C"};
    int64_t ts[] = {10, 20, 30};
    em_batch *b = dev_batch(s, devs, ts, 3, &in);
    int completed = 0, failures = 0;
    for (uint64_t n = 1; n < 1000 && !completed; n++) {
        em_errbuf err;
        em_op_ctx cx = {.arena = &out, .batch_id = 1, .watermark = EM_TS_MIN, .err = &err};
        uint64_t before = em_mem_failures();
        em_mem_fail_after(n);
        em_op *op = NULL;
        int rc = em_silence_create(&op, "s", s, 0, 1, 5, &err);
        if (!rc)
            rc = op->vt->push(op, 0, b, &cx);
        if (!rc)
            rc = op->vt->advance(op, 100, &cx);
        if (!rc)
            rc = op->vt->push(op, 0, b, &cx); /* late now: dropped */
        em_mem_fail_after(0);
        if (rc)
            CHECK_EQ_INT(rc, EM_ENOMEM);
        failures += rc != 0;
        completed = em_mem_failures() == before;
        em_op_destroy(op);
        em_arena_reset(&out);
    }
    CHECK(completed);
    CHECK(failures > 5);
    em_arena_release(&in);
    em_arena_release(&out);
    em_schema_destroy(s);
}

int main(void)
{
    RUN(ttl_evicts_untouched_keys);
    RUN(timers_fire_in_order_without_input);
    RUN(silence_event_time);
    RUN(silence_processing_time);
    RUN(silence_rejects_bad_arguments);
    RUN(silence_out_of_memory_at_every_allocation);
    return t_done();
}
