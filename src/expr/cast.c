/*
 * expr/cast.c - CAST between all types. Failed conversions (unparsable
 * TEXT, out-of-range DOUBLE->BIGINT) give NULL rather than an error, so one
 * bad record cannot stop a stream. BIGINT <-> TIMESTAMP/INTERVAL converts
 * microseconds; TEXT -> INTERVAL accepts em_duration_parse syntax.
 */
#include "core/clock.h"
#include "ember/error.h"
#include "expr/expr_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t fmt_value(const em_column *x, uint32_t r, char *buf, size_t cap)
{
    switch (x->type) {
    case EM_TYPE_BOOLEAN: return (size_t)snprintf(buf, cap, "%s", x->v.b[r] ? "true" : "false");
    case EM_TYPE_BIGINT: return (size_t)snprintf(buf, cap, "%lld", (long long)x->v.i64[r]);
    case EM_TYPE_DOUBLE: {
        double d = x->v.f64[r];
        if (isnan(d))
            return (size_t)snprintf(buf, cap, "NaN");
        if (isinf(d))
            return (size_t)snprintf(buf, cap, "%sInfinity", d < 0 ? "-" : "");
        /* shortest of %.15g/%.17g that round-trips */
        int n = snprintf(buf, cap, "%.15g", d);
        if (strtod(buf, NULL) != d)
            n = snprintf(buf, cap, "%.17g", d);
        return (size_t)n;
    }
    case EM_TYPE_TIMESTAMP: return em_ts_format(x->v.i64[r], buf);
    case EM_TYPE_INTERVAL: {
        int64_t us = x->v.i64[r];
        uint64_t u = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;
        uint64_t s = u / 1000000, f = u % 1000000;
        int n = snprintf(buf, cap, "%s%02llu:%02llu:%02llu", us < 0 ? "-" : "",
                         (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60),
                         (unsigned long long)(s % 60));
        if (f)
            n += snprintf(buf + n, cap - (size_t)n, ".%06llu", (unsigned long long)f);
        return (size_t)n;
    }
    default: return 0;
    }
}

/* Parses a trimmed TEXT value into a value of type to; 0 ok, -1 fail. */
static int parse_value(em_slice s, em_type to, em_column *out, uint32_t r)
{
    char buf[128];
    s = em_slice_trim(s);
    if (s.len == 0 || s.len >= sizeof buf)
        return -1;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = 0;
    char *end;
    switch (to) {
    case EM_TYPE_BIGINT: {
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno || *end)
            return -1;
        out->v.i64[r] = v;
        return 0;
    }
    case EM_TYPE_DOUBLE: {
        double v = strtod(buf, &end);
        if (*end || end == buf)
            return -1;
        out->v.f64[r] = v;
        return 0;
    }
    case EM_TYPE_BOOLEAN: {
        static const char *const t[] = {"true", "t", "yes", "y", "on", "1"};
        static const char *const f[] = {"false", "f", "no", "n", "off", "0"};
        for (int i = 0; i < 6; i++) {
            if (em_slice_eq_cstr_ci(s, t[i])) {
                out->v.b[r] = 1;
                return 0;
            }
            if (em_slice_eq_cstr_ci(s, f[i])) {
                out->v.b[r] = 0;
                return 0;
            }
        }
        return -1;
    }
    case EM_TYPE_TIMESTAMP: return em_ts_parse(s.ptr, s.len, &out->v.i64[r]) ? -1 : 0;
    case EM_TYPE_INTERVAL: return em_duration_parse(buf, &out->v.i64[r]) ? -1 : 0;
    default: return -1;
    }
}

int em__cast_column(em_eval_ctx *cx, const em_column *x, const em_batch *in, em_type to,
                    em_column *out)
{
    em_type from = x->type;
    if (from == to) {
        *out = *x;
        return 0;
    }
    int rc = em__out_alloc(cx, in, to, to == EM_TYPE_TEXT ? in->nrows * 24u : 0, out);
    if (rc)
        return rc;
    em_text_out t;
    if (to == EM_TYPE_TEXT)
        em__text_begin(&t, out);
    EM__FOREACH_ROW(in, k, r) {
        int bad = from == EM_TYPE_NULL || em_column_is_null(x, r);
        if (!bad) {
            switch (to) {
            case EM_TYPE_TEXT: {
                char buf[64];
                size_t n = fmt_value(x, r, buf, sizeof buf);
                if ((rc = em__text_put(cx, &t, r, buf, n)) != 0)
                    return rc;
                continue;
            }
            case EM_TYPE_BOOLEAN:
                if (from == EM_TYPE_TEXT)
                    bad = parse_value(em_column_text(x, r), to, out, r) != 0;
                else if (from == EM_TYPE_DOUBLE)
                    out->v.b[r] = x->v.f64[r] != 0.0;
                else
                    out->v.b[r] = x->v.i64[r] != 0;
                break;
            case EM_TYPE_DOUBLE:
                if (from == EM_TYPE_TEXT)
                    bad = parse_value(em_column_text(x, r), to, out, r) != 0;
                else if (from == EM_TYPE_BOOLEAN)
                    out->v.f64[r] = x->v.b[r];
                else
                    out->v.f64[r] = (double)x->v.i64[r];
                break;
            default: /* BIGINT, TIMESTAMP, INTERVAL */
                if (from == EM_TYPE_TEXT) {
                    bad = parse_value(em_column_text(x, r), to, out, r) != 0;
                } else if (from == EM_TYPE_BOOLEAN) {
                    out->v.i64[r] = x->v.b[r];
                } else if (from == EM_TYPE_DOUBLE) {
                    double d = rint(x->v.f64[r]); /* PostgreSQL rounds half to even */
                    bad = !(d >= -9223372036854775808.0 && d < 9223372036854775808.0);
                    if (!bad)
                        out->v.i64[r] = (int64_t)d;
                } else {
                    out->v.i64[r] = x->v.i64[r];
                }
                break;
            }
        }
        if (bad) {
            rc = to == EM_TYPE_TEXT ? em__text_null(cx, &t, r) : em__set_null(cx, out, r);
            if (rc)
                return rc;
        }
    }
    if (to == EM_TYPE_TEXT)
        em__text_finish(&t);
    return 0;
}
