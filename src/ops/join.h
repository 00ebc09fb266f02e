/*
 * ops/join.h - joins: a stream against a reference table, and two streams
 * within a time bound.
 *
 * Operators take column indexes (the planner projects key and time
 * expressions to columns beforehand). Output columns are the left/stream
 * input's columns followed by the right/table input's columns, with their
 * names unchanged: a name clash (both sides have "id") is left to the
 * planner, which renames or projects after the join. Output batches live
 * in cx->arena; a stream-table join's output may share the input batch's
 * column buffers and carry a selection vector.
 */
#ifndef EMBER_OPS_JOIN_H
#define EMBER_OPS_JOIN_H

#include "ops/op.h"

/* Stream-table join. Port 0 takes stream rows, port 1 the table's own
 * update stream (upserts by table_key_col; a row whose other columns are
 * all NULL deletes the key). The scheduler pushes a micro-batch's table
 * updates before its stream rows, so each stream row meets the table row
 * current when it is processed. key columns must have compatible types
 * (equal, or two of BIGINT/TIMESTAMP/INTERVAL). left = 0: INNER (unmatched
 * stream rows and NULL keys are dropped); left = 1: LEFT (they are kept with
 * NULL table columns). Schemas are borrowed for the call. Returns 0,
 * EM_EINVAL/EM_ETYPE (message in err) or EM_ENOMEM; *out is the caller's
 * (em_op_destroy). state_keys/state_bytes report the table. */
int em_table_join_create(em_op **out, const char *id, const em_schema *stream, int stream_key_col,
                         const em_schema *table, int table_key_col, int left, em_errbuf *err);

/* Interval join of two streams: port 0 = left, port 1 = right. Matches
 * l.key = r.key AND l.time + lower_us <= r.time <= l.time + upper_us
 * (lower_us <= upper_us; times are TIMESTAMP columns). Each side is
 * buffered; an arriving row is matched against the other side's buffer, so
 * every matching pair is emitted exactly once whatever the arrival order.
 * Rows whose time is below the watermark in force (cx->watermark) are late:
 * dropped and counted, unless flags has EM__IJ_RESULTS: the inputs are
 * window aggregates' results joined on matching window bounds, emitted when
 * the watermark passes window_end (window_start is below it by then), both
 * sides' rows of a window in the same micro-batch. advance(wm) drops left
 * rows with l.time + upper < wm and right rows with r.time - lower < wm (no
 * future row can match them); with EM__IJ_LEFT a dropped left row that
 * never matched is emitted then with NULL right columns (rows with a NULL
 * key or time at once). Returns 0, EM_EINVAL/EM_ETYPE (message in err) or
 * EM_ENOMEM. */
#define EM__IJ_LEFT 1    /* LEFT join */
#define EM__IJ_RESULTS 2 /* window results on matching bounds: never late */
int em_interval_join_create(em_op **out, const char *id, const em_schema *left, int lkey,
                            int ltime, const em_schema *right, int rkey, int rtime,
                            int64_t lower_us, int64_t upper_us, unsigned flags, em_errbuf *err);

/* Internal: the output schema of a join, a's fields then b's (names kept).
 * NULL on out-of-memory. */
__attribute__((visibility("hidden"))) em_schema *em__join_schema(const em_schema *a,
                                                                 const em_schema *b);

#endif
