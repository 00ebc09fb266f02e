/*
 * engine/graph_aq.c - graph builders for the air-quality operators:
 * em_qc (QARTOD sensor QC) and em_alerts (threshold alerts with
 * hysteresis). They resolve column names and attach the operators of
 * ops/qc.c and ops/alerts.c like the builders of graph.c.
 */
#include "engine/engine_int.h"
#include "ops/qc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void em_qc_options_init(em_qc_options *o)
{
    memset(o, 0, sizeof *o);
    o->fail_min = o->fail_max = o->suspect_min = o->suspect_max = NAN;
    o->spike_suspect = o->spike_fail = o->rate_suspect = o->rate_fail = NAN;
    o->flat_tolerance = 0;
    o->future_us = 300000000; /* 5 minutes */
    o->prefix = "qc_";
}

/* Column indexes of key, time and value; -1 with the engine's error set. */
static int find_cols(em_stream *in, const char *what, const char *const names[3], int idx[3])
{
    const em_schema *s = in->op->out_schema;
    for (int i = 0; i < 3; i++) {
        idx[i] = names[i] ? em_schema_find(s, names[i], strlen(names[i])) : -1;
        if (idx[i] < 0) {
            em__engine_fail(in->engine, EM_ENOTFOUND, "%s: no column '%s'", what,
                            names[i] ? names[i] : "(null)");
            return -1;
        }
    }
    return 0;
}

static em_stream *attach(em_engine *e, em_op *op, em_stream *in)
{
    if (em__engine_add_op(e, op))
        return NULL;
    if (em_op_connect(in->op, op, 0)) {
        em__engine_fail(e, EM_ENOMEM, "out of memory");
        return NULL;
    }
    return em__engine_stream(e, op);
}

em_stream *em_qc(em_stream *in, const char *key_col, const char *time_col,
                 const char *value_col, const em_qc_options *o)
{
    em_engine *e = in->engine;
    const char *names[3] = {key_col, time_col, value_col};
    int idx[3];
    char id[64];
    em_errbuf err;
    em_op *op;
    if (find_cols(in, "qc", names, idx))
        return NULL;
    em_errbuf_clear(&err);
    em__op_id(e, "qc", id, sizeof id);
    if (em_qc_create(&op, id, in->op->out_schema, idx[0], idx[1], idx[2], o, &err)) {
        em__engine_fail(e, err.code ? err.code : EM_EINVAL, "%s", err.msg);
        return NULL;
    }
    return attach(e, op, in);
}

em_stream *em_alerts(em_stream *in, const char *key_col, const char *time_col,
                     const char *value_col, const em_alert_options *o)
{
    em_engine *e = in->engine;
    const char *names[3] = {key_col, time_col, value_col};
    int idx[3];
    char id[64];
    em_errbuf err;
    em_op *op;
    if (find_cols(in, "alerts", names, idx))
        return NULL;
    em_errbuf_clear(&err);
    em__op_id(e, "alerts", id, sizeof id);
    if (em_alerts_create(&op, id, in->op->out_schema, idx[0], idx[1], idx[2], o, &err)) {
        em__engine_fail(e, err.code ? err.code : EM_EINVAL, "%s", err.msg);
        return NULL;
    }
    return attach(e, op, in);
}
