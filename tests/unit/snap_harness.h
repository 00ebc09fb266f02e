/*
 * tests/unit/snap_harness.h - test harness for operator state snapshots: a
 * sink that keeps emitted rows as strings (compared as multisets), scripts
 * of random micro-batches for one or two ports, a driver that runs them as
 * the scheduler does, and the checks shared by test_ops_snapshot.c
 * (aggregates) and test_ops_snapshot_joins.c (joins, silence): restore at
 * every micro-batch boundary equals an uninterrupted run, damaged
 * snapshots fail cleanly, other configurations are refused.
 */
#ifndef EMBER_TEST_SNAP_HARNESS_H
#define EMBER_TEST_SNAP_HARNESS_H

#include "batch/batch.h"
#include "core/pool.h"
#include "ember/error.h"
#include "t.h"

#include <stdlib.h>

/* ---- a sink that keeps every row as a string ---- */

typedef struct sink {
    em_op op;
    char **rows;
    size_t n, cap;
} sink;

static inline int sink_push(em_op *op, int port, const em_batch *b, em_op_ctx *cx)
{
    sink *s = (sink *)op;
    (void)port, (void)cx;
    for (uint32_t i = 0; i < em_batch_count(b); i++) {
        uint32_t r = em_batch_row(b, i);
        char line[1024];
        size_t len = 0;
        for (uint32_t j = 0; j < b->ncols && len < sizeof line - 64; j++) {
            const em_column *c = &b->cols[j];
            int w;
            if (em_column_is_null(c, r))
                w = snprintf(line + len, sizeof line - len, "|NULL");
            else if (c->type == EM_TYPE_DOUBLE)
                w = snprintf(line + len, sizeof line - len, "|%.17g", c->v.f64[r]);
            else if (c->type == EM_TYPE_TEXT) {
                em_slice t = em_column_text(c, r);
                w = snprintf(line + len, sizeof line - len, "|'%.*s'", (int)t.len, t.ptr);
            } else if (c->type == EM_TYPE_BOOLEAN)
                w = snprintf(line + len, sizeof line - len, "|%d", c->v.b[r]);
            else
                w = snprintf(line + len, sizeof line - len, "|%lld", (long long)c->v.i64[r]);
            len += (size_t)w;
        }
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 256;
            s->rows = realloc(s->rows, s->cap * sizeof *s->rows);
        }
        s->rows[s->n++] = strdup(line);
    }
    return 0;
}

static inline void sink_destroy(em_op *op)
{
    sink *s = (sink *)op;
    for (size_t i = 0; i < s->n; i++)
        free(s->rows[i]);
    free(s->rows);
    em_op_release(op);
    em_free(s);
}

static const em_op_vtable sink_vt = {.kind = "sink", .push = sink_push, .destroy = sink_destroy};

static inline sink *sink_new(void)
{
    sink *s = em_calloc(1, sizeof *s);
    em_op_init(&s->op, &sink_vt, "sink", NULL, 1);
    return s;
}

static inline int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if a and b hold the same rows as multisets (prints the first difference). */
static inline int same_rows(sink *a, sink *b)
{
    qsort(a->rows, a->n, sizeof *a->rows, cmp_str);
    qsort(b->rows, b->n, sizeof *b->rows, cmp_str);
    if (a->n != b->n)
        printf("    uninterrupted run: %zu rows, restored runs: %zu rows\n", a->n, b->n);
    for (size_t i = 0; i < a->n && i < b->n; i++)
        if (strcmp(a->rows[i], b->rows[i])) {
            printf("    first difference: %s vs %s\n", a->rows[i], b->rows[i]);
            return 0;
        }
    return a->n == b->n;
}

/* ---- scripts: micro-batches of rows for one or two input ports ---- */

#define NV 6

typedef struct trow {
    int port;
    int64_t i[NV];
    double d[NV];
    char s[NV][32];
    uint8_t null[NV];
} trow;

typedef struct mbatch {
    trow *rows;
    uint32_t n, cap;
    int64_t wm; /* watermark after the micro-batch */
    int64_t lt; /* logical time */
} mbatch;

typedef struct script {
    mbatch *b;
    uint32_t nb;
    const em_schema *schema[2];
    int first_port; /* pushed first (a table's updates) */
} script;

static inline trow *add_row(mbatch *mb, int port)
{
    if (mb->n == mb->cap) {
        mb->cap = mb->cap ? mb->cap * 2 : 64;
        mb->rows = realloc(mb->rows, mb->cap * sizeof *mb->rows);
    }
    trow *r = &mb->rows[mb->n++];
    memset(r, 0, sizeof *r);
    r->port = port;
    return r;
}

