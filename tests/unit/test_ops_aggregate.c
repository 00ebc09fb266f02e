/*
 * Unit tests for the hash aggregate operator (src/ops/aggregate.c and
 * agg_funcs.c): windowed output against a brute-force reference on random
 * out-of-order input, emission timing, late rows, running aggregates, every
 * aggregate function with NULLs, TEXT and ties.
 */
#include "agg_harness.h"

#include <math.h>
#include <stdlib.h>

/* ---- brute-force reference for windowed aggregates ---- */

static const em_agg_spec prop_aggs[] = {
    {EM_AGG_COUNT_STAR, -1, "n"},   {EM_AGG_COUNT, 2, "cx"},       {EM_AGG_SUM, 2, "sx"},
    {EM_AGG_AVG, 3, "ad"},          {EM_AGG_MIN, 2, "mnx"},        {EM_AGG_MAX, 3, "mxd"},
    {EM_AGG_VAR_SAMP, 3, "vs"},     {EM_AGG_STDDEV_POP, 2, "sp"},  {EM_AGG_FIRST, 2, "fx"},
    {EM_AGG_LAST, 2, "lx"},         {EM_AGG_COUNT_DISTINCT, 2, "dx"}, {EM_AGG_MIN, 4, "mns"},
};
#define NPA (sizeof prop_aggs / sizeof prop_aggs[0])

typedef struct rrow {
    irow r;
    int64_t wm_at_push; /* cx->watermark when pushed */
    int seq;
    int sid; /* reference session id, -1 = dropped (SESSION runs only) */
} rrow;

/* Reference result of window [w, w+size) for key k over rows included in it;
 * returns 0 if the window has no rows. */
static int ref_window(const rrow *rows, int n, int64_t k, int64_t w, int64_t size, int sid,
                      orow *o)
{
    int cnt = 0, cx = 0, cd = 0, dn = 0, fi = -1, li = -1, mns = -1;
    int64_t sx = 0, mnx = 0;
    double sd = 0, sd2 = 0, mxd = 0, sxx = 0, sxx2 = 0;
    int64_t distinct[4096];
    int nd = 0;
    for (int i = 0; i < n; i++) {
        const irow *r = &rows[i].r;
        if (sid >= 0 ? rows[i].sid != sid
                     : r->k != k || r->tsnull || r->ts < w || r->ts >= w + size ||
                           rows[i].wm_at_push >= w + size)
            continue;
        cnt++;
        if (!r->xnull) {
            if (cx == 0 || r->x < mnx)
                mnx = r->x;
            cx++;
            sx += r->x;
            sxx += (double)r->x;
            sxx2 += (double)r->x * (double)r->x;
            if (fi < 0 || r->ts < rows[fi].r.ts)
                fi = i;
            if (li < 0 || r->ts >= rows[li].r.ts)
                li = i;
            int seen = 0;
            for (int j = 0; j < nd; j++)
                seen |= distinct[j] == r->x;
            if (!seen)
                distinct[nd++] = r->x;
        }
        if (!r->dnull) {
            if (cd == 0 || r->d > mxd)
                mxd = r->d;
            cd++;
            sd += r->d;
            sd2 += r->d * r->d;
        }
        if (!r->snull && (mns < 0 || strcmp(r->s, rows[mns].r.s) < 0))
            mns = i;
        dn++;
    }
    if (!cnt)
        return 0;
    memset(o, 0, sizeof *o);
    o->c[0].v = (double)k;
    o->c[1].v = (double)w;
    o->c[2].v = (double)(w + size);
    cell *c = &o->c[3];
    c[0].v = cnt;
    c[1].v = cx;
    c[2].null = cx == 0, c[2].v = (double)sx;
    c[3].null = cd == 0, c[3].v = cd ? sd / cd : 0;
    c[4].null = cx == 0, c[4].v = (double)mnx;
    c[5].null = cd == 0, c[5].v = mxd;
    c[6].null = cd < 2, c[6].v = cd < 2 ? 0 : (sd2 - sd * sd / cd) / (cd - 1);
    c[7].null = cx == 0, c[7].v = cx ? sqrt(fmax(0, (sxx2 - sxx * sxx / cx) / cx)) : 0;
    c[8].null = fi < 0, c[8].v = fi < 0 ? 0 : (double)rows[fi].r.x;
    c[9].null = li < 0, c[9].v = li < 0 ? 0 : (double)rows[li].r.x;
    c[10].v = nd;
    c[11].null = mns < 0;
    if (mns >= 0)
        snprintf(c[11].s, sizeof c[11].s, "%s", rows[mns].r.s);
    return 1;
}

