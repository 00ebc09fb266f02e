/*
 * Unit tests for src/formats/csv.c: the positional RFC 4180 reader (header
 * skip, quoting, NULLs, conversions, bad records) and the CSV writer.
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"
#include "t.h"

#include <string.h>

/* id BIGINT, pm25 DOUBLE, ok BOOLEAN, name TEXT, ts TIMESTAMP */
static em_schema *test_schema(void)
{
    static const char *const names[] = {"id", "pm25", "ok", "name", "ts"};
    static const em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE, EM_TYPE_BOOLEAN, EM_TYPE_TEXT,
                                    EM_TYPE_TIMESTAMP};
    return em_schema_create(5, names, types);
}

typedef struct fx {
    em_schema *s;
    em_reader *r;
    em_arena a;
    em_batch_builder bb;
    em_errbuf err;
} fx;

static void fx_init(fx *f, const char *ts_unit)
{
    memset(f, 0, sizeof *f);
    f->s = test_schema();
    em_arena_init(&f->a, 0);
    CHECK_EQ_INT(em_reader_create(&f->r, "csv", f->s, ts_unit, &f->err), 0);
    CHECK_EQ_INT(em_batch_builder_init(&f->bb, f->s, 16, &f->a), 0);
}

static void fx_release(fx *f)
{
    em_reader_destroy(f->r);
    em_arena_release(&f->a);
    em_schema_destroy(f->s);
}

static int parse(fx *f, const char *line)
{
    return em_reader_parse(f->r, line, strlen(line), &f->bb, &f->err);
}

static const em_column *col(fx *f, uint32_t c)
{
    return &f->bb.b->cols[c];
}

static int is_null(fx *f, uint32_t c, uint32_t row)
{
    return em_column_is_null(col(f, c), row);
}

static int text_eq(fx *f, uint32_t c, uint32_t row, const char *want, size_t n)
{
    em_slice t = em_column_text(col(f, c), row);
    return !is_null(f, c, row) && t.len == n && memcmp(t.ptr, want, n) == 0;
}

TEST(csv_header_and_types)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "ID,PM25, ok ,Name,ts"), EM_EOF);
    CHECK_EQ_INT(f.bb.b->nrows, 0);
    CHECK_EQ_INT(parse(&f, "42,12.5,true,dev-1,2024-05-01T12:00:00Z"), 0);
    CHECK_EQ_INT(col(&f, 0)->v.i64[0], 42);
    CHECK_EQ_DBL(col(&f, 1)->v.f64[0], 12.5, 0);
    CHECK_EQ_INT(col(&f, 2)->v.b[0], 1);
    CHECK(text_eq(&f, 3, 0, "dev-1", 5));
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], INT64_C(1714564800000000));
    /* CRLF line ending, blanks around numbers, FALSE in any case, numeric ts (ms) */
    CHECK_EQ_INT(parse(&f, " -3 , 1e-300 ,FALSE, x y ,1714564800000\r"), 0);
    CHECK_EQ_INT(col(&f, 0)->v.i64[1], -3);
    CHECK(col(&f, 1)->v.f64[1] == 1e-300);
    CHECK_EQ_INT(col(&f, 2)->v.b[1], 0);
    CHECK(!is_null(&f, 2, 1));
    CHECK(text_eq(&f, 3, 1, " x y ", 5)); /* TEXT is kept verbatim */
    CHECK_EQ_INT(col(&f, 4)->v.i64[1], INT64_C(1714564800000000));
    CHECK_EQ_INT(parse(&f, "5.0,0.1,,123456789.123,"), 0);
    CHECK_EQ_INT(col(&f, 0)->v.i64[2], 5);
    CHECK(col(&f, 1)->v.f64[2] == 0.1);
    CHECK(text_eq(&f, 3, 2, "123456789.123", 13));
    CHECK(is_null(&f, 2, 2));
    CHECK(is_null(&f, 4, 2));
    /* a header that does not match the schema is data, and a bad record */
    CHECK_EQ_INT(parse(&f, "id,pm25,ok,label,ts"), EM_EPARSE);
    fx_release(&f);
}

