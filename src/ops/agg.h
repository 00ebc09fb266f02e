/*
 * ops/agg.h - hash aggregation, running or over TUMBLE/HOP windows.
 *
 * The operator takes column indexes of its input schema (a planner projects
 * key, time and argument expressions beforehand). Group keys are interned
 * once per operator (key id); each open window (a pane for HOP) holds a
 * table key id -> record of compact per-kind states (agg_int.h).
 * agg_funcs.c implements the generic aggregate states (all kinds; used by
 * SESSION windows and the kinds without a compact layout); agg_keys.c,
 * agg_state.c and aggregate.c the operator.
 */
#ifndef EMBER_OPS_AGG_H
#define EMBER_OPS_AGG_H

#include "ops/op.h"

typedef enum {
    EM_AGG_COUNT_STAR, EM_AGG_COUNT, EM_AGG_SUM, EM_AGG_AVG, EM_AGG_MIN, EM_AGG_MAX,
    EM_AGG_STDDEV_SAMP, EM_AGG_STDDEV_POP, EM_AGG_VAR_SAMP, EM_AGG_VAR_POP, EM_AGG_FIRST,
    EM_AGG_LAST, EM_AGG_COUNT_DISTINCT,
    EM_AGG_NOWCAST_PM /* nowcast_pm(value): hours from the event time (win.time_col) */
} em_agg_kind;

typedef struct {
    em_agg_kind kind;
    int arg;          /* input column index, -1 for count(*) */
    const char *name; /* output column name */
} em_agg_spec;

typedef enum { EM_WIN_NONE, EM_WIN_TUMBLE, EM_WIN_HOP, EM_WIN_SESSION } em_win_kind;

typedef struct {
    em_win_kind kind;
    int time_col; /* TIMESTAMP column index, or -1 = processing time (cx->logical_time) */
    int64_t size_us, slide_us, gap_us;
} em_window_spec;

/* Creates an aggregate operator. Output schema: group key columns (named as
 * in input), then window_start, window_end (TIMESTAMP) when windowed, then
 * one column per aggregate. HOP needs size a multiple of slide. Windows are
 * emitted once, when the watermark passes their end; a running aggregate
 * emits at end_batch every group whose result changed in the micro-batch
 * (new groups included, groups whose rows left every result as it was not). Arrays are
 * copied; in is borrowed for the call. Returns 0, EM_EINVAL (message in
 * err), or EM_ENOMEM. */
int em_aggregate_create(em_op **out, const char *id, const em_schema *in, uint32_t nkeys,
                        const int *key_cols, uint32_t naggs, const em_agg_spec *aggs,
                        const em_window_spec *win, em_errbuf *err);

/* Internal (the partitioned wrapper): restores a snapshot of an aggregate
 * of the same configuration, merging into op's state and keeping only the
 * keys that em_partition_of sends to partition `part` of nparts (nparts 0:
 * every key). Returns 0, EM_EINVAL (incompatible), EM_ECORRUPT or
 * EM_ENOMEM, message in err; after a failure op holds part of the state
 * and should be destroyed. */
__attribute__((visibility("hidden"))) int em__aggregate_restore_part(em_op *op, const char *p,
                                                                    size_t n, uint32_t part,
                                                                    uint32_t nparts,
                                                                    em_errbuf *err);

/* ---- aggregate states (agg_funcs.c), internal to ember_ops ---- */

/* One aggregate's state: 32 bytes, zero = empty. n counts non-NULL inputs. */
typedef struct em__agg_state {
    int64_t n;
    union { int64_t i; double d; void *p; } a; /* sum / mean / min,max,first,last value */
    union { int64_t i; double d; } b;          /* m2 / first,last event time */
    uint64_t c;                                /* first,last arrival sequence */
} em__agg_state;

/* Output type of kind applied to a column of type in (EM_TYPE_NULL if the
 * combination is invalid). */
__attribute__((visibility("hidden"))) em_type em__agg_out_type(em_agg_kind k, em_type in);
/* Adds row `row` of c (NULL: count(*)); ts/seq order first/last.
 * Returns 0 or EM_ENOMEM. */
__attribute__((visibility("hidden"))) int em__agg_update(em_agg_kind k, em__agg_state *s,
                                                         const em_column *c, uint32_t row,
                                                         int64_t ts, uint64_t seq);
/* Merges src into dst (Chan's formula for the moments). 0 or EM_ENOMEM. */
__attribute__((visibility("hidden"))) int em__agg_merge(em_agg_kind k, em_type t,
                                                        em__agg_state *dst,
                                                        const em__agg_state *src);
/* One aggregate result: NULL, an int64 (BIGINT, TIMESTAMP, INTERVAL,
 * BOOLEAN 0/1), a double, or TEXT bytes borrowed from the state (valid
 * until the state changes). */
typedef struct em__agg_val {
    int null;
    union { int64_t i; double d; } v;
    const char *p; /* TEXT */
    uint32_t len;
} em__agg_val;

/* The result of state s of kind k over input type t. */
__attribute__((visibility("hidden"))) void em__agg_value(em_agg_kind k, em_type t,
                                                        const em__agg_state *s, em__agg_val *out);
