/*
 * ops/table.c - key index, row store and reference-table state. See
 * table.h for the layout; the invariants worth knowing:
 *
 *   - the slot array is at most half full, so a probe for an absent key
 *     ends after ~1.5 slots on average and no tombstones are needed
 *     (removal shifts the following cluster back);
 *   - a slot caches the full 64-bit hash, so key bytes are compared only
 *     on a hash match (TEXT keys are rarely touched);
 *   - ids are dense and reused, so per-id arrays (the row store, keyed
 *     state) stay compact when keys come and go.
 */
#include "ops/table.h"

#include "core/hash.h"
#include "ember/error.h"

#include <math.h>
#include <string.h>

/* ---- key hashing ---- */

static int is_i64_type(em_type t)
{
    return t == EM_TYPE_BIGINT || t == EM_TYPE_TIMESTAMP || t == EM_TYPE_INTERVAL;
}

static em_type norm_type(em_type t)
{
    return is_i64_type(t) ? EM_TYPE_BIGINT : t;
}

int em__key_types_compatible(em_type a, em_type b)
{
    return a != EM_TYPE_NULL && norm_type(a) == norm_type(b);
}

/* DOUBLE key bits: equal values give equal bits. */
static inline uint64_t dbl_bits(double d)
{
    uint64_t u;
    if (d == 0)
        d = 0.0;
    else if (isnan(d))
        d = NAN;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline uint64_t hash_fixed(uint64_t bits)
{
    return em_hash_u64(bits, EM_HASH_SEED);
}

void em__key_hash(const em_column *c, const uint32_t *rows, uint32_t n, uint64_t *h)
{
    switch (norm_type(c->type)) {
    case EM_TYPE_BIGINT:
        for (uint32_t i = 0; i < n; i++)
            h[i] = hash_fixed((uint64_t)c->v.i64[rows[i]]);
        break;
    case EM_TYPE_DOUBLE:
        for (uint32_t i = 0; i < n; i++)
            h[i] = hash_fixed(dbl_bits(c->v.f64[rows[i]]));
        break;
    case EM_TYPE_BOOLEAN:
        for (uint32_t i = 0; i < n; i++)
            h[i] = hash_fixed(c->v.b[rows[i]]);
        break;
    case EM_TYPE_TEXT:
        for (uint32_t i = 0; i < n; i++) {
            em_slice s = em_column_text(c, rows[i]);
            h[i] = em_hash_bytes(s.ptr, s.len, EM_HASH_SEED);
        }
        break;
    default:
        memset(h, 0, n * sizeof *h);
    }
    if (c->validity && c->null_count)
        for (uint32_t i = 0; i < n; i++)
            if (em_column_is_null(c, rows[i]))
                h[i] = 0;
}

/* ---- TEXT cells ---- */

_Static_assert(sizeof(char *) <= 8, "a long TEXT cell keeps its pointer in 8 bytes");

/* Fills c with a copy of t. Returns 0 or EM_ENOMEM (c untouched). */
static int tcell_set(em__tcell *c, em_slice t)
{
    if (t.len > UINT32_MAX)
        return EM_ENOMEM;
    if (t.len <= EM__TCELL_INLINE) {
        memset(c->in, 0, sizeof c->in);
        if (t.len)
            memcpy(c->in, t.ptr, t.len);
    } else {
        char *p = em_malloc(t.len);
        if (!p)
            return EM_ENOMEM;
        memcpy(p, t.ptr, t.len);
        memcpy(c->in + 4, &p, sizeof p);
    }
    c->len = (uint32_t)t.len;
    return 0;
}

/* Frees what c owns; c becomes the empty string. Returns the heap bytes
 * released. */
static size_t tcell_clear(em__tcell *c)
{
    size_t freed = 0;
    if (c->len > EM__TCELL_INLINE) {
        em_free((char *)em__tcell_ptr(c));
        freed = c->len;
    }
    memset(c, 0, sizeof *c);
    return freed;
}

static inline size_t tcell_heap(const em__tcell *c)
{
    return c->len > EM__TCELL_INLINE ? c->len : 0;
}

/* ---- key index ---- */

void em__keyidx_init(em__keyidx *x, em_type t)
{
    memset(x, 0, sizeof *x);
    x->type = norm_type(t);
}

void em__keyidx_release(em__keyidx *x)
{
    if (x->ktext)
        for (uint32_t i = 0; i < x->nids; i++)
            tcell_clear(&x->ktext[i]);
    em_free(x->slots);
    em_free(x->kbits);
    em_free(x->ktext);
    em_free(x->khash);
    em_free(x->freeids);
    memset(x, 0, sizeof *x);
}

static uint64_t key_bits(const em__keyidx *x, const em_column *c, uint32_t row)
{
    switch (x->type) {
    case EM_TYPE_BIGINT:
        return (uint64_t)c->v.i64[row];
    case EM_TYPE_DOUBLE:
        return dbl_bits(c->v.f64[row]);
    case EM_TYPE_BOOLEAN:
        return c->v.b[row];
    default:
        return 0;
    }
}

/* The hash that places slot s (see em__keyslot). */
static inline uint64_t slot_hash(const em__keyidx *x, const em__keyslot *s)
{
    return x->type == EM_TYPE_TEXT ? s->hk : hash_fixed(s->hk);
}

static inline __attribute__((always_inline)) int text_eq(const em__tcell *c, em_slice t)
{
    return c->len == t.len && em_bytes_eq(em__tcell_ptr(c), t.ptr, t.len);
}

/* Probe for a fixed-width key; returns the id or -1. The slot holds the
 * key bits, so a probe reads nothing but the slot array. */
static inline int32_t probe_fixed(const em__keyidx *x, uint64_t h, uint64_t bits)
{
    uint32_t i = (uint32_t)h & x->mask;
    for (;;) {
        const em__keyslot *s = &x->slots[i];
        if (s->id == EM__NOID)
            return -1;
        if (s->hk == bits)
            return (int32_t)s->id;
        i = (i + 1) & x->mask;
    }
}

/* Probe for a TEXT key: full hashes first, key bytes only on a match. */
static inline __attribute__((always_inline)) int32_t probe_text(const em__keyidx *x, uint64_t h,
                                                                  em_slice t)
{
    uint32_t i = (uint32_t)h & x->mask;
    for (;;) {
        const em__keyslot *s = &x->slots[i];
        if (s->id == EM__NOID)
            return -1;
        if (s->hk == h && text_eq(&x->ktext[s->id], t))
            return (int32_t)s->id;
        i = (i + 1) & x->mask;
    }
}

/* Large tables miss the cache on every probe: the slot of the row
 * PREFETCH rows ahead is requested before probing this one. */
#define PREFETCH 8
#define FIND_LOOP(PROBE)                                                                           \
    for (uint32_t i = 0; i < n; i++) {                                                             \
        if (i + PREFETCH < n)                                                                      \
            __builtin_prefetch(&x->slots[(uint32_t)h[i + PREFETCH] & x->mask]);                    \
        out[i] = (PROBE);                                                                          \
    }

void em__keyidx_find(const em__keyidx *x, const em_column *c, const uint32_t *rows, uint32_t n,
                     const uint64_t *h, int32_t *out)
{
    if (x->live == 0 || !em__key_types_compatible(x->type, c->type)) {
        for (uint32_t i = 0; i < n; i++)
            out[i] = -1;
        return;
    }
    for (uint32_t i = 0; i < n && i < PREFETCH; i++)
        __builtin_prefetch(&x->slots[(uint32_t)h[i] & x->mask]);
    /* One loop per key type: no type dispatch inside the row loop. */
    switch (x->type) {
    case EM_TYPE_BIGINT: {
        const int64_t *v = c->v.i64;
        FIND_LOOP(probe_fixed(x, h[i], (uint64_t)v[rows[i]]));
        break;
    }
    case EM_TYPE_DOUBLE: {
        const double *v = c->v.f64;
        FIND_LOOP(probe_fixed(x, h[i], dbl_bits(v[rows[i]])));
        break;
    }
    case EM_TYPE_BOOLEAN: {
        const uint8_t *v = c->v.b;
        FIND_LOOP(probe_fixed(x, h[i], v[rows[i]]));
        break;
    }
    case EM_TYPE_TEXT:
        FIND_LOOP(probe_text(x, h[i], em_column_text(c, rows[i])));
        break;
    default:
        for (uint32_t i = 0; i < n; i++)
            out[i] = -1;
    }
    if (c->validity && c->null_count)
        for (uint32_t i = 0; i < n; i++)
            if (em_column_is_null(c, rows[i]))
                out[i] = -1;
}

static void slot_place(em__keyslot *slots, uint32_t mask, uint64_t h, uint64_t hk, uint32_t id)
{
    uint32_t i = (uint32_t)h & mask;
    while (slots[i].id != EM__NOID)
        i = (i + 1) & mask;
    slots[i].hk = hk;
    slots[i].id = id;
}

static int grow_slots(em__keyidx *x)
{
    uint32_t ncap = x->mask ? (x->mask + 1) * 2 : 16;
    em__keyslot *ns = em_malloc((size_t)ncap * sizeof *ns);
    if (!ns)
        return EM_ENOMEM;
    for (uint32_t i = 0; i < ncap; i++)
        ns[i].id = EM__NOID;
    if (x->mask)
        for (uint32_t i = 0; i <= x->mask; i++)
            if (x->slots[i].id != EM__NOID)
                slot_place(ns, ncap - 1, slot_hash(x, &x->slots[i]), x->slots[i].hk,
                           x->slots[i].id);
    em_free(x->slots);
    x->slots = ns;
    x->mask = ncap - 1;
    return 0;
}

static int grow_ids(em__keyidx *x)
{
    uint32_t ncap = x->idcap ? x->idcap * 2 : 16;
    uint32_t *fr = em_realloc(x->freeids, (size_t)ncap * sizeof *fr);
    if (!fr)
        return EM_ENOMEM;
    x->freeids = fr;
    if (x->type == EM_TYPE_TEXT) {
        uint64_t *kh = em_realloc(x->khash, (size_t)ncap * sizeof *kh);
        if (!kh)
            return EM_ENOMEM;
        x->khash = kh;
        em__tcell *kt = em_realloc(x->ktext, (size_t)ncap * sizeof *kt);
        if (!kt)
            return EM_ENOMEM;
        memset(kt + x->idcap, 0, (size_t)(ncap - x->idcap) * sizeof *kt);
        x->ktext = kt;
    } else {
        uint64_t *kb = em_realloc(x->kbits, (size_t)ncap * sizeof *kb);
        if (!kb)
            return EM_ENOMEM;
        x->kbits = kb;
    }
    x->idcap = ncap;
    return 0;
}

int em__keyidx_insert(em__keyidx *x, const em_column *c, uint32_t row, uint64_t h, uint32_t *id,
                      int *created)
{
    int32_t found = -1;
    int text = x->type == EM_TYPE_TEXT;
    uint64_t bits = text ? 0 : key_bits(x, c, row);
    *created = 0;
    if (x->live)
        found = text ? probe_text(x, h, em_column_text(c, row)) : probe_fixed(x, h, bits);
    if (found >= 0) {
        *id = (uint32_t)found;
        return 0;
    }
    if ((uint64_t)(x->live + 1) * 2 > (uint64_t)x->mask + 1 && grow_slots(x))
        return EM_ENOMEM;
    if (!x->nfree && x->nids == x->idcap && grow_ids(x))
        return EM_ENOMEM;
    uint32_t nid = x->nfree ? x->freeids[x->nfree - 1] : x->nids;
    if (text) {
        em_slice t = em_column_text(c, row);
        if (tcell_set(&x->ktext[nid], t))
            return EM_ENOMEM;
        x->text_bytes += tcell_heap(&x->ktext[nid]);
        x->khash[nid] = h;
    } else {
        x->kbits[nid] = bits;
    }
    if (x->nfree)
        x->nfree--;
    else
        x->nids++;
    slot_place(x->slots, x->mask, h, text ? h : bits, nid);
    x->live++;
    *id = nid;
    *created = 1;
    return 0;
}

void em__keyidx_remove(em__keyidx *x, uint32_t id)
{
    uint32_t mask = x->mask;
    int text = x->type == EM_TYPE_TEXT;
    uint32_t i = (uint32_t)(text ? x->khash[id] : hash_fixed(x->kbits[id])) & mask;
    while (x->slots[i].id != id)
        i = (i + 1) & mask;
    /* Backward-shift deletion: move later members of the cluster whose home
     * slot is not in (i, j] into the hole. */
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (x->slots[j].id == EM__NOID)
            break;
        uint32_t k = (uint32_t)slot_hash(x, &x->slots[j]) & mask;
        int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (stays)
            continue;
        x->slots[i] = x->slots[j];
        i = j;
    }
    x->slots[i].id = EM__NOID;
    if (text)
        x->text_bytes -= tcell_clear(&x->ktext[id]);
    x->freeids[x->nfree++] = id;
    x->live--;
}

