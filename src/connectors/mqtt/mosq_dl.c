/*
 * connectors/mqtt/mosq_dl.c - the libmosquitto table of connectors/mqtt/mosq_dl.h.
 */
#define EM_DL_MOSQ_IMPL
#include "connectors/mqtt/mosq_dl.h"

em_mosq_api em__mosq;

int em__mosq_load(char *err, size_t cap)
{
    static em_dl_once once;
    static const char *const names[] = {EM_MOSQ_FUNCS(EM_DL_NAME)};
    return em_dl_load(&once, EM_SONAME_MOSQ, names, (void **)&em__mosq,
                      sizeof names / sizeof names[0], err, cap);
}
