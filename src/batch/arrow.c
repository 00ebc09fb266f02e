/*
 * batch/arrow.c - export of a batch through the Arrow C Data Interface.
 *
 * The export copies the selected rows into buffers owned by the exported
 * structs (one em_malloc block per array node, freed by its release
 * callback), so the consumer may keep it after the micro-batch arena is
 * reset. BOOLEAN bytes are packed into Arrow's bit layout; TIMESTAMP is
 * "tsu:UTC" (microseconds), INTERVAL a duration "tDu".
 */
#include "batch/batch.h"
#include "ember/arrow.h"
#include "ember/error.h"

#include <string.h>

static const char *arrow_format(em_type t)
{
    switch (t) {
    case EM_TYPE_BOOLEAN:
        return "b";
    case EM_TYPE_BIGINT:
        return "l";
    case EM_TYPE_DOUBLE:
        return "g";
    case EM_TYPE_TEXT:
        return "u";
    case EM_TYPE_TIMESTAMP:
        return "tsu:UTC";
    case EM_TYPE_INTERVAL:
        return "tDu";
    case EM_TYPE_NULL:
        return "n";
    }
    return "n";
}

/* ---- schema ---- */

static void schema_release(struct ArrowSchema *s)
{
    for (int64_t i = 0; i < s->n_children; i++) {
        struct ArrowSchema *c = s->children[i];
        if (c->release)
            c->release(c);
    }
    em_free(s->private_data); /* one block: children array, child structs, names */
    s->release = NULL;
}

static void child_schema_release(struct ArrowSchema *s)
{
    s->release = NULL; /* memory belongs to the parent's block */
}

static int export_schema(const em_schema *sc, struct ArrowSchema *out)
{
    size_t names = 0;
    for (uint32_t i = 0; i < sc->nfields; i++)
        names += strlen(sc->fields[i].name) + 1;
    size_t n = sc->nfields;
    char *blk = em_calloc(1, n * (sizeof(struct ArrowSchema *) + sizeof(struct ArrowSchema)) +
                                 names + 1);
    if (!blk)
        return EM_ENOMEM;
    struct ArrowSchema **kids = (struct ArrowSchema **)blk;
    struct ArrowSchema *structs = (struct ArrowSchema *)(blk + n * sizeof *kids);
    char *np = (char *)(structs + n);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = strlen(sc->fields[i].name) + 1;
        memcpy(np, sc->fields[i].name, len);
        structs[i] = (struct ArrowSchema){
            .format = arrow_format(sc->fields[i].type),
            .name = np,
            .flags = ARROW_FLAG_NULLABLE,
            .release = child_schema_release,
        };
        kids[i] = &structs[i];
        np += len;
    }
    *out = (struct ArrowSchema){
        .format = "+s",
        .name = "",
        .n_children = (int64_t)n,
        .children = kids,
        .release = schema_release,
        .private_data = blk,
    };
    return 0;
}

/* ---- arrays ---- */

static void array_release(struct ArrowArray *a)
{
    for (int64_t i = 0; i < a->n_children; i++)
        if (a->children[i]->release)
            a->children[i]->release(a->children[i]);
    em_free(a->private_data);
    a->release = NULL;
}

/* One child: its struct, buffers array and data live in one block. */
static int export_column(const em_column *c, const uint32_t *sel, uint32_t n,
                         struct ArrowArray *out)
{
    size_t vbytes = (size_t)em_bitmap_bytes(n);
    size_t val = c->type == EM_TYPE_BOOLEAN ? em_bitmap_bytes(n)
                 : c->type == EM_TYPE_TEXT  ? ((size_t)n + 1) * 4
                                            : (size_t)n * 8;
    size_t text = 0;
    if (c->type == EM_TYPE_TEXT)
        for (uint32_t i = 0; i < n; i++)
            text += (size_t)(c->v.off[sel[i] + 1] - c->v.off[sel[i]]);
    size_t hdr = (sizeof(const void *) * 3 + 15) & ~(size_t)15;
    size_t vb = (vbytes + 15) & ~(size_t)15, vl = (val + 15) & ~(size_t)15;
    char *blk = em_calloc(1, hdr + vb + vl + text + 1);
    if (!blk)
        return EM_ENOMEM;
    const void **bufs = (const void **)blk;
    uint8_t *validity = (uint8_t *)(blk + hdr);
    char *values = blk + hdr + vb;
    char *tdata = values + vl;
    int64_t nulls = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = sel[i];
        if (em_column_is_null(c, r))
            nulls++;
        else
            em_bit_set(validity, i);
        switch (c->type) {
        case EM_TYPE_BOOLEAN:
            if (c->v.b[r])
                em_bit_set((uint8_t *)values, i);
            break;
        case EM_TYPE_TEXT: {
            int32_t *off = (int32_t *)values;
            int32_t s = c->v.off[r], e = c->v.off[r + 1];
            memcpy(tdata + off[i], c->data + s, (size_t)(e - s));
            off[i + 1] = off[i] + (e - s);
            break;
        }
        default:
            memcpy(values + (size_t)i * 8, (const char *)c->v.ptr + (size_t)r * 8, 8);
        }
    }
    bufs[0] = nulls ? validity : NULL;
    bufs[1] = values;
    bufs[2] = tdata;
    *out = (struct ArrowArray){
        .length = n,
        .null_count = nulls,
        .n_buffers = c->type == EM_TYPE_TEXT ? 3 : 2,
        .buffers = bufs,
        .release = array_release,
        .private_data = blk,
    };
    return 0;
}

int em_batch_export_arrow(const em_batch *b, struct ArrowSchema *schema, struct ArrowArray *array)
{
    uint32_t n = em_batch_count(b);
    uint32_t *sel = NULL, nc = b->ncols;
    char *blk = NULL;
    int rc = EM_ENOMEM;
    memset(array, 0, sizeof *array);
    schema->release = NULL;
    sel = em_malloc((n ? n : 1) * sizeof *sel);
    if (!sel)
        goto fail;
    for (uint32_t i = 0; i < n; i++)
        sel[i] = em_batch_row(b, i);
    /* parent block: children pointers, child structs, the (empty) struct buffer list */
    blk = em_calloc(1, nc * (sizeof(struct ArrowArray *) + sizeof(struct ArrowArray)) +
                           sizeof(const void *));
    if (!blk)
        goto fail;
    struct ArrowArray **kids = (struct ArrowArray **)blk;
    struct ArrowArray *structs = (struct ArrowArray *)(blk + nc * sizeof *kids);
    const void **pbufs = (const void **)(structs + nc);
    *array = (struct ArrowArray){
        .length = n,
        .n_buffers = 1,
        .n_children = 0,
        .buffers = pbufs,
        .children = kids,
        .release = array_release,
        .private_data = blk,
    };
    blk = NULL; /* owned by array now */
    for (uint32_t c = 0; c < nc; c++) {
        kids[c] = &structs[c];
        if ((rc = export_column(&b->cols[c], sel, n, &structs[c])))
            goto fail;
        array->n_children = c + 1;
    }
    if ((rc = export_schema(b->schema, schema)))
        goto fail;
    em_free(sel);
    return 0;
fail:
    em_free(sel);
    em_free(blk);
    if (array->release)
        array->release(array);
    return rc;
}
