/*
 * engine/settings.c - engine settings (SQL's SET, the CLI's --set).
 *
 * One table drives parsing, validation, suggestions for unknown names and
 * the listing in `ember run --help` and the REST job view. Settings that only
 * change resources or timing never invalidate a checkpoint (durability
 * issue); the table marks none as state-affecting today.
 */
#include "engine/engine_int.h"

#include "core/clock.h"
#include "core/suggest.h"
#include "ember/stats.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef enum {
    S_DURATION, S_RATE, S_BYTES, S_INT, S_STRING, S_LOGLEVEL, S_LOGFORMAT,
    S_LOGFILE, S_LOGSIZE, S_LOGAGE, S_LOGKEEP, /* act on the logger (core/log.h) */
} stype;

typedef struct setting_def {
    const char *name;
    stype type;
    size_t off;       /* offsetof(em_settings, field); unused for log settings */
    const char *def;
    int64_t min;      /* lower bound: µs for durations, value for ints */
    const char *help;
} setting_def;

#define OFF(f) offsetof(em_settings, f)

static const setting_def settings[] = {
    {"batch_interval", S_DURATION, OFF(batch_interval_us), "1s", 1000,
     "micro-batch period (1ms .. hours)"},
    {"checkpoint_dir", S_STRING, OFF(checkpoint_dir), NULL, 0, "durable state directory"},
    {"checkpoint_interval", S_DURATION, OFF(checkpoint_interval_us), "10s", 1000,
     "how often state is snapshotted"},
    {"idle_timeout", S_DURATION, OFF(idle_timeout_us), "30s", 0,
     "a source without rows for this long stops holding the watermark back"},
    {"state_ttl", S_DURATION, OFF(state_ttl_us), "0s", 0, "evict keys idle this long (0: never)"},
    {"max_rate", S_RATE, OFF(max_rate), "0", 0, "records/s per source (0: unlimited)"},
    {"initial_rate", S_RATE, OFF(initial_rate), "0", 0, "records/s per source after a restart"},
    {"memory_limit", S_BYTES, OFF(memory_limit), "0", 0, "pause sources above this (0: none)"},
    {"concurrent_outputs", S_INT, OFF(concurrent_outputs), "4", 1,
     "sinks writing at the same moment (each sink has its own queue and thread)"},
    {"sink_queue_limit", S_BYTES, OFF(sink_queue_limit), "64MB", 0,
     "output a sink may have queued before the job waits for it (0: no limit)"},
    {"shutdown_timeout", S_DURATION, OFF(shutdown_timeout_us), "30s", 0,
     "graceful stop deadline"},
    {"dead_letter", S_STRING, OFF(dead_letter), NULL, 0, "sink that receives bad records"},
    {"http", S_STRING, OFF(http), "127.0.0.1:4040", 0, "web UI/REST address, or off"},
    {"http_token", S_STRING, OFF(http_token), NULL, 0, "bearer token for mutating endpoints"},
    {"workers", S_INT, OFF(workers), "0", 0, "worker threads (0: one per core)"},
    {"max_batch_records", S_INT, OFF(max_batch_records), "1000000", 1,
     "records one source may add to one micro-batch"},
    {"log_level", S_LOGLEVEL, 0, "info", 0, "error, warn, info, debug or trace"},
    {"log_format", S_LOGFORMAT, 0, "text", 0, "text or json"},
    {"log_file", S_LOGFILE, 0, NULL, 0, "append log lines to this file (default: stderr)"},
    {"log_max_size", S_LOGSIZE, 0, "64MB", 0, "rotate the log file past this size (0: never)"},
    {"log_max_age", S_LOGAGE, 0, "1d", 0, "rotate the log file after this long (0: never)"},
    {"log_retention", S_LOGKEEP, 0, "7", 0, "rotated log files kept"},
};

#define NSETTINGS (sizeof settings / sizeof settings[0])

