/*
 * ops/keyed.c - keyed state with TTL and timers, and the silence detector
 * built on it. See keyed.h for the lazy-heap scheme; the invariant that
 * makes it correct: while an entry has a pending timer at T, the heap holds
 * an entry for it with time <= T (hmin[id] tracks the smallest one pushed,
 * or EM_TS_MAX when unknown, which only costs an extra push).
 */
#include "ops/keyed.h"

#include "ember/error.h"
#include "ops/snap.h"
#include "ops/table.h"

#include <string.h>

/* ---- time heap ---- */

static int ent_less(const em__theap_ent *a, const em__theap_ent *b)
{
    return a->at < b->at || (a->at == b->at && a->id < b->id);
}

int em__theap_push(em__theap *h, int64_t at, uint32_t id, uint32_t gen)
{
    if (h->n == h->cap) {
        uint32_t nc = h->cap ? h->cap * 2 : 64;
        em__theap_ent *ne = em_realloc(h->e, (size_t)nc * sizeof *ne);
        if (!ne)
            return EM_ENOMEM;
        h->e = ne;
        h->cap = nc;
    }
    em__theap_ent x = {at, id, gen};
    uint32_t i = h->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!ent_less(&x, &h->e[p]))
            break;
        h->e[i] = h->e[p];
        i = p;
    }
    h->e[i] = x;
    return 0;
}

void em__theap_pop(em__theap *h, em__theap_ent *out)
{
    *out = h->e[0];
    em__theap_ent x = h->e[--h->n];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && ent_less(&h->e[c + 1], &h->e[c]))
            c++;
        if (!ent_less(&h->e[c], &x))
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (h->n)
        h->e[i] = x;
}

void em__theap_release(em__theap *h)
{
    em_free(h->e);
    memset(h, 0, sizeof *h);
}

/* ---- keyed state ---- */

struct em_keyed {
    em__keyidx keys;
    size_t state_size;
    int64_t ttl;
    uint32_t cap;       /* per-id arrays hold cap entries */
    uint8_t *state;     /* cap * state_size */
    int64_t *last_seen;
    int64_t *timer_at;  /* EM_TS_MAX = none */
    int64_t *hmin;      /* smallest heap entry time pushed for the id */
    uint32_t *gen;
    uint8_t *live;
    uint8_t *ttl_armed;
    em__theap timers, ttlq;
    uint64_t *hbuf;     /* EM_BATCH_ROWS scratch */
    uint32_t *rbuf;
};

static int64_t sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > EM_TS_MAX - b)
        return EM_TS_MAX;
    if (b < 0 && a < EM_TS_MIN - b)
        return EM_TS_MIN;
    return a + b;
}

int em_keyed_create(em_keyed **out, em_type key_type, size_t state_size, int64_t ttl_us)
{
    if (key_type == EM_TYPE_NULL || ttl_us < 0)
        return EM_EINVAL;
    em_keyed *k = em_calloc(1, sizeof *k);
    if (!k)
        return EM_ENOMEM;
    em__keyidx_init(&k->keys, key_type);
    k->state_size = state_size;
    k->ttl = ttl_us;
    k->hbuf = em_malloc(EM_BATCH_ROWS * sizeof *k->hbuf);
    k->rbuf = em_malloc(EM_BATCH_ROWS * sizeof *k->rbuf);
    if (!k->hbuf || !k->rbuf) {
        em_keyed_destroy(k);
        return EM_ENOMEM;
    }
    *out = k;
    return 0;
}

void em_keyed_destroy(em_keyed *k)
{
    if (!k)
        return;
    em__keyidx_release(&k->keys);
    em_free(k->state);
    em_free(k->last_seen);
    em_free(k->timer_at);
    em_free(k->hmin);
    em_free(k->gen);
    em_free(k->live);
    em_free(k->ttl_armed);
    em__theap_release(&k->timers);
    em__theap_release(&k->ttlq);
    em_free(k->hbuf);
    em_free(k->rbuf);
    em_free(k);
}

#define GROW(field, n)                                                                             \
    do {                                                                                           \
        void *p_ = em_realloc(k->field, (size_t)(n) * sizeof *k->field);                           \
        if (!p_)                                                                                   \
            return EM_ENOMEM;                                                                      \
        k->field = p_;                                                                             \
    } while (0)

