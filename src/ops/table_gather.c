/*
 * ops/table_gather.c - building arena columns from the row store and from
 * other columns: what a join does per output row, so the loops here are
 * the join's inner loops.
 *
 * Two shapes of output. A dense gather (em__rowstore_gather,
 * em__column_gather) builds n rows, row i from ids[i] / rows[i]. A scatter
 * (em__rowstore_scatter) builds a column as long as an input batch whose
 * selected rows get table values, so a join can pass the input's own
 * column buffers through and attach only the table's columns.
 *
 * Text values are short (ids, names, codes), so they are copied with a few
 * unaligned 8/16-byte moves instead of a libc memcpy call each, and offset
 * arrays are written once (never zeroed first).
 */
#include "ops/table.h"

#include "ember/error.h"

#include <string.h>

/* A TEXT column of n rows with `bytes` of data; unlike em_column_alloc the
 * offsets are left for the caller to write (all n + 1 of them). */
static int text_alloc(em_column *c, uint32_t n, uint32_t bytes, em_arena *a)
{
    memset(c, 0, sizeof *c);
    c->type = EM_TYPE_TEXT;
    c->len = n;
    c->v.off = em_arena_alloc(a, ((size_t)n + 1) * sizeof(int32_t));
    c->data = em_arena_alloc(a, bytes ? bytes : 1);
    if (!c->v.off || !c->data)
        return EM_ENOMEM;
    c->data_cap = bytes;
    return 0;
}

/* A validity bitmap for n rows, all valid. */
static uint8_t *all_valid(uint32_t n, em_arena *a)
{
    size_t nb = em_bitmap_bytes(n);
    uint8_t *v = em_arena_alloc(a, nb ? nb : 1);
    if (v)
        memset(v, 0xff, nb ? nb : 1);
    return v;
}

/* Marks the NULL rows of dst (n rows): row i is NULL when isnull(i). */
#define MARK_NULLS(dst, n, a, isnull)                                                              \
    do {                                                                                           \
        uint32_t nn_ = 0;                                                                          \
        for (uint32_t i = 0; i < (n); i++)                                                         \
            nn_ += (isnull) ? 1u : 0u;                                                             \
        if (nn_) {                                                                                 \
            if (!((dst)->validity = all_valid((n), (a))))                                          \
                return EM_ENOMEM;                                                                  \
            for (uint32_t i = 0; i < (n); i++)                                                     \
                if (isnull)                                                                        \
                    em_bit_clear((dst)->validity, i);                                              \
            (dst)->null_count = nn_;                                                               \
        }                                                                                          \
    } while (0)

/* Text space for the TEXT values of slots ids[0..n) (negative ids: none):
 * n times the longest value when that is small (arena space is cheap, a
 * pass over the ids is not), else their exact sum. */
static uint32_t ids_text_bytes(const em__rowcol *rc, const int32_t *ids, uint32_t n)
{
    if ((uint64_t)n * rc->max_len <= (1u << 20))
        return n * rc->max_len;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += ids[i] >= 0 ? rc->txt[ids[i]].len : 0;
    return bytes > INT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

int em__rowstore_gather(const em__rowstore *rs, uint32_t col, const int32_t *ids, uint32_t n,
                        em_column *dst, em_arena *a)
{
    const em__rowcol *rc = &rs->cols[col];
    int missing = 0; /* some ids[i] < 0 */
    for (uint32_t i = 0; i < n; i++)
        missing |= ids[i] < 0;
    int rc_;
    if (rc->type == EM_TYPE_TEXT) {
        uint32_t bytes = ids_text_bytes(rc, ids, n);
        if (bytes == UINT32_MAX)
            return EM_ELIMIT;
        if ((rc_ = text_alloc(dst, n, bytes, a)))
            return rc_;
        int32_t pos = 0;
        dst->v.off[0] = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (ids[i] >= 0) {
                const em__tcell *c = &rc->txt[ids[i]];
                em__copy_text(dst->data + pos, em__tcell_ptr(c), c->len);
                pos += (int32_t)c->len;
            }
            dst->v.off[i + 1] = pos;
        }
        dst->data_len = (uint32_t)pos;
    } else if ((rc_ = em_column_alloc(dst, rc->type, n, 0, a))) {
        return rc_;
    } else if (rc->type == EM_TYPE_BOOLEAN) {
        for (uint32_t i = 0; i < n; i++)
            dst->v.b[i] = ids[i] >= 0 ? (uint8_t)rc->fix[ids[i]] : 0;
    } else if (!missing) {
        for (uint32_t i = 0; i < n; i++)
            dst->v.i64[i] = (int64_t)rc->fix[ids[i]];
    } else {
        for (uint32_t i = 0; i < n; i++)
            dst->v.i64[i] = ids[i] >= 0 ? (int64_t)rc->fix[ids[i]] : 0;
    }
    /* A column never given a NULL, gathered for ids that all name rows,
     * has no NULLs: skip the per-row check. */
    if (missing || rc->any_null)
        MARK_NULLS(dst, n, a, ids[i] < 0 || rc->null[ids[i]]);
    return 0;
}

