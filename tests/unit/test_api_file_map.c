/*
 * The file source's mapped reading (src/connectors/file/file.c), through
 * the public API: a 3.8 MB file whose lines straddle the 1 MiB windows and
 * the pages, with CRLF and blank lines, bad records, an over-long line
 * across a window edge and a last line without its newline, read whole and
 * compared row by row; then read again in small batches stopped midway and
 * resumed from the checkpoint, which must give every row exactly once.
 */
#include "ember/ember.h"
#include "t.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NROWS 20000

static char dir[64];
static unsigned char want[NROWS]; /* 1: row n is in the file and valid */

static void path(char *buf, const char *name)
{
    snprintf(buf, 256, "%s/%s", dir, name);
}

/* Writes the input: row n is {"n":n,"pad":"..."} with 0-330 bytes of pad
 * (so lines fall across every window and page offset); some rows are CRLF,
 * some followed by a blank line, every 997th is a bad record, and an
 * over-long line (max_line is 4096) straddles the first window edge. */
static void write_input(void)
{
    char p[256], pad[400];
    path(p, "in.jsonl");
    FILE *f = fopen(p, "w");
    long long off = 0;
    int long_done = 0;
    for (int n = 0; n < NROWS; n++) {
        if (!long_done && off > 1024 * 1024 - 3000) {
            off += fprintf(f, "{\"n\":-1,\"pad\":\"");
            for (int k = 0; k < 6000; k++)
                fputc('x', f);
            off += 6000 + fprintf(f, "\"}\n");
            long_done = 1;
        }
        size_t plen = (size_t)((n * 7919u) % 331u);
        memset(pad, 'a' + n % 26, plen);
        pad[plen] = 0;
        if (n % 997 == 5) {
            off += fprintf(f, "{\"n\":%d,\"pad\":\"%s\" oops}\n", n, pad);
            continue;
        }
        want[n] = 1;
        const char *end = n == NROWS - 1 ? "" : n % 13 == 0 ? "\r\n" : n % 17 == 0 ? "\n\n" : "\n";
        off += fprintf(f, "{\"n\":%d,\"pad\":\"%s\"}%s", n, pad, end);
    }
    fclose(f);
}

/* Adds each row of the output file to seen[]; returns the rows read, or
 * -1 for a line that is not {"n":N,...} with N a row number. */
static int read_output(const char *name, int *seen)
{
    char p[256], line[1024];
    path(p, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        int n;
        if (sscanf(line, "{\"n\":%d", &n) != 1 || n < 0 || n >= NROWS) {
            fclose(f);
            return -1;
        }
        seen[n]++;
        rows++;
    }
    fclose(f);
    return rows;
}

static em_engine *job(const char *out, const char *ckpt)
{
    char in[256], o[256];
    path(in, "in.jsonl");
    path(o, out);
    em_engine *e = NULL;
    CHECK_EQ_INT(em_engine_create(&e), 0);
    em_engine_set(e, "log_level", "error");
    em_engine_set(e, "http", "off");
    if (ckpt) {
        char c[256];
        path(c, ckpt);
        em_engine_set(e, "checkpoint_dir", c);
        em_engine_set(e, "batch_interval", "5ms");
        /* 1,000 micro-batches, each logged before its output: the stop
         * comes midway through the file */
        em_engine_set(e, "max_batch_records", "20");
    }
    const char *names[] = {"n", "pad"};
    em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_TEXT};
    em_schema *s = em_schema_create(2, names, types);
    const char *opts[] = {"path", in, "max_line", "4096", NULL};
    em_stream *st = em_source(e, "in", "file", s, opts);
    em_schema_destroy(s);
    const char *so[] = {"path", o, NULL};
    CHECK_EQ_INT(em_sink(st, "out", "file", so), 0);
    return e;
}

static int check_once(const int *seen)
{
    int bad = 0;
    for (int n = 0; n < NROWS; n++)
        bad += seen[n] != want[n];
    return bad;
}

TEST(mapped_file_every_line_once)
{
    write_input();
    em_engine *e = job("all.jsonl", NULL);
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    static int seen[NROWS];
    int expect = 0;
    for (int n = 0; n < NROWS; n++)
        expect += want[n];
    CHECK_EQ_INT(read_output("all.jsonl", seen), expect);
    CHECK_EQ_INT(check_once(seen), 0);
}

static void *stop_soon(void *arg)
{
    usleep(60 * 1000);
    em_engine_request_stop(arg);
    return NULL;
}

TEST(mapped_file_resumes_mid_file_exactly_once)
{
    static int seen[NROWS];
    em_engine *e = job("resumed.jsonl", "ckpt");
    pthread_t th;
    pthread_create(&th, NULL, stop_soon, e);
    CHECK_EQ_INT(em_engine_run(e), 0);
    pthread_join(th, NULL);
    em_engine_destroy(e);
    int first = read_output("resumed.jsonl", seen);
    memset(seen, 0, sizeof seen);
    e = job("resumed.jsonl", "ckpt"); /* the rest, from the checkpoint */
    CHECK_EQ_INT(em_engine_run(e), 0);
    em_engine_destroy(e);
    int all = read_output("resumed.jsonl", seen);
    printf("    %d rows before the stop, %d in all\n", first, all);
    CHECK(first > 0 && first < all);
    CHECK_EQ_INT(check_once(seen), 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/ember-map-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(mapped_file_every_line_once);
    RUN(mapped_file_resumes_mid_file_exactly_once);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!getenv("EMBER_KEEP_TEST_DIR") && system(cmd) != 0)
        return 1;
    return t_done();
}
