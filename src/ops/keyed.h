/*
 * ops/keyed.h - keyed state with TTL and timers, and the silence detector.
 *
 * em_keyed maps a single-column key (any type; see ops/table.h for key
 * equality) to a fixed-size user state blob, a last-seen time and at most
 * one pending timer. It does not know which clock it runs on: the caller
 * passes times (event time with the watermark, or cx->logical_time for
 * processing time) to touch, set_timer, fire and expire, and says which by
 * where it calls them (advance(wm) for event time, end_batch for
 * processing time, as ops/op.h prescribes).
 *
 * Timers live in a min-heap of (time, id, generation) entries. Moving a
 * timer later does not touch the heap: when the old entry surfaces it is
 * pushed again at the new time, so resetting a timer on every row (a
 * heartbeat) costs no heap work. Removing a key bumps its generation, so
 * stale entries of a reused id are skipped. TTL uses a second heap the same
 * way, one entry per key, re-armed when the key was touched since.
 *
 * Ids are dense (< em_keyed_capacity) and reused after removal; a state
 * pointer is valid until the next call that may create keys.
 */
#ifndef EMBER_OPS_KEYED_H
#define EMBER_OPS_KEYED_H

#include "ops/op.h"

typedef struct em_keyed em_keyed;

/* ---- internal: a binary min-heap of (time, id, generation) ---- */

typedef struct em__theap_ent {
    int64_t at;
    uint32_t id;
    uint32_t gen;
} em__theap_ent;

typedef struct em__theap {
    em__theap_ent *e;
    uint32_t n, cap;
} em__theap;

/* Adds an entry. Returns 0 or EM_ENOMEM. */
__attribute__((visibility("hidden"))) int em__theap_push(em__theap *h, int64_t at, uint32_t id,
                                                         uint32_t gen);
/* Removes the earliest entry into *out (h->n must be > 0). */
__attribute__((visibility("hidden"))) void em__theap_pop(em__theap *h, em__theap_ent *out);
__attribute__((visibility("hidden"))) void em__theap_release(em__theap *h);

/* Creates empty keyed state for keys of type key_type, state_size bytes of
 * zero-initialised user state per key, and entries that expire ttl_us after
 * their last touch (0 = never). Returns 0, EM_EINVAL or EM_ENOMEM; *out is
 * the caller's (em_keyed_destroy). */
int em_keyed_create(em_keyed **out, em_type key_type, size_t state_size, int64_t ttl_us);
/* Frees everything (NULL-safe). */
void em_keyed_destroy(em_keyed *k);

/* Finds or creates the entries of rows[0..n) of key column c (compatible
 * type): ids[i] = entry id, or -1 for a NULL key. created (may be NULL) gets
 * 1 for entries created by this call. A new entry has zeroed state, no
 * timer and last_seen EM_TS_MIN. Returns 0 or EM_ENOMEM (ids of rows before
 * the failing one are valid). */
int em_keyed_upsert(em_keyed *k, const em_column *c, const uint32_t *rows, uint32_t n,
                    int32_t *ids, uint8_t *created);
/* Like upsert without creating: ids[i] = -1 for absent keys. */
void em_keyed_find(em_keyed *k, const em_column *c, const uint32_t *rows, uint32_t n,
                   int32_t *ids);

/* The state blob of a live entry. */
void *em_keyed_state(em_keyed *k, uint32_t id);
/* Records activity at time t: last_seen = max(last_seen, t); arms TTL.
 * Returns 0 or EM_ENOMEM. An entry never touched never expires. */
int em_keyed_touch(em_keyed *k, uint32_t id, int64_t t);
int64_t em_keyed_last_seen(const em_keyed *k, uint32_t id);

/* Sets the entry's one timer to fire at `at` (replacing any pending one).
 * Returns 0 or EM_ENOMEM. */
int em_keyed_set_timer(em_keyed *k, uint32_t id, int64_t at);
void em_keyed_clear_timer(em_keyed *k, uint32_t id);
/* Pending fire time, or EM_TS_MAX when none. */
int64_t em_keyed_timer(const em_keyed *k, uint32_t id);

/* Callback for fired timers and evictions: t is the timer's time (fire) or
 * the expiry deadline (expire). A non-zero return stops the walk and is
 * returned. A fire callback may set a new timer (later than upto, or it
 * fires again in the same walk), or remove the entry. */
typedef int (*em_keyed_fn)(void *ud, em_keyed *k, uint32_t id, int64_t t);

/* Fires, in time order, every pending timer with time <= upto; the timer is
 * cleared before fn runs. Returns 0, fn's error, or EM_ENOMEM. */
int em_keyed_fire(em_keyed *k, int64_t upto, em_keyed_fn fn, void *ud);
/* Evicts every entry with last_seen + ttl <= now, calling fn (may be NULL)
 * first; *evicted (may be NULL) is increased by the count. Returns 0, fn's
 * error or EM_ENOMEM. */
int em_keyed_expire(em_keyed *k, int64_t now, em_keyed_fn fn, void *ud, uint64_t *evicted);
/* Removes an entry (its timer too); the id may be reused. */
void em_keyed_remove(em_keyed *k, uint32_t id);

/* Writes the entry's key into column col of the builder's current row.
 * Returns 0 or EM_ENOMEM/EM_ELIMIT from the builder. */
int em_keyed_put_key(const em_keyed *k, uint32_t id, em_batch_builder *bb, uint32_t col);

uint64_t em_keyed_count(const em_keyed *k);  /* live entries */
size_t em_keyed_bytes(const em_keyed *k);    /* state memory */

/* Internal (snapshots): appends every live entry (key, state blob,
 * last_seen, timer) / loads entries so written into k (normally empty),
 * refusing a state blob for which state_ok (may be NULL) returns 0.
 * _snap returns 0 or EM_ENOMEM/EM_ELIMIT; _load 0, EM_ECORRUPT (d marked
 * bad) or EM_ENOMEM. */
struct em_dec;
__attribute__((visibility("hidden"))) int em__keyed_snap(const em_keyed *k, em_buf *out);
__attribute__((visibility("hidden"))) int em__keyed_load(em_keyed *k, struct em_dec *d,
                                                         int (*state_ok)(const void *state));

/* Silence detector. Input rows carry a key (key_col) and, unless time_col
 * is -1, a TIMESTAMP event time; with time_col = -1 a row's time is the
 * micro-batch's processing time (cx->logical_time). When a key has had no
 * row for timeout_us after its latest row (last_seen), the detector emits
 *     (key, last_seen, silent_since = last_seen + timeout_us, 'SILENT')
 * without needing input for that key: from advance(wm) once wm >=
 * silent_since (the watermark moved by other keys or sources), or from
 * end_batch once cx->logical_time >= silent_since. The next row of a silent
 * key emits (key, that row's time, silent_since, 'BACK'). Output schema:
 * key (named and typed as in), last_seen TIMESTAMP, silent_since TIMESTAMP,
 * status TEXT. Rows with a NULL key or time are ignored; event-time rows
 * below cx->watermark are late (dropped, counted). Keys stay in state while
 * silent (so BACK can be reported). Returns 0, EM_EINVAL/EM_ETYPE (message
 * in err) or EM_ENOMEM. */
int em_silence_create(em_op **out, const char *id, const em_schema *in, int key_col,
                      int time_col, int64_t timeout_us, em_errbuf *err);

#endif
