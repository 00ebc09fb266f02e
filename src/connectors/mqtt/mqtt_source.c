/*
 * connectors/mqtt/mqtt_source.c - the `mqtt` source: a message counts as
 * received only once it is in the source's push log (the WAL of
 * engine/push.c, in the checkpoint directory's sources/<name>).
 *
 * When libmosquitto 2.0.11 acknowledges: on a QoS 1 PUBLISH it queues the
 * PUBACK and then calls on_message. Without threading (no
 * mosquitto_threaded_set, no mosquitto_loop_start) queuing writes the
 * PUBACK to the socket at once, before on_message even runs. With
 * mosquitto_loop_start or mosquitto_threaded_set(true) queuing only adds
 * it to the out queue (and writes a wake-up byte to an internal socket
 * pair); the network thread writes the queue in mosquitto_loop_write,
 * after mosquitto_loop_read and its callbacks have returned. Measured
 * with a broker run with -v and an on_message that sleeps 2 s: the broker
 * logs the PUBACK 2 s after the PUBLISH in both threaded modes, at once
 * without threading (docs/connectors.md has the experiment).
 *
 * So this source runs its own network thread (threaded_set, no
 * loop_start): each round it reads the messages the socket holds
 * (mosquitto_loop_read, one packet a call, until the socket is drained or
 * 1 MiB - at most a quarter of the quota - is gathered), and on_message
 * only copies each payload's lines, with the topic columns filled in, into
 * `pend`; then the whole round goes
 * to the push log in one append, and only after that does the thread call
 * mosquitto_loop_write, which sends the round's PUBACKs. Nothing is
 * acknowledged that the log does not hold. If the append fails (disk
 * error, stopping), the socket is shut down without writing, so the
 * PUBACKs never leave and the broker delivers those messages again.
 *
 * "In the log" means, by default (ack_after = 'write'), written to the log
 * file: a crash or kill -9 of Ember loses nothing, as the OS has the
 * bytes; the WAL's flusher fdatasyncs them right after (group commit), and
 * a power loss can lose what the last unfinished sync covered, acknowledged
 * messages included. ack_after = 'sync' waits for the fdatasync before the
 * PUBACKs (nothing acknowledged is lost even on power loss), at the cost of
 * one sync per round. poll reads only synced records either way, so a
 * position in the offsets log is always on disk.
 *
 * Back pressure: while the log holds more than `quota` bytes not yet
 * released by a committed batch, the thread stops reading from the socket;
 * the broker then holds the messages (TCP flow control, its queue for a
 * persistent session). Reconnection: after a lost connection the thread
 * reconnects with exponential backoff (1 s doubling to 30 s), and
 * subscribes again on every connect.
 *
 * Topic levels can become columns: topic_columns = 'device_id=2' sets
 * column device_id from level 2 of the message's topic (sensors/dev-7/
 * readings -> "dev-7") by adding the field to each JSON object before it is
 * logged (a field of the same name in the payload is overridden).
 *
 * A message delivered again after a crash (its PUBACK had not left) is
 * logged twice: delivery into the log is at-least-once; a sink with a key
 * makes the output exactly-once.
 */
#include "connectors/mqtt/mqtt_int.h"

#include "batch/batch.h"
#include "core/mem.h"
#include "core/str.h"
#include "ember/error.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TOPIC_COLS 16
#define ROUND_BYTES ((size_t)1 << 20) /* a round appends at most about this, */
                                      /* and at most a quarter of the quota */
