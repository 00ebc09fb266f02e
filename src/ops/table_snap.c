/*
 * ops/table_snap.c - snapshots of keyed row state (ops/table.h): the
 * live ids of a key index, and a reference table as a sequence of row
 * chunks (ops/snap.h) that a restore feeds back through the ordinary
 * upsert path, so the key index and the row store (whatever their inner
 * layout, e.g. inline TEXT cells) are rebuilt exactly as live updates
 * build them.
 *
 * Table body: u64 upserts, u64 deletes, u64 null_keys (counters), then
 * row chunks of the table's schema, ended by an empty chunk.
 */
#include "ops/snap.h"
#include "ops/table.h"

#include "ember/error.h"

uint32_t em__keyidx_live_ids(const em__keyidx *x, uint32_t *ids)
{
    uint32_t n = 0;
    if (!x->slots) return 0;
    for (uint32_t i = 0; i <= x->mask; i++)
        if (x->slots[i].id != EM__NOID) ids[n++] = x->slots[i].id;
    return n;
}

int em__table_state_snap(const em_table_state *t, em_buf *out)
{
    uint32_t *ids = NULL;
    em_arena a;
    int rc;
    em_arena_init(&a, 0);
    if ((rc = em_enc_u64(out, t->upserts)) || (rc = em_enc_u64(out, t->deletes)) ||
        (rc = em_enc_u64(out, t->null_keys)))
        goto done;
    rc = EM_ENOMEM;
    if (!(ids = em_malloc(((size_t)t->keys.live + 1) * sizeof *ids))) goto done;
    uint32_t n = em__keyidx_live_ids(&t->keys, ids);
    rc = 0;
    for (uint32_t base = 0; base < n && !rc; base += EM_BATCH_ROWS) {
        uint32_t m = n - base < EM_BATCH_ROWS ? n - base : EM_BATCH_ROWS;
        em_batch *b = em_batch_view(t->schema, m, &a);
        if (!b) {
            rc = EM_ENOMEM;
            break;
        }
        for (uint32_t c = 0; c < t->rows.ncols && !rc; c++)
            rc =
                em__rowstore_gather(&t->rows, c, (const int32_t *)(ids + base), m, &b->cols[c], &a);
        if (!rc) rc = em__snap_put_rows(out, b);
        em_arena_reset(&a);
    }
    if (!rc) rc = em__snap_end_rows(out);
done:
    em_free(ids);
    em_arena_release(&a);
    return rc;
}

int em__table_state_load(em_table_state *t, em_dec *d)
{
    em_arena a;
    int rc = 0;
    uint64_t up = em_dec_u64(d), del = em_dec_u64(d), nk = em_dec_u64(d);
    if (!em_dec_ok(d)) return EM_ECORRUPT;
    em_arena_init(&a, 0);
    for (;;) {
        em_batch *b;
        if ((rc = em__snap_get_rows(d, t->schema, &a, &b)) || !b) break;
        /* a stored row has a key and a value (else it was deleted) */
        for (uint32_t i = 0; i < b->nrows && !rc; i++)
            if (em_column_is_null(&b->cols[t->key_col], i)) rc = EM_ECORRUPT;
        if (rc || (rc = em_table_state_upsert(t, b))) break;
        em_arena_reset(&a);
    }
    em_arena_release(&a);
    if (rc == EM_ECORRUPT) em_dec_fail(d);
    t->upserts = up;
    t->deletes = del;
    t->null_keys = nk;
    return rc;
}
