/*
 * core/mem.c - counting allocator and arenas. See mem.h.
 *
 * Each em_malloc block carries a 16-byte header holding its size, so the
 * counter stays exact whatever the underlying allocator is.
 */
#include "core/mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define HDR 16 /* keeps 16-byte alignment of the user pointer */

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

static em_alloc_fn alloc_fn = default_alloc;
static void *alloc_ud;
static _Atomic size_t mem_used;
static _Atomic size_t mem_peak;
static _Atomic uint64_t fail_countdown;
static _Atomic uint64_t fail_count;

void em_mem_set_allocator(em_alloc_fn fn, void *ud)
{
    alloc_fn = fn ? fn : default_alloc;
    alloc_ud = ud;
}

void em_mem_get_allocator(em_alloc_fn *fn, void **ud)
{
    *fn = alloc_fn;
    *ud = alloc_ud;
}

void em_mem_fail_after(uint64_t n)
{
    atomic_store(&fail_countdown, n);
}

uint64_t em_mem_failures(void)
{
    return atomic_load(&fail_count);
}

static int injected_failure(void)
{
    uint64_t c = atomic_load(&fail_countdown);
    while (c > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &c, c - 1)) {
            if (c == 1) {
                atomic_fetch_add(&fail_count, 1);
                return 1;
            }
            return 0;
        }
    }
    return 0;
}

static void account(size_t add, size_t sub)
{
    size_t now = atomic_fetch_add(&mem_used, add) + add;
    atomic_fetch_sub(&mem_used, sub);
    now -= sub;
    size_t peak = atomic_load(&mem_peak);
    while (now > peak && !atomic_compare_exchange_weak(&mem_peak, &peak, now))
        ;
}

void *em_malloc(size_t n)
{
    return em_realloc(NULL, n);
}

void *em_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = em_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *em_realloc(void *p, size_t n)
{
    if (n == 0) {
        em_free(p);
        return NULL;
    }
    if (n > SIZE_MAX - HDR || injected_failure())
        return NULL;
    char *base = p ? (char *)p - HDR : NULL;
    size_t old = base ? *(size_t *)base : 0;
    char *nb = alloc_fn(alloc_ud, base, base ? old + HDR : 0, n + HDR);
    if (!nb)
        return NULL;
    *(size_t *)nb = n;
    account(n, old);
    return nb + HDR;
}

void em_free(void *p)
{
    if (!p)
        return;
    char *base = (char *)p - HDR;
    size_t n = *(size_t *)base;
    alloc_fn(alloc_ud, base, n + HDR, 0);
    atomic_fetch_sub(&mem_used, n);
}

char *em_strndup(const char *s, size_t n)
{
    char *d = em_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

char *em_strdup(const char *s)
{
    return em_strndup(s, strlen(s));
}

size_t em_mem_used(void)
{
    return atomic_load(&mem_used);
}

size_t em_mem_peak(void)
{
    return atomic_load(&mem_peak);
}

/* ---- arenas ---- */

struct em_arena_chunk {
    em_arena_chunk *next;
    size_t size; /* payload bytes */
    size_t pos;  /* next free byte */
    _Alignas(16) char mem[];
};

void em_arena_init(em_arena *a, size_t chunk_size)
{
    memset(a, 0, sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

static em_arena_chunk *chunk_new(em_arena *a, size_t size)
{
    em_arena_chunk *c = em_malloc(sizeof *c + size);
    if (!c)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->pos = 0;
    a->reserved += size;
    return c;
}

static void free_list(em_arena *a, em_arena_chunk *c)
{
    while (c) {
        em_arena_chunk *n = c->next;
        a->reserved -= c->size;
        em_free(c);
        c = n;
    }
}

void em_arena_reset(em_arena *a)
{
    free_list(a, a->big);
    a->big = NULL;
    if (a->head) {
        /* keep the most recent (largest) chunk for reuse */
        free_list(a, a->head->next);
        a->head->next = NULL;
        a->head->pos = 0;
    }
    a->used = 0;
}

void em_arena_release(em_arena *a)
{
    free_list(a, a->big);
    free_list(a, a->head);
    size_t cs = a->chunk_size;
    em_arena_init(a, cs);
}

void *em_arena_alloc(em_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n)
        return NULL;
    if (need > a->chunk_size / 4) {
        /* big blocks get their own chunk so they do not waste the current one */
        em_arena_chunk *c = chunk_new(a, need);
        if (!c)
            return NULL;
        c->next = a->big;
        a->big = c;
        c->pos = need;
        a->used += need;
        return c->mem;
    }
    em_arena_chunk *c = a->head;
    if (!c || c->size - c->pos < need) {
        c = chunk_new(a, a->chunk_size);
        if (!c)
            return NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->mem + c->pos;
    c->pos += need;
    a->used += need;
    return p;
}

void *em_arena_calloc(em_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = em_arena_alloc(a, n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

char *em_arena_strndup(em_arena *a, const char *s, size_t n)
{
    char *d = em_arena_alloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

void *em_arena_grow(em_arena *a, void *p, size_t old_n, size_t new_n)
{
    if (new_n <= old_n)
        return p;
    void *q = em_arena_alloc(a, new_n);
    if (q && p && old_n)
        memcpy(q, p, old_n);
    return q;
}
