/*
 * ops/agg_funcs.c - aggregate function states: update one row, merge two
 * states (panes), produce the result, free. See em__agg_state in agg.h.
 *
 * Moments (avg, var, stddev) use Welford's update and Chan's parallel merge.
 * TEXT values (min/max/first/last) are owned length-prefixed copies: a
 * uint32 length followed by the bytes. count(DISTINCT) keeps an open-
 * addressing set of value hashes plus values, mergeable by re-insertion.
 */
#include "ops/agg.h"

#include "core/codec.h"
#include "core/hash.h"
#include "ember/error.h"

#include <math.h>
#include <string.h>

typedef struct dset {
    uint32_t cap, n;  /* cap: power of two */
    uint64_t *h;      /* 0 = empty slot (hashes are forced non-zero) */
    int64_t *v;       /* value bits, or a text blob pointer */
} dset;

static void *blob_new(const char *p, uint32_t n)
{
    char *b = em_malloc(4 + (size_t)n);
    if (!b)
        return NULL;
    memcpy(b, &n, 4);
    if (n)
        memcpy(b + 4, p, n);
    return b;
}

static uint32_t blob_len(const void *b)
{
    uint32_t n;
    memcpy(&n, b, 4);
    return n;
}

static int blob_cmp(const void *x, const char *p, uint32_t n)
{
    uint32_t xn = blob_len(x);
    int c = memcmp((const char *)x + 4, p, xn < n ? xn : n);
    if (c)
        return c;
    return xn < n ? -1 : xn > n;
}

em_type em__agg_out_type(em_agg_kind k, em_type in)
{
    switch (k) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
    case EM_AGG_COUNT_DISTINCT:
        return EM_TYPE_BIGINT;
    case EM_AGG_SUM:
        return in == EM_TYPE_BIGINT || in == EM_TYPE_DOUBLE ? in : EM_TYPE_NULL;
    case EM_AGG_AVG:
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP:
        return in == EM_TYPE_BIGINT || in == EM_TYPE_DOUBLE ? EM_TYPE_DOUBLE : EM_TYPE_NULL;
    case EM_AGG_NOWCAST_PM:
        return in == EM_TYPE_BIGINT || in == EM_TYPE_DOUBLE ? EM_TYPE_DOUBLE : EM_TYPE_NULL;
    case EM_AGG_MIN:
    case EM_AGG_MAX:
    case EM_AGG_FIRST:
    case EM_AGG_LAST:
        return in == EM_TYPE_NULL ? EM_TYPE_NULL : in;
    }
    return EM_TYPE_NULL;
}

static int64_t val_bits(const em_column *c, uint32_t row)
{
    switch (c->type) {
    case EM_TYPE_BOOLEAN:
        return c->v.b[row];
    case EM_TYPE_DOUBLE: {
        double d = c->v.f64[row];
        int64_t bits;
        if (d == 0)
            d = 0; /* -0.0 and 0.0 are one value */
        memcpy(&bits, &d, 8);
        return bits;
    }
    default:
        return c->v.i64[row];
    }
}

static double val_f64(const em_column *c, uint32_t row)
{
    return c->type == EM_TYPE_DOUBLE ? c->v.f64[row] : (double)c->v.i64[row];
}

/* <0, 0, >0 comparing row of c with the stored value of s. */
static int cmp_row(const em_column *c, uint32_t row, const em__agg_state *s)
{
    switch (c->type) {
    case EM_TYPE_TEXT: {
        em_slice t = em_column_text(c, row);
        return -blob_cmp(s->a.p, t.ptr, (uint32_t)t.len);
    }
    case EM_TYPE_DOUBLE:
        return (c->v.f64[row] > s->a.d) - (c->v.f64[row] < s->a.d);
    case EM_TYPE_BOOLEAN:
        return (int)c->v.b[row] - (int)s->a.i;
    default:
        return (c->v.i64[row] > s->a.i) - (c->v.i64[row] < s->a.i);
    }
}

/* Stores row of c as s's value (replacing an owned TEXT copy). */
static int set_val(em__agg_state *s, const em_column *c, uint32_t row)
{
    if (c->type == EM_TYPE_TEXT) {
        em_slice t = em_column_text(c, row);
        void *b = blob_new(t.ptr, (uint32_t)t.len);
        if (!b)
            return EM_ENOMEM;
        if (s->n)
            em_free(s->a.p);
        s->a.p = b;
    } else if (c->type == EM_TYPE_DOUBLE) {
        s->a.d = c->v.f64[row];
    } else if (c->type == EM_TYPE_BOOLEAN) {
        s->a.i = c->v.b[row];
    } else {
        s->a.i = c->v.i64[row];
    }
    return 0;
}

