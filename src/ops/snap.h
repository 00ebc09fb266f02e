/*
 * ops/snap.h - pieces shared by the operators' state snapshots (the
 * snapshot/restore callbacks of ops/op.h). See docs/internals.md, "State
 * snapshots".
 *
 * Every operator snapshot starts with the same envelope:
 *
 *   u32 state_version   the operator kind's vt->state_version
 *   u32 nitems          layout fingerprint: what the state's meaning
 *   nitems x (str name, u8 is_text, i64 value | str text)   depends on
 *
 * then the operator's body. The fingerprint lists the configuration the
 * state was built for (aggregate kinds and argument types, key types,
 * window kind and sizes, join bounds, ...): a restore into an operator whose
 * fingerprint differs is refused with EM_EINVAL and a message naming the
 * first difference ("incompatible"), while a body that does not decode is
 * EM_ECORRUPT. Both messages start with the operator kind and id.
 *
 * Rows (tables, join buffers, keyed state keys) are written as chunks of at
 * most EM_BATCH_ROWS rows, column by column, dense: a validity bitmap when a
 * column has NULLs, fixed-width values as one raw little-endian block, TEXT
 * as a length block and the bytes. A restore decodes a chunk into an arena
 * batch and feeds it through the operator's ordinary insert path.
 */
#ifndef EMBER_OPS_SNAP_H
#define EMBER_OPS_SNAP_H

#include "core/codec.h"
#include "ops/op.h"

#define EM__SNAP_H __attribute__((visibility("hidden")))

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "state snapshots write raw little-endian blocks: add byte swapping for this target"
#endif

/* ---- layout fingerprint ---- */

#define EM__FP_MAX 96

typedef struct em__fp {
    uint32_t n;
    int overflow; /* more than EM__FP_MAX items: the rest folded into "more" */
    char name[EM__FP_MAX][40];
    char text[EM__FP_MAX][40]; /* "" = a number */
    int64_t v[EM__FP_MAX];
} em__fp;

EM__SNAP_H void em__fp_init(em__fp *fp);
/* Adds a numeric item; the name is formatted (printf). */
EM__SNAP_H void em__fp_num(em__fp *fp, int64_t v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adds a text item (value truncated to 39 bytes). */
EM__SNAP_H void em__fp_text(em__fp *fp, const char *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the envelope (op->vt->state_version and fp). 0 or EM_ENOMEM/EM_ELIMIT. */
EM__SNAP_H int em__snap_begin(em_buf *out, const em_op *op, const em__fp *fp);
/* Reads and checks the envelope of [p, p+n) for op (expected fingerprint
 * fp); on success d is positioned at the body. Returns 0, EM_ECORRUPT or
 * EM_EINVAL (incompatible version or configuration), message in err. */
EM__SNAP_H int em__snap_open(em_dec *d, const em_op *op, const em__fp *fp, const char *p, size_t n,
                             em_errbuf *err);
/* The standard failure: "<kind> <id>: corrupt snapshot: <what>". */
EM__SNAP_H int em__snap_corrupt(const em_op *op, em_errbuf *err, const char *what);

/* A block of n raw bytes from d (NULL, d marked bad, when it does not fit). */
EM__SNAP_H const void *em__dec_take(em_dec *d, size_t n);
/* Appends n raw bytes. */
EM__SNAP_H int em__enc_raw(em_buf *b, const void *p, size_t n);

/* ---- rows ---- */

/* Writes rows 0..b->nrows-1 of dense batch b (no selection) as one chunk:
 * u32 nrows, then each column. 0 or EM_ENOMEM/EM_ELIMIT. */
EM__SNAP_H int em__snap_put_rows(em_buf *out, const em_batch *b);
/* The end of a row sequence (a chunk of 0 rows). */
EM__SNAP_H int em__snap_end_rows(em_buf *out);
/* Reads one chunk into a dense batch of schema s in arena a: *out = NULL
 * at the end marker. Returns 0, EM_ECORRUPT (d marked bad) or EM_ENOMEM. */
EM__SNAP_H int em__snap_get_rows(em_dec *d, const em_schema *s, em_arena *a, em_batch **out);

#endif
