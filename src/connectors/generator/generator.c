/*
 * connectors/generator/generator.c - the `generator` source: simulated
 * air-quality readings (engine/generator.h) paced to `rate` readings/s, or
 * as fast as the engine takes them. Deterministic for a seed; its position
 * is the number of readings produced, so a replay is identical.
 */
#include "batch/batch.h"
#include "connectors/registry.h"
#include "core/clock.h"
#include "core/mem.h"
#include "engine/generator.h"
#include "ember/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const em_option_def gen_options[] = {
    {"devices", EM_OPT_INT, "100", 1, 10000, NULL, 0, "number of simulated sensors"},
    {"rate", EM_OPT_DOUBLE, "0", 0, 1e9, NULL, 0,
     "readings per second (0: as fast as the engine takes them)"},
    {"count", EM_OPT_INT, "0", 0, 9e18, NULL, 0, "stop after this many readings (0: never)"},
    {"seed", EM_OPT_INT, "1", 0, 0, NULL, 0, "random seed; same seed, same readings"},
    {"faults", EM_OPT_BOOL, "false", 0, 0, NULL, 0,
     "inject spikes, stuck PM sensors, NULLs, out-of-range values, duplicates, late and "
     "out-of-order readings"},
    {"outages", EM_OPT_DOUBLE, "0", 0, 0.99, NULL, 0,
     "fraction of device-hours offline (no readings); 0: none"},
    {"start", EM_OPT_STRING, NULL, 0, 0, NULL, 0,
     "event time of the first reading (ISO-8601; default 2024-05-01T00:00:00Z)"},
    {"interval", EM_OPT_DURATION, "10s", 0, 0, NULL, 0, "reporting period of each sensor"},
    {"format", EM_OPT_ENUM, "json", 0, 0, "json", 0, "(typed rows; accepted for symmetry)"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

typedef struct gen_src {
    em_gen *gen;
    em_conn_ctx *cx;
    uint64_t count;
    double rate;
    int64_t started_ns;
    uint64_t base; /* position when pacing started */
} gen_src;

static int gen_init(void **self, em_conn_ctx *cx, unsigned kind)
{
    (void)kind;
    const em_options *o = em_conn_options(cx);
    em_gen_config cfg;
    em_gen_config_init(&cfg);
    cfg.devices = (uint32_t)em_opt_int(o, "devices");
    cfg.count = (uint64_t)em_opt_int(o, "count");
    cfg.seed = (uint64_t)em_opt_int(o, "seed");
    cfg.faults = em_opt_bool(o, "faults");
    cfg.outages = em_opt_double(o, "outages");
    cfg.interval_us = em_opt_duration_us(o, "interval");
    const char *start = em_opt_str(o, "start");
    if (start && em_ts_parse(start, strlen(start), &cfg.start_us)) {
        em_conn_log(cx, 0, "option 'start': '%s' is not an ISO-8601 timestamp", start);
        return EM_EINVAL;
    }
    gen_src *g = em_calloc(1, sizeof *g);
    if (!g)
        return EM_ENOMEM;
    int rc = em_gen_create(&g->gen, &cfg);
    if (rc) {
        em_free(g);
        return rc;
    }
    g->cx = cx;
    g->count = cfg.count;
    g->rate = em_opt_double(o, "rate");
    em_conn_bounded(cx, g->count > 0);
    *self = g;
    return 0;
}

static int gen_start(void *self)
{
    gen_src *g = self;
    g->started_ns = em_mono_ns();
    g->base = em_gen_position(g->gen);
    return 0;
}

static int gen_poll(void *self, em_source_out *out)
{
    gen_src *g = self;
    uint64_t pos = em_gen_position(g->gen);
    if (g->count && pos >= g->count)
        return EM_EOF;
    uint64_t want = em_source_out_room(out);
    if (g->rate > 0) {
        double elapsed = (double)(em_mono_ns() - g->started_ns) / 1e9;
        uint64_t due = g->base + (uint64_t)(elapsed * g->rate);
        want = due > pos ? (due - pos < want ? due - pos : want) : 0;
    }
    while (want > 0) {
        em_batch_builder *bb = em_source_out_builder(out);
        if (!bb)
            return EM_ENOMEM;
        uint32_t space = bb->cap - bb->b->nrows;
        int n = em_gen_next(g->gen, bb, want < space ? (uint32_t)want : space);
        if (n < 0)
            return n;
        if (n == 0)
            break;
        em_source_out_added(out, (uint32_t)n);
        want -= (uint64_t)n;
    }
    return g->count && em_gen_position(g->gen) >= g->count ? EM_EOF : 0;
}

static int gen_position(void *self, char *buf, size_t cap)
{
    gen_src *g = self;
    int n = snprintf(buf, cap, "%llu", (unsigned long long)em_gen_position(g->gen));
    return n < 0 || (size_t)n >= cap ? EM_ELIMIT : n;
}

static int gen_seek(void *self, const char *pos, size_t n)
{
    gen_src *g = self;
    char tmp[32];
    if (n == 0 || n >= sizeof tmp)
        return EM_EINVAL;
    memcpy(tmp, pos, n);
    tmp[n] = 0;
    char *end;
    unsigned long long v = strtoull(tmp, &end, 10);
    if (*end)
        return EM_EINVAL;
    em_gen_seek(g->gen, v);
    g->base = v;
    g->started_ns = em_mono_ns();
    return 0;
}

static void gen_destroy(void *self)
{
    gen_src *g = self;
    if (!g)
        return;
    em_gen_destroy(g->gen);
    em_free(g);
}

const em_connector em_connector_generator = {
    .abi = EM_CONNECTOR_ABI,
    .name = "generator",
    .kinds = EM_CONNECTOR_SOURCE,
    .options = gen_options,
    .help = "simulated air-quality sensor readings",
    .init = gen_init,
    .start = gen_start,
    .poll = gen_poll,
    .position = gen_position,
    .seek = gen_seek,
    .destroy = gen_destroy,
};
