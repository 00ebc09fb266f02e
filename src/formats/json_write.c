/*
 * formats/json_write.c - the writer handle, the NDJSON writer and the
 * number formatting shared with csv.c (em__fmt_double).
 *
 * Hot for every JSON sink: doubles and integers are formatted without
 * snprintf where an exact method exists, each field's key text is built
 * once per writer, a row is written in place after one reservation per
 * value, strings are copied a run of plain bytes at a time (scan.h), and
 * each TIMESTAMP field remembers its last text (a window's rows share
 * their window_start and window_end).
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

const double em__pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int em_writer_create(em_writer **out, const char *format, const em_schema *schema, em_errbuf *err)
{
    *out = NULL;
    em__fmt_kind kind;
    if (format && strcasecmp(format, "json") == 0)
        kind = EM__FMT_JSON;
    else if (format && strcasecmp(format, "csv") == 0)
        kind = EM__FMT_CSV;
    else if (format && (!strcasecmp(format, "influx") || !strcasecmp(format, "line_protocol")))
        return em_errf(err, EM_EINVAL,
                       "format '%s' is only read (sources); a sink writes 'json' or 'csv'",
                       format);
    else
        return em_errf(err, EM_EINVAL, "unknown format \"%s\" (use 'json' or 'csv')",
                       format ? format : "(null)");
    em_writer *w = em_calloc(1, sizeof *w);
    if (!w) return em_errf(err, EM_ENOMEM, "out of memory creating %s writer", format);
    w->kind = kind;
    w->schema = schema;
    *out = w;
    return 0;
}

void em_writer_continue(em_writer *w)
{
    w->wrote_header = 1;
}

void em_writer_destroy(em_writer *w)
{
    if (!w) return;
    em_free(w->keys);
    em_free(w->key_off);
    em_free(w->ts_last);
    em_free(w);
}

/* Writes the decimal digits of v to out; returns their count. Two digits
 * per division. */
static size_t put_u64(uint64_t v, char *out)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930"
                                   "31323334353637383940414243444546474849505152535455565758596061"
                                   "62636465666768697071727374757677787980818283848586878889909192"
                                   "93949596979899";
    char d[24];
    size_t n = sizeof d;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        n -= 2;
        memcpy(d + n, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        n -= 2;
        memcpy(d + n, pairs + 2 * v, 2);
    } else {
        d[--n] = (char)('0' + v);
    }
    memcpy(out, d + n, sizeof d - n);
    return sizeof d - n;
}

/* Writes [-]m / 10^k in fixed point, trailing zeros of the fraction
 * dropped (0.000ddd when m has at most k digits); returns the length. */
static size_t put_decimal(int neg, uint64_t um, int k, char *out)
{
    while (k > 0 && um % 10 == 0) {
        um /= 10;
        k--;
    }
    char d[24];
    size_t nd = put_u64(um, d), n = 0, kk = (size_t)k;
    if (neg)
        out[n++] = '-';
    if (kk >= nd) { /* 0.000ddd */
        out[n++] = '0';
        out[n++] = '.';
        for (size_t j = nd; j < kk; j++)
            out[n++] = '0';
        memcpy(out + n, d, nd);
        n += nd;
    } else {
        memcpy(out + n, d, nd - kk);
        n += nd - kk;
        if (kk) {
            out[n++] = '.';
            memcpy(out + n, d + nd - kk, kk);
            n += kk;
        }
    }
    out[n] = 0;
    return n;
}

/* em__fmt_double without snprintf for 1e-4 <= |v| < 1e15 (where %.Ng
 * prints fixed-point for N = 15..17), in exact integer arithmetic:
 * v = M x 2^E with E < 0. For N significant digits (k = N - 1 - e
 * decimals, 10^e <= |v| < 10^(e+1)), m = M x 10^k / 2^-E rounded half to
 * even is the decimal %.Ng prints; it reads back as v exactly when
 * |m x 2^-E - M x 10^k| is within half the gap to v's neighbours (checked
 * doubled, in 128 bits: at most 2^124 in this range). The first N that
 * reads back, with trailing zeros stripped, is em__fmt_double's text.
 * Returns the length, or 0 outside the range. */
