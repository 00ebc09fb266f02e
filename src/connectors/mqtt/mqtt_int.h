/*
 * connectors/mqtt/mqtt_int.h - shared by the files of the `mqtt` connector:
 * mqtt.c (options, client setup, the connector struct), mqtt_source.c and
 * mqtt_sink.c.
 */
#ifndef EMBER_CONNECTORS_MQTT_INT_H
#define EMBER_CONNECTORS_MQTT_INT_H

#include "ember/connector.h"

#include "connectors/mqtt/mosq_dl.h"

/* Creates a client from the connector's options (url, client_id,
 * clean_session, username/password, tls_*), with `self` as callback data,
 * and connects asynchronously (the broker may be down at start). The
 * caller sets its callbacks in setup before the connection starts. With
 * own_loop 0 libmosquitto's thread runs the client (mosquitto_loop_start,
 * reconnecting with exponential backoff); with 1 the client is marked
 * threaded and the caller runs its network loop and reconnects itself.
 * Returns 0 or a code. */
int em__mqtt_client(em_conn_ctx *cx, void *self, struct mosquitto **out,
                    void (*setup)(struct mosquitto *m), int own_loop);
/* Text of the broker address for messages ("127.0.0.1:1883"). */
const char *em__mqtt_where(em_conn_ctx *cx, char *buf, size_t cap);

int em__mqtt_source_init(void **self, em_conn_ctx *cx);
int em__mqtt_source_start(void *self);
int em__mqtt_source_poll(void *self, em_source_out *out);
int em__mqtt_source_position(void *self, char *buf, size_t cap);
int em__mqtt_source_seek(void *self, const char *pos, size_t n);
int em__mqtt_source_commit(void *self, int64_t batch_id);
int em__mqtt_source_stop(void *self);
void em__mqtt_source_destroy(void *self);

int em__mqtt_sink_init(void **self, em_conn_ctx *cx);
int em__mqtt_sink_start(void *self);
int em__mqtt_sink_write(void *self, const em_batch *b, int64_t batch_id);
int em__mqtt_sink_commit(void *self, int64_t batch_id);
int em__mqtt_sink_stop(void *self);
void em__mqtt_sink_destroy(void *self);

#endif
