/*
 * connectors/sqlcommon/sqlcommon.c - SQL text shared by the database sinks
 * (see sqlcommon.h). Builds statements once per sink at start; nothing here
 * runs per row.
 */
#include "connectors/sqlcommon/sqlcommon.h"

#include "batch/batch.h"
#include "ember/error.h"

#include <string.h>

int em__sql_sink_keys(em_conn_ctx *cx, const char *key_opt, uint32_t *keys, uint32_t cap)
{
    const em_schema *s = em_conn_schema(cx);
    if (!key_opt || !*key_opt) {
        uint32_t n;
        const uint32_t *k = em_conn_key_columns(cx, &n);
        if (n > cap)
            return EM_EINVAL;
        for (uint32_t i = 0; i < n; i++)
            keys[i] = k[i];
        return (int)n;
    }
    uint32_t n = 0;
    const char *p = key_opt;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        size_t len = (size_t)(e - p);
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            int c = em_schema_find(s, p, len);
            if (c < 0 || n == cap) {
                em_conn_log(cx, 0, "option 'key': the output has no column '%.*s'", (int)len, p);
                return EM_EINVAL;
            }
            keys[n++] = (uint32_t)c;
        }
        p = e;
    }
    return (int)n;
}

int em__sql_ident(em_buf *b, const char *name)
{
    int rc = em_buf_putc(b, '"');
    for (const char *p = name; !rc && *p; p++)
        rc = *p == '"' ? em_buf_puts(b, "\"\"") : em_buf_putc(b, *p);
    return rc ? rc : em_buf_putc(b, '"');
}

static const char *sql_type(const em__sql_dialect *d, em_type t)
{
    switch (t) {
    case EM_TYPE_BOOLEAN:
        return d->type_boolean;
    case EM_TYPE_BIGINT:
    case EM_TYPE_INTERVAL:
        return d->type_bigint;
    case EM_TYPE_DOUBLE:
        return d->type_double;
    case EM_TYPE_TIMESTAMP:
        return d->type_timestamp;
    default:
        return d->type_text;
    }
}

static int column_list(em_buf *b, const em_schema *s, const uint32_t *idx, uint32_t n,
                       const char *prefix)
{
    int rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t c = idx ? idx[i] : i;
        if (i)
            rc = em_buf_puts(b, ", ");
        if (!rc && prefix)
            rc = em_buf_puts(b, prefix);
        if (!rc)
            rc = em__sql_ident(b, s->fields[c].name);
    }
    return rc;
}

int em__sql_create_table(em_buf *b, const em__sql_dialect *d, const char *table,
                         const em_schema *s, const uint32_t *keys, uint32_t nkeys)
{
    int rc = em_buf_puts(b, "CREATE TABLE IF NOT EXISTS ");
    rc = rc ? rc : em__sql_ident(b, table);
    rc = rc ? rc : em_buf_puts(b, " (");
    for (uint32_t i = 0; i < s->nfields && !rc; i++) {
        if (i)
            rc = em_buf_puts(b, ", ");
        rc = rc ? rc : em__sql_ident(b, s->fields[i].name);
        rc = rc ? rc : em_buf_printf(b, " %s", sql_type(d, s->fields[i].type));
    }
    if (!rc && nkeys) {
        rc = em_buf_puts(b, ", PRIMARY KEY (");
        rc = rc ? rc : column_list(b, s, keys, nkeys, NULL);
        rc = rc ? rc : em_buf_putc(b, ')');
    }
    return rc ? rc : em_buf_putc(b, ')');
}

static int is_key(const uint32_t *keys, uint32_t nkeys, uint32_t c)
{
    for (uint32_t i = 0; i < nkeys; i++)
        if (keys[i] == c)
            return 1;
    return 0;
}

int em__sql_insert(em_buf *b, const em__sql_dialect *d, const char *target,
                   const em_schema *s, const uint32_t *keys, uint32_t nkeys, uint32_t nrows,
                   const char *from_select)
{
    int rc = em_buf_puts(b, "INSERT INTO ");
    rc = rc ? rc : em__sql_ident(b, target);
    rc = rc ? rc : em_buf_puts(b, " (");
    rc = rc ? rc : column_list(b, s, NULL, s->nfields, NULL);
    if (from_select) {
        rc = rc ? rc : em_buf_puts(b, ") SELECT ");
        rc = rc ? rc : column_list(b, s, NULL, s->nfields, NULL);
        rc = rc ? rc : em_buf_puts(b, " FROM ");
        rc = rc ? rc : em__sql_ident(b, from_select);
        /* SQLite needs a WHERE before ON CONFLICT to parse an INSERT ... SELECT */
        rc = rc ? rc : em_buf_puts(b, " WHERE true");
    } else {
        rc = rc ? rc : em_buf_puts(b, ") VALUES ");
        uint32_t p = 1;
        for (uint32_t r = 0; r < nrows && !rc; r++) {
            rc = em_buf_puts(b, r ? ", (" : "(");
            for (uint32_t i = 0; i < s->nfields && !rc; i++, p++)
                rc = d->numbered_params ? em_buf_printf(b, "%s$%u", i ? ", " : "", p)
                                        : em_buf_puts(b, i ? ", ?" : "?");
            rc = rc ? rc : em_buf_putc(b, ')');
        }
    }
    if (rc || !nkeys)
        return rc;
    rc = em_buf_puts(b, " ON CONFLICT (");
    rc = rc ? rc : column_list(b, s, keys, nkeys, NULL);
    rc = rc ? rc : em_buf_puts(b, ") DO ");
    if (!rc && nkeys >= s->nfields)
        return em_buf_puts(b, "NOTHING");
    rc = rc ? rc : em_buf_puts(b, "UPDATE SET ");
    int first = 1;
    for (uint32_t i = 0; i < s->nfields && !rc; i++) {
        if (is_key(keys, nkeys, i))
            continue;
        rc = em_buf_puts(b, first ? "" : ", ");
        first = 0;
        rc = rc ? rc : em__sql_ident(b, s->fields[i].name);
        rc = rc ? rc : em_buf_puts(b, " = excluded.");
        rc = rc ? rc : em__sql_ident(b, s->fields[i].name);
    }
    return rc;
}
