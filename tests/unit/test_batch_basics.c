/*
 * Unit tests for src/batch: schemas, the builder, compaction, Arrow export.
 */
#include "batch/batch.h"
#include "ember/arrow.h"
#include "ember/error.h"
#include "t.h"

static em_schema *reading_schema(void)
{
    const char *names[] = {"device_id", "ts", "pm25", "co2", "ok"};
    em_type types[] = {EM_TYPE_TEXT, EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE, EM_TYPE_BIGINT,
                       EM_TYPE_BOOLEAN};
    return em_schema_create(5, names, types);
}

TEST(schema_lookup_is_case_insensitive)
{
    em_schema *s = reading_schema();
    CHECK_EQ_INT(em_schema_find(s, "PM25", 4), 2);
    CHECK_EQ_INT(em_schema_find(s, "pm2", 3), -1);
    em_schema *c = em_schema_copy(s);
    CHECK(em_schema_equal(s, c));
    c->fields[3].type = EM_TYPE_DOUBLE;
    CHECK(!em_schema_equal(s, c));
    em_schema_destroy(c);
    em_schema_destroy(s);
}

/* Builds rows: ("a",1,1.5,400,true) (NULL...) ("ccc",3,NULL,402,false) */
static em_batch *build(em_schema *s, em_arena *a)
{
    em_batch_builder bb;
    if (em_batch_builder_init(&bb, s, 4, a))
        return NULL;
    em_batch_builder_set_text(&bb, 0, "a", 1);
    em_batch_builder_set_i64(&bb, 1, 1);
    em_batch_builder_set_f64(&bb, 2, 1.5);
    em_batch_builder_set_i64(&bb, 3, 400);
    em_batch_builder_set_bool(&bb, 4, true);
    em_batch_builder_end_row(&bb);
    em_batch_builder_end_row(&bb); /* all NULL */
    em_batch_builder_set_text(&bb, 0, "junk", 4); /* a bad record, abandoned */
    em_batch_builder_set_null(&bb, 3);
    em_batch_builder_abort_row(&bb);
    em_batch_builder_set_i64(&bb, 3, 402); /* columns set in any order */
    em_batch_builder_set_text(&bb, 0, "ccc", 3);
    em_batch_builder_set_i64(&bb, 1, 3);
    em_batch_builder_set_bool(&bb, 4, false);
    em_batch_builder_end_row(&bb);
    return em_batch_builder_finish(&bb);
}

TEST(builder_rows_nulls_and_abort)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_schema *s = reading_schema();
    em_batch *b = build(s, &a);
    CHECK(b != NULL);
    CHECK_EQ_INT(b->nrows, 3);
    CHECK_EQ_INT(em_batch_count(b), 3);
    em_slice t0 = em_column_text(&b->cols[0], 0), t2 = em_column_text(&b->cols[0], 2);
    CHECK(em_slice_eq(t0, em_slice_cstr("a")));
    CHECK(em_slice_eq(t2, em_slice_cstr("ccc")));
    CHECK(em_column_is_null(&b->cols[0], 1));
    CHECK(!em_column_is_null(&b->cols[0], 2));
    CHECK_EQ_INT(b->cols[0].null_count, 1);
    CHECK(em_column_is_null(&b->cols[2], 2));
    CHECK_EQ_INT(b->cols[2].null_count, 2);
    CHECK_EQ_INT(b->cols[3].v.i64[2], 402);
    CHECK_EQ_INT(b->cols[3].null_count, 1); /* the aborted NULL did not stick */
    CHECK_EQ_INT(b->cols[4].v.b[0], 1);
    em_schema_destroy(s);
    em_arena_release(&a);
}

TEST(builder_grows_text)
{
    em_arena a;
    em_arena_init(&a, 0);
    const char *names[] = {"s"};
    em_type types[] = {EM_TYPE_TEXT};
    em_schema *s = em_schema_create(1, names, types);
    em_batch_builder bb;
    CHECK_EQ_INT(em_batch_builder_init(&bb, s, 8, &a), 0);
    char big[1000];
    memset(big, 'x', sizeof big);
    for (int i = 0; i < 8; i++) {
        CHECK_EQ_INT(em_batch_builder_set_text(&bb, 0, big, (size_t)(100 * i + 1)), 0);
        CHECK_EQ_INT(em_batch_builder_end_row(&bb), 0);
    }
    CHECK(em_batch_builder_full(&bb));
    CHECK_EQ_INT(em_batch_builder_end_row(&bb), EM_ELIMIT);
    em_batch *b = em_batch_builder_finish(&bb);
    CHECK_EQ_INT(em_column_text(&b->cols[0], 7).len, 701);
    CHECK_EQ_INT(b->cols[0].data_len, 8 + 100 * 28);
    em_schema_destroy(s);
    em_arena_release(&a);
}

/* TEXT values of every length up to 80 bytes (the setter copies 1-3, 4-7,
 * 8-16, 17-48 and longer values each its own way) land intact, back to
 * back. */
