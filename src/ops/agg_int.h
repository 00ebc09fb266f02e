/*
 * ops/agg_int.h - private layout of the hash aggregate operator, shared by
 * agg_keys.c (group keys), agg_state.c (panes and compact states) and
 * aggregate.c (the operator). See docs/internals.md, "Aggregation".
 *
 * A batch is processed column at a time in four passes, none of which
 * allocates per row: (1) key columns are hashed and every row resolved to a
 * dense key id; (2) event times are mapped to panes (a TUMBLE window, or a
 * HOP pane of `slide` µs); (3) every row is resolved to a state record in
 * its pane (and the record's shared row count bumped); (4) each state field
 * is updated by one type-specialised loop over the rows' records.
 *
 * A record holds the states of all aggregates of one (key, pane): a shared
 * row count (= count(*)) at offset 0, then per argument column a non-NULL
 * count shared by count/sum/avg/min/max of that column, sums (shared by sum
 * and avg of a DOUBLE), 8-byte min/max values, and a generic 32-byte
 * em__agg_state for the kinds without a compact form (var/stddev, first,
 * last, count distinct, TEXT/BOOLEAN min/max). A record is present iff its
 * row count is non-zero.
 */
#ifndef EMBER_OPS_AGG_INT_H
#define EMBER_OPS_AGG_INT_H

#include "ops/agg.h"

#define EM__H __attribute__((visibility("hidden")))

/* ---- group keys (agg_keys.c) ---- */

typedef enum {
    KEYS_NONE, /* no key columns: one group, id 0 */
    KEYS_I64,  /* one BIGINT/TIMESTAMP/INTERVAL key: values in kv */
    KEYS_TEXT, /* one TEXT key: raw bytes in kbuf */
    KEYS_GEN   /* anything else: serialised keys (tag byte + value per column) */
} agg_keys_mode;

typedef struct agg_keys {
    agg_keys_mode mode;
    uint32_t nkeys;       /* key columns */
    const int *cols;      /* key column indexes (borrowed from the operator) */
    const em_type *types; /* their types */
    uint32_t n, cap;      /* keys interned; per-key array capacity */
    uint32_t null_id;     /* KEYS_I64/TEXT: id of the NULL key, UINT32_MAX = none */
    uint32_t tab_cap;     /* power of two */
    uint32_t *tab32;      /* KEYS_I64: id + 1, 0 = empty */
    uint64_t *tab64;      /* KEYS_TEXT/GEN: hash high 32 bits << 32 | id + 1 */
    int64_t *kv;          /* KEYS_I64: the key values */
    uint32_t *koff;       /* KEYS_TEXT/GEN: cap + 1 offsets into kbuf */
    char *kbuf;
    size_t kbuf_cap;
    /* per-batch scratch */
    uint64_t *h;
    uint32_t hcap;
    char *ks; /* KEYS_GEN: one serialised key */
    size_t ks_cap;
} agg_keys;

/* Sets up an empty key set for key columns cols (types), both borrowed
 * from the operator for k's lifetime; picks the mode. Never allocates. */
EM__H void em__agg_keys_init(agg_keys *k, uint32_t nkeys, const int *cols, const em_type *types);
/* Frees everything k holds; k is zeroed. */
EM__H void em__agg_keys_release(agg_keys *k);
/* Resolves rows[0..n) of in to key ids (interning new keys) into ids.
 * Returns 0 or EM_ENOMEM. */
EM__H int em__agg_keys_resolve(agg_keys *k, const em_batch *in, const uint32_t *rows, uint32_t n,
                               uint32_t *ids);
/* Keeps only the keys keep[0..m) (ascending ids), renumbered 0..m-1 in
 * that order; the table is rebuilt. 0 or EM_ENOMEM (k unchanged then). */
EM__H int em__agg_keys_compact(agg_keys *k, const uint32_t *keep, uint32_t m);
/* Writes key id's columns into columns 0..nkeys-1 of the builder's row. */
EM__H int em__agg_keys_put(const agg_keys *k, uint32_t id, em_batch_builder *bb);
/* Bytes of memory held by k (capacities, not just what is in use). */
EM__H uint64_t em__agg_keys_bytes(const agg_keys *k);

/* Appends the keys in id order to a snapshot. 0 or EM_ENOMEM/EM_ELIMIT. */
EM__H int em__agg_keys_snap(const agg_keys *k, em_buf *out);
struct em_dec;
/* Reads keys written by em__agg_keys_snap and interns them into k (which
 * may hold keys already), keeping only those em_partition_of sends to
 * partition `part` of nparts (nparts 0: all). *map (em_malloc'ed, *nold
 * entries, also on failure) maps snapshot ids to k's ids, UINT32_MAX for
 * keys left out. Returns 0, EM_ECORRUPT (d marked bad) or EM_ENOMEM. */
EM__H int em__agg_keys_load(agg_keys *k, struct em_dec *d, uint32_t part, uint32_t nparts,
                            uint32_t **map, uint32_t *nold);

/* ---- compact states (agg_state.c) ---- */

typedef enum {
    F_N,    /* int64 count of non-NULL arg values */
    F_DSUM, /* double sum (of a DOUBLE or BIGINT arg) */
    F_ISUM, /* int64 sum, wrapping */
    F_DMIN, F_DMAX, /* double, init +inf / -inf (NaN never wins) */
    F_IMIN, F_IMAX, /* int64, init INT64_MAX / INT64_MIN */
    F_GEN   /* em__agg_state of aggregate `agg` */
} agg_field_kind;

