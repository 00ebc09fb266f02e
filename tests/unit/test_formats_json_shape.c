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
#include "formats/scan.h"
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
static void check_variant_nf(const char *learn_rec, uint32_t nf, const char *v, int expect_hit)
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
    CHECK(f.r->shape && f.r->shape->nf == nf);
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

static void check_variant_with(const char *learn_rec, const char *v, int expect_hit)
{
    check_variant_nf(learn_rec, 7, v, expect_hit);
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
    /* the same length under another key: not the field */
    snprintf(rec, sizeof rec,
             "{\"dex\":\"%s\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":1.5,\"skip\":1,"
             "\"n\":2,\"t2\":3,\"s\":\"%s\"}",
             variants[0], variants[0]);
    check_variant_with(learn, rec, 0);
    snprintf(rec, sizeof rec,
             "{\"dev\":\"%s\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"v\":1.5,\"skip\":1,"
             "\"n\":2,\"t2\":3,\"z\":\"%s\"}",
             variants[0], variants[0]);
    check_variant_with(learn, rec, 0);
}

/* A record whose unread fields come in runs: p1..p3 and s1 before v (a
 * span opening with the closing quote of ts, ending with v's literal), q1
 * and q2 before the closing brace (a span ending with a number and '}'). */
#define SPAN_REC(p1, p2, s1, p3, q1, q2)                                                          \
    "{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":" p1 ",\"p2\":" p2            \
    ",\"s1\":" s1 ",\"p3\":" p3 ",\"v\":14.5,\"q1\":" q1 ",\"q2\":" q2 "}"
static const char span_learn[] = SPAN_REC("1.5", "-20", "\"abc\"", "0.25", "7", "8.5");

static void check_span(const char *v, int expect_hit)
{
    check_variant_nf(span_learn, 9, v, expect_hit);
}

/* Where the CPU has AVX-512 (em__scan_level() 3), runs of unread fields
 * are checked in one pass (json_span.c); elsewhere field by field. Both
 * must give what the general parser gives. */
TEST(shape_spans)
{
    em_schema *s = shape_schema();
    sfx f;
    sfx_init(&f, s, 16);
    CHECK_EQ_INT(em_reader_parse(f.r, span_learn, strlen(span_learn), &f.bb, &f.err), 0);
    CHECK(f.r->shape && f.r->shape->nf == 9);
    if (em__scan_level() >= 3) { /* the two runs became spans */
        CHECK_EQ_INT(f.r->shape->nspan, 2);
        CHECK_EQ_INT(f.r->shape->span[0].quote1, 1);
        CHECK_EQ_INT(f.r->shape->span[0].nnum, 3);
        CHECK_EQ_INT(f.r->shape->span[1].after, 0);
        size_t at = (size_t)(strstr(span_learn, ",\"q1\"") - span_learn);
        CHECK_EQ_INT(em__span_match(&f.r->shape->span[1], span_learn + at, strlen(span_learn) - at),
                     strlen(span_learn) - at);
        at = (size_t)(strstr(span_learn, "\",\"p1\"") - span_learn) + 1;
        CHECK_EQ_INT(em__span_match(&f.r->shape->span[0], span_learn + at, strlen(span_learn) - at),
                     (size_t)(strstr(span_learn, "14.5") - span_learn) - at);
        /* too few quotes, or none, in reach: no match */
        static const char cut[] = ",\"q1\":4,\"q2";
        char none[200];
        memset(none, '7', sizeof none);
        CHECK_EQ_INT(em__span_match(&f.r->shape->span[1], cut, sizeof cut - 1), 0);
        CHECK_EQ_INT(em__span_match(&f.r->shape->span[1], none, sizeof none), 0);
        CHECK_EQ_INT(em__span_match(&f.r->shape->span[0], none, sizeof none), 0);
        CHECK_EQ_INT(em__span_match(&f.r->shape->span[1], none, 0), 0);
    } else {
        CHECK_EQ_INT(f.r->shape->nspan, 0);
    }
    sfx_release(&f);
    em_schema_destroy(s);

    /* the same shape, other values: matched */
    check_span(SPAN_REC("-0.0", "123456789012345678901234", "\"\"", "0", "-1", "99999.125"), 1);
    check_span(SPAN_REC("0", "9", "\"12.5:-3,\\u\"", "10", "0.5", "-0"), 0);
    check_span(SPAN_REC("1", "2", "\"a:1,\\\"b\\\":2.5\"", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"a:1,b-2.5 {x}\"", "3", "4", "5"), 1);
    /* longer than the span's 128 bytes: field by field, still matched */
    check_span(SPAN_REC("1", "2",
                        "\"a string long enough to push the span past one hundred and twenty-eight "
                        "bytes of input\"",
                        "3", "4", "5"),
               1);
    check_span(SPAN_REC("1", "2", "\"x\"", "3", "4", "5") "\r", 1);
    /* numbers the general parser refuses, in both spans */
    static const char *const bad_numbers[] = {"01", "1.", ".5", "-", "1.2.3", "--1", "1e5", "+1",
                                              "1E5", "0x10", "-01", "00", "1-2", "-.5", "",
                                              "1 ", " 1", "1..2", "0.", "2.-1"};
    for (size_t i = 0; i < sizeof bad_numbers / sizeof bad_numbers[0]; i++) {
        char rec[512];
        const char *b = bad_numbers[i];
        snprintf(rec, sizeof rec, SPAN_REC("%s", "2", "\"x\"", "3", "4", "5"), b);
        check_span(rec, 0);
        snprintf(rec, sizeof rec, SPAN_REC("1", "2", "\"x\"", "%s", "4", "5"), b);
        check_span(rec, 0);
        snprintf(rec, sizeof rec, SPAN_REC("1", "2", "\"x\"", "3", "4", "%s"), b);
        check_span(rec, 0);
    }
    /* other kinds and layouts in a span: the general parser decides */
    check_span(SPAN_REC("1", "2", "5", "3", "4", "5"), 0);
    check_span(SPAN_REC("\"1\"", "2", "\"x\"", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"x\"", "3", "4", "\"5\""), 0);
    check_span(SPAN_REC("1", "2", "\"a\\\"b\"", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"a\tb\"", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"d\xc3\xa9v\"", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"d\xff\"", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "null", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "true", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "{\"a\":1}", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "[1,2]", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"x\"", "3", "[4]", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"x\"", "3", "4", "5 "), 0);
    check_span(SPAN_REC("1", "2", "\"x\"", "3", "4", "{}"), 0);
    check_span(SPAN_REC(" 1", "2", "\"x\"", "3", "4", "5"), 0);
    check_span(SPAN_REC("1", "2", "\"x\"", "3", "4", "5") "x", 0);
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p2\":2,\"s1\":\"x\","
               "\"p3\":3,\"v\":14.5,\"q1\":4}",
               0);
    /* a number moved out of its place: as many numbers, same bytes around */
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p2\":,5\"s1\":\"x\","
               "\"p3\":3,\"v\":14.5,\"q1\":4,\"q2\":5}",
               0);
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p2\":2,\"s1\":\"x\","
               "\"p3\":3,\"v\":14.5,\"q1\":,\"q2\"4:5}",
               0);
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p7\":2,\"s1\":\"x\","
               "\"p3\":3,\"v\":14.5,\"q1\":4,\"q2\":5}",
               0);
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p2\":2,\"s1\":\"x\","
               "\"p3\":3,\"v\":14.5,\"q1\":4,\"q2\":5,\"q3\":6}",
               0);
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p2\":2,\"s1\":\"x\","
               "\"p3\":3,\"v\":14.5,\"q1\":4,\"q2\":5",
               0);
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p2\":2,\"s1\":\"x\","
               "\"p3\":3,\"v\":14.5,\"q1\":4,\"q2\":",
               0);
    check_span("{\"dev\":\"a-1\",\"ts\":\"2024-05-01T00:00:01.500Z\",\"p1\":1,\"p2\":2,\"s1\":\"x\","
               "\"p3\":3,\"v\":\"14.5\",\"q1\":4,\"q2\":5}",
               0);
}

