/*
 * formats/lineproto.c - InfluxDB line protocol reader (format "influx",
 * alias "line_protocol").
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * One line is one record, parsed straight into the schema's columns: tags
 * and fields go to the columns of the same name (case-insensitive, like the
 * JSON reader), the measurement to a column named `measurement`, and the
 * line's timestamp (nanoseconds unless timestamp_unit says otherwise) to
 * the first TIMESTAMP column in schema order that no tag or field of the
 * line has set. Unknown tags and fields are validated and ignored; the
 * first value for a column wins (tags come before fields).
 *
 * Escapes follow the v2 reference: in measurements "\," and "\ ", in tag
 * keys, tag values and field keys also "\=", in string field values "\""
 * and "\\"; two backslashes are one backslash everywhere, and a backslash
 * before any other character is itself. Names and strings must be valid
 * UTF-8. A string cannot hold a raw newline, since input arrives one line
 * at a time.
 *
 * Hot path (ember bench format_lineproto): the k-th key of a line is
 * compared in place with the key seen at position k last time (the JSON
 * reader's slots), plain floats are converted in the scanning pass
 * (Clinger's fast path), and nothing allocates per record.
 */
#include "formats/format.h"

#include "core/clock.h"
#include "ember/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SCRATCH_MAX ((size_t)1 << 26)

struct em__lp {
    int meas_col; /* the `measurement` column, or -1 */
    uint32_t nts; /* TIMESTAMP columns, in schema order */
    uint32_t *ts_cols;
    int64_t unit_ns; /* nanoseconds per numeric timestamp unit */
    int had_ts;      /* the last line parsed had a timestamp */
};

/* Character classes of the scanner: what ends or interrupts a name. */
enum { C_COMMA = 1, C_SPACE = 2, C_EQ = 4, C_BSLASH = 8, C_HIGH = 16, C_QUOTE = 32 };

static const unsigned char cls[256] = {
    [','] = C_COMMA,   [' '] = C_SPACE, ['='] = C_EQ,
    ['\\'] = C_BSLASH, ['"'] = C_QUOTE, [0x80 ... 0xFF] = C_HIGH,
};

/* What a name may hold unescaped, and what a backslash escapes in it. */
typedef enum name_kind { N_MEAS, N_KEY, N_TAGVAL } name_kind;

typedef struct lp {
    em_reader *r;
    em_batch_builder *bb;
    const char *p;
    size_t n, i;
    em_errbuf *err;
    const em_field *fields; /* the schema's columns */
    uint32_t *set_row;      /* the builder's marks: set_row[c] == row1 when set */
    uint32_t row1;          /* 1 + the row being filled */
} lp;

static int lperr(lp *s, const char *what, size_t at)
{
    return em_errf(s->err, EM_EPARSE, "invalid line protocol: %s at byte %zu", what, at);
}

/* ---- handles ---- */

int em__lp_reader_create(em_reader **out, const em_schema *schema, const char *ts_unit,
                         em_errbuf *err)
{
    em_reader *r = NULL;
    struct em__lp *l = NULL;
    int64_t unit;
    *out = NULL;
    if (!ts_unit || strcasecmp(ts_unit, "ns") == 0)
        unit = 1;
    else if (strcasecmp(ts_unit, "us") == 0)
        unit = 1000;
    else if (strcasecmp(ts_unit, "ms") == 0)
        unit = 1000000;
    else if (strcasecmp(ts_unit, "s") == 0)
        unit = 1000000000;
    else
        return em_errf(err, EM_EINVAL,
                       "unknown timestamp_unit \"%s\" (use 'ns', 'us', 'ms' or 's')", ts_unit);
    r = em_calloc(1, sizeof *r);
    l = em_calloc(1, sizeof *l);
    if (!r || !l) goto oom;
    l->ts_cols = em_calloc(schema->nfields ? schema->nfields : 1, sizeof *l->ts_cols);
    if (!l->ts_cols) goto oom;
    for (uint32_t c = 0; c < schema->nfields; c++)
        if (schema->fields[c].type == EM_TYPE_TIMESTAMP) l->ts_cols[l->nts++] = c;
    l->meas_col = em_schema_find(schema, "measurement", 11);
    l->unit_ns = unit;
    r->kind = EM__FMT_INFLUX;
    r->schema = schema;
    r->ts_mul = 1;
    r->lp = l;
    em_buf_init(&r->scratch, SCRATCH_MAX);
    *out = r;
    return 0;
oom:
    if (l) em_free(l->ts_cols);
    em_free(l);
    em_free(r);
    return em_errf(err, EM_ENOMEM, "out of memory creating influx reader");
}

