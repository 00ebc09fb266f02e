/*
 * engine/generator.c - simulated air-quality readings (see generator.h).
 *
 * Every random draw is splitmix64 of (seed, reading number, stream id), and
 * per-device traits are draws keyed by (seed, device), so reading n is
 * computed from scratch without any state carried from reading n-1. That is
 * what makes seek O(1) and replay after recovery exact. Things that last
 * longer than one reading (regional weather, a stuck sensor, an outage) are
 * draws keyed by a block of time (and the device), never by earlier
 * readings, for the same reason.
 *
 * The fleet: each device is an office (occupied 08:00-18:00 on weekdays) or
 * a home (occupied evenings and nights); CO2, VOC and temperature follow
 * occupancy, PM2.5 follows occupancy a little, local episodes (cooking,
 * cleaning: one device, one hour) and regional smoke or haze episodes (all
 * devices at once, for hours, each device letting in its own share of the
 * outdoor air).
 */
#include "engine/generator.h"

#include "core/mem.h"
#include "ember/error.h"

#include <math.h>
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
    S_EPISODE = 100, S_EPISODE_SIZE, S_WEATHER, S_WEATHER_SIZE, S_STUCK, S_STUCK_VAL,
    S_OUTAGE, S_OUTAGE_START, S_OUTAGE_LEN,
    S_DEV = 200,
};

#define HOUR_US INT64_C(3600000000)
#define DAY_US INT64_C(86400000000)
#define WEATHER_BLOCK_US (6 * HOUR_US) /* regional episodes: at most one per 6 hours */
#define STUCK_BLOCK_US (6 * HOUR_US)   /* a stuck sensor stays stuck for a block */

#define NTRAITS 9

