/*
 * ops/aggregate.c - the hash aggregate operator: running (per key) or over
 * TUMBLE / HOP windows in event or processing time. See ops/agg.h; the
 * state layout and the batch passes are described in agg_int.h.
 *
 * Every open pane (a TUMBLE window, or a HOP pane of `slide` µs) holds one
 * record per key present in it. A row updates exactly one pane. A closing
 * HOP window merges its size/slide panes into a dense scratch pane; a pane
 * is freed once no open window needs it (pane_start + size <= watermark).
 * SESSION windows live in window.c (per-key session lists of generic
 * states).
 *
 * Running aggregates emit, at the end of each micro-batch, every group
 * whose result changed: the first time a micro-batch touches a group its
 * results are snapshotted (TEXT copied into the micro-batch arena) and
 * end_batch compares them with the new ones.
 */
#include "ops/agg_int.h"

#include "ember/error.h"

#include <stdio.h>
#include <string.h>

#define ROWS(rec) (*(int64_t *)(void *)(rec))
#define I64(rec, off) (*(int64_t *)(void *)((rec) + (off)))
#define F64(rec, off) (*(double *)(void *)((rec) + (off)))

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

pane *em__agg_get_pane(agg_op *g, int64_t start)
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
    p->dense = g->win.kind == EM_WIN_NONE; /* the running pane holds every key */
    memmove(&g->panes[lo + 1], &g->panes[lo], (g->npanes - lo) * sizeof *g->panes);
    g->panes[lo] = p;
    g->npanes++;
    return p;
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

/* Emits one group: key id, window [ws, we), and either a record (rec) or
 * naggs generic states (st, SESSION windows). */
static int emit_row(agg_op *g, emitter *e, em_op_ctx *cx, uint32_t key, int64_t ws, int64_t we,
                    const char *rec, const em__agg_state *st)
{
    int rc;
    if (e->open && em_batch_builder_full(&e->bb) && (rc = emit_flush(g, e, cx)))
        return rc;
    if (!e->open) {
        if ((rc = em_batch_builder_init(&e->bb, g->op.out_schema, EM_BATCH_ROWS, cx->arena)))
            return rc;
        e->open = 1;
    }
    if ((rc = em__agg_keys_put(&g->keys, key, &e->bb)))
        return rc;
    uint32_t col = g->nkeys;
    if (g->win.kind != EM_WIN_NONE) {
        em_batch_builder_set_i64(&e->bb, col++, ws);
        em_batch_builder_set_i64(&e->bb, col++, we);
    }
    for (uint32_t j = 0; j < g->naggs; j++, col++) {
        const agg_res *r = &g->res[j];
        if (rec && r->compact) { /* straight from the record's fields (em__agg_rec_value) */
            int64_t n = r->kind == EM_AGG_COUNT_STAR ? ROWS(rec) : I64(rec, r->noff);
            if (r->kind == EM_AGG_COUNT_STAR || r->kind == EM_AGG_COUNT)
                em_batch_builder_set_i64(&e->bb, col, n);
            else if (n == 0 && (rc = em_batch_builder_set_null(&e->bb, col)))
                return rc;
            else if (n != 0 && r->kind == EM_AGG_AVG)
                em_batch_builder_set_f64(&e->bb, col, F64(rec, r->off) / (double)n);
            else if (n != 0 && r->out == EM_TYPE_DOUBLE)
                em_batch_builder_set_f64(&e->bb, col, F64(rec, r->off));
            else if (n != 0)
                em_batch_builder_set_i64(&e->bb, col, I64(rec, r->off));
            continue;
        }
        em__agg_val v;
        if (rec)
            em__agg_rec_value(g, rec, j, &v);
        else
            em__agg_value(g->kinds[j], g->arg_types[j], &st[j], &v);
        /* a TUMBLE/HOP NowCast is as of the window's last hour */
        if (g->kinds[j] == EM_AGG_NOWCAST_PM &&
            (g->win.kind == EM_WIN_TUMBLE || g->win.kind == EM_WIN_HOP))
            em__nowcast_value(rec ? (const em__agg_state *)(const void *)(rec + g->res[j].off)
                                  : &st[j],
                              we, &v);
        if ((rc = em__agg_put(&e->bb, col, g->res[j].out, &v)))
            return rc;
    }
    return em_batch_builder_end_row(&e->bb);
}

