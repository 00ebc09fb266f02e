/*
 * connectors/postgres/postgres.c - the `postgres` sink (libpq).
 *
 * Writes the job's output into a PostgreSQL table, creating it from the
 * output schema when missing. Each micro-batch is one transaction on one
 * pooled connection: rows go in with COPY (text format), straight into the
 * table for append-only output, or into a per-session temporary staging
 * table for keyed output, which commit then upserts with INSERT ... SELECT
 * ... ON CONFLICT (keys) DO UPDATE. Commit records the batch id in
 * `_ember_batches` (one row per sink) in the same transaction, so a batch
 * at or below the recorded id is skipped when replayed: exactly-once.
 *
 * Outages: a lost connection fails the batch with EM_ECONN; the engine
 * retries it with backoff (ember/connector.h), holding back later batches,
 * and every retry reconnects. After a connection was lost, the next
 * transaction first re-reads the recorded batch id, because a COMMIT whose
 * reply was lost may have succeeded. The outage is logged once when it
 * starts and once when it ends, with its duration.
 *
 * The pool: pool_size connections are opened lazily and kept across
 * batches (never one connection per batch or per row, the report's
 * "pooling everywhere"); a batch takes the next healthy one, and a broken
 * one is closed and reopened on its next turn, so one bad session does not
 * stall the sink while another works.
 */
#include "batch/batch.h"
#include "connectors/registry.h"
#include "connectors/postgres/pq_dl.h"
#include "connectors/sqlcommon/sqlcommon.h"
#include "core/clock.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const em_option_def pg_options[] = {
    {"url", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED | EM_OPT_SECRET,
     "libpq connection string or URI (postgresql://user:pass@host:port/db)"},
    {"table", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED,
     "table to write (created from the query's columns if missing)"},
    {"key", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "comma-separated columns to upsert on (default: the GROUP BY columns of a running "
     "aggregate; none = append)"},
    {"pool_size", EM_OPT_INT, "2", 1, 64, NULL, 0, "connections kept open"},
    {"connect_timeout", EM_OPT_DURATION, "5s", 1, 300, NULL, 0, "timeout of one connection attempt"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

#define MAX_KEYS 64

typedef struct pg_conn {
    PGconn *c;
    int staged; /* the temporary staging table exists in this session */
} pg_conn;

typedef struct pg_sink {
    em_conn_ctx *cx;
    const em_schema *schema;
    const char *url, *table;
    uint32_t keys[MAX_KEYS];
    uint32_t nkeys;
    pg_conn *pool;
    uint32_t npool, next;
    pg_conn *cur;          /* connection of the open transaction, or NULL */
    int set_up;            /* tables created */
    int lineage_done;      /* batch id reset for a run without checkpoint */
    int verify;            /* re-read the recorded batch id before the next batch */
    int64_t committed;     /* highest batch id known to be committed */
    int64_t skip_batch;    /* the batch being skipped (already committed) */
    int64_t outage_since;  /* wall time the outage began, 0 when healthy */
    char *insert_sql;      /* keyed: INSERT ... SELECT FROM stage ON CONFLICT */
    char *copy_sql;        /* COPY target (cols) FROM STDIN */
    em_buf rows;           /* COPY data of one write */
} pg_sink;

static const em__sql_dialect dialect = {"boolean", "bigint", "double precision", "text",
                                        "timestamptz", 1};

static void drop_conn(pg_sink *s, pg_conn *pc)
{
    if (pc->c)
        PQfinish(pc->c);
    pc->c = NULL;
    pc->staged = 0;
    if (s->cur == pc)
        s->cur = NULL;
}

/* Reports a failure and classifies it: a lost connection or a transient
 * server condition (SQLSTATE classes 08, 40, 53, 57, 58) is EM_ECONN, which
 * the engine retries; anything else (a type mismatch, a missing unique
 * constraint) is EM_EINVAL and fails the job with the server's message. */
static int pg_fail(pg_sink *s, pg_conn *pc, const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    int lost = !pc->c || PQstatus(pc->c) != CONNECTION_OK;
    int transient = lost || !state ||
                    (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "40", 2) == 0 ||
                               strncmp(state, "53", 2) == 0 || strncmp(state, "57", 2) == 0 ||
                               strncmp(state, "58", 2) == 0));
    const char *msg = r && PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r)
                      : pc->c                         ? PQerrorMessage(pc->c)
                                                      : "no connection";
    char one[512];
    snprintf(one, sizeof one, "%s", msg);
    one[strcspn(one, "\n")] = '\0';
    if (transient) {
        if (!s->outage_since) {
            s->outage_since = em_wall_us();
            em_conn_log(s->cx, 0, "%s failed: %s; PostgreSQL outage begins, the batch is kept "
                        "and retried", what, one);
        } else {
            em_conn_log(s->cx, 3, "%s failed: %s", what, one);
        }
    } else {
        em_conn_log(s->cx, 0, "%s failed on table %s: %s", what, s->table, one);
    }
    if (pc->c && PQstatus(pc->c) == CONNECTION_OK && PQtransactionStatus(pc->c) != PQTRANS_IDLE) {
        PGresult *rb = PQexec(pc->c, "ROLLBACK");
        PQclear(rb);
    }
    if (lost) {
        drop_conn(s, pc);
        s->verify = 1;
    }
    if (s->cur == pc)
        s->cur = NULL;
    return transient ? EM_ECONN : EM_EINVAL;
}

