/*
 * ops/table.h - keyed row state: reference tables and the pieces stateful
 * joins share.
 *
 * Three layers, each usable alone:
 *
 *   em__keyidx     interns single-column keys of any type into dense ids
 *                  (open addressing, linear probing, backward-shift delete,
 *                  hashes precomputed per batch, keys copied into owned
 *                  memory). Lookups are vectorized: hash a column's rows
 *                  once, then probe with a loop specialised per key type.
 *   em__rowstore   stores whole rows column-wise by id (fixed-width values as
 *                  8 bytes, TEXT as 16-byte em__tcell, a NULL flag per
 *                  value) and gathers them back into arena columns for
 *                  output, a column at a time (table_gather.c).
 *   em_table_state the latest row per primary key (keyidx + rowstore), kept
 *                  up to date by upserts; what `CREATE TABLE` holds and what
 *                  the stream-table join probes.
 *
 * Keys: NULL keys never match and are never stored (SQL equality). DOUBLE
 * keys compare by value (-0.0 == 0.0, every NaN equal to every NaN). Key
 * columns of BIGINT, TIMESTAMP and INTERVAL hash and compare alike, so a
 * join may mix them; other type pairs must be cast by the planner.
 *
 * All memory is em_malloc'ed and owned by the structure; nothing here
 * allocates per row on the lookup path.
 */
#ifndef EMBER_OPS_TABLE_H
#define EMBER_OPS_TABLE_H

#include "ops/op.h"

#include <string.h>

#define EM__HIDDEN __attribute__((visibility("hidden")))

/* ---- key hashing ---- */

/* True if key columns of types a and b can be compared (same type, or two
 * of the int64 types). */
EM__HIDDEN int em__key_types_compatible(em_type a, em_type b);

/* Hashes rows[0..n) of column c into h[0..n). NULL values hash to 0 (the
 * caller checks NULLs separately). */
EM__HIDDEN void em__key_hash(const em_column *c, const uint32_t *rows, uint32_t n, uint64_t *h);

/* ---- TEXT cells ---- */

/* A TEXT value held by the key index or the row store: up to
 * EM__TCELL_INLINE bytes inline, longer values in an owned heap copy whose
 * pointer sits in the last 8 bytes of `in`. Short text (names, ids, codes)
 * is the common case: comparing or copying it then reads one 16-byte cell
 * and chases no pointer, and the length is at hand without a call. */
#define EM__TCELL_INLINE 12

typedef struct em__tcell {
    uint32_t len;
    char in[EM__TCELL_INLINE];
} em__tcell;

static inline const char *em__tcell_ptr(const em__tcell *c)
{
    const char *p;
    if (c->len <= EM__TCELL_INLINE)
        return c->in;
    memcpy(&p, c->in + 4, sizeof p);
    return p;
}

/* ---- key index ---- */

#define EM__NOID UINT32_MAX

/* A slot caches what decides equality without touching per-id arrays: the
 * key bits themselves for fixed-width types (the home slot is recomputed
 * from them when needed), the full 64-bit hash for TEXT. */
typedef struct em__keyslot {
    uint64_t hk;
    uint32_t id; /* EM__NOID = empty */
} em__keyslot;

typedef struct em__keyidx {
    em_type type;      /* normalised: BIGINT for all int64 types */
    em__keyslot *slots;
    uint32_t mask;     /* slot count - 1 (a power of two), 0 before first insert */
    uint32_t live;     /* keys stored */
    uint32_t nids;     /* ids handed out (live + free) */
    uint32_t idcap;
    uint64_t *kbits;   /* per id: key bits (fixed-width types only) */
    em__tcell *ktext;  /* per id: TEXT key (TEXT only) */
    uint64_t *khash;   /* per id: hash (TEXT only; fixed-width keys rehash) */
    uint32_t *freeids; /* ids of removed keys, reused first */
    uint32_t nfree;
    size_t text_bytes; /* heap bytes of long TEXT keys */
} em__keyidx;

/* Initialises an empty index for keys of type t (never allocates). */
EM__HIDDEN void em__keyidx_init(em__keyidx *x, em_type t);
EM__HIDDEN void em__keyidx_release(em__keyidx *x);

/* For rows[i] of key column c with hash h[i]: out[i] = id of the stored
 * equal key, or -1 (also for NULL keys). c's type must be compatible. */
EM__HIDDEN void em__keyidx_find(const em__keyidx *x, const em_column *c, const uint32_t *rows,
                                uint32_t n, const uint64_t *h, int32_t *out);

/* Finds or inserts the key at c[row] (not NULL) with hash h. Sets *id and
 * *created (1 if new). Per-id arrays of the caller must then cover *id
 * (ids are < x->nids). Returns 0 or EM_ENOMEM. */
EM__HIDDEN int em__keyidx_insert(em__keyidx *x, const em_column *c, uint32_t row, uint64_t h,
                                 uint32_t *id, int *created);

/* Removes the key with this id; the id may be handed out again. */
EM__HIDDEN void em__keyidx_remove(em__keyidx *x, uint32_t id);

/* Appends the key of id to column col of the builder's current row. */
EM__HIDDEN int em__keyidx_put(const em__keyidx *x, uint32_t id, em_batch_builder *bb, uint32_t col);

/* Writes the ids of the live keys into ids (room for x->live) and returns
 * their number (table_snap.c). */
EM__HIDDEN uint32_t em__keyidx_live_ids(const em__keyidx *x, uint32_t *ids);