static int orow_cmp(const void *a, const void *b)
{
    const orow *x = a, *y = b;
    for (int j = 0; j < 3; j++)
        if (x->c[j].v != y->c[j].v)
            return x->c[j].v < y->c[j].v ? -1 : 1;
    return 0;
}

static int same_cell(const cell *a, const cell *b)
{
    if (a->null != b->null)
        return 0;
    if (a->null)
        return 1;
    if (strcmp(a->s, b->s))
        return 0;
    return fabs(a->v - b->v) <= 1e-6 * (1 + fabs(a->v));
}

static const char *const strs[] = {"pear", "apple", "fig", "kiwi", "apple2", ""};

/* Naive session reference: sessions as row labels, merged by relabelling. */
typedef struct rsess {
    int64_t k, start, last;
    int open, used;
} rsess;

static void ref_sess_add(rrow *all, int i, rsess *ss, int *nss, int64_t gap)
{
    const irow *r = &all[i].r;
    if (r->ts + gap <= all[i].wm_at_push) {
        all[i].sid = -1;
        return;
    }
    int hit = -1;
    for (int j = 0; j < *nss; j++) {
        if (!ss[j].open || ss[j].k != r->k || !(r->ts > ss[j].start - gap && r->ts < ss[j].last + gap))
            continue;
        if (hit < 0) {
            hit = j;
            continue;
        }
        for (int m = 0; m < i; m++) /* merge j into hit */
            if (all[m].sid == j)
                all[m].sid = hit;
        if (ss[j].start < ss[hit].start)
            ss[hit].start = ss[j].start;
        if (ss[j].last > ss[hit].last)
            ss[hit].last = ss[j].last;
        ss[j].open = 0;
        ss[j].used = 0;
    }
    if (hit < 0) {
        hit = (*nss)++;
        ss[hit] = (rsess){.k = r->k, .start = r->ts, .last = r->ts, .open = 1, .used = 1};
    }
    if (r->ts < ss[hit].start)
        ss[hit].start = r->ts;
    if (r->ts > ss[hit].last)
        ss[hit].last = r->ts;
    all[i].sid = hit;
}

static void ref_sess_close(rsess *ss, int nss, int64_t wm, int64_t gap)
{
    for (int j = 0; j < nss; j++)
        if (ss[j].open && ss[j].last + gap <= wm)
            ss[j].open = 0;
}

/* Random micro-batches with out-of-order, late and duplicate timestamps;
 * compares every emitted window with the reference. */