TEST(csv_nulls_and_missing)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, ",,,,"), 0);
    for (uint32_t c = 0; c < 5; c++)
        CHECK(is_null(&f, c, 0));
    CHECK_EQ_INT(parse(&f, "7"), 0); /* fewer fields: the rest are NULL */
    CHECK_EQ_INT(col(&f, 0)->v.i64[1], 7);
    for (uint32_t c = 1; c < 5; c++)
        CHECK(is_null(&f, c, 1));
    CHECK_EQ_INT(parse(&f, ",,,\"\","), 0); /* quoted empty is an empty string */
    CHECK(text_eq(&f, 3, 2, "", 0));
    CHECK_EQ_INT(parse(&f, ""), EM_EOF);
    CHECK_EQ_INT(parse(&f, "   "), EM_EOF);
    CHECK_EQ_INT(f.bb.b->nrows, 3);
    fx_release(&f);
}

TEST(csv_quoting)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "1,2,true,\"a,b \"\"q\"\" c\",\"3\""), 0);
    CHECK(text_eq(&f, 3, 0, "a,b \"q\" c", 9));
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], 3000);
    CHECK_EQ_INT(parse(&f, "\"\"\"\",,,\"\"\"\""), EM_EPARSE); /* '"' into BIGINT */
    CHECK_EQ_INT(parse(&f, ",,,\"\"\"\""), 0);
    CHECK(text_eq(&f, 3, 1, "\"", 1));
    CHECK_EQ_INT(parse(&f, ",,,\"caf\xc3\xa9\""), 0);
    CHECK(text_eq(&f, 3, 2, "caf\xc3\xa9", 5));
    fx_release(&f);
}

