/*
 * connectors/mqtt/mqtt_source.c - the `mqtt` source.
 *
 * Subscribes to the topic filters (again after every reconnect) and
 * buffers each message, with its topic, in a queue that the network thread
 * fills and poll drains: the network thread appends to `in` under the lock;
 * poll swaps `in` with its own empty buffer and parses outside the lock, so
 * the two never wait on each other for long. When `in` holds max_queue
 * messages the network thread waits, which stops reading from the broker
 * (back pressure reaches the publishers through the broker).
 *
 * Topic levels can become columns: topic_columns = 'device_id=2' sets
 * column device_id from level 2 of the message's topic (sensors/dev-7/
 * readings -> "dev-7") by adding the field to the JSON object before the
 * engine parses it (a field of the same name in the payload is overridden).
 *
 * Delivery: a message is acknowledged to the broker (QoS 1 PUBACK) when it
 * is in this buffer, so messages buffered but not yet in a committed batch
 * are lost if Ember crashes (at-most-once across a crash; at-least-once
 * with QoS 1 across broker and network failures). Writing the message to
 * the receiver WAL before the acknowledgement comes with the durability work.
 */
#include "connectors/mqtt/mqtt_int.h"

#include "batch/batch.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TOPIC_COLS 16

typedef struct topic_col {
    char *name;  /* JSON field name (the column's) */
    int level;   /* 1-based topic level */
} topic_col;

typedef struct mqtt_src {
    int kind; /* 1: first, see mqtt.c */
    em_conn_ctx *cx;
    struct mosquitto *m;
    char **filters;
    uint32_t nfilters;
    int qos;
    topic_col tcols[MAX_TOPIC_COLS];
    uint32_t ntcols;
    pthread_mutex_t mu;
    pthread_cond_t room;
    em_buf in;             /* queued messages: u32 topic len, u32 payload len, bytes */
    uint64_t in_count, max_queue;
    em_buf work;           /* what poll is parsing */
    size_t work_off;
    em_buf rec;            /* one record with its topic fields */
    int stopping, connected;
    uint64_t received, dropped;
} mqtt_src;

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
    mqtt_src *s = arg;
    char where[300];
    if (rc != 0) {
        em_conn_log(s->cx, 1, "broker %s refused the connection: %s",
                    em__mqtt_where(s->cx, where, sizeof where), mosquitto_connack_string(rc));
        return;
    }
    s->connected = 1;
    em_conn_log(s->cx, 2, "connected to %s", em__mqtt_where(s->cx, where, sizeof where));
    for (uint32_t i = 0; i < s->nfilters; i++) {
        int r = mosquitto_subscribe(m, NULL, s->filters[i], s->qos);
        if (r != MOSQ_ERR_SUCCESS)
            em_conn_log(s->cx, 0, "subscribing to '%s' failed: %s", s->filters[i],
                        mosquitto_strerror(r));
    }
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted)
{
    (void)m;
    (void)mid;
    mqtt_src *s = arg;
    for (int i = 0; i < n; i++)
        if (granted[i] > 2)
            em_conn_log(s->cx, 0, "the broker refused a subscription");
    em_conn_log(s->cx, 2, "subscribed to %u topic filter(s)", s->nfilters);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
    (void)m;
    mqtt_src *s = arg;
    char where[300];
    if (rc != 0 && !s->stopping)
        em_conn_log(s->cx, 1, "lost the connection to %s; reconnecting with backoff",
                    em__mqtt_where(s->cx, where, sizeof where));
    s->connected = 0;
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    (void)m;
    mqtt_src *s = arg;
    uint32_t tl = (uint32_t)strlen(msg->topic), pl = (uint32_t)msg->payloadlen;
    pthread_mutex_lock(&s->mu);
    while (s->in_count >= s->max_queue && !s->stopping)
        pthread_cond_wait(&s->room, &s->mu);
    if (em_buf_reserve(&s->in, 8 + tl + pl) == 0) {
        em_buf_append(&s->in, &tl, 4);
        em_buf_append(&s->in, &pl, 4);
        em_buf_append(&s->in, msg->topic, tl);
        em_buf_append(&s->in, msg->payload, pl);
        s->in_count++;
        s->received++;
    } else {
        s->dropped++;
        em_conn_log(s->cx, 0, "out of memory: message on '%s' dropped", msg->topic);
    }
    pthread_mutex_unlock(&s->mu);
}

