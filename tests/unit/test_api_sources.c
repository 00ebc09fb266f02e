/*
 * Engine behaviour around sources and time, through the public API:
 * directory sources, following a growing file, idle sources releasing the
 * watermark, several sinks written concurrently, processing-time windows.
 */
#include "ember/ember.h"
#include "t.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void path(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *mode, const char *text)
{
    char p[256];
    path(p, name);
    FILE *f = fopen(p, mode);
    fputs(text, f);
    fclose(f);
}

static int count_lines(const char *name)
{
    char p[256];
    path(p, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static em_schema *schema3(void)
{
    const char *names[] = {"device_id", "ts", "pm25"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE};
    return em_schema_create(3, names, types);
}

static em_engine *engine_new(void)
{
    em_engine *e = NULL;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    return e;
}

TEST(directory_source_reads_every_file_in_order)
{
    char sub[256], out[256];
    path(sub, "in");
    mkdir(sub, 0755);
    write_file("in/b.jsonl", "w", "{\"device_id\":\"b1\"}\n{\"device_id\":\"b2\"}\n");
    write_file("in/a.jsonl", "w", "{\"device_id\":\"a1\"}\n");
    write_file("in/c.csv", "w", "c1,,\n");
    path(out, "dir.jsonl");
    em_engine *e = engine_new();
    em_schema *s = schema3();
    const char *opts[] = {"path", sub, NULL};
    em_stream *st = em_source(e, "files", "file", s, opts);
    em_schema_destroy(s);
    const char *o[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(st, "out", "file", o), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    /* the .csv line is not JSON: a bad record, counted and skipped */
    CHECK_EQ_INT(count_lines("dir.jsonl"), 3);
    char p[256], buf[256] = {0};
    path(p, "dir.jsonl");
    FILE *f = fopen(p, "r");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    CHECK(strstr(buf, "a1") < strstr(buf, "b1") && strstr(buf, "b1") < strstr(buf, "b2"));
}

typedef struct writer_ctx {
    em_engine *e;
    int stop_after_ms;
} writer_ctx;

/* Appends rows to the followed file while the engine runs, then stops it. */
static void *appender(void *arg)
{
    writer_ctx *w = arg;
    for (int i = 0; i < 5; i++) {
        usleep(60 * 1000);
        char line[128];
        snprintf(line, sizeof line, "{\"device_id\":\"late-%d\"}\n{\"device_id\":\"part", i);
        write_file("follow.jsonl", "a", line);
        usleep(20 * 1000);
        write_file("follow.jsonl", "a", "ial\"}\n"); /* completes a line split across writes */
    }
    usleep((useconds_t)w->stop_after_ms * 1000);
    em_engine_request_stop(w->e);
    return NULL;
}

TEST(follow_reads_a_growing_file_until_stopped)
{
    write_file("follow.jsonl", "w", "{\"device_id\":\"first\"}\n");
    char in[256], out[256];
    path(in, "follow.jsonl");
    path(out, "followed.jsonl");
    em_engine *e = engine_new();
    em_engine_set(e, "batch_interval", "20ms");
    em_schema *s = schema3();
    const char *opts[] = {"path", in, "follow", "true", NULL};
    em_stream *st = em_source(e, "tail", "file", s, opts);
    em_schema_destroy(s);
    const char *o[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(st, "out", "file", o), 0);
    writer_ctx w = {e, 200};
    pthread_t th;
    pthread_create(&th, NULL, appender, &w);
    CHECK_EQ_INT(em_engine_run(e), 0); /* returns once stop is requested */
    pthread_join(th, NULL);
    em_engine_destroy(e);
    CHECK_EQ_INT(count_lines("followed.jsonl"), 11);
}

static void *stopper(void *arg)
{
    writer_ctx *w = arg;
    usleep((useconds_t)w->stop_after_ms * 1000);
    em_engine_request_stop(w->e);
    return NULL;
}

/* Source "quiet" delivers one early row and then nothing (it follows a file
 * that never grows); "busy" produces an hour of readings. Windows over busy
 * can close only because quiet is idle after idle_timeout. */
static int idle_run(const char *idle_timeout)
{
    char q[256], out[256];
    write_file("quiet.jsonl", "w",
               "{\"device_id\":\"q\",\"ts\":\"2024-05-01T00:00:00Z\",\"pm25\":1}\n");
    path(q, "quiet.jsonl");
    path(out, "idle.jsonl");
    em_engine *e = engine_new();
    em_engine_set(e, "batch_interval", "10ms");
    CHECK_EQ_INT(em_engine_set(e, "idle_timeout", idle_timeout), 0);
    em_schema *s = schema3();
    const char *qo[] = {"path", q, "follow", "true", NULL};
    em_stream *quiet = em_source(e, "quiet", "file", s, qo);
    const char *bo[] = {"devices", "1", "count", "3600", "interval", "1s", "rate", "20000", NULL};
    em_stream *busy = em_source(e, "busy", "generator", s, bo);
    em_schema_destroy(s);
    CHECK_EQ_INT(em_source_watermark(quiet, "ts", 0), 0);
    CHECK_EQ_INT(em_source_watermark(busy, "ts", 0), 0);
    em_agg_call aggs[] = {{"count", NULL, 0, "n"}};
    em_window win = {EM_WINDOW_TUMBLE, "ts", 60 * EM_USEC_PER_SEC, 0, 0};
    em_stream *per_min = em_aggregate(busy, 0, NULL, NULL, 1, aggs, &win);
    const char *o[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(per_min, "out", "file", o), 0);
    writer_ctx w = {e, 700};
    pthread_t th;
    pthread_create(&th, NULL, stopper, &w);
    int rc = em_engine_run(e);
    if (rc)
        printf("    engine: %s\n", em_engine_errmsg(e));
    CHECK_EQ_INT(rc, 0);
    pthread_join(th, NULL);
    em_engine_destroy(e);
    return count_lines("idle.jsonl");
}

TEST(idle_source_stops_holding_the_watermark)
{
    /* 3600 readings at 1 s = 60 minutes: 59 windows close (the last waits) */
    CHECK_EQ_INT(idle_run("100ms"), 59);
    /* with a long idle_timeout the quiet source holds event time back */
    CHECK_EQ_INT(idle_run("1h"), 0);
}

TEST(several_sinks_each_get_every_row)
{
    char o1[256], o2[256], o3[256];
    path(o1, "s1.jsonl");
    path(o2, "s2.csv");
    path(o3, "s3.jsonl");
    em_engine *e = engine_new();
    CHECK_EQ_INT(em_engine_set(e, "concurrent_outputs", "3"), 0);
    em_engine_set(e, "batch_interval", "5ms");
    em_schema *s = schema3();
    const char *opts[] = {"count", "3000", "devices", "3", NULL};
    em_stream *st = em_source(e, "gen", "generator", s, opts);
    em_schema_destroy(s);
    const char *a[] = {"path", o1, NULL}, *b[] = {"path", o2, "format", "csv", NULL},
               *c[] = {"path", o3, NULL};
    CHECK_EQ_INT(em_sink(st, "one", "file", a), 0);
    CHECK_EQ_INT(em_sink(st, "two", "file", b), 0);
    CHECK_EQ_INT(em_sink(st, "three", "file", c), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    CHECK_EQ_INT(count_lines("s1.jsonl"), 3000);
    CHECK_EQ_INT(count_lines("s2.csv"), 3001); /* header + rows */
    CHECK_EQ_INT(count_lines("s3.jsonl"), 3000);
}

TEST(processing_time_window_counts_rows_per_batch_time)
{
    char out[256];
    path(out, "proc.jsonl");
    em_engine *e = engine_new();
    em_engine_set(e, "batch_interval", "10ms");
    em_schema *s = schema3();
    const char *opts[] = {"count", "2000", "rate", "10000", NULL};
    em_stream *st = em_source(e, "gen", "generator", s, opts);
    em_schema_destroy(s);
    em_agg_call aggs[] = {{"count", NULL, 0, "n"}};
    em_window win = {EM_WINDOW_TUMBLE, NULL, 50 * 1000, 0, 0}; /* 50 ms of processing time */
    em_stream *w = em_aggregate(st, 0, NULL, NULL, 1, aggs, &win);
    CHECK(w != NULL);
    if (!w) {
        printf("    engine: %s\n", em_engine_errmsg(e));
        em_engine_destroy(e);
        return;
    }
    const char *o[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(w, "out", "file", o), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    /* 2000 rows at 10k/s take ~200 ms: several 50 ms windows, all rows counted */
    char p[256];
    path(p, "proc.jsonl");
    FILE *f = fopen(p, "r");
    long total = 0;
    int windows = 0;
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *n = strstr(line, "\"n\":");
        if (n)
            total += atol(n + 4);
        windows++;
    }
    if (f)
        fclose(f);
    CHECK_EQ_INT(total, 2000);
    CHECK(windows >= 3);
}

TEST(silent_device_detected_without_its_own_input)
{
    /* device q reports at 0 s and 10 s then goes quiet; device w keeps
     * reporting every 10 s until 120 s, moving event time on */
    char lines[4096] = "", out[256];
    for (int t = 0; t <= 120; t += 10) {
        char l[160];
        snprintf(l, sizeof l, "{\"device_id\":\"w\",\"ts\":%d000}\n", t);
        strcat(lines, l);
        if (t <= 10) {
            snprintf(l, sizeof l, "{\"device_id\":\"q\",\"ts\":%d000}\n", t);
            strcat(lines, l);
        }
    }
    strcat(lines, "{\"device_id\":\"q\",\"ts\":125000}\n"); /* q comes back */
    write_file("silence.jsonl", "w", lines);
    char in[256];
    path(in, "silence.jsonl");
    path(out, "silent.jsonl");
    em_engine *e = engine_new();
    em_engine_set(e, "batch_interval", "1ms");
    em_engine_set(e, "max_batch_records", "3");
    em_schema *s = schema3();
    const char *opts[] = {"path", in, NULL};
    em_stream *st = em_source(e, "r", "file", s, opts);
    em_schema_destroy(s);
    CHECK_EQ_INT(em_source_watermark(st, "ts", 0), 0);
    em_stream *sil = em_silence(st, "device_id", "ts", 60 * EM_USEC_PER_SEC);
    CHECK(sil != NULL);
    const char *o[] = {"path", out, NULL};
    CHECK_EQ_INT(em_sink(sil, "out", "file", o), 0);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    char p[256], buf[1024] = {0};
    path(p, "silent.jsonl");
    FILE *f = fopen(p, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    /* q: silent 60 s after its last reading at 10 s; back at 125 s */
    CHECK(strstr(buf, "{\"device_id\":\"q\",\"last_seen\":\"1970-01-01T00:00:10.000Z\","
                      "\"silent_since\":\"1970-01-01T00:01:10.000Z\",\"status\":\"SILENT\"}") != NULL);
    CHECK(strstr(buf, "\"device_id\":\"q\",\"last_seen\":\"1970-01-01T00:02:05.000Z\"") != NULL);
    CHECK(strstr(buf, "\"status\":\"BACK\"") != NULL);
    CHECK(strstr(buf, "\"device_id\":\"w\",\"last_seen\":\"1970-01-01T00:01") == NULL);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ember-src-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(directory_source_reads_every_file_in_order);
    RUN(follow_reads_a_growing_file_until_stopped);
    RUN(idle_source_stops_holding_the_watermark);
    RUN(several_sinks_each_get_every_row);
    RUN(processing_time_window_counts_rows_per_batch_time);
    RUN(silent_device_detected_without_its_own_input);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!getenv("EMBER_KEEP_TEST_DIR") && system(cmd) != 0)
        return 1;
    return t_done();
}
