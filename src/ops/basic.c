/*
 * ops/basic.c - filter, project and union. None keeps state; each works on
 * a whole batch at a time: a filter narrows the selection vector, a project
 * evaluates its expressions column by column (column references alias the
 * input), a union forwards.
 */
#include "ops/basic.h"

#include "ember/error.h"

#include <string.h>

/* ---- filter ---- */

typedef struct filter_op {
    em_op base;
    const em_expr *pred;
} filter_op;

static int filter_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    filter_op *f = (filter_op *)op;
    em_batch *b = em_arena_alloc(cx->arena, sizeof *b);
    if (!b)
        return EM_ENOMEM;
    *b = *in; /* a new struct: the input batch itself stays unchanged */
    em_eval_ctx ec = {cx->arena, cx->logical_time};
    int rc = em_expr_filter(f->pred, b, &ec);
    if (rc)
        return rc;
    return em_op_emit(op, b, cx);
}

static void basic_destroy(em_op *op)
{
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable filter_vt = {
    .kind = "filter",
    .push = filter_push,
    .destroy = basic_destroy,
};

int em_filter_create(em_op **out, const char *id, const em_schema *in, const em_expr *pred,
                     em_errbuf *err)
{
    if (em_expr_type(pred) != EM_TYPE_BOOLEAN && em_expr_type(pred) != EM_TYPE_NULL)
        return em_errf(err, EM_ETYPE, "a filter condition must be BOOLEAN, not %s",
                       em_type_name(em_expr_type(pred)));
    filter_op *f = em_calloc(1, sizeof *f);
    em_schema *s = em_schema_copy(in);
    if (!f || !s || em_op_init(&f->base, &filter_vt, id, s, 1)) {
        em_free(f);
        em_schema_destroy(s);
        return em_errf(err, EM_ENOMEM, "out of memory");
    }
    f->pred = pred;
    *out = &f->base;
    return 0;
}

/* ---- project ---- */

typedef struct project_op {
    em_op base;
    uint32_t n;
    const em_expr **exprs;
} project_op;

static int project_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    project_op *p = (project_op *)op;
    em_batch *b = em_batch_view(op->out_schema, in->nrows, cx->arena);
    if (!b)
        return EM_ENOMEM;
    b->sel = in->sel;
    b->nsel = in->nsel;
    em_eval_ctx ec = {cx->arena, cx->logical_time};
    for (uint32_t i = 0; i < p->n; i++) {
        int rc = em_expr_eval(p->exprs[i], in, &ec, &b->cols[i]);
        if (rc)
            return rc;
    }
    return em_op_emit(op, b, cx);
}

static void project_destroy(em_op *op)
{
    project_op *p = (project_op *)op;
    em_free(p->exprs);
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable project_vt = {
    .kind = "project",
    .push = project_push,
    .destroy = project_destroy,
};

int em_project_create(em_op **out, const char *id, const em_schema *in, uint32_t n,
                      const em_expr *const *exprs, const char *const *names, em_errbuf *err)
{
    (void)in;
    project_op *p = em_calloc(1, sizeof *p);
    em_type types[n ? n : 1];
    for (uint32_t i = 0; i < n; i++)
        types[i] = em_expr_type(exprs[i]) == EM_TYPE_NULL ? EM_TYPE_TEXT : em_expr_type(exprs[i]);
    em_schema *s = em_schema_create(n, names, types);
    if (!p || !s)
        goto oom;
    p->exprs = em_malloc((n ? n : 1) * sizeof *p->exprs);
    if (!p->exprs)
        goto oom;
    memcpy(p->exprs, exprs, n * sizeof *p->exprs);
    p->n = n;
    if (em_op_init(&p->base, &project_vt, id, s, 1))
        goto oom;
    *out = &p->base;
    return 0;
oom:
    if (p)
        em_free(p->exprs);
    em_free(p);
    em_schema_destroy(s);
    return em_errf(err, EM_ENOMEM, "out of memory");
}

/* ---- union ---- */

static int union_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    return em_op_emit(op, in, cx);
}

static const em_op_vtable union_vt = {
    .kind = "union",
    .push = union_push,
    .destroy = basic_destroy,
};

int em_union_create(em_op **out, const char *id, const em_schema *schema, int ninputs)
{
    em_op *op = em_calloc(1, sizeof *op);
    em_schema *s = em_schema_copy(schema);
    if (!op || !s || em_op_init(op, &union_vt, id, s, ninputs)) {
        em_free(op);
        em_schema_destroy(s);
        return EM_ENOMEM;
    }
    *out = op;
    return 0;
}