static void setup(struct mosquitto *m)
{
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_disconnect_callback_set(m, on_disconnect);
    mosquitto_subscribe_callback_set(m, on_subscribe);
    mosquitto_message_callback_set(m, on_message);
}

static int parse_topic_cols(mqtt_src *s, const char *spec)
{
    const em_schema *sch = em_conn_schema(s->cx);
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, "=,");
        int col = em_schema_find(sch, p, n);
        if (p[n] != '=' || col < 0 || s->ntcols == MAX_TOPIC_COLS) {
            em_conn_log(s->cx, 0, "option 'topic_columns': expected column=level with a column "
                        "of the source, got '%.*s'", (int)n, p);
            return EM_EINVAL;
        }
        char *end;
        long level = strtol(p + n + 1, &end, 10);
        if (level < 1 || level > 64) {
            em_conn_log(s->cx, 0, "option 'topic_columns': level of '%.*s' must be 1..64",
                        (int)n, p);
            return EM_EINVAL;
        }
        s->tcols[s->ntcols].name = em_strdup(sch->fields[col].name);
        if (!s->tcols[s->ntcols].name)
            return EM_ENOMEM;
        s->tcols[s->ntcols++].level = (int)level;
        p = end;
    }
    return 0;
}

int em__mqtt_source_init(void **self, em_conn_ctx *cx)
{
    const em_options *o = em_conn_options(cx);
    mqtt_src *s = em_calloc(1, sizeof *s);
    if (!s)
        return EM_ENOMEM;
    s->kind = 1;
    s->cx = cx;
    s->qos = (int)em_opt_int(o, "qos");
    s->max_queue = (uint64_t)em_opt_int(o, "max_queue");
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->room, NULL);
    em_buf_init(&s->in, (size_t)1 << 34);
    em_buf_init(&s->work, (size_t)1 << 34);
    em_buf_init(&s->rec, (size_t)1 << 30);
    *self = s;
    int rc = 0;
    const char *t = em_opt_str(o, "topic");
    for (const char *p = t; *p && !rc;) {
        size_t n = strcspn(p, ",");
        while (n && (*p == ' ')) {
            p++;
            n--;
        }
        size_t len = n;
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            char **v = em_realloc(s->filters, (s->nfilters + 1) * sizeof *v);
            if (!v)
                return EM_ENOMEM;
            s->filters = v;
            if (!(v[s->nfilters] = em_malloc(len + 1)))
                return EM_ENOMEM;
            memcpy(v[s->nfilters], p, len);
            v[s->nfilters++][len] = '\0';
            if (mosquitto_sub_topic_check(v[s->nfilters - 1]) != MOSQ_ERR_SUCCESS) {
                em_conn_log(cx, 0, "option 'topic': '%s' is not a valid topic filter",
                            v[s->nfilters - 1]);
                return EM_EINVAL;
            }
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!s->nfilters) {
        em_conn_log(cx, 0, "option 'topic': no topic filter given");
        return EM_EINVAL;
    }
    if (em_opt_str(o, "topic_columns")) {
        if (strcmp(em_opt_str(o, "format"), "json") != 0) {
            em_conn_log(cx, 0, "option 'topic_columns' needs format = 'json'");
            return EM_EINVAL;
        }
        rc = parse_topic_cols(s, em_opt_str(o, "topic_columns"));
    }
    return rc;
}

int em__mqtt_source_start(void *self)
{
    mqtt_src *s = self;
    return em__mqtt_client(s->cx, s, &s->m, setup);
}

