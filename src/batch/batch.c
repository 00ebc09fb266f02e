/*
 * batch/batch.c - schemas, column allocation, compaction and the builder.
 */
#include "batch/batch.h"

#include "ember/error.h"

#include <string.h>
#include <strings.h>

em_schema *em_schema_create(uint32_t nfields, const char *const *names, const em_type *types)
{
    em_schema *s = em_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fields = em_calloc(nfields ? nfields : 1, sizeof *s->fields);
    if (!s->fields)
        goto fail;
    for (uint32_t i = 0; i < nfields; i++) {
        s->fields[i].name = em_strdup(names[i]);
        s->fields[i].type = types[i];
        s->nfields = i + 1;
        if (!s->fields[i].name)
            goto fail;
    }
    s->nfields = nfields;
    return s;
fail:
    em_schema_destroy(s);
    return NULL;
}

em_schema *em_schema_copy(const em_schema *src)
{
    const char *names[src->nfields ? src->nfields : 1];
    em_type types[src->nfields ? src->nfields : 1];
    for (uint32_t i = 0; i < src->nfields; i++) {
        names[i] = src->fields[i].name;
        types[i] = src->fields[i].type;
    }
    return em_schema_create(src->nfields, names, types);
}

void em_schema_destroy(em_schema *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nfields; i++)
        em_free(s->fields[i].name);
    em_free(s->fields);
    em_free(s);
}

