/*
 * connectors/http/http.c - the `http` source: devices POST readings to the
 * job's web server at `path` (default /ingest/<source name>).
 *
 * A request body is NDJSON, a JSON array of objects, CSV lines or InfluxDB
 * line protocol (the source's format; a line protocol line without a
 * timestamp gets its time of arrival, as InfluxDB does). Every record is
 * checked against the schema before anything is kept: a malformed body is
 * refused whole with 400, naming the line and the reason, so a client can
 * fix and resend it without duplicates. An accepted body is appended to the source's push log and
 * answered 200 only once the log holds it durably (group commit across
 * concurrent requests); above the log's quota the answer is 503 with
 * Retry-After, which is back pressure a device understands. poll() then
 * hands the log's records to the engine.
 */
#include "connectors/registry.h"

#include "batch/batch.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "formats/format.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const em_option_def http_options[] = {
    {"path", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "ingest path on the job's web server (default /ingest/<source name>)"},
    {"token", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_SECRET,
     "bearer token clients must send (Authorization: Bearer ...)"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|csv|influx|line_protocol", 0,
     "body format: NDJSON or a JSON array of objects, CSV lines, or InfluxDB line protocol"},
    {"timestamp_unit", EM_OPT_ENUM, "ms", 0, 0, "s|ms|us|ns", 0,
     "unit of numeric TIMESTAMP values (influx: default ns)"},
    {"max_body", EM_OPT_INT, "16777216", 1024, 1073741824, NULL, 0,
     "largest request body, bytes (413 above)"},
    {"quota", EM_OPT_INT, "1073741824", 1048576, 1099511627776.0, NULL, 0,
     "bytes the push log may keep on disk (until every sink has them and a snapshot "
     "covers them) before requests get 503"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

typedef struct http_src {
    em_conn_ctx *cx;
    pthread_rwlock_t lock; /* requests hold it shared while they use push */
    em_push *push;       /* NULL until start and after stop */
    char *token;
    const char *format;
    const char *ts_unit;
    bool json;
    uint64_t quota;
} http_src;

/* Constant-time comparison of the Authorization header with the token. */
static bool auth_ok(const http_src *h, const char *auth)
{
    if (!h->token)
        return true;
    if (!auth || strncasecmp(auth, "Bearer ", 7))
        return false;
    const char *given = auth + 7;
    size_t a = strlen(given), b = strlen(h->token);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < a && i < b; i++)
        diff |= (unsigned char)given[i] ^ (unsigned char)h->token[i];
    return diff == 0;
}

/* A JSON array of objects becomes NDJSON: the objects are found by
 * tracking strings and nesting depth, and each is copied on its own line.
 * Returns 0, or EM_EPARSE with the reason in r. */
static int array_to_lines(const char *p, size_t n, em_buf *out, em_ingest_reply *r)
{
    size_t i = 0;
    while (i < n && strchr(" \t\r\n", p[i]))
        i++;
    i++; /* '[' */
    int depth = 0;
    bool str = false, esc = false;
    size_t start = 0;
    uint64_t obj = 0;
    for (; i < n; i++) {
        char c = p[i];
        if (str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                str = false;
            continue;
        }
        if (c == '"') {
            str = true;
        } else if (c == '{' || c == '[') {
            if (depth++ == 0) {
                if (c != '{')
                    goto bad;
                start = i;
            }
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                if (c != ']')
                    goto bad;
                for (i++; i < n; i++)
                    if (!strchr(" \t\r\n", p[i]))
                        goto bad;
                return 0;
            }
            if (--depth == 0) {
                obj++;
                if (em_buf_append(out, p + start, i + 1 - start) || em_buf_putc(out, '\n'))
                    return EM_ENOMEM;
            }
        } else if (depth == 0 && !strchr(" \t\r\n,", c)) {
            goto bad;
        }
    }
bad:
    snprintf(r->msg, sizeof r->msg,
             "body: not a JSON array of objects (after object %llu, at byte %zu)",
             (unsigned long long)obj, i);
    return EM_EPARSE;
}

static void ingest(http_src *h, const char *auth, const char *body, size_t n,
                   em_ingest_reply *r);

