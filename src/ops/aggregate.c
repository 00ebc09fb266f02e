/*
 * ops/aggregate.c - the hash aggregate operator: running (per key) or over
 * TUMBLE / HOP windows in event or processing time. See ops/agg.h.
 *
 * Group keys are serialised (a tag byte per column, then the value) and
 * interned once per operator in an open-addressing table: key id. Every open
 * pane (a TUMBLE window, or a HOP pane of `slide` µs) maps key id -> slot in
 * its own small table, with the aggregate states of slot s at
 * st[s * naggs ...]. A row updates exactly one pane. A closing HOP window
 * merges its size/slide panes into a scratch pane; a pane is freed once no
 * open window needs it (pane_start + size <= watermark).
 *
 * SESSION windows live in window.c (per-key session lists).
 *
 * Rows are processed in two passes per batch: resolve (pane, slot) for every
 * row, then update each aggregate column by column, so no per-row malloc.
 */
#include "ops/agg.h"

#include "core/hash.h"
#include "ember/error.h"

#include <stdio.h>
#include <string.h>

typedef struct pane {
    int64_t start;
    uint32_t cap;       /* tab size, power of two */
    uint32_t n;         /* slots in use */
    uint32_t scap;      /* slot capacity */
    uint32_t *tab;      /* slot + 1, 0 = empty */
    uint32_t *slot_key; /* slot -> key id */
    em__agg_state *st;  /* scap * naggs */
    uint8_t *changed;   /* running mode: slot touched this micro-batch */
} pane;

typedef struct agg_op {
    em_op op;
    uint32_t nkeys, naggs;
    int *key_cols;
    em_type *key_types;
    em_agg_kind *kinds;
    int *args;
    em_type *arg_types;
    em_window_spec win;
    int64_t pane_us;

    /* interned keys */
    uint32_t nk, kcap, ktab_cap;
    uint64_t *ktab; /* hash high 32 bits << 32 | key id + 1; 0 = empty */
    uint64_t *khash;
    uint32_t *koff, *klen;
    char *kbuf;
    size_t kbuf_len, kbuf_cap;

    pane **panes; /* open panes sorted by start */
    uint32_t npanes, pcap;
    pane *merge;  /* HOP scratch pane */
    em__sessions *sess; /* SESSION windows */
    int64_t closed_wm;
    uint64_t seq;

    /* per-batch scratch */
    uint32_t scap;
    pane **row_pane;
    uint32_t *row_slot, *row_idx;
    em__agg_state **row_st;
    int64_t *row_ts;
    char *ks;
    size_t ks_cap;
    uint32_t *chg;
    uint32_t nchg, chg_cap;
} agg_op;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* start + size <= wm, without overflow. */
static int ends_by(int64_t start, int64_t size, int64_t wm)
{
    int64_t lim;
    if (__builtin_sub_overflow(wm, size, &lim))
        return 0;
    return start <= lim;
}

/* ---- panes ---- */

static void pane_free(agg_op *g, pane *p)
{
    if (!p)
        return;
    for (uint32_t s = 0; s < p->n; s++)
        for (uint32_t j = 0; j < g->naggs; j++)
            em__agg_free(g->kinds[j], g->arg_types[j], &p->st[(size_t)s * g->naggs + j]);
    em_free(p->tab);
    em_free(p->slot_key);
    em_free(p->st);
    em_free(p->changed);
    em_free(p);
}

/* Empties p, keeping its memory. */
static void pane_clear(agg_op *g, pane *p)
{
    for (uint32_t s = 0; s < p->n; s++)
        for (uint32_t j = 0; j < g->naggs; j++)
            em__agg_free(g->kinds[j], g->arg_types[j], &p->st[(size_t)s * g->naggs + j]);
    if (p->tab)
        memset(p->tab, 0, p->cap * sizeof *p->tab);
    p->n = 0;
}