int em__lp_had_timestamp(const em_reader *r, int64_t *unit_ns)
{
    if (!r->lp) return -1;
    *unit_ns = r->lp->unit_ns;
    return r->lp->had_ts;
}

void em__lp_free(struct em__lp *l)
{
    if (!l) return;
    em_free(l->ts_cols);
    em_free(l);
}

/* ---- scanning ---- */

/* 1 when a backslash before c is an escape in a name of kind k. */
static inline int escapable(name_kind k, char c)
{
    return c == '\\' || c == ',' || c == ' ' || (c == '=' && k != N_MEAS);
}

/* Scans a name from s->i to its end (an unescaped ',' or ' ', and for keys
 * '='), validating UTF-8. *esc is set when it holds escapes. */
static int scan_name(lp *s, name_kind k, size_t *start, size_t *len, int *esc)
{
    const unsigned char *p = (const unsigned char *)s->p;
    size_t i = s->i, n = s->n;
    unsigned stop = C_COMMA | C_SPACE | (k == N_KEY ? C_EQ : 0);
    *start = i;
    *esc = 0;
#ifdef __SSE2__
    /* sixteen bytes at a time up to the first ',', ' ', '=', '\\' or
     * non-ASCII byte (its sign bit); the loop below takes it from there */
    const __m128i comma = _mm_set1_epi8(','), space = _mm_set1_epi8(' ');
    const __m128i eq = _mm_set1_epi8('='), bslash = _mm_set1_epi8('\\');
    while (n - i >= 16) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, comma), _mm_cmpeq_epi8(w, space)),
                                   _mm_or_si128(_mm_cmpeq_epi8(w, eq), _mm_cmpeq_epi8(w, bslash)));
        int mask = _mm_movemask_epi8(hit) | _mm_movemask_epi8(w);
        if (mask) {
            i += (size_t)__builtin_ctz((unsigned)mask);
            break;
        }
        i += 16;
    }
#endif
    for (;;) {
        while (i < n && !(cls[p[i]] & (stop | C_BSLASH | C_HIGH | C_EQ)))
            i++;
        if (i >= n) break;
        unsigned c = cls[p[i]];
        if (c & stop) break;
        if (c & C_BSLASH) {
            if (i + 1 < n && escapable(k, (char)p[i + 1])) {
                *esc = 1;
                i += 2;
            } else {
                i++;
            }
        } else if (c & C_HIGH) {
            size_t q = em__utf8_seq(p + i, n - i);
            if (!q) {
                s->i = i;
                return lperr(s, "invalid UTF-8", i);
            }
            i += q;
        } else { /* '=' in a measurement or a tag value */
            if (k == N_TAGVAL) {
                s->i = i;
                return lperr(s, "unescaped '=' in a tag value (write \\=)", i);
            }
            i++;
        }
    }
    *len = i - *start;
    s->i = i;
    return 0;
}

/* The unescaped bytes of the name p[0..n) of kind k, into r->scratch. */
static int unescape_name(em_reader *r, name_kind k, const char *p, size_t n, em_slice *out)
{
    int rc;
    em_buf_reset(&r->scratch);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n && escapable(k, p[i + 1])) i++;
        if ((rc = em_buf_putc(&r->scratch, p[i])) != 0) return rc;
    }
    *out = em_slice_of(r->scratch.ptr ? r->scratch.ptr : "", r->scratch.len);
    return 0;
}

