/*
 * connectors/nats/nats_dl.c - the nats.c table of connectors/nats/nats_dl.h.
 */
#define EM_DL_NATS_IMPL
#include "connectors/nats/nats_dl.h"

em_nats_api em__nats;

int em__nats_load(char *err, size_t cap)
{
    static em_dl_once once;
    static const char *const names[] = {EM_NATS_FUNCS(EM_DL_NAME)};
    return em_dl_load(&once, EM_SONAME_NATS, names, (void **)&em__nats,
                      sizeof names / sizeof names[0], err, cap);
}