int em__keyidx_put(const em__keyidx *x, uint32_t id, em_batch_builder *bb, uint32_t col)
{
    switch (x->type) {
    case EM_TYPE_BIGINT:
        em_batch_builder_set_i64(bb, col, (int64_t)x->kbits[id]);
        return 0;
    case EM_TYPE_DOUBLE: {
        double d;
        memcpy(&d, &x->kbits[id], sizeof d);
        em_batch_builder_set_f64(bb, col, d);
        return 0;
    }
    case EM_TYPE_BOOLEAN:
        em_batch_builder_set_bool(bb, col, x->kbits[id] != 0);
        return 0;
    case EM_TYPE_TEXT:
        return em_batch_builder_set_text(bb, col, em__tcell_ptr(&x->ktext[id]),
                                         x->ktext[id].len);
    default:
        return em_batch_builder_set_null(bb, col);
    }
}

size_t em__keyidx_bytes(const em__keyidx *x)
{
    size_t per_id = sizeof(uint32_t) + (x->type == EM_TYPE_TEXT
                                            ? sizeof(em__tcell) + sizeof(uint64_t)
                                            : sizeof(uint64_t));
    return (x->mask ? ((size_t)x->mask + 1) * sizeof(em__keyslot) : 0) +
           (size_t)x->idcap * per_id + x->text_bytes;
}

