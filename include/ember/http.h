/*
 * ember/http.h - the embedded HTTP server: web UI, REST API (docs/rest.md),
 * Prometheus /metrics, health checks.
 *
 * The server is a client of the public API: it reads the engine only
 * through ember/stats.h snapshots, on its own thread, and stops the job
 * only through em_engine_request_stop(). Defined only when Ember is built
 * with libmicrohttpd (CMake option EMBER_HTTP, library ember_http); a
 * client that may be built without it checks EMBER_HAVE_HTTP, as cli/ does.
 */
#ifndef EMBER_HTTP_H
#define EMBER_HTTP_H

#include "ember/ember.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct em_http em_http;

/* Starts serving engine e at its `http` setting ("HOST:PORT", "[V6]:PORT";
 * "off" starts nothing: returns 0 with *out = NULL). Mutating endpoints
 * need the `http_token` setting as a bearer token; a non-loopback address
 * without a token is refused. job_name (copied, may be NULL) labels the UI
 * and metrics. Returns 0 and *out, or EM_EINVAL (bad address, missing
 * token), EM_EIO (cannot listen, e.g. the port is taken), EM_ENOMEM; err
 * (cap bytes) then says why. e must outlive the server:
 * call em_http_stop before em_engine_destroy. */
EM_API int em_http_start(em_engine *e, const char *job_name, em_http **out, char *err,
                         size_t cap);
/* The port the server listens on (useful with port 0). */
EM_API int em_http_port(const em_http *h);
/* Stops serving (waits for requests in flight) and frees h. NULL-safe. */
EM_API void em_http_stop(em_http *h);

#ifdef __cplusplus
}
#endif
#endif
