/*
 * http/mhd_dl.c - the libmicrohttpd table of http/mhd_dl.h.
 */
#define EM_DL_MHD_IMPL
#include "http/mhd_dl.h"

em_mhd_api em__mhd;

int em__mhd_load(char *err, size_t cap)
{
    static em_dl_once once;
    static const char *const names[] = {EM_MHD_FUNCS(EM_DL_NAME)};
    return em_dl_load(&once, EM_SONAME_MHD, names, (void **)&em__mhd,
                      sizeof names / sizeof names[0], err, cap);
}
