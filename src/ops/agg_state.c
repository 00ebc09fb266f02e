/*
 * ops/agg_state.c - compact aggregate state records and the panes that
 * hold them (see agg_int.h for the record layout).
 *
 * A pane is sparse (a small open-addressing table key id -> slot, records
 * packed by slot) until half of all keys are in it, then dense (the record
 * of key id k at index k; absent records have a zero row count), which
 * saves the table and its probe on the hot path. A pane is prepared once
 * per batch, before any row of the batch takes a pointer into it, with
 * room for every row still to come, so records never move mid-batch.
 *
 * Updates run one loop per state field over the rows of a batch, each loop
 * specialised for the field kind and for "column has no NULLs".
 */
#include "ops/agg_int.h"

#include "ember/error.h"

#include <math.h>
#include <string.h>

#define ROWS(rec) (*(int64_t *)(void *)(rec))
#define I64(rec, off) (*(int64_t *)(void *)((rec) + (off)))
#define F64(rec, off) (*(double *)(void *)((rec) + (off)))
#define GEN(rec, off) ((em__agg_state *)(void *)((rec) + (off)))

static int compact_kind(em_agg_kind k, em_type t)
{
    int num = t == EM_TYPE_BIGINT || t == EM_TYPE_DOUBLE;
    switch (k) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
        return 1;
    case EM_AGG_SUM:
    case EM_AGG_AVG:
        return num;
    case EM_AGG_MIN:
    case EM_AGG_MAX:
        return num || t == EM_TYPE_TIMESTAMP || t == EM_TYPE_INTERVAL;
    default:
        return 0;
    }
}

/* Offset of the field (kind, arg), added at *off if new. */
static uint32_t field(agg_op *g, agg_field_kind kind, int arg, uint32_t agg, uint32_t *off)
{
    for (uint32_t i = 0; kind != F_GEN && i < g->nfields; i++)
        if (g->fields[i].kind == kind && g->fields[i].arg == arg)
            return g->fields[i].off;
    agg_field *f = &g->fields[g->nfields++];
    f->kind = kind;
    f->arg = arg;
    f->agg = agg;
    f->off = *off;
    *off += kind == F_GEN ? (uint32_t)sizeof(em__agg_state) : 8;
    return f->off;
}

int em__agg_layout(agg_op *g)
{
    uint32_t off = 8; /* the shared row count */
    g->fields = em_calloc(3 * (size_t)g->naggs + 1, sizeof *g->fields);
    g->res = em_calloc((size_t)g->naggs + 1, sizeof *g->res);
    if (!g->fields || !g->res)
        return EM_ENOMEM;
    for (uint32_t j = 0; j < g->naggs; j++) {
        em_agg_kind k = g->kinds[j];
        em_type t = g->arg_types[j];
        int a = g->args[j];
        agg_res *r = &g->res[j];
        r->kind = k;
        r->in = t;
        r->out = em__agg_out_type(k, t);
        r->compact = (uint8_t)compact_kind(k, t);
        if (k == EM_AGG_COUNT_STAR)
            continue; /* off 0: the row count */
        if (!compact_kind(k, t)) {
            r->off = field(g, F_GEN, a, j, &off);
            g->has_gen = 1;
            if (t == EM_TYPE_TEXT || k == EM_AGG_COUNT_DISTINCT || k == EM_AGG_NOWCAST_PM)
                g->heap_fields = 1;
            continue;
        }
        r->noff = field(g, F_N, a, j, &off);
        switch (k) {
        case EM_AGG_COUNT:
            r->off = r->noff;
            break;
        case EM_AGG_SUM:
        case EM_AGG_AVG:
            r->dsum = k == EM_AGG_AVG || t == EM_TYPE_DOUBLE;
            r->off = field(g, r->dsum ? F_DSUM : F_ISUM, a, j, &off);
            break;
        case EM_AGG_MIN:
            r->off = field(g, t == EM_TYPE_DOUBLE ? F_DMIN : F_IMIN, a, j, &off);
            break;
        default: /* MAX */
            r->off = field(g, t == EM_TYPE_DOUBLE ? F_DMAX : F_IMAX, a, j, &off);
            break;
        }
    }
    g->stride = off;
    g->tmpl = em_calloc(1, off);
    g->dummy = em_calloc(1, off);
    if (!g->tmpl || !g->dummy)
        return EM_ENOMEM;
    for (uint32_t i = 0; i < g->nfields; i++) {
        const agg_field *f = &g->fields[i];
        switch (f->kind) {
        case F_DMIN: F64(g->tmpl, f->off) = INFINITY; break;
        case F_DMAX: F64(g->tmpl, f->off) = -INFINITY; break;
        case F_IMIN: I64(g->tmpl, f->off) = INT64_MAX; break;
        case F_IMAX: I64(g->tmpl, f->off) = INT64_MIN; break;
        case F_DSUM: F64(g->tmpl, f->off) = 0; break;
        default: break; /* zero */
        }
    }
    memcpy(g->dummy, g->tmpl, off);
    return 0;
}

