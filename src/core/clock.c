/*
 * core/clock.c - clocks, ISO-8601 timestamps and durations. See clock.h.
 *
 * Calendar arithmetic uses Howard Hinnant's days_from_civil algorithm, which
 * is exact for the proleptic Gregorian calendar over the int64 range we use.
 */
#include "core/clock.h"

#include "ember/error.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>

int64_t em_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t em_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double em_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

void em_sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int64_t em_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void em_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

size_t em_ts_format(int64_t us, char *out)
{
    int64_t days = floordiv(us, INT64_C(86400000000));
    int64_t rem = us - days * INT64_C(86400000000);
    int64_t y;
    unsigned m, d;
    em_civil_from_days(days, &y, &m, &d);
    int64_t ms = rem / 1000;
    if (y >= 0 && y <= 9999) { /* the common case, without snprintf */
        unsigned v[7] = {(unsigned)y, m, d, (unsigned)(ms / 3600000), (unsigned)(ms / 60000 % 60),
                         (unsigned)(ms / 1000 % 60), (unsigned)(ms % 1000)};
        static const char sep[] = "--T::.Z";
        static const int width[] = {4, 2, 2, 2, 2, 2, 3};
        size_t n = 0;
        for (int i = 0; i < 7; i++) {
            for (int k = width[i] - 1; k >= 0; k--, v[i] /= 10)
                out[n + (size_t)k] = (char)('0' + v[i] % 10);
            n += (size_t)width[i];
            out[n++] = sep[i];
        }
        out[n] = 0;
        return n;
    }
    int n = snprintf(out, 32, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
                     (int)(ms / 3600000), (int)(ms / 60000 % 60), (int)(ms / 1000 % 60),
                     (int)(ms % 1000));
    return n < 0 ? 0 : (size_t)n;
}

/* Reads exactly w digits. */
static int digits(const char *s, size_t n, size_t *i, int w, int *v)
{
    int x = 0;
    for (int k = 0; k < w; k++) {
        if (*i >= n || !isdigit((unsigned char)s[*i]))
            return -1;
        x = x * 10 + (s[(*i)++] - '0');
    }
    *v = x;
    return 0;
}

int em_ts_parse(const char *s, size_t n, int64_t *us)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, se = 0;
    int64_t frac = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (digits(s, n, &i, 4, &y) || i >= n || s[i++] != '-' || digits(s, n, &i, 2, &mo) ||
        i >= n || s[i++] != '-' || digits(s, n, &i, 2, &d))
        return EM_EPARSE;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return EM_EPARSE;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || digits(s, n, &i, 2, &mi))
            return EM_EPARSE;
        if (i < n && s[i] == ':') {
            i++;
            if (digits(s, n, &i, 2, &se))
                return EM_EPARSE;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                int nd = 0;
                while (i < n && isdigit((unsigned char)s[i])) {
                    if (nd < 6) {
                        frac = frac * 10 + (s[i] - '0');
                        nd++;
                    }
                    i++;
                }
                if (nd == 0)
                    return EM_EPARSE;
                while (nd++ < 6)
                    frac *= 10;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return EM_EPARSE;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
        if (digits(s, n, &i, 2, &oh))
            return EM_EPARSE;
        if (i < n && s[i] == ':')
            i++;
        if (i < n && digits(s, n, &i, 2, &om))
            return EM_EPARSE;
        off = sign * ((int64_t)oh * 3600 + om * 60);
    }
    if (i != n)
        return EM_EPARSE;
    int64_t days = em_days_from_civil(neg ? -y : y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off;
    *us = secs * 1000000 + frac;
    return 0;
}

int em_duration_parse(const char *s, int64_t *us)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return EM_EPARSE;
    while (isspace((unsigned char)*end))
        end++;
    char unit[16] = {0};
    size_t k = 0;
    while (*end && !isspace((unsigned char)*end) && k < sizeof unit - 1)
        unit[k++] = *end++;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return EM_EPARSE;
    static const struct {
        const char *name;
        double mult;
    } units[] = {
        {"", 1e6},        {"us", 1},         {"usec", 1},       {"ms", 1e3},
        {"msec", 1e3},    {"millisecond", 1e3}, {"milliseconds", 1e3}, {"s", 1e6},
        {"sec", 1e6},     {"second", 1e6},   {"seconds", 1e6},  {"m", 60e6},
        {"min", 60e6},    {"minute", 60e6},  {"minutes", 60e6}, {"h", 3600e6},
        {"hour", 3600e6}, {"hours", 3600e6}, {"d", 86400e6},    {"day", 86400e6},
        {"days", 86400e6},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(unit, units[i].name) == 0) {
            double r = v * units[i].mult;
            if (r > 9.2e18)
                return EM_EPARSE;
            *us = (int64_t)llround(r);
            return 0;
        }
    }
    return EM_EPARSE;
}
