/*
 * ember/ember.h - the Ember C API.
 *
 * An engine runs one job: sources, the streams derived from them, and sinks.
 * Build the graph with the functions below, then em_engine_run(). The SQL
 * front end builds exactly the same graph through this API.
 *
 * Ownership: the engine owns everything it hands out (streams, expressions,
 * schemas passed in are copied). Handles stay valid until
 * em_engine_destroy(). Functions that return a handle return NULL on error
 * and leave the reason in em_engine_errmsg(); int functions return 0 or a
 * negative EM_E* code (ember/error.h).
 *
 * Threads: build and run from one thread. em_engine_request_stop() may be
 * called from any thread or a signal handler.
 */
#ifndef EMBER_EMBER_H
#define EMBER_EMBER_H

#include "ember/connector.h"
#include "ember/error.h"
#include "ember/types.h"

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EM_VERSION "0.1.0"

typedef struct em_engine em_engine;
typedef struct em_stream em_stream;
typedef struct em_expr em_expr;

/* ---- engine ---- */

/* Creates an engine with default settings. Returns 0 or EM_ENOMEM. */
EM_API int em_engine_create(em_engine **out);
/* Stops (if running) and frees the engine and everything it owns. NULL-safe. */
EM_API void em_engine_destroy(em_engine *e);
/* The message of the last failure on this engine ("" if none); valid until
 * the next call on the engine. */
EM_API const char *em_engine_errmsg(const em_engine *e);

/* Sets an engine setting from text, as SQL's SET does ("batch_interval",
 * "1s"). Unknown names and bad values fail with EM_EINVAL and a message
 * suggesting the closest known name. */
EM_API int em_engine_set(em_engine *e, const char *name, const char *value);

/* Registers a connector type. The struct must stay valid for the engine's
 * lifetime (it is normally static const). EM_EEXISTS if the name is taken,
 * EM_EUNSUPPORTED if abi != EM_CONNECTOR_ABI. */
EM_API int em_engine_register_connector(em_engine *e, const em_connector *c);

/* A user scalar function: computes out (len = in->nrows) over the selected
 * rows of in (em_batch_count / em_batch_row); args are the evaluated
 * argument columns, of the registered types, borrowed for the call. out
 * arrives with its type, a zeroed value array of len rows and a validity
 * bitmap with every row valid: write each selected row's value, or clear
 * its bit to make it NULL. Do not replace out's pointers or allocate.
 * Rows where an argument is NULL are NULL whatever fn writes (the function
 * is strict). Return 0 or a negative EM_E* code, which fails the
 * micro-batch. */
typedef int (*em_scalar_fn)(void *ud, const em_column *args, uint32_t nargs, const em_batch *in,
                            em_column *out);
/* Registers fn under name (case-insensitive) for the given argument types
 * (nargs of them, copied) and result type; expressions built after this
 * call may use it. ud is passed to every call and never freed. A function
 * may overload a name with other argument types; implicit casts (BIGINT
 * to DOUBLE, NULL to any) apply as for built-ins, which win over user
 * functions. Returns 0, EM_EEXISTS (a built-in or user function with that
 * name and argument types exists), EM_EUNSUPPORTED (TEXT or NULL result),
 * EM_EINVAL (no name or fn, bad type), EM_ESTATE (engine running) or
 * EM_ENOMEM; the message is in em_engine_errmsg. */
EM_API int em_engine_register_function(em_engine *e, const char *name, uint32_t nargs,
                                       const em_type *arg_types, em_type result,
                                       em_scalar_fn fn, void *ud);

/* Runs the job until every source is exhausted (bounded input: all windows
 * close and every sink is flushed) or a stop is requested. Returns 0 on a
 * clean finish, else an EM_E* code with the message in em_engine_errmsg. */
EM_API int em_engine_run(em_engine *e);
/* Asks a running engine to stop gracefully: stop intake, finish the
 * in-flight micro-batch, commit. A second request stops at once.
 * Async-signal-safe. */
EM_API void em_engine_request_stop(em_engine *e);

/* ---- HTTP ingest (for the web server) ---- */