void em__agg_update_stats(agg_op *g)
{
    uint64_t keys = 0, bytes = 0;
    if (g->sess)
        em__sessions_stats(g->sess, &keys, &bytes);
    bytes += em__agg_keys_bytes(&g->keys);
    for (uint32_t i = 0; i < g->npanes; i++) {
        keys += g->panes[i]->n;
        bytes += em__pane_bytes(g, g->panes[i]);
    }
    if (g->merge && g->merge->scap) /* HOP scratch: empty between closes */
        bytes += (uint64_t)g->merge->scap * g->stride + (uint64_t)g->mlist_cap * 4;
    g->op.stats.state_keys = keys;
    g->op.stats.state_bytes = bytes;
}

typedef struct emit_ctx {
    agg_op *g;
    emitter *e;
    em_op_ctx *cx;
    int64_t ws, we;
} emit_ctx;

static int sess_emit_row(void *ud, uint32_t key, int64_t start, int64_t end,
                         const em__agg_state *st)
{
    emit_ctx *ec = ud;
    return emit_row(ec->g, ec->e, ec->cx, key, start, end, NULL, st);
}

static int emit_rec_fn(agg_op *g, void *ud, uint32_t id, const char *rec)
{
    emit_ctx *ec = ud;
    return emit_row(g, ec->e, ec->cx, id, ec->ws, ec->we, rec, NULL);
}

/* Merges a pane's records into the HOP scratch pane, listing new ids. */
static int merge_rec_fn(agg_op *g, void *ud, uint32_t id, const char *rec)
{
    uint32_t *nm = ud;
    char *m = g->merge->st + (size_t)id * g->stride;
    if (!ROWS(m))
        g->mlist[(*nm)++] = id;
    return em__agg_merge_rec(g, m, rec);
}

/* Emits the HOP windows with end <= wm not emitted yet. */
static int close_hop(agg_op *g, int64_t wm, emitter *e, em_op_ctx *cx)
{
    int64_t size = g->win.size_us, slide = g->pane_us;
    int64_t w = g->panes[0]->start - size + slide;
    int64_t lo;
    uint32_t nm = 0, idx = 0;
    int rc = 0;
    pane *m = g->merge;
    /* windows ending <= closed_wm were emitted: start from the first
     * aligned w with w + size > closed_wm */
    if (g->closed_wm != EM_TS_MIN && !__builtin_sub_overflow(g->closed_wm, size, &lo)) {
        lo = (floor_div(lo, slide) + 1) * slide;
        if (lo > w)
            w = lo;
    }
    if ((rc = em__pane_prepare(g, m, 0)))
        return rc;
    if (g->mlist_cap < g->keys.n) {
        uint32_t *ml = em_realloc(g->mlist, (size_t)g->keys.cap * sizeof *ml);
        if (!ml)
            return EM_ENOMEM;
        g->mlist = ml;
        g->mlist_cap = g->keys.cap;
    }
    while (ends_by(w, size, wm)) {
        while (idx < g->npanes && g->panes[idx]->start < w)
            idx++;
        if (idx == g->npanes)
            break;
        if (g->panes[idx]->start >= w + size) {
            w = g->panes[idx]->start - size + slide;
            continue;
        }
        for (uint32_t i = idx; i < g->npanes && g->panes[i]->start < w + size; i++)
            if ((rc = em__pane_each(g, g->panes[i], merge_rec_fn, &nm)))
                goto fail;
        for (uint32_t i = 0; i < nm; i++)
            if ((rc = emit_row(g, e, cx, g->mlist[i], w, w + size,
                               m->st + (size_t)g->mlist[i] * g->stride, NULL)))
                goto fail;
        for (uint32_t i = 0; i < nm; i++)
            em__agg_rec_clear(g, m->st + (size_t)g->mlist[i] * g->stride);
        nm = 0;
        w += slide;
    }
    return 0;
fail:
    for (uint32_t i = 0; i < nm; i++)
        em__agg_rec_clear(g, m->st + (size_t)g->mlist[i] * g->stride);
    return rc;
}