/* Slot of key id k in p, created (zeroed states) if absent; UINT32_MAX on OOM. */
static uint32_t pane_slot(agg_op *g, pane *p, uint32_t k)
{
    if ((p->n + 1) * 4 > p->cap * 3) {
        uint32_t nc = p->cap ? p->cap * 2 : 16;
        uint32_t *nt = em_calloc(nc, sizeof *nt);
        if (!nt)
            return UINT32_MAX;
        for (uint32_t s = 0; s < p->n; s++) {
            uint32_t h = (uint32_t)g->khash[p->slot_key[s]] & (nc - 1);
            while (nt[h])
                h = (h + 1) & (nc - 1);
            nt[h] = s + 1;
        }
        em_free(p->tab);
        p->tab = nt;
        p->cap = nc;
    }
    uint32_t h = (uint32_t)g->khash[k] & (p->cap - 1);
    while (p->tab[h]) {
        if (p->slot_key[p->tab[h] - 1] == k)
            return p->tab[h] - 1;
        h = (h + 1) & (p->cap - 1);
    }
    if (p->n == p->scap) {
        uint32_t nc = p->scap ? p->scap * 2 : 8;
        uint32_t *sk = em_realloc(p->slot_key, (size_t)nc * sizeof *sk);
        if (!sk)
            return UINT32_MAX;
        p->slot_key = sk;
        em__agg_state *st = em_realloc(p->st, (size_t)nc * g->naggs * sizeof *st + 1);
        if (!st)
            return UINT32_MAX;
        p->st = st;
        if (g->win.kind == EM_WIN_NONE) {
            uint8_t *c = em_realloc(p->changed, nc);
            if (!c)
                return UINT32_MAX;
            p->changed = c;
        }
        p->scap = nc;
    }
    uint32_t s = p->n++;
    p->slot_key[s] = k;
    memset(&p->st[(size_t)s * g->naggs], 0, g->naggs * sizeof *p->st);
    if (p->changed)
        p->changed[s] = 0;
    p->tab[h] = s + 1;
    return s;
}

/* Open pane starting at start, created if absent; NULL on OOM. */
static pane *get_pane(agg_op *g, int64_t start)
{
    uint32_t lo = 0, hi = g->npanes;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (g->panes[mid]->start < start)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < g->npanes && g->panes[lo]->start == start)
        return g->panes[lo];
    if (g->npanes == g->pcap) {
        uint32_t nc = g->pcap ? g->pcap * 2 : 8;
        pane **np = em_realloc(g->panes, (size_t)nc * sizeof *np);
        if (!np)
            return NULL;
        g->panes = np;
        g->pcap = nc;
    }
    pane *p = em_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->start = start;
    memmove(&g->panes[lo + 1], &g->panes[lo], (g->npanes - lo) * sizeof *g->panes);
    g->panes[lo] = p;
    g->npanes++;
    return p;
}

/* ---- keys ---- */

/* Serialises row's key into g->ks; returns its length or -1 on OOM. */
static long key_bytes(agg_op *g, const em_batch *in, uint32_t row)
{
    size_t need = 0;
    for (uint32_t i = 0; i < g->nkeys; i++) {
        const em_column *c = &in->cols[g->key_cols[i]];
        need += 1 + (c->type == EM_TYPE_TEXT ? 4 + (size_t)(c->v.off[row + 1] - c->v.off[row]) : 8);
    }
    if (need >= g->ks_cap) { /* never NULL, even for zero key columns */
        char *n = em_realloc(g->ks, (need + 16) * 2);
        if (!n)
            return -1;
        g->ks = n;
        g->ks_cap = (need + 16) * 2;
    }
    char *w = g->ks;
    for (uint32_t i = 0; i < g->nkeys; i++) {
        const em_column *c = &in->cols[g->key_cols[i]];
        if (em_column_is_null(c, row)) {
            *w++ = 0;
            continue;
        }
        *w++ = 1;
        if (c->type == EM_TYPE_TEXT) {
            em_slice t = em_column_text(c, row);
            uint32_t n = (uint32_t)t.len;
            memcpy(w, &n, 4);
            memcpy(w + 4, t.ptr, n);
            w += 4 + n;
        } else if (c->type == EM_TYPE_BOOLEAN) {
            *w++ = (char)c->v.b[row];
        } else {
            int64_t v = c->v.i64[row];
            if (c->type == EM_TYPE_DOUBLE && c->v.f64[row] == 0)
                v = 0; /* -0.0 groups with 0.0 */
            memcpy(w, &v, 8);
            w += 8;
        }
    }
    return (long)(w - g->ks);
}

