/*
 * expr/func_scalar.c - scalar functions: math (abs round floor ceil sqrt exp
 * ln log10 power), conditional (least greatest coalesce nullif), text (lower
 * upper length substr trim concat) and time (date_trunc extract to_timestamp
 * now). Results that PostgreSQL would reject at run time (sqrt/ln of a
 * negative, out-of-range values) are NULL here.
 */
#include "core/clock.h"
#include "ember/error.h"
#include "expr/expr_int.h"

#include <math.h>
#include <string.h>

int em__cmp_rows(const em_column *a, uint32_t ra, const em_column *b, uint32_t rb);

/* ---- math ---- */

#define UNARY_D(name, EXPR, BAD)                                                                   \
    static int name(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,          \
                    em_column *out)                                                                \
    {                                                                                              \
        int rc = em__out_alloc(cx, in, EM_TYPE_DOUBLE, 0, out);                                    \
        if (rc)                                                                                    \
            return rc;                                                                             \
        EM__FOREACH_ROW(in, k, r) {                                                                \
            double x = a[0].v.f64[r], y = na > 1 ? (double)a[1].v.f64[r] : 0.0;                    \
            (void)y;                                                                               \
            if (em__anynull(a, na, r) || (BAD)) {                                                  \
                if ((rc = em__set_null(cx, out, r)) != 0)                                          \
                    return rc;                                                                     \
            } else {                                                                               \
                out->v.f64[r] = (EXPR);                                                            \
            }                                                                                      \
        }                                                                                          \
        return 0;                                                                                  \
    }

UNARY_D(floor_k, floor(x), 0)
UNARY_D(ceil_k, ceil(x), 0)
UNARY_D(sqrt_k, sqrt(x), x < 0)
UNARY_D(exp_k, exp(x), 0)
UNARY_D(ln_k, log(x), x <= 0)
UNARY_D(log10_k, log10(x), x <= 0)
UNARY_D(round_k, round(x), 0)
UNARY_D(power_k, pow(x, y), isnan(pow(x, y)) && !isnan(x) && !isnan(y))

static int round2_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                    em_column *out)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_DOUBLE, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        if (em__anynull(a, na, r)) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
            continue;
        }
        int64_t n = a[1].v.i64[r];
        double x = a[0].v.f64[r];
        if (n > 300 || n < -300) {
            out->v.f64[r] = n > 0 ? x : 0.0;
        } else {
            double p = pow(10.0, (double)n);
            out->v.f64[r] = round(x * p) / p;
        }
    }
    return 0;
}

static int abs_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                 em_column *out)
{
    int rc = em__out_alloc(cx, in, out->type, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        if (em__anynull(a, na, r) ||
            (out->type == EM_TYPE_BIGINT && a[0].v.i64[r] == INT64_MIN)) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
        } else if (out->type == EM_TYPE_DOUBLE) {
            out->v.f64[r] = fabs(a[0].v.f64[r]);
        } else if (out->type == EM_TYPE_BIGINT) {
            out->v.i64[r] = a[0].v.i64[r] < 0 ? -a[0].v.i64[r] : a[0].v.i64[r];
        }
    }
    return 0;
}

/* ---- conditional (generic over the unified type) ---- */

static int copy_row(em_eval_ctx *cx, const em_column *src, uint32_t r, em_column *out,
                    em_text_out *t)
{
    if (!src || src->type == EM_TYPE_NULL || em_column_is_null(src, r))
        return out->type == EM_TYPE_TEXT ? em__text_null(cx, t, r) : em__set_null(cx, out, r);
    if (out->type == EM_TYPE_TEXT) {
        em_slice s = em_column_text(src, r);
        return em__text_put(cx, t, r, s.ptr, s.len);
    }
    size_t w = em_type_width(out->type);
    memcpy((char *)out->v.ptr + w * r, (const char *)src->v.ptr + w * r, w);
    return 0;
}

