/*
 * ops/agg_keys.c - group keys of the aggregate operator: every distinct key
 * gets a dense id once per operator (ids are never reused; keys live as
 * long as the operator). See agg_int.h.
 *
 * Keys are hashed column at a time per batch, then probed row by row with
 * the table slot of a row a few rows ahead prefetched. A single BIGINT-like
 * key compares int64 values; a single TEXT key compares raw bytes behind a
 * 32-bit hash tag; other keys are serialised (per column a NULL tag byte,
 * then 8 bytes, 1 byte for BOOLEAN, or a 4-byte length and the bytes).
 * The table keeps load <= 3/4 and is grown before a batch, never during.
 */
#include "ops/agg_int.h"

#include "core/hash.h"
#include "ops/partition.h"
#include "ops/snap.h"
#include "ember/error.h"

#include <string.h>

#define TAG UINT64_C(0xffffffff00000000)
#define PREFETCH 8
/* A table of at most this many slots stays in L1/L2: probes skip the
 * prefetch (few distinct keys, the common GROUP BY). */
#define SMALL_TAB 4096

void em__agg_keys_init(agg_keys *k, uint32_t nkeys, const int *cols, const em_type *types)
{
    memset(k, 0, sizeof *k);
    k->nkeys = nkeys;
    k->cols = cols;
    k->types = types;
    k->null_id = UINT32_MAX;
    if (nkeys == 0)
        k->mode = KEYS_NONE;
    else if (nkeys == 1 && (types[0] == EM_TYPE_BIGINT || types[0] == EM_TYPE_TIMESTAMP ||
                            types[0] == EM_TYPE_INTERVAL))
        k->mode = KEYS_I64;
    else if (nkeys == 1 && types[0] == EM_TYPE_TEXT)
        k->mode = KEYS_TEXT;
    else
        k->mode = KEYS_GEN;
}

void em__agg_keys_release(agg_keys *k)
{
    em_free(k->tab32);
    em_free(k->tab64);
    em_free(k->kv);
    em_free(k->koff);
    em_free(k->kbuf);
    em_free(k->h);
    em_free(k->ks);
    memset(k, 0, sizeof *k);
}

uint64_t em__agg_keys_bytes(const agg_keys *k)
{
    uint64_t b = (uint64_t)k->tab_cap * (k->mode == KEYS_I64 ? 4 : 8) + k->kbuf_cap;
    if (k->mode == KEYS_I64)
        b += (uint64_t)k->cap * 8;
    else if (k->mode != KEYS_NONE)
        b += (uint64_t)(k->cap + 1) * 4;
    return b;
}

/* Equality of n bytes, inlined: keys are short, and a libc memcmp call
 * per probe costs more than the comparison. */
static const char *key_ptr(const agg_keys *k, uint32_t id, uint32_t *len)
{
    *len = k->koff[id + 1] - k->koff[id];
    return k->kbuf + k->koff[id];
}

/* Grows the table and per-key arrays so `more` new keys fit without a
 * rehash. */