int em__rowstore_scatter(const em__rowstore *rs, uint32_t col, const uint32_t *rows,
                         const int32_t *ids, uint32_t m, uint32_t nrows, em_column *dst,
                         em_arena *a)
{
    const em__rowcol *rc = &rs->cols[col];
    int missing = 0, rc_;
    if (rc->type != EM_TYPE_TEXT) /* the text loop below notes it itself */
        for (uint32_t i = 0; i < m; i++)
            missing |= ids[i] < 0;
    if (rc->type == EM_TYPE_TEXT) {
        uint32_t bytes = ids_text_bytes(rc, ids, m);
        if (bytes == UINT32_MAX)
            return EM_ELIMIT;
        if ((rc_ = text_alloc(dst, nrows, bytes, a)))
            return rc_;
        /* rows between two selected ones get empty values */
        int32_t *off = dst->v.off, pos = 0;
        uint32_t next = 0; /* first row whose start offset is not written */
        for (uint32_t i = 0; i < m; i++) {
            uint32_t r = rows[i];
            while (next <= r)
                off[next++] = pos;
            if (ids[i] >= 0) {
                const em__tcell *c = &rc->txt[ids[i]];
                em__copy_text(dst->data + pos, em__tcell_ptr(c), c->len);
                pos += (int32_t)c->len;
            } else {
                missing = 1;
            }
        }
        while (next <= nrows)
            off[next++] = pos;
        dst->data_len = (uint32_t)pos;
    } else {
        if ((rc_ = em_column_alloc(dst, rc->type, nrows, 0, a)))
            return rc_;
        if (m < nrows) /* unselected rows hold initialised values */
            memset(dst->v.ptr, 0, (size_t)nrows * em_type_width(rc->type));
        if (rc->type == EM_TYPE_BOOLEAN)
            for (uint32_t i = 0; i < m; i++)
                dst->v.b[rows[i]] = ids[i] >= 0 ? (uint8_t)rc->fix[ids[i]] : 0;
        else if (!missing)
            for (uint32_t i = 0; i < m; i++)
                dst->v.i64[rows[i]] = (int64_t)rc->fix[ids[i]];
        else
            for (uint32_t i = 0; i < m; i++)
                dst->v.i64[rows[i]] = ids[i] >= 0 ? (int64_t)rc->fix[ids[i]] : 0;
    }
    if (missing || rc->any_null) {
        uint32_t nn = 0;
        for (uint32_t i = 0; i < m; i++)
            nn += ids[i] < 0 || rc->null[ids[i]];
        if (nn) {
            if (!(dst->validity = all_valid(nrows, a)))
                return EM_ENOMEM;
            for (uint32_t i = 0; i < m; i++)
                if (ids[i] < 0 || rc->null[ids[i]])
                    em_bit_clear(dst->validity, rows[i]);
            dst->null_count = nn;
        }
    }
    return 0;
}

int em__column_gather(em_column *dst, const em_column *src, const uint32_t *rows, uint32_t n,
                      em_arena *a)
{
    int rc;
    if (src->type == EM_TYPE_TEXT) {
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < n; i++)
            bytes += (uint32_t)(src->v.off[rows[i] + 1] - src->v.off[rows[i]]);
        if (bytes > INT32_MAX)
            return EM_ELIMIT;
        if ((rc = text_alloc(dst, n, (uint32_t)bytes, a)))
            return rc;
        int32_t pos = 0;
        dst->v.off[0] = 0;
        for (uint32_t i = 0; i < n; i++) {
            int32_t s = src->v.off[rows[i]], e = src->v.off[rows[i] + 1];
            em__copy_text(dst->data + pos, src->data + s, (uint32_t)(e - s));
            pos += e - s;
            dst->v.off[i + 1] = pos;
        }
        dst->data_len = (uint32_t)pos;
    } else if ((rc = em_column_alloc(dst, src->type, n, 0, a))) {
        return rc;
    } else if (em_type_width(src->type) == 8) {
        for (uint32_t i = 0; i < n; i++)
            dst->v.i64[i] = src->v.i64[rows[i]];
    } else {
        for (uint32_t i = 0; i < n; i++)
            dst->v.b[i] = src->v.b[rows[i]];
    }
    if (src->validity && src->null_count)
        MARK_NULLS(dst, n, a, em_column_is_null(src, rows[i]));
    return 0;
}