static int reserve(em_keyed *k, uint32_t need)
{
    if (need <= k->cap)
        return 0;
    uint32_t nc = k->cap ? k->cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    uint8_t *st = em_realloc(k->state, (size_t)nc * (k->state_size ? k->state_size : 1));
    if (!st)
        return EM_ENOMEM;
    k->state = st;
    GROW(last_seen, nc);
    GROW(timer_at, nc);
    GROW(hmin, nc);
    GROW(gen, nc);
    GROW(live, nc);
    GROW(ttl_armed, nc);
    memset(k->gen + k->cap, 0, (size_t)(nc - k->cap) * sizeof *k->gen);
    memset(k->live + k->cap, 0, nc - k->cap);
    k->cap = nc;
    return 0;
}

int em_keyed_upsert(em_keyed *k, const em_column *c, const uint32_t *rows, uint32_t n,
                    int32_t *ids, uint8_t *created)
{
    for (uint32_t base = 0; base < n; base += EM_BATCH_ROWS) {
        uint32_t m = n - base < EM_BATCH_ROWS ? n - base : EM_BATCH_ROWS;
        em__key_hash(c, rows + base, m, k->hbuf);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t row = rows[base + i], id;
            int cr = 0, rc;
            ids[base + i] = -1;
            if (created)
                created[base + i] = 0;
            if (em_column_is_null(c, row))
                continue;
            if ((rc = em__keyidx_insert(&k->keys, c, row, k->hbuf[i], &id, &cr)))
                return rc;
            if (cr) {
                if ((rc = reserve(k, k->keys.nids))) {
                    em__keyidx_remove(&k->keys, id);
                    return rc;
                }
                memset(k->state + (size_t)id * k->state_size, 0, k->state_size);
                k->last_seen[id] = EM_TS_MIN;
                k->timer_at[id] = EM_TS_MAX;
                k->hmin[id] = EM_TS_MAX;
                k->live[id] = 1;
                k->ttl_armed[id] = 0;
            }
            ids[base + i] = (int32_t)id;
            if (created)
                created[base + i] = (uint8_t)cr;
        }
    }
    return 0;
}

void em_keyed_find(em_keyed *k, const em_column *c, const uint32_t *rows, uint32_t n,
                   int32_t *ids)
{
    for (uint32_t base = 0; base < n; base += EM_BATCH_ROWS) {
        uint32_t m = n - base < EM_BATCH_ROWS ? n - base : EM_BATCH_ROWS;
        em__key_hash(c, rows + base, m, k->hbuf);
        em__keyidx_find(&k->keys, c, rows + base, m, k->hbuf, ids + base);
    }
}

void *em_keyed_state(em_keyed *k, uint32_t id)
{
    return k->state + (size_t)id * k->state_size;
}

int em_keyed_touch(em_keyed *k, uint32_t id, int64_t t)
{
    if (t > k->last_seen[id])
        k->last_seen[id] = t;
    if (k->ttl > 0 && !k->ttl_armed[id]) {
        int rc = em__theap_push(&k->ttlq, sat_add(k->last_seen[id], k->ttl), id, k->gen[id]);
        if (rc)
            return rc;
        k->ttl_armed[id] = 1;
    }
    return 0;
}

int64_t em_keyed_last_seen(const em_keyed *k, uint32_t id)
{
    return k->last_seen[id];
}

int em_keyed_set_timer(em_keyed *k, uint32_t id, int64_t at)
{
    k->timer_at[id] = at;
    if (at < k->hmin[id]) {
        int rc = em__theap_push(&k->timers, at, id, k->gen[id]);
        if (rc)
            return rc;
        k->hmin[id] = at;
    }
    return 0;
}

void em_keyed_clear_timer(em_keyed *k, uint32_t id)
{
    k->timer_at[id] = EM_TS_MAX;
}

int64_t em_keyed_timer(const em_keyed *k, uint32_t id)
{
    return k->timer_at[id];
}