/* A span that stops matching for good is left to the fields: after
 * EM__SPAN_GIVEUP misses in a row, records are read field by field. */
TEST(shape_span_gives_up)
{
    if (em__scan_level() < 3)
        return;
    em_schema *s = shape_schema();
    sfx f;
    em_reader_lines got;
    sfx_init(&f, s, 256);
    /* s1 is now 140 bytes long: past the first span's reach */
    char big[160];
    memset(big, 'x', sizeof big);
    big[0] = big[141] = '"', big[142] = 0;
    char rec[512];
    snprintf(rec, sizeof rec, SPAN_REC("1", "2", "%s", "3", "4", "5") "\n", big);
    CHECK_EQ_INT(em_reader_parse(f.r, span_learn, strlen(span_learn), &f.bb, &f.err), 0);
    CHECK_EQ_INT(em_batch_builder_end_row(&f.bb), 0);
    CHECK_EQ_INT(f.r->shape->nspan, 2);
    size_t rl = strlen(rec);
    char *in = malloc(100 * rl + 1);
    for (int i = 0; i < 100; i++)
        memcpy(in + (size_t)i * rl, rec, rl);
    CHECK_EQ_INT(em_reader_parse_lines(f.r, in, 100 * rl, 200, 4096, &f.bb, &got), 0);
    CHECK_EQ_INT(got.rows, 100);
    CHECK_EQ_INT(f.r->shape->misses, 0);     /* every record matched the shape ... */
    CHECK_EQ_INT(f.r->shape->f[2].span, 0);  /* ... the first span given up: field by field */
    CHECK(f.r->shape->f[7].span != 0);       /* the other one still in use */
    CHECK_EQ_INT(f.r->shape->span[1].fails, 0);
    CHECK_EQ_DBL(f.bb.b->cols[2].v.f64[100], 14.5, 0);
    free(in);
    sfx_release(&f);
    em_schema_destroy(s);
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
    RUN(shape_spans);
    RUN(shape_span_gives_up);
    RUN(shape_lines_limits);
    RUN(shape_relearn);
    return t_done();
}
