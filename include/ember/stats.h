/*
 * ember/stats.h - live statistics of an engine, readable from any thread.
 *
 * The scheduler publishes a copy of its counters once per micro-batch under
 * a mutex; the functions here copy that publication out, so a web server or
 * a metrics exporter on its own threads never touches the running job's
 * data. Figures are therefore at most one micro-batch old.
 *
 * Secrets never leave the engine through this header: connector options
 * flagged EM_OPT_SECRET and the http_token setting read as "[redacted]".
 */
#ifndef EMBER_STATS_H
#define EMBER_STATS_H

#include "ember/ember.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum em_job_state {
    EM_JOB_CREATED = 0, /* built, not yet running */
    EM_JOB_RUNNING,
    EM_JOB_STOPPING,    /* a stop was requested; the batch in flight finishes */
    EM_JOB_FINISHED,    /* em_engine_run returned 0 */
    EM_JOB_FAILED,      /* em_engine_run returned an error (see error) */
} em_job_state;

/* "created", "running", "stopping", "finished", "failed". */
EM_API const char *em_job_state_name(em_job_state s);

#define EM_STATS_NAME 128
#define EM_STATS_VALUE 256

/* Cumulative histogram in seconds over the bounds em_stats_hist_bounds()
 * returns; counts[i] counts observations <= bound i (not cumulative), the
 * last slot counts those above every bound. */
#define EM_HIST_BOUNDS 14
typedef struct em_histogram {
    uint64_t counts[EM_HIST_BOUNDS + 1];
    uint64_t count;
    double sum; /* seconds */
} em_histogram;

/* The upper bounds (seconds) shared by every em_histogram; static storage. */
EM_API const double *em_stats_hist_bounds(void);

/* A name = value pair: a setting or a connector option (secrets redacted). */
typedef struct em_stats_kv {
    char name[64];
    char value[EM_STATS_VALUE];
} em_stats_kv;

typedef struct em_job_info {
    em_job_state state;
    int64_t started_us;         /* wall clock µs when the job started, 0 before */
    int64_t ended_us;           /* when it finished or failed, else 0 */
    int64_t batch_interval_us;
    int64_t batches_completed;
    int64_t batches_failed;
    int64_t last_batch_id;
    int64_t watermark_us;       /* job watermark; INT64_MIN none yet, INT64_MAX all done */
    uint64_t records;           /* records taken from all sources */
    uint64_t memory_bytes;      /* live bytes of Ember's allocator */
    uint64_t memory_peak_bytes;
    char error[1024];           /* why the job failed, else "" */
} em_job_info;

typedef struct em_source_info {
    char name[EM_STATS_NAME];
    char connector[32];
    int is_table;
    uint64_t records, bytes;    /* delivered into batches; raw bytes parsed */
    uint64_t bad;               /* records that did not parse */
    uint64_t late;              /* rows at or below the watermark on arrival */
    double rate;                /* records/s, smoothed over about 5 s */
    int64_t max_event_us;       /* highest event time seen, INT64_MIN if none */
    int64_t watermark_us;       /* the source's own watermark, INT64_MIN if none */
    int64_t lag_us;             /* wall clock minus watermark_us (0 if none) */
    int finished;               /* bounded input fully read */
    int idle;                   /* no rows for idle_timeout */
    uint32_t opt_first, nopts;  /* its options: em_stats.options[opt_first ..] */
} em_source_info;

typedef struct em_sink_info {
    char name[EM_STATS_NAME];
    char connector[32];
    uint64_t rows, batches, errors;
    int64_t last_commit_us;     /* duration of the last write + commit */
    int64_t max_commit_us;
    int last_status;            /* 0 or the EM_E* code of the last write/commit */
    int64_t failing_since_us;   /* wall µs of the first failure in a row (outage), else 0 */
    uint32_t queued_batches;    /* micro-batch outputs waiting in the sink's queue */
    uint64_t queued_bytes;      /* their size in memory */
    em_histogram commit;        /* write + commit latency */
    uint32_t opt_first, nopts;
    char *latest;               /* the last rows written as NDJSON, oldest first ("" none) */
    uint32_t nlatest;
} em_sink_info;

typedef struct em_operator_info {
    char id[EM_STATS_NAME];
    char kind[32];
    uint64_t rows_in, rows_out;
    uint64_t state_keys, state_bytes;
    uint64_t late_dropped;      /* rows for windows already closed */
    uint64_t evicted;           /* keys removed by state_ttl */
} em_operator_info;

/* One copy of everything; arrays owned by the snapshot. */
typedef struct em_stats {
    em_job_info job;
    em_stats_kv *settings;
    uint32_t nsettings;
    em_source_info *sources;
    uint32_t nsources;
    em_sink_info *sinks;
    uint32_t nsinks;
    em_operator_info *operators;
    uint32_t noperators;
    em_stats_kv *options;       /* connector options of sources and sinks */
    uint32_t noptions;
    em_histogram processing, scheduling_delay, total_delay;
} em_stats;

/* Copies the engine's latest published statistics. Safe from any thread
 * while the engine runs (but not concurrently with em_engine_destroy).
 * Returns 0 and *out (free with em_stats_free), or EM_ENOMEM. */
EM_API int em_engine_stats(em_engine *e, em_stats **out);
/* Frees a snapshot (NULL-safe). */
EM_API void em_stats_free(em_stats *s);

/* Copies up to max of the most recent micro-batches, newest first,
 * including a failed one (status != 0). Safe from any thread; returns how
 * many were copied (the engine keeps the last 1024). */
EM_API size_t em_engine_batch_history(em_engine *e, em_batch_info *out, size_t max);

/* Writes the current value of setting `name` as text into buf (cap bytes,
 * NUL-terminated; "" for an unset string). Unlike the snapshot this returns
 * secrets unredacted: it is for the engine's owner (e.g. the HTTP server
 * reading http_token). Returns 0 or EM_ENOTFOUND. Call before running or
 * from the thread that sets settings. */
EM_API int em_engine_get(const em_engine *e, const char *name, char *buf, size_t cap);

/* Writes a line through the engine's logger (its level, format, file and
 * rotation) under `component` ("http"). level: 0 error, 1 warn, 2 info,
 * 3 debug. Safe from any thread. */
EM_API void em_engine_log(em_engine *e, int level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#ifdef __cplusplus
}
#endif
#endif