static void prop_run(em_win_kind kind, uint32_t seed, int64_t size, int64_t slide)
{
    em_window_spec w = {.kind = kind, .time_col = 1, .size_us = size, .slide_us = slide,
                        .gap_us = size};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, NPA, prop_aggs, &w), 0);
    if (!h.op)
        return;
    srand(seed);
    int n = 0, nrows = 1500;
    rrow *all = calloc((size_t)nrows, sizeof *all);
    int64_t base = -20000, maxts = EM_TS_MIN;
    uint64_t late = 0;
    rsess *ss = calloc((size_t)nrows, sizeof *ss);
    int nss = 0;
    int64_t gap = size;
    while (n < nrows) {
        irow b[64];
        int bn = 1 + rand() % 40;
        if (bn > nrows - n)
            bn = nrows - n;
        for (int i = 0; i < bn; i++) {
            irow *r = &b[i];
            memset(r, 0, sizeof *r);
            r->k = rand() % 5;
            r->ts = base + rand() % 300 - 200; /* out of order, some late */
            if (rand() % 5 == 0 && n + i > 0)
                r->ts = all[rand() % (n > 0 ? n : 1)].r.ts; /* duplicate timestamp */
            r->x = rand() % 20 - 10;
            r->xnull = rand() % 6 == 0;
            r->d = (rand() % 1000) / 8.0;
            r->dnull = rand() % 7 == 0;
            r->s = strs[rand() % 6];
            r->snull = rand() % 5 == 0;
            all[n + i].r = *r;
            all[n + i].wm_at_push = h.cx.watermark;
            all[n + i].seq = n + i;
            int64_t ps = (r->ts >= 0 ? r->ts / slide : -((-r->ts + slide - 1) / slide)) * slide;
            if (kind == EM_WIN_SESSION) {
                ref_sess_add(all, n + i, ss, &nss, gap);
                late += all[n + i].sid < 0;
            } else if (ps + size <= h.cx.watermark) {
                late++;
            }
            if (r->ts > maxts)
                maxts = r->ts;
        }
        CHECK_EQ_INT(h_push(&h, b, (uint32_t)bn), 0);
        n += bn;
        base += rand() % 60;
        CHECK_EQ_INT(h_step(&h, maxts - 50), 0);
        ref_sess_close(ss, nss, h.cx.watermark, gap);
    }
    CHECK_EQ_INT(h_step(&h, EM_TS_MAX), 0);
    CHECK_EQ_INT(h.op->stats.late_dropped, late);
    CHECK_EQ_INT(h.op->stats.state_keys, 0);

    /* reference: every (key, window) touched by some row */
    orow *ref = calloc((size_t)nrows * (size_t)(size / slide) + 1, sizeof *ref);
    int nref = 0;
    for (int j = 0; kind == EM_WIN_SESSION && j < nss; j++)
        if (ss[j].used)
            nref += ref_window(all, n, ss[j].k, ss[j].start, ss[j].last + gap - ss[j].start, j,
                               &ref[nref]);
    for (int64_t k = 0; kind != EM_WIN_SESSION && k < 5; k++) {
        int64_t lo = -30000, hi = base + 1000;
        int64_t w0 = (lo / slide - 1) * slide;
        for (int64_t ws = w0; ws < hi; ws += slide)
            nref += ref_window(all, n, k, ws, size, -1, &ref[nref]);
    }
    qsort(ref, (size_t)nref, sizeof *ref, orow_cmp);
    qsort(h.out->rows, h.out->n, sizeof *h.out->rows, orow_cmp);
    CHECK_EQ_INT(h.out->n, nref);
    CHECK(nref > 50 && late > 0);
    int bad = 0;
    for (int i = 0; i < nref && i < (int)h.out->n && bad < 3; i++) {
        for (int j = 0; j < 3 + (int)NPA; j++) {
            if (!same_cell(&h.out->rows[i].c[j], &ref[i].c[j])) {
                printf("    seed %u row %d (k=%g ws=%g) col %d: got %s%g '%s' want %s%g '%s'\n",
                       seed, i, ref[i].c[0].v, ref[i].c[1].v, j,
                       h.out->rows[i].c[j].null ? "NULL " : "", h.out->rows[i].c[j].v,
                       h.out->rows[i].c[j].s, ref[i].c[j].null ? "NULL " : "", ref[i].c[j].v,
                       ref[i].c[j].s);
                bad++;
                t_cur_failed++;
            }
        }
    }
    free(ref);
    free(all);
    free(ss);
    h_done(&h);
}