TEST(builder_text_every_length)
{
    const char *names[] = {"t"};
    em_type types[] = {EM_TYPE_TEXT};
    em_schema *s = em_schema_create(1, names, types);
    em_arena a;
    em_arena_init(&a, 0);
    em_batch_builder bb;
    CHECK_EQ_INT(em_batch_builder_init(&bb, s, 128, &a), 0);
    char src[96];
    for (int i = 0; i < 96; i++)
        src[i] = (char)('A' + i % 53);
    for (size_t n = 0; n <= 80; n++) {
        CHECK_EQ_INT(em_batch_builder_set_text(&bb, 0, src + n % 7, n), 0);
        CHECK_EQ_INT(em_batch_builder_end_row(&bb), 0);
    }
    em_batch *b = em_batch_builder_finish(&bb);
    for (uint32_t n = 0; n <= 80; n++) {
        em_slice t = em_column_text(&b->cols[0], n);
        CHECK(t.len == n && memcmp(t.ptr, src + n % 7, n) == 0);
    }
    em_arena_release(&a);
    em_schema_destroy(s);
}

TEST(compact_applies_selection)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_schema *s = reading_schema();
    em_batch *b = build(s, &a);
    uint32_t sel[] = {1, 2};
    b->sel = sel;
    b->nsel = 2;
    em_batch *c = em_batch_compact(b, &a);
    CHECK_EQ_INT(c->nrows, 2);
    CHECK(c->sel == NULL);
    CHECK(em_column_is_null(&c->cols[0], 0));
    CHECK(em_slice_eq(em_column_text(&c->cols[0], 1), em_slice_cstr("ccc")));
    CHECK_EQ_INT(c->cols[1].v.i64[1], 3);
    CHECK_EQ_INT(c->cols[2].null_count, 2);
    em_schema_destroy(s);
    em_arena_release(&a);
}

TEST(arrow_export_buffers)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_schema *s = reading_schema();
    em_batch *b = build(s, &a);
    uint32_t sel[] = {0, 2};
    b->sel = sel;
    b->nsel = 2;
    struct ArrowSchema as;
    struct ArrowArray aa;
    CHECK_EQ_INT(em_batch_export_arrow(b, &as, &aa), 0);
    em_arena_release(&a); /* the export must not depend on the arena */
    CHECK_EQ_STR(as.format, "+s");
    CHECK_EQ_INT(as.n_children, 5);
    CHECK_EQ_STR(as.children[0]->name, "device_id");
    CHECK_EQ_STR(as.children[0]->format, "u");
    CHECK_EQ_STR(as.children[1]->format, "tsu:UTC");
    CHECK_EQ_STR(as.children[2]->format, "g");
    CHECK_EQ_STR(as.children[3]->format, "l");
    CHECK_EQ_STR(as.children[4]->format, "b");
    CHECK_EQ_INT(aa.length, 2);
    CHECK_EQ_INT(aa.n_children, 5);
    /* TEXT: offsets {0,1,4}, data "accc", no nulls -> NULL validity */
    struct ArrowArray *t = aa.children[0];
    const int32_t *off = t->buffers[1];
    CHECK_EQ_INT(t->n_buffers, 3);
    CHECK(t->buffers[0] == NULL);
    CHECK_EQ_INT(off[0], 0);
    CHECK_EQ_INT(off[1], 1);
    CHECK_EQ_INT(off[2], 4);
    CHECK(memcmp(t->buffers[2], "accc", 4) == 0);
    /* DOUBLE: row 1 of the export is NULL */
    struct ArrowArray *d = aa.children[2];
    CHECK_EQ_INT(d->null_count, 1);
    CHECK_EQ_INT(((const uint8_t *)d->buffers[0])[0] & 3, 1);
    CHECK_EQ_DBL(((const double *)d->buffers[1])[0], 1.5, 0);
    /* BIGINT values gathered through the selection */
    CHECK_EQ_INT(((const int64_t *)aa.children[3]->buffers[1])[1], 402);
    /* BOOLEAN packed into bits: true, false */
    CHECK_EQ_INT(((const uint8_t *)aa.children[4]->buffers[1])[0] & 3, 1);
    aa.release(&aa);
    as.release(&as);
    CHECK(aa.release == NULL && as.release == NULL);
    em_schema_destroy(s);
}

TEST(arrow_export_survives_oom)
{
    em_arena a;
    em_arena_init(&a, 0);
    em_schema *s = reading_schema();
    em_batch *b = build(s, &a);
    for (uint64_t n = 1; n < 12; n++) {
        struct ArrowSchema as;
        struct ArrowArray aa;
        em_mem_fail_after(n);
        int rc = em_batch_export_arrow(b, &as, &aa);
        em_mem_fail_after(0);
        if (rc == 0) {
            aa.release(&aa);
            as.release(&as);
        } else {
            CHECK_EQ_INT(rc, EM_ENOMEM);
            CHECK(aa.release == NULL);
        }
    }
    em_schema_destroy(s);
    em_arena_release(&a);
}

int main(void)
{
    RUN(schema_lookup_is_case_insensitive);
    RUN(builder_rows_nulls_and_abort);
    RUN(builder_grows_text);
    RUN(builder_text_every_length);
    RUN(compact_applies_selection);
    RUN(arrow_export_buffers);
    RUN(arrow_export_survives_oom);
    return t_done();
}
