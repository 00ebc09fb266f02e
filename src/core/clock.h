/*
 * core/clock.h - clocks and timestamp helpers.
 *
 * Wall time is for logical batch times and logs; monotonic time is for
 * measuring durations and scheduling; CPU time is for benchmarks.
 */
#ifndef EMBER_CORE_CLOCK_H
#define EMBER_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t em_wall_us(void);     /* microseconds since the epoch (CLOCK_REALTIME) */
int64_t em_mono_ns(void);     /* CLOCK_MONOTONIC nanoseconds */
double em_cpu_seconds(void);  /* process user+system CPU time */
void em_sleep_us(int64_t us);

/* Formats µs-since-epoch as ISO-8601 UTC with milliseconds
 * ("2024-05-01T12:00:00.000Z"). out needs 32 bytes; returns length. */
size_t em_ts_format(int64_t us, char *out);

/* Parses ISO-8601: "YYYY-MM-DD", "YYYY-MM-DD[T ]hh:mm[:ss[.frac]]" with
 * optional "Z" or "+hh:mm"/"-hh:mm"/"+hhmm". No zone means UTC. Returns 0
 * and *us on success, EM_EPARSE otherwise. */
int em_ts_parse(const char *s, size_t n, int64_t *us);

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t em_days_from_civil(int64_t y, unsigned m, unsigned d);
void em_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* Parses a duration setting: "250ms", "1s", "2.5 min", "1h", "30" (seconds),
 * "1 minute". Returns 0 and microseconds, or EM_EPARSE. */
int em_duration_parse(const char *s, int64_t *us);

#endif
