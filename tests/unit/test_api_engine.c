/*
 * Engine tests through the public API: sources, sinks, settings, options,
 * bounded runs, bad records, late rows and error messages.
 */
#include "ember/ember.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];

static void path(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
    char p[256];
    path(p, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *name)
{
    char p[256];
    path(p, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    static char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static em_schema *reading_schema(void)
{
    const char *names[] = {"device_id", "ts", "pm25"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE};
    return em_schema_create(3, names, types);
}

TEST(file_to_file_copies_rows_and_skips_bad_records)
{
    write_file("in.jsonl", "{\"device_id\":\"a\",\"ts\":\"2024-05-01T12:00:00Z\",\"pm25\":1.5}\n"
                           "not json\n"
                           "\n"
                           "{\"device_id\":\"b\",\"ts\":1714564801000,\"pm25\":null,\"x\":1}\n"
                           "{\"device_id\":\"c\",\"pm25\":\"high\"}\n"
                           "{\"device_id\":\"d\"}");
    char in[256], out[256];
    path(in, "in.jsonl");
    path(out, "out.jsonl");
    em_engine *e;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    CHECK_EQ_INT(em_engine_set(e, "log_level", "error"), 0);
    em_schema *s = reading_schema();
    const char *src_opts[] = {"path", in, NULL};
    em_stream *st = em_source(e, "readings", "file", s, src_opts);
    em_schema_destroy(s);
    CHECK(st != NULL);
    const char *sink_opts[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(st, "copy", "file", sink_opts), 0);
    char dead[256];
    path(dead, "dead.jsonl");
    const char *dead_opts[] = {"path", dead, NULL};
    em_stream *bad = em_bad_records(e);
    CHECK(bad != NULL);
    CHECK_EQ_INT(em_sink(bad, "dead", "file", dead_opts), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    /* the two bad records, located and explained, raw text kept */
    char *dl = read_file("dead.jsonl");
    CHECK_EQ_INT(count_lines(dl), 2);
    CHECK(strstr(dl, "{\"source\":\"readings\",\"location\":\"") != NULL);
    CHECK(strstr(dl, "in.jsonl:2\",\"reason\":\"") != NULL);
    CHECK(strstr(dl, "\"record\":\"not json\"}") != NULL);
    CHECK(strstr(dl, "in.jsonl:5\",\"reason\":\"field \\\"pm25\\\": expected DOUBLE") != NULL);
    const char *got = read_file("out.jsonl");
    CHECK_EQ_STR(got,
                 "{\"device_id\":\"a\",\"ts\":\"2024-05-01T12:00:00.000Z\",\"pm25\":1.5}\n"
                 "{\"device_id\":\"b\",\"ts\":\"2024-05-01T12:00:01.000Z\",\"pm25\":null}\n"
                 "{\"device_id\":\"d\",\"ts\":null,\"pm25\":null}\n");
    em_engine_destroy(e);
}

TEST(generator_bounded_run_delivers_count)
{
    char out[256];
    path(out, "gen.jsonl");
    em_engine *e;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    em_engine_set(e, "batch_interval", "10ms");
    em_schema *s = reading_schema();
    const char *opts[] = {"devices", "7", "count", "5000", "seed", "3", NULL};
    em_stream *st = em_source(e, "gen", "generator", s, opts);
    em_schema_destroy(s);
    const char *sink_opts[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(st, "out", "file", sink_opts), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    CHECK_EQ_INT(count_lines(read_file("gen.jsonl")), 5000);
}

TEST(max_rate_limits_each_batch)
{
    char out[256];
    path(out, "rate.jsonl");
    em_engine *e;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    CHECK_EQ_INT(em_engine_set(e, "batch_interval", "10ms"), 0);
    CHECK_EQ_INT(em_engine_set(e, "max_rate", "10000"), 0); /* 100 per 10ms batch */
    em_schema *s = reading_schema();
    const char *opts[] = {"count", "1000", NULL};
    em_stream *st = em_source(e, "gen", "generator", s, opts);
    em_schema_destroy(s);
    const char *sink_opts[] = {"path", out, NULL};
    em_sink(st, "out", "file", sink_opts);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_batch_info info[64];
    size_t n = em_engine_batches(e, info, 64);
    uint64_t total = 0, biggest = 0;
    for (size_t i = 0; i < n; i++) {
        total += info[i].input_records;
        if (info[i].input_records > biggest)
            biggest = info[i].input_records;
        CHECK(i == 0 || info[i].id == info[i - 1].id - 1); /* newest first */
    }
    CHECK_EQ_INT(total, 1000);
    CHECK_EQ_INT(biggest, 100); /* never more than max_rate x batch_interval */
    CHECK(n >= 10);
    em_engine_destroy(e);
    CHECK_EQ_INT(count_lines(read_file("rate.jsonl")), 1000);
}

TEST(errors_name_what_and_suggest)
{
    em_engine *e;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    CHECK_EQ_INT(em_engine_set(e, "batch_intervall", "1s"), EM_EINVAL);
    CHECK_EQ_STR(em_engine_errmsg(e),
                 "unknown setting 'batch_intervall'; did you mean 'batch_interval'?");
    CHECK_EQ_INT(em_engine_set(e, "batch_interval", "soon"), EM_EINVAL);
    CHECK(strstr(em_engine_errmsg(e), "batch_interval") != NULL);
    CHECK_EQ_INT(em_engine_set(e, "batch_interval", "0.5ms"), EM_EINVAL);
    em_schema *s = reading_schema();
    const char *bad_opt[] = {"pth", "x", NULL};
    CHECK(em_source(e, "r", "file", s, bad_opt) == NULL);
    CHECK_EQ_STR(em_engine_errmsg(e), "source r: unknown option 'pth'; did you mean 'path'?");
    const char *no_opt[] = {NULL};
    CHECK(em_source(e, "r", "file", s, no_opt) == NULL);
    CHECK(strstr(em_engine_errmsg(e), "option 'path' is required") != NULL);
    CHECK(em_source(e, "r", "fiel", s, no_opt) == NULL);
    CHECK_EQ_STR(em_engine_errmsg(e), "source r: unknown connector 'fiel'; did you mean 'file'?");
    CHECK(em_source(e, "r", "stdout", s, no_opt) == NULL);
    CHECK_EQ_STR(em_engine_errmsg(e), "source r: connector 'stdout' cannot be a source");
    const char *gen_bad[] = {"devices", "many", NULL};
    CHECK(em_source(e, "r", "generator", s, gen_bad) == NULL);
    CHECK_EQ_STR(em_engine_errmsg(e), "source r: option 'devices' must be an integer, not 'many'");
    const char *ok[] = {"count", "1", NULL};
    em_stream *st = em_source(e, "r", "generator", s, ok);
    CHECK(st != NULL);
    CHECK(em_source(e, "r", "generator", s, ok) == NULL);
    CHECK_EQ_STR(em_engine_errmsg(e), "source r: the name is already used");
    CHECK_EQ_INT(em_source_watermark(st, "pm25", 0), EM_ETYPE);
    CHECK_EQ_INT(em_source_watermark(st, "tss", 0), EM_ENOTFOUND);
    CHECK_EQ_INT(em_engine_run(e), EM_EINVAL); /* no sink */
    CHECK(strstr(em_engine_errmsg(e), "no sink") != NULL);
    em_schema_destroy(s);
    em_engine_destroy(e);
}

TEST(late_rows_go_to_late_stream_and_continue)
{
    /* with batch_interval small and max_batch_records 2, rows arrive in
     * separate micro-batches: the watermark moves between them */
    write_file("late.jsonl", "{\"device_id\":\"a\",\"ts\":\"2024-05-01T12:00:10Z\",\"pm25\":1}\n"
                             "{\"device_id\":\"a\",\"ts\":\"2024-05-01T12:00:20Z\",\"pm25\":2}\n"
                             "{\"device_id\":\"b\",\"ts\":\"2024-05-01T12:00:05Z\",\"pm25\":3}\n"
                             "{\"device_id\":\"c\",\"ts\":\"2024-05-01T12:00:30Z\",\"pm25\":4}\n");
    char in[256], out[256], late[256];
    path(in, "late.jsonl");
    path(out, "all.jsonl");
    path(late, "lateout.jsonl");
    em_engine *e;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    em_engine_set(e, "batch_interval", "1ms");
    CHECK_EQ_INT(em_engine_set(e, "max_batch_records", "2"), 0);
    em_schema *s = reading_schema();
    const char *src_opts[] = {"path", in, NULL};
    em_stream *st = em_source(e, "readings", "file", s, src_opts);
    em_schema_destroy(s);
    CHECK_EQ_INT(em_source_watermark(st, "ts", 0), 0);
    const char *o1[] = {"path", out, NULL}, *o2[] = {"path", late, NULL};
    CHECK_EQ_INT(em_sink(st, "all", "file", o1), 0);
    em_stream *lt = em_late(st);
    CHECK(lt != NULL);
    CHECK_EQ_INT(em_sink(lt, "late", "file", o2), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    CHECK_EQ_INT(count_lines(read_file("all.jsonl")), 4);
    CHECK_EQ_STR(read_file("lateout.jsonl"),
                 "{\"device_id\":\"b\",\"ts\":\"2024-05-01T12:00:05.000Z\",\"pm25\":3}\n");
}

/* Runs generator -> tumbling count/avg per device with `workers` workers
 * and returns the output, sorted by line. */
static char *windowed_run(const char *workers, const char *file)
{
    char out[256];
    path(out, file);
    em_engine *e;
    if (em_engine_create(&e))
        return NULL;
    em_engine_set(e, "log_level", "error");
    CHECK_EQ_INT(em_engine_set(e, "workers", workers), 0);
    em_schema *s = reading_schema();
    const char *opts[] = {"devices", "50", "count", "20000", "seed", "9", "faults", "true", NULL};
    em_stream *st = em_source(e, "gen", "generator", s, opts);
    em_schema_destroy(s);
    CHECK_EQ_INT(em_source_watermark(st, "ts", 30 * EM_USEC_PER_SEC), 0);
    em_expr *keys[] = {em_col(e, "device_id")};
    const char *key_names[] = {"device_id"};
    em_agg_call aggs[] = {{"count", NULL, 0, "n"}, {"avg", em_col(e, "pm25"), 0, "avg"},
                          {"max", em_col(e, "pm25"), 0, "max"}};
    em_window win = {EM_WINDOW_TUMBLE, "ts", 60 * EM_USEC_PER_SEC, 0, 0};
    em_stream *agg = em_aggregate(st, 1, keys, key_names, 3, aggs, &win);
    CHECK(agg != NULL);
    const char *sink_opts[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(agg, "out", "file", sink_opts), 0);
    CHECK_EQ_INT(em_engine_set(e, "max_batch_records", "3000"), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    char cmd[600], sorted[300];
    snprintf(sorted, sizeof sorted, "%s.sorted", file);
    snprintf(cmd, sizeof cmd, "sort %s/%s > %s/%s", dir, file, dir, sorted);
    if (system(cmd) != 0)
        return NULL;
    char *text = read_file(sorted);
    return text ? strdup(text) : NULL;
}

TEST(partitioned_aggregate_matches_single_worker)
{
    char *one = windowed_run("1", "w1.jsonl");
    char *three = windowed_run("3", "w3.jsonl");
    CHECK(one && three);
    if (one && three) {
        CHECK(count_lines(one) >= 3300); /* 50 devices x ~67 minutes of readings */
        CHECK(strcmp(one, three) == 0);
    }
    free(one);
    free(three);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ember-api-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(file_to_file_copies_rows_and_skips_bad_records);
    RUN(generator_bounded_run_delivers_count);
    RUN(max_rate_limits_each_batch);
    RUN(errors_name_what_and_suggest);
    RUN(late_rows_go_to_late_stream_and_continue);
    RUN(partitioned_aggregate_matches_single_worker);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!getenv("EMBER_KEEP_TEST_DIR") && system(cmd) != 0) /* keep it to debug a failure */
        return 1;
    return t_done();
}