/* The column of the k-th key of the line when it is the key seen at this
 * position on the previous line (compared in place; s->i is then left on
 * its '='), else -2. */
static inline int slot_column(lp *s, uint32_t k)
{
    if (k < EM__KEY_SLOTS) {
        const em__key_slot *slot = &s->r->keys[k];
        size_t at = s->i + slot->len;
        if (slot->len && at < s->n && s->p[at] == '=' &&
            em__fmt_same_bytes(s->p + s->i, slot->name, slot->len)) {
            s->i = at;
            return slot->col;
        }
    }
    return -2;
}

/* Parses the k-th key of the line (a tag's or a field's) up to its '=',
 * which s->i is left on, and remembers it in slot k. Returns its column
 * (-1: not in the schema); *rc gets a parse error. what: "tag" or "field",
 * for messages. */
static int key_column(lp *s, uint32_t k, const char *what, int *rc)
{
    em_reader *r = s->r;
    size_t ks, kl;
    int esc;
    char msg[64];
    *rc = 0;
    size_t pos = s->i;
    if ((*rc = scan_name(s, N_KEY, &ks, &kl, &esc)) != 0) return -1;
    if (kl == 0) {
        snprintf(msg, sizeof msg, "empty %s key", what);
        *rc = lperr(s, msg, pos);
        return -1;
    }
    if (s->i >= s->n || s->p[s->i] != '=') {
        snprintf(msg, sizeof msg, "missing '=' after a %s key", what);
        *rc = lperr(s, msg, s->i);
        return -1;
    }
    if (esc) {
        em_slice u;
        if ((*rc = unescape_name(r, N_KEY, s->p + ks, kl, &u)) != 0) return -1;
        return em_schema_find(r->schema, u.ptr, u.len);
    }
    int col = em_schema_find(r->schema, s->p + ks, kl);
    if (k < EM__KEY_SLOTS && kl <= EM__KEY_MAX) {
        em__key_slot *slot = &r->keys[k];
        memcpy(slot->name, s->p + ks, kl);
        slot->len = (uint8_t)kl;
        slot->col = col;
    }
    return col;
}

/* ---- values ---- */

/* Numeric timestamp v in the reader's unit to microseconds; -1 on overflow. */
static int unit_to_us(const em_reader *r, int64_t v, int64_t *us)
{
    int64_t u = r->lp->unit_ns;
    if (u == 1) {
        *us = v / 1000 - (v % 1000 < 0); /* floor: -1 ns is before the epoch's us */
        return 0;
    }
    return __builtin_mul_overflow(v, u / 1000, us) ? -1 : 0;
}

static const char *label(const em_reader *r, uint32_t col, const char *what, char *buf, size_t cap)
{
    if (what[0] == 'm')
        snprintf(buf, cap, "measurement");
    else
        snprintf(buf, cap, "%s \"%s\"", what, r->schema->fields[col].name);
    return buf;
}

static int bad_type(lp *s, uint32_t col, const char *what, const char *got, size_t pos)
{
    char lb[160];
    return em_errf(s->err, EM_EPARSE, "%s: expected %s, got %s at byte %zu",
                   label(s->r, col, what, lb, sizeof lb), em_type_name(s->fields[col].type), got,
                   pos);
}

static int out_of_range(lp *s, uint32_t col, const char *what, size_t pos)
{
    char lb[160];
    return em_errf(s->err, EM_EPARSE, "%s: %s out of range at byte %zu",
                   label(s->r, col, what, lb, sizeof lb), em_type_name(s->fields[col].type), pos);
}

/* A scanned number: -?(d+[.d*]|.d+)([eE][+-]?d+)? with an optional i/u
 * suffix (integers only). len covers the number, not the suffix. */
