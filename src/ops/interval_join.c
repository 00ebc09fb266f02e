/*
 * ops/interval_join.c - the interval join of two streams (see join.h).
 *
 * Each side buffers its rows: a key index (key -> chain of row ids, doubly
 * linked), a row store with the full rows, the row times, and a min-heap of
 * the time after which a row can no longer match (left: time + upper,
 * right: time - lower). An arriving row is matched against the other
 * side's chain for its key and then buffered on its own side, so a pair is
 * produced exactly once: when its later row arrives. advance(wm) pops the
 * heaps; with left_outer an expiring left row that never matched is
 * emitted with NULL right columns.
 */
#include "ops/join.h"

#include "ember/error.h"
#include "ops/keyed.h"
#include "ops/snap.h"
#include "ops/table.h"

#include <string.h>

typedef struct side {
    int key_col, time_col;
    em__keyidx keys;
    uint32_t *head;    /* per key id: first row id of its chain */
    uint32_t kcap;
    em__rowstore rows; /* per row id */
    int64_t *time;
    uint32_t *next, *prev, *kid;
    uint8_t *matched;
    uint32_t rcap, nids, live;
    uint32_t *freeids;
    uint32_t nfree;
    em__theap expiry;  /* (bound, row id) */
} side;

typedef struct interval_join {
    em_op base;
    side s[2]; /* 0 = left, 1 = right */
    int64_t lower, upper;
    int left_outer;
    int results; /* EM__IJ_RESULTS: no row is late */
    uint32_t nleft; /* left columns */
    /* scratch, EM_BATCH_ROWS each */
    uint64_t *hash;
    uint32_t *rows;
    int32_t *found;
    uint32_t *pin;     /* pair: row of the arriving batch (or stored left id) */
    int32_t *pstore;   /* pair: stored row id of the other side, -1 = none */
    int32_t *nulls;    /* all -1 */
    uint32_t npairs;
} interval_join;

static int64_t clamp128(__int128 v)
{
    return v > EM_TS_MAX ? EM_TS_MAX : v < EM_TS_MIN ? EM_TS_MIN : (int64_t)v;
}

static void side_release(side *sd)
{
    em__keyidx_release(&sd->keys);
    em__rowstore_release(&sd->rows);
    em__theap_release(&sd->expiry);
    em_free(sd->head);
    em_free(sd->time);
    em_free(sd->next);
    em_free(sd->prev);
    em_free(sd->kid);
    em_free(sd->matched);
    em_free(sd->freeids);
}

#define GROWA(p, n)                                                                                \
    do {                                                                                           \
        void *q_ = em_realloc((p), (size_t)(n) * sizeof *(p));                                     \
        if (!q_)                                                                                   \
            return EM_ENOMEM;                                                                      \
        (p) = q_;                                                                                  \
    } while (0)

static int side_reserve_rows(side *sd)
{
    if (sd->nfree || sd->nids < sd->rcap)
        return 0;
    uint32_t nc = sd->rcap ? sd->rcap * 2 : 64;
    int rc = em__rowstore_reserve(&sd->rows, nc);
    if (rc)
        return rc;
    GROWA(sd->time, nc);
    GROWA(sd->next, nc);
    GROWA(sd->prev, nc);
    GROWA(sd->kid, nc);
    GROWA(sd->matched, nc);
    GROWA(sd->freeids, nc);
    sd->rcap = nc;
    return 0;
}

static int side_reserve_keys(side *sd)
{
    if (sd->keys.nids <= sd->kcap)
        return 0;
    uint32_t nc = sd->kcap ? sd->kcap * 2 : 64;
    while (nc < sd->keys.nids)
        nc *= 2;
    GROWA(sd->head, nc);
    sd->kcap = nc;
    return 0;
}

