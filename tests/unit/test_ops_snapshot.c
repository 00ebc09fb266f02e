/*
 * Unit tests for the operators' state snapshots (snapshot/restore of
 * ops/op.h): for every stateful operator kind, random micro-batches (out of
 * order, late and duplicate times, NULLs) run once uninterrupted and once
 * with the operator snapshotted, destroyed, re-created and restored at
 * every micro-batch boundary; the two outputs must be the same multiset.
 * Also: truncated and bit-flipped snapshots never crash or leak, a
 * differently configured operator refuses the state with a message naming
 * the difference, and partitioned state moves between partition counts.
 * This file: aggregates (every window kind and aggregate kind) and the
 * partitioned wrapper; test_ops_snapshot_joins.c: joins and silence.
 */
#include "ops/agg.h"
#include "ops/partition.h"
#include "snap_harness.h"

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
    if (!parts) return inner[0];
    if (em_partitioned_create(&op, "agg", inner, n, c->keys, c->nkeys, pool, &err)) return NULL;
    return op;
}

static const em_agg_spec all_aggs[] = {
    {EM_AGG_COUNT_STAR, -1, "n"},
    {EM_AGG_COUNT, 2, "cx"},
    {EM_AGG_SUM, 2, "sx"},
    {EM_AGG_SUM, 3, "sd"},
    {EM_AGG_AVG, 3, "ad"},
    {EM_AGG_MIN, 2, "mnx"},
    {EM_AGG_MAX, 3, "mxd"},
    {EM_AGG_MIN, 1, "mnts"},
    {EM_AGG_VAR_SAMP, 3, "vs"},
    {EM_AGG_VAR_POP, 2, "vp"},
    {EM_AGG_STDDEV_SAMP, 2, "ss"},
    {EM_AGG_STDDEV_POP, 3, "sp"},
    {EM_AGG_FIRST, 2, "fx"},
    {EM_AGG_LAST, 3, "ld"},
    {EM_AGG_FIRST, 4, "fs"},
    {EM_AGG_LAST, 4, "ls"},
    {EM_AGG_COUNT_DISTINCT, 2, "dx"},
    {EM_AGG_COUNT_DISTINCT, 4, "ds"},
    {EM_AGG_COUNT_DISTINCT, 3, "dd"},
    {EM_AGG_MIN, 4, "mns"},
    {EM_AGG_MAX, 4, "mxs"},
    {EM_AGG_MAX, 5, "mxb"},
};
#define NALL (uint32_t)(sizeof all_aggs / sizeof all_aggs[0])

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
            if (!r->null[1] && r->i[1] > maxts) maxts = r->i[1];
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
    if (wk == EM_WIN_TUMBLE) c.win.size_us = 3000000;
    if (wk == EM_WIN_HOP) c.win.size_us = 4000000, c.win.slide_us = 1000000;
    if (wk == EM_WIN_SESSION) c.win.gap_us = 1500000;
    script sc;
    agg_script(&sc, in, seed, 14, 300, 40);
    check_script(&sc, mk_agg, &c, parts, nparts, pool);
    script_free(&sc);
    em_pool_destroy(pool);
    em_schema_destroy(in);
}

TEST(aggregate_tumble_all_kinds)
{
    agg_case(1, 0, 0, EM_WIN_TUMBLE, 1, plain, 1, 1);
    agg_case(1, 4, 0, EM_WIN_TUMBLE, 1, plain, 1, 2); /* TEXT key */
    agg_case(2, 0, 4, EM_WIN_TUMBLE, 1, plain, 1, 3); /* two keys */
    agg_case(0, 0, 0, EM_WIN_TUMBLE, 1, plain, 1, 4); /* no key */
    agg_case(1, 0, 0, EM_WIN_TUMBLE, 0, plain, 1, 5); /* processing time */
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

static void damage_agg(em_win_kind wk, uint32_t nkeys, int k0, uint32_t parts, unsigned seed)
{
    em_schema *in = agg_in();
    em_pool *pool = em_pool_create(2);
    agg_cfg c = {in, nkeys, {k0, 4}, NALL, all_aggs, {wk, 1, 3000000, 1000000, 1500000}};
    if (wk == EM_WIN_TUMBLE) c.win.slide_us = 0;
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
    if (!ok) printf("    restore gave %d: %s\n", rc, err.msg);
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

int main(void)
{
    RUN(aggregate_tumble_all_kinds);
    RUN(aggregate_hop_all_kinds);
    RUN(aggregate_session_all_kinds);
    RUN(aggregate_running_all_kinds);
    RUN(partitioned_across_partition_counts);
    RUN(aggregate_damaged_snapshots);
    RUN(aggregate_refuses_other_configuration);
    return t_done();
}