/* Line protocol: InfluxDB stamps a line without a timestamp with its time
 * of arrival, and so does the ingest, before the line is logged (a replay
 * reads the same time). Appends line p[0..n) and a newline to out, with
 * " now" (in the reader's unit) when stamp is set. */
static int put_line(em_buf *out, const char *p, size_t n, bool stamp, int64_t now)
{
    while (stamp && n && (p[n - 1] == '\r' || p[n - 1] == ' '))
        n--;
    int rc = em_buf_append(out, p, n);
    if (!rc && stamp)
        rc = em_buf_printf(out, " %lld", (long long)now);
    return rc ? rc : em_buf_putc(out, '\n');
}

static void http_ingest(void *self, const char *auth, const char *ctype, const char *body,
                        size_t n, em_ingest_reply *r)
{
    http_src *h = self;
    (void)ctype;
    pthread_rwlock_rdlock(&h->lock);
    ingest(h, auth, body, n, r);
    pthread_rwlock_unlock(&h->lock);
}

static void ingest(http_src *h, const char *auth, const char *body, size_t n,
                   em_ingest_reply *r)
{
    if (!auth_ok(h, auth)) {
        r->status = 401;
        snprintf(r->msg, sizeof r->msg, "missing or wrong bearer token");
        return;
    }
    if (!h->push) {
        r->status = 503;
        r->retry_after = 1;
        snprintf(r->msg, sizeof r->msg, "the source is not running yet");
        return;
    }
    em_buf lines;
    em_buf_init(&lines, (size_t)1 << 31);
    size_t k = 0;
    while (k < n && strchr(" \t\r\n", body[k]))
        k++;
    if (h->json && k < n && body[k] == '[') {
        int rc = array_to_lines(body + k, n - k, &lines, r);
        if (rc) {
            r->status = rc == EM_ENOMEM ? 500 : 400;
            em_buf_release(&lines);
            return;
        }
        body = lines.ptr ? lines.ptr : "";
        n = lines.len;
    }
    /* every record must parse before any is kept */
    em_reader *rd = NULL;
    em_errbuf err;
    em_errbuf_clear(&err);
    em_arena a;
    em_arena_init(&a, 64 * 1024);
    em_batch_builder bb;
    int rc = em_reader_create(&rd, h->format, em_conn_schema(h->cx), h->ts_unit, &err);
    rc = rc ? rc : em_batch_builder_init(&bb, em_conn_schema(h->cx), EM_BATCH_ROWS, &a);
    uint64_t line = 0, records = 0;
    em_buf stamped; /* the body with arrival times, once a line needs one */
    em_buf_init(&stamped, (size_t)1 << 31);
    bool stamping = false;
    int64_t now = 0, unit_ns;
    for (size_t pos = 0; !rc && pos < n;) {
        const char *nl = memchr(body + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - body) : n;
        line++;
        int prc = em_reader_parse(rd, body + pos, end - pos, &bb, &err);
        int had = prc == 0 ? em__lp_had_timestamp(rd, &unit_ns) : -1;
        if (had == 0 && !stamping) {
            int64_t us = em_wall_us();
            now = unit_ns < 1000 ? us * 1000 : us / (unit_ns / 1000);
            stamping = true;
            rc = em_buf_append(&stamped, body, pos);
        }
        if (stamping && !rc)
            rc = put_line(&stamped, body + pos, end - pos, had == 0, now);
        if (rc) {
            r->status = 500;
            snprintf(r->msg, sizeof r->msg, "body too large to stamp: %s", em_strerror(rc));
        } else if (prc == 0) {
            records++;
            if (em_batch_builder_full(&bb)) {
                em_arena_reset(&a);
                rc = em_batch_builder_init(&bb, em_conn_schema(h->cx), EM_BATCH_ROWS, &a);
            }
        } else if (prc != EM_EOF) {
            r->status = prc == EM_ENOMEM ? 500 : 400;
            snprintf(r->msg, sizeof r->msg, "%s %llu: %.440s", lines.len ? "object" : "line",
                     (unsigned long long)line, err.msg);
            rc = prc;
        }
        pos = end + 1;
    }
    em_reader_destroy(rd);
    em_arena_release(&a);
    if (stamping) {
        body = stamped.ptr ? stamped.ptr : "";
        n = stamped.len;
    }
    if (!rc && records) {
        const char *chunks[1] = {body};
        size_t lens[1] = {n};
        rc = em_push_append(h->push, chunks, lens, 1);
        if (rc == EM_EAGAIN) {
            r->status = 503;
            r->retry_after = 1;
            snprintf(r->msg, sizeof r->msg,
                     "the ingest log is over its quota (%llu bytes unread): retry later",
                     (unsigned long long)h->quota);
        } else if (rc) {
            r->status = 500;
            snprintf(r->msg, sizeof r->msg, "cannot make the records durable: %s",
                     em_strerror(rc));
        }
    } else if (!rc) {
        r->status = 400;
        snprintf(r->msg, sizeof r->msg, "body holds no records");
        rc = EM_EINVAL;
    }
    if (!rc) {
        r->status = 200;
        r->records = records;
    }
    em_buf_release(&stamped);
    em_buf_release(&lines);
}

