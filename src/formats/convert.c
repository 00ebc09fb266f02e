/*
 * formats/convert.c - the value conversions shared by the JSON and CSV
 * readers: number tokens (one-pass fast path of scan.h, else strtod), text
 * to a column's type, ISO-8601 timestamps of the usual shape, UTF-8
 * sequences, and the bad-record messages that name the field or column.
 */
#include "formats/format.h"
#include "formats/scan.h"

#include "core/clock.h"
#include "ember/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t em__utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
        if (c == 0xED && s[1] > 0x9F) return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] > 0x8F) return 0;
        return 4;
    }
    return 0;
}

/* "field \"pm25\"" (JSON) or "column 3 (\"pm25\")" (CSV), for messages. */
static const char *label(const em_reader *r, uint32_t col, char *buf, size_t cap)
{
    if (r->kind == EM__FMT_CSV)
        snprintf(buf, cap, "column %u (\"%s\")", col + 1, r->schema->fields[col].name);
    else
        snprintf(buf, cap, "field \"%s\"", r->schema->fields[col].name);
    return buf;
}

int em__fmt_bad_type(em_reader *r, uint32_t col, const char *got, size_t pos, em_errbuf *err)
{
    char lb[160];
    return em_errf(err, EM_EPARSE, "%s: expected %s, got %s at byte %zu",
                   label(r, col, lb, sizeof lb), em_type_name(r->schema->fields[col].type), got,
                   pos);
}

/* Length of a JSON number at p (grammar -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?),
 * 0 if there is none. *is_int is set when it has no fraction or exponent. */
size_t em__fmt_scan_number(const char *p, size_t n, int *is_int)
{
    size_t i = 0;
    *is_int = 1;
    if (i < n && p[i] == '-') i++;
    if (i >= n || p[i] < '0' || p[i] > '9') return 0;
    if (p[i] == '0')
        i++;
    else
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    if (i < n && p[i] == '.') {
        *is_int = 0;
        i++;
        if (i >= n || p[i] < '0' || p[i] > '9') return 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        *is_int = 0;
        i++;
        if (i < n && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= n || p[i] < '0' || p[i] > '9') return 0;
        while (i < n && p[i] >= '0' && p[i] <= '9')
            i++;
    }
    return i;
}

/* Integer digits (optional '-') to int64; 0 or -1 on overflow. */
static int parse_i64(const char *p, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0, lim;
    if (i < n && p[i] == '-') {
        neg = 1;
        i++;
    }
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v)) return -1;
    }
    if (v > lim) return -1;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* strtod on a NUL-terminated copy of a validated number token (tokens of
 * 64+ bytes are rare and copied to the heap). Returns 0 or EM_ENOMEM. */
static int to_double(const char *p, size_t n, double *out)
{
    char small[64];
    char *tmp = small;
    if (n >= sizeof small) {
        tmp = em_malloc(n + 1);
        if (!tmp) return EM_ENOMEM;
    }
    memcpy(tmp, p, n);
    tmp[n] = 0;
    *out = strtod(tmp, NULL);
    if (tmp != small) em_free(tmp);
    return 0;
}

/* A validated number token as a double: the exact fast path of scan.h,
 * else strtod. Returns 0 or EM_ENOMEM. */
static int number_f64(const char *p, size_t n, double *out)
{
    em__number sc;
    if (em__scan_number(p, n, &sc) == n && em__number_f64(&sc, out) == 0)
        return 0;
    return to_double(p, n, out);
}