static int reserve(agg_keys *k, uint32_t more)
{
    uint64_t want = (uint64_t)k->n + more;
    if (want > UINT32_MAX / 2)
        return EM_ENOMEM;
    if (want > k->cap) {
        uint32_t nc = k->cap ? k->cap : 64;
        while (nc < want)
            nc *= 2;
        if (k->mode == KEYS_I64) {
            int64_t *kv = em_realloc(k->kv, (size_t)nc * sizeof *kv);
            if (!kv)
                return EM_ENOMEM;
            k->kv = kv;
        } else {
            uint32_t *ko = em_realloc(k->koff, ((size_t)nc + 1) * sizeof *ko);
            if (!ko)
                return EM_ENOMEM;
            if (!k->koff)
                ko[0] = 0;
            k->koff = ko;
        }
        k->cap = nc;
    }
    if (want * 4 > (uint64_t)k->tab_cap * 3) {
        uint32_t nc = k->tab_cap ? k->tab_cap : 64;
        while (want * 4 > (uint64_t)nc * 3)
            nc *= 2;
        uint32_t mask = nc - 1;
        if (k->mode == KEYS_I64) {
            uint32_t *nt = em_calloc(nc, sizeof *nt);
            if (!nt)
                return EM_ENOMEM;
            for (uint32_t id = 0; id < k->n; id++) {
                if (id == k->null_id)
                    continue;
                uint32_t j = (uint32_t)em_hash_u64((uint64_t)k->kv[id], EM_HASH_SEED) & mask;
                while (nt[j])
                    j = (j + 1) & mask;
                nt[j] = id + 1;
            }
            em_free(k->tab32);
            k->tab32 = nt;
        } else {
            uint64_t *nt = em_calloc(nc, sizeof *nt);
            if (!nt)
                return EM_ENOMEM;
            for (uint32_t id = 0; id < k->n; id++) {
                uint32_t len;
                if (id == k->null_id)
                    continue;
                const char *p = key_ptr(k, id, &len);
                uint64_t h = em_hash_bytes(p, len, EM_HASH_SEED);
                uint32_t j = (uint32_t)h & mask;
                while (nt[j])
                    j = (j + 1) & mask;
                nt[j] = (h & TAG) | (id + 1);
            }
            em_free(k->tab64);
            k->tab64 = nt;
        }
        k->tab_cap = nc;
    }
    return 0;
}

int em__agg_keys_compact(agg_keys *k, const uint32_t *keep, uint32_t m)
{
    /* ids only move down (keep[i] >= i), so everything moves in place */
    uint32_t null_id = UINT32_MAX;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t old = keep[i];
        if (old == k->null_id)
            null_id = i;
        if (k->mode == KEYS_I64) {
            k->kv[i] = k->kv[old];
        } else if (k->mode != KEYS_NONE) {
            uint32_t len, at = k->koff[i];
            const char *p = key_ptr(k, old, &len);
            memmove(k->kbuf + at, p, len);
            k->koff[i + 1] = at + len;
        }
    }
    k->n = m;
    k->null_id = null_id;
    if (k->mode == KEYS_NONE)
        return 0;
    /* give memory back: capacities shrink to twice what is left */
    uint32_t nc = 64;
    while (nc < 2 * m)
        nc *= 2;
    if (nc < k->cap) {
        if (k->mode == KEYS_I64) {
            int64_t *kv = em_realloc(k->kv, (size_t)nc * sizeof *kv);
            k->kv = kv ? kv : k->kv;
        } else {
            uint32_t *ko = em_realloc(k->koff, ((size_t)nc + 1) * sizeof *ko);
            k->koff = ko ? ko : k->koff;
            size_t used = k->koff[m], bc = 1024;
            while (bc < 2 * used)
                bc *= 2;
            if (bc < k->kbuf_cap) {
                char *nb = em_realloc(k->kbuf, bc);
                if (nb) {
                    k->kbuf = nb;
                    k->kbuf_cap = bc;
                }
            }
        }
        k->cap = nc;
    }
    /* the table is rebuilt from the surviving ids */
    uint32_t *t32 = k->tab32;
    uint64_t *t64 = k->tab64;
    uint32_t cap = k->tab_cap;
    k->tab32 = NULL;
    k->tab64 = NULL;
    k->tab_cap = 0;
    if (reserve(k, 0)) {
        k->tab32 = t32, k->tab64 = t64, k->tab_cap = cap;
        return EM_ENOMEM;
    }
    em_free(t32);
    em_free(t64);
    return 0;
}

static uint32_t new_id(agg_keys *k)
{
    return k->n++; /* room reserved by reserve() */
}

