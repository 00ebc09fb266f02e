/*
 * connectors/mqtt/mqtt.c - the `mqtt` connector (libmosquitto): options,
 * client setup shared by the source (mqtt_source.c) and the sink
 * (mqtt_sink.c), and the connector struct that dispatches to them.
 *
 * The sink's client runs libmosquitto's network thread
 * (mosquitto_loop_start), which reconnects by itself with exponential
 * backoff (1 s doubling to 30 s); the source runs its own network thread,
 * so that no PUBACK leaves before the message is in its push log
 * (mqtt_source.c). The url is mqtt://host[:port] or mqtts://host[:port] (TLS, port
 * 8883 by default; tls_ca or the system's CA store verifies the server).
 */
#include "connectors/mqtt/mqtt_int.h"

#include "connectors/registry.h"
#include "core/mem.h"
#include "ember/error.h"

#include <mqtt_protocol.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const em_option_def mqtt_options[] = {
    {"url", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED | EM_OPT_SECRET,
     "broker: mqtt://host[:port] or mqtts://host[:port] (TLS)"},
    {"topic", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_REQUIRED,
     "source: comma-separated topic filters (+ and # wildcards); sink: topic to publish to, "
     "{column} is replaced by the row's value"},
    {"qos", EM_OPT_INT, "1", 0, 1, NULL, 0, "0 at most once, 1 at least once"},
    {"client_id", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "MQTT client id (default ember-<name>-<pid>); fixed for a persistent session"},
    {"clean_session", EM_OPT_BOOL, "true", 0, 0, NULL, 0,
     "false keeps the subscription and queued QoS 1 messages across reconnects "
     "(needs client_id)"},
    {"username", EM_OPT_STRING, NULL, 0, 0, NULL, 0, "user name"},
    {"password", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_SECRET, "password"},
    {"tls_ca", EM_OPT_STRING, NULL, 0, 0, NULL, 0, "CA certificate file (PEM)"},
    {"tls_cert", EM_OPT_STRING, NULL, 0, 0, NULL, 0, "client certificate file (PEM)"},
    {"tls_key", EM_OPT_STRING, NULL, 0, 0, NULL, 0, "client key file (PEM)"},
    {"tls_insecure", EM_OPT_BOOL, "false", 0, 0, NULL, 0,
     "do not check the server's host name (testing only)"},
    {"protocol", EM_OPT_ENUM, "3.1.1", 0, 0, "3.1.1|5", 0,
     "MQTT version; with 5, max_inflight also bounds the broker's deliveries and a "
     "persistent session lasts session_expiry"},
    {"session_expiry", EM_OPT_DURATION, "1d", 0, 4294967295.0, NULL, 0,
     "MQTT 5 with clean_session = false: how long the broker keeps the session"},
    {"max_inflight", EM_OPT_INT, "1000", 1, 65535, NULL, 0,
     "QoS 1 messages in flight at once (sink: unacknowledged publishes; source with "
     "MQTT 5: deliveries the broker may send before our acknowledgements)"},
    {"keepalive", EM_OPT_DURATION, "30s", 5, 3600, NULL, 0, "MQTT keepalive"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|csv|influx|line_protocol", 0,
     "record format of payloads (a payload may hold several lines)"},
    {"timestamp_unit", EM_OPT_ENUM, "ms", 0, 0, "s|ms|us|ns", 0,
     "unit of numeric TIMESTAMP values"},
    {"topic_columns", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "source: columns taken from topic levels, e.g. 'device_id=2' (1-based level)"},
    {"quota", EM_OPT_INT, "1073741824", 1048576, 1099511627776.0, NULL, 0,
     "source: bytes the push log may hold unprocessed before the client stops reading "
     "from the broker"},
    {"ack_after", EM_OPT_ENUM, "write", 0, 0, "write|sync", 0,
     "source: acknowledge (QoS 1 PUBACK) once a message is written to the push log "
     "(survives a crash of Ember) or once it is synced to disk (survives a power loss)"},
    {"retain", EM_OPT_BOOL, "false", 0, 0, NULL, 0, "sink: publish retained messages"},
    {"ack_timeout", EM_OPT_DURATION, "10s", 0.1, 3600, NULL, 0,
     "sink: how long commit waits for the broker's PUBACKs"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

/* Splits the url into host and port. */
static int parse_url(const char *url, char *host, size_t cap, int *port, int *tls)
{
    const char *p = url;
    *tls = 0;
    if (strncmp(p, "mqtt://", 7) == 0 || strncmp(p, "tcp://", 6) == 0) {
        p = strchr(p, '/') + 2;
    } else if (strncmp(p, "mqtts://", 8) == 0 || strncmp(p, "ssl://", 6) == 0) {
        p = strchr(p, '/') + 2;
        *tls = 1;
    } else {
        return EM_EINVAL;
    }
    *port = *tls ? 8883 : 1883;
    size_t n = strcspn(p, ":/");
    if (n == 0 || n >= cap)
        return EM_EINVAL;
    memcpy(host, p, n);
    host[n] = '\0';
    if (p[n] == ':') {
        char *end;
        long v = strtol(p + n + 1, &end, 10);
        if (v < 1 || v > 65535 || (*end && *end != '/'))
            return EM_EINVAL;
        *port = (int)v;
    }
    return 0;
}

const char *em__mqtt_where(em_conn_ctx *cx, char *buf, size_t cap)
{
    char host[256];
    int port, tls;
    if (parse_url(em_opt_str(em_conn_options(cx), "url"), host, sizeof host, &port, &tls))
        snprintf(buf, cap, "(bad url)");
    else
        snprintf(buf, cap, "%s:%d", host, port);
    return buf;
}

int em__mqtt_client(em_conn_ctx *cx, void *self, struct mosquitto **out,
                    void (*setup)(struct mosquitto *m), int own_loop)
{
    const em_options *o = em_conn_options(cx);
    char host[256], id[256];
    int port, tls;
    if (parse_url(em_opt_str(o, "url"), host, sizeof host, &port, &tls)) {
        em_conn_log(cx, 0, "option 'url': expected mqtt://host[:port] or mqtts://host[:port]");
        return EM_EINVAL;
    }
    int clean = em_opt_bool(o, "clean_session");
    if (!clean && !em_opt_str(o, "client_id")) {
        em_conn_log(cx, 0, "clean_session = false needs a fixed client_id");
        return EM_EINVAL;
    }
    if (em_opt_str(o, "client_id"))
        snprintf(id, sizeof id, "%s", em_opt_str(o, "client_id"));
    else
        snprintf(id, sizeof id, "ember-%s-%ld", em_conn_name(cx), (long)getpid());
    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(id, clean, self);
    if (!m)
        return EM_ENOMEM;
    int rc = MOSQ_ERR_SUCCESS;
    if (em_opt_str(o, "username"))
        rc = mosquitto_username_pw_set(m, em_opt_str(o, "username"), em_opt_str(o, "password"));
    if (rc == MOSQ_ERR_SUCCESS && (tls || em_opt_str(o, "tls_ca"))) {
        rc = mosquitto_tls_set(m, em_opt_str(o, "tls_ca"),
                               em_opt_str(o, "tls_ca") ? NULL : "/etc/ssl/certs",
                               em_opt_str(o, "tls_cert"), em_opt_str(o, "tls_key"), NULL);
        if (rc == MOSQ_ERR_SUCCESS && em_opt_bool(o, "tls_insecure"))
            rc = mosquitto_tls_insecure_set(m, true);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        em_conn_log(cx, 0, "MQTT client setup failed: %s", mosquitto_strerror(rc));
        mosquitto_destroy(m);
        return EM_EINVAL;
    }
    mosquitto_reconnect_delay_set(m, 1, 30, true);
    if (own_loop)
        mosquitto_threaded_set(m, true);
    int v5 = strcmp(em_opt_str(o, "protocol"), "5") == 0;
    int inflight = (int)em_opt_int(o, "max_inflight");
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    if (v5) {
        mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, inflight);
        mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, inflight);
    } else {
        mosquitto_max_inflight_messages_set(m, (unsigned)inflight);
    }
    setup(m);
    int keepalive = (int)(em_opt_duration_us(o, "keepalive") / 1000000);
    if (v5) {
        /* MQTT 5 keeps a session only for its expiry interval (0 by
         * default), and only the blocking v5 connect takes properties; a
         * failed first attempt is retried by the network thread. */
        mosquitto_property *props = NULL;
        if (!clean)
            mosquitto_property_add_int32(
                &props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                (uint32_t)(em_opt_duration_us(o, "session_expiry") / 1000000));
        rc = mosquitto_connect_bind_v5(m, host, port, keepalive, NULL, props);
        mosquitto_property_free_all(&props);
    } else {
        rc = mosquitto_connect_async(m, host, port, keepalive);
    }
    if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_ERRNO && rc != MOSQ_ERR_NO_CONN) {
        em_conn_log(cx, 0, "cannot connect to %s:%d: %s", host, port, mosquitto_strerror(rc));
        mosquitto_destroy(m);
        return EM_ECONN;
    }
    if (rc != MOSQ_ERR_SUCCESS)
        em_conn_log(cx, 1, "broker %s:%d not reachable yet; retrying in the background", host,
                    port);
    if (!own_loop && (rc = mosquitto_loop_start(m)) != MOSQ_ERR_SUCCESS) {
        em_conn_log(cx, 0, "cannot start the MQTT client thread: %s", mosquitto_strerror(rc));
        mosquitto_destroy(m);
        return EM_EIO;
    }
    *out = m;
    return 0;
}