/* ---- records ---- */

void em__agg_rec_clear(agg_op *g, char *rec)
{
    if (g->has_gen)
        for (uint32_t i = 0; i < g->nfields; i++)
            if (g->fields[i].kind == F_GEN) {
                uint32_t j = g->fields[i].agg;
                em__agg_free(g->kinds[j], g->arg_types[j], GEN(rec, g->fields[i].off));
            }
    memcpy(rec, g->tmpl, g->stride);
}

void em__agg_rec_value(const agg_op *g, const char *rec, uint32_t j, em__agg_val *v)
{
    const agg_res *r = &g->res[j];
    v->null = 0;
    v->p = NULL;
    v->len = 0;
    if (r->kind == EM_AGG_COUNT_STAR) {
        v->v.i = ROWS(rec);
        return;
    }
    if (!compact_kind(r->kind, r->in)) {
        em__agg_value(r->kind, r->in, (const em__agg_state *)(const void *)(rec + r->off), v);
        return;
    }
    int64_t n = I64(rec, r->noff);
    if (r->kind == EM_AGG_COUNT) {
        v->v.i = n;
        return;
    }
    if (n == 0) {
        v->null = 1;
        v->v.i = 0;
        return;
    }
    if (r->kind == EM_AGG_AVG)
        v->v.d = F64(rec, r->off) / (double)n;
    else if (r->out == EM_TYPE_DOUBLE)
        v->v.d = F64(rec, r->off);
    else
        v->v.i = I64(rec, r->off);
}

int em__agg_merge_rec(agg_op *g, char *dst, const char *src)
{
    ROWS(dst) += ROWS(src);
    for (uint32_t i = 0; i < g->nfields; i++) {
        const agg_field *f = &g->fields[i];
        uint32_t o = f->off;
        switch (f->kind) {
        case F_N:
            I64(dst, o) += I64(src, o);
            break;
        case F_ISUM:
            I64(dst, o) = (int64_t)((uint64_t)I64(dst, o) + (uint64_t)I64(src, o));
            break;
        case F_DSUM:
            F64(dst, o) += F64(src, o);
            break;
        case F_DMIN:
            if (F64(src, o) < F64(dst, o))
                F64(dst, o) = F64(src, o);
            break;
        case F_DMAX:
            if (F64(src, o) > F64(dst, o))
                F64(dst, o) = F64(src, o);
            break;
        case F_IMIN:
            if (I64(src, o) < I64(dst, o))
                I64(dst, o) = I64(src, o);
            break;
        case F_IMAX:
            if (I64(src, o) > I64(dst, o))
                I64(dst, o) = I64(src, o);
            break;
        case F_GEN: {
            int rc = em__agg_merge(g->kinds[f->agg], g->arg_types[f->agg],
                                   (em__agg_state *)(void *)(dst + o),
                                   (const em__agg_state *)(const void *)(src + o));
            if (rc)
                return rc;
            break;
        }
        }
    }
    return 0;
}

/* One loop per (field kind, NULLs or not): s is the field of row i's
 * record, r its input row. */
