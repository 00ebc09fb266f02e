/*
 * connectors/webhook/curl_dl.h - libcurl, loaded when a job first uses it (dl.h).
 * Generated list: add a function here when the webhook code starts calling it.
 */
#ifndef EMBER_DL_CURL_H
#define EMBER_DL_CURL_H

#include "core/dl.h"

#include <curl/curl.h>

#define EM_CURL_FUNCS(X) \
    X(curl_easy_cleanup) \
    X(curl_easy_getinfo) \
    X(curl_easy_init) \
    X(curl_easy_perform) \
    X(curl_easy_setopt) \
    X(curl_easy_strerror) \
    X(curl_global_init) \
    X(curl_slist_append) \
    X(curl_slist_free_all)

typedef struct em_curl_api {
    EM_CURL_FUNCS(EM_DL_MEMBER)
} em_curl_api;

extern em_curl_api em__curl;

/* Loads libcurl (EM_SONAME_CURL) on first use. Returns 0, or -1 with the reason in err. */
int em__curl_load(char *err, size_t cap);

#ifndef EM_DL_CURL_IMPL
#undef curl_easy_cleanup
#define curl_easy_cleanup (em__curl.curl_easy_cleanup)
#undef curl_easy_getinfo
#define curl_easy_getinfo (em__curl.curl_easy_getinfo)
#undef curl_easy_init
#define curl_easy_init (em__curl.curl_easy_init)
#undef curl_easy_perform
#define curl_easy_perform (em__curl.curl_easy_perform)
#undef curl_easy_setopt
#define curl_easy_setopt (em__curl.curl_easy_setopt)
#undef curl_easy_strerror
#define curl_easy_strerror (em__curl.curl_easy_strerror)
#undef curl_global_init
#define curl_global_init (em__curl.curl_global_init)
#undef curl_slist_append
#define curl_slist_append (em__curl.curl_slist_append)
#undef curl_slist_free_all
#define curl_slist_free_all (em__curl.curl_slist_free_all)
#endif

#endif