typedef struct num {
    size_t len;
    char suffix; /* 0 (float), 'i' or 'u' */
    int neg, dot, has_exp;
    int digits; /* all digits, leading zeros too (>= the significant ones) */
    int frac;   /* digits after the '.' */
    uint64_t m; /* the digits as an integer, exact while digits <= 19 */
} num;

/* 1 when Clinger's fast path applies: m and 10^frac are exact doubles. */
static inline int num_fast(const num *v)
{
    return !v->has_exp && v->digits <= 15;
}

/* Scans the number at p[0..n); returns its length with the suffix, 0 if
 * there is none. One pass: the digits are accumulated as they are read
 * (m wraps for more than 19 digits, and is then not used). */
static inline size_t scan_num(const char *p, size_t n, num *v)
{
    size_t i = 0, start;
    unsigned d;
    uint64_t m = 0;
    v->neg = p[0] == '-';
    v->dot = v->has_exp = 0;
    v->frac = 0;
    v->suffix = 0;
    i = start = (size_t)v->neg;
    while (i < n && (d = (unsigned)(p[i] - '0')) <= 9) {
        m = m * 10 + d;
        i++;
    }
    size_t intd = i - start;
    if (i < n && p[i] == '.') {
        size_t fs = ++i;
        while (i < n && (d = (unsigned)(p[i] - '0')) <= 9) {
            m = m * 10 + d;
            i++;
        }
        v->dot = 1;
        v->frac = (int)(i - fs);
    }
    if (intd + (size_t)v->frac == 0) return 0;
    v->digits = (int)(intd + (size_t)v->frac > 1000 ? 1000 : intd + (size_t)v->frac);
    v->m = m;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (p[j] == '+' || p[j] == '-')) j++;
        if (j >= n || (unsigned)(p[j] - '0') > 9) return 0;
        while (j < n && (unsigned)(p[j] - '0') <= 9)
            j++;
        v->has_exp = 1;
        i = j;
    }
    v->len = i;
    if (i < n && (p[i] == 'i' || p[i] == 'u')) {
        if (v->dot || v->has_exp || (p[i] == 'u' && v->neg)) return 0;
        v->suffix = p[i];
        return i + 1;
    }
    return i;
}

/* The number's value as a double (Clinger's fast path, else strtod);
 * EM_ERANGE when it is beyond a double's range. */
static int num_double(const char *p, const num *v, double *out)
{
    if (num_fast(v)) {
        double d = (double)v->m;
        if (v->frac > 0) d /= em__pow10_exact[v->frac];
        *out = v->neg ? -d : d;
        return 0;
    }
    char small[64], *tmp = small;
    if (v->len >= sizeof small && !(tmp = em_malloc(v->len + 1))) return EM_ENOMEM;
    memcpy(tmp, p, v->len);
    tmp[v->len] = 0;
    *out = strtod(tmp, NULL);
    if (tmp != small) em_free(tmp);
    return isfinite(*out) ? 0 : EM_ERANGE;
}

/* The integer digits of a number without fraction or exponent; -1 when
 * out of range (uint: up to UINT64_MAX, else INT64). */
static int num_int(const char *p, const num *v, int uns, uint64_t *mag)
{
    uint64_t m = 0, lim = uns ? UINT64_MAX : (uint64_t)INT64_MAX + (uint64_t)v->neg;
    if (v->digits <= 18) { /* below 10^18: m is exact and in range */
        *mag = v->m;
        return 0;
    }
    for (size_t i = (size_t)v->neg; i < v->len; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (m > (lim - d) / 10) return -1;
        m = m * 10 + d;
    }
    *mag = m;
    return 0;
}

