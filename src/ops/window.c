/*
 * ops/window.c - SESSION window state for the aggregate operator.
 *
 * Sessions are kept per interned key id as a singly linked list inside flat
 * pools (start, last row time, aggregate states), with a free list so no
 * allocation happens per row once the pools have grown. A row at time t
 * joins every open session of its key with start - gap < t < last + gap;
 * if it touches several they are merged (Chan's merge of the states).
 * A session's window is [start, last + gap) and closes when the watermark
 * reaches last + gap.
 */
#include "ops/agg.h"

#include "ember/error.h"

#include <string.h>

#define NIL UINT32_MAX

struct em__sessions {
    uint32_t naggs;
    const em_agg_kind *kinds; /* borrowed from the operator */
    const em_type *types;
    int64_t gap;
    uint32_t cap, live, free_head;
    uint32_t *key, *next;
    int64_t *start, *last;
    em__agg_state *st; /* cap * naggs */
    uint32_t *head;    /* per key id: first session or NIL */
    uint32_t nheads;
};

em__sessions *em__sessions_create(uint32_t naggs, const em_agg_kind *kinds, const em_type *types,
                                  int64_t gap)
{
    em__sessions *s = em_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->naggs = naggs;
    s->kinds = kinds;
    s->types = types;
    s->gap = gap;
    s->free_head = NIL;
    return s;
}

static void release(em__sessions *s, uint32_t i)
{
    for (uint32_t j = 0; j < s->naggs; j++)
        em__agg_free(s->kinds[j], s->types[j], &s->st[(size_t)i * s->naggs + j]);
    s->key[i] = NIL;
    s->next[i] = s->free_head;
    s->free_head = i;
    s->live--;
}

void em__sessions_destroy(em__sessions *s)
{
    if (!s)
        return;
    for (uint32_t k = 0; k < s->nheads; k++)
        for (uint32_t i = s->head[k], nx; i != NIL; i = nx) {
            nx = s->next[i];
            release(s, i);
        }
    em_free(s->key);
    em_free(s->next);
    em_free(s->start);
    em_free(s->last);
    em_free(s->st);
    em_free(s->head);
    em_free(s);
}

static int grow(em__sessions *s)
{
    uint32_t nc = s->cap ? s->cap * 2 : 64;
    uint32_t *k = em_realloc(s->key, (size_t)nc * sizeof *k);
    if (!k)
        return EM_ENOMEM;
    s->key = k;
    uint32_t *n = em_realloc(s->next, (size_t)nc * sizeof *n);
    if (!n)
        return EM_ENOMEM;
    s->next = n;
    int64_t *a = em_realloc(s->start, (size_t)nc * sizeof *a);
    if (!a)
        return EM_ENOMEM;
    s->start = a;
    int64_t *l = em_realloc(s->last, (size_t)nc * sizeof *l);
    if (!l)
        return EM_ENOMEM;
    s->last = l;
    em__agg_state *st = em_realloc(s->st, (size_t)nc * s->naggs * sizeof *st + 1);
    if (!st)
        return EM_ENOMEM;
    s->st = st;
    for (uint32_t i = nc; i > s->cap; i--) {
        s->key[i - 1] = NIL;
        s->next[i - 1] = s->free_head;
        s->free_head = i - 1;
    }
    s->cap = nc;
    return 0;
}

/* Makes key a valid index of head. 0 or EM_ENOMEM. */
static int heads_cover(em__sessions *s, uint32_t key)
{
    if (key < s->nheads)
        return 0;
    uint32_t nc = key + 1 > s->nheads * 2 ? key + 1 : s->nheads * 2;
    uint32_t *h = em_realloc(s->head, (size_t)nc * sizeof *h);
    if (!h)
        return EM_ENOMEM;
    for (uint32_t k = s->nheads; k < nc; k++)
        h[k] = NIL;
    s->head = h;
    s->nheads = nc;
    return 0;
}

