/*
 * connectors/sqlite/sqlite.c - the `sqlite` sink (libsqlite3).
 *
 * Writes the job's output into a table of an SQLite database, creating the
 * table from the output schema when it is missing. Each micro-batch is one
 * transaction: the first write of a batch begins it, rows go in through one
 * prepared INSERT, and commit records the batch id in `_ember_batches`
 * (one row per sink) in the same transaction before COMMIT. A batch whose
 * id is at or below the recorded one was already committed, so a replayed
 * batch (recovery from a checkpoint) is skipped: output is exactly-once.
 * Without a checkpoint directory batch ids restart at 1 on every run, so
 * the sink then starts a new lineage: it clears its recorded id at start.
 *
 * Keyed output (a running aggregate's GROUP BY columns, or the `key`
 * option) is upserted: INSERT ... ON CONFLICT (keys) DO UPDATE.
 * The database runs in WAL journal mode, so readers never block the sink.
 */
#include "batch/batch.h"
#include "connectors/registry.h"
#include "connectors/sqlcommon/sqlcommon.h"
#include "core/clock.h"
#include "core/mem.h"
#include "ember/error.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static const em_option_def sqlite_options[] = {
    {"path", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED, "database file (created if missing)"},
    {"table", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED,
     "table to write (created from the query's columns if missing)"},
    {"key", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "comma-separated columns to upsert on (default: the GROUP BY columns of a running "
     "aggregate; none = append)"},
    {"synchronous", EM_OPT_ENUM, "normal", 0, 0, "off|normal|full", 0,
     "PRAGMA synchronous: full also survives power loss"},
    {"busy_timeout", EM_OPT_DURATION, "5s", 0, 3600, NULL, 0,
     "how long to wait for another writer's lock"},
    {"timestamp_format", EM_OPT_ENUM, "iso", 0, 0, "iso|ms|us", 0,
     "how TIMESTAMP values are stored: ISO-8601 text (UTC, ms) or an integer"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

#define MAX_KEYS 64

typedef struct sqlite_sink {
    em_conn_ctx *cx;
    const em_schema *schema;
    const char *path, *table;
    sqlite3 *db;
    sqlite3_stmt *insert, *mark, *last;
    uint32_t keys[MAX_KEYS];
    uint32_t nkeys;
    int ts_mode;             /* 0 iso, 1 ms, 2 us */
    int64_t committed;       /* highest batch id recorded in _ember_batches */
    int64_t skipped;         /* last batch id reported as skipped */
    int in_tx;
} sqlite_sink;

static const em__sql_dialect dialect = {"INTEGER", "INTEGER", "REAL", "TEXT", "TEXT", 0};

/* Maps an SQLite failure to a code: a locked or full database may clear up
 * (retried by the engine); anything else (a schema mismatch) fails the job. */
static int fail(sqlite_sink *s, int rc, const char *what)
{
    em_conn_log(s->cx, 0, "%s: %s (%s, table %s)", what, sqlite3_errmsg(s->db), s->path,
                s->table);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return EM_EAGAIN;
    case SQLITE_NOMEM:
        return EM_ENOMEM;
    default:
        return EM_EINVAL;
    }
}

static int exec(sqlite_sink *s, const char *sql, const char *what)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(s, rc, what);
}

static int sqlite_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    const em_options *o = em_conn_options(cx);
    sqlite_sink *s = em_calloc(1, sizeof *s);
    if (!s)
        return EM_ENOMEM;
    s->cx = cx;
    s->schema = em_conn_schema(cx);
    s->path = em_opt_str(o, "path");
    s->table = em_opt_str(o, "table");
    const char *ts = em_opt_str(o, "timestamp_format");
    s->ts_mode = strcmp(ts, "ms") == 0 ? 1 : strcmp(ts, "us") == 0 ? 2 : 0;
    int n = em__sql_sink_keys(cx, em_opt_str(o, "key"), s->keys, MAX_KEYS);
    if (n < 0) {
        em_free(s);
        return n;
    }
    s->nkeys = (uint32_t)n;
    *self = s;
    return 0;
}

static int prepare(sqlite_sink *s, const char *sql, sqlite3_stmt **st)
{
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
    return rc == SQLITE_OK ? 0 : fail(s, rc, "preparing a statement");
}