int em_keyed_fire(em_keyed *k, int64_t upto, em_keyed_fn fn, void *ud)
{
    while (k->timers.n && k->timers.e[0].at <= upto) {
        em__theap_ent e;
        em__theap_pop(&k->timers, &e);
        if (!k->live[e.id] || k->gen[e.id] != e.gen)
            continue;
        if (e.at == k->hmin[e.id])
            k->hmin[e.id] = EM_TS_MAX;
        int64_t ta = k->timer_at[e.id];
        if (ta == EM_TS_MAX)
            continue;
        if (ta > e.at) { /* moved later: keep an entry no later than it */
            if (ta < k->hmin[e.id]) {
                int rc = em__theap_push(&k->timers, ta, e.id, e.gen);
                if (rc)
                    return rc;
                k->hmin[e.id] = ta;
            }
            continue;
        }
        k->timer_at[e.id] = EM_TS_MAX;
        int rc = fn(ud, k, e.id, ta);
        if (rc)
            return rc;
    }
    return 0;
}

int em_keyed_expire(em_keyed *k, int64_t now, em_keyed_fn fn, void *ud, uint64_t *evicted)
{
    while (k->ttlq.n && k->ttlq.e[0].at <= now) {
        em__theap_ent e;
        em__theap_pop(&k->ttlq, &e);
        if (!k->live[e.id] || k->gen[e.id] != e.gen)
            continue;
        int64_t deadline = sat_add(k->last_seen[e.id], k->ttl);
        if (deadline > now) { /* touched since: re-arm */
            int rc = em__theap_push(&k->ttlq, deadline, e.id, e.gen);
            if (rc)
                return rc;
            continue;
        }
        if (fn) {
            int rc = fn(ud, k, e.id, deadline);
            if (rc)
                return rc;
        }
        if (k->live[e.id] && k->gen[e.id] == e.gen)
            em_keyed_remove(k, e.id);
        if (evicted)
            (*evicted)++;
    }
    return 0;
}

void em_keyed_remove(em_keyed *k, uint32_t id)
{
    em__keyidx_remove(&k->keys, id);
    k->live[id] = 0;
    k->gen[id]++;
    k->timer_at[id] = EM_TS_MAX;
    k->hmin[id] = EM_TS_MAX;
    k->ttl_armed[id] = 0;
}

int em_keyed_put_key(const em_keyed *k, uint32_t id, em_batch_builder *bb, uint32_t col)
{
    return em__keyidx_put(&k->keys, id, bb, col);
}

uint64_t em_keyed_count(const em_keyed *k)
{
    return k->keys.live;
}

size_t em_keyed_bytes(const em_keyed *k)
{
    size_t per = k->state_size + 3 * sizeof(int64_t) + sizeof(uint32_t) + 2;
    return em__keyidx_bytes(&k->keys) + (size_t)k->cap * per +
           ((size_t)k->timers.cap + k->ttlq.cap) * sizeof(em__theap_ent);
}

/* ---- snapshots ----
 * Row chunks (ops/snap.h) of one key column, each followed by the chunk's
 * state blobs, last_seen and timer times as raw blocks; an empty chunk
 * ends. A restore upserts the keys again, re-arms TTL from last_seen and
 * sets the timers (ids, and so the order of equal-time timers, may
 * differ). */

static em_schema *key_schema(const em_keyed *k)
{
    const char *name = "key";
    em_type t = k->keys.type;
    return em_schema_create(1, &name, &t);
}

int em__keyed_snap(const em_keyed *k, em_buf *out)
{
    em_schema *sch = key_schema(k);
    em_arena a;
    uint32_t ids[EM_BATCH_ROWS];
    int rc = sch ? 0 : EM_ENOMEM;
    em_arena_init(&a, 0);
    for (uint32_t id = 0; !rc && id < k->keys.nids;) {
        uint32_t m = 0;
        for (; id < k->keys.nids && m < EM_BATCH_ROWS; id++)
            if (k->live[id])
                ids[m++] = id;
        if (!m)
            break;
        em_batch_builder bb;
        if ((rc = em_batch_builder_init(&bb, sch, m, &a)))
            break;
        for (uint32_t i = 0; i < m && !rc; i++)
            if (!(rc = em__keyidx_put(&k->keys, ids[i], &bb, 0)))
                rc = em_batch_builder_end_row(&bb);
        if (rc || (rc = em__snap_put_rows(out, em_batch_builder_finish(&bb))) ||
            (rc = em_buf_reserve(out, (size_t)m * (k->state_size + 16))))
            break;
        for (uint32_t i = 0; i < m; i++)
            em__enc_raw(out, k->state + (size_t)ids[i] * k->state_size, k->state_size);
        for (uint32_t i = 0; i < m; i++)
            em__enc_raw(out, &k->last_seen[ids[i]], 8);
        for (uint32_t i = 0; i < m; i++)
            em__enc_raw(out, &k->timer_at[ids[i]], 8);
        em_arena_reset(&a);
    }
    if (!rc)
        rc = em__snap_end_rows(out);
    em_arena_release(&a);
    em_schema_destroy(sch);
    return rc;
}

