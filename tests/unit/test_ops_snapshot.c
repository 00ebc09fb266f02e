/*
 * Unit tests for the operators' state snapshots (snapshot/restore of
 * ops/op.h): for every stateful operator kind, random micro-batches (out of
 * order, late and duplicate times, NULLs) run once uninterrupted and once
 * with the operator snapshotted, destroyed, re-created and restored at
 * every micro-batch boundary; the two outputs must be the same multiset.
 * Also: truncated and bit-flipped snapshots never crash or leak, a
 * differently configured operator refuses the state with a message naming
 * the difference, and partitioned state moves between partition counts.
 */
#include "batch/batch.h"
#include "core/pool.h"
#include "ember/error.h"
#include "ops/agg.h"
#include "ops/join.h"
#include "ops/keyed.h"
#include "ops/partition.h"
#include "t.h"

#include <stdlib.h>

/* ---- a sink that keeps every row as a string ---- */

typedef struct sink {
    em_op op;
    char **rows;
    size_t n, cap;
} sink;

static int sink_push(em_op *op, int port, const em_batch *b, em_op_ctx *cx)
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

static void sink_destroy(em_op *op)
{
    sink *s = (sink *)op;
    for (size_t i = 0; i < s->n; i++)
        free(s->rows[i]);
    free(s->rows);
    em_op_release(op);
    em_free(s);
}

static const em_op_vtable sink_vt = {.kind = "sink", .push = sink_push, .destroy = sink_destroy};