/* Bytes of memory the index holds. */
EM__HIDDEN size_t em__keyidx_bytes(const em__keyidx *x);

/* ---- row store ---- */

typedef struct em__rowcol {
    em_type type;
    uint64_t *fix;   /* fixed-width values (BOOLEAN as 0/1, DOUBLE bits) */
    em__tcell *txt;  /* TEXT values (len 0 when NULL) */
    uint8_t *null;   /* 1 = NULL (or no row) */
    int any_null;    /* a NULL value was ever put: gathers must look at `null` */
    uint32_t max_len; /* longest TEXT value ever put (bounds a gather's bytes) */
} em__rowcol;

typedef struct em__rowstore {
    uint32_t ncols;
    uint32_t cap;      /* rows every column can hold */
    em__rowcol *cols;
    size_t text_bytes; /* heap bytes of long TEXT values */
} em__rowstore;

/* Initialises a store for rows of schema s (copies the types). Returns 0 or
 * EM_ENOMEM. */
EM__HIDDEN int em__rowstore_init(em__rowstore *rs, const em_schema *s);
EM__HIDDEN void em__rowstore_release(em__rowstore *rs);
/* Makes ids [0, n) storable. Returns 0 or EM_ENOMEM. */
EM__HIDDEN int em__rowstore_reserve(em__rowstore *rs, uint32_t n);
/* Copies row `row` of batch b into slot id (replacing what was there; the
 * slot must be reserved and hold a row or be zeroed). 0 or EM_ENOMEM. */
EM__HIDDEN int em__rowstore_put(em__rowstore *rs, uint32_t id, const em_batch *b, uint32_t row);
/* Frees the TEXT values of slot id and marks it empty. */
EM__HIDDEN void em__rowstore_clear(em__rowstore *rs, uint32_t id);
/* Builds arena column dst of n rows from store column col: row i is the
 * value of slot ids[i], or NULL when ids[i] < 0; an id >= 0 must name a
 * slot holding a row (put and not cleared since). 0, EM_ELIMIT or
 * EM_ENOMEM. */
EM__HIDDEN int em__rowstore_gather(const em__rowstore *rs, uint32_t col, const int32_t *ids,
                                   uint32_t n, em_column *dst, em_arena *a);
/* Builds arena column dst of nrows rows (an input batch's physical rows)
 * from store column col: row rows[i] (i < m, rows ascending) gets the value
 * of slot ids[i], or NULL when ids[i] < 0; every other row holds an
 * initialised, meaningless value (zero, empty text) and is never NULL. 0,
 * EM_ELIMIT (over 2 GiB of text) or EM_ENOMEM. */
EM__HIDDEN int em__rowstore_scatter(const em__rowstore *rs, uint32_t col, const uint32_t *rows,
                                    const int32_t *ids, uint32_t m, uint32_t nrows,
                                    em_column *dst, em_arena *a);
EM__HIDDEN size_t em__rowstore_bytes(const em__rowstore *rs);

/* Builds arena column dst of n rows: row i = src[rows[i]]. 0, EM_ELIMIT or
 * EM_ENOMEM. */
EM__HIDDEN int em__column_gather(em_column *dst, const em_column *src, const uint32_t *rows,
                                 uint32_t n, em_arena *a);

/* ---- reference table state ---- */

typedef struct em_table_state {
    em_schema *schema; /* owned copy */
    int key_col;
    em__keyidx keys;
    em__rowstore rows;  /* slot id == key id */
    uint64_t *hbuf;     /* scratch hashes, EM_BATCH_ROWS */
    uint32_t *rbuf;     /* scratch row indexes, EM_BATCH_ROWS */
    uint64_t upserts, deletes, null_keys;
} em_table_state;

/* Creates an empty table for rows of schema s (copied) keyed by column
 * key_col. Returns 0, EM_EINVAL (message in err) or EM_ENOMEM; *out is
 * owned by the caller (em_table_state_destroy). */
int em_table_state_create(em_table_state **out, const em_schema *s, int key_col, em_errbuf *err);
/* Frees the table (NULL-safe). */
void em_table_state_destroy(em_table_state *t);

/* Applies the selected rows of b (schema equal to the table's) in order:
 * each row replaces the stored row of its key; a row whose non-key columns
 * are all NULL deletes its key; rows with a NULL key are ignored (counted in
 * null_keys). b is borrowed. Returns 0 or EM_ENOMEM (rows before the failing
 * one are applied). */
int em_table_state_upsert(em_table_state *t, const em_batch *b);

/* Vectorized lookup: for the n rows rows[] of key column c (compatible
 * type), out[i] = the stored row id of the matching key, or -1. hbuf holds n
 * hashes of scratch (the caller's). Allocates nothing. */
void em_table_state_lookup(const em_table_state *t, const em_column *c, const uint32_t *rows,
                           uint32_t n, uint64_t *hbuf, int32_t *out);

/* Snapshots (table_snap.c): appends the table's rows (and its counters) /
 * re-inserts rows so written into t (normally empty). _snap returns 0 or
 * EM_ENOMEM/EM_ELIMIT; _load 0, EM_ECORRUPT (d marked bad) or EM_ENOMEM. */
struct em_dec;
EM__HIDDEN int em__table_state_snap(const em_table_state *t, em_buf *out);
EM__HIDDEN int em__table_state_load(em_table_state *t, struct em_dec *d);

/* Live keys and bytes of state memory. */
uint64_t em_table_state_keys(const em_table_state *t);
size_t em_table_state_bytes(const em_table_state *t);

#endif
