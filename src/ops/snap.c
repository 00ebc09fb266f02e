/*
 * ops/snap.c - the snapshot envelope (version, layout fingerprint) and the
 * row codec shared by the stateful operators. See snap.h.
 */
#include "ops/snap.h"

#include "ember/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- fingerprint ---- */

void em__fp_init(em__fp *fp)
{
    memset(fp, 0, sizeof *fp);
}

static int fp_slot(em__fp *fp, const char *fmt, va_list ap)
{
    if (fp->n == EM__FP_MAX - 1 && !fp->overflow) {
        /* the last slot sums whatever does not fit */
        snprintf(fp->name[fp->n], sizeof fp->name[0], "more settings");
        fp->v[fp->n] = 0;
        fp->text[fp->n][0] = 0;
        fp->n++;
        fp->overflow = 1;
    }
    if (fp->overflow) return -1;
    vsnprintf(fp->name[fp->n], sizeof fp->name[0], fmt, ap);
    fp->text[fp->n][0] = 0;
    return (int)fp->n++;
}

void em__fp_num(em__fp *fp, int64_t v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int i = fp_slot(fp, fmt, ap);
    va_end(ap);
    if (i >= 0)
        fp->v[i] = v;
    else
        fp->v[fp->n - 1] = (int64_t)((uint64_t)fp->v[fp->n - 1] * 31 + (uint64_t)v);
}

void em__fp_text(em__fp *fp, const char *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int i = fp_slot(fp, fmt, ap);
    va_end(ap);
    if (i >= 0) {
        snprintf(fp->text[i], sizeof fp->text[0], "%s", v && *v ? v : "-");
        return;
    }
    for (const char *s = v; s && *s; s++)
        fp->v[fp->n - 1] = (int64_t)((uint64_t)fp->v[fp->n - 1] * 31 + (unsigned char)*s);
}

int em__snap_begin(em_buf *out, const em_op *op, const em__fp *fp)
{
    int rc = em_enc_u32(out, op->vt->state_version);
    if (!rc) rc = em_enc_u32(out, fp->n);
    for (uint32_t i = 0; !rc && i < fp->n; i++) {
        rc = em_enc_str(out, fp->name[i]);
        if (!rc) rc = em_enc_u8(out, fp->text[i][0] != 0);
        if (!rc) rc = fp->text[i][0] ? em_enc_str(out, fp->text[i]) : em_enc_i64(out, fp->v[i]);
    }
    return rc;
}

int em__snap_corrupt(const em_op *op, em_errbuf *err, const char *what)
{
    return em_errf(err, EM_ECORRUPT, "%s %s: corrupt snapshot: %s", op->vt->kind,
                   op->id ? op->id : "?", what);
}

static void show(char *dst, size_t cap, int is_text, em_slice t, int64_t v)
{
    if (is_text)
        snprintf(dst, cap, "%.*s", (int)(t.len < 39 ? t.len : 39), t.ptr);
    else
        snprintf(dst, cap, "%lld", (long long)v);
}

int em__snap_open(em_dec *d, const em_op *op, const em__fp *fp, const char *p, size_t n,
                  em_errbuf *err)
{
    const char *kind = op->vt->kind, *id = op->id ? op->id : "?";
    em_dec_init(d, p, n);
    uint32_t ver = em_dec_u32(d);
    uint32_t ni = em_dec_u32(d);
    if (!em_dec_ok(d)) return em__snap_corrupt(op, err, "shorter than its header");
    if (ver != op->vt->state_version)
        return em_errf(err, EM_EINVAL,
                       "%s %s: incompatible state: the snapshot has state layout version %u, "
                       "this build reads version %u",
                       kind, id, ver, op->vt->state_version);
    for (uint32_t i = 0; i < ni; i++) {
        em_slice name = em_dec_bytes(d);
        uint8_t is_text = em_dec_u8(d);
        em_slice t = {"", 0};
        int64_t v = 0;
        if (is_text)
            t = em_dec_bytes(d);
        else
            v = em_dec_i64(d);
        if (!em_dec_ok(d) || is_text > 1)
            return em__snap_corrupt(op, err, "bad layout fingerprint");
        if (i >= fp->n)
            return em_errf(err, EM_EINVAL,
                           "%s %s: incompatible state: the snapshot has setting \"%.*s\", this "
                           "operator has no such setting",
                           kind, id, (int)(name.len < 40 ? name.len : 40), name.ptr);
        int same_name = name.len == strlen(fp->name[i]) && !memcmp(name.ptr, fp->name[i], name.len);
        int mine_text = fp->text[i][0] != 0;
        int same_val = is_text == mine_text &&
                       (is_text ? t.len == strlen(fp->text[i]) && !memcmp(t.ptr, fp->text[i], t.len)
                                : v == fp->v[i]);
        if (!same_name || !same_val) {
            char was[48], now[48];
            show(was, sizeof was, is_text, t, v);
            show(now, sizeof now, mine_text, em_slice_of(fp->text[i], strlen(fp->text[i])),
                 fp->v[i]);
            if (!same_name)
                return em_errf(err, EM_EINVAL,
                               "%s %s: incompatible state: the snapshot has %.*s = %s where this "
                               "operator has %s = %s",
                               kind, id, (int)(name.len < 40 ? name.len : 40), name.ptr, was,
                               fp->name[i], now);
            return em_errf(err, EM_EINVAL,
                           "%s %s: incompatible state: %s is %s in the snapshot but %s in this "
                           "operator",
                           kind, id, fp->name[i], was, now);
        }
    }
    if (ni < fp->n)
        return em_errf(err, EM_EINVAL,
                       "%s %s: incompatible state: this operator has setting \"%s\" that the "
                       "snapshot lacks",
                       kind, id, fp->name[ni]);
    return 0;
}