/* Creates the tables and prepares the statements. */
static int setup(sqlite_sink *s)
{
    em_buf b;
    em_buf_init(&b, 1 << 20);
    char pragma[96];
    int rc = EM_ENOMEM;
    snprintf(pragma, sizeof pragma, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s",
             em_opt_str(em_conn_options(s->cx), "synchronous"));
    if ((rc = exec(s, pragma, "setting the journal mode")))
        goto done;
    if ((rc = em__sql_create_table(&b, &dialect, s->table, s->schema, s->keys, s->nkeys)) ||
        (rc = exec(s, b.ptr, "creating the table")))
        goto done;
    if ((rc = exec(s, "CREATE TABLE IF NOT EXISTS _ember_batches (sink TEXT PRIMARY KEY, "
                      "batch_id INTEGER NOT NULL)", "creating _ember_batches")))
        goto done;
    em_buf_reset(&b);
    if ((rc = em__sql_insert(&b, &dialect, s->table, s->schema, s->keys, s->nkeys, 1, NULL)))
        goto done;
    if (sqlite3_prepare_v3(s->db, b.ptr, -1, SQLITE_PREPARE_PERSISTENT, &s->insert, NULL) !=
            SQLITE_OK && s->nkeys) {
        /* an existing table without a unique constraint on the key */
        em_buf c2;
        em_buf_init(&c2, 1 << 16);
        char idx[300];
        snprintf(idx, sizeof idx, "%s_ember_key", s->table);
        rc = em_buf_puts(&c2, "CREATE UNIQUE INDEX IF NOT EXISTS ");
        rc = rc ? rc : em__sql_ident(&c2, idx);
        rc = rc ? rc : em_buf_puts(&c2, " ON ");
        rc = rc ? rc : em__sql_ident(&c2, s->table);
        rc = rc ? rc : em_buf_puts(&c2, " (");
        for (uint32_t i = 0; i < s->nkeys && !rc; i++) {
            rc = em_buf_puts(&c2, i ? ", " : "");
            rc = rc ? rc : em__sql_ident(&c2, s->schema->fields[s->keys[i]].name);
        }
        rc = rc ? rc : em_buf_putc(&c2, ')');
        if (!rc)
            rc = exec(s, c2.ptr, "creating a unique index on the key columns");
        em_buf_release(&c2);
        if (rc)
            goto done;
    }
    if (!s->insert && (rc = prepare(s, b.ptr, &s->insert)))
        goto done;
    if ((rc = prepare(s, "INSERT INTO _ember_batches (sink, batch_id) VALUES (?1, ?2) "
                         "ON CONFLICT (sink) DO UPDATE SET batch_id = excluded.batch_id",
                      &s->mark)) ||
        (rc = prepare(s, "SELECT batch_id FROM _ember_batches WHERE sink = ?1", &s->last)))
        goto done;
    rc = 0;
done:
    em_buf_release(&b);
    return rc;
}