/* Writes v (of output type t) into column col of the builder's current row. */
__attribute__((visibility("hidden"))) int em__agg_put(em_batch_builder *bb, uint32_t col,
                                                     em_type t, const em__agg_val *v);
/* Writes the result into column col of the builder's current row. */
__attribute__((visibility("hidden"))) int em__agg_result(em_agg_kind k, em_type t,
                                                         const em__agg_state *s,
                                                         em_batch_builder *bb, uint32_t col);
/* Frees owned memory (TEXT copies, distinct sets); leaves s zeroed. */
__attribute__((visibility("hidden"))) void em__agg_free(em_agg_kind k, em_type t,
                                                       em__agg_state *s);
/* Bytes of heap memory owned by s beyond the state itself. */
__attribute__((visibility("hidden"))) size_t em__agg_heap_bytes(em_agg_kind k, em_type t,
                                                               const em__agg_state *s);

/* nowcast_pm states (agg_nowcast.c): update from row of c at event time
 * ts (the operator's time column, required); merge; the NowCast as of the hour containing
 * end_us - 1 (INT64_MIN: the hour of the newest reading), DOUBLE or NULL;
 * free; owned heap bytes. */
__attribute__((visibility("hidden"))) int em__nowcast_update(em__agg_state *s, const em_column *c,
                                                             uint32_t row, int64_t ts);
__attribute__((visibility("hidden"))) int em__nowcast_merge(em__agg_state *dst,
                                                            const em__agg_state *src);
__attribute__((visibility("hidden"))) void em__nowcast_value(const em__agg_state *s,
                                                             int64_t end_us, em__agg_val *out);
__attribute__((visibility("hidden"))) void em__nowcast_free(em__agg_state *s);
__attribute__((visibility("hidden"))) size_t em__nowcast_heap_bytes(const em__agg_state *s);
/* Snapshot of a nowcast_pm state, and its restore into s (overwritten):
 * 0, EM_ENOMEM or EM_ECORRUPT (then s may own memory: em__nowcast_free). */
__attribute__((visibility("hidden"))) int em__nowcast_put(em_buf *b, const em__agg_state *s);
struct em_dec;
__attribute__((visibility("hidden"))) int em__nowcast_get(struct em_dec *d, em__agg_state *s);
/* Appends s (of kind k over type t) to a snapshot: the raw 32 bytes, or for
 * TEXT min/max/first/last and count DISTINCT the values themselves.
 * 0 or EM_ENOMEM/EM_ELIMIT. */
__attribute__((visibility("hidden"))) int em__agg_state_put(em_buf *b, em_agg_kind k, em_type t,
                                                           const em__agg_state *s);
struct em_dec;
/* Reads a state written by em__agg_state_put into s (overwritten, not
 * freed). Returns 0, EM_ECORRUPT (d marked bad) or EM_ENOMEM; on failure
 * s may own memory: free it with em__agg_free. */
__attribute__((visibility("hidden"))) int em__agg_state_get(struct em_dec *d, em_agg_kind k,
                                                           em_type t, em__agg_state *s);

/* ---- SESSION windows (window.c), internal to ember_ops ---- */

typedef struct em__sessions em__sessions;
typedef int (*em__session_emit_fn)(void *ud, uint32_t key, int64_t start, int64_t end,
                                   const em__agg_state *st);

/* kinds/types are borrowed and must outlive the set. NULL on OOM. */
__attribute__((visibility("hidden"))) em__sessions *
em__sessions_create(uint32_t naggs, const em_agg_kind *kinds, const em_type *types, int64_t gap);
__attribute__((visibility("hidden"))) void em__sessions_destroy(em__sessions *s);
/* States (naggs) of the session of key containing ts, created or merged as
 * needed; valid until the next call. NULL on OOM. */
__attribute__((visibility("hidden"))) em__agg_state *em__sessions_find(em__sessions *s,
                                                                     uint32_t key, int64_t ts);
/* Emits (through fn) and frees every session with last + gap <= wm. */
__attribute__((visibility("hidden"))) int em__sessions_close(em__sessions *s, int64_t wm,
                                                            em__session_emit_fn fn, void *ud);
/* Calls fn for every open session, key by key, each key's sessions in
 * list order (the order em__sessions_append rebuilds). */
typedef int (*em__session_each_fn)(void *ud, uint32_t key, int64_t start, int64_t last,
                                   const em__agg_state *st);
__attribute__((visibility("hidden"))) int em__sessions_each(const em__sessions *s,
                                                           em__session_each_fn fn, void *ud);
/* Adds a session [start, last] at the end of key's list (restore): its
 * naggs states are zeroed for the caller to fill. NULL on OOM. */
__attribute__((visibility("hidden"))) em__agg_state *
em__sessions_append(em__sessions *s, uint32_t key, int64_t start, int64_t last);
__attribute__((visibility("hidden"))) void em__sessions_stats(const em__sessions *s,
                                                             uint64_t *keys, uint64_t *bytes);

#endif