int em_schema_find(const em_schema *s, const char *name, size_t len)
{
    for (uint32_t i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i].name) == len && strncasecmp(s->fields[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

bool em_schema_equal(const em_schema *a, const em_schema *b)
{
    if (a->nfields != b->nfields)
        return false;
    for (uint32_t i = 0; i < a->nfields; i++)
        if (a->fields[i].type != b->fields[i].type ||
            strcasecmp(a->fields[i].name, b->fields[i].name) != 0)
            return false;
    return true;
}

size_t em_type_width(em_type t)
{
    switch (t) {
    case EM_TYPE_BOOLEAN:
    case EM_TYPE_NULL:
        return 1;
    case EM_TYPE_TEXT:
        return 4;
    default:
        return 8;
    }
}

int em_column_set_null(em_column *c, uint32_t row, em_arena *a)
{
    if (!c->validity) {
        size_t nb = em_bitmap_bytes(c->len);
        c->validity = em_arena_alloc(a, nb ? nb : 1);
        if (!c->validity)
            return EM_ENOMEM;
        memset(c->validity, 0xff, nb ? nb : 1);
    }
    if (!em_column_is_null(c, row)) {
        em_bit_clear(c->validity, row);
        c->null_count++;
    }
    return 0;
}

int em_column_alloc(em_column *c, em_type t, uint32_t n, uint32_t data_cap, em_arena *a)
{
    memset(c, 0, sizeof *c);
    c->type = t;
    c->len = n;
    size_t slots = t == EM_TYPE_TEXT ? (size_t)n + 1 : (n ? n : 1);
    c->v.ptr = em_arena_alloc(a, slots * em_type_width(t));
    if (!c->v.ptr)
        return EM_ENOMEM;
    if (t == EM_TYPE_TEXT) {
        memset(c->v.off, 0, slots * sizeof(int32_t));
        c->data_cap = data_cap;
        c->data = em_arena_alloc(a, data_cap ? data_cap : 1);
        if (!c->data)
            return EM_ENOMEM;
    }
    return 0;
}

em_batch *em_batch_view(const em_schema *s, uint32_t nrows, em_arena *a)
{
    em_batch *b = em_arena_calloc(a, 1, sizeof *b);
    if (!b)
        return NULL;
    b->schema = s;
    b->nrows = nrows;
    b->nsel = nrows;
    b->ncols = s->nfields;
    b->cols = em_arena_calloc(a, s->nfields ? s->nfields : 1, sizeof *b->cols);
    return b->cols ? b : NULL;
}

em_batch *em_batch_alloc(const em_schema *s, uint32_t nrows, em_arena *a)
{
    em_batch *b = em_batch_view(s, nrows, a);
    if (!b)
        return NULL;
    for (uint32_t i = 0; i < s->nfields; i++)
        if (em_column_alloc(&b->cols[i], s->fields[i].type, nrows, nrows * 16u, a))
            return NULL;
    return b;
}

/* Gathers the selected rows of one column into dst (allocated here). */
static int column_gather(em_column *dst, const em_column *src, const uint32_t *sel, uint32_t n,
                         em_arena *a)
{
    uint32_t bytes = 0;
    if (src->type == EM_TYPE_TEXT)
        for (uint32_t i = 0; i < n; i++)
            bytes += (uint32_t)(src->v.off[sel[i] + 1] - src->v.off[sel[i]]);
    int rc = em_column_alloc(dst, src->type, n, bytes, a);
    if (rc)
        return rc;
    if (src->type == EM_TYPE_TEXT) {
        int32_t pos = 0;
        for (uint32_t i = 0; i < n; i++) {
            int32_t s = src->v.off[sel[i]], e = src->v.off[sel[i] + 1];
            memcpy(dst->data + pos, src->data + s, (size_t)(e - s));
            pos += e - s;
            dst->v.off[i + 1] = pos;
        }
        dst->data_len = (uint32_t)pos;
    } else if (em_type_width(src->type) == 8) {
        for (uint32_t i = 0; i < n; i++)
            dst->v.i64[i] = src->v.i64[sel[i]];
    } else {
        for (uint32_t i = 0; i < n; i++)
            dst->v.b[i] = src->v.b[sel[i]];
    }
    if (src->validity && src->null_count)
        for (uint32_t i = 0; i < n; i++)
            if (em_column_is_null(src, sel[i]) && (rc = em_column_set_null(dst, i, a)))
                return rc;
    return 0;
}

em_batch *em_batch_compact(const em_batch *src, em_arena *a)
{
    uint32_t n = em_batch_count(src);
    em_batch *b = em_batch_view(src->schema, n, a);
    if (!b)
        return NULL;
    b->ncols = src->ncols;
    uint32_t *sel = src->sel;
    if (!sel) {
        sel = em_arena_alloc(a, (n ? n : 1) * sizeof *sel);
        if (!sel)
            return NULL;
        for (uint32_t i = 0; i < n; i++)
            sel[i] = i;
    }
    for (uint32_t c = 0; c < src->ncols; c++)
        if (column_gather(&b->cols[c], &src->cols[c], sel, n, a))
            return NULL;
    return b;
}

/* ---- builder ---- */

int em_batch_builder_init(em_batch_builder *bb, const em_schema *s, uint32_t cap, em_arena *a)
{
    memset(bb, 0, sizeof *bb);
    bb->arena = a;
    bb->cap = cap;
    bb->b = em_batch_view(s, 0, a);
    bb->set_row = em_arena_calloc(a, s->nfields ? s->nfields : 1, sizeof *bb->set_row);
    if (!bb->b || !bb->set_row)
        return EM_ENOMEM;
    for (uint32_t i = 0; i < s->nfields; i++) {
        em_column *c = &bb->b->cols[i];
        int rc = em_column_alloc(c, s->fields[i].type, cap, cap * 24u, a);
        if (rc)
            return rc;
        c->len = 0;
    }
    return 0;
}

static inline void mark(em_batch_builder *bb, uint32_t col)
{
    em__batch_builder_mark(bb, col);
}

void em__copy_long(char *d, const char *p, size_t n)
{
    if (n <= 64) {
        char a[16], b[16], y[16], z[16];
        memcpy(a, p, 16);
        memcpy(z, p + n - 16, 16);
        if (n > 32) {
            memcpy(b, p + 16, 16);
            memcpy(y, p + n - 32, 16);
            memcpy(d + 16, b, 16);
            memcpy(d + n - 32, y, 16);
        }
        memcpy(d, a, 16);
        memcpy(d + n - 16, z, 16);
    } else {
        memcpy(d, p, n);
    }
}

int em__batch_builder_set_text_grow(em_batch_builder *bb, uint32_t col, const char *p, size_t n)
{
    em_column *c = &bb->b->cols[col];
    uint32_t row = bb->b->nrows;
    uint32_t start = (uint32_t)c->v.off[row];
    if (n > INT32_MAX - (size_t)start)
        return EM_ELIMIT;
    if (start + n > c->data_cap) {
        size_t ncap = (size_t)c->data_cap * 2;
        while (ncap < start + n)
            ncap *= 2;
        if (ncap > INT32_MAX)
            ncap = INT32_MAX;
        char *d = em_arena_grow(bb->arena, c->data, c->data_len, ncap);
        if (!d)
            return EM_ENOMEM;
        c->data = d;
        c->data_cap = (uint32_t)ncap;
    }
    memcpy(c->data + start, p, n);
    c->v.off[row + 1] = (int32_t)(start + n);
    c->data_len = start + (uint32_t)n;
    mark(bb, col);
    return 0;
}

int em_batch_builder_set_null(em_batch_builder *bb, uint32_t col)
{
    em_column *c = &bb->b->cols[col];
    uint32_t row = bb->b->nrows;
    if (!c->validity) {
        size_t nb = em_bitmap_bytes(bb->cap);
        c->validity = em_arena_alloc(bb->arena, nb ? nb : 1);
        if (!c->validity)
            return EM_ENOMEM;
        memset(c->validity, 0xff, nb ? nb : 1);
    }
    if ((c->validity[row >> 3] >> (row & 7)) & 1) {
        em_bit_clear(c->validity, row);
        c->null_count++;
    }
    if (c->type == EM_TYPE_TEXT) {
        c->v.off[row + 1] = c->v.off[row];
        c->data_len = (uint32_t)c->v.off[row];
    } else {
        memset((char *)c->v.ptr + row * em_type_width(c->type), 0, em_type_width(c->type));
    }
    mark(bb, col);
    return 0;
}

int em__batch_builder_end_row_nulls(em_batch_builder *bb)
{
    em_batch *b = bb->b;
    uint32_t row = b->nrows;
    if (row >= bb->cap)
        return EM_ELIMIT;
    if (bb->nset < b->ncols) {
        for (uint32_t i = 0; i < b->ncols; i++) {
            if (bb->set_row[i] != row + 1) {
                int rc = em_batch_builder_set_null(bb, i);
                if (rc)
                    return rc;
            }
        }
    }
    bb->nset = 0;
    b->nrows = row + 1;
    b->nsel = b->nrows;
    return 0;
}

void em_batch_builder_abort_row(em_batch_builder *bb)
{
    em_batch *b = bb->b;
    uint32_t row = b->nrows;
    for (uint32_t i = 0; i < b->ncols; i++) {
        em_column *c = &b->cols[i];
        if (bb->set_row[i] == row + 1) {
            if (c->validity && !((c->validity[row >> 3] >> (row & 7)) & 1)) {
                em_bit_set(c->validity, row);
                c->null_count--;
            }
            if (c->type == EM_TYPE_TEXT) {
                c->v.off[row + 1] = c->v.off[row];
                c->data_len = (uint32_t)c->v.off[row];
            }
            bb->set_row[i] = 0;
        }
    }
    bb->nset = 0;
}

em_batch *em_batch_builder_finish(em_batch_builder *bb)
{
    em_batch *b = bb->b;
    for (uint32_t i = 0; i < b->ncols; i++) {
        b->cols[i].len = b->nrows;
        if (b->cols[i].null_count == 0)
            b->cols[i].validity = NULL;
    }
    b->nsel = b->nrows;
    return b;
}