/* Emits and frees every window with window_end <= wm not emitted yet. */
static int close_windows(agg_op *g, int64_t wm, em_op_ctx *cx)
{
    emitter e = {.open = 0};
    emit_ctx ec = {g, &e, cx, 0, 0};
    int rc = 0, rc2;
    int64_t size = g->win.size_us;
    if (wm <= g->closed_wm)
        return 0;
    if (g->sess) {
        rc = em__sessions_close(g->sess, wm, sess_emit_row, &ec);
        goto done;
    }
    if (g->win.kind == EM_WIN_HOP && g->npanes > 0 && (rc = close_hop(g, wm, &e, cx)))
        goto done;
    /* free panes no open window needs; TUMBLE panes are windows: emit them */
    uint32_t nfree = 0;
    while (nfree < g->npanes && ends_by(g->panes[nfree]->start, size, wm)) {
        pane *p = g->panes[nfree];
        if (g->win.kind == EM_WIN_TUMBLE) {
            ec.ws = p->start;
            ec.we = p->start + size;
            if ((rc = em__pane_each(g, p, emit_rec_fn, &ec)))
                break;
        }
        em__pane_free(g, p);
        nfree++;
    }
    if (nfree) /* panes may still be NULL: memmove's arguments must not be */
        memmove(g->panes, g->panes + nfree, (g->npanes - nfree) * sizeof *g->panes);
    g->npanes -= nfree;
done:
    if (!rc)
        g->closed_wm = wm;
    rc2 = emit_flush(g, &e, cx);
    em__agg_update_stats(g);
    return rc ? rc : rc2;
}

/* ---- running mode: what changed ---- */

/* Records the results of key id (record rec) before this micro-batch's
 * first update of it. */
static int snapshot(agg_op *g, uint32_t id, const char *rec, em_op_ctx *cx)
{
    if (g->nchg == g->chg_cap) {
        uint32_t nc = g->chg_cap ? g->chg_cap * 2 : 64;
        uint32_t *c = em_realloc(g->chg, (size_t)nc * sizeof *c);
        if (!c)
            return EM_ENOMEM;
        g->chg = c;
        uint8_t *cn = em_realloc(g->chg_new, nc);
        if (!cn)
            return EM_ENOMEM;
        g->chg_new = cn;
        em__agg_val *b = em_realloc(g->before, (size_t)nc * (g->naggs + 1) * sizeof *b);
        if (!b)
            return EM_ENOMEM;
        g->before = b;
        g->chg_cap = nc;
    }
    uint32_t k = g->nchg;
    g->chg[k] = id;
    g->chg_new[k] = ROWS(rec) == 0;
    for (uint32_t j = 0; !g->chg_new[k] && j < g->naggs; j++) {
        em__agg_val *v = &g->before[(size_t)k * g->naggs + j];
        em__agg_rec_value(g, rec, j, v);
        if (v->p) { /* TEXT borrowed from the state: copy it */
            char *t = em_arena_alloc(cx->arena, v->len + 1);
            if (!t)
                return EM_ENOMEM;
            memcpy(t, v->p, v->len);
            v->p = t;
        }
    }
    g->touched[id] = 1;
    g->nchg++;
    return 0;
}

static int same_val(em_type t, const em__agg_val *a, const em__agg_val *b)
{
    if (a->null || b->null)
        return a->null == b->null;
    if (t == EM_TYPE_TEXT)
        return a->len == b->len && (!a->len || memcmp(a->p, b->p, a->len) == 0);
    return memcmp(&a->v, &b->v, sizeof a->v) == 0; /* doubles bitwise */
}

/* state_ttl for running aggregates: groups without a row for ttl (in
 * processing time, the micro-batch's logical time, so a replay evicts the
 * same groups) are dropped; once most ids are dead the keys and the dense
 * pane are compacted, so memory follows the live groups, not every group
 * ever seen. A restored group counts as seen at its first micro-batch. */
