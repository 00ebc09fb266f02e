/*
 * Unit tests for the aggregate operator's group keys and panes
 * (src/ops/agg_keys.c, agg_state.c): every key kind (TEXT, BIGINT with
 * NULLs, DOUBLE, several columns) and thousands of keys in sparse and dense
 * panes, against brute-force references.
 */
#include "agg_harness.h"

#include <math.h>

/* Cell text of a group key for comparisons. */
static void key_str(const cell *c, uint32_t nk, const int *types_text, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < nk && n < cap; i++) {
        int w = c[i].null ? snprintf(out + n, cap - n, "N|")
                : types_text[i] ? snprintf(out + n, cap - n, "'%s'|", c[i].s)
                                : snprintf(out + n, cap - n, "%.17g|", c[i].v);
        n += w > 0 ? (size_t)w : 0;
    }
}

typedef struct kgroup {
    char key[64];
    double n, sum;
    int sum_null;
} kgroup;

static kgroup *kfind(kgroup *g, int *ng, const char *key)
{
    for (int i = 0; i < *ng; i++)
        if (!strcmp(g[i].key, key))
            return &g[i];
    memset(&g[*ng], 0, sizeof g[*ng]);
    snprintf(g[*ng].key, sizeof g[*ng].key, "%s", key);
    g[*ng].sum_null = 1;
    return &g[(*ng)++];
}

/* Running count(*) and sum(x) grouped by TEXT, BIGINT (with NULLs),
 * DOUBLE and two-column keys, with thousands of keys: the last emitted row
 * of every group must equal a brute-force reference. */
TEST(key_kinds_match_reference)
{
    static const int key_sets[][2] = {{4, -1}, {2, -1}, {3, -1}, {0, 4}, {4, 2}};
    static const uint32_t nks[] = {1, 1, 1, 2, 2};
    em_agg_spec a[] = {{EM_AGG_COUNT_STAR, -1, "n"}, {EM_AGG_SUM, 2, "sx"}};
    for (int ks = 0; ks < 5; ks++) {
        harness h;
        int text[2];
        for (uint32_t i = 0; i < nks[ks]; i++)
            text[i] = key_sets[ks][i] == 4;
        CHECK_EQ_INT(h_init(&h, nks[ks], key_sets[ks], 2, a, NULL), 0);
        if (!h.op)
            return;
        srand(100 + (unsigned)ks);
        int nrows = 6000, nref = 0;
        kgroup *ref = calloc((size_t)nrows, sizeof *ref);
        char (*names)[16] = calloc((size_t)nrows, sizeof *names);
        irow *all = calloc((size_t)nrows, sizeof *all);
        for (int b = 0; b < 30; b++) {
            irow *r = &all[b * 200];
            for (int i = 0; i < 200; i++) {
                int v = rand() % 3000;
                memset(&r[i], 0, sizeof r[i]);
                snprintf(names[b * 200 + i], sizeof names[0], "key-%d", v % 1500);
                r[i].k = v % 7;
                r[i].x = v - 1500;
                r[i].xnull = rand() % 10 == 0;
                r[i].d = v % 11 == 0 ? -0.0 : v / 4.0;
                r[i].s = names[b * 200 + i];
                r[i].snull = rand() % 20 == 0;
            }
            CHECK_EQ_INT(h_push(&h, r, 200), 0);
            CHECK_EQ_INT(h_step(&h, b), 0);
        }
        for (int i = 0; i < nrows; i++) { /* reference */
            cell kc[2];
            char key[64];
            memset(kc, 0, sizeof kc);
            for (uint32_t j = 0; j < nks[ks]; j++) {
                int col = key_sets[ks][j];
                const irow *r = &all[i];
                kc[j].null = col == 4 ? r->snull : col == 2 ? r->xnull : 0;
                kc[j].v = col == 0 ? (double)r->k : col == 2 ? (double)r->x : r->d == 0 ? 0 : r->d;
                if (col == 4)
                    snprintf(kc[j].s, sizeof kc[j].s, "%s", r->s);
            }
            key_str(kc, nks[ks], text, key, sizeof key);
            kgroup *g = kfind(ref, &nref, key);
            g->n++;
            if (!all[i].xnull) {
                g->sum += (double)all[i].x;
                g->sum_null = 0;
            }
        }
        int ngot = 0, bad = 0;
        kgroup *got = calloc((size_t)nrows, sizeof *got);
        for (uint32_t i = 0; i < h.out->n; i++) { /* last emission per group */
            char key[64];
            const cell *c = h.out->rows[i].c;
            key_str(c, nks[ks], text, key, sizeof key);
            kgroup *g = kfind(got, &ngot, key);
            g->n = c[nks[ks]].v;
            g->sum = c[nks[ks] + 1].v;
            g->sum_null = c[nks[ks] + 1].null;
        }
        CHECK_EQ_INT(ngot, nref);
        CHECK(nref > 1000 || ks >= 2);
        for (int i = 0; i < nref && bad < 3; i++) {
            kgroup *g = kfind(got, &ngot, ref[i].key);
            if (g->n != ref[i].n || g->sum_null != ref[i].sum_null ||
                (!g->sum_null && g->sum != ref[i].sum)) {
                printf("    key set %d group %s: got n=%g sum=%g%s want n=%g sum=%g%s\n", ks,
                       ref[i].key, g->n, g->sum, g->sum_null ? " (NULL)" : "", ref[i].n,
                       ref[i].sum, ref[i].sum_null ? " (NULL)" : "");
                bad++;
                t_cur_failed++;
            }
        }
        CHECK_EQ_INT(h.op->stats.state_keys, nref);
        free(got);
        free(ref);
        free(names);
        free(all);
        h_done(&h);
    }
}

