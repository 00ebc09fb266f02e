/*
 * ops/op.c - common operator plumbing. See op.h.
 */
#include "ops/op.h"

#include "ember/error.h"

#include <string.h>

int em_op_init(em_op *op, const em_op_vtable *vt, const char *id, em_schema *out_schema,
               int ninputs)
{
    op->vt = vt;
    op->id = em_strdup(id ? id : vt->kind);
    if (!op->id)
        return EM_ENOMEM;
    op->out_schema = out_schema;
    op->out = NULL;
    op->nout = 0;
    op->ninputs = ninputs;
    memset(&op->stats, 0, sizeof op->stats);
    return 0;
}

void em_op_release(em_op *op)
{
    em_free(op->id);
    em_schema_destroy(op->out_schema);
    em_free(op->out);
    op->id = NULL;
    op->out_schema = NULL;
    op->out = NULL;
    op->nout = 0;
}

int em_op_connect(em_op *op, em_op *to, int port)
{
    em_op_edge *e = em_realloc(op->out, (op->nout + 1) * sizeof *e);
    if (!e)
        return EM_ENOMEM;
    op->out = e;
    op->out[op->nout].to = to;
    op->out[op->nout].port = port;
    op->nout++;
    return 0;
}

int em_op_emit(em_op *op, const em_batch *b, em_op_ctx *cx)
{
    uint32_t n = em_batch_count(b);
    if (n == 0)
        return 0;
    op->stats.rows_out += n;
    op->stats.batches_out++;
    for (uint32_t i = 0; i < op->nout; i++) {
        em_op *to = op->out[i].to;
        to->stats.rows_in += n;
        int rc = to->vt->push(to, op->out[i].port, b, cx);
        if (rc)
            return rc;
    }
    return 0;
}

void em_op_destroy(em_op *op)
{
    if (op)
        op->vt->destroy(op);
}