TEST(csv_bad_records)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "1,high"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "column 2 (\"pm25\"): expected DOUBLE, got \"high\" at byte 2");
    CHECK_EQ_INT(parse(&f, "1.5"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg,
                 "column 1 (\"id\"): expected BIGINT, got non-integral number at byte 0");
    CHECK_EQ_INT(parse(&f, "1,2,yes"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg,
                 "column 3 (\"ok\"): expected BOOLEAN (true/false), got \"yes\" at byte 4");
    CHECK_EQ_INT(parse(&f, "1,2,true,x,soon"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "column 5 (\"ts\"): invalid timestamp \"soon\" at byte 11") != NULL);
    CHECK_EQ_INT(parse(&f, "1,2,true,x,,extra"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "invalid CSV: more fields than the 5 columns of the schema at byte 12");
    CHECK_EQ_INT(parse(&f, "1,2,true,\"open"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "unterminated quoted field starting at byte 9") != NULL);
    CHECK_EQ_INT(parse(&f, "1,2,true,\"a\"b"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "invalid CSV: unexpected character after closing quote at byte 12");
    CHECK_EQ_INT(parse(&f, "1,2,true,a\xff"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "column 4 (\"name\"): invalid UTF-8 at byte 10");
    CHECK_EQ_INT(parse(&f, "99999999999999999999"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "out of range") != NULL);
    /* nothing was added, and text from the bad rows is gone */
    CHECK_EQ_INT(f.bb.b->nrows, 0);
    CHECK_EQ_INT(parse(&f, "1,,,ok"), 0);
    CHECK(text_eq(&f, 3, 0, "ok", 2));
    CHECK_EQ_INT(col(&f, 3)->data_len, 2);
    fx_release(&f);
}

TEST(csv_timestamp_units)
{
    fx f;
    fx_init(&f, "s");
    CHECK_EQ_INT(parse(&f, ",,,,1714564800"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], INT64_C(1714564800000000));
    CHECK_EQ_INT(parse(&f, ",,,,2024-05-01 12:00:00.5"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[1], INT64_C(1714564800500000));
    fx_release(&f);
    fx_init(&f, "us");
    CHECK_EQ_INT(parse(&f, ",,,,1714564800000000"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], INT64_C(1714564800000000));
    fx_release(&f);
}

TEST(csv_writer_output)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "1,0.1,true,plain,0"), 0);
    CHECK_EQ_INT(parse(&f, "-2,123456789.123,false,\"a,b\",1714564800123"), 0);
    CHECK_EQ_INT(parse(&f, ",1e-300,,\"say \"\"hi\"\"\","), 0);
    CHECK_EQ_INT(parse(&f, ",,,\"\","), 0);
    em_batch *b = em_batch_builder_finish(&f.bb);
    em_schema *s1 = NULL;
    em_writer *w = NULL;
    em_buf out;
    em_buf_init(&out, 1 << 20);
    CHECK_EQ_INT(em_writer_create(&w, "csv", f.s, &f.err), 0);
    CHECK_EQ_INT(em_writer_write(w, b, &out), 0);
    CHECK_EQ_STR(out.ptr, "id,pm25,ok,name,ts\n"
                          "1,0.1,true,plain,1970-01-01T00:00:00.000Z\n"
                          "-2,123456789.123,false,\"a,b\",2024-05-01T12:00:00.123Z\n"
                          ",1e-300,,\"say \"\"hi\"\"\",\n"
                          ",,,\"\",\n");
    /* the header is written once per writer */
    uint32_t sel[] = {0};
    b->sel = sel;
    b->nsel = 1;
    em_buf_reset(&out);
    CHECK_EQ_INT(em_writer_write(w, b, &out), 0);
    CHECK_EQ_STR(out.ptr, "1,0.1,true,plain,1970-01-01T00:00:00.000Z\n");
    em_writer_destroy(w);

    /* quoting of header names, and of a newline inside TEXT (e.g. from JSON input) */
    static const char *const names[] = {"a,b", "t"};
    static const em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_TEXT};
    s1 = em_schema_create(2, names, types);
    em_batch_builder bb;
    CHECK_EQ_INT(em_batch_builder_init(&bb, s1, 4, &f.a), 0);
    em_batch_builder_set_i64(&bb, 0, 5);
    CHECK_EQ_INT(em_batch_builder_set_text(&bb, 1, "l1\nl2\r", 6), 0);
    CHECK_EQ_INT(em_batch_builder_end_row(&bb), 0);
    CHECK_EQ_INT(em_writer_create(&w, "csv", s1, &f.err), 0);
    em_buf_reset(&out);
    CHECK_EQ_INT(em_writer_write(w, em_batch_builder_finish(&bb), &out), 0);
    CHECK_EQ_STR(out.ptr, "\"a,b\",t\n5,\"l1\nl2\r\"\n");
    em_writer_destroy(w);
    em_schema_destroy(s1);
    em_buf_release(&out);
    fx_release(&f);
}

TEST(csv_roundtrip)
{
    /* what the writer emits, the reader reads back to the same values */
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "9,2.5e-7,true,\"x,\"\"y\"\"\",2024-05-01T12:00:00.123Z"), 0);
    CHECK_EQ_INT(parse(&f, ",,,\"\","), 0);
    em_batch *b = em_batch_builder_finish(&f.bb);
    em_writer *w = NULL;
    em_buf out;
    em_buf_init(&out, 1 << 20);
    CHECK_EQ_INT(em_writer_create(&w, "csv", f.s, &f.err), 0);
    CHECK_EQ_INT(em_writer_write(w, b, &out), 0);

    em_arena a2;
    em_arena_init(&a2, 0);
    em_batch_builder bb2;
    CHECK_EQ_INT(em_batch_builder_init(&bb2, f.s, 4, &a2), 0);
    const char *p = out.ptr;
    int rows = 0, eofs = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int rc = em_reader_parse(f.r, p, (size_t)(nl - p), &bb2, &f.err);
        if (rc == 0)
            rows++;
        else if (rc == EM_EOF)
            eofs++;
        p = nl + 1;
    }
    CHECK_EQ_INT(rows, 2);
    CHECK_EQ_INT(eofs, 1); /* the header */
    em_batch *b2 = em_batch_builder_finish(&bb2);
    CHECK_EQ_INT(b2->cols[0].v.i64[0], 9);
    CHECK(b2->cols[1].v.f64[0] == 2.5e-7);
    em_slice t = em_column_text(&b2->cols[3], 0);
    CHECK(t.len == 5 && memcmp(t.ptr, "x,\"y\"", 5) == 0);
    CHECK_EQ_INT(b2->cols[4].v.i64[0], INT64_C(1714564800123000));
    CHECK(em_column_is_null(&b2->cols[0], 1));
    CHECK(!em_column_is_null(&b2->cols[3], 1));
    CHECK_EQ_INT(em_column_text(&b2->cols[3], 1).len, 0);
    em_arena_release(&a2);
    em_writer_destroy(w);
    em_buf_release(&out);
    fx_release(&f);
}

int main(void)
{
    RUN(csv_header_and_types);
    RUN(csv_nulls_and_missing);
    RUN(csv_quoting);
    RUN(csv_bad_records);
    RUN(csv_timestamp_units);
    RUN(csv_writer_output);
    RUN(csv_roundtrip);
    return t_done();
}