/* Key id of the key in g->ks[0..n), interned if new; UINT32_MAX on OOM. */
#define KEY_TAG UINT64_C(0xffffffff00000000)

static uint32_t intern(agg_op *g, size_t n)
{
    uint64_t h = em_hash_bytes(g->ks, n, EM_HASH_SEED);
    if ((g->nk + 1) * 4 > g->ktab_cap * 3) {
        uint32_t nc = g->ktab_cap ? g->ktab_cap * 2 : 64;
        uint64_t *nt = em_calloc(nc, sizeof *nt);
        if (!nt)
            return UINT32_MAX;
        for (uint32_t k = 0; k < g->nk; k++) {
            uint32_t j = (uint32_t)g->khash[k] & (nc - 1);
            while (nt[j])
                j = (j + 1) & (nc - 1);
            nt[j] = (g->khash[k] & KEY_TAG) | (k + 1);
        }
        em_free(g->ktab);
        g->ktab = nt;
        g->ktab_cap = nc;
    }
    uint32_t j = (uint32_t)h & (g->ktab_cap - 1);
    while (g->ktab[j]) {
        uint64_t e = g->ktab[j];
        uint32_t k = (uint32_t)e - 1;
        /* the tag avoids touching key bytes of other keys (cache misses) */
        if ((e & KEY_TAG) == (h & KEY_TAG) && g->klen[k] == n &&
            memcmp(g->kbuf + g->koff[k], g->ks, n) == 0)
            return k;
        j = (j + 1) & (g->ktab_cap - 1);
    }
    if (g->nk == g->kcap) {
        uint32_t nc = g->kcap ? g->kcap * 2 : 64;
        uint64_t *kh = em_realloc(g->khash, (size_t)nc * sizeof *kh);
        if (!kh)
            return UINT32_MAX;
        g->khash = kh;
        uint32_t *ko = em_realloc(g->koff, (size_t)nc * sizeof *ko);
        if (!ko)
            return UINT32_MAX;
        g->koff = ko;
        uint32_t *kl = em_realloc(g->klen, (size_t)nc * sizeof *kl);
        if (!kl)
            return UINT32_MAX;
        g->klen = kl;
        g->kcap = nc;
    }
    if (g->kbuf_len + n + 1 > g->kbuf_cap) {
        size_t nc = (g->kbuf_len + n + 1) * 2;
        char *nb = em_realloc(g->kbuf, nc);
        if (!nb)
            return UINT32_MAX;
        g->kbuf = nb;
        g->kbuf_cap = nc;
    }
    memcpy(g->kbuf + g->kbuf_len, g->ks, n);
    uint32_t k = g->nk++;
    g->khash[k] = h;
    g->koff[k] = (uint32_t)g->kbuf_len;
    g->klen[k] = (uint32_t)n;
    g->kbuf_len += n;
    g->ktab[j] = (h & KEY_TAG) | (k + 1);
    return k;
}

/* ---- emission ---- */

typedef struct emitter {
    em_batch_builder bb;
    int open;
} emitter;

static int emit_flush(agg_op *g, emitter *e, em_op_ctx *cx)
{
    if (!e->open)
        return 0;
    e->open = 0;
    em_batch *b = em_batch_builder_finish(&e->bb);
    return b ? em_op_emit(&g->op, b, cx) : EM_ENOMEM;
}