static int dset_insert(dset *d, em_type t, uint64_t h, int64_t v, const char *tp, uint32_t tn,
                       int copy)
{
    if (h == 0)
        h = 1;
    if ((d->n + 1) * 4 > d->cap * 3) {
        uint32_t nc = d->cap ? d->cap * 2 : 8;
        uint64_t *nh = em_calloc(nc, sizeof *nh);
        int64_t *nv = em_calloc(nc, sizeof *nv);
        if (!nh || !nv) {
            em_free(nh);
            em_free(nv);
            return EM_ENOMEM;
        }
        for (uint32_t i = 0; i < d->cap; i++) {
            if (!d->h[i])
                continue;
            uint32_t j = (uint32_t)d->h[i] & (nc - 1);
            while (nh[j])
                j = (j + 1) & (nc - 1);
            nh[j] = d->h[i];
            nv[j] = d->v[i];
        }
        em_free(d->h);
        em_free(d->v);
        d->h = nh;
        d->v = nv;
        d->cap = nc;
    }
    uint32_t j = (uint32_t)h & (d->cap - 1);
    while (d->h[j]) {
        if (d->h[j] == h) {
            if (t == EM_TYPE_TEXT ? blob_cmp((void *)(intptr_t)d->v[j], tp, tn) == 0
                                  : d->v[j] == v)
                return 0;
        }
        j = (j + 1) & (d->cap - 1);
    }
    if (t == EM_TYPE_TEXT) {
        void *b = copy ? blob_new(tp, tn) : NULL;
        if (copy && !b)
            return EM_ENOMEM;
        v = (int64_t)(intptr_t)b;
    }
    d->h[j] = h;
    d->v[j] = v;
    d->n++;
    return 0;
}

int em__agg_update(em_agg_kind k, em__agg_state *s, const em_column *c, uint32_t row, int64_t ts,
                   uint64_t seq)
{
    if (k == EM_AGG_COUNT_STAR) {
        s->n++;
        return 0;
    }
    if (k == EM_AGG_NOWCAST_PM)
        return em__nowcast_update(s, c, row, ts);
    if (em_column_is_null(c, row))
        return 0;
    switch (k) {
    case EM_AGG_COUNT:
        s->n++;
        return 0;
    case EM_AGG_SUM:
        if (c->type == EM_TYPE_DOUBLE)
            s->a.d += c->v.f64[row];
        else
            s->a.i = (int64_t)((uint64_t)s->a.i + (uint64_t)c->v.i64[row]);
        s->n++;
        return 0;
    case EM_AGG_AVG:
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP: {
        double x = val_f64(c, row);
        s->n++;
        double d = x - s->a.d;
        s->a.d += d / (double)s->n;
        s->b.d += d * (x - s->a.d);
        return 0;
    }
    case EM_AGG_MIN:
    case EM_AGG_MAX: {
        if (s->n) {
            int cmp = cmp_row(c, row, s);
            if (k == EM_AGG_MIN ? cmp >= 0 : cmp <= 0)
                return 0;
        }
        int rc = set_val(s, c, row);
        if (!rc)
            s->n = 1;
        return rc;
    }
    case EM_AGG_FIRST:
    case EM_AGG_LAST: {
        if (s->n) {
            int take = k == EM_AGG_FIRST ? ts < s->b.i || (ts == s->b.i && seq < s->c)
                                         : ts > s->b.i || (ts == s->b.i && seq > s->c);
            if (!take)
                return 0;
        }
        int rc = set_val(s, c, row);
        if (rc)
            return rc;
        s->n = 1;
        s->b.i = ts;
        s->c = seq;
        return 0;
    }
    case EM_AGG_COUNT_DISTINCT: {
        dset *d = s->a.p;
        if (!d) {
            d = em_calloc(1, sizeof *d);
            if (!d)
                return EM_ENOMEM;
            s->a.p = d;
        }
        int rc;
        if (c->type == EM_TYPE_TEXT) {
            em_slice t = em_column_text(c, row);
            rc = dset_insert(d, EM_TYPE_TEXT, em_hash_bytes(t.ptr, t.len, EM_HASH_SEED), 0,
                             t.ptr, (uint32_t)t.len, 1);
        } else {
            int64_t v = val_bits(c, row);
            rc = dset_insert(d, c->type, em_hash_u64((uint64_t)v, EM_HASH_SEED), v, NULL, 0, 0);
        }
        s->n = d->n;
        return rc;
    }
    default:
        return 0;
    }
}

