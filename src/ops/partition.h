/*
 * ops/partition.h - run a keyed stateful operator as N independent
 * partitions on a worker pool.
 *
 * Rows are routed by a hash of their key columns, so every key lives in
 * exactly one partition and workers share no state. Each phase of a
 * micro-batch (push, advance, end_batch) fans out over the partitions and
 * joins; the partitions' outputs are then forwarded downstream, in
 * partition order, on the scheduler's thread. Each partition allocates from
 * its own arena (arenas are not thread-safe), reset when the next
 * micro-batch starts.
 */
#ifndef EMBER_OPS_PARTITION_H
#define EMBER_OPS_PARTITION_H

#include "core/pool.h"
#include "ops/op.h"

/* Wraps n operators of identical shape (same input and output schemas).
 * Takes ownership of inner[0..n-1] (destroyed with the wrapper, also on
 * failure). key_cols index the input schema. The pool is borrowed and
 * must outlive the operator. Returns 0 or EM_ENOMEM. */
int em_partitioned_create(em_op **out, const char *id, em_op *const *inner, uint32_t n,
                          const int *key_cols, uint32_t nkeys, em_pool *pool, em_errbuf *err);

/* The partition (0..n-1) of row r of b for the given key columns. */
uint32_t em_partition_of(const em_batch *b, uint32_t r, const int *key_cols, uint32_t nkeys,
                         uint32_t n);

#endif
