/*
 * engine/explain.c - `ember explain`: the operator graph as text.
 */
#include "engine/engine_int.h"

#include <stdio.h>

static void schema_line(const em_schema *s, FILE *out)
{
    fputs("(", out);
    for (uint32_t i = 0 ; s && i < s->nfields; i++)
        fprintf(out, "%s%s %s", i ? ", " : "", s->fields[i].name,
                em_type_name(s->fields[i].type));
    fputs(")", out);
}

int em_engine_explain(const em_engine *e, FILE *out)
{
    em_buf b;
    em_buf_init(&b, 1 << 16);
    for (uint32_t i = 0; i < e->nsources; i++) {
        em_source_node *s = e->sources[i];
        fprintf(out, "%s %s: connector %s ", s->is_table ? "table" : "source", s->name,
                s->conn->name);
        schema_line(s->schema, out);
        if (s->time_col >= 0)
            fprintf(out, " watermark %s - %lldms", s->schema->fields[s->time_col].name,
                    (long long)(s->wm_delay_us / 1000));
        fputs("\n", out);
    }
    for (uint32_t i = 0; i < e->nops; i++) {
        const em_op *op = e->ops[i];
        fprintf(out, "  [%s] %s", op->id, op->vt->kind);
        if (op->vt->describe) {
            em_buf_reset(&b);
            op->vt->describe(op, &b);
            if (b.len)
                fprintf(out, " %s", b.ptr);
        }
        fputs(" -> ", out);
        schema_line(op->out_schema, out);
        if (op->nout) {
            fputs(" => ", out);
            for (uint32_t k = 0; k < op->nout; k++)
                fprintf(out, "%s%s", k ? ", " : "", op->out[k].to->id);
        }
        if (op->vt->state_version)
            fprintf(out, " (state v%u)", op->vt->state_version);
        fputs("\n", out);
    }
    for (uint32_t i = 0; i < e->nsinks; i++)
        fprintf(out, "sink %s: connector %s\n", e->sinks[i]->name, e->sinks[i]->conn->name);
    em_buf_release(&b);
    return ferror(out) ? EM_EIO : 0;
}
