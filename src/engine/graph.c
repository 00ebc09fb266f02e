/*
 * engine/graph.c - the public graph builders: expressions, filter, select,
 * union, aggregate and joins. Each builder binds its expressions to the
 * input schema (reporting unknown columns and type errors at build time),
 * creates the operator, connects it and wraps it in a stream handle.
 *
 * Operator ids are "<kind>#<n>" in creation order until the SQL front end
 * names them from views and sinks (the durability issue makes them stable).
 */
#include "engine/engine_int.h"

#include "expr/expr.h"
#include "ops/agg.h"
#include "ops/basic.h"
#include "ops/join.h"
#include "ops/keyed.h"
#include "ops/partition.h"
#include "ops/winrows.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ---- expressions: allocated from the plan arena, unbound until used ---- */

em_expr *em_col(em_engine *e, const char *name)
{
    return em_expr_column(&e->plan, name);
}

em_expr *em_int(em_engine *e, int64_t v)
{
    return em_expr_lit_int(&e->plan, v);
}

em_expr *em_double(em_engine *e, double v)
{
    return em_expr_lit_double(&e->plan, v);
}

em_expr *em_bool(em_engine *e, int v)
{
    return em_expr_lit_bool(&e->plan, v != 0);
}

em_expr *em_text(em_engine *e, const char *s)
{
    return em_expr_lit_text(&e->plan, s, strlen(s));
}

em_expr *em_null(em_engine *e)
{
    return em_expr_lit_null(&e->plan);
}

em_expr *em_interval(em_engine *e, int64_t us)
{
    return em_expr_lit_interval(&e->plan, us);
}

em_expr *em_timestamp(em_engine *e, int64_t us)
{
    return em_expr_lit_timestamp(&e->plan, us);
}

em_expr *em_case(em_engine *e, uint32_t n, em_expr *const *conds, em_expr *const *vals,
                 em_expr *else_)
{
    em_expr *c[n ? n : 1], *v[n ? n : 1];
    for (uint32_t i = 0; i < n; i++) {
        c[i] = conds[i];
        v[i] = vals[i];
    }
    return em_expr_case(&e->plan, n, c, v, else_);
}

em_expr *em_cast(em_engine *e, em_expr *x, em_type to)
{
    return x ? em_expr_cast(&e->plan, x, to) : NULL;
}

em_expr *em_call(em_engine *e, const char *fn, uint32_t nargs, em_expr *const *args)
{
    em_expr *a[nargs ? nargs : 1];
    for (uint32_t i = 0; i < nargs; i++)
        a[i] = args[i];
    return em_expr_call(&e->plan, fn, nargs, a);
}

/* ---- helpers ---- */

/* "<scope>/<kind>", then "<scope>/<kind>.2", ... in a scope (the view or
 * sink being built: stable however the rest of the job changes), else
 * "<kind>#<n>". */
void em__op_id(em_engine *e, const char *kind, char *buf, size_t n)
{
    if (!e->scope) {
        snprintf(buf, n, "%s#%u", kind, e->nops + 1);
        return;
    }
    snprintf(buf, n, "%s/%s", e->scope, kind);
    size_t len = strlen(buf);
    uint32_t same = 0;
    for (uint32_t i = 0; i < e->nops; i++) {
        const char *id = e->ops[i]->id;
        same += !strncmp(id, buf, len) && (id[len] == 0 || id[len] == '.');
    }
    if (same)
        snprintf(buf + len, n - len, ".%u", same + 1);
}

int em_engine_set_scope(em_engine *e, const char *scope)
{
    char *c = NULL;
    if (scope && !(c = em_strdup(scope)))
        return em__engine_fail(e, EM_ENOMEM, "out of memory");
    em_free(e->scope);
    e->scope = c;
    return 0;
}

/* Adds op to the engine, connects in -> op:port, returns its stream. */
static em_stream *attach(em_engine *e, em_op *op, em_stream *in, int port)
{
    if (em__engine_add_op(e, op))
        return NULL;
    if (in && em_op_connect(in->op, op, port)) {
        em__engine_fail(e, EM_ENOMEM, "out of memory");
        return NULL;
    }
    return em__engine_stream(e, op);
}