/* Stores the number token p (scanned into v) in col. what/pos: messages. */
static int set_number(lp *s, uint32_t col, const char *what, const char *p, const num *v,
                      size_t pos)
{
    em_batch_builder *bb = s->bb;
    em_type t = s->fields[col].type;
    int is_int = !v->dot && !v->has_exp;
    uint64_t mag;
    int64_t iv;
    double dv;
    int rc;
    switch (t) {
    case EM_TYPE_DOUBLE:
        if (v->suffix) {
            if (num_int(p, v, v->suffix == 'u', &mag)) return out_of_range(s, col, what, pos);
            dv = (double)mag;
            em_batch_builder_set_f64(bb, col, v->neg ? -dv : dv);
            return 0;
        }
        if ((rc = num_double(p, v, &dv)) != 0)
            return rc == EM_ERANGE ? out_of_range(s, col, what, pos) : rc;
        em_batch_builder_set_f64(bb, col, dv);
        return 0;
    case EM_TYPE_BIGINT:
    case EM_TYPE_TIMESTAMP:
        if (is_int) {
            if (num_int(p, v, 0, &mag)) return out_of_range(s, col, what, pos);
            iv = v->neg ? (int64_t)(0 - mag) : (int64_t)mag;
        } else {
            if ((rc = num_double(p, v, &dv)) != 0 && rc != EM_ERANGE) return rc;
            if (rc || !(dv >= -9.2e18 && dv <= 9.2e18)) return out_of_range(s, col, what, pos);
            if (t == EM_TYPE_BIGINT && dv != (double)(int64_t)dv)
                return bad_type(s, col, what, "non-integral number", pos);
            iv = (int64_t)dv;
        }
        if (t == EM_TYPE_TIMESTAMP && unit_to_us(s->r, iv, &iv))
            return out_of_range(s, col, what, pos);
        em_batch_builder_set_i64(bb, col, iv);
        return 0;
    case EM_TYPE_TEXT:
        return em_batch_builder_set_text(bb, col, p, v->len);
    default:
        return bad_type(s, col, what,
                        v->suffix == 'i'   ? "integer"
                        : v->suffix == 'u' ? "unsigned integer"
                                           : "float",
                        pos);
    }
}

/* 1 and *b for the boolean words t T true True TRUE f F false False FALSE. */
static int bool_word(const char *p, size_t n, int *b)
{
    static const char *const words[] = {"t", "T", "true",  "True",  "TRUE",
                                        "f", "F", "false", "False", "FALSE"};
    for (int k = 0; k < 10; k++)
        if (strlen(words[k]) == n && memcmp(words[k], p, n) == 0) {
            *b = k < 5;
            return 1;
        }
    return 0;
}

/* Stores a text value (a tag value or the measurement, already unescaped)
 * in col, converting it to the column's type like a CSV field. */
static int set_text_value(lp *s, uint32_t col, const char *what, const char *p, size_t n,
                          size_t pos)
{
    em_type t = s->fields[col].type;
    char lb[160];
    int b;
    num v;
    if (t == EM_TYPE_TEXT) return em_batch_builder_set_text(s->bb, col, p, n);
    if (t == EM_TYPE_BOOLEAN) {
        if (!bool_word(p, n, &b)) goto bad;
        em_batch_builder_set_bool(s->bb, col, b);
        return 0;
    }
    if (n && scan_num(p, n, &v) == n && !v.suffix) return set_number(s, col, what, p, &v, pos);
    if (t == EM_TYPE_TIMESTAMP) {
        int64_t us;
        if (em_ts_parse(p, n, &us) != 0) goto bad;
        em_batch_builder_set_i64(s->bb, col, us);
        return 0;
    }
bad:
    return em_errf(s->err, EM_EPARSE, "%s: expected %s, got \"%.*s\" at byte %zu",
                   label(s->r, col, what, lb, sizeof lb), em_type_name(t), (int)(n > 64 ? 64 : n),
                   p, pos);
}

/* Parses a tag value or the measurement (kind k) at s->i into col (-1:
 * validate only). */
