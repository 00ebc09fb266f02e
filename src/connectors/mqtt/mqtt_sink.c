/*
 * connectors/mqtt/mqtt_sink.c - the `mqtt` sink.
 *
 * Publishes one message per row, the row as a JSON object, to `topic`,
 * where {column} is replaced by the row's value of that column (e.g.
 * alerts/{device_id}). With QoS 1, commit returns only once the broker has
 * acknowledged (PUBACK) every message of the batch; if that does not happen
 * within ack_timeout (the broker is down), commit fails and the engine
 * retries the batch, publishing it again: at-least-once. QoS 0 is
 * at-most-once and commit does not wait.
 *
 * In-flight messages are tracked by message id in a 65536-bit set (ids are
 * 16-bit); write waits for acknowledgements when 60000 are outstanding.
 */
#include "connectors/mqtt/mqtt_int.h"

#include "batch/batch.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"
#include "formats/format.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_INFLIGHT 60000

typedef struct seg {
    const char *text; /* literal text, or NULL for a column */
    size_t len;
    int col;
} seg;

typedef struct mqtt_sink {
    int kind; /* 2: first, see mqtt.c */
    em_conn_ctx *cx;
    struct mosquitto *m;
    int qos, retain;
    int64_t ack_timeout_us;
    char *topic;
    seg segs[32];
    uint32_t nsegs;
    em_writer *writer;
    em_buf lines, tbuf;
    pthread_mutex_t mu;
    pthread_cond_t acked;
    uint8_t inflight[65536 / 8];
    uint32_t pending;
    int connected, stopping;
    int64_t outage_since;
} mqtt_sink;

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
    (void)m;
    mqtt_sink *s = arg;
    char where[300];
    if (rc != 0) {
        em_conn_log(s->cx, 1, "broker %s refused the connection: %s",
                    em__mqtt_where(s->cx, where, sizeof where), mosquitto_connack_string(rc));
        return;
    }
    s->connected = 1;
    em_conn_log(s->cx, 2, "connected to %s", em__mqtt_where(s->cx, where, sizeof where));
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
    (void)m;
    mqtt_sink *s = arg;
    char where[300];
    s->connected = 0;
    if (rc != 0 && !s->stopping)
        em_conn_log(s->cx, 1, "lost the connection to %s; reconnecting with backoff",
                    em__mqtt_where(s->cx, where, sizeof where));
}

static void on_publish(struct mosquitto *m, void *arg, int mid)
{
    (void)m;
    mqtt_sink *s = arg;
    uint16_t id = (uint16_t)mid;
    pthread_mutex_lock(&s->mu);
    if (s->inflight[id >> 3] & (1u << (id & 7))) {
        s->inflight[id >> 3] &= (uint8_t) ~(1u << (id & 7));
        s->pending--;
        if (s->pending == 0 || s->pending == MAX_INFLIGHT / 2)
            pthread_cond_broadcast(&s->acked);
    }
    pthread_mutex_unlock(&s->mu);
}

static void setup(struct mosquitto *m)
{
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_disconnect_callback_set(m, on_disconnect);
    mosquitto_publish_callback_set(m, on_publish);
}

/* Splits the topic template into literal and {column} segments. */
static int parse_topic(mqtt_sink *s)
{
    const em_schema *sch = em_conn_schema(s->cx);
    const char *p = s->topic;
    while (*p) {
        if (s->nsegs == 32) {
            em_conn_log(s->cx, 0, "option 'topic': too many parts");
            return EM_EINVAL;
        }
        seg *g = &s->segs[s->nsegs++];
        if (*p == '{') {
            const char *e = strchr(p, '}');
            int col = e ? em_schema_find(sch, p + 1, (size_t)(e - p - 1)) : -1;
            if (col < 0) {
                em_conn_log(s->cx, 0, "option 'topic': '%s' names no output column", p);
                return EM_EINVAL;
            }
            g->text = NULL;
            g->col = col;
            p = e + 1;
        } else {
            size_t n = strcspn(p, "{");
            g->text = p;
            g->len = n;
            p += n;
        }
    }
    return 0;
}

int em__mqtt_sink_init(void **self, em_conn_ctx *cx)
{
    const em_options *o = em_conn_options(cx);
    em_errbuf err;
    mqtt_sink *s = em_calloc(1, sizeof *s);
    if (!s)
        return EM_ENOMEM;
    s->kind = 2;
    s->cx = cx;
    s->qos = (int)em_opt_int(o, "qos");
    s->retain = em_opt_bool(o, "retain");
    s->ack_timeout_us = em_opt_duration_us(o, "ack_timeout");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->acked, NULL);
    em_buf_init(&s->lines, (size_t)1 << 34);
    em_buf_init(&s->tbuf, 65536);
    *self = s;
    if (!(s->topic = em_strdup(em_opt_str(o, "topic"))))
        return EM_ENOMEM;
    if (strpbrk(s->topic, "+#")) {
        em_conn_log(cx, 0, "option 'topic': a sink publishes to one topic, without wildcards");
        return EM_EINVAL;
    }
    if (em_writer_create(&s->writer, "json", em_conn_schema(cx), &err)) {
        em_conn_log(cx, 0, "%s", err.msg);
        return EM_EINVAL;
    }
    return parse_topic(s);
}

int em__mqtt_sink_start(void *self)
{
    mqtt_sink *s = self;
    return em__mqtt_client(s->cx, s, &s->m, setup, 0);
}