static sink *sink_new(void)
{
    sink *s = em_calloc(1, sizeof *s);
    em_op_init(&s->op, &sink_vt, "sink", NULL, 1);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if a and b hold the same rows as multisets (prints the first difference). */
static int same_rows(sink *a, sink *b)
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

static trow *add_row(mbatch *mb, int port)
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

static void script_free(script *sc)
{
    for (uint32_t i = 0; i < sc->nb; i++)
        free(sc->b[i].rows);
    free(sc->b);
}

static em_batch *build(const em_schema *s, const mbatch *mb, int port, em_arena *a)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < mb->n; i++)
        n += mb->rows[i].port == port;
    if (!n)
        return NULL;
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, n, a))
        return NULL;
    for (uint32_t i = 0; i < mb->n; i++) {
        const trow *r = &mb->rows[i];
        if (r->port != port)
            continue;
        for (uint32_t c = 0; c < s->nfields; c++) {
            if (r->null[c])
                continue;
            switch (s->fields[c].type) {
            case EM_TYPE_DOUBLE: em_batch_builder_set_f64(&bb, c, r->d[c]); break;
            case EM_TYPE_TEXT: em_batch_builder_set_text(&bb, c, r->s[c], strlen(r->s[c])); break;
            case EM_TYPE_BOOLEAN: em_batch_builder_set_bool(&bb, c, r->i[c] != 0); break;
            default: em_batch_builder_set_i64(&bb, c, r->i[c]); break;
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

static void run_init(run *r)
{
    memset(r, 0, sizeof *r);
    em_arena_init(&r->arena, 0);
    r->cx.arena = &r->arena;
    r->cx.err = &r->err;
    r->wm = EM_TS_MIN;
}

static int run_batch(run *r, em_op *op, const script *sc, uint32_t i)
{
    const mbatch *mb = &sc->b[i];
    int rc = 0;
    r->cx.batch_id = i + 1;
    r->cx.logical_time = mb->lt;
    r->cx.watermark = r->wm;
    for (int k = 0; k < 2 && !rc; k++) {
        int port = k == 0 ? sc->first_port : 1 - sc->first_port;
        if (!sc->schema[port])
            continue;
        em_batch *b = build(sc->schema[port], mb, port, &r->arena);
        if (b)
            rc = op->vt->push(op, port, b, &r->cx);
    }
    if (!rc && mb->wm > r->wm) {
        if (op->vt->advance)
            rc = op->vt->advance(op, mb->wm, &r->cx);
        r->wm = mb->wm;
    }
    if (!rc && op->vt->end_batch)
        rc = op->vt->end_batch(op, &r->cx);
    em_arena_reset(&r->arena);
    return rc;
}

/* Snapshot, destroy, make with `parts`, restore. */
static em_op *cycle(em_op *op, mk_fn mk, const void *cfg, uint32_t parts, em_pool *pool, sink *out,
                    size_t *max_bytes)
{
    em_buf b;
    em_errbuf err;
    em_buf_init(&b, (size_t)1 << 30);
    int rc = op->vt->snapshot(op, &b);
    CHECK_EQ_INT(rc, 0);
    em_op_destroy(op);
    if (b.len > *max_bytes)
        *max_bytes = b.len;
    op = mk(cfg, parts, pool);
    em_op_connect(op, &out->op, 0);
    em_errbuf_clear(&err);
    rc = op->vt->restore(op, b.ptr, b.len, &err);
    if (rc)
        printf("    restore: %s\n", err.msg);
    CHECK_EQ_INT(rc, 0);
    em_buf_release(&b);
    return op;
}

/* Runs sc uninterrupted (parts[0]) and with a snapshot/restore at every
 * micro-batch boundary (partition counts cycling through parts). */
static void check_script(const script *sc, mk_fn mk, const void *cfg, const uint32_t *parts,
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

/* ---- aggregates ---- */

/* input: k BIGINT, ts TIMESTAMP, x BIGINT, d DOUBLE, s TEXT, b BOOLEAN */
static em_schema *agg_in(void)
{
    const char *names[] = {"k", "ts", "x", "d", "s", "b"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT,
                       EM_TYPE_DOUBLE, EM_TYPE_TEXT,      EM_TYPE_BOOLEAN};
    return em_schema_create(6, names, types);
}

typedef struct agg_cfg {
    const em_schema *in;
    uint32_t nkeys;
    int keys[2];
    uint32_t naggs;
    const em_agg_spec *aggs;
    em_window_spec win;
} agg_cfg;

static em_op *mk_agg(const void *cfgp, uint32_t parts, em_pool *pool)
{
    const agg_cfg *c = cfgp;
    em_errbuf err;
    em_op *inner[4], *op = NULL;
    uint32_t n = parts ? parts : 1;
    for (uint32_t i = 0; i < n; i++)
        if (em_aggregate_create(&inner[i], "agg", c->in, c->nkeys, c->keys, c->naggs, c->aggs,
                                &c->win, &err)) {
            printf("    create: %s\n", err.msg);
            return NULL;
        }
    if (!parts)
        return inner[0];
    if (em_partitioned_create(&op, "agg", inner, n, c->keys, c->nkeys, pool, &err))
        return NULL;
    return op;
}

static const em_agg_spec all_aggs[] = {
    {EM_AGG_COUNT_STAR, -1, "n"},      {EM_AGG_COUNT, 2, "cx"},
    {EM_AGG_SUM, 2, "sx"},             {EM_AGG_SUM, 3, "sd"},
    {EM_AGG_AVG, 3, "ad"},             {EM_AGG_MIN, 2, "mnx"},
    {EM_AGG_MAX, 3, "mxd"},            {EM_AGG_MIN, 1, "mnts"},
    {EM_AGG_VAR_SAMP, 3, "vs"},        {EM_AGG_VAR_POP, 2, "vp"},
    {EM_AGG_STDDEV_SAMP, 2, "ss"},     {EM_AGG_STDDEV_POP, 3, "sp"},
    {EM_AGG_FIRST, 2, "fx"},           {EM_AGG_LAST, 3, "ld"},
    {EM_AGG_FIRST, 4, "fs"},           {EM_AGG_LAST, 4, "ls"},
    {EM_AGG_COUNT_DISTINCT, 2, "dx"},  {EM_AGG_COUNT_DISTINCT, 4, "ds"},
    {EM_AGG_COUNT_DISTINCT, 3, "dd"},  {EM_AGG_MIN, 4, "mns"},
    {EM_AGG_MAX, 4, "mxs"},            {EM_AGG_MAX, 5, "mxb"},
};
#define NALL (uint32_t)(sizeof all_aggs / sizeof all_aggs[0])

static const char *const words[] = {"a", "bb", "a longer text value past inline", "", "zz",
                                    "m"};

/* Random readings: nb micro-batches of up to per rows, keys < nkeys,
 * times jittering around a clock that moves 1 s per micro-batch (so rows
 * arrive out of order, some behind the watermark, some at equal times). */
static void agg_script(script *sc, const em_schema *in, unsigned seed, uint32_t nb, uint32_t per,
                       int64_t nkeys)
{
    srand(seed);
    memset(sc, 0, sizeof *sc);
    sc->schema[0] = in;
    sc->nb = nb + 1;
    sc->b = calloc(sc->nb, sizeof *sc->b);
    int64_t clock = 1000000000, maxts = EM_TS_MIN;
    for (uint32_t i = 0; i < nb; i++) {
        mbatch *mb = &sc->b[i];
        uint32_t n = (uint32_t)rand() % per;
        for (uint32_t j = 0; j < n; j++) {
            trow *r = add_row(mb, 0);
            r->i[0] = rand() % nkeys;
            r->null[0] = rand() % 23 == 0;
            r->i[1] = clock + (rand() % 5000 - 3500) * 1000; /* ms steps: many equal times */
            r->null[1] = rand() % 31 == 0;
            r->i[2] = rand() % 50 - 10;
            r->null[2] = rand() % 7 == 0;
            r->d[3] = (rand() % 2000) / 7.0 - 50;
            r->null[3] = rand() % 9 == 0;
            snprintf(r->s[4], sizeof r->s[4], "%s", words[rand() % 6]);
            r->null[4] = rand() % 8 == 0;
            r->i[5] = rand() % 2;
            r->null[5] = rand() % 10 == 0;
            if (!r->null[1] && r->i[1] > maxts)
                maxts = r->i[1];
        }
        clock += 1000000;
        mb->lt = clock;
        mb->wm = maxts == EM_TS_MIN ? EM_TS_MIN : maxts - 2000000;
    }
    sc->b[nb].wm = EM_TS_MAX;
    sc->b[nb].lt = clock + 1000000000000;
}

static void agg_case(uint32_t nkeys, int k0, int k1, em_win_kind wk, int event_time,
                     const uint32_t *parts, uint32_t nparts, unsigned seed)
{
    em_schema *in = agg_in();
    em_pool *pool = em_pool_create(2);
    agg_cfg c = {in, nkeys, {k0, k1}, NALL, all_aggs, {wk, event_time ? 1 : -1, 0, 0, 0}};
    if (wk == EM_WIN_TUMBLE)
        c.win.size_us = 3000000;
    if (wk == EM_WIN_HOP)
        c.win.size_us = 4000000, c.win.slide_us = 1000000;
    if (wk == EM_WIN_SESSION)
        c.win.gap_us = 1500000;
    script sc;
    agg_script(&sc, in, seed, 14, 300, 40);
    check_script(&sc, mk_agg, &c, parts, nparts, pool);
    script_free(&sc);
    em_pool_destroy(pool);
    em_schema_destroy(in);
}

static const uint32_t plain[] = {0};

TEST(aggregate_tumble_all_kinds)
{
    agg_case(1, 0, 0, EM_WIN_TUMBLE, 1, plain, 1, 1);
    agg_case(1, 4, 0, EM_WIN_TUMBLE, 1, plain, 1, 2);  /* TEXT key */
    agg_case(2, 0, 4, EM_WIN_TUMBLE, 1, plain, 1, 3);  /* two keys */
    agg_case(0, 0, 0, EM_WIN_TUMBLE, 1, plain, 1, 4);  /* no key */
    agg_case(1, 0, 0, EM_WIN_TUMBLE, 0, plain, 1, 5);  /* processing time */
}

TEST(aggregate_hop_all_kinds)
{
    agg_case(1, 0, 0, EM_WIN_HOP, 1, plain, 1, 11);
    agg_case(2, 5, 4, EM_WIN_HOP, 1, plain, 1, 12);
    agg_case(1, 0, 0, EM_WIN_HOP, 0, plain, 1, 13);
}

TEST(aggregate_session_all_kinds)
{
    agg_case(1, 0, 0, EM_WIN_SESSION, 1, plain, 1, 21);
    agg_case(1, 4, 0, EM_WIN_SESSION, 1, plain, 1, 22);
}

TEST(aggregate_running_all_kinds)
{
    agg_case(1, 0, 0, EM_WIN_NONE, 1, plain, 1, 31);
    agg_case(2, 4, 5, EM_WIN_NONE, 1, plain, 1, 32);
    agg_case(0, 0, 0, EM_WIN_NONE, 1, plain, 1, 33);
}

TEST(partitioned_across_partition_counts)
{
    static const uint32_t same1[] = {1}, same3[] = {3}, mixed[] = {3, 1, 2, 0, 3, 3, 0};
    agg_case(1, 0, 0, EM_WIN_TUMBLE, 1, same1, 1, 41);
    agg_case(1, 0, 0, EM_WIN_TUMBLE, 1, same3, 1, 42);
    agg_case(1, 0, 0, EM_WIN_TUMBLE, 1, mixed, 7, 43);
    agg_case(2, 4, 0, EM_WIN_HOP, 1, mixed, 7, 44);
    agg_case(1, 4, 0, EM_WIN_SESSION, 1, mixed, 7, 45);
    agg_case(1, 0, 0, EM_WIN_NONE, 1, mixed, 7, 46);
}

/* ---- damaged snapshots ---- */

/* Restores every prefix of blob up to `upto` bytes and `flips` random
 * one-byte changes: each must succeed or fail with EM_ECORRUPT/EM_EINVAL
 * and a message, and the operator must destroy cleanly (ASan checks). */
static void damage(const char *blob, size_t n, size_t upto, uint32_t flips, mk_fn mk,
                   const void *cfg, uint32_t parts, em_pool *pool, const script *sc, uint32_t after)
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

static void damage_agg(em_win_kind wk, uint32_t nkeys, int k0, uint32_t parts, unsigned seed)
{
    em_schema *in = agg_in();
    em_pool *pool = em_pool_create(2);
    agg_cfg c = {in, nkeys, {k0, 4}, NALL, all_aggs, {wk, 1, 3000000, 1000000, 1500000}};
    if (wk == EM_WIN_TUMBLE)
        c.win.slide_us = 0;
    script sc;
    agg_script(&sc, in, seed, 6, 40, 6);
    em_op *op = mk_agg(&c, parts, pool);
    sink *s = sink_new();
    em_op_connect(op, &s->op, 0);
    run r;
    run_init(&r);
    for (uint32_t i = 0; i < 3; i++)
        run_batch(&r, op, &sc, i);
    em_buf b;
    em_buf_init(&b, 1 << 24);
    CHECK_EQ_INT(op->vt->snapshot(op, &b), 0);
    damage(b.ptr, b.len, 600, 300, mk_agg, &c, parts, pool, &sc, 3);
    em_buf_release(&b);
    em_op_destroy(op);
    em_op_destroy(&s->op);
    em_arena_release(&r.arena);
    script_free(&sc);
    em_pool_destroy(pool);
    em_schema_destroy(in);
}

TEST(aggregate_damaged_snapshots)
{
    damage_agg(EM_WIN_TUMBLE, 1, 0, 0, 51);
    damage_agg(EM_WIN_HOP, 2, 0, 0, 52);
    damage_agg(EM_WIN_SESSION, 1, 4, 0, 53);
    damage_agg(EM_WIN_NONE, 1, 0, 0, 54);
    damage_agg(EM_WIN_TUMBLE, 1, 0, 3, 55);
}

/* ---- configuration changes are refused ---- */

static int refuse(const agg_cfg *from, const agg_cfg *to, const char *needle)
{
    em_pool *pool = NULL;
    em_op *a = mk_agg(from, 0, pool), *b = mk_agg(to, 0, pool);
    em_buf buf;
    em_errbuf err;
    script sc;
    agg_script(&sc, from->in, 7, 3, 50, 5);
    run r;
    run_init(&r);
    sink *s = sink_new();
    em_op_connect(a, &s->op, 0);
    for (uint32_t i = 0; i < 3; i++)
        run_batch(&r, a, &sc, i);
    em_buf_init(&buf, 1 << 24);
    a->vt->snapshot(a, &buf);
    em_errbuf_clear(&err);
    int rc = b->vt->restore(b, buf.ptr, buf.len, &err);
    int ok = rc == EM_EINVAL && strstr(err.msg, needle) && strstr(err.msg, "incompatible");
    if (!ok)
        printf("    restore gave %d: %s\n", rc, err.msg);
    em_buf_release(&buf);
    em_op_destroy(a);
    em_op_destroy(b);
    em_op_destroy(&s->op);
    em_arena_release(&r.arena);
    script_free(&sc);
    return ok;
}

TEST(aggregate_refuses_other_configuration)
{
    em_schema *in = agg_in();
    static const em_agg_spec a1[] = {{EM_AGG_AVG, 3, "a"}, {EM_AGG_MIN, 2, "m"}};
    static const em_agg_spec a2[] = {{EM_AGG_AVG, 3, "a"}, {EM_AGG_MAX, 2, "m"}};
    static const em_agg_spec a3[] = {{EM_AGG_AVG, 3, "a"}, {EM_AGG_MIN, 3, "m"}};
    static const em_agg_spec a4[] = {{EM_AGG_AVG, 3, "a"}};
    agg_cfg base = {in, 1, {0, 0}, 2, a1, {EM_WIN_TUMBLE, 1, 3000000, 0, 0}};
    agg_cfg c = base;
    c.aggs = a2;
    CHECK(refuse(&base, &c, "aggregate 2 is min(BIGINT) in the snapshot but max(BIGINT)"));
    c.aggs = a3;
    CHECK(refuse(&base, &c, "min(DOUBLE)"));
    c = base;
    c.naggs = 1;
    c.aggs = a4;
    CHECK(refuse(&base, &c, "aggregates is 2 in the snapshot but 1"));
    c = base;
    c.keys[0] = 4;
    CHECK(refuse(&base, &c, "group key 1 type is BIGINT in the snapshot but TEXT"));
    c = base;
    c.win.size_us = 6000000;
    CHECK(refuse(&base, &c, "window size (us) is 3000000 in the snapshot but 6000000"));
    c = base;
    c.win.kind = EM_WIN_HOP;
    c.win.slide_us = 1000000;
    CHECK(refuse(&base, &c, "window is tumble in the snapshot but hop"));
    c = base;
    c.win.kind = EM_WIN_SESSION;
    c.win.gap_us = 1000000;
    CHECK(refuse(&base, &c, "window"));
    c = base;
    c.win.time_col = -1;
    CHECK(refuse(&base, &c, "window time is event in the snapshot but processing"));
    /* a different key column of the same type, or other names, keep state */
    em_op *a = mk_agg(&base, 0, NULL);
    c = base;
    c.keys[0] = 2;
    em_op *b = mk_agg(&c, 0, NULL);
    em_buf buf;
    em_errbuf err;
    em_buf_init(&buf, 1 << 20);
    CHECK_EQ_INT(a->vt->snapshot(a, &buf), 0);
    CHECK_EQ_INT(b->vt->restore(b, buf.ptr, buf.len, &err), 0);
    em_buf_release(&buf);
    em_op_destroy(a);
    em_op_destroy(b);
    em_schema_destroy(in);
}

/* ---- generic damage and refusal for the other kinds ---- */

static void damage_case(const script *sc, mk_fn mk, const void *cfg, uint32_t after)
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

static int refuse_case(const script *sc, mk_fn mk, const void *from, const void *to,
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
    if (!ok)
        printf("    restore gave %d: %s\n", rc, err.msg);
    em_buf_release(&buf);
    em_op_destroy(a);
    em_op_destroy(b);
    em_op_destroy(&s->op);
    em_arena_release(&r.arena);
    return ok;
}

/* ---- stream-table join ---- */

typedef struct tj_cfg {
    const em_schema *stream, *table;
    int left;
} tj_cfg;

static em_op *mk_tj(const void *cfgp, uint32_t parts, em_pool *pool)
{
    const tj_cfg *c = cfgp;
    em_op *op = NULL;
    em_errbuf err;
    (void)parts, (void)pool;
    if (em_table_join_create(&op, "tj", c->stream, 0, c->table, 0, c->left, &err))
        printf("    create: %s\n", err.msg);
    return op;
}

static void key_val(trow *r, int text, int64_t k)
{
    r->i[0] = k;
    snprintf(r->s[0], sizeof r->s[0], "%s%lld", k % 3 ? "dev-" : "long-device-name-",
             (long long)(k % 1000));
    (void)text;
}

/* port 1: table (id, name TEXT, w DOUBLE) upserts and deletes; port 0:
 * stream (k, v BIGINT) */
static void tj_script(script *sc, const em_schema *st, const em_schema *tb, unsigned seed,
                      uint32_t nb)
{
    srand(seed);
    memset(sc, 0, sizeof *sc);
    sc->schema[0] = st;
    sc->schema[1] = tb;
    sc->first_port = 1;
    sc->nb = nb;
    sc->b = calloc(nb, sizeof *sc->b);
    for (uint32_t i = 0; i < nb; i++) {
        mbatch *mb = &sc->b[i];
        uint32_t nt = (uint32_t)rand() % 30, ns = (uint32_t)rand() % 60;
        for (uint32_t j = 0; j < nt; j++) {
            trow *r = add_row(mb, 1);
            key_val(r, 0, rand() % 25);
            r->null[0] = rand() % 40 == 0;
            snprintf(r->s[1], sizeof r->s[1], "%s", words[rand() % 6]);
            r->null[1] = rand() % 4 == 0;
            r->d[2] = rand() % 100 / 4.0;
            r->null[2] = rand() % 4 == 0;
        }
        for (uint32_t j = 0; j < ns; j++) {
            trow *r = add_row(mb, 0);
            key_val(r, 0, rand() % 30);
            r->null[0] = rand() % 20 == 0;
            r->i[1] = rand() % 1000;
        }
        mb->lt = 1000000 * (int64_t)(i + 1);
        mb->wm = EM_TS_MIN;
    }
}

static void tj_case(em_type kt, int left, unsigned seed)
{
    const char *sn[] = {"k", "v"}, *tn[] = {"id", "name", "w"};
    em_type stt[] = {kt, EM_TYPE_BIGINT}, ttt[] = {kt, EM_TYPE_TEXT, EM_TYPE_DOUBLE};
    em_schema *st = em_schema_create(2, sn, stt), *tb = em_schema_create(3, tn, ttt);
    tj_cfg c = {st, tb, left};
    script sc;
    tj_script(&sc, st, tb, seed, 12);
    check_script(&sc, mk_tj, &c, plain, 1, NULL);
    damage_case(&sc, mk_tj, &c, 6);
    em_type t2[] = {kt, EM_TYPE_TEXT, EM_TYPE_BIGINT};
    em_schema *tb2 = em_schema_create(3, tn, t2);
    tj_cfg c2 = {st, tb2, left};
    CHECK(refuse_case(&sc, mk_tj, &c, &c2,
                      "table column 3 type is DOUBLE in the snapshot but BIGINT"));
    script_free(&sc);
    em_schema_destroy(st);
    em_schema_destroy(tb);
    em_schema_destroy(tb2);
}

TEST(table_join_upserts_and_deletes)
{
    tj_case(EM_TYPE_BIGINT, 0, 61);
    tj_case(EM_TYPE_BIGINT, 1, 62);
    tj_case(EM_TYPE_TEXT, 1, 63);
}

/* ---- interval join ---- */

typedef struct ij_cfg {
    const em_schema *l, *r;
    int64_t lower, upper;
    int outer;
} ij_cfg;

static em_op *mk_ij(const void *cfgp, uint32_t parts, em_pool *pool)
{
    const ij_cfg *c = cfgp;
    em_op *op = NULL;
    em_errbuf err;
    (void)parts, (void)pool;
    if (em_interval_join_create(&op, "ij", c->l, 0, 1, c->r, 0, 1, c->lower, c->upper, c->outer,
                                &err))
        printf("    create: %s\n", err.msg);
    return op;
}

/* left (k, ts, x BIGINT), right (k, ts, s TEXT): times jitter around a
 * clock, the watermark trails the newest time by 1.5 s */
static void ij_script(script *sc, const em_schema *l, const em_schema *r, unsigned seed,
                      uint32_t nb, int text_key)
{
    srand(seed);
    memset(sc, 0, sizeof *sc);
    sc->schema[0] = l;
    sc->schema[1] = r;
    sc->nb = nb + 1;
    sc->b = calloc(sc->nb, sizeof *sc->b);
    int64_t clock = 5000000, maxts = EM_TS_MIN;
    for (uint32_t i = 0; i < nb; i++) {
        mbatch *mb = &sc->b[i];
        uint32_t n = (uint32_t)rand() % 80;
        for (uint32_t j = 0; j < n; j++) {
            trow *t = add_row(mb, rand() % 2);
            key_val(t, text_key, rand() % 12);
            t->null[0] = rand() % 30 == 0;
            t->i[1] = clock + (rand() % 3000 - 2000) * 1000;
            t->null[1] = rand() % 40 == 0;
            t->i[2] = rand() % 100;
            snprintf(t->s[2], sizeof t->s[2], "%s", words[rand() % 6]);
            t->null[2] = rand() % 10 == 0;
            if (!t->null[1] && t->i[1] > maxts)
                maxts = t->i[1];
        }
        clock += 1000000;
        mb->lt = clock;
        mb->wm = maxts == EM_TS_MIN ? EM_TS_MIN : maxts - 1500000;
    }
    sc->b[nb].wm = EM_TS_MAX;
    sc->b[nb].lt = clock + 1000000;
}

static void ij_case(int outer, em_type kt, unsigned seed)
{
    const char *ln[] = {"k", "ts", "x"}, *rn[] = {"rk", "rts", "s"};
    em_type lt[] = {kt, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT},
            rt[] = {kt, EM_TYPE_TIMESTAMP, EM_TYPE_TEXT};
    em_schema *l = em_schema_create(3, ln, lt), *r = em_schema_create(3, rn, rt);
    ij_cfg c = {l, r, -2000000, 3000000, outer};
    script sc;
    ij_script(&sc, l, r, seed, 14, kt == EM_TYPE_TEXT);
    check_script(&sc, mk_ij, &c, plain, 1, NULL);
    damage_case(&sc, mk_ij, &c, 5);
    ij_cfg c2 = c;
    c2.upper = 4000000;
    CHECK(refuse_case(&sc, mk_ij, &c, &c2, "upper bound (us) is 3000000 in the snapshot but 4000000"));
    script_free(&sc);
    em_schema_destroy(l);
    em_schema_destroy(r);
}

TEST(interval_join_inner_and_left_outer)
{
    ij_case(0, EM_TYPE_BIGINT, 71);
    ij_case(1, EM_TYPE_BIGINT, 72);
    ij_case(1, EM_TYPE_TEXT, 73);
}

/* ---- silence detector ---- */

typedef struct si_cfg {
    const em_schema *in;
    int time_col;
    int64_t timeout;
} si_cfg;

static em_op *mk_si(const void *cfgp, uint32_t parts, em_pool *pool)
{
    const si_cfg *c = cfgp;
    em_op *op = NULL;
    em_errbuf err;
    (void)parts, (void)pool;
    if (em_silence_create(&op, "si", c->in, 0, c->time_col, c->timeout, &err))
        printf("    create: %s\n", err.msg);
    return op;
}

static void si_case(int event_time, em_type kt, unsigned seed)
{
    const char *n[] = {"k", "ts", "x"};
    em_type t[] = {kt, EM_TYPE_TIMESTAMP, EM_TYPE_BIGINT};
    em_schema *in = em_schema_create(3, n, t);
    si_cfg c = {in, event_time ? 1 : -1, 2500000};
    script sc;
    /* keys talk in bursts: a third of them in each span of 4 micro-batches */
    ij_script(&sc, in, NULL, seed, 24, kt == EM_TYPE_TEXT);
    for (uint32_t i = 0; i < sc.nb; i++) {
        uint32_t m = 0;
        for (uint32_t j = 0; j < sc.b[i].n; j++) {
            trow *r = &sc.b[i].rows[j];
            if ((r->i[0] + i / 4) % 3 || rand() % 3 == 0)
                continue;
            r->port = 0;
            sc.b[i].rows[m++] = *r;
        }
        sc.b[i].n = m;
    }
    check_script(&sc, mk_si, &c, plain, 1, NULL);
    damage_case(&sc, mk_si, &c, 8);
    si_cfg c2 = c;
    c2.timeout = 1000000;
    CHECK(refuse_case(&sc, mk_si, &c, &c2, "timeout (us) is 2500000 in the snapshot but 1000000"));
    script_free(&sc);
    em_schema_destroy(in);
}

TEST(silence_with_timers)
{
    si_case(1, EM_TYPE_BIGINT, 81);
    si_case(1, EM_TYPE_TEXT, 82);
    si_case(0, EM_TYPE_BIGINT, 83);
}

int main(void)
{
    RUN(aggregate_tumble_all_kinds);
    RUN(aggregate_hop_all_kinds);
    RUN(aggregate_session_all_kinds);
    RUN(aggregate_running_all_kinds);
    RUN(partitioned_across_partition_counts);
    RUN(aggregate_damaged_snapshots);
    RUN(aggregate_refuses_other_configuration);
    RUN(table_join_upserts_and_deletes);
    RUN(interval_join_inner_and_left_outer);
    RUN(silence_with_timers);
    return t_done();
}