static int name_value(lp *s, name_kind k, int col, const char *what)
{
    size_t vs, vl, pos = s->i;
    int esc, rc;
    if ((rc = scan_name(s, k, &vs, &vl, &esc)) != 0) return rc;
    if (vl == 0) return lperr(s, k == N_MEAS ? "missing measurement" : "empty tag value", pos);
    if (col < 0 || s->set_row[col] == s->row1) return 0;
    em_slice v = em_slice_of(s->p + vs, vl);
    if (esc && (rc = unescape_name(s->r, k, s->p + vs, vl, &v)) != 0) return rc;
    return set_text_value(s, (uint32_t)col, what, v.ptr, v.len, pos);
}

/* Parses the string field value at s->i (on its opening quote) into col
 * (-1: validate only). */
static int string_value(lp *s, int col)
{
    const unsigned char *p = (const unsigned char *)s->p;
    size_t pos = s->i, i = s->i + 1, n = s->n, start = i;
    int esc = 0, rc;
    for (;;) {
        while (i < n && !(cls[p[i]] & (C_QUOTE | C_BSLASH | C_HIGH)))
            i++;
        if (i >= n) return lperr(s, "unterminated string (a string cannot span lines)", pos);
        if (p[i] == '"') break;
        if (p[i] == '\\') {
            if (i + 1 < n && (p[i + 1] == '"' || p[i + 1] == '\\')) {
                esc = 1;
                i += 2;
            } else {
                i++;
            }
            continue;
        }
        size_t q = em__utf8_seq(p + i, n - i);
        if (!q) return lperr(s, "invalid UTF-8 in string", i);
        i += q;
    }
    s->i = i + 1;
    if (col < 0) return 0;
    em_type t = s->fields[col].type;
    em_slice v = em_slice_of(s->p + start, i - start);
    if (esc) {
        em_buf_reset(&s->r->scratch);
        for (size_t k = start; k < i; k++) {
            if (p[k] == '\\' && (p[k + 1] == '"' || p[k + 1] == '\\')) k++;
            if ((rc = em_buf_putc(&s->r->scratch, (char)p[k])) != 0) return rc;
        }
        v = em_slice_of(s->r->scratch.ptr ? s->r->scratch.ptr : "", s->r->scratch.len);
    }
    if (t == EM_TYPE_TEXT) return em_batch_builder_set_text(s->bb, (uint32_t)col, v.ptr, v.len);
    if (t == EM_TYPE_TIMESTAMP) {
        int64_t us;
        char lb[160];
        if (em_ts_parse(v.ptr, v.len, &us) != 0)
            return em_errf(s->err, EM_EPARSE,
                           "%s: invalid timestamp \"%.*s\" at byte %zu (expected ISO-8601 like "
                           "2024-05-01T12:00:00Z)",
                           label(s->r, (uint32_t)col, "field", lb, sizeof lb),
                           (int)(v.len > 64 ? 64 : v.len), v.ptr, pos);
        em_batch_builder_set_i64(s->bb, (uint32_t)col, us);
        return 0;
    }
    return bad_type(s, (uint32_t)col, "field", "string", pos);
}

/* Length of a plain decimal [-]d+[.d*] of at most 15 digits at p that
 * ends the value (a ',' or ' ' or the end follows), with its value in *out
 * (exact: Clinger's fast path); 0 for anything else (scan_num decides). */
static inline size_t plain_decimal(const char *p, size_t n, double *out)
{
    size_t i = p[0] == '-', d0 = i, frac = 0;
    uint64_t m = 0;
    unsigned d;
    while (i < n && (d = (unsigned)(p[i] - '0')) <= 9) {
        m = m * 10 + d;
        i++;
    }
    size_t digits = i - d0;
    if (i < n && p[i] == '.') {
        size_t f0 = ++i;
        while (i < n && (d = (unsigned)(p[i] - '0')) <= 9) {
            m = m * 10 + d;
            i++;
        }
        frac = i - f0;
        digits += frac;
    }
    if (!digits || digits > 15 || (i < n && p[i] != ',' && p[i] != ' ')) return 0;
    double v = (double)m;
    if (frac) v /= em__pow10_exact[frac];
    *out = p[0] == '-' ? -v : v;
    return i;
}