/* ---- raw blocks ---- */

const void *em__dec_take(em_dec *d, size_t n)
{
    if (!em_dec_ok(d) || em_dec_left(d) < n) {
        em_dec_fail(d);
        return NULL;
    }
    const void *p = d->p;
    d->p += n;
    return p;
}

int em__enc_raw(em_buf *b, const void *p, size_t n)
{
    return n ? em_buf_append(b, p, n) : 0;
}

/* ---- rows ---- */

static int put_col(em_buf *out, const em_column *c, uint32_t n)
{
    int nulls = c->validity && c->null_count;
    int rc = em_enc_u8(out, (uint8_t)nulls);
    if (!rc && nulls) rc = em__enc_raw(out, c->validity, em_bitmap_bytes(n));
    if (rc) return rc;
    if (c->type == EM_TYPE_TEXT) {
        uint32_t base = (uint32_t)c->v.off[0], total = (uint32_t)c->v.off[n] - base;
        if ((rc = em_enc_u32(out, total)) || (rc = em_buf_reserve(out, (size_t)n * 4 + total)))
            return rc;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len = (uint32_t)(c->v.off[i + 1] - c->v.off[i]);
            em__enc_raw(out, &len, 4); /* reserved above */
        }
        return em__enc_raw(out, c->data + base, total);
    }
    return em__enc_raw(out, c->v.ptr, (size_t)n * em_type_width(c->type));
}

int em__snap_put_rows(em_buf *out, const em_batch *b)
{
    int rc = em_enc_u32(out, b->nrows);
    for (uint32_t i = 0; !rc && i < b->ncols; i++)
        rc = put_col(out, &b->cols[i], b->nrows);
    return rc;
}

int em__snap_end_rows(em_buf *out)
{
    return em_enc_u32(out, 0);
}

static int get_col(em_dec *d, em_type t, uint32_t n, em_column *c, em_arena *a)
{
    uint8_t nulls = em_dec_u8(d);
    const uint8_t *bm = NULL;
    if (nulls > 1) em_dec_fail(d);
    if (nulls == 1) bm = em__dec_take(d, em_bitmap_bytes(n));
    if (!em_dec_ok(d)) return EM_ECORRUPT;
    uint32_t total = 0;
    const uint32_t *lens = NULL;
    if (t == EM_TYPE_TEXT) {
        total = em_dec_u32(d);
        lens = em__dec_take(d, (size_t)n * 4);
        if (!em_dec_ok(d) || total > em_dec_left(d) || total > INT32_MAX) goto bad;
    }
    if (em_column_alloc(c, t, n, total, a)) return EM_ENOMEM;
    if (t == EM_TYPE_TEXT) {
        uint64_t pos = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t len;
            memcpy(&len, (const char *)lens + (size_t)i * 4, 4);
            pos += len;
            if (pos > total) goto bad;
            c->v.off[i + 1] = (int32_t)pos;
        }
        const void *data = em__dec_take(d, total);
        if (pos != total || !data) goto bad;
        if (total) memcpy(c->data, data, total);
        c->data_len = total;
    } else {
        size_t w = em_type_width(t);
        const void *v = em__dec_take(d, (size_t)n * w);
        if (!v) goto bad;
        if (n) memcpy(c->v.ptr, v, (size_t)n * w);
        if (t == EM_TYPE_BOOLEAN)
            for (uint32_t i = 0; i < n; i++)
                c->v.b[i] = c->v.b[i] != 0;
    }
    if (bm) {
        c->validity = em_arena_alloc(a, em_bitmap_bytes(n) ? em_bitmap_bytes(n) : 1);
        if (!c->validity) return EM_ENOMEM;
        memcpy(c->validity, bm, em_bitmap_bytes(n));
        for (uint32_t i = 0; i < n; i++)
            c->null_count += em_column_is_null(c, i);
        if (n & 7) /* bits past the last row are set, as the builder leaves them */
            c->validity[n >> 3] |= (uint8_t)(0xffu << (n & 7));
    }
    return 0;
bad:
    em_dec_fail(d);
    return EM_ECORRUPT;
}

int em__snap_get_rows(em_dec *d, const em_schema *s, em_arena *a, em_batch **out)
{
    *out = NULL;
    uint32_t n = em_dec_u32(d);
    if (!em_dec_ok(d)) return EM_ECORRUPT;
    if (n == 0) return 0;
    /* every row costs at least a byte per column: rejects absurd counts
     * before allocating for them */
    if (n > EM_BATCH_ROWS || (s->nfields && em_dec_left(d) < (size_t)n * s->nfields / 8)) {
        em_dec_fail(d);
        return EM_ECORRUPT;
    }
    em_batch *b = em_batch_view(s, n, a);
    if (!b) return EM_ENOMEM;
    for (uint32_t i = 0; i < s->nfields; i++) {
        int rc = get_col(d, s->fields[i].type, n, &b->cols[i], a);
        if (rc) return rc;
    }
    *out = b;
    return 0;
}