static int parse_bytes(const char *v, int64_t *out)
{
    char *end;
    double x = strtod(v, &end);
    if (end == v || x < 0)
        return -1;
    while (*end == ' ')
        end++;
    double m = 1;
    if (!strcasecmp(end, "") || !strcasecmp(end, "b"))
        m = 1;
    else if (!strcasecmp(end, "k") || !strcasecmp(end, "kb") || !strcasecmp(end, "kib"))
        m = 1024;
    else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb") || !strcasecmp(end, "mib"))
        m = 1024.0 * 1024;
    else if (!strcasecmp(end, "g") || !strcasecmp(end, "gb") || !strcasecmp(end, "gib"))
        m = 1024.0 * 1024 * 1024;
    else
        return -1;
    *out = (int64_t)(x * m);
    return 0;
}

static int apply(em_engine *e, const setting_def *d, const char *v)
{
    char *base = (char *)&e->set;
    char *end;
    int64_t i64;
    double dbl;
    switch (d->type) {
    case S_DURATION:
        if (em_duration_parse(v, &i64) || i64 < d->min)
            return em__engine_fail(e, EM_EINVAL,
                                   "setting %s: '%s' is not a duration of at least %lldms "
                                   "(examples: '500ms', '1s', '2 min')",
                                   d->name, v, (long long)(d->min / 1000));
        memcpy(base + d->off, &i64, sizeof i64);
        return 0;
    case S_RATE:
        dbl = strtod(v, &end);
        if (end == v || *end || dbl < 0)
            return em__engine_fail(e, EM_EINVAL,
                                   "setting %s: '%s' is not a non-negative number", d->name, v);
        memcpy(base + d->off, &dbl, sizeof dbl);
        return 0;
    case S_BYTES:
        if (parse_bytes(v, &i64))
            return em__engine_fail(e, EM_EINVAL,
                                   "setting %s: '%s' is not a size (examples: '64MB', '1GB')",
                                   d->name, v);
        memcpy(base + d->off, &i64, sizeof i64);
        return 0;
    case S_INT: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end || x < d->min || x > INT32_MAX)
            return em__engine_fail(e, EM_EINVAL,
                                   "setting %s: '%s' is not an integer >= %lld", d->name, v,
                                   (long long)d->min);
        if (d->off == OFF(max_batch_records)) {
            uint32_t u = (uint32_t)x;
            memcpy(base + d->off, &u, sizeof u);
        } else {
            int iv = (int)x;
            memcpy(base + d->off, &iv, sizeof iv);
        }
        return 0;
    }
    case S_STRING: {
        char **slot = (char **)(base + d->off);
        char *copy = v ? em_strdup(v) : NULL;
        if (v && !copy)
            return em__engine_fail(e, EM_ENOMEM, "out of memory");
        em_free(*slot);
        *slot = copy;
        return 0;
    }
    case S_LOGLEVEL:
        if (em_log_level_parse(v, &e->log.level))
            return em__engine_fail(e, EM_EINVAL,
                                   "setting log_level: '%s' is not one of error, warn, info, "
                                   "debug, trace",
                                   v);
        return 0;
    case S_LOGFORMAT:
        if (em_log_format_parse(v, &e->log.format))
            return em__engine_fail(e, EM_EINVAL,
                                   "setting log_format: '%s' is not text or json", v);
        return 0;
    case S_LOGFILE:
        if (em_logger_open(&e->log, v))
            return em__engine_fail(e, EM_EIO, "setting log_file: cannot open '%s': %s", v,
                                   strerror(errno));
        return 0;
    case S_LOGSIZE:
        if (parse_bytes(v, &i64))
            return em__engine_fail(e, EM_EINVAL,
                                   "setting log_max_size: '%s' is not a size (examples: "
                                   "'64MB', '1GB')", v);
        e->log.max_size = i64;
        return 0;
    case S_LOGAGE:
        if (em_duration_parse(v, &i64) || i64 < 0)
            return em__engine_fail(e, EM_EINVAL,
                                   "setting log_max_age: '%s' is not a duration (examples: "
                                   "'1h', '1d')", v);
        e->log.max_age_us = i64;
        return 0;
    case S_LOGKEEP: {
        errno = 0;
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end || x < 0 || x > 100000)
            return em__engine_fail(e, EM_EINVAL,
                                   "setting log_retention: '%s' is not a file count >= 0", v);
        e->log.retention = (int)x;
        return 0;
    }
    }
    return EM_EINVAL;
}

