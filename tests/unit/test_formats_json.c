/*
 * Unit tests for src/formats/json.c: the schema-guided NDJSON reader (types,
 * NULLs, skipping, escapes, UTF-8, bad records) and the JSON writer.
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"
#include "t.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A schema used by most tests: id BIGINT, pm25 DOUBLE, ok BOOLEAN,
 * name TEXT, ts TIMESTAMP. */
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
    CHECK_EQ_INT(em_reader_create(&f->r, "json", f->s, ts_unit, &f->err), 0);
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

TEST(json_every_type)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "{\"id\": 42, \"pm25\": 12.5, \"ok\": true, \"name\": \"dev-1\","
                           " \"ts\": \"2024-05-01T12:00:00Z\"}"),
                 0);
    CHECK_EQ_INT(f.bb.b->nrows, 1);
    CHECK_EQ_INT(col(&f, 0)->v.i64[0], 42);
    CHECK_EQ_DBL(col(&f, 1)->v.f64[0], 12.5, 0);
    CHECK_EQ_INT(col(&f, 2)->v.b[0], 1);
    CHECK(text_eq(&f, 3, 0, "dev-1", 5));
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], INT64_C(1714564800000000));
    /* keys are case-insensitive, order is free, negative and false */
    CHECK_EQ_INT(parse(&f, "{\"OK\":false,\"ID\":-9223372036854775808,\"Pm25\":-0.25}"), 0);
    CHECK_EQ_INT(col(&f, 0)->v.i64[1], INT64_MIN);
    CHECK_EQ_DBL(col(&f, 1)->v.f64[1], -0.25, 0);
    CHECK_EQ_INT(col(&f, 2)->v.b[1], 0);
    CHECK(!is_null(&f, 2, 1));
    /* integral fraction into BIGINT is accepted, number into TEXT keeps its text */
    CHECK_EQ_INT(parse(&f, "{\"id\":5.0,\"name\":1.50e3}"), 0);
    CHECK_EQ_INT(col(&f, 0)->v.i64[2], 5);
    CHECK(text_eq(&f, 3, 2, "1.50e3", 6));
    fx_release(&f);
}

TEST(json_nulls_missing_extra_nested)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "{\"id\":null,\"extra\":{\"a\":[1,{\"b\":\"}\"},[]],\"c\":null},"
                           "\"arr\":[true,false,null,\"x\\\"]\"],\"pm25\":1}"),
                 0);
    CHECK(is_null(&f, 0, 0));
    CHECK_EQ_DBL(col(&f, 1)->v.f64[0], 1.0, 0);
    CHECK(is_null(&f, 2, 0));
    CHECK(is_null(&f, 3, 0));
    CHECK(is_null(&f, 4, 0));
    CHECK_EQ_INT(parse(&f, "{}"), 0);
    CHECK_EQ_INT(f.bb.b->nrows, 2);
    for (uint32_t c = 0; c < 5; c++)
        CHECK(is_null(&f, c, 1));
    /* empty and whitespace-only lines are skipped, not rows */
    CHECK_EQ_INT(parse(&f, ""), EM_EOF);
    CHECK_EQ_INT(parse(&f, "  \t\r"), EM_EOF);
    CHECK_EQ_INT(f.bb.b->nrows, 2);
    /* a repeated key keeps its first value */
    CHECK_EQ_INT(parse(&f, "{\"id\":1,\"id\":null}"), 0);
    CHECK_EQ_INT(col(&f, 0)->v.i64[2], 1);
    CHECK(!is_null(&f, 0, 2));
    /* an empty key names no column (it was once read into the first) */
    fx_release(&f);
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "{\"\":5,\"pm25\":2}"), 0);
    CHECK(is_null(&f, 0, 0));
    CHECK_EQ_DBL(col(&f, 1)->v.f64[0], 2.0, 0);
    fx_release(&f);
}

TEST(json_string_escapes)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"a\\\"b\\\\c\\/d\\n\\t\\r\\b\\f\"}"), 0);
    CHECK(text_eq(&f, 3, 0, "a\"b\\c/d\n\t\r\b\f", 12));
    /* \u escapes: ASCII, 2-byte, 3-byte and a surrogate pair (U+1F600) */
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"}"), 0);
    CHECK(text_eq(&f, 3, 1, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10));
    /* raw UTF-8 passes through; escaped key matches */
    CHECK_EQ_INT(parse(&f, "{\"n\\u0061me\":\"caf\xc3\xa9 \xe2\x82\xac\"}"), 0);
    CHECK(text_eq(&f, 3, 2, "caf\xc3\xa9 \xe2\x82\xac", 9));
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\"}"), 0);
    CHECK(text_eq(&f, 3, 3, "", 0));
    fx_release(&f);
}