#define FOR_ROWS(c, BODY)                                                                          \
    do {                                                                                           \
        if (!(c)->validity) {                                                                      \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                uint32_t r = rows[i];                                                              \
                char *s = rec[i] + off;                                                            \
                BODY;                                                                              \
            }                                                                                      \
        } else {                                                                                   \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                uint32_t r = rows[i];                                                              \
                if (em_column_is_null((c), r))                                                     \
                    continue;                                                                      \
                char *s = rec[i] + off;                                                            \
                BODY;                                                                              \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* The usual rollup of one DOUBLE column (avg, min, max and count of it):
 * fields f[0..4) are its count, sum, min and max, in any order. Updates
 * them in one pass over the rows (one load of the value and the record
 * per row, not four). Returns 1, or 0 when the fields are not that. */
static int update_rollup(agg_op *g, const agg_field *f, const em_batch *in, const uint32_t *rows,
                         uint32_t n, char *const *rec)
{
    int32_t at[F_GEN + 1];
    for (int k = 0; k <= F_GEN; k++)
        at[k] = -1;
    for (int i = 0; i < 4; i++) {
        if (f[i].arg < 0 || f[i].arg != f[0].arg || at[f[i].kind] >= 0)
            return 0;
        at[f[i].kind] = (int32_t)f[i].off;
    }
    const em_column *c = &in->cols[f[0].arg];
    if (at[F_N] < 0 || at[F_DSUM] < 0 || at[F_DMIN] < 0 || at[F_DMAX] < 0 ||
        c->type != EM_TYPE_DOUBLE || c->validity)
        return 0;
    const double *x = c->v.f64;
    uint32_t on = (uint32_t)at[F_N], os = (uint32_t)at[F_DSUM], omin = (uint32_t)at[F_DMIN],
             omax = (uint32_t)at[F_DMAX];
    for (uint32_t i = 0; i < n; i++) {
        double v = x[rows[i]];
        char *s = rec[i];
        (*(int64_t *)(void *)(s + on))++;
        *(double *)(void *)(s + os) += v;
        double *mn = (double *)(void *)(s + omin), *mx = (double *)(void *)(s + omax);
        *mn = v < *mn ? v : *mn;
        *mx = v > *mx ? v : *mx;
    }
    (void)g;
    return 1;
}

int em__agg_update_fields(agg_op *g, const em_batch *in, const uint32_t *rows, uint32_t n,
                          char *const *rec, const int64_t *ts, uint64_t seq0)
{
    for (uint32_t fi = 0; fi < g->nfields; fi++) {
        const agg_field *f = &g->fields[fi];
        if (fi + 4 <= g->nfields && update_rollup(g, f, in, rows, n, rec)) {
            fi += 3;
            continue;
        }
        const em_column *c = f->arg >= 0 ? &in->cols[f->arg] : NULL;
        uint32_t off = f->off;
        int dbl = c && c->type == EM_TYPE_DOUBLE;
        switch (f->kind) {
        case F_N:
            FOR_ROWS(c, ((void)r, (*(int64_t *)(void *)s)++));
            break;
        case F_ISUM: {
            const int64_t *x = c->v.i64;
            FOR_ROWS(c, *(int64_t *)(void *)s =
                            (int64_t)((uint64_t) * (int64_t *)(void *)s + (uint64_t)x[r]));
            break;
        }
        case F_DSUM:
            if (dbl) {
                const double *x = c->v.f64;
                FOR_ROWS(c, *(double *)(void *)s += x[r]);
            } else {
                const int64_t *x = c->v.i64;
                FOR_ROWS(c, *(double *)(void *)s += (double)x[r]);
            }
            break;
        case F_DMIN: { /* stored either way: no branch to mispredict (minsd) */
            const double *x = c->v.f64;
            FOR_ROWS(c, double *m = (double *)(void *)s; *m = x[r] < *m ? x[r] : *m);
            break;
        }
        case F_DMAX: {
            const double *x = c->v.f64;
            FOR_ROWS(c, double *m = (double *)(void *)s; *m = x[r] > *m ? x[r] : *m);
            break;
        }
        case F_IMIN: {
            const int64_t *x = c->v.i64;
            FOR_ROWS(c, int64_t *m = (int64_t *)(void *)s; *m = x[r] < *m ? x[r] : *m);
            break;
        }
        case F_IMAX: {
            const int64_t *x = c->v.i64;
            FOR_ROWS(c, int64_t *m = (int64_t *)(void *)s; *m = x[r] > *m ? x[r] : *m);
            break;
        }
        case F_GEN: {
            em_agg_kind k = g->kinds[f->agg];
            for (uint32_t i = 0; i < n; i++) {
                if (rec[i] == g->dummy)
                    continue;
                int rc = em__agg_update(k, GEN(rec[i], off), c, rows[i], ts[i], seq0 + i);
                if (rc)
                    return rc;
            }
            break;
        }
        }
    }
    return 0;
}

/* ---- panes ---- */

int em__pane_each(agg_op *g, const pane *p, em__rec_fn fn, void *ud)
{
    int rc;
    if (p->dense) {
        for (uint32_t id = 0; id < p->scap; id++) {
            const char *rec = p->st + (size_t)id * g->stride;
            if (ROWS(rec) && (rc = fn(g, ud, id, rec)))
                return rc;
        }
        return 0;
    }
    for (uint32_t s = 0; s < p->n; s++)
        if ((rc = fn(g, ud, p->slot_key[s], p->st + (size_t)s * g->stride)))
            return rc;
    return 0;
}

static int clear_rec(agg_op *g, void *ud, uint32_t id, const char *rec)
{
    (void)ud, (void)id;
    em__agg_rec_clear(g, (char *)rec);
    return 0;
}

void em__pane_free(agg_op *g, pane *p)
{
    if (!p)
        return;
    if (g->has_gen && p->st)
        em__pane_each(g, p, clear_rec, NULL);
    em_free(p->st);
    em_free(p->tab);
    em_free(p->slot_key);
    em_free(p);
}

static void init_records(agg_op *g, char *st, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        memcpy(st + (size_t)i * g->stride, g->tmpl, g->stride);
}

/* Grows p's records to cap (initialised empty). */
static int grow_records(agg_op *g, pane *p, uint32_t cap)
{
    char *st = em_realloc(p->st, (size_t)cap * g->stride);
    if (!st)
        return EM_ENOMEM;
    init_records(g, st, p->scap, cap);
    p->st = st;
    p->scap = cap;
    return 0;
}

static int densify(agg_op *g, pane *p)
{
    uint32_t cap = g->keys.cap;
    char *st = em_malloc((size_t)cap * g->stride);
    if (!st)
        return EM_ENOMEM;
    init_records(g, st, 0, cap);
    for (uint32_t s = 0; s < p->n; s++)
        memcpy(st + (size_t)p->slot_key[s] * g->stride, p->st + (size_t)s * g->stride, g->stride);
    em_free(p->st);
    em_free(p->tab);
    em_free(p->slot_key);
    p->st = st;
    p->scap = cap;
    p->tab = p->slot_key = NULL;
    p->cap = 0;
    p->dense = 1;
    return 0;
}

static uint32_t id_hash(uint32_t id)
{
    return id * 2654435761u;
}

int em__pane_prepare(agg_op *g, pane *p, uint32_t more)
{
    uint32_t nk = g->keys.n;
    if (!p->dense && (uint64_t)p->n * 2 >= nk && nk > 0) {
        int rc = densify(g, p);
        if (rc)
            return rc;
    }
    if (p->dense)
        return p->scap < nk ? grow_records(g, p, g->keys.cap) : 0;
    uint64_t want = (uint64_t)p->n + more;
    if (want > nk)
        want = nk;
    if (want > p->scap) {
        uint32_t nc = p->scap ? p->scap : 8;
        while (nc < want)
            nc *= 2;
        uint32_t *sk = em_realloc(p->slot_key, (size_t)nc * sizeof *sk);
        if (!sk)
            return EM_ENOMEM;
        p->slot_key = sk;
        if (grow_records(g, p, nc))
            return EM_ENOMEM;
    }
    if (want * 4 > (uint64_t)p->cap * 3) {
        uint32_t nc = p->cap ? p->cap : 16;
        while (want * 4 > (uint64_t)nc * 3)
            nc *= 2;
        uint32_t *nt = em_calloc(nc, sizeof *nt);
        if (!nt)
            return EM_ENOMEM;
        for (uint32_t s = 0; s < p->n; s++) {
            uint32_t h = id_hash(p->slot_key[s]) & (nc - 1);
            while (nt[h])
                h = (h + 1) & (nc - 1);
            nt[h] = s + 1;
        }
        em_free(p->tab);
        p->tab = nt;
        p->cap = nc;
    }
    return 0;
}

char *em__pane_record(agg_op *g, pane *p, uint32_t id)
{
    if (p->dense) {
        char *rec = p->st + (size_t)id * g->stride;
        p->n += ROWS(rec) == 0;
        return rec;
    }
    uint32_t mask = p->cap - 1, h = id_hash(id) & mask, e;
    while ((e = p->tab[h]) != 0) {
        if (p->slot_key[e - 1] == id)
            return p->st + (size_t)(e - 1) * g->stride;
        h = (h + 1) & mask;
    }
    if (p->n >= p->scap) /* prepare reserved too little: a bug */
        return NULL;
    uint32_t s = p->n++;
    p->slot_key[s] = id;
    p->tab[h] = s + 1;
    return p->st + (size_t)s * g->stride;
}

static int heap_rec(agg_op *g, void *ud, uint32_t id, const char *rec)
{
    uint64_t *b = ud;
    (void)id;
    for (uint32_t i = 0; i < g->nfields; i++)
        if (g->fields[i].kind == F_GEN) {
            uint32_t j = g->fields[i].agg;
            *b += em__agg_heap_bytes(g->kinds[j], g->arg_types[j],
                                     (const em__agg_state *)(const void *)(rec + g->fields[i].off));
        }
    return 0;
}

uint64_t em__pane_bytes(const agg_op *g, const pane *p)
{
    uint64_t b = sizeof *p + (uint64_t)p->scap * g->stride;
    if (!p->dense)
        b += (uint64_t)p->cap * 4 + (uint64_t)p->scap * 4;
    if (g->heap_fields)
        em__pane_each((agg_op *)g, p, heap_rec, &b);
    return b;
}