/* Runs one command; 0 or a classified error. */
static int run(pg_sink *s, pg_conn *pc, const char *sql, const char *what)
{
    PGresult *r = PQexec(pc->c, sql);
    ExecStatusType st = PQresultStatus(r);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : pg_fail(s, pc, r, what);
    PQclear(r);
    return rc;
}

static void quiet_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static int pg_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    const em_options *o = em_conn_options(cx);
    char why[256];
    if (em__pq_load(why, sizeof why)) {
        em_conn_log(cx, 0, "%s", why);
        return EM_EUNSUPPORTED;
    }
    pg_sink *s = em_calloc(1, sizeof *s);
    if (!s)
        return EM_ENOMEM;
    s->cx = cx;
    s->schema = em_conn_schema(cx);
    s->url = em_opt_str(o, "url");
    s->table = em_opt_str(o, "table");
    s->npool = (uint32_t)em_opt_int(o, "pool_size");
    em_buf_init(&s->rows, (size_t)1 << 32);
    int n = em__sql_sink_keys(cx, em_opt_str(o, "key"), s->keys, MAX_KEYS);
    if (n < 0)
        goto fail;
    s->nkeys = (uint32_t)n;
    s->pool = em_calloc(s->npool, sizeof *s->pool);
    if (!s->pool)
        goto fail;
    em_buf b;
    em_buf_init(&b, 1 << 20);
    int rc = em_buf_puts(&b, "COPY ");
    rc = rc ? rc : em__sql_ident(&b, s->nkeys ? "_ember_stage" : s->table);
    rc = rc ? rc : em_buf_puts(&b, " (");
    for (uint32_t i = 0; i < s->schema->nfields && !rc; i++) {
        rc = em_buf_puts(&b, i ? ", " : "");
        rc = rc ? rc : em__sql_ident(&b, s->schema->fields[i].name);
    }
    rc = rc ? rc : em_buf_puts(&b, ") FROM STDIN");
    s->copy_sql = rc ? NULL : em_buf_detach(&b, NULL);
    em_buf_release(&b);
    if (!s->copy_sql)
        goto fail;
    if (s->nkeys) {
        em_buf_init(&b, 1 << 20);
        rc = em__sql_insert(&b, &dialect, s->table, s->schema, s->keys, s->nkeys, 0,
                            "_ember_stage");
        s->insert_sql = rc ? NULL : em_buf_detach(&b, NULL);
        em_buf_release(&b);
        if (!s->insert_sql)
            goto fail;
    }
    *self = s;
    return 0;
fail:
    em_free(s->copy_sql);
    em_free(s->pool);
    em_buf_release(&s->rows);
    em_free(s);
    return n < 0 ? n : EM_ENOMEM;
}

/* Creates the output and batch-id tables; resets the lineage of a run
 * without checkpoint. Once per run, on the first connection. */