TEST(tumble_matches_reference)
{
    for (uint32_t seed = 1; seed <= 5; seed++)
        prop_run(EM_WIN_TUMBLE, seed, 100, 100);
}

TEST(hop_matches_reference)
{
    for (uint32_t seed = 1; seed <= 5; seed++)
        prop_run(EM_WIN_HOP, seed, 120, 40);
    prop_run(EM_WIN_HOP, 9, 50, 50);
}

TEST(session_matches_reference)
{
    for (uint32_t seed = 1; seed <= 5; seed++)
        prop_run(EM_WIN_SESSION, seed, 15, 1);
    prop_run(EM_WIN_SESSION, 7, 40, 1);
}

TEST(emission_timing_and_late_rows)
{
    em_window_spec w = {.kind = EM_WIN_TUMBLE, .time_col = 1, .size_us = 10};
    em_agg_spec a[] = {{EM_AGG_COUNT_STAR, -1, "n"}};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, 1, a, &w), 0);
    irow r[] = {{.k = 1, .ts = 1}, {.k = 1, .ts = 5}, {.k = 1, .ts = 12}, {.k = 2, .ts = -3}};
    CHECK_EQ_INT(h_push(&h, r, 4), 0);
    CHECK_EQ_INT(h_step(&h, -1), 0);
    CHECK_EQ_INT(h.out->n, 0); /* nothing before the watermark passes window_end */
    CHECK_EQ_INT(h_step(&h, 9), 0);
    CHECK_EQ_INT(h.out->n, 1); /* [-10,0) for k=2 */
    CHECK_EQ_INT(h_step(&h, 10), 0);
    CHECK_EQ_INT(h.out->n, 2); /* [0,10) for k=1 */
    CHECK_EQ_INT(h_step(&h, 15), 0);
    CHECK_EQ_INT(h.out->n, 2); /* each window once */
    irow late[] = {{.k = 1, .ts = 3}, {.k = 1, .ts = 19}};
    CHECK_EQ_INT(h_push(&h, late, 2), 0);
    CHECK_EQ_INT(h.op->stats.late_dropped, 1);
    CHECK(h.op->stats.state_keys == 1 && h.op->stats.state_bytes > 0);
    CHECK_EQ_INT(h_step(&h, 20), 0);
    CHECK_EQ_INT(h.out->n, 3);
    qsort(h.out->rows, h.out->n, sizeof *h.out->rows, orow_cmp);
    /* k=1 [0,10) n=2; k=1 [10,20) n=2; k=2 [-10,0) n=1 */
    CHECK_EQ_INT(h.out->rows[0].c[1].v, 0);
    CHECK_EQ_INT(h.out->rows[0].c[2].v, 10);
    CHECK_EQ_INT(h.out->rows[0].c[3].v, 2);
    CHECK_EQ_INT(h.out->rows[0].batch, 3);
    CHECK_EQ_INT(h.out->rows[1].c[1].v, 10);
    CHECK_EQ_INT(h.out->rows[1].c[3].v, 2);
    CHECK_EQ_INT(h.out->rows[1].batch, 5);
    CHECK_EQ_INT(h.out->rows[2].batch, 2);
    CHECK_EQ_INT(h.out->rows[2].c[0].v, 2);
    CHECK_EQ_INT(h.out->rows[2].c[1].v, -10);
    CHECK_EQ_INT(h.out->rows[2].c[2].v, 0);
    CHECK_EQ_INT(h.op->stats.state_keys, 0);
    CHECK_EQ_INT(h_step(&h, EM_TS_MAX), 0);
    CHECK_EQ_INT(h.out->n, 3);
    h_done(&h);
}