/* Appends key bytes for a new id (KEYS_TEXT/GEN). */
static int add_bytes(agg_keys *k, const char *p, uint32_t len)
{
    size_t used = k->koff[k->n];
    if (used + len > UINT32_MAX)
        return EM_ENOMEM;
    if (used + len > k->kbuf_cap) {
        size_t nc = k->kbuf_cap ? k->kbuf_cap : 1024;
        while (nc < used + len)
            nc *= 2;
        char *nb = em_realloc(k->kbuf, nc);
        if (!nb)
            return EM_ENOMEM;
        k->kbuf = nb;
        k->kbuf_cap = nc;
    }
    if (len)
        memcpy(k->kbuf + used, p, len);
    k->koff[k->n + 1] = (uint32_t)(used + len);
    return 0;
}

/* Serialises row's key into k->ks; returns its length or -1 on OOM. */
static long key_bytes(agg_keys *k, const em_batch *in, uint32_t row)
{
    size_t need = 1;
    for (uint32_t i = 0; i < k->nkeys; i++) {
        const em_column *c = &in->cols[k->cols[i]];
        need += 1 + (c->type == EM_TYPE_TEXT ? 4 + (size_t)(c->v.off[row + 1] - c->v.off[row]) : 8);
    }
    if (need > k->ks_cap) {
        char *n = em_realloc(k->ks, need * 2);
        if (!n)
            return -1;
        k->ks = n;
        k->ks_cap = need * 2;
    }
    char *w = k->ks;
    for (uint32_t i = 0; i < k->nkeys; i++) {
        const em_column *c = &in->cols[k->cols[i]];
        if (em_column_is_null(c, row)) {
            *w++ = 0;
            continue;
        }
        *w++ = 1;
        if (c->type == EM_TYPE_TEXT) {
            em_slice t = em_column_text(c, row);
            uint32_t n = (uint32_t)t.len;
            memcpy(w, &n, 4);
            memcpy(w + 4, t.ptr, n);
            w += 4 + n;
        } else if (c->type == EM_TYPE_BOOLEAN) {
            *w++ = (char)c->v.b[row];
        } else {
            int64_t v = c->v.i64[row];
            if (c->type == EM_TYPE_DOUBLE && c->v.f64[row] == 0)
                v = 0; /* -0.0 groups with 0.0 */
            memcpy(w, &v, 8);
            w += 8;
        }
    }
    return (long)(w - k->ks);
}

static int resolve_i64(agg_keys *k, const em_column *c, const uint32_t *rows, uint32_t n,
                       uint32_t *ids)
{
    const int64_t *v = c->v.i64;
    uint64_t *h = k->h;
    uint32_t mask = k->tab_cap - 1;
    int big = k->tab_cap > SMALL_TAB;
    for (uint32_t i = 0; i < n; i++)
        h[i] = em_hash_u64((uint64_t)v[rows[i]], EM_HASH_SEED);
    for (uint32_t i = 0; i < n; i++) {
        if (big && i + PREFETCH < n)
            __builtin_prefetch(&k->tab32[h[i + PREFETCH] & mask]);
        uint32_t row = rows[i];
        if (c->validity && em_column_is_null(c, row)) {
            if (k->null_id == UINT32_MAX) {
                k->null_id = new_id(k);
                k->kv[k->null_id] = 0;
            }
            ids[i] = k->null_id;
            continue;
        }
        int64_t x = v[row];
        uint32_t j = (uint32_t)h[i] & mask, e;
        while ((e = k->tab32[j]) != 0) {
            if (k->kv[e - 1] == x) /* the NULL key is never in the table */
                break;
            j = (j + 1) & mask;
        }
        if (!e) {
            uint32_t id = new_id(k);
            k->kv[id] = x;
            k->tab32[j] = e = id + 1;
        }
        ids[i] = e - 1;
    }
    return 0;
}