int em__keyed_load(em_keyed *k, em_dec *d, int (*state_ok)(const void *state))
{
    em_schema *sch = key_schema(k);
    em_arena a;
    uint32_t rows[EM_BATCH_ROWS];
    int32_t ids[EM_BATCH_ROWS];
    uint8_t created[EM_BATCH_ROWS];
    int rc = sch ? 0 : EM_ENOMEM;
    em_arena_init(&a, 0);
    while (!rc) {
        em_batch *b;
        if ((rc = em__snap_get_rows(d, sch, &a, &b)) || !b)
            break;
        uint32_t m = b->nrows;
        const char *st = em__dec_take(d, (size_t)m * k->state_size);
        const char *ls = em__dec_take(d, (size_t)m * 8);
        const char *ta = em__dec_take(d, (size_t)m * 8);
        if (!st || !ls || !ta) {
            rc = EM_ECORRUPT;
            break;
        }
        for (uint32_t i = 0; i < m; i++)
            rows[i] = i;
        if ((rc = em_keyed_upsert(k, &b->cols[0], rows, m, ids, created)))
            break;
        for (uint32_t i = 0; i < m && !rc; i++) {
            int64_t last, timer;
            if (ids[i] < 0 || !created[i]) { /* a NULL or repeated key */
                rc = EM_ECORRUPT;
                break;
            }
            uint32_t id = (uint32_t)ids[i];
            void *state = em_keyed_state(k, id);
            memcpy(state, st + (size_t)i * k->state_size, k->state_size);
            memcpy(&last, ls + (size_t)i * 8, 8);
            memcpy(&timer, ta + (size_t)i * 8, 8);
            if (state_ok && !state_ok(state)) {
                rc = EM_ECORRUPT;
                break;
            }
            if (last != EM_TS_MIN)
                rc = em_keyed_touch(k, id, last);
            if (!rc && timer != EM_TS_MAX)
                rc = em_keyed_set_timer(k, id, timer);
        }
        em_arena_reset(&a);
    }
    if (rc == EM_ECORRUPT)
        em_dec_fail(d);
    em_arena_release(&a);
    em_schema_destroy(sch);
    return rc;
}

/* ---- silence detector ---- */

typedef struct silence_state {
    int64_t silent_since;
    int silent;
} silence_state;

typedef struct silence_op {
    em_op base;
    em_keyed *keys;
    int key_col, time_col;
    int64_t timeout;
    uint32_t *rows;  /* scratch, EM_BATCH_ROWS each */
    int64_t *times;
    int32_t *ids;
    em_batch_builder bb; /* output being filled; bb.b NULL when none */
    em_op_ctx *cx;
} silence_op;

static int flush(silence_op *s)
{
    if (!s->bb.b)
        return 0;
    em_batch *b = em_batch_builder_finish(&s->bb);
    s->bb.b = NULL;
    return em_op_emit(&s->base, b, s->cx);
}

static int emit_row(silence_op *s, uint32_t id, int64_t last_seen, int64_t since,
                    const char *status)
{
    int rc;
    if (s->bb.b && em_batch_builder_full(&s->bb) && (rc = flush(s)))
        return rc;
    if (!s->bb.b && (rc = em_batch_builder_init(&s->bb, s->base.out_schema, EM_BATCH_ROWS,
                                                s->cx->arena))) {
        s->bb.b = NULL;
        return rc;
    }
    if ((rc = em_keyed_put_key(s->keys, id, &s->bb, 0)))
        return rc;
    em_batch_builder_set_i64(&s->bb, 1, last_seen);
    em_batch_builder_set_i64(&s->bb, 2, since);
    if ((rc = em_batch_builder_set_text(&s->bb, 3, status, strlen(status))))
        return rc;
    return em_batch_builder_end_row(&s->bb);
}