/* Parses the field value at s->i into col (-1: validate only); leaves s->i
 * after it, on a ',' or ' ' or at the end. */
static int field_value(lp *s, int col)
{
    size_t pos = s->i;
    const char *p = s->p + pos;
    size_t n = s->n - pos, len;
    int rc = 0;
    if (!n || *p == ',' || *p == ' ') return lperr(s, "missing field value", pos);
    if (*p == '"') {
        if ((rc = string_value(s, col)) != 0) return rc;
    } else if (*p == 't' || *p == 'T' || *p == 'f' || *p == 'F') {
        int b;
        for (len = 0; len < n && p[len] != ',' && p[len] != ' '; len++)
            ;
        if (!bool_word(p, len, &b))
            return lperr(s, "invalid field value (expected a number, a \"string\" or a boolean)",
                         pos);
        s->i += len;
        if (col >= 0) {
            em_type t = s->fields[col].type;
            if (t == EM_TYPE_BOOLEAN)
                em_batch_builder_set_bool(s->bb, (uint32_t)col, b);
            else if (t == EM_TYPE_TEXT)
                rc = em_batch_builder_set_text(s->bb, (uint32_t)col, b ? "true" : "false",
                                               b ? 4 : 5);
            else
                rc = bad_type(s, (uint32_t)col, "field", "boolean", pos);
            if (rc) return rc;
        }
    } else {
        num v;
        if (col >= 0 && s->fields[col].type == EM_TYPE_DOUBLE) {
            double d; /* the common case in one pass: a plain decimal */
            if ((len = plain_decimal(p, n, &d)) != 0) {
                em_batch_builder_set_f64(s->bb, (uint32_t)col, d);
                s->i += len;
                return 0;
            }
        }
        if (!(len = scan_num(p, n, &v)))
            return lperr(s, "invalid field value (expected a number, a \"string\" or a boolean)",
                         pos);
        if (col >= 0 && s->fields[col].type == EM_TYPE_DOUBLE && !v.suffix && num_fast(&v)) {
            double d = (double)v.m; /* the common case, inline */
            if (v.frac > 0) d /= em__pow10_exact[v.frac];
            em_batch_builder_set_f64(s->bb, (uint32_t)col, v.neg ? -d : d);
        } else if (col >= 0) {
            if ((rc = set_number(s, (uint32_t)col, "field", p, &v, pos)) != 0) return rc;
        } else if (v.suffix) {
            uint64_t mag; /* an unknown field's integer must still be in range */
            if (num_int(p, &v, v.suffix == 'u', &mag)) return lperr(s, "integer out of range", pos);
        } else {
            double d; /* and its float within a double's range */
            if ((rc = num_double(p, &v, &d)) != 0)
                return rc == EM_ERANGE ? lperr(s, "float out of range", pos) : rc;
        }
        s->i += len;
    }
    if (s->i < s->n && s->p[s->i] != ',' && s->p[s->i] != ' ')
        return lperr(s, "unexpected character after a field value", s->i);
    return 0;
}

/* ---- a line ---- */

/* The value of the 8 ASCII digits at p, or -1 if one is not a digit
 * (SWAR: the digits are checked and combined in pairs, fours, eights). */
