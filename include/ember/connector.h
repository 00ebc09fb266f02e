/*
 * ember/connector.h - how sources and sinks plug into the engine.
 *
 * A connector type is a const struct of function pointers: an ABI version
 * first (so the engine can refuse a connector built for another layout), a
 * name, a declarative option table, and lifecycle callbacks. The same option
 * table drives validation ("unknown option 'pth' for connector 'file'; did
 * you mean 'path'?"), defaults, --help output and the docs.
 *
 * Lifecycle, all on the engine's scheduler thread unless noted:
 *   init     -> validate options, allocate; no I/O that can block for long
 *   start    -> open files, connect
 *   poll     -> (source) deliver up to em_source_out_room() records, never block
 *   write    -> (sink) one output batch of the current micro-batch; may run on
 *               a sink thread, one call at a time per sink instance
 *   commit   -> the micro-batch is complete: a sink makes its writes durable
 *               and visible atomically; a source may acknowledge upstream
 *   pause / resume -> back pressure (stop reading from the network)
 *   stop     -> flush and close; destroy -> free everything
 * Every callback returns 0 or a negative EM_E* code; details go to the
 * connector's log via em_conn_log.
 *
 * A sink's failed write or commit is retried by the engine with backoff:
 * it calls write again from the micro-batch's first output batch, then
 * commit. So a sink discards whatever it buffered (or rolls back what it
 * began) for a batch whose write or commit failed. EM_EINVAL, EM_ETYPE,
 * EM_EUNSUPPORTED and EM_ENOMEM are not retried: they fail the job.
 */
#ifndef EMBER_CONNECTOR_H
#define EMBER_CONNECTOR_H

#include "ember/types.h"

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EM_API
#define EM_API __attribute__((visibility("default")))
#endif

#define EM_CONNECTOR_ABI 1

/* EM_CONNECTOR_SINK_INLINE (with EM_CONNECTOR_SINK): write and commit never
 * block and touch no server or file (a counter, the UI's view pages), so the
 * engine calls them on its own thread with the micro-batch's batches. Other
 * sinks get a copy of their output in their own queue and thread, so a slow
 * or dead sink holds up no other. */
enum { EM_CONNECTOR_SOURCE = 1u, EM_CONNECTOR_SINK = 2u, EM_CONNECTOR_SINK_INLINE = 4u };

typedef enum em_opt_type {
    EM_OPT_STRING = 0,
    EM_OPT_INT,      /* int64; min/max bound it */
    EM_OPT_DOUBLE,   /* min/max bound it */
    EM_OPT_BOOL,     /* true/false/1/0/yes/no/on/off */
    EM_OPT_DURATION, /* "250ms", "1s", "2 min"; min/max in seconds */
    EM_OPT_ENUM,     /* one of the '|'-separated words in choices */
} em_opt_type;

#define EM_OPT_REQUIRED 1u /* must be given */
#define EM_OPT_SECRET 2u   /* never printed back (REST, logs, explain) */

typedef struct em_option_def {
    const char *name;
    em_opt_type type;
    const char *def;     /* default as text, or NULL */
    double min, max;     /* bounds for numbers; both 0 = unbounded */
    const char *choices; /* EM_OPT_ENUM: "json|csv" */
    unsigned flags;
    const char *help;
} em_option_def;

/* The validated options of one connector instance. Accessors return the
 * given value, else the default; strings are borrowed from the engine and
 * live as long as the instance. Asking for an option not in the table
 * returns NULL / 0. */
typedef struct em_options em_options;
EM_API const char *em_opt_str(const em_options *o, const char *name);
EM_API int64_t em_opt_int(const em_options *o, const char *name);
EM_API double em_opt_double(const em_options *o, const char *name);
EM_API int em_opt_bool(const em_options *o, const char *name);
EM_API int64_t em_opt_duration_us(const em_options *o, const char *name);
/* 1 if the user gave the option explicitly. */
EM_API int em_opt_given(const em_options *o, const char *name);

