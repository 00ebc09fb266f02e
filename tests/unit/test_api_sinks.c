/*
 * The engine's side of the sink contract, through the public API with
 * connectors written here: a failing sink is retried from the batch's first
 * write and loses nothing; permanent errors fail the job; keyed sinks see
 * the upsert key (em_sink_keyed, em_conn_key_columns); sources get commit
 * once every sink committed the batch.
 */
#include "ember/ember.h"
#include "ember/error.h"
#include "t.h"

#include <stdio.h>
#include <unistd.h>

/* ---- a sink that fails its first `fail_commits` commits ---- */

typedef struct flaky {
    em_conn_ctx *cx;
    int64_t fail_commits, fail_code;
    int64_t staged, committed; /* rows buffered for the batch, rows committed */
    int64_t commits, attempts, last_batch;
    int64_t committed_batch; /* the last batch id committed (read by other threads) */
} flaky;

static flaky *last_flaky;

static const em_option_def flaky_opts[] = {
    {"fail_commits", EM_OPT_INT, "0", 0, 1000, NULL, 0, "commits that fail"},
    {"permanent", EM_OPT_BOOL, "false", 0, 0, NULL, 0, "fail with EM_EINVAL"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int flaky_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    flaky *f = em_calloc(1, sizeof *f);
    if (!f)
        return EM_ENOMEM;
    f->cx = cx;
    f->fail_commits = em_opt_int(em_conn_options(cx), "fail_commits");
    f->fail_code = em_opt_bool(em_conn_options(cx), "permanent") ? EM_EINVAL : EM_ECONN;
    last_flaky = f;
    *self = f;
    return 0;
}

static int flaky_write(void *self, const em_batch *b, int64_t batch_id)
{
    flaky *f = self;
    f->last_batch = batch_id;
    f->staged += em_batch_count(b);
    return 0;
}

static int flaky_commit(void *self, int64_t batch_id)
{
    (void)batch_id;
    flaky *f = self;
    f->attempts++;
    if (f->staged && f->fail_commits > 0) {
        f->fail_commits--;
        f->staged = 0; /* the contract: discard what the failed batch buffered */
        return (int)f->fail_code;
    }
    f->committed += f->staged;
    f->staged = 0;
    f->commits++;
    __atomic_store_n(&f->committed_batch, batch_id, __ATOMIC_SEQ_CST);
    return 0;
}

static void flaky_destroy(void *self)
{
    em_free(self);
}

static const em_connector flaky_conn = {
    .abi = EM_CONNECTOR_ABI,
    .name = "flaky",
    .kinds = EM_CONNECTOR_SINK,
    .options = flaky_opts,
    .help = "test sink",
    .init = flaky_init,
    .write = flaky_write,
    .commit = flaky_commit,
    .destroy = flaky_destroy,
};

/* ---- a sink that records its key columns ---- */

static char seen_keys[256];

static int keyed_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    uint32_t n;
    const uint32_t *k = em_conn_key_columns(cx, &n);
    const em_schema *s = em_conn_schema(cx);
    seen_keys[0] = '\0';
    for (uint32_t i = 0; i < n; i++)
        snprintf(seen_keys + strlen(seen_keys), sizeof seen_keys - strlen(seen_keys), "%s%s",
                 i ? "," : "", s->fields[k[i]].name);
    *self = NULL;
    return 0;
}

static const em_option_def no_opts[] = {{NULL, 0, NULL, 0, 0, NULL, 0, NULL}};

static const em_connector keyed_conn = {
    .abi = EM_CONNECTOR_ABI,
    .name = "keyed",
    .kinds = EM_CONNECTOR_SINK,
    .options = no_opts,
    .help = "test sink",
    .init = keyed_init,
};

/* ---- a source of `count` JSON records whose commit counts acks ---- */

static int64_t source_commits, source_acked, early_acks, backward_acks;

typedef struct counter {
    int64_t n, count;
} counter;