#define ROUND_PACKETS 20000

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
    bool ack_sync;   /* ack_after = 'sync' */
    uint64_t quota;
    size_t round_bytes; /* min(ROUND_BYTES, quota / 4) */
    topic_col tcols[MAX_TOPIC_COLS];
    uint32_t ntcols;
    em_push *push;   /* from start to destroy */
    pthread_t net;
    bool net_started;
    atomic_int stopping;
    /* network thread only */
    em_buf pend;     /* this round's lines, not yet in the log */
    uint64_t delivered;
    bool oom;        /* a message did not fit in pend: do not acknowledge */
    bool paused;     /* over the quota (logged once per pause) */
    unsigned backoff;
    int64_t next_try_ms;
} mqtt_src;

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
    mqtt_src *s = arg;
    char where[300];
    if (rc != 0) {
        em_conn_log(s->cx, 1, "broker %s refused the connection: %s",
                    em__mqtt_where(s->cx, where, sizeof where), mosquitto_connack_string(rc));
        return;
    }
    s->backoff = 1;
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
    em_conn_log(s->cx, 2, "subscribed to %u topic filter(s), messages go to the push log",
                s->nfilters);
}

static void on_disconnect(struct mosquitto *m, void *arg, int rc)
{
    (void)m;
    mqtt_src *s = arg;
    char where[300];
    if (rc != 0 && !atomic_load(&s->stopping))
        em_conn_log(s->cx, 1, "lost the connection to %s; reconnecting with backoff",
                    em__mqtt_where(s->cx, where, sizeof where));
}

/* Appends "name":"level", for each topic column to s->pend. */
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
        rc = em_buf_printf(&s->pend, "\"%s\":\"", s->tcols[i].name);
        for (size_t k = 0; k < n && !rc; k++) {
            unsigned char c = (unsigned char)p[k];
            rc = c == '"' || c == '\\' ? em_buf_printf(&s->pend, "\\%c", c)
                 : c < 0x20            ? em_buf_printf(&s->pend, "\\u%04x", c)
                                       : em_buf_putc(&s->pend, (char)c);
        }
        rc = rc ? rc : em_buf_puts(&s->pend, "\",");
    }
    return rc;
}

/* Adds one line of a payload to pend, with the topic columns. */
static int add_line(mqtt_src *s, const char *topic, size_t tl, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i == n)
        return 0;
    if (!s->ntcols || p[i] != '{') { /* not an object: the reader reports it */
        int rc = em_buf_append(&s->pend, p, n);
        return rc ? rc : em_buf_putc(&s->pend, '\n');
    }
    int rc = em_buf_putc(&s->pend, '{');
    rc = rc ? rc : topic_fields(s, topic, tl);
    /* the payload's fields follow ours; an empty object leaves a trailing
     * comma, which its closing brace replaces */
    size_t rest = n - i - 1, j = 0;
    while (j < rest && (p[i + 1 + j] == ' ' || p[i + 1 + j] == '\t'))
        j++;
    if (!rc && j < rest && p[i + 1 + j] == '}')
        s->pend.len--;
    rc = rc ? rc : em_buf_append(&s->pend, p + i + 1, rest);
    return rc ? rc : em_buf_putc(&s->pend, '\n');
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    (void)m;
    mqtt_src *s = arg;
    s->delivered++;
    if (s->oom)
        return;
    const char *topic = msg->topic, *p = msg->payload;
    size_t tl = strlen(topic), mark = s->pend.len;
    const char *end = p + msg->payloadlen;
    int rc = em_buf_reserve(&s->pend, (size_t)msg->payloadlen + 1);
    if (!rc && !s->ntcols) {
        /* the common case: the payload as it is, ended by a newline */
        memcpy(s->pend.ptr + s->pend.len, p, (size_t)msg->payloadlen);
        s->pend.len += (size_t)msg->payloadlen;
        if (msg->payloadlen && end[-1] != '\n')
            s->pend.ptr[s->pend.len++] = '\n';
        return;
    }
    while (!rc && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        rc = add_line(s, topic, tl, p, n);
        p += n + (nl != NULL);
    }
    if (rc) {
        s->pend.len = mark;
        s->oom = true;
        em_conn_log(s->cx, 0, "out of memory holding a message from '%s': it is not "
                    "acknowledged and comes again after a reconnect", topic);
    }
}