int em_engine_set(em_engine *e, const char *name, const char *value)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcasecmp(settings[i].name, name) == 0)
            return apply(e, &settings[i], value);
    const char *names[NSETTINGS];
    for (size_t i = 0; i < NSETTINGS; i++)
        names[i] = settings[i].name;
    const char *s = em_suggest(name, names, NSETTINGS);
    return em__engine_fail(e, EM_EINVAL, "unknown setting '%s'%s%s%s", name,
                           s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
}

/* Applies every default; called once by em__engine_new. */
int em__settings_defaults(em_engine *e)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].def && apply(e, &settings[i], settings[i].def))
            return EM_ENOMEM;
    if (e->set.workers == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        e->set.workers = n > 0 ? (int)n : 1;
    }
    return 0;
}

void em__settings_release(em_settings *s)
{
    em_free(s->checkpoint_dir);
    em_free(s->dead_letter);
    em_free(s->http);
    em_free(s->http_token);
}

/* Duration as the shortest exact unit: "1d", "200ms", "1500us". */
static void fmt_duration(int64_t us, char *buf, size_t cap)
{
    static const struct { int64_t us; const char *unit; } units[] = {
        {86400000000LL, "d"}, {3600000000LL, "h"}, {60000000LL, "min"},
        {1000000LL, "s"}, {1000LL, "ms"},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (us != 0 && us % units[i].us == 0) {
            snprintf(buf, cap, "%lld%s", (long long)(us / units[i].us), units[i].unit);
            return;
        }
    snprintf(buf, cap, us ? "%lldus" : "0s", (long long)us);
}

static const char *const log_levels[] = {"error", "warn", "info", "debug", "trace"};

/* The value of setting d as text (what em_engine_set would accept back). */
static void format_value(const em_engine *e, const setting_def *d, char *buf, size_t cap)
{
    const char *base = (const char *)&e->set;
    int64_t i64;
    double dbl;
    int iv;
    uint32_t u;
    const char *str;
    switch (d->type) {
    case S_DURATION:
        memcpy(&i64, base + d->off, sizeof i64);
        fmt_duration(i64, buf, cap);
        return;
    case S_RATE:
        memcpy(&dbl, base + d->off, sizeof dbl);
        snprintf(buf, cap, "%g", dbl);
        return;
    case S_BYTES:
        memcpy(&i64, base + d->off, sizeof i64);
        snprintf(buf, cap, "%lld", (long long)i64);
        return;
    case S_INT:
        if (d->off == OFF(max_batch_records)) {
            memcpy(&u, base + d->off, sizeof u);
            snprintf(buf, cap, "%u", u);
        } else {
            memcpy(&iv, base + d->off, sizeof iv);
            snprintf(buf, cap, "%d", iv);
        }
        return;
    case S_STRING:
        memcpy(&str, base + d->off, sizeof str);
        snprintf(buf, cap, "%s", str ? str : "");
        return;
    case S_LOGLEVEL:
        snprintf(buf, cap, "%s", log_levels[e->log.level]);
        return;
    case S_LOGFORMAT:
        snprintf(buf, cap, "%s", e->log.format == EM_LOG_JSON ? "json" : "text");
        return;
    case S_LOGFILE:
        snprintf(buf, cap, "%s", e->log.path ? e->log.path : "");
        return;
    case S_LOGSIZE:
        snprintf(buf, cap, "%lld", (long long)e->log.max_size);
        return;
    case S_LOGAGE:
        fmt_duration(e->log.max_age_us, buf, cap);
        return;
    case S_LOGKEEP:
        snprintf(buf, cap, "%d", e->log.retention);
        return;
    }
    snprintf(buf, cap, "?");
}

const char *em__settings_value(const em_engine *e, size_t i, char *buf, size_t cap,
                               bool *secret)
{
    if (i >= NSETTINGS)
        return NULL;
    format_value(e, &settings[i], buf, cap);
    *secret = settings[i].off == OFF(http_token) && settings[i].type == S_STRING;
    return settings[i].name;
}

int em_engine_get(const em_engine *e, const char *name, char *buf, size_t cap)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcasecmp(settings[i].name, name) == 0) {
            format_value(e, &settings[i], buf, cap);
            return 0;
        }
    if (cap)
        buf[0] = 0;
    return EM_ENOTFOUND;
}
