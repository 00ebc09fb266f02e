/*
 * core/pool.h - a fixed pool of worker threads for fork-join work.
 *
 * em_pool_run(pool, fn, arg, n) calls fn(arg, i) for i in [0, n) across the
 * workers and the calling thread, and returns when all calls are done. It
 * is the only primitive the engine needs: each phase of a micro-batch fans
 * out over key partitions and joins before the next phase.
 */
#ifndef EMBER_CORE_POOL_H
#define EMBER_CORE_POOL_H

#include <stdint.h>

typedef struct em_pool em_pool;
typedef void (*em_pool_fn)(void *arg, uint32_t i);

/* Starts nthreads - 1 workers (the caller is the last). NULL on failure. */
em_pool *em_pool_create(uint32_t nthreads);
/* Stops and joins the workers; NULL-safe. */
void em_pool_destroy(em_pool *p);
uint32_t em_pool_size(const em_pool *p);
/* Runs fn(arg, 0..n-1) in parallel; not reentrant (one run at a time). */
void em_pool_run(em_pool *p, em_pool_fn fn, void *arg, uint32_t n);

#endif
