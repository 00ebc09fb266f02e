/*
 * Unit tests for src/formats/lineproto.c: the InfluxDB line protocol reader
 * (escapes, every field type into every column type, the measurement and
 * timestamp columns, precisions, comments, and bad lines with the byte).
 */
#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/mem.h"
#include "ember/error.h"
#include "formats/format.h"
#include "t.h"

#include <string.h>

/* measurement TEXT, host TEXT, i BIGINT, d DOUBLE, b BOOLEAN, s TEXT,
 * ts TIMESTAMP, at TIMESTAMP */
enum { C_MEAS, C_HOST, C_I, C_D, C_B, C_S, C_TS, C_AT };

static em_schema *test_schema(void)
{
    static const char *const names[] = {"measurement", "host", "i", "d", "b", "s", "ts", "at"};
    static const em_type types[] = {EM_TYPE_TEXT,      EM_TYPE_TEXT,     EM_TYPE_BIGINT,
                                    EM_TYPE_DOUBLE,    EM_TYPE_BOOLEAN,  EM_TYPE_TEXT,
                                    EM_TYPE_TIMESTAMP, EM_TYPE_TIMESTAMP};
    return em_schema_create(8, names, types);
}

typedef struct fx {
    em_schema *s;
    em_reader *r;
    em_arena a;
    em_batch_builder bb;
    em_errbuf err;
} fx;

static void fx_init(fx *f, const char *format, const char *ts_unit)
{
    memset(f, 0, sizeof *f);
    f->s = test_schema();
    em_arena_init(&f->a, 0);
    CHECK_EQ_INT(em_reader_create(&f->r, format, f->s, ts_unit, &f->err), 0);
    CHECK_EQ_INT(em_batch_builder_init(&f->bb, f->s, 64, &f->a), 0);
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

static int text_is(fx *f, uint32_t c, uint32_t row, const char *want)
{
    em_slice t = em_column_text(col(f, c), row);
    return !is_null(f, c, row) && t.len == strlen(want) && memcmp(t.ptr, want, t.len) == 0;
}

/* The line must be refused with a message containing want. */
static int refused(fx *f, const char *line, const char *want)
{
    uint32_t rows = f->bb.b->nrows;
    int rc = parse(f, line);
    if (rc != EM_EPARSE || !strstr(f->err.msg, want) || f->bb.b->nrows != rows) {
        printf("    line [%s]: rc %d, message \"%s\", wanted \"%s\"\n", line, rc, f->err.msg, want);
        return 0;
    }
    return 1;
}

TEST(lp_basic_mapping)
{
    fx f;
    fx_init(&f, "influx", NULL);
    CHECK_EQ_INT(parse(&f, "cpu,host=a i=42i,d=1.5,b=t,s=\"hi\" 1714564800123456789"), 0);
    CHECK(text_is(&f, C_MEAS, 0, "cpu"));
    CHECK(text_is(&f, C_HOST, 0, "a"));
    CHECK_EQ_INT(col(&f, C_I)->v.i64[0], 42);
    CHECK_EQ_DBL(col(&f, C_D)->v.f64[0], 1.5, 0);
    CHECK_EQ_INT(col(&f, C_B)->v.b[0], 1);
    CHECK(text_is(&f, C_S, 0, "hi"));
    /* nanoseconds truncate to the microsecond */
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[0], INT64_C(1714564800123456));
    CHECK(is_null(&f, C_AT, 0));
    /* no tags, no timestamp, names matched case-insensitively, unknown keys ignored */
    CHECK_EQ_INT(parse(&f, "mem D=2,Other=\"x\",I=7i"), 0);
    CHECK(text_is(&f, C_MEAS, 1, "mem"));
    CHECK(is_null(&f, C_HOST, 1));
    CHECK_EQ_DBL(col(&f, C_D)->v.f64[1], 2, 0);
    CHECK_EQ_INT(col(&f, C_I)->v.i64[1], 7);
    CHECK(is_null(&f, C_TS, 1));
    CHECK_EQ_INT(f.bb.b->nrows, 2);
    /* whether the last line had a timestamp (HTTP ingest stamps those without) */
    int64_t unit = 0;
    CHECK_EQ_INT(em__lp_had_timestamp(f.r, &unit), 0);
    CHECK_EQ_INT(unit, 1);
    CHECK_EQ_INT(parse(&f, "m d=1 5  "), 0);
    CHECK_EQ_INT(em__lp_had_timestamp(f.r, &unit), 1);
    fx_release(&f);
}

