/*
 * tests/unit/test_durable_wal.c - the write-ahead log (durable/wal.c) and
 * the checkpoint directory's logs and snapshots (durable/ckpt.c): group
 * commit from many threads, appends that return once written (synced
 * right after) mixed with synced ones, reopening, torn tails, segments,
 * release, quota; torn offsets records and corrupt snapshots.
 */
#include "t.h"

#include "core/codec.h"
#include "durable/ckpt.h"
#include "durable/wal.h"
#include "ember/error.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static em_logger quiet;

static void fresh_dir(void)
{
    char cmd[300];
    snprintf(dir, sizeof dir, "/tmp/ember-wal-%d", (int)getpid());
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
    }
    mkdir(dir, 0755);
    em_logger_init(&quiet);
    quiet.fd = open("/dev/null", O_WRONLY);
}

static void done_dir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
    }
    close(quiet.fd);
}

#define THREADS 8
#define PER_THREAD 2000

typedef struct appender {
    em_wal *w;
    int id;
    int rc;
    bool written; /* em_wal_append_written instead of em_wal_append */
} appender;

static void *append_main(void *arg)
{
    appender *a = arg;
    for (int i = 0; i < PER_THREAD && !a->rc; i += 2) {
        char r1[64], r2[64];
        snprintf(r1, sizeof r1, "t%d:%d", a->id, i);
        snprintf(r2, sizeof r2, "t%d:%d", a->id, i + 1);
        em_slice recs[2] = {{r1, strlen(r1)}, {r2, strlen(r2)}};
        a->rc = a->written ? em_wal_append_written(a->w, recs, 2) : em_wal_append(a->w, recs, 2);
    }
    return NULL;
}

typedef struct seen {
    int next[THREADS]; /* next record number expected per thread */
    int bad, n;
} seen;

static int on_rec(void *ud, const char *p, size_t n)
{
    seen *s = ud;
    char buf[64];
    int t, i;
    if (n >= sizeof buf)
        return s->bad++, 0;
    memcpy(buf, p, n);
    buf[n] = 0;
    if (sscanf(buf, "t%d:%d", &t, &i) != 2 || t < 0 || t >= THREADS || s->next[t] != i)
        s->bad++;
    else
        s->next[t]++;
    s->n++;
    return 0;
}