/* ---- row store ---- */

int em__rowstore_init(em__rowstore *rs, const em_schema *s)
{
    memset(rs, 0, sizeof *rs);
    rs->cols = em_calloc(s->nfields ? s->nfields : 1, sizeof *rs->cols);
    if (!rs->cols)
        return EM_ENOMEM;
    rs->ncols = s->nfields;
    for (uint32_t c = 0; c < s->nfields; c++)
        rs->cols[c].type = s->fields[c].type;
    return 0;
}

void em__rowstore_release(em__rowstore *rs)
{
    for (uint32_t c = 0; c < rs->ncols; c++) {
        em__rowcol *rc = &rs->cols[c];
        if (rc->txt)
            for (uint32_t i = 0; i < rs->cap; i++)
                tcell_clear(&rc->txt[i]);
        em_free(rc->fix);
        em_free(rc->txt);
        em_free(rc->null);
    }
    em_free(rs->cols);
    memset(rs, 0, sizeof *rs);
}

int em__rowstore_reserve(em__rowstore *rs, uint32_t n)
{
    if (n <= rs->cap)
        return 0;
    uint32_t ncap = rs->cap ? rs->cap : 16;
    while (ncap < n)
        ncap *= 2;
    for (uint32_t c = 0; c < rs->ncols; c++) {
        em__rowcol *rc = &rs->cols[c];
        uint8_t *nl = em_realloc(rc->null, ncap);
        if (!nl)
            return EM_ENOMEM;
        memset(nl + rs->cap, 1, ncap - rs->cap);
        rc->null = nl;
        if (rc->type == EM_TYPE_TEXT) {
            em__tcell *t = em_realloc(rc->txt, (size_t)ncap * sizeof *t);
            if (!t)
                return EM_ENOMEM;
            memset(t + rs->cap, 0, (size_t)(ncap - rs->cap) * sizeof *t);
            rc->txt = t;
        } else {
            uint64_t *f = em_realloc(rc->fix, (size_t)ncap * sizeof *f);
            if (!f)
                return EM_ENOMEM;
            memset(f + rs->cap, 0, (size_t)(ncap - rs->cap) * sizeof *f);
            rc->fix = f;
        }
    }
    /* Only now: a failure above leaves every column at least the old cap. */
    rs->cap = ncap;
    return 0;
}