TEST(lp_alias_and_unknown_format)
{
    fx f;
    fx_init(&f, "line_protocol", NULL);
    CHECK_EQ_INT(parse(&f, "m d=1 5000"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[0], 5);
    fx_release(&f);
    em_schema *s = test_schema();
    em_reader *r = NULL;
    em_errbuf err;
    CHECK_EQ_INT(em_reader_create(&r, "influxdb", s, NULL, &err), EM_EINVAL);
    CHECK(strstr(err.msg, "'influx'") != NULL);
    CHECK_EQ_INT(em_reader_create(&r, "influx", s, "minutes", &err), EM_EINVAL);
    CHECK(strstr(err.msg, "'ns'") != NULL);
    CHECK_EQ_INT(em_reader_create(&r, "json", s, "ns", &err), EM_EINVAL);
    CHECK(strstr(err.msg, "'ns' is for format 'influx'") != NULL);
    em_writer *w = NULL;
    CHECK_EQ_INT(em_writer_create(&w, "influx", s, &err), EM_EINVAL);
    CHECK(strstr(err.msg, "only read") != NULL);
    em_schema_destroy(s);
}

TEST(lp_escapes)
{
    fx f;
    fx_init(&f, "influx", NULL);
    /* measurement: \, and \ ; tag keys and values: also \= ; \\ is one backslash */
    CHECK_EQ_INT(parse(&f, "my\\ meas\\,x,host=a\\ b\\,c\\=d s=\"q\\\"uo\\\\te\""), 0);
    CHECK(text_is(&f, C_MEAS, 0, "my meas,x"));
    CHECK(text_is(&f, C_HOST, 0, "a b,c=d"));
    CHECK(text_is(&f, C_S, 0, "q\"uo\\te"));
    /* a backslash before anything else is itself; \= is literal in a measurement */
    CHECK_EQ_INT(parse(&f, "a\\b\\=c,host=x\\y s=\"a\\nb\",d=1"), 0);
    CHECK(text_is(&f, C_MEAS, 1, "a\\b\\=c"));
    CHECK(text_is(&f, C_HOST, 1, "x\\y"));
    CHECK(text_is(&f, C_S, 1, "a\\nb"));
    /* two and three backslashes (the reference's examples) */
    CHECK_EQ_INT(parse(&f, "my\\\\measurement d=1"), 0);
    CHECK(text_is(&f, C_MEAS, 2, "my\\measurement"));
    CHECK_EQ_INT(parse(&f, "my\\\\\\measurement d=1"), 0);
    CHECK(text_is(&f, C_MEAS, 3, "my\\\\measurement"));
    /* escaped keys, and a string with commas, spaces and equals signs */
    CHECK_EQ_INT(parse(&f, "m,ho\\ st=1 s=\"a, b = c\",\\d=3"), 0);
    CHECK(is_null(&f, C_HOST, 4)); /* "ho st" is not a column */
    CHECK(text_is(&f, C_S, 4, "a, b = c"));
    CHECK(is_null(&f, C_D, 4)); /* "\d" is not "d" */
    /* UTF-8 in names and strings */
    CHECK_EQ_INT(parse(&f, "m\xc3\xa9,host=\xe2\x82\xac s=\"\xf0\x9f\x98\x80\""), 0);
    CHECK(text_is(&f, C_MEAS, 5, "m\xc3\xa9"));
    CHECK(text_is(&f, C_HOST, 5, "\xe2\x82\xac"));
    CHECK(text_is(&f, C_S, 5, "\xf0\x9f\x98\x80"));
    fx_release(&f);
}

TEST(lp_field_types)
{
    fx f;
    fx_init(&f, "influx", NULL);
    /* floats in every spelling into DOUBLE */
    const char *floats[] = {"d=1", "d=-1.5", "d=1.", "d=.25", "d=1e3", "d=1.5E-2", "d=-0.0"};
    const double want[] = {1, -1.5, 1, 0.25, 1000, 0.015, -0.0};
    for (uint32_t k = 0; k < 7; k++) {
        char line[64];
        snprintf(line, sizeof line, "m %s", floats[k]);
        CHECK_EQ_INT(parse(&f, line), 0);
        CHECK_EQ_DBL(col(&f, C_D)->v.f64[k], want[k], 0);
    }
    uint32_t r = 7;
    /* integers and unsigned into BIGINT and DOUBLE; the extremes */
    CHECK_EQ_INT(parse(&f, "m i=-9223372036854775808i,d=18446744073709551615u"), 0);
    CHECK_EQ_INT(col(&f, C_I)->v.i64[r], INT64_MIN);
    CHECK_EQ_DBL(col(&f, C_D)->v.f64[r], 18446744073709551615.0, 0);
    r++;
    CHECK_EQ_INT(parse(&f, "m i=9223372036854775807u,d=-3i"), 0);
    CHECK_EQ_INT(col(&f, C_I)->v.i64[r], INT64_MAX);
    CHECK_EQ_DBL(col(&f, C_D)->v.f64[r], -3, 0);
    r++;
    /* an integral float into BIGINT; numbers and booleans into TEXT keep their text */
    CHECK_EQ_INT(parse(&f, "m i=5.0,s=12.50"), 0);
    CHECK_EQ_INT(col(&f, C_I)->v.i64[r], 5);
    CHECK(text_is(&f, C_S, r, "12.50"));
    r++;
    CHECK_EQ_INT(parse(&f, "m s=42i"), 0);
    CHECK(text_is(&f, C_S, r, "42"));
    r++;
    CHECK_EQ_INT(parse(&f, "m s=T"), 0);
    CHECK(text_is(&f, C_S, r, "true"));
    r++;
    /* every boolean spelling */
    const char *bools[] = {"t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE"};
    for (int k = 0; k < 10; k++) {
        char line[32];
        snprintf(line, sizeof line, "m b=%s", bools[k]);
        CHECK_EQ_INT(parse(&f, line), 0);
        CHECK_EQ_INT(col(&f, C_B)->v.b[r], k < 5);
        r++;
    }
    /* an empty string is not NULL */
    CHECK_EQ_INT(parse(&f, "m s=\"\""), 0);
    CHECK(text_is(&f, C_S, r, ""));
    r++;
    /* the first value of a repeated key wins, a tag before a field */
    CHECK_EQ_INT(parse(&f, "m,s=tag s=\"field\",d=1,d=2"), 0);
    CHECK(text_is(&f, C_S, r, "tag"));
    CHECK_EQ_DBL(col(&f, C_D)->v.f64[r], 1, 0);
    r++;
    /* tags convert to their column's type like CSV fields */
    CHECK_EQ_INT(parse(&f, "m,i=17,d=2.5,b=FALSE,at=2024-05-01T00:00:00Z s=\"x\""), 0);
    CHECK_EQ_INT(col(&f, C_I)->v.i64[r], 17);
    CHECK_EQ_DBL(col(&f, C_D)->v.f64[r], 2.5, 0);
    CHECK_EQ_INT(col(&f, C_B)->v.b[r], 0);
    CHECK_EQ_INT(col(&f, C_AT)->v.i64[r], INT64_C(1714521600000000));
    r++;
    CHECK_EQ_INT(f.bb.b->nrows, r);
    fx_release(&f);
}

TEST(lp_timestamps)
{
    fx f;
    fx_init(&f, "influx", NULL);
    /* the line's timestamp goes to the first TIMESTAMP column no key set */
    CHECK_EQ_INT(parse(&f, "m d=1 1500"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[0], 1);
    CHECK(is_null(&f, C_AT, 0));
    CHECK_EQ_INT(parse(&f, "m ts=\"2024-05-01T00:00:00.5Z\" 2000"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[1], INT64_C(1714521600500000));
    CHECK_EQ_INT(col(&f, C_AT)->v.i64[1], 2);
    /* both set by keys: the line's timestamp is dropped; integer fields are ns */
    CHECK_EQ_INT(parse(&f, "m,ts=3000 at=4000i 9999"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[2], 3);
    CHECK_EQ_INT(col(&f, C_AT)->v.i64[2], 4);
    /* negative nanoseconds round down to the microsecond before */
    CHECK_EQ_INT(parse(&f, "m d=1 -1"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[3], -1);
    /* blanks: trailing spaces, CR, several spaces between sections */
    CHECK_EQ_INT(parse(&f, "m   d=1   7000  \r"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[4], 7);
    fx_release(&f);
    const char *units[] = {"ns", "us", "ms", "s"};
    const int64_t us[] = {0, 12, 12000, 12000000};
    for (int k = 0; k < 4; k++) {
        fx_init(&f, "influx", units[k]);
        CHECK_EQ_INT(parse(&f, "m d=1 12"), 0);
        CHECK_EQ_INT(col(&f, C_TS)->v.i64[0], us[k]);
        CHECK_EQ_INT(parse(&f, "m at=12i"), 0);
        CHECK_EQ_INT(col(&f, C_AT)->v.i64[1], us[k]);
        fx_release(&f);
    }
    fx_init(&f, "influx", "s");
    CHECK(refused(&f, "m d=1 9223372036854775", "timestamp out of range at byte 6"));
    fx_release(&f);
    /* 19 digits: the largest int64 and one past it, with and without a sign */
    fx_init(&f, "influx", NULL);
    CHECK_EQ_INT(parse(&f, "m d=1 9223372036854775807"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[0], INT64_C(9223372036854775));
    CHECK_EQ_INT(parse(&f, "m d=1 -9223372036854775807"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[1], INT64_C(-9223372036854776));
    CHECK_EQ_INT(parse(&f, "m d=1 0000000000000000001"), 0);
    CHECK_EQ_INT(col(&f, C_TS)->v.i64[2], 0);
    CHECK(refused(&f, "m d=1 9223372036854775808", "timestamp out of range at byte 6"));
    CHECK(refused(&f, "m d=1 9999999999999999999", "timestamp out of range"));
    CHECK(refused(&f, "m d=1 17145648001234567x9",
                  "invalid timestamp (expected an integer) at byte 23"));
    CHECK(refused(&f, "m d=1 1714564x", "invalid timestamp (expected an integer) at byte 13"));
    fx_release(&f);
}

TEST(lp_comments_and_blanks)
{
    fx f;
    fx_init(&f, "influx", NULL);
    CHECK_EQ_INT(parse(&f, "# a comment, d=1"), EM_EOF);
    CHECK_EQ_INT(parse(&f, "   # indented"), EM_EOF);
    CHECK_EQ_INT(parse(&f, ""), EM_EOF);
    CHECK_EQ_INT(parse(&f, "  \t \r"), EM_EOF);
    CHECK_EQ_INT(f.bb.b->nrows, 0);
    fx_release(&f);
}

TEST(lp_bad_lines)
{
    fx f;
    fx_init(&f, "influx", NULL);
    CHECK(refused(&f, "cpu", "missing field set (a line needs at least one field) at byte 3"));
    CHECK(refused(&f, ",host=a d=1", "missing measurement at byte 0"));
    CHECK(refused(&f, "cpu,host=a", "missing field set"));
    CHECK(refused(&f, "cpu,host d=1", "missing '=' after a tag key at byte 8"));
    CHECK(refused(&f, "cpu,=a d=1", "empty tag key at byte 4"));
    CHECK(refused(&f, "cpu,host= d=1", "empty tag value at byte 9"));
    CHECK(refused(&f, "cpu,host=a=b d=1", "unescaped '=' in a tag value"));
    CHECK(refused(&f, "cpu d", "missing '=' after a field key at byte 5"));
    CHECK(refused(&f, "cpu =1", "empty field key at byte 4"));
    CHECK(refused(&f, "cpu d=1,", "empty field key at byte 8"));
    CHECK(refused(&f, "cpu d=", "missing field value at byte 6"));
    CHECK(refused(&f, "cpu d=,i=1i", "missing field value at byte 6"));
    CHECK(refused(&f, "cpu d=abc", "invalid field value"));
    CHECK(refused(&f, "cpu b=yes", "invalid field value"));
    CHECK(refused(&f, "cpu b=truex", "invalid field value"));
    CHECK(refused(&f, "cpu d=1.2.3", "unexpected character after a field value at byte 9"));
    CHECK(refused(&f, "cpu d=1x", "unexpected character after a field value at byte 7"));
    CHECK(refused(&f, "cpu i=1.5i", "invalid field value"));
    CHECK(refused(&f, "cpu i=-1u", "invalid field value"));
    CHECK(refused(&f, "cpu d=1e", "invalid field value"));
    CHECK(refused(&f, "cpu d=+1", "invalid field value"));
    CHECK(refused(&f, "cpu d=NaN", "invalid field value"));
    CHECK(
        refused(&f, "cpu s=\"open", "unterminated string (a string cannot span lines) at byte 6"));
    CHECK(refused(&f, "cpu s=\"a\\\"", "unterminated string"));
    CHECK(refused(&f, "cpu d=1 12.5", "invalid timestamp (expected an integer) at byte 10"));
    CHECK(refused(&f, "cpu d=1 -", "invalid timestamp"));
    CHECK(refused(&f, "cpu d=1 1 2", "trailing characters after the timestamp at byte 10"));
    CHECK(refused(&f, "cpu d=1 99999999999999999999", "timestamp out of range"));
    /* invalid UTF-8 in each place */
    CHECK(refused(&f, "c\xff d=1", "invalid UTF-8 at byte 1"));
    CHECK(refused(&f, "c,h\xc3=1 d=1", "invalid UTF-8 at byte 3"));
    CHECK(refused(&f, "c,h=\xed\xa0\x80 d=1", "invalid UTF-8 at byte 4"));
    CHECK(refused(&f, "c s=\"ok\xc0\xaf\"", "invalid UTF-8 in string at byte 7"));
    /* values that do not fit their column: named by column and byte */
    CHECK(refused(&f, "cpu i=1.5",
                  "field \"i\": expected BIGINT, got non-integral number at byte 6"));
    CHECK(refused(&f, "cpu i=9223372036854775808i", "field \"i\": BIGINT out of range at byte 6"));
    CHECK(refused(&f, "cpu i=9223372036854775808u", "field \"i\": BIGINT out of range"));
    CHECK(refused(&f, "cpu i=1e300", "field \"i\": BIGINT out of range"));
    CHECK(refused(&f, "cpu d=1e999", "field \"d\": DOUBLE out of range at byte 6"));
    CHECK(refused(&f, "cpu d=\"x\"", "field \"d\": expected DOUBLE, got string at byte 6"));
    CHECK(refused(&f, "cpu b=1i", "field \"b\": expected BOOLEAN, got integer at byte 6"));
    CHECK(refused(&f, "cpu b=1", "field \"b\": expected BOOLEAN, got float"));
    CHECK(refused(&f, "cpu i=t", "field \"i\": expected BIGINT, got boolean at byte 6"));
    CHECK(refused(&f, "cpu ts=\"yesterday\"", "field \"ts\": invalid timestamp \"yesterday\""));
    CHECK(refused(&f, "cpu,i=x d=1", "tag \"i\": expected BIGINT, got \"x\" at byte 6"));
    CHECK(refused(&f, "cpu,b=yes d=1", "tag \"b\": expected BOOLEAN, got \"yes\""));
    /* an unknown field is still checked */
    CHECK(refused(&f, "cpu zz=99999999999999999999i", "integer out of range at byte 7"));
    CHECK(refused(&f, "cpu zz=\"\xff\"", "invalid UTF-8 in string"));
    CHECK_EQ_INT(f.bb.b->nrows, 0);
    /* a good line after all of them lands in row 0 with nothing left over */
    CHECK_EQ_INT(parse(&f, "cpu d=1"), 0);
    CHECK(is_null(&f, C_I, 0) && is_null(&f, C_S, 0) && is_null(&f, C_HOST, 0));
    fx_release(&f);
}

TEST(lp_measurement_column_typed)
{
    /* a `measurement` column of another type converts like a tag */
    static const char *const names[] = {"Measurement", "v"};
    static const em_type types[] = {EM_TYPE_BIGINT, EM_TYPE_DOUBLE};
    em_schema *s = em_schema_create(2, names, types);
    em_arena a;
    em_arena_init(&a, 0);
    em_reader *r = NULL;
    em_batch_builder bb;
    em_errbuf err;
    CHECK_EQ_INT(em_reader_create(&r, "influx", s, NULL, &err), 0);
    CHECK_EQ_INT(em_batch_builder_init(&bb, s, 4, &a), 0);
    CHECK_EQ_INT(em_reader_parse(r, "42 v=1", 6, &bb, &err), 0);
    CHECK_EQ_INT(bb.b->cols[0].v.i64[0], 42);
    CHECK_EQ_INT(em_reader_parse(r, "cpu v=1", 7, &bb, &err), EM_EPARSE);
    CHECK(strstr(err.msg, "measurement: expected BIGINT, got \"cpu\" at byte 0") != NULL);
    /* keys longer than a slot and many keys still resolve */
    char line[2048];
    size_t n = (size_t)snprintf(line, sizeof line, "7 ");
    for (int k = 0; k < 40; k++)
        n += (size_t)snprintf(line + n, sizeof line - n, "a_rather_long_unknown_key_%02d=1,", k);
    snprintf(line + n, sizeof line - n, "v=2.5");
    for (int rep = 0; rep < 2; rep++) {
        CHECK_EQ_INT(em_reader_parse(r, line, strlen(line), &bb, &err), 0);
        CHECK_EQ_DBL(bb.b->cols[1].v.f64[1 + rep], 2.5, 0);
    }
    em_reader_destroy(r);
    em_arena_release(&a);
    em_schema_destroy(s);
}

int main(void)
{
    RUN(lp_basic_mapping);
    RUN(lp_alias_and_unknown_format);
    RUN(lp_escapes);
    RUN(lp_field_types);
    RUN(lp_timestamps);
    RUN(lp_comments_and_blanks);
    RUN(lp_bad_lines);
    RUN(lp_measurement_column_typed);
    return t_done();
}