/* Serves a POST of body[0..n) to path with the source that claimed it
 * (em_conn_route): fills r with the status to answer. Returns 0, or
 * EM_ENOTFOUND when no source serves path. Safe from any thread while the
 * engine exists. */
EM_API int em_engine_ingest(em_engine *e, const char *path, const char *authorization,
                            const char *content_type, const char *body, size_t n,
                            em_ingest_reply *r);
/* The largest body the source at path takes, or 0 when no source serves
 * path. Safe from any thread. */
EM_API uint64_t em_engine_ingest_limit(em_engine *e, const char *path);

/* ---- durable state (checkpoint_dir) ---- */

/* Operators created after this call get ids "<scope>/<kind>" (then
 * "<scope>/<kind>.2", ... for more of one kind), so a checkpoint's state
 * finds its operator again however the rest of the job changes; the SQL
 * front end scopes each view and sink by its name. NULL goes back to
 * numbered ids ("<kind>#<n>"). scope is copied. Returns 0 or EM_ENOMEM. */
EM_API int em_engine_set_scope(em_engine *e, const char *scope);

/* Discards the saved state of operator op_id (an id `ember explain`
 * prints) when the job starts from its checkpoint, instead of refusing a
 * job whose operator cannot use it. Call before em_engine_run. Returns 0
 * or EM_ENOMEM. */
EM_API int em_engine_reset_state(em_engine *e, const char *op_id);
/* Reports, for the newest snapshot in checkpoint directory dir, what each
 * stateful operator of this job would do with it — kept, new (no saved
 * state), reset, incompatible (and why) — and which saved states no
 * operator takes (dropped), one line each on out. Loads the state into the
 * engine's operators to test it: use an engine built for the check, not
 * one to run. Returns 0 when the job can start from the checkpoint,
 * EM_ESTATE when some operator is incompatible, or EM_EIO / EM_ECORRUPT;
 * the message is in em_engine_errmsg. */
EM_API int em_engine_check_state(em_engine *e, const char *dir, FILE *out);

/* Statistics of one completed micro-batch (Spark's streaming tab). */
typedef struct em_batch_info {
    int64_t id;
    int64_t logical_time_us;     /* the batch's processing time */
    uint64_t input_records;      /* records taken from all sources */
    int64_t scheduling_delay_us; /* how late the batch started */
    int64_t processing_us;       /* time to run the graph and the sinks */
    int64_t total_delay_us;      /* scheduling delay + processing */
    int status;                  /* 0, or the EM_E* code it failed with */
} em_batch_info;

/* Copies up to max of the most recent micro-batches' statistics into out,
 * newest first; returns how many were copied. The engine keeps the last
 * 1024. Call from the thread that runs the engine, or after it returned. */
EM_API size_t em_engine_batches(const em_engine *e, em_batch_info *out, size_t max);

/* ---- expressions (owned by the engine) ---- */

EM_API em_expr *em_col(em_engine *e, const char *name);
EM_API em_expr *em_int(em_engine *e, int64_t v);
EM_API em_expr *em_double(em_engine *e, double v);
EM_API em_expr *em_bool(em_engine *e, int v);
EM_API em_expr *em_text(em_engine *e, const char *s);
EM_API em_expr *em_null(em_engine *e);
EM_API em_expr *em_interval(em_engine *e, int64_t us);
EM_API em_expr *em_timestamp(em_engine *e, int64_t us);
/* A function or operator: "+", "=", "and", "abs", "coalesce", user functions. */
EM_API em_expr *em_call(em_engine *e, const char *fn, uint32_t nargs, em_expr *const *args);
/* CASE WHEN conds[i] THEN vals[i] ... ELSE else_ END; else_ may be NULL. */
EM_API em_expr *em_case(em_engine *e, uint32_t n, em_expr *const *conds, em_expr *const *vals,
                        em_expr *else_);
EM_API em_expr *em_cast(em_engine *e, em_expr *x, em_type to);

/* ---- sources and tables ---- */

/* Declares a source. schema is copied. options: NULL-terminated list of
 * key, value, key, value, ..., NULL. */
EM_API em_stream *em_source(em_engine *e, const char *name, const char *connector,
                            const em_schema *schema, const char *const *options);
