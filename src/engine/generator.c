/*
 * engine/generator.c - simulated air-quality readings (see generator.h).
 *
 * Every random draw is splitmix64 of (seed, reading number, stream id), and
 * per-device traits are draws keyed by (seed, device), so reading n is
 * computed from scratch without any state carried from reading n-1. That is
 * what makes seek O(1) and replay after recovery exact.
 */
#include "engine/generator.h"

#include "core/mem.h"
#include "ember/error.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { F_DEVICE, F_TS, F_PM25, F_PM10, F_CO2, F_VOC, F_TEMP, F_HUM, NFIELDS };

static const char *const field_names[NFIELDS] = {
    "device_id", "ts", "pm25", "pm10", "co2", "voc", "temperature", "humidity",
};
static const em_type field_types[NFIELDS] = {
    EM_TYPE_TEXT,   EM_TYPE_TIMESTAMP, EM_TYPE_DOUBLE, EM_TYPE_DOUBLE,
    EM_TYPE_BIGINT, EM_TYPE_DOUBLE,    EM_TYPE_DOUBLE, EM_TYPE_DOUBLE,
};

/* Random streams: each draw of a reading uses its own stream id so adding
 * a draw never shifts the others. */
enum {
    S_PM = 1, S_PM10, S_CO2, S_VOC, S_TEMP, S_HUM, S_FAULT, S_FAULT_ARG, S_FAULT_ARG2,
    S_EPISODE = 100, S_EPISODE_SIZE,
    S_DEV = 200,
};

struct em_gen {
    em_gen_config cfg;
    em_schema *schema;
    uint64_t pos;
};

typedef struct reading {
    char device[16];
    size_t device_len;
    int64_t ts;
    double pm25, pm10, voc, temperature, humidity;
    int64_t co2;
    unsigned nulls; /* bit F_* set = that field is NULL */
} reading;

static uint64_t splitmix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static uint64_t draw(uint64_t seed, uint64_t key, uint64_t stream)
{
    return splitmix64(splitmix64(seed ^ (key * UINT64_C(0xd1342543de82ef95))) + stream);
}

/* Uniform in [0, 1). */
static double unif(uint64_t seed, uint64_t key, uint64_t stream)
{
    return (double)(draw(seed, key, stream) >> 11) * 0x1.0p-53;
}

