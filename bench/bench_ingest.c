/*
 * bench/bench_ingest.c - HTTP ingest end to end, over loopback, with the
 * WAL on.
 *
 *   ingest_http   a job with an `http` source (checkpoint_dir set, so the
 *                 push log is a durable WAL in it) and a pass-through query
 *                 to the null sink, served by the real HTTP server
 *                 (em_http_start); client threads on keep-alive connections
 *                 POST NDJSON bodies of sensor readings (~150 B each) and
 *                 wait for each 2xx, which comes only once the WAL holds
 *                 the body (fdatasync, group commit). A 503 (over quota) is
 *                 retried after a pause, as a device would. Timed: from the
 *                 first request until every reading has reached the sink.
 *   ingest_http_small  10 readings a request from 64 connections: the cost
 *                 of a request (parsing, WAL group commit) rather than of
 *                 bytes.
 *
 * The client runs in this process on the same two cores, so the figure is
 * what one machine does serving and sending; clients are plain sockets with
 * prebuilt requests so they cost little next to the server.
 */
#include "bench_int.h"

#include "core/mem.h"
#include "ember/error.h"

#ifdef EMBER_HAVE_HTTP
#include "ember/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>


typedef struct client {
    int port;
    uint64_t requests; /* to send */
    const char *req;   /* the whole request, headers and body */
    size_t req_len;
    uint64_t sent_ok, retried;
    int rc;
} client;

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads one response; returns its status code or -1. */
static int read_reply(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have + 1 >= cap)
            return -1;
        ssize_t k = recv(fd, buf + have, cap - 1 - have, 0);
        if (k <= 0)
            return -1;
        have += (size_t)k;
        buf[have] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    int status = atoi(buf + 9);
    const char *cl = strcasestr(buf, "content-length:");
    size_t body = cl && cl < end ? (size_t)strtoul(cl + 15, NULL, 10) : 0;
    size_t got = have - (size_t)(end + 4 - buf);
    while (got < body) {
        ssize_t k = recv(fd, buf, cap - 1, 0);
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return status;
}

static void *client_main(void *arg)
{
    client *c = arg;
    char buf[8192];
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)c->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
        c->rc = EM_ECONN;
        goto done;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (c->sent_ok < c->requests) {
        if (send_all(fd, c->req, c->req_len)) {
            c->rc = EM_ECONN;
            break;
        }
        int st = read_reply(fd, buf, sizeof buf);
        if (st >= 200 && st < 300) {
            c->sent_ok++;
        } else if (st == 503) {
            c->retried++;
            usleep(20000);
        } else {
            fprintf(stderr, "ingest_http: HTTP %d: %.200s\n", st, st < 0 ? "" : buf);
            c->rc = EM_EIO;
            break;
        }
    }
done:
    if (fd >= 0)
        close(fd);
    return NULL;
}

typedef struct runner {
    em_engine *e;
    int rc;
} runner;

static void *run_main(void *arg)
{
    runner *r = arg;
    r->rc = em_engine_run(r->e);
    return NULL;
}

/* One request: headers and NDJSON body of PER_REQ readings, device ids and
 * values varying with the client number. */
static char *make_request(uint32_t k, uint32_t per_req, size_t *len)
{
    size_t cap = per_req * 200 + 512;
    char *body = em_malloc(cap), *req = em_malloc(cap + 256);
    if (!body || !req) {
        em_free(body);
        em_free(req);
        return NULL;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < per_req; i++) {
        uint32_t d = (k * per_req + i) % 10000;
        n += (size_t)snprintf(body + n, cap - n,
                              "{\"device_id\":\"dev-%05u\",\"ts\":\"2024-05-01T00:%02u:%02u.000Z\","
                              "\"pm25\":%u.%u,\"pm10\":%u.%u,\"co2\":%u,\"temperature\":%u.%u,"
                              "\"humidity\":%u.%u}\n",
                              d, (i / 60) % 60, i % 60, 5 + i % 90, i % 10, 10 + i % 140, i % 7,
                              400 + i % 1600, 15 + i % 20, i % 10, 30 + i % 60, i % 10);
    }
    *len = (size_t)snprintf(req, cap + 256,
                            "POST /ingest/readings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Content-Type: application/x-ndjson\r\nContent-Length: %zu\r\n\r\n",
                            n);
    memcpy(req + *len, body, n);
    *len += n;
    em_free(body);
    return req;
}

#define MAX_CLIENTS 64