static int emit_row(agg_op *g, emitter *e, em_op_ctx *cx, uint32_t key, int64_t ws, int64_t we,
                    const em__agg_state *st)
{
    int rc;
    if (e->open && em_batch_builder_full(&e->bb) && (rc = emit_flush(g, e, cx)))
        return rc;
    if (!e->open) {
        if ((rc = em_batch_builder_init(&e->bb, g->op.out_schema, EM_BATCH_ROWS, cx->arena)))
            return rc;
        e->open = 1;
    }
    const char *r = g->kbuf + g->koff[key];
    uint32_t col = 0;
    for (uint32_t i = 0; i < g->nkeys; i++, col++) {
        if (!*r++) {
            if ((rc = em_batch_builder_set_null(&e->bb, col)))
                return rc;
            continue;
        }
        em_type t = g->key_types[i];
        if (t == EM_TYPE_TEXT) {
            uint32_t n;
            memcpy(&n, r, 4);
            if ((rc = em_batch_builder_set_text(&e->bb, col, r + 4, n)))
                return rc;
            r += 4 + n;
        } else if (t == EM_TYPE_BOOLEAN) {
            em_batch_builder_set_bool(&e->bb, col, *r++ != 0);
        } else {
            int64_t v;
            memcpy(&v, r, 8);
            r += 8;
            if (t == EM_TYPE_DOUBLE) {
                double d;
                memcpy(&d, &v, 8);
                em_batch_builder_set_f64(&e->bb, col, d);
            } else {
                em_batch_builder_set_i64(&e->bb, col, v);
            }
        }
    }
    if (g->win.kind != EM_WIN_NONE) {
        em_batch_builder_set_i64(&e->bb, col++, ws);
        em_batch_builder_set_i64(&e->bb, col++, we);
    }
    for (uint32_t j = 0; j < g->naggs; j++, col++)
        if ((rc = em__agg_result(g->kinds[j], g->arg_types[j], &st[j], &e->bb, col)))
            return rc;
    return em_batch_builder_end_row(&e->bb);
}

static void update_stats(agg_op *g)
{
    uint64_t keys = 0, bytes = (uint64_t)g->kcap * 20 + g->ktab_cap * 8 + g->kbuf_cap;
    if (g->sess)
        em__sessions_stats(g->sess, &keys, &bytes);
    for (uint32_t i = 0; i < g->npanes; i++) {
        const pane *p = g->panes[i];
        keys += p->n;
        bytes += sizeof *p + (uint64_t)p->cap * 4 +
                 (uint64_t)p->scap * (4 + g->naggs * sizeof(em__agg_state) + (p->changed != NULL));
        for (uint32_t j = 0; j < g->naggs; j++) {
            if (g->arg_types[j] != EM_TYPE_TEXT && g->kinds[j] != EM_AGG_COUNT_DISTINCT)
                continue; /* only these own heap memory */
            for (uint32_t s = 0; s < p->n; s++)
                bytes += em__agg_heap_bytes(g->kinds[j], g->arg_types[j],
                                                &p->st[(size_t)s * g->naggs + j]);
        }
    }
    g->op.stats.state_keys = keys;
    g->op.stats.state_bytes = bytes;
}

typedef struct sess_emit {
    agg_op *g;
    emitter *e;
    em_op_ctx *cx;
} sess_emit;

static int sess_emit_row(void *ud, uint32_t key, int64_t start, int64_t end,
                         const em__agg_state *st)
{
    sess_emit *se = ud;
    return emit_row(se->g, se->e, se->cx, key, start, end, st);
}