int em__agg_merge(em_agg_kind k, em_type t, em__agg_state *dst, const em__agg_state *src)
{
    if (src->n == 0 && k != EM_AGG_COUNT_DISTINCT)
        return 0;
    switch (k) {
    case EM_AGG_NOWCAST_PM:
        return em__nowcast_merge(dst, src);
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
        dst->n += src->n;
        return 0;
    case EM_AGG_SUM:
        if (t == EM_TYPE_DOUBLE)
            dst->a.d += src->a.d;
        else
            dst->a.i = (int64_t)((uint64_t)dst->a.i + (uint64_t)src->a.i);
        dst->n += src->n;
        return 0;
    case EM_AGG_AVG:
    case EM_AGG_STDDEV_SAMP:
    case EM_AGG_STDDEV_POP:
    case EM_AGG_VAR_SAMP:
    case EM_AGG_VAR_POP: {
        double na = (double)dst->n, nb = (double)src->n, n = na + nb;
        double d = src->a.d - dst->a.d;
        dst->a.d += d * nb / n;
        dst->b.d += src->b.d + d * d * na * nb / n;
        dst->n += src->n;
        return 0;
    }
    case EM_AGG_MIN:
    case EM_AGG_MAX:
    case EM_AGG_FIRST:
    case EM_AGG_LAST: {
        int take = !dst->n;
        if (!take && (k == EM_AGG_MIN || k == EM_AGG_MAX)) {
            int cmp;
            if (t == EM_TYPE_TEXT)
                cmp = -blob_cmp(dst->a.p, (const char *)src->a.p + 4, blob_len(src->a.p));
            else if (t == EM_TYPE_DOUBLE)
                cmp = (src->a.d > dst->a.d) - (src->a.d < dst->a.d);
            else
                cmp = (src->a.i > dst->a.i) - (src->a.i < dst->a.i);
            take = k == EM_AGG_MIN ? cmp < 0 : cmp > 0;
        } else if (!take) {
            take = k == EM_AGG_FIRST
                       ? src->b.i < dst->b.i || (src->b.i == dst->b.i && src->c < dst->c)
                       : src->b.i > dst->b.i || (src->b.i == dst->b.i && src->c > dst->c);
        }
        if (!take)
            return 0;
        if (t == EM_TYPE_TEXT) {
            void *b = blob_new((const char *)src->a.p + 4, blob_len(src->a.p));
            if (!b)
                return EM_ENOMEM;
            if (dst->n)
                em_free(dst->a.p);
            dst->a.p = b;
        } else {
            dst->a = src->a;
        }
        dst->n = 1;
        dst->b = src->b;
        dst->c = src->c;
        return 0;
    }
    case EM_AGG_COUNT_DISTINCT: {
        const dset *s = src->a.p;
        if (!s)
            return 0;
        dset *d = dst->a.p;
        if (!d) {
            d = em_calloc(1, sizeof *d);
            if (!d)
                return EM_ENOMEM;
            dst->a.p = d;
        }
        for (uint32_t i = 0; i < s->cap; i++) {
            if (!s->h[i])
                continue;
            const char *tp = t == EM_TYPE_TEXT ? (const char *)(intptr_t)s->v[i] : NULL;
            int rc = dset_insert(d, t, s->h[i], s->v[i], tp ? tp + 4 : NULL,
                                 tp ? blob_len(tp) : 0, 1);
            if (rc)
                return rc;
        }
        dst->n = d->n;
        return 0;
    }
    }
    return 0;
}