static int mqtt_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    char why[256];
    if (em__mosq_load(why, sizeof why)) {
        em_conn_log(cx, 0, "%s", why);
        return EM_EUNSUPPORTED;
    }
    return kind == EM_CONNECTOR_SOURCE ? em__mqtt_source_init(self, cx)
                                       : em__mqtt_sink_init(self, cx);
}

/* The engine gives no kind to the other callbacks: each instance starts
 * with an int tag (1 source, 2 sink). */
static int kind_of(void *self)
{
    return *(int *)self;
}

static int mqtt_start(void *self)
{
    return kind_of(self) == 1 ? em__mqtt_source_start(self) : em__mqtt_sink_start(self);
}

static int mqtt_commit(void *self, int64_t batch_id)
{
    return kind_of(self) == 1 ? em__mqtt_source_commit(self, batch_id)
                              : em__mqtt_sink_commit(self, batch_id);
}

static int mqtt_position(void *self, char *buf, size_t cap)
{
    return kind_of(self) == 1 ? em__mqtt_source_position(self, buf, cap) : 0;
}

static int mqtt_seek(void *self, const char *pos, size_t n)
{
    return kind_of(self) == 1 ? em__mqtt_source_seek(self, pos, n) : EM_EUNSUPPORTED;
}

static int mqtt_stop(void *self)
{
    return kind_of(self) == 1 ? em__mqtt_source_stop(self) : em__mqtt_sink_stop(self);
}

static void mqtt_destroy(void *self)
{
    if (!self)
        return;
    if (kind_of(self) == 1)
        em__mqtt_source_destroy(self);
    else
        em__mqtt_sink_destroy(self);
}

const em_connector em_connector_mqtt = {
    .abi = EM_CONNECTOR_ABI,
    .name = "mqtt",
    .kinds = EM_CONNECTOR_SOURCE | EM_CONNECTOR_SINK,
    .options = mqtt_options,
    .help = "subscribe to or publish on an MQTT broker (QoS 0/1, TLS, persistent sessions)",
    .init = mqtt_init,
    .start = mqtt_start,
    .poll = em__mqtt_source_poll,
    .position = mqtt_position,
    .seek = mqtt_seek,
    .write = em__mqtt_sink_write,
    .commit = mqtt_commit,
    .stop = mqtt_stop,
    .destroy = mqtt_destroy,
};
