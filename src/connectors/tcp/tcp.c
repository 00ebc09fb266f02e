/*
 * connectors/tcp/tcp.c - the `tcp` source: line-delimited records read from
 * a TCP socket (Spark's socketTextStream).
 *
 * Connects to host:port and hands every complete line to the engine in the
 * source's format. The socket is non-blocking, so reading never waits; a
 * connection attempt waits at most 1 s (refused at once on a host that is
 * up). When the peer closes the connection the source either reconnects
 * with exponential backoff (reconnect = true, the default: a feed that
 * restarts) or ends its input (reconnect = false: a bounded stream).
 * Delivery is at-most-once across a crash: TCP has no acknowledgement or
 * replay, so lines in flight when Ember stops are lost (docs/connectors.md).
 */
#include "connectors/registry.h"
#include "core/clock.h"
#include "core/mem.h"
#include "ember/error.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const em_option_def tcp_options[] = {
    {"host", EM_OPT_STRING, "127.0.0.1", 0, 0, NULL, 0, "host to connect to"},
    {"port", EM_OPT_INT, NULL, 1, 65535, NULL, EM_OPT_REQUIRED, "TCP port"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json|csv|influx|line_protocol", 0,
     "record format, one per line"},
    {"timestamp_unit", EM_OPT_ENUM, "ms", 0, 0, "s|ms|us|ns", 0,
     "unit of numeric TIMESTAMP values"},
    {"reconnect", EM_OPT_BOOL, "true", 0, 0, NULL, 0,
     "reconnect when the peer closes (false: end of input)"},
    {"max_line", EM_OPT_INT, "1048576", 64, 1073741824, NULL, 0, "longest accepted line, bytes"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

#define READ_CHUNK (64 * 1024)

typedef struct tcp_src {
    em_conn_ctx *cx;
    const char *host;
    int port;
    int reconnect;
    int fd;
    int64_t next_try_us, backoff_us;
    uint64_t lines;
    char *buf;
    size_t len, cap, max_line;
    int skipping;  /* inside an over-long line */
    int connected_once;
    int eof;
} tcp_src;

static int tcp_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    const em_options *o = em_conn_options(cx);
    tcp_src *t = em_calloc(1, sizeof *t);
    if (!t)
        return EM_ENOMEM;
    t->cx = cx;
    t->fd = -1;
    t->host = em_opt_str(o, "host");
    t->port = (int)em_opt_int(o, "port");
    t->reconnect = em_opt_bool(o, "reconnect");
    t->max_line = (size_t)em_opt_int(o, "max_line");
    t->cap = t->max_line + READ_CHUNK;
    t->buf = em_malloc(t->cap);
    if (!t->buf) {
        em_free(t);
        return EM_ENOMEM;
    }
    t->backoff_us = 100000;
    *self = t;
    return 0;
}

static void disconnect(tcp_src *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    t->len = 0;
    t->skipping = 0;
}

/* One connection attempt (blocking connect to a resolved address; on
 * loopback or a LAN it returns at once). */
