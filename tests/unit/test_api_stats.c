/*
 * Statistics through the public API (ember/stats.h): snapshots after a run,
 * secrets redacted, the latest rows of a sink, batch history, and a reader
 * thread copying snapshots while the scheduler publishes them.
 */
#include "ember/ember.h"
#include "ember/stats.h"
#include "t.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

/* A source connector with a secret option: delivers `count` JSON records. */
typedef struct vault {
    int64_t count, next;
} vault;

static const em_option_def vault_opts[] = {
    {"user", EM_OPT_STRING, NULL, 0, 0, NULL, 0, "user name"},
    {"password", EM_OPT_STRING, NULL, 0, 0, NULL, EM_OPT_SECRET, "never shown"},
    {"count", EM_OPT_INT, "10", 0, 0, NULL, 0, "records"},
    {"pin", EM_OPT_INT, NULL, 0, 0, NULL, EM_OPT_SECRET, "a secret number"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int vault_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    vault *v = calloc(1, sizeof *v);
    if (!v)
        return EM_ENOMEM;
    v->count = em_opt_int(em_conn_options(cx), "count");
    *self = v;
    return 0;
}

static int vault_poll(void *self, em_source_out *out)
{
    vault *v = self;
    char line[64];
    while (v->next < v->count && em_source_out_room(out) > 0) {
        int n = snprintf(line, sizeof line, "{\"k\":\"key%lld\",\"n\":%lld}",
                         (long long)(v->next % 7), (long long)v->next);
        em_source_out_record(out, line, (size_t)n, "vault");
        v->next++;
    }
    return v->next >= v->count ? EM_EOF : 0;
}

static void vault_destroy(void *self)
{
    free(self);
}

static const em_connector vault_conn = {
    .abi = EM_CONNECTOR_ABI,
    .name = "vault",
    .kinds = EM_CONNECTOR_SOURCE,
    .options = vault_opts,
    .help = "test source with a secret option",
    .init = vault_init,
    .poll = vault_poll,
    .destroy = vault_destroy,
};

static em_engine *build(int64_t count, const char *out_name)
{
    em_engine *e = NULL;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    em_engine_set(e, "batch_interval", "1ms");
    em_engine_set(e, "max_batch_records", "100"); /* several micro-batches */
    em_engine_set(e, "http_token", "tok-very-secret");
    CHECK_EQ_INT(em_engine_register_connector(e, &vault_conn), 0);
    const char *names[] = {"k", "n"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_BIGINT};
    em_schema *sc = em_schema_create(2, names, types);
    char cnt[32], path[256];
    snprintf(cnt, sizeof cnt, "%lld", (long long)count);
    snprintf(path, sizeof path, "%s/%s", dir, out_name);
    const char *opts[] = {"user", "bob", "password", "hunter2-secret", "count", cnt, NULL};
    em_stream *s = em_source(e, "vaulted", "vault", sc, opts);
    em_schema_destroy(sc);
    CHECK(s != NULL);
    const char *sink_opts[] = {"path", path, NULL};
    CHECK_EQ_INT(em_sink(s, "out", "file", sink_opts), 0);
    return e;
}

static const char *opt(const em_stats *s, uint32_t first, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (!strcmp(s->options[first + i].name, name))
            return s->options[first + i].value;
    return NULL;
}

TEST(snapshot_before_run_is_created_and_empty)
{
    em_engine *e = build(10, "a.jsonl");
    em_stats *s = NULL;
    CHECK_EQ_INT(em_engine_stats(e, &s), 0);
    CHECK_EQ_INT(s->job.state, EM_JOB_CREATED);
    CHECK_EQ_INT(s->nsources, 0);
    CHECK_EQ_STR(em_job_state_name(s->job.state), "created");
    em_stats_free(s);
    em_engine_destroy(e);
}

TEST(snapshot_after_run_counts_rows_and_redacts_secrets)
{
    em_engine *e = build(450, "b.jsonl");
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_stats *s = NULL;
    CHECK_EQ_INT(em_engine_stats(e, &s), 0);
    CHECK_EQ_INT(s->job.state, EM_JOB_FINISHED);
    CHECK_EQ_INT(s->nsources, 1);
    CHECK_EQ_INT(s->nsinks, 1);
    CHECK_EQ_STR(s->sources[0].name, "vaulted");
    CHECK_EQ_STR(s->sources[0].connector, "vault");
    CHECK_EQ_INT(s->sources[0].records, 450);
    CHECK(s->sources[0].bytes > 450 * 10);
    CHECK_EQ_INT(s->sources[0].finished, 1);
    CHECK_EQ_INT(s->sinks[0].rows, 450);
    CHECK_EQ_INT(s->job.records, 450);
    CHECK(s->job.batches_completed >= 5);
    CHECK_EQ_STR(opt(s, s->sources[0].opt_first, s->sources[0].nopts, "user"), "bob");
    CHECK_EQ_STR(opt(s, s->sources[0].opt_first, s->sources[0].nopts, "password"),
                 "[redacted]");
    const char *tok = NULL;
    for (uint32_t i = 0; i < s->nsettings; i++)
        if (!strcmp(s->settings[i].name, "http_token"))
            tok = s->settings[i].value;
    CHECK_EQ_STR(tok, "[redacted]");
    for (uint32_t i = 0; i < s->noptions; i++)
        CHECK(strstr(s->options[i].value, "hunter2") == NULL);
    /* the last 20 rows, oldest first: n = 430 .. 449 */
    CHECK_EQ_INT(s->sinks[0].nlatest, 20);
    CHECK(strstr(s->sinks[0].latest, "\"n\":430}") != NULL);
    CHECK(strstr(s->sinks[0].latest, "\"n\":449}\n") != NULL);
    CHECK(strstr(s->sinks[0].latest, "\"n\":429}") == NULL);
    CHECK_EQ_INT(s->processing.count, (uint64_t)s->job.batches_completed);
    char buf[64];
    CHECK_EQ_INT(em_engine_get(e, "http_token", buf, sizeof buf), 0);
    CHECK_EQ_STR(buf, "tok-very-secret");
    CHECK_EQ_INT(em_engine_get(e, "batch_interval", buf, sizeof buf), 0);
    CHECK_EQ_STR(buf, "1ms");
    CHECK_EQ_INT(em_engine_get(e, "no_such", buf, sizeof buf), EM_ENOTFOUND);
    em_batch_info b[4];
    size_t n = em_engine_batch_history(e, b, 4);
    CHECK_EQ_INT(n, 4);
    CHECK(b[0].id > b[1].id && b[1].id > b[2].id);
    CHECK_EQ_INT(b[0].status, 0);
    em_stats_free(s);
    em_engine_destroy(e);
}

TEST(bad_secret_option_value_is_not_echoed)
{
    em_engine *e = NULL;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    CHECK_EQ_INT(em_engine_register_connector(e, &vault_conn), 0);
    const char *names[] = {"k"};
    em_type types[] = {EM_TYPE_TEXT};
    em_schema *sc = em_schema_create(1, names, types);
    const char *opts[] = {"pin", "12ab-secret", NULL};
    CHECK(em_source(e, "v", "vault", sc, opts) == NULL);
    CHECK(strstr(em_engine_errmsg(e), "option 'pin'") != NULL);
    CHECK(strstr(em_engine_errmsg(e), "[redacted]") != NULL);
    CHECK(strstr(em_engine_errmsg(e), "12ab") == NULL);
    em_schema_destroy(sc);
    em_engine_destroy(e);
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

/* A sink whose disk is full is retried with backoff (no row is dropped):
 * while it fails, the statistics show the outage; when the job is stopped
 * for good the batch fails and the job reports it. */
TEST(failed_batch_and_sink_outage_are_reported)
{
    em_engine *e = NULL;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    em_engine_set(e, "max_batch_records", "100");
    CHECK_EQ_INT(em_engine_register_connector(e, &vault_conn), 0);
    const char *names[] = {"k", "n"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_BIGINT};
    em_schema *sc = em_schema_create(2, names, types);
    const char *opts[] = {"count", "300", NULL};
    em_stream *s = em_source(e, "v", "vault", sc, opts);
    em_schema_destroy(sc);
    const char *full[] = {"path", "/dev/full", NULL}; /* every write fails: ENOSPC */
    CHECK_EQ_INT(em_sink(s, "disk", "file", full), 0);
    runner r = {e, 0};
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, run_main, &r), 0);
    em_stats *st = NULL;
    int seen = 0;
    for (int i = 0; i < 200 && !seen; i++) { /* up to 10 s */
        usleep(50000);
        if (em_engine_stats(e, &st) == 0) {
            seen = st->sinks[0].failing_since_us > 0 && st->sinks[0].errors >= 2 &&
                   st->job.state == EM_JOB_RUNNING;
            em_stats_free(st);
            st = NULL;
        }
    }
    CHECK(seen); /* retried, and the outage shows while the job runs */
    em_engine_request_stop(e);
    em_engine_request_stop(e); /* a second stop ends the retries */
    pthread_join(th, NULL);
    CHECK(r.rc != 0);
    CHECK_EQ_INT(em_engine_stats(e, &st), 0);
    CHECK_EQ_INT(st->job.state, EM_JOB_FAILED);
    CHECK_EQ_INT(st->job.batches_failed, 1);
    CHECK(strstr(st->job.error, "sink disk") != NULL);
    CHECK(st->sinks[0].last_status != 0);
    CHECK(st->sinks[0].failing_since_us > 0);
    CHECK(st->sinks[0].errors >= 2);
    /* the sink has its own queue: the engine went on with later batches
     * while it failed; the job's failure is the newest entry */
    em_batch_info b[8];
    CHECK(em_engine_batch_history(e, b, 8) >= 1);
    CHECK(b[0].status != 0);
    CHECK_EQ_INT(b[0].id, st->job.last_batch_id);
    em_stats_free(st);
    em_engine_destroy(e);
}

