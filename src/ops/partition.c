/*
 * ops/partition.c - key-partitioned execution of a stateful operator. See
 * partition.h.
 */
#include "ops/partition.h"

#include "core/codec.h"
#include "core/hash.h"
#include "ember/error.h"
#include "ops/agg.h"

#include <string.h>

typedef struct part part;

/* Receives what one partition's operator emits (on a worker thread). */
typedef struct capture {
    em_op base;
    part *p;
} capture;

struct part {
    em_op *inner;
    capture cap;
    em_arena arena;
    const em_batch **in;
    uint32_t nin, cap_in;
    const em_batch **out;
    uint32_t nout, cap_out;
    int rc;
    em_errbuf err;
};

typedef struct partition_op {
    em_op base;
    uint32_t n;
    part *parts;
    em_pool *pool;
    int *keys;
    uint32_t nkeys;
    int64_t batch_id;
    /* the phase being fanned out */
    em_op_ctx *cx;
    int64_t wm;
    int phase;
} partition_op;

enum { PH_PUSH, PH_ADVANCE, PH_END };

static int append(const em_batch ***v, uint32_t *n, uint32_t *cap, const em_batch *b)
{
    if (*n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 8;
        const em_batch **nv = em_realloc(*v, nc * sizeof *nv);
        if (!nv)
            return EM_ENOMEM;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = b;
    return 0;
}

static int capture_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    (void)cx;
    part *p = ((capture *)op)->p;
    return append(&p->out, &p->nout, &p->cap_out, in);
}

static void capture_destroy(em_op *op)
{
    em_op_release(op);
}

static const em_op_vtable capture_vt = {
    .kind = "partition_output",
    .push = capture_push,
    .destroy = capture_destroy,
};

uint64_t em__partition_value_hash(em_type t, const void *p, size_t len)
{
    if (!p)
        return 0x6e756c6cu; /* every NULL key in one partition */
    if (t == EM_TYPE_TEXT)
        return em_hash_bytes(p, len, EM_HASH_SEED);
    if (t == EM_TYPE_BOOLEAN)
        return em_hash_u64(*(const uint8_t *)p, EM_HASH_SEED);
    uint64_t bits;
    memcpy(&bits, p, 8);
    return em_hash_u64(bits, EM_HASH_SEED);
}

uint32_t em__partition_pick(uint64_t h, uint32_t n)
{
    return (uint32_t)(((__uint128_t)h * n) >> 64);
}

uint32_t em_partition_of(const em_batch *b, uint32_t r, const int *key_cols, uint32_t nkeys,
                         uint32_t n)
{
    uint64_t h = EM_HASH_SEED;
    for (uint32_t k = 0; k < nkeys; k++) {
        const em_column *c = &b->cols[key_cols[k]];
        uint64_t v;
        if (em_column_is_null(c, r)) {
            v = em__partition_value_hash(c->type, NULL, 0);
        } else if (c->type == EM_TYPE_TEXT) {
            em_slice s = em_column_text(c, r);
            v = em__partition_value_hash(c->type, s.ptr, s.len);
        } else {
            size_t w = em_type_width(c->type);
            v = em__partition_value_hash(c->type, (const char *)c->v.ptr + (size_t)r * w, w);
        }
        h = em_hash_combine(h, v);
    }
    return em__partition_pick(h, n);
}

/* One partition's share of the current phase (runs on a worker). */
static void run_part(void *arg, uint32_t i)
{
    partition_op *po = arg;
    part *p = &po->parts[i];
    em_op_ctx cx = *po->cx;
    cx.arena = &p->arena;
    cx.err = &p->err;
    em_op *op = p->inner;
    int rc = 0;
    for (uint32_t k = 0; k < p->nin && !rc; k++)
        rc = op->vt->push(op, 0, p->in[k], &cx);
    p->nin = 0;
    if (!rc && po->phase == PH_ADVANCE && op->vt->advance)
        rc = op->vt->advance(op, po->wm, &cx);
    if (!rc && po->phase == PH_END && op->vt->end_batch)
        rc = op->vt->end_batch(op, &cx);
    p->rc = rc;
}

/* Runs the phase on every partition, then forwards their outputs. */
static int fan_out(partition_op *po, int phase, int64_t wm, em_op_ctx *cx)
{
    po->cx = cx;
    po->phase = phase;
    po->wm = wm;
    em_pool_run(po->pool, run_part, po, po->n);
    int rc = 0;
    uint64_t keys = 0, bytes = 0, late = 0, evicted = 0;
    for (uint32_t i = 0; i < po->n; i++) {
        part *p = &po->parts[i];
        if (p->rc && !rc) {
            rc = p->rc;
            if (cx->err)
                *cx->err = p->err;
        }
        for (uint32_t k = 0; k < p->nout && !rc; k++)
            rc = em_op_emit(&po->base, p->out[k], cx);
        p->nout = 0;
        keys += p->inner->stats.state_keys;
        bytes += p->inner->stats.state_bytes;
        late += p->inner->stats.late_dropped;
        evicted += p->inner->stats.evicted;
    }
    po->base.stats.state_keys = keys;
    po->base.stats.state_bytes = bytes;
    po->base.stats.late_dropped = late;
    po->base.stats.evicted = evicted;
    return rc;
}