static int set_up(pg_sink *s, pg_conn *pc)
{
    int rc = 0;
    if (!s->set_up) {
        em_buf b;
        em_buf_init(&b, 1 << 20);
        /* CREATE TABLE IF NOT EXISTS races with itself in PostgreSQL (two
         * sinks starting together): a transaction-scoped advisory lock
         * serialises the creations. */
        rc = em__sql_create_table(&b, &dialect, s->table, s->schema, s->keys, s->nkeys);
        rc = rc ? rc : run(s, pc, "BEGIN; SELECT pg_advisory_xact_lock(7193001)", "locking");
        rc = rc ? rc : run(s, pc, b.ptr, "creating the table");
        em_buf_release(&b);
        rc = rc ? rc : run(s, pc, "CREATE TABLE IF NOT EXISTS _ember_batches (sink text PRIMARY "
                                  "KEY, batch_id bigint NOT NULL)", "creating _ember_batches");
        rc = rc ? rc : run(s, pc, "COMMIT", "committing the table creation");
        if (rc)
            return rc;
        s->set_up = 1;
    }
    if (!s->lineage_done && !em_conn_checkpoint_dir(s->cx)) {
        const char *v[1] = {em_conn_name(s->cx)};
        PGresult *r = PQexecParams(pc->c, "DELETE FROM _ember_batches WHERE sink = $1", 1, NULL,
                                   v, NULL, NULL, 0);
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_fail(s, pc, r, "resetting the batch id");
        PQclear(r);
        if (rc)
            return rc;
        s->lineage_done = 1;
        s->verify = 0;
        s->committed = 0;
    }
    if (s->verify || !s->lineage_done) {
        const char *v[1] = {em_conn_name(s->cx)};
        PGresult *r = PQexecParams(pc->c, "SELECT batch_id FROM _ember_batches WHERE sink = $1",
                                   1, NULL, v, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = pg_fail(s, pc, r, "reading the recorded batch id");
            PQclear(r);
            return rc;
        }
        if (PQntuples(r) == 1)
            s->committed = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        s->lineage_done = 1;
        s->verify = 0;
    }
    if (s->nkeys && !pc->staged) {
        em_buf b;
        em_buf_init(&b, 1 << 16);
        rc = em_buf_puts(&b, "CREATE TEMPORARY TABLE IF NOT EXISTS _ember_stage (LIKE ");
        rc = rc ? rc : em__sql_ident(&b, s->table);
        rc = rc ? rc : em_buf_puts(&b, ") ON COMMIT DELETE ROWS");
        rc = rc ? rc : run(s, pc, b.ptr, "creating the staging table");
        em_buf_release(&b);
        if (rc)
            return rc;
        pc->staged = 1;
    }
    return 0;
}

/* A healthy pooled connection, opening one if needed. */
static int acquire(pg_sink *s, pg_conn **out)
{
    char timeout[32];
    snprintf(timeout, sizeof timeout, "%lld",
             (long long)(em_opt_duration_us(em_conn_options(s->cx), "connect_timeout") / 1000000));
    for (uint32_t tries = 0; tries < s->npool; tries++) {
        pg_conn *pc = &s->pool[s->next];
        s->next = (s->next + 1) % s->npool;
        if (pc->c && PQstatus(pc->c) != CONNECTION_OK)
            drop_conn(s, pc);
        if (!pc->c) {
            const char *k[] = {"dbname", "connect_timeout", "application_name", NULL};
            const char *v[] = {s->url, timeout, "ember", NULL};
            pc->c = PQconnectdbParams(k, v, 1);
            if (!pc->c)
                return EM_ENOMEM;
            if (PQstatus(pc->c) != CONNECTION_OK) {
                int rc = pg_fail(s, pc, NULL, "connecting");
                if (tries + 1 < s->npool)
                    continue;
                return rc;
            }
            PQsetNoticeProcessor(pc->c, quiet_notice, NULL);
            s->verify = 1;
        }
        int rc = set_up(s, pc);
        if (rc == EM_ECONN && tries + 1 < s->npool)
            continue;
        if (rc)
            return rc;
        if (s->outage_since) {
            em_conn_log(s->cx, 2, "PostgreSQL reachable again after %.1f s",
                        (em_wall_us() - s->outage_since) / 1e6);
            s->outage_since = 0;
        }
        *out = pc;
        return 0;
    }
    return EM_ECONN;
}

/* Appends one value in COPY text format. */
static int copy_value(em_buf *b, const em_column *c, uint32_t row)
{
    if (em_column_is_null(c, row))
        return em_buf_puts(b, "\\N");
    char tmp[48];
    switch (c->type) {
    case EM_TYPE_BOOLEAN:
        return em_buf_putc(b, c->v.b[row] ? 't' : 'f');
    case EM_TYPE_BIGINT:
    case EM_TYPE_INTERVAL:
        return em_buf_printf(b, "%lld", (long long)c->v.i64[row]);
    case EM_TYPE_DOUBLE: {
        double d = c->v.f64[row];
        if (isnan(d))
            return em_buf_puts(b, "NaN");
        if (isinf(d))
            return em_buf_puts(b, d > 0 ? "Infinity" : "-Infinity");
        return em_buf_append(b, tmp, em__fmt_double(d, tmp));
    }
    case EM_TYPE_TIMESTAMP: {
        int64_t us = c->v.i64[row];
        size_t n = em_ts_format(us, tmp); /* ...ss.mmmZ */
        int64_t sub = ((us % 1000) + 1000) % 1000;
        if (sub && n > 1) {
            n--; /* drop the Z, append the microseconds */
            n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%03lldZ", (long long)sub);
        }
        return em_buf_append(b, tmp, n);
    }
    case EM_TYPE_TEXT: {
        em_slice t = em_column_text(c, row);
        int rc = em_buf_reserve(b, t.len);
        for (size_t i = 0; i < t.len && !rc; i++) {
            char ch = t.ptr[i];
            rc = ch == '\\'   ? em_buf_puts(b, "\\\\")
                 : ch == '\t' ? em_buf_puts(b, "\\t")
                 : ch == '\n' ? em_buf_puts(b, "\\n")
                 : ch == '\r' ? em_buf_puts(b, "\\r")
                 : ch == '\0' ? 0
                              : em_buf_putc(b, ch);
        }
        return rc;
    }
    default:
        return em_buf_puts(b, "\\N");
    }
}

