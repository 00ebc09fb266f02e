/*
 * engine/nodes.c - the two operators the engine places itself: forwarders
 * (a source's stream, its LATE stream) and sink collectors.
 */
#include "engine/engine_int.h"

#include <string.h>

/* ---- forward ---- */

static int forward_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    return em_op_emit(op, in, cx);
}

static void forward_destroy(em_op *op)
{
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable forward_vt = {
    .kind = "source",
    .push = forward_push,
    .destroy = forward_destroy,
};

int em__forward_op_create(em_op **out, const char *id, const em_schema *schema)
{
    em_op *op = em_calloc(1, sizeof *op);
    em_schema *s = em_schema_copy(schema);
    if (!op || !s || em_op_init(op, &forward_vt, id, s, 1)) {
        em_free(op ? op->id : NULL);
        em_free(op);
        em_schema_destroy(s);
        return EM_ENOMEM;
    }
    *out = op;
    return 0;
}

/* ---- sink collector ---- */

typedef struct sink_op {
    em_op base;
    em_sink_node *sink;
} sink_op;

static int sink_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    (void)cx;
    em_sink_node *s = ((sink_op *)op)->sink;
    if (s->npending == s->cap_pending) {
        uint32_t ncap = s->cap_pending ? s->cap_pending * 2 : 16;
        const em_batch **p = em_realloc(s->pending, ncap * sizeof *p);
        if (!p)
            return EM_ENOMEM;
        s->pending = p;
        s->cap_pending = ncap;
    }
    /* batches stay valid and unchanged until the micro-batch ends (op.h) */
    s->pending[s->npending++] = in;
    return 0;
}

static void sink_destroy(em_op *op)
{
    em_op_release(op);
    em_free(op);
}

static const em_op_vtable sink_vt = {
    .kind = "sink",
    .push = sink_push,
    .destroy = sink_destroy,
};

int em__sink_op_create(em_op **out, em_sink_node *sink, const em_schema *schema)
{
    sink_op *op = em_calloc(1, sizeof *op);
    em_schema *s = em_schema_copy(schema);
    if (!op || !s || em_op_init(&op->base, &sink_vt, sink->name, s, 1)) {
        em_free(op ? op->base.id : NULL);
        em_free(op);
        em_schema_destroy(s);
        return EM_ENOMEM;
    }
    op->sink = sink;
    *out = &op->base;
    return 0;
}