/* Per-instance context handed to init; valid until destroy returns. */
typedef struct em_conn_ctx em_conn_ctx;
EM_API const char *em_conn_name(const em_conn_ctx *cx);       /* source/sink name */
EM_API const em_schema *em_conn_schema(const em_conn_ctx *cx);
EM_API const em_options *em_conn_options(const em_conn_ctx *cx);
/* Logs with the component "source NAME" / "sink NAME". level: 0 error .. 3 debug. */
EM_API void em_conn_log(em_conn_ctx *cx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A sink's own directory inside the job's checkpoint directory (created
 * before start), for what makes its output exactly-once (a manifest, a
 * position); NULL when the job has no checkpoint. Borrowed, valid until
 * destroy. */
EM_API const char *em_conn_state_dir(const em_conn_ctx *cx);
/* A source says during init whether it ends (a file without follow, a
 * generator with a count): a bounded table is read completely before any
 * stream row is joined against it. Sources are unbounded by default. */
EM_API void em_conn_bounded(em_conn_ctx *cx, int bounded);

/* ---- push sources ----
 *
 * A source that is sent data (HTTP ingest, an MQTT subscription, a TCP
 * listener) must not acknowledge what could still be lost. It appends what
 * arrives to its push log — a write-ahead log in the checkpoint directory
 * (sources/<name>/wal), or in a private temporary directory when the job
 * has none — acknowledges once em_push_append returns, and in poll hands
 * the log's records to the engine with em_push_poll. The log's position is
 * the source's position, so recovery replays exactly what was read.
 * Records are lines in the source's format; an appended chunk may hold
 * many lines. */
typedef struct em_push em_push;
/* Opens the push log of source cx (from init or start). quota_bytes: how
 * much unconsumed data it may hold before appends are refused (0: 1 GiB).
 * Returns 0 or a negative code (the reason is logged). */
EM_API int em_push_open(em_conn_ctx *cx, uint64_t quota_bytes, em_push **out);
/* Closes it (a temporary log is deleted). NULL-safe. */
EM_API void em_push_close(em_push *p);
/* Appends chunks (any thread); returns once they are durable: 0,
 * EM_EAGAIN (over the quota: refuse the request, e.g. 503 + Retry-After),
 * EM_EIO (disk failure) or EM_ESTOPPED. */
EM_API int em_push_append(em_push *p, const char *const *chunks, const size_t *lens, size_t n);
/* Like em_push_append, but returns once the chunks are written to the log
 * file, before they are synced: a crash of the process loses nothing, a
 * power loss may lose the last few milliseconds (the sync follows at once,
 * by group commit). poll sees them only once synced. For sources whose
 * acknowledgement cannot wait for a sync per message (MQTT). */
EM_API int em_push_write(em_push *p, const char *const *chunks, const size_t *lens, size_t n);
/* Unconsumed bytes in the log. Thread-safe. */
EM_API uint64_t em_push_backlog(em_push *p);
/* For the connector's callbacks: poll delivers durable lines up to the
 * engine's room; position/seek/commit implement the vtable entries of the
 * same names (commit releases what no recovery needs any more). */
struct em_source_out;
EM_API int em_push_poll(em_push *p, struct em_source_out *out);
EM_API int em_push_position(em_push *p, char *buf, size_t cap);
EM_API int em_push_seek(em_push *p, const char *pos, size_t n);
EM_API int em_push_commit(em_push *p, int64_t batch_id);

/* ---- HTTP ingest ----
 *
 * A source may serve POST requests on the job's web server (the `http`
 * setting's address): em_conn_route, from init, claims a path; the server
 * hands each request's body to fn on its own threads, concurrently, and
 * answers with the status fn sets. A source acknowledges (2xx) only what
 * its push log holds durably. */
typedef struct em_ingest_reply {
    int status;           /* HTTP status to answer */
    unsigned retry_after; /* seconds, sent with 503 */
    uint64_t records;     /* records accepted */
    char msg[512];        /* the reason for a non-2xx status */
} em_ingest_reply;
typedef void (*em_ingest_fn)(void *self, const char *authorization, const char *content_type,
                             const char *body, size_t n, em_ingest_reply *r);
/* Claims `path` ("/ingest/readings"); bodies above max_body bytes are
 * refused with 413 before they are read. Returns 0, EM_EEXISTS (another
 * source has it) or EM_ENOMEM. */
EM_API int em_conn_route(em_conn_ctx *cx, const char *path, uint64_t max_body, em_ingest_fn fn,
                         void *self);

/* Sinks: the output columns an upsert is keyed on (0-based indexes into
 * em_conn_schema), set when the sink is fed by a non-windowed aggregate
 * (its GROUP BY columns) or created with em_sink_keyed. Returns the array
 * (borrowed, valid until destroy) and its length in *n; NULL and *n = 0
 * for append-only output. */
EM_API const uint32_t *em_conn_key_columns(const em_conn_ctx *cx, uint32_t *n);
/* The job's checkpoint directory, or NULL when the job runs without one.
 * Batch ids continue across runs only with a checkpoint: a sink that
 * records committed batch ids treats a run without one as a new lineage. */
EM_API const char *em_conn_checkpoint_dir(const em_conn_ctx *cx);
/* 1 once a stop was requested: a sink retrying an outage gives up. */
EM_API int em_conn_stopping(const em_conn_ctx *cx);

/* Where a source delivers records during poll. */
typedef struct em_source_out em_source_out;
/* The id of the micro-batch this poll fills. */
EM_API int64_t em_source_out_batch(const em_source_out *o);
/* How many more records the engine wants in this poll (rate limits and
 * batch size applied). 0 means: return now. */
EM_API uint32_t em_source_out_room(const em_source_out *o);
/* One record in the source's format (a JSON line, a CSV line). The engine
 * parses it; a bad record is counted and reported with `where` (e.g.
 * "readings.jsonl:42") and never fails the poll. */
EM_API int em_source_out_record(em_source_out *o, const char *p, size_t n, const char *where);
/* Many records at once, one per line: the complete lines ('\n'-terminated,
 * a '\r' before it ignored) at the start of p[0..n), parsed while the
 * engine has room (as em_source_out_record would, in one call; the NDJSON
 * reader then finds most line ends while parsing). It stops at a line
 * without '\n' and before a line that is a bad record or longer than
 * max_line bytes: *stopped is then 1 and that line is the caller's to pass
 * to em_source_out_record (or report), so it is reported with its own
 * `where`. Returns the number of lines consumed (blank ones included);
 * *used gets their bytes, line ends included. */
EM_API uint32_t em_source_out_lines(em_source_out *o, const char *p, size_t n, size_t max_line,
                                    size_t *used, int *stopped);
/* Typed rows for sources that produce values directly (the generator):
 * the builder of the current block, valid until poll returns. */
struct em_batch_builder;
EM_API struct em_batch_builder *em_source_out_builder(em_source_out *o);
/* Tells the engine how many rows were added through the builder. */
EM_API void em_source_out_added(em_source_out *o, uint32_t n);

typedef struct em_connector {
    int abi;                        /* EM_CONNECTOR_ABI */
    const char *name;               /* "file", "generator", ... */
    unsigned kinds;                 /* EM_CONNECTOR_SOURCE | EM_CONNECTOR_SINK */
    const em_option_def *options;   /* terminated by an entry with name NULL */
    const char *help;               /* one line */

    int (*init)(void **self, em_conn_ctx *cx, unsigned kind);
    int (*start)(void *self);
    /* Source: 0 = delivered what it could (maybe nothing); EM_EOF = bounded
     * input fully delivered (poll is not called again). */
    int (*poll)(void *self, em_source_out *out);
    /* Sink: one output batch of micro-batch batch_id (borrowed for the call). */
    int (*write)(void *self, const em_batch *b, int64_t batch_id);
    /* Sink: batch_id's output is complete. Source: nothing up to the end
     * of batch_id will be asked for again (no recovery can go back that
     * far): acknowledge upstream, release logs. */
    int (*commit)(void *self, int64_t batch_id);
    int (*pause)(void *self);
    int (*resume)(void *self);
    /* Source position for the offsets log: writes at most cap bytes to buf
     * and returns the length, or a negative code. Restored with seek. */
    int (*position)(void *self, char *buf, size_t cap);
    int (*seek)(void *self, const char *pos, size_t n);
    int (*stop)(void *self);
    void (*destroy)(void *self);
} em_connector;

#ifdef __cplusplus
}
#endif
#endif