/* Buffers row `row` of b (key hash h, time t) on side sd. */
static int side_insert(side *sd, const em_batch *b, uint32_t row, uint64_t h, int64_t t,
                       int64_t bound, int matched)
{
    uint32_t k, id;
    int created, rc;
    if ((rc = side_reserve_rows(sd)))
        return rc;
    if ((rc = em__keyidx_insert(&sd->keys, &b->cols[sd->key_col], row, h, &k, &created)))
        return rc;
    if (created) {
        if ((rc = side_reserve_keys(sd))) {
            em__keyidx_remove(&sd->keys, k);
            return rc;
        }
        sd->head[k] = EM__NOID;
    }
    id = sd->nfree ? sd->freeids[--sd->nfree] : sd->nids++;
    if ((rc = em__rowstore_put(&sd->rows, id, b, row)) ||
        (rc = em__theap_push(&sd->expiry, bound, id, 0))) {
        em__rowstore_clear(&sd->rows, id);
        sd->freeids[sd->nfree++] = id;
        if (sd->head[k] == EM__NOID)
            em__keyidx_remove(&sd->keys, k);
        return rc;
    }
    sd->time[id] = t;
    sd->kid[id] = k;
    sd->matched[id] = (uint8_t)matched;
    sd->prev[id] = EM__NOID;
    sd->next[id] = sd->head[k];
    if (sd->head[k] != EM__NOID)
        sd->prev[sd->head[k]] = id;
    sd->head[k] = id;
    sd->live++;
    return 0;
}

static void side_free_row(side *sd, uint32_t id)
{
    uint32_t k = sd->kid[id], p = sd->prev[id], n = sd->next[id];
    if (p == EM__NOID)
        sd->head[k] = n;
    else
        sd->next[p] = n;
    if (n != EM__NOID)
        sd->prev[n] = p;
    if (sd->head[k] == EM__NOID)
        em__keyidx_remove(&sd->keys, k);
    em__rowstore_clear(&sd->rows, id);
    sd->freeids[sd->nfree++] = id;
    sd->live--;
}

static void update_stats(interval_join *j)
{
    j->base.stats.state_keys = (uint64_t)j->s[0].keys.live + j->s[1].keys.live;
    size_t b = 0;
    for (int i = 0; i < 2; i++)
        b += em__keyidx_bytes(&j->s[i].keys) + em__rowstore_bytes(&j->s[i].rows) +
             (size_t)j->s[i].rcap * (sizeof(int64_t) + 4 * sizeof(uint32_t) + 1) +
             (size_t)j->s[i].kcap * sizeof(uint32_t) +
             (size_t)j->s[i].expiry.cap * sizeof(em__theap_ent);
    j->base.stats.state_bytes = b;
}

/* Emits the pending pairs. Arriving side `from` (0 left, 1 right) supplies
 * batch rows pin[] of in; the other side supplies stored rows pstore[]. */
static int flush_pairs(interval_join *j, int from, const em_batch *in, em_op_ctx *cx)
{
    uint32_t m = j->npairs;
    if (!m)
        return 0;
    j->npairs = 0;
    em_batch *b = em_batch_view(j->base.out_schema, m, cx->arena);
    if (!b)
        return EM_ENOMEM;
    const side *other = &j->s[1 - from];
    uint32_t nin = in->ncols, nother = other->rows.ncols;
    uint32_t in_at = from == 0 ? 0 : j->nleft, other_at = from == 0 ? j->nleft : 0;
    int rc;
    for (uint32_t c = 0; c < nin; c++)
        if ((rc = em__column_gather(&b->cols[in_at + c], &in->cols[c], j->pin, m, cx->arena)))
            return rc;
    for (uint32_t c = 0; c < nother; c++)
        if ((rc = em__rowstore_gather(&other->rows, c, j->pstore, m, &b->cols[other_at + c],
                                      cx->arena)))
            return rc;
    return em_op_emit(&j->base, b, cx);
}