static int try_connect(tcp_src *t)
{
    char port[16];
    snprintf(port, sizeof port, "%d", t->port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(t->host, port, &hints, &res);
    if (g != 0) {
        em_conn_log(t->cx, 1, "cannot resolve %s: %s", t->host, gai_strerror(g));
        return EM_ECONN;
    }
    int rc = EM_ECONN, err = 0;
    for (struct addrinfo *a = res; a && rc; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int c = connect(fd, a->ai_addr, a->ai_addrlen);
        if (c != 0 && errno == EINPROGRESS) {
            fd_set w;
            FD_ZERO(&w);
            FD_SET(fd, &w);
            struct timeval tv = {1, 0};
            socklen_t len = sizeof err;
            c = select(fd + 1, NULL, &w, NULL, &tv) == 1 &&
                        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0
                    ? 0
                    : -1;
        } else if (c != 0) {
            err = errno;
        }
        if (c == 0) {
            t->fd = fd;
            rc = 0;
        } else {
            close(fd);
        }
    }
    freeaddrinfo(res);
    if (rc && !t->connected_once)
        em_conn_log(t->cx, 1, "cannot connect to %s:%d: %s; retrying", t->host, t->port,
                    strerror(err ? err : ECONNREFUSED));
    return rc;
}

static int tcp_start(void *self)
{
    tcp_src *t = self;
    if (try_connect(t) == 0) {
        t->connected_once = 1;
        em_conn_log(t->cx, 2, "connected to %s:%d", t->host, t->port);
    }
    return 0; /* not reachable yet: poll keeps trying */
}

/* Hands complete lines of buf to the engine; keeps the partial tail. */
static int deliver(tcp_src *t, em_source_out *out, int final)
{
    size_t off = 0;
    char where[96];
    while (off < t->len && em_source_out_room(out) > 0) {
        char *nl = memchr(t->buf + off, '\n', t->len - off);
        if (!nl && !final)
            break;
        size_t n = nl ? (size_t)(nl - (t->buf + off)) : t->len - off;
        t->lines++;
        if (t->skipping) {
            t->skipping = 0;
        } else {
            snprintf(where, sizeof where, "%s:%d line %llu", t->host, t->port,
                     (unsigned long long)t->lines);
            int rc = em_source_out_record(out, t->buf + off, n, where);
            if (rc)
                return rc;
        }
        off += n + (nl != NULL);
    }
    memmove(t->buf, t->buf + off, t->len - off);
    t->len -= off;
    if (t->len >= t->max_line && !memchr(t->buf, '\n', t->len)) {
        em_conn_log(t->cx, 1, "line %llu longer than max_line (%zu bytes): skipped",
                    (unsigned long long)t->lines + 1, t->max_line);
        t->len = 0;
        t->skipping = 1;
    }
    return 0;
}

static int tcp_poll(void *self, em_source_out *out)
{
    tcp_src *t = self;
    if (t->eof)
        return EM_EOF;
    if (t->fd < 0) {
        int64_t now = em_wall_us();
        if (now < t->next_try_us)
            return 0;
        if (try_connect(t)) {
            t->next_try_us = now + t->backoff_us;
            t->backoff_us = t->backoff_us * 2 > 10000000 ? 10000000 : t->backoff_us * 2;
            return 0;
        }
        em_conn_log(t->cx, 2, "connected to %s:%d", t->host, t->port);
        t->connected_once = 1;
        t->backoff_us = 100000;
    }
    int rc = deliver(t, out, 0);
    if (rc)
        return rc;
    if (em_source_out_room(out) == 0)
        return 0;
    ssize_t n = read(t->fd, t->buf + t->len, t->cap - t->len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n <= 0) {
        if (n < 0)
            em_conn_log(t->cx, 1, "read from %s:%d failed: %s", t->host, t->port,
                        strerror(errno));
        if ((rc = deliver(t, out, 1)))
            return rc;
        disconnect(t);
        if (!t->reconnect) {
            em_conn_log(t->cx, 2, "%s:%d closed the connection: end of input", t->host,
                        t->port);
            t->eof = 1;
            return EM_EOF;
        }
        em_conn_log(t->cx, 1, "%s:%d closed the connection; reconnecting", t->host, t->port);
        t->next_try_us = em_wall_us() + t->backoff_us;
        return 0;
    }
    t->len += (size_t)n;
    return deliver(t, out, 0);
}

static int tcp_stop(void *self)
{
    disconnect(self);
    return 0;
}

static void tcp_destroy(void *self)
{
    tcp_src *t = self;
    if (!t)
        return;
    disconnect(t);
    em_free(t->buf);
    em_free(t);
}

const em_connector em_connector_tcp = {
    .abi = EM_CONNECTOR_ABI,
    .name = "tcp",
    .kinds = EM_CONNECTOR_SOURCE,
    .options = tcp_options,
    .help = "read line-delimited records from a TCP socket (socketTextStream)",
    .init = tcp_init,
    .start = tcp_start,
    .poll = tcp_poll,
    .stop = tcp_stop,
    .destroy = tcp_destroy,
};