/* KEYS_TEXT (gen == 0) or KEYS_GEN. */
static int resolve_bytes(agg_keys *k, const em_batch *in, const uint32_t *rows, uint32_t n,
                         uint32_t *ids, int gen)
{
    const em_column *c = &in->cols[k->cols[0]];
    uint64_t *h = k->h;
    uint32_t mask = k->tab_cap - 1;
    int rc, big = k->tab_cap > SMALL_TAB;
    if (!gen) {
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = rows[i];
            h[i] = em_hash_bytes(c->data + c->v.off[r], (size_t)(c->v.off[r + 1] - c->v.off[r]),
                                 EM_HASH_SEED);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t row = rows[i];
        const char *p;
        uint32_t len;
        uint64_t hv;
        if (gen) {
            long kn = key_bytes(k, in, row);
            if (kn < 0)
                return EM_ENOMEM;
            p = k->ks;
            len = (uint32_t)kn;
            hv = em_hash_bytes(p, len, EM_HASH_SEED);
        } else {
            if (big && i + PREFETCH < n)
                __builtin_prefetch(&k->tab64[h[i + PREFETCH] & mask]);
            if (c->validity && em_column_is_null(c, row)) {
                if (k->null_id == UINT32_MAX) {
                    k->null_id = k->n;
                    if ((rc = add_bytes(k, NULL, 0)))
                        return rc;
                    new_id(k);
                }
                ids[i] = k->null_id;
                continue;
            }
            p = c->data + c->v.off[row];
            len = (uint32_t)(c->v.off[row + 1] - c->v.off[row]);
            hv = h[i];
        }
        uint32_t j = (uint32_t)hv & mask;
        uint64_t e;
        while ((e = k->tab64[j]) != 0) {
            uint32_t id = (uint32_t)e - 1, kl;
            if ((e & TAG) == (hv & TAG) && id != k->null_id) {
                const char *kp = key_ptr(k, id, &kl);
                if (kl == len && em_bytes_eq(kp, p, len))
                    break;
            }
            j = (j + 1) & mask;
        }
        if (!e) {
            if ((rc = add_bytes(k, p, len)))
                return rc;
            uint32_t id = new_id(k);
            k->tab64[j] = e = (hv & TAG) | (id + 1);
        }
        ids[i] = (uint32_t)e - 1;
    }
    return 0;
}

int em__agg_keys_resolve(agg_keys *k, const em_batch *in, const uint32_t *rows, uint32_t n,
                         uint32_t *ids)
{
    int rc;
    if (k->mode == KEYS_NONE) {
        if (n && !k->n)
            k->n = k->cap = 1;
        if (n)
            memset(ids, 0, (size_t)n * sizeof *ids);
        return 0;
    }
    if (n > k->hcap) {
        uint64_t *h = em_realloc(k->h, (size_t)n * sizeof *h);
        if (!h)
            return EM_ENOMEM;
        k->h = h;
        k->hcap = n;
    }
    if ((rc = reserve(k, n)))
        return rc;
    if (k->mode == KEYS_I64)
        return resolve_i64(k, &in->cols[k->cols[0]], rows, n, ids);
    return resolve_bytes(k, in, rows, n, ids, k->mode == KEYS_GEN);
}

int em__agg_keys_put(const agg_keys *k, uint32_t id, em_batch_builder *bb)
{
    int rc;
    uint32_t len;
    if (k->mode == KEYS_NONE)
        return 0;
    if (k->mode != KEYS_GEN && id == k->null_id)
        return em_batch_builder_set_null(bb, 0);
    if (k->mode == KEYS_I64) {
        em_batch_builder_set_i64(bb, 0, k->kv[id]);
        return 0;
    }
    const char *r = key_ptr(k, id, &len);
    if (k->mode == KEYS_TEXT)
        return em_batch_builder_set_text(bb, 0, r, len);
    for (uint32_t i = 0; i < k->nkeys; i++) {
        if (!*r++) {
            if ((rc = em_batch_builder_set_null(bb, i)))
                return rc;
            continue;
        }
        em_type t = k->types[i];
        if (t == EM_TYPE_TEXT) {
            uint32_t n;
            memcpy(&n, r, 4);
            if ((rc = em_batch_builder_set_text(bb, i, r + 4, n)))
                return rc;
            r += 4 + n;
        } else if (t == EM_TYPE_BOOLEAN) {
            em_batch_builder_set_bool(bb, i, *r++ != 0);
        } else {
            int64_t v;
            memcpy(&v, r, 8);
            r += 8;
            if (t == EM_TYPE_DOUBLE) {
                double d;
                memcpy(&d, &v, 8);
                em_batch_builder_set_f64(bb, i, d);
            } else {
                em_batch_builder_set_i64(bb, i, v);
            }
        }
    }
    return 0;
}