static int http_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    const em_options *o = em_conn_options(cx);
    http_src *h = em_calloc(1, sizeof *h);
    if (!h)
        return EM_ENOMEM;
    h->cx = cx;
    pthread_rwlock_init(&h->lock, NULL);
    h->format = em_opt_str(o, "format");
    h->json = !strcmp(h->format, "json");
    h->ts_unit = em_opt_given(o, "timestamp_unit") ? em_opt_str(o, "timestamp_unit") : NULL;
    h->quota = (uint64_t)em_opt_int(o, "quota");
    const char *tok = em_opt_str(o, "token");
    char path[512];
    const char *given = em_opt_str(o, "path");
    if (given && given[0] != '/') {
        em_conn_log(cx, 0, "option 'path': '%s' must start with '/'", given);
        em_free(h);
        return EM_EINVAL;
    }
    snprintf(path, sizeof path, "%s", given ? given : "");
    if (!given)
        snprintf(path, sizeof path, "/ingest/%s", em_conn_name(cx));
    if ((tok && tok[0] && !(h->token = em_strdup(tok))) ||
        em_conn_route(cx, path, (uint64_t)em_opt_int(o, "max_body"), http_ingest, h)) {
        pthread_rwlock_destroy(&h->lock);
        em_free(h->token);
        em_free(h);
        return EM_EINVAL;
    }
    *self = h;
    return 0;
}

static int http_start(void *self)
{
    http_src *h = self;
    em_push *p = NULL;
    int rc = em_push_open(h->cx, h->quota, &p);
    pthread_rwlock_wrlock(&h->lock);
    h->push = p;
    pthread_rwlock_unlock(&h->lock);
    return rc;
}

static int http_poll(void *self, em_source_out *out)
{
    return em_push_poll(((http_src *)self)->push, out);
}

static int http_position(void *self, char *buf, size_t cap)
{
    return em_push_position(((http_src *)self)->push, buf, cap);
}

static int http_seek(void *self, const char *pos, size_t n)
{
    return em_push_seek(((http_src *)self)->push, pos, n);
}

static int http_commit(void *self, int64_t batch_id)
{
    return em_push_commit(((http_src *)self)->push, batch_id);
}

static int http_stop(void *self)
{
    http_src *h = self;
    pthread_rwlock_wrlock(&h->lock); /* waits for requests in flight */
    em_push *p = h->push;
    h->push = NULL; /* requests from now on get 503 */
    pthread_rwlock_unlock(&h->lock);
    em_push_close(p);
    return 0;
}

static void http_destroy(void *self)
{
    http_src *h = self;
    if (!h)
        return;
    em_push_close(h->push);
    pthread_rwlock_destroy(&h->lock);
    em_free(h->token);
    em_free(h);
}

const em_connector em_connector_http = {
    .abi = EM_CONNECTOR_ABI,
    .name = "http",
    .kinds = EM_CONNECTOR_SOURCE,
    .options = http_options,
    .help = "readings POSTed to the job's web server, durable before they are acknowledged",
    .init = http_init,
    .start = http_start,
    .poll = http_poll,
    .position = http_position,
    .seek = http_seek,
    .commit = http_commit,
    .stop = http_stop,
    .destroy = http_destroy,
};