static inline void script_free(script *sc)
{
    for (uint32_t i = 0; i < sc->nb; i++)
        free(sc->b[i].rows);
    free(sc->b);
}

static inline em_batch *build(const em_schema *s, const mbatch *mb, int port, em_arena *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < mb->n; i++)
        n += mb->rows[i].port == port;
    if (!n) return NULL;
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, n, a)) return NULL;
    for (uint32_t i = 0; i < mb->n; i++) {
        const trow *r = &mb->rows[i];
        if (r->port != port) continue;
        for (uint32_t c = 0; c < s->nfields; c++) {
            if (r->null[c]) continue;
            switch (s->fields[c].type) {
            case EM_TYPE_DOUBLE:
                em_batch_builder_set_f64(&bb, c, r->d[c]);
                break;
            case EM_TYPE_TEXT:
                em_batch_builder_set_text(&bb, c, r->s[c], strlen(r->s[c]));
                break;
            case EM_TYPE_BOOLEAN:
                em_batch_builder_set_bool(&bb, c, r->i[c] != 0);
                break;
            default:
                em_batch_builder_set_i64(&bb, c, r->i[c]);
                break;
            }
        }
        em_batch_builder_end_row(&bb);
    }
    return em_batch_builder_finish(&bb);
}

/* ---- running a script ---- */

typedef em_op *(*mk_fn)(const void *cfg, uint32_t parts, em_pool *pool);

typedef struct run {
    em_arena arena;
    em_op_ctx cx;
    em_errbuf err;
    int64_t wm;
} run;

static inline void run_init(run *r)
{
    memset(r, 0, sizeof *r);
    em_arena_init(&r->arena, 0);
    r->cx.arena = &r->arena;
    r->cx.err = &r->err;
    r->wm = EM_TS_MIN;
}

static inline int run_batch(run *r, em_op *op, const script *sc, uint32_t i)
{
    const mbatch *mb = &sc->b[i];
    int rc = 0;
    r->cx.batch_id = i + 1;
    r->cx.logical_time = mb->lt;
    r->cx.watermark = r->wm;
    for (int k = 0; k < 2 && !rc; k++) {
        int port = k == 0 ? sc->first_port : 1 - sc->first_port;
        if (!sc->schema[port]) continue;
        em_batch *b = build(sc->schema[port], mb, port, &r->arena);
        if (b) rc = op->vt->push(op, port, b, &r->cx);
    }
    if (!rc && mb->wm > r->wm) {
        if (op->vt->advance) rc = op->vt->advance(op, mb->wm, &r->cx);
        r->wm = mb->wm;
    }
    if (!rc && op->vt->end_batch) rc = op->vt->end_batch(op, &r->cx);
    em_arena_reset(&r->arena);
    return rc;
}

/* Snapshot, destroy, make with `parts`, restore. */
static inline em_op *cycle(em_op *op, mk_fn mk, const void *cfg, uint32_t parts, em_pool *pool,
                           sink *out, size_t *max_bytes)
{
    em_buf b;
    em_errbuf err;
    em_buf_init(&b, (size_t)1 << 30);
    int rc = op->vt->snapshot(op, &b);
    CHECK_EQ_INT(rc, 0);
    em_op_destroy(op);
    if (b.len > *max_bytes) *max_bytes = b.len;
    op = mk(cfg, parts, pool);
    em_op_connect(op, &out->op, 0);
    em_errbuf_clear(&err);
    rc = op->vt->restore(op, b.ptr, b.len, &err);
    if (rc) printf("    restore: %s\n", err.msg);
    CHECK_EQ_INT(rc, 0);
    em_buf_release(&b);
    return op;
}

/* Runs sc uninterrupted (parts[0]) and with a snapshot/restore at every
 * micro-batch boundary (partition counts cycling through parts). */
static inline void check_script(const script *sc, mk_fn mk, const void *cfg, const uint32_t *parts,
                                uint32_t nparts, em_pool *pool)
{
    sink *a = sink_new(), *b = sink_new();
    run ra, rb;
    size_t max_bytes = 0;
    run_init(&ra);
    run_init(&rb);
    em_op *x = mk(cfg, parts[0], pool), *y = mk(cfg, parts[0], pool);
    em_op_connect(x, &a->op, 0);
    em_op_connect(y, &b->op, 0);
    CHECK(x->vt->state_version >= 1);
    for (uint32_t i = 0; i < sc->nb; i++) {
        CHECK_EQ_INT(run_batch(&ra, x, sc, i), 0);
        CHECK_EQ_INT(run_batch(&rb, y, sc, i), 0);
        uint64_t keys = y->stats.state_keys;
        y = cycle(y, mk, cfg, parts[(i + 1) % nparts], pool, b, &max_bytes);
        CHECK_EQ_INT(y->stats.state_keys, keys);
        CHECK(y->stats.state_bytes > 0 || keys == 0);
    }
    CHECK(a->n > 0);
    CHECK(max_bytes > 0);
    CHECK(same_rows(a, b));
    em_op_destroy(x);
    em_op_destroy(y);
    em_op_destroy(&a->op);
    em_op_destroy(&b->op);
    em_arena_release(&ra.arena);
    em_arena_release(&rb.arena);
}

