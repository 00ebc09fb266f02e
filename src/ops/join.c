/*
 * ops/join.c - the stream-table join. The table side is an em_table_state
 * fed by port 1; a stream batch on port 0 is processed in chunks of
 * EM_BATCH_ROWS selected rows: hash the chunk's keys and probe the table
 * once per row (vectorized, no allocation). The output then passes the
 * stream columns through untouched and selects the matched rows, adding
 * only the table's columns (the table key column is the stream key column
 * itself, relabelled); when few rows match it is a dense copy instead.
 */
#include "ops/join.h"

#include "ember/error.h"
#include "ops/snap.h"
#include "ops/table.h"

#include <string.h>

em_schema *em__join_schema(const em_schema *a, const em_schema *b)
{
    uint32_t n = a->nfields + b->nfields;
    const char *names[n ? n : 1];
    em_type types[n ? n : 1];
    for (uint32_t i = 0; i < a->nfields; i++) {
        names[i] = a->fields[i].name;
        types[i] = a->fields[i].type;
    }
    for (uint32_t i = 0; i < b->nfields; i++) {
        names[a->nfields + i] = b->fields[i].name;
        types[a->nfields + i] = b->fields[i].type;
    }
    return em_schema_create(n, names, types);
}

typedef struct table_join {
    em_op base;
    em_table_state *table;
    int skey;
    uint32_t nstream;  /* stream columns */
    int left;
    int share_key;     /* the table key column of a match equals the stream
                        * key bit for bit (not DOUBLE: -0.0 == 0.0) */
    uint32_t cap;      /* rows and ids hold cap entries */
    uint32_t *rows;    /* scratch: the stream rows, then the matched ones */
    int32_t *ids;      /* scratch: their table row ids (-1: none) */
    uint64_t *hash;    /* scratch, EM_BATCH_ROWS */
} table_join;

/* A join output keeps the input batch's columns and selects the matched
 * rows when at least 1/VIEW_DENSITY of the input's physical rows match;
 * below that it copies the matches into a dense batch, so that a few
 * matches do not drag a large mostly unselected batch downstream. */
#define VIEW_DENSITY 8

static void update_stats(table_join *j)
{
    j->base.stats.state_keys = em_table_state_keys(j->table);
    j->base.stats.state_bytes = em_table_state_bytes(j->table);
}

static int reserve_rows(table_join *j, uint32_t n)
{
    if (n <= j->cap)
        return 0;
    uint32_t nc = j->cap ? j->cap : EM_BATCH_ROWS;
    while (nc < n)
        nc = nc > UINT32_MAX / 2 ? n : nc * 2;
    uint32_t *r = em_realloc(j->rows, (size_t)nc * sizeof *r);
    if (r)
        j->rows = r;
    int32_t *d = r ? em_realloc(j->ids, (size_t)nc * sizeof *d) : NULL;
    if (!d)
        return EM_ENOMEM;
    j->ids = d;
    j->cap = nc;
    return 0;
}

/* The table key column of the output as a copy of the stream key column
 * kc of n rows, of which rows[0..m) (NULL: 0..m) were looked up with table
 * ids ids[]: same values, the table's type, NULL where ids[i] < 0. */
static int shared_key(const table_join *j, const em_column *kc, const uint32_t *rows,
                      const int32_t *ids, uint32_t m, uint32_t n, em_column *dst, em_arena *a)
{
    *dst = *kc;
    dst->type = j->table->schema->fields[j->table->key_col].type;
    if (!j->left)
        return 0; /* every selected row matched, so its key is not NULL */
    uint32_t hit = 0;
    for (uint32_t i = 0; i < m; i++)
        hit += ids[i] >= 0;
    if (hit == m)
        return 0;
    size_t nb = em_bitmap_bytes(n);
    dst->validity = em_arena_calloc(a, nb ? nb : 1, 1);
    if (!dst->validity)
        return EM_ENOMEM;
    for (uint32_t i = 0; i < m; i++)
        if (ids[i] >= 0)
            em_bit_set(dst->validity, rows ? rows[i] : i);
    dst->null_count = n - hit;
    return 0;
}