static void setup(struct mosquitto *m)
{
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_disconnect_callback_set(m, on_disconnect);
    mosquitto_subscribe_callback_set(m, on_subscribe);
    mosquitto_message_callback_set(m, on_message);
}

/* Ends the connection without writing anything queued (the round's
 * PUBACKs): the broker delivers those messages again. */
static void drop_connection(mqtt_src *s)
{
    int fd = mosquitto_socket(s->m);
    if (fd >= 0)
        shutdown(fd, SHUT_RDWR);
    s->pend.len = 0;
    s->oom = false;
}

/* Moves pend into the push log; 0 once it is there, or a code after which
 * nothing of the round may be acknowledged. Over the quota it waits. */
static int flush_round(mqtt_src *s)
{
    const char *chunk = s->pend.ptr;
    size_t len = s->pend.len;
    int rc;
    bool said = false;
    for (;;) {
        rc = s->ack_sync ? em_push_append(s->push, &chunk, &len, 1)
                         : em_push_write(s->push, &chunk, &len, 1);
        if (rc != EM_EAGAIN || atomic_load(&s->stopping))
            break;
        if (!said)
            em_conn_log(s->cx, 1, "push log over its quota (%llu bytes): holding %zu bytes "
                        "unacknowledged until batches commit",
                        (unsigned long long)s->quota, len);
        said = true;
        usleep(20000);
    }
    if (rc == 0)
        s->pend.len = 0;
    else if (!atomic_load(&s->stopping))
        em_conn_log(s->cx, 0, "cannot write messages to the push log: %s; they are not "
                    "acknowledged", em_strerror(rc));
    return rc;
}

/* Reads what the socket holds, one packet a call (libmosquitto reads one
 * per mosquitto_loop_read whatever max_packets says). The call leaves
 * errno EAGAIN when the socket had nothing more, but also when its
 * wake-up write to the (never drained) socket pair fails, which happens
 * only while a message is delivered: so "EAGAIN and no message" ends the
 * round. */
static void read_round(mqtt_src *s)
{
    for (int i = 0; i < ROUND_PACKETS && s->pend.len < s->round_bytes && !s->oom; i++) {
        uint64_t before = s->delivered;
        errno = 0;
        int rc = mosquitto_loop_read(s->m, 1);
        if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(s->m) < 0)
            break;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && s->delivered == before)
            break;
    }
}

static bool over_quota(mqtt_src *s)
{
    uint64_t backlog = em_push_backlog(s->push);
    /* stop with room for two rounds left; go on below half the quota, so
     * that reading does not flap with every committed batch */
    bool over = s->paused ? backlog > s->quota / 2 : backlog + 2 * s->round_bytes > s->quota;
    if (over && !s->paused)
        em_conn_log(s->cx, 1, "push log holds %llu bytes (quota %llu): not reading from the "
                    "broker until batches commit", (unsigned long long)backlog,
                    (unsigned long long)s->quota);
    else if (!over && s->paused)
        em_conn_log(s->cx, 2, "push log below its quota again: reading from the broker");
    s->paused = over;
    return over;
}

/* One connection attempt when its turn has come (1 s doubling to 30 s
 * between attempts; a CONNACK resets it). */
static void reconnect(mqtt_src *s)
{
    int64_t t = now_ms();
    if (t < s->next_try_ms) {
        usleep(50000);
        return;
    }
    mosquitto_reconnect_async(s->m); /* a failure leaves no socket: tried again */
    s->next_try_ms = t + 1000 * (int64_t)s->backoff;
    s->backoff = s->backoff >= 16 ? 30 : s->backoff * 2;
}

