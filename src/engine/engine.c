/*
 * engine/engine.c - engine lifecycle, the connector registry, and the
 * sources and sinks of the job graph.
 */
#include "engine/engine_int.h"

#include "core/suggest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int em__engine_fail(em_engine *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->errmsg, sizeof e->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

const char *em_engine_errmsg(const em_engine *e)
{
    return e ? e->errmsg : "no engine";
}

int em__engine_new(em_engine **out)
{
    em_engine *e = em_calloc(1, sizeof *e);
    if (!e)
        return EM_ENOMEM;
    em_logger_init(&e->log);
    em_arena_init(&e->plan, 16 * 1024);
    em_arena_init(&e->batch_arena, 256 * 1024);
    e->watermark = EM_TS_MIN;
    if (em__stats_create(e) || em__settings_defaults(e) || em_func_registry_create(&e->funcs)) {
        em_engine_destroy(e);
        return EM_ENOMEM;
    }
    *out = e;
    return 0;
}

static void source_destroy(em_source_node *s)
{
    if (!s)
        return;
    if (s->self && s->conn->destroy)
        s->conn->destroy(s->self);
    em_reader_destroy(s->reader);
    em__conn_ctx_release(&s->cx);
    em_schema_destroy(s->schema);
    em_free(s->blocks);
    em_free(s->name);
    em_free(s);
}

static void sink_destroy(em_sink_node *s)
{
    if (!s)
        return;
    if (s->self && s->conn->destroy)
        s->conn->destroy(s->self);
    em__conn_ctx_release(&s->cx);
    em_free(s->pending);
    em_free(s->name);
    em_free(s);
}

void em_engine_destroy(em_engine *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->nsources; i++)
        source_destroy(e->sources[i]);
    for (uint32_t i = 0; i < e->nsinks; i++)
        sink_destroy(e->sinks[i]);
    for (uint32_t i = 0; i < e->nops; i++)
        em_op_destroy(e->ops[i]);
    for (uint32_t i = 0; i < e->nstreams; i++)
        em_free(e->streams[i]);
    em_free(e->sources);
    for (uint32_t i = 0; i < e->nreset; i++)
        em_free(e->reset_ops[i]);
    em_free(e->reset_ops);
    em_free(e->scope);
    em__routes_release(e);
    em_free(e->sinks);
    em_free(e->ops);
    em_free(e->streams);
    em_free(e->connectors);
    em_func_registry_destroy(e->funcs);
    em_pool_destroy(e->pool);
    em__settings_release(&e->set);
    em_arena_release(&e->plan);
    em_arena_release(&e->batch_arena);
    em__stats_destroy(e);
    em_logger_release(&e->log);
    em_free(e);
}

em_pool *em__engine_pool(em_engine *e)
{
    if (!e->pool)
        e->pool = em_pool_create((uint32_t)e->set.workers);
    return e->pool;
}

void em_engine_request_stop(em_engine *e)
{
    e->stop_requests++;
}

/* ---- connectors ---- */

int em_engine_register_connector(em_engine *e, const em_connector *c)
{
    if (c->abi != EM_CONNECTOR_ABI)
        return em__engine_fail(e, EM_EUNSUPPORTED,
                               "connector '%s' was built for ABI %d; this engine speaks %d",
                               c->name, c->abi, EM_CONNECTOR_ABI);
    if (em__engine_connector(e, c->name))
        return em__engine_fail(e, EM_EEXISTS, "connector '%s' is already registered", c->name);
    const em_connector **v = em_realloc(e->connectors, (e->nconnectors + 1) * sizeof *v);
    if (!v)
        return em__engine_fail(e, EM_ENOMEM, "out of memory");
    v[e->nconnectors++] = c;
    e->connectors = v;
    return 0;
}

const em_connector *em__engine_connector(const em_engine *e, const char *name)
{
    for (uint32_t i = 0; i < e->nconnectors; i++)
        if (strcasecmp(e->connectors[i]->name, name) == 0)
            return e->connectors[i];
    return NULL;
}