/* Emits and frees every window with window_end <= wm not emitted yet. */
static int close_windows(agg_op *g, int64_t wm, em_op_ctx *cx)
{
    emitter e = {.open = 0};
    int rc = 0;
    int64_t size = g->win.size_us, slide = g->pane_us;
    if (wm <= g->closed_wm)
        return 0;
    if (g->sess) {
        sess_emit se = {g, &e, cx};
        rc = em__sessions_close(g->sess, wm, sess_emit_row, &se);
        g->closed_wm = wm;
        int rc2 = emit_flush(g, &e, cx);
        update_stats(g);
        return rc ? rc : rc2;
    }
    if (g->win.kind == EM_WIN_HOP && g->npanes > 0) {
        int64_t w = g->panes[0]->start - size + slide;
        int64_t lo;
        /* windows ending <= closed_wm were emitted: start from the first
         * aligned w with w + size > closed_wm */
        if (g->closed_wm != EM_TS_MIN && !__builtin_sub_overflow(g->closed_wm, size, &lo)) {
            lo = (floor_div(lo, slide) + 1) * slide;
            if (lo > w)
                w = lo;
        }
        uint32_t idx = 0;
        while (ends_by(w, size, wm)) {
            while (idx < g->npanes && g->panes[idx]->start < w)
                idx++;
            if (idx == g->npanes)
                break;
            if (g->panes[idx]->start >= w + size) {
                w = g->panes[idx]->start - size + slide;
                continue;
            }
            pane *m = g->merge;
            for (uint32_t i = idx; i < g->npanes && g->panes[i]->start < w + size; i++) {
                pane *p = g->panes[i];
                for (uint32_t s = 0; s < p->n; s++) {
                    uint32_t ms = pane_slot(g, m, p->slot_key[s]);
                    if (ms == UINT32_MAX) {
                        rc = EM_ENOMEM;
                        goto fail;
                    }
                    for (uint32_t j = 0; j < g->naggs; j++)
                        if ((rc = em__agg_merge(g->kinds[j], g->arg_types[j],
                                                &m->st[(size_t)ms * g->naggs + j],
                                                &p->st[(size_t)s * g->naggs + j])))
                            goto fail;
                }
            }
            for (uint32_t s = 0; s < m->n; s++)
                if ((rc = emit_row(g, &e, cx, m->slot_key[s], w, w + size, &m->st[(size_t)s * g->naggs])))
                    goto fail;
            pane_clear(g, m);
            w += slide;
        }
    }
    /* free panes no open window needs; TUMBLE panes are windows: emit them */
    uint32_t nfree = 0;
    while (nfree < g->npanes && ends_by(g->panes[nfree]->start, size, wm)) {
        pane *p = g->panes[nfree];
        if (g->win.kind == EM_WIN_TUMBLE)
            for (uint32_t s = 0; s < p->n; s++)
                if ((rc = emit_row(g, &e, cx, p->slot_key[s], p->start,
                                   p->start + size, &p->st[(size_t)s * g->naggs])))
                    goto fail;
        pane_free(g, p);
        nfree++;
    }
    if (nfree) /* panes may still be NULL: memmove's arguments must not be */
        memmove(g->panes, g->panes + nfree, (g->npanes - nfree) * sizeof *g->panes);
    g->npanes -= nfree;
    g->closed_wm = wm;
    rc = emit_flush(g, &e, cx);
    update_stats(g);
    return rc;
fail:
    if (g->merge)
        pane_clear(g, g->merge);
    if (e.open)
        emit_flush(g, &e, cx);
    update_stats(g);
    return rc;
}

/* ---- vtable ---- */

