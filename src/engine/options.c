/*
 * engine/options.c - connector options: validation against the connector's
 * declarative table, typed accessors, and the per-instance context.
 */
#include "engine/engine_int.h"

#include "core/clock.h"
#include "core/suggest.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int def_index(const em_options *o, const char *name)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (strcasecmp(o->defs[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int parse_bool(const char *v, int *out)
{
    static const char *t[] = {"true", "1", "yes", "on"}, *f[] = {"false", "0", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, t[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(v, f[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static int in_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncasecmp(p, v, n) == 0)
            return 1;
        p += len + (bar != NULL);
    }
    return 0;
}

/* Checks one value against its definition. */
static int check_value(const em_option_def *d, const char *v, const char *what, em_errbuf *err)
{
    char *end;
    double num = 0;
    int b;
    int64_t us;
    /* a secret's value never appears in a message (logs, REST) */
    const char *shown = (d->flags & EM_OPT_SECRET) ? "[redacted]" : v;
    switch (d->type) {
    case EM_OPT_STRING:
        return 0;
    case EM_OPT_BOOL:
        if (parse_bool(v, &b))
            return em_errf(err, EM_EINVAL, "%s: option '%s' must be true or false, not '%s'",
                           what, d->name, shown);
        return 0;
    case EM_OPT_ENUM:
        if (!in_choices(d->choices, v))
            return em_errf(err, EM_EINVAL, "%s: option '%s' must be one of %s, not '%s'", what,
                           d->name, d->choices, shown);
        return 0;
    case EM_OPT_INT:
        errno = 0;
        num = (double)strtoll(v, &end, 10);
        if (errno || end == v || *end)
            return em_errf(err, EM_EINVAL, "%s: option '%s' must be an integer, not '%s'", what,
                           d->name, shown);
        break;
    case EM_OPT_DOUBLE:
        num = strtod(v, &end);
        if (end == v || *end || !isfinite(num))
            return em_errf(err, EM_EINVAL, "%s: option '%s' must be a number, not '%s'", what,
                           d->name, shown);
        break;
    case EM_OPT_DURATION:
        if (em_duration_parse(v, &us))
            return em_errf(err, EM_EINVAL,
                           "%s: option '%s' must be a duration like '500ms' or '2s', not '%s'",
                           what, d->name, shown);
        num = (double)us / 1e6;
        break;
    }
    if ((d->min != 0 || d->max != 0) && (num < d->min || num > d->max))
        return em_errf(err, EM_EINVAL, "%s: option '%s' = %s is out of range [%g, %g]", what,
                       d->name, shown, d->min, d->max);
    return 0;
}

int em__options_parse(em_options *o, const em_option_def *defs, const char *const *kv,
                      const char *what, em_errbuf *err)
{
    o->defs = defs;
    o->n = 0;
    while (defs && defs[o->n].name)
        o->n++;
    o->values = em_calloc(o->n ? o->n : 1, sizeof *o->values);
    if (!o->values)
        return em_errf(err, EM_ENOMEM, "out of memory");
    for (size_t i = 0; kv && kv[i]; i += 2) {
        const char *k = kv[i], *v = kv[i + 1];
        if (!v) {
            em__options_release(o);
            return em_errf(err, EM_EINVAL, "%s: option '%s' has no value", what, k);
        }
        int idx = def_index(o, k);
        if (idx < 0) {
            const char *names[64];
            size_t nn = 0;
            for (uint32_t j = 0; j < o->n && nn < 64; j++)
                names[nn++] = defs[j].name;
            const char *s = em_suggest(k, names, nn);
            em__options_release(o);
            return em_errf(err, EM_EINVAL, "%s: unknown option '%s'%s%s%s", what, k,
                           s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
        }
        int rc = check_value(&defs[idx], v, what, err);
        if (!rc && o->values[idx])
            rc = em_errf(err, EM_EINVAL, "%s: option '%s' given twice", what, k);
        if (!rc && !(o->values[idx] = em_strdup(v)))
            rc = em_errf(err, EM_ENOMEM, "out of memory");
        if (rc) {
            em__options_release(o);
            return rc;
        }
    }
    for (uint32_t j = 0; j < o->n; j++) {
        if ((defs[j].flags & EM_OPT_REQUIRED) && !o->values[j]) {
            em__options_release(o);
            return em_errf(err, EM_EINVAL, "%s: option '%s' is required (%s)", what,
                           defs[j].name, defs[j].help ? defs[j].help : "no default");
        }
    }
    return 0;
}

void em__options_release(em_options *o)
{
    for (uint32_t i = 0; o->values && i < o->n; i++)
        em_free(o->values[i]);
    em_free(o->values);
    o->values = NULL;
    o->n = 0;
}

const char *em_opt_str(const em_options *o, const char *name)
{
    int i = def_index(o, name);
    if (i < 0)
        return NULL;
    return o->values[i] ? o->values[i] : o->defs[i].def;
}

int em_opt_given(const em_options *o, const char *name)
{
    int i = def_index(o, name);
    return i >= 0 && o->values[i] != NULL;
}

int64_t em_opt_int(const em_options *o, const char *name)
{
    const char *v = em_opt_str(o, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

double em_opt_double(const em_options *o, const char *name)
{
    const char *v = em_opt_str(o, name);
    return v ? strtod(v, NULL) : 0;
}

int em_opt_bool(const em_options *o, const char *name)
{
    const char *v = em_opt_str(o, name);
    int b = 0;
    return v && parse_bool(v, &b) == 0 ? b : 0;
}

int64_t em_opt_duration_us(const em_options *o, const char *name)
{
    const char *v = em_opt_str(o, name);
    int64_t us = 0;
    return v && em_duration_parse(v, &us) == 0 ? us : 0;
}

/* ---- connector context ---- */

int em__conn_ctx_init(em_conn_ctx *cx, em_engine *e, const char *kind, const char *name,
                      const em_schema *schema, const em_connector *c, const char *const *opts,
                      em_errbuf *err)
{
    memset(cx, 0, sizeof *cx);
    cx->engine = e;
    cx->schema = schema;
    cx->log = &e->log;
    snprintf(cx->component, sizeof cx->component, "%s %s", kind, name);
    cx->name = em_strdup(name);
    if (!cx->name)
        return em_errf(err, EM_ENOMEM, "out of memory");
    int rc = em__options_parse(&cx->opts, c->options, opts, cx->component, err);
    if (rc) {
        em_free(cx->name);
        cx->name = NULL;
    }
    return rc;
}

void em__conn_ctx_release(em_conn_ctx *cx)
{
    em__options_release(&cx->opts);
    em_free(cx->name);
    em_free(cx->state_dir);
    em_free(cx->keys);
    cx->name = cx->state_dir = NULL;
    cx->keys = NULL;
    cx->nkeys = 0;
}

const uint32_t *em_conn_key_columns(const em_conn_ctx *cx, uint32_t *n)
{
    *n = cx->nkeys;
    return cx->keys;
}

const char *em_conn_checkpoint_dir(const em_conn_ctx *cx)
{
    return cx->engine->set.checkpoint_dir;
}

int em_conn_stopping(const em_conn_ctx *cx)
{
    return cx->engine->stop_requests > 0;
}

const char *em_conn_name(const em_conn_ctx *cx)
{
    return cx->name;
}

const em_schema *em_conn_schema(const em_conn_ctx *cx)
{
    return cx->schema;
}

const char *em_conn_state_dir(const em_conn_ctx *cx)
{
    return cx->state_dir;
}

void em_conn_bounded(em_conn_ctx *cx, int bounded)
{
    cx->bounded = bounded != 0;
}

const em_options *em_conn_options(const em_conn_ctx *cx)
{
    return &cx->opts;
}

void em_conn_log(em_conn_ctx *cx, int level, const char *fmt, ...)
{
    if (level < 0)
        level = 0;
    if (level > EM_LOG_TRACE)
        level = EM_LOG_TRACE;
    if ((em_log_level)level > cx->log->level)
        return;
    va_list ap;
    va_start(ap, fmt);
    em_log_vwrite(cx->log, (em_log_level)level, cx->component, fmt, ap);
    va_end(ap);
}