/* Finds connector `name` able to act as `kind`, or fails with a suggestion. */
static const em_connector *need_connector(em_engine *e, const char *name, unsigned kind,
                                          const char *what)
{
    const em_connector *c = em__engine_connector(e, name);
    if (!c) {
        const char *names[64];
        size_t n = 0;
        for (uint32_t i = 0; i < e->nconnectors && n < 64; i++)
            if (e->connectors[i]->kinds & kind)
                names[n++] = e->connectors[i]->name;
        const char *s = em_suggest(name, names, n);
        em__engine_fail(e, EM_ENOTFOUND, "%s: unknown connector '%s'%s%s%s", what, name,
                        s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
        return NULL;
    }
    if (!(c->kinds & kind)) {
        em__engine_fail(e, EM_EINVAL, "%s: connector '%s' cannot be a %s", what, name,
                        kind == EM_CONNECTOR_SOURCE ? "source" : "sink");
        return NULL;
    }
    return c;
}

/* ---- graph plumbing ---- */

int em__engine_add_op(em_engine *e, em_op *op)
{
    em_op **v = em_realloc(e->ops, (e->nops + 1) * sizeof *v);
    if (!v) {
        em_op_destroy(op);
        return em__engine_fail(e, EM_ENOMEM, "out of memory");
    }
    v[e->nops++] = op;
    e->ops = v;
    return 0;
}

em_stream *em__engine_stream(em_engine *e, em_op *op)
{
    em_stream *s = em_calloc(1, sizeof *s);
    em_stream **v = s ? em_realloc(e->streams, (e->nstreams + 1) * sizeof *v) : NULL;
    if (!v) {
        em_free(s);
        em__engine_fail(e, EM_ENOMEM, "out of memory");
        return NULL;
    }
    s->engine = e;
    s->op = op;
    s->key_col = -1;
    v[e->nstreams++] = s;
    e->streams = v;
    return s;
}

const em_schema *em_stream_schema(const em_stream *s)
{
    return s->op->out_schema;
}

static bool name_taken(em_engine *e, const char *name)
{
    for (uint32_t i = 0; i < e->nsources; i++)
        if (strcasecmp(e->sources[i]->name, name) == 0)
            return true;
    for (uint32_t i = 0; i < e->nsinks; i++)
        if (strcasecmp(e->sinks[i]->name, name) == 0)
            return true;
    return false;
}

static em_stream *add_source(em_engine *e, const char *name, const char *connector,
                             const em_schema *schema, const char *const *options, bool table)
{
    char what[96];
    snprintf(what, sizeof what, "%s %s", table ? "table" : "source", name);
    em_errbuf err;
    em_source_node *s = NULL;
    em_source_node **v;
    em_op *op = NULL;
    if (e->running) {
        em__engine_fail(e, EM_ESTATE, "%s: cannot add a source to a running engine", what);
        return NULL;
    }
    if (name_taken(e, name)) {
        em__engine_fail(e, EM_EEXISTS, "%s: the name is already used", what);
        return NULL;
    }
    const em_connector *c = need_connector(e, connector, EM_CONNECTOR_SOURCE, what);
    if (!c)
        return NULL;
    s = em_calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->engine = e;
    s->conn = c;
    s->is_table = table;
    s->time_col = -1;
    s->max_ts = EM_TS_MIN;
    s->name = em_strdup(name);
    s->schema = em_schema_copy(schema);
    if (!s->name || !s->schema)
        goto oom;
    if (em__conn_ctx_init(&s->cx, e, table ? "table" : "source", name, s->schema, c, options,
                          &err)) {
        em__engine_fail(e, err.code, "%s", err.msg);
        goto fail;
    }
    const char *fmt = em_opt_str(&s->cx.opts, "format");
    /* NULL when not given: each format has its own default (influx: ns) */
    const char *unit = em_opt_given(&s->cx.opts, "timestamp_unit")
                           ? em_opt_str(&s->cx.opts, "timestamp_unit")
                           : NULL;
    if (em_reader_create(&s->reader, fmt ? fmt : "json", s->schema, unit, &err)) {
        em__engine_fail(e, err.code, "%s: %s", what, err.msg);
        goto fail;
    }
    if (c->init && c->init(&s->self, &s->cx, EM_CONNECTOR_SOURCE)) {
        em__engine_fail(e, EM_EINVAL, "%s: connector '%s' failed to initialise", what, c->name);
        goto fail;
    }
    if (em__forward_op_create(&op, name, s->schema))
        goto oom;
    s->op = op;
    if (em__engine_add_op(e, op)) {
        op = NULL;
        goto fail;
    }
    v = em_realloc(e->sources, (e->nsources + 1) * sizeof *v);
    if (!v)
        goto oom;
    v[e->nsources++] = s;
    e->sources = v;
    em_stream *st = em__engine_stream(e, op);
    if (st)
        st->source = s;
    return st;
oom:
    em__engine_fail(e, EM_ENOMEM, "out of memory");
fail:
    source_destroy(s);
    return NULL;
}

em_stream *em_source(em_engine *e, const char *name, const char *connector,
                     const em_schema *schema, const char *const *options)
{
    return add_source(e, name, connector, schema, options, false);
}

em_stream *em_table(em_engine *e, const char *name, const char *connector,
                    const em_schema *schema, const char *key_col, const char *const *options)
{
    int k = em_schema_find(schema, key_col, strlen(key_col));
    if (k < 0) {
        em__engine_fail(e, EM_ENOTFOUND, "table %s: no column '%s' for the primary key", name,
                        key_col);
        return NULL;
    }
    em_stream *s = add_source(e, name, connector, schema, options, true);
    if (s)
        s->key_col = k;
    return s;
}

int em_source_watermark(em_stream *st, const char *time_col, int64_t delay_us)
{
    em_engine *e = st->engine;
    em_source_node *s = st->source;
    if (!s)
        return em__engine_fail(e, EM_EINVAL, "a watermark can only be declared on a source");
    int c = em_schema_find(s->schema, time_col, strlen(time_col));
    if (c < 0)
        return em__engine_fail(e, EM_ENOTFOUND, "source %s: no column '%s' for the watermark",
                               s->name, time_col);
    if (s->schema->fields[c].type != EM_TYPE_TIMESTAMP)
        return em__engine_fail(e, EM_ETYPE,
                               "source %s: watermark column '%s' is %s, not TIMESTAMP", s->name,
                               time_col, em_type_name(s->schema->fields[c].type));
    if (delay_us < 0)
        return em__engine_fail(e, EM_EINVAL, "source %s: negative watermark delay", s->name);
    s->time_col = c;
    s->wm_delay_us = delay_us;
    return 0;
}

em_stream *em_bad_records(em_engine *e)
{
    if (!e->bad_op) {
        const char *names[] = {"source", "location", "reason", "record"};
        em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TEXT, EM_TYPE_TEXT, EM_TYPE_TEXT};
        em_schema *s = em_schema_create(4, names, types);
        em_op *op = NULL;
        int rc = s ? em__forward_op_create(&op, "bad_records", s) : EM_ENOMEM;
        em_schema_destroy(s);
        if (rc) {
            em__engine_fail(e, EM_ENOMEM, "out of memory");
            return NULL;
        }
        if (em__engine_add_op(e, op))
            return NULL;
        e->bad_op = op;
    }
    return em__engine_stream(e, e->bad_op);
}

