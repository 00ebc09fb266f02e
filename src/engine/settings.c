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

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef enum { S_DURATION, S_RATE, S_BYTES, S_INT, S_STRING, S_LOGLEVEL, S_LOGFORMAT } stype;

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
     "sinks written in parallel per micro-batch"},
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

int em_engine_get(const em_engine *e, const char *name, char *buf, size_t cap)
{
    static const char *const levels[] = {"error", "warn", "info", "debug", "trace"};
    const setting_def *d = NULL;
    for (size_t i = 0; i < NSETTINGS && !d; i++)
        if (strcasecmp(settings[i].name, name) == 0)
            d = &settings[i];
    if (!d)
        return EM_ENOTFOUND;
    const char *base = (const char *)&e->set + d->off;
    int n = 0;
    switch (d->type) {
    case S_DURATION: {
        int64_t us;
        memcpy(&us, base, sizeof us);
        n = us % 1000 ? snprintf(buf, cap, "%lldus", (long long)us)
                      : snprintf(buf, cap, "%lldms", (long long)(us / 1000));
        break;
    }
    case S_RATE: {
        double r;
        memcpy(&r, base, sizeof r);
        n = snprintf(buf, cap, "%.17g", r);
        break;
    }
    case S_BYTES: {
        int64_t b;
        memcpy(&b, base, sizeof b);
        n = snprintf(buf, cap, "%lld", (long long)b);
        break;
    }
    case S_INT:
        if (!strcmp(d->name, "max_batch_records")) {
            uint32_t v;
            memcpy(&v, base, sizeof v);
            n = snprintf(buf, cap, "%u", v);
        } else {
            int v;
            memcpy(&v, base, sizeof v);
            n = snprintf(buf, cap, "%d", v);
        }
        break;
    case S_STRING: {
        const char *v;
        memcpy(&v, base, sizeof v);
        n = snprintf(buf, cap, "%s", v ? v : "");
        break;
    }
    case S_LOGLEVEL:
        n = snprintf(buf, cap, "%s", levels[e->log.level]);
        break;
    case S_LOGFORMAT:
        n = snprintf(buf, cap, "%s", e->log.format == EM_LOG_JSON ? "json" : "text");
        break;
    }
    return n < 0 || (size_t)n >= cap ? EM_ELIMIT : 0;
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