static int add_pair(interval_join *j, int from, const em_batch *in, uint32_t row, int32_t other,
                    em_op_ctx *cx)
{
    if (j->npairs == EM_BATCH_ROWS) {
        int rc = flush_pairs(j, from, in, cx);
        if (rc)
            return rc;
    }
    j->pin[j->npairs] = row;
    j->pstore[j->npairs++] = other;
    return 0;
}

static int ij_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    interval_join *j = (interval_join *)op;
    int from = port == 0 ? 0 : 1;
    side *me = &j->s[from], *other = &j->s[1 - from];
    if (in->ncols != me->rows.ncols)
        return em_errf(cx->err, EM_EINVAL, "interval join %s: port %d expects %u columns, got %u",
                       op->id, port, me->rows.ncols, in->ncols);
    const em_column *kc = &in->cols[me->key_col], *tc = &in->cols[me->time_col];
    uint32_t total = em_batch_count(in);
    int rc = 0;
    j->npairs = 0;
    for (uint32_t base = 0; base < total; base += EM_BATCH_ROWS) {
        uint32_t n = total - base < EM_BATCH_ROWS ? total - base : EM_BATCH_ROWS;
        for (uint32_t i = 0; i < n; i++)
            j->rows[i] = em_batch_row(in, base + i);
        em__key_hash(kc, j->rows, n, j->hash);
        em__keyidx_find(&other->keys, kc, j->rows, n, j->hash, j->found);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = j->rows[i];
            if (em_column_is_null(kc, r) || em_column_is_null(tc, r)) {
                if (from == 0 && j->left_outer && (rc = add_pair(j, from, in, r, -1, cx)))
                    goto out;
                continue;
            }
            int64_t t = tc->v.i64[r];
            if (t < cx->watermark && !j->results) {
                op->stats.late_dropped++;
                continue;
            }
            int matched = 0;
            if (j->found[i] >= 0) {
                for (uint32_t o = other->head[j->found[i]]; o != EM__NOID; o = other->next[o]) {
                    /* d = right time - left time must lie in [lower, upper] */
                    __int128 d = from == 0 ? (__int128)other->time[o] - t
                                           : (__int128)t - other->time[o];
                    if (d < j->lower || d > j->upper)
                        continue;
                    matched = 1;
                    if (from == 1)
                        other->matched[o] = 1;
                    if ((rc = add_pair(j, from, in, r, (int32_t)o, cx)))
                        goto out;
                }
            }
            int64_t bound = from == 0 ? clamp128((__int128)t + j->upper)
                                      : clamp128((__int128)t - j->lower);
            if ((rc = side_insert(me, in, r, j->hash[i], t, bound, matched)))
                goto out;
        }
    }
    rc = flush_pairs(j, from, in, cx);
out:
    j->npairs = 0;
    update_stats(j);
    return rc;
}

/* Emits left rows ids[0..m) with NULL right columns. */
static int emit_unmatched(interval_join *j, const int32_t *ids, uint32_t m, em_op_ctx *cx)
{
    if (!m)
        return 0;
    em_batch *b = em_batch_view(j->base.out_schema, m, cx->arena);
    if (!b)
        return EM_ENOMEM;
    int rc;
    for (uint32_t c = 0; c < j->nleft; c++)
        if ((rc = em__rowstore_gather(&j->s[0].rows, c, ids, m, &b->cols[c], cx->arena)))
            return rc;
    for (uint32_t c = 0; c < j->s[1].rows.ncols; c++)
        if ((rc = em__rowstore_gather(&j->s[1].rows, c, j->nulls, m, &b->cols[j->nleft + c],
                                      cx->arena)))
            return rc;
    return em_op_emit(&j->base, b, cx);
}