static inline int64_t eight_digits(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    if (((v & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
         (((v + UINT64_C(0x0606060606060606)) & UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) !=
        UINT64_C(0x3333333333333333))
        return -1;
    v -= UINT64_C(0x3030303030303030);
    v = (v * 10) + (v >> 8);
    v = (((v & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32))) +
         (((v >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32)))) >>
        32;
    return (int64_t)v;
}

/* Stores the line's timestamp (the token at p) in the first TIMESTAMP
 * column that no tag or field of this line has set. */
static int line_timestamp(lp *s, const char *p, size_t n, size_t pos)
{
    const struct em__lp *l = s->r->lp;
    uint64_t mag = 0;
    size_t i = p[0] == '-';
    if (i >= n) return lperr(s, "invalid timestamp (expected an integer)", pos);
    if (n - i <= 19) { /* up to 19 digits (ns since 1973): no uint64 overflow */
        size_t j = i;
        int64_t e;
        for (; n - j >= 8 && (e = eight_digits(p + j)) >= 0; j += 8)
            mag = mag * 100000000 + (uint64_t)e;
        for (; j < n && (unsigned)(p[j] - '0') <= 9; j++)
            mag = mag * 10 + (uint64_t)(p[j] - '0');
        if (j == n) {
            if (mag > (uint64_t)INT64_MAX) return lperr(s, "timestamp out of range", pos);
            goto done;
        }
        mag = 0; /* not all digits: the loop below says where */
    }
    for (size_t k = 0; i < n; i++, k++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (d > 9 && p[i] == ' ' && i > (size_t)(p[0] == '-')) {
            while (p[i] == ' ') /* the token ends, but not the line */
                i++;
            return lperr(s, "trailing characters after the timestamp", pos + i);
        }
        if (d > 9) return lperr(s, "invalid timestamp (expected an integer)", pos + i);
        /* 18 digits cannot overflow; past them, check each one */
        if (k >= 18 && mag > ((uint64_t)INT64_MAX - d) / 10)
            return lperr(s, "timestamp out of range", pos);
        mag = mag * 10 + d;
    }
done:;
    int64_t v = p[0] == '-' ? -(int64_t)mag : (int64_t)mag, us;
    for (uint32_t k = 0; k < l->nts; k++) {
        uint32_t c = l->ts_cols[k];
        if (s->set_row[c] == s->row1) continue;
        if (unit_to_us(s->r, v, &us)) return lperr(s, "timestamp out of range", pos);
        em_batch_builder_set_i64(s->bb, c, us);
        break;
    }
    return 0;
}

int em__lp_parse(em_reader *r, const char *p, size_t n, em_batch_builder *bb, em_errbuf *err)
{
    lp s = {r, bb, p, n, 0, err, r->schema->fields, bb->set_row, bb->b->nrows + 1};
    int rc, col;
    uint32_t k = 0;
    if (n && p[n - 1] == '\r') {
        n--;
        s.n = n;
    }
    while (s.i < n && (p[s.i] == ' ' || p[s.i] == '\t'))
        s.i++;
    if (s.i >= n || p[s.i] == '#') return EM_EOF; /* a blank line or a comment */
    if ((rc = name_value(&s, N_MEAS, r->lp->meas_col, "measurement")) != 0) return rc;
    while (s.i < n && p[s.i] == ',') { /* the tag set */
        s.i++;
        if ((col = slot_column(&s, k)) == -2 && (col = key_column(&s, k, "tag", &rc), rc))
            return rc;
        k++;
        s.i++; /* '=' */
        if ((rc = name_value(&s, N_TAGVAL, col, "tag")) != 0) return rc;
    }
    while (s.i < n && p[s.i] == ' ')
        s.i++;
    if (s.i >= n) return lperr(&s, "missing field set (a line needs at least one field)", s.i);
    for (;;) { /* the field set */
        if ((col = slot_column(&s, k)) == -2 && (col = key_column(&s, k, "field", &rc), rc))
            return rc;
        k++;
        s.i++;                                              /* '=' */
        if (col >= 0 && s.set_row[col] == s.row1) col = -1; /* a repeat: the first value wins */
        if ((rc = field_value(&s, col)) != 0) return rc;
        if (s.i < n && p[s.i] == ',') {
            s.i++;
            continue;
        }
        break;
    }
    while (s.i < n && p[s.i] == ' ')
        s.i++;
    r->lp->had_ts = s.i < n;
    if (s.i < n) { /* the timestamp: the rest of the line but trailing blanks */
        while (p[n - 1] == ' ')
            n--;
        if ((rc = line_timestamp(&s, p + s.i, n - s.i, s.i)) != 0) return rc;
    }
    return 0;
}