static int agg_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    agg_op *g = (agg_op *)op;
    uint32_t n = em_batch_count(in);
    (void)port;
    if (n > g->scap) {
        em_free(g->row_pane);
        em_free(g->row_slot);
        em_free(g->row_ts);
        em_free(g->row_idx);
        em_free(g->row_st);
        g->row_idx = em_malloc((size_t)n * sizeof *g->row_idx);
        g->row_st = em_malloc((size_t)n * sizeof *g->row_st);
        g->row_pane = em_malloc((size_t)n * sizeof *g->row_pane);
        g->row_slot = em_malloc((size_t)n * sizeof *g->row_slot);
        g->row_ts = em_malloc((size_t)n * sizeof *g->row_ts);
        g->scap = n;
        if (!g->row_pane || !g->row_slot || !g->row_ts || !g->row_idx || !g->row_st) {
            g->scap = 0;
            return EM_ENOMEM;
        }
    }
    int windowed = g->win.kind != EM_WIN_NONE;
    int64_t closed = cx->watermark > g->closed_wm ? cx->watermark : g->closed_wm;
    const em_column *tc = g->win.time_col >= 0 ? &in->cols[g->win.time_col] : NULL;
    pane *last = NULL;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = em_batch_row(in, i);
        g->row_pane[i] = NULL;
        int64_t ts = cx->logical_time;
        if (tc) {
            if (em_column_is_null(tc, row)) {
                if (windowed)
                    continue; /* no window for a NULL time */
            } else {
                ts = tc->v.i64[row];
            }
        }
        g->row_ts[i] = ts;
        pane *p;
        if (g->sess) {
            int64_t end;
            if (__builtin_add_overflow(ts, g->win.gap_us, &end) || end <= closed) {
                op->stats.late_dropped++; /* the row's own session already closed */
                continue;
            }
            long kn = key_bytes(g, in, row);
            uint32_t k = kn < 0 ? UINT32_MAX : intern(g, (size_t)kn);
            em__agg_state *st = k == UINT32_MAX ? NULL : em__sessions_find(g->sess, k, ts);
            if (!st)
                return EM_ENOMEM;
            for (uint32_t j = 0; j < g->naggs; j++) {
                const em_column *c = g->args[j] >= 0 ? &in->cols[g->args[j]] : NULL;
                int rc = em__agg_update(g->kinds[j], &st[j], c, row, ts, g->seq + i);
                if (rc)
                    return rc;
            }
            continue;
        }
        if (windowed) {
            int64_t ps = floor_div(ts, g->pane_us) * g->pane_us;
            if (ends_by(ps, g->win.size_us, closed)) { /* every window of this row closed */
                op->stats.late_dropped++;
                continue;
            }
            p = last && last->start == ps ? last : get_pane(g, ps);
        } else {
            p = g->npanes ? g->panes[0] : get_pane(g, 0);
        }
        if (!p)
            return EM_ENOMEM;
        last = p;
        long kn = key_bytes(g, in, row);
        uint32_t k = kn < 0 ? UINT32_MAX : intern(g, (size_t)kn);
        uint32_t s = k == UINT32_MAX ? UINT32_MAX : pane_slot(g, p, k);
        if (s == UINT32_MAX)
            return EM_ENOMEM;
        g->row_pane[i] = p;
        g->row_slot[i] = s;
        if (!windowed && !p->changed[s]) {
            if (g->nchg == g->chg_cap) {
                uint32_t nc = g->chg_cap ? g->chg_cap * 2 : 64;
                uint32_t *c = em_realloc(g->chg, (size_t)nc * sizeof *c);
                if (!c)
                    return EM_ENOMEM;
                g->chg = c;
                g->chg_cap = nc;
            }
            p->changed[s] = 1;
            g->chg[g->nchg++] = s;
        }
    }
    /* pass 2: states are stable now (no more slot growth this batch) */
    for (uint32_t i = 0; i < n; i++) {
        pane *p = g->row_pane[i];
        g->row_idx[i] = em_batch_row(in, i);
        g->row_st[i] = p ? &p->st[(size_t)g->row_slot[i] * g->naggs] : NULL;
    }
    for (uint32_t j = 0; j < g->naggs; j++) {
        const em_column *c = g->args[j] >= 0 ? &in->cols[g->args[j]] : NULL;
        int rc = em__agg_update_rows(g->kinds[j], g->row_st, j, c, g->row_idx, n, g->row_ts,
                                     g->seq);
        if (rc)
            return rc;
    }
    g->seq += n;
    update_stats(g);
    return 0;
}

static int agg_advance(em_op *op, int64_t wm, em_op_ctx *cx)
{
    agg_op *g = (agg_op *)op;
    if (g->win.kind == EM_WIN_NONE || g->win.time_col < 0)
        return 0;
    return close_windows(g, wm, cx);
}