/* Appends "name":"level", for each topic column to s->rec. */
static int topic_fields(mqtt_src *s, const char *topic, size_t tl)
{
    int rc = 0;
    for (uint32_t i = 0; i < s->ntcols && !rc; i++) {
        const char *p = topic, *end = topic + tl;
        for (int lv = 1; lv < s->tcols[i].level && p < end; lv++) {
            const char *sl = memchr(p, '/', (size_t)(end - p));
            p = sl ? sl + 1 : end;
        }
        const char *sl = memchr(p, '/', (size_t)(end - p));
        size_t n = sl ? (size_t)(sl - p) : (size_t)(end - p);
        rc = em_buf_printf(&s->rec, "\"%s\":\"", s->tcols[i].name);
        for (size_t k = 0; k < n && !rc; k++) {
            unsigned char c = (unsigned char)p[k];
            rc = c == '"' || c == '\\' ? em_buf_printf(&s->rec, "\\%c", c)
                 : c < 0x20            ? em_buf_printf(&s->rec, "\\u%04x", c)
                                       : em_buf_putc(&s->rec, (char)c);
        }
        rc = rc ? rc : em_buf_puts(&s->rec, "\",");
    }
    return rc;
}

/* Delivers one record (a line of a payload), adding topic columns. */
static int deliver(mqtt_src *s, em_source_out *out, const char *topic, size_t tl, const char *p,
                   size_t n)
{
    if (!s->ntcols)
        return em_source_out_record(out, p, n, topic);
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i == n || p[i] != '{')
        return em_source_out_record(out, p, n, topic); /* reported as bad */
    em_buf_reset(&s->rec);
    int rc = em_buf_putc(&s->rec, '{');
    rc = rc ? rc : topic_fields(s, topic, tl);
    /* the payload's fields follow, so "a":1 after ours; an empty object
     * leaves a trailing comma, which the closing brace replaces */
    size_t rest = n - i - 1, j = 0;
    while (j < rest && (p[i + 1 + j] == ' ' || p[i + 1 + j] == '\t'))
        j++;
    if (!rc && j < rest && p[i + 1 + j] == '}')
        s->rec.len--;
    rc = rc ? rc : em_buf_append(&s->rec, p + i + 1, rest);
    if (rc)
        return rc;
    return em_source_out_record(out, s->rec.ptr, s->rec.len, topic);
}

int em__mqtt_source_poll(void *self, em_source_out *out)
{
    mqtt_src *s = self;
    if (s->work_off >= s->work.len) {
        em_buf_reset(&s->work);
        s->work_off = 0;
        pthread_mutex_lock(&s->mu);
        em_buf t = s->in;
        s->in = s->work;
        s->work = t;
        s->in_count = 0;
        pthread_cond_broadcast(&s->room);
        pthread_mutex_unlock(&s->mu);
    }
    char topic[1024];
    while (s->work_off < s->work.len && em_source_out_room(out) > 0) {
        uint32_t tl, pl;
        const char *q = s->work.ptr + s->work_off;
        memcpy(&tl, q, 4);
        memcpy(&pl, q + 4, 4);
        size_t tcopy = tl < sizeof topic - 1 ? tl : sizeof topic - 1;
        memcpy(topic, q + 8, tcopy);
        topic[tcopy] = '\0';
        const char *p = q + 8 + tl, *end = p + pl;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            int rc = deliver(s, out, topic, tl, p, n);
            if (rc)
                return rc;
            p += n + (nl != NULL);
        }
        s->work_off += 8 + (size_t)tl + pl;
    }
    return 0;
}

int em__mqtt_source_stop(void *self)
{
    mqtt_src *s = self;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->room);
    pthread_mutex_unlock(&s->mu);
    if (s->m) {
        mosquitto_disconnect(s->m);
        mosquitto_loop_stop(s->m, false);
        mosquitto_destroy(s->m);
        s->m = NULL;
    }
    return 0;
}

void em__mqtt_source_destroy(void *self)
{
    mqtt_src *s = self;
    em__mqtt_source_stop(s);
    for (uint32_t i = 0; i < s->nfilters; i++)
        em_free(s->filters[i]);
    em_free(s->filters);
    for (uint32_t i = 0; i < s->ntcols; i++)
        em_free(s->tcols[i].name);
    em_buf_release(&s->in);
    em_buf_release(&s->work);
    em_buf_release(&s->rec);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->room);
    em_free(s);
}