static int bind(em_engine *e, em_expr *x, const em_schema *s, const char *what)
{
    em_errbuf err;
    em_errbuf_clear(&err);
    if (!x)
        return em__engine_fail(e, EM_ENOMEM, "out of memory building %s", what);
    int rc = em_expr_bind_with(x, s, e->funcs, &err);
    if (rc)
        return em__engine_fail(e, rc, "%s: %s", what, err.msg);
    return 0;
}

/* ---- transformations ---- */

em_stream *em_filter(em_stream *in, em_expr *pred)
{
    em_engine *e = in->engine;
    const em_schema *s = in->op->out_schema;
    char id[64];
    em_errbuf err;
    em_op *op;
    if (bind(e, pred, s, "filter"))
        return NULL;
    em__op_id(e, "filter", id, sizeof id);
    if (em_filter_create(&op, id, s, pred, &err)) {
        em__engine_fail(e, err.code, "filter: %s", err.msg);
        return NULL;
    }
    return attach(e, op, in, 0);
}

em_stream *em_select(em_stream *in, uint32_t n, em_expr *const *exprs, const char *const *names)
{
    em_engine *e = in->engine;
    const em_schema *s = in->op->out_schema;
    char id[64], gen[16][16];
    const char *nm[n ? n : 1];
    em_errbuf err;
    em_op *op;
    if (n == 0) {
        em__engine_fail(e, EM_EINVAL, "select: no columns");
        return NULL;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (bind(e, exprs[i], s, "select"))
            return NULL;
        nm[i] = names ? names[i] : NULL;
        if (!nm[i]) {
            char *buf = i < 16 ? gen[i] : em_arena_alloc(&e->plan, 16);
            if (!buf) {
                em__engine_fail(e, EM_ENOMEM, "out of memory");
                return NULL;
            }
            snprintf(buf, 16, "col%u", i + 1);
            nm[i] = buf;
        }
    }
    em__op_id(e, "project", id, sizeof id);
    if (em_project_create(&op, id, s, n, (const em_expr *const *)exprs, nm, &err)) {
        em__engine_fail(e, err.code, "select: %s", err.msg);
        return NULL;
    }
    return attach(e, op, in, 0);
}

em_stream *em_union(em_stream *a, em_stream *b)
{
    em_engine *e = a->engine;
    const em_schema *sa = a->op->out_schema, *sb = b->op->out_schema;
    if (!em_schema_equal(sa, sb)) {
        em__engine_fail(e, EM_ETYPE,
                        "UNION ALL needs inputs with the same column names and types");
        return NULL;
    }
    char id[64];
    em_op *op;
    em__op_id(e, "union", id, sizeof id);
    if (em_union_create(&op, id, sa, 2)) {
        em__engine_fail(e, EM_ENOMEM, "out of memory");
        return NULL;
    }
    em_stream *s = attach(e, op, a, 0);
    if (s && em_op_connect(b->op, op, 1)) {
        em__engine_fail(e, EM_ENOMEM, "out of memory");
        return NULL;
    }
    return s;
}

static const struct {
    const char *name;
    em_agg_kind kind;
} agg_names[] = {
    {"count", EM_AGG_COUNT},         {"sum", EM_AGG_SUM},
    {"avg", EM_AGG_AVG},             {"min", EM_AGG_MIN},
    {"max", EM_AGG_MAX},             {"stddev_samp", EM_AGG_STDDEV_SAMP},
    {"stddev", EM_AGG_STDDEV_SAMP},  {"stddev_pop", EM_AGG_STDDEV_POP},
    {"var_samp", EM_AGG_VAR_SAMP},   {"variance", EM_AGG_VAR_SAMP},
    {"var_pop", EM_AGG_VAR_POP},     {"first_value", EM_AGG_FIRST},
    {"last_value", EM_AGG_LAST},     {"nowcast_pm", EM_AGG_NOWCAST_PM},
};