static int silence_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    silence_op *s = (silence_op *)op;
    const em_column *kc = &in->cols[s->key_col];
    const em_column *tc = s->time_col >= 0 ? &in->cols[s->time_col] : NULL;
    uint32_t total = em_batch_count(in);
    int rc = 0;
    s->cx = cx;
    for (uint32_t base = 0; base < total; base += EM_BATCH_ROWS) {
        uint32_t n = total - base < EM_BATCH_ROWS ? total - base : EM_BATCH_ROWS, m = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = em_batch_row(in, base + i);
            int64_t t = cx->logical_time;
            if (em_column_is_null(kc, r))
                continue;
            if (tc) {
                if (em_column_is_null(tc, r))
                    continue;
                t = tc->v.i64[r];
                if (t < cx->watermark) {
                    op->stats.late_dropped++;
                    continue;
                }
            }
            s->rows[m] = r;
            s->times[m++] = t;
        }
        if ((rc = em_keyed_upsert(s->keys, kc, s->rows, m, s->ids, NULL)))
            goto out;
        for (uint32_t i = 0; i < m; i++) {
            uint32_t id = (uint32_t)s->ids[i];
            silence_state *st = em_keyed_state(s->keys, id);
            int64_t last = em_keyed_last_seen(s->keys, id);
            if (!st->silent && last != EM_TS_MIN && s->times[i] >= sat_add(last, s->timeout)) {
                /* the key went silent between two rows of one micro-batch,
                 * before its timer could fire: report it as the timer would */
                st->silent = 1;
                st->silent_since = sat_add(last, s->timeout);
                if ((rc = emit_row(s, id, last, st->silent_since, "SILENT")))
                    goto out;
            }
            if (st->silent) {
                st->silent = 0;
                if ((rc = emit_row(s, id, s->times[i], st->silent_since, "BACK")))
                    goto out;
            }
            if ((rc = em_keyed_touch(s->keys, id, s->times[i])))
                goto out;
            int64_t at = sat_add(em_keyed_last_seen(s->keys, id), s->timeout);
            if ((rc = em_keyed_set_timer(s->keys, id, at)))
                goto out;
        }
    }
    rc = flush(s);
out:
    s->bb.b = NULL;
    op->stats.state_keys = em_keyed_count(s->keys);
    op->stats.state_bytes = em_keyed_bytes(s->keys);
    return rc;
}

static int on_silent(void *ud, em_keyed *k, uint32_t id, int64_t at)
{
    silence_op *s = ud;
    silence_state *st = em_keyed_state(k, id);
    st->silent = 1;
    st->silent_since = at;
    return emit_row(s, id, em_keyed_last_seen(k, id), at, "SILENT");
}

static int fire(silence_op *s, int64_t upto, em_op_ctx *cx)
{
    s->cx = cx;
    int rc = em_keyed_fire(s->keys, upto, on_silent, s);
    if (!rc)
        rc = flush(s);
    s->bb.b = NULL;
    s->base.stats.state_bytes = em_keyed_bytes(s->keys);
    return rc;
}

static int silence_advance(em_op *op, int64_t wm, em_op_ctx *cx)
{
    silence_op *s = (silence_op *)op;
    return s->time_col >= 0 ? fire(s, wm, cx) : 0;
}

static int silence_end_batch(em_op *op, em_op_ctx *cx)
{
    silence_op *s = (silence_op *)op;
    return s->time_col < 0 ? fire(s, cx->logical_time, cx) : 0;
}

static void silence_describe(const em_op *op, em_buf *out)
{
    const silence_op *s = (const silence_op *)op;
    em_buf_printf(out, "silence on %s after %lld us of %s time, keys=%llu",
                  op->out_schema->fields[0].name, (long long)s->timeout,
                  s->time_col >= 0 ? "event" : "processing",
                  (unsigned long long)em_keyed_count(s->keys));
}

static void silence_destroy(em_op *op)
{
    silence_op *s = (silence_op *)op;
    em_keyed_destroy(s->keys);
    em_free(s->rows);
    em_free(s->times);
    em_free(s->ids);
    em_op_release(op);
    em_free(s);
}

