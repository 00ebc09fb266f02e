/*
 * engine/generator.h - the simulated air-quality sensor source.
 *
 * Produces readings from a fleet of indoor sensors (particulates, CO2, VOC,
 * temperature, humidity) with per-device baselines, office or home
 * occupancy cycles, local and regional (weather) pollution episodes;
 * optionally with faults (spikes, stuck PM sensors, NULL fields,
 * out-of-range values, duplicates, late and out-of-order timestamps) and
 * outages (devices offline for hours). Every value of reading n is
 * a pure function of (config, n): a counter-based PRNG makes seek O(1), so
 * recovery resumes at a source position and replays identical data.
 */
#ifndef EMBER_ENGINE_GENERATOR_H
#define EMBER_ENGINE_GENERATOR_H

#include "batch/batch.h"
#include "ember/types.h"

#include <stdint.h>

typedef struct em_gen_config {
    uint32_t devices;    /* number of sensors; 0 picks the default 100 */
    uint64_t count;      /* readings to produce; 0 = unbounded */
    double rate;         /* readings/s, 0 = unlimited (pacing is the caller's job) */
    uint64_t seed;
    int faults;          /* non-zero: inject faults (deterministically) */
    int64_t start_us;    /* event time of the first reading; 0 picks 2024-05-01T00:00:00Z */
    int64_t interval_us; /* per-device reporting period; 0 picks 10 s */
    double outages;      /* fraction of device-hours offline (0 = none): those
                          * readings are skipped, the position still counts them */
} em_gen_config;

#define EM_GEN_DEFAULT_DEVICES 100u
#define EM_GEN_DEFAULT_START_US INT64_C(1714521600000000) /* 2024-05-01T00:00:00Z */
#define EM_GEN_DEFAULT_INTERVAL_US INT64_C(10000000)

typedef struct em_gen em_gen;

/* Fills cfg with the defaults (100 devices, unbounded, unlimited rate,
 * seed 0, no faults, default start and interval). */
void em_gen_config_init(em_gen_config *cfg);

/* Creates a generator positioned at reading 0. cfg is copied (zero fields
 * take their defaults). Returns 0 and *out (free with em_gen_destroy),
 * EM_EINVAL for a negative rate/interval, outages outside [0, 1) or
 * devices > 10000, EM_ENOMEM. */
int em_gen_create(em_gen **out, const em_gen_config *cfg);

/* The generator's full schema: device_id TEXT, ts TIMESTAMP, pm25 DOUBLE,
 * pm10 DOUBLE, co2 BIGINT, voc DOUBLE, temperature DOUBLE, humidity DOUBLE.
 * Owned by the generator; valid until em_gen_destroy. */
const em_schema *em_gen_schema(const em_gen *g);

/* Appends up to max readings (bounded also by the builder's free rows) to
 * bb. bb's schema need only contain some of the generator's columns, matched
 * by case-insensitive NAME in any order; its other columns are left NULL.
 * Offline readings (cfg.outages) are skipped: the position moves past them.
 * Returns the number of readings appended (0 once count is reached, or
 * when every reading scanned was offline), or
 * EM_ETYPE if a matched column has a different type, EM_ENOMEM/EM_ELIMIT
 * from the builder (the position then counts only the rows appended).
 * Deterministic: the n-th reading depends only on (config, n). */
int em_gen_next(em_gen *g, em_batch_builder *bb, uint32_t max);

/* Readings produced so far (the source position). */
uint64_t em_gen_position(const em_gen *g);

/* Resumes at reading position (recovery); the next reading is number
 * position. O(1). */
void em_gen_seek(em_gen *g, uint64_t position);

/* Frees the generator (NULL-safe). */
void em_gen_destroy(em_gen *g);

#endif
