/*
 * engine/rate.h - per-source rate control: Spark Streaming's PID rate
 * estimator (proportional 1, integral 0.2, derivative 0, at least 100
 * records/s), the `max_rate` cap and the `initial_rate` ramp after a
 * restart.
 *
 * After every micro-batch the estimator compares the rate the source was
 * allowed with the rate the job actually processed (records / processing
 * time) and the backlog of scheduling delay, and moves the allowed rate so
 * that a micro-batch takes about one batch_interval to process: a backlog
 * (a restart after an outage, a burst) is then consumed at the speed the
 * job and its sinks can sustain, never as one huge micro-batch.
 */
#ifndef EMBER_ENGINE_RATE_H
#define EMBER_ENGINE_RATE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct em_rate {
    double rate;        /* records/s allowed; 0 = no estimate yet */
    double last_error;
    int64_t last_us;    /* time of the last update */
    double ramp_to;     /* initial_rate ramp active (at most doubles per batch) */
} em_rate;

/* The pace of the job: what one micro-batch should take. batch_interval,
 * or twice the fixed cost of a micro-batch (the average time micro-batches
 * of a few records took lately: fsyncs, sink round trips) when that is
 * longer.
 * Without it, a job whose every micro-batch costs more than the interval
 * whatever its size (fsyncs at 1 ms intervals) would fall ever further
 * behind its schedule and see its rate driven down to the minimum. */
typedef struct em_pace {
    int64_t fixed_us; /* 0: not measured yet */
    uint32_t seen;
} em_pace;

/* Notes a micro-batch of n records that took processing_us. */
void em_pace_note(em_pace *p, uint64_t n, int64_t processing_us);
/* The target processing time of a micro-batch. */
int64_t em_pace_target(const em_pace *p, int64_t interval_us);

/* Starts an estimator; initial_rate > 0 starts it there and ramps up. */
void em_rate_init(em_rate *r, double initial_rate);
/* Feeds one micro-batch: at now_us, n records processed in processing_us,
 * after scheduling_delay_us, with batch interval interval_us. */
void em_rate_update(em_rate *r, int64_t now_us, uint64_t n, int64_t processing_us,
                    int64_t scheduling_delay_us, int64_t interval_us);
/* Records the source may take in the next micro-batch, at least 1 and at
 * most cap: max_rate (if > 0) over interval_us, and the estimate (if any)
 * over target_us (em_pace_target). */
uint32_t em_rate_budget(const em_rate *r, double max_rate, int64_t interval_us, int64_t target_us,
                        uint32_t cap);

#endif
