/*
 * core/pool.c - fork-join worker pool. See pool.h.
 *
 * Tasks are claimed from a shared atomic counter, so a slow task does not
 * hold back the others; a generation counter wakes the workers for each run.
 */
#include "core/pool.h"

#include "core/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct em_pool {
    uint32_t nthreads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t start, done;
    uint64_t generation;
    uint32_t busy;       /* workers still inside the current run */
    bool quit;
    em_pool_fn fn;
    void *arg;
    uint32_t ntasks;
    _Atomic uint32_t next;
};

static void drain(em_pool *p)
{
    for (;;) {
        uint32_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->ntasks)
            return;
        p->fn(p->arg, i);
    }
}

static void *worker(void *arg)
{
    em_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->start, &p->mu);
        if (p->quit)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->mu);
        drain(p);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

em_pool *em_pool_create(uint32_t nthreads)
{
    em_pool *p = em_calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nthreads = nthreads ? nthreads : 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->start, NULL);
    pthread_cond_init(&p->done, NULL);
    p->threads = em_calloc(p->nthreads, sizeof *p->threads);
    if (!p->threads) {
        em_pool_destroy(p);
        return NULL;
    }
    for (uint32_t i = 0; i + 1 < p->nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            p->nthreads = i + 1; /* run with the workers we got */
            break;
        }
    }
    return p;
}

void em_pool_destroy(em_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    for (uint32_t i = 0; p->threads && i + 1 < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->start);
    pthread_cond_destroy(&p->done);
    em_free(p->threads);
    em_free(p);
}

uint32_t em_pool_size(const em_pool *p)
{
    return p->nthreads;
}

void em_pool_run(em_pool *p, em_pool_fn fn, void *arg, uint32_t n)
{
    if (p->nthreads == 1 || n <= 1) {
        for (uint32_t i = 0; i < n; i++)
            fn(arg, i);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->arg = arg;
    p->ntasks = n;
    atomic_store(&p->next, 0);
    p->busy = p->nthreads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->start);
    pthread_mutex_unlock(&p->mu);
    drain(p);
    pthread_mutex_lock(&p->mu);
    while (p->busy > 0)
        pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
