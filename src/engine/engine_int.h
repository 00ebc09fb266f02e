/*
 * engine/engine_int.h - the engine's private structures, shared by the files
 * of src/engine (engine.c, options.c, graph.c, sched.c). Nothing outside
 * src/engine includes this; other layers use ember/ember.h.
 */
#ifndef EMBER_ENGINE_INT_H
#define EMBER_ENGINE_INT_H

#include "batch/batch.h"
#include "core/errbuf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/pool.h"
#include "ember/ember.h"
#include "expr/expr.h"
#include "formats/format.h"
#include "ops/op.h"
#include "engine/rate.h"

#include <pthread.h>
#include <signal.h>

struct em_options {
    const em_option_def *defs; /* the connector's table */
    uint32_t n;                /* entries in defs */
    char **values;             /* per def: the given value (owned) or NULL */
};

/* Parses key/value pairs against defs: unknown keys (with a suggestion),
 * missing required ones, bad numbers/durations/enums fail with a message
 * naming the option and `what` (e.g. "source readings"). */
int em__options_parse(em_options *o, const em_option_def *defs, const char *const *kv,
                      const char *what, em_errbuf *err);
void em__options_release(em_options *o);

struct em_conn_ctx {
    em_engine *engine;
    char *name;
    char component[96]; /* "source readings" */
    const em_schema *schema;
    em_options opts;
    em_logger *log;
    char *state_dir;   /* sinks with a checkpoint: their own directory, else NULL */
    bool bounded;      /* a source that ends (em_conn_bounded) */
    uint32_t *keys;            /* sinks: upsert key column indexes (owned), or NULL */
    uint32_t nkeys;
};

typedef struct em_source_stats {
    uint64_t records;   /* rows delivered into batches */
    uint64_t bytes;     /* raw bytes of records parsed */
    uint64_t bad;       /* bad records */
    uint64_t late;      /* rows at or below the watermark on arrival */
} em_source_stats;

typedef struct em_source_node {
    em_engine *engine;
    char *name;
    const em_connector *conn;
    void *self;                /* connector instance */
    em_conn_ctx cx;
    em_schema *schema;         /* owned */
    em_reader *reader;         /* parses em_source_out_record() input */
    bool is_table;
    bool started, eof;
    int time_col;              /* -1: no event time */
    int64_t wm_delay_us;
    int64_t max_ts;            /* highest event time seen */
    int64_t last_data_us;      /* wall time rows last arrived (idle detection) */
    em_op *op;                 /* forwards the source's rows */
    em_op *late_op;            /* forwards late rows, or NULL */
    em_source_stats stats;
    /* replay of a logged micro-batch (durable.c) */
    bool replaying;
    bool replay_eof;           /* the logged batch ended the source */
    uint64_t replay_take;      /* records the logged batch took */
    uint64_t taken;            /* records the current micro-batch took */
    em_rate rate;              /* back pressure: the PID rate estimate */
    double rate_tokens;        /* max_rate: records it may still take ... */
    int64_t rate_tokens_us;    /* ... as of this wall time (0: not started) */
    bool paused;               /* intake paused by memory_limit */
    /* the micro-batch being filled */
    em_batch **blocks;
    uint32_t nblocks, cap_blocks;
    em_batch_builder bb;
    bool bb_open;
    uint32_t room;             /* records still wanted in this poll */
} em_source_node;

typedef struct em_sink_stats {
    uint64_t rows;
    uint64_t batches;
    uint64_t errors;
    int64_t last_commit_us;    /* duration of the last write+commit */
} em_sink_stats;

typedef struct em_sink_node {
    em_engine *engine;
    char *name;
    const em_connector *conn;
    void *self;
    em_conn_ctx cx;
    em_op *op;                 /* collects the micro-batch's output */
    const em_batch **pending;  /* output batches of the current micro-batch */
    uint32_t npending, cap_pending;
    /* the sink's thread (sinkq.c) */
    struct em_sinkq *q;        /* the sink's queue of micro-batch outputs */
    const em_batch **out;      /* the output batches being written */
    uint32_t nout;
    em_sink_stats stats;       /* updated by the sink's thread only */
    bool failing;              /* the last attempt failed (atomic: read by the scheduler) */
    int rc;                    /* result of the last write/commit */
} em_sink_node;

struct em_stream {
    em_engine *engine;
    em_op *op;                 /* produces this stream */
    em_source_node *source;         /* set for source and table streams */
    int key_col;               /* tables: primary key column */
};

typedef em_batch_info em_batch_stat;

#define EM_STATS_KEEP 1024