static int touch_groups(agg_op *g, int64_t now)
{
    if (g->last_cap < g->keys.n) {
        int64_t *v = em_realloc(g->last_us, (size_t)g->keys.cap * sizeof *v);
        if (!v)
            return EM_ENOMEM;
        for (uint32_t i = g->last_cap; i < g->keys.cap; i++)
            v[i] = now;
        g->last_us = v;
        g->last_cap = g->keys.cap;
    }
    for (uint32_t k = 0; k < g->nchg; k++)
        g->last_us[g->chg[k]] = now;
    return 0;
}

static int expire_groups(agg_op *g, int64_t now, int64_t ttl)
{
    pane *p = g->npanes ? g->panes[0] : NULL;
    if (!p || now < g->next_sweep)
        return 0;
    g->next_sweep = now + (ttl / 4 > 0 ? ttl / 4 : 1);
    uint32_t live = 0, n = g->keys.n;
    for (uint32_t id = 0; id < n; id++) {
        char *rec = p->st + (size_t)id * g->stride;
        if (!ROWS(rec))
            continue;
        if (g->last_us[id] <= now - ttl) {
            em__agg_rec_clear(g, rec);
            p->n--;
            g->op.stats.evicted++;
        } else {
            live++;
        }
    }
    if (n < 64 || live * 2 > n)
        return 0;
    uint32_t *keep = em_malloc((size_t)(live ? live : 1) * sizeof *keep);
    if (!keep)
        return EM_ENOMEM;
    uint32_t m = 0;
    for (uint32_t id = 0; id < n; id++)
        if (ROWS(p->st + (size_t)id * g->stride))
            keep[m++] = id;
    int rc = em__agg_keys_compact(&g->keys, keep, m);
    if (!rc) {
        for (uint32_t i = 0; i < m; i++) {
            if (keep[i] != i) {
                memcpy(p->st + (size_t)i * g->stride, p->st + (size_t)keep[i] * g->stride,
                       g->stride);
                memcpy(p->st + (size_t)keep[i] * g->stride, g->tmpl, g->stride);
            }
            g->last_us[i] = g->last_us[keep[i]];
        }
        p->n = m;
        /* the dense pane shrinks with the keys (records past m are empty) */
        uint32_t nc = g->keys.cap;
        if (p->dense && nc < p->scap) {
            char *st = em_realloc(p->st, (size_t)nc * g->stride);
            if (st) {
                p->st = st;
                p->scap = nc;
            }
        }
    }
    em_free(keep);
    return rc;
}

static int end_running(agg_op *g, em_op_ctx *cx)
{
    emitter e = {.open = 0};
    int rc = 0;
    pane *p = g->npanes ? g->panes[0] : NULL;
    if (cx->state_ttl_us > 0 && (rc = touch_groups(g, cx->logical_time)))
        return rc;
    for (uint32_t k = 0; k < g->nchg; k++) {
        uint32_t id = g->chg[k];
        const char *rec = p->st + (size_t)id * g->stride;
        int changed = g->chg_new[k];
        g->touched[id] = 0;
        for (uint32_t j = 0; !changed && j < g->naggs; j++) {
            em__agg_val v;
            em__agg_rec_value(g, rec, j, &v);
            changed = !same_val(g->res[j].out, &g->before[(size_t)k * g->naggs + j], &v);
        }
        if (changed && !rc)
            rc = emit_row(g, &e, cx, id, 0, 0, rec, NULL);
    }
    g->nchg = 0;
    int rc2 = emit_flush(g, &e, cx);
    if (!rc && !rc2 && cx->state_ttl_us > 0) {
        rc2 = expire_groups(g, cx->logical_time, cx->state_ttl_us);
        em__agg_update_stats(g);
    }
    return rc ? rc : rc2;
}

/* ---- push ---- */

static int scratch(agg_op *g, uint32_t n)
{
    if (n <= g->scap)
        return 0;
    em_free(g->row_idx);
    em_free(g->row_id);
    em_free(g->row_ts);
    em_free(g->row_rec);
    g->row_idx = em_malloc((size_t)n * sizeof *g->row_idx);
    g->row_id = em_malloc((size_t)n * sizeof *g->row_id);
    g->row_ts = em_malloc((size_t)n * sizeof *g->row_ts);
    g->row_rec = em_malloc((size_t)n * sizeof *g->row_rec);
    g->scap = n;
    if (!g->row_idx || !g->row_id || !g->row_ts || !g->row_rec) {
        g->scap = 0;
        return EM_ENOMEM;
    }
    return 0;
}

