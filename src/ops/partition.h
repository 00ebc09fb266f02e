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

/* Internal, shared with the operators' restore (a key re-routed when the
 * number of partitions changed must land where em_partition_of sends its
 * rows): the hash of one key value (p NULL for NULL; 8 bytes for the
 * fixed-width types, 1 for BOOLEAN, len bytes for TEXT), to be folded as
 * h = em_hash_combine(h, v) from h = EM_HASH_SEED over the key columns,
 * and the partition of such a hash. */
__attribute__((visibility("hidden"))) uint64_t em__partition_value_hash(em_type t, const void *p,
                                                                       size_t len);
__attribute__((visibility("hidden"))) uint32_t em__partition_pick(uint64_t h, uint32_t n);

/* Internal: a partitioned snapshot is a container of its partitions'
 * snapshots (see partition.c). Calls fn for each blob of the container,
 * or once (i 0, count 1) for a plain operator snapshot. Returns fn's first
 * error, or EM_ECORRUPT for a broken container. */
#define EM__PART_MAGIC 0x54524150u /* "PART" */
typedef int (*em__part_fn)(void *ud, const char *p, size_t n, uint32_t i, uint32_t count);
__attribute__((visibility("hidden"))) int em__part_each(const char *p, size_t n, em__part_fn fn,
                                                       void *ud);

#endif