static int sqlite_start(void *self)
{
    sqlite_sink *s = self;
    int rc = sqlite3_open_v2(s->path, &s->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        em_conn_log(s->cx, 0, "cannot open database '%s': %s", s->path,
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return EM_EIO;
    }
    sqlite3_busy_timeout(s->db,
                         (int)(em_opt_duration_us(em_conn_options(s->cx), "busy_timeout") / 1000));
    if ((rc = setup(s)))
        return rc;
    const char *name = em_conn_name(s->cx);
    if (!em_conn_checkpoint_dir(s->cx)) {
        char sql[512];
        char *q = sqlite3_mprintf("DELETE FROM _ember_batches WHERE sink = %Q", name);
        if (!q)
            return EM_ENOMEM;
        snprintf(sql, sizeof sql, "%s", q);
        sqlite3_free(q);
        if ((rc = exec(s, sql, "resetting the batch id (no checkpoint_dir)")))
            return rc;
        s->committed = 0;
        return 0;
    }
    sqlite3_bind_text(s->last, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(s->last) == SQLITE_ROW)
        s->committed = sqlite3_column_int64(s->last, 0);
    sqlite3_reset(s->last);
    if (s->committed)
        em_conn_log(s->cx, 2, "batches up to %lld are already in %s", (long long)s->committed,
                    s->path);
    return 0;
}

static int bind_row(sqlite_sink *s, const em_batch *b, uint32_t row)
{
    sqlite3_stmt *st = s->insert;
    for (uint32_t c = 0; c < b->ncols; c++) {
        const em_column *col = &b->cols[c];
        int p = (int)c + 1, rc = SQLITE_OK;
        if (em_column_is_null(col, row)) {
            rc = sqlite3_bind_null(st, p);
        } else {
            switch (col->type) {
            case EM_TYPE_BOOLEAN:
                rc = sqlite3_bind_int64(st, p, col->v.b[row]);
                break;
            case EM_TYPE_BIGINT:
            case EM_TYPE_INTERVAL:
                rc = sqlite3_bind_int64(st, p, col->v.i64[row]);
                break;
            case EM_TYPE_DOUBLE:
                rc = isnan(col->v.f64[row]) ? sqlite3_bind_null(st, p)
                                            : sqlite3_bind_double(st, p, col->v.f64[row]);
                break;
            case EM_TYPE_TEXT: {
                em_slice t = em_column_text(col, row);
                rc = sqlite3_bind_text(st, p, t.ptr, (int)t.len, SQLITE_STATIC);
                break;
            }
            case EM_TYPE_TIMESTAMP:
                if (s->ts_mode == 0) {
                    char buf[32];
                    size_t n = em_ts_format(col->v.i64[row], buf);
                    rc = sqlite3_bind_text(st, p, buf, (int)n, SQLITE_TRANSIENT);
                } else {
                    rc = sqlite3_bind_int64(st, p, s->ts_mode == 1 ? col->v.i64[row] / 1000
                                                                   : col->v.i64[row]);
                }
                break;
            default:
                rc = sqlite3_bind_null(st, p);
            }
        }
        if (rc != SQLITE_OK)
            return fail(s, rc, "binding a value");
    }
    return 0;
}

static void rollback(sqlite_sink *s)
{
    if (s->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = 0;
    sqlite3_reset(s->insert);
}

static int sqlite_write(void *self, const em_batch *b, int64_t batch_id)
{
    sqlite_sink *s = self;
    if (batch_id <= s->committed || em_batch_count(b) == 0)
        return 0;
    int rc;
    if (!s->in_tx) {
        if ((rc = exec(s, "BEGIN IMMEDIATE", "beginning a transaction")))
            return rc;
        s->in_tx = 1;
    }
    uint32_t n = em_batch_count(b);
    for (uint32_t i = 0; i < n; i++) {
        if ((rc = bind_row(s, b, em_batch_row(b, i))))
            goto fail;
        int step = sqlite3_step(s->insert);
        sqlite3_reset(s->insert);
        if (step != SQLITE_DONE) {
            rc = fail(s, step, "inserting a row");
            goto fail;
        }
    }
    return 0;
fail:
    rollback(s);
    return rc;
}

static int sqlite_commit(void *self, int64_t batch_id)
{
    sqlite_sink *s = self;
    if (batch_id <= s->committed) {
        if (batch_id != s->skipped)
            em_conn_log(s->cx, 2, "batch %lld was already committed to %s; skipped",
                        (long long)batch_id, s->path);
        s->skipped = batch_id;
        return 0;
    }
    if (!s->in_tx)
        return 0; /* nothing written: nothing to record */
    int rc;
    sqlite3_bind_text(s->mark, 1, em_conn_name(s->cx), -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->mark, 2, batch_id);
    int step = sqlite3_step(s->mark);
    sqlite3_reset(s->mark);
    if (step != SQLITE_DONE) {
        rc = fail(s, step, "recording the batch id");
        goto fail;
    }
    if ((rc = exec(s, "COMMIT", "committing")))
        goto fail;
    s->in_tx = 0;
    s->committed = batch_id;
    return 0;
fail:
    rollback(s);
    return rc;
}

static int sqlite_stop(void *self)
{
    sqlite_sink *s = self;
    rollback(s);
    sqlite3_finalize(s->insert);
    sqlite3_finalize(s->mark);
    sqlite3_finalize(s->last);
    s->insert = s->mark = s->last = NULL;
    if (s->db)
        sqlite3_close(s->db);
    s->db = NULL;
    return 0;
}

static void sqlite_destroy(void *self)
{
    sqlite_sink *s = self;
    if (!s)
        return;
    if (s->db)
        sqlite_stop(s);
    em_free(s);
}

const em_connector em_connector_sqlite = {
    .abi = EM_CONNECTOR_ABI,
    .name = "sqlite",
    .kinds = EM_CONNECTOR_SINK,
    .options = sqlite_options,
    .help = "write rows into an SQLite table (exactly-once, upserts keyed output)",
    .init = sqlite_init,
    .start = sqlite_start,
    .write = sqlite_write,
    .commit = sqlite_commit,
    .stop = sqlite_stop,
    .destroy = sqlite_destroy,
};