static size_t fast_fmt_double(double v, char *out)
{
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    /* a reading like 14.4: m / 10^k for a small k that divides back to a
     * exactly (one correctly rounded division) is a decimal of at most 15
     * digits that reads back as a, hence the one %.15g prints (15-digit
     * decimals are more than four doubles apart, so no other is as near) */
    for (int k = 0; k <= 4; k++) {
        double sc = a * em__pow10_exact[k];
        if (sc >= 1e15)
            break;
        uint64_t m = (uint64_t)(sc + 0.5);
        if ((double)m / em__pow10_exact[k] == a)
            return put_decimal(v < 0, m, k, out);
    }
    /* a = M x 2^-sh from its bits (a normal double here: 1e-4 <= a < 1e15) */
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    uint64_t M = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int sh = 1075 - (int)(bits >> 52); /* sh > 0 */
    int e = 0;          /* 10^e <= a < 10^(e+1) */
    if (a >= 1) {
        while (e < 14 && a >= em__pow10_exact[e + 1])
            e++;
    } else {
        e = -1;
        while (a * em__pow10_exact[-e] < 1)
            e--;
    }
    /* half the gap below v is smaller when M is a power of two */
    int pow2 = M == (UINT64_C(1) << 52);
    static const unsigned __int128 pow10_128[21] = {
        1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000,
        UINT64_C(10000000000), UINT64_C(100000000000), UINT64_C(1000000000000),
        UINT64_C(10000000000000), UINT64_C(100000000000000), UINT64_C(1000000000000000),
        UINT64_C(10000000000000000), UINT64_C(100000000000000000),
        UINT64_C(1000000000000000000), UINT64_C(10000000000000000000),
        (unsigned __int128)UINT64_C(10000000000000000000) * 10};
    for (int digits = 15; digits <= 17; digits++) {
        int k = digits - 1 - e; /* 0 .. 20 */
        unsigned __int128 p10 = pow10_128[k];
        unsigned __int128 x = (unsigned __int128)M * p10; /* a x 10^k = x / 2^sh */
        unsigned __int128 m = x >> sh, rem = x - (m << sh), half = (unsigned __int128)1 << (sh - 1);
        if (rem > half || (rem == half && (m & 1)))
            m++;
        /* |m x 2^sh - x| < 10^k x 2^(sh-1)... doubled: compare 2|m 2^sh - x| with p10 */
        unsigned __int128 ms = m << sh;
        int below = ms < x;
        unsigned __int128 diff2 = (below ? x - ms : ms - x) * 2;
        unsigned __int128 gap = below && pow2 ? p10 / 2 : p10; /* doubled half-gap */
        int exact_gap = below && pow2 ? (p10 % 2 == 0) : 1;
        int ok = diff2 < gap || (diff2 == gap && exact_gap && !(M & 1));
        if (!ok)
            continue;
        return put_decimal(v < 0, (uint64_t)m, k, out);
    }
    return 0;
}

size_t em__fmt_double(double v, char *out)
{
    static const char *const fmts[] = {"%.15g", "%.16g", "%.17g"};
    int len = 0;
    if (isnan(v) || isinf(v)) return 0;
    size_t fast = fast_fmt_double(v, out);
    if (fast) return fast;
    for (int i = 0; i < 3; i++) {
        len = snprintf(out, 32, fmts[i], v);
        if (strtod(out, NULL) == v) break;
    }
    return (size_t)len;
}

/* ---- JSON writer ---- */

static int put_json_string(em_buf *out, const char *s, size_t n)
{
    int rc = em_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char ubuf[8];
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c == '\b')
            esc = "\\b";
        else if (c == '\f')
            esc = "\\f";
        else if (c < 0x20) {
            snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
            esc = ubuf;
        }
        if (!esc) continue;
        if (i > run) rc = em_buf_append(out, s + run, i - run);
        if (!rc) rc = em_buf_puts(out, esc);
        run = i + 1;
    }
    if (!rc && n > run) rc = em_buf_append(out, s + run, n - run);
    if (!rc) rc = em_buf_putc(out, '"');
    return rc;
}

/* The last TIMESTAMP a field wrote and its text. */
struct em__ts_text {
    int64_t v;
    uint8_t len; /* 0: none yet */
    char text[39];
};

/* s[0..n) as a JSON string at d (room for 6n + 2 bytes); returns the
 * length written. */