void em__agg_value(em_agg_kind k, em_type t, const em__agg_state *s, em__agg_val *out)
{
    double n = (double)s->n;
    out->null = 0;
    out->p = NULL;
    out->len = 0;
    switch (k) {
    case EM_AGG_COUNT_STAR:
    case EM_AGG_COUNT:
    case EM_AGG_COUNT_DISTINCT:
        out->v.i = s->n;
        return;
    case EM_AGG_NOWCAST_PM:
        em__nowcast_value(s, INT64_MIN, out);
        return;
    default:
        break;
    }
    if (s->n == 0) {
        out->null = 1;
        out->v.i = 0;
        return;
    }
    switch (k) {
    case EM_AGG_AVG:
        out->v.d = s->a.d;
        return;
    case EM_AGG_VAR_POP:
        out->v.d = s->b.d / n;
        return;
    case EM_AGG_STDDEV_POP:
        out->v.d = sqrt(s->b.d / n);
        return;
    case EM_AGG_VAR_SAMP:
    case EM_AGG_STDDEV_SAMP:
        if (s->n < 2) {
            out->null = 1;
            out->v.i = 0;
            return;
        }
        out->v.d = k == EM_AGG_VAR_SAMP ? s->b.d / (n - 1) : sqrt(s->b.d / (n - 1));
        return;
    default:
        break;
    }
    /* sum, min, max, first, last: the stored value in the input type */
    if (t == EM_TYPE_TEXT) {
        out->p = (const char *)s->a.p + 4;
        out->len = blob_len(s->a.p);
        out->v.i = 0;
    } else if (t == EM_TYPE_DOUBLE) {
        out->v.d = s->a.d;
    } else {
        out->v.i = t == EM_TYPE_BOOLEAN ? s->a.i != 0 : s->a.i;
    }
}

int em__agg_put(em_batch_builder *bb, uint32_t col, em_type t, const em__agg_val *v)
{
    if (v->null)
        return em_batch_builder_set_null(bb, col);
    switch (t) {
    case EM_TYPE_TEXT:
        return em_batch_builder_set_text(bb, col, v->p, v->len);
    case EM_TYPE_DOUBLE:
        em_batch_builder_set_f64(bb, col, v->v.d);
        return 0;
    case EM_TYPE_BOOLEAN:
        em_batch_builder_set_bool(bb, col, v->v.i != 0);
        return 0;
    default:
        em_batch_builder_set_i64(bb, col, v->v.i);
        return 0;
    }
}

int em__agg_result(em_agg_kind k, em_type t, const em__agg_state *s, em_batch_builder *bb,
                   uint32_t col)
{
    em__agg_val v;
    em__agg_value(k, t, s, &v);
    return em__agg_put(bb, col, em__agg_out_type(k, t), &v);
}

void em__agg_free(em_agg_kind k, em_type t, em__agg_state *s)
{
    if (k == EM_AGG_NOWCAST_PM) {
        em__nowcast_free(s);
    } else if (k == EM_AGG_COUNT_DISTINCT) {
        dset *d = s->a.p;
        if (d) {
            if (t == EM_TYPE_TEXT)
                for (uint32_t i = 0; i < d->cap; i++)
                    if (d->h[i])
                        em_free((void *)(intptr_t)d->v[i]);
            em_free(d->h);
            em_free(d->v);
            em_free(d);
        }
    } else if (t == EM_TYPE_TEXT && s->n &&
               (k == EM_AGG_MIN || k == EM_AGG_MAX || k == EM_AGG_FIRST || k == EM_AGG_LAST)) {
        em_free(s->a.p);
    }
    memset(s, 0, sizeof *s);
}

size_t em__agg_heap_bytes(em_agg_kind k, em_type t, const em__agg_state *s)
{
    if (k == EM_AGG_NOWCAST_PM)
        return em__nowcast_heap_bytes(s);
    if (k == EM_AGG_COUNT_DISTINCT && s->a.p) {
        const dset *d = s->a.p;
        return sizeof *d + (size_t)d->cap * 16;
    }
    if (t == EM_TYPE_TEXT && s->n &&
        (k == EM_AGG_MIN || k == EM_AGG_MAX || k == EM_AGG_FIRST || k == EM_AGG_LAST))
        return 4 + blob_len(s->a.p);
    return 0;
}

/* ---- snapshots ---- */

static int text_kind(em_agg_kind k, em_type t)
{
    return t == EM_TYPE_TEXT &&
           (k == EM_AGG_MIN || k == EM_AGG_MAX || k == EM_AGG_FIRST || k == EM_AGG_LAST);
}