/* Standard normal (Box-Muller on two draws of the same stream). */
static double gauss(uint64_t seed, uint64_t key, uint64_t stream)
{
    double u1 = unif(seed, key, stream), u2 = unif(seed, key, stream + 1000);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double round1(double x)
{
    return round(x * 10.0) / 10.0;
}

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Per-device trait k in [lo, hi): a draw keyed by the device, not the reading. */
static double trait(const em_gen *g, uint32_t dev, int k, double lo, double hi)
{
    return lo + (hi - lo) * unif(g->cfg.seed ^ UINT64_C(0x5bd1e995), dev, (uint64_t)S_DEV + (uint64_t)k);
}

/* Occupancy 0..1: zero at night, a smooth hump over 08:00-19:00 UTC. */
static double occupancy(int64_t ts_us)
{
    int64_t day_us = INT64_C(86400000000);
    int64_t t = ts_us % day_us;
    if (t < 0)
        t += day_us;
    double h = (double)t / 3600e6;
    if (h < 7.0 || h > 19.0)
        return 0.0;
    return sin(3.141592653589793 * (h - 7.0) / 12.0);
}

static void make_reading(const em_gen *g, uint64_t n, reading *r)
{
    uint64_t seed = g->cfg.seed;
    uint32_t dev = (uint32_t)(n % g->cfg.devices);
    uint64_t round_no = n / g->cfg.devices;

    memset(r, 0, sizeof *r);
    r->device_len = (size_t)snprintf(r->device, sizeof r->device, "dev-%04u", dev);
    r->ts = g->cfg.start_us + (int64_t)round_no * g->cfg.interval_us;

    double occ = occupancy(r->ts);
    double h = (double)(((r->ts % INT64_C(86400000000)) + INT64_C(86400000000)) % INT64_C(86400000000)) / 3600e6;
    double diurnal = sin(6.283185307179586 * (h - 9.0) / 24.0); /* peaks mid-afternoon */

    /* Pollution episodes: per device and hour, ~4% of hours, PM x2..x4. */
    int64_t hour_no = r->ts / INT64_C(3600000000);
    uint64_t ekey = (uint64_t)hour_no * 10007u + dev;
    double episode = 1.0;
    if (unif(seed, ekey, S_EPISODE) < 0.04)
        episode = 2.0 + 2.0 * unif(seed, ekey, S_EPISODE_SIZE);

    double pm_base = trait(g, dev, 0, 7.0, 16.0);
    double pm_ratio = trait(g, dev, 1, 1.2, 1.8);
    double co2_base = trait(g, dev, 2, 410.0, 480.0);
    double co2_occ = trait(g, dev, 3, 300.0, 900.0);
    double voc_base = trait(g, dev, 4, 60.0, 160.0);
    double temp_base = trait(g, dev, 5, 19.5, 23.0);
    double hum_base = trait(g, dev, 6, 35.0, 55.0);

    double pm25 = pm_base * (1.0 + 0.4 * occ) * episode + 1.5 * gauss(seed, n, S_PM);
    pm25 = clampd(pm25, 1.0, episode > 1.0 ? 150.0 : 35.0);
    double pm10 = pm25 * pm_ratio + fabs(1.0 * gauss(seed, n, S_PM10));
    double co2 = co2_base + co2_occ * occ + 20.0 * gauss(seed, n, S_CO2);
    co2 = clampd(co2, 400.0, 2000.0);
    double voc = voc_base * (1.0 + 1.2 * occ) + 10.0 * gauss(seed, n, S_VOC);
    voc = clampd(voc, 0.0, 1000.0);
    double temp = temp_base + 1.0 * diurnal + 1.5 * occ + 0.2 * gauss(seed, n, S_TEMP);
    double hum = hum_base - 4.0 * diurnal - 3.0 * occ + 2.0 * gauss(seed, n, S_HUM);
    hum = clampd(hum, 20.0, 80.0);

    r->pm25 = round1(pm25);
    r->pm10 = round1(pm10);
    if (r->pm10 < r->pm25)
        r->pm10 = r->pm25;
    r->co2 = (int64_t)llround(co2);
    r->voc = round1(voc);
    r->temperature = round1(temp);
    r->humidity = round1(hum);

    if (!g->cfg.faults)
        return;
    /* Faults, ~1% each: spike, NULL field, out-of-range value, late ts. */
    double u = unif(seed, n, S_FAULT);
    double a = unif(seed, n, S_FAULT_ARG);
    if (u < 0.01) {
        r->pm25 = round1(r->pm25 * (8.0 + 8.0 * a));
        r->pm10 = round1(r->pm25 * pm_ratio);
        r->co2 += 1500 + (int64_t)(1000.0 * a);
    } else if (u < 0.02) {
        static const int nullable[] = {F_PM25, F_PM10, F_CO2, F_VOC, F_TEMP, F_HUM};
        r->nulls |= 1u << nullable[(int)(a * 6.0) % 6];
    } else if (u < 0.03) {
        if (a < 0.5)
            r->pm25 = -round1(1.0 + 20.0 * unif(seed, n, S_FAULT_ARG2));
        else
            r->pm25 = 5000.0;
    } else if (u < 0.04) {
        r->ts -= (int64_t)(1.0 + 59.0 * a) * EM_USEC_PER_SEC;
    }
}

void em_gen_config_init(em_gen_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->devices = EM_GEN_DEFAULT_DEVICES;
    cfg->start_us = EM_GEN_DEFAULT_START_US;
    cfg->interval_us = EM_GEN_DEFAULT_INTERVAL_US;
}

int em_gen_create(em_gen **out, const em_gen_config *cfg)
{
    em_gen *g = NULL;
    int rc = EM_EINVAL;

    *out = NULL;
    if (!cfg || cfg->rate < 0 || cfg->interval_us < 0 || cfg->devices > 10000 || isnan(cfg->rate))
        goto fail;
    rc = EM_ENOMEM;
    g = em_calloc(1, sizeof *g);
    if (!g)
        goto fail;
    g->cfg = *cfg;
    if (!g->cfg.devices)
        g->cfg.devices = EM_GEN_DEFAULT_DEVICES;
    if (!g->cfg.start_us)
        g->cfg.start_us = EM_GEN_DEFAULT_START_US;
    if (!g->cfg.interval_us)
        g->cfg.interval_us = EM_GEN_DEFAULT_INTERVAL_US;
    g->schema = em_schema_create(NFIELDS, field_names, field_types);
    if (!g->schema)
        goto fail;
    *out = g;
    return 0;
fail:
    em_gen_destroy(g);
    return rc;
}

const em_schema *em_gen_schema(const em_gen *g)
{
    return g->schema;
}

int em_gen_next(em_gen *g, em_batch_builder *bb, uint32_t max)
{
    const em_schema *s = bb->b->schema;
    int map[NFIELDS];
    uint32_t done = 0;
    int rc = 0;

    for (int f = 0; f < NFIELDS; f++) {
        map[f] = em_schema_find(s, field_names[f], strlen(field_names[f]));
        if (map[f] >= 0 && s->fields[map[f]].type != field_types[f])
            return EM_ETYPE;
    }
    uint64_t want = max;
    if (bb->cap - bb->b->nrows < want)
        want = bb->cap - bb->b->nrows;
    if (g->cfg.count && g->cfg.count - (g->pos < g->cfg.count ? g->pos : g->cfg.count) < want)
        want = g->pos < g->cfg.count ? g->cfg.count - g->pos : 0;
    if (want > INT32_MAX)
        want = INT32_MAX;

    for (; done < want; done++) {
        reading r;
        make_reading(g, g->pos, &r);
        for (int f = 0; f < NFIELDS; f++) {
            if (map[f] < 0 || (r.nulls & (1u << f)))
                continue; /* end_row makes it NULL */
            uint32_t c = (uint32_t)map[f];
            switch (f) {
            case F_DEVICE:
                rc = em_batch_builder_set_text(bb, c, r.device, r.device_len);
                break;
            case F_TS: em_batch_builder_set_i64(bb, c, r.ts); break;
            case F_PM25: em_batch_builder_set_f64(bb, c, r.pm25); break;
            case F_PM10: em_batch_builder_set_f64(bb, c, r.pm10); break;
            case F_CO2: em_batch_builder_set_i64(bb, c, r.co2); break;
            case F_VOC: em_batch_builder_set_f64(bb, c, r.voc); break;
            case F_TEMP: em_batch_builder_set_f64(bb, c, r.temperature); break;
            case F_HUM: em_batch_builder_set_f64(bb, c, r.humidity); break;
            }
            if (rc)
                goto fail;
        }
        rc = em_batch_builder_end_row(bb);
        if (rc)
            goto fail;
        g->pos++;
    }
    return (int)done;
fail:
    em_batch_builder_abort_row(bb);
    return rc;
}

uint64_t em_gen_position(const em_gen *g)
{
    return g->pos;
}

void em_gen_seek(em_gen *g, uint64_t position)
{
    g->pos = position;
}

void em_gen_destroy(em_gen *g)
{
    if (!g)
        return;
    em_schema_destroy(g->schema);
    em_free(g);
}
