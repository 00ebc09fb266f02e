/*
 * Unit tests for src/formats/json_shape.c and em_reader_parse_lines: the
 * NDJSON reader's fast path for records shaped like the one before must
 * give exactly what the general parser gives, for records that match the
 * learnt shape and for every way a record can differ from it.
 *
 * The reference is a fresh reader per record: a reader's first record is
 * always read by the general parser (there is no shape yet).
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"
#include "t.h"

#include <stdlib.h>
#include <string.h>

static em_schema *shape_schema(void)
{
    static const char *const names[] = {"dev", "ts", "v", "n", "t2", "flag"};
    static const em_type types[] = {EM_TYPE_TEXT,   EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE,
                                    EM_TYPE_BIGINT, EM_TYPE_TIMESTAMP, EM_TYPE_BOOLEAN};
    return em_schema_create(6, names, types);
}

/* The record the shape is learnt from. */
static const char learn_line[] =
    "{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3.25,\"n\":42,"
    "\"t2\":1767225600000,\"s\":\"x\"}";

/* A JSON reader and a builder of cap rows over schema s (borrowed). */
typedef struct sfx {
    em_reader *r;
    em_arena a;
    em_batch_builder bb;
    em_errbuf err;
} sfx;

static void sfx_init(sfx *f, const em_schema *s, uint32_t cap)
{
    f->r = NULL;
    em_arena_init(&f->a, 0);
    CHECK_EQ_INT(em_reader_create(&f->r, "json", s, NULL, &f->err), 0);
    CHECK_EQ_INT(em_batch_builder_init(&f->bb, s, cap, &f->a), 0);
}

static void sfx_release(sfx *f)
{
    em_reader_destroy(f->r);
    em_arena_release(&f->a);
}

/* Renders the rows of bb as NDJSON with the real writer. */
static char *render(const em_schema *s, em_batch_builder *bb)
{
    em_writer *w = NULL;
    em_errbuf err;
    em_buf out;
    em_buf_init(&out, 1 << 20);
    em_batch *b = em_batch_builder_finish(bb);
    CHECK_EQ_INT(em_writer_create(&w, "json", s, &err), 0);
    CHECK_EQ_INT(em_writer_write(w, b, &out), 0);
    em_writer_destroy(w);
    char *r = malloc(out.len + 1);
    memcpy(r, out.ptr ? out.ptr : "", out.len);
    r[out.len] = 0;
    em_buf_release(&out);
    return r;
}

/* The general parser's reading of one record: its row as NDJSON (or "")
 * and its return code and message. */
static char *reference(const em_schema *s, const char *rec, size_t n, int *rc, char *msg)
{
    sfx f;
    sfx_init(&f, s, 16);
    *rc = em_reader_parse(f.r, rec, n, &f.bb, &f.err);
    strcpy(msg, *rc && *rc != EM_EOF ? f.err.msg : "");
    char *out = render(s, &f.bb);
    sfx_release(&f);
    return out;
}

/* Reads "learn\nlearn\nV\nlearn\n" with em_reader_parse_lines and checks
 * that V gives what the general parser gives: the same row, or a stop at
 * V's line with the same message from em_reader_parse. With expect_hit,
 * V must also have matched the learnt shape (no miss counted). */
static void check_variant_with(const char *learn_rec, const char *v, int expect_hit)
{
    em_schema *s = shape_schema();
    sfx f;
    em_reader_lines got;
    char ref_msg[512], msg[512];
    int ref_rc;
    size_t vn = strlen(v);
    size_t vlen = vn && v[vn - 1] == '\r' ? vn - 1 : vn; /* what a line reader hands over */
    char *ref = reference(s, v, vlen, &ref_rc, ref_msg);
    char *ref_learn;
    int lrc;
    ref_learn = reference(s, learn_rec, strlen(learn_rec), &lrc, msg);
    CHECK_EQ_INT(lrc, 0);

    sfx_init(&f, s, 16);
    size_t ll = strlen(learn_rec);
    size_t len = 3 * (ll + 1) + vn + 1;
    char *in = malloc(len + 1);
    sprintf(in, "%s\n%s\n%s\n%s\n", learn_rec, learn_rec, v, learn_rec);
    int stop = em_reader_parse_lines(f.r, in, len, 100, 4096, &f.bb, &got);
    CHECK(f.r->shape && f.r->shape->nf == 7);
    if (ref_rc == 0 || ref_rc == EM_EOF) {
        CHECK_EQ_INT(stop, 0);
        CHECK_EQ_INT(got.used, len);
        CHECK_EQ_INT(got.lines, 4);
        CHECK_EQ_INT(got.rows, ref_rc == 0 ? 4 : 3);
        size_t rl = strlen(ref_learn);
        char *want = malloc(3 * rl + strlen(ref) + 1);
        sprintf(want, "%s%s%s%s", ref_learn, ref_learn, ref, ref_learn);
        char *out = render(s, &f.bb);
        CHECK_EQ_STR(out, want);
        free(out);
        free(want);
        if (expect_hit) CHECK_EQ_INT(f.r->shape->misses, 0);
    } else {
        CHECK_EQ_INT(stop, 1);
        CHECK_EQ_INT(got.rows, 2);
        CHECK_EQ_INT(got.lines, 2);
        CHECK_EQ_INT(got.used, 2 * (ll + 1));
        int rc = em_reader_parse(f.r, v, vlen, &f.bb, &f.err);
        CHECK_EQ_INT(rc, ref_rc);
        CHECK_EQ_STR(f.err.msg, ref_msg);
        CHECK_EQ_INT(f.bb.b->nrows, 2); /* the bad record left no row */
    }
    free(in);
    free(ref);
    free(ref_learn);
    sfx_release(&f);
    em_schema_destroy(s);
}