/* mode: 0 coalesce, 1 least, 2 greatest, 3 nullif */
static int pick_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                  em_column *out, int mode)
{
    uint32_t cap = 0;
    em_type t = out->type;
    if (t == EM_TYPE_TEXT)
        for (uint32_t i = 0; i < na; i++)
            cap += a[i].data_len;
    int rc = em__out_alloc(cx, in, t, cap, out);
    if (rc)
        return rc;
    em_text_out to;
    if (t == EM_TYPE_TEXT)
        em__text_begin(&to, out);
    EM__FOREACH_ROW(in, k, r) {
        const em_column *best = NULL;
        if (mode == 3) {
            best = &a[0];
            if (t != EM_TYPE_NULL && !em__anynull(a, 2, r) && em__cmp_rows(&a[0], r, &a[1], r) == 0)
                best = NULL;
        } else if (t != EM_TYPE_NULL) {
            for (uint32_t i = 0; i < na; i++) {
                if (em_column_is_null(&a[i], r))
                    continue;
                if (!best) {
                    best = &a[i];
                    if (mode == 0)
                        break;
                } else {
                    int c = em__cmp_rows(&a[i], r, best, r);
                    if ((mode == 1 && c < 0) || (mode == 2 && c > 0))
                        best = &a[i];
                }
            }
        }
        if ((rc = copy_row(cx, best, r, out, &to)) != 0)
            return rc;
    }
    if (t == EM_TYPE_TEXT)
        em__text_finish(&to);
    return 0;
}

#define PICK(name, mode)                                                                           \
    static int name(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,          \
                    em_column *out)                                                                \
    {                                                                                              \
        return pick_k(cx, a, na, in, out, mode);                                                   \
    }
PICK(coalesce_k, 0)
PICK(least_k, 1)
PICK(greatest_k, 2)
PICK(nullif_k, 3)

/* ---- text ---- */

/* Byte offset of the i-th (0-based) UTF-8 code point, clamped to len. */
static size_t utf8_skip(const char *p, size_t len, int64_t chars)
{
    size_t i = 0;
    while (i < len && chars > 0) {
        i++;
        while (i < len && ((unsigned char)p[i] & 0xC0) == 0x80)
            i++;
        chars--;
    }
    return i;
}

static int64_t utf8_len(const char *p, size_t len)
{
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)p[i] & 0xC0) != 0x80;
    return n;
}

/* op: 0 lower, 1 upper, 2 trim, 3 substr */
static int text_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                  em_column *out, int op)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_TEXT, a[0].data_len, out);
    if (rc)
        return rc;
    em_text_out t;
    em__text_begin(&t, out);
    EM__FOREACH_ROW(in, k, r) {
        if (em__anynull(a, na, r)) {
            if ((rc = em__text_null(cx, &t, r)) != 0)
                return rc;
            continue;
        }
        em_slice s = em_column_text(&a[0], r);
        if (op == 2) {
            s = em_slice_trim(s);
        } else if (op == 3) {
            /* PostgreSQL: characters [start, start+len) intersected with [1, n] */
            int64_t start = a[1].v.i64[r], end = INT64_MAX;
            if (na > 2) {
                int64_t l = a[2].v.i64[r];
                if (l < 0 || __builtin_add_overflow(start, l, &end)) {
                    if (l < 0) {
                        if ((rc = em__text_null(cx, &t, r)) != 0)
                            return rc;
                        continue;
                    }
                    end = INT64_MAX;
                }
            }
            if (start < 1)
                start = 1;
            size_t b0 = utf8_skip(s.ptr, s.len, start - 1);
            size_t b1 = end <= start ? b0 : b0 + utf8_skip(s.ptr + b0, s.len - b0, end - start);
            s = em_slice_of(s.ptr + b0, b1 - b0);
        }
        if ((rc = em__text_put(cx, &t, r, s.ptr, s.len)) != 0)
            return rc;
        if (op < 2) {
            char *d = out->data + out->v.off[r];
            for (size_t i = 0; i < s.len; i++) {
                char c = d[i];
                if (op == 0 && c >= 'A' && c <= 'Z')
                    d[i] = (char)(c + 32);
                else if (op == 1 && c >= 'a' && c <= 'z')
                    d[i] = (char)(c - 32);
            }
        }
    }
    em__text_finish(&t);
    return 0;
}