TEST(json_bad_strings)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\\ud83d\"}"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "surrogate") != NULL);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\\ude00x\"}"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "surrogate") != NULL);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\\u12G4\"}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\\x\"}"), EM_EPARSE);
    /* invalid UTF-8: stray continuation, overlong, encoded surrogate, truncated */
    CHECK_EQ_INT(parse(&f, "{\"name\":\"a\x80\"}"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "invalid JSON: invalid UTF-8 in string at byte 10");
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\xc0\xaf\"}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\xed\xa0\x80\"}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"\xe2\x82\"}"), EM_EPARSE);
    /* also inside skipped values */
    CHECK_EQ_INT(parse(&f, "{\"zz\":[\"\xff\"]}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"tab\there\"}"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "control character") != NULL);
    CHECK_EQ_INT(f.bb.b->nrows, 0);
    fx_release(&f);
}

TEST(json_bad_records_and_reasons)
{
    fx f;
    fx_init(&f, NULL);
    CHECK_EQ_INT(parse(&f, "{\"id\":1,\"pm25\":\"high\"}"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "field \"pm25\": expected DOUBLE, got string at byte 15");
    CHECK_EQ_INT(parse(&f, "{\"id\":1.5}"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "field \"id\": expected BIGINT, got non-integral number at byte 6");
    CHECK_EQ_INT(parse(&f, "{\"id\":9223372036854775808}"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "field \"id\": BIGINT out of range at byte 6");
    CHECK_EQ_INT(parse(&f, "{\"ok\":1}"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "field \"ok\": expected BOOLEAN, got number at byte 6");
    CHECK_EQ_INT(parse(&f, "{\"id\":true}"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "field \"id\": expected BIGINT, got boolean at byte 6");
    CHECK_EQ_INT(parse(&f, "{\"name\":{\"a\":1}}"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "field \"name\": expected TEXT, got object at byte 8");
    CHECK_EQ_INT(parse(&f, "{\"ts\":\"yesterday\"}"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "field \"ts\": invalid timestamp \"yesterday\" at byte 6") != NULL);
    /* invalid JSON */
    CHECK_EQ_INT(parse(&f, "{\"id\":1} x"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "invalid JSON: trailing characters after the object at byte 9");
    CHECK_EQ_INT(parse(&f, "{\"name\":\"abc"), EM_EPARSE);
    CHECK_EQ_STR(f.err.msg, "invalid JSON: unterminated string at byte 12");
    CHECK_EQ_INT(parse(&f, "[1,2]"), EM_EPARSE);
    CHECK(strstr(f.err.msg, "expected '{'") != NULL);
    CHECK(strstr(f.err.msg, "at byte 0") != NULL);
    CHECK_EQ_INT(parse(&f, "{\"id\":1,}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"id\" 1}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"id\":01}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"id\":-}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"id\":nul}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"x\":[1,2}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"id\":1"), EM_EPARSE);
    /* a bad record leaves the builder unchanged: the next good row is row 0
     * and the text column holds only the good value */
    CHECK_EQ_INT(parse(&f, "{\"name\":\"garbage\",\"id\":\"x\"}"), EM_EPARSE);
    CHECK_EQ_INT(f.bb.b->nrows, 0);
    CHECK_EQ_INT(parse(&f, "{\"name\":\"good\"}"), 0);
    CHECK_EQ_INT(f.bb.b->nrows, 1);
    CHECK(text_eq(&f, 3, 0, "good", 4));
    CHECK(is_null(&f, 0, 0));
    CHECK_EQ_INT(col(&f, 3)->data_len, 4);
    /* deep nesting is refused, not a stack overflow */
    char deep[400];
    size_t k = 0;
    k += (size_t)sprintf(deep, "{\"x\":");
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    for (int i = 0; i < 100; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    deep[k] = 0;
    CHECK_EQ_INT(parse(&f, deep), EM_EPARSE);
    CHECK(strstr(f.err.msg, "nesting too deep") != NULL);
    fx_release(&f);
}

TEST(json_timestamps_and_units)
{
    fx f;
    fx_init(&f, NULL); /* ms */
    CHECK_EQ_INT(parse(&f, "{\"ts\":1714564800000}"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], INT64_C(1714564800000000));
    CHECK_EQ_INT(parse(&f, "{\"ts\":\"2024-05-01T14:00:00.250+02:00\"}"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[1], INT64_C(1714564800250000));
    CHECK_EQ_INT(parse(&f, "{\"ts\":1.5}"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[2], 1500);
    CHECK_EQ_INT(parse(&f, "{\"ts\":true}"), EM_EPARSE);
    CHECK_EQ_INT(parse(&f, "{\"ts\":99999999999999999999}"), EM_EPARSE);
    fx_release(&f);

    fx_init(&f, "s");
    CHECK_EQ_INT(parse(&f, "{\"ts\":1714564800}"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], INT64_C(1714564800000000));
    CHECK_EQ_INT(parse(&f, "{\"ts\":1714564800.25}"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[1], INT64_C(1714564800250000));
    fx_release(&f);

    fx_init(&f, "us");
    CHECK_EQ_INT(parse(&f, "{\"ts\":-1000}"), 0);
    CHECK_EQ_INT(col(&f, 4)->v.i64[0], -1000);
    fx_release(&f);

    em_schema *s = test_schema();
    em_reader *r = NULL;
    em_errbuf err;
    CHECK_EQ_INT(em_reader_create(&r, "json", s, "hours", &err), EM_EINVAL);
    CHECK(strstr(err.msg, "hours") != NULL);
    CHECK_EQ_INT(em_reader_create(&r, "xml", s, NULL, &err), EM_EINVAL);
    CHECK(r == NULL);
    em_schema_destroy(s);
}

TEST(json_doubles_exact)
{
    static const char *const lits[] = {"0.1",
                                       "1e-300",
                                       "123456789.123",
                                       "2.2250738585072014e-308",
                                       "1.7976931348623157e308",
                                       "-0.0",
                                       "3.141592653589793",
                                       "9007199254740993",
                                       "0.30000000000000004",
                                       "5e-324"};
    fx f;
    fx_init(&f, NULL);
    for (uint32_t i = 0; i < sizeof lits / sizeof *lits; i++) {
        char line[128];
        snprintf(line, sizeof line, "{\"pm25\":%s}", lits[i]);
        CHECK_EQ_INT(parse(&f, line), 0);
        double want = strtod(lits[i], NULL);
        CHECK(memcmp(&col(&f, 1)->v.f64[i], &want, sizeof want) == 0);
    }
    /* a token longer than the stack copy goes through the heap path */
    const char *lng = "0.100000000000000000000000000000000000000000000000000000000000000000001";
    char line[160];
    snprintf(line, sizeof line, "{\"pm25\":%s}", lng);
    CHECK_EQ_INT(parse(&f, line), 0);
    CHECK(col(&f, 1)->v.f64[10] == strtod(lng, NULL));
    fx_release(&f);
}

/* Builds a batch with the test schema from the given NDJSON lines. */
static em_batch *build(fx *f, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(parse(f, lines[i]), 0);
    return em_batch_builder_finish(&f->bb);
}

TEST(json_writer_output)
{
    static const char *const in[] = {
        "{\"id\":1,\"pm25\":0.1,\"ok\":true,\"name\":\"q\\\"b\\\\s\\n\\u0001\",\"ts\":0}",
        "{\"id\":-7,\"pm25\":1e-300,\"ok\":false,\"name\":\"\\u00e9\",\"ts\":1714564800123}",
        "{\"pm25\":123456789.123}",
        "{\"pm25\":100}",
    };
    fx f;
    fx_init(&f, NULL);
    em_batch *b = build(&f, in, 4);
    em_writer *w = NULL;
    em_buf out;
    em_buf_init(&out, 1 << 20);
    CHECK_EQ_INT(em_writer_create(&w, "json", f.s, &f.err), 0);
    CHECK_EQ_INT(em_writer_write(w, b, &out), 0);
    CHECK_EQ_STR(out.ptr,
                 "{\"id\":1,\"pm25\":0.1,\"ok\":true,\"name\":\"q\\\"b\\\\s\\n\\u0001\","
                 "\"ts\":\"1970-01-01T00:00:00.000Z\"}\n"
                 "{\"id\":-7,\"pm25\":1e-300,\"ok\":false,\"name\":\"\xc3\xa9\","
                 "\"ts\":\"2024-05-01T12:00:00.123Z\"}\n"
                 "{\"id\":null,\"pm25\":123456789.123,\"ok\":null,\"name\":null,\"ts\":null}\n"
                 "{\"id\":null,\"pm25\":100,\"ok\":null,\"name\":null,\"ts\":null}\n");
    /* the selection vector is honoured; NaN and Inf become null */
    uint32_t sel[] = {1};
    b->sel = sel;
    b->nsel = 1;
    b->cols[1].v.f64[1] = NAN;
    em_buf_reset(&out);
    CHECK_EQ_INT(em_writer_write(w, b, &out), 0);
    CHECK_EQ_STR(out.ptr, "{\"id\":-7,\"pm25\":null,\"ok\":false,\"name\":\"\xc3\xa9\","
                          "\"ts\":\"2024-05-01T12:00:00.123Z\"}\n");
    b->cols[1].v.f64[1] = INFINITY;
    em_buf_reset(&out);
    CHECK_EQ_INT(em_writer_write(w, b, &out), 0);
    CHECK(strstr(out.ptr, "\"pm25\":null") != NULL);
    /* a capped buffer reports the limit instead of growing */
    em_buf small;
    em_buf_init(&small, 10);
    CHECK_EQ_INT(em_writer_write(w, b, &small), EM_ELIMIT);
    em_buf_release(&small);
    em_writer_destroy(w);
    em_buf_release(&out);
    fx_release(&f);
}

TEST(json_double_roundtrip_through_writer)
{
    static const double vals[] = {0.1,
                                  1e-300,
                                  123456789.123,
                                  1.0 / 3.0,
                                  2.0 / 3.0 * 1e17,
                                  -4.9406564584124654e-324,
                                  1.7976931348623157e308};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        char buf[32];
        size_t n = em__fmt_double(vals[i], buf);
        CHECK(n > 0);
        CHECK(strtod(buf, NULL) == vals[i]);
        /* shortest: one digit fewer does not round-trip (unless 15 sufficed) */
        char shorter[32];
        int prec = 0;
        for (int p = 15; p <= 17; p++) {
            snprintf(shorter, sizeof shorter, "%.*g", p, vals[i]);
            if (strcmp(shorter, buf) == 0) {
                prec = p;
                break;
            }
        }
        CHECK(prec != 0);
        if (prec > 15) {
            snprintf(shorter, sizeof shorter, "%.*g", prec - 1, vals[i]);
            CHECK(strtod(shorter, NULL) != vals[i]);
        }
    }
    char buf[32];
    CHECK_EQ_INT(em__fmt_double(0.1, buf), 3);
    CHECK_EQ_STR(buf, "0.1");
    CHECK_EQ_INT(em__fmt_double(NAN, buf), 0);
}

TEST(json_builder_full)
{
    fx f;
    memset(&f, 0, sizeof f);
    f.s = test_schema();
    em_arena_init(&f.a, 0);
    CHECK_EQ_INT(em_reader_create(&f.r, "JSON", f.s, "ms", &f.err), 0);
    CHECK_EQ_INT(em_batch_builder_init(&f.bb, f.s, 2, &f.a), 0);
    CHECK_EQ_INT(parse(&f, "{\"id\":1}"), 0);
    CHECK_EQ_INT(parse(&f, "{\"id\":2}"), 0);
    CHECK_EQ_INT(parse(&f, "{\"id\":3}"), EM_ELIMIT);
    CHECK_EQ_INT(f.bb.b->nrows, 2);
    fx_release(&f);
}

TEST(json_out_of_memory)
{
    em_schema *s = test_schema();
    em_reader *r = NULL;
    em_writer *w = NULL;
    em_errbuf err;
    em_mem_fail_after(1);
    CHECK_EQ_INT(em_reader_create(&r, "json", s, NULL, &err), EM_ENOMEM);
    CHECK(r == NULL);
    em_mem_fail_after(1);
    CHECK_EQ_INT(em_writer_create(&w, "csv", s, &err), EM_ENOMEM);
    CHECK(w == NULL);
    em_mem_fail_after(0);
    em_schema_destroy(s);
}

int main(void)
{
    RUN(json_every_type);
    RUN(json_nulls_missing_extra_nested);
    RUN(json_string_escapes);
    RUN(json_bad_strings);
    RUN(json_bad_records_and_reasons);
    RUN(json_timestamps_and_units);
    RUN(json_doubles_exact);
    RUN(json_writer_output);
    RUN(json_double_roundtrip_through_writer);
    RUN(json_builder_full);
    RUN(json_out_of_memory);
    return t_done();
}