/* ---- snapshots ----
 * u32 n, u32 null_id, then KEYS_I64: n raw int64 values; KEYS_TEXT/GEN:
 * n raw u32 lengths and the key bytes back to back. A restore interns every
 * key again (ids may change when keys are re-routed between partitions). */

int em__agg_keys_snap(const agg_keys *k, em_buf *out)
{
    int rc;
    if ((rc = em_enc_u32(out, k->n)) || (rc = em_enc_u32(out, k->null_id)))
        return rc;
    if (k->mode == KEYS_NONE || !k->n)
        return 0;
    if (k->mode == KEYS_I64)
        return em__enc_raw(out, k->kv, (size_t)k->n * 8);
    if ((rc = em_buf_reserve(out, (size_t)k->n * 4 + k->koff[k->n])))
        return rc;
    for (uint32_t id = 0; id < k->n; id++) {
        uint32_t len = k->koff[id + 1] - k->koff[id];
        em__enc_raw(out, &len, 4); /* reserved above */
    }
    return em__enc_raw(out, k->kbuf, k->koff[k->n]);
}

/* Checks a KEYS_GEN key's bytes and folds its partition hash into *h. */
static int gen_key_ok(const agg_keys *k, const char *p, uint32_t len, uint64_t *h)
{
    const char *e = p + len;
    for (uint32_t i = 0; i < k->nkeys; i++) {
        em_type t = k->types[i];
        if (p >= e || (uint8_t)*p > 1)
            return 0;
        if (!*p++) {
            *h = em_hash_combine(*h, em__partition_value_hash(t, NULL, 0));
            continue;
        }
        size_t w = t == EM_TYPE_BOOLEAN ? 1 : 8, vl;
        const char *v = p;
        if (t == EM_TYPE_TEXT) {
            uint32_t n;
            if (e - p < 4)
                return 0;
            memcpy(&n, p, 4);
            v = p + 4;
            w = 4 + (size_t)n;
            vl = n;
        } else {
            vl = w;
        }
        if ((size_t)(e - p) < w)
            return 0;
        if (t == EM_TYPE_BOOLEAN && (uint8_t)*v > 1)
            return 0;
        *h = em_hash_combine(*h, em__partition_value_hash(t, v, vl));
        p += w;
    }
    return p == e;
}

/* Finds or adds one key (KEYS_I64: v; KEYS_TEXT/GEN: p, len; is_null for
 * the NULL key of I64/TEXT). 0 or EM_ENOMEM. */