static void *net_main(void *arg)
{
    mqtt_src *s = arg;
    while (!atomic_load(&s->stopping)) {
        int fd = mosquitto_socket(s->m);
        if (fd < 0) {
            reconnect(s);
            continue;
        }
        bool full = over_quota(s);
        struct pollfd p = {fd, (short)((full ? 0 : POLLIN) |
                                       (mosquitto_want_write(s->m) ? POLLOUT : 0)), 0};
        int n = poll(&p, 1, full ? 20 : 100);
        if (n < 0 && errno != EINTR) {
            em_conn_log(s->cx, 0, "poll on the broker connection failed: %s", strerror(errno));
            drop_connection(s);
            continue;
        }
        if (!full && (p.revents & (POLLIN | POLLHUP | POLLERR)))
            read_round(s);
        if (s->oom || (s->pend.len && flush_round(s))) {
            drop_connection(s);
            continue;
        }
        if (mosquitto_socket(s->m) >= 0 && mosquitto_want_write(s->m))
            mosquitto_loop_write(s->m, 1);
        if (mosquitto_socket(s->m) >= 0)
            mosquitto_loop_misc(s->m);
    }
    /* everything read is in the log (a failed round dropped the
     * connection): acknowledge it and say goodbye */
    if (mosquitto_socket(s->m) >= 0 && !s->pend.len) {
        mosquitto_disconnect(s->m);
        mosquitto_loop_write(s->m, 1);
    }
    return NULL;
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

/* Splits the comma-separated topic filters into s->filters. */
static int parse_filters(mqtt_src *s, const char *t)
{
    for (const char *p = t; *p;) {
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
                em_conn_log(s->cx, 0, "option 'topic': '%s' is not a valid topic filter",
                            v[s->nfilters - 1]);
                return EM_EINVAL;
            }
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!s->nfilters) {
        em_conn_log(s->cx, 0, "option 'topic': no topic filter given");
        return EM_EINVAL;
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
    s->quota = (uint64_t)em_opt_int(o, "quota");
    s->round_bytes = s->quota / 4 < ROUND_BYTES ? (size_t)(s->quota / 4) : ROUND_BYTES;
    s->ack_sync = strcmp(em_opt_str(o, "ack_after"), "sync") == 0;
    s->backoff = 1;
    atomic_init(&s->stopping, 0);
    em_buf_init(&s->pend, (size_t)1 << 31);
    *self = s;
    int rc = parse_filters(s, em_opt_str(o, "topic"));
    if (!rc && em_opt_str(o, "topic_columns")) {
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
    int rc = em_push_open(s->cx, s->quota, &s->push);
    rc = rc ? rc : em__mqtt_client(s->cx, s, &s->m, setup, 1);
    if (!rc && pthread_create(&s->net, NULL, net_main, s)) {
        em_conn_log(s->cx, 0, "cannot start the MQTT network thread");
        rc = EM_EIO;
    }
    s->net_started = rc == 0;
    return rc;
}

int em__mqtt_source_poll(void *self, em_source_out *out)
{
    mqtt_src *s = self;
    return s->push ? em_push_poll(s->push, out) : 0;
}

int em__mqtt_source_position(void *self, char *buf, size_t cap)
{
    mqtt_src *s = self;
    return s->push ? em_push_position(s->push, buf, cap) : 0;
}

int em__mqtt_source_seek(void *self, const char *pos, size_t n)
{
    mqtt_src *s = self;
    return s->push ? em_push_seek(s->push, pos, n) : EM_EINVAL;
}

int em__mqtt_source_commit(void *self, int64_t batch_id)
{
    mqtt_src *s = self;
    return s->push ? em_push_commit(s->push, batch_id) : 0;
}

int em__mqtt_source_stop(void *self)
{
    mqtt_src *s = self;
    atomic_store(&s->stopping, 1);
    if (s->net_started) {
        pthread_join(s->net, NULL);
        s->net_started = false;
    }
    if (s->m) {
        mosquitto_destroy(s->m);
        s->m = NULL;
    }
    em_push_close(s->push);
    s->push = NULL;
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
    em_buf_release(&s->pend);
    em_free(s);
}