TEST(group_commit_from_many_threads)
{
    fresh_dir();
    em_wal *w = NULL;
    em_errbuf err;
    em_wal_opts o = {.segment_bytes = 16 * 1024, .quota_bytes = 0};
    CHECK_EQ_INT(em_wal_open(&w, dir, &o, &quiet, &err), 0);
    pthread_t th[THREADS];
    appender ap[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ap[i] = (appender){w, i, 0, false};
        pthread_create(&th[i], NULL, append_main, &ap[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(ap[i].rc, 0);
    }
    /* read in small steps: every record once, each thread's in order */
    seen s = {{0}, 0, 0};
    uint64_t pos = 0;
    int got;
    while ((got = em_wal_read(w, &pos, 100, on_rec, &s)) > 0) {
    }
    CHECK_EQ_INT(got, 0);
    CHECK_EQ_INT(s.n, THREADS * PER_THREAD);
    CHECK_EQ_INT(s.bad, 0);
    CHECK_EQ_INT(pos, em_wal_end(w));
    em_wal_close(w);

    /* reopened: the same records; a torn tail is dropped, nothing else */
    char last[1200];
    snprintf(last, sizeof last, "ls %s/wal-*.log | tail -1 | xargs -I{} sh -c 'printf \"\\\\050\\\\000\\\\000\\\\000xx\" >> {}'", dir);
    CHECK_EQ_INT(system(last), 0);
    CHECK_EQ_INT(em_wal_open(&w, dir, &o, &quiet, &err), 0);
    CHECK_EQ_INT(em_wal_end(w), pos);
    seen s2 = {{0}, 0, 0};
    uint64_t p2 = 0;
    while (em_wal_read(w, &p2, 1000, on_rec, &s2) > 0) {
    }
    CHECK_EQ_INT(s2.n, THREADS * PER_THREAD);
    CHECK_EQ_INT(s2.bad, 0);
    /* appends continue after the dropped tail */
    em_slice more = {"t0:2000", 7};
    CHECK_EQ_INT(em_wal_append(w, &more, 1), 0);
    CHECK_EQ_INT(em_wal_read(w, &p2, 10, on_rec, &s2), 1);
    CHECK_EQ_INT(s2.bad, 0);
    em_wal_close(w);
    done_dir();
}

static int count_segments(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls %s/wal-*.log | wc -l", dir);
    FILE *f = popen(cmd, "r");
    int n = -1;
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = -1;
        pclose(f);
    }
    return n;
}

TEST(release_deletes_segments_and_quota_pushes_back)
{
    fresh_dir();
    em_wal *w = NULL;
    em_errbuf err;
    em_wal_opts o = {.segment_bytes = 1000, .quota_bytes = 5000};
    CHECK_EQ_INT(em_wal_open(&w, dir, &o, &quiet, &err), 0);
    char rec[200];
    memset(rec, 'x', sizeof rec);
    em_slice r = {rec, sizeof rec};
    int ok = 0, again = 0;
    for (int i = 0; i < 40; i++) {
        int rc = em_wal_append(w, &r, 1);
        ok += rc == 0;
        again += rc == EM_EAGAIN;
    }
    CHECK(ok >= 20 && ok <= 24); /* 5000 / 208 bytes per record */
    CHECK_EQ_INT(again, 40 - ok);
    int before = count_segments();
    CHECK(before >= 4);
    uint64_t end = em_wal_end(w);
    CHECK_EQ_INT(em_wal_release(w, end), 0);
    CHECK_EQ_INT(count_segments(), 1);
    CHECK_EQ_INT(em_wal_pending(w), 0);
    CHECK_EQ_INT(em_wal_append(w, &r, 1), 0); /* room again */
    seen s = {{0}, 0, 0};
    uint64_t pos = end;
    CHECK_EQ_INT(em_wal_read(w, &pos, 10, on_rec, &s), 1);
    em_wal_close(w);
    done_dir();
}

TEST(written_appends_become_durable_and_keep_their_order)
{
    fresh_dir();
    em_wal *w = NULL;
    em_errbuf err;
    em_wal_opts o = {.segment_bytes = 8 * 1024, .quota_bytes = 0};
    CHECK_EQ_INT(em_wal_open(&w, dir, &o, &quiet, &err), 0);
    pthread_t th[THREADS];
    appender ap[THREADS];
    for (int i = 0; i < THREADS; i++) {
        ap[i] = (appender){w, i, 0, i % 2 == 0};
        pthread_create(&th[i], NULL, append_main, &ap[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(ap[i].rc, 0);
    }
    /* written records show to readers once the flusher synced them */
    seen s = {{0}, 0, 0};
    uint64_t pos = 0;
    for (int tries = 0; tries < 500 && s.n < THREADS * PER_THREAD; tries++) {
        while (em_wal_read(w, &pos, 100, on_rec, &s) > 0) {
        }
        if (s.n < THREADS * PER_THREAD)
            usleep(10000);
    }
    CHECK_EQ_INT(s.n, THREADS * PER_THREAD);
    CHECK_EQ_INT(s.bad, 0);
    CHECK(count_segments() > 2);
    /* a written append just before close is on disk after reopening */
    em_slice last = {"t1:2000", 7};
    CHECK_EQ_INT(em_wal_append_written(w, &last, 1), 0);
    em_wal_close(w);
    CHECK_EQ_INT(em_wal_open(&w, dir, &o, &quiet, &err), 0);
    seen s2 = {{0}, 0, 0};
    uint64_t p2 = 0;
    while (em_wal_read(w, &p2, 1000, on_rec, &s2) > 0) {
    }
    CHECK_EQ_INT(s2.n, THREADS * PER_THREAD + 1);
    CHECK_EQ_INT(s2.bad, 0);
    CHECK_EQ_INT(s2.next[1], PER_THREAD + 1);
    em_wal_close(w);
    done_dir();
}

TEST(checkpoint_logs_drop_torn_records_and_snapshots_fall_back)
{
    fresh_dir();
    em_ckpt *ck = NULL;
    em_errbuf err;
    CHECK_EQ_INT(em_ckpt_open(&ck, dir, &quiet, &err), 0);
    for (int64_t b = 1; b <= 5; b++) {
        char p[32];
        int n = snprintf(p, sizeof p, "batch %lld", (long long)b);
        CHECK_EQ_INT(em_ckpt_append_offsets(ck, b, p, (size_t)n, &err), 0);
        CHECK_EQ_INT(em_ckpt_append_commit(ck, b, &err), 0);
        if (b == 2 || b == 4)
            CHECK_EQ_INT(em_ckpt_write_snapshot(ck, b, p, (size_t)n, &err), 0);
    }
    em_ckpt_close(ck);
    char cmd[1200];
    /* a torn record at the end of the offsets log; a corrupt newest snapshot */
    snprintf(cmd, sizeof cmd,
             "printf '\\377\\000\\000\\000torn' >> %s/offsets.log && "
             "printf 'XX' | dd of=%s/snap-00000000000000000004.snap bs=1 seek=30 conv=notrunc "
             "2>/dev/null",
             dir, dir);
    CHECK_EQ_INT(system(cmd), 0);
    CHECK_EQ_INT(em_ckpt_open(&ck, dir, &quiet, &err), 0);
    CHECK(quiet.lines[EM_LOG_WARN] >= 1);
    size_t n;
    const em_ckpt_rec *r = em_ckpt_offsets(ck, &n);
    /* records after the older kept snapshot (2) survive retention */
    CHECK_EQ_INT(n, 3);
    CHECK(n == 3 && r[0].batch_id == 3 && r[2].batch_id == 5 && r[2].n == 7 &&
          !memcmp(r[2].p, "batch 5", 7));
    CHECK_EQ_INT(em_ckpt_last_commit(ck), 5);
    em_buf b;
    em_buf_init(&b, 1 << 20);
    int64_t id = -1;
    unsigned long warns = quiet.lines[EM_LOG_WARN];
    CHECK_EQ_INT(em_ckpt_load_snapshot(ck, 0, &id, &b, &err), 0);
    CHECK_EQ_INT(id, 2); /* 4 is corrupt: the previous one */
    CHECK(b.len == 7 && !memcmp(b.ptr, "batch 2", 7));
    CHECK_EQ_INT(quiet.lines[EM_LOG_WARN], warns + 1);
    em_buf_release(&b);
    em_ckpt_close(ck);
    done_dir();
}

int main(void)
{
    RUN(group_commit_from_many_threads);
    RUN(release_deletes_segments_and_quota_pushes_back);
    RUN(written_appends_become_durable_and_keep_their_order);
    RUN(checkpoint_logs_drop_torn_records_and_snapshots_fall_back);
    return t_done();
}