em_stream *em_aggregate(em_stream *in, uint32_t nkeys, em_expr *const *keys,
                        const char *const *key_names, uint32_t naggs, const em_agg_call *aggs,
                        const em_window *win)
{
    em_engine *e = in->engine;
    em_window_spec ws = {EM_WIN_NONE, -1, 0, 0, 0};
    em_errbuf err;
    /* Pre-projection: keys, then the time column (windows, first/last), then
     * one column per aggregate argument. */
    uint32_t n = 0, cap = nkeys + 2 + naggs;
    em_expr *cols[cap];
    const char *names[cap];
    char argname[naggs ? naggs : 1][24];
    int key_cols[nkeys ? nkeys : 1];
    em_agg_spec specs[naggs ? naggs : 1];
    for (uint32_t i = 0; i < nkeys; i++) {
        key_cols[i] = (int)n;
        cols[n] = keys[i];
        names[n++] = key_names && key_names[i] ? key_names[i] : "key";
    }
    int time_col = -1;
    if (win && win->kind != EM_WINDOW_NONE) {
        ws.kind = win->kind == EM_WINDOW_TUMBLE ? EM_WIN_TUMBLE
                  : win->kind == EM_WINDOW_HOP  ? EM_WIN_HOP
                                                : EM_WIN_SESSION;
        ws.size_us = win->size_us;
        ws.slide_us = win->slide_us;
        ws.gap_us = win->gap_us;
    }
    /* without an event-time column, first/last order by arrival */
    const char *tname = win && win->time_col ? win->time_col : NULL;
    if (tname) {
        time_col = (int)n;
        cols[n] = em_col(e, tname);
        names[n++] = "__time";
    }
    ws.time_col = time_col;
    for (uint32_t i = 0; i < naggs; i++) {
        const char *fn = aggs[i].fn;
        specs[i].name = aggs[i].name ? aggs[i].name : fn;
        if (strcasecmp(fn, "count") == 0 && !aggs[i].arg) {
            specs[i].kind = EM_AGG_COUNT_STAR;
            specs[i].arg = -1;
            continue;
        }
        bool found = false;
        for (size_t k = 0; k < sizeof agg_names / sizeof agg_names[0]; k++)
            if (strcasecmp(fn, agg_names[k].name) == 0) {
                specs[i].kind = agg_names[k].kind;
                found = true;
            }
        if (!found) {
            em__engine_fail(e, EM_ENOTFOUND, "unknown aggregate function '%s'", fn);
            return NULL;
        }
        if (aggs[i].distinct) {
            if (specs[i].kind != EM_AGG_COUNT) {
                em__engine_fail(e, EM_EUNSUPPORTED, "DISTINCT is supported for count only");
                return NULL;
            }
            specs[i].kind = EM_AGG_COUNT_DISTINCT;
        }
        if (!aggs[i].arg) {
            em__engine_fail(e, EM_EINVAL, "aggregate '%s' needs an argument", fn);
            return NULL;
        }
        /* the same argument twice (avg(x), max(x)) is one column, so the
         * aggregates share its state (non-NULL count, sum) */
        int same = -1;
        for (uint32_t j = 0; j < i && same < 0; j++)
            if (specs[j].arg >= 0 && em_expr_same(aggs[j].arg, aggs[i].arg))
                same = specs[j].arg;
        if (same >= 0) {
            specs[i].arg = same;
            continue;
        }
        specs[i].arg = (int)n;
        snprintf(argname[i], sizeof argname[i], "__arg%u", i);
        cols[n] = aggs[i].arg;
        names[n++] = argname[i];
    }
    if (n == 0) { /* count(*) with no keys and no event time: rows, no columns */
        cols[n] = em_bool(e, 1);
        names[n++] = "__row";
    }
    em_stream *pre = em_select(in, n, cols, names);
    if (!pre)
        return NULL;
    char id[64];
    em_op *op;
    em__op_id(e, ws.kind == EM_WIN_NONE ? "aggregate" : "window_aggregate", id, sizeof id);
    em_errbuf_clear(&err);
    /* With several workers and group keys, the aggregate runs as one
     * partition per worker, split by key hash; results are the same. */
    uint32_t parts = nkeys > 0 && e->set.workers > 1 ? (uint32_t)e->set.workers : 1;
    em_op *inner[parts];
    uint32_t made = 0;
    int rc = 0;
    for (; made < parts && !rc; made++) {
        char pid[80];
        snprintf(pid, sizeof pid, parts > 1 ? "%s/%u" : "%s", id, made);
        rc = em_aggregate_create(&inner[made], pid, pre->op->out_schema, nkeys, key_cols, naggs,
                                 specs, &ws, &err);
    }
    if (rc) {
        for (uint32_t i = 0; i + 1 < made; i++)
            em_op_destroy(inner[i]);
        em__engine_fail(e, err.code ? err.code : EM_EINVAL, "aggregate: %s", err.msg);
        return NULL;
    }
    if (parts == 1) {
        op = inner[0];
    } else {
        em_pool *pool = em__engine_pool(e);
        if (!pool || em_partitioned_create(&op, id, inner, parts, key_cols, nkeys, pool, &err)) {
            if (!pool)
                for (uint32_t i = 0; i < parts; i++)
                    em_op_destroy(inner[i]);
            em__engine_fail(e, EM_ENOMEM, "out of memory");
            return NULL;
        }
    }
    return attach(e, op, pre, 0);
}