static int run_ingest(const em_bench_opts *o, em__bench_result *r, uint32_t per_req,
                      double readings, uint32_t NCLIENTS)
{
    uint64_t total = (uint64_t)(readings * o->scale);
    uint64_t per_client = total / per_req / NCLIENTS;
    if (per_client == 0)
        per_client = 1;
    total = per_client * NCLIENTS * per_req;
    char dir[] = "/tmp/ember-bench-ingest.XXXXXX";
    if (!mkdtemp(dir))
        return EM_EIO;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SET batch_interval = '50ms';\nSET http = '127.0.0.1:0';\nSET log_level = 'warn';\n"
             "SET checkpoint_dir = '%s';\nSET workers = 1;\n"
             "CREATE SOURCE readings (device_id TEXT, ts TIMESTAMP, pm25 DOUBLE, pm10 DOUBLE,\n"
             "    co2 BIGINT, temperature DOUBLE, humidity DOUBLE)\n"
             "    WITH (connector = 'http');\n"
             "CREATE SINK out WITH (connector = 'null') AS SELECT * FROM readings;\n",
             dir);
    em_engine *e = NULL;
    em_http *h = NULL;
    client cl[MAX_CLIENTS];
    pthread_t th[MAX_CLIENTS];
    memset(cl, 0, sizeof cl);
    runner run = {0};
    pthread_t rt;
    bool running = false;
    char err[512];
    int rc = em__bench_job_plan(&e, sql, NULL, 0, NULL);
    if (rc)
        goto done;
    if ((rc = em_http_start(e, "ingest", &h, err, sizeof err))) {
        fprintf(stderr, "ingest_http: %s\n", err);
        goto done;
    }
    for (uint32_t k = 0; k < NCLIENTS; k++) {
        cl[k].port = em_http_port(h);
        cl[k].requests = per_client;
        if (!(cl[k].req = make_request(k, per_req, &cl[k].req_len))) {
            rc = EM_ENOMEM;
            goto done;
        }
    }
    run.e = e;
    if (pthread_create(&rt, NULL, run_main, &run)) {
        rc = EM_ENOMEM;
        goto done;
    }
    running = true;
    usleep(200000); /* the job is up */
    uint64_t base = em__bench_null_rows();
    double t0 = em__bench_wall(), c0 = em__bench_cpu();
    uint32_t started = 0;
    for (; started < NCLIENTS; started++)
        if (pthread_create(&th[started], NULL, client_main, &cl[started]))
            break;
    uint64_t retried = 0;
    for (uint32_t k = 0; k < started; k++) {
        pthread_join(th[k], NULL);
        retried += cl[k].retried;
        if (cl[k].rc && !rc)
            rc = cl[k].rc;
    }
    double acked = em__bench_wall() - t0;
    /* every acknowledged reading through the engine to the sink */
    for (int i = 0; i < 60000 && !rc && em__bench_null_rows() - base < total; i++)
        usleep(1000);
    r->seconds = em__bench_wall() - t0;
    r->cpu_seconds = em__bench_cpu() - c0;
    r->records = em__bench_null_rows() - base;
    r->bytes = (uint64_t)cl[0].req_len / per_req * r->records;
    em__bench_extra(r, "connections", NCLIENTS);
    em__bench_extra(r, "readings_per_request", per_req);
    em__bench_extra(r, "acked_per_s", acked > 0 ? (double)total / acked : 0);
    em__bench_extra(r, "retried_503", (double)retried);
    if (!rc && r->records != total) {
        fprintf(stderr, "ingest_http: %llu of %llu readings reached the sink\n",
                (unsigned long long)r->records, (unsigned long long)total);
        rc = EM_EIO;
    }
    r->note = "target >= 500,000 readings/s over loopback with the WAL on (server, WAL and "
              "clients share the machine)";
done:
    if (running) {
        em_engine_request_stop(e);
        pthread_join(rt, NULL);
    }
    em_http_stop(h);
    em_engine_destroy(e);
    for (uint32_t k = 0; k < NCLIENTS && k < MAX_CLIENTS; k++)
        em_free((void *)cl[k].req);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "ingest_http: could not remove %s\n", dir);
    return rc;
}

static int bench_ingest_http(const em_bench_opts *o, em__bench_result *r)
{
    return run_ingest(o, r, 1000, 4e6, 8);
}

static int bench_ingest_http_small(const em_bench_opts *o, em__bench_result *r)
{
    return run_ingest(o, r, 10, 4e5, 64);
}

const em__bench_def em__bench_ingest[] = {
    {"ingest_http", "HTTP ingest over loopback, WAL on: 8 connections, 1,000 readings a request",
     bench_ingest_http},
    {"ingest_http_small", "10 readings a request from 64 connections (per-request cost)",
     bench_ingest_http_small},
};
const uint32_t em__bench_ingest_n = 2;
#else
const em__bench_def em__bench_ingest[] = {{NULL, NULL, NULL}};
const uint32_t em__bench_ingest_n = 0;
#endif
