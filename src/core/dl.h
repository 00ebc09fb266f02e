/*
 * core/dl.h - connectors that need a library (libpq, libcurl,
 * libmosquitto, nats.c, libmicrohttpd) load it when a job first uses them,
 * not when ember starts.
 *
 * Linked in, those libraries and what they pull in (OpenSSL, GnuTLS,
 * Kerberos, p11-kit) run their initialisers and fault in about 7 MB of
 * pages in every ember process, whether its job uses them or not; loaded on
 * demand, a job that reads a file into SQLite idles at about 2.5 MB.
 *
 * Each library has a header (pq.h, curl.h, ...) that includes the library's
 * own header, lists the functions Ember calls in an X-macro, declares a
 * table of pointers of exactly those functions' types (__typeof__), and
 * then redirects each name to the table with a #define, so connector code
 * calls the library as usual. A function missing from a list is a link
 * error (the library is not linked), never a silent fallback.
 */
#ifndef EMBER_CORE_DL_H
#define EMBER_CORE_DL_H

#include <stddef.h>

#define EM_DL_MEMBER(f) __typeof__(f) *f;
#define EM_DL_NAME(f) #f,

/* Loads the library `soname` once (thread-safe) and fills fns[i] with
 * names[i] for i < n. Returns 0, or -1 with the reason (the library or the
 * first missing function, and dlerror's text) in err. Later calls return
 * the first call's result. `once` is the caller's static state (zero it). */
typedef struct em_dl_once {
    int state; /* 0 not tried, 1 loaded, -1 failed */
    char err[256];
} em_dl_once;
int em_dl_load(em_dl_once *once, const char *soname, const char *const *names, void **fns,
               size_t n, char *err, size_t cap);

#endif