typedef struct reader {
    em_engine *e;
    volatile int done;
    long snapshots;
    uint64_t last_records;
    int went_backwards;
} reader;

static void *read_loop(void *arg)
{
    reader *r = arg;
    em_batch_info b[64];
    while (!r->done) {
        em_stats *s = NULL;
        if (em_engine_stats(r->e, &s) == 0) {
            if (s->job.records < r->last_records)
                r->went_backwards = 1;
            r->last_records = s->job.records;
            r->snapshots++;
            em_stats_free(s);
        }
        em_engine_batch_history(r->e, b, 64);
    }
    return NULL;
}

TEST(snapshots_from_another_thread_while_running)
{
    em_engine *e = build(20000, "c.jsonl");
    reader r = {.e = e};
    pthread_t th;
    CHECK_EQ_INT(pthread_create(&th, NULL, read_loop, &r), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    r.done = 1;
    pthread_join(th, NULL);
    CHECK(r.snapshots > 0);
    CHECK_EQ_INT(r.went_backwards, 0);
    em_stats *s = NULL;
    CHECK_EQ_INT(em_engine_stats(e, &s), 0);
    CHECK_EQ_INT(s->sinks[0].rows, 20000);
    em_stats_free(s);
    em_engine_destroy(e);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ember-stats-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(snapshot_before_run_is_created_and_empty);
    RUN(snapshot_after_run_counts_rows_and_redacts_secrets);
    RUN(bad_secret_option_value_is_not_echoed);
    RUN(failed_batch_and_sink_outage_are_reported);
    RUN(snapshots_from_another_thread_while_running);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    return t_done();
}
