/*
 * bench/bench_durable.c - `ember bench durable`: the write-ahead log's
 * append throughput with group commit (issue 4: >= 300 MB/s), as push
 * sources use it: several threads appending request bodies of readings,
 * each append returning once durable.
 */
#include "bench_int.h"

#include "durable/wal.h"
#include "ember/error.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAL_THREADS 8
#define WAL_BODY (256 * 1024) /* one HTTP ingest body: ~1,700 readings */

typedef struct wal_job {
    em_wal *w;
    const char *body;
    double until;
    uint64_t bytes;
    int rc;
} wal_job;

static void *wal_thread(void *arg)
{
    wal_job *j = arg;
    em_slice rec = {j->body, WAL_BODY};
    while (em__bench_wall() < j->until && !j->rc) {
        int rc = em_wal_append(j->w, &rec, 1);
        if (rc == EM_EAGAIN)
            continue;
        j->rc = rc;
        j->bytes += WAL_BODY;
    }
    return NULL;
}

static int bench_wal(const em_bench_opts *opts, em__bench_result *r)
{
    char dir[] = "/tmp/ember-bench-wal-XXXXXX";
    if (!mkdtemp(dir))
        return EM_EIO;
    em_logger log;
    em_logger_init(&log);
    em_errbuf err;
    em_wal *w = NULL;
    em_wal_opts o = {.segment_bytes = 64u << 20, .quota_bytes = (uint64_t)8 << 30};
    char *body = malloc(WAL_BODY);
    int rc = body ? em_wal_open(&w, dir, &o, &log, &err) : EM_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < WAL_BODY; i++)
            body[i] = "{\"device_id\":\"dev-0042\",\"pm25\":12.5}\n"[i % 38];
        double secs = 2.0 * (opts->scale > 0 ? opts->scale : 1.0);
        wal_job jobs[WAL_THREADS];
        pthread_t th[WAL_THREADS];
        double c0 = em__bench_cpu(), t0 = em__bench_wall();
        for (int i = 0; i < WAL_THREADS; i++) {
            jobs[i] = (wal_job){w, body, t0 + secs, 0, 0};
            pthread_create(&th[i], NULL, wal_thread, &jobs[i]);
        }
        for (int i = 0; i < WAL_THREADS; i++) {
            pthread_join(th[i], NULL);
            r->bytes += jobs[i].bytes;
            if (jobs[i].rc)
                rc = jobs[i].rc;
        }
        r->seconds = em__bench_wall() - t0;
        r->cpu_seconds = em__bench_cpu() - c0;
        r->records = r->bytes / 38;
        em__bench_extra(r, "appends_per_s", (double)r->bytes / WAL_BODY / r->seconds);
        r->note = "(target >= 300 MB/s of appends made durable; records = 38-byte readings)";
    }
    em_wal_close(w);
    free(body);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : EM_EIO;
    return rc;
}

const em__bench_def em__bench_durable[] = {
    {"durable_wal", "WAL appends with group commit, 8 threads of 256 KiB bodies", bench_wal},
};
const uint32_t em__bench_durable_n = sizeof em__bench_durable / sizeof em__bench_durable[0];