static const em_option_def counter_opts[] = {
    {"count", EM_OPT_INT, "10", 0, 1e9, NULL, 0, "records"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json", 0, "format"},
    {"timestamp_unit", EM_OPT_ENUM, "ms", 0, 0, "ms", 0, "unit"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static int counter_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    counter *c = em_calloc(1, sizeof *c);
    if (!c)
        return EM_ENOMEM;
    c->count = em_opt_int(em_conn_options(cx), "count");
    *self = c;
    return 0;
}

static int counter_poll(void *self, em_source_out *out)
{
    counter *c = self;
    char line[64];
    while (c->n < c->count && em_source_out_room(out) > 0) {
        int len = snprintf(line, sizeof line, "{\"device_id\":\"d%lld\",\"co2\":%lld}",
                           (long long)(c->n % 5), (long long)c->n);
        em_source_out_record(out, line, (size_t)len, "counter");
        c->n++;
    }
    return c->n < c->count ? 0 : EM_EOF;
}

static int counter_commit(void *self, int64_t batch_id)
{
    (void)self;
    source_commits++;
    /* only what every sink has committed may be acknowledged upstream */
    if (last_flaky && batch_id > __atomic_load_n(&last_flaky->committed_batch, __ATOMIC_SEQ_CST))
        early_acks++;
    if (batch_id <= source_acked)
        backward_acks++;
    source_acked = batch_id;
    return 0;
}

static const em_connector counter_conn = {
    .abi = EM_CONNECTOR_ABI,
    .name = "counter",
    .kinds = EM_CONNECTOR_SOURCE,
    .options = counter_opts,
    .help = "test source",
    .init = counter_init,
    .poll = counter_poll,
    .commit = counter_commit,
    .destroy = flaky_destroy,
};

static em_engine *engine_new(void)
{
    em_engine *e = NULL;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    em_engine_register_connector(e, &flaky_conn);
    em_engine_register_connector(e, &keyed_conn);
    em_engine_register_connector(e, &counter_conn);
    return e;
}

static em_schema *schema2(void)
{
    const char *names[] = {"device_id", "co2"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_BIGINT};
    return em_schema_create(2, names, types);
}

static em_stream *generated(em_engine *e, em_schema *s, const char *count)
{
    const char *opts[] = {"count", count, NULL};
    return em_source(e, "gen", "counter", s, opts);
}

TEST(failing_commit_is_retried_and_loses_nothing)
{
    em_engine *e = engine_new();
    em_schema *s = schema2();
    em_stream *st = generated(e, s, "1000");
    const char *o[] = {"fail_commits", "3", NULL};
    CHECK_EQ_INT(em_sink(st, "out", "flaky", o), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    CHECK_EQ_INT(last_flaky->committed, 1000);
    CHECK(last_flaky->attempts >= 4);
    em_engine_destroy(e);
    em_schema_destroy(s);
}

TEST(permanent_error_fails_the_job_naming_the_sink)
{
    em_engine *e = engine_new();
    em_schema *s = schema2();
    em_stream *st = generated(e, s, "100");
    const char *o[] = {"fail_commits", "1", "permanent", "true", NULL};
    CHECK_EQ_INT(em_sink(st, "out", "flaky", o), 0);
    CHECK(em_engine_run(e) != 0);
    CHECK(strstr(em_engine_errmsg(e), "sink out") != NULL);
    CHECK_EQ_INT(last_flaky->attempts, 1);
    em_engine_destroy(e);
    em_schema_destroy(s);
}

TEST(keyed_sink_sees_its_key_columns)
{
    em_engine *e = engine_new();
    em_schema *s = schema2();
    em_stream *st = generated(e, s, "10");
    const char *keys[] = {"co2", "device_id"};
    CHECK_EQ_INT(em_sink_keyed(st, "k", "keyed", NULL, 2, keys), 0);
    CHECK_EQ_STR(seen_keys, "co2,device_id");
    CHECK_EQ_INT(em_sink(st, "plain", "keyed", NULL), 0);
    CHECK_EQ_STR(seen_keys, "");
    const char *bad[] = {"nope"};
    CHECK(em_sink_keyed(st, "k2", "keyed", NULL, 1, bad) != 0);
    CHECK(strstr(em_engine_errmsg(e), "'nope'") != NULL);
    em_engine_destroy(e);
    em_schema_destroy(s);
}

TEST(sources_commit_after_every_sink_committed)
{
    em_engine *e = engine_new();
    em_schema *s = schema2();
    em_engine_set(e, "max_batch_records", "100");
    em_stream *st = generated(e, s, "500");
    const char *o[] = {"fail_commits", "2", NULL};
    CHECK_EQ_INT(em_sink(st, "out", "flaky", o), 0);
    source_commits = source_acked = early_acks = backward_acks = 0;
    CHECK_EQ_INT(em_engine_run(e), 0);
    CHECK_EQ_INT(last_flaky->committed, 500);
    /* the sink runs on its own thread, so acknowledgements may cover
     * several micro-batches at once, but never one the sink lacks */
    CHECK(source_commits >= 1);
    CHECK_EQ_INT(early_acks, 0);
    CHECK_EQ_INT(backward_acks, 0);
    CHECK_EQ_INT(source_acked, last_flaky->committed_batch);
    CHECK(last_flaky->committed_batch >= 5);
    em_engine_destroy(e);
    em_schema_destroy(s);
}

int main(void)
{
    RUN(failing_commit_is_retried_and_loses_nothing);
    RUN(permanent_error_fails_the_job_naming_the_sink);
    RUN(keyed_sink_sees_its_key_columns);
    RUN(sources_commit_after_every_sink_committed);
    return t_done();
}