struct em_gen {
    em_gen_config cfg;
    em_schema *schema;
    uint64_t pos;
    double *traits; /* devices x NTRAITS per-device draws, computed once */
    /* memo of the last round's time-only values (rounds are read in order) */
    int64_t c_ts;
    int c_valid;
    double c_occ[2], c_diurnal, c_weather;
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

/* The per-key part of draw(): draw(seed, key, s) == mix(kbase(seed, key), s). */
static uint64_t kbase(uint64_t seed, uint64_t key)
{
    return splitmix64(seed ^ (key * UINT64_C(0xd1342543de82ef95)));
}

static uint64_t mix(uint64_t base, uint64_t stream)
{
    return splitmix64(base + stream);
}

static double unif_b(uint64_t base, uint64_t stream)
{
    return (double)(mix(base, stream) >> 11) * 0x1.0p-53;
}

/* Approximately standard normal: the sum of four 16-bit uniforms of one draw
 * (Irwin-Hall), centred and scaled; within +-3.47. Cheaper than Box-Muller. */
static double gauss_b(uint64_t base, uint64_t stream)
{
    uint64_t x = mix(base, stream);
    double sum = (double)(x & 0xffff) + (double)((x >> 16) & 0xffff) +
                 (double)((x >> 32) & 0xffff) + (double)(x >> 48);
    return (sum * (1.0 / 65536.0) - 2.0) * 1.7320508075688772;
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
static double trait_draw(const em_gen *g, uint32_t dev, int k, double lo, double hi)
{
    return lo + (hi - lo) * unif(g->cfg.seed ^ UINT64_C(0x5bd1e995), dev, (uint64_t)S_DEV + (uint64_t)k);
}

/* Trait ranges, by index. */
static const double trait_range[NTRAITS][2] = {
    {7.0, 16.0},   /* 0 pm_base */
    {1.2, 1.8},    /* 1 pm10 / pm2.5 */
    {410.0, 480.0}, /* 2 co2_base */
    {300.0, 900.0}, /* 3 co2 per occupant load */
    {60.0, 160.0}, /* 4 voc_base */
    {19.5, 23.0},  /* 5 temperature */
    {35.0, 55.0},  /* 6 humidity */
    {0.0, 1.0},    /* 7 < 0.6: an office, else a home */
    {0.3, 1.0},    /* 8 share of outdoor air let in */
};

static double trait(const em_gen *g, uint32_t dev, int k)
{
    return g->traits[(size_t)dev * NTRAITS + (size_t)k];
}

/* Occupancy 0..1 of an office (office != 0: a smooth hump over 08:00-18:00
 * UTC on weekdays, empty at weekends) or a home (high in the evening and at
 * night, low in the working day). */
static double occupancy(int64_t ts_us, int office)
{
    int64_t t = ts_us % DAY_US, day = ts_us / DAY_US;
    if (t < 0) {
        t += DAY_US;
        day--;
    }
    double h = (double)t / 3600e6;
    if (office) {
        int64_t wd = ((day % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday: 0 = Monday */
        if (wd >= 5 || h < 7.0 || h > 19.0)
            return 0.0;
        return sin(3.141592653589793 * (h - 7.0) / 12.0);
    }
    if (h >= 9.0 && h < 17.0)
        return 0.15;
    return h >= 17.0 ? 0.6 + 0.4 * sin(3.141592653589793 * (h - 17.0) / 7.0) : 0.8;
}

/* Regional weather multiplier on outdoor PM at time ts: 1 outside episodes;
 * in ~15% of 6-hour blocks a smoke/haze episode rising to x1.5..x5 and
 * falling back within the block. The same for every device. */
static double weather(uint64_t seed, int64_t ts)
{
    int64_t b = ts >= 0 ? ts / WEATHER_BLOCK_US : (ts + 1) / WEATHER_BLOCK_US - 1;
    uint64_t key = (uint64_t)b;
    if (unif(seed, key, S_WEATHER) >= 0.15)
        return 1.0;
    double peak = 1.5 + 3.5 * unif(seed, key, S_WEATHER_SIZE);
    double x = (double)(ts - b * WEATHER_BLOCK_US) / (double)WEATHER_BLOCK_US;
    return 1.0 + (peak - 1.0) * sin(3.141592653589793 * x);
}

static void make_reading(em_gen *g, uint64_t n, reading *r)
{
    uint64_t seed = g->cfg.seed;
    uint32_t dev = (uint32_t)(n % g->cfg.devices);
    uint64_t round_no = n / g->cfg.devices;
    uint64_t rb = kbase(seed, n);

    memset(r, 0, sizeof *r);
    memcpy(r->device, "dev-", 4); /* "dev-%04u": devices < 10000 */
    r->device[4] = (char)('0' + dev / 1000);
    r->device[5] = (char)('0' + dev / 100 % 10);
    r->device[6] = (char)('0' + dev / 10 % 10);
    r->device[7] = (char)('0' + dev % 10);
    r->device_len = 8;
    r->ts = g->cfg.start_us + (int64_t)round_no * g->cfg.interval_us;

    if (!g->c_valid || g->c_ts != r->ts) {
        double h = (double)(((r->ts % DAY_US) + DAY_US) % DAY_US) / 3600e6;
        g->c_ts = r->ts;
        g->c_valid = 1;
        g->c_occ[0] = occupancy(r->ts, 0);
        g->c_occ[1] = occupancy(r->ts, 1);
        g->c_diurnal = sin(6.283185307179586 * (h - 9.0) / 24.0); /* peaks mid-afternoon */
        g->c_weather = weather(seed, r->ts);
    }
    int office = trait(g, dev, 7) < 0.6;
    double occ = g->c_occ[office];
    double diurnal = g->c_diurnal;

    /* Local episodes (cooking, cleaning): per device and hour, ~4% of
     * hours, PM x2..x4. */
    int64_t hour_no = r->ts / HOUR_US;
    uint64_t eb = kbase(seed, (uint64_t)hour_no * 10007u + dev);
    double episode = 1.0;
    if (unif_b(eb, S_EPISODE) < 0.04)
        episode = 2.0 + 2.0 * unif_b(eb, S_EPISODE_SIZE);

    double pm_base = trait(g, dev, 0);
    double pm_ratio = trait(g, dev, 1);
    double co2_base = trait(g, dev, 2);
    double co2_occ = trait(g, dev, 3);
    double voc_base = trait(g, dev, 4);
    double temp_base = trait(g, dev, 5);
    double hum_base = trait(g, dev, 6);

    double infiltration = trait(g, dev, 8);
    double outdoor = 1.0 + infiltration * (g->c_weather - 1.0);
    episode *= outdoor;
    double pm25 = pm_base * (1.0 + 0.4 * occ) * episode + 1.5 * gauss_b(rb, S_PM);
    pm25 = clampd(pm25, 1.0, episode > 1.05 ? 150.0 : 35.0);
    double pm10 = pm25 * pm_ratio + fabs(1.0 * gauss_b(rb, S_PM10));
    double co2 = co2_base + co2_occ * occ + 20.0 * gauss_b(rb, S_CO2);
    co2 = clampd(co2, 400.0, 2000.0);
    double voc = voc_base * (1.0 + 1.2 * occ) + 10.0 * gauss_b(rb, S_VOC);
    voc = clampd(voc, 0.0, 1000.0);
    double temp = temp_base + 1.0 * diurnal + 1.5 * occ + 0.2 * gauss_b(rb, S_TEMP);
    double hum = hum_base - 4.0 * diurnal - 3.0 * occ + 2.0 * gauss_b(rb, S_HUM);
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
    /* A stuck PM sensor: in ~1% of (device, 6-hour block)s the PM channels
     * repeat one value from a random point of the block to its end. */
    int64_t sb = r->ts / STUCK_BLOCK_US;
    uint64_t skey = (uint64_t)sb * 10007u + dev;
    if (unif(seed, skey, S_STUCK) < 0.01 &&
        (double)(r->ts - sb * STUCK_BLOCK_US) / (double)STUCK_BLOCK_US > unif(seed, skey, S_STUCK_VAL)) {
        r->pm25 = round1(pm_base + 5.0 * unif(seed, skey, S_STUCK_VAL + 1));
        r->pm10 = round1(r->pm25 * pm_ratio);
        return;
    }
    /* Faults, ~1% each: spike, NULL field, out-of-range value, late ts
     * (1-60 s: out of order, and late for a watermark delay under 60 s),
     * and ~0.5% duplicates (the device re-sends its previous reading, same
     * time and values, instead of this one). */
    double u = unif_b(rb, S_FAULT);
    double a = unif_b(rb, S_FAULT_ARG);
    if (u >= 0.04 && u < 0.045 && n >= g->cfg.devices) {
        make_reading(g, n - g->cfg.devices, r);
        return;
    }
    if (u < 0.01) {
        r->pm25 = round1(r->pm25 * (8.0 + 8.0 * a));
        r->pm10 = round1(r->pm25 * pm_ratio);
        r->co2 += 1500 + (int64_t)(1000.0 * a);
    } else if (u < 0.02) {
        static const int nullable[] = {F_PM25, F_PM10, F_CO2, F_VOC, F_TEMP, F_HUM};
        r->nulls |= 1u << nullable[(int)(a * 6.0) % 6];
    } else if (u < 0.03) {
        if (a < 0.5)
            r->pm25 = -round1(1.0 + 20.0 * unif_b(rb, S_FAULT_ARG2));
        else
            r->pm25 = 5000.0;
    } else if (u < 0.04) {
        r->ts -= (int64_t)(1.0 + 59.0 * a) * EM_USEC_PER_SEC;
    }
}

/* Whether reading n's device is offline: a whole hour with probability
 * outages, and outages of 2-8 hours starting in ~outages/4 of device-days. */
static int offline(const em_gen *g, uint64_t n)
{
    uint64_t seed = g->cfg.seed;
    uint32_t dev = (uint32_t)(n % g->cfg.devices);
    int64_t ts = g->cfg.start_us + (int64_t)(n / g->cfg.devices) * g->cfg.interval_us;
    int64_t hour = ts >= 0 ? ts / HOUR_US : (ts + 1) / HOUR_US - 1;
    if (unif(seed, (uint64_t)hour * 10007u + dev, S_OUTAGE) < g->cfg.outages)
        return 1;
    int64_t day = hour >= 0 ? hour / 24 : (hour + 1) / 24 - 1;
    for (int64_t d = day - 1; d <= day; d++) { /* an outage may start the day before */
        uint64_t key = (uint64_t)d * 10007u + dev;
        if (unif(seed, key, S_OUTAGE_START) >= g->cfg.outages / 4)
            continue;
        int64_t from = d * 24 + (int64_t)(24.0 * unif(seed, key, S_OUTAGE_START + 1));
        int64_t len = 2 + (int64_t)(7.0 * unif(seed, key, S_OUTAGE_LEN));
        if (hour >= from && hour < from + len)
            return 1;
    }
    return 0;
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
    if (!cfg || cfg->rate < 0 || cfg->interval_us < 0 || cfg->devices > 10000 || isnan(cfg->rate) ||
        !(cfg->outages >= 0 && cfg->outages < 1))
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
    g->traits = em_malloc((size_t)g->cfg.devices * NTRAITS * sizeof *g->traits);
    if (!g->schema || !g->traits)
        goto fail;
    for (uint32_t d = 0; d < g->cfg.devices; d++)
        for (int k = 0; k < NTRAITS; k++)
            g->traits[(size_t)d * NTRAITS + (size_t)k] =
                trait_draw(g, d, k, trait_range[k][0], trait_range[k][1]);
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

    /* offline readings are skipped; scan a bounded number of them per call */
    uint64_t skip_budget = (uint64_t)want * 8 + g->cfg.devices;
    for (; done < want; done++) {
        reading r;
        if (g->cfg.outages > 0) {
            while ((!g->cfg.count || g->pos < g->cfg.count) && skip_budget && offline(g, g->pos)) {
                g->pos++;
                skip_budget--;
            }
            if ((g->cfg.count && g->pos >= g->cfg.count) || !skip_budget)
                break;
        }
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
    em_free(g->traits);
    em_free(g);
}