TEST(negative_timestamps_floor)
{
    em_window_spec w = {.kind = EM_WIN_TUMBLE, .time_col = 1, .size_us = 10};
    em_agg_spec a[] = {{EM_AGG_COUNT_STAR, -1, "n"}};
    harness h;
    CHECK_EQ_INT(h_init(&h, 0, NULL, 1, a, &w), 0);
    irow r[] = {{.ts = -1}, {.ts = -10}, {.ts = -11}, {.ts = 0}};
    CHECK_EQ_INT(h_push(&h, r, 4), 0);
    CHECK_EQ_INT(h_step(&h, EM_TS_MAX), 0);
    CHECK_EQ_INT(h.out->n, 3);
    qsort(h.out->rows, h.out->n, sizeof *h.out->rows, orow_cmp);
    /* no key columns: column 0 is window_start */
    CHECK_EQ_INT(h.out->rows[0].c[0].v, -20);
    CHECK_EQ_INT(h.out->rows[0].c[2].v, 1);
    CHECK_EQ_INT(h.out->rows[1].c[0].v, -10);
    CHECK_EQ_INT(h.out->rows[1].c[2].v, 2);
    CHECK_EQ_INT(h.out->rows[2].c[0].v, 0);
    h_done(&h);
}

TEST(processing_time_windows)
{
    em_window_spec w = {.kind = EM_WIN_TUMBLE, .time_col = -1, .size_us = 100};
    em_agg_spec a[] = {{EM_AGG_COUNT_STAR, -1, "n"}};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, 1, a, &w), 0);
    irow r[] = {{.k = 1}, {.k = 1}};
    h.cx.logical_time = 150;
    CHECK_EQ_INT(h_push(&h, r, 2), 0);
    CHECK_EQ_INT(h_step(&h, EM_TS_MIN), 0);
    CHECK_EQ_INT(h.out->n, 0);
    h.cx.logical_time = 199;
    CHECK_EQ_INT(h_push(&h, r, 1), 0);
    CHECK_EQ_INT(h_step(&h, EM_TS_MIN), 0);
    CHECK_EQ_INT(h.out->n, 0);
    h.cx.logical_time = 200;
    CHECK_EQ_INT(h_step(&h, EM_TS_MIN), 0);
    CHECK_EQ_INT(h.out->n, 1);
    CHECK_EQ_INT(h.out->rows[0].c[1].v, 100);
    CHECK_EQ_INT(h.out->rows[0].c[3].v, 3);
    h_done(&h);
}

TEST(running_emits_changed_groups)
{
    em_agg_spec a[] = {{EM_AGG_COUNT_STAR, -1, "n"}, {EM_AGG_SUM, 2, "s"}};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, 2, a, NULL), 0);
    CHECK_EQ_INT(h.op->out_schema->nfields, 3);
    irow r1[] = {{.k = 1, .x = 5}, {.k = 2, .x = 7}, {.k = 1, .x = 1}};
    CHECK_EQ_INT(h_push(&h, r1, 3), 0);
    CHECK_EQ_INT(h_step(&h, 100), 0);
    CHECK_EQ_INT(h.out->n, 2);
    irow r2[] = {{.k = 2, .x = 3}};
    CHECK_EQ_INT(h_push(&h, r2, 1), 0);
    CHECK_EQ_INT(h_step(&h, 200), 0);
    CHECK_EQ_INT(h.out->n, 3);
    CHECK_EQ_INT(h.out->rows[2].c[0].v, 2);
    CHECK_EQ_INT(h.out->rows[2].c[1].v, 2);
    CHECK_EQ_INT(h.out->rows[2].c[2].v, 10);
    CHECK_EQ_INT(h_step(&h, 300), 0); /* nothing changed: nothing emitted */
    CHECK_EQ_INT(h.out->n, 3);
    CHECK_EQ_INT(h.op->stats.state_keys, 2);
    h_done(&h);
}

/* state_ttl: groups without a row for the TTL (processing time) are
 * evicted; memory follows the live groups (keys compacted); an evicted
 * group that comes back starts again from nothing. */