static size_t put_string_raw(char *d, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char *o = d;
    size_t i = 0;
    *o++ = '"';
    while (i < n) {
        size_t run = em__scan_plain_short(s + i, n - i);
        memcpy(o, s + i, run);
        o += run;
        i += run;
        if (i >= n) break;
        unsigned char c = (unsigned char)s[i++];
        if (c >= 0x80) { /* UTF-8 is written as it is */
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        default:
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
    }
    *o++ = '"';
    return (size_t)(o - d);
}

/* Upper bound of the text of field c's value at row. */
static size_t value_room(const em_column *c, uint32_t row)
{
    if (c->type == EM_TYPE_TEXT && !em_column_is_null(c, row))
        return 6 * (size_t)(c->v.off[row + 1] - c->v.off[row]) + 2;
    return 48;
}

/* Field k's value at row, at d (value_room bytes); returns the length. */
static size_t put_value_raw(em_writer *w, uint32_t k, const em_column *c, uint32_t row, char *d)
{
    size_t len;
    if (em_column_is_null(c, row)) {
        memcpy(d, "null", 4);
        return 4;
    }
    switch (c->type) {
    case EM_TYPE_BOOLEAN:
        memcpy(d, c->v.b[row] ? "true" : "false", 5);
        return c->v.b[row] ? 4 : 5;
    case EM_TYPE_BIGINT:
    case EM_TYPE_INTERVAL: {
        int64_t v = c->v.i64[row];
        len = 0;
        if (v < 0) d[len++] = '-';
        return len + put_u64(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, d + len);
    }
    case EM_TYPE_DOUBLE:
        len = em__fmt_double(c->v.f64[row], d);
        if (len) return len;
        memcpy(d, "null", 4);
        return 4;
    case EM_TYPE_TIMESTAMP: {
        struct em__ts_text *t = &w->ts_last[k];
        int64_t v = c->v.i64[row];
        if (!t->len || t->v != v) {
            char tmp[48];
            len = em_ts_format(v, tmp);
            if (len > sizeof t->text) return put_string_raw(d, tmp, len);
            memcpy(t->text, tmp, len);
            t->len = (uint8_t)len;
            t->v = v;
        }
        d[0] = '"';
        memcpy(d + 1, t->text, t->len);
        d[t->len + 1] = '"';
        return (size_t)t->len + 2;
    }
    case EM_TYPE_TEXT: {
        em_slice t = em_column_text(c, row);
        return put_string_raw(d, t.ptr, t.len);
    }
    default:
        memcpy(d, "null", 4);
        return 4;
    }
}

/* Builds the writer's key texts once: field k's is keys[off[k]..off[k+1]),
 * "{\"name\":" for the first field and ",\"name\":" for the others. */
static int build_keys(em_writer *w)
{
    uint32_t n = w->schema->nfields;
    em_buf kb;
    int rc = 0;
    em_buf_init(&kb, (size_t)1 << 24);
    w->key_off = em_calloc(n + 1, sizeof *w->key_off);
    if (!w->key_off) return EM_ENOMEM;
    for (uint32_t k = 0; k < n && !rc; k++) {
        const char *name = w->schema->fields[k].name;
        w->key_off[k] = (uint32_t)kb.len;
        rc = em_buf_putc(&kb, k ? ',' : '{');
        if (!rc) rc = put_json_string(&kb, name, strlen(name));
        if (!rc) rc = em_buf_putc(&kb, ':');
    }
    w->key_off[n] = (uint32_t)kb.len;
    if (!rc && !kb.ptr) rc = em_buf_putc(&kb, 0);
    if (rc) {
        em_buf_release(&kb);
        em_free(w->key_off);
        w->key_off = NULL;
        return rc;
    }
    w->keys = em_buf_detach(&kb, NULL);
    return 0;
}

int em_writer_write(em_writer *w, const em_batch *b, em_buf *out)
{
    int rc = 0;
    if (w->kind == EM__FMT_CSV) return em__csv_write(w, b, out);
    if (!w->keys && (rc = build_keys(w)) != 0) return rc;
    uint32_t n = em_batch_count(b), nf = w->schema->nfields;
    if (!w->ts_last && !(w->ts_last = em_calloc(nf ? nf : 1, sizeof *w->ts_last)))
        return EM_ENOMEM;
    for (uint32_t i = 0; i < n && !rc; i++) {
        uint32_t row = em_batch_row(b, i);
        if (nf == 0) rc = em_buf_putc(out, '{');
        for (uint32_t k = 0; k < nf && !rc; k++) {
            const em_column *c = &b->cols[k];
            size_t klen = w->key_off[k + 1] - w->key_off[k];
            if ((rc = em_buf_reserve(out, klen + value_room(c, row) + 2)) != 0) break;
            char *d = out->ptr + out->len;
            memcpy(d, w->keys + w->key_off[k], klen);
            out->len += klen + put_value_raw(w, k, c, row, d + klen);
        }
        if (!rc) rc = em_buf_append(out, "}\n", 2);
    }
    if (out->ptr) out->ptr[out->len] = 0;
    return rc;
}
