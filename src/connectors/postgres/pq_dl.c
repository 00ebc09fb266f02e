/*
 * connectors/postgres/pq_dl.c - the libpq table of connectors/postgres/pq_dl.h.
 */
#define EM_DL_PQ_IMPL
#include "connectors/postgres/pq_dl.h"

em_pq_api em__pq;

int em__pq_load(char *err, size_t cap)
{
    static em_dl_once once;
    static const char *const names[] = {EM_PQ_FUNCS(EM_DL_NAME)};
    return em_dl_load(&once, EM_SONAME_PQ, names, (void **)&em__pq,
                      sizeof names / sizeof names[0], err, cap);
}