int em__agg_state_put(em_buf *b, em_agg_kind k, em_type t, const em__agg_state *s)
{
    int rc;
    if (k == EM_AGG_NOWCAST_PM)
        return em__nowcast_put(b, s);
    if (k == EM_AGG_COUNT_DISTINCT) {
        const dset *d = s->a.p;
        uint32_t n = d ? d->n : 0;
        if ((rc = em_enc_u32(b, n)) || !n)
            return rc;
        for (uint32_t i = 0; i < d->cap && !rc; i++) {
            if (!d->h[i])
                continue;
            if (t == EM_TYPE_TEXT) {
                const char *blob = (const char *)(intptr_t)d->v[i];
                rc = em_enc_bytes(b, blob + 4, blob_len(blob));
            } else {
                rc = em_enc_i64(b, d->v[i]);
            }
        }
        return rc;
    }
    if (text_kind(k, t)) {
        if ((rc = em_enc_u8(b, s->n != 0)) || !s->n)
            return rc;
        if (!(rc = em_enc_i64(b, s->b.i)) && !(rc = em_enc_u64(b, s->c)))
            rc = em_enc_bytes(b, (const char *)s->a.p + 4, blob_len(s->a.p));
        return rc;
    }
    return em_buf_append(b, s, sizeof *s); /* no pointers: the raw 32 bytes */
}

int em__agg_state_get(em_dec *d, em_agg_kind k, em_type t, em__agg_state *s)
{
    memset(s, 0, sizeof *s);
    if (k == EM_AGG_NOWCAST_PM)
        return em__nowcast_get(d, s);
    if (k == EM_AGG_COUNT_DISTINCT) {
        uint32_t n = em_dec_u32(d);
        /* each value takes at least 4 (TEXT) or 8 bytes */
        if (!em_dec_ok(d) || (size_t)n * (t == EM_TYPE_TEXT ? 4 : 8) > em_dec_left(d)) {
            em_dec_fail(d);
            return EM_ECORRUPT;
        }
        if (!n)
            return 0;
        dset *ds = em_calloc(1, sizeof *ds);
        if (!ds)
            return EM_ENOMEM;
        s->a.p = ds;
        for (uint32_t i = 0; i < n; i++) {
            int rc;
            if (t == EM_TYPE_TEXT) {
                em_slice v = em_dec_bytes(d);
                if (!em_dec_ok(d))
                    return EM_ECORRUPT;
                rc = dset_insert(ds, t, em_hash_bytes(v.ptr, v.len, EM_HASH_SEED), 0, v.ptr,
                                 (uint32_t)v.len, 1);
            } else {
                int64_t v = em_dec_i64(d);
                if (!em_dec_ok(d))
                    return EM_ECORRUPT;
                rc = dset_insert(ds, t, em_hash_u64((uint64_t)v, EM_HASH_SEED), v, NULL, 0, 0);
            }
            if (rc)
                return rc;
        }
        s->n = ds->n;
        return ds->n == n ? 0 : (em_dec_fail(d), EM_ECORRUPT); /* duplicates */
    }
    if (text_kind(k, t)) {
        uint8_t has = em_dec_u8(d);
        if (has > 1)
            em_dec_fail(d);
        if (!has || !em_dec_ok(d))
            return em_dec_ok(d) ? 0 : EM_ECORRUPT;
        int64_t ts = em_dec_i64(d);
        uint64_t seq = em_dec_u64(d);
        em_slice v = em_dec_bytes(d);
        if (!em_dec_ok(d) || v.len > UINT32_MAX - 4)
            return EM_ECORRUPT;
        if (!(s->a.p = blob_new(v.ptr, (uint32_t)v.len)))
            return EM_ENOMEM;
        s->n = 1;
        s->b.i = ts;
        s->c = seq;
        return 0;
    }
    const void *raw = d->p;
    if (em_dec_left(d) < sizeof *s) {
        em_dec_fail(d);
        return EM_ECORRUPT;
    }
    memcpy(s, raw, sizeof *s);
    d->p += sizeof *s;
    int one = k == EM_AGG_MIN || k == EM_AGG_MAX || k == EM_AGG_FIRST || k == EM_AGG_LAST;
    if (s->n < 0 || s->n >= (INT64_C(1) << 48) || (one && s->n > 1)) {
        memset(s, 0, sizeof *s);
        em_dec_fail(d);
        return EM_ECORRUPT;
    }
    return 0;
}