/* The topic of one row. */
static int row_topic(mqtt_sink *s, const em_batch *b, uint32_t row)
{
    em_buf_reset(&s->tbuf);
    int rc = 0;
    for (uint32_t i = 0; i < s->nsegs && !rc; i++) {
        const seg *g = &s->segs[i];
        if (g->text) {
            rc = em_buf_append(&s->tbuf, g->text, g->len);
            continue;
        }
        const em_column *c = &b->cols[g->col];
        if (em_column_is_null(c, row))
            rc = em_buf_puts(&s->tbuf, "null");
        else if (c->type == EM_TYPE_TEXT) {
            em_slice t = em_column_text(c, row);
            rc = em_buf_append(&s->tbuf, t.ptr, t.len);
        } else if (c->type == EM_TYPE_BIGINT)
            rc = em_buf_printf(&s->tbuf, "%lld", (long long)c->v.i64[row]);
        else if (c->type == EM_TYPE_BOOLEAN)
            rc = em_buf_puts(&s->tbuf, c->v.b[row] ? "true" : "false");
        else
            rc = em_buf_puts(&s->tbuf, "_");
    }
    return rc ? rc : em_buf_putc(&s->tbuf, '\0');
}

int em__mqtt_sink_write(void *self, const em_batch *b, int64_t batch_id)
{
    (void)batch_id;
    mqtt_sink *s = self;
    em_buf_reset(&s->lines);
    int rc = em_writer_write(s->writer, b, &s->lines);
    if (rc)
        return rc;
    const char *p = s->lines.ptr, *end = p + s->lines.len;
    uint32_t n = em_batch_count(b);
    for (uint32_t i = 0; i < n && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if ((rc = row_topic(s, b, em_batch_row(b, i))))
            return rc;
        if (s->qos) {
            pthread_mutex_lock(&s->mu);
            int64_t deadline = em_wall_us() + s->ack_timeout_us;
            while (s->pending >= MAX_INFLIGHT && em_wall_us() < deadline) {
                pthread_mutex_unlock(&s->mu);
                em_sleep_us(1000);
                pthread_mutex_lock(&s->mu);
            }
            int full = s->pending >= MAX_INFLIGHT;
            pthread_mutex_unlock(&s->mu);
            if (full)
                return EM_ECONN;
        }
        int mid = 0;
        /* QoS 1: hold the lock across publish so on_publish (on the network
         * thread, after the PUBACK) cannot run for this mid before it is
         * marked in flight. QoS 0 may call on_publish from publish itself. */
        if (s->qos)
            pthread_mutex_lock(&s->mu);
        int r = mosquitto_publish(s->m, &mid, s->tbuf.ptr, (int)len, p, s->qos, s->retain);
        if ((r == MOSQ_ERR_SUCCESS || r == MOSQ_ERR_NO_CONN) && s->qos) { /* queued */
            uint16_t id = (uint16_t)mid;
            if (!(s->inflight[id >> 3] & (1u << (id & 7)))) {
                s->inflight[id >> 3] |= (uint8_t)(1u << (id & 7));
                s->pending++;
            }
        }
        if (s->qos)
            pthread_mutex_unlock(&s->mu);
        if (r == MOSQ_ERR_PAYLOAD_SIZE || r == MOSQ_ERR_INVAL || r == MOSQ_ERR_MALFORMED_UTF8) {
            em_conn_log(s->cx, 0, "cannot publish to '%s': %s", s->tbuf.ptr, mosquitto_strerror(r));
            return EM_EINVAL;
        }
        if (r != MOSQ_ERR_SUCCESS && r != MOSQ_ERR_NO_CONN) {
            em_conn_log(s->cx, 1, "publish failed: %s", mosquitto_strerror(r));
            return EM_ECONN;
        }
        p += len + (nl != NULL);
    }
    return 0;
}

int em__mqtt_sink_commit(void *self, int64_t batch_id)
{
    mqtt_sink *s = self;
    if (!s->qos)
        return 0;
    int64_t deadline = em_wall_us() + s->ack_timeout_us;
    pthread_mutex_lock(&s->mu);
    while (s->pending > 0 && em_wall_us() < deadline && !em_conn_stopping(s->cx)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->acked, &s->mu, &ts);
    }
    uint32_t left = s->pending;
    if (left) {
        /* the batch is published again: forget this attempt's messages */
        memset(s->inflight, 0, sizeof s->inflight);
        s->pending = 0;
    }
    pthread_mutex_unlock(&s->mu);
    if (left) {
        if (!s->outage_since) {
            s->outage_since = em_wall_us();
            em_conn_log(s->cx, 0, "batch %lld: %u messages not acknowledged by the broker; "
                        "the batch is kept and published again", (long long)batch_id, left);
        }
        return EM_ECONN;
    }
    if (s->outage_since) {
        em_conn_log(s->cx, 2, "broker acknowledging again after %.1f s",
                    (em_wall_us() - s->outage_since) / 1e6);
        s->outage_since = 0;
    }
    return 0;
}

int em__mqtt_sink_stop(void *self)
{
    mqtt_sink *s = self;
    s->stopping = 1;
    if (s->m) {
        mosquitto_disconnect(s->m);
        mosquitto_loop_stop(s->m, false);
        mosquitto_destroy(s->m);
        s->m = NULL;
    }
    return 0;
}

void em__mqtt_sink_destroy(void *self)
{
    mqtt_sink *s = self;
    em__mqtt_sink_stop(s);
    em_writer_destroy(s->writer);
    em_free(s->topic);
    em_buf_release(&s->lines);
    em_buf_release(&s->tbuf);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->acked);
    em_free(s);
}