TEST(running_state_ttl_evicts_idle_groups)
{
    em_agg_spec a[] = {{EM_AGG_COUNT_STAR, -1, "n"}, {EM_AGG_SUM, 2, "s"}};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, 2, a, NULL), 0);
    h.cx.state_ttl_us = 5 * 1000000LL;
    static irow many[1000];
    for (int i = 0; i < 1000; i++)
        many[i] = (irow){.k = i, .x = 1};
    h.cx.logical_time = 0;
    CHECK_EQ_INT(h_push(&h, many, 1000), 0);
    CHECK_EQ_INT(h_step(&h, EM_TS_MIN + 1), 0);
    CHECK_EQ_INT(h.op->stats.state_keys, 1000);
    uint64_t full = h.op->stats.state_bytes;
    /* keys 0..9 keep reporting every second for 10 s */
    for (int sec = 1; sec <= 10; sec++) {
        h.cx.logical_time = sec * 1000000LL;
        CHECK_EQ_INT(h_push(&h, many, 10), 0);
        CHECK_EQ_INT(h_step(&h, EM_TS_MIN + 1), 0);
    }
    CHECK_EQ_INT(h.op->stats.state_keys, 10);
    CHECK_EQ_INT(h.op->stats.evicted, 990);
    CHECK(h.op->stats.state_bytes < full / 4);
    /* a live group kept its count; an evicted one starts from nothing */
    uint32_t before = h.out->n;
    irow back[] = {{.k = 500, .x = 7}, {.k = 3, .x = 1}};
    h.cx.logical_time = 11 * 1000000LL;
    CHECK_EQ_INT(h_push(&h, back, 2), 0);
    CHECK_EQ_INT(h_step(&h, EM_TS_MIN + 1), 0);
    CHECK_EQ_INT(h.out->n, before + 2);
    for (uint32_t i = before; i < h.out->n; i++) {
        const orow *o = &h.out->rows[i];
        if (o->c[0].v == 500) {
            CHECK_EQ_INT(o->c[1].v, 1);
            CHECK_EQ_INT(o->c[2].v, 7);
        } else {
            CHECK_EQ_INT(o->c[0].v, 3);
            CHECK_EQ_INT(o->c[1].v, 12);
        }
    }
    CHECK_EQ_INT(h.op->stats.state_keys, 11);
    h_done(&h);
}

/* SQL.md: "every group whose result changed is emitted" - a group whose
 * rows leave every result as it was is not re-emitted. */
TEST(running_emits_only_changed_results)
{
    em_agg_spec a[] = {{EM_AGG_MAX, 2, "mx"}, {EM_AGG_COUNT, 2, "cx"}, {EM_AGG_MIN, 4, "ms"}};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, 3, a, NULL), 0);
    irow r1[] = {{.k = 1, .x = 5, .s = "m"}, {.k = 2, .x = 7, .s = "q"}};
    CHECK_EQ_INT(h_push(&h, r1, 2), 0);
    CHECK_EQ_INT(h_step(&h, 100), 0);
    CHECK_EQ_INT(h.out->n, 2); /* new groups */
    /* k=1: a NULL x and a larger text change nothing; k=2: count changes */
    irow r2[] = {{.k = 1, .xnull = 1, .snull = 1, .s = ""}, {.k = 2, .x = 3, .s = "z"}};
    CHECK_EQ_INT(h_push(&h, r2, 2), 0);
    CHECK_EQ_INT(h_step(&h, 200), 0);
    CHECK_EQ_INT(h.out->n, 3);
    CHECK_EQ_INT(h.out->rows[2].c[0].v, 2);
    CHECK_EQ_INT(h.out->rows[2].c[1].v, 7);
    CHECK_EQ_INT(h.out->rows[2].c[2].v, 2);
    CHECK_EQ_STR(h.out->rows[2].c[3].s, "q");
    /* k=1 gets a new text minimum: emitted, with the unchanged max/count */
    irow r3[] = {{.k = 1, .xnull = 1, .s = "a"}};
    CHECK_EQ_INT(h_push(&h, r3, 1), 0);
    CHECK_EQ_INT(h_step(&h, 300), 0);
    CHECK_EQ_INT(h.out->n, 4);
    CHECK_EQ_INT(h.out->rows[3].c[0].v, 1);
    CHECK_EQ_STR(h.out->rows[3].c[3].s, "a");
    CHECK_EQ_INT(h.out->rows[3].c[2].v, 1);
    irow r4[] = {{.k = 1, .x = 1, .snull = 1}};
    CHECK_EQ_INT(h_push(&h, r4, 1), 0);
    irow r5[] = {{.k = 2, .x = 6, .s = "zz"}};
    CHECK_EQ_INT(h_push(&h, r5, 1), 0);
    CHECK_EQ_INT(h_step(&h, 400), 0);
    CHECK_EQ_INT(h.out->n, 6); /* both counts changed */
    irow r6[] = {{.k = 1, .x = 2, .snull = 1}};
    CHECK_EQ_INT(h_push(&h, r6, 1), 0); /* count changes, max stays */
    CHECK_EQ_INT(h_step(&h, 500), 0);
    CHECK_EQ_INT(h.out->n, 7);
    CHECK_EQ_INT(h.out->rows[6].c[0].v, 1);
    CHECK_EQ_INT(h.out->rows[6].c[1].v, 5);
    CHECK_EQ_INT(h.out->rows[6].c[2].v, 3);
    h_done(&h);
}