static int agg_end_batch(em_op *op, em_op_ctx *cx)
{
    agg_op *g = (agg_op *)op;
    if (g->win.kind != EM_WIN_NONE)
        return g->win.time_col < 0 ? close_windows(g, cx->logical_time, cx) : 0;
    if (!g->npanes)
        return 0;
    pane *p = g->panes[0];
    emitter e = {.open = 0};
    int rc = 0;
    for (uint32_t i = 0; i < g->nchg && !rc; i++) {
        uint32_t s = g->chg[i];
        p->changed[s] = 0;
        rc = emit_row(g, &e, cx, p->slot_key[s], 0, 0, &p->st[(size_t)s * g->naggs]);
    }
    for (uint32_t i = 0; i < g->nchg; i++)
        p->changed[g->chg[i]] = 0;
    g->nchg = 0;
    int rc2 = emit_flush(g, &e, cx);
    return rc ? rc : rc2;
}

static void agg_describe(const em_op *op, em_buf *out)
{
    const agg_op *g = (const agg_op *)op;
    static const char *const wn[] = {"running", "tumble", "hop", "session"};
    char line[160];
    int len = snprintf(line, sizeof line, "aggregate %s keys=%u aggs=%u window=%s state_keys=%llu",
                       op->id, g->nkeys, g->naggs, wn[g->win.kind],
                       (unsigned long long)op->stats.state_keys);
    if (len > 0)
        em_buf_append(out, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

static void agg_destroy(em_op *op)
{
    agg_op *g = (agg_op *)op;
    for (uint32_t i = 0; i < g->npanes; i++)
        pane_free(g, g->panes[i]);
    pane_free(g, g->merge);
    em__sessions_destroy(g->sess);
    em_free(g->panes);
    em_free(g->key_cols);
    em_free(g->key_types);
    em_free(g->kinds);
    em_free(g->args);
    em_free(g->arg_types);
    em_free(g->ktab);
    em_free(g->khash);
    em_free(g->koff);
    em_free(g->klen);
    em_free(g->kbuf);
    em_free(g->row_pane);
    em_free(g->row_slot);
    em_free(g->row_ts);
    em_free(g->row_idx);
    em_free(g->row_st);
    em_free(g->ks);
    em_free(g->chg);
    em_op_release(op);
    em_free(g);
}

static const em_op_vtable agg_vt = {
    .kind = "aggregate",
    .state_version = 0,
    .push = agg_push,
    .advance = agg_advance,
    .end_batch = agg_end_batch,
    .describe = agg_describe,
    .destroy = agg_destroy,
};

int em_aggregate_create(em_op **out, const char *id, const em_schema *in, uint32_t nkeys,
                        const int *key_cols, uint32_t naggs, const em_agg_spec *aggs,
                        const em_window_spec *win, em_errbuf *err)
{
    agg_op *g = NULL;
    em_schema *os = NULL;
    const char **names = NULL;
    em_type *types = NULL;
    int rc = EM_ENOMEM;
    em_window_spec w = win ? *win : (em_window_spec){.kind = EM_WIN_NONE, .time_col = -1};
    *out = NULL;
    if (w.kind == EM_WIN_SESSION && w.gap_us <= 0)
        return em_errf(err, EM_EINVAL, "aggregate: session gap must be positive (got %lld)",
                       (long long)w.gap_us);
    if (w.kind == EM_WIN_SESSION)
        w.size_us = w.slide_us = 1; /* unused; keeps the pane arithmetic defined */
    if (w.kind != EM_WIN_NONE) {
        if (w.size_us <= 0 || (w.kind == EM_WIN_HOP && (w.slide_us <= 0 || w.size_us % w.slide_us)))
            return em_errf(err, EM_EINVAL,
                           "aggregate: window size and slide must be positive, size a multiple "
                           "of slide (size %lld, slide %lld)",
                           (long long)w.size_us, (long long)w.slide_us);
        if (w.time_col >= (int)in->nfields || w.time_col < -1 ||
            (w.time_col >= 0 && in->fields[w.time_col].type != EM_TYPE_TIMESTAMP))
            return em_errf(err, EM_EINVAL, "aggregate: time column %d is not a TIMESTAMP column",
                           w.time_col);
    }
    uint32_t ncols = nkeys + (w.kind != EM_WIN_NONE ? 2 : 0) + naggs;
    g = em_calloc(1, sizeof *g);
    names = em_calloc(ncols + 1, sizeof *names);
    types = em_calloc(ncols + 1, sizeof *types);
    if (!g || !names || !types)
        goto fail;
    g->nkeys = nkeys;
    g->naggs = naggs;
    g->win = w;
    g->pane_us = w.kind == EM_WIN_HOP ? w.slide_us : w.size_us;
    g->closed_wm = EM_TS_MIN;
    g->key_cols = em_calloc(nkeys + 1, sizeof *g->key_cols);
    g->key_types = em_calloc(nkeys + 1, sizeof *g->key_types);
    g->kinds = em_calloc(naggs + 1, sizeof *g->kinds);
    g->args = em_calloc(naggs + 1, sizeof *g->args);
    g->arg_types = em_calloc(naggs + 1, sizeof *g->arg_types);
    g->merge = em_calloc(1, sizeof *g->merge);
    if (!g->key_cols || !g->key_types || !g->kinds || !g->args || !g->arg_types || !g->merge)
        goto fail;
    uint32_t c = 0;
    for (uint32_t i = 0; i < nkeys; i++, c++) {
        if (key_cols[i] < 0 || key_cols[i] >= (int)in->nfields) {
            rc = em_errf(err, EM_EINVAL, "aggregate: key column %d out of range", key_cols[i]);
            goto fail;
        }
        g->key_cols[i] = key_cols[i];
        g->key_types[i] = in->fields[key_cols[i]].type;
        names[c] = in->fields[key_cols[i]].name;
        types[c] = g->key_types[i];
    }
    if (w.kind != EM_WIN_NONE) {
        names[c] = "window_start";
        types[c++] = EM_TYPE_TIMESTAMP;
        names[c] = "window_end";
        types[c++] = EM_TYPE_TIMESTAMP;
    }
    for (uint32_t j = 0; j < naggs; j++, c++) {
        em_agg_kind k = aggs[j].kind;
        int a = aggs[j].arg;
        if (k == EM_AGG_COUNT_STAR) {
            a = -1;
        } else if (a < 0 || a >= (int)in->nfields) {
            rc = em_errf(err, EM_EINVAL, "aggregate %s: argument column %d out of range",
                         aggs[j].name ? aggs[j].name : "?", a);
            goto fail;
        }
        em_type at = a >= 0 ? in->fields[a].type : EM_TYPE_BIGINT;
        em_type ot = em__agg_out_type(k, at);
        if ((unsigned)k > EM_AGG_COUNT_DISTINCT || ot == EM_TYPE_NULL || !aggs[j].name) {
            rc = em_errf(err, EM_EINVAL, "aggregate %s: unknown kind, no name, or invalid for %s",
                         aggs[j].name ? aggs[j].name : "?", em_type_name(at));
            goto fail;
        }
        g->kinds[j] = k;
        g->args[j] = a;
        g->arg_types[j] = at;
        names[c] = aggs[j].name;
        types[c] = ot;
    }
    if (w.kind == EM_WIN_SESSION &&
        !(g->sess = em__sessions_create(naggs, g->kinds, g->arg_types, w.gap_us)))
        goto fail;
    os = em_schema_create(ncols, names, types);
    if (!os || em_op_init(&g->op, &agg_vt, id, os, 1))
        goto fail;
    os = NULL;
    em_free(names);
    em_free(types);
    *out = &g->op;
    return 0;
fail:
    if (rc == EM_ENOMEM)
        em_errf(err, EM_ENOMEM, "aggregate: out of memory");
    if (g) {
        if (g->op.vt) {
            agg_destroy(&g->op);
        } else {
            pane_free(g, g->merge);
            em__sessions_destroy(g->sess);
            em_free(g->key_cols);
            em_free(g->key_types);
            em_free(g->kinds);
            em_free(g->args);
            em_free(g->arg_types);
            em_free(g);
        }
    }
    em_schema_destroy(os);
    em_free(names);
    em_free(types);
    return rc;
}