/* Stores a number token (already validated by scan_number) into col. */
int em__fmt_set_number(em_reader *r, em_batch_builder *bb, uint32_t col, const char *p, size_t n,
                      int is_int, size_t pos, em_errbuf *err)
{
    char lb[160];
    em_type t = r->schema->fields[col].type;
    int64_t iv;
    double dv;
    switch (t) {
    case EM_TYPE_BIGINT:
        if (is_int) {
            if (parse_i64(p, n, &iv) != 0)
                return em_errf(err, EM_EPARSE, "%s: BIGINT out of range at byte %zu",
                               label(r, col, lb, sizeof lb), pos);
        } else {
            if (to_double(p, n, &dv) != 0) return EM_ENOMEM;
            if (dv != floor(dv) || !(dv >= -9223372036854775808.0 && dv < 9223372036854775808.0))
                return em__fmt_bad_type(r, col, "non-integral number", pos, err);
            iv = (int64_t)dv;
        }
        em_batch_builder_set_i64(bb, col, iv);
        return 0;
    case EM_TYPE_DOUBLE:
        if (number_f64(p, n, &dv) != 0) return EM_ENOMEM;
        em_batch_builder_set_f64(bb, col, dv);
        return 0;
    case EM_TYPE_TEXT:
        return em_batch_builder_set_text(bb, col, p, n);
    case EM_TYPE_TIMESTAMP:
        if (is_int && parse_i64(p, n, &iv) == 0 && !__builtin_mul_overflow(iv, r->ts_mul, &iv)) {
            em_batch_builder_set_i64(bb, col, iv);
            return 0;
        }
        if (to_double(p, n, &dv) != 0) return EM_ENOMEM;
        dv *= (double)r->ts_mul;
        if (!(dv >= -9.2e18 && dv <= 9.2e18))
            return em_errf(err, EM_EPARSE, "%s: TIMESTAMP out of range at byte %zu",
                           label(r, col, lb, sizeof lb), pos);
        em_batch_builder_set_i64(bb, col, (int64_t)llround(dv));
        return 0;
    default:
        return em__fmt_bad_type(r, col, "number", pos, err);
    }
}


int em__fmt_set_text(em_reader *r, em_batch_builder *bb, uint32_t col, const char *s, size_t n,
                     size_t pos, em_errbuf *err)
{
    char lb[160];
    em_type t = r->schema->fields[col].type;
    int csv = r->kind == EM__FMT_CSV;
    int is_int;
    if (t == EM_TYPE_TEXT) return em_batch_builder_set_text(bb, col, s, n);
    /* CSV fields are text for every type: trim blanks around the value
     * (no call when it has none at either end, the usual case) */
    em_slice v = em_slice_of(s, n);
    if (csv && n && ((unsigned char)s[0] <= ' ' || (unsigned char)s[n - 1] <= ' '))
        v = em_slice_trim(v);
    size_t vpos = pos + (size_t)(v.ptr - s);
    if (csv && t != EM_TYPE_BOOLEAN && v.len) { /* a plain number, one pass */
        em__number sc;
        double dv;
        int64_t iv;
        if (em__scan_number(v.ptr, v.len, &sc) == v.len) {
            if (t == EM_TYPE_DOUBLE && em__number_f64(&sc, &dv) == 0) {
                em_batch_builder_set_f64(bb, col, dv);
                return 0;
            }
            if ((t == EM_TYPE_BIGINT || t == EM_TYPE_TIMESTAMP) && em__number_i64(&sc, &iv) == 0 &&
                (t == EM_TYPE_BIGINT || !__builtin_mul_overflow(iv, r->ts_mul, &iv))) {
                em_batch_builder_set_i64(bb, col, iv);
                return 0;
            }
        }
    }
    if (t == EM_TYPE_TIMESTAMP) {
        int64_t us;
        if (em__fmt_iso_ts(r, v.ptr, v.len, &us) == 0) {
            em_batch_builder_set_i64(bb, col, us);
            return 0;
        }
        if (csv && v.len && em__fmt_scan_number(v.ptr, v.len, &is_int) == v.len)
            return em__fmt_set_number(r, bb, col, v.ptr, v.len, is_int, vpos, err);
        if (em_ts_parse(v.ptr, v.len, &us) != 0)
            return em_errf(err, EM_EPARSE,
                           "%s: invalid timestamp \"%.*s\" at byte %zu (expected ISO-8601 "
                           "like 2024-05-01T12:00:00Z%s)",
                           label(r, col, lb, sizeof lb), (int)(v.len > 64 ? 64 : v.len), v.ptr,
                           vpos, csv ? " or a number" : "");
        em_batch_builder_set_i64(bb, col, us);
        return 0;
    }
    if (!csv) return em__fmt_bad_type(r, col, "string", pos, err);
    if (t == EM_TYPE_BOOLEAN) {
        if (v.len == 4 && strncasecmp(v.ptr, "true", 4) == 0)
            em_batch_builder_set_bool(bb, col, true);
        else if (v.len == 5 && strncasecmp(v.ptr, "false", 5) == 0)
            em_batch_builder_set_bool(bb, col, false);
        else
            return em_errf(
                err, EM_EPARSE, "%s: expected BOOLEAN (true/false), got \"%.*s\" at byte %zu",
                label(r, col, lb, sizeof lb), (int)(v.len > 64 ? 64 : v.len), v.ptr, vpos);
        return 0;
    }
    if (v.len && em__fmt_scan_number(v.ptr, v.len, &is_int) == v.len)
        return em__fmt_set_number(r, bb, col, v.ptr, v.len, is_int, vpos, err);
    return em_errf(err, EM_EPARSE, "%s: expected %s, got \"%.*s\" at byte %zu",
                   label(r, col, lb, sizeof lb), em_type_name(t), (int)(v.len > 64 ? 64 : v.len),
                   v.ptr, vpos);
}

