/*
 * connectors/webhook/curl_dl.c - the libcurl table of connectors/webhook/curl_dl.h.
 */
#define EM_DL_CURL_IMPL
#include "connectors/webhook/curl_dl.h"

em_curl_api em__curl;

int em__curl_load(char *err, size_t cap)
{
    static em_dl_once once;
    static const char *const names[] = {EM_CURL_FUNCS(EM_DL_NAME)};
    return em_dl_load(&once, EM_SONAME_CURL, names, (void **)&em__curl,
                      sizeof names / sizeof names[0], err, cap);
}