static int pg_write(void *self, const em_batch *b, int64_t batch_id)
{
    pg_sink *s = self;
    uint32_t n = em_batch_count(b);
    if (batch_id <= s->committed || batch_id == s->skip_batch || n == 0)
        return 0;
    int rc;
    if (!s->cur) {
        pg_conn *pc = NULL;
        if ((rc = acquire(s, &pc)))
            return rc;
        if (batch_id <= s->committed) {
            s->skip_batch = batch_id;
            return 0;
        }
        if ((rc = run(s, pc, "BEGIN", "beginning a transaction")))
            return rc;
        s->cur = pc;
    }
    pg_conn *pc = s->cur;
    em_buf_reset(&s->rows);
    rc = 0;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t row = em_batch_row(b, i);
        for (uint32_t c = 0; c < b->ncols && !rc; c++) {
            if (c)
                rc = em_buf_putc(&s->rows, '\t');
            rc = rc ? rc : copy_value(&s->rows, &b->cols[c], row);
        }
        rc = rc ? rc : em_buf_putc(&s->rows, '\n');
    }
    if (rc) {
        pg_fail(s, pc, NULL, "formatting rows");
        return rc;
    }
    PGresult *r = PQexec(pc->c, s->copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        rc = pg_fail(s, pc, r, "starting COPY");
        PQclear(r);
        return rc;
    }
    PQclear(r);
    if (PQputCopyData(pc->c, s->rows.ptr, (int)s->rows.len) != 1 ||
        PQputCopyEnd(pc->c, NULL) != 1)
        return pg_fail(s, pc, NULL, "sending COPY data");
    rc = 0;
    while ((r = PQgetResult(pc->c)) != NULL) {
        if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = pg_fail(s, pc, r, "COPY");
        PQclear(r);
        if (rc && !pc->c)
            break;
    }
    return rc;
}

static int pg_commit(void *self, int64_t batch_id)
{
    pg_sink *s = self;
    if (batch_id <= s->committed || batch_id == s->skip_batch) {
        if (batch_id == s->skip_batch || batch_id == s->committed)
            em_conn_log(s->cx, 2, "batch %lld was already committed; skipped",
                        (long long)batch_id);
        return 0;
    }
    pg_conn *pc = s->cur;
    if (!pc)
        return 0; /* nothing written: nothing to record */
    int rc = 0;
    if (s->insert_sql && (rc = run(s, pc, s->insert_sql, "upserting")))
        return rc;
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)batch_id);
    const char *v[2] = {em_conn_name(s->cx), id};
    PGresult *r = PQexecParams(pc->c,
                               "INSERT INTO _ember_batches (sink, batch_id) VALUES ($1, $2) "
                               "ON CONFLICT (sink) DO UPDATE SET batch_id = excluded.batch_id",
                               2, NULL, v, NULL, NULL, 0);
    rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : pg_fail(s, pc, r, "recording the batch id");
    PQclear(r);
    if (rc || (rc = run(s, pc, "COMMIT", "committing")))
        return rc;
    s->cur = NULL;
    s->committed = batch_id;
    return 0;
}

static int pg_stop(void *self)
{
    pg_sink *s = self;
    for (uint32_t i = 0; i < s->npool; i++)
        drop_conn(s, &s->pool[i]);
    return 0;
}

static void pg_destroy(void *self)
{
    pg_sink *s = self;
    if (!s)
        return;
    pg_stop(s);
    em_free(s->pool);
    em_free(s->copy_sql);
    em_free(s->insert_sql);
    em_buf_release(&s->rows);
    em_free(s);
}

const em_connector em_connector_postgres = {
    .abi = EM_CONNECTOR_ABI,
    .name = "postgres",
    .kinds = EM_CONNECTOR_SINK,
    .options = pg_options,
    .help = "write rows into a PostgreSQL table (exactly-once, upserts keyed output)",
    .init = pg_init,
    .write = pg_write,
    .commit = pg_commit,
    .stop = pg_stop,
    .destroy = pg_destroy,
};
