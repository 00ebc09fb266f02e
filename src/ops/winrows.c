/*
 * ops/winrows.c - each row once per TUMBLE/HOP window containing it. See
 * winrows.h. Output columns alias the input's; a HOP row appears in
 * size/slide consecutive windows, built as that many selections over the
 * same columns with their own window_start/window_end columns.
 */
#include "ops/winrows.h"

#include "ember/error.h"

#include <string.h>

typedef struct winrows_op {
    em_op base;
    int time_col;
    int64_t size, slide;
} winrows_op;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int winrows_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    winrows_op *w = (winrows_op *)op;
    uint32_t n = em_batch_count(in), ncols = in->ncols;
    int64_t per = w->size / w->slide;
    const em_column *tc = w->time_col >= 0 ? &in->cols[w->time_col] : NULL;
    /* k-th copy: the k-th window containing each row, counted from the last */
    for (int64_t k = 0; k < per; k++) {
        em_batch *b = em_batch_view(op->out_schema, in->nrows, cx->arena);
        uint32_t *sel = em_arena_alloc(cx->arena, (n ? n : 1) * sizeof *sel);
        if (!b || !sel)
            return EM_ENOMEM;
        memcpy(b->cols, in->cols, ncols * sizeof *b->cols);
        em_column *ws = &b->cols[ncols], *we = &b->cols[ncols + 1];
        if (em_column_alloc(ws, EM_TYPE_TIMESTAMP, in->nrows, 0, cx->arena) ||
            em_column_alloc(we, EM_TYPE_TIMESTAMP, in->nrows, 0, cx->arena))
            return EM_ENOMEM;
        uint32_t m = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = em_batch_row(in, i);
            int64_t t;
            if (tc) {
                if (em_column_is_null(tc, r))
                    continue;
                t = tc->v.i64[r];
            } else {
                t = cx->logical_time;
            }
            int64_t last = floor_div(t, w->slide) * w->slide; /* latest window start <= t */
            int64_t start = last - k * w->slide;
            ws->v.i64[r] = start;
            we->v.i64[r] = start + w->size;
            sel[m++] = r;
        }
        b->sel = sel;
        b->nsel = m;
        int rc = em_op_emit(op, b, cx);
        if (rc)
            return rc;
    }
    return 0;
}

static void winrows_destroy(em_op *op)
{
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable winrows_vt = {
    .kind = "window_rows",
    .push = winrows_push,
    .destroy = winrows_destroy,
};

int em_window_rows_create(em_op **out, const char *id, const em_schema *in, int time_col,
                          int64_t size_us, int64_t slide_us, em_errbuf *err)
{
    if (size_us <= 0 || slide_us <= 0 || size_us % slide_us != 0)
        return em_errf(err, EM_EINVAL,
                       "window size must be a positive multiple of the slide (size %lld us, "
                       "slide %lld us)",
                       (long long)size_us, (long long)slide_us);
    if (time_col >= 0 && ((uint32_t)time_col >= in->nfields ||
                          in->fields[time_col].type != EM_TYPE_TIMESTAMP))
        return em_errf(err, EM_EINVAL, "window time column must be a TIMESTAMP");
    uint32_t n = in->nfields;
    const char *names[n + 2];
    em_type types[n + 2];
    for (uint32_t i = 0; i < n; i++) {
        names[i] = in->fields[i].name;
        types[i] = in->fields[i].type;
    }
    names[n] = "window_start";
    names[n + 1] = "window_end";
    types[n] = types[n + 1] = EM_TYPE_TIMESTAMP;
    winrows_op *w = em_calloc(1, sizeof *w);
    em_schema *s = em_schema_create(n + 2, names, types);
    if (!w || !s || em_op_init(&w->base, &winrows_vt, id, s, 1)) {
        em_free(w);
        em_schema_destroy(s);
        return em_errf(err, EM_ENOMEM, "out of memory");
    }
    w->time_col = time_col;
    w->size = size_us;
    w->slide = slide_us;
    *out = &w->base;
    return 0;
}