/* The m matched rows (rows[], ids[]) as a batch over in's own columns. */
static int view_output(table_join *j, const em_batch *in, uint32_t m, em_op_ctx *cx,
                       em_batch **out)
{
    const em_table_state *t = j->table;
    em_batch *b = em_batch_view(j->base.out_schema, in->nrows, cx->arena);
    if (!b)
        return EM_ENOMEM;
    if (m < in->nrows) {
        if (!(b->sel = em_arena_alloc(cx->arena, (size_t)m * sizeof *b->sel)))
            return EM_ENOMEM;
        memcpy(b->sel, j->rows, (size_t)m * sizeof *b->sel);
    }
    b->nsel = m;
    memcpy(b->cols, in->cols, j->nstream * sizeof *b->cols);
    int rc;
    for (uint32_t c = 0; c < t->rows.ncols; c++) {
        em_column *dst = &b->cols[j->nstream + c];
        if (j->share_key && (int)c == t->key_col)
            rc = shared_key(j, &in->cols[j->skey], j->rows, j->ids, m, in->nrows, dst, cx->arena);
        else
            rc = em__rowstore_scatter(&t->rows, c, j->rows, j->ids, m, in->nrows, dst,
                                      cx->arena);
        if (rc)
            return rc;
    }
    *out = b;
    return 0;
}

/* The m matched rows copied into a dense batch. */
static int dense_output(table_join *j, const em_batch *in, uint32_t m, em_op_ctx *cx,
                        em_batch **out)
{
    const em_table_state *t = j->table;
    em_batch *b = em_batch_view(j->base.out_schema, m, cx->arena);
    if (!b)
        return EM_ENOMEM;
    int rc;
    for (uint32_t c = 0; c < j->nstream; c++)
        if ((rc = em__column_gather(&b->cols[c], &in->cols[c], j->rows, m, cx->arena)))
            return rc;
    for (uint32_t c = 0; c < t->rows.ncols; c++) {
        em_column *dst = &b->cols[j->nstream + c];
        if (j->share_key && (int)c == t->key_col)
            rc = shared_key(j, &b->cols[j->skey], NULL, j->ids, m, m, dst, cx->arena);
        else
            rc = em__rowstore_gather(&t->rows, c, j->ids, m, dst, cx->arena);
        if (rc)
            return rc;
    }
    *out = b;
    return 0;
}

static int join_stream(table_join *j, const em_batch *in, em_op_ctx *cx)
{
    const em_column *kc = &in->cols[j->skey];
    uint32_t total = em_batch_count(in);
    if (total == 0)
        return 0;
    if (reserve_rows(j, total))
        return em_errf(cx->err, EM_ENOMEM, "join %s: out of memory for %u rows", j->base.id,
                       total);
    if (in->sel)
        memcpy(j->rows, in->sel, (size_t)total * sizeof *j->rows);
    else
        for (uint32_t i = 0; i < total; i++)
            j->rows[i] = i;
    for (uint32_t base = 0; base < total; base += EM_BATCH_ROWS) {
        uint32_t n = total - base < EM_BATCH_ROWS ? total - base : EM_BATCH_ROWS;
        em_table_state_lookup(j->table, kc, j->rows + base, n, j->hash, j->ids + base);
    }
    uint32_t m = total;
    if (!j->left) {
        m = 0;
        for (uint32_t i = 0; i < total; i++) {
            j->rows[m] = j->rows[i];
            j->ids[m] = j->ids[i];
            m += j->ids[i] >= 0;
        }
        if (m == 0)
            return 0;
    }
    em_batch *b = NULL;
    int rc = (uint64_t)m * VIEW_DENSITY >= in->nrows ? view_output(j, in, m, cx, &b)
                                                    : dense_output(j, in, m, cx, &b);
    if (rc)
        return em_errf(cx->err, rc, "join %s: cannot build the output of %u rows: %s",
                       j->base.id, m, em_strerror(rc));
    return em_op_emit(&j->base, b, cx);
}

static int table_join_push(em_op *op, int port, const em_batch *in, em_op_ctx *cx)
{
    table_join *j = (table_join *)op;
    uint32_t want = port == 1 ? j->table->rows.ncols : j->nstream;
    if (in->ncols != want)
        return em_errf(cx->err, EM_EINVAL, "join %s: port %d expects %u columns, got %u", op->id,
                       port, want, in->ncols);
    if (port == 1) {
        int rc = em_table_state_upsert(j->table, in);
        update_stats(j);
        if (rc)
            return em_errf(cx->err, rc, "join %s: cannot update table state: %s", op->id,
                           em_strerror(rc));
        return 0;
    }
    return join_stream(j, in, cx);
}

static void table_join_describe(const em_op *op, em_buf *out)
{
    const table_join *j = (const table_join *)op;
    em_buf_printf(out, "%s join on stream.%s = table.%s, table keys=%llu",
                  j->left ? "LEFT" : "INNER", op->out_schema->fields[j->skey].name,
                  j->table->schema->fields[j->table->key_col].name,
                  (unsigned long long)em_table_state_keys(j->table));
}