/* A new session of key [ts, ts] with zeroed states, not linked yet. */
static uint32_t take_slot(em__sessions *s, uint32_t key, int64_t ts)
{
    if (s->free_head == NIL && grow(s))
        return NIL;
    uint32_t i = s->free_head;
    s->free_head = s->next[i];
    s->key[i] = key;
    s->start[i] = s->last[i] = ts;
    memset(&s->st[(size_t)i * s->naggs], 0, s->naggs * sizeof *s->st);
    s->live++;
    return i;
}

em__agg_state *em__sessions_find(em__sessions *s, uint32_t key, int64_t ts)
{
    if (heads_cover(s, key))
        return NULL;
    uint32_t hit = NIL, prev = NIL;
    for (uint32_t i = s->head[key], nx; i != NIL; i = nx) {
        nx = s->next[i];
        if (ts - s->start[i] > -s->gap && ts - s->last[i] < s->gap) {
            if (hit == NIL) {
                hit = i;
            } else { /* the row bridges two sessions: merge i into hit */
                for (uint32_t j = 0; j < s->naggs; j++)
                    if (em__agg_merge(s->kinds[j], s->types[j], &s->st[(size_t)hit * s->naggs + j],
                                      &s->st[(size_t)i * s->naggs + j]))
                        return NULL;
                if (s->start[i] < s->start[hit])
                    s->start[hit] = s->start[i];
                if (s->last[i] > s->last[hit])
                    s->last[hit] = s->last[i];
                s->next[prev] = nx; /* prev != NIL: hit precedes i */
                release(s, i);
                continue;
            }
        }
        prev = i;
    }
    if (hit == NIL) {
        if ((hit = take_slot(s, key, ts)) == NIL)
            return NULL;
        s->next[hit] = s->head[key];
        s->head[key] = hit;
    }
    if (ts < s->start[hit])
        s->start[hit] = ts;
    if (ts > s->last[hit])
        s->last[hit] = ts;
    return &s->st[(size_t)hit * s->naggs];
}

int em__sessions_close(em__sessions *s, int64_t wm, em__session_emit_fn fn, void *ud)
{
    int64_t lim;
    if (__builtin_sub_overflow(wm, s->gap, &lim))
        return 0; /* no session ends that early */
    for (uint32_t k = 0; k < s->nheads; k++) {
        uint32_t prev = NIL;
        for (uint32_t i = s->head[k], nx; i != NIL; i = nx) {
            nx = s->next[i];
            if (s->last[i] > lim) { /* end = last + gap > wm: still open */
                prev = i;
                continue;
            }
            int rc = fn(ud, k, s->start[i], s->last[i] + s->gap, &s->st[(size_t)i * s->naggs]);
            if (rc)
                return rc;
            if (prev == NIL)
                s->head[k] = nx;
            else
                s->next[prev] = nx;
            release(s, i);
        }
    }
    return 0;
}

int em__sessions_each(const em__sessions *s, em__session_each_fn fn, void *ud)
{
    for (uint32_t k = 0; k < s->nheads; k++)
        for (uint32_t i = s->head[k]; i != NIL; i = s->next[i]) {
            int rc = fn(ud, k, s->start[i], s->last[i], &s->st[(size_t)i * s->naggs]);
            if (rc)
                return rc;
        }
    return 0;
}

em__agg_state *em__sessions_append(em__sessions *s, uint32_t key, int64_t start, int64_t last)
{
    uint32_t i;
    if (heads_cover(s, key) || (i = take_slot(s, key, start)) == NIL)
        return NULL;
    s->last[i] = last;
    s->next[i] = NIL;
    if (s->head[key] == NIL) {
        s->head[key] = i;
    } else {
        uint32_t t = s->head[key];
        while (s->next[t] != NIL)
            t = s->next[t];
        s->next[t] = i;
    }
    return &s->st[(size_t)i * s->naggs];
}

void em__sessions_stats(const em__sessions *s, uint64_t *keys, uint64_t *bytes)
{
    *keys = s->live;
    *bytes = (uint64_t)s->cap * (24 + s->naggs * sizeof(em__agg_state)) + (uint64_t)s->nheads * 4;
}