typedef struct agg_field {
    agg_field_kind kind;
    int arg;      /* input column, -1 for count(*) (F_GEN only) */
    uint32_t agg; /* F_GEN: the aggregate it belongs to */
    uint32_t off; /* byte offset in the record */
} agg_field;

/* Where aggregate j reads its result. */
typedef struct agg_res {
    em_agg_kind kind;
    em_type in, out; /* argument and result types */
    uint32_t off;    /* value (sum, min, max) or generic state; 0 = rows */
    uint32_t noff;   /* the argument's non-NULL count */
    uint8_t dsum;    /* AVG/SUM read a double sum */
    uint8_t compact; /* a count, sum, avg, min or max of numbers: plain fields */
} agg_res;

typedef struct pane {
    int64_t start;
    uint64_t stamp;     /* g->stamp of the last batch that prepared it */
    uint32_t n;         /* present records */
    uint32_t scap;      /* records allocated */
    char *st;           /* scap records of g->stride bytes */
    int dense;          /* record of key id k at st + k * stride */
    /* sparse panes only */
    uint32_t cap;       /* tab size, power of two */
    uint32_t *tab;      /* slot + 1, 0 = empty */
    uint32_t *slot_key; /* slot -> key id */
} pane;

typedef struct agg_op {
    em_op op;
    uint32_t nkeys, naggs;
    int *key_cols;
    em_type *key_types;
    em_agg_kind *kinds;
    int *args;
    em_type *arg_types;
    em_window_spec win;
    int64_t pane_us;
    agg_keys keys;

    /* record layout */
    uint32_t stride, nfields;
    agg_field *fields;
    agg_res *res;
    char *tmpl;      /* an empty record */
    char *dummy;     /* target of rows that update nothing (late, NULL time) */
    int has_gen;     /* some field is F_GEN */
    int heap_fields; /* some F_GEN state may own heap memory */

    pane **panes; /* open panes sorted by start */
    uint32_t npanes, pcap;
    pane *merge;  /* HOP scratch pane (dense) */
    uint32_t *mlist;  /* ids present in merge, in order of arrival */
    uint32_t mlist_cap;
    em__sessions *sess; /* SESSION windows */
    int64_t closed_wm;
    uint64_t seq;
    uint64_t stamp; /* batches pushed */

    /* per-batch scratch, EM_BATCH_ROWS or more */
    uint32_t scap;
    uint32_t *row_idx, *row_id;
    int64_t *row_ts;
    char **row_rec;

    /* running mode: groups touched this micro-batch and their results before */
    uint8_t *touched; /* per key id */
    uint32_t touched_cap;
    uint32_t *chg;
    uint8_t *chg_new; /* the group did not exist before */
    em__agg_val *before; /* nchg * naggs */
    uint32_t nchg, chg_cap;
    /* state_ttl (running mode): when each group last had a row */
    int64_t *last_us;
    uint32_t last_cap;
    int64_t next_sweep;
} agg_op;

/* Computes g's record layout (fields, res, stride, tmpl, dummy) from
 * kinds/args/arg_types. Returns 0 or EM_ENOMEM (the operator's destroy frees the rest). */
EM__H int em__agg_layout(agg_op *g);
/* Frees p and what its records own (NULL-safe). */
EM__H void em__pane_free(agg_op *g, pane *p);
/* Makes p ready for `more` rows of key ids < g->keys.n: dense records for
 * every id, or a sparse pane (turned dense once half the keys are in it)
 * with room for `more` new records. Records move only here, so a batch
 * prepares each pane once before taking record pointers. 0 or EM_ENOMEM. */
EM__H int em__pane_prepare(agg_op *g, pane *p, uint32_t more);
/* Record of key id in p, created if absent (p prepared). NULL on OOM. */
EM__H char *em__pane_record(agg_op *g, pane *p, uint32_t id);
/* Calls fn for every present record of p (key id, record). */
typedef int (*em__rec_fn)(agg_op *g, void *ud, uint32_t id, const char *rec);
EM__H int em__pane_each(agg_op *g, const pane *p, em__rec_fn fn, void *ud);
/* Updates every field of the records rec[i] from rows rows[i] of in
 * (records == g->dummy are skipped by generic states). 0 or EM_ENOMEM. */
EM__H int em__agg_update_fields(agg_op *g, const em_batch *in, const uint32_t *rows, uint32_t n,
                                char *const *rec, const int64_t *ts, uint64_t seq0);
/* dst += src (both records of g). 0 or EM_ENOMEM. */
EM__H int em__agg_merge_rec(agg_op *g, char *dst, const char *src);
/* Result of aggregate j of a record. */
EM__H void em__agg_rec_value(const agg_op *g, const char *rec, uint32_t j, em__agg_val *v);
/* Frees what a record owns and makes it empty. */
EM__H void em__agg_rec_clear(agg_op *g, char *rec);
/* Bytes of memory held by p, including heap owned by generic states. */
EM__H uint64_t em__pane_bytes(const agg_op *g, const pane *p);

/* ---- the operator (aggregate.c) and its snapshots (agg_snap.c) ---- */

/* Open pane starting at start, created if absent; NULL on OOM. */
EM__H pane *em__agg_get_pane(agg_op *g, int64_t start);
/* Recomputes stats.state_keys / state_bytes. */
EM__H void em__agg_update_stats(agg_op *g);
/* The snapshot and restore callbacks (ops/op.h). */
EM__H int em__agg_snapshot(em_op *op, em_buf *out);
EM__H int em__agg_restore(em_op *op, const char *p, size_t n, em_errbuf *err);

#endif
