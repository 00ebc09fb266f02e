/*
 * core/mem.h - the one allocator, and per-batch arenas.
 *
 * Every allocation in Ember goes through em_malloc and friends. They count
 * live bytes (fed to /metrics and memory_limit) and can be redirected with
 * em_mem_set_allocator(), e.g. to fail the Nth allocation in fault tests.
 * The counter and the hook are process-wide on purpose, as in Redis's
 * zmalloc: an allocation site should not need an engine handle.
 *
 * An arena (nginx pool style) serves everything whose lifetime is one
 * micro-batch: allocation is a pointer bump, and em_arena_reset() frees it
 * all at once when the batch commits. Nothing on the hot path calls
 * em_malloc per record.
 */
#ifndef EMBER_CORE_MEM_H
#define EMBER_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Lua-style allocator: (ud, ptr, old_size, new_size). new_size == 0 frees
 * and returns NULL; otherwise behaves like realloc and returns NULL on
 * failure, leaving ptr untouched. */
typedef void *(*em_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

void em_mem_set_allocator(em_alloc_fn fn, void *ud);
void em_mem_get_allocator(em_alloc_fn *fn, void **ud);

void *em_malloc(size_t n);
void *em_calloc(size_t n, size_t size);     /* overflow-checked */
void *em_realloc(void *p, size_t n);
void em_free(void *p);
char *em_strdup(const char *s);
char *em_strndup(const char *s, size_t n);

size_t em_mem_used(void);  /* live bytes allocated through em_malloc */
size_t em_mem_peak(void);  /* high-water mark of em_mem_used() */

/* Fault injection for tests: make the Nth allocation from now fail
 * (n == 0 disables). Returns how many allocations failed so far. */
void em_mem_fail_after(uint64_t n);
uint64_t em_mem_failures(void);

typedef struct em_arena_chunk em_arena_chunk;

typedef struct em_arena {
    em_arena_chunk *head;  /* current chunk (bump allocation) */
    em_arena_chunk *big;   /* oversized allocations, each its own chunk */
    size_t chunk_size;     /* default chunk payload size */
    size_t used;           /* bytes handed out since the last reset */
    size_t reserved;       /* bytes held by chunks */
} em_arena;

/* chunk_size 0 picks 64 KiB. init never allocates; the first alloc does. */
void em_arena_init(em_arena *a, size_t chunk_size);
/* Frees every allocation; keeps one chunk for reuse. */
void em_arena_reset(em_arena *a);
/* Frees everything. The arena can be init'ed again. */
void em_arena_release(em_arena *a);

/* 16-byte aligned; NULL on out-of-memory. Valid until reset/release. */
void *em_arena_alloc(em_arena *a, size_t n);
void *em_arena_calloc(em_arena *a, size_t n, size_t size);
/* Copies n bytes and appends a NUL. */
char *em_arena_strndup(em_arena *a, const char *s, size_t n);
/* Grows an allocation made from this arena (copies; the old block stays
 * until reset). Used by builders whose final size is unknown. */
void *em_arena_grow(em_arena *a, void *p, size_t old_n, size_t new_n);

#endif