em_stream *em_window_rows(em_stream *in, const em_window *win)
{
    em_engine *e = in->engine;
    const em_schema *s = in->op->out_schema;
    int tc = -1;
    if (win->kind != EM_WINDOW_TUMBLE && win->kind != EM_WINDOW_HOP) {
        em__engine_fail(e, EM_EUNSUPPORTED,
                        "a SESSION window needs GROUP BY (its key); only TUMBLE and HOP can "
                        "list rows per window");
        return NULL;
    }
    if (win->time_col) {
        tc = em_schema_find(s, win->time_col, strlen(win->time_col));
        if (tc < 0) {
            em__engine_fail(e, EM_ENOTFOUND, "window: no column '%s'", win->time_col);
            return NULL;
        }
    }
    int64_t slide = win->kind == EM_WINDOW_TUMBLE ? win->size_us : win->slide_us;
    char id[64];
    em_errbuf err;
    em_op *op;
    em__op_id(e, "window_rows", id, sizeof id);
    if (em_window_rows_create(&op, id, s, tc, win->size_us, slide, &err)) {
        em__engine_fail(e, err.code, "window: %s", err.msg);
        return NULL;
    }
    return attach(e, op, in, 0);
}

/* Makes the key expression a column of in: returns its index, adding a
 * projection "all columns + __jkN" when the key is not a plain column. */
static int key_column(em_engine *e, em_stream **in, em_expr *key, int n, const char *what)
{
    const em_schema *s = (*in)->op->out_schema;
    if (bind(e, key, s, what))
        return -1;
    uint32_t m = s->nfields;
    em_expr *cols[m + 1];
    const char *names[m + 1];
    char kname[16];
    for (uint32_t i = 0; i < m; i++) {
        cols[i] = em_col(e, s->fields[i].name);
        names[i] = s->fields[i].name;
    }
    snprintf(kname, sizeof kname, "__jk%d", n);
    cols[m] = key;
    names[m] = kname;
    em_stream *st = em_select(*in, m + 1, cols, names);
    if (!st)
        return -1;
    *in = st;
    return (int)m;
}

/* Renames right-side output columns whose names the left side already
 * uses to "<right_name>.<name>" (the join operator keeps names as given). */
static int rename_clashes(em_engine *e, em_op *op, uint32_t nleft, const char *right_name)
{
    em_schema *s = op->out_schema;
    for (uint32_t i = nleft; i < s->nfields; i++) {
        bool clash = false;
        for (uint32_t j = 0; j < i && !clash; j++)
            clash = strcasecmp(s->fields[i].name, s->fields[j].name) == 0;
        if (!clash)
            continue;
        size_t n = strlen(right_name) + strlen(s->fields[i].name) + 2;
        char *nn = em_malloc(n);
        if (!nn)
            return em__engine_fail(e, EM_ENOMEM, "out of memory");
        snprintf(nn, n, "%s.%s", right_name, s->fields[i].name);
        em_free(s->fields[i].name);
        s->fields[i].name = nn;
    }
    return 0;
}