static int push_sessions(agg_op *g, const em_batch *in, uint32_t n, int64_t closed, em_op_ctx *cx)
{
    const em_column *tc = g->win.time_col >= 0 ? &in->cols[g->win.time_col] : NULL;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = g->row_idx[i];
        int64_t ts = cx->logical_time, end;
        if (tc) {
            if (em_column_is_null(tc, row))
                continue; /* no window for a NULL time */
            ts = tc->v.i64[row];
        }
        if (__builtin_add_overflow(ts, g->win.gap_us, &end) || end <= closed) {
            g->op.stats.late_dropped++; /* the row's own session already closed */
            continue;
        }
        em__agg_state *st = em__sessions_find(g->sess, g->row_id[i], ts);
        if (!st)
            return EM_ENOMEM;
        for (uint32_t j = 0; j < g->naggs; j++) {
            const em_column *c = g->args[j] >= 0 ? &in->cols[g->args[j]] : NULL;
            int rc = em__agg_update(g->kinds[j], &st[j], c, row, ts, g->seq + i);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Pass 2 and 3 of agg_int.h for the running pane. */
static int resolve_running(agg_op *g, uint32_t n, em_op_ctx *cx)
{
    pane *p = g->npanes ? g->panes[0] : em__agg_get_pane(g, 0);
    int rc;
    if (!p || (rc = em__pane_prepare(g, p, n)))
        return EM_ENOMEM;
    if (g->touched_cap < g->keys.n) {
        uint8_t *t = em_realloc(g->touched, g->keys.cap);
        if (!t)
            return EM_ENOMEM;
        memset(t + g->touched_cap, 0, g->keys.cap - g->touched_cap);
        g->touched = t;
        g->touched_cap = g->keys.cap;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = g->row_id[i];
        char *rec = em__pane_record(g, p, id);
        if (!g->touched[id] && (rc = snapshot(g, id, rec, cx)))
            return rc;
        ROWS(rec)++;
        g->row_rec[i] = rec;
    }
    return 0;
}

/* Pass 2 and 3 of agg_int.h for windows: pane per row (late and NULL-time
 * rows go to the dummy record), then record per row. */
static int resolve_windows(agg_op *g, const em_batch *in, uint32_t n, int64_t closed,
                           em_op_ctx *cx)
{
    const em_column *tc = g->win.time_col >= 0 ? &in->cols[g->win.time_col] : NULL;
    int64_t pus = g->pane_us, lo = 0, hi = 0; /* cur covers [lo, hi) */
    pane *cur = NULL;
    int rc;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = g->row_idx[i];
        int64_t ts = cx->logical_time;
        g->row_rec[i] = g->dummy;
        g->row_ts[i] = 0;
        if (tc) {
            if (tc->validity && em_column_is_null(tc, row))
                continue; /* no window for a NULL time */
            ts = tc->v.i64[row];
        }
        g->row_ts[i] = ts;
        if (!cur || ts < lo || ts >= hi) {
            int64_t ps = floor_div(ts, pus) * pus;
            if (ends_by(ps, g->win.size_us, closed)) { /* every window of this row closed */
                g->op.stats.late_dropped++;
                continue;
            }
            if (!(cur = em__agg_get_pane(g, ps)))
                return EM_ENOMEM;
            lo = ps;
            if (__builtin_add_overflow(ps, pus, &hi))
                hi = INT64_MAX;
            if (cur->stamp != g->stamp) {
                if ((rc = em__pane_prepare(g, cur, n - i)))
                    return rc;
                cur->stamp = g->stamp;
            }
        }
        char *rec = em__pane_record(g, cur, g->row_id[i]);
        if (!rec)
            return EM_ESTATE;
        ROWS(rec)++;
        g->row_rec[i] = rec;
    }
    return 0;
}

static int agg_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    agg_op *g = (agg_op *)op;
    uint32_t n = em_batch_count(in);
    int rc;
    (void)port;
    if ((rc = scratch(g, n)))
        return rc;
    for (uint32_t i = 0; i < n; i++)
        g->row_idx[i] = em_batch_row(in, i);
    /* pass 1: key ids */
    if ((rc = em__agg_keys_resolve(&g->keys, in, g->row_idx, n, g->row_id)))
        return rc;
    g->stamp++;
    int64_t closed = cx->watermark > g->closed_wm ? cx->watermark : g->closed_wm;
    if (g->sess) {
        rc = push_sessions(g, in, n, closed, cx);
    } else {
        if (g->win.kind == EM_WIN_NONE) {
            const em_column *tc = g->win.time_col >= 0 ? &in->cols[g->win.time_col] : NULL;
            for (uint32_t i = 0; i < n; i++) /* first/last order by time */
                g->row_ts[i] = tc && !em_column_is_null(tc, g->row_idx[i])
                                   ? tc->v.i64[g->row_idx[i]]
                                   : cx->logical_time;
            rc = resolve_running(g, n, cx);
        } else {
            rc = resolve_windows(g, in, n, closed, cx);
        }
        /* pass 4: records are stable now */
        if (!rc)
            rc = em__agg_update_fields(g, in, g->row_idx, n, g->row_rec, g->row_ts, g->seq);
    }
    g->seq += n;
    em__agg_update_stats(g);
    return rc;
}