static void table_join_destroy(em_op *op)
{
    table_join *j = (table_join *)op;
    em_table_state_destroy(j->table);
    em_free(j->rows);
    em_free(j->ids);
    em_free(j->hash);
    em_op_release(op);
    em_free(j);
}

/* The state is the table: its column types and key column fix its meaning
 * (the stream side and the join type do not). */
static void table_join_fp(const table_join *j, em__fp *fp)
{
    const em_schema *s = j->table->schema;
    em__fp_init(fp);
    em__fp_num(fp, s->nfields, "table columns");
    for (uint32_t i = 0; i < s->nfields; i++)
        em__fp_text(fp, em_type_name(s->fields[i].type), "table column %u type", i + 1);
    em__fp_num(fp, j->table->key_col + 1, "table key column");
}

static int table_join_snapshot(em_op *op, em_buf *out)
{
    table_join *j = (table_join *)op;
    em__fp fp;
    table_join_fp(j, &fp);
    int rc = em__snap_begin(out, op, &fp);
    return rc ? rc : em__table_state_snap(j->table, out);
}

static int table_join_restore(em_op *op, const char *p, size_t n, em_errbuf *err)
{
    table_join *j = (table_join *)op;
    em__fp fp;
    em_dec d;
    table_join_fp(j, &fp);
    int rc = em__snap_open(&d, op, &fp, p, n, err);
    if (rc)
        return rc;
    rc = em__table_state_load(j->table, &d);
    update_stats(j);
    if (rc == EM_ENOMEM)
        return em_errf(err, rc, "%s %s: out of memory restoring state", op->vt->kind, op->id);
    if (rc)
        return em__snap_corrupt(op, err, "bad table rows");
    if (em_dec_left(&d))
        return em__snap_corrupt(op, err, "bytes left over after the table");
    return 0;
}

static const em_op_vtable table_join_vt = {
    .kind = "table_join",
    .state_version = 1,
    .snapshot = table_join_snapshot,
    .restore = table_join_restore,
    .push = table_join_push,
    .describe = table_join_describe,
    .destroy = table_join_destroy,
};

int em_table_join_create(em_op **out, const char *id, const em_schema *stream, int stream_key_col,
                         const em_schema *table, int table_key_col, int left, em_errbuf *err)
{
    table_join *j = NULL;
    em_schema *s = NULL;
    int rc;
    if (stream_key_col < 0 || (uint32_t)stream_key_col >= stream->nfields)
        return em_errf(err, EM_EINVAL, "join key column %d out of range (stream has %u columns)",
                       stream_key_col, stream->nfields);
    if (table_key_col < 0 || (uint32_t)table_key_col >= table->nfields)
        return em_errf(err, EM_EINVAL, "join key column %d out of range (table has %u columns)",
                       table_key_col, table->nfields);
    em_type st = stream->fields[stream_key_col].type, tt = table->fields[table_key_col].type;
    if (!em__key_types_compatible(st, tt))
        return em_errf(err, EM_ETYPE,
                       "join keys %s (%s) and %s (%s) have different types; cast one side",
                       stream->fields[stream_key_col].name, em_type_name(st),
                       table->fields[table_key_col].name, em_type_name(tt));
    j = em_calloc(1, sizeof *j);
    if (!j)
        goto oom;
    if ((rc = em_table_state_create(&j->table, table, table_key_col, err)))
        goto fail;
    j->hash = em_malloc(EM_BATCH_ROWS * sizeof *j->hash);
    s = em__join_schema(stream, table);
    if (!j->hash || !s || reserve_rows(j, EM_BATCH_ROWS))
        goto oom;
    if (em_op_init(&j->base, &table_join_vt, id, s, 2))
        goto oom;
    s = NULL;
    j->skey = stream_key_col;
    j->nstream = stream->nfields;
    j->left = left != 0;
    j->share_key = st != EM_TYPE_DOUBLE; /* the types are compatible */
    update_stats(j);
    *out = &j->base;
    return 0;
oom:
    rc = em_errf(err, EM_ENOMEM, "out of memory creating join %s", id ? id : "");
fail:
    if (j) {
        em_table_state_destroy(j->table);
        em_free(j->rows);
        em_free(j->ids);
        em_free(j->hash);
        em_free(j->base.id);
        em_free(j);
    }
    em_schema_destroy(s);
    return rc;
}
