/*
 * ember/types.h - SQL types, columns, schemas and batches: the data layout
 * shared by the engine, operators, connectors and user functions.
 *
 * A batch is a set of equally long typed columns laid out like Apache Arrow:
 * fixed-width value arrays, TEXT as int32 offsets + UTF-8 bytes, and a
 * validity bitmap (bit i set = row i is not NULL; a NULL bitmap pointer means
 * no NULLs). One deliberate difference: BOOLEAN values are stored one byte
 * per row (0 or 1) so vectorized code can index them directly; the Arrow
 * export (em_batch_export_arrow) packs them into bits.
 *
 * A batch may carry a selection vector: the ascending row indexes that are
 * "in" the batch. Filters narrow the selection instead of copying columns;
 * rows outside it hold unspecified (but initialised) values.
 *
 * These are plain structs, not handles: a batch handed to a callback is
 * borrowed and valid only for the duration of that call unless the callee's
 * contract says otherwise. Memory behind a batch normally belongs to the
 * micro-batch arena and is freed when that micro-batch commits.
 */
#ifndef EMBER_TYPES_H
#define EMBER_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions of the public API (the library builds with hidden
 * visibility by default). */
#ifndef EM_API
#define EM_API __attribute__((visibility("default")))
#endif

typedef enum em_type {
    EM_TYPE_NULL = 0, /* the type of the literal NULL before coercion */
    EM_TYPE_BOOLEAN,
    EM_TYPE_BIGINT,
    EM_TYPE_DOUBLE,
    EM_TYPE_TEXT,
    EM_TYPE_TIMESTAMP, /* int64 microseconds since the Unix epoch, UTC */
    EM_TYPE_INTERVAL,  /* int64 microseconds; literals and arithmetic only */
} em_type;

/* "BIGINT", "DOUBLE", ...; static storage. */
EM_API const char *em_type_name(em_type t);

/* Timestamps: microseconds since the epoch. The watermark uses the extremes. */
#define EM_TS_MIN INT64_MIN
#define EM_TS_MAX INT64_MAX
#define EM_USEC_PER_SEC INT64_C(1000000)

typedef struct em_column {
    em_type type;
    uint32_t len;        /* number of rows (the batch's nrows) */
    uint32_t null_count; /* NULLs among all len rows; 0 => validity may be NULL */
    uint8_t *validity;   /* Arrow bitmap, LSB first; NULL = all valid */
    union {
        void *ptr;
        uint8_t *b;    /* BOOLEAN: 0 or 1 per row */
        int64_t *i64;  /* BIGINT, TIMESTAMP, INTERVAL */
        double *f64;   /* DOUBLE */
        int32_t *off;  /* TEXT: len + 1 offsets into data */
    } v;
    char *data;         /* TEXT bytes (not NUL-terminated) */
    uint32_t data_len;  /* bytes used in data */
    uint32_t data_cap;  /* bytes allocated for data (builders only) */
} em_column;

static inline int em_column_is_null(const em_column *c, uint32_t row)
{
    return c->validity && !((c->validity[row >> 3] >> (row & 7)) & 1);
}

typedef struct em_field {
    char *name;   /* as declared; lookups are case-insensitive */
    em_type type;
} em_field;

typedef struct em_schema {
    uint32_t nfields;
    em_field *fields;
} em_schema;

typedef struct em_batch {
    const em_schema *schema; /* borrowed; outlives the batch */
    uint32_t nrows;          /* physical rows in every column */
    uint32_t ncols;          /* == schema->nfields */
    em_column *cols;
    uint32_t *sel;           /* selected rows, ascending; NULL = all nrows */
    uint32_t nsel;           /* number of selected rows (== nrows if !sel) */
} em_batch;

/* Creates a schema, copying the names. Returns NULL on out-of-memory.
 * The caller owns it: free with em_schema_destroy (NULL-safe). */
EM_API em_schema *em_schema_create(uint32_t nfields, const char *const *names,
                                   const em_type *types);
EM_API void em_schema_destroy(em_schema *s);

/* Number of rows a consumer should see. */
static inline uint32_t em_batch_count(const em_batch *b)
{
    return b->sel ? b->nsel : b->nrows;
}

/* Row index of the i-th selected row. */
static inline uint32_t em_batch_row(const em_batch *b, uint32_t i)
{
    return b->sel ? b->sel[i] : i;
}

#ifdef __cplusplus
}
#endif
#endif