em_stream *em_join_table(em_stream *stream, em_stream *table, em_expr *stream_key, int left)
{
    em_engine *e = stream->engine;
    if (!table->source || !table->source->is_table || table->key_col < 0) {
        em__engine_fail(e, EM_EINVAL, "join: the right side must be a table (CREATE TABLE)");
        return NULL;
    }
    em_stream *in = stream;
    int kc = key_column(e, &in, stream_key, 0, "join key");
    if (kc < 0)
        return NULL;
    char id[64];
    em_errbuf err;
    em_op *op;
    em__op_id(e, "table_join", id, sizeof id);
    if (em_table_join_create(&op, id, in->op->out_schema, kc, table->op->out_schema,
                             table->key_col, left, &err)) {
        em__engine_fail(e, err.code ? err.code : EM_EINVAL, "join: %s", err.msg);
        return NULL;
    }
    if (rename_clashes(e, op, in->op->out_schema->nfields, table->source->name)) {
        em_op_destroy(op);
        return NULL;
    }
    em_stream *st = attach(e, op, in, 0);
    if (st && em_op_connect(table->op, op, 1)) {
        em__engine_fail(e, EM_ENOMEM, "out of memory");
        return NULL;
    }
    return st;
}

static em_stream *join_streams(em_stream *left, em_stream *right, em_expr *lkey, em_expr *rkey,
                               const char *ltime, const char *rtime, int64_t lower_us,
                               int64_t upper_us, unsigned flags, const char *right_name)
{
    em_engine *e = left->engine;
    em_stream *l = left, *r = right;
    int lk = key_column(e, &l, lkey, 0, "join key");
    int rk = lk < 0 ? -1 : key_column(e, &r, rkey, 1, "join key");
    if (rk < 0)
        return NULL;
    const em_schema *ls = l->op->out_schema, *rs = r->op->out_schema;
    int lt = em_schema_find(ls, ltime, strlen(ltime)), rt = em_schema_find(rs, rtime, strlen(rtime));
    if (lt < 0 || rt < 0) {
        em__engine_fail(e, EM_ENOTFOUND, "join: no time column '%s'", lt < 0 ? ltime : rtime);
        return NULL;
    }
    char id[64];
    em_errbuf err;
    em_op *op;
    em__op_id(e, "interval_join", id, sizeof id);
    if (em_interval_join_create(&op, id, ls, lk, lt, rs, rk, rt, lower_us, upper_us, flags,
                                &err)) {
        em__engine_fail(e, err.code ? err.code : EM_EINVAL, "join: %s", err.msg);
        return NULL;
    }
    if (rename_clashes(e, op, ls->nfields, right_name ? right_name : "right")) {
        em_op_destroy(op);
        return NULL;
    }
    em_stream *st = attach(e, op, l, 0);
    if (st && em_op_connect(r->op, op, 1)) {
        em__engine_fail(e, EM_ENOMEM, "out of memory");
        return NULL;
    }
    return st;
}

em_stream *em_join_interval(em_stream *left, em_stream *right, em_expr *lkey, em_expr *rkey,
                            const char *ltime, const char *rtime, int64_t lower_us,
                            int64_t upper_us, int left_outer, const char *right_name)
{
    return join_streams(left, right, lkey, rkey, ltime, rtime, lower_us, upper_us,
                        left_outer ? EM__IJ_LEFT : 0, right_name);
}

em_stream *em_join_windows(em_stream *left, em_stream *right, em_expr *lkey, em_expr *rkey,
                           const char *ltime, const char *rtime, int left_outer,
                           const char *right_name)
{
    return join_streams(left, right, lkey, rkey, ltime, rtime, 0, 0,
                        EM__IJ_RESULTS | (left_outer ? EM__IJ_LEFT : 0), right_name);
}

em_stream *em_silence(em_stream *in, const char *key_col, const char *time_col,
                      int64_t timeout_us)
{
    em_engine *e = in->engine;
    const em_schema *s = in->op->out_schema;
    int kc = em_schema_find(s, key_col, strlen(key_col));
    int tc = time_col ? em_schema_find(s, time_col, strlen(time_col)) : -1;
    if (kc < 0 || (time_col && tc < 0)) {
        em__engine_fail(e, EM_ENOTFOUND, "silence: no column '%s'", kc < 0 ? key_col : time_col);
        return NULL;
    }
    char id[64];
    em_errbuf err;
    em_op *op;
    em__op_id(e, "silence", id, sizeof id);
    if (em_silence_create(&op, id, s, kc, tc, timeout_us, &err)) {
        em__engine_fail(e, err.code ? err.code : EM_EINVAL, "silence: %s", err.msg);
        return NULL;
    }
    return attach(e, op, in, 0);
}