#define TEXTF(name, op)                                                                            \
    static int name(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,          \
                    em_column *out)                                                                \
    {                                                                                              \
        return text_k(cx, a, na, in, out, op);                                                     \
    }
TEXTF(lower_k, 0)
TEXTF(upper_k, 1)
TEXTF(trim_k, 2)
TEXTF(substr_k, 3)

static int length_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                    em_column *out)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_BIGINT, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        if (em__anynull(a, na, r)) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
        } else {
            em_slice s = em_column_text(&a[0], r);
            out->v.i64[r] = utf8_len(s.ptr, s.len);
        }
    }
    return 0;
}

/* concat: NULL arguments are skipped (PostgreSQL). */
static int concat_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                    em_column *out)
{
    uint32_t cap = 0;
    for (uint32_t i = 0; i < na; i++)
        cap += a[i].type == EM_TYPE_TEXT ? a[i].data_len : 0;
    int rc = em__out_alloc(cx, in, EM_TYPE_TEXT, cap, out);
    if (rc)
        return rc;
    em_text_out t;
    em__text_begin(&t, out);
    EM__FOREACH_ROW(in, k, r) {
        if ((rc = em__text_put(cx, &t, r, "", 0)) != 0)
            return rc;
        for (uint32_t i = 0; i < na; i++) {
            if (a[i].type != EM_TYPE_TEXT || em_column_is_null(&a[i], r))
                continue;
            em_slice s = em_column_text(&a[i], r);
            if ((rc = em__text_append(cx, &t, r, s.ptr, s.len)) != 0)
                return rc;
        }
    }
    em__text_finish(&t);
    return 0;
}

/* ---- time ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0)) ? q - 1 : q;
}

/* 0 minute, 1 hour, 2 day, -1 unknown */
static int trunc_unit(em_slice f)
{
    if (em_slice_eq_cstr_ci(f, "minute"))
        return 0;
    if (em_slice_eq_cstr_ci(f, "hour"))
        return 1;
    if (em_slice_eq_cstr_ci(f, "day"))
        return 2;
    return -1;
}

static int date_trunc_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                        em_column *out)
{
    static const int64_t unit[] = {60 * EM_USEC_PER_SEC, 3600 * EM_USEC_PER_SEC,
                                   86400 * EM_USEC_PER_SEC};
    int rc = em__out_alloc(cx, in, EM_TYPE_TIMESTAMP, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        int u = em__anynull(a, na, r) ? -1 : trunc_unit(em_column_text(&a[0], r));
        if (u < 0) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
        } else {
            out->v.i64[r] = floor_div(a[1].v.i64[r], unit[u]) * unit[u];
        }
    }
    return 0;
}

int em__extract_field(em_slice f)
{
    static const char *const names[] = {"epoch", "year", "month", "day", "hour", "minute", "second"};
    for (int i = 0; i < 7; i++)
        if (em_slice_eq_cstr_ci(f, names[i]))
            return i;
    return -1;
}

static int extract_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                     em_column *out)
{
    int rc = em__out_alloc(cx, in, out->type, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        int f = em__anynull(a, na, r) ? -1 : em__extract_field(em_column_text(&a[0], r));
        int want_d = f == 0 || f == 6;
        if (f < 0 || want_d != (out->type == EM_TYPE_DOUBLE)) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
            continue;
        }
        int64_t us = a[1].v.i64[r];
        int64_t day_us = 86400 * EM_USEC_PER_SEC;
        int64_t days = floor_div(us, day_us), tod = us - days * day_us;
        int64_t y;
        unsigned m, d;
        em_civil_from_days(days, &y, &m, &d);
        switch (f) {
        case 0: out->v.f64[r] = (double)us / 1e6; break;
        case 1: out->v.i64[r] = y; break;
        case 2: out->v.i64[r] = m; break;
        case 3: out->v.i64[r] = d; break;
        case 4: out->v.i64[r] = tod / (3600 * EM_USEC_PER_SEC); break;
        case 5: out->v.i64[r] = tod / (60 * EM_USEC_PER_SEC) % 60; break;
        default: out->v.f64[r] = (double)(tod % (60 * EM_USEC_PER_SEC)) / 1e6; break;
        }
    }
    return 0;
}