/* Many keys, few rows per (key, pane): sparse panes that grow, turn dense
 * mid-stream, and HOP merges of sparse and dense panes, against a
 * brute-force table of every (key, window). */
#define MK_KEYS 2000
#define MK_WINS 64
typedef struct mkref {
    int64_t n, cx, sum, mn;
    double mx;
} mkref;

static void many_keys_run(em_win_kind kind, int64_t size, int64_t slide)
{
    em_window_spec w = {.kind = kind, .time_col = 1, .size_us = size, .slide_us = slide};
    em_agg_spec a[] = {{EM_AGG_COUNT_STAR, -1, "n"}, {EM_AGG_SUM, 2, "sx"}, {EM_AGG_MIN, 2, "mn"},
                       {EM_AGG_MAX, 3, "mx"}, {EM_AGG_COUNT, 2, "cx"}};
    int keys[] = {0};
    harness h;
    CHECK_EQ_INT(h_init(&h, 1, keys, 5, a, &w), 0);
    if (!h.op)
        return;
    mkref *ref = calloc((size_t)MK_KEYS * MK_WINS, sizeof *ref);
    srand(77);
    int64_t t = 0;
    for (int b = 0; b < 100; b++) {
        irow r[200];
        int nb = b < 10 ? 20 : 200; /* few keys first: sparse panes, then growth */
        for (int i = 0; i < nb; i++) {
            memset(&r[i], 0, sizeof r[i]);
            r[i].k = b < 50 ? rand() % (b * 40 + 20) : rand() % MK_KEYS;
            r[i].ts = t + rand() % 20;
            r[i].x = rand() % 1000 - 500;
            r[i].xnull = rand() % 8 == 0;
            r[i].d = rand() % 100;
            for (int64_t ws = (r[i].ts / slide) * slide; ws > r[i].ts - size; ws -= slide) {
                mkref *m = &ref[r[i].k * MK_WINS + (ws + size) / slide];
                if (!m->n)
                    m->mx = -1, m->mn = INT64_MAX;
                m->n++;
                if (r[i].d > m->mx)
                    m->mx = r[i].d;
                if (!r[i].xnull) {
                    m->cx++;
                    m->sum += r[i].x;
                    if (r[i].x < m->mn)
                        m->mn = r[i].x;
                }
            }
            if (t < slide * (MK_WINS - size / slide - 2))
                t += 1;
        }
        CHECK_EQ_INT(h_push(&h, r, (uint32_t)nb), 0);
        CHECK_EQ_INT(h_step(&h, t - size - 40), 0);
    }
    CHECK_EQ_INT(h_step(&h, EM_TS_MAX), 0);
    CHECK_EQ_INT(h.op->stats.late_dropped, 0);
    uint32_t nref = 0, bad = 0;
    for (int i = 0; i < MK_KEYS * MK_WINS; i++)
        nref += ref[i].n > 0;
    CHECK_EQ_INT(h.out->n, nref);
    for (uint32_t i = 0; i < h.out->n && bad < 3; i++) {
        const cell *c = h.out->rows[i].c;
        int64_t k = (int64_t)c[0].v, ws = (int64_t)c[1].v;
        const mkref *m = k >= 0 && k < MK_KEYS && ws + size >= 0 && (ws + size) / slide < MK_WINS
                             ? &ref[k * MK_WINS + (ws + size) / slide] : NULL;
        if (!m || c[3].v != m->n || c[7].v != m->cx || c[6].v != m->mx ||
            c[4].null != (m->cx == 0) || c[5].null != (m->cx == 0) ||
            (m->cx && (c[4].v != m->sum || c[5].v != m->mn))) {
            printf("    k=%lld ws=%lld: got n=%g cx=%g sum=%g mn=%g mx=%g\n", (long long)k,
                   (long long)ws, c[3].v, c[7].v, c[4].v, c[5].v, c[6].v);
            bad++;
            t_cur_failed++;
        }
    }
    CHECK_EQ_INT(h.op->stats.state_keys, 0);
    free(ref);
    h_done(&h);
}

TEST(many_keys_sparse_and_dense_panes)
{
    many_keys_run(EM_WIN_TUMBLE, 100, 100);
    many_keys_run(EM_WIN_HOP, 200, 40);
}

int main(void)
{
    RUN(key_kinds_match_reference);
    RUN(many_keys_sparse_and_dense_panes);
    return t_done();
}