static int ij_advance(em_op *op, int64_t wm, em_op_ctx *cx)
{
    interval_join *j = (interval_join *)op;
    int rc = 0;
    for (int s = 0; s < 2; s++) {
        side *sd = &j->s[s];
        /* In rounds of up to EM_BATCH_ROWS rows: emit (left outer) before
         * freeing, as the output is gathered from the row store. */
        while (sd->expiry.n && (sd->expiry.e[0].at < wm || wm == EM_TS_MAX)) {
            uint32_t npop = 0, nout = 0;
            int32_t *popped = j->found, *out = j->pstore;
            while (npop < EM_BATCH_ROWS && sd->expiry.n &&
                   (sd->expiry.e[0].at < wm || wm == EM_TS_MAX)) {
                em__theap_ent e;
                em__theap_pop(&sd->expiry, &e);
                popped[npop++] = (int32_t)e.id;
                if (s == 0 && j->left_outer && !sd->matched[e.id])
                    out[nout++] = (int32_t)e.id;
            }
            rc = emit_unmatched(j, out, nout, cx);
            for (uint32_t i = 0; i < npop; i++)
                side_free_row(sd, (uint32_t)popped[i]);
            if (rc)
                goto out;
        }
    }
out:
    update_stats(j);
    return rc;
}

static void ij_describe(const em_op *op, em_buf *out)
{
    const interval_join *j = (const interval_join *)op;
    em_buf_printf(out, "%s interval join: right time - left time in [%lld, %lld] us, keys=%llu",
                  j->left_outer ? "LEFT" : "INNER", (long long)j->lower, (long long)j->upper,
                  (unsigned long long)op->stats.state_keys);
}

static void ij_destroy(em_op *op)
{
    interval_join *j = (interval_join *)op;
    side_release(&j->s[0]);
    side_release(&j->s[1]);
    em_free(j->hash);
    em_free(j->rows);
    em_free(j->found);
    em_free(j->pin);
    em_free(j->pstore);
    em_free(j->nulls);
    em_op_release(op);
    em_free(j);
}

/* ---- snapshots ----
 * Body: per side (left, right) its buffered rows as row chunks (ops/snap.h),
 * each chunk followed by one matched flag per row; an empty chunk ends a
 * side. A restore inserts the rows again (their expiry bounds recomputed
 * from their times). */

static const char *const side_name[2] = {"left", "right"};

static void ij_fp(const interval_join *j, em__fp *fp)
{
    const em_schema *o = j->base.out_schema;
    em__fp_init(fp);
    for (int s = 0; s < 2; s++) {
        uint32_t from = s ? j->nleft : 0, n = s ? o->nfields - j->nleft : j->nleft;
        em__fp_num(fp, n, "%s columns", side_name[s]);
        for (uint32_t i = 0; i < n; i++)
            em__fp_text(fp, em_type_name(o->fields[from + i].type), "%s column %u type",
                        side_name[s], i + 1);
        em__fp_num(fp, j->s[s].key_col + 1, "%s key column", side_name[s]);
        em__fp_num(fp, j->s[s].time_col + 1, "%s time column", side_name[s]);
    }
    em__fp_num(fp, j->lower, "lower bound (us)");
    em__fp_num(fp, j->upper, "upper bound (us)");
}

/* The schema of one side's rows (the op's output columns of that side). */
static em_schema *side_schema(const interval_join *j, int s)
{
    const em_schema *o = j->base.out_schema;
    uint32_t from = s ? j->nleft : 0, n = s ? o->nfields - j->nleft : j->nleft;
    const char *names[n ? n : 1];
    em_type types[n ? n : 1];
    for (uint32_t i = 0; i < n; i++) {
        names[i] = o->fields[from + i].name;
        types[i] = o->fields[from + i].type;
    }
    return em_schema_create(n, names, types);
}