static void new_batch(partition_op *po, int64_t batch_id)
{
    if (po->batch_id == batch_id)
        return;
    /* the previous micro-batch's outputs have been written: free them */
    for (uint32_t i = 0; i < po->n; i++)
        em_arena_reset(&po->parts[i].arena);
    po->batch_id = batch_id;
}

static int partition_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    (void)port;
    partition_op *po = (partition_op *)op;
    new_batch(po, cx->batch_id);
    uint32_t n = em_batch_count(in);
    uint32_t *sel = em_arena_alloc(cx->arena, (size_t)(n ? n : 1) * po->n * sizeof *sel);
    uint32_t counts[po->n];
    if (!sel)
        return EM_ENOMEM;
    memset(counts, 0, sizeof counts);
    /* partition i's rows go to sel[i * n ...] */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = em_batch_row(in, i);
        uint32_t k = em_partition_of(in, r, po->keys, po->nkeys, po->n);
        sel[(size_t)k * n + counts[k]++] = r;
    }
    for (uint32_t k = 0; k < po->n; k++) {
        if (!counts[k])
            continue;
        em_batch *b = em_arena_alloc(cx->arena, sizeof *b);
        if (!b)
            return EM_ENOMEM;
        *b = *in;
        b->sel = sel + (size_t)k * n;
        b->nsel = counts[k];
        part *p = &po->parts[k];
        if (append(&p->in, &p->nin, &p->cap_in, b))
            return EM_ENOMEM;
    }
    return 0;
}

static int partition_advance(em_op *op, int64_t wm, em_op_ctx *cx)
{
    partition_op *po = (partition_op *)op;
    new_batch(po, cx->batch_id);
    return fan_out(po, PH_ADVANCE, wm, cx);
}

static int partition_end(em_op *op, em_op_ctx *cx)
{
    partition_op *po = (partition_op *)op;
    new_batch(po, cx->batch_id);
    return fan_out(po, PH_END, 0, cx);
}

static void partition_describe(const em_op *op, em_buf *out)
{
    const partition_op *po = (const partition_op *)op;
    em_buf_printf(out, "%u partitions of ", po->n);
    if (po->parts[0].inner->vt->describe)
        po->parts[0].inner->vt->describe(po->parts[0].inner, out);
    else
        em_buf_puts(out, po->parts[0].inner->vt->kind);
}

static void partition_destroy(em_op *op)
{
    partition_op *po = (partition_op *)op;
    for (uint32_t i = 0; po->parts && i < po->n; i++) {
        part *p = &po->parts[i];
        em_op_destroy(p->inner);
        if (p->cap.base.vt)
            em_op_release(&p->cap.base);
        em_arena_release(&p->arena);
        em_free(p->in);
        em_free(p->out);
    }
    em_free(po->parts);
    em_free(po->keys);
    em_op_release(op);
    em_free(op);
}

/* ---- snapshots ----
 * The wrapper's snapshot is a container of its partitions' own snapshots:
 * u32 EM__PART_MAGIC, u32 count, count x bytes. A restore into the same
 * number of partitions hands blob i to partition i; into another number
 * it re-splits keys by hash (aggregates only: every key goes where
 * em_partition_of sends its rows). A plain operator snapshot (workers = 1
 * runs no wrapper) is accepted as a container of one, and the aggregate
 * reads containers too, so changing `workers` keeps the checkpoint. */

int em__part_each(const char *p, size_t n, em__part_fn fn, void *ud)
{
    em_dec d;
    em_dec_init(&d, p, n);
    if (em_dec_u32(&d) != EM__PART_MAGIC || !em_dec_ok(&d))
        return fn(ud, p, n, 0, 1);
    uint32_t count = em_dec_u32(&d);
    if (!em_dec_ok(&d) || count == 0 || (uint64_t)count * 4 > em_dec_left(&d))
        return EM_ECORRUPT;
    for (uint32_t i = 0; i < count; i++) {
        em_slice b = em_dec_bytes(&d);
        if (!em_dec_ok(&d))
            return EM_ECORRUPT;
        int rc = fn(ud, b.ptr, b.len, i, count);
        if (rc)
            return rc;
    }
    return em_dec_left(&d) ? EM_ECORRUPT : 0;
}