static const char *const words[] = {"a", "bb", "a longer text value past inline", "", "zz", "m"};
static const uint32_t plain[] = {0};

/* ---- damaged snapshots ---- */

/* Restores every prefix of blob up to `upto` bytes and `flips` random
 * one-byte changes: each must succeed or fail with EM_ECORRUPT/EM_EINVAL
 * and a message, and the operator must destroy cleanly (ASan checks). */
static inline void damage(const char *blob, size_t n, size_t upto, uint32_t flips, mk_fn mk,
                          const void *cfg, uint32_t parts, em_pool *pool, const script *sc,
                          uint32_t after)
{
    char *copy = malloc(n ? n : 1);
    uint32_t fails = 0;
    for (size_t len = 0; len < n && len <= upto; len++) {
        em_op *op = mk(cfg, parts, pool);
        em_errbuf err;
        em_errbuf_clear(&err);
        int rc = op->vt->restore(op, blob, len, &err);
        CHECK(rc == EM_ECORRUPT || rc == EM_EINVAL);
        CHECK(err.msg[0] != 0);
        em_op_destroy(op);
    }
    for (uint32_t f = 0; f < flips; f++) {
        memcpy(copy, blob, n);
        uint32_t nb = 1 + (uint32_t)rand() % 3;
        for (uint32_t k = 0; k < nb; k++)
            copy[(size_t)rand() % n] ^= (char)(1 + rand() % 255);
        em_op *op = mk(cfg, parts, pool);
        sink *s = sink_new();
        em_op_connect(op, &s->op, 0);
        em_errbuf err;
        em_errbuf_clear(&err);
        int rc = op->vt->restore(op, copy, n, &err);
        CHECK(rc == 0 || rc == EM_ECORRUPT || rc == EM_EINVAL);
        if (rc) {
            fails++;
            CHECK(err.msg[0] != 0);
        } else { /* a valid state: the operator must keep working */
            run r;
            run_init(&r);
            for (uint32_t i = after; i < sc->nb; i++)
                run_batch(&r, op, sc, i);
            em_arena_release(&r.arena);
        }
        em_op_destroy(op);
        em_op_destroy(&s->op);
    }
    CHECK(flips == 0 || fails > 0);
    free(copy);
}

/* ---- generic damage and refusal for the other kinds ---- */

static inline void damage_case(const script *sc, mk_fn mk, const void *cfg, uint32_t after)
{
    em_op *op = mk(cfg, 0, NULL);
    sink *s = sink_new();
    em_op_connect(op, &s->op, 0);
    run r;
    run_init(&r);
    for (uint32_t i = 0; i < after; i++)
        CHECK_EQ_INT(run_batch(&r, op, sc, i), 0);
    em_buf b;
    em_buf_init(&b, 1 << 24);
    CHECK_EQ_INT(op->vt->snapshot(op, &b), 0);
    CHECK(op->stats.state_keys > 0);
    damage(b.ptr, b.len, 400, 300, mk, cfg, 0, NULL, sc, after);
    em_buf_release(&b);
    em_op_destroy(op);
    em_op_destroy(&s->op);
    em_arena_release(&r.arena);
}

static inline int refuse_case(const script *sc, mk_fn mk, const void *from, const void *to,
                              const char *needle)
{
    em_op *a = mk(from, 0, NULL), *b = mk(to, 0, NULL);
    sink *s = sink_new();
    em_op_connect(a, &s->op, 0);
    run r;
    run_init(&r);
    for (uint32_t i = 0; i < 3; i++)
        run_batch(&r, a, sc, i);
    em_buf buf;
    em_errbuf err;
    em_buf_init(&buf, 1 << 24);
    a->vt->snapshot(a, &buf);
    em_errbuf_clear(&err);
    int rc = b->vt->restore(b, buf.ptr, buf.len, &err);
    int ok = rc == EM_EINVAL && strstr(err.msg, needle) && strstr(err.msg, "incompatible");
    if (!ok) printf("    restore gave %d: %s\n", rc, err.msg);
    em_buf_release(&buf);
    em_op_destroy(a);
    em_op_destroy(b);
    em_op_destroy(&s->op);
    em_arena_release(&r.arena);
    return ok;
}

#endif