static int put_side(interval_join *j, int s, em_buf *out, em_arena *a)
{
    side *sd = &j->s[s];
    em_schema *sch = side_schema(j, s);
    int rc = sch ? 0 : EM_ENOMEM;
    /* every buffered row has exactly one expiry entry */
    for (uint32_t base = 0; !rc && base < sd->expiry.n; base += EM_BATCH_ROWS) {
        uint32_t m = sd->expiry.n - base < EM_BATCH_ROWS ? sd->expiry.n - base : EM_BATCH_ROWS;
        em_batch *b = em_batch_view(sch, m, a);
        if (!b) {
            rc = EM_ENOMEM;
            break;
        }
        for (uint32_t i = 0; i < m; i++)
            j->found[i] = (int32_t)sd->expiry.e[base + i].id;
        for (uint32_t c = 0; c < sd->rows.ncols && !rc; c++)
            rc = em__rowstore_gather(&sd->rows, c, j->found, m, &b->cols[c], a);
        if (!rc)
            rc = em__snap_put_rows(out, b);
        for (uint32_t i = 0; i < m && !rc; i++)
            rc = em_enc_u8(out, sd->matched[j->found[i]]);
        em_arena_reset(a);
    }
    if (!rc)
        rc = em__snap_end_rows(out);
    em_schema_destroy(sch);
    return rc;
}

static int ij_snapshot(em_op *op, em_buf *out)
{
    interval_join *j = (interval_join *)op;
    em__fp fp;
    em_arena a;
    ij_fp(j, &fp);
    em_arena_init(&a, 0);
    int rc = em__snap_begin(out, op, &fp);
    for (int s = 0; !rc && s < 2; s++)
        rc = put_side(j, s, out, &a);
    em_arena_release(&a);
    return rc;
}

static int get_side(interval_join *j, int s, em_dec *d, em_arena *a)
{
    side *sd = &j->s[s];
    em_schema *sch = side_schema(j, s);
    int rc = sch ? 0 : EM_ENOMEM;
    while (!rc) {
        em_batch *b;
        if ((rc = em__snap_get_rows(d, sch, a, &b)) || !b)
            break;
        const uint8_t *matched = em__dec_take(d, b->nrows);
        if (!matched) {
            rc = EM_ECORRUPT;
            break;
        }
        const em_column *kc = &b->cols[sd->key_col], *tc = &b->cols[sd->time_col];
        for (uint32_t i = 0; i < b->nrows; i++)
            j->rows[i] = i;
        em__key_hash(kc, j->rows, b->nrows, j->hash);
        for (uint32_t i = 0; i < b->nrows && !rc; i++) {
            if (em_column_is_null(kc, i) || em_column_is_null(tc, i) || matched[i] > 1) {
                rc = EM_ECORRUPT;
                break;
            }
            int64_t t = tc->v.i64[i];
            int64_t bound = s == 0 ? clamp128((__int128)t + j->upper)
                                   : clamp128((__int128)t - j->lower);
            rc = side_insert(sd, b, i, j->hash[i], t, bound, matched[i]);
        }
        em_arena_reset(a);
    }
    em_schema_destroy(sch);
    return rc;
}

static int ij_restore(em_op *op, const char *p, size_t n, em_errbuf *err)
{
    interval_join *j = (interval_join *)op;
    em__fp fp;
    em_dec d;
    em_arena a;
    ij_fp(j, &fp);
    int rc = em__snap_open(&d, op, &fp, p, n, err);
    if (rc)
        return rc;
    em_arena_init(&a, 0);
    int s = 0;
    for (; s < 2 && !rc; s++)
        rc = get_side(j, s, &d, &a);
    em_arena_release(&a);
    update_stats(j);
    if (rc == EM_ENOMEM)
        return em_errf(err, rc, "%s %s: out of memory restoring state", op->vt->kind, op->id);
    if (rc)
        return em_errf(err, EM_ECORRUPT, "%s %s: corrupt snapshot: bad %s rows", op->vt->kind,
                       op->id, side_name[s - 1]);
    if (em_dec_left(&d))
        return em__snap_corrupt(op, err, "bytes left over after the rows");
    return 0;
}

static const em_op_vtable ij_vt = {
    .kind = "interval_join",
    .state_version = 1,
    .snapshot = ij_snapshot,
    .restore = ij_restore,
    .push = ij_push,
    .advance = ij_advance,
    .describe = ij_describe,
    .destroy = ij_destroy,
};