static int to_timestamp_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                          em_column *out)
{
    int rc = em__out_alloc(cx, in, EM_TYPE_TIMESTAMP, 0, out);
    if (rc)
        return rc;
    EM__FOREACH_ROW(in, k, r) {
        double us = em__anynull(a, na, r) ? NAN : rint(a[0].v.f64[r] * 1e6);
        if (!(us >= -9.2e18 && us <= 9.2e18)) {
            if ((rc = em__set_null(cx, out, r)) != 0)
                return rc;
        } else {
            out->v.i64[r] = (int64_t)us;
        }
    }
    return 0;
}

static int now_k(em_eval_ctx *cx, const em_column *a, uint32_t na, const em_batch *in,
                 em_column *out)
{
    (void)a;
    (void)na;
    int rc = em__out_alloc(cx, in, EM_TYPE_TIMESTAMP, 0, out);
    if (rc)
        return rc;
    for (uint32_t r = 0; r < in->nrows; r++)
        out->v.i64[r] = cx->now_us;
    return 0;
}

#define B EM_TYPE_BOOLEAN
#define I EM_TYPE_BIGINT
#define D EM_TYPE_DOUBLE
#define S EM_TYPE_TEXT
#define TS EM_TYPE_TIMESTAMP
#define ANY EM__T_ANY
#define NUM EM__T_NUM

const em_func_def em__funcs_scalar[] = {
    {"abs", 1, 1, {NUM}, ANY, abs_k},
    {"round", 1, 1, {D}, D, round_k},
    {"round", 2, 2, {D, I}, D, round2_k},
    {"floor", 1, 1, {D}, D, floor_k},
    {"ceil", 1, 1, {D}, D, ceil_k},
    {"ceiling", 1, 1, {D}, D, ceil_k},
    {"sqrt", 1, 1, {D}, D, sqrt_k},
    {"exp", 1, 1, {D}, D, exp_k},
    {"ln", 1, 1, {D}, D, ln_k},
    {"log10", 1, 1, {D}, D, log10_k},
    {"power", 2, 2, {D, D}, D, power_k},
    {"pow", 2, 2, {D, D}, D, power_k},
    {"least", 1, 255, {ANY, ANY, ANY}, ANY, least_k},
    {"greatest", 1, 255, {ANY, ANY, ANY}, ANY, greatest_k},
    {"coalesce", 1, 255, {ANY, ANY, ANY}, ANY, coalesce_k},
    {"nullif", 2, 2, {ANY, ANY}, ANY, nullif_k},
    {"lower", 1, 1, {S}, S, lower_k},
    {"upper", 1, 1, {S}, S, upper_k},
    {"length", 1, 1, {S}, I, length_k},
    {"substr", 2, 3, {S, I, I}, S, substr_k},
    {"substring", 2, 3, {S, I, I}, S, substr_k},
    {"trim", 1, 1, {S}, S, trim_k},
    {"concat", 1, 255, {S, S, S}, S, concat_k},
    {"date_trunc", 2, 2, {S, TS}, TS, date_trunc_k},
    {"extract", 2, 2, {S, TS}, I, extract_k},
    {"extract", 2, 2, {S, TS}, D, extract_k}, /* epoch, second: chosen by bind */
    {"to_timestamp", 1, 1, {D}, TS, to_timestamp_k},
    {"now", 0, 0, {0}, TS, now_k},
    {NULL, 0, 0, {0}, 0, NULL},
};