static void silence_fp(const silence_op *s, em__fp *fp)
{
    em__fp_init(fp);
    em__fp_text(fp, em_type_name(s->base.out_schema->fields[0].type), "key type");
    em__fp_num(fp, s->timeout, "timeout (us)");
    em__fp_text(fp, s->time_col >= 0 ? "event" : "processing", "time");
}

static int silence_state_ok(const void *p)
{
    const silence_state *st = p;
    return st->silent == 0 || st->silent == 1;
}

static int silence_snapshot(em_op *op, em_buf *out)
{
    silence_op *s = (silence_op *)op;
    em__fp fp;
    silence_fp(s, &fp);
    int rc = em__snap_begin(out, op, &fp);
    return rc ? rc : em__keyed_snap(s->keys, out);
}

static int silence_restore(em_op *op, const char *p, size_t n, em_errbuf *err)
{
    silence_op *s = (silence_op *)op;
    em__fp fp;
    em_dec d;
    silence_fp(s, &fp);
    int rc = em__snap_open(&d, op, &fp, p, n, err);
    if (rc)
        return rc;
    rc = em__keyed_load(s->keys, &d, silence_state_ok);
    op->stats.state_keys = em_keyed_count(s->keys);
    op->stats.state_bytes = em_keyed_bytes(s->keys);
    if (rc == EM_ENOMEM)
        return em_errf(err, rc, "%s %s: out of memory restoring state", op->vt->kind, op->id);
    if (rc)
        return em__snap_corrupt(op, err, "bad keys, states or timers");
    if (em_dec_left(&d))
        return em__snap_corrupt(op, err, "bytes left over after the keys");
    return 0;
}

static const em_op_vtable silence_vt = {
    .kind = "silence",
    .state_version = 1,
    .snapshot = silence_snapshot,
    .restore = silence_restore,
    .push = silence_push,
    .advance = silence_advance,
    .end_batch = silence_end_batch,
    .describe = silence_describe,
    .destroy = silence_destroy,
};

int em_silence_create(em_op **out, const char *id, const em_schema *in, int key_col,
                      int time_col, int64_t timeout_us, em_errbuf *err)
{
    silence_op *s = NULL;
    em_schema *sch = NULL;
    if (key_col < 0 || (uint32_t)key_col >= in->nfields)
        return em_errf(err, EM_EINVAL, "silence: key column %d out of range (input has %u)",
                       key_col, in->nfields);
    if (time_col >= 0 && ((uint32_t)time_col >= in->nfields ||
                          in->fields[time_col].type != EM_TYPE_TIMESTAMP))
        return em_errf(err, EM_ETYPE, "silence: time column %d must be a TIMESTAMP column",
                       time_col);
    if (timeout_us <= 0)
        return em_errf(err, EM_EINVAL, "silence: the timeout must be positive, not %lld us",
                       (long long)timeout_us);
    if (in->fields[key_col].type == EM_TYPE_NULL)
        return em_errf(err, EM_ETYPE, "silence: key column \"%s\" has no type",
                       in->fields[key_col].name);
    const char *names[] = {in->fields[key_col].name, "last_seen", "silent_since", "status"};
    em_type types[] = {in->fields[key_col].type, EM_TYPE_TIMESTAMP, EM_TYPE_TIMESTAMP,
                       EM_TYPE_TEXT};
    s = em_calloc(1, sizeof *s);
    sch = em_schema_create(4, names, types);
    if (!s || !sch)
        goto oom;
    if (em_keyed_create(&s->keys, in->fields[key_col].type, sizeof(silence_state), 0))
        goto oom;
    s->rows = em_malloc(EM_BATCH_ROWS * sizeof *s->rows);
    s->times = em_malloc(EM_BATCH_ROWS * sizeof *s->times);
    s->ids = em_malloc(EM_BATCH_ROWS * sizeof *s->ids);
    if (!s->rows || !s->times || !s->ids || em_op_init(&s->base, &silence_vt, id, sch, 1))
        goto oom;
    s->key_col = key_col;
    s->time_col = time_col;
    s->timeout = timeout_us;
    *out = &s->base;
    return 0;
oom:
    if (s) {
        em_keyed_destroy(s->keys);
        em_free(s->rows);
        em_free(s->times);
        em_free(s->ids);
        em_free(s->base.id);
        em_free(s);
    }
    em_schema_destroy(sch);
    return em_errf(err, EM_ENOMEM, "out of memory creating silence detector");
}
