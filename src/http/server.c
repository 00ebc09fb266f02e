/*
 * http/server.c - the embedded HTTP server on libmicrohttpd: listening,
 * routing, authentication, request limits and the embedded web assets.
 *
 * One MHD polling thread serves every connection; handlers only copy a
 * statistics snapshot and render it, so none blocks for long. Security:
 *   - the address comes from the `http` setting, loopback by default; a
 *     non-loopback address without `http_token` is refused at start;
 *   - POST endpoints need "Authorization: Bearer <http_token>" (compared in
 *     constant time) and are disabled when no token is set;
 *   - request bodies are capped (413), headers by MHD's connection memory
 *     limit, connections by count and idle timeout;
 *   - assets are served from a table compiled into the binary: a path is
 *     looked up verbatim, never mapped to the filesystem, so ".." and
 *     encoded variants can only miss (404).
 */
#include "http/http_int.h"
#include "http/mhd_dl.h"

#include "core/mem.h"
#include "ember/error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define MAX_BODY 4096          /* no endpoint takes a body larger than this */
#define MAX_CONNECTIONS 256
#define THREADS 32              /* request threads (ingest requests wait for fsync) */
#define CONN_TIMEOUT_S 30
#define CONN_MEMORY (32 * 1024) /* per connection: request line + headers */

struct em_http {
    struct MHD_Daemon *d;
    em__http_ctx ctx;
    char *job_name;
    char *token;                /* NULL: POST endpoints disabled */
    int port;
    int stop_sent;              /* POST /stop asks once: a second ask would stop at once */
};

typedef struct req {
    size_t body;     /* bytes of request body seen */
    uint64_t limit;  /* an ingest request: its body limit; 0 otherwise */
    em_buf data;     /* an ingest request's body */
    bool too_big;
} req;

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    em_http *h = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = 0;
    em_engine_log(h->ctx.engine, 1, "http", "%s", msg);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    req *rq = *con_cls;
    if (rq)
        em_buf_release(&rq->data);
    em_free(rq);
    *con_cls = NULL;
}

