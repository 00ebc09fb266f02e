/*
 * engine/rate.c - the PID rate estimator (see rate.h); the constants are
 * Spark's PIDRateEstimator defaults, so the behaviour users tuned there
 * carries over.
 */
#include "engine/rate.h"

#define K_P 1.0
#define K_I 0.2
#define K_D 0.0
#define MIN_RATE 100.0

void em_rate_init(em_rate *r, double initial_rate)
{
    r->rate = initial_rate > 0 ? initial_rate : 0;
    r->last_error = 0;
    r->last_us = 0;
    r->ramp_to = initial_rate > 0 ? 1 : 0; /* ramp active until the estimate exceeds it */
}

void em_rate_update(em_rate *r, int64_t now_us, uint64_t n, int64_t processing_us,
                    int64_t scheduling_delay_us, int64_t interval_us)
{
    if (n == 0 || processing_us <= 0 || now_us <= r->last_us)
        return;
    double processed = (double)n * 1e6 / (double)processing_us; /* records/s */
    if (r->last_us == 0 && r->rate == 0) {
        r->rate = processed; /* first estimate: what the job just did */
        r->last_us = now_us;
        return;
    }
    double dt = r->last_us ? (double)(now_us - r->last_us) / 1e6 : 1.0;
    double error = r->rate - processed;
    double backlog = (double)scheduling_delay_us * processed / (double)interval_us;
    double d_error = (error - r->last_error) / (dt > 0 ? dt : 1.0);
    double next = r->rate - K_P * error - K_I * backlog - K_D * d_error;
    if (r->ramp_to > 0) {
        /* after a restart: at most double per micro-batch */
        if (next > 2 * r->rate)
            next = 2 * r->rate;
        else
            r->ramp_to = 0; /* the estimate caught up: the ramp is over */
    }
    r->rate = next < MIN_RATE ? MIN_RATE : next;
    r->last_error = error;
    r->last_us = now_us;
}

uint32_t em_rate_budget(const em_rate *r, double max_rate, int64_t interval_us, int64_t target_us,
                        uint32_t cap)
{
    double b = cap;
    if (r->rate > 0 && r->rate * (double)target_us / 1e6 < b)
        b = r->rate * (double)target_us / 1e6;
    if (max_rate > 0 && max_rate * (double)interval_us / 1e6 < b)
        b = max_rate * (double)interval_us / 1e6;
    return b < 1 ? 1 : (uint32_t)b;
}

void em_pace_note(em_pace *p, uint64_t n, int64_t processing_us)
{
    /* A micro-batch of a few records costs what any micro-batch costs: a
     * moving average of their times is the fixed cost. An average, not the
     * least: fsync times jitter, and a target below the typical cost would
     * leave the job ever further behind its schedule. */
    if (processing_us <= 0 || n > 64)
        return;
    p->fixed_us = p->seen++ ? (p->fixed_us * 7 + processing_us) / 8 : processing_us;
}

int64_t em_pace_target(const em_pace *p, int64_t interval_us)
{
    return 2 * p->fixed_us > interval_us ? 2 * p->fixed_us : interval_us;
}
