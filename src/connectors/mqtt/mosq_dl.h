/*
 * connectors/mqtt/mosq_dl.h - libmosquitto, loaded when a job first uses it (dl.h).
 * Generated list: add a function here when the mqtt code starts calling it.
 */
#ifndef EMBER_DL_MOSQ_H
#define EMBER_DL_MOSQ_H

#include "core/dl.h"

#include <mosquitto.h>

#define EM_MOSQ_FUNCS(X) \
    X(mosquitto_connack_string) \
    X(mosquitto_connect_async) \
    X(mosquitto_connect_bind_v5) \
    X(mosquitto_connect_callback_set) \
    X(mosquitto_destroy) \
    X(mosquitto_disconnect) \
    X(mosquitto_disconnect_callback_set) \
    X(mosquitto_int_option) \
    X(mosquitto_lib_init) \
    X(mosquitto_loop_misc) \
    X(mosquitto_loop_read) \
    X(mosquitto_loop_start) \
    X(mosquitto_loop_stop) \
    X(mosquitto_loop_write) \
    X(mosquitto_max_inflight_messages_set) \
    X(mosquitto_message_callback_set) \
    X(mosquitto_new) \
    X(mosquitto_property_add_int32) \
    X(mosquitto_property_free_all) \
    X(mosquitto_publish) \
    X(mosquitto_publish_callback_set) \
    X(mosquitto_reconnect_async) \
    X(mosquitto_reconnect_delay_set) \
    X(mosquitto_socket) \
    X(mosquitto_strerror) \
    X(mosquitto_sub_topic_check) \
    X(mosquitto_subscribe) \
    X(mosquitto_subscribe_callback_set) \
    X(mosquitto_threaded_set) \
    X(mosquitto_tls_insecure_set) \
    X(mosquitto_tls_set) \
    X(mosquitto_username_pw_set) \
    X(mosquitto_want_write)

typedef struct em_mosq_api {
    EM_MOSQ_FUNCS(EM_DL_MEMBER)
} em_mosq_api;

extern em_mosq_api em__mosq;

/* Loads libmosquitto (EM_SONAME_MOSQ) on first use. Returns 0, or -1 with the reason in err. */
int em__mosq_load(char *err, size_t cap);

#ifndef EM_DL_MOSQ_IMPL
#undef mosquitto_connack_string
#define mosquitto_connack_string (em__mosq.mosquitto_connack_string)
#undef mosquitto_connect_async
#define mosquitto_connect_async (em__mosq.mosquitto_connect_async)
#undef mosquitto_connect_bind_v5
#define mosquitto_connect_bind_v5 (em__mosq.mosquitto_connect_bind_v5)
#undef mosquitto_connect_callback_set
#define mosquitto_connect_callback_set (em__mosq.mosquitto_connect_callback_set)
#undef mosquitto_destroy
#define mosquitto_destroy (em__mosq.mosquitto_destroy)
#undef mosquitto_disconnect
#define mosquitto_disconnect (em__mosq.mosquitto_disconnect)
#undef mosquitto_disconnect_callback_set
#define mosquitto_disconnect_callback_set (em__mosq.mosquitto_disconnect_callback_set)
#undef mosquitto_int_option
#define mosquitto_int_option (em__mosq.mosquitto_int_option)
#undef mosquitto_lib_init
#define mosquitto_lib_init (em__mosq.mosquitto_lib_init)
#undef mosquitto_loop_misc
#define mosquitto_loop_misc (em__mosq.mosquitto_loop_misc)
#undef mosquitto_loop_read
#define mosquitto_loop_read (em__mosq.mosquitto_loop_read)
#undef mosquitto_loop_start
#define mosquitto_loop_start (em__mosq.mosquitto_loop_start)
#undef mosquitto_loop_stop
#define mosquitto_loop_stop (em__mosq.mosquitto_loop_stop)
#undef mosquitto_loop_write
#define mosquitto_loop_write (em__mosq.mosquitto_loop_write)
#undef mosquitto_max_inflight_messages_set
#define mosquitto_max_inflight_messages_set (em__mosq.mosquitto_max_inflight_messages_set)
#undef mosquitto_message_callback_set
#define mosquitto_message_callback_set (em__mosq.mosquitto_message_callback_set)
#undef mosquitto_new
#define mosquitto_new (em__mosq.mosquitto_new)
#undef mosquitto_property_add_int32
#define mosquitto_property_add_int32 (em__mosq.mosquitto_property_add_int32)
#undef mosquitto_property_free_all
#define mosquitto_property_free_all (em__mosq.mosquitto_property_free_all)
#undef mosquitto_publish
#define mosquitto_publish (em__mosq.mosquitto_publish)
#undef mosquitto_publish_callback_set
#define mosquitto_publish_callback_set (em__mosq.mosquitto_publish_callback_set)
#undef mosquitto_reconnect_async
#define mosquitto_reconnect_async (em__mosq.mosquitto_reconnect_async)
#undef mosquitto_reconnect_delay_set
#define mosquitto_reconnect_delay_set (em__mosq.mosquitto_reconnect_delay_set)
#undef mosquitto_socket
#define mosquitto_socket (em__mosq.mosquitto_socket)
#undef mosquitto_strerror
#define mosquitto_strerror (em__mosq.mosquitto_strerror)
#undef mosquitto_sub_topic_check
#define mosquitto_sub_topic_check (em__mosq.mosquitto_sub_topic_check)
#undef mosquitto_subscribe
#define mosquitto_subscribe (em__mosq.mosquitto_subscribe)
#undef mosquitto_subscribe_callback_set
#define mosquitto_subscribe_callback_set (em__mosq.mosquitto_subscribe_callback_set)
#undef mosquitto_threaded_set
#define mosquitto_threaded_set (em__mosq.mosquitto_threaded_set)
#undef mosquitto_tls_insecure_set
#define mosquitto_tls_insecure_set (em__mosq.mosquitto_tls_insecure_set)
#undef mosquitto_tls_set
#define mosquitto_tls_set (em__mosq.mosquitto_tls_set)
#undef mosquitto_username_pw_set
#define mosquitto_username_pw_set (em__mosq.mosquitto_username_pw_set)
#undef mosquitto_want_write
#define mosquitto_want_write (em__mosq.mosquitto_want_write)
#endif

#endif