static enum MHD_Result send_reply(struct MHD_Connection *c, em__reply *r, bool api)
{
    if (!r->body) {
        r->body = em_strdup("");
        r->len = 0;
        if (!r->body)
            return MHD_NO;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(r->len, r->body, em_free);
    if (!resp) {
        em_free(r->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (api) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    } else {
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'");
    }
    if (r->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->status == 401)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", r->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg,
                                  const char *allow)
{
    em__reply r = {0};
    em__reply_error(&r, status, msg);
    r.allow = allow;
    return send_reply(c, &r, true);
}

/* Constant-time comparison of the bearer token. */
static bool token_ok(const em_http *h, struct MHD_Connection *c)
{
    const char *auth =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *got = auth + 7;
    size_t n = strlen(got), m = strlen(h->token);
    unsigned char diff = n != m;
    for (size_t i = 0; i < m; i++)
        diff |= (unsigned char)(h->token[i] ^ (i < n ? got[i] : 0));
    return diff == 0;
}

static enum MHD_Result post_stop(em_http *h, struct MHD_Connection *c)
{
    if (!h->token)
        return send_error(c, 403,
                          "POST endpoints are disabled: start the job with the http_token "
                          "setting to enable them", NULL);
    if (!token_ok(h, c))
        return send_error(c, 401, "missing or wrong bearer token (Authorization: Bearer ...)",
                          NULL);
    if (!__atomic_exchange_n(&h->stop_sent, 1, __ATOMIC_SEQ_CST)) {
        em_engine_log(h->ctx.engine, 2, "http", "graceful stop requested over HTTP");
        em_engine_request_stop(h->ctx.engine);
    }
    em__reply r = {0};
    em__json j;
    em__json_init(&j);
    em__json_open(&j, '{');
    em__json_kbool(&j, "stopping", true);
    em__json_close(&j, '}');
    em__json_raw(&j, "\n");
    em__json_reply(&j, &r);
    if (r.status == 200)
        r.status = 202;
    return send_reply(c, &r, true);
}

static enum MHD_Result serve_asset(struct MHD_Connection *c, const char *url)
{
    if (!strcmp(url, "/"))
        url = "/index.html";
    for (const em__asset *a = em__http_assets; a->path; a++) {
        if (strcmp(a->path, url) != 0)
            continue;
        struct MHD_Response *resp = MHD_create_response_from_buffer(
            a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, a->type);
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "frame-ancestors 'none'");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        enum MHD_Result ok = MHD_queue_response(c, 200, resp);
        MHD_destroy_response(resp);
        return ok;
    }
    em__reply r = {404, "text/plain; charset=utf-8", em_strdup("not found\n"), 10, NULL, 0};
    return send_reply(c, &r, false);
}

static enum MHD_Result dispatch(em_http *h, struct MHD_Connection *c, const char *url,
                                const char *method)
{
    bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    bool post = !strcmp(method, "POST");
    em__reply r = {0};
    if (!strncmp(url, "/api/v1/", 8)) {
        const char *path = url + 7;
        if (!strcmp(path, "/stop"))
            return post ? post_stop(h, c) : send_error(c, 405, "use POST", "POST");
        if (!get)
            return send_error(c, 405, "use GET", "GET, HEAD");
        const char *limit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
        if (!em__rest_get(&h->ctx, path, limit, &r))
            return send_error(c, 404, "no such endpoint (see docs/rest.md)", NULL);
        return send_reply(c, &r, true);
    }
    bool metrics = !strcmp(url, "/metrics"), health = !strcmp(url, "/healthz"),
         ready = !strcmp(url, "/readyz");
    if (!get)
        return send_error(c, 405, "use GET", "GET, HEAD");
    if (metrics)
        em__metrics(&h->ctx, &r);
    else if (health)
        em__rest_healthz(&h->ctx, &r);
    else if (ready)
        em__rest_readyz(&h->ctx, &r);
    else
        return serve_asset(c, url);
    return send_reply(c, &r, true);
}

/* POST to a source's ingest path (em_conn_route): the source checks,
 * stores durably and tells what to answer. */
static enum MHD_Result post_ingest(em_http *h, struct MHD_Connection *c, const char *url,
                                  req *rq)
{
    if (rq->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body too large (limit %llu bytes)",
                 (unsigned long long)rq->limit);
        return send_error(c, 413, msg, NULL);
    }
    const char *auth =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    em_ingest_reply ir;
    if (em_engine_ingest(h->ctx.engine, url, auth, type, rq->data.ptr ? rq->data.ptr : "",
                         rq->data.len, &ir))
        return send_error(c, 404, "no source serves this path", NULL);
    em__reply r = {0};
    em__json j;
    em__json_init(&j);
    em__json_open(&j, '{');
    if (ir.status / 100 == 2)
        em__json_ku64(&j, "accepted", ir.records);
    else
        em__json_kstr(&j, "error", ir.msg);
    em__json_close(&j, '}');
    em__json_raw(&j, "\n");
    em__json_reply(&j, &r);
    r.status = (unsigned)ir.status;
    if (ir.status == 503)
        r.retry_after = ir.retry_after ? ir.retry_after : 1;
    return send_reply(c, &r, true);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    em_http *h = cls;
    req *rq = *con_cls;
    if (!rq) {
        /* headers are in: refuse an announced oversize body before reading it */
        if (!(rq = em_calloc(1, sizeof *rq)))
            return MHD_NO;
        *con_cls = rq;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (!strcmp(method, "POST"))
            rq->limit = em_engine_ingest_limit(h->ctx.engine, url);
        uint64_t limit = rq->limit ? rq->limit : MAX_BODY;
        em_buf_init(&rq->data, rq->limit ? (size_t)rq->limit : 1);
        if (cl && strtoull(cl, NULL, 10) > limit) {
            char msg[128];
            snprintf(msg, sizeof msg, "request body too large (limit %llu bytes)",
                     (unsigned long long)limit);
            return send_error(c, 413, msg, NULL);
        }
        return MHD_YES;
    }
    if (*upload_size) {
        rq->body += *upload_size;
        if (rq->limit && !rq->too_big &&
            em_buf_append(&rq->data, upload, *upload_size)) /* over the limit (chunked) */
            rq->too_big = true;
        *upload_size = 0;
        /* a chunked body has no length up front: drop the connection */
        return !rq->limit && rq->body > MAX_BODY ? MHD_NO : MHD_YES;
    }
    if (rq->limit) {
        enum MHD_Result ok = post_ingest(h, c, url, rq);
        em_engine_log(h->ctx.engine, 3, "http", "%s %s (%zu bytes)", method, url, rq->body);
        return ok;
    }
    enum MHD_Result ok = dispatch(h, c, url, method);
    em_engine_log(h->ctx.engine, 3, "http", "%s %s", method, url);
    return ok;
}