/* ---- vtable ---- */

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
    return end_running(g, cx);
}

static void agg_describe(const em_op *op, em_buf *out)
{
    const agg_op *g = (const agg_op *)op;
    static const char *const wn[] = {"running", "tumble", "hop", "session"};
    char line[192];
    int len = snprintf(line, sizeof line,
                       "aggregate %s keys=%u aggs=%u window=%s state_keys=%llu record_bytes=%u",
                       op->id, g->nkeys, g->naggs, wn[g->win.kind],
                       (unsigned long long)op->stats.state_keys, g->stride);
    if (len > 0)
        em_buf_append(out, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
}

/* Frees g and everything it owns; safe on a partly created operator. */
static void agg_free(agg_op *g)
{
    for (uint32_t i = 0; i < g->npanes; i++)
        em__pane_free(g, g->panes[i]);
    if (g->fields) /* records can be cleared only once the layout exists */
        em__pane_free(g, g->merge);
    else
        em_free(g->merge);
    em__sessions_destroy(g->sess);
    em__agg_keys_release(&g->keys);
    em_free(g->last_us);
    em_free(g->panes);
    em_free(g->key_cols);
    em_free(g->key_types);
    em_free(g->kinds);
    em_free(g->args);
    em_free(g->arg_types);
    em_free(g->fields);
    em_free(g->res);
    em_free(g->tmpl);
    em_free(g->dummy);
    em_free(g->mlist);
    em_free(g->row_idx);
    em_free(g->row_id);
    em_free(g->row_ts);
    em_free(g->row_rec);
    em_free(g->touched);
    em_free(g->chg);
    em_free(g->chg_new);
    em_free(g->before);
    if (g->op.vt)
        em_op_release(&g->op);
    em_free(g);
}

static void agg_destroy(em_op *op)
{
    agg_free((agg_op *)op);
}

static const em_op_vtable agg_vt = {
    .kind = "aggregate",
    .state_version = 1,
    .push = agg_push,
    .advance = agg_advance,
    .end_batch = agg_end_batch,
    .snapshot = em__agg_snapshot,
    .restore = em__agg_restore,
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
        if ((unsigned)k > EM_AGG_NOWCAST_PM || ot == EM_TYPE_NULL || !aggs[j].name) {
            rc = em_errf(err, EM_EINVAL, "aggregate %s: unknown kind, no name, or invalid for %s",
                         aggs[j].name ? aggs[j].name : "?", em_type_name(at));
            goto fail;
        }
        if (k == EM_AGG_NOWCAST_PM && w.time_col < 0) {
            rc = em_errf(err, EM_EINVAL, "aggregate %s: nowcast_pm needs an event-time column",
                         aggs[j].name);
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
    em__agg_keys_init(&g->keys, nkeys, g->key_cols, g->key_types);
    g->merge->dense = 1;
    if (em__agg_layout(g))
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
    if (g)
        agg_free(g);
    em_schema_destroy(os);
    em_free(names);
    em_free(types);
    return rc;
}
