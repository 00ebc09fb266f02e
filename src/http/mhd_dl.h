/*
 * http/mhd_dl.h - libmicrohttpd, loaded when a job first uses it (dl.h).
 * Generated list: add a function here when the http code starts calling it.
 */
#ifndef EMBER_DL_MHD_H
#define EMBER_DL_MHD_H

#include "core/dl.h"

#include <microhttpd.h>

#define EM_MHD_FUNCS(X) \
    X(MHD_add_response_header) \
    X(MHD_create_response_from_buffer) \
    X(MHD_create_response_from_buffer_with_free_callback) \
    X(MHD_destroy_response) \
    X(MHD_get_daemon_info) \
    X(MHD_lookup_connection_value) \
    X(MHD_queue_response) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon)

typedef struct em_mhd_api {
    EM_MHD_FUNCS(EM_DL_MEMBER)
} em_mhd_api;

extern em_mhd_api em__mhd;

/* Loads libmicrohttpd (EM_SONAME_MHD) on first use. Returns 0, or -1 with the reason in err. */
int em__mhd_load(char *err, size_t cap);

#ifndef EM_DL_MHD_IMPL
#undef MHD_add_response_header
#define MHD_add_response_header (em__mhd.MHD_add_response_header)
#undef MHD_create_response_from_buffer
#define MHD_create_response_from_buffer (em__mhd.MHD_create_response_from_buffer)
#undef MHD_create_response_from_buffer_with_free_callback
#define MHD_create_response_from_buffer_with_free_callback (em__mhd.MHD_create_response_from_buffer_with_free_callback)
#undef MHD_destroy_response
#define MHD_destroy_response (em__mhd.MHD_destroy_response)
#undef MHD_get_daemon_info
#define MHD_get_daemon_info (em__mhd.MHD_get_daemon_info)
#undef MHD_lookup_connection_value
#define MHD_lookup_connection_value (em__mhd.MHD_lookup_connection_value)
#undef MHD_queue_response
#define MHD_queue_response (em__mhd.MHD_queue_response)
#undef MHD_start_daemon
#define MHD_start_daemon (em__mhd.MHD_start_daemon)
#undef MHD_stop_daemon
#define MHD_stop_daemon (em__mhd.MHD_stop_daemon)
#endif

#endif