static int intern_one(agg_keys *k, int is_null, int64_t v, const char *p, uint32_t len,
                      uint32_t *out)
{
    int rc;
    if ((rc = reserve(k, 1)))
        return rc;
    uint32_t mask = k->tab_cap - 1;
    if (is_null) {
        if (k->null_id == UINT32_MAX) {
            if (k->mode == KEYS_TEXT && (rc = add_bytes(k, NULL, 0)))
                return rc;
            k->null_id = new_id(k);
            if (k->mode == KEYS_I64)
                k->kv[k->null_id] = 0;
        }
        *out = k->null_id;
        return 0;
    }
    if (k->mode == KEYS_I64) {
        uint32_t j = (uint32_t)em_hash_u64((uint64_t)v, EM_HASH_SEED) & mask, e;
        while ((e = k->tab32[j]) != 0 && k->kv[e - 1] != v)
            j = (j + 1) & mask;
        if (!e) {
            uint32_t id = new_id(k);
            k->kv[id] = v;
            k->tab32[j] = e = id + 1;
        }
        *out = e - 1;
        return 0;
    }
    uint64_t hv = em_hash_bytes(p, len, EM_HASH_SEED), e;
    uint32_t j = (uint32_t)hv & mask;
    while ((e = k->tab64[j]) != 0) {
        uint32_t id = (uint32_t)e - 1, kl;
        if ((e & TAG) == (hv & TAG) && id != k->null_id) {
            const char *kp = key_ptr(k, id, &kl);
            if (kl == len && em_bytes_eq(kp, p, len))
                break;
        }
        j = (j + 1) & mask;
    }
    if (!e) {
        if ((rc = add_bytes(k, p, len)))
            return rc;
        uint32_t id = new_id(k);
        k->tab64[j] = e = (hv & TAG) | (id + 1);
    }
    *out = (uint32_t)e - 1;
    return 0;
}

int em__agg_keys_load(agg_keys *k, em_dec *d, uint32_t part, uint32_t nparts, uint32_t **map,
                      uint32_t *nold)
{
    uint32_t n = em_dec_u32(d), null_id = em_dec_u32(d);
    const char *lens = NULL, *bytes = NULL;
    const int64_t *vals = NULL;
    uint64_t total = 0;
    *map = NULL;
    *nold = 0;
    if (!em_dec_ok(d))
        return EM_ECORRUPT;
    if (k->mode == KEYS_NONE) {
        if (n > 1 || null_id != UINT32_MAX)
            goto bad;
    } else {
        if (null_id != UINT32_MAX && (null_id >= n || k->mode == KEYS_GEN))
            goto bad;
        if (k->mode == KEYS_I64) {
            vals = em__dec_take(d, (size_t)n * 8);
        } else {
            lens = em__dec_take(d, (size_t)n * 4);
            for (uint32_t i = 0; lens && i < n; i++) {
                uint32_t len;
                memcpy(&len, lens + (size_t)i * 4, 4);
                total += len;
            }
            if (lens && total > em_dec_left(d))
                goto bad;
            bytes = em__dec_take(d, (size_t)total);
        }
        if (!em_dec_ok(d))
            return EM_ECORRUPT;
    }
    uint32_t *m = em_malloc((size_t)(n ? n : 1) * sizeof *m);
    if (!m)
        return EM_ENOMEM;
    *map = m;
    *nold = n;
    const char *p = bytes;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = EM_HASH_SEED;
        int is_null = i == null_id;
        int64_t v = 0;
        uint32_t len = 0;
        int rc;
        if (k->mode == KEYS_NONE) {
            if (!k->n)
                k->n = k->cap = 1;
            m[i] = 0;
            continue;
        }
        if (k->mode == KEYS_I64) {
            memcpy(&v, vals + i, 8);
            h = em_hash_combine(h, em__partition_value_hash(k->types[0], is_null ? NULL : &v, 8));
        } else {
            memcpy(&len, lens + (size_t)i * 4, 4);
            if (is_null && len)
                goto bad;
            if (k->mode == KEYS_TEXT)
                h = em_hash_combine(h, em__partition_value_hash(EM_TYPE_TEXT,
                                                                is_null ? NULL : p, len));
            else if (!gen_key_ok(k, p, len, &h))
                goto bad;
        }
        if (nparts && em__partition_pick(h, nparts) != part) {
            m[i] = UINT32_MAX;
        } else if ((rc = intern_one(k, is_null, v, p, len, &m[i]))) {
            return rc;
        }
        p += len;
    }
    return 0;
bad:
    em_dec_fail(d);
    return EM_ECORRUPT;
}