int em__rowstore_put(em__rowstore *rs, uint32_t id, const em_batch *b, uint32_t row)
{
    for (uint32_t c = 0; c < rs->ncols; c++) {
        em__rowcol *rc = &rs->cols[c];
        const em_column *src = &b->cols[c];
        int isnull = em_column_is_null(src, row);
        if (rc->type == EM_TYPE_TEXT) {
            em__tcell nv = {0};
            if (!isnull && tcell_set(&nv, em_column_text(src, row)))
                return EM_ENOMEM;
            rs->text_bytes -= tcell_clear(&rc->txt[id]);
            rs->text_bytes += tcell_heap(&nv);
            rc->txt[id] = nv;
            if (nv.len > rc->max_len)
                rc->max_len = nv.len;
        } else if (isnull) {
            rc->fix[id] = 0;
        } else if (rc->type == EM_TYPE_BOOLEAN) {
            rc->fix[id] = src->v.b[row];
        } else {
            rc->fix[id] = (uint64_t)src->v.i64[row];
        }
        rc->null[id] = (uint8_t)isnull;
        rc->any_null |= isnull;
    }
    return 0;
}

void em__rowstore_clear(em__rowstore *rs, uint32_t id)
{
    for (uint32_t c = 0; c < rs->ncols; c++) {
        em__rowcol *rc = &rs->cols[c];
        if (rc->txt)
            rs->text_bytes -= tcell_clear(&rc->txt[id]);
        rc->null[id] = 1;
    }
}