static int partition_snapshot(em_op *op, em_buf *out)
{
    partition_op *po = (partition_op *)op;
    int rc;
    if ((rc = em_enc_u32(out, EM__PART_MAGIC)) || (rc = em_enc_u32(out, po->n)))
        return rc;
    for (uint32_t i = 0; i < po->n; i++) {
        em_op *in = po->parts[i].inner;
        if (!in->vt->snapshot)
            return EM_EUNSUPPORTED;
        /* a u32 length patched in after the blob is written */
        size_t at = out->len;
        if ((rc = em_enc_u32(out, 0)) || (rc = in->vt->snapshot(in, out)))
            return rc;
        size_t len = out->len - at - 4;
        if (len > UINT32_MAX)
            return EM_ELIMIT;
        uint32_t l32 = (uint32_t)len;
        memcpy(out->ptr + at, &l32, 4);
    }
    return 0;
}

typedef struct restore_ctx {
    partition_op *po;
    em_errbuf *err;
} restore_ctx;

static int restore_blob(void *ud, const char *p, size_t n, uint32_t i, uint32_t count)
{
    restore_ctx *rc = ud;
    partition_op *po = rc->po;
    if (count == po->n) {
        em_op *in = po->parts[i].inner;
        return in->vt->restore(in, p, n, rc->err);
    }
    for (uint32_t j = 0; j < po->n; j++) {
        em_op *in = po->parts[j].inner;
        if (strcmp(in->vt->kind, "aggregate") != 0)
            return em_errf(rc->err, EM_EINVAL,
                           "partitioned %s: incompatible state: the snapshot has %u partitions, "
                           "this operator %u, and %s state cannot be re-split",
                           po->base.id, count, po->n, in->vt->kind);
        int r = em__aggregate_restore_part(in, p, n, j, po->n, rc->err);
        if (r)
            return r;
    }
    return 0;
}

static int partition_restore(em_op *op, const char *p, size_t n, em_errbuf *err)
{
    partition_op *po = (partition_op *)op;
    restore_ctx rc = {po, err};
    em_errbuf_clear(err);
    for (uint32_t i = 0; i < po->n; i++)
        if (!po->parts[i].inner->vt->restore)
            return em_errf(err, EM_EUNSUPPORTED, "partitioned %s: %s has no restore", op->id,
                           po->parts[i].inner->vt->kind);
    int r = em__part_each(p, n, restore_blob, &rc);
    if (r == EM_ECORRUPT && (!err || !err->code))
        em_errf(err, r, "partitioned %s: corrupt snapshot: bad partition container", op->id);
    uint64_t keys = 0, bytes = 0;
    for (uint32_t i = 0; i < po->n; i++) {
        keys += po->parts[i].inner->stats.state_keys;
        bytes += po->parts[i].inner->stats.state_bytes;
    }
    op->stats.state_keys = keys;
    op->stats.state_bytes = bytes;
    return r;
}

static const em_op_vtable partition_vt = {
    .kind = "partitioned",
    .state_version = 1,
    .snapshot = partition_snapshot,
    .restore = partition_restore,
    .push = partition_push,
    .advance = partition_advance,
    .end_batch = partition_end,
    .describe = partition_describe,
    .destroy = partition_destroy,
};

int em_partitioned_create(em_op **out, const char *id, em_op *const *inner, uint32_t n,
                          const int *key_cols, uint32_t nkeys, em_pool *pool, em_errbuf *err)
{
    partition_op *po = em_calloc(1, sizeof *po);
    em_schema *s = n ? em_schema_copy(inner[0]->out_schema) : NULL;
    if (!po || !s || em_op_init(&po->base, &partition_vt, id, s, 1)) {
        em_free(po);
        em_schema_destroy(s);
        goto fail;
    }
    po->base.vt = &partition_vt;
    po->n = n;
    po->pool = pool;
    po->batch_id = -1;
    po->parts = em_calloc(n, sizeof *po->parts);
    po->keys = em_malloc((nkeys ? nkeys : 1) * sizeof *po->keys);
    if (!po->parts || !po->keys) {
        for (uint32_t i = 0; i < n; i++)
            em_op_destroy(inner[i]);
        em_free(po->parts);
        po->parts = NULL;
        partition_destroy(&po->base);
        return em_errf(err, EM_ENOMEM, "out of memory");
    }
    memcpy(po->keys, key_cols, nkeys * sizeof *key_cols);
    po->nkeys = nkeys;
    int rc = 0;
    for (uint32_t i = 0; i < n; i++) {
        part *p = &po->parts[i];
        p->inner = inner[i];
        em_arena_init(&p->arena, 64 * 1024);
        if (!rc && (rc = em_op_init(&p->cap.base, &capture_vt, "capture", NULL, 1)) == 0) {
            p->cap.p = p;
            rc = em_op_connect(p->inner, &p->cap.base, 0);
        }
    }
    if (rc) {
        partition_destroy(&po->base);
        return em_errf(err, EM_ENOMEM, "out of memory");
    }
    *out = &po->base;
    return 0;
fail:
    for (uint32_t i = 0; i < n; i++)
        em_op_destroy(inner[i]);
    return em_errf(err, EM_ENOMEM, "out of memory");
}