/* Declares event time for a source: time_col (a TIMESTAMP column) with a
 * bounded out-of-orderness delay. Without it the source has no watermark. */
EM_API int em_source_watermark(em_stream *source, const char *time_col, int64_t delay_us);
/* The late rows of a source (event time at or below the watermark on arrival). */
EM_API em_stream *em_late(em_stream *source);

/* Declares a reference table kept current by its own source: the latest row
 * per key_col (upsert); a row whose other columns are all NULL deletes. */
EM_API em_stream *em_table(em_engine *e, const char *name, const char *connector,
                           const em_schema *schema, const char *key_col,
                           const char *const *options);

/* The job's bad records (lines that are not valid in their source's format,
 * values that do not convert), as rows (source TEXT, location TEXT,
 * reason TEXT, record TEXT): route them to a sink to keep them (a
 * dead-letter sink). They are counted and logged either way. */
EM_API em_stream *em_bad_records(em_engine *e);

/* ---- transformations ---- */

EM_API em_stream *em_filter(em_stream *in, em_expr *pred);
/* Computes n columns; names may be NULL for "colN". */
EM_API em_stream *em_select(em_stream *in, uint32_t n, em_expr *const *exprs,
                            const char *const *names);
EM_API em_stream *em_union(em_stream *a, em_stream *b);

typedef enum em_window_kind {
    EM_WINDOW_NONE = 0, /* running aggregate per key */
    EM_WINDOW_TUMBLE,
    EM_WINDOW_HOP,
    EM_WINDOW_SESSION,
} em_window_kind;

typedef struct em_window {
    em_window_kind kind;
    const char *time_col; /* event-time column; NULL = processing time */
    int64_t size_us;      /* TUMBLE, HOP */
    int64_t slide_us;     /* HOP */
    int64_t gap_us;       /* SESSION */
} em_window;

typedef struct em_agg_call {
    const char *fn;   /* "count", "sum", "avg", "min", "max", "stddev_samp", ... */
    em_expr *arg;     /* NULL for count(*) */
    int distinct;     /* count(DISTINCT x) */
    const char *name; /* output column name */
} em_agg_call;

/* Groups by keys (output named key_names) and window, computing aggs.
 * Output columns: keys, window_start, window_end (if windowed), aggs. */
EM_API em_stream *em_aggregate(em_stream *in, uint32_t nkeys, em_expr *const *keys,
                               const char *const *key_names, uint32_t naggs,
                               const em_agg_call *aggs, const em_window *win);

/* Each row once per TUMBLE or HOP window containing it, with window_start
 * and window_end appended (a window function without GROUP BY). */
EM_API em_stream *em_window_rows(em_stream *in, const em_window *win);

/* Stream-table join on stream_key = the table's key. left: keep unmatched
 * stream rows with NULL table columns. Output: the stream's columns, a key
 * column "__jk0" when stream_key is not a plain column, then the table's
 * columns; a table column whose name is taken is renamed "<table>.<name>". */
EM_API em_stream *em_join_table(em_stream *stream, em_stream *table, em_expr *stream_key,
                                int left);

/* Interval join of two streams: rows with lkey = rkey and
 * l.ltime + lower_us <= r.rtime <= l.ltime + upper_us. Each matching pair
 * is emitted once; left_outer also emits each left row that never matched,
 * with NULL right columns, once the watermark passes its time bound. Output
 * naming as em_join_table (right_name prefixes clashing right columns). */
EM_API em_stream *em_join_interval(em_stream *left, em_stream *right, em_expr *lkey,
                                   em_expr *rkey, const char *ltime, const char *rtime,
                                   int64_t lower_us, int64_t upper_us, int left_outer,
                                   const char *right_name);
/* Join of two window aggregates' results on matching windows: rows with
 * lkey = rkey and equal ltime, rtime (window_start, or window_end, columns
 * of windows of the same size). A window's rows leave its aggregate when
 * the watermark passes window_end, both sides in the same micro-batch, so
 * none counts as late (em_join_interval would drop rows whose window_start
 * is below the watermark). Otherwise as em_join_interval with bounds 0. */