TEST(every_aggregate_nulls_text_ties)
{
    em_agg_spec a[] = {
        {EM_AGG_COUNT_STAR, -1, "n"},     {EM_AGG_COUNT, 2, "cx"},        {EM_AGG_SUM, 2, "sx"},
        {EM_AGG_SUM, 3, "sd"},            {EM_AGG_AVG, 2, "ax"},          {EM_AGG_MIN, 4, "mns"},
        {EM_AGG_MAX, 4, "mxs"},           {EM_AGG_STDDEV_SAMP, 3, "ss"},  {EM_AGG_STDDEV_POP, 3, "sp"},
        {EM_AGG_VAR_SAMP, 3, "vs"},       {EM_AGG_VAR_POP, 3, "vp"},      {EM_AGG_FIRST, 4, "fs"},
        {EM_AGG_LAST, 4, "ls"},           {EM_AGG_COUNT_DISTINCT, 4, "ds"}, {EM_AGG_MAX, 3, "mxd"},
    };
    em_window_spec w = {.kind = EM_WIN_TUMBLE, .time_col = 1, .size_us = 1000};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, 15, a, &w), 0);
    CHECK_EQ_INT(h.op->out_schema->fields[5].type, EM_TYPE_BIGINT);
    CHECK_EQ_INT(h.op->out_schema->fields[6].type, EM_TYPE_DOUBLE);
    CHECK_EQ_INT(h.op->out_schema->fields[8].type, EM_TYPE_TEXT);
    /* key 1: values; key 2: every argument NULL */
    irow r[] = {
        {.k = 1, .ts = 20, .x = 4, .d = 2, .s = "b"},
        {.k = 1, .ts = 10, .x = 6, .d = 4, .s = "tie-first"},
        {.k = 1, .ts = 10, .xnull = 1, .d = 4, .s = "tie-second"},
        {.k = 1, .ts = 30, .x = 2, .dnull = 1, .s = "last-a"},
        {.k = 1, .ts = 30, .x = 2, .d = 10, .s = "last-b"},
        {.k = 1, .ts = 25, .x = 2, .d = 0, .snull = 1, .s = "x"},
        {.k = 2, .ts = 5, .xnull = 1, .dnull = 1, .snull = 1, .s = ""},
    };
    CHECK_EQ_INT(h_push(&h, r, 7), 0);
    CHECK_EQ_INT(h_step(&h, EM_TS_MAX), 0);
    CHECK_EQ_INT(h.out->n, 2);
    qsort(h.out->rows, h.out->n, sizeof *h.out->rows, orow_cmp);
    const cell *c = &h.out->rows[0].c[3];
    CHECK_EQ_INT(c[0].v, 6);
    CHECK_EQ_INT(c[1].v, 5);
    CHECK_EQ_INT(c[2].v, 16);
    CHECK_EQ_DBL(c[3].v, 20, 1e-12);
    CHECK_EQ_DBL(c[4].v, 3.2, 1e-12);
    CHECK_EQ_STR(c[5].s, "b");
    CHECK_EQ_STR(c[6].s, "tie-second");
    /* d = 2,4,4,10,0: mean 4, squared deviations 4+0+0+36+16 = 56 */
    CHECK_EQ_DBL(c[7].v, sqrt(56.0 / 4), 1e-9);
    CHECK_EQ_DBL(c[8].v, sqrt(56.0 / 5), 1e-9);
    CHECK_EQ_DBL(c[9].v, 14, 1e-9);
    CHECK_EQ_DBL(c[10].v, 11.2, 1e-9);
    CHECK_EQ_STR(c[11].s, "tie-first");
    CHECK_EQ_STR(c[12].s, "last-b");
    CHECK_EQ_INT(c[13].v, 5);
    CHECK_EQ_DBL(c[14].v, 10, 0);
    const cell *z = &h.out->rows[1].c[3];
    CHECK_EQ_INT(z[0].v, 1);
    CHECK_EQ_INT(z[1].v, 0);
    CHECK_EQ_INT(z[13].v, 0);
    for (int j = 2; j <= 12; j++)
        CHECK(z[j].null);
    CHECK(z[14].null);
    CHECK(!c[7].null && !c[13].null);
    h_done(&h);
}