typedef struct em_settings {
    int64_t batch_interval_us;
    int64_t idle_timeout_us;
    int64_t checkpoint_interval_us;
    int64_t shutdown_timeout_us;
    int64_t state_ttl_us;          /* 0 = keep forever */
    double max_rate;               /* records/s per source, 0 = unlimited */
    double initial_rate;
    int64_t memory_limit;          /* bytes, 0 = none */
    int concurrent_outputs;
    int64_t sink_queue_limit;      /* bytes queued per sink before the job waits */
    int workers;
    uint32_t max_batch_records;    /* per source per micro-batch */
    char *checkpoint_dir;
    char *dead_letter;
    char *http;
    char *http_token;
} em_settings;

struct em_engine {
    em_settings set;
    em_logger log;
    char errmsg[1024];
    const em_connector **connectors;
    uint32_t nconnectors;
    em_func_registry *funcs;    /* user scalar functions; graph builders bind with it */
    em_arena plan;              /* expressions, names: live as long as the engine */
    em_arena batch_arena;       /* current micro-batch */
    em_source_node **sources;
    uint32_t nsources;
    em_sink_node **sinks;
    uint32_t nsinks;
    em_op **ops;                /* every operator, in topological (creation) order */
    uint32_t nops;
    em_stream **streams;
    uint32_t nstreams;
    em_pool *pool;              /* workers for partitioned operators, or NULL */
    int64_t watermark;          /* job watermark */
    em_pace pace;               /* what a micro-batch should take (rate.h) */
    int64_t batch_id;
    em_batch_stat stats[EM_STATS_KEEP];
    uint64_t nstats;
    volatile sig_atomic_t stop_requests;
    bool running;
    /* durability (durable.c): NULL without checkpoint_dir */
    struct em_ckpt *ckpt;
    const struct em_ckpt_rec *replay; /* logged batches after the snapshot */
    size_t nreplay, replay_next;
    int64_t snapshot_batch;     /* batch id of the newest snapshot */
    int64_t snapshot_us;        /* wall time it was written */
    em_buf snap_buf;            /* a snapshot waiting for the sinks to commit snap_id */
    int64_t snap_id;            /* 0: none waiting */
    int64_t commit_logged;      /* the newest batch id in the commit log */
    int64_t acked;              /* without a checkpoint: batches sources acknowledged */
    int sink_slots;             /* concurrent_outputs not in use (sinkq.c) */
    bool sinks_abandoned;       /* the run ends: sink threads stop retrying */
    bool stalled;               /* this micro-batch waited for a failing sink (sinkq.c) */
    char **reset_ops;           /* operator ids whose saved state is discarded */
    char *scope;                /* em_engine_set_scope: prefix of new operator ids */
    struct em_route *routes;    /* HTTP ingest paths (em_conn_route): set while the
                                 * job is built, read-only once it runs */
    uint32_t nroutes;
    uint32_t nreset;
    /* bad records of the current micro-batch, for em_bad_records() */
    em_op *bad_op;              /* NULL until someone reads bad records */
    em_batch_builder bad_bb;
    bool bad_open;
    struct em_stats_pub *pub;   /* statistics published to other threads (stats.c) */
};

/* ---- durability (durable.c) ---- */

/* Opens the checkpoint directory (if checkpoint_dir is set) and gives every
 * sink its state directory; before the connectors start. */
int em__durable_open(em_engine *e);
/* After the connectors started: loads the newest good snapshot into the
 * operators and sources (refusing incompatible state), seeks the sources
 * and queues the logged batches after it for replay. */
int em__durable_recover(em_engine *e);
/* The logged batch the next micro-batch must replay, or NULL. Sets each
 * source's replay budget; *logical_time and *wm to what it ran with. */
int em__durable_replay_next(em_engine *e, int64_t batch_id, int64_t *logical_time, int64_t *wm,
                            bool *replaying);
/* Logs micro-batch batch_id (positions, logical time, watermark) durably;
 * before its output is written. No-op while replaying or without a
 * checkpoint. */
int em__durable_log_batch(em_engine *e, int64_t batch_id, int64_t logical_time, int64_t wm);
/* Every sink committed the batches up to `upto`, and batch_id is the last
 * one processed: the commit log records upto, a snapshot waiting for upto
 * is written, and when checkpoint_interval has passed (or force is set) the
 * state after batch_id is snapshotted (written at once if upto reached it,
 * else held until a later call says the sinks did). */
int em__durable_commit(em_engine *e, int64_t upto, int64_t batch_id, bool force_snapshot);
/* A graceful stop: snapshots the state after the last batch if the last
 * snapshot is older. */
int em__durable_finish(em_engine *e);
/* Tells every source that nothing up to the end of batch_id will be read
 * again (connector commit): acknowledge upstream, release logs. */
void em__sources_commit(em_engine *e, int64_t batch_id);
/* Closes the checkpoint directory. */
void em__durable_close(em_engine *e);

