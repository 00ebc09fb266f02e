/*
 * http/http_int.h - shared by the files of src/http: the server (server.c),
 * the REST handlers (rest.c), the metrics exporter (metrics.c), the JSON
 * writer (json.c) and the embedded assets (generated web_assets.c).
 */
#ifndef EMBER_HTTP_INT_H
#define EMBER_HTTP_INT_H

#include "core/str.h"
#include "ember/ember.h"
#include "ember/http.h"
#include "ember/stats.h"

#include <stdbool.h>
#include <stdint.h>

/* A response: status, content type and an owned body (em_malloc). */
typedef struct em__reply {
    unsigned status;
    const char *type;
    char *body;
    size_t len;
    const char *allow; /* Allow header for 405, or NULL */
    unsigned retry_after; /* Retry-After seconds (503), or 0 */
} em__reply;

/* What handlers may use of the server. */
typedef struct em__http_ctx {
    em_engine *engine;
    const char *job_name;
} em__http_ctx;

/* A JSON writer over a capped buffer: after the first failure every call
 * is a no-op and rc keeps the error. */
typedef struct em__json {
    em_buf b;
    int rc;
    bool comma; /* a value was written at this level: the next needs ',' */
} em__json;

void em__json_init(em__json *j);
void em__json_raw(em__json *j, const char *s);
void em__json_printf(em__json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes ,"key": (comma as needed). */
void em__json_key(em__json *j, const char *key);
void em__json_open(em__json *j, char c);  /* '{' or '[' (as a value) */
void em__json_close(em__json *j, char c);
void em__json_str(em__json *j, const char *s);
void em__json_num(em__json *j, double v); /* null when not finite */
void em__json_u64(em__json *j, uint64_t v);
void em__json_i64(em__json *j, int64_t v);
void em__json_bool(em__json *j, bool v);
void em__json_null(em__json *j);
/* An ISO-8601 UTC timestamp string, or null for INT64_MIN/MAX/0 `none`. */
void em__json_ts(em__json *j, int64_t us);
/* Key helpers: ,"key":value */
void em__json_kstr(em__json *j, const char *key, const char *s);
void em__json_knum(em__json *j, const char *key, double v);
void em__json_ku64(em__json *j, const char *key, uint64_t v);
void em__json_ki64(em__json *j, const char *key, int64_t v);
void em__json_kbool(em__json *j, const char *key, bool v);
void em__json_kts(em__json *j, const char *key, int64_t us);
/* Hands the text to r (status 200, application/json) or a 500 on failure. */
void em__json_reply(em__json *j, em__reply *r);

/* Fills r with a plain JSON error {"error": msg}. */
void em__reply_error(em__reply *r, unsigned status, const char *msg);

/* REST handlers (rest.c): path after /api/v1, query string value of
 * "limit" or NULL. Return false for an unknown path. */
bool em__rest_get(const em__http_ctx *h, const char *path, const char *limit, em__reply *r);
void em__rest_healthz(const em__http_ctx *h, em__reply *r);
void em__rest_readyz(const em__http_ctx *h, em__reply *r);
/* Prometheus text exposition (metrics.c). */
void em__metrics(const em__http_ctx *h, em__reply *r);

/* Embedded web assets (generated from web/ at build time). */
typedef struct em__asset {
    const char *path; /* "/index.html" */
    const char *type;
    const unsigned char *data;
    size_t len;
} em__asset;
extern const em__asset em__http_assets[]; /* ends with path NULL */

#endif