/* The seconds and fraction of "...:SS[.f...]Z" from byte 16 on (n >= 20,
 * p[n - 1] == 'Z'): 0 and *us = seconds and fraction in microseconds, or
 * -1. */
static int iso_seconds(const char *p, size_t n, int64_t *us)
{
    unsigned s1 = (unsigned)(p[17] - '0'), s2 = (unsigned)(p[18] - '0');
    if (p[16] != ':' || s1 > 9 || s2 > 9) return -1;
    unsigned se = s1 * 10 + s2;
    if (se > 60) return -1;
    int64_t frac = 0;
    size_t i = 19;
    if (n == 24 && p[19] == '.') { /* milliseconds, the usual case */
        unsigned a = (unsigned)(p[20] - '0'), b = (unsigned)(p[21] - '0'), c = (unsigned)(p[22] - '0');
        if (a > 9 || b > 9 || c > 9) return -1;
        frac = (int64_t)(a * 100 + b * 10 + c) * 1000;
    } else if (i < n - 1) {
        if (p[i] != '.') return -1;
        int nd = 0;
        for (i++; i < n - 1; i++) {
            unsigned d = (unsigned)(p[i] - '0');
            if (d > 9) return -1;
            if (nd < 6) {
                frac = frac * 10 + d;
                nd++;
            }
        }
        if (nd == 0) return -1;
        while (nd++ < 6)
            frac *= 10;
    }
    *us = (int64_t)se * EM_USEC_PER_SEC + frac;
    return 0;
}

/* The common timestamp shape "YYYY-MM-DDTHH:MM:SS[.f...]Z" without
 * em_ts_parse's generality. Consecutive records share their date and
 * usually their minute: the last "YYYY-MM-DDTHH:MM" read and its time are
 * cached, and the date's day number too. Returns 0 and *us, or -1 for any
 * other shape (em_ts_parse then decides). */
int em__fmt_iso_ts(em_reader *r, const char *p, size_t n, int64_t *us)
{
    int64_t sec;
    if (n < 20 || p[n - 1] != 'Z') return -1;
    if (r->ts_min_ok && em__load_le64(p) == r->ts_min[0] && em__load_le64(p + 8) == r->ts_min[1]) {
        if (iso_seconds(p, n, &sec)) return -1;
        *us = r->ts_min_us + sec;
        return 0;
    }
    if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':')
        return -1;
    int64_t days;
    if (r->ts_date_ok && em__load_le64(p) == em__load_le64(r->ts_date) && p[8] == r->ts_date[8] &&
        p[9] == r->ts_date[9]) {
        days = r->ts_days;
    } else {
        int64_t d0;
        char tmp[11];
        memcpy(tmp, p, 10);
        tmp[10] = 0;
        if (em_ts_parse(tmp, 10, &d0) != 0) return -1;
        days = d0 / (INT64_C(86400) * EM_USEC_PER_SEC);
        memcpy(r->ts_date, p, 10);
        r->ts_days = days;
        r->ts_date_ok = 1;
    }
    /* "HH:MM:SS" in one word: digits xor '0' must be 0-9, the colons xor
     * ':' must be 0 (bytes 2 and 5) */
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0);
    uint64_t x = em__load_le64(p + 11) ^ UINT64_C(0x30303A30303A3030);
    if ((x & UINT64_C(0x0000FF0000FF0000)) || (x & hi) || ((x + UINT64_C(0x0606060606060606)) & hi))
        return -1;
#define TS_BYTE(k) ((int)((x >> (8 * (k))) & 0xF))
    int h = TS_BYTE(0) * 10 + TS_BYTE(1), mi = TS_BYTE(3) * 10 + TS_BYTE(4);
#undef TS_BYTE
    if (h > 23 || mi > 59 || iso_seconds(p, n, &sec)) return -1;
    r->ts_min[0] = em__load_le64(p);
    r->ts_min[1] = em__load_le64(p + 8);
    r->ts_min_us = (days * 86400 + h * 3600 + mi * 60) * EM_USEC_PER_SEC;
    r->ts_min_ok = 1;
    *us = r->ts_min_us + sec;
    return 0;
}
