/*
 * ops/op.h - the operator contract.
 *
 * An operator is a node of the job graph. Batches are pushed into it on an
 * input port; it pushes its results to its outputs with em_op_emit(). The
 * scheduler drives every micro-batch in three phases, each in topological
 * order:
 *
 *   1. push      - the micro-batch's rows, source by source (sources that feed
 *                  tables first, so a stream row sees the table's updates of
 *                  the same micro-batch);
 *   2. advance   - the job watermark moved forward to wm (never backward):
 *                  close and emit event-time windows with window_end <= wm,
 *                  fire event-time timers, drop state the bound no longer
 *                  needs. At the end of bounded input wm is EM_TS_MAX;
 *   3. end_batch - the micro-batch is complete: running aggregates emit the
 *                  groups that changed; processing-time windows and timers
 *                  use cx->logical_time.
 *
 * Rows arriving in phase 1 whose window has already closed (window_end <=
 * cx->watermark, the watermark before this micro-batch) are late: the
 * operator drops them and counts them in stats.late_dropped.
 *
 * An emitted batch (and everything it points to) must live in cx->arena or
 * longer and must not change after em_op_emit(): consumers may keep a
 * pointer to it until the micro-batch ends (sinks do), and must never modify
 * it (a filter makes a new batch struct with a narrower selection).
 * Operator state is allocated with em_malloc (counted) and freed by destroy.
 *
 * Operators embed struct em_op as their first member and allocate themselves
 * (em_calloc); em_op_init fills the common part.
 */
#ifndef EMBER_OPS_OP_H
#define EMBER_OPS_OP_H

#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/log.h"
#include "core/str.h"

typedef struct em_op em_op;

/* Per-micro-batch context, owned by the scheduler. */
typedef struct em_op_ctx {
    em_arena *arena;      /* micro-batch lifetime memory */
    int64_t batch_id;     /* micro-batch id, from 1 */
    int64_t logical_time; /* processing time of this micro-batch, µs; now() */
    int64_t watermark;    /* job watermark in force before this micro-batch */
    em_logger *log;
    em_errbuf *err;       /* where a failing callback explains itself */
    int64_t state_ttl_us; /* state_ttl: running aggregates evict groups idle
                           * this long (processing time); 0 = never */
} em_op_ctx;

typedef struct em_op_stats {
    uint64_t rows_in;
    uint64_t rows_out;
    uint64_t batches_out;
    uint64_t late_dropped; /* rows for windows/bounds already closed */
    uint64_t state_keys;   /* live keys (or key x window) in state */
    uint64_t state_bytes;  /* bytes of state memory */
    uint64_t evicted;      /* keys removed by state_ttl */
} em_op_stats;

typedef struct em_op_vtable {
    const char *kind;        /* "filter", "window_aggregate", ... */
    uint32_t state_version;  /* layout version of snapshot(); 0 = stateless */
    /* Rows for input port `port`. Required. */
    int (*push)(em_op *op, int port, const em_batch *in, em_op_ctx *cx);
    /* Event time advanced to wm (> previous wm). Optional. */
    int (*advance)(em_op *op, int64_t wm, em_op_ctx *cx);
    /* The micro-batch is complete. Optional. */
    int (*end_batch)(em_op *op, em_op_ctx *cx);
    /* State snapshots (docs/internals.md, "State snapshots"); both present
     * iff state_version > 0. snapshot appends the complete state to out;
     * call it between micro-batches (after end_batch). Returns 0 or
     * EM_ENOMEM/EM_ELIMIT (out's cap), EM_EUNSUPPORTED for a partitioned
     * operator whose inner kind has none. restore loads [p, p+n) (borrowed
     * for the call) into a freshly created operator of the same
     * configuration and recomputes stats.state_keys/state_bytes. Returns
     * 0; EM_EINVAL when the snapshot is incompatible (another state_version
     * or configuration: the message says what differs); EM_ECORRUPT when the
     * bytes do not decode; EM_ENOMEM. Messages go to err and start with
     * "<kind> <id>:". After a failed restore the operator holds part of the
     * state: destroy it. */
    int (*snapshot)(em_op *op, em_buf *out);
    int (*restore)(em_op *op, const char *p, size_t n, em_errbuf *err);
    /* Writes an "explain" line describing keys, window, state. Optional. */
    void (*describe)(const em_op *op, em_buf *out);
    /* Frees the operator itself and all its state. Required. */
    void (*destroy)(em_op *op);
} em_op_vtable;

typedef struct em_op_edge {
    em_op *to;
    int port;
} em_op_edge;

struct em_op {
    const em_op_vtable *vt;
    char *id;                /* stable id; owned (em_malloc) */
    em_schema *out_schema;   /* owned */
    em_op_edge *out;         /* downstream edges; owned */
    uint32_t nout;
    int ninputs;             /* number of input ports */
    em_op_stats stats;
};

/* Fills the common part. id is copied; out_schema ownership passes to op.
 * Returns 0 or EM_ENOMEM (then out_schema is still the caller's). */
int em_op_init(em_op *op, const em_op_vtable *vt, const char *id, em_schema *out_schema,
               int ninputs);
/* Frees the common part (not op itself). For use by destroy callbacks. */
void em_op_release(em_op *op);
/* Adds an edge op -> to:port. Returns 0 or EM_ENOMEM. */
int em_op_connect(em_op *op, em_op *to, int port);
/* Pushes b to every downstream edge; counts rows_out. Returns the first
 * error of a downstream push. Empty batches are not forwarded. */
int em_op_emit(em_op *op, const em_batch *b, em_op_ctx *cx);
/* Destroys an operator through its vtable (NULL-safe). */
void em_op_destroy(em_op *op);

#endif