static void check_variant(const char *v, int expect_hit)
{
    check_variant_with(learn_line, v, expect_hit);
}

TEST(shape_same_shape_new_values)
{
    check_variant("{\"dev\":\"b-22\",\"ts\":\"2024-05-01T00:01:59.999Z\",\"v\":-0.5,\"skip\":1,"
                  "\"n\":-7,\"t2\":0,\"s\":\"\"}",
                  1);
    check_variant("{\"dev\":\"\",\"ts\":\"2024-05-02T23:59:60.000Z\",\"v\":0,\"skip\":-0.0,"
                  "\"n\":0,\"t2\":5,\"s\":\"a long skipped string that is longer than sixty-four "
                  "bytes, so the scanner goes past its first loop\"}",
                  1);
    check_variant("{\"dev\":\"c\",\"ts\":\"2024-05-01T00:00:01Z\",\"v\":1.25,\"skip\":2,\"n\":1,"
                  "\"t2\":1,\"s\":\"y\"}",
                  1);
    check_variant("{\"dev\":\"c\",\"ts\":\"2024-05-01T00:00:01.123456789Z\",\"v\":1.25,\"skip\":2,"
                  "\"n\":1,\"t2\":1,\"s\":\"y\"}",
                  1);
}

TEST(shape_other_layouts)
{
    /* keys in another order, a blank, a missing, an extra and a repeated
     * field, a key in other case, a boolean, whitespace around it */
    check_variant("{\"ts\":\"2024-05-01T00:00:01.500Z\",\"dev\":\"a-1\",\"v\":14.5,\"skip\":3.25,"
                  "\"n\":42,\"t2\":1767225600000,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\": \"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3.25,"
                  "\"n\":42,\"t2\":1767225600000,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3.25,"
                  "\"t2\":1767225600000,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3.25,"
                  "\"n\":42,\"t2\":1767225600000,\"s\":\"x\",\"flag\":true}",
                  0);
    check_variant("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"v\":3.25,"
                  "\"n\":42,\"t2\":1767225600000,\"s\":\"x\"}",
                  0);
    check_variant("{\"DEV\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3.25,"
                  "\"n\":42,\"t2\":1767225600000,\"s\":\"x\"}",
                  0);
    check_variant("  {\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3.25,"
                  "\"n\":42,\"t2\":1767225600000,\"s\":\"x\"}  ",
                  0);
    check_variant("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3.25,"
                  "\"n\":42,\"t2\":1767225600000,\"s\":\"x\"}\r",
                  1);
    check_variant("", 0);
    check_variant("{}", 0);
}

TEST(shape_other_values)
{
    /* values the fast path does not convert: the general parser decides */
    check_variant("{\"dev\":\"a\\\"b\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":42,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"d\xc3\xa9v\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":42,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":null,\"skip\":3,"
                  "\"n\":42,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":1e3,\"skip\":3e1,"
                  "\"n\":42,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":0.12345678901234567890,"
                  "\"skip\":3,\"n\":42,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":5,\"skip\":3,"
                  "\"n\":5.0,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01 00:00:01\",\"v\":5,\"skip\":3,"
                  "\"n\":5,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":1714521601500,\"v\":5,\"skip\":3,"
                  "\"n\":5,\"t2\":1,\"s\":\"x\"}",
                  0);
}

TEST(shape_bad_records)
{
    /* each is refused with the general parser's message */
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5x,\"skip\":3,"
                  "\"n\":42,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":03,"
                  "\"n\":42,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":012,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:61.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-13-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":12345678901234567890,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":1,\"t2\":9223372036854775,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}x",
                  0);
    check_variant("{\"dev\":\"a\tb\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\xff\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":14.5,\"skip\":3,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":-,\"skip\":3,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":1,\"skip\":,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}",
                  0);
    check_variant("{\"dev\":\"a\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":1,\"skip\":1.,"
                  "\"n\":1,\"t2\":1,\"s\":\"x\"}",
                  0);
}

/* Strings of 16-48 bytes are first tried at the length the field had last
 * time (one test, no scan): a string of that length with an escape, a
 * control or non-ASCII byte, or of another length, is still read right. */