/* ---- sink queues (sinkq.c) ---- */

/* Starts a thread and a queue per sink; after the sinks started and
 * recovery set e->batch_id. */
int em__sinkq_start(em_engine *e);
/* Queues each sink's output of micro-batch batch_id (copied out of the
 * micro-batch arena; pending is emptied). Waits while a sink's queue is at
 * sink_queue_limit. Fails the job if a sink gave up. */
int em__sinkq_put(em_engine *e, int64_t batch_id);
/* *upto = the highest batch id every sink has committed. Fails the job if a
 * sink gave up. */
int em__sinkq_committed(em_engine *e, int64_t *upto);
/* Waits until every sink has committed batch_id (or gave up: fails). */
int em__sinkq_drain(em_engine *e, int64_t batch_id);
/* The longest last write + commit of a sink that is not failing: a slow
 * sink's pace for the rate estimator, which then matches intake to it
 * instead of letting its queue grow (a failing sink's queue grows instead,
 * up to sink_queue_limit, while the others go on). */
int64_t em__sinkq_slowest_us(em_engine *e);
/* Stops the threads; what is still queued is dropped (it was not
 * committed, so recovery replays it). */
void em__sinkq_stop(em_engine *e);
/* Writes and commits s->out for batch_id, retrying while the sink's server
 * is down (sched.c). Sink thread. */
int em__sink_write(em_sink_node *s, int64_t batch_id);

/* A new operator's id (graph.c): "<scope>/<kind>[.n]" inside a view's or
 * sink's scope, else "<kind>#<n>". */
void em__op_id(em_engine *e, const char *kind, char *buf, size_t n);

/* Frees the HTTP ingest routes (push.c). */
void em__routes_release(em_engine *e);

/* Records a bad record for the dead-letter stream (if one is read). */
int em__engine_bad_record(em_engine *e, em_arena *a, const char *source, const char *where,
                          const char *reason, const char *p, size_t n);

/* Sets e->errmsg and returns code. */
int em__engine_fail(em_engine *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Finds a registered connector by name (case-insensitive), or NULL. */
const em_connector *em__engine_connector(const em_engine *e, const char *name);
/* Adds an operator to the engine's list (takes ownership). */
int em__engine_add_op(em_engine *e, em_op *op);
/* The worker pool (created on first use with `workers` threads), or NULL
 * on out-of-memory. */
em_pool *em__engine_pool(em_engine *e);
/* Wraps an operator in a new stream handle owned by the engine. */
em_stream *em__engine_stream(em_engine *e, em_op *op);
/* Allocates an empty engine (no connectors registered). */
int em__engine_new(em_engine **out);
int em__settings_defaults(em_engine *e);
void em__settings_release(em_settings *s);

/* Operators the engine itself places: a source's output (and its LATE
 * stream) forwards what the scheduler pushes; a sink's collector keeps the
 * micro-batch's output batches for the sink's write. */
int em__forward_op_create(em_op **out, const char *id, const em_schema *schema);
int em__sink_op_create(em_op **out, em_sink_node *sink, const em_schema *schema);

/* Statistics for other threads (stats.c, ember/stats.h): create/destroy
 * with the engine; the scheduler calls started once the job runs, batch
 * after every micro-batch (rc: its result), ended when the run returns.
 * The sink functions are called by the sink's own thread. */
typedef struct em_stats_pub em_stats_pub;
int em__stats_create(em_engine *e);
void em__stats_destroy(em_engine *e);
void em__stats_started(em_engine *e);
void em__stats_batch(em_engine *e, int rc);
void em__stats_ended(em_engine *e, int rc);
/* A sink's write or commit failed and will be retried: the outage shows
 * in the statistics at once, not only after the micro-batch. */
void em__stats_sink_failing(em_sink_node *s, int rc);
/* A sink wrote and committed s->out (rc 0) or gave up (rc): its counters,
 * commit latency, status and latest rows. */
void em__stats_sink_done(em_sink_node *s, int rc);
/* A sink's queue now holds queued micro-batches in bytes. Any thread. */
void em__stats_sink_queue(em_sink_node *s, uint32_t queued, uint64_t bytes);
/* Setting i's name and value as text (NULL past the last); *secret is set
 * for values that must be redacted. */
const char *em__settings_value(const em_engine *e, size_t i, char *buf, size_t cap,
                               bool *secret);

/* Connector-context plumbing used by sources and sinks. */
int em__conn_ctx_init(em_conn_ctx *cx, em_engine *e, const char *kind, const char *name,
                      const em_schema *schema, const em_connector *c, const char *const *opts,
                      em_errbuf *err);
void em__conn_ctx_release(em_conn_ctx *cx);

#endif