EM_API em_stream *em_join_windows(em_stream *left, em_stream *right, em_expr *lkey,
                                  em_expr *rkey, const char *ltime, const char *rtime,
                                  int left_outer, const char *right_name);

/* Silent keys: emits (key, last_seen, silent_since, status = 'SILENT') when
 * a key has had no row for timeout_us, from timers that fire without input
 * (driven by the watermark of other keys and sources, or by processing time
 * when time_col is NULL), and (key, time, silent_since, 'BACK') when it
 * reports again. key_col names a column of in. */
EM_API em_stream *em_silence(em_stream *in, const char *key_col, const char *time_col,
                             int64_t timeout_us);

/* Sensor quality control with QARTOD flags (1 pass, 2 not evaluated,
 * 3 suspect, 4 fail, 9 missing). Output: every input column, then
 * <prefix>range, <prefix>spike, <prefix>rate, <prefix>flat, <prefix>time
 * and <prefix>flag (the worst of the others; 9 when the value or time is
 * NULL), all BIGINT. Stateful tests keep per key (key_col) the previous
 * readings in arrival order. A NaN threshold (or 0 count) turns its test off
 * (flag 2); em_qc_options_init sets every test off, prefix "qc_" and a 5
 * minute future tolerance. */
typedef struct em_qc_options {
    double fail_min, fail_max;       /* gross range: outside -> 4 */
    double suspect_min, suspect_max; /* inside fail range, outside these -> 3 */
    double spike_suspect, spike_fail; /* |x - median of the previous 3 readings| */
    double rate_suspect, rate_fail;   /* |x - previous| per second of event time */
    double flat_tolerance;            /* a run continues while |x - run start| <= this */
    int64_t flat_suspect, flat_fail;  /* run lengths (readings, this one included) */
    int64_t future_us; /* time > now() + future_us -> 4; negative: off */
    const char *prefix;
} em_qc_options;

EM_API void em_qc_options_init(em_qc_options *o);
/* QC of value_col (BIGINT or DOUBLE) per key_col at time_col (TIMESTAMP).
 * o is copied. NULL with the engine's error set on bad columns. */
EM_API em_stream *em_qc(em_stream *in, const char *key_col, const char *time_col,
                        const char *value_col, const em_qc_options *o);

/* Threshold alerts with hysteresis, per key. A key's state is OK, FIRING or
 * NO_DATA; emits (key, ts, state TEXT, value DOUBLE) once per transition:
 * 'FIRING' after value >= enter held for for_us, 'RESOLVED' after value <=
 * exit held for hold_us, 'NO_DATA' when no reading came for no_data_us
 * (0 = never), 'OK' on the first reading after NO_DATA unless it fires.
 * Transitions due without input fire from the watermark. Needs exit <= enter. */
typedef struct em_alert_options {
    double enter, exit;
    int64_t for_us, hold_us, no_data_us;
} em_alert_options;

EM_API em_stream *em_alerts(em_stream *in, const char *key_col, const char *time_col,
                            const char *value_col, const em_alert_options *o);

/* ---- sinks ---- */

EM_API int em_sink(em_stream *in, const char *name, const char *connector,
                   const char *const *options);
/* As em_sink, and the output is keyed: a keyed sink (sqlite, postgres)
 * upserts on the nkeys columns named in key_cols (output column names,
 * borrowed for the call) instead of appending. The SQL planner uses it for
 * sinks fed by a non-windowed aggregate. Returns 0, or a negative code with
 * the message in em_engine_errmsg (EM_ENOTFOUND for an unknown column). */
EM_API int em_sink_keyed(em_stream *in, const char *name, const char *connector,
                         const char *const *options, uint32_t nkeys,
                         const char *const *key_cols);

/* Prints the operator graph: one line per operator with its id, kind,
 * inputs, output columns and (for stateful operators) keys, windows and
 * state. Returns 0 or EM_EIO. */
EM_API int em_engine_explain(const em_engine *e, FILE *out);

/* The schema of a stream (borrowed, valid for the engine's lifetime). */
EM_API const em_schema *em_stream_schema(const em_stream *s);

#ifdef __cplusplus
}
#endif
#endif