/* Splits "HOST:PORT" / "[V6]:PORT" and resolves it (numeric port). */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
                        char *err, size_t cap)
{
    char host[256];
    const char *port;
    if (spec[0] == '[') {
        const char *end = strchr(spec, ']');
        if (!end || end[1] != ':' || (size_t)(end - spec - 1) >= sizeof host)
            goto bad;
        memcpy(host, spec + 1, (size_t)(end - spec - 1));
        host[end - spec - 1] = 0;
        port = end + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
            goto bad;
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = 0;
        port = colon + 1;
    }
    char *end;
    long p = strtol(port, &end, 10);
    if (!*port || *end || p < 0 || p > 65535)
        goto bad;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc || !res) {
        snprintf(err, cap, "http: cannot resolve '%s': %s", host, gai_strerror(rc));
        return EM_EINVAL;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
bad:
    snprintf(err, cap,
             "http: '%s' is not HOST:PORT (examples: '127.0.0.1:4040', '[::1]:4040', 'off')",
             spec);
    return EM_EINVAL;
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

int em_http_start(em_engine *e, const char *job_name, em_http **out, char *err, size_t cap)
{
    char spec[256], token[512];
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    em_http *h = NULL;
    int rc;
    *out = NULL;
    if (cap)
        err[0] = 0;
    em_engine_get(e, "http", spec, sizeof spec);
    em_engine_get(e, "http_token", token, sizeof token);
    if (!spec[0] || !strcasecmp(spec, "off") || !strcasecmp(spec, "false") ||
        !strcasecmp(spec, "no"))
        return 0;
    if ((rc = parse_listen(spec, &ss, &sslen, err, cap)))
        return rc;
    if (em__mhd_load(err, cap))
        return EM_EUNSUPPORTED;
    if (!is_loopback(&ss) && !token[0]) {
        snprintf(err, cap,
                 "http: refusing to serve on non-loopback address %s without a token: set "
                 "http_token (anyone who can reach the port could stop the job), or listen "
                 "on 127.0.0.1",
                 spec);
        return EM_EINVAL;
    }
    h = em_calloc(1, sizeof *h);
    if (!h || !(h->job_name = em_strdup(job_name ? job_name : "job")) ||
        (token[0] && !(h->token = em_strdup(token)))) {
        rc = EM_ENOMEM;
        snprintf(err, cap, "http: out of memory");
        goto fail;
    }
    h->ctx.engine = e;
    h->ctx.job_name = h->job_name;
    /* A pool of threads: an ingest request waits for its WAL commit, and
     * requests waiting together share one fsync (group commit), so the
     * threads bound how many requests one fsync can acknowledge: with 8,
     * 64 connections posting 10 readings each got 3,100 requests/s; with
     * 32, 11,400 (`ember bench ingest_http_small`). */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, h,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS,
                            MHD_OPTION_END);
    if (!h->d) {
        rc = EM_EIO;
        snprintf(err, cap, "http: cannot listen on %s: %s", spec,
                 errno ? strerror(errno) : "libmicrohttpd refused to start");
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    *out = h;
    return 0;
fail:
    em_http_stop(h);
    return rc;
}

int em_http_port(const em_http *h)
{
    return h ? h->port : 0;
}

void em_http_stop(em_http *h)
{
    if (!h)
        return;
    if (h->d)
        MHD_stop_daemon(h->d);
    em_free(h->job_name);
    em_free(h->token);
    em_free(h);
}