TEST(shape_string_length_guess)
{
    static const char uuid_a[] = "4d2f9bec-f147-ea2e-2b1d-9872821fb0c5";
    static const char *const variants[] = {
        "d05bdfe1-71a9-193e-2ab9-2a5daa37b434",        /* same length: the guess */
        "d05bdfe1-71a9-193e-2ab9-2a5daa37b\\\"4",       /* an escape inside */
        "d05bdfe1-71a9-193e-2ab9-2a5daa37b43",         /* one shorter */
        "d05bdfe1-71a9-193e-2ab9-2a5daa37b4345",       /* one longer */
        "d05bdfe1-71a9-193e-2ab9-2a5daa37b4\xc3\xa9", /* non-ASCII, same bytes */
        "d05bdfe1-71a9-193e-2ab9\t2a5daa37b434",       /* a control byte */
    };
    char learn[512], rec[512];
    snprintf(learn, sizeof learn,
             "{\"dev\":\"%s\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":1.5,\"skip\":1,"
             "\"n\":2,\"t2\":3,\"s\":\"%s\"}",
             uuid_a, uuid_a);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        snprintf(rec, sizeof rec,
                 "{\"dev\":\"%s\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":1.5,\"skip\":1,"
                 "\"n\":2,\"t2\":3,\"s\":\"%s\"}",
                 variants[v], variants[v]);
        check_variant_with(learn, rec, v == 0);
    }
}

/* What em_reader_parse_lines leaves: a partial last line, a line over
 * max_line, the row limit. */
TEST(shape_lines_limits)
{
    em_schema *s = shape_schema();
    sfx f;
    em_reader_lines got;
    sfx_init(&f, s, 64);
    size_t ll = strlen(learn_line);
    char *in = malloc(8 * (ll + 1) + 1);
    in[0] = 0;
    for (int i = 0; i < 8; i++) {
        strcat(in, learn_line);
        strcat(in, "\n");
    }
    /* the last line without its newline stays */
    CHECK_EQ_INT(em_reader_parse_lines(f.r, in, 8 * (ll + 1) - 1, 100, 4096, &f.bb, &got), 0);
    CHECK_EQ_INT(got.rows, 7);
    CHECK_EQ_INT(got.used, 7 * (ll + 1));
    CHECK_EQ_INT(got.bytes, 7 * ll);
    /* at most max_rows */
    CHECK_EQ_INT(em_reader_parse_lines(f.r, in, 8 * (ll + 1), 3, 4096, &f.bb, &got), 0);
    CHECK_EQ_INT(got.rows, 3);
    CHECK_EQ_INT(got.used, 3 * (ll + 1));
    /* a line longer than max_line is the caller's, shape or not */
    CHECK_EQ_INT(em_reader_parse_lines(f.r, in, 8 * (ll + 1), 100, ll - 1, &f.bb, &got), 1);
    CHECK_EQ_INT(got.rows, 0);
    CHECK_EQ_INT(got.used, 0);
    CHECK_EQ_INT(f.bb.b->nrows, 10);
    free(in);
    sfx_release(&f);
    em_schema_destroy(s);
}

/* A stream whose shape changes for good is learnt again. */
TEST(shape_relearn)
{
    em_schema *s = shape_schema();
    sfx f;
    em_reader_lines got;
    static const char other[] = "{\"v\":1.5,\"dev\":\"z\"}\n";
    sfx_init(&f, s, 256);
    em_reader *r = f.r;
    em_batch_builder *bb = &f.bb;
    CHECK_EQ_INT(em_reader_parse(r, learn_line, strlen(learn_line), bb, &f.err), 0);
    CHECK(r->shape && r->shape->nf == 7);
    char in[64 * sizeof other];
    in[0] = 0;
    for (int i = 0; i < 40; i++)
        strcat(in, other);
    CHECK_EQ_INT(em_reader_parse_lines(r, in, strlen(in), 100, 4096, bb, &got), 0);
    CHECK_EQ_INT(got.rows, 40);
    CHECK(r->shape->nf == 2);      /* learnt again after EM__SHAPE_RELEARN misses */
    CHECK_EQ_INT(r->shape->misses, 0); /* and the last records matched it */
    CHECK_EQ_DBL(bb->b->cols[2].v.f64[40], 1.5, 0);
    em_slice t = em_column_text(&bb->b->cols[0], 40);
    CHECK(t.len == 1 && t.ptr[0] == 'z');
    CHECK(em_column_is_null(&bb->b->cols[1], 40));
    sfx_release(&f);
    em_schema_destroy(s);
}

int main(void)
{
    RUN(shape_same_shape_new_values);
    RUN(shape_other_layouts);
    RUN(shape_other_values);
    RUN(shape_bad_records);
    RUN(shape_string_length_guess);
    RUN(shape_lines_limits);
    RUN(shape_relearn);
    return t_done();
}