static int check_side(const em_schema *s, int key, int time, const char *what, em_errbuf *err)
{
    if (key < 0 || (uint32_t)key >= s->nfields)
        return em_errf(err, EM_EINVAL, "interval join: %s key column %d out of range", what, key);
    if (time < 0 || (uint32_t)time >= s->nfields || s->fields[time].type != EM_TYPE_TIMESTAMP)
        return em_errf(err, EM_ETYPE, "interval join: %s time column %d must be a TIMESTAMP",
                       what, time);
    return 0;
}

int em_interval_join_create(em_op **out, const char *id, const em_schema *left, int lkey,
                            int ltime, const em_schema *right, int rkey, int rtime,
                            int64_t lower_us, int64_t upper_us, unsigned flags, em_errbuf *err)
{
    interval_join *j = NULL;
    em_schema *s = NULL;
    int rc;
    if ((rc = check_side(left, lkey, ltime, "left", err)) ||
        (rc = check_side(right, rkey, rtime, "right", err)))
        return rc;
    if (!em__key_types_compatible(left->fields[lkey].type, right->fields[rkey].type))
        return em_errf(err, EM_ETYPE,
                       "interval join keys %s (%s) and %s (%s) have different types; cast one "
                       "side",
                       left->fields[lkey].name, em_type_name(left->fields[lkey].type),
                       right->fields[rkey].name, em_type_name(right->fields[rkey].type));
    if (lower_us > upper_us)
        return em_errf(err, EM_EINVAL,
                       "interval join: the lower bound (%lld us) is above the upper bound "
                       "(%lld us)",
                       (long long)lower_us, (long long)upper_us);
    j = em_calloc(1, sizeof *j);
    if (!j)
        goto oom;
    const em_schema *sch[2] = {left, right};
    int kcol[2] = {lkey, rkey}, tcol[2] = {ltime, rtime};
    for (int i = 0; i < 2; i++) {
        em__keyidx_init(&j->s[i].keys, sch[i]->fields[kcol[i]].type);
        j->s[i].key_col = kcol[i];
        j->s[i].time_col = tcol[i];
        if (em__rowstore_init(&j->s[i].rows, sch[i]))
            goto oom;
    }
    j->hash = em_malloc(EM_BATCH_ROWS * sizeof *j->hash);
    j->rows = em_malloc(EM_BATCH_ROWS * sizeof *j->rows);
    j->found = em_malloc(EM_BATCH_ROWS * sizeof *j->found);
    j->pin = em_malloc(EM_BATCH_ROWS * sizeof *j->pin);
    j->pstore = em_malloc(EM_BATCH_ROWS * sizeof *j->pstore);
    j->nulls = em_malloc(EM_BATCH_ROWS * sizeof *j->nulls);
    s = em__join_schema(left, right);
    if (!j->hash || !j->rows || !j->found || !j->pin || !j->pstore || !j->nulls || !s)
        goto oom;
    for (uint32_t i = 0; i < EM_BATCH_ROWS; i++)
        j->nulls[i] = -1;
    if (em_op_init(&j->base, &ij_vt, id, s, 2))
        goto oom;
    j->lower = lower_us;
    j->upper = upper_us;
    j->left_outer = (flags & EM__IJ_LEFT) != 0;
    j->results = (flags & EM__IJ_RESULTS) != 0;
    j->nleft = left->nfields;
    *out = &j->base;
    return 0;
oom:
    if (j) {
        side_release(&j->s[0]);
        side_release(&j->s[1]);
        em_free(j->hash);
        em_free(j->rows);
        em_free(j->found);
        em_free(j->pin);
        em_free(j->pstore);
        em_free(j->nulls);
        em_free(j->base.id);
        em_free(j);
    }
    em_schema_destroy(s);
    return em_errf(err, EM_ENOMEM, "out of memory creating interval join");
}