TEST(create_rejects_bad_config)
{
    em_schema *s = in_schema();
    em_errbuf err;
    em_op *op = NULL;
    int keys[] = {7};
    em_agg_spec ok[] = {{EM_AGG_COUNT_STAR, -1, "n"}};
    em_agg_spec bad[] = {{EM_AGG_SUM, 4, "s"}}; /* sum of TEXT */
    em_window_spec hop = {.kind = EM_WIN_HOP, .time_col = 1, .size_us = 100, .slide_us = 30};
    em_window_spec tcol = {.kind = EM_WIN_TUMBLE, .time_col = 2, .size_us = 100};
    em_window_spec ses = {.kind = EM_WIN_SESSION, .time_col = 1, .gap_us = 0};
    CHECK_EQ_INT(em_aggregate_create(&op, "a", s, 1, keys, 1, ok, NULL, &err), EM_EINVAL);
    CHECK_EQ_INT(em_aggregate_create(&op, "a", s, 0, NULL, 1, bad, NULL, &err), EM_EINVAL);
    CHECK_EQ_INT(em_aggregate_create(&op, "a", s, 0, NULL, 1, ok, &hop, &err), EM_EINVAL);
    CHECK_EQ_INT(em_aggregate_create(&op, "a", s, 0, NULL, 1, ok, &tcol, &err), EM_EINVAL);
    CHECK_EQ_INT(em_aggregate_create(&op, "a", s, 0, NULL, 1, ok, &ses, &err), EM_EINVAL);
    CHECK(op == NULL);
    em_schema_destroy(s);
}

int main(void)
{
    RUN(tumble_matches_reference);
    RUN(hop_matches_reference);
    RUN(session_matches_reference);
    RUN(emission_timing_and_late_rows);
    RUN(negative_timestamps_floor);
    RUN(processing_time_windows);
    RUN(running_emits_changed_groups);
    RUN(running_state_ttl_evicts_idle_groups);
    RUN(running_emits_only_changed_results);
    RUN(every_aggregate_nulls_text_ties);
    RUN(create_rejects_bad_config);
    return t_done();
}
