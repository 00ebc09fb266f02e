/*
 * batch/batch.h - schemas, columns and batches (layout in ember/types.h).
 *
 * Schemas are heap objects (they outlive micro-batches). Columns and batches
 * are allocated from a micro-batch arena and die with it. A builder fills a
 * batch row by row for sources and format readers: set any subset of a
 * row's columns in any order, then end the row; unset columns become NULL.
 */
#ifndef EMBER_BATCH_BATCH_H
#define EMBER_BATCH_BATCH_H

#include "core/mem.h"
#include "core/str.h"
#include "ember/types.h"

#include <stdbool.h>
#include <string.h>

/* Rows per batch that sources and operators aim for: big enough to amortise
 * per-batch work, small enough that a batch's columns stay in L2. */
#define EM_BATCH_ROWS 2048

/* ---- schemas ---- */

/* em_schema_create / em_schema_destroy are public (ember/types.h). */
em_schema *em_schema_copy(const em_schema *s);
/* Index of a field by case-insensitive name, or -1. */
int em_schema_find(const em_schema *s, const char *name, size_t len);
bool em_schema_equal(const em_schema *a, const em_schema *b);

/* ---- validity bitmaps ---- */

static inline void em_bit_set(uint8_t *bm, uint32_t i)
{
    bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static inline void em_bit_clear(uint8_t *bm, uint32_t i)
{
    bm[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

static inline size_t em_bitmap_bytes(uint32_t n)
{
    return ((size_t)n + 7) / 8;
}

/* Marks row NULL, creating the bitmap (all valid) on first use.
 * Returns 0 or EM_ENOMEM. */
int em_column_set_null(em_column *c, uint32_t row, em_arena *a);

/* Size in bytes of one value of a fixed-width type (TEXT: 4, the offset). */
size_t em_type_width(em_type t);

/* Allocates an uninitialised-values column of n rows (TEXT: offsets zeroed,
 * data_cap bytes of text space). No validity bitmap. */
int em_column_alloc(em_column *c, em_type t, uint32_t n, uint32_t data_cap, em_arena *a);

/* TEXT value of a row as a slice (borrowed from the column). */
static inline em_slice em_column_text(const em_column *c, uint32_t row)
{
    return em_slice_of(c->data + c->v.off[row], (size_t)(c->v.off[row + 1] - c->v.off[row]));
}

/* ---- batches ---- */

/* Allocates a batch with cols for schema s, nrows rows, columns allocated
 * with em_column_alloc. */
em_batch *em_batch_alloc(const em_schema *s, uint32_t nrows, em_arena *a);

/* Shallow view: new batch struct sharing column buffers (ncols may differ
 * from the source; caller fills cols). */
em_batch *em_batch_view(const em_schema *s, uint32_t nrows, em_arena *a);

/* Copies the selected rows of src into a new dense batch (no selection). */
em_batch *em_batch_compact(const em_batch *src, em_arena *a);

/* ---- builder ---- */

typedef struct em_batch_builder {
    em_batch *b;          /* the batch being filled; b->nrows = rows ended */
    em_arena *arena;
    uint32_t cap;         /* rows the columns can hold */
    uint32_t nset;        /* columns set on the current row (end_row skips
                           * its NULL fill when all are) */
    uint32_t *set_row;    /* per column: 1 + last row index set, 0 if none */
} em_batch_builder;

/* Starts a batch of up to cap rows for schema s. */
int em_batch_builder_init(em_batch_builder *bb, const em_schema *s, uint32_t cap, em_arena *a);
static inline bool em_batch_builder_full(const em_batch_builder *bb)
{
    return bb->b->nrows >= bb->cap;
}
/* Setters for the current row (bb->b->nrows). TEXT copies the bytes. The
 * fixed-width ones are inline: readers call them once per value. */
static inline void em__batch_builder_mark(em_batch_builder *bb, uint32_t col)
{
    uint32_t tag = bb->b->nrows + 1;
    bb->nset += bb->set_row[col] != tag;
    bb->set_row[col] = tag;
}
static inline void em_batch_builder_set_i64(em_batch_builder *bb, uint32_t col, int64_t v)
{
    bb->b->cols[col].v.i64[bb->b->nrows] = v;
    em__batch_builder_mark(bb, col);
}
static inline void em_batch_builder_set_f64(em_batch_builder *bb, uint32_t col, double v)
{
    bb->b->cols[col].v.f64[bb->b->nrows] = v;
    em__batch_builder_mark(bb, col);
}
static inline void em_batch_builder_set_bool(em_batch_builder *bb, uint32_t col, bool v)
{
    bb->b->cols[col].v.b[bb->b->nrows] = v ? 1 : 0;
    em__batch_builder_mark(bb, col);
}
int em__batch_builder_set_text_grow(em_batch_builder *bb, uint32_t col, const char *p, size_t n);
/* memcpy for n > 16 (up to 64 bytes in overlapping 16-byte parts). */
void em__copy_long(char *d, const char *p, size_t n);
/* memcpy for the bytes of a TEXT value: up to 16 bytes inline in two
 * overlapping moves (no call; most values are that short), longer ones
 * through em__copy_long. */
static inline void em__copy_text(char *d, const char *p, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, z;
        memcpy(&a, p, 8);
        memcpy(&z, p + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &z, 8);
    } else if (n > 16) {
        em__copy_long(d, p, n);
    } else if (n >= 4) {
        uint32_t a, z;
        memcpy(&a, p, 4);
        memcpy(&z, p + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &z, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = p[i];
    }
}
/* TEXT: inline while the column's text space has room (short values are
 * copied with two overlapping loads instead of a memcpy call); growing is
 * out of line. Returns 0, EM_ELIMIT (over 2 GiB) or EM_ENOMEM. */
static inline int em_batch_builder_set_text(em_batch_builder *bb, uint32_t col, const char *p,
                                            size_t n)
{
    em_column *c = &bb->b->cols[col];
    uint32_t row = bb->b->nrows, start = (uint32_t)c->v.off[row];
    if (n > c->data_cap - start)
        return em__batch_builder_set_text_grow(bb, col, p, n);
    em__copy_text(c->data + start, p, n);
    c->v.off[row + 1] = (int32_t)(start + n);
    c->data_len = start + (uint32_t)n;
    em__batch_builder_mark(bb, col);
    return 0;
}
int em_batch_builder_set_null(em_batch_builder *bb, uint32_t col);
/* Fills unset columns with NULL and advances to the next row. Inline when
 * every column was set (the usual row); the columns' len is set by
 * em_batch_builder_finish. */
int em__batch_builder_end_row_nulls(em_batch_builder *bb);
static inline int em_batch_builder_end_row(em_batch_builder *bb)
{
    em_batch *b = bb->b;
    if (bb->nset < b->ncols || b->nrows >= bb->cap)
        return em__batch_builder_end_row_nulls(bb);
    bb->nset = 0;
    b->nsel = ++b->nrows;
    return 0;
}
/* Forgets anything set on the current row (a bad record). */
void em_batch_builder_abort_row(em_batch_builder *bb);
/* Returns the finished batch (valid until the arena is reset). */
em_batch *em_batch_builder_finish(em_batch_builder *bb);

/* ---- Arrow C Data Interface ---- */

struct ArrowSchema;
struct ArrowArray;
/* Exports b (its selected rows) as an Arrow struct array whose children are
 * its columns. Buffers are copied into memory owned by the exported structs
 * and freed by their release callbacks, so the export outlives the arena.
 * Returns 0, EM_ENOMEM. */
int em_batch_export_arrow(const em_batch *b, struct ArrowSchema *schema, struct ArrowArray *array);

#endif