em_stream *em_late(em_stream *st)
{
    em_engine *e = st->engine;
    em_source_node *s = st->source;
    if (!s || s->is_table) {
        em__engine_fail(e, EM_EINVAL, "LATE() takes a source");
        return NULL;
    }
    if (!s->late_op) {
        char id[160];
        snprintf(id, sizeof id, "%s.late", s->name);
        em_op *op;
        if (em__forward_op_create(&op, id, s->schema)) {
            em__engine_fail(e, EM_ENOMEM, "out of memory");
            return NULL;
        }
        if (em__engine_add_op(e, op))
            return NULL;
        s->late_op = op;
    }
    return em__engine_stream(e, s->late_op);
}

int em_sink(em_stream *in, const char *name, const char *connector, const char *const *options)
{
    return em_sink_keyed(in, name, connector, options, 0, NULL);
}

/* Resolves the upsert key columns of a sink into cx->keys. */
static int sink_keys(em_engine *e, em_conn_ctx *cx, const em_schema *schema, uint32_t nkeys,
                     const char *const *key_cols, const char *what)
{
    if (nkeys == 0)
        return 0;
    cx->keys = em_calloc(nkeys, sizeof *cx->keys);
    if (!cx->keys)
        return em__engine_fail(e, EM_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < nkeys; i++) {
        int k = em_schema_find(schema, key_cols[i], strlen(key_cols[i]));
        if (k < 0)
            return em__engine_fail(e, EM_ENOTFOUND, "%s: no output column '%s' for the key",
                                   what, key_cols[i]);
        cx->keys[i] = (uint32_t)k;
    }
    cx->nkeys = nkeys;
    return 0;
}

int em_sink_keyed(em_stream *in, const char *name, const char *connector,
                  const char *const *options, uint32_t nkeys, const char *const *key_cols)
{
    em_engine *e = in->engine;
    char what[96];
    snprintf(what, sizeof what, "sink %s", name);
    em_errbuf err;
    em_op *op = NULL;
    em_sink_node **v;
    if (name_taken(e, name))
        return em__engine_fail(e, EM_EEXISTS, "%s: the name is already used", what);
    const em_connector *c = need_connector(e, connector, EM_CONNECTOR_SINK, what);
    if (!c)
        return EM_ENOTFOUND;
    em_sink_node *s = em_calloc(1, sizeof *s);
    if (!s)
        goto oom;
    s->engine = e;
    s->conn = c;
    s->name = em_strdup(name);
    if (!s->name)
        goto oom;
    if (em__conn_ctx_init(&s->cx, e, "sink", name, in->op->out_schema, c, options, &err)) {
        em__engine_fail(e, err.code, "%s", err.msg);
        goto fail;
    }
    if (sink_keys(e, &s->cx, in->op->out_schema, nkeys, key_cols, what))
        goto fail;
    if (c->init && c->init(&s->self, &s->cx, EM_CONNECTOR_SINK)) {
        em__engine_fail(e, EM_EINVAL, "%s: connector '%s' failed to initialise", what, c->name);
        goto fail;
    }
    if (em__sink_op_create(&op, s, in->op->out_schema))
        goto oom;
    s->op = op;
    s->cx.schema = op->out_schema;
    if (em__engine_add_op(e, op))
        goto fail;
    if (em_op_connect(in->op, op, 0))
        goto oom;
    v = em_realloc(e->sinks, (e->nsinks + 1) * sizeof *v);
    if (!v)
        goto oom;
    v[e->nsinks++] = s;
    e->sinks = v;
    return 0;
oom:
    em__engine_fail(e, EM_ENOMEM, "out of memory");
fail:
    sink_destroy(s);
    return EM_ENOMEM;
}