size_t em__rowstore_bytes(const em__rowstore *rs)
{
    size_t b = 0;
    for (uint32_t c = 0; c < rs->ncols; c++)
        b += (size_t)rs->cap * (1 + (rs->cols[c].type == EM_TYPE_TEXT ? sizeof(em__tcell)
                                                                      : sizeof(uint64_t)));
    return b + rs->text_bytes;
}

/* ---- reference table state ---- */

int em_table_state_create(em_table_state **out, const em_schema *s, int key_col, em_errbuf *err)
{
    em_table_state *t = NULL;
    if (key_col < 0 || (uint32_t)key_col >= s->nfields)
        return em_errf(err, EM_EINVAL, "table key column %d out of range (table has %u columns)",
                       key_col, s->nfields);
    if (s->fields[key_col].type == EM_TYPE_NULL)
        return em_errf(err, EM_ETYPE, "table key column \"%s\" has no type",
                       s->fields[key_col].name);
    t = em_calloc(1, sizeof *t);
    if (!t)
        goto oom;
    em__keyidx_init(&t->keys, s->fields[key_col].type);
    t->key_col = key_col;
    t->schema = em_schema_copy(s);
    t->hbuf = em_malloc(EM_BATCH_ROWS * sizeof *t->hbuf);
    t->rbuf = em_malloc(EM_BATCH_ROWS * sizeof *t->rbuf);
    if (!t->schema || !t->hbuf || !t->rbuf || em__rowstore_init(&t->rows, s))
        goto oom;
    *out = t;
    return 0;
oom:
    em_table_state_destroy(t);
    return em_errf(err, EM_ENOMEM, "out of memory creating table state");
}

void em_table_state_destroy(em_table_state *t)
{
    if (!t)
        return;
    em__keyidx_release(&t->keys);
    em__rowstore_release(&t->rows);
    em_schema_destroy(t->schema);
    em_free(t->hbuf);
    em_free(t->rbuf);
    em_free(t);
}

static int all_values_null(const em_table_state *t, const em_batch *b, uint32_t row)
{
    for (uint32_t c = 0; c < b->ncols; c++)
        if ((int)c != t->key_col && !em_column_is_null(&b->cols[c], row))
            return 0;
    return 1;
}

int em_table_state_upsert(em_table_state *t, const em_batch *b)
{
    const em_column *kc = &b->cols[t->key_col];
    uint32_t total = em_batch_count(b);
    for (uint32_t base = 0; base < total; base += EM_BATCH_ROWS) {
        uint32_t n = total - base < EM_BATCH_ROWS ? total - base : EM_BATCH_ROWS;
        for (uint32_t i = 0; i < n; i++)
            t->rbuf[i] = em_batch_row(b, base + i);
        em__key_hash(kc, t->rbuf, n, t->hbuf);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t row = t->rbuf[i];
            if (em_column_is_null(kc, row)) {
                t->null_keys++;
                continue;
            }
            if (all_values_null(t, b, row)) {
                int32_t id;
                em__keyidx_find(&t->keys, kc, &row, 1, &t->hbuf[i], &id);
                if (id >= 0) {
                    em__rowstore_clear(&t->rows, (uint32_t)id);
                    em__keyidx_remove(&t->keys, (uint32_t)id);
                }
                t->deletes++;
                continue;
            }
            uint32_t id;
            int created, rc;
            if ((rc = em__keyidx_insert(&t->keys, kc, row, t->hbuf[i], &id, &created)))
                return rc;
            if ((rc = em__rowstore_reserve(&t->rows, t->keys.nids)) ||
                (rc = em__rowstore_put(&t->rows, id, b, row))) {
                if (created)
                    em__keyidx_remove(&t->keys, id);
                return rc;
            }
            t->upserts++;
        }
    }
    return 0;
}

void em_table_state_lookup(const em_table_state *t, const em_column *c, const uint32_t *rows,
                           uint32_t n, uint64_t *hbuf, int32_t *out)
{
    em__key_hash(c, rows, n, hbuf);
    em__keyidx_find(&t->keys, c, rows, n, hbuf, out);
}

uint64_t em_table_state_keys(const em_table_state *t)
{
    return t->keys.live;
}

size_t em_table_state_bytes(const em_table_state *t)
{
    return em__keyidx_bytes(&t->keys) + em__rowstore_bytes(&t->rows);
}
